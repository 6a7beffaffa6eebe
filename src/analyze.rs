//! The analysis pipeline: read every input (in parallel, streaming logs through
//! the log rules), build the cluster model, run task, version and info rules
//! and the cross-source checks, and account for coverage.

use crate::bundle::{self, Input, Limits, LogLine, NodeBundle};
use crate::error::Result;
use crate::finding::{consolidate, Finding};
use crate::model::{self, Cluster};
use crate::parse::log::{parse_line, LogContext};
use crate::report::{ClusterSummary, Coverage, NodeCoverage, NodeSummary, NotRun, Report};
use crate::rules::{EngineFact, LogEvent, LogMatcher, LogSource, RuleSet, TaskEvent};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Everything one analysis produced, before rendering.
pub struct Analysis {
    pub cluster: Cluster,
    pub findings: Vec<Finding>,
    pub coverage: Coverage,
    /// Timeline events from the logs (`crate::timeline`), nodes by bundle label.
    pub events: Vec<crate::timeline::Event>,
}

/// Programs whose lines in a daemon log are the daemon's own; journald mixes
/// in container output (journald log driver) under other identifiers.
const DAEMON_PROGRAMS: &[&str] = &[
    "dockerd",
    "docker",
    "containerd",
    "systemd",
    "firewalld",
    "kernel",
];

/// Per-input log state: the rule matcher plus what is needed to date lines.
struct LogScan {
    matcher: LogMatcher,
    /// Last year seen in a full timestamp, per node: dates year-less lines.
    year: BTreeMap<String, i32>,
    /// Host name from the first journald/syslog prefix, per node: names a
    /// node whose bundle holds nothing but logs.
    hosts: BTreeMap<String, String>,
    /// (node, path, "node/path") of the file being read, to name evidence
    /// without formatting a path for every line.
    file: (String, String, String),
    events: crate::timeline::Collector,
}

impl LogScan {
    fn new(rules: &RuleSet) -> Self {
        LogScan {
            matcher: rules.log_matcher(),
            year: BTreeMap::new(),
            hosts: BTreeMap::new(),
            file: Default::default(),
            events: Default::default(),
        }
    }

    fn line(&mut self, l: &LogLine<'_>) {
        let source = match l.path {
            "logs/dockerd.log" => LogSource::Dockerd,
            "logs/kernel.log" => LogSource::Kernel,
            _ => return,
        };
        let known_year = self.year.get(l.node).copied();
        let year = known_year.unwrap_or(YEAR_UNKNOWN);
        let ctx = LogContext {
            year,
            collected_at: None,
        };
        let Some(rec) = parse_line(l.text, &ctx) else {
            self.events.marker(l);
            return;
        };
        if let Some(p) = rec.program.as_deref() {
            if source == LogSource::Dockerd && !DAEMON_PROGRAMS.iter().any(|d| p.starts_with(d)) {
                return;
            }
        }
        if let Some(h) = rec.host.as_deref().filter(|_| source == LogSource::Dockerd) {
            if !self.hosts.contains_key(l.node) {
                self.hosts.insert(l.node.to_string(), h.to_string());
            }
        }
        if let Some(t) = rec.time {
            if year != t.year() {
                self.year.insert(l.node.to_string(), t.year());
            }
        }
        let haystack = rec.haystack();
        if self.file.0 != l.node || self.file.1 != l.path {
            self.file = (
                l.node.to_string(),
                l.path.to_string(),
                format!("{}/{}", l.node, l.path),
            );
        }
        self.events.line(l, &self.file.2, &rec);
        // A year-less stamp before any dated line of this node (in this
        // worker) has no trustworthy time: the finding quotes the line but
        // does not date it. The timeline re-dates such lines from the
        // manifest's collected_at.
        let time = rec
            .time
            .filter(|t| known_year.is_some() || t.year() != YEAR_UNKNOWN);
        self.matcher.observe(&LogEvent {
            node: l.node,
            file: &self.file.2,
            line: l.line,
            time,
            level: rec.level.map(|lv| lv.as_str()),
            source,
            haystack: &haystack,
            raw: l.text,
            engine_version: None,
        });
    }
}

