//! [`Str`]: the string type of span names, services, resources and tags.
//!
//! # Invariants the `unsafe` code here relies on
//!
//! 1. `ptr` and the length (the low bits of `tagged_len`) always describe the UTF-8 text of
//!    what the value holds: a `&'static str`, a `Box<str>` made by `Box::into_raw`, or a
//!    share of an `Arc<str>` made by `Arc::into_raw`; the top two bits say which.
//! 2. A `Str` owns its box or its share of the `Arc`: `Drop` gives it back exactly once,
//!    and `Clone` of a shared one takes a new share.
//! 3. The text is never changed through the value, so it is `Send` and `Sync` as its three
//!    kinds of storage are.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::{Arc, LazyLock, Mutex};

/// A string that is cheap to create from a literal and cheap to clone when shared.
///
/// Most span names, services and tag keys are `&'static str` literals: they are kept borrowed
/// and cost nothing. Strings built at run time are kept as they came (`String`), and values that
/// many spans repeat are shared behind an `Arc` ([`Str::shared`]) or interned for the life of
/// the process ([`Str::interned`]).
///
/// A `Str` is two words, whatever it holds: a pointer to the text and its length, with the
/// kind of storage in the length's top two bits. Reading the text never branches on the kind,
/// and a span's tags, stored inline, take less room than with a three-variant enum.
pub struct Str {
    /// The first byte of the text: of the literal, of the boxed `str`, or of the data inside
    /// the `Arc<str>`.
    ptr: NonNull<u8>,
    /// The text's length in bytes, with the storage kind in the top two bits.
    tagged_len: usize,
    /// Owns a `Box<str>` or a share of an `Arc<str>` (both `Send + Sync`).
    _owns: PhantomData<Arc<str>>,
}

const KIND_SHIFT: u32 = usize::BITS - 2;
const LEN_MASK: usize = (1 << KIND_SHIFT) - 1;
const STATIC: usize = 0;
const OWNED: usize = 1;
const SHARED: usize = 2;

// SAFETY: a `Str` holds a `&'static str`, a `Box<str>` or an `Arc<str>`, all `Send + Sync`.
unsafe impl Send for Str {}
// SAFETY: as above; a `Str` is never changed through a shared reference.
unsafe impl Sync for Str {}

impl Str {
    /// The empty string.
    pub const EMPTY: Str = Str::from_static("");

    /// Wraps a literal without allocating.
    #[inline]
    pub const fn from_static(s: &'static str) -> Self {
        // A `&'static str` longer than the length field can hold does not exist on 64-bit
        // targets (the address space is smaller); on 32-bit ones it would need a 1 GiB literal.
        assert!(s.len() <= LEN_MASK, "string literal too long for Str");
        Str {
            // SAFETY: a reference is never null.
            ptr: unsafe { NonNull::new_unchecked(s.as_ptr().cast_mut()) },
            tagged_len: s.len(),
            _owns: PhantomData,
        }
    }

    /// Makes a string that clones cheaply (a reference count); see also [`Str::interned`].
    pub fn shared(s: impl AsRef<str>) -> Self {
        Str::from(Arc::<str>::from(s.as_ref()))
    }

    /// A string that lives for the rest of the process, stored once whatever the number of
    /// calls with the same text: for configuration values (service, env, version, `DD_TAGS`)
    /// that every span copies. Copying an interned string costs no reference count, whose
    /// updates from every application thread, and from the writer's thread that frees the
    /// spans, would all contend on one cache line.
    ///
    /// Each distinct text is kept forever: do not use it for values that vary per request.
    pub fn interned(s: impl AsRef<str>) -> Self {
        static TEXTS: LazyLock<Mutex<HashSet<&'static str>>> = LazyLock::new(Default::default);
        let s = s.as_ref();
        if s.is_empty() {
            return Str::EMPTY;
        }
        let mut texts = TEXTS.lock().unwrap_or_else(|e| e.into_inner());
        match texts.get(s) {
            Some(kept) => Str::from_static(kept),
            None => {
                let kept: &'static str = Box::leak(s.into());
                texts.insert(kept);
                Str::from_static(kept)
            }
        }
    }

