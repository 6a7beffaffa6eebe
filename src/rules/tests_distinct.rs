//! `distinct = "task"`: a task logged by the daemon (`fatal task error …
//! task.id=…`) and listed in the tasks dump counts once, and the detail names
//! its service once. Checked on real captures: the lab's `exhausted`
//! scenario and seed bundle `exhausted-27`.

use super::*;
use crate::finding::consolidate;
use crate::parse::log::{parse_line, LogContext};
use std::collections::BTreeSet;
use std::path::Path;

fn embedded() -> RuleSet {
    RuleSet::embedded().expect("embedded rules load")
}

fn testdata(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}

/// Reads bundles under `dir` the way `analyze` feeds the engine: every
/// daemon log line through the log parser into one matcher, then the
/// model's tasks (node by hostname, service by name) into the same matcher.
fn findings_of(dirs: &[&str]) -> Vec<Finding> {
    let set = embedded();
    let mut m = set.log_matcher();
    let paths: Vec<_> = dirs.iter().map(|d| testdata(d)).collect();
    let ctx = LogContext {
        year: 1970,
        collected_at: None,
    };
    let bundles = crate::bundle::read_bundles(&paths, &Default::default(), &mut |l| {
        if l.path != "logs/dockerd.log" {
            return;
        }
        let Some(rec) = parse_line(l.text, &ctx) else {
            return;
        };
        let haystack = rec.haystack();
        let file = format!("{}/{}", l.node, l.path);
        m.observe(&LogEvent {
            node: l.node,
            file: &file,
            line: l.line,
            time: rec.time,
            level: rec.level.map(|lv| lv.as_str()),
            source: LogSource::Dockerd,
            haystack: &haystack,
            raw: l.text,
            engine_version: None,
        });
    })
    .expect("bundles read");
    let cluster = crate::model::build(&bundles.nodes);
    let file = cluster.cluster_file("swarm/tasks.json");
    let tasks: Vec<TaskEvent> = cluster
        .tasks
        .iter()
        .map(|t| TaskEvent {
            node: cluster.hostname_of(&t.node_id).unwrap_or(""),
            file: &file,
            line: t.line,
            task_id: &t.id,
            service: cluster
                .service(&t.service_id)
                .map(|s| s.name.as_str())
                .unwrap_or(&t.service_id),
            state: &t.state,
            desired_state: &t.desired_state,
            message: &t.message,
            err: &t.err,
            time: t.timestamp,
            engine_version: None,
        })
        .collect();
    m.observe_tasks(&tasks);
    consolidate(m.finish())
}

const MISSING: &str = "node is missing network attachments";

/// Task ids rejected for missing attachments, read straight from the files:
/// `task.id=` of the daemon log lines, and `ID` of the tasks in each
/// manager's `swarm/tasks.json`.
fn rejected_tasks(scenario: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut logged = BTreeSet::new();
    let mut dumped = BTreeSet::new();
    for node in std::fs::read_dir(testdata(scenario)).unwrap() {
        let node = node.unwrap().path();
        let log = std::fs::read_to_string(node.join("logs/dockerd.log")).unwrap_or_default();
        for line in log.lines().filter(|l| l.contains(MISSING)) {
            let id = line.split(" task.id=").nth(1).unwrap();
            logged.insert(id.split_whitespace().next().unwrap().to_string());
        }
        let Ok(tasks) = std::fs::read_to_string(node.join("swarm/tasks.json")) else {
            continue;
        };
        let tasks: Vec<serde_json::Value> = serde_json::from_str(&tasks).unwrap();
        for t in tasks {
            if t["Status"]["Err"]
                .as_str()
                .is_some_and(|e| e.contains(MISSING))
            {
                dumped.insert(t["ID"].as_str().unwrap().to_string());
            }
        }
    }
    (logged, dumped)
}

fn ipam01(findings: &[Finding]) -> &Finding {
    findings
        .iter()
        .find(|f| f.id == "IPAM-01")
        .expect("IPAM-01 fires")
}

