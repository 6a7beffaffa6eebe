//! Tests of the embedded catalogue and the engine.
//!
//! Log examples go through the real matcher path: each example line is read
//! by `example::read_example` (a minimal logrus reader that builds the same
//! haystack as the log parser: `msg` then ` key=value`, values unescaped; a
//! non-logrus line is its own haystack) and fed to a `LogMatcher` built from
//! the whole embedded set.

use super::example::read_example;
use super::load::example_source;
use super::*;
use crate::finding::{consolidate, Severity};
use std::collections::BTreeSet;
use time::macros::datetime;

/// The check ids (the registry the checks were built against) with their names and default severities.
const CHECKS_MD: &[(&str, &str, Severity)] = &[
    ("SW101", "vip-missing-from-lb-namespace", Severity::Error),
    ("SW102", "lb-stale-backend", Severity::Error),
    ("SW103", "lb-missing-backend", Severity::Error),
    ("SW104", "lb-weight-zero-backend", Severity::Warning),
    ("SW105", "lb-mark-without-fwm", Severity::Error),
    ("SW106", "lb-fwm-without-mark", Severity::Warning),
    ("SW107", "duplicate-endpoint-ip", Severity::Critical),
    ("SW108", "lb-chain-impossible-no-ipvs", Severity::Critical),
    ("SW201", "ingress-port-missing-dnat", Severity::Error),
    ("SW202", "ingress-port-missing-mark", Severity::Error),
    ("SW203", "ingress-backend-mismatch", Severity::Error),
    ("SW204", "ingress-sbox-missing", Severity::Error),
    ("SW301", "overlay-subnet-exhausted", Severity::Critical),
    (
        "SW302",
        "overlay-subnet-nearly-exhausted",
        Severity::Warning,
    ),
    ("SW401", "engine-version-skew", Severity::Warning),
    ("SW402", "worker-newer-than-managers", Severity::Error),
    ("SW403", "known-bad-engine-version", Severity::Error),
    ("SW404", "node-not-active", Severity::Warning),
    ("SW405", "node-down", Severity::Error),
    ("SW406", "manager-unreachable", Severity::Error),
    ("SW407", "raft-quorum-lost", Severity::Critical),
    ("SW408", "even-manager-count", Severity::Warning),
    ("SW409", "local-node-state-not-active", Severity::Error),
    ("SW501", "service-replicas-short", Severity::Error),
    ("SW502", "tasks-stuck-pending", Severity::Warning),
    ("SW601", "ipvs-module-missing", Severity::Critical),
    ("SW602", "br-netfilter-missing", Severity::Warning),
    ("SW603", "ip-forward-disabled", Severity::Critical),
    ("SW605", "swarm-ports-firewalled", Severity::Error),
    ("SW604", "overlay-mtu-exceeds-underlay", Severity::Error),
    ("SW606", "subnet-overlap", Severity::Error),
    ("SW701", "gossip-peer-missing", Severity::Error),
    ("SW702", "gossip-peer-sets-differ", Severity::Warning),
];

/// Catalogue rows of signatures.md §1 that carry a message (the others are
/// structural and covered by checks), plus the version rows of §1.13 that
/// versions alone can express.
const CATALOGUE: &[&str] = &[
    "IPAM-01", "IPAM-02", "IPAM-03", "IPAM-04", "IPAM-05", "IPAM-06", "IPAM-07", "IPAM-08",
    "IPAM-09", "IPAM-10", "IPAM-11", "IPAM-12", "IPAM-13", "NET-01", "NET-02", "NET-03", "NET-04",
    "NET-05", "NET-06", "NET-07", "NET-08", "OVL-01", "OVL-02", "OVL-03", "OVL-04", "OVL-05",
    "OVL-06", "OVL-07", "OVL-08", "OVL-09", "OVL-10", "OVL-11", "LB-01", "LB-02", "LB-03", "LB-04",
    "LB-05", "LB-06", "LB-07", "LB-08", "LB-09", "LB-10", "LB-11", "LB-12", "LB-13", "LB-14",
    "LB-15", "KMOD-01", "KMOD-02", "KMOD-03", "KMOD-04", "KMOD-05", "IPT-01", "IPT-02", "IPT-03",
    "IPT-04", "GOS-01", "GOS-02", "GOS-03", "GOS-04", "GOS-05", "GOS-06", "GOS-08", "GOS-09",
    "GOS-10", "RAFT-01", "RAFT-02", "RAFT-03", "RAFT-04", "RAFT-05", "RAFT-06", "RAFT-07",
    "RAFT-08", "NODE-01", "NODE-02", "TASK-01", "TASK-02", "TASK-03", "TASK-04", "TASK-05",
    "PORT-01", "PORT-02", "PORT-03", "PORT-04", "TLS-01", "TLS-02", "TLS-03", "TLS-04", "TLS-05",
    "TLS-06", "DNS-01", "DNS-02", "DNS-03", "DNS-04", "DNS-05", "MTU-01", "MTU-02", "UPG-01",
    "UPG-02", "UPG-03", "UPG-04", "UPG-05", "UPG-07", "UPG-08", "UPG-09", "UPG-10", "UPG-12",
];

fn embedded() -> RuleSet {
    RuleSet::embedded().expect("embedded rules load")
}

/// A log event for `line` as the log parser would produce it.
struct Line {
    level: Option<String>,
    haystack: String,
    source: LogSource,
    raw: String,
}

fn line_for(raw: &str, spec: Option<&LogSpec>) -> Line {
    let ex = read_example(raw);
    let source = match spec {
        Some(s) => example_source(ex.logrus, s),
        None if ex.logrus => LogSource::Dockerd,
        None => LogSource::Kernel,
    };
    Line {
        level: ex.level,
        haystack: ex.haystack,
        source,
        raw: raw.to_string(),
    }
}

fn event<'a>(
    l: &'a Line,
    node: &'a str,
    file: &'a str,
    line: usize,
    engine: Option<&'a str>,
) -> LogEvent<'a> {
    LogEvent {
        node,
        file,
        line,
        time: None,
        level: l.level.as_deref(),
        source: l.source,
        haystack: &l.haystack,
        raw: &l.raw,
        engine_version: engine,
    }
}

/// Feeds `raw` `times` times (lines 1..=times) and returns the ids that fired.
fn fire(
    set: &RuleSet,
    raw: &str,
    spec: Option<&LogSpec>,
    engine: Option<&str>,
    times: u64,
) -> BTreeSet<String> {
    let l = line_for(raw, spec);
    let mut m = set.log_matcher();
    for i in 1..=times {
        m.observe(&event(
            &l,
            "node1",
            "node1/logs/dockerd.log",
            i as usize,
            engine,
        ));
    }
    m.finish().into_iter().map(|f| f.id).collect()
}