    /// The string's text.
    #[inline]
    pub fn as_str(&self) -> &str {
        // SAFETY: `ptr` and the length describe the UTF-8 text of the literal, box or `Arc`
        // this value holds, which lives at least as long as `self`.
        unsafe {
            std::str::from_utf8_unchecked(std::slice::from_raw_parts(self.ptr.as_ptr(), self.len()))
        }
    }

    /// The text's length in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.tagged_len & LEN_MASK
    }

    /// Whether the text is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the text is a literal or an interned string, which costs nothing to copy or drop.
    #[inline]
    pub fn is_static(&self) -> bool {
        self.kind() == STATIC
    }

    #[inline]
    fn kind(&self) -> usize {
        self.tagged_len >> KIND_SHIFT
    }

    /// The text as the raw `str` pointer it was made from.
    #[inline]
    fn raw(&self) -> *mut str {
        std::ptr::slice_from_raw_parts_mut(self.ptr.as_ptr(), self.len()) as *mut str
    }

    fn from_raw(raw: *mut str, len: usize, kind: usize) -> Self {
        debug_assert!(len <= LEN_MASK);
        Str {
            // SAFETY: `raw` comes from `Box::into_raw` or `Arc::into_raw`, never null.
            ptr: unsafe { NonNull::new_unchecked(raw.cast::<u8>()) },
            tagged_len: len | (kind << KIND_SHIFT),
            _owns: PhantomData,
        }
    }

    #[cold]
    fn clone_owned(&self) -> Self {
        Str::from(Box::<str>::from(self.as_str()))
    }

    #[cold]
    fn drop_slow(&mut self) {
        let raw = self.raw();
        match self.kind() {
            // SAFETY: made by `Box::into_raw` in `From<Box<str>>`, and dropped once.
            OWNED => drop(unsafe { Box::from_raw(raw) }),
            // SAFETY: made by `Arc::into_raw` in `From<Arc<str>>` (or counted by `clone`),
            // and this value's share is given back once.
            SHARED => drop(unsafe { Arc::from_raw(raw.cast_const()) }),
            _ => {}
        }
    }
}

impl Clone for Str {
    #[inline]
    fn clone(&self) -> Self {
        match self.kind() {
            STATIC => Str {
                ptr: self.ptr,
                tagged_len: self.tagged_len,
                _owns: PhantomData,
            },
            SHARED => {
                // SAFETY: this value holds a share of the `Arc`, so it is alive.
                unsafe { Arc::increment_strong_count(self.raw().cast_const()) };
                Str {
                    ptr: self.ptr,
                    tagged_len: self.tagged_len,
                    _owns: PhantomData,
                }
            }
            _ => self.clone_owned(),
        }
    }
}

impl Str {
    /// Moves this value into `*at` one word at a time. A value the compiler kept in memory
    /// is then read back with the word-sized loads it was written with: copied as one 16-byte
    /// load (the compiler merges two adjacent word copies into one unless the stores are
    /// volatile), it would wait for the two narrow stores to reach the cache.
    ///
    /// # Safety
    /// `at` is valid for writes and aligned; whatever it held is overwritten, not dropped.
    #[inline(always)]
    pub(crate) unsafe fn write_to(self, at: *mut Str) {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: the caller's contract; `this` is not dropped, so ownership moves to `*at`.
        unsafe {
            std::ptr::addr_of_mut!((*at).ptr).write_volatile(this.ptr);
            std::ptr::addr_of_mut!((*at).tagged_len).write_volatile(this.tagged_len);
        }
    }
}

impl Drop for Str {
    #[inline]
    fn drop(&mut self) {
        if self.kind() != STATIC {
            self.drop_slow();
        }
    }
}

impl Default for Str {
    fn default() -> Self {
        Str::EMPTY
    }
}

