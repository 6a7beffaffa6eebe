//! The whole analysis after reading: files of a node bundle (any layout
//! path, any content) → parse → model → checks. Input: records separated by
//! a 0xFF byte, each a path-picking byte then the file's content.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use swarmdiag::bundle::NodeBundle;
use swarmdiag::rules::RuleSet;

const PATHS: &[&str] = &[
    "manifest.json",
    "docker/info.json",
    "docker/version.json",
    "swarm/nodes.json",
    "swarm/services.json",
    "swarm/tasks.json",
    "swarm/networks.json",
    "containers/inspect.json",
    "host/ip-addr.txt",
    "host/ip-link.txt",
    "host/ip-route.txt",
    "host/iptables-save.txt",
    "host/sysctl.txt",
    "host/lsmod.txt",
    "host/ss.txt",
    "netns/lb_x/ip-addr.txt",
    "netns/lb_x/iptables-save.txt",
    "netns/lb_x/ipvsadm.txt",
    "netns/lb_x/ipvsadm.txt.stderr",
    "netns/ingress_sbox/ipvsadm.txt",
    "netns/ingress_sbox/iptables-save.txt",
    "netns/1-abc/bridge-fdb.txt",
    "netns/1-abc/ip-neigh.txt",
];

static RULES: OnceLock<RuleSet> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let rules = RULES.get_or_init(|| RuleSet::embedded().unwrap());
    let mut files = BTreeMap::new();
    for rec in data.split(|&b| b == 0xFF) {
        if let Some((&pick, body)) = rec.split_first() {
            let path = PATHS[usize::from(pick) % PATHS.len()];
            files.insert(path.to_string(), body.to_vec());
        }
    }
    let b = NodeBundle {
        label: "n1".into(),
        origin: "fuzz".into(),
        files,
        logs: Default::default(),
        notes: Vec::new(),
    };
    let cluster = swarmdiag::model::build(&[b]);
    let _ = swarmdiag::checks::run(&cluster, rules);
});
