//! What a span says about the commands it covers: `redis.raw_command`, the resource,
//! `redis.args_length` / `redis.pipeline_length` and which commands report `db.row_count`.
//!
//! The text follows the Python tracer's `stringify_cache_args`
//! (`ddtrace/internal/utils/formats.py`): arguments joined by spaces, each cut at 100
//! characters plus `...`, the whole cut at `DD_REDIS_CMD_MAX_LENGTH` plus `...`. By default the
//! values are first replaced with `?` ([`obfuscate`](crate::obfuscate), the agent's rules),
//! where the Python tracer sends them and leaves that to the agent;
//! `DD_REDIS_RAW_COMMAND_OBFUSCATION_ENABLED=false` sends them as the Python tracer does.

use std::fmt::Write as _;

use redis::{Arg, Cmd, Pipeline, Value};

use crate::resp;

/// An argument longer than this many characters is cut (`VALUE_MAX_LEN`).
pub(crate) const VALUE_MAX_LEN: usize = 100;
/// Appended where text was cut (`VALUE_TOO_LONG_MARK`).
const TOO_LONG_MARK: &str = "...";

/// The commands whose spans get `db.row_count` (`ROW_RETURNING_COMMANDS` in the Python
/// tracer's `redis_utils.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowCount {
    /// Not a row-returning command: no `db.row_count`.
    None,
    /// One key: 1 unless the reply is empty.
    Single,
    /// `MGET`: the non-empty replies.
    Mget,
    /// `HMGET`: 1 if any reply is non-empty.
    Hmget,
}

const SINGLE_KEY_COMMANDS: [&str; 15] = [
    "GET",
    "GETDEL",
    "GETEX",
    "GETRANGE",
    "GETSET",
    "LINDEX",
    "LRANGE",
    "RPOP",
    "LPOP",
    "HGET",
    "HGETALL",
    "HKEYS",
    "HMGET",
    "HRANDFIELD",
    "HVALS",
];

impl RowCount {
    fn of(name: &[u8]) -> RowCount {
        // The Python tracer compares the upper-case names redis-py sends; redis-rs users may
        // write `cmd("get")`, which the server takes the same way.
        if name.eq_ignore_ascii_case(b"MGET") {
            RowCount::Mget
        } else if name.eq_ignore_ascii_case(b"HMGET") {
            RowCount::Hmget
        } else if SINGLE_KEY_COMMANDS
            .iter()
            .any(|c| name.eq_ignore_ascii_case(c.as_bytes()))
        {
            RowCount::Single
        } else {
            RowCount::None
        }
    }

    /// The row count of a successful reply (`determine_row_count`); `None` when the command
    /// reports none.
    pub(crate) fn count(self, reply: &Value) -> Option<i64> {
        let n = match self {
            RowCount::None => return None,
            _ if is_empty(reply) => 0,
            RowCount::Single => 1,
            RowCount::Mget => match reply {
                Value::Array(items) => items.iter().filter(|v| !is_empty(v)).count() as i64,
                _ => 1,
            },
            RowCount::Hmget => match reply {
                Value::Array(items) => i64::from(items.iter().any(|v| !is_empty(v))),
                _ => 1,
            },
        };
        Some(n)
    }
}

/// Python's "empty result": `None`, `b""`, `[]` or `{}`.
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Nil => true,
        Value::BulkString(b) => b.is_empty(),
        Value::Array(items) | Value::Set(items) => items.is_empty(),
        Value::Map(items) => items.is_empty(),
        _ => false,
    }
}

/// How commands are written: the settings of [`RedisConfig`](crate::RedisConfig) that shape
/// the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Format {
    /// `DD_REDIS_CMD_MAX_LENGTH`.
    pub(crate) max_len: usize,
    /// `DD_REDIS_RESOURCE_ONLY_COMMAND`.
    pub(crate) resource_only: bool,
    /// `DD_REDIS_RAW_COMMAND_OBFUSCATION_ENABLED`.
    pub(crate) obfuscate: bool,
}

/// The description of one command or one pipeline, made before it is sent.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Operation {
    /// `redis.raw_command`.
    pub(crate) raw: String,
    /// The span's resource.
    pub(crate) resource: String,
    /// `redis.args_length` or `redis.pipeline_length`.
    pub(crate) length: Length,
    /// How `db.row_count` is computed.
    pub(crate) row_count: RowCount,
}

/// Which length metric a span carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Length {
    /// `redis.args_length`: the arguments of one command, its name included.
    Args(usize),
    /// `redis.pipeline_length`: the commands of a pipeline (MULTI/EXEC not counted).
    Pipeline(usize),
}

