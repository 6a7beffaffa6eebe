//! The analysis pipeline: read every input (in parallel, its logs scanned
//! block by block on every core, see [`scan`]), build the cluster model, run
//! task, version and info rules and the cross-source checks, and account for
//! coverage.

use crate::bundle::{self, Input, Limits, NodeBundle};
use crate::error::Result;
use crate::finding::{consolidate, Finding};
use crate::model::{self, Cluster};
use crate::parse::log::{parse_line, LogContext};
use crate::report::{
    ClusterSummary, Coverage, EvidenceScope, NodeCoverage, NodeSummary, NotRun, Report,
};
use crate::rules::{EngineFact, LogEvent, LogSource, RuleSet, TaskEvent};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Everything one analysis produced, before rendering.
pub struct Analysis {
    pub cluster: Cluster,
    pub findings: Vec<Finding>,
    pub coverage: Coverage,
    /// What kinds of evidence were read; see [`evidence_scope`].
    pub evidence: EvidenceScope,
    /// Timeline events from the logs (`crate::timeline`), nodes by bundle label.
    pub events: Vec<crate::timeline::Event>,
    /// Root causes and guesses (`crate::verdict`).
    pub verdict: crate::verdict::Verdict,
}

/// Reads, models and checks `paths` (one node bundle each, or archives holding several).
pub fn analyze(paths: &[PathBuf], rules: &RuleSet, limits: &Limits) -> Result<Analysis> {
    analyze_with(paths, rules, limits, true)
}

/// [`analyze`], extracting the timeline's events only when `timeline`: a
/// report without a timeline (terminal, JSON, Markdown) need not parse the
/// lines only the timeline reads, nor hold their events.
pub fn analyze_with(
    paths: &[PathBuf],
    rules: &RuleSet,
    limits: &Limits,
    timeline: bool,
) -> Result<Analysis> {
    let mut inputs: Vec<Input> = paths
        .iter()
        .map(|p| bundle::open(p, limits))
        .collect::<Result<_>>()?;
    bundle::label_uniquely(&mut inputs);

    let needles = scan::Needles::new(rules, timeline);
    let read: Vec<Result<scan::Read>> = inputs
        .par_iter()
        .map(|input| scan::scan_input(input, rules, &needles))
        .collect();

    let mut node_bundles: Vec<NodeBundle> = Vec::new();
    let mut input_notes = Vec::new();
    let mut matcher = rules.log_matcher();
    let mut log_hosts = BTreeMap::new();
    let mut events = Vec::new();
    for (r, input) in read.into_iter().zip(&inputs) {
        let (b, m, hosts, ev, docker_logs) = r?;
        refuse_without_docker(input.path(), &b.nodes, &docker_logs)?;
        node_bundles.extend(b.nodes);
        input_notes.extend(b.notes);
        matcher.merge(m);
        log_hosts.extend(hosts);
        let ev = ev.finish(&mut input_notes);
        if events.is_empty() {
            events = ev;
        } else {
            events.extend(ev);
        }
    }

    // File bytes are freed as they are parsed; only their paths are read later.
    let mut cluster = model::build_freeing(&mut node_bundles);
    if let Some(refusal) = model::swarms::refusal(&cluster.nodes) {
        return Err(crate::error::Error::Usage(refusal));
    }
    // Older bundles of a node given twice are not analyzed (see the model).
    if !cluster.set_aside.is_empty() {
        events.retain(|e| !cluster.set_aside.contains(&e.node));
    }
    crate::timeline::redate(&mut events, &cluster);
    // Events come in runs of one file: each file is looked up once, and
    // not at all when no bundle read a file under another name.
    if cluster.nodes.iter().any(|n| !n.sources.is_empty()) {
        let mut last: Option<(String, Option<String>)> = None;
        for e in &mut events {
            let own = match &last {
                Some((file, own)) if *file == e.source.file => own.clone(),
                _ => {
                    let own = own_file(&cluster, &e.source.file);
                    last = Some((e.source.file.clone(), own.clone()));
                    own
                }
            };
            if let Some(own) = own {
                e.source.file = own;
            }
        }
    }
    // Task errors go through the same matcher as log lines, so a rule that
    // matches both (`distinct = "task"`) counts each task once.
    let tasks_file = cluster.cluster_file("swarm/tasks.json");
    matcher.observe_tasks(&task_events(&cluster, &tasks_file));
    let dropped = matcher.unclassified_dropped();
    if dropped > 0 {
        input_notes.push(bundle::Note {
            path: String::new(),
            message: format!(
                "{dropped} error-level log line(s) of too many distinct messages are not in \
                 the unclassified findings"
            ),
        });
    }
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
    name_sources(&mut findings, &cluster);

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
    let mut findings = consolidate(findings);
    let not_run: crate::verdict::NotRun = coverage
        .not_run
        .iter()
        .map(|n| (n.id.as_str(), n.reason.as_str()))
        .collect();
    let verdict = crate::verdict::judge(&cluster, &mut findings, rules, &not_run);
    // Guesses the data does not confirm were lowered: sort again.
    let findings = consolidate(findings);
    let evidence = evidence_scope(&cluster, &node_bundles);
    Ok(Analysis {
        findings,
        cluster,
        coverage,
        evidence,
        events,
        verdict,
    })
}