#[test]
fn lab_exhausted_counts_each_rejected_task_once() {
    let (logged, dumped) = rejected_tasks("lab/exhausted");
    // The same tasks on both sides: the failure is logged by the worker
    // that rejected the task and listed by both managers.
    assert_eq!(logged.len(), 28);
    assert_eq!(logged, dumped);
    let findings = findings_of(&["lab/exhausted"]);
    let f = ipam01(&findings);
    assert_eq!(f.count, 28, "log lines + dump used to add up to 56");
    assert_eq!(
        f.nodes.iter().map(String::as_str).collect::<Vec<_>>(),
        ["node1", "node2", "node3"]
    );
    // One naming: the service's name, once (it was the id from the log and
    // the name from the dump, per node).
    assert_eq!(f.detail, "service=many (28×)");
}

#[test]
fn seed_exhausted_27_counts_five_tasks_of_one_service() {
    let (logged, dumped) = rejected_tasks("bundles/exhausted-27");
    assert_eq!((logged.len(), dumped.len()), (5, 5));
    assert_eq!(logged, dumped);
    let findings = findings_of(&["bundles/exhausted-27"]);
    let f = ipam01(&findings);
    assert_eq!(
        f.count, 5,
        "was 10: each rejection from the log and the dump"
    );
    assert_eq!(f.detail, "service=ex_service (5×)");
    // Evidence still quotes both sources.
    let files: BTreeSet<&str> = f.evidence.iter().map(|e| e.file.as_str()).collect();
    assert!(
        files.contains("tk1706-ubuntu-1/logs/dockerd.log"),
        "{files:?}"
    );
    assert!(
        files.iter().any(|p| p.ends_with("swarm/tasks.json")),
        "{files:?}"
    );
}

#[test]
fn without_a_tasks_dump_the_log_counts_tasks_by_service_id() {
    // node3 is a worker: no swarm/ files, so nothing names the service.
    let findings = findings_of(&["lab/exhausted/node3"]);
    let f = ipam01(&findings);
    assert_eq!(f.count, 9);
    assert_eq!(f.detail, "service=bvkiiifq8wraca4rxvoenobig (9×)");
}

/// A log line for task `task` of service id `svc`, as a 20.10 worker logs it.
fn rejected_line(task: &str, svc: &str) -> String {
    format!(
        r#"time="2026-11-22T02:52:23.561864525Z" level=error msg="fatal task error" error="node is missing network attachments, ip addresses may be exhausted" module=node/agent/taskmanager node.id=zq510ph4zt7zag148bbxkasta service.id={svc} task.id={task}"#
    )
}

fn observe_line(m: &mut LogMatcher, node: &str, line: usize, raw: &str) {
    let ex = super::example::read_example(raw);
    let file = format!("{node}/logs/dockerd.log");
    m.observe(&LogEvent {
        node,
        file: &file,
        line,
        time: None,
        level: ex.level.as_deref(),
        source: LogSource::Dockerd,
        haystack: &ex.haystack,
        raw,
        engine_version: None,
    });
}

fn rejected_task<'a>(id: &'a str, node: &'a str, service: &'a str, line: usize) -> TaskEvent<'a> {
    TaskEvent {
        node,
        file: "node1/swarm/tasks.json",
        line,
        task_id: id,
        service,
        state: "rejected",
        desired_state: "shutdown",
        message: "preparing",
        err: "node is missing network attachments, ip addresses may be exhausted",
        time: None,
        engine_version: None,
    }
}

