//! The cluster model: every node bundle parsed and merged into one view.
//!
//! Cluster-wide objects (nodes, services, tasks) come from the freshest
//! manager bundle; everything a node holds locally (its network views,
//! containers, namespaces, host state) stays with that node. Every parsed item
//! keeps its 1-based line; `NodeState::file` names the file it came from.

mod build;
pub mod swarms;

pub use build::{build, build_freeing};

use crate::parse::{
    bridge_fdb::FdbEntry, container::Container, info::Info, ip_addr::Interface, ip_neigh::Neigh,
    ip_route::Route, iptables::Ruleset, ipvsadm::Ipvs, lsmod::Module, network::Network, node::Node,
    service::Service, sockets::Socket, sysctl::Sysctl, task::Task, version::Version,
};
use crate::report::CoverageNote;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;
use time::OffsetDateTime;

/// The merged view of every bundle given to one analysis.
#[derive(Debug, Default)]
pub struct Cluster {
    /// One entry per node bundle, in label order.
    pub nodes: Vec<NodeState>,
    /// Swarm node objects from the freshest manager (`swarm/nodes.json`).
    pub swarm_nodes: Vec<Node>,
    pub services: Vec<Service>,
    pub tasks: Vec<Task>,
    /// Network definitions (`swarm/networks.json`) of the freshest manager, plus
    /// networks only other nodes know, by id.
    pub networks: Vec<Network>,
    /// Label of the bundle that gave `swarm_nodes`, `services` and `tasks`.
    pub cluster_source: Option<String>,
    /// Labels of bundles set aside because a newer bundle of the same swarm
    /// node was given (see [`NodeState::notes`] of the kept one).
    pub set_aside: Vec<String>,
    /// Lookups by id and name over the lists above, built on first use.
    pub(crate) index: OnceLock<Index>,
}

/// Positions in a [`Cluster`]'s lists by id or name, so that a lookup per
/// task or per node costs a hash probe instead of a scan. Each key maps to
/// its first position, as a scan would find it.
#[derive(Debug, Default)]
pub(crate) struct Index {
    /// List lengths when the index was built: the lists are filled before
    /// anyone looks up, and a lookup on lists changed since then scans.
    lens: [usize; 5],
    services: HashMap<String, usize>,
    networks: HashMap<String, usize>,
    swarm_nodes: HashMap<String, usize>,
    /// Positions of every task of a service, in list order.
    tasks_by_service: HashMap<String, Vec<usize>>,
    /// Bundles by swarm node id (the empty id included) and by hostname.
    nodes_by_id: HashMap<String, usize>,
    nodes_by_host: HashMap<String, usize>,
    nodes_by_label: HashMap<String, usize>,
}

fn first_positions<'a>(keys: impl Iterator<Item = &'a str>) -> HashMap<String, usize> {
    let mut map = HashMap::new();
    for (i, k) in keys.enumerate() {
        map.entry(k.to_string()).or_insert(i);
    }
    map
}

/// Everything one node bundle says about its node.
#[derive(Debug, Default)]
pub struct NodeState {
    /// Unique bundle label (the root directory name).
    pub label: String,
    /// Where the bundle came from, for messages.
    pub origin: String,
    /// A swarmdiag bundle, a sosreport, or a lone log.
    pub flavor: crate::bundle::Flavor,
    /// Where sources read under a layout name sit in the input (see
    /// `NodeBundle::sources`); `file` names them by it.
    pub sources: BTreeMap<String, String>,
    /// Hostname (docker info `Name`, else manifest `hostname`, else the label).
    pub hostname: String,
    /// Swarm node id from docker info, empty when unknown.
    pub node_id: String,
    pub collected_at: Option<OffsetDateTime>,
    pub manifest: Option<Manifest>,
    pub version: Option<Version>,
    pub info: Option<Info>,
    /// This bundle's own copy of the cluster objects (managers only).
    pub swarm_nodes: Option<Vec<Node>>,
    /// `Some` when the bundle held a services (tasks) file; the lists are
    /// emptied by the merge (the cluster source's move into
    /// [`Cluster::services`] and [`Cluster::tasks`]), as they can be huge.
    pub services: Option<Vec<Service>>,
    pub tasks: Option<Vec<Task>>,
    /// This node's local view of swarm-scope networks.
    pub networks: Option<Vec<Network>>,
    pub containers: Option<Vec<Container>>,
    pub host: NetState,
    pub host_sysctl: Option<BTreeMap<String, Sysctl>>,
    pub host_modules: Option<Vec<Module>>,
    pub host_sockets: Option<Vec<Socket>>,
    /// `host/hostname.txt` (a sosreport's `etc/hostname`): names the node
    /// when docker info cannot (daemon down).
    pub host_name_file: Option<String>,
    /// `host/kernel-config.txt` as collected (`CONFIG_X=y` / `# CONFIG_X is not set`).
    pub kernel_config: Option<String>,
    /// Namespaces under the daemon's exec-root `netns/`, by file name.
    pub netns: BTreeMap<String, NetState>,
    /// What commands printed on stderr (`<path>.stderr`), by the command's
    /// output path: `netns/lb_x/ipvsadm.txt` → `Can't initialize ipvs: …`.
    pub stderr: BTreeMap<String, String>,
    /// Layout sources that were present and parsed (relative paths).
    pub present: Vec<String>,
    /// Unusable or partly usable files.
    pub notes: Vec<CoverageNote>,
    /// Log signatures (rule ids) matched in this node's logs, each with its
    /// evidence lines from this node (at least one), so checks can
    /// corroborate data-plane facts with what the daemon said (e.g. KMOD-01
    /// for a kernel without IPVS).
    pub log_signatures: BTreeMap<String, Vec<crate::finding::Evidence>>,
}