impl Operation {
    /// One command from its arguments (the command name first).
    pub(crate) fn command<'a>(
        args: impl ExactSizeIterator<Item = &'a [u8]>,
        f: Format,
    ) -> Operation {
        let count = args.len();
        let mut raw = String::new();
        let mut first = None;
        stringify(args, f, &mut raw, &mut first);
        let resource = if f.resource_only {
            first_word(&raw).to_owned()
        } else {
            raw.clone()
        };
        Operation {
            raw,
            resource,
            length: Length::Args(count),
            row_count: first.map_or(RowCount::None, RowCount::of),
        }
    }

    /// One command from a redis-rs [`Cmd`].
    pub(crate) fn from_cmd(cmd: &Cmd, f: Format) -> Operation {
        if cmd.in_scan_mode() {
            // The cursor's value is only known once packed.
            let packed = cmd.get_packed_command();
            if let Some(mut cmds) = resp::parse_commands(&packed)
                && cmds.len() == 1
            {
                let args = cmds.remove(0);
                return Operation::command(args.into_iter(), f);
            }
        }
        Operation::command(cmd_args(cmd), f)
    }

    /// A pipeline from its commands' arguments: the commands' texts joined by newlines.
    pub(crate) fn pipeline<'c, I>(commands: impl Iterator<Item = I>, f: Format) -> Operation
    where
        I: Iterator<Item = &'c [u8]>,
    {
        let mut raw = String::new();
        let mut resource = String::new();
        let mut count = 0;
        for args in commands {
            if count > 0 {
                raw.push('\n');
                resource.push('\n');
            }
            let start = raw.len();
            let mut first = None;
            stringify(args, f, &mut raw, &mut first);
            if f.resource_only {
                resource.push_str(first_word(&raw[start..]));
            }
            count += 1;
        }
        if !f.resource_only {
            resource.clone_from(&raw);
        }
        Operation {
            raw,
            resource,
            length: Length::Pipeline(count),
            row_count: RowCount::None,
        }
    }

    /// A pipeline from a redis-rs [`Pipeline`] (MULTI and EXEC are not among its commands).
    pub(crate) fn from_pipeline(pipeline: &Pipeline, f: Format) -> Operation {
        Operation::from_cmds(pipeline.cmd_iter(), f)
    }

    /// A pipeline from its commands.
    pub(crate) fn from_cmds<'c>(cmds: impl Iterator<Item = &'c Cmd>, f: Format) -> Operation {
        Operation::pipeline(cmds.map(cmd_args), f)
    }

    /// A command from its packed (RESP) bytes; a placeholder when they do not parse.
    pub(crate) fn from_packed(packed: &[u8], f: Format) -> Operation {
        match resp::parse_commands(packed) {
            Some(cmds) if cmds.len() == 1 => {
                let args = cmds.into_iter().next().unwrap_or_default();
                Operation::command(args.into_iter(), f)
            }
            Some(cmds) => Operation::pipeline(cmds.into_iter().map(|c| c.into_iter()), f),
            None => Operation::unparsed(Length::Args(0)),
        }
    }

    /// A pipeline from its packed bytes. `transaction` drops the MULTI and EXEC that wrap an
    /// atomic pipeline, as the Python tracer counts only the queued commands.
    pub(crate) fn from_packed_pipeline(packed: &[u8], transaction: bool, f: Format) -> Operation {
        let Some(mut cmds) = resp::parse_commands(packed) else {
            return Operation::unparsed(Length::Pipeline(0));
        };
        if transaction
            && cmds.len() >= 2
            && is_named(&cmds[0], b"MULTI")
            && is_named(&cmds[cmds.len() - 1], b"EXEC")
        {
            cmds.pop();
            cmds.remove(0);
        }
        Operation::pipeline(cmds.into_iter().map(|c| c.into_iter()), f)
    }

    fn unparsed(length: Length) -> Operation {
        Operation {
            raw: String::new(),
            resource: "?".to_owned(),
            length,
            row_count: RowCount::None,
        }
    }
}

/// A command's arguments; a cursor (known only once packed) shows as `?`.
fn cmd_args(cmd: &Cmd) -> impl ExactSizeIterator<Item = &[u8]> {
    cmd.args_iter().map(|a| match a {
        Arg::Simple(bytes) => bytes,
        _ => b"?".as_slice(),
    })
}

fn is_named(args: &[&[u8]], name: &[u8]) -> bool {
    args.first().is_some_and(|a| a.eq_ignore_ascii_case(name))
}

/// `query.split(" ")[0]`.
fn first_word(s: &str) -> &str {
    s.split(' ').next().unwrap_or_default()
}

/// Appends the command's text to `out`, its values hidden when `f.obfuscate`; `first`
/// receives the first argument's bytes (the command name, never hidden).
fn stringify<'a>(
    args: impl Iterator<Item = &'a [u8]>,
    f: Format,
    out: &mut String,
    first: &mut Option<&'a [u8]>,
) {
    if f.obfuscate {
        let mut args: Vec<&'a [u8]> = args.collect();
        crate::obfuscate::obfuscate(&mut args);
        join_and_cut(args.into_iter(), f.max_len, out, first);
    } else {
        join_and_cut(args, f.max_len, out, first);
    }
}

