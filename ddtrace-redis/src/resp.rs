//! Reading back the commands redis-rs packed: the sync `ConnectionLike` methods other than
//! `req_command` receive bytes, not a `Cmd`.

/// The commands in `packed`, each as its arguments; `None` unless `packed` is a sequence of
/// RESP arrays of bulk strings (what redis-rs sends) and nothing else.
pub(crate) fn parse_commands(packed: &[u8]) -> Option<Vec<Vec<&[u8]>>> {
    let mut rest = packed;
    let mut commands = Vec::new();
    while !rest.is_empty() {
        let (count, tail) = header(rest, b'*')?;
        rest = tail;
        // Each argument takes at least 6 bytes (`$0\r\n\r\n`): a bound against absurd counts.
        let mut args = Vec::with_capacity(count.min(rest.len() / 6));
        for _ in 0..count {
            let (len, tail) = header(rest, b'$')?;
            let arg = tail.get(..len)?;
            rest = tail.get(len..)?.strip_prefix(b"\r\n")?;
            args.push(arg);
        }
        commands.push(args);
    }
    Some(commands)
}

/// Reads `<marker><decimal>\r\n` and returns the number and what follows.
fn header(input: &[u8], marker: u8) -> Option<(usize, &[u8])> {
    let body = input.strip_prefix(&[marker])?;
    let end = body.iter().position(|&b| b == b'\r')?;
    let digits = std::str::from_utf8(&body[..end]).ok()?;
    let n = digits.parse().ok()?;
    Some((n, body[end..].strip_prefix(b"\r\n")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_what_redis_rs_packs() {
        let mut p = redis::pipe();
        p.set("key", b"va\r\nl".as_slice()).get("key").cmd("PING");
        let packed = p.get_packed_pipeline();
        let cmds = parse_commands(&packed).unwrap();
        assert_eq!(
            cmds,
            vec![
                vec![b"SET".as_slice(), b"key", b"va\r\nl"],
                vec![b"GET".as_slice(), b"key"],
                vec![b"PING".as_slice()],
            ]
        );
    }

    #[test]
    fn rejects_anything_else() {
        for bad in [
            &b"PING\r\n"[..],
            b"*1\r\n$4\r\nPIN",
            b"*1\r\n$4\r\nPINGXX",
            b"*x\r\n",
            b"*1\r\n$-1\r\n",
            b"*99999999999\r\n",
        ] {
            assert_eq!(parse_commands(bad), None, "{bad:?}");
        }
        assert_eq!(parse_commands(b""), Some(vec![]));
    }
}
