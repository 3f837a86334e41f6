//! The `tracecontext` style: W3C `traceparent` and `tracestate`, with Datadog's `dd=` member
//! (`s` priority, `o` origin, `p` last Datadog parent, `t.*` propagated tags).

use std::borrow::Cow;

use super::carrier::{Extractor, Injector};
use super::parse::{header, py_int, py_strip, report};
use crate::context::{
    LAST_PARENT_ID_KEY, SpanContext, TRACEPARENT_KEY, TRACESTATE_KEY, is_printable_ascii,
};
use crate::id::{SpanId, TraceId, push_hex16};
use crate::keys::{self, PROPAGATED_PREFIX};
use crate::sampling::SamplingPriority;

pub(crate) const TRACEPARENT: &str = "traceparent";
pub(crate) const TRACESTATE: &str = "tracestate";

/// W3C limits on `tracestate`: list members, bytes, and the size above which a member is the
/// first to go when trimming.
const MAX_MEMBERS: usize = 32;
const MAX_BYTES: usize = 512;
const MEMBER_MAX_CHARS: usize = 128;
/// The `dd=` member stays within 256 characters, counting the `dd=` and the `p:<16 hex>;` that
/// injection may add in front of it.
const DD_MEMBER_MAX_CHARS: usize = 256;
const DD_MEMBER_RESERVED: usize = "dd=".len() + "p:0123456789abcdef;".len();

/// Reads `traceparent` and `tracestate`. `None` when `traceparent` is missing or invalid (the
/// `tracestate` is then ignored too).
pub(crate) fn extract(carrier: &dyn Extractor) -> Option<SpanContext> {
    // Python strips the value before parsing it and keeps the stripped text as the tag, which
    // injection later reads at fixed offsets.
    let tp = py_strip(header(carrier, TRACEPARENT)?);
    let (trace_id, span_id, sampled) = match parse_traceparent(tp) {
        Ok(v) => v,
        Err(why) => {
            report(format_args!("invalid {TRACEPARENT} {tp:?}: {why}"));
            return None;
        }
    };
    let mut ctx = SpanContext::new(TraceId(trace_id), SpanId(span_id));
    ctx.set_root_tag(TRACEPARENT_KEY, tp);
    ctx.sampling_priority = Some(SamplingPriority(i8::from(sampled)));

    let Some(ts) = header(carrier, TRACESTATE).filter(|ts| !ts.is_empty()) else {
        return Some(ctx);
    };
    let members: Vec<&str> = ts
        .split(',')
        .map(py_strip)
        .filter(|m| !m.is_empty())
        .collect();
    let members = apply_limits(members);
    let ts = members.join(",");
    if ts.is_empty() {
        // Nothing left (a lone malformed `ot=`): Python keeps no tracestate either.
        return Some(ctx);
    }
    if !is_printable_ascii(&ts) {
        report(format_args!(
            "{TRACESTATE} {ts:?} holds characters outside printable ASCII; ignored"
        ));
        return Some(ctx);
    }
    // Other vendors' entries are kept for injection even when the `dd` member is unusable.
    ctx.set_root_tag(TRACESTATE_KEY, ts);
    let Some(dd) = members.iter().rev().find_map(|m| m.strip_prefix("dd=")) else {
        return Some(ctx);
    };
    let Some(dd) = parse_dd_member(dd) else {
        report(format_args!(
            "invalid dd member {dd:?} in {TRACESTATE}; ignored"
        ));
        return Some(ctx);
    };
    for (k, v) in &dd.tags {
        ctx.set_trace_tag(k.clone(), v.clone());
    }
    if let Some(p) = dd.last_parent.filter(|p| !p.is_empty()) {
        ctx.set_root_tag(LAST_PARENT_ID_KEY, p);
    }
    ctx.sampling_priority = reconcile_priority(sampled, dd.priority, dd.origin.as_deref());
    if let Some(origin) = dd.origin {
        ctx.set_origin(origin);
    }
    Some(ctx)
}

