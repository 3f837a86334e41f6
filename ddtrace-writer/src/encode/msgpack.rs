//! The few MessagePack primitives the payloads need, written straight into a `Vec<u8>`.
//!
//! Writing into a vector cannot fail, so these return nothing: a general-purpose encoder
//! would hand back a `Result` on every call of the hot loop for an error that never happens.
//! Every value takes its smallest MessagePack form, as the reference encoders do.

/// Appends `nil`.
#[inline]
pub fn write_nil(buf: &mut Vec<u8>) {
    buf.push(0xc0);
}

/// Appends an unsigned integer in its smallest form.
#[inline(always)]
pub fn write_uint(buf: &mut Vec<u8>, v: u64) {
    if v < 0x80 {
        buf.push(v as u8);
    } else if v <= u64::from(u8::MAX) {
        buf.extend_from_slice(&[0xcc, v as u8]);
    } else if v <= u64::from(u16::MAX) {
        buf.push(0xcd);
        buf.extend_from_slice(&(v as u16).to_be_bytes());
    } else if v <= u64::from(u32::MAX) {
        buf.push(0xce);
        buf.extend_from_slice(&(v as u32).to_be_bytes());
    } else {
        buf.push(0xcf);
        buf.extend_from_slice(&v.to_be_bytes());
    }
}

/// Appends a signed integer in its smallest form (non-negative values as unsigned).
#[inline(always)]
pub fn write_int(buf: &mut Vec<u8>, v: i64) {
    if v >= 0 {
        write_uint(buf, v as u64);
    } else if v >= -32 {
        buf.push(v as i8 as u8);
    } else if v >= i64::from(i8::MIN) {
        buf.extend_from_slice(&[0xd0, v as i8 as u8]);
    } else if v >= i64::from(i16::MIN) {
        buf.push(0xd1);
        buf.extend_from_slice(&(v as i16).to_be_bytes());
    } else if v >= i64::from(i32::MIN) {
        buf.push(0xd2);
        buf.extend_from_slice(&(v as i32).to_be_bytes());
    } else {
        buf.push(0xd3);
        buf.extend_from_slice(&v.to_be_bytes());
    }
}

/// Appends a float64 (metrics are always floats, as in the Python tracer).
#[inline(always)]
pub fn write_f64(buf: &mut Vec<u8>, v: f64) {
    buf.push(0xcb);
    buf.extend_from_slice(&v.to_be_bytes());
}

/// Appends a str.
#[inline(always)]
pub fn write_str(buf: &mut Vec<u8>, s: &str) {
    let len = s.len();
    if len < 32 {
        buf.push(0xa0 | len as u8);
    } else if len <= usize::from(u8::MAX) {
        buf.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= usize::from(u16::MAX) {
        buf.push(0xda);
        buf.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        buf.push(0xdb);
        buf.extend_from_slice(&(len.min(u32::MAX as usize) as u32).to_be_bytes());
    }
    buf.extend_from_slice(s.as_bytes());
}

/// Appends an array header for `len` elements.
#[inline]
pub fn write_array_len(buf: &mut Vec<u8>, len: usize) {
    write_container_len(buf, len, 0x90, 0xdc);
}

/// Appends a map header for `len` pairs.
#[inline]
pub fn write_map_len(buf: &mut Vec<u8>, len: usize) {
    write_container_len(buf, len, 0x80, 0xde);
}

#[inline(always)]
fn write_container_len(buf: &mut Vec<u8>, len: usize, fix: u8, marker16: u8) {
    if len < 16 {
        buf.push(fix | len as u8);
    } else if len <= usize::from(u16::MAX) {
        buf.push(marker16);
        buf.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        // The 32-bit marker follows the 16-bit one in both families.
        buf.push(marker16 + 1);
        buf.extend_from_slice(&(len.min(u32::MAX as usize) as u32).to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(buf: &[u8]) -> rmpv::Value {
        let mut r = buf;
        let v = rmpv::decode::read_value(&mut r).expect("valid msgpack");
        assert!(r.is_empty(), "trailing bytes");
        v
    }

    #[test]
    fn integers_round_trip_at_every_width() {
        for v in [
            0u64,
            127,
            128,
            255,
            256,
            65535,
            65536,
            u32::MAX as u64,
            u64::MAX,
        ] {
            let mut b = Vec::new();
            write_uint(&mut b, v);
            assert_eq!(decode(&b).as_u64(), Some(v));
        }
        for v in [
            -1i64,
            -32,
            -33,
            -128,
            -129,
            -32768,
            -32769,
            i32::MIN as i64 - 1,
            i64::MIN,
            5,
        ] {
            let mut b = Vec::new();
            write_int(&mut b, v);
            assert_eq!(decode(&b).as_i64(), Some(v));
        }
    }

    #[test]
    fn strings_and_containers_round_trip() {
        for len in [0usize, 31, 32, 255, 256, 70_000] {
            let s = "x".repeat(len);
            let mut b = Vec::new();
            write_str(&mut b, &s);
            assert_eq!(decode(&b).as_str(), Some(s.as_str()));
        }
        for len in [0usize, 15, 16, 65_535, 65_536] {
            let mut b = Vec::new();
            write_array_len(&mut b, len);
            b.extend(std::iter::repeat_n(0xc0, len));
            assert_eq!(decode(&b).as_array().map(Vec::len), Some(len));
            let mut b = Vec::new();
            write_map_len(&mut b, len);
            b.extend(std::iter::repeat_n(0x01, len * 2));
            assert_eq!(decode(&b).as_map().map(Vec::len), Some(len));
        }
        let mut b = Vec::new();
        write_f64(&mut b, 0.5);
        assert_eq!(decode(&b), rmpv::Value::F64(0.5));
        let mut b = Vec::new();
        write_nil(&mut b);
        assert_eq!(decode(&b), rmpv::Value::Nil);
    }
}