/// An input none of whose nodes holds a Docker source would give a false
/// all-clear: it is refused, naming what was looked for. A daemon log
/// counts when at least one of its lines is Docker's, known or not. (A
/// sosreport without Docker sources beside others that have them is kept,
/// and its coverage shows what it lacks.)
fn refuse_without_docker(
    path: &std::path::Path,
    nodes: &[NodeBundle],
    docker_logs: &std::collections::BTreeSet<String>,
) -> Result<()> {
    let has_docker = |n: &NodeBundle| {
        n.files.keys().any(|p| bundle::is_docker_source(p)) || docker_logs.contains(&n.label)
    };
    // A swarmdiag bundle is recognised by its layout (its collector runs
    // on Docker nodes); sosreports and lone files must show Docker's data.
    if nodes.is_empty()
        || nodes
            .iter()
            .any(|n| n.flavor == bundle::Flavor::Bundle || has_docker(n))
    {
        return Ok(());
    }
    use bundle::Flavor;
    let first = &nodes[0];
    let lines: usize = first.logs.values().map(|l| l.lines).sum();
    let message = match first.flavor {
        Flavor::Sosreport => format!(
            "{}: a sosreport without Docker sources (looked for sos_commands/docker/docker_info, \
             docker_version, docker_network_inspect_*, containers/docker_inspect_*, and a \
             journalctl_--no-pager_--unit_docker with Docker lines): was it taken without its \
             docker plugin? Take it again with `sos report -o docker,networking,kernel` (or add \
             `-e docker`), or run swarmdiag's collector",
            first.label
        ),
        Flavor::Log => format!(
            "not a Docker daemon log: none of its {lines} line(s) is dockerd's or containerd's \
             (looked for logrus lines `time=… level=… msg=…`, bare or behind a journald/syslog \
             prefix, and journal entries of docker.service)"
        ),
        Flavor::Bundle => "no Docker source found (looked for docker/info.json, \
             docker/version.json, swarm/*.json, containers/inspect.json, and a \
             logs/dockerd.log with Docker lines)"
            .to_string(),
    };
    Err(crate::error::Error::Bundle {
        path: path.to_path_buf(),
        message,
    })
}

/// A node-qualified layout path (`node/logs/dockerd.log`) as the file is
/// named in the input, when it was read under another name.
fn own_file(cluster: &Cluster, file: &str) -> Option<String> {
    let (label, path) = file.split_once('/')?;
    let n = cluster.bundle(label)?;
    n.sources.get(path).map(|own| format!("{label}/{own}"))
}

/// Names each evidence file as it is in the input: a source read under a
/// layout name (a sosreport's files, a lone log) is quoted under its own.
fn name_sources(findings: &mut [Finding], cluster: &Cluster) {
    for f in findings {
        for e in &mut f.evidence {
            let Some((label, path)) = e.file.split_once('/') else {
                continue;
            };
            let Some(n) = cluster.bundle(label) else {
                continue;
            };
            if let Some(own) = own_file(cluster, &e.file) {
                e.file = own;
            } else if path.contains('*') {
                // A whole read from parts (`docker_network_inspect_*`): the
                // part whose network the quoted line names.
                let part = n.sources.iter().find(|(layout, own)| {
                    let name = layout
                        .strip_prefix("swarm/networks.d/")
                        .and_then(|r| r.strip_suffix(".json"));
                    name.is_some_and(|x| e.text.contains(&format!("\"Name\": \"{x}\"")))
                        && !own.contains('*')
                });
                if let Some((_, own)) = part {
                    e.file = format!("{label}/{own}");
                }
            }
        }
    }
}