#[test]
fn engine_types_can_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<RuleSet>();
    send::<LogMatcher>();
    // Matchers built on other threads merge into one.
    let set = embedded();
    let raw = r#"time="2026-05-09T07:41:02Z" level=error msg="Could not get ipvs family information from the kernel.""#;
    let handles: Vec<_> = (0..2)
        .map(|t| {
            let set = set.clone();
            std::thread::spawn(move || {
                let l = line_for(raw, None);
                let mut m = set.log_matcher();
                m.observe(&event(&l, "node1", "node1/logs/dockerd.log", t + 1, None));
                m
            })
        })
        .collect();
    let mut all = set.log_matcher();
    for h in handles {
        all.merge(h.join().unwrap());
    }
    let f = all.finish();
    assert_eq!((f.len(), f[0].count), (1, 2));
}

#[test]
fn embedded_rules_load_and_are_well_formed() {
    let set = embedded();
    let mut ids = BTreeSet::new();
    let mut names = BTreeSet::new();
    for r in set.rules() {
        assert!(ids.insert(r.id.clone()), "duplicate id {}", r.id);
        assert!(names.insert(r.name.clone()), "duplicate name {}", r.name);
        assert!(
            !r.title.is_empty() && !r.explanation.is_empty() && !r.remediation.is_empty(),
            "{}",
            r.id
        );
        assert!(!r.references.is_empty(), "{} has no references", r.id);
        if r.check {
            assert!(
                r.log.is_none() && r.task.is_none() && r.version.is_none(),
                "{}",
                r.id
            );
            assert!(!r.check_inputs.is_empty(), "check {} lists no inputs", r.id);
            continue;
        }
        if let Some(log) = &r.log {
            assert!(
                !log.examples.matches.is_empty() && !log.examples.no_match.is_empty(),
                "{}",
                r.id
            );
        }
        if let Some(task) = &r.task {
            assert!(
                !task.matches.is_empty() && !task.no_match.is_empty(),
                "{}",
                r.id
            );
        }
        if let Some(v) = &r.version {
            assert!(!v.matches.is_empty() && !v.no_match.is_empty(), "{}", r.id);
        }
        assert!(!r.inputs().is_empty(), "{}", r.id);
    }
    // The sorted order `get` relies on.
    let sorted: Vec<&str> = set.rules().iter().map(|r| r.id.as_str()).collect();
    let mut expect = sorted.clone();
    expect.sort();
    assert_eq!(sorted, expect);
    assert_eq!(
        set.get("IPAM-01").map(|r| r.name.as_str()),
        Some("node-missing-network-attachments")
    );
    assert!(set.get("NOPE-99").is_none());
}

#[test]
fn checks_match_the_registry_exactly() {
    let set = embedded();
    let checks: BTreeSet<&str> = set
        .rules()
        .iter()
        .filter(|r| r.check)
        .map(|r| r.id.as_str())
        .collect();
    let registry: BTreeSet<&str> = CHECKS_MD.iter().map(|c| c.0).collect();
    assert_eq!(checks, registry);
    for (id, name, severity) in CHECKS_MD {
        let r = set.get(id).unwrap();
        assert_eq!(r.kind(), "check");
        assert_eq!(&r.name, name, "{id}");
        assert_eq!(r.severity, *severity, "{id}");
    }
}

#[test]
fn catalogue_section_1_is_covered() {
    let set = embedded();
    let missing: Vec<&&str> = CATALOGUE
        .iter()
        .filter(|id| set.get(id).is_none())
        .collect();
    assert!(missing.is_empty(), "missing rules: {missing:?}");
    // Seed failures and their kinds.
    let kind = |id: &str| set.get(id).unwrap().kind();
    assert_eq!(kind("IPAM-01"), "log+task");
    assert_eq!(kind("NET-01"), "log+task");
    assert_eq!(kind("KMOD-01"), "log");
    assert_eq!(kind("UPG-01"), "version");
    assert_eq!(kind("TASK-01"), "task");
    assert_eq!(set.get("KMOD-01").unwrap().severity, Severity::Critical);
    assert_eq!(set.get("OVL-08").unwrap().severity, Severity::Info);
}

/// The runtime loads embedded files without checks (build.rs checked their
/// schema); here each passes every check a user's file gets, examples
/// included, and a file whose example stopped matching would not.
#[test]
fn embedded_files_pass_the_checks_a_user_file_gets() {
    use super::load::{embedded_files, load_file, Checks};
    for (path, text) in embedded_files() {
        let checked = load_file(path, text, Checks::All).expect(path);
        let unchecked = load_file(path, text, Checks::DoneAtBuild).unwrap();
        let ids = |rules: &[Rule]| rules.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&checked), ids(&unchecked), "{path}");
    }
    let (path, text) = embedded_files()
        .iter()
        .find(|(_, t)| t.contains("missing network attachments, ip addresses may be exhausted"))
        .expect("the IPAM rules file");
    // The log examples' text only (patterns and task examples lack `error="`).
    let broken = text.replace(
        "error=\"node is missing network",
        "error=\"node is mixing network",
    );
    assert_ne!(&broken, text, "an example line to break");
    let err = load_file(path, &broken, Checks::All)
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not match"), "{err}");
    assert!(load_file(path, &broken, Checks::DoneAtBuild).is_ok());
}

#[test]
fn every_log_example_behaves_through_the_matcher() {
    let set = embedded();
    let mut checked = 0;
    for r in set.rules() {
        let Some(spec) = &r.log else { continue };
        for ex in &spec.examples.matches {
            let fired = fire(
                &set,
                &ex.line,
                Some(spec),
                ex.engine.as_deref(),
                spec.min_count,
            );
            assert!(
                fired.contains(&r.id),
                "{}: example should match: {}",
                r.id,
                ex.line
            );
            checked += 1;
            if spec.min_count > 1 {
                let once = fire(
                    &set,
                    &ex.line,
                    Some(spec),
                    ex.engine.as_deref(),
                    spec.min_count - 1,
                );
                assert!(
                    !once.contains(&r.id),
                    "{}: fired below min_count: {}",
                    r.id,
                    ex.line
                );
            }
        }
        for ex in &spec.examples.no_match {
            let fired = fire(
                &set,
                &ex.line,
                Some(spec),
                ex.engine.as_deref(),
                spec.min_count,
            );
            assert!(
                !fired.contains(&r.id),
                "{}: example should not match: {}",
                r.id,
                ex.line
            );
            checked += 1;
        }
    }
    assert!(checked > 250, "only {checked} log examples");
}

#[test]
fn every_task_example_behaves_through_the_matcher() {
    let set = embedded();
    for r in set.rules() {
        let Some(spec) = &r.task else { continue };
        for (expect, list) in [(true, &spec.matches), (false, &spec.no_match)] {
            for ex in list {
                let t = ex.as_event();
                let fired: BTreeSet<String> =
                    set.match_tasks(&[t]).into_iter().map(|f| f.id).collect();
                assert_eq!(fired.contains(&r.id), expect, "{}: {ex:?}", r.id);
            }
        }
    }
}