/// The network state of the host or of one namespace.
#[derive(Debug, Default)]
pub struct NetState {
    pub addrs: Option<Vec<Interface>>,
    pub links: Option<Vec<Interface>>,
    pub routes: Option<Vec<Route>>,
    pub neigh: Option<Vec<Neigh>>,
    pub fdb: Option<Vec<FdbEntry>>,
    pub iptables: Option<Ruleset>,
    /// `nft list ruleset` (host only).
    pub nft: Option<crate::parse::nft::Ruleset>,
    pub ipvs: Option<Ipvs>,
    pub sysctl: Option<BTreeMap<String, Sysctl>>,
}

/// `manifest.json`, as far as the analysis needs it.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    pub collector_version: String,
    pub collected_at: String,
    pub hostname: String,
    pub since: String,
    pub exec_root: String,
    pub daemon_log_source: String,
    pub absent_tools: Vec<String>,
    pub commands: Vec<ManifestCommand>,
}

/// One command the collector ran (or skipped). Only what the analysis
/// reads is kept: a manifest lists every file of the bundle, and a
/// 40,000-node input holds 40,000 manifests. The other fields are still
/// read for their type, so a malformed manifest fails as before.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct ManifestCommand {
    pub path: String,
    pub skipped: Option<String>,
    #[serde(rename = "command")]
    _command: Checked<String>,
    #[serde(rename = "exit_code")]
    _exit_code: Checked<Option<i64>>,
    #[serde(rename = "duration_ms")]
    _duration_ms: Checked<Option<u64>>,
    #[serde(rename = "bytes")]
    _bytes: Checked<Option<u64>>,
    #[serde(rename = "truncated")]
    _truncated: Checked<bool>,
}

/// A field deserialized as `T` (so a wrong type is still an error) and not kept.
#[derive(Debug, Clone, Copy)]
struct Checked<T>(std::marker::PhantomData<T>);

impl<T> Default for Checked<T> {
    fn default() -> Self {
        Checked(std::marker::PhantomData)
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Checked<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(|_| Checked::default())
    }
}

impl NodeState {
    /// Node-qualified path of a bundle file, as used in evidence: the
    /// file's own name in the input when it was read under a layout name
    /// (`node1/sos_commands/docker/docker_info`).
    pub fn file(&self, rel: &str) -> String {
        match self.sources.get(rel).map(String::as_str) {
            Some(own) => format!("{}/{own}", self.label),
            None => format!("{}/{}", self.label, rel),
        }
    }

    /// The engine version this node runs (docker version, else docker info).
    pub fn engine_version(&self) -> Option<&str> {
        self.version
            .as_ref()
            .and_then(|v| v.server.as_ref())
            .map(|s| s.version.as_str())
            .filter(|s| !s.is_empty())
            .or_else(|| {
                self.info
                    .as_ref()
                    .map(|i| i.server_version.as_str())
                    .filter(|s| !s.is_empty())
            })
    }

    /// True when this bundle comes from a manager (docker info says so, or it
    /// carries the manager-only swarm objects).
    pub fn is_manager(&self) -> bool {
        self.info
            .as_ref()
            .is_some_and(|i| i.swarm.control_available)
            || self.swarm_nodes.is_some()
    }
}

impl Cluster {
    fn lens(&self) -> [usize; 5] {
        [
            self.nodes.len(),
            self.swarm_nodes.len(),
            self.services.len(),
            self.tasks.len(),
            self.networks.len(),
        ]
    }

