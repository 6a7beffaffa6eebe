//! What each finding is about: the nodes, networks and services it names,
//! the evidence lines it quotes and when it was first seen. Names are found
//! with one Aho-Corasick pass over each finding's text, so the cost is the
//! size of the text, not the number of names times findings.

use crate::finding::Finding;
use crate::model::Cluster;
use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::{BTreeMap, BTreeSet};
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

/// Every name the model knows, ready to find in text.
pub struct Names {
    ac: Option<AhoCorasick>,
    /// Pattern index → what it names.
    what: Vec<Vec<Entity>>,
    /// Service name → its networks' names.
    service_networks: BTreeMap<String, Vec<String>>,
}

/// Names shorter than this are not looked for (too likely to be a word).
const MIN_NAME: usize = 3;

impl Names {
    pub fn new(cluster: &Cluster) -> Names {
        let mut tokens: BTreeMap<String, BTreeSet<Entity>> = BTreeMap::new();
        let mut add = |token: &str, e: Entity| {
            if token.len() >= MIN_NAME {
                tokens.entry(token.to_string()).or_default().insert(e);
            }
        };
        for n in &cluster.swarm_nodes {
            add(&n.hostname, Entity::Node(n.hostname.clone()));
            add(&n.id, Entity::Node(n.hostname.clone()));
        }
        for n in &cluster.nodes {
            add(&n.hostname, Entity::Node(n.hostname.clone()));
            add(&n.label, Entity::Node(n.hostname.clone()));
            add(&n.node_id, Entity::Node(n.hostname.clone()));
        }
        let net_name: BTreeMap<&str, &str> = cluster
            .networks
            .iter()
            .map(|n| {
                let name = if n.name.is_empty() { &n.id } else { &n.name };
                (n.id.as_str(), name.as_str())
            })
            .collect();
        for n in &cluster.networks {
            let key = net_name.get(n.id.as_str()).copied().unwrap_or(&n.id);
            add(&n.name, Entity::Network(key.to_string()));
            add(&n.id, Entity::Network(key.to_string()));
            for ipam in &n.ipam {
                add(&ipam.subnet, Entity::Network(key.to_string()));
            }
        }
        let mut service_networks = BTreeMap::new();
        for s in &cluster.services {
            add(&s.name, Entity::Service(s.name.clone()));
            add(&s.id, Entity::Service(s.name.clone()));
            let nets: Vec<String> = s
                .networks
                .iter()
                .map(|id| {
                    net_name
                        .get(id.as_str())
                        .map_or(id.clone(), |n| n.to_string())
                })
                .collect();
            service_networks.insert(s.name.clone(), nets);
        }
        let (patterns, what): (Vec<String>, Vec<Vec<Entity>>) = tokens
            .into_iter()
            .map(|(t, e)| (t, e.into_iter().collect()))
            .unzip();
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .ok();
        Names {
            ac,
            what,
            service_networks,
        }
    }

    /// Every entity named in `text` as a whole word.
    fn find(&self, text: &str, out: &mut BTreeSet<Entity>) {
        let Some(ac) = &self.ac else { return };
        let bytes = text.as_bytes();
        let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        for m in ac.find_overlapping_iter(text) {
            let before = m.start().checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(m.end()).copied();
            if before.is_some_and(word) || after.is_some_and(word) {
                continue;
            }
            out.extend(self.what[m.pattern().as_usize()].iter().cloned());
        }
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
                    if let Some(nets) = self.service_networks.get(s) {
                        scope.networks.extend(nets.iter().cloned());
                    }
                }
            }
        }
        scope
    }
}
