//! [`QueryObfuscator`]: hides secrets in query strings before they reach `http.url`
//! (`DD_TRACE_OBFUSCATION_QUERY_STRING_REGEXP`).

use std::borrow::Cow;
use std::sync::{Arc, LazyLock, Mutex};

use regex::{NoExpand, Regex};

use crate::config::Config;

/// The Python tracer's default pattern (`DD_TRACE_OBFUSCATION_QUERY_STRING_REGEXP_DEFAULT` in
/// `ddtrace/internal/settings/_config.py`): passwords, keys, tokens, signatures, bearer
/// tokens, JWTs, private keys and SSH keys, in their plain and percent-encoded spellings.
pub const DEFAULT_QUERY_STRING_REGEXP: &str = r#"(?i)(?:(?:"|%22)?)(?:(?:old[-_]?|new[-_]?)?p(?:ass)?w(?:or)?d(?:1|2)?|pass(?:[-_]?phrase)?|secret|(?:api[-_]?|private[-_]?|public[-_]?|access[-_]?|secret[-_]?|app(?:lication)?[-_]?)key(?:[-_]?id)?|token|consumer[-_]?(?:id|key|secret)|sign(?:ed|ature)?|auth(?:entication|orization)?)(?:(?:\s|%20)*(?:=|%3D)[^&]+|(?:"|%22)(?:\s|%20)*(?::|%3A)(?:\s|%20)*(?:"|%22)(?:%2[^2]|%[^2]|[^"%])+(?:"|%22))|(?:bearer(?:\s|%20)+[a-z0-9._\-]+|token(?::|%3A)[a-z0-9]{13}|gh[opsu]_[0-9a-zA-Z]{36}|(^|[^\w%-]|%[0-9a-f]{2})ey[I-L][\w-]+(?:=|%3D)*\.ey[I-L][\w-]+(?:=|%3D)*(?:\.(?:[\w.+/=-]|%3D|%2F|%2B)+)?|-{5}BEGIN(?:[a-z\s]|%20)+PRIVATE(?:\s|%20)KEY-{5}[^\-]+-{5}END(?:[a-z\s]|%20)+PRIVATE(?:\s|%20)KEY(?:-{5})?(?:\n|%0A)?|(?:ssh-(?:rsa|dss)|ecdsa-[a-z0-9]+-[a-z0-9]+)(?:\s|%20|%09)+(?:[a-z0-9/.+]|%2F|%5C|%2B){100,}(?:=|%3D)*(?:(?:\s|%20|%09)+[a-z0-9._-]+)?)"#;

/// What replaces each match.
pub const REDACTED: &str = "<redacted>";

/// The compiled default pattern, shared by every obfuscator of the process.
static DEFAULT_REGEX: LazyLock<Option<Arc<Regex>>> =
    LazyLock::new(|| compile(DEFAULT_QUERY_STRING_REGEXP));

/// The last custom pattern compiled, so integrations built from the same configuration share
/// one compiled regex instead of compiling it again each.
static CUSTOM_REGEX: Mutex<Option<(String, Option<Arc<Regex>>)>> = Mutex::new(None);

fn compile(pattern: &str) -> Option<Arc<Regex>> {
    regex::RegexBuilder::new(pattern)
        // The default pattern unrolls `{100,}` over case-insensitive classes; give it room.
        .size_limit(64 << 20)
        .build()
        .map(Arc::new)
        .map_err(|e| {
            log::warn!(
                "DD_TRACE_OBFUSCATION_QUERY_STRING_REGEXP is not a valid pattern ({e}); query \
                 strings will not be reported"
            );
        })
        .ok()
}

#[derive(Debug, Clone)]
enum Mode {
    /// Replace the pattern's matches with `<redacted>`.
    Redact(Arc<Regex>),
    /// `DD_TRACE_OBFUSCATION_QUERY_STRING_REGEXP=""`: report query strings as they are.
    Keep,
    /// The configured pattern does not compile: report no query string at all, as the Python
    /// tracer does (it turns query-string tagging off rather than leak secrets).
    Drop,
}

/// Obfuscates query strings with `DD_TRACE_OBFUSCATION_QUERY_STRING_REGEXP`, as the Python
/// tracer does before setting `http.url`.
///
/// - unset: the default pattern ([`DEFAULT_QUERY_STRING_REGEXP`]), matches replaced with
///   `<redacted>`;
/// - empty: no obfuscation, query strings are reported as they are;
/// - a pattern that does not compile: query strings are not reported at all (logged once).
///
/// Only the query string is obfuscated, never the path. Build one when the integration is set
/// up (cheap to clone: the regex is compiled once and shared).
///
/// ```
/// use ddtrace_core::Config;
/// use ddtrace_core::integration::QueryObfuscator;
///
/// let obfuscator = QueryObfuscator::from_config(&Config::builder_without_env().build());
/// assert_eq!(obfuscator.obfuscate("user=1&password=hunter2&page=3"), "user=1&<redacted>&page=3");
/// assert_eq!(obfuscator.obfuscate("page=3"), "page=3");
/// ```
///
/// Differences from Python: the Python tracer matches the bytes of the query with ASCII
/// classes; here `\w` and `\s` also match non-ASCII letters and spaces (ASCII input is treated
/// the same).
#[derive(Debug, Clone)]
pub struct QueryObfuscator {
    mode: Mode,
}

impl Default for QueryObfuscator {
    /// The default pattern.
    fn default() -> Self {
        match DEFAULT_REGEX.as_ref() {
            Some(re) => QueryObfuscator {
                mode: Mode::Redact(re.clone()),
            },
            None => QueryObfuscator { mode: Mode::Drop },
        }
    }
}