/// Appends `stringify_cache_args(args, cmd_max_len=max_len)` to `out`; `first` receives the
/// first argument's bytes.
fn join_and_cut<'a>(
    args: impl Iterator<Item = &'a [u8]>,
    max_len: usize,
    out: &mut String,
    first: &mut Option<&'a [u8]>,
) {
    let mut length = 0; // characters so far, separators not counted (as in Python)
    let mut scratch = String::new();
    for (i, arg) in args.enumerate() {
        if i == 0 {
            *first = Some(arg);
        } else {
            out.push(' ');
        }
        let text: &str = match std::str::from_utf8(arg) {
            Ok(s) => s,
            Err(_) => {
                scratch.clear();
                backslash_replace(arg, &mut scratch);
                &scratch
            }
        };
        let (text, chars, cut) = take_chars(text, VALUE_MAX_LEN);
        let chars = if cut {
            chars + TOO_LONG_MARK.len()
        } else {
            chars
        };
        if length + chars > max_len {
            // Python slices the (possibly already cut) value: `cmd[: cmd_max_len - length]`.
            let room = max_len - length;
            let (prefix, _, _) = take_chars(text, room);
            out.push_str(prefix);
            if cut && room > prefix.chars().count() {
                let extra = room - prefix.chars().count();
                out.push_str(&TOO_LONG_MARK[..extra.min(TOO_LONG_MARK.len())]);
            }
            out.push_str(TOO_LONG_MARK);
            return;
        }
        out.push_str(text);
        if cut {
            out.push_str(TOO_LONG_MARK);
        }
        length += chars;
    }
}

/// The first `max` characters of `s`, their count, and whether `s` was longer.
fn take_chars(s: &str, max: usize) -> (&str, usize, bool) {
    if s.len() <= max {
        // Fewer bytes than `max` means fewer characters too.
        return (s, s.chars().count(), false);
    }
    match s.char_indices().nth(max) {
        Some((end, _)) => (&s[..end], max, true),
        None => (s, s.chars().count(), false),
    }
}