#[test]
fn every_version_example_behaves_through_the_matcher() {
    let set = embedded();
    for r in set.rules() {
        let Some(spec) = &r.version else { continue };
        for (expect, list) in [(true, &spec.matches), (false, &spec.no_match)] {
            for cluster in list {
                let names: Vec<String> = (0..cluster.len()).map(|i| format!("n{i}")).collect();
                let facts: Vec<EngineFact> = cluster
                    .iter()
                    .zip(&names)
                    .map(|((role, version), node)| EngineFact {
                        node,
                        role,
                        version,
                        file: "swarm/nodes.json",
                        line: 1,
                    })
                    .collect();
                let fired: BTreeSet<String> = set
                    .match_versions(&facts)
                    .into_iter()
                    .map(|f| f.id)
                    .collect();
                assert_eq!(fired.contains(&r.id), expect, "{}: {cluster:?}", r.id);
            }
        }
    }
}

/// Lines a healthy 20.10 swarm manager logs while starting and running a
/// service (shapes from formats.md §7 and signatures.md; ids invented). No
/// rule may fire on them.
const HEALTHY: &[&str] = &[
    r#"time="2026-05-09T07:41:01.912345678Z" level=info msg="Starting up""#,
    r#"time="2026-05-09T07:41:02.101010101Z" level=info msg="Loading containers: start.""#,
    r#"time="2026-05-09T07:41:02.402113950Z" level=info msg="Default bridge (docker0) is assigned with an IP address 172.17.0.0/16. Daemon option --bip can be used to set a preferred IP address""#,
    r#"time="2026-05-09T07:41:02.500000000Z" level=info msg="Loading containers: done.""#,
    r#"time="2026-05-09T07:41:02.600000000Z" level=info msg="Docker daemon" commit=20.10.24 graphdriver(s)=overlay2 version=20.10.24"#,
    r#"time="2026-05-09T07:41:02.700000000Z" level=info msg="Daemon has completed initialization""#,
    r#"time="2026-05-09T07:41:03.000000000Z" level=info msg="API listen on /run/docker.sock""#,
    r#"time="2026-05-09T07:41:05.000000000Z" level=info msg="Listening for connections" addr="[::]:2377" module=node node.id=x7pkp21hsytl21u6mw05fhymr proto=tcp"#,
    r#"time="2026-05-09T07:41:05.100000000Z" level=info msg="26eb09ce1c2e6f1e became follower at term 0" module=raft node.id=x7pkp21hsytl21u6mw05fhymr"#,
    r#"time="2026-05-09T07:41:05.200000000Z" level=info msg="26eb09ce1c2e6f1e is starting a new election at term 1" module=raft node.id=x7pkp21hsytl21u6mw05fhymr"#,
    r#"time="2026-05-09T07:41:05.210000000Z" level=info msg="26eb09ce1c2e6f1e became candidate at term 2" module=raft node.id=x7pkp21hsytl21u6mw05fhymr"#,
    r#"time="2026-05-09T07:41:05.220000000Z" level=info msg="26eb09ce1c2e6f1e became leader at term 2" module=raft node.id=x7pkp21hsytl21u6mw05fhymr"#,
    r#"time="2026-05-09T07:41:05.230000000Z" level=info msg="raft.node: 26eb09ce1c2e6f1e elected leader 26eb09ce1c2e6f1e at term 2" module=raft node.id=x7pkp21hsytl21u6mw05fhymr"#,
    r#"time="2026-05-09T07:41:05.300000000Z" level=info msg="manager selected by agent for new session: {x7pkp21hsytl21u6mw05fhymr 198.18.0.11:2377}" module=node/agent node.id=x7pkp21hsytl21u6mw05fhymr"#,
    r#"time="2026-05-09T07:41:05.400000000Z" level=info msg="initialized VXLAN UDP port to 4789 ""#,
    r#"time="2026-05-09T07:41:05.500000000Z" level=info msg="Initializing Libnetwork Agent Listen-Addr=0.0.0.0 Local-addr=198.18.0.11 Adv-addr=198.18.0.11 Data-addr= Remote-addr-list=[] MTU=1500""#,
    r#"time="2026-05-09T07:41:05.600000000Z" level=info msg="New memberlist node - Node:node1 will use memberlist nodeID:6f1b2c3d4e5f with config:&{NodeID:6f1b2c3d4e5f Hostname:node1 BindAddr:0.0.0.0 AdvertiseAddr:198.18.0.11 BindPort:0 Keys:[] PacketBufferSize:1400 reapEntryInterval:1800000000000 reapNetworkInterval:1825000000000 StatsPrintPeriod:5m0s HealthPrintPeriod:1m0s}""#,
    r#"time="2026-05-09T07:41:06.000000000Z" level=info msg="Node 5e6f7a8b9c0d/198.18.0.12, joined gossip cluster""#,
    r#"time="2026-05-09T07:41:06.010000000Z" level=info msg="Node 5e6f7a8b9c0d/198.18.0.12, added to nodes list""#,
    r#"time="2026-05-09T07:41:06.020000000Z" level=info msg="node1-6f1b2c3d4e5f(6f1b2c3d4e5f): Node join event for node2-5e6f7a8b9c0d/198.18.0.12""#,
    r#"time="2026-05-09T07:46:05.600000000Z" level=info msg="NetworkDB stats node1(6f1b2c3d4e5f) - netID:nn156v133ppluelo8fp5ap5gg leaving:false netPeers:3 entries:13 Queue qLen:0 netMsg/s:0""#,
    r#"time="2026-05-09T07:42:00.000000000Z" level=info msg="initialized VXLAN UDP port to 4789 ""#,
    r#"time="2026-05-09T07:42:01.000000000Z" level=info msg="ignoring event" container=5b7c... module=libcontainerd namespace=moby topic=/tasks/delete type="*events.TaskDelete""#,
    r#"time="2026-05-09T07:42:02.000000000Z" level=error msg="agent: session failed" backoff=100ms error="rpc error: code = Canceled desc = context canceled" module=node/agent node.id=x7pkp21hsytl21u6mw05fhymr"#,
    r#"time="2026-05-09T07:42:02.500000000Z" level=info msg="Processing signal 'terminated'""#,
    "2026-05-09T07:41:00.000000+00:00 node1 kernel: IPVS: Registered protocols (TCP, UDP, SCTP, AH, ESP)",
    "2026-05-09T07:41:00.000000+00:00 node1 kernel: IPVS: Connection hash table configured (size=4096, memory=64Kbytes)",
    "2026-05-09T07:41:00.000000+00:00 node1 kernel: br0: port 2(veth0a1b2c3) entered forwarding state",
    "WARNING: bridge-nf-call-ip6tables is disabled",
];

