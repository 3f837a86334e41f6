//! The `baggage` style: the W3C `baggage` header (`k=v,k=v`, percent-encoded), and the legacy
//! `ot-baggage-*` headers.

use super::carrier::{Extractor, Injector};
use super::parse::{header, py_strip, report};

pub(crate) const BAGGAGE: &str = "baggage";
pub(crate) const OT_PREFIX: &str = "ot-baggage-";
const OT_PREFIX_WSGI: &str = "http_ot_baggage_";

/// At most this many items are read or written.
pub(crate) const MAX_ITEMS: usize = 64;
/// At most this many bytes (commas included) are read or written.
pub(crate) const MAX_BYTES: usize = 8192;

/// Characters left as they are in keys (everything else is percent-encoded).
fn is_key_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Characters left as they are in values.
fn is_value_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'()*+-./:<>?@[]^_`{|}~".contains(&b)
}

fn percent_encode(s: &str, safe: fn(u8) -> bool, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        if safe(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
}

/// Decodes `%XX` escapes; a `%` not followed by two hex digits is kept as is, and bytes that
/// are not UTF-8 become U+FFFD (Python's `unquote`).
fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
            && hex.bytes().all(|c| c.is_ascii_hexdigit())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads the `baggage` header. A member without `=`, or with an empty key or value, makes the
/// whole header invalid (no baggage at all); items past the count or byte limits are dropped.
pub(crate) fn extract(carrier: &dyn Extractor) -> Vec<(String, String)> {
    let Some(value) = header(carrier, BAGGAGE).filter(|v| !v.is_empty()) else {
        return Vec::new();
    };
    let mut items: Vec<(String, String)> = Vec::new();
    let mut total = 0;
    for (i, member) in value.split(',').enumerate() {
        if i >= MAX_ITEMS {
            report(format_args!(
                "{BAGGAGE} header has more than {MAX_ITEMS} items; the rest dropped"
            ));
            break;
        }
        let Some((key, val)) = member.split_once('=') else {
            report(format_args!(
                "malformed {BAGGAGE} header {value:?}; ignored"
            ));
            return Vec::new();
        };
        let size = member.len() + usize::from(!items.is_empty());
        if total + size > MAX_BYTES {
            report(format_args!(
                "{BAGGAGE} header longer than {MAX_BYTES} bytes; the rest dropped"
            ));
            break;
        }
        let key = percent_decode(py_strip(key));
        let val = percent_decode(py_strip(val));
        if key.is_empty() || val.is_empty() {
            report(format_args!(
                "malformed {BAGGAGE} header {value:?}; ignored"
            ));
            return Vec::new();
        }
        match items.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = val,
            None => items.push((key, val)),
        }
        total += size;
    }
    items
}

/// The `ot-baggage-<key>` headers, as baggage items.
pub(crate) fn extract_ot(carrier: &dyn Extractor) -> Vec<(String, String)> {
    let mut items = Vec::new();
    for name in carrier.keys() {
        let lower = name.to_ascii_lowercase();
        let key = [OT_PREFIX, OT_PREFIX_WSGI]
            .iter()
            .find_map(|p| lower.strip_prefix(p));
        if let (Some(key), Some(value)) = (key, carrier.get(name)) {
            items.push((key.to_owned(), value.to_owned()));
        }
    }
    items
}

/// Writes the `baggage` header: at most 64 items, stopping at the first item that would take
/// the header past 8192 bytes.
pub(crate) fn inject(baggage: &[(String, String)], carrier: &mut dyn Injector) {
    if baggage.is_empty() {
        return;
    }
    if baggage.len() > MAX_ITEMS {
        report(format_args!(
            "more than {MAX_ITEMS} baggage items; the rest not sent"
        ));
    }
    let mut header = String::new();
    let mut item = String::new();
    for (key, value) in baggage.iter().take(MAX_ITEMS) {
        item.clear();
        percent_encode(py_strip(key), is_key_safe, &mut item);
        item.push('=');
        percent_encode(py_strip(value), is_value_safe, &mut item);
        let size = item.len() + usize::from(!header.is_empty());
        if header.len() + size > MAX_BYTES {
            report(format_args!(
                "baggage longer than {MAX_BYTES} bytes; the rest not sent"
            ));
            break;
        }
        if !header.is_empty() {
            header.push(',');
        }
        header.push_str(&item);
    }
    carrier.set(BAGGAGE, header);
}

/// Writes each baggage item as an `ot-baggage-<key>` header.
pub(crate) fn inject_ot(baggage: &[(String, String)], carrier: &mut dyn Injector) {
    for (key, value) in baggage {
        carrier.set(&format!("{OT_PREFIX}{key}"), value.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_coding() {
        let mut s = String::new();
        percent_encode("key two", is_key_safe, &mut s);
        assert_eq!(s, "key%20two");
        s.clear();
        percent_encode("val,ue=3\u{1f600}", is_value_safe, &mut s);
        assert_eq!(s, "val%2Cue%3D3%F0%9F%98%80");
        assert_eq!(percent_decode("a%20b%zz%4"), "a b%zz%4");
        assert_eq!(percent_decode("%F0%9F%98%80"), "\u{1f600}");
        assert_eq!(percent_decode("%FF"), "\u{fffd}");
    }
}