/// Records, per node, which log signatures matched (with that node's
/// evidence), and names log-only nodes after the host in their log prefix.
fn note_log_signatures(
    cluster: &mut Cluster,
    findings: &[Finding],
    hosts: &BTreeMap<String, String>,
) {
    // Renaming a node below would leave a lookup index built earlier (by
    // host name) stale: drop it, the next lookup builds it again.
    cluster.index.take();
    for n in &mut cluster.nodes {
        // A node with no name of its own is named after its log's host; a
        // sosreport's directory name and an `etc/hostname` are its own.
        let named = n.info.is_some()
            || n.manifest.is_some()
            || n.host_name_file.is_some()
            || n.flavor == crate::bundle::Flavor::Sosreport;
        if !named {
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
                .swarm_node(&t.node_id)
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
        let id =
            f.id.strip_prefix(crate::rules::WEAK_PREFIX)
                .unwrap_or(&f.id);
        let Some(range) = rules
            .get(id)
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

/// What kinds of evidence the inputs gave. A verdict on part of them (logs
/// only, sosreports without swarm objects or dockerd's namespaces) says so
/// first, so that "no finding" is never read as "all clear".
pub fn evidence_scope(cluster: &Cluster, bundles: &[NodeBundle]) -> EvidenceScope {
    let nodes = || cluster.nodes.iter();
    let swarm = !cluster.swarm_nodes.is_empty()
        || !cluster.services.is_empty()
        || !cluster.tasks.is_empty();
    let engine = nodes().any(|n| n.info.is_some() || n.version.is_some());
    let data_plane = nodes().any(|n| !n.netns.is_empty());
    let host = nodes()
        .any(|n| n.host.addrs.is_some() || n.host.iptables.is_some() || n.host_modules.is_some());
    let logs = bundles.iter().any(|b| {
        !cluster.set_aside.contains(&b.label)
            && b.logs.get("logs/dockerd.log").is_some_and(|l| l.lines > 0)
    });
    let mut missing = Vec::new();
    for (have, what) in [
        (swarm, "swarm objects"),
        (engine, "engine state"),
        (data_plane, "data plane"),
        (host, "host network state"),
        (logs, "daemon logs"),
    ] {
        if !have {
            missing.push(what.to_string());
        }
    }
    let scope = if missing.is_empty() {
        "full"
    } else if logs && !swarm && !engine && !data_plane && !host {
        "logs only"
    } else {
        "partial"
    };
    let summary = if missing.is_empty() {
        "full".to_string()
    } else {
        let no: Vec<String> = missing.iter().map(|m| format!("no {m}")).collect();
        format!("{scope}: {}", no.join(", "))
    };
    EvidenceScope {
        scope: scope.to_string(),
        missing,
        summary,
    }
}

/// For a source that a sosreport or a lone log cannot hold: why, and the
/// command that gets it.
const SOURCE_HINTS: &[(&str, &str, &str)] = &[
    (
        "manifest.json",
        "written only by swarmdiag's collector",
        "run swarmdiag's collector (`swarmdiag collector-script`)",
    ),
    (
        "swarm/nodes.json",
        "sos collects no swarm node list",
        "on a manager: `docker node ls` and `docker node inspect $(docker node ls -q)`",
    ),
    (
        "swarm/services.json",
        "sos collects no services",
        "on a manager: `docker service ls` and `docker service inspect $(docker service ls -q)`",
    ),
    (
        "swarm/tasks.json",
        "sos collects no tasks",
        "on a manager: `docker inspect --type task $(docker service ps -q --no-trunc $(docker service ls -q))`",
    ),
    (
        "swarm/service-ps.txt",
        "sos collects no tasks",
        "on a manager: `docker service ps --no-trunc $(docker service ls -q)`",
    ),
    (
        "swarm/networks.json",
        "no network inspect output",
        "on a manager: `docker network inspect -v <network>` for each swarm network",
    ),
    (
        "netns/",
        "sos does not enter dockerd's own namespaces (ingress_sbox, lb_*, the overlays' 1-*) under /var/run/docker/netns",
        "run swarmdiag's collector on the node",
    ),
    (
        "host/iptables-save.txt",
        "sos never runs iptables-save on the host; its firewall_tables plugin lists rules with `iptables -vnxL`",
        "`iptables-save` (and `nft list ruleset`) on the node",
    ),
    (
        "host/sockets.txt",
        "not in sos's docker, networking or kernel plugins",
        "`ss -lntup`",
    ),
    (
        "docker/info.json",
        "no docker info",
        "`docker info` (sos's docker plugin)",
    ),
    (
        "docker/version.json",
        "no docker version",
        "`docker version` (sos's docker plugin)",
    ),
    (
        "containers/inspect.json",
        "no container inspect output",
        "`docker inspect $(docker ps -aq)`",
    ),
    (
        "logs/dockerd.log",
        "no daemon log",
        "`journalctl -u docker -o short-iso-precise --since <when it started>`",
    ),
    (
        "logs/kernel.log",
        "no kernel log",
        "`dmesg` or `journalctl -k -o short-iso-precise` (sos's kernel plugin)",
    ),
    (
        "host/ip-addr.txt",
        "no addresses",
        "`ip -d address` (sos's networking plugin)",
    ),
    (
        "host/ip-link.txt",
        "no links",
        "`ip -s -d link` (sos's networking plugin)",
    ),
    (
        "host/ip-route.txt",
        "no routes",
        "`ip route show table all` (sos's networking plugin)",
    ),
    (
        "host/sysctl.txt",
        "no sysctls",
        "`sysctl -a` (sos's kernel plugin)",
    ),
    (
        "host/modules.txt",
        "no module list",
        "`lsmod` (sos's kernel plugin)",
    ),
];

fn source_hint(source: &str) -> Option<(&'static str, &'static str)> {
    SOURCE_HINTS.iter().find_map(|(s, why, how)| {
        (*s == source || (s.ends_with('/') && source.starts_with(s))).then_some((*why, *how))
    })
}

/// A sosreport's network inspect output is not verbose: it lists this
/// node's endpoints only. Each swarm network with a subnet gets a note
/// counting them, labelled as this node's partial view.
fn partial_address_notes(n: &crate::model::NodeState) -> Vec<crate::report::CoverageNote> {
    let mut notes = Vec::new();
    for net in n.networks.iter().flatten() {
        let subnets: Vec<&str> = net
            .ipam
            .iter()
            .map(|c| c.subnet.as_str())
            .filter(|s| !s.is_empty())
            .collect();
        if subnets.is_empty() {
            continue;
        }
        let used = net
            .containers
            .values()
            .filter(|e| !e.ipv4.is_empty())
            .count();
        let size: u128 = subnets
            .iter()
            .filter_map(|s| s.parse::<ipnet::IpNet>().ok())
            .map(|s| match s {
                ipnet::IpNet::V4(v4) => 1u128 << (32 - u32::from(v4.prefix_len())),
                ipnet::IpNet::V6(v6) => 1u128 << (128 - u32::from(v6.prefix_len())).min(127),
            })
            .sum();
        notes.push(crate::report::CoverageNote {
            path: n
                .sources
                .get(&format!("swarm/networks.d/{}.json", net.name))
                .cloned()
                .unwrap_or_else(|| "swarm/networks.json".to_string()),
            message: format!(
                "{}: partial address count, this node's view only: {used} endpoint(s) on this \
                 node in {} ({size} addresses); `docker network inspect` without -v lists no \
                 service VIPs and no other node's tasks. The full count needs `docker network \
                 inspect -v {}` on a manager",
                net.name,
                subnets.join(", "),
                net.name
            ),
        });
    }
    notes
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
        if !has_netns {
            missing.push("netns/".into());
        }
        missing.sort();
        if n.flavor != crate::bundle::Flavor::Bundle {
            for m in &missing {
                if let Some((why, how)) = source_hint(m) {
                    notes.push(crate::report::CoverageNote {
                        path: m.clone(),
                        message: format!("not in this input ({why}): {how}"),
                    });
                }
            }
            notes.extend(partial_address_notes(n));
            if let Some(b) = b.filter(|b| b.unread > 0) {
                notes.push(crate::report::CoverageNote {
                    path: String::new(),
                    message: format!(
                        "{} file(s) of the sosreport are not read by swarmdiag",
                        b.unread
                    ),
                });
            }
        }
        notes.sort();
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
        let mut reason = format!("needs {} (absent from every bundle)", inputs.join(" or "));
        // Inputs that are not swarmdiag bundles say how to get what is missing.
        if cluster
            .nodes
            .iter()
            .any(|n| n.flavor != crate::bundle::Flavor::Bundle)
        {
            if let Some((_, how)) = inputs.iter().find_map(|i| source_hint(i)) {
                reason.push_str(&format!("; {how}"));
            }
        }
        not_run.push(NotRun {
            id: r.id.clone(),
            reason,
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
            root_causes: self.verdict.root_causes.clone(),
            guesses: self.verdict.guesses.clone(),
            evidence: self.evidence.clone(),
            findings: self.findings.clone(),
            coverage: self.coverage.clone(),
            lb_chains: crate::checks::chains::chains(&self.cluster),
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

#[cfg(test)]
mod format_tests;

mod grams;
mod scan;