#[test]
fn healthy_daemon_lines_fire_nothing() {
    let set = embedded();
    let mut m = set.log_matcher();
    let lines: Vec<Line> = HEALTHY.iter().map(|l| line_for(l, None)).collect();
    // Each line five times, so min_count rules would be reached too.
    for round in 0..5 {
        for (i, l) in lines.iter().enumerate() {
            m.observe(&event(
                l,
                "node1",
                "node1/logs/dockerd.log",
                round * 100 + i + 1,
                Some("20.10.24"),
            ));
        }
    }
    let fired: Vec<(String, String)> = m
        .finish()
        .into_iter()
        .map(|f| (f.id, f.evidence[0].text.clone()))
        .collect();
    assert!(fired.is_empty(), "{fired:#?}");
}

#[test]
fn evidence_keeps_first_and_last_and_counts_everything() {
    let set = embedded();
    let raw = r#"time="2026-05-09T07:41:02.331245118Z" level=error msg="Could not get ipvs family information from the kernel. It is possible that ipvs is not enabled in your kernel. Native loadbalancing will not work until this is fixed.""#;
    let l = line_for(raw, None);
    let mut m = set.log_matcher();
    for i in 1..=100usize {
        let mut ev = event(&l, "node1", "node1/logs/dockerd.log", i, None);
        ev.time = Some(datetime!(2026-05-09 07:00 UTC) + time::Duration::minutes(i as i64));
        m.observe(&ev);
    }
    let found = m.finish();
    assert_eq!(found.len(), 1);
    let f = &found[0];
    assert_eq!(f.id, "KMOD-01");
    assert_eq!(f.count, 100);
    assert_eq!(f.nodes.iter().collect::<Vec<_>>(), vec!["node1"]);
    let lines: Vec<usize> = f.evidence.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![1, 2, 3, 4, 5, 96, 97, 98, 99, 100]);
    assert_eq!(f.first_seen, Some(datetime!(2026-05-09 07:01 UTC)));
    assert_eq!(f.last_seen, Some(datetime!(2026-05-09 08:40 UTC)));
    assert_eq!(f.evidence[0].text, raw);
    assert_eq!(f.evidence[0].file, "node1/logs/dockerd.log");
}

#[test]
fn evidence_text_is_capped() {
    let set = embedded();
    let raw = format!(
        r#"time="2026-05-09T07:41:02Z" level=error msg="Could not get ipvs family information from the kernel." pad="{}""#,
        "é".repeat(1000)
    );
    let l = line_for(&raw, None);
    let mut m = set.log_matcher();
    m.observe(&event(&l, "node1", "f", 1, None));
    let f = m.finish().remove(0);
    assert_eq!(f.evidence[0].text.chars().count(), acc::MAX_TEXT + 1);
    assert!(f.evidence[0].text.ends_with('…'));
}

/// Lines of three kinds on two nodes, in an order that interleaves files.
fn mixed_events() -> Vec<(String, &'static str, usize, Line)> {
    let gossip = |peer: &str| {
        format!(
            r#"time="2026-05-09T08:00:00Z" level=warning msg="memberlist: Failed to send gossip to {peer}:7946: write udp 198.18.0.11:7946->{peer}:7946: sendto: invalid argument""#
        )
    };
    let ipvs = r#"time="2026-05-09T08:00:00Z" level=error msg="Could not get ipvs family information from the kernel. It is possible that ipvs is not enabled in your kernel. Native loadbalancing will not work until this is fixed.""#;
    let mut out = Vec::new();
    for i in 1..=40usize {
        let node = if i % 3 == 0 { "node2" } else { "node1" };
        let raw = match i % 4 {
            0 => ipvs.to_string(),
            1 => gossip("198.18.0.12"),
            2 => gossip("198.18.0.13"),
            _ => r#"time="2026-05-09T08:00:00Z" level=info msg="Loading containers: done.""#
                .to_string(),
        };
        out.push((
            format!("{node}/logs/dockerd.log"),
            node,
            i,
            line_for(&raw, None),
        ));
    }
    out
}

