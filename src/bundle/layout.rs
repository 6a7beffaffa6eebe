/*!
Where each source sits in a node bundle (`docs/bundle-layout.md`, version 1),
and how node roots are found in a tree. This is the only file that knows the
layout's paths.
*/

use std::collections::BTreeMap;

/// What a file in a node bundle is, by its path relative to the node root.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SourceKind {
    Manifest,
    DockerVersion,
    DockerInfo,
    DaemonJson,
    DockerdCmdline,
    SwarmNodes,
    SwarmServices,
    SwarmTasks,
    SwarmServicePs,
    SwarmNetworks,
    Containers,
    DockerdLog,
    KernelLog,
    HostIpAddr,
    HostIpLink,
    HostIpRoute,
    HostIptables,
    HostSysctl,
    HostModules,
    HostSockets,
    /// `host/kernel-config.txt`: the kernel's build config (`CONFIG_IP_VS`…).
    HostKernelConfig,
    /// `host/uname.txt`: `uname -a`.
    HostUname,
    NetnsIpAddr(String),
    NetnsIpLink(String),
    NetnsIpRoute(String),
    NetnsIpNeigh(String),
    NetnsBridgeFdb(String),
    NetnsIptables(String),
    NetnsIpvsadm(String),
    NetnsSysctl(String),
    /// `<path>.stderr`: what the command behind `<path>` printed on stderr.
    Stderr(String),
    Unknown,
}

impl SourceKind {
    /// Logs are streamed line by line instead of being held in memory.
    pub fn is_log(&self) -> bool {
        matches!(self, SourceKind::DockerdLog | SourceKind::KernelLog)
    }
}

/// Directories whose presence makes their parent a node root when there is
/// no `manifest.json`.
pub(crate) const MARKERS: [&str; 5] = ["docker", "swarm", "logs", "host", "netns"];

const MANIFEST: &str = "manifest.json";

/// The kind of the file at `rel_path` (relative to a node root, `/`-separated).
pub fn classify(rel_path: &str) -> SourceKind {
    use SourceKind::*;
    if let Some(base) = rel_path.strip_suffix(".stderr") {
        return match classify(base) {
            Unknown | Manifest | Stderr(_) => Unknown,
            _ => Stderr(base.to_string()),
        };
    }
    match rel_path {
        "manifest.json" => return Manifest,
        "docker/version.json" => return DockerVersion,
        "docker/info.json" => return DockerInfo,
        "docker/daemon.json" => return DaemonJson,
        "docker/dockerd-cmdline.txt" => return DockerdCmdline,
        "swarm/nodes.json" => return SwarmNodes,
        "swarm/services.json" => return SwarmServices,
        "swarm/tasks.json" => return SwarmTasks,
        "swarm/service-ps.txt" => return SwarmServicePs,
        "swarm/networks.json" => return SwarmNetworks,
        "containers/inspect.json" => return Containers,
        "logs/dockerd.log" => return DockerdLog,
        "logs/kernel.log" => return KernelLog,
        "host/ip-addr.txt" => return HostIpAddr,
        "host/ip-link.txt" => return HostIpLink,
        "host/ip-route.txt" => return HostIpRoute,
        "host/iptables-save.txt" => return HostIptables,
        "host/sysctl.txt" => return HostSysctl,
        "host/modules.txt" => return HostModules,
        "host/sockets.txt" => return HostSockets,
        "host/kernel-config.txt" => return HostKernelConfig,
        "host/uname.txt" => return HostUname,
        _ => {}
    }
    let mut parts = rel_path.split('/');
    let (Some("netns"), Some(ns), Some(file), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Unknown;
    };
    if ns.is_empty() {
        return Unknown;
    }
    let ns = ns.to_string();
    match file {
        "ip-addr.txt" => NetnsIpAddr(ns),
        "ip-link.txt" => NetnsIpLink(ns),
        "ip-route.txt" => NetnsIpRoute(ns),
        "ip-neigh.txt" => NetnsIpNeigh(ns),
        "bridge-fdb.txt" => NetnsBridgeFdb(ns),
        "iptables-save.txt" => NetnsIptables(ns),
        "ipvsadm.txt" => NetnsIpvsadm(ns),
        "sysctl.txt" => NetnsSysctl(ns),
        _ => Unknown,
    }
}