/// The placeholder year given to year-less stamps when no dated line told
/// the year; such times are never reported.
const YEAR_UNKNOWN: i32 = 1970;

/// Lines handed from the reader to a log worker: a run of consecutive lines
/// of one node's file, packed into one buffer.
struct LineBatch {
    node: String,
    path: String,
    buf: String,
    /// (line number, truncated, end offset in `buf`).
    lines: Vec<(usize, bool, usize)>,
}

/// How many lines a batch carries before it is handed over.
const BATCH_LINES: usize = 2048;

/// Log workers per input. Fixed rather than one per core: batch `i` goes to
/// worker `i % LOG_WORKERS`, and a fixed deal keeps the result the same on
/// every machine.
const LOG_WORKERS: usize = 4;

/// Reads one input while log workers parse and match its lines, so reading
/// (and decompressing) overlaps with parsing. Matching and event collection
/// do not depend on line order; the only order-dependent state, the year
/// given to year-less syslog lines, evolves per worker over a fixed deal of
/// batches, so the output stays deterministic.
fn scan_input(input: &Input, rules: &RuleSet) -> Result<Read> {
    std::thread::scope(|s| {
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        for _ in 0..LOG_WORKERS {
            let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, LineBatch)>(4);
            senders.push(tx);
            handles.push(s.spawn(move || {
                let mut scan = LogScan::new(rules);
                let mut first_host: BTreeMap<String, (usize, String)> = BTreeMap::new();
                for (index, b) in rx {
                    let mut start = 0;
                    for &(line, truncated, end) in &b.lines {
                        let text = &b.buf[start..end];
                        start = end;
                        scan.line(&LogLine {
                            node: &b.node,
                            path: &b.path,
                            line,
                            text,
                            truncated,
                        });
                    }
                    // A node's host name is the one its earliest batch saw.
                    if let Some(h) = scan.hosts.remove(&b.node) {
                        first_host.entry(b.node.clone()).or_insert((index, h));
                    }
                }
                (scan, first_host)
            }));
        }
        let mut batches = 0usize;
        let mut pending: Option<LineBatch> = None;
        let mut send = |b: LineBatch| {
            // A worker only hangs up by panicking; the join below reports it.
            let _ = senders[batches % LOG_WORKERS].send((batches, b));
            batches += 1;
        };
        let read = input.read(&mut |l: &LogLine<'_>| {
            let full = pending.as_ref().is_some_and(|b| {
                b.node != l.node || b.path != l.path || b.lines.len() >= BATCH_LINES
            });
            if full {
                if let Some(b) = pending.take() {
                    send(b);
                }
            }
            let b = pending.get_or_insert_with(|| LineBatch {
                node: l.node.to_string(),
                path: l.path.to_string(),
                buf: String::new(),
                lines: Vec::with_capacity(BATCH_LINES),
            });
            b.buf.push_str(l.text);
            b.lines.push((l.line, l.truncated, b.buf.len()));
        });
        if let Some(b) = pending.take() {
            send(b);
        }
        // Hanging up ends the workers' loops.
        drop(senders);
        let mut matcher = rules.log_matcher();
        let mut hosts: BTreeMap<String, (usize, String)> = BTreeMap::new();
        let mut events = crate::timeline::Collector::default();
        for h in handles {
            let (scan, first_host) = h.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            matcher.merge(scan.matcher);
            events.absorb(scan.events);
            for (node, (index, host)) in first_host {
                match hosts.get(&node) {
                    Some((i, _)) if *i <= index => {}
                    _ => {
                        hosts.insert(node, (index, host));
                    }
                }
            }
        }
        let hosts = hosts.into_iter().map(|(n, (_, h))| (n, h)).collect();
        Ok((read?, matcher, hosts, events))
    })
}

/// What reading one input gives: its bundles, the log rule matches, the host
/// name each log-only node logged under, and the timeline events.
type Read = (
    bundle::Bundles,
    LogMatcher,
    BTreeMap<String, String>,
    crate::timeline::Collector,
);