fn run(
    set: &RuleSet,
    events: &[(String, &'static str, usize, Line)],
    threads: usize,
) -> Vec<Finding> {
    let mut matchers: Vec<LogMatcher> = (0..threads).map(|_| set.log_matcher()).collect();
    for (i, (file, node, line, l)) in events.iter().enumerate() {
        matchers[i % threads].observe(&event(l, node, file, *line, None));
    }
    let mut first = matchers.remove(0);
    for m in matchers.into_iter().rev() {
        first.merge(m);
    }
    first.finish()
}

#[test]
fn findings_are_deterministic_and_independent_of_thread_split() {
    let set = embedded();
    let events = mixed_events();
    let one = serde_json::to_string(&run(&set, &events, 1)).unwrap();
    let again = serde_json::to_string(&run(&set, &events, 1)).unwrap();
    let three = serde_json::to_string(&run(&set, &events, 3)).unwrap();
    let mut reversed: Vec<_> = mixed_events();
    reversed.reverse();
    let backwards = serde_json::to_string(&run(&set, &reversed, 2)).unwrap();
    assert_eq!(one, again);
    assert_eq!(one, three);
    assert_eq!(one, backwards);

    let found = run(&set, &events, 1);
    let ids: Vec<(&str, Vec<&String>)> = found
        .iter()
        .map(|f| (f.id.as_str(), f.nodes.iter().collect()))
        .collect();
    assert_eq!(
        ids,
        vec![
            ("GOS-01", vec![&"node1".to_string()]),
            ("GOS-01", vec![&"node2".to_string()]),
            ("KMOD-01", vec![&"node1".to_string()]),
            ("KMOD-01", vec![&"node2".to_string()]),
        ]
    );
    // node1 saw 7 failures to .12 and 7 to .13, node2 3 and 3: each node's
    // finding describes the rule's values on both, so the merged finding
    // has one line, not one per node.
    assert_eq!((found[0].count, found[1].count), (14, 6));
    let both = "peer=198.18.0.12 (10×), 198.18.0.13 (10×)";
    assert_eq!(
        (found[0].detail.as_str(), found[1].detail.as_str()),
        (both, both)
    );
    let merged = consolidate(found);
    let gos = merged.iter().find(|f| f.id == "GOS-01").unwrap();
    assert_eq!(gos.nodes.len(), 2);
    assert_eq!(gos.count, 20);
    assert_eq!(gos.detail, both);
}

#[test]
fn min_count_per_capture_counts_each_peer_separately() {
    let set = embedded();
    let join = |peer: &str| {
        line_for(
            &format!(
                r#"time="2026-05-09T08:00:00Z" level=info msg="node1-6f1b(6f1b): Node join event for {peer}""#
            ),
            None,
        )
    };
    let a = join("node2-5e6f/198.18.0.12");
    let b = join("node3-8b7c/198.18.0.13");
    let mut m = set.log_matcher();
    for i in 0..9 {
        m.observe(&event(&a, "node1", "f", 2 * i + 1, None));
        m.observe(&event(&b, "node1", "f", 2 * i + 2, None));
    }
    // 18 join events, but no single peer reached 10.
    assert!(m.finish().iter().all(|f| f.id != "GOS-05"));

    let mut m = set.log_matcher();
    for i in 0..10 {
        m.observe(&event(&a, "node1", "f", 2 * i + 1, None));
        m.observe(&event(&b, "node1", "f", 2 * i + 2, None));
    }
    let found = m.finish();
    let f = found
        .iter()
        .find(|f| f.id == "GOS-05")
        .expect("flapping peer");
    assert_eq!(f.count, 20);
    assert_eq!(
        f.detail,
        "peer=node2-5e6f/198.18.0.12 (10×), node3-8b7c/198.18.0.13 (10×)"
    );
}

#[test]
fn engine_ranges_filter_log_and_task_rules() {
    let set = embedded();
    let raw = r#"time="2024-02-08T10:12:13Z" level=error msg="fatal task error" error="invalid network config:\ninvalid subnet 10.0.0.1/16: it should be 10.0.0.0/16" module=node/agent/taskmanager"#;
    assert!(fire(&set, raw, None, Some("25.0.2"), 1).contains("IPAM-12"));
    assert!(
        fire(&set, raw, None, None, 1).contains("IPAM-12"),
        "unknown version: the message is evidence"
    );
    assert!(
        fire(&set, raw, None, Some("dev"), 1).contains("IPAM-12"),
        "unreadable version counts as unknown"
    );
    assert!(!fire(&set, raw, None, Some("25.0.4"), 1).contains("IPAM-12"));
    assert!(!fire(&set, raw, None, Some("24.0.9"), 1).contains("IPAM-12"));

    let task = |engine| TaskEvent {
        node: "node2",
        file: "mgr1/swarm/tasks.json",
        line: 10,
        task_id: "6lyr0w1e2q3a4s5d6f7g8h9j0",
        service: "web",
        state: "rejected",
        desired_state: "shutdown",
        message: "preparing",
        err: "invalid network config:\ninvalid subnet 10.0.0.1/16: it should be 10.0.0.0/16",
        time: None,
        engine_version: engine,
    };
    let ids = |t| {
        set.match_tasks(&[t])
            .into_iter()
            .map(|f| f.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(task(Some("25.0.0"))), vec!["IPAM-12"]);
    assert!(ids(task(Some("26.1.0"))).is_empty());
}

#[test]
fn levels_and_sources_filter_log_rules() {
    let set = embedded();
    // OVL-07 only counts warning and above.
    let debug = r#"time="2018-11-02T14:23:12Z" level=debug msg="peerDbAdd transient condition - Key:10.0.1.12 02:42:0a:00:01:0c cardinality:2 db state:Set{}""#;
    assert!(!fire(&set, debug, None, None, 1).contains("OVL-07"));
    assert!(fire(
        &set,
        &debug.replace("level=debug", "level=warning"),
        None,
        None,
        1
    )
    .contains("OVL-07"));
    // KERN-02 only reads the kernel log.
    let kernel = "IPVS: rr: FWM 257 0x00000101 - no destination available";
    let ev = |source| {
        let l = Line {
            level: None,
            haystack: kernel.into(),
            source,
            raw: kernel.into(),
        };
        let mut m = set.log_matcher();
        m.observe(&event(&l, "node1", "node1/logs/kernel.log", 7, None));
        m.finish()
            .into_iter()
            .map(|f| (f.id, f.detail))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ev(LogSource::Kernel),
        vec![(
            "KERN-02".to_string(),
            "fwmark=257 (1×)\nscheduler=rr (1×)".to_string()
        )]
    );
    assert!(ev(LogSource::Dockerd).is_empty());

    // Daemon messages are read from dockerd and info records by default, not the kernel log.
    let state_error = "cannot create a swarm scoped network when swarm is not active";
    let by_source = |source| {
        let l = Line {
            level: None,
            haystack: state_error.into(),
            source,
            raw: state_error.into(),
        };
        let mut m = set.log_matcher();
        m.observe(&event(
            &l,
            "node1",
            "node1/containers/inspect.json",
            3,
            None,
        ));
        m.finish().into_iter().map(|f| f.id).collect::<Vec<_>>()
    };
    assert_eq!(by_source(LogSource::Info), vec!["NET-01"]);
    assert_eq!(by_source(LogSource::Dockerd), vec!["NET-01"]);
    assert!(by_source(LogSource::Kernel).is_empty());
}

#[test]
fn tasks_from_several_managers_count_once() {
    let set = embedded();
    let err = "node is missing network attachments, ip addresses may be exhausted";
    let t = |file, line, id, node| TaskEvent {
        node,
        file,
        line,
        task_id: id,
        service: "ex_service",
        state: "rejected",
        desired_state: "shutdown",
        message: "preparing",
        err,
        time: Some(datetime!(2018-08-24 21:03:37 UTC)),
        engine_version: Some("18.09.0"),
    };
    let tasks = [
        t(
            "mgr2/swarm/tasks.json",
            40,
            "i64lee19ia6s",
            "tk1706-ubuntu-1",
        ),
        t(
            "mgr1/swarm/tasks.json",
            12,
            "i64lee19ia6s",
            "tk1706-ubuntu-1",
        ),
        t(
            "mgr1/swarm/tasks.json",
            30,
            "xdevhaoovqew",
            "tk1706-ubuntu-1",
        ),
        t(
            "mgr1/swarm/tasks.json",
            50,
            "v1oris8jvhc1",
            "tk1706-ubuntu-1",
        ),
    ];
    let found = set.match_tasks(&tasks);
    assert_eq!(found.len(), 1);
    let f = &found[0];
    assert_eq!(f.id, "IPAM-01");
    assert_eq!(f.count, 3);
    assert_eq!(f.detail, "service=ex_service (3×)");
    let evidence: Vec<(&str, usize)> = f
        .evidence
        .iter()
        .map(|e| (e.file.as_str(), e.line))
        .collect();
    assert_eq!(
        evidence,
        vec![
            ("mgr1/swarm/tasks.json", 12),
            ("mgr1/swarm/tasks.json", 30),
            ("mgr1/swarm/tasks.json", 50)
        ]
    );
    assert_eq!(
        f.evidence[0].text,
        "task i64lee19ia6s (ex_service) rejected, desired shutdown: \"preparing\" node is missing network attachments, ip addresses may be exhausted"
    );
    // Input order does not matter.
    let mut reversed = tasks;
    reversed.reverse();
    assert_eq!(
        serde_json::to_string(&set.match_tasks(&reversed)).unwrap(),
        serde_json::to_string(&found).unwrap()
    );
}

#[test]
fn version_rules_name_the_nodes_that_meet_each_condition() {
    let set = embedded();
    let fact = |node, role, version| EngineFact {
        node,
        role,
        version,
        file: "mgr1/swarm/nodes.json",
        line: 1,
    };
    let facts = [
        fact("mgr1", "manager", "17.06.2-ee-15"),
        fact("mgr1", "manager", "17.06.2-ee-15"),
        fact("wrk1", "worker", "18.09.0"),
        fact("wrk2", "worker", "17.06.2-ee-15"),
    ];
    let found = set.match_versions(&facts);
    let ids: Vec<&str> = found.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, vec!["UPG-01", "UPG-03", "UPG-05", "UPG-12"]);
    let upg1 = &found[0];
    assert_eq!(upg1.nodes.iter().collect::<Vec<_>>(), vec!["mgr1", "wrk1"]);
    assert_eq!(upg1.count, 2);
    assert_eq!(
        upg1.detail,
        "manager <17.10.0: mgr1 (17.06.2-ee-15)\nworker >=18.9.0: wrk1 (18.09.0)"
    );
    assert_eq!(upg1.evidence.len(), 2);
    assert!(set.match_versions(&[fact("a", "", "dev")]).is_empty());
}

#[test]
fn finding_template_carries_check_metadata() {
    let set = embedded();
    let f = set.finding_template("SW301").unwrap();
    assert_eq!(f.id, "SW301");
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(f.count, 0);
    assert!(f.nodes.is_empty() && f.evidence.is_empty());
    assert!(f.explanation.contains("2^(32-prefix)"));
    assert!(!f.references.is_empty());
    assert!(set.finding_template("SW999").is_none());
}

#[test]
fn explain_and_list_show_patterns_and_examples() {
    let set = embedded();
    let text = set.explain("IPAM-01").unwrap();
    assert!(text.starts_with("IPAM-01 node-missing-network-attachments (log+task, error)\n"));
    assert!(text.contains("Status.Err ~ node is missing network attachments"));
    assert!(text.contains("moby/moby#39198"));
    assert!(text.contains(
        "Reads: logs/dockerd.log, docker/info.json, containers/inspect.json, swarm/tasks.json"
    ));
    assert!(text.contains("Defined in rules/ipam.toml"));
    let gos = set.explain("GOS-05").unwrap();
    assert!(gos.contains("at least 10 times for one peer on a node"));
    let upg = set.explain("UPG-01").unwrap();
    assert!(upg.contains("manager <17.10.0") && upg.contains("manager=17.09.1-ce worker=18.09.7"));

    let json = set.list_json();
    assert_eq!(json["schema"], "swarmdiag-rules");
    assert_eq!(json["schema_version"], 1);
    let all = json["rules"].as_array().unwrap();
    assert_eq!(all.len(), set.rules().len());
    let kmod = all.iter().find(|r| r["id"] == "KMOD-01").unwrap();
    assert_eq!(kmod["severity"], "critical");
    assert_eq!(kmod["kind"], "log");
    assert_eq!(
        kmod["log"]["patterns"][0],
        "Could not get ipvs family information from the kernel"
    );
    let check = all.iter().find(|r| r["id"] == "SW101").unwrap();
    assert_eq!(check["kind"], "check");
    assert!(check["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == "netns/lb_*/ip-addr.txt"));
}

#[test]
fn inputs_follow_sources() {
    let set = embedded();
    assert_eq!(
        set.get("KERN-01").unwrap().inputs(),
        vec!["logs/kernel.log"]
    );
    assert_eq!(
        set.get("TASK-01").unwrap().inputs(),
        vec!["swarm/tasks.json"]
    );
    assert_eq!(
        set.get("UPG-01").unwrap().inputs(),
        vec!["docker/version.json", "swarm/nodes.json"]
    );
    assert_eq!(set.get("SW603").unwrap().inputs(), vec!["host/sysctl.txt"]);
    assert_eq!(
        set.get("IPAM-01").unwrap().inputs(),
        vec![
            "logs/dockerd.log",
            "docker/info.json",
            "containers/inspect.json",
            "swarm/tasks.json"
        ]
    );
}

const USER_RULE: &str = r#"
[[rule]]
id = "IPAM-01"
name = "acme-node-missing-attachments"
severity = "critical"
title = "ACME: node attachments missing"
explanation = "Our override."
remediation = "Call ACME support."
references = ["ACME-1234"]

[rule.log]
patterns = ['acme attachment (?P<net>\S+) missing']
match = ['time="2026-01-01T00:00:00Z" level=error msg="acme attachment backend missing"']
no_match = ['time="2026-01-01T00:00:00Z" level=error msg="node is missing network attachments, ip addresses may be exhausted"']

[[rule]]
id = "ACME-01"
name = "acme-proxy-down"
severity = "warning"
title = "ACME proxy down"
explanation = "The proxy is down."
remediation = "Restart it."

[rule.task]
err = ['acme proxy down']
match = [{ state = "failed", err = "acme proxy down" }]
no_match = [{ state = "failed", err = "acme proxy up" }]
"#;

#[test]
fn user_rules_add_and_override_by_id() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("acme.toml"), USER_RULE).unwrap();
    std::fs::write(dir.path().join("notes.md"), "not a rule file").unwrap();
    let base = embedded();
    let set = base.clone().load_dir(dir.path()).unwrap();
    assert_eq!(set.rules().len(), base.rules().len() + 1);
    let r = set.get("IPAM-01").unwrap();
    assert_eq!(r.title, "ACME: node attachments missing");
    assert_eq!(r.kind(), "log");
    assert!(r.file.ends_with("acme.toml"));
    assert_eq!(set.get("ACME-01").unwrap().kind(), "task");
    // The override's pattern is used, the embedded one no longer is.
    let old = r#"time="2026-01-01T00:00:00Z" level=error msg="fatal task error" error="node is missing network attachments, ip addresses may be exhausted""#;
    assert!(!fire(&set, old, None, None, 1).contains("IPAM-01"));
    assert!(fire(&base, old, None, None, 1).contains("IPAM-01"));
    let new = r#"time="2026-01-01T00:00:00Z" level=error msg="acme attachment backend missing""#;
    let l = line_for(new, None);
    let mut m = set.log_matcher();
    m.observe(&event(&l, "n", "f", 1, None));
    let f = m.finish().remove(0);
    assert_eq!(
        (f.id.as_str(), f.severity, f.detail.as_str()),
        ("IPAM-01", Severity::Critical, "net=backend (1×)")
    );
}

#[test]
fn bad_user_rules_name_the_file_and_rule() {
    let cases = [
        (
            USER_RULE.replace(r"(?P<net>\S+)", r"(?P<net>\S+"),
            "rule IPAM-01: log pattern",
        ),
        (
            USER_RULE.replace("severity = \"warning\"", "severity = \"urgent\""),
            "rule ACME-01: severity \"urgent\"",
        ),
        (
            USER_RULE.replace("acme proxy up", "acme proxy down"),
            "rule ACME-01: task example matches but should not",
        ),
        (
            USER_RULE.replace("patterns =", "pattern ="),
            "unknown field `pattern`",
        ),
        (
            USER_RULE.replace("id = \"ACME-01\"", "id = \"IPAM-01\""),
            "rule IPAM-01: id defined twice",
        ),
        (
            USER_RULE.replace(
                "remediation = \"Restart it.\"",
                "remediation = \"Restart it.\"\nkind = \"log\"",
            ),
            "kind \"log\" is unknown",
        ),
    ];
    for (text, expect) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.toml");
        std::fs::write(&path, &text).unwrap();
        let err = embedded().load_dir(dir.path()).unwrap_err().to_string();
        assert!(err.starts_with(&path.display().to_string()), "{err}");
        assert!(err.contains(expect), "{expect:?} not in {err}");
    }
    let missing = embedded()
        .load_dir(std::path::Path::new("/nonexistent/rules"))
        .unwrap_err();
    assert!(missing.to_string().starts_with("/nonexistent/rules"));
}

#[test]
fn duplicate_ids_across_user_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.toml"), USER_RULE).unwrap();
    std::fs::write(dir.path().join("b.toml"), USER_RULE).unwrap();
    let err = embedded().load_dir(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("b.toml") && err.contains("also defined in") && err.contains("a.toml"),
        "{err}"
    );
}

