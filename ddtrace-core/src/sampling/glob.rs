//! The glob patterns of sampling rules: `*` for any run of characters, `?` for one character.

use std::fmt;

/// A case-insensitive glob pattern, as the Python tracer's `GlobMatcher` matches it.
///
/// `*` matches any run of characters (also none), `?` exactly one character; everything else is
/// literal: there are no brackets and no escapes. Pattern and subject are both lower-cased
/// before matching (Unicode-aware, so `ÉCOLE` matches `école`; `ß` does not become `ss`).
///
/// ```
/// use ddtrace_core::sampling::GlobMatcher;
///
/// let pattern = GlobMatcher::new("GET /health*");
/// assert!(pattern.matches("get /healthz"));
/// assert!(!pattern.matches("GET /users"));
/// assert!(GlobMatcher::new("5??").matches("503"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct GlobMatcher {
    /// The lower-cased pattern.
    pattern: String,
    /// The lower-cased pattern's characters, for subjects that are not ASCII.
    chars: Vec<char>,
    /// Only `*` and `?` (Python's `wildcards_only`; the empty pattern counts).
    wildcards_only: bool,
    /// Non-empty and only `*`: matches everything without looking.
    matches_all: bool,
    /// The pattern is ASCII: ASCII subjects can then be matched byte by byte.
    ascii: bool,
}

impl GlobMatcher {
    /// Compiles `pattern` (lower-casing it).
    pub fn new(pattern: &str) -> Self {
        let pattern = pattern.to_lowercase();
        let chars: Vec<char> = pattern.chars().collect();
        GlobMatcher {
            wildcards_only: chars.iter().all(|c| matches!(c, '*' | '?')),
            matches_all: !chars.is_empty() && chars.iter().all(|&c| c == '*'),
            ascii: pattern.is_ascii(),
            chars,
            pattern,
        }
    }

    /// The pattern, lower-cased.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Whether the pattern holds only `*` and `?` (such a pattern may match a non-integral
    /// numeric tag; see [`SamplingRule`](super::SamplingRule)).
    pub fn is_wildcards_only(&self) -> bool {
        self.wildcards_only
    }

    /// Whether `subject` matches, ignoring case.
    pub fn matches(&self, subject: &str) -> bool {
        if self.matches_all {
            return true;
        }
        if self.ascii && subject.is_ascii() {
            // The common case needs no allocation: ASCII lower-casing is per byte.
            return glob(
                self.pattern.as_bytes(),
                subject.as_bytes(),
                b'*',
                b'?',
                u8::to_ascii_lowercase,
            );
        }
        // Lower-casing may change the number of characters (`İ` becomes `i̇`), and `?` counts
        // characters of the lower-cased subject, as in Python.
        let subject: Vec<char> = subject.to_lowercase().chars().collect();
        glob(&self.chars, &subject, '*', '?', |c| *c)
    }
}

impl fmt::Debug for GlobMatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GlobMatcher({:?})", self.pattern)
    }
}

impl fmt::Display for GlobMatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.pattern)
    }
}

/// Backtracking glob match: remembers the last `*` and, on a mismatch, lets it swallow one more
/// subject character. Linear in practice, quadratic at worst; no recursion.
fn glob<T: Copy + PartialEq>(
    pattern: &[T],
    subject: &[T],
    star: T,
    any: T,
    lower: impl Fn(&T) -> T,
) -> bool {
    let (mut px, mut sx) = (0, 0);
    // Where to resume after the last `*`: pattern index of the `*`, and subject index + 1.
    let (mut star_px, mut star_sx) = (0, 0);
    while px < pattern.len() || sx < subject.len() {
        if let Some(&c) = pattern.get(px) {
            if c == any {
                if sx < subject.len() {
                    px += 1;
                    sx += 1;
                    continue;
                }
            } else if c == star {
                star_px = px;
                star_sx = sx + 1;
                px += 1;
                continue;
            } else if sx < subject.len() && lower(&subject[sx]) == c {
                px += 1;
                sx += 1;
                continue;
            }
        }
        if 0 < star_sx && star_sx <= subject.len() {
            px = star_px;
            sx = star_sx;
            continue;
        }
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(GlobMatcher::new("*").matches(""));
        assert!(GlobMatcher::new("").matches(""));
        assert!(!GlobMatcher::new("").matches("a"));
        assert!(!GlobMatcher::new("*?").matches(""));
        assert!(GlobMatcher::new("a*a").matches("aaa"));
        assert!(!GlobMatcher::new("a*a*a").matches("aa"));
        assert!(GlobMatcher::new("??*??").matches("abcd"));
        assert!(!GlobMatcher::new("*x").matches("xxxxy"));
    }

    #[test]
    fn no_brackets_or_escapes() {
        assert!(GlobMatcher::new("[ab]").matches("[AB]"));
        assert!(!GlobMatcher::new("[ab]").matches("a"));
        assert!(GlobMatcher::new("a\\*b").matches("a\\xb"));
    }

    #[test]
    fn case_and_unicode() {
        assert!(GlobMatcher::new("WEB").matches("web"));
        assert!(GlobMatcher::new("ÉCOLE").matches("école"));
        assert!(GlobMatcher::new("?").matches("🙂"));
        assert!(!GlobMatcher::new("straße").matches("STRASSE"));
        assert!(GlobMatcher::new("*").is_wildcards_only());
        assert!(!GlobMatcher::new("3*").is_wildcards_only());
    }
}