/// Reads, models and checks `paths` (one node bundle each, or archives holding several).
pub fn analyze(paths: &[PathBuf], rules: &RuleSet, limits: &Limits) -> Result<Analysis> {
    let mut inputs: Vec<Input> = paths
        .iter()
        .map(|p| bundle::open(p, limits))
        .collect::<Result<_>>()?;
    bundle::label_uniquely(&mut inputs);

    let read: Vec<Result<Read>> = inputs
        .par_iter()
        .map(|input| scan_input(input, rules))
        .collect();

    let mut node_bundles: Vec<NodeBundle> = Vec::new();
    let mut input_notes = Vec::new();
    let mut matcher = rules.log_matcher();
    let mut log_hosts = BTreeMap::new();
    let mut events = Vec::new();
    for r in read {
        let (b, m, hosts, ev) = r?;
        node_bundles.extend(b.nodes);
        input_notes.extend(b.notes);
        matcher.merge(m);
        log_hosts.extend(hosts);
        events.extend(ev.finish(&mut input_notes));
    }

    let mut cluster = model::build(&node_bundles);
    // Older bundles of a node given twice are not analyzed (see the model).
    events.retain(|e| !cluster.set_aside.contains(&e.node));
    crate::timeline::redate(&mut events, &cluster);
    // Task errors go through the same matcher as log lines, so a rule that
    // matches both (`distinct = "task"`) counts each task once.
    let tasks_file = cluster.cluster_file("swarm/tasks.json");
    matcher.observe_tasks(&task_events(&cluster, &tasks_file));
    let mut findings = matcher.finish();
    findings
        .retain(|f| f.nodes.is_empty() || !f.nodes.iter().all(|n| cluster.set_aside.contains(n)));
    date_yearless_evidence(&mut findings, &cluster);
    note_log_signatures(&mut cluster, &findings, &log_hosts);
    findings.extend(info_findings(&cluster, rules));
    findings.extend(version_findings(&cluster, rules));
    let (check_findings, check_not_run) = crate::checks::run(&cluster, rules);
    findings.extend(check_findings);
    drop_out_of_range(&mut findings, &cluster, rules);
    name_nodes(&mut findings, &cluster);

    let mut coverage = coverage(&cluster, &node_bundles, rules);
    coverage.not_run.extend(check_not_run);
    coverage.not_run.sort();
    coverage.not_run.dedup();
    if !input_notes.is_empty() {
        coverage.nodes.push(NodeCoverage {
            bundle: crate::report::INPUT_ROW.into(),
            origin: paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            notes: input_notes
                .into_iter()
                .map(|n| crate::report::CoverageNote {
                    path: n.path,
                    message: n.message,
                })
                .collect(),
            ..NodeCoverage::default()
        });
    }
    Ok(Analysis {
        findings: consolidate(findings),
        cluster,
        coverage,
        events,
    })
}

/// Records, per node, which log signatures matched (with that node's
/// evidence), and names log-only nodes after the host in their log prefix.
fn note_log_signatures(
    cluster: &mut Cluster,
    findings: &[Finding],
    hosts: &BTreeMap<String, String>,
) {
    for n in &mut cluster.nodes {
        if n.info.is_none() && n.manifest.is_none() {
            if let Some(h) = hosts.get(&n.label) {
                n.hostname = h.clone();
            }
        }
        let prefix = format!("{}/", n.label);
        for f in findings.iter().filter(|f| f.nodes.contains(&n.label)) {
            let own: Vec<_> = f
                .evidence
                .iter()
                .filter(|e| e.file.starts_with(&prefix))
                .cloned()
                .collect();
            if !own.is_empty() {
                n.log_signatures.insert(f.id.clone(), own);
            }
        }
    }
}