#[test]
fn explain_takes_ids_in_any_case() {
    let set = embedded();
    let upper = set.explain("SW301").unwrap();
    assert!(
        upper.starts_with("SW301 overlay-subnet-exhausted"),
        "{upper}"
    );
    assert_eq!(set.explain("sw301").as_deref(), Some(upper.as_str()));
    assert_eq!(
        set.explain("ipam-01").unwrap().lines().next(),
        Some("IPAM-01 node-missing-network-attachments (log+task, error)")
    );
    assert!(set.explain("sw999").is_none());
}

#[test]
fn ids_differing_only_in_case_are_refused() {
    // Else `rules explain ipam-01` could not tell which one is meant.
    let dir = tempfile::tempdir().unwrap();
    let lower = USER_RULE.replace("id = \"IPAM-01\"", "id = \"ipam-01\"");
    std::fs::write(dir.path().join("acme.toml"), lower).unwrap();
    let err = embedded().load_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("also defined in"), "{err}");
    assert!(err.contains("ipam-01") && err.contains("IPAM-01"), "{err}");
}

/// `cargo test --release --lib rules::tests::throughput -- --ignored --nocapture`
#[test]
#[ignore]
fn throughput() {
    let set = embedded();
    // Healthy lines that match no pattern at all (join events and elections
    // match, and would fire when repeated a million times).
    let healthy: Vec<Line> = HEALTHY
        .iter()
        .map(|l| line_for(l, None))
        .filter(|l| {
            !set.inner
                .rules
                .iter()
                .filter_map(|r| r.log.as_ref())
                .flat_map(|log| log.patterns.iter())
                .any(|p| p.is_match(&l.haystack))
        })
        .collect();
    assert!(healthy.len() > 20);
    let noisy = [
        line_for(
            r#"time="2026-05-09T08:00:00.000000000Z" level=warning msg="memberlist: Failed to send gossip to 198.18.0.12:7946: write udp 198.18.0.11:7946->198.18.0.12:7946: sendto: invalid argument""#,
            None,
        ),
        line_for(
            r#"time="2023-08-20T06:00:00.000000000Z" level=warning msg="Neighbor entry already present for IP 10.0.1.12, mac 02:42:0a:00:01:0c neighbor:&{dstIP:[10 0 1 12]} forceUpdate:false""#,
            None,
        ),
    ];
    let n = 1_000_000usize;
    let mut bytes = 0usize;
    let start = std::time::Instant::now();
    let mut m = set.log_matcher();
    for i in 0..n {
        // 1 line in 50 matches something; the rest is healthy chatter.
        let l = if i % 50 == 0 {
            &noisy[i / 50 % 2]
        } else {
            &healthy[i % healthy.len()]
        };
        bytes += l.haystack.len();
        m.observe(&event(l, "node1", "node1/logs/dockerd.log", i + 1, None));
    }
    let found = m.finish();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{n} lines ({:.0} MB haystack) in {secs:.2}s: {:.0} lines/s, {} findings",
        bytes as f64 / 1e6,
        n as f64 / secs,
        found.len()
    );
    assert_eq!(found.iter().map(|f| f.count).sum::<u64>(), (n / 50) as u64);

    // Worst case: a flood where every line matches (and captures).
    let start = std::time::Instant::now();
    let mut m = set.log_matcher();
    for i in 0..n {
        m.observe(&event(
            &noisy[i % 2],
            "node1",
            "node1/logs/dockerd.log",
            i + 1,
            None,
        ));
    }
    let found = m.finish();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{n} matching lines in {secs:.2}s: {:.0} lines/s",
        n as f64 / secs
    );
    assert_eq!(found.iter().map(|f| f.count).sum::<u64>(), n as u64);
}

