//! Per-process facts every local root carries: runtime id, pid, host name.

use std::sync::OnceLock;

use crate::id::random_u64;

/// The runtime id: 32 lowercase hex digits (a UUIDv4), fixed for the life of the process.
pub fn runtime_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let (hi, lo) = (random_u64(), random_u64());
        // Version 4, RFC 4122 variant.
        let hi = (hi & !0xf000) | 0x4000;
        let lo = (lo & !(0b11 << 62)) | (0b10 << 62);
        format!("{hi:016x}{lo:016x}")
    })
}

/// This process's id.
pub fn pid() -> u32 {
    std::process::id()
}

/// The machine's host name, as the kernel reports it (empty if unknown).
pub fn hostname() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_owned())
            .or_else(|_| std::env::var("HOSTNAME"))
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn runtime_id_is_a_stable_uuid4_hex() {
        let id = super::runtime_id();
        assert_eq!(id.len(), 32);
        assert_eq!(&id[12..13], "4");
        assert_eq!(id, super::runtime_id());
    }
}
