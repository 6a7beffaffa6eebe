/*!
Where each source sits in a node bundle (`docs/bundle-layout.md`, version 1),
where a sosreport keeps the same sources ([`SOS_SPECS`]), and how node roots
are found in a tree. This is the only file that knows the layout's paths.
*/

use std::collections::BTreeMap;

/// What a file in a node bundle is, by its path relative to the node root.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SourceKind {
    Manifest,
    DockerVersion,
    DockerInfo,
    /// `docker version` as text (a sosreport's `docker_version`).
    DockerVersionText,
    /// `docker info` as text (a sosreport's `docker_info`).
    DockerInfoText,
    /// `docker ps` as text: read, not modelled (it names the containers
    /// whose inspect output is in `containers/`).
    DockerPs,
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
    /// `host/nft-ruleset.txt`: `nft list ruleset`.
    HostNft,
    /// `host/hostname.txt`: the node's host name (a sosreport's `etc/hostname`).
    HostHostname,
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

/// The directory whose presence makes its parent a sosreport's root.
const SOS_MARKER: &str = "sos_commands";

/// The directory of sos's own manifest (`sos_reports/manifest.json`), which
/// is not ours.
const SOS_REPORTS: &str = "sos_reports";

/// What a node root holds, which says how its paths map to the layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Flavor {
    /// A swarmdiag bundle (`docs/bundle-layout.md`): paths are layout paths.
    #[default]
    Bundle,
    /// A sosreport: its files map to layout paths through [`SOS_SPECS`].
    Sosreport,
    /// One log file given as it is: it is the node's daemon log.
    Log,
}

/// Where a sosreport keeps each source, for every sos version this reads
/// (3.x `sos/plugins/`, 4.x `sos/report/plugins/`), in order of preference:
/// the layout path, then the sos paths (relative to the sosreport's root)
/// that hold it. A `*` in a sos path matches the rest of that name (a
/// network name, a container id) and fills the `*` of the layout path:
/// sos writes one file per network and per container, which become the
/// parts of one layout source (`swarm/networks.d/<name>.json`, see
/// [`whole_of_part`]). sos never runs `iptables-save` outside namespaces
/// (its firewall_tables plugin lists rules with `iptables -vnxL`, another
/// format), so `host/iptables-save.txt` has no sos path.
pub const SOS_SPECS: &[(&str, &[&str])] = &[
    ("docker/info.txt", &["sos_commands/docker/docker_info"]),
    (
        "docker/version.txt",
        &["sos_commands/docker/docker_version"],
    ),
    ("docker/daemon.json", &["etc/docker/daemon.json"]),
    ("docker/ps.txt", &["sos_commands/docker/docker_ps_-a"]),
    (
        "swarm/networks.d/*.json",
        &["sos_commands/docker/docker_network_inspect_*"],
    ),
    (
        // 3.x before 3.8 wrote inspect output beside the other commands.
        "containers/inspect.d/*.json",
        &[
            "sos_commands/docker/containers/docker_inspect_*",
            "sos_commands/docker/docker_inspect_*",
        ],
    ),
    (
        "logs/dockerd.log",
        &[
            "sos_commands/docker/journalctl_--no-pager_--unit_docker",
            "sos_commands/docker/journalctl_--no-pager_--unit_docker.service",
        ],
    ),
    ("logs/kernel.log", &["sos_commands/kernel/dmesg"]),
    (
        "host/ip-addr.txt",
        &[
            "sos_commands/networking/ip_-d_address",
            "sos_commands/networking/ip_address",
        ],
    ),
    (
        "host/ip-link.txt",
        &[
            "sos_commands/networking/ip_-s_-d_link",
            "sos_commands/networking/ip_link",
        ],
    ),
    (
        "host/ip-route.txt",
        &["sos_commands/networking/ip_route_show_table_all"],
    ),
    ("host/sysctl.txt", &["sos_commands/kernel/sysctl_-a"]),
    ("host/modules.txt", &["sos_commands/kernel/lsmod"]),
    ("host/uname.txt", &["sos_commands/kernel/uname_-a"]),
    (
        "host/hostname.txt",
        &["etc/hostname", "sos_commands/host/hostname"],
    ),
    ("host/kernel-config.txt", &["boot/config-*"]),
];

