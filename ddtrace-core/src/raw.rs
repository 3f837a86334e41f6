//! Pushing onto a vector by writing the new element in place, in the room reserved for it.
//!
//! `push(value)` builds the value on the stack and copies it into the vector. For the two
//! values the span path pushes most (an empty span when a span starts, a tag's
//! key/value pair), that copy is slow: a large struct costs a copy of every byte, and a pair
//! stored with word-sized writes and read back with wide loads makes the CPU wait for the
//! stores to reach the cache. So these functions write the value straight into the vector's
//! spare capacity and then extend its length.
//!
//! # Invariants (the one `unsafe` pattern of this module)
//!
//! Each function first reserves room for one more element, so the slot at `len` is allocated
//! and uninitialised; it writes that slot whole (every field) before `set_len(len + 1)` makes
//! the vector cover it; and nothing between the write and `set_len` can unwind, so the vector
//! never covers a half-written element and never leaks a written one. (The active stack's
//! entries are written the same way by `share`, the only module that may see their fields.)

use smallvec::SmallVec;

use crate::str::Str;

/// Appends `T::default()` (an empty span) to `spans`, for the caller to fill in place.
#[inline(always)]
pub(crate) fn push_default<T: Default>(spans: &mut Vec<T>) {
    spans.reserve(1);
    let len = spans.len();
    let spare = spans.spare_capacity_mut()[0].as_mut_ptr();
    // SAFETY: see the module docs: room reserved at `len`, written whole, then covered.
    unsafe {
        spare.write(T::default());
        spans.set_len(len + 1);
    }
}

/// Pushes `(key, value)` by writing its two halves in place, the key word by word
/// ([`Str::write_to`]).
#[inline(always)]
pub(crate) fn push_pair<A, V>(pairs: &mut SmallVec<A>, key: Str, value: V)
where
    A: smallvec::Array<Item = (Str, V)>,
{
    pairs.reserve(1);
    let len = pairs.len();
    // SAFETY: see the module docs: room reserved at `len`, both halves written, then covered.
    unsafe {
        let slot = pairs.as_mut_ptr().add(len);
        key.write_to(std::ptr::addr_of_mut!((*slot).0));
        std::ptr::addr_of_mut!((*slot).1).write(value);
        pairs.set_len(len + 1);
    }
}

/// Pushes a string tag `(key, value)`, both written word by word ([`Str::write_to`]).
#[inline(always)]
pub(crate) fn push_str_pair<A>(pairs: &mut SmallVec<A>, key: Str, value: Str)
where
    A: smallvec::Array<Item = (Str, Str)>,
{
    pairs.reserve(1);
    let len = pairs.len();
    // SAFETY: see the module docs: room reserved at `len`, both halves written, then covered.
    unsafe {
        let slot = pairs.as_mut_ptr().add(len);
        key.write_to(std::ptr::addr_of_mut!((*slot).0));
        value.write_to(std::ptr::addr_of_mut!((*slot).1));
        pairs.set_len(len + 1);
    }
}