/// `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`, lowercase only; versions other than
/// `00` may carry more fields; `ff`, zero ids and anything else are refused.
fn parse_traceparent(raw: &str) -> Result<(u128, u64, bool), &'static str> {
    let tp = py_strip(raw);
    let mut parts = tp.splitn(5, '-');
    let (Some(version), Some(trace), Some(span), Some(flags)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("expected version-traceid-parentid-flags");
    };
    let future = parts.next();
    let lower_hex = |s: &str, n: usize| {
        s.len() == n && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    };
    if !(lower_hex(version, 2) && lower_hex(trace, 32) && lower_hex(span, 16)) {
        return Err("malformed (lowercase hex fields expected)");
    }
    if !lower_hex(flags, 2) {
        return Err("malformed trace flags");
    }
    if let Some(rest) = future
        && (rest.is_empty() || rest.contains('\n'))
    {
        return Err("malformed trailing fields");
    }
    match version {
        "ff" => return Err("version ff is invalid"),
        "00" if future.is_some() => return Err("version 00 has exactly four fields"),
        "00" => {}
        other => {
            log::debug!("ddtrace: traceparent version {other} is newer than 00; parsing it as 00")
        }
    }
    let parse_err = "malformed hex";
    let trace_id = u128::from_str_radix(trace, 16).map_err(|_| parse_err)?;
    let span_id = u64::from_str_radix(span, 16).map_err(|_| parse_err)?;
    let flags = u8::from_str_radix(flags, 16).map_err(|_| parse_err)?;
    if trace_id == 0 {
        return Err("trace id is zero");
    }
    if span_id == 0 {
        return Err("parent id is zero");
    }
    Ok((trace_id, span_id, flags & 1 == 1))
}

/// Keeps `tracestate` within the W3C limits as the Python tracer does: the last `dd=` member
/// and the last `ot=` member (OpenTelemetry's) always stay and go first, in that order; other
/// `dd=` and `ot=` members go; past 32 members or 512 bytes, members over 128 characters are
/// dropped first, then the tail. The `ot=` member kept is then cleaned (see [`ot_member`]).
fn apply_limits(members: Vec<&str>) -> Vec<Cow<'_, str>> {
    let dd = members.iter().rev().find(|m| m.starts_with("dd=")).copied();
    let ot = members.iter().rev().find(|m| m.starts_with("ot=")).copied();
    let protected: Vec<&str> = dd.into_iter().chain(ot).collect();
    let mut others: Vec<&str> = members
        .into_iter()
        .filter(|m| !m.starts_with("dd=") && !m.starts_with("ot="))
        .collect();
    trim_count(&mut others, MAX_MEMBERS - protected.len());
    let keep = protected.len();
    let mut items = protected;
    items.extend(others);
    pack_bytes(items, keep)
        .into_iter()
        .filter_map(|m| match m.strip_prefix("ot=") {
            Some(value) => ot_member(value).map(|v| Cow::Owned(format!("ot={v}"))),
            None => Some(Cow::Borrowed(m)),
        })
        .collect()
}

/// The `ot=` member's value as the Python tracer keeps it: `;`-separated `key:value` entries,
/// empty ones dropped; for `rv` (14 lowercase hex digits) and `th` (1 to 14) the last one
/// counts and is dropped if malformed; the result is `rv`, then `th`, then the other entries
/// as received. `None` (the member goes) when nothing is left.
fn ot_member(value: &str) -> Option<String> {
    let lower_hex = |v: &str, range: std::ops::RangeInclusive<usize>| {
        range.contains(&v.len()) && v.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    };
    let mut rv = None;
    let mut th = None;
    let mut rest = Vec::new();
    for entry in value.split(';').filter(|e| !e.is_empty()) {
        if let Some(v) = entry.strip_prefix("rv:") {
            rv = Some(v);
        } else if let Some(v) = entry.strip_prefix("th:") {
            th = Some(v);
        } else {
            rest.push(entry);
        }
    }
    let rv = rv
        .filter(|v| lower_hex(v, 14..=14))
        .map(|v| format!("rv:{v}"));
    let th = th
        .filter(|v| lower_hex(v, 1..=14))
        .map(|v| format!("th:{v}"));
    let entries: Vec<String> = rv
        .into_iter()
        .chain(th)
        .chain(rest.into_iter().map(str::to_owned))
        .collect();
    (!entries.is_empty()).then(|| entries.join(";"))
}

fn trim_count(items: &mut Vec<&str>, max: usize) {
    if items.len() <= max {
        return;
    }
    let mut excess = items.len() - max;
    items.retain(|m| {
        if excess > 0 && m.chars().count() > MEMBER_MAX_CHARS {
            excess -= 1;
            false
        } else {
            true
        }
    });
    items.truncate(max);
}

/// Keeps members within 512 bytes; the first `keep` (the protected `dd=` and `ot=`) always
/// stay.
fn pack_bytes(members: Vec<&str>, keep: usize) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::with_capacity(members.len());
    let mut total = 0;
    for (i, m) in members.into_iter().enumerate() {
        let len = m.len() + usize::from(!out.is_empty());
        if i < keep || total + len <= MAX_BYTES {
            out.push(m);
            total += len;
        } else if m.chars().count() > MEMBER_MAX_CHARS {
            continue;
        } else {
            break;
        }
    }
    out
}