/// Python's `bytes.decode("utf-8", errors="backslashreplace")`: invalid bytes become `\xNN`.
fn backslash_replace(mut bytes: &[u8], out: &mut String) {
    while !bytes.is_empty() {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                out.push_str(s);
                return;
            }
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                let bad = e.error_len().unwrap_or(rest.len());
                for b in &rest[..bad] {
                    let _ = write!(out, "\\x{b:02x}");
                }
                bytes = &rest[bad..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cut at `max`, the resource as asked, values kept (the Python tracer's text).
    fn fmt(max_len: usize, resource_only: bool) -> Format {
        Format {
            max_len,
            resource_only,
            obfuscate: false,
        }
    }

    fn raw(args: &[&str], max: usize) -> String {
        Operation::command(args.iter().map(|a| a.as_bytes()), fmt(max, true)).raw
    }

    #[test]
    fn short_commands_are_joined_by_spaces() {
        let op = Operation::command(
            [b"SET".as_slice(), b"user:1", b"alice"].into_iter(),
            fmt(1000, true),
        );
        assert_eq!(op.raw, "SET user:1 alice");
        assert_eq!(op.resource, "SET");
        assert_eq!(op.length, Length::Args(3));
        assert_eq!(op.row_count, RowCount::None);
    }

    #[test]
    fn resource_is_the_whole_command_when_asked() {
        let op = Operation::command([b"GET".as_slice(), b"k"].into_iter(), fmt(1000, false));
        assert_eq!(op.resource, "GET k");
        assert_eq!(op.row_count, RowCount::Single);
    }

    #[test]
    fn long_values_are_cut_at_100_characters() {
        let long = "x".repeat(150);
        assert_eq!(
            raw(&["SET", "k", &long], 1000),
            format!("SET k {}...", "x".repeat(100))
        );
        // Exactly 100 is kept whole.
        let hundred = "é".repeat(100);
        assert_eq!(raw(&["SET", &hundred], 1000), format!("SET {hundred}"));
    }

    #[test]
    fn the_whole_command_is_cut_at_the_maximum() {
        // Python: stringify_cache_args(["SET", "abcdef", "ghij"], cmd_max_len=8) == "SET abcde..."
        assert_eq!(raw(&["SET", "abcdef", "ghij"], 8), "SET abcde...");
        // The argument that fills the budget exactly is kept, the next one is cut to nothing.
        assert_eq!(raw(&["SET", "abcde", "ghij"], 8), "SET abcde ...");
        assert_eq!(raw(&["GET", "k"], 0), "...");
    }

    #[test]
    fn a_cut_value_counts_its_mark() {
        // A 150-character value becomes 103 characters; with a budget of 102 after "SET",
        // Python slices the cut value: 100 x's and two of its dots, then the mark.
        let long = "x".repeat(150);
        assert_eq!(
            raw(&["SET", &long], 105),
            format!("SET {}.....", "x".repeat(100))
        );
    }

    #[test]
    fn invalid_utf8_is_backslash_escaped() {
        let op = Operation::command(
            [b"SET".as_slice(), b"k\xff\xfeo"].into_iter(),
            fmt(1000, true),
        );
        assert_eq!(op.raw, "SET k\\xff\\xfeo");
    }

    #[test]
    fn pipelines_join_commands_with_newlines() {
        let cmds: Vec<Vec<&[u8]>> = vec![vec![b"SET", b"a", b"1"], vec![b"GET", b"a"]];
        let op = Operation::pipeline(cmds.into_iter().map(|c| c.into_iter()), fmt(1000, true));
        assert_eq!(op.raw, "SET a 1\nGET a");
        assert_eq!(op.resource, "SET\nGET");
        assert_eq!(op.length, Length::Pipeline(2));
        let cmds: Vec<Vec<&[u8]>> = vec![vec![b"SET", b"a", b"1"], vec![b"GET", b"a"]];
        let op = Operation::pipeline(cmds.into_iter().map(|c| c.into_iter()), fmt(1000, false));
        assert_eq!(op.resource, "SET a 1\nGET a");
    }

    #[test]
    fn packed_transactions_lose_multi_and_exec() {
        let mut p = redis::pipe();
        p.atomic().set("a", 1).get("a");
        let packed = p.get_packed_pipeline();
        let op = Operation::from_packed_pipeline(&packed, true, fmt(1000, true));
        assert_eq!(op.raw, "SET a 1\nGET a");
        assert_eq!(op.length, Length::Pipeline(2));
        assert_eq!(Operation::from_pipeline(&p, fmt(1000, true)), op);
    }

    #[test]
    fn scan_cursors_are_shown_with_their_value() {
        let mut c = redis::cmd("SCAN");
        c.cursor_arg(0).arg("MATCH").arg("k*");
        let op = Operation::from_cmd(&c, fmt(1000, true));
        assert_eq!(op.raw, "SCAN 0 MATCH k*");
        assert_eq!(op.length, Length::Args(4));
    }

    #[test]
    fn values_are_hidden_by_default_and_the_command_and_key_kept() {
        let obfuscated = Format {
            obfuscate: true,
            ..fmt(1000, false)
        };
        let op = Operation::command(
            [b"SET".as_slice(), b"key", b"S3CR3T"].into_iter(),
            obfuscated,
        );
        assert_eq!(op.raw, "SET key ?");
        assert_eq!(
            op.resource, "SET key ?",
            "a whole-command resource is hidden too"
        );
        assert_eq!(
            op.length,
            Length::Args(3),
            "the length counts the sent arguments"
        );
        let mut p = redis::pipe();
        p.atomic().set("a", "secret").hset("h", "f", "v").get("a");
        let op = Operation::from_packed_pipeline(&p.get_packed_pipeline(), true, obfuscated);
        assert_eq!(op.raw, "SET a ?\nHSET h f ?\nGET a");
        assert_eq!(Operation::from_pipeline(&p, obfuscated), op);
        let op = Operation::from_packed(
            &redis::cmd("AUTH").arg("u").arg("pw").get_packed_command(),
            obfuscated,
        );
        assert_eq!(op.raw, "AUTH ?");
    }

    #[test]
    fn garbage_bytes_give_a_placeholder() {
        let op = Operation::from_packed(b"not resp", fmt(1000, true));
        assert_eq!(op.resource, "?");
        assert_eq!(op.raw, "");
    }

    #[test]
    fn row_counts_follow_the_python_tracer() {
        let bulk = |s: &str| Value::BulkString(s.as_bytes().to_vec());
        assert_eq!(RowCount::of(b"get").count(&bulk("v")), Some(1));
        assert_eq!(RowCount::of(b"GET").count(&Value::Nil), Some(0));
        assert_eq!(RowCount::of(b"GET").count(&bulk("")), Some(0));
        let mget = Value::Array(vec![bulk("a"), Value::Nil, bulk(""), bulk("b")]);
        assert_eq!(RowCount::of(b"MGET").count(&mget), Some(2));
        assert_eq!(RowCount::of(b"HMGET").count(&mget), Some(1));
        let none = Value::Array(vec![Value::Nil]);
        assert_eq!(RowCount::of(b"HMGET").count(&none), Some(0));
        assert_eq!(RowCount::of(b"SET").count(&Value::Okay), None);
        assert_eq!(RowCount::of(b"HGETALL").count(&Value::Map(vec![])), Some(0));
    }
}