/// docker info `Swarm.Error` and `Warnings`, and containers' `State.Error`,
/// matched by the rules whose source is `info`.
fn info_findings(cluster: &Cluster, rules: &RuleSet) -> Vec<Finding> {
    let mut m = rules.log_matcher();
    for n in &cluster.nodes {
        let version = n.engine_version();
        if let Some(info) = &n.info {
            let file = n.file("docker/info.json");
            let lines = std::iter::once(info.swarm.error.as_str())
                .chain(info.warnings.iter().map(String::as_str))
                .chain(info.swarm.warnings.iter().map(String::as_str))
                .chain(info.server_errors.iter().map(String::as_str));
            for text in lines.filter(|t| !t.is_empty()) {
                m.observe(&LogEvent {
                    node: &n.label,
                    file: &file,
                    line: 0,
                    time: n.collected_at,
                    level: None,
                    source: LogSource::Info,
                    haystack: text,
                    raw: text,
                    engine_version: version,
                });
            }
        }
        let file = n.file("containers/inspect.json");
        for c in n
            .containers
            .iter()
            .flatten()
            .filter(|c| !c.error.is_empty())
        {
            m.observe(&LogEvent {
                node: &n.label,
                file: &file,
                line: c.line,
                time: c.finished_at.or(c.started_at),
                level: None,
                source: LogSource::Info,
                haystack: &c.error,
                raw: &c.error,
                engine_version: version,
            });
        }
    }
    m.finish()
}

fn task_events<'a>(cluster: &'a Cluster, file: &'a str) -> Vec<TaskEvent<'a>> {
    cluster
        .tasks
        .iter()
        .map(|t| {
            let node = cluster.hostname_of(&t.node_id).unwrap_or("");
            let service = cluster
                .service(&t.service_id)
                .map(|s| s.name.as_str())
                .unwrap_or(&t.service_id);
            let engine_version = cluster
                .swarm_nodes
                .iter()
                .find(|n| n.id == t.node_id)
                .map(|n| n.engine_version.as_str());
            TaskEvent {
                node,
                file,
                line: t.line,
                task_id: &t.id,
                service,
                state: &t.state,
                desired_state: &t.desired_state,
                message: &t.message,
                err: &t.err,
                time: t.timestamp,
                engine_version,
            }
        })
        .collect()
}

fn version_findings(cluster: &Cluster, rules: &RuleSet) -> Vec<Finding> {
    let nodes_file = cluster.cluster_file("swarm/nodes.json");
    let mut facts: Vec<(String, String, String, String, usize)> = cluster
        .swarm_nodes
        .iter()
        .map(|n| {
            (
                n.hostname.clone(),
                n.role.clone(),
                n.engine_version.clone(),
                nodes_file.clone(),
                n.line,
            )
        })
        .collect();
    // Nodes with a bundle but absent from the manager's list still count.
    let mut known: std::collections::HashSet<String> = facts.iter().map(|f| f.0.clone()).collect();
    for n in &cluster.nodes {
        if known.contains(&n.hostname) {
            continue;
        }
        if let Some(v) = n.engine_version() {
            known.insert(n.hostname.clone());
            let role = if n.is_manager() { "manager" } else { "" };
            facts.push((
                n.hostname.clone(),
                role.into(),
                v.to_string(),
                n.file("docker/version.json"),
                0,
            ));
        }
    }
    let events: Vec<EngineFact<'_>> = facts
        .iter()
        .map(|(node, role, version, file, line)| EngineFact {
            node,
            role,
            version,
            file,
            line: *line,
        })
        .collect();
    rules.match_versions(&events)
}

/// Log findings of rules limited to an engine range are dropped for nodes
/// whose engine version is known and outside it (the log is streamed before
/// the version is read, so the range is applied here).
/// Log findings whose lines carry year-less stamps were matched before the
/// year was known (see [`YEAR_UNKNOWN`]). Their evidence keeps the node's
/// first and last lines, so re-reading those with the node's collection
/// time (the manifest) gives the first and last sighting.
fn date_yearless_evidence(findings: &mut [Finding], cluster: &Cluster) {
    for f in findings.iter_mut() {
        for e in &f.evidence {
            let Some((label, path)) = e.file.split_once('/') else {
                continue;
            };
            if !path.starts_with("logs/") {
                continue;
            }
            let Some(at) = cluster
                .nodes
                .iter()
                .find(|n| n.label == label)
                .and_then(|n| n.collected_at)
            else {
                continue;
            };
            let Some(t) = parse_line(&e.text, &LogContext::at(at)).and_then(|r| r.time) else {
                continue;
            };
            f.first_seen = Some(f.first_seen.map_or(t, |x| x.min(t)));
            f.last_seen = Some(f.last_seen.map_or(t, |x| x.max(t)));
        }
    }
}

