//! The container the process runs in, for the agent's `Datadog-Container-ID`,
//! `Datadog-Entity-ID` and `Datadog-External-Env` headers (the agent tags traces with the
//! container's metadata from them).

/// What could be found out; every field is optional.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Container {
    pub(crate) container_id: Option<String>,
    pub(crate) entity_id: Option<String>,
    pub(crate) external_env: Option<String>,
}

pub(crate) fn detect() -> Container {
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let container_id = container_id(&cgroup);
    let entity_id = match &container_id {
        Some(id) => Some(format!("ci-{id}")),
        None => cgroup_inode(&cgroup).map(|ino| format!("in-{ino}")),
    };
    Container {
        container_id,
        entity_id,
        external_env: std::env::var("DD_EXTERNAL_ENV")
            .ok()
            .filter(|v| !v.is_empty()),
    }
}

/// The container id in a `/proc/self/cgroup` file: the last path element that looks like
/// a Docker/containerd id (64 hex), a UUID, or an ECS task id (32 hex + `-` + digits).
fn container_id(cgroup: &str) -> Option<String> {
    cgroup.lines().find_map(|line| {
        let path = line.splitn(3, ':').nth(2)?;
        let last = path.rsplit('/').next()?;
        let last = last.strip_suffix(".scope").unwrap_or(last);
        let id = last.rsplit(['-', ':']).next().filter(|s| s.len() == 64);
        let candidate = id.unwrap_or(last);
        looks_like_id(candidate).then(|| candidate.to_owned())
    })
}

fn looks_like_id(s: &str) -> bool {
    let hex = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
    if s.len() == 64 && hex(s) {
        return true;
    }
    let parts: Vec<&str> = s.split('-').collect();
    let uuid = parts.len() == 5
        && parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts.iter().all(|p| hex(p));
    let task = parts.len() == 2
        && parts[0].len() == 32
        && hex(parts[0])
        && !parts[1].is_empty()
        && parts[1].bytes().all(|b| b.is_ascii_digit());
    uuid || task
}

/// The inode of the process's cgroup v2 directory (how the agent finds a container whose id
/// is not visible from inside it).
fn cgroup_inode(cgroup: &str) -> Option<u64> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let path = cgroup.lines().find_map(|l| l.strip_prefix("0::"))?.trim();
        let full = format!("/sys/fs/cgroup{}", if path == "/" { "" } else { path });
        std::fs::metadata(full)
            .ok()
            .map(|m| m.ino())
            .filter(|&i| i > 2)
    }
    #[cfg(not(unix))]
    {
        let _ = cgroup;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_docker_and_kubernetes_ids() {
        let docker =
            "12:memory:/docker/3726184226f5d3147c25fdeab5b60097e378e8a720503a5e19ecfdf29f869860\n";
        assert_eq!(
            container_id(docker).as_deref(),
            Some("3726184226f5d3147c25fdeab5b60097e378e8a720503a5e19ecfdf29f869860")
        );
        let systemd = "0::/system.slice/docker-cde7c2bab394630a42d73dc610b9c57415dced996106665d427f6d0566594411.scope\n";
        assert_eq!(
            container_id(systemd).as_deref(),
            Some("cde7c2bab394630a42d73dc610b9c57415dced996106665d427f6d0566594411")
        );
        let ecs = "1:name=systemd:/ecs/5a0d5ceddf6c44c1928d367a815d890f/38fac3e99302b3622be089dd41e7ccf38aff368a86cc339972075136ee2710ce\n";
        assert!(container_id(ecs).is_some());
        assert_eq!(container_id("0::/user.slice/session-1.scope\n"), None);
    }
}