/// Node roots among the `files` of one container (normalized paths, `""` is
/// the container's top). A directory holding `manifest.json` is a root;
/// without a manifest, a directory holding one of the `MARKERS` directories
/// is. Candidates inside an accepted root's marker directory (a netns named
/// `host`) and marker-only candidates inside a manifest root are not roots.
/// Sorted, shallowest first.
pub(crate) fn find_roots<'a>(files: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    // candidate directory -> holds a manifest
    let mut candidates: BTreeMap<String, bool> = BTreeMap::new();
    for file in files {
        let parts: Vec<&str> = file.split('/').collect();
        let Some((last, dirs)) = parts.split_last() else {
            continue;
        };
        if *last == MANIFEST {
            candidates.insert(dirs.join("/"), true);
        }
        for (i, dir) in dirs.iter().enumerate() {
            if MARKERS.contains(dir) {
                candidates.entry(dirs[..i].join("/")).or_insert(false);
            }
        }
    }
    let mut ordered: Vec<(&String, bool)> = candidates.iter().map(|(p, m)| (p, *m)).collect();
    ordered.sort_by_key(|(path, _)| (depth(path), *path));
    let mut roots: Vec<(&String, bool)> = Vec::new();
    for (path, manifest) in ordered {
        let refused = roots.iter().any(|(root, root_manifest)| {
            let Some(rest) = strip_dir(path, root) else {
                return false;
            };
            let first = rest.split('/').next().unwrap_or("");
            MARKERS.contains(&first) || (*root_manifest && !manifest)
        });
        if !refused {
            roots.push((path, manifest));
        }
    }
    roots.into_iter().map(|(p, _)| p.clone()).collect()
}

fn depth(path: &str) -> usize {
    if path.is_empty() {
        0
    } else {
        path.matches('/').count() + 1
    }
}

/// `path` relative to `dir` when `dir` is a proper ancestor of it.
pub(crate) fn strip_dir<'p>(path: &'p str, dir: &str) -> Option<&'p str> {
    if dir.is_empty() {
        return (!path.is_empty()).then_some(path);
    }
    path.strip_prefix(dir)?.strip_prefix('/')
}

/// The deepest root holding `path`, and `path` relative to it.
pub(crate) fn root_of<'p>(roots: &[String], path: &'p str) -> Option<(usize, &'p str)> {
    roots
        .iter()
        .enumerate()
        .filter_map(|(i, root)| strip_dir(path, root).map(|rel| (i, root.len(), rel)))
        .max_by_key(|(_, len, _)| *len)
        .map(|(i, _, rel)| (i, rel))
}

#[cfg(test)]
mod tests {
    use super::SourceKind::*;
    use super::*;

    #[test]
    fn classify_fixed_paths() {
        assert_eq!(classify("manifest.json"), Manifest);
        assert_eq!(classify("docker/info.json"), DockerInfo);
        assert_eq!(classify("docker/dockerd-cmdline.txt"), DockerdCmdline);
        assert_eq!(classify("swarm/service-ps.txt"), SwarmServicePs);
        assert_eq!(classify("containers/inspect.json"), Containers);
        assert_eq!(classify("logs/dockerd.log"), DockerdLog);
        assert_eq!(classify("logs/kernel.log"), KernelLog);
        assert_eq!(classify("host/iptables-save.txt"), HostIptables);
        assert_eq!(classify("host/sockets.txt"), HostSockets);
        assert_eq!(classify("host/kernel-config.txt"), HostKernelConfig);
    }

    #[test]
    fn classify_netns_paths() {
        assert_eq!(
            classify("netns/ingress_sbox/ipvsadm.txt"),
            NetnsIpvsadm("ingress_sbox".into())
        );
        assert_eq!(
            classify("netns/lb_k3j5l6m7n/ip-addr.txt"),
            NetnsIpAddr("lb_k3j5l6m7n".into())
        );
        assert_eq!(
            classify("netns/1-k3j5l6m7n8/bridge-fdb.txt"),
            NetnsBridgeFdb("1-k3j5l6m7n8".into())
        );
        assert_eq!(
            classify("netns/0123456789ab/sysctl.txt"),
            NetnsSysctl("0123456789ab".into())
        );
        assert_eq!(classify("netns/ingress_sbox/other.txt"), Unknown);
        assert_eq!(classify("netns/ipvsadm.txt"), Unknown);
        assert_eq!(classify("netns/a/b/ipvsadm.txt"), Unknown);
    }