struct DdMember {
    priority: Option<i64>,
    origin: Option<String>,
    last_parent: Option<String>,
    tags: Vec<(String, String)>,
}

/// Parses the `dd=` member's `key:value;...` list; `None` when an entry has no `:` or `s` is
/// not an integer (the whole member is then ignored, as in the Python tracer).
fn parse_dd_member(dd: &str) -> Option<DdMember> {
    let mut entries: Vec<(&str, &str)> = Vec::new();
    for item in dd.split(';') {
        let (k, v) = item.split_once(':')?;
        match entries.iter_mut().find(|(key, _)| *key == k) {
            Some(slot) => slot.1 = v,
            None => entries.push((k, v)),
        }
    }
    let get = |key: &str| entries.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
    let priority = match get("s") {
        None => None,
        Some(s) => {
            let p = py_int(s, 10)?;
            let m = i64::try_from(p.magnitude.unwrap_or(u128::MAX)).unwrap_or(i64::MAX);
            Some(if p.negative { -m } else { m })
        }
    };
    let origin = get("o").filter(|o| !o.is_empty()).map(decode_value);
    let last_parent = get("p").map(str::to_owned);
    let tags = entries
        .iter()
        .filter_map(|(k, v)| {
            let name = k.strip_prefix("t.")?;
            let mut key = String::with_capacity(PROPAGATED_PREFIX.len() + name.len());
            key.push_str(PROPAGATED_PREFIX);
            key.push_str(name);
            Some((key, decode_value(v)))
        })
        .collect();
    Some(DdMember {
        priority,
        origin,
        last_parent,
        tags,
    })
}

/// `=` travels as `~` in tracestate values.
fn decode_value(v: &str) -> String {
    if v.contains('~') {
        v.replace('~', "=")
    } else {
        v.to_owned()
    }
}

/// The sampled flag and the `s` entry can disagree; the flag wins unless `s` says the same
/// thing more precisely. An origin `rum` without `s` defers the decision (no priority).
fn reconcile_priority(
    sampled: bool,
    s: Option<i64>,
    origin: Option<&str>,
) -> Option<SamplingPriority> {
    // Python tests `not s`, which is also true for `s:0`.
    let s_unset = s.is_none_or(|s| s == 0);
    let rum_without_priority = s_unset && origin == Some("rum");
    let to_priority = |v: i64| SamplingPriority(v.clamp(i8::MIN.into(), i8::MAX.into()) as i8);
    if !rum_without_priority && !sampled && (s_unset || s.is_some_and(|s| s >= 0)) {
        Some(SamplingPriority::AUTO_REJECT)
    } else if !rum_without_priority && sampled && (s_unset || s.is_some_and(|s| s < 0)) {
        Some(SamplingPriority::AUTO_KEEP)
    } else {
        s.map(to_priority)
    }
}

/// Writes `traceparent` and `tracestate`. `local` is true for a live span's context: its own
/// id is then the `p` (last Datadog parent) downstream sees; for a remote context, the
/// `_dd.parent_id` it was received with is passed on.
pub(crate) fn inject(ctx: &SpanContext, carrier: &mut dyn Injector, local: bool) {
    let sampled = ctx.sampling_priority.is_some_and(|p| p.is_keep());
    let mut traceparent = String::with_capacity(55);
    traceparent.push_str("00-");
    // The incoming traceparent's trace-id text is reused as is, as the Python tracer does.
    match ctx
        .root_tag(TRACEPARENT_KEY)
        .and_then(|tp| tp.split('-').nth(1))
    {
        Some(received) => traceparent.push_str(received),
        None => {
            push_hex16(&mut traceparent, ctx.trace_id.high());
            push_hex16(&mut traceparent, ctx.trace_id.low());
        }
    }
    traceparent.push('-');
    push_hex16(&mut traceparent, ctx.span_id.0);
    traceparent.push_str(if sampled { "-01" } else { "-00" });
    // Up to 128 bits: Python's `int(_dd.parent_id, 16)` keeps a parent id of 2^64 and above
    // (received in `x-datadog-parent-id`) and prints all its hex digits.
    let parent = if local {
        Some(u128::from(ctx.span_id.0))
    } else {
        ctx.root_tag(LAST_PARENT_ID_KEY)
            .and_then(|p| py_int(p, 16))
            .filter(|p| !p.negative)
            .and_then(|p| p.magnitude)
    };
    carrier.set(TRACEPARENT, traceparent);
    carrier.set(TRACESTATE, tracestate(ctx, parent));
}

