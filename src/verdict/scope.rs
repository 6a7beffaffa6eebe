//! What each finding is about: the nodes, networks and services it names,
//! the evidence lines it quotes and when it was first seen. Names are found
//! with one pass over each finding's text (a hash probe per word, plus an
//! Aho-Corasick pass for names with other bytes), so the cost is the size of
//! the text, not the number of names times findings.

use crate::finding::Finding;
use crate::model::Cluster;
use crate::parse::service::Service;
use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use time::OffsetDateTime;

/// The keys a finding can share with another.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Hostnames: the finding's nodes plus those its subject or detail names.
    pub nodes: BTreeSet<String>,
    /// Network names (or ids when unnamed), also those of named services.
    pub networks: BTreeSet<String>,
    /// Service names.
    pub services: BTreeSet<String>,
    /// `file:line` of each evidence line (whole-file evidence is no line).
    pub lines: BTreeSet<String>,
    pub first_seen: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Entity {
    Node(String),
    Network(String),
    Service(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Node,
    Network,
    Service,
}

/// What a name stands for, borrowed from the model until a text names it.
type Named<'a> = Vec<(Kind, &'a str)>;

/// Every name the model knows, ready to find in text.
pub struct Names<'a> {
    /// Names made only of word bytes (ids, most host and service names):
    /// such a name is found as a whole word exactly when it is a maximal
    /// run of word bytes, so one hash probe per run finds them all.
    words: HashMap<&'a str, Named<'a>>,
    /// The other names (subnets, `my-net`), found with one Aho-Corasick pass.
    ac: Option<AhoCorasick>,
    /// Pattern index → what it names.
    what: Vec<Named<'a>>,
    /// Network id → the name scopes use for it (the id when unnamed).
    net_name: HashMap<&'a str, &'a str>,
    /// Service name → the last service of that name.
    service: HashMap<&'a str, &'a Service>,
}

/// Names shorter than this are not looked for (too likely to be a word).
const MIN_NAME: usize = 3;

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl<'a> Names<'a> {
    pub fn new(cluster: &'a Cluster) -> Names<'a> {
        let mut words: HashMap<&'a str, Named<'a>> = HashMap::new();
        let mut others: BTreeMap<&'a str, Named<'a>> = BTreeMap::new();
        let mut add = |token: &'a str, kind: Kind, name: &'a str| {
            if token.len() < MIN_NAME {
                return;
            }
            let named = if token.bytes().all(is_word) {
                words.entry(token).or_default()
            } else {
                others.entry(token).or_default()
            };
            if !named.contains(&(kind, name)) {
                named.push((kind, name));
            }
        };
        for n in &cluster.swarm_nodes {
            add(&n.hostname, Kind::Node, &n.hostname);
            add(&n.id, Kind::Node, &n.hostname);
        }
        for n in &cluster.nodes {
            add(&n.hostname, Kind::Node, &n.hostname);
            add(&n.label, Kind::Node, &n.hostname);
            add(&n.node_id, Kind::Node, &n.hostname);
        }
        let mut net_name: HashMap<&'a str, &'a str> = HashMap::new();
        for n in &cluster.networks {
            let name = if n.name.is_empty() { &n.id } else { &n.name };
            net_name.insert(n.id.as_str(), name.as_str());
        }
        for n in &cluster.networks {
            let key = net_name.get(n.id.as_str()).copied().unwrap_or(&n.id);
            add(&n.name, Kind::Network, key);
            add(&n.id, Kind::Network, key);
            for ipam in &n.ipam {
                add(&ipam.subnet, Kind::Network, key);
            }
        }
        let mut service = HashMap::new();
        for s in &cluster.services {
            add(&s.name, Kind::Service, &s.name);
            add(&s.id, Kind::Service, &s.name);
            service.insert(s.name.as_str(), s);
        }
        let (patterns, what): (Vec<&str>, Vec<Named>) = others.into_iter().unzip();
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .ok();
        Names {
            words,
            ac,
            what,
            net_name,
            service,
        }
    }

    /// Every entity named in `text` as a whole word.
    fn find(&self, text: &str, out: &mut BTreeSet<Entity>) {
        let mut add = |named: &Named| {
            out.extend(named.iter().map(|&(kind, name)| {
                let name = name.to_string();
                match kind {
                    Kind::Node => Entity::Node(name),
                    Kind::Network => Entity::Network(name),
                    Kind::Service => Entity::Service(name),
                }
            }))
        };
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if !is_word(bytes[i]) {
                i += 1;
                continue;
            }
            let end = bytes[i..]
                .iter()
                .position(|&b| !is_word(b))
                .map_or(bytes.len(), |n| i + n);
            // A run of ASCII word bytes is a whole str.
            if let Some(named) = self.words.get(&text[i..end]) {
                add(named);
            }
            i = end;
        }
        let Some(ac) = &self.ac else { return };
        for m in ac.find_overlapping_iter(text) {
            let before = m.start().checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(m.end()).copied();
            if before.is_some_and(is_word) || after.is_some_and(is_word) {
                continue;
            }
            add(&self.what[m.pattern().as_usize()]);
        }
    }

    /// The names of the networks of the service called `name`.
    fn service_networks(&self, name: &str) -> impl Iterator<Item = String> + '_ {
        self.service.get(name).into_iter().flat_map(|s| {
            s.networks.iter().map(|id| {
                self.net_name
                    .get(id.as_str())
                    .map_or(id.clone(), |n| n.to_string())
            })
        })
    }

    /// The scope of one finding.
    pub fn scope(&self, f: &Finding) -> Scope {
        let mut own = BTreeSet::new();
        if let Some(s) = &f.subject {
            self.find(s, &mut own);
        }
        self.find(&f.detail, &mut own);
        let mut quoted = BTreeSet::new();
        for e in &f.evidence {
            self.find(&e.text, &mut quoted);
        }
        let mut scope = Scope {
            nodes: f.nodes.clone(),
            first_seen: f.first_seen,
            lines: f
                .evidence
                .iter()
                .filter(|e| e.line > 0)
                .map(|e| format!("{}:{}", e.file, e.line))
                .collect(),
            ..Scope::default()
        };
        // Nodes only from the finding's own words: evidence lines quote
        // peers and managers that are not what the finding is about.
        for e in own.iter().chain(&quoted) {
            match e {
                Entity::Node(n) if own.contains(e) => {
                    scope.nodes.insert(n.clone());
                }
                Entity::Node(_) => {}
                Entity::Network(n) => {
                    scope.networks.insert(n.clone());
                }
                Entity::Service(s) => {
                    scope.services.insert(s.clone());
                    scope.networks.extend(self.service_networks(s));
                }
            }
        }
        scope
    }
}