    /// The lookup index, or `None` when a list changed after it was built
    /// (callers then scan).
    fn index(&self) -> Option<&Index> {
        let index = self.index.get_or_init(|| {
            let mut tasks_by_service: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, t) in self.tasks.iter().enumerate() {
                tasks_by_service
                    .entry(t.service_id.clone())
                    .or_default()
                    .push(i);
            }
            Index {
                lens: self.lens(),
                services: first_positions(self.services.iter().map(|s| s.id.as_str())),
                networks: first_positions(self.networks.iter().map(|n| n.id.as_str())),
                swarm_nodes: first_positions(self.swarm_nodes.iter().map(|n| n.id.as_str())),
                tasks_by_service,
                nodes_by_id: first_positions(self.nodes.iter().map(|n| n.node_id.as_str())),
                nodes_by_host: first_positions(self.nodes.iter().map(|n| n.hostname.as_str())),
                nodes_by_label: first_positions(self.nodes.iter().map(|n| n.label.as_str())),
            }
        });
        (index.lens == self.lens()).then_some(index)
    }

    /// The bundle of the node with this swarm id or hostname.
    pub fn node_state(&self, id_or_host: &str) -> Option<&NodeState> {
        self.bundle_with_id(id_or_host)
            .or_else(|| self.bundle_with_host(id_or_host))
    }

    /// The first bundle whose swarm node id is `id` (never for an empty id).
    pub fn bundle_with_id(&self, id: &str) -> Option<&NodeState> {
        if id.is_empty() {
            return None;
        }
        match self.index() {
            Some(ix) => ix.nodes_by_id.get(id).map(|&i| &self.nodes[i]),
            None => self.nodes.iter().find(|n| n.node_id == id),
        }
    }

    /// The first bundle whose hostname is `host`.
    pub fn bundle_with_host(&self, host: &str) -> Option<&NodeState> {
        match self.index() {
            Some(ix) => ix.nodes_by_host.get(host).map(|&i| &self.nodes[i]),
            None => self.nodes.iter().find(|n| n.hostname == host),
        }
    }

    /// The bundle with this label.
    pub fn bundle(&self, label: &str) -> Option<&NodeState> {
        match self.index() {
            Some(ix) => ix.nodes_by_label.get(label).map(|&i| &self.nodes[i]),
            None => self.nodes.iter().find(|n| n.label == label),
        }
    }

    /// The first bundle (in label order) whose swarm node id is `id` or whose
    /// hostname is `hostname`: the bundle of a node of the manager's list.
    pub fn bundle_of(&self, id: &str, hostname: &str) -> Option<&NodeState> {
        let Some(ix) = self.index() else {
            return self
                .nodes
                .iter()
                .find(|n| n.node_id == id || n.hostname == hostname);
        };
        let by_id = ix.nodes_by_id.get(id).copied();
        let by_host = ix.nodes_by_host.get(hostname).copied();
        by_id
            .into_iter()
            .chain(by_host)
            .min()
            .map(|i| &self.nodes[i])
    }

    /// Hostname of a swarm node id, from the manager's node list or a bundle.
    pub fn hostname_of(&self, node_id: &str) -> Option<&str> {
        let Some(ix) = self.index() else {
            return self
                .swarm_nodes
                .iter()
                .find(|n| n.id == node_id)
                .map(|n| n.hostname.as_str())
                .or_else(|| {
                    self.nodes
                        .iter()
                        .find(|n| n.node_id == node_id)
                        .map(|n| n.hostname.as_str())
                });
        };
        ix.swarm_nodes
            .get(node_id)
            .map(|&i| self.swarm_nodes[i].hostname.as_str())
            .or_else(|| {
                ix.nodes_by_id
                    .get(node_id)
                    .map(|&i| self.nodes[i].hostname.as_str())
            })
    }

    /// The first swarm node (of the manager's list) with this id.
    pub fn swarm_node(&self, id: &str) -> Option<&Node> {
        match self.index() {
            Some(ix) => ix.swarm_nodes.get(id).map(|&i| &self.swarm_nodes[i]),
            None => self.swarm_nodes.iter().find(|n| n.id == id),
        }
    }

    pub fn service(&self, id: &str) -> Option<&Service> {
        match self.index() {
            Some(ix) => ix.services.get(id).map(|&i| &self.services[i]),
            None => self.services.iter().find(|s| s.id == id),
        }
    }

    pub fn network(&self, id: &str) -> Option<&Network> {
        match self.index() {
            Some(ix) => ix.networks.get(id).map(|&i| &self.networks[i]),
            None => self.networks.iter().find(|n| n.id == id),
        }
    }

    /// The tasks of a service, in list order.
    pub fn tasks_of<'a>(&'a self, service_id: &str) -> Box<dyn Iterator<Item = &'a Task> + 'a> {
        match self.index() {
            Some(ix) => Box::new(
                ix.tasks_by_service
                    .get(service_id)
                    .into_iter()
                    .flatten()
                    .map(|&i| &self.tasks[i]),
            ),
            None => {
                let id = service_id.to_string();
                Box::new(self.tasks.iter().filter(move |t| t.service_id == id))
            }
        }
    }

    /// File (node-qualified) holding the cluster-wide objects of `rel`.
    pub fn cluster_file(&self, rel: &str) -> String {
        match &self.cluster_source {
            Some(label) => format!("{label}/{rel}"),
            None => rel.to_string(),
        }
    }
}