/// The layout path of a sosreport's file, or `None` for a file swarmdiag
/// does not read.
pub fn sos_layout_path(sos_path: &str) -> Option<String> {
    for (layout, paths) in SOS_SPECS {
        for pattern in paths.iter() {
            let hit = match pattern.split_once('*') {
                None => (sos_path == *pattern).then_some(""),
                Some((pre, post)) => sos_path
                    .strip_prefix(pre)
                    .and_then(|rest| rest.strip_suffix(post))
                    .filter(|name| !name.is_empty() && !name.contains('/')),
            };
            if let Some(name) = hit {
                return Some(layout.replacen('*', name, 1));
            }
        }
    }
    None
}

/// The sos path pattern that holds the parts of `whole` (a layout source
/// such as `swarm/networks.json`), for naming it in evidence.
pub fn sos_pattern_of(whole: &str) -> Option<&'static str> {
    SOS_SPECS
        .iter()
        .find(|(layout, _)| whole_of_part(layout) == Some(whole) || *layout == whole)
        .and_then(|(_, paths)| paths.first().copied())
}

/// The layout source a part belongs to: `swarm/networks.d/<x>.json` is
/// part of `swarm/networks.json`.
pub fn whole_of_part(rel_path: &str) -> Option<&'static str> {
    const WHOLES: [(&str, &str); 2] = [
        ("swarm/networks.d/", "swarm/networks.json"),
        ("containers/inspect.d/", "containers/inspect.json"),
    ];
    WHOLES.iter().find_map(|(dir, whole)| {
        let name = rel_path.strip_prefix(dir)?.strip_suffix(".json")?;
        (!name.is_empty() && !name.contains('/')).then_some(*whole)
    })
}

/// The layout source a file read under `layout_path` stands for, when
/// that differs: a part stands for its whole, `docker/info.txt` for
/// `docker/info.json` (the same facts, as text). Coverage and evidence
/// name sources by it.
pub fn source_name(layout_path: &str) -> Option<&'static str> {
    match layout_path {
        "docker/info.txt" => Some("docker/info.json"),
        "docker/version.txt" => Some("docker/version.json"),
        _ => whole_of_part(layout_path),
    }
}

/// Where a file of a root of this flavor sits in the layout; `None` when
/// it is not read. When a sosreport holds a source under two of its names,
/// the first one read is used.
pub fn layout_path(flavor: Flavor, rel_path: &str) -> Option<String> {
    match flavor {
        Flavor::Bundle => Some(rel_path.to_string()),
        Flavor::Log => Some("logs/dockerd.log".to_string()),
        Flavor::Sosreport => sos_layout_path(rel_path),
    }
}

/// Layout sources that are Docker's own: a root holding none of them is
/// not a Docker node (a sosreport taken without its docker plugin).
pub fn is_docker_source(layout_path: &str) -> bool {
    matches!(
        classify(layout_path),
        SourceKind::DockerInfo
            | SourceKind::DockerInfoText
            | SourceKind::DockerVersion
            | SourceKind::DockerVersionText
            | SourceKind::DockerPs
            | SourceKind::SwarmNodes
            | SourceKind::SwarmServices
            | SourceKind::SwarmTasks
            | SourceKind::SwarmServicePs
            | SourceKind::SwarmNetworks
            | SourceKind::Containers
            | SourceKind::DockerdLog
    )
}

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
        "docker/version.txt" => return DockerVersionText,
        "docker/info.txt" => return DockerInfoText,
        "docker/ps.txt" => return DockerPs,
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
        "host/nft-ruleset.txt" => return HostNft,
        "host/hostname.txt" => return HostHostname,
        _ => {}
    }
    if let Some(whole) = whole_of_part(rel_path) {
        return match whole {
            "swarm/networks.json" => SwarmNetworks,
            "containers/inspect.json" => Containers,
            _ => Unknown,
        };
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

/// Node roots are looked for this many directory levels deep at most: a
/// marker or manifest deeper than that does not make a root. Root finding and
/// [`root_of`] then cost a few map look-ups per entry whatever its name, where
/// a name of thousands of `logs/` components would otherwise cost time and
/// memory quadratic in its length.
pub(crate) const MAX_ROOT_DEPTH: usize = 8;

/// Node roots among the `files` of one container (normalized paths, `""` is
/// the container's top). See [`RootCandidates`].
#[cfg(test)]
pub(crate) fn find_roots<'a>(files: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut candidates = RootCandidates::default();
    for file in files {
        candidates.add(file);
    }
    candidates.roots()
}