/// The `tracestate` header: the `dd=` member (with the last parent first, `p:`) and the other
/// vendors' members the context was received with.
fn tracestate(ctx: &SpanContext, parent: Option<u128>) -> String {
    let dd = dd_member(ctx);
    let ts = ctx.tracestate().unwrap_or("");
    let joined = if dd.is_empty() {
        ts.to_owned()
    } else {
        let others = remove_dd_members(ts);
        // `add_last_parent` rewrites every `dd=`, as the Python tracer's text replacement does.
        // With none left in the other members, that is only the one written first: the usual
        // case is written in one pass.
        if !others.contains("dd=") {
            let mut out = String::with_capacity(24 + dd.len() + 1 + others.len());
            out.push_str("dd=");
            if let Some(p) = parent {
                out.push_str("p:");
                match u64::try_from(p) {
                    Ok(p) => push_hex16(&mut out, p),
                    Err(_) => out.push_str(&format!("{p:016x}")),
                }
                out.push(';');
            }
            out.push_str(&dd);
            if !others.is_empty() {
                out.push(',');
                out.push_str(&others);
            }
            return out;
        }
        format!("dd={dd},{others}")
    };
    match parent {
        Some(p) => add_last_parent(&joined, p),
        None => joined,
    }
}

/// The `dd=` member's value: `s`, `o`, `t.dm`, `t.usr.id`, then the other `_dd.p.*` tags while
/// the member stays within its size limit. Written into one buffer: this runs on every
/// outgoing request.
fn dd_member(ctx: &SpanContext) -> String {
    fn separate(out: &mut String) {
        if !out.is_empty() {
            out.push(';');
        }
    }
    let mut out = String::with_capacity(64);
    if let Some(p) = ctx.sampling_priority {
        out.push_str("s:");
        match u8::try_from(p.0) {
            Ok(d @ 0..=9) => out.push(char::from(b'0' + d)),
            _ => out.push_str(&p.0.to_string()),
        }
    }
    if let Some(origin) = ctx.origin.as_deref().filter(|o| !o.is_empty()) {
        separate(&mut out);
        out.push_str("o:");
        encode_value(origin, &mut out);
    }
    for (key, short) in [
        (keys::DECISION_MAKER, "t.dm:"),
        (keys::USER_ID, "t.usr.id:"),
    ] {
        if let Some(v) = ctx.trace_tag(key).filter(|v| !v.is_empty()) {
            separate(&mut out);
            out.push_str(short);
            encode_value(v, &mut out);
        }
    }
    let mut entry = String::new();
    for (k, v) in &ctx.trace_tags {
        if !k.starts_with(PROPAGATED_PREFIX) || k == keys::DECISION_MAKER || k == keys::USER_ID {
            continue;
        }
        entry.clear();
        // Every `_dd.p.` in the key becomes `t.` (a plain text replacement in Python); usually
        // there is only the leading one.
        let rest = &k[PROPAGATED_PREFIX.len()..];
        if rest.contains(PROPAGATED_PREFIX) {
            encode_key(&k.replace(PROPAGATED_PREFIX, "t."), &mut entry);
        } else {
            entry.push_str("t.");
            encode_key(rest, &mut entry);
        }
        entry.push(':');
        encode_value(v, &mut entry);
        let added = entry.len() + usize::from(!out.is_empty());
        if DD_MEMBER_RESERVED + out.len() + added > DD_MEMBER_MAX_CHARS {
            log::debug!("ddtrace: tracestate dd member full; {k} not propagated in it");
            continue;
        }
        separate(&mut out);
        out.push_str(&entry);
    }
    out
}

/// Keys: `,`, space, `=` and runs of characters outside 0x20–0x7E become `_`.
fn encode_key(k: &str, out: &mut String) {
    encode(k, out, |c| match c {
        ',' | ' ' | '=' => '_',
        c => c,
    })
}

/// Values: `,`, `;`, `~` and runs of characters outside 0x20–0x7E become `_`; `=` becomes `~`.
fn encode_value(v: &str, out: &mut String) {
    encode(v, out, |c| match c {
        ',' | ';' | '~' => '_',
        '=' => '~',
        c => c,
    })
}

fn encode(s: &str, out: &mut String, map: impl Fn(char) -> char) {
    let mut in_run = false;
    for c in s.chars() {
        if matches!(c, ' '..='~') {
            in_run = false;
            out.push(map(c));
        } else if !in_run {
            in_run = true;
            out.push('_');
        }
    }
}

