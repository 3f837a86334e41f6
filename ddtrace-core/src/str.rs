//! [`Str`]: the string type of span names, services, resources and tags.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::{Arc, LazyLock, Mutex};

/// A string that is cheap to create from a literal and cheap to clone when shared.
///
/// Most span names, services and tag keys are `&'static str` literals: they are kept borrowed
/// and cost nothing. Strings built at run time are kept as they came (`String`), and values that
/// many spans repeat (the configured service, `DD_TAGS`) are shared behind an `Arc` so cloning
/// them onto every span is a reference-count increment, not an allocation.
#[derive(Clone)]
pub enum Str {
    /// A string literal.
    Static(&'static str),
    /// A string owned by this value alone.
    Owned(Box<str>),
    /// A string shared by many values.
    Shared(Arc<str>),
}

impl Str {
    /// The empty string.
    pub const EMPTY: Str = Str::Static("");

    /// Wraps a literal without allocating.
    pub const fn from_static(s: &'static str) -> Self {
        Str::Static(s)
    }

    /// Makes a string that clones cheaply (a reference count); see also [`Str::interned`].
    pub fn shared(s: impl AsRef<str>) -> Self {
        Str::Shared(Arc::from(s.as_ref()))
    }

    /// A string that lives for the rest of the process, stored once whatever the number of
    /// calls with the same text: for configuration values (service, env, version, `DD_TAGS`)
    /// that every span copies. Copying a `Str::Static` costs no reference count, whose updates
    /// from every application thread, and from the writer's thread that frees the spans,
    /// would all contend on one cache line.
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
            Some(kept) => Str::Static(kept),
            None => {
                let kept: &'static str = Box::leak(s.into());
                texts.insert(kept);
                Str::Static(kept)
            }
        }
    }

    /// The string's text.
    pub fn as_str(&self) -> &str {
        match self {
            Str::Static(s) => s,
            Str::Owned(s) => s,
            Str::Shared(s) => s,
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
        a.len() == b.len() && (std::ptr::eq(a.as_ptr(), b.as_ptr()) || a == b)
    }
}

impl Eq for Str {}

impl PartialEq<str> for Str {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Str {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
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
    fn from(s: &'static str) -> Self {
        Str::Static(s)
    }
}

impl From<String> for Str {
    fn from(s: String) -> Self {
        Str::Owned(s.into_boxed_str())
    }
}

impl From<&String> for Str {
    fn from(s: &String) -> Self {
        Str::Owned(s.as_str().into())
    }
}

impl From<Box<str>> for Str {
    fn from(s: Box<str>) -> Self {
        Str::Owned(s)
    }
}

impl From<Arc<str>> for Str {
    fn from(s: Arc<str>) -> Self {
        Str::Shared(s)
    }
}

impl From<std::borrow::Cow<'static, str>> for Str {
    fn from(s: std::borrow::Cow<'static, str>) -> Self {
        match s {
            std::borrow::Cow::Borrowed(s) => Str::Static(s),
            std::borrow::Cow::Owned(s) => s.into(),
        }
    }
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
}