    #[test]
    fn classify_stderr_files() {
        assert_eq!(
            classify("docker/info.json.stderr"),
            Stderr("docker/info.json".into())
        );
        assert_eq!(
            classify("netns/ingress_sbox/ipvsadm.txt.stderr"),
            Stderr("netns/ingress_sbox/ipvsadm.txt".into())
        );
        assert_eq!(
            classify("logs/dockerd.log.stderr"),
            Stderr("logs/dockerd.log".into())
        );
        assert!(!classify("logs/dockerd.log.stderr").is_log());
        assert_eq!(classify("notes.txt.stderr"), Unknown);
        assert_eq!(classify("docker/info.json.stderr.stderr"), Unknown);
        assert_eq!(classify("manifest.json.stderr"), Unknown);
    }

    #[test]
    fn classify_unknown_and_near_misses() {
        assert_eq!(classify("logs/dockerd.log.1"), Unknown);
        assert_eq!(classify("Docker/info.json"), Unknown);
        assert_eq!(classify("node1/docker/info.json"), Unknown);
        assert_eq!(classify(""), Unknown);
        assert!(DockerdLog.is_log() && KernelLog.is_log() && !DockerInfo.is_log());
    }

    fn roots(files: &[&str]) -> Vec<String> {
        find_roots(files.iter().copied())
    }

    #[test]
    fn root_at_top_and_one_level_down() {
        assert_eq!(roots(&["manifest.json", "logs/dockerd.log"]), vec![""]);
        assert_eq!(
            roots(&["swarmdiag-node1-20261122T101500Z/manifest.json"]),
            vec!["swarmdiag-node1-20261122T101500Z"]
        );
        assert_eq!(roots(&["node1/logs/dockerd.log"]), vec!["node1"]);
    }

    #[test]
    fn cluster_with_several_roots_at_different_depths() {
        let files = [
            "cluster/node1/manifest.json",
            "cluster/node1/docker/info.json",
            "cluster/node2/host/ip-addr.txt",
            "other/deep/node3/netns/ingress_sbox/ipvsadm.txt",
            "README.txt",
        ];
        assert_eq!(
            roots(&files),
            vec!["cluster/node1", "cluster/node2", "other/deep/node3"]
        );
    }

    #[test]
    fn marker_dirs_inside_a_root_are_not_roots() {
        // A namespace named like a marker directory stays inside its node.
        let files = ["node1/netns/host/ip-addr.txt", "node1/logs/dockerd.log"];
        assert_eq!(roots(&files), vec!["node1"]);
        // Junk beside a manifest does not split the node.
        let files = ["node1/manifest.json", "node1/extra/logs/old.log"];
        assert_eq!(roots(&files), vec!["node1"]);
    }

    #[test]
    fn nested_manifest_roots_are_kept() {
        let files = ["a/manifest.json", "a/b/manifest.json"];
        assert_eq!(roots(&files), vec!["a", "a/b"]);
    }

    #[test]
    fn no_root_in_unrelated_files() {
        assert!(roots(&["README.txt", "data/dockerd.log", "logs"]).is_empty());
    }

    #[test]
    fn root_of_picks_deepest() {
        let r = vec!["a".to_string(), "a/b".to_string()];
        assert_eq!(
            root_of(&r, "a/b/logs/dockerd.log"),
            Some((1, "logs/dockerd.log"))
        );
        assert_eq!(root_of(&r, "a/manifest.json"), Some((0, "manifest.json")));
        assert_eq!(root_of(&r, "ab/manifest.json"), None);
        let top = vec![String::new()];
        assert_eq!(
            root_of(&top, "logs/dockerd.log"),
            Some((0, "logs/dockerd.log"))
        );
    }
}