/// Verbatim lines from this project's lab (dockerd 20.10.24 on a kernel without
/// IPVS, three nodes, then an overlay /28 with more replicas than addresses).
const LAB: &[&str] = &[
    r#"time="2026-11-22T00:40:06.213003597Z" level=info msg="699df0426c93b9e is starting a new election at term 1" module=raft node.id=4bg42x4a1seznqrgjuk4g9chn"#,
    r#"time="2026-11-22T00:40:06.213079198Z" level=info msg="699df0426c93b9e became leader at term 2" module=raft node.id=4bg42x4a1seznqrgjuk4g9chn"#,
    r#"time="2026-11-22T00:40:06.213084827Z" level=info msg="raft.node: 699df0426c93b9e elected leader 699df0426c93b9e at term 2" module=raft node.id=4bg42x4a1seznqrgjuk4g9chn"#,
    r#"time="2026-11-22T00:40:06.735058356Z" level=info msg="Node b87713359800/198.18.0.11, joined gossip cluster""#,
    r#"time="2026-11-22T00:40:09.769790400Z" level=warning msg="Neighbor entry already present for IP 10.0.1.3, mac 02:42:0a:00:01:03 neighbor:&{dstIP:[0 0 0 0 0 0 0 0 0 0 255 255 10 0 1 3] dstMac:[2 66 10 0 1 3] linkName:vx-001001-oi6ud linkDst:vxlan0 family:0} forceUpdate:false""#,
    r#"time="2026-11-22T00:40:09.937774796Z" level=warning msg="Running modprobe ip_vs failed with message: ``, error: exec: \"modprobe\": executable file not found in $PATH""#,
    r#"time="2026-11-22T00:40:09.937887012Z" level=error msg="Could not get ipvs family information from the kernel. It is possible that ipvs is not enabled in your kernel. Native loadbalancing will not work until this is fixed.""#,
    r#"time="2026-11-22T00:40:11.754562190Z" level=warning msg="rmServiceBinding 27ce35bb9886bcbc8ab4882b896579a9253f0341c35709ffb373e826ee98e374 possible transient state ok:false entries:0 set:false ""#,
    r#"time="2026-11-22T00:40:11Z" level=error msg="set up rule failed, [-t mangle -D PREROUTING -p tcp --dport 8080 -j MARK --set-mark 256]:  (iptables failed: iptables --wait -t mangle -D PREROUTING -p tcp --dport 8080 -j MARK --set-mark 256: iptables: Bad rule (does a matching rule exist in that chain?).\n (exit status 1))""#,
    r#"time="2026-11-22T00:40:11.828697169Z" level=error msg="Failed to delete firewall mark rule in sbox ingress (ingress): reexec failed: exit status 8""#,
    r#"time="2026-11-22T00:40:11.828883926Z" level=error msg="Failed add IP alias 10.0.0.5 to network mtkb7k24u4l7nsx9nframtq44 LB endpoint interface eth0: cannot assign requested address""#,
    r#"time="2026-11-22T00:29:07.178932290Z" level=error msg="task allocation failure" error="failed to allocate network IP for task qapi08i4qpiekhfrkcaxk3apd network sgb5miokwdr8r6qdiy3mgt9z5: could not find an available IP" module=node node.id=izexcgmb7m1srrlo951hmgg75"#,
    r#"time="2026-11-22T00:29:07.324977500Z" level=error msg="Failed to allocate network resources for node izexcgmb7m1srrlo951hmgg75" error="could not find an available IP" module=node node.id=izexcgmb7m1srrlo951hmgg75"#,
    r#"time="2026-11-22T00:29:37.437603287Z" level=error msg="fatal task error" error="node is missing network attachments, ip addresses may be exhausted" module=node/agent/taskmanager node.id=izexcgmb7m1srrlo951hmgg75 service.id=vvwov499gyx04bxtswj1vdf4w task.id=iz54jesy60j8hs42voeqzfv4d"#,
    r#"time="2026-11-22T00:29:27.381046915Z" level=error msg="Handler for POST /v1.41/containers/8eb04a7e5ff24804a655dc75aba7550193eca5b95b630f9cd755e9694d79fc88/start returned error: attaching to network failed, make sure your network options are correct and check manager logs: context deadline exceeded""#,
    r#"time="2026-11-22T00:29:22.649320863Z" level=warning msg="underweighting node izexcgmb7m1srrlo951hmgg75 for service u7djn680qtgfngbjn2i52a6o3 because it experienced 5 failures or rejections within 5m0s" module=node node.id=izexcgmb7m1srrlo951hmgg75"#,
    r#"time="2026-11-22T00:29:29.112438419Z" level=warning msg="skipping nil or malformed node network attachment entry" NetworkAttachment="&api.NetworkAttachment{Network:(*api.Network)(0xc001b0f7c0), Addresses:[]string(nil), Aliases:[]string(nil), DriverAttachmentOpts:map[string]string(nil)}""#,
    r#"time="2026-11-22T00:29:07.447983670Z" level=error msg="fatal task error" error="No such image: nosuch/image:1" module=node/agent/taskmanager node.id=izexcgmb7m1srrlo951hmgg75 service.id=u7djn680qtgfngbjn2i52a6o3 task.id=13kak61vnpsegs4wfl2um6rp0"#,
];

