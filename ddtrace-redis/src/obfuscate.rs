//! `redis.raw_command` without the values: the rules of the Datadog Agent's redis obfuscator
//! (`ObfuscateRedisString` in `pkg/obfuscate/redis.go` of DataDog/datadog-agent), applied in
//! the process so that values never leave it.
//!
//! The Python tracer sends the raw command and lets the agent obfuscate it; values would then
//! travel to the agent, and an agent with obfuscation turned off would keep them. Per command
//! family, the command and its keys are kept and values become `?`; commands the agent has no
//! rule for are kept whole, as the agent keeps them. The rules work on the arguments, before
//! they are joined and cut, where the agent re-tokenizes the joined text.

/// What replaces a value.
const HIDDEN: &[u8] = b"?";

/// Replaces the values among `args` (the command name first) with `?`, per the agent's rules.
pub(crate) fn obfuscate(args: &mut Vec<&[u8]>) {
    if args.len() < 2 {
        return;
    }
    // The longest command name with a rule is 17 bytes (`GEORADIUSBYMEMBER`).
    let mut name = [0u8; 17];
    let Some(name) = upper(args[0], &mut name) else {
        return;
    };
    // Indexes below count the command name: the agent's `args[n]` is `args[n + 1]` here.
    match name {
        // AUTH [username] password: everything after the command is one `?`.
        b"AUTH" => {
            args.truncate(2);
            args[1] = HIDDEN;
        }
        // The second argument is a value: APPEND key value, SET key value [EX s] ...
        b"APPEND" | b"GETSET" | b"LPUSHX" | b"GEORADIUSBYMEMBER" | b"RPUSHX" | b"SET"
        | b"SETNX" | b"SISMEMBER" | b"ZRANK" | b"ZREVRANK" | b"ZSCORE" => hide(args, 2),
        // The third: HSET key field value, SETEX key seconds value, RESTORE key ttl value ...
        b"HSET" | b"HSETNX" | b"LREM" | b"LSET" | b"SETBIT" | b"SETEX" | b"PSETEX"
        | b"SETRANGE" | b"ZINCRBY" | b"SMOVE" | b"RESTORE" => hide(args, 3),
        // LINSERT key BEFORE|AFTER pivot value.
        b"LINSERT" => hide(args, 4),
        // Key then members or values: all of them become one `?`.
        b"GEOHASH" | b"GEOPOS" | b"GEODIST" | b"LPUSH" | b"RPUSH" | b"SREM" | b"ZREM" | b"SADD"
            if args.len() > 2 =>
        {
            args.truncate(3);
            args[2] = HIDDEN;
        }
        // GEOADD key longitude latitude member ...: every member.
        b"GEOADD" => hide_every(args, 1, 3),
        // HMSET key field value ...: every value.
        b"HMSET" => hide_every(args, 1, 2),
        // MSET key value ...: every value.
        b"MSET" | b"MSETNX" => hide_every(args, 0, 2),
        // CONFIG SET parameter value.
        b"CONFIG" if args[1].eq_ignore_ascii_case(b"SET") => hide(args, 3),
        // BITFIELD key ... SET type offset value ...: the value of the first SET.
        b"BITFIELD" => {
            let mut set = 0;
            for (i, arg) in args.iter_mut().enumerate().skip(1) {
                if arg.eq_ignore_ascii_case(b"SET") {
                    set = i;
                }
                if set > 1 && i - set == 3 {
                    *arg = HIDDEN;
                    break;
                }
            }
        }
        // ZADD key [NX|XX] [CH] [INCR] score member ...: every member, after the flags (which
        // the agent matches in upper case only).
        b"ZADD" => {
            let mut first = 0;
            for (i, arg) in args[1..].iter().enumerate() {
                first = i;
                if i > 0 && !matches!(*arg, b"NX" | b"XX" | b"CH" | b"INCR") {
                    break;
                }
            }
            hide_every(args, first, 2);
        }
        _ => {}
    }
}

/// `name` in upper case, in `buf`; `None` when longer than any command with a rule.
fn upper<'b>(name: &[u8], buf: &'b mut [u8; 17]) -> Option<&'b [u8]> {
    let out = buf.get_mut(..name.len())?;
    out.copy_from_slice(name);
    out.make_ascii_uppercase();
    Some(out)
}

/// The argument at `i` (the command name is 0), if there is one.
fn hide(args: &mut [&[u8]], i: usize) {
    if let Some(a) = args.get_mut(i) {
        *a = HIDDEN;
    }
}

/// Every `step`-th argument after the command's `start`-th (the agent's
/// `obfuscateRedisArgsStep(args, start, step)`).
fn hide_every(args: &mut [&[u8]], start: usize, step: usize) {
    let mut i = start + step; // `start + step - 1` in the agent's indexes, plus the command
    while i < args.len() {
        args[i] = HIDDEN;
        i += step;
    }
}

#[cfg(test)]
mod tests {
    use super::obfuscate;

    fn ob(cmd: &str) -> String {
        let mut args: Vec<&[u8]> = cmd.split(' ').map(str::as_bytes).collect();
        obfuscate(&mut args);
        let words: Vec<&str> = args
            .iter()
            .map(|a| std::str::from_utf8(a).expect("utf-8"))
            .collect();
        words.join(" ")
    }

    /// Cases of the agent's `redis_test.go` rules, one or more per command family.
    #[test]
    fn values_are_hidden_per_command_family_as_the_agent_does() {
        for (given, expected) in [
            ("AUTH my-secret-password", "AUTH ?"),
            ("AUTH user pass", "AUTH ?"),
            ("auth pass", "auth ?"),
            ("SET key S3CR3T", "SET key ?"),
            ("SET key value EX 10 NX", "SET key ? EX 10 NX"),
            ("set key value", "set key ?"),
            ("GETSET key value", "GETSET key ?"),
            ("ZSCORE key member", "ZSCORE key ?"),
            ("HSET key field value", "HSET key field ?"),
            ("SETEX key 10 value", "SETEX key 10 ?"),
            (
                "LINSERT key BEFORE pivot value",
                "LINSERT key BEFORE pivot ?",
            ),
            ("LPUSH key a b c", "LPUSH key ?"),
            ("SADD key m1 m2", "SADD key ?"),
            (
                "GEOADD key 13.36 38.11 Palermo 15.08 37.50 Catania",
                "GEOADD key 13.36 38.11 ? 15.08 37.50 ?",
            ),
            ("HMSET key f1 v1 f2 v2", "HMSET key f1 ? f2 ?"),
            ("MSET k1 v1 k2 v2", "MSET k1 ? k2 ?"),
            ("CONFIG SET param value", "CONFIG SET param ?"),
            ("CONFIG GET param", "CONFIG GET param"),
            (
                "BITFIELD key GET u8 0 SET i5 100 1",
                "BITFIELD key GET u8 0 SET i5 100 ?",
            ),
            ("ZADD key 1 one 2 two", "ZADD key 1 ? 2 ?"),
            ("ZADD key NX CH 1 one 2 two", "ZADD key NX CH 1 ? 2 ?"),
            ("GET key", "GET key"),
            ("DEL k1 k2", "DEL k1 k2"),
            ("PING", "PING"),
            ("SET", "SET"),
            ("SET key", "SET key"),
        ] {
            assert_eq!(ob(given), expected, "{given}");
        }
    }
}