impl QueryObfuscator {
    /// The obfuscator `config.obfuscation_query_string_regexp` describes.
    pub fn from_config(config: &Config) -> Self {
        match config.obfuscation_query_string_regexp.as_deref() {
            None => Self::default(),
            Some(p) if p == DEFAULT_QUERY_STRING_REGEXP => Self::default(),
            Some("") => QueryObfuscator { mode: Mode::Keep },
            Some(pattern) => Self::with_pattern(pattern),
        }
    }

    /// An obfuscator with `pattern` (empty: no obfuscation; invalid: query strings dropped).
    pub fn with_pattern(pattern: &str) -> Self {
        if pattern.is_empty() {
            return QueryObfuscator { mode: Mode::Keep };
        }
        let mut cache = CUSTOM_REGEX.lock().unwrap_or_else(|e| e.into_inner());
        let re = match &*cache {
            Some((p, re)) if p == pattern => re.clone(),
            _ => {
                let re = compile(pattern);
                *cache = Some((pattern.to_owned(), re.clone()));
                re
            }
        };
        QueryObfuscator {
            mode: re.map_or(Mode::Drop, Mode::Redact),
        }
    }

    /// An obfuscator that leaves query strings as they are.
    pub fn disabled() -> Self {
        QueryObfuscator { mode: Mode::Keep }
    }

    /// Whether query strings should be reported at all (false only when the configured pattern
    /// is invalid).
    pub fn reports_query(&self) -> bool {
        !matches!(self.mode, Mode::Drop)
    }

    /// `query` (without its `?`) with every match replaced by `<redacted>`; borrowed when
    /// nothing matched. Empty when query strings must not be reported (invalid pattern).
    pub fn obfuscate<'a>(&self, query: &'a str) -> Cow<'a, str> {
        match &self.mode {
            Mode::Redact(re) => re.replace_all(query, NoExpand(REDACTED)),
            Mode::Keep => Cow::Borrowed(query),
            Mode::Drop => Cow::Borrowed(""),
        }
    }

    /// The value of `http.url`: `base` (scheme, authority and path), then `?` and the obfuscated
    /// query when there is one to report.
    ///
    /// ```
    /// use ddtrace_core::integration::QueryObfuscator;
    ///
    /// let o = QueryObfuscator::default();
    /// assert_eq!(
    ///     o.url("http://shop/cart", Some("token=abc&id=2")),
    ///     "http://shop/cart?<redacted>&id=2"
    /// );
    /// assert_eq!(o.url("http://shop/cart", None), "http://shop/cart");
    /// ```
    pub fn url(&self, base: &str, query: Option<&str>) -> String {
        let query = query.map(|q| self.obfuscate(q)).filter(|q| !q.is_empty());
        match query {
            Some(q) => {
                let mut url = String::with_capacity(base.len() + 1 + q.len());
                url.push_str(base);
                url.push('?');
                url.push_str(&q);
                url
            }
            None => base.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default() -> QueryObfuscator {
        QueryObfuscator::default()
    }

    #[test]
    fn default_pattern_compiles() {
        assert!(DEFAULT_REGEX.is_some());
        assert!(default().reports_query());
    }

    #[test]
    fn redacts_key_value_pairs() {
        let o = default();
        for (input, expected) in [
            ("password=hunter2", "<redacted>"),
            ("a=1&pwd=x&b=2", "a=1&<redacted>&b=2"),
            ("api_key=abc&page=2", "<redacted>&page=2"),
            ("API-KEY=abc", "<redacted>"),
            ("application_key=123", "<redacted>"),
            ("access_token=abc", "access_<redacted>"),
            ("signature=zz&x=1", "<redacted>&x=1"),
            ("passphrase%3Dfoo", "<redacted>"),
            ("q=rust&sort=asc", "q=rust&sort=asc"),
            ("", ""),
        ] {
            assert_eq!(o.obfuscate(input), expected, "{input}");
        }
    }

    #[test]
    fn redacts_bearer_tokens_and_jwts() {
        let o = default();
        assert_eq!(o.obfuscate("h=bearer%20abc.def"), "h=<redacted>");
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig";
        assert_eq!(o.obfuscate(&format!("x={jwt}")), "x<redacted>");
        let gh = format!("ref=ghp_{}", "a".repeat(36));
        assert_eq!(o.obfuscate(&gh), "ref=<redacted>");
    }

    #[test]
    fn unmatched_queries_are_borrowed() {
        assert!(matches!(default().obfuscate("page=1"), Cow::Borrowed(_)));
    }

    #[test]
    fn empty_pattern_keeps_the_query() {
        let mut c = Config::builder_without_env().build();
        c.obfuscation_query_string_regexp = Some(String::new());
        let o = QueryObfuscator::from_config(&c);
        assert_eq!(o.obfuscate("password=1"), "password=1");
        assert_eq!(o.url("/a", Some("password=1")), "/a?password=1");
    }

    #[test]
    fn custom_pattern_is_used() {
        let mut c = Config::builder_without_env().build();
        c.obfuscation_query_string_regexp = Some("id=\\d+".to_owned());
        let o = QueryObfuscator::from_config(&c);
        assert_eq!(o.obfuscate("id=12&password=x"), "<redacted>&password=x");
    }

    #[test]
    fn invalid_pattern_drops_the_query() {
        let o = QueryObfuscator::with_pattern("(unclosed");
        assert!(!o.reports_query());
        assert_eq!(o.obfuscate("a=1"), "");
        assert_eq!(o.url("http://h/p", Some("a=1")), "http://h/p");
    }
}