impl Deref for Str {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Str {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Str {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Str {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.as_str(), other.as_str());
        // Keys and names are mostly the same literal or interned text: equal addresses answer
        // without comparing bytes.
        a.len() == b.len() && (std::ptr::eq(a.as_ptr(), b.as_ptr()) || same_text(a, b))
    }
}

impl Eq for Str {}

impl PartialEq<str> for Str {
    #[inline]
    fn eq(&self, other: &str) -> bool {
        same_text(self.as_str(), other)
    }
}

impl PartialEq<&str> for Str {
    #[inline]
    fn eq(&self, other: &&str) -> bool {
        same_text(self.as_str(), other)
    }
}

/// `a == b`, with the short texts that tag keys are compared without a call to `memcmp`:
/// from 4 to 16 bytes, as two overlapping words from each end. Tag lookups compare a key with
/// every key of the same length on the span, and a library call per comparison cost more than
/// the rest of the lookup.
#[inline]
pub(crate) fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        8..=16 => {
            let word = |s: &[u8], at: usize| u64::from_ne_bytes(s[at..at + 8].try_into().unwrap());
            word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8)
        }
        4..=7 => {
            let word = |s: &[u8], at: usize| u32::from_ne_bytes(s[at..at + 4].try_into().unwrap());
            word(a, 0) == word(b, 0) && word(a, n - 4) == word(b, n - 4)
        }
        _ => a == b,
    }
}