impl NodeState {
    /// A kernel config option's value (`y`, `m`, a string), `Some("n")` when
    /// the config says `# CONFIG_X is not set`, `None` without a config or
    /// a mention, with the 1-based line.
    pub fn kernel_option(&self, name: &str) -> Option<(usize, &str)> {
        let config = self.kernel_config.as_deref()?;
        config.lines().enumerate().find_map(|(i, l)| {
            let l = l.trim();
            if let Some(v) = l.strip_prefix(name).and_then(|r| r.strip_prefix('=')) {
                Some((i + 1, v))
            } else if l.strip_prefix("# ").and_then(|r| r.strip_prefix(name)) == Some(" is not set")
            {
                Some((i + 1, "n"))
            } else {
                None
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab(scenario: &str) -> Cluster {
        let rules = crate::load_rules(None).expect("embedded rules load");
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(scenario);
        crate::analyze::analyze(&[path], &rules, &Default::default())
            .expect("analysis runs")
            .cluster
    }

    /// Every lookup answers what a scan of the lists answers, on a real
    /// capture (30 tasks of one service, managers and a worker).
    #[test]
    fn lookups_agree_with_scans() {
        let c = lab("testdata/lab/exhausted");
        assert!(c.tasks.len() >= 30 && !c.services.is_empty() && c.nodes.len() == 3);
        for s in &c.services {
            assert_eq!(c.service(&s.id).map(|x| x.line), Some(s.line));
            let scanned: Vec<&str> = c
                .tasks
                .iter()
                .filter(|t| t.service_id == s.id)
                .map(|t| t.id.as_str())
                .collect();
            let indexed: Vec<&str> = c.tasks_of(&s.id).map(|t| t.id.as_str()).collect();
            assert_eq!(indexed, scanned);
        }
        for n in &c.networks {
            assert_eq!(c.network(&n.id).map(|x| &x.name), Some(&n.name));
        }
        for sn in &c.swarm_nodes {
            assert_eq!(c.hostname_of(&sn.id), Some(sn.hostname.as_str()));
            assert_eq!(c.swarm_node(&sn.id).map(|x| x.line), Some(sn.line));
            let scanned = c
                .nodes
                .iter()
                .find(|n| n.node_id == sn.id || n.hostname == sn.hostname);
            assert_eq!(
                c.bundle_of(&sn.id, &sn.hostname).map(|n| &n.label),
                scanned.map(|n| &n.label)
            );
        }
        for n in &c.nodes {
            assert_eq!(c.node_state(&n.node_id).map(|x| &x.label), Some(&n.label));
            assert_eq!(c.node_state(&n.hostname).map(|x| &x.label), Some(&n.label));
            assert_eq!(c.bundle(&n.label).map(|x| &x.label), Some(&n.label));
        }
        assert!(c.service("no such id").is_none());
        assert_eq!(c.tasks_of("no such id").count(), 0);
        assert!(c.node_state("").is_none(), "an empty id names no bundle");
    }

    /// A list grown after the first lookup is scanned, not missed.
    #[test]
    fn lists_changed_after_a_lookup_are_scanned() {
        let mut c = lab("testdata/lab/healthy");
        let first = c.services[0].clone();
        assert!(c.service(&first.id).is_some());
        let mut extra = first.clone();
        extra.id = "newservice0000000000000000".into();
        c.services.push(extra);
        assert_eq!(
            c.service("newservice0000000000000000").map(|s| &s.name),
            Some(&first.name)
        );
        let mut task = c.tasks[0].clone();
        task.service_id = "newservice0000000000000000".into();
        c.tasks.push(task);
        assert_eq!(c.tasks_of("newservice0000000000000000").count(), 1);
    }
}
