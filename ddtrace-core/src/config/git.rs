//! The repository URL of source code integration (`DD_GIT_REPOSITORY_URL`) without the
//! credentials a CI checkout often carries in it, since it leaves the process on spans.

/// Removes the user information (`user:token@`) after each `http://`, `https://` or `ssh://`
/// in `url`, as the Python tracer does (`ddtrace.ext.ci._filter_sensitive_info`, the
/// substitution of `(https?://|ssh://)[^/]*@` by the scheme). Other forms, such as
/// `git@github.com:org/repo.git`, are kept as given.
///
/// ```
/// use ddtrace_core::config::strip_url_credentials;
///
/// assert_eq!(
///     strip_url_credentials("https://user:token@github.com/org/repo.git"),
///     "https://github.com/org/repo.git"
/// );
/// assert_eq!(
///     strip_url_credentials("git@github.com:org/repo.git"),
///     "git@github.com:org/repo.git"
/// );
/// ```
pub fn strip_url_credentials(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let mut rest = url;
    'scan: while let Some(c) = rest.chars().next() {
        for scheme in ["https://", "http://", "ssh://"] {
            if let Some(after) = rest.strip_prefix(scheme) {
                // The user information ends at the last `@` before the path's first `/`.
                let authority = &after[..after.find('/').unwrap_or(after.len())];
                if let Some(at) = authority.rfind('@') {
                    out.push_str(scheme);
                    rest = &after[at + 1..];
                    continue 'scan;
                }
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::strip_url_credentials;

    #[test]
    fn credentials_are_removed_from_http_and_ssh_urls_only() {
        for (given, expected) in [
            (
                "https://user:pw@github.com/a/b.git",
                "https://github.com/a/b.git",
            ),
            ("http://tok@host:8080/a", "http://host:8080/a"),
            ("ssh://git@github.com/a/b.git", "ssh://github.com/a/b.git"),
            ("https://a@b@host/x@y", "https://host/x@y"),
            ("https://github.com/a/b", "https://github.com/a/b"),
            ("git@github.com:a/b.git", "git@github.com:a/b.git"),
            ("github.com/a/b", "github.com/a/b"),
            ("", ""),
        ] {
            assert_eq!(strip_url_credentials(given), expected, "{given}");
        }
    }
}