fn drop_out_of_range(findings: &mut Vec<Finding>, cluster: &Cluster, rules: &RuleSet) {
    findings.retain(|f| {
        let Some(range) = rules
            .get(&f.id)
            .and_then(|r| r.log.as_ref())
            .and_then(|l| l.engine.as_ref())
        else {
            return true;
        };
        f.nodes.iter().all(|label| {
            let version = cluster
                .nodes
                .iter()
                .find(|n| &n.label == label)
                .and_then(|n| n.engine_version());
            range.admits(version)
        })
    });
}

/// Findings name nodes by hostname; log findings were keyed by bundle label.
fn name_nodes(findings: &mut [Finding], cluster: &Cluster) {
    let names: BTreeMap<&str, &str> = cluster
        .nodes
        .iter()
        .map(|n| (n.label.as_str(), n.hostname.as_str()))
        .collect();
    for f in findings {
        f.nodes = f
            .nodes
            .iter()
            .map(|n| {
                names
                    .get(n.as_str())
                    .map(|h| h.to_string())
                    .unwrap_or_else(|| n.clone())
            })
            .collect();
    }
}

/// Layout sources every node bundle should hold, and those only managers hold.
const NODE_SOURCES: &[&str] = &[
    "manifest.json",
    "docker/version.json",
    "docker/info.json",
    "swarm/networks.json",
    "containers/inspect.json",
    "logs/dockerd.log",
    "logs/kernel.log",
    "host/ip-addr.txt",
    "host/ip-link.txt",
    "host/ip-route.txt",
    "host/iptables-save.txt",
    "host/sysctl.txt",
    "host/modules.txt",
    "host/sockets.txt",
];
const MANAGER_SOURCES: &[&str] = &[
    "swarm/nodes.json",
    "swarm/services.json",
    "swarm/tasks.json",
    "swarm/service-ps.txt",
];

fn coverage(cluster: &Cluster, bundles: &[NodeBundle], rules: &RuleSet) -> Coverage {
    let mut nodes = Vec::new();
    // Every source any bundle provided, to tell which rules could run.
    let mut available: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    let mut by_label = std::collections::HashMap::new();
    for b in bundles {
        by_label.entry(b.label.as_str()).or_insert(b);
    }
    for n in &cluster.nodes {
        let b = by_label.get(n.label.as_str()).copied();
        let mut present: Vec<String> = n.present.clone();
        if let Some(b) = b {
            present.extend(
                b.logs
                    .iter()
                    .filter(|(_, s)| s.lines > 0)
                    .map(|(p, _)| p.clone()),
            );
            present.extend(
                b.files
                    .keys()
                    .filter(|p| {
                        p.as_str() == "swarm/service-ps.txt" || p.as_str() == "docker/daemon.json"
                    })
                    .cloned(),
            );
        }
        present.sort();
        present.dedup();
        let has_netns = present.iter().any(|p| p.starts_with("netns/"));
        let mut expected: Vec<&str> = NODE_SOURCES.to_vec();
        if n.is_manager() {
            expected.extend_from_slice(MANAGER_SOURCES);
        }
        let mut notes = n.notes.clone();
        let mut missing = Vec::new();
        for e in expected.iter().filter(|e| !present.iter().any(|p| p == *e)) {
            // A source the collector deliberately skipped (no containers, no
            // module support) is explained, not missing.
            let skipped = n
                .manifest
                .iter()
                .flat_map(|m| &m.commands)
                .find(|c| c.path == *e)
                .and_then(|c| c.skipped.as_ref());
            match skipped {
                Some(reason) => notes.push(crate::report::CoverageNote {
                    path: e.to_string(),
                    message: format!("not collected: {reason}"),
                }),
                None => missing.push(e.to_string()),
            }
        }
        notes.sort();
        if !has_netns {
            missing.push("netns/".into());
        }
        missing.sort();
        available.extend(present.iter().cloned());
        nodes.push(NodeCoverage {
            bundle: n.label.clone(),
            origin: n.origin.clone(),
            present,
            missing,
            notes,
        });
    }
    let mut not_run = Vec::new();
    for r in rules.rules() {
        let inputs = r.inputs();
        if inputs.is_empty()
            || inputs
                .iter()
                .any(|i| available.iter().any(|a| glob_match(i, a)))
        {
            continue;
        }
        not_run.push(NotRun {
            id: r.id.clone(),
            reason: format!("needs {} (absent from every bundle)", inputs.join(" or ")),
        });
    }
    not_run.sort();
    Coverage { nodes, not_run }
}