/// Directories that may be node roots, gathered entry by entry so that the
/// entry names need not be kept. A directory holding `sos_commands/` is a
/// sosreport's root; one holding `manifest.json` (but not sos's own
/// `sos_reports/manifest.json`) is a bundle root; without either, a
/// directory holding one of the `MARKERS` directories is. Candidates inside
/// a sosreport, inside an accepted root's marker directory (a netns named
/// `host`), and marker-only candidates inside a manifest root are not
/// roots. Only the shallowest marker of each path is a candidate: the
/// deeper ones would sit inside its marker directory.
#[derive(Debug, Clone, Default)]
pub(crate) struct RootCandidates {
    map: BTreeMap<String, Candidate>,
}

/// Why a directory may be a root, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Candidate {
    Marker,
    Manifest,
    Sos,
}

impl RootCandidates {
    fn offer(&mut self, dir: &str, why: Candidate) {
        let slot = self.map.entry(dir.to_string()).or_insert(why);
        *slot = (*slot).max(why);
    }

    pub(crate) fn add(&mut self, file: &str) {
        let mut start = 0;
        for _ in 0..=MAX_ROOT_DEPTH {
            let Some(len) = file.get(start..).and_then(|rest| rest.find('/')) else {
                break;
            };
            let dir = file.get(start..start + len).unwrap_or("");
            let root = file.get(..start.saturating_sub(1)).unwrap_or("");
            if dir == SOS_MARKER {
                self.offer(root, Candidate::Sos);
                break;
            }
            if MARKERS.contains(&dir) {
                self.offer(root, Candidate::Marker);
                break;
            }
            start += len + 1;
        }
        if let Some(dir) = file.strip_suffix(MANIFEST) {
            if dir.is_empty() || dir.ends_with('/') {
                let dir = dir.strip_suffix('/').unwrap_or(dir);
                let sos_own = dir == SOS_REPORTS || dir.ends_with("/sos_reports");
                if depth(dir) <= MAX_ROOT_DEPTH && !sos_own {
                    self.offer(dir, Candidate::Manifest);
                }
            }
        }
    }

    /// The accepted roots, sorted shallowest first.
    #[cfg(test)]
    pub(crate) fn roots(&self) -> Vec<String> {
        self.roots_with_flavor()
            .into_iter()
            .map(|(r, _)| r)
            .collect()
    }

    /// The accepted roots with their flavor, sorted shallowest first.
    pub(crate) fn roots_with_flavor(&self) -> Vec<(String, Flavor)> {
        let mut ordered: Vec<(&str, Candidate)> =
            self.map.iter().map(|(p, c)| (p.as_str(), *c)).collect();
        ordered.sort_by_key(|(path, _)| (depth(path), *path));
        let mut accepted: BTreeMap<&str, Candidate> = BTreeMap::new();
        let mut roots = Vec::new();
        for (path, why) in ordered {
            let refused = ancestors(path).any(|(dir, first)| {
                accepted.get(dir).is_some_and(|&root| {
                    root == Candidate::Sos
                        || MARKERS.contains(&first)
                        || (root == Candidate::Manifest && why == Candidate::Marker)
                })
            });
            if !refused {
                accepted.insert(path, why);
                let flavor = match why {
                    Candidate::Sos => Flavor::Sosreport,
                    _ => Flavor::Bundle,
                };
                roots.push((path.to_string(), flavor));
            }
        }
        roots
    }
}