/// Removes every `dd=...` member, matching the Python tracer's `dd=(.+?)(?:,|$)`: from each
/// `dd=` (anywhere, not only at a member's start) through the next comma (or the end).
fn remove_dd_members(ts: &str) -> String {
    let mut out = String::with_capacity(ts.len());
    let mut rest = ts;
    while let Some(pos) = rest.find("dd=") {
        let after = &rest[pos + 3..];
        // `.+?` needs at least one character before the comma, and does not cross a newline.
        let mut chars = after.char_indices();
        let end = match chars.next() {
            Some((_, '\n')) | None => None,
            Some((_, first)) => {
                let from = first.len_utf8();
                let tail = &after[from..];
                match tail.find([',', '\n']) {
                    Some(i) if tail.as_bytes()[i] == b',' => Some(from + i + 1),
                    Some(_) => None,
                    None => Some(after.len()),
                }
            }
        };
        match end {
            Some(end) => {
                out.push_str(&rest[..pos]);
                rest = &after[end..];
            }
            None => {
                out.push_str(&rest[..pos + 3]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Puts `p:<16 hex>` at the front of the `dd=` member (every `dd=` occurrence, as the Python
/// tracer's text replacement does), or adds a `dd=` member holding only it.
fn add_last_parent(ts: &str, parent: u128) -> String {
    let p = format!("p:{parent:016x}");
    if ts.contains("dd=") {
        ts.replace("dd=", &format!("dd={p};"))
    } else if ts.is_empty() {
        format!("dd={p}")
    } else {
        format!("dd={p},{ts}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ot_member_like_python() {
        // ddtrace 4.16.0: `ot=<value>` in an incoming tracestate becomes `ot=<result>`.
        assert_eq!(ot_member("th:8;rv:abc").as_deref(), Some("th:8"));
        assert_eq!(
            ot_member("a:1;th:8;b:2;rv:00000000000000").as_deref(),
            Some("rv:00000000000000;th:8;a:1;b:2")
        );
        assert_eq!(ot_member("th:8;rv:zz;th:9").as_deref(), Some("th:9"));
        assert_eq!(ot_member("th:8;th:zz"), None);
        assert_eq!(ot_member("x:1;;x:1").as_deref(), Some("x:1;x:1"));
        assert_eq!(ot_member(""), None);
    }

    #[test]
    fn traceparent_validation() {
        let ok = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        assert!(parse_traceparent(ok).is_ok());
        assert!(parse_traceparent(&format!(" {ok} ")).is_ok());
        assert!(parse_traceparent(&format!("{ok}-x")).is_err());
        assert!(
            parse_traceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x").is_ok()
        );
        assert!(
            parse_traceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-").is_err()
        );
        assert!(
            parse_traceparent("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").is_err()
        );
        assert!(
            parse_traceparent("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01").is_err()
        );
        assert!(parse_traceparent("garbage").is_err());
    }

    #[test]
    fn dd_member_removal_follows_the_python_regex() {
        assert_eq!(remove_dd_members("dd=s:1,foo=bar"), "foo=bar");
        assert_eq!(remove_dd_members("foo=bar,dd=s:1"), "foo=bar,");
        assert_eq!(remove_dd_members("a=1,dd=s:1,b=2"), "a=1,b=2");
        assert_eq!(remove_dd_members("dd="), "dd=");
        assert_eq!(remove_dd_members("dd=,x"), "");
    }

    #[test]
    fn encoding() {
        let enc = |f: fn(&str, &mut String), s: &str| {
            let mut out = String::new();
            f(s, &mut out);
            out
        };
        assert_eq!(enc(encode_value, "a;b,c~d=e"), "a_b_c_d~e");
        assert_eq!(enc(encode_value, "caf\u{e9}\u{e9}!"), "caf_!");
        assert_eq!(enc(encode_key, "t.a b=c"), "t.a_b_c");
    }

    #[test]
    fn priority_reconciliation() {
        let p = |sampled, s, o| reconcile_priority(sampled, s, o).map(|p| p.0);
        assert_eq!(p(true, None, None), Some(1));
        assert_eq!(p(true, Some(-1), None), Some(1));
        assert_eq!(p(true, Some(2), None), Some(2));
        assert_eq!(p(false, Some(2), None), Some(0));
        assert_eq!(p(false, Some(-1), None), Some(-1));
        assert_eq!(p(true, None, Some("rum")), None);
    }
}