impl Analysis {
    /// The report to render.
    pub fn report(&self) -> Report {
        Report {
            schema: "swarmdiag-report",
            schema_version: crate::report::REPORT_SCHEMA_VERSION,
            tool: format!("swarmdiag {}", env!("CARGO_PKG_VERSION")),
            cluster: summary(&self.cluster),
            findings: self.findings.clone(),
            coverage: self.coverage.clone(),
        }
    }
}

fn summary(c: &Cluster) -> ClusterSummary {
    use time::format_description::well_known::Rfc3339;
    let mut nodes: Vec<NodeSummary> = c
        .swarm_nodes
        .iter()
        .map(|sn| {
            let bundle = c.bundle_of(&sn.id, &sn.hostname);
            NodeSummary {
                bundle: bundle.map(|b| b.label.clone()).unwrap_or_default(),
                hostname: sn.hostname.clone(),
                node_id: sn.id.clone(),
                role: sn.role.clone(),
                availability: sn.availability.clone(),
                state: sn.state.clone(),
                engine_version: sn.engine_version.clone(),
                leader: sn.manager.as_ref().is_some_and(|m| m.leader),
                collected_at: bundle
                    .and_then(|b| b.collected_at)
                    .and_then(|t| t.format(&Rfc3339).ok()),
            }
        })
        .collect();
    let listed: std::collections::HashSet<String> =
        nodes.iter().map(|s| s.bundle.clone()).collect();
    for n in &c.nodes {
        if listed.contains(&n.label) {
            continue;
        }
        let swarm = n.info.as_ref().map(|i| &i.swarm);
        nodes.push(NodeSummary {
            bundle: n.label.clone(),
            hostname: n.hostname.clone(),
            node_id: n.node_id.clone(),
            role: if n.is_manager() {
                "manager".into()
            } else if swarm.is_some_and(|s| s.local_node_state == "active") {
                "worker".into()
            } else {
                String::new()
            },
            availability: String::new(),
            // Not in the nodes list: only the node's own view (docker info
            // LocalNodeState) is known, labelled so it is not read as the
            // managers' Status.State.
            state: swarm
                .filter(|s| !s.local_node_state.is_empty())
                .map(|s| format!("swarm {}", s.local_node_state))
                .unwrap_or_default(),
            engine_version: n.engine_version().unwrap_or_default().to_string(),
            leader: false,
            collected_at: n.collected_at.and_then(|t| t.format(&Rfc3339).ok()),
        });
    }
    nodes.sort_by(|a, b| {
        a.hostname
            .cmp(&b.hostname)
            .then_with(|| a.bundle.cmp(&b.bundle))
    });
    ClusterSummary {
        nodes,
        services: c.services.len(),
        tasks: c.tasks.len(),
        networks: c.networks.len(),
        cluster_objects_from: c.cluster_source.clone(),
    }
}

/// Matches a layout path against a pattern where `*` stands for any run of
/// characters other than `/` (e.g. `netns/lb_*/ipvsadm.txt`).
fn glob_match(pattern: &str, path: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), path.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            if t[st] == b'/' {
                return false;
            }
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn glob_stars_stay_within_one_path_segment() {
        assert!(glob_match(
            "netns/lb_*/ipvsadm.txt",
            "netns/lb_kf6o2mc3m/ipvsadm.txt"
        ));
        assert!(!glob_match(
            "netns/lb_*/ipvsadm.txt",
            "netns/ingress_sbox/ipvsadm.txt"
        ));
        assert!(!glob_match("netns/*/ipvsadm.txt", "netns/a/b/ipvsadm.txt"));
        assert!(glob_match("logs/dockerd.log", "logs/dockerd.log"));
        assert!(!glob_match("logs/dockerd.log", "logs/kernel.log"));
    }
}