impl Hash for Str {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl PartialOrd for Str {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Str {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&'static str> for Str {
    #[inline]
    fn from(s: &'static str) -> Self {
        Str::from_static(s)
    }
}

impl From<String> for Str {
    fn from(s: String) -> Self {
        Str::from(s.into_boxed_str())
    }
}

impl From<&String> for Str {
    fn from(s: &String) -> Self {
        Str::from(Box::<str>::from(s.as_str()))
    }
}

impl From<Box<str>> for Str {
    fn from(s: Box<str>) -> Self {
        if s.len() > LEN_MASK {
            return Str::from(String::from(truncated(&s)));
        }
        let len = s.len();
        Str::from_raw(Box::into_raw(s), len, OWNED)
    }
}

impl From<Arc<str>> for Str {
    fn from(s: Arc<str>) -> Self {
        if s.len() > LEN_MASK {
            return Str::from(String::from(truncated(&s)));
        }
        let len = s.len();
        Str::from_raw(Arc::into_raw(s).cast_mut(), len, SHARED)
    }
}

impl From<std::borrow::Cow<'static, str>> for Str {
    fn from(s: std::borrow::Cow<'static, str>) -> Self {
        match s {
            std::borrow::Cow::Borrowed(s) => Str::from_static(s),
            std::borrow::Cow::Owned(s) => s.into(),
        }
    }
}

/// Only reachable on 32-bit targets, for text over 1 GiB: keeps what fits.
#[cold]
fn truncated(s: &str) -> &str {
    let mut end = LEN_MASK;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl serde::Serialize for Str {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_compares_by_text() {
        let a = Str::from("svc");
        let b = Str::from(String::from("svc"));
        let c = Str::shared("svc");
        assert_eq!(a, b);
        assert_eq!(b, c);
        assert_eq!(c.clone(), "svc");
        assert_eq!(Str::default(), "");
    }

    #[test]
    fn is_two_words_and_option_costs_nothing() {
        assert_eq!(size_of::<Str>(), 2 * size_of::<usize>());
        assert_eq!(size_of::<Option<Str>>(), size_of::<Str>());
    }

    #[test]
    fn same_text_agrees_with_str_eq_at_every_length() {
        let text = "abcdefghijklmnopqrstuvwxyz0123456789";
        for n in 0..=text.len() {
            let a = &text[..n];
            assert!(same_text(a, &String::from(a)), "{a}");
            for i in 0..n {
                // One byte changed anywhere: unequal, whichever word holds it.
                let mut b = a.as_bytes().to_vec();
                b[i] = b'#';
                let b = String::from_utf8(b).unwrap();
                assert!(!same_text(a, &b), "{a} vs {b}");
            }
            assert!(!same_text(a, &text[..n.saturating_sub(1)]) || n == 0);
        }
    }

    #[test]
    fn clones_and_drops_of_every_kind_keep_their_text() {
        let owned = Str::from(String::from("owned text"));
        let shared = Str::shared("shared text");
        let literal = Str::from_static("literal");
        let empty_owned = Str::from(String::new());
        for s in [&owned, &shared, &literal, &empty_owned] {
            let copies: Vec<Str> = (0..3).map(|_| s.clone()).collect();
            for c in &copies {
                assert_eq!(c.as_str(), s.as_str());
                assert_eq!(c.len(), s.len());
            }
        }
        assert!(literal.is_static() && !owned.is_static() && !shared.is_static());
        assert!(empty_owned.is_empty());
        // An owned clone is a copy, a shared one is the same text.
        assert_ne!(owned.clone().as_ptr(), owned.as_ptr());
        assert_eq!(shared.clone().as_ptr(), shared.as_ptr());
    }

    #[test]
    fn shared_strings_give_back_their_count() {
        let arc: Arc<str> = Arc::from("counted");
        let s = Str::from(arc.clone());
        assert_eq!(Arc::strong_count(&arc), 2);
        let copies: Vec<Str> = (0..4).map(|_| s.clone()).collect();
        assert_eq!(Arc::strong_count(&arc), 6);
        drop(copies);
        drop(s);
        assert_eq!(Arc::strong_count(&arc), 1);
    }

    #[test]
    fn shared_strings_cloned_and_dropped_on_many_threads_keep_an_exact_count() {
        let arc: Arc<str> = Arc::from("across threads");
        let s = Str::from(arc.clone());
        let (to_dropper, dropped) = std::sync::mpsc::channel::<Str>();
        std::thread::scope(|scope| {
            // Clones made on four threads are dropped on a fifth, as spans are on the writer's.
            scope.spawn(move || dropped.into_iter().for_each(drop));
            for _ in 0..4 {
                let to_dropper = to_dropper.clone();
                let s = &s;
                scope.spawn(move || {
                    for _ in 0..10_000 {
                        let copy = s.clone();
                        assert_eq!(copy.as_str(), "across threads");
                        to_dropper
                            .send(copy)
                            .expect("the dropper runs until every sender is gone");
                    }
                });
            }
            drop(to_dropper);
        });
        drop(s);
        assert_eq!(Arc::strong_count(&arc), 1);
    }

    #[test]
    fn every_kind_behaves_as_its_text_for_eq_ord_and_hash() {
        use std::collections::hash_map::DefaultHasher;
        fn hash(s: &(impl Hash + ?Sized)) -> u64 {
            let mut h = DefaultHasher::new();
            s.hash(&mut h);
            h.finish()
        }
        let long = "x".repeat(300);
        let texts = [
            "",
            "a",
            "env",
            "db.system",
            "component",
            "\u{e9}t\u{e9}",
            &long,
        ];
        for a in texts {
            let kinds = [
                // Interning keeps a literal-kind copy, reachable from its set (not leaked).
                Str::interned(a),
                Str::from(String::from(a)),
                Str::shared(a),
            ];
            for x in &kinds {
                assert_eq!(x.as_str(), a);
                assert_eq!(hash(x), hash(a));
                for b in texts {
                    let y = Str::from(String::from(b));
                    assert_eq!(*x == y, a == b, "{a:?} == {b:?}");
                    assert_eq!(x.cmp(&y), a.cmp(b), "{a:?} cmp {b:?}");
                }
            }
        }
    }

    #[test]
    fn interned_text_is_stored_once() {
        let a = Str::interned(String::from("interned-once"));
        let b = Str::interned("interned-once");
        assert!(a.is_static());
        assert_eq!(a.as_ptr(), b.as_ptr());
    }
}