#[test]
fn lab_lines_fire_what_they_show_and_nothing_else() {
    let set = embedded();
    let mut m = set.log_matcher();
    let lines: Vec<Line> = LAB.iter().map(|l| line_for(l, None)).collect();
    for (i, l) in lines.iter().enumerate() {
        m.observe(&event(
            l,
            "lab",
            "lab/logs/dockerd.log",
            i + 1,
            Some("20.10.24"),
        ));
    }
    let fired: Vec<(String, usize)> = m
        .finish()
        .into_iter()
        .map(|f| (f.id, f.evidence[0].line))
        .collect();
    let expect: Vec<(String, usize)> = [
        ("IPAM-01", 14),
        ("IPAM-02", 12),
        ("IPAM-04", 13),
        ("KMOD-01", 7),
        ("LB-07", 10),
        ("NET-03", 15),
        ("OVL-08", 5),
    ]
    .iter()
    .map(|(id, line)| (id.to_string(), *line))
    .collect();
    assert_eq!(fired, expect);
}

/// Every file under `dir` named `name`, recursively.
fn files_named(dir: &std::path::Path, name: &str, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_named(&p, name, out);
        } else if p.file_name().is_some_and(|n| n == name) {
            out.push(p);
        }
    }
}

/// The matcher runs a pattern only on texts holding one of its literals;
/// what matches must be exactly what one regex set of every pattern finds,
/// on every example, healthy and lab line, every line of the testdata's
/// logs, and texts mixing two of them (upper-cased too, for `(?i)`).
#[test]
fn candidates_find_what_one_regex_set_of_every_pattern_finds() {
    let set = embedded();
    let patterns: Vec<&rule::Pattern> = set
        .inner
        .rules
        .iter()
        .filter_map(|r| r.log.as_ref())
        .flat_map(|log| log.patterns.iter())
        .collect();
    let regex_set = regex::RegexSet::new(patterns.iter().map(|p| p.as_str())).unwrap();
    let mut raws: Vec<String> = HEALTHY.iter().chain(LAB).map(|l| l.to_string()).collect();
    for r in set.rules() {
        if let Some(spec) = &r.log {
            let examples = spec.examples.matches.iter().chain(&spec.examples.no_match);
            raws.extend(examples.map(|ex| ex.line.clone()));
        }
    }
    let mut logs = Vec::new();
    files_named(std::path::Path::new("testdata"), "dockerd.log", &mut logs);
    files_named(std::path::Path::new("testdata"), "kernel.log", &mut logs);
    logs.sort();
    assert!(logs.len() > 40, "testdata logs: {}", logs.len());
    for log in &logs {
        let text = std::fs::read(log).unwrap();
        raws.extend(String::from_utf8_lossy(&text).lines().map(str::to_string));
    }
    let mut haystacks: Vec<String> = raws.iter().map(|r| line_for(r, None).haystack).collect();
    let examples = haystacks.len();
    for (i, h) in haystacks.clone().iter().enumerate().step_by(7) {
        let other = &haystacks[(i * 31 + 5) % examples];
        haystacks.push(format!("{h} {other}"));
        haystacks.push(h.to_uppercase());
    }
    let mut candidates = Vec::new();
    let mut matched = 0;
    for h in &haystacks {
        let want: Vec<usize> = regex_set.matches(h).into_iter().collect();
        set.inner.log_candidates.of(h, &mut candidates);
        let got: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&i| patterns[i].is_match(h))
            .collect();
        assert_eq!(got, want, "{h}");
        matched += usize::from(!want.is_empty());
    }
    assert!(
        haystacks.len() > 5000 && matched > 500,
        "{} texts, {matched} matched",
        haystacks.len()
    );
}