/// Each proper ancestor directory of `path` (`""` first), with the
/// component of `path` just below it.
fn ancestors(path: &str) -> impl Iterator<Item = (&str, &str)> {
    let starts = (!path.is_empty())
        .then_some(0)
        .into_iter()
        .chain(path.match_indices('/').map(|(i, _)| i + 1));
    starts.map(move |start| {
        let dir = path.get(..start.saturating_sub(1)).unwrap_or("");
        let rest = path.get(start..).unwrap_or("");
        (dir, rest.split('/').next().unwrap_or(""))
    })
}

/// True when `path` has a marker directory or a manifest deeper than
/// [`MAX_ROOT_DEPTH`], so that a node bundle there was not looked for.
pub(crate) fn beyond_root_depth(path: &str) -> bool {
    let mut parts = path.split('/').skip(MAX_ROOT_DEPTH + 1).peekable();
    while let Some(part) = parts.next() {
        let is_dir = parts.peek().is_some();
        if (is_dir && MARKERS.contains(&part)) || (!is_dir && part == MANIFEST) {
            return true;
        }
    }
    false
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

/// The deepest root holding `path`, and `path` relative to it. `roots` maps
/// each root to its index; roots are never deeper than [`MAX_ROOT_DEPTH`],
/// so only that many ancestors are looked up.
pub(crate) fn root_of<'p>(
    roots: &BTreeMap<String, usize>,
    path: &'p str,
) -> Option<(usize, &'p str)> {
    let mut found = None;
    for (dir, _) in ancestors(path).take(MAX_ROOT_DEPTH + 1) {
        if let Some(&i) = roots.get(dir) {
            found = Some((i, strip_dir(path, dir)?));
        }
    }
    found
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
    fn roots_deeper_than_the_cap_are_not_looked_for() {
        let at = |depth: usize, file: &str| format!("{}{file}", "d/".repeat(depth));
        let deepest = at(MAX_ROOT_DEPTH, "logs/dockerd.log");
        let too_deep = at(MAX_ROOT_DEPTH + 1, "logs/dockerd.log");
        let manifest = at(MAX_ROOT_DEPTH + 1, "manifest.json");
        assert_eq!(roots(&[&deepest]), vec![at(MAX_ROOT_DEPTH - 1, "d")]);
        assert!(roots(&[&too_deep, &manifest]).is_empty());
        assert!(!beyond_root_depth(&deepest));
        assert!(beyond_root_depth(&too_deep) && beyond_root_depth(&manifest));
        assert!(!beyond_root_depth(&at(20, "README.txt")));
        // A root at the cap still gets its files, however deep they are.
        let r: BTreeMap<String, usize> = [(at(MAX_ROOT_DEPTH - 1, "d"), 0)].into();
        assert_eq!(
            root_of(&r, &format!("{deepest}.d/x/y/z")),
            Some((0, "logs/dockerd.log.d/x/y/z"))
        );
    }

    #[test]
    fn a_path_of_many_marker_components_gives_one_candidate() {
        let deep = format!("n1/{}x", "logs/".repeat(200));
        let mut c = RootCandidates::default();
        c.add(&deep);
        c.add("n1/logs/dockerd.log");
        assert_eq!(c.map.len(), 1);
        assert_eq!(c.roots(), vec!["n1"]);
    }

    #[test]
    fn a_sosreport_is_one_root_whatever_it_holds() {
        let files = [
            "sosreport-node1-2026-12-03-abc/sos_commands/docker/docker_info",
            "sosreport-node1-2026-12-03-abc/sos_commands/logs/journalctl_--no-pager",
            "sosreport-node1-2026-12-03-abc/sos_reports/manifest.json",
            "sosreport-node1-2026-12-03-abc/etc/docker/daemon.json",
            "sosreport-node1-2026-12-03-abc/var/lib/docker/swarm/state.json",
            "sosreport-node2-2026-12-03-def/sos_commands/kernel/lsmod",
        ];
        let mut c = RootCandidates::default();
        for f in files {
            c.add(f);
        }
        assert_eq!(
            c.roots_with_flavor(),
            vec![
                (
                    "sosreport-node1-2026-12-03-abc".to_string(),
                    Flavor::Sosreport
                ),
                (
                    "sosreport-node2-2026-12-03-def".to_string(),
                    Flavor::Sosreport
                ),
            ]
        );
        // sos's own manifest alone makes no root.
        assert!(roots(&["sosreport-x/sos_reports/manifest.json"]).is_empty());
        // An extracted sosreport given as the input is its top.
        assert_eq!(
            roots(&["sos_commands/docker/docker_info", "version.txt"]),
            vec![""]
        );
    }

    #[test]
    fn sos_paths_of_3x_and_4x_map_to_the_layout() {
        let m = |p: &str| sos_layout_path(p);
        assert_eq!(
            m("sos_commands/docker/docker_info").as_deref(),
            Some("docker/info.txt")
        );
        assert_eq!(
            m("sos_commands/docker/docker_network_inspect_appnet").as_deref(),
            Some("swarm/networks.d/appnet.json")
        );
        assert_eq!(
            m("sos_commands/docker/containers/docker_inspect_2b42677539c9").as_deref(),
            Some("containers/inspect.d/2b42677539c9.json")
        );
        // 3.x before output went to subdirectories.
        assert_eq!(
            m("sos_commands/docker/docker_inspect_2b42677539c9").as_deref(),
            Some("containers/inspect.d/2b42677539c9.json")
        );
        assert_eq!(
            m("sos_commands/docker/journalctl_--no-pager_--unit_docker").as_deref(),
            Some("logs/dockerd.log")
        );
        assert_eq!(
            m("sos_commands/networking/ip_address").as_deref(),
            Some("host/ip-addr.txt")
        );
        assert_eq!(
            m("sos_commands/networking/ip_-d_address").as_deref(),
            Some("host/ip-addr.txt")
        );
        assert_eq!(
            m("boot/config-6.1.0-13-amd64").as_deref(),
            Some("host/kernel-config.txt")
        );
        assert_eq!(m("sos_commands/docker/docker_images"), None);
        assert_eq!(m("sos_commands/docker/docker_network_inspect_"), None);
        assert_eq!(m("sos_commands/docker/containers/docker_inspect_a/b"), None);
        // Every layout path of the table is one the bundle layout knows.
        for (layout, _) in SOS_SPECS {
            let probe = layout.replace('*', "x");
            assert_ne!(classify(&probe), SourceKind::Unknown, "{layout}");
        }
        assert_eq!(source_name("docker/info.txt"), Some("docker/info.json"));
        assert_eq!(
            source_name("swarm/networks.d/x.json"),
            Some("swarm/networks.json")
        );
        assert_eq!(source_name("docker/info.json"), None);
    }

    #[test]
    fn no_root_in_unrelated_files() {
        assert!(roots(&["README.txt", "data/dockerd.log", "logs"]).is_empty());
    }

    #[test]
    fn root_of_picks_deepest() {
        let r: BTreeMap<String, usize> = [("a".to_string(), 0), ("a/b".to_string(), 1)].into();
        assert_eq!(
            root_of(&r, "a/b/logs/dockerd.log"),
            Some((1, "logs/dockerd.log"))
        );
        assert_eq!(root_of(&r, "a/manifest.json"), Some((0, "manifest.json")));
        assert_eq!(root_of(&r, "ab/manifest.json"), None);
        let top: BTreeMap<String, usize> = [(String::new(), 0)].into();
        assert_eq!(
            root_of(&top, "logs/dockerd.log"),
            Some((0, "logs/dockerd.log"))
        );
    }
}