#[test]
fn a_task_counts_once_across_log_dump_nodes_and_threads() {
    let set = embedded();
    // Thread 1 read node2's log: tasks a and b. Thread 2 read node3's: c.
    let mut t1 = set.log_matcher();
    observe_line(&mut t1, "node2", 10, &rejected_line("a", "svcid"));
    observe_line(&mut t1, "node2", 11, &rejected_line("b", "svcid"));
    let mut t2 = set.log_matcher();
    observe_line(&mut t2, "node3", 7, &rejected_line("c", "svcid"));
    t1.merge(t2);
    // The dump lists a and c (b was already pruned from the task history)
    // and d, which no collected log mentions.
    t1.observe_tasks(&[
        rejected_task("a", "node2", "web", 5),
        rejected_task("c", "node3", "web", 9),
        rejected_task("d", "node3", "web", 12),
    ]);
    let per_node = t1.finish();
    let counts: Vec<(Vec<&String>, u64)> = per_node
        .iter()
        .map(|f| (f.nodes.iter().collect(), f.count))
        .collect();
    assert_eq!(
        counts,
        [
            (vec![&"node2".to_string()], 2),
            (vec![&"node3".to_string()], 2)
        ]
    );
    let f = consolidate(per_node).remove(0);
    assert_eq!(f.count, 4, "a, b, c, d");
    // b was only logged, by service id; a and c showed that id is "web".
    assert_eq!(f.detail, "service=web (4×)");
    assert_eq!(f.evidence.len(), 6, "3 log lines and 3 tasks");
}

#[test]
fn a_log_record_without_a_task_id_counts_on_its_own() {
    let set = embedded();
    let mut m = set.log_matcher();
    let bare = r#"time="2018-08-24T21:03:37Z" level=error msg="fatal task error" error="node is missing network attachments, ip addresses may be exhausted""#;
    observe_line(&mut m, "node1", 1, bare);
    observe_line(&mut m, "node1", 2, bare);
    observe_line(&mut m, "node1", 3, &rejected_line("a", "svcid"));
    m.observe_tasks(&[rejected_task("a", "node1", "web", 1)]);
    let f = consolidate(m.finish()).remove(0);
    assert_eq!(f.count, 3);
    assert_eq!(f.detail, "service=web (1×)");
}

#[test]
fn rules_without_distinct_still_count_every_record() {
    // KMOD-01 is log-only: the same line three times counts 3.
    let set = embedded();
    let mut m = set.log_matcher();
    let raw = r#"time="2026-11-22T02:51:20.114251871Z" level=error msg="Could not get ipvs family information from the kernel. It is possible that ipvs is not enabled in your kernel. Native loadbalancing will not work until this is fixed.""#;
    for line in 1..=3 {
        observe_line(&mut m, "node1", line, raw);
    }
    let found = m.finish();
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].id.as_str(), found[0].count), ("KMOD-01", 3));
    assert!(!set.get("KMOD-01").unwrap().distinct_tasks);
}

#[test]
fn schema_refuses_distinct_without_a_task_capture_or_with_thresholds() {
    let rule = |extra: &str, log: &str| {
        format!(
            r#"[[rule]]
id = "X-1"
name = "x"
severity = "error"
title = "t"
explanation = "e"
remediation = "r"
{extra}
[rule.log]
patterns = ['{log}']
{thresholds}match = ['time="2026-01-01T00:00:00Z" level=error msg="boom" task.id=abc']
no_match = ['time="2026-01-01T00:00:00Z" level=error msg="fine"']
"#,
            thresholds = if extra.contains("min_count") {
                "min_count = 2\n"
            } else {
                ""
            },
        )
    };
    let problems = |text: &str| {
        let raw = schema::parse_file(text).expect("parses");
        schema::validate_file(&raw).join("; ")
    };
    let ok = rule(
        r#"distinct = "task""#,
        r"boom(?:(?s:.*?) task\.id=(?P<task>\S+))?",
    );
    assert_eq!(problems(&ok), "");
    let no_capture = rule(r#"distinct = "task""#, "boom");
    assert!(
        problems(&no_capture).contains("needs a named capture `task`"),
        "{}",
        problems(&no_capture)
    );
    let unknown = rule(
        r#"distinct = "line""#,
        r"boom(?:(?s:.*?) task\.id=(?P<task>\S+))?",
    );
    assert!(problems(&unknown).contains(r#"distinct "line" is unknown"#));
    let threshold = rule(
        "distinct = \"task\"\n# min_count",
        r"boom(?:(?s:.*?) task\.id=(?P<task>\S+))?",
    );
    assert!(problems(&threshold).contains("log.min_count and log.per do not apply"));
}
