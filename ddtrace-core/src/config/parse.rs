//! Parsers for `DD_*` values, following the Python tracer's rules.

use std::time::Duration;

/// Python's `asbool`: true only for `true` or `1`, case-insensitively; anything else is false.
pub fn parse_bool(raw: &str) -> bool {
    let v = raw.trim();
    v.eq_ignore_ascii_case("true") || v == "1"
}

/// A tag list (`DD_TAGS`): comma-separated if the text has a comma, else whitespace-separated;
/// each item split on its first `:`; an item without `:` is a key with an empty value; keys and
/// values are trimmed; empty keys are skipped.
pub fn parse_tags(raw: &str) -> Vec<(String, String)> {
    let items: Vec<&str> = if raw.contains(',') {
        raw.split(',').collect()
    } else {
        raw.split_whitespace().collect()
    };
    items
        .into_iter()
        .filter_map(|item| {
            let (k, v) = item.split_once(':').unwrap_or((item, ""));
            let (k, v) = (k.trim(), v.trim());
            (!k.is_empty()).then(|| (k.to_owned(), v.to_owned()))
        })
        .collect()
}

/// A comma-separated list with empty items removed and items trimmed.
pub fn parse_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A non-negative number of seconds (`2.0`, `0.5`, `3`).
pub fn parse_seconds(raw: &str) -> Option<Duration> {
    let v: f64 = raw.trim().parse().ok()?;
    // Negative, NaN, infinite and too large (`1e20`) values are refused, never a panic.
    Duration::try_from_secs_f64(v).ok()
}

/// HTTP status ranges such as `500-599,404`; pieces that do not parse are returned as errors.
pub fn parse_status_ranges(raw: &str) -> (Vec<(u16, u16)>, Vec<String>) {
    let mut ranges = Vec::new();
    let mut bad = Vec::new();
    for piece in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let parsed = match piece.split_once('-') {
            Some((a, b)) => a.trim().parse().ok().zip(b.trim().parse().ok()),
            None => piece.parse().ok().map(|v| (v, v)),
        };
        match parsed {
            Some((lo, hi)) if lo <= hi && (100..=599).contains(&lo) && hi <= 599 => {
                ranges.push((lo, hi))
            }
            _ => bad.push(piece.to_owned()),
        }
    }
    (ranges, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_accept_only_true_and_one() {
        assert!(parse_bool("true"));
        assert!(parse_bool("TRUE"));
        assert!(parse_bool("1"));
        assert!(!parse_bool("yes"));
        assert!(!parse_bool("on"));
        assert!(!parse_bool(""));
    }

    #[test]
    fn tag_lists_split_like_python() {
        assert_eq!(
            parse_tags("a:1, b:2:3 ,c,:x"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "2:3".into()),
                ("c".into(), "".into())
            ]
        );
        assert_eq!(
            parse_tags("a:1 b:2"),
            vec![("a".into(), "1".into()), ("b".into(), "2".into())]
        );
    }

    #[test]
    fn status_ranges_skip_bad_pieces() {
        let (r, bad) = parse_status_ranges("500-599, 404,abc,600");
        assert_eq!(r, vec![(500, 599), (404, 404)]);
        assert_eq!(bad, vec!["abc".to_owned(), "600".to_owned()]);
    }

    #[test]
    fn seconds_reject_negatives_and_text() {
        assert_eq!(parse_seconds("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_seconds("-1"), None);
        assert_eq!(parse_seconds("zz"), None);
    }
}
