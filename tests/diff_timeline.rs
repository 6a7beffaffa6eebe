//! `swarmdiag diff` and `swarmdiag timeline` run as the real binary on the
//! seed bundles (testdata/README.md §2, seed 002): a manager drained,
//! stopped, upgraded 17.06 → 18.09, started and re-activated too early, so
//! its tasks are rejected; one worker's clock is 90 s fast.

use assert_cmd::Command;
use serde_json::Value;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn bundles(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/bundles")
        .join(name)
}

fn swarmdiag() -> Command {
    Command::cargo_bin("swarmdiag").unwrap()
}

/// Runs the binary; returns (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let out = swarmdiag().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json(args: &[&str]) -> (i32, Value) {
    let mut args = args.to_vec();
    args.extend(["--format", "json"]);
    let (code, out, err) = run(&args);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (code, v)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every file under `dir`, relative, sorted; manifests last so that an
/// archive streams the logs before the collection time is known.
fn files(dir: &Path) -> Vec<PathBuf> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort_by_key(|p| (p.ends_with("manifest.json"), p.clone()));
    out
}

fn tar_gz(dir: &Path, dest: &Path) {
    let gz = flate2::write::GzEncoder::new(File::create(dest).unwrap(), Default::default());
    let mut t = tar::Builder::new(gz);
    for rel in files(dir) {
        t.append_path_with_name(dir.join(&rel), &rel).unwrap();
    }
    t.into_inner().unwrap().finish().unwrap();
}

fn zip(dir: &Path, dest: &Path) {
    let mut z = zip::ZipWriter::new(File::create(dest).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    for rel in files(dir) {
        z.start_file(rel.to_str().unwrap(), opts).unwrap();
        z.write_all(&fs::read(dir.join(&rel)).unwrap()).unwrap();
    }
    z.finish().unwrap();
}

fn field<'a>(item: &'a Value, name: &str) -> Option<&'a Value> {
    item["fields"]
        .as_array()?
        .iter()
        .find(|f| f["field"] == name)
}

fn item<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {list:#}"))
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

// ------------------------------------------------------------------- diff

#[test]
fn diff_names_what_the_upgrade_changed() {
    let (before, after) = (bundles("upgrade-before"), bundles("upgrade-mid"));
    let (code, d) = json(&["diff", s(&before), s(&after)]);
    assert_eq!(
        code, 1,
        "new error findings exit 1 with the default --fail-on"
    );
    assert_eq!(d["schema"], "swarmdiag-diff");
    assert_eq!(d["schema_version"], 3);

    let nodes = &d["nodes"];
    for upgraded in ["tk1706-ubuntu-0", "tk1706-ubuntu-3"] {
        let e = field(item(nodes, upgraded), "engine_version").unwrap();
        assert_eq!(
            (e["before"].as_str(), e["after"].as_str()),
            (Some("17.06.2-ee-15"), Some("18.09.1"))
        );
    }
    let u4 = item(nodes, "tk1706-ubuntu-4");
    assert_eq!(u4["id"], "w232ljdni54ibvlsgewehon99");
    let a = field(u4, "availability").unwrap();
    assert_eq!(
        (a["before"].as_str(), a["after"].as_str()),
        (Some("active"), Some("drain"))
    );
    assert!(
        field(u4, "engine_version").is_none(),
        "ubuntu-4 stayed on 17.06"
    );
    assert_eq!(
        field(item(nodes, "tk1706-ubuntu-0"), "leader").unwrap()["after"],
        "no"
    );
    assert_eq!(
        field(item(nodes, "tk1706-ubuntu-1"), "leader").unwrap()["after"],
        "yes"
    );
    // ubuntu-0 was drained and re-activated: no net availability change.
    assert!(field(item(nodes, "tk1706-ubuntu-0"), "availability").is_none());
    assert!(nodes
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["change"] == "changed"));

    let svc = item(&d["services"], "test_service");
    let running = field(svc, "running_tasks").unwrap();
    assert_eq!(
        (running["before"].as_str(), running["after"].as_str()),
        (Some("5"), Some("2"))
    );
    let errors = field(svc, "task_errors").unwrap()["added"]
        .as_array()
        .unwrap()
        .clone();
    assert!(errors.contains(&Value::from(
        "node is missing network attachments, ip addresses may be exhausted"
    )));
    assert!(errors.contains(&Value::from(
        "cannot create a swarm scoped network when swarm is not active"
    )));
    assert!(field(svc, "vips").is_none(), "VIPs did not change");

    let peers = field(item(&d["networks"], "test_default"), "peers").unwrap();
    let removed: Vec<&str> = peers["removed"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(removed.contains(&"tk1706-ubuntu-0") && removed.contains(&"tk1706-ubuntu-3"));

    let u0 = d["dataplane"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["node"] == "tk1706-ubuntu-0")
        .unwrap();
    assert!(u0["namespaces_vanished"]
        .as_array()
        .unwrap()
        .contains(&Value::from("1-hmao9wtjwl")));

    // 18.09 rewrote the isolation chains: a unified diff of the filter table.
    let ipt = d["iptables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| {
            t["node"] == "tk1706-ubuntu-0" && t["namespace"] == "host" && t["table"] == "filter"
        })
        .unwrap();
    let text = ipt["diff"].as_str().unwrap();
    assert!(
        text.contains("\n+-A FORWARD -j DOCKER-ISOLATION-STAGE-1\n"),
        "{text}"
    );
    assert!(
        text.contains("\n--A FORWARD -j DOCKER-ISOLATION\n"),
        "{text}"
    );
    // Counters differ everywhere; only ubuntu-0 and ubuntu-3 changed rules.
    let nodes_with_rule_changes: std::collections::BTreeSet<&str> = d["iptables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["node"].as_str().unwrap())
        .collect();
    assert_eq!(
        nodes_with_rule_changes.into_iter().collect::<Vec<_>>(),
        ["tk1706-ubuntu-0", "tk1706-ubuntu-3"]
    );

    let new = ids(&d["findings"]["new"]);
    for id in ["IPAM-01", "NET-01"] {
        assert!(new.contains(&id.to_string()), "{id} not new: {new:?}");
    }
    assert!(ids(&d["findings"]["resolved"]).is_empty());
}

#[test]
fn diff_table_and_markdown_name_the_changes() {
    let (before, after) = (bundles("upgrade-before"), bundles("upgrade-mid"));
    let (code, out, _) = run(&["diff", s(&before), s(&after)]);
    assert_eq!(code, 1);
    assert!(out.contains("~ tk1706-ubuntu-0 (t7felwp30mvi4n910z2y3u1cu)"));
    assert!(out.contains("engine_version: 17.06.2-ee-15 → 18.09.1"));
    assert!(out.contains("availability: active → drain"));
    assert!(out.contains("namespaces vanished: 1-hmao9wtjwl"));
    let new = out.split("new (").nth(1).unwrap();
    assert!(new.contains("IPAM-01"));

    let (_, md, _) = run(&["diff", s(&before), s(&after), "--format", "markdown"]);
    assert!(md.starts_with("# swarmdiag diff"));
    assert!(md.contains("## Nodes") && md.contains("```diff"));
}

#[test]
fn diff_exit_code_follows_new_and_spread_findings() {
    let (before, after) = (bundles("upgrade-before"), bundles("upgrade-mid"));
    // The new findings are at most errors.
    let (code, _, _) = run(&["diff", s(&before), s(&after), "--fail-on", "critical"]);
    assert_eq!(code, 0);
    let (code, _, _) = run(&["diff", s(&before), s(&after), "--fail-on", "warning"]);
    assert_eq!(code, 1);
    // The same findings on both sides: nothing new, exit 0, even though the
    // bundles hold error findings. Against itself, no log line is later than
    // the before side's collection: the log findings are quiet, the checks
    // (not timed) persist.
    let (code, d) = json(&["diff", s(&after), s(&after), "--fail-on", "info"]);
    assert_eq!(code, 0);
    for key in ["nodes", "services", "networks", "dataplane", "iptables"] {
        assert_eq!(d[key], Value::Array(vec![]), "{key}");
    }
    assert!(d["findings"]["new"].as_array().unwrap().is_empty());
    assert!(d["findings"]["spread"].as_array().unwrap().is_empty());
    assert!(ids(&d["findings"]["quiet"]).contains(&"IPAM-01".to_string()));
    assert!(ids(&d["findings"]["persisting"]).contains(&"SW402".to_string()));
    // Going back resolves them.
    let (code, d) = json(&["diff", s(&after), s(&before)]);
    assert_eq!(code, 0);
    assert!(ids(&d["findings"]["resolved"]).contains(&"IPAM-01".to_string()));
}

fn lab(scenario: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/lab")
        .join(scenario)
}

fn copy_dir(from: &Path, to: &Path) {
    for rel in files(from) {
        let dest = to.join(&rel);
        fs::create_dir_all(dest.parent().unwrap()).unwrap();
        fs::copy(from.join(&rel), dest).unwrap();
    }
}

fn finding<'a>(d: &'a Value, list: &str, id: &str) -> &'a Value {
    d["findings"][list]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("{id} not {list}: {:#}", d["findings"]))
}

/// The lab's gossip-blocked capture, and the same capture with node2's log
/// cut just before its first failed bulk sync: node2 collected a moment
/// earlier. GOS-08 (bulk sync failed) was on node3 only, then on node2 too.
#[test]
fn diff_reports_a_signature_reaching_another_node_as_spread() {
    let tmp = TempDir::new().unwrap();
    let earlier = tmp.path().join("earlier");
    copy_dir(&lab("gossip-blocked"), &earlier);
    let log = earlier.join("node2/logs/dockerd.log");
    let text = fs::read_to_string(&log).unwrap();
    let cut = text
        .lines()
        .position(|l| l.contains("bulk sync to node"))
        .expect("node2 logs a failed bulk sync");
    let kept: Vec<&str> = text.lines().take(cut).collect();
    fs::write(&log, kept.join("\n") + "\n").unwrap();

    let after = lab("gossip-blocked");
    let (code, d) = json(&["diff", s(&earlier), s(&after)]);
    let gos = finding(&d, "spread", "GOS-08");
    assert_eq!(gos["nodes_before"], serde_json::json!(["node3"]));
    assert_eq!(gos["nodes_after"], serde_json::json!(["node2", "node3"]));
    assert_eq!(gos["nodes_added"], serde_json::json!(["node2"]));
    assert!(!ids(&d["findings"]["persisting"]).contains(&"GOS-08".to_string()));
    // It got worse: an error on one more node fails the diff as a new one would.
    assert!(d["findings"]["new"].as_array().unwrap().is_empty());
    assert_eq!(code, 1);
    let (code, _, _) = run(&["diff", s(&earlier), s(&after), "--fail-on", "critical"]);
    assert_eq!(code, 0, "GOS-08 is an error, not critical");
    let (_, out, _) = run(&["diff", s(&earlier), s(&after)]);
    assert!(
        out.contains("spread (1)\n  error    GOS-08 NetworkDB bulk sync with a peer failed — node2, node3 (now also on node2; count 1 → 3)"),
        "{out}"
    );
    // Going back, node2 lost it: fewer nodes is not a spread.
    let (code, d) = json(&["diff", s(&after), s(&earlier)]);
    assert!(d["findings"]["spread"].as_array().unwrap().is_empty());
    assert_eq!(code, 0);
}

/// The lab's node3 dockerd stopped (daemon-down), then started again
/// (daemon-restart). The restarted daemon's log still holds the lines from
/// before: LB-07 and OVL-08 have no occurrence after daemon-down was
/// collected, KMOD-01 is logged again by the new start.
#[test]
fn diff_shows_log_findings_with_nothing_new_as_quiet() {
    let (before, after) = (lab("daemon-down"), lab("daemon-restart"));
    let (code, d) = json(&["diff", s(&before), s(&after)]);
    assert_eq!(code, 0);
    let collected = d["before"]["collected_to"].as_str().unwrap().to_string();
    assert_eq!(collected, "2026-11-22T02:55:10Z");
    for id in ["LB-07", "LB-14", "OVL-08"] {
        let f = finding(&d, "quiet", id);
        assert_eq!(f["quiet_since"].as_str(), Some(collected.as_str()), "{id}");
        assert!(
            f["last_seen"].as_str().unwrap() <= collected.as_str(),
            "{id}"
        );
        assert_eq!(
            f["count_before"], f["count_after"],
            "{id}: the same old lines"
        );
    }
    let kmod = finding(&d, "persisting", "KMOD-01");
    assert!(kmod["last_seen"].as_str().unwrap() > collected.as_str());
    assert!(kmod["quiet_since"].is_null());
    // Checks have no time: they persist.
    assert!(ids(&d["findings"]["persisting"]).contains(&"SW601".to_string()));
    let (_, out, _) = run(&["diff", s(&before), s(&after)]);
    assert!(
        out.contains("LB-07 Could not delete a VIP's firewall-mark rule — node3 (count 3 → 3; no new occurrence since 2026-11-22T02:55:10Z)"),
        "{out}"
    );
}

#[test]
fn diff_of_unusable_input_exits_2() {
    let (code, out, err) = run(&["diff", "/nonexistent/before", s(&bundles("upgrade-mid"))]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("/nonexistent/before"), "{err}");
    let empty = TempDir::new().unwrap();
    let (code, _, err) = run(&["diff", s(&bundles("upgrade-mid")), s(empty.path())]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn diff_reads_archives_like_directories() {
    let tmp = TempDir::new().unwrap();
    let (b, a) = (
        tmp.path().join("before.zip"),
        tmp.path().join("after.tar.gz"),
    );
    zip(&bundles("upgrade-before"), &b);
    tar_gz(&bundles("upgrade-mid"), &a);
    let (code_dir, from_dirs) = json(&[
        "diff",
        s(&bundles("upgrade-before")),
        s(&bundles("upgrade-mid")),
    ]);
    let (code_arc, from_archives) = json(&["diff", s(&b), s(&a)]);
    assert_eq!(code_dir, code_arc);
    for key in [
        "nodes",
        "services",
        "networks",
        "dataplane",
        "iptables",
        "findings",
    ] {
        assert_eq!(from_dirs[key], from_archives[key], "{key}");
    }
}

#[test]
fn diff_against_partial_bundles_compares_what_it_can() {
    // A logs-only bundle before, a full cluster after.
    let (code, d) = json(&[
        "diff",
        s(&bundles("partial-logs-only")),
        s(&bundles("upgrade-mid")),
    ]);
    assert_eq!(code, 1, "the after side's errors are new");
    let notes = d["notes"].as_array().unwrap();
    assert!(notes
        .iter()
        .any(|n| n.as_str().unwrap().starts_with("before: no manager bundle")));
    assert_eq!(
        d["services"],
        Value::Array(vec![]),
        "not compared without a manager on both sides"
    );
    // Its node has no bundle after: the finding is unobserved, not resolved.
    assert!(ids(&d["findings"]["unobserved"]).contains(&"KMOD-01".to_string()));
    assert!(d["findings"]["resolved"].as_array().unwrap().is_empty());

    // A node whose bundle exists only before: its bundle is gone, the
    // manager still lists it, and its findings are unobserved, not resolved.
    let (_, d) = json(&[
        "diff",
        s(&bundles("vote-ingress")),
        s(&bundles("vote-ingress/manager1")),
    ]);
    let w = item(&d["nodes"], "worker1");
    assert_eq!(w["change"], "changed");
    let bundle = field(w, "bundle").unwrap();
    assert_eq!(
        (bundle["before"].as_str(), bundle["after"].as_str()),
        (Some("yes"), Some("no"))
    );
    assert_eq!(
        w["fields"].as_array().unwrap().len(),
        1,
        "nothing else is known to differ: {w:#}"
    );
    assert_eq!(
        d["networks"],
        Value::Array(vec![]),
        "views of absent nodes are not compared"
    );
    let unobserved = ids(&d["findings"]["unobserved"]);
    assert!(unobserved.contains(&"LB-11".to_string()), "{unobserved:?}");
    assert!(d["findings"]["resolved"].as_array().unwrap().is_empty());
}

// --------------------------------------------------------------- timeline

/// Index of the first table row containing every needle.
fn row(rows: &[&str], needles: &[&str]) -> usize {
    rows.iter()
        .position(|r| needles.iter().all(|n| r.contains(n)))
        .unwrap_or_else(|| panic!("no row with {needles:?}"))
}

#[test]
fn timeline_shows_drain_stop_start_rejections_in_order() {
    let (code, out, _) = run(&["timeline", s(&bundles("upgrade-mid"))]);
    assert_eq!(code, 0);
    let rows: Vec<&str> = out.lines().collect();
    let drain = row(
        &rows,
        &[
            "tk1706-ubuntu-0",
            "node_update",
            "update node tk1706-ubuntu-0: availability=drain",
        ],
    );
    let stop = row(
        &rows,
        &[
            "tk1706-ubuntu-0",
            "daemon_stopping",
            "Processing signal 'terminated'",
        ],
    );
    let stopped = row(&rows, &["tk1706-ubuntu-0", "daemon_stopped"]);
    let leader = row(&rows, &["tk1706-ubuntu-1", "raft_leader", "term 3"]);
    let start = row(&rows, &["tk1706-ubuntu-0", "daemon_version", "18.09.1"]);
    let upgrade = row(
        &rows,
        &[
            "tk1706-ubuntu-0",
            "engine_upgrade",
            "17.06.2-ee-15 → 18.09.1",
        ],
    );
    let active = row(
        &rows,
        &[
            "tk1706-ubuntu-0",
            "update node tk1706-ubuntu-0: availability=active",
        ],
    );
    let rejected = row(
        &rows,
        &[
            "tk1706-ubuntu-0",
            "task_error",
            "node is missing network attachments",
            "IPAM-01",
        ],
    );
    let u3_start = row(&rows, &["tk1706-ubuntu-3", "daemon_version", "18.09.1"]);
    let u3_net = row(
        &rows,
        &[
            "tk1706-ubuntu-3",
            "task_error",
            "cannot create a swarm scoped network",
        ],
    );
    let u4_drain = row(&rows, &["update node tk1706-ubuntu-4: availability=drain"]);
    let u4_shutdown = row(
        &rows,
        &[
            "tk1706-ubuntu-4*",
            "n28ip529ru04 RUNNING → SHUTDOWN",
            "(logged 2019-01-15 21:10:11.624)",
        ],
    );
    let order = [
        drain,
        stop,
        stopped,
        leader,
        start,
        upgrade,
        active,
        rejected,
        u3_start,
        u3_net,
        u4_drain,
        u4_shutdown,
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}\n{out}");

    // The skew is reported with its estimate.
    let notes: Vec<&str> = rows
        .iter()
        .copied()
        .filter(|r| r.contains("tk1706-ubuntu-4's"))
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("clock_skew") && n.contains("+90.0 s ahead")),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n.contains("collection_time")),
        "{notes:?}"
    );
}

#[test]
fn timeline_json_corrects_the_fast_clock() {
    let (code, t) = json(&["timeline", s(&bundles("upgrade-mid"))]);
    assert_eq!(code, 0);
    assert_eq!(t["schema"], "swarmdiag-timeline");
    assert_eq!(t["schema_version"], 1);
    let clocks = t["clocks"].as_array().unwrap();
    let u4 = clocks
        .iter()
        .find(|c| c["node"] == "tk1706-ubuntu-4")
        .unwrap();
    let offset = u4["offset_s"].as_f64().unwrap();
    assert!((89.0..=91.0).contains(&offset), "{u4}");
    assert_eq!(u4["applied"], true);
    assert!(u4["samples"].as_u64().unwrap() >= 3);
    for c in clocks.iter().filter(|c| c["node"] != "tk1706-ubuntu-4") {
        assert_eq!(c["applied"], false, "{c}");
    }
    let entries = t["entries"].as_array().unwrap();
    let shutdown = entries
        .iter()
        .find(|e| e["task"] == "n28ip529ru043z5tr1dd1tnh8" && e["kind"] == "task_state")
        .unwrap();
    assert_eq!(shutdown["logged_time"], "2019-01-15T21:10:11.624764053Z");
    assert_eq!(shutdown["time"], "2019-01-15T21:08:41.624764053Z");
    assert_eq!(shutdown["corrected_by_s"], 90.0);
    let times: Vec<&str> = entries
        .iter()
        .map(|e| e["time"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_by_key(|t| {
        time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).unwrap()
    });
    assert_eq!(times, sorted, "entries are in time order");
}

#[test]
fn timeline_filters() {
    let mid = bundles("upgrade-mid");
    let (code, t) = json(&[
        "timeline",
        s(&mid),
        "--node",
        "tk1706-ubuntu-4",
        "--since",
        "2019-01-15T21:00:00Z",
        "--until",
        "2019-01-15T21:10:00+00:00",
    ]);
    assert_eq!(code, 0);
    let entries = t["entries"].as_array().unwrap();
    assert!(!entries.is_empty());
    for e in entries {
        let about_u4 = e["subject_nodes"]
            .as_array()
            .unwrap()
            .contains(&Value::from("tk1706-ubuntu-4"));
        assert!(e["node"] == "tk1706-ubuntu-4" || about_u4, "{e}");
        let time = e["time"].as_str().unwrap();
        assert!(
            ("2019-01-15T21:00:00Z".."2019-01-15T21:10:00Z").contains(&time),
            "{time}"
        );
    }
    // The drain, run on ubuntu-0, is about ubuntu-4.
    assert!(entries
        .iter()
        .any(|e| e["node"] == "tk1706-ubuntu-0" && e["kind"] == "node_update"));

    let (_, t) = json(&["timeline", s(&mid), "--service", "test_client"]);
    let entries = t["entries"].as_array().unwrap();
    assert!(!entries.is_empty());
    assert!(entries.iter().all(|e| e["service"] == "test_client"));

    let (code, _, err) = run(&["timeline", s(&mid), "--since", "yesterday"]);
    assert_eq!(code, 2);
    assert!(err.contains("--since"), "{err}");
}

#[test]
fn timeline_markdown() {
    let (code, md, _) = run(&[
        "timeline",
        s(&bundles("upgrade-mid")),
        "--format",
        "markdown",
    ]);
    assert_eq!(code, 0);
    assert!(md.starts_with("# swarmdiag timeline"));
    assert!(md.contains("| time (UTC) | node | kind | event |"));
    assert!(md.contains("tk1706-ubuntu-4\\*"));
}

#[test]
fn timeline_of_overlapping_bundles_shows_each_event_once() {
    let (_, one) = json(&["timeline", s(&bundles("upgrade-mid"))]);
    let (_, both) = json(&[
        "timeline",
        s(&bundles("upgrade-before")),
        s(&bundles("upgrade-mid")),
    ]);
    // upgrade-before's logs are a prefix of upgrade-mid's.
    let key = |e: &Value| format!("{} {} {}", e["logged_time"], e["node"], e["text"]);
    let a: Vec<String> = one["entries"].as_array().unwrap().iter().map(key).collect();
    let b: Vec<String> = both["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(key)
        .collect();
    let log_a: Vec<&String> = a
        .iter()
        .filter(|k| !k.contains("node object") && !k.contains(" (desired "))
        .collect();
    let log_b: Vec<&String> = b
        .iter()
        .filter(|k| !k.contains("node object") && !k.contains(" (desired "))
        .collect();
    assert_eq!(log_a, log_b);
}

/// A syslog-style bundle (short stamps, no year) packed with its logs before
/// its manifest: lines are dated with the manifest's year all the same.
#[test]
fn timeline_dates_yearless_lines_from_the_manifest_even_in_a_tar() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("src/node9");
    fs::create_dir_all(root.join("logs")).unwrap();
    fs::write(
        root.join("logs/dockerd.log"),
        "Dec 31 23:59:58 node9 systemd[1]: Stopping Docker Application Container Engine...\n\
         -- Reboot --\n\
         Jan 02 07:59:00 node9 systemd[1]: Starting Docker Application Container Engine...\n\
         Jan 02 07:59:01 node9 dockerd[811]: time=\"2020-01-02T07:59:01.100000000Z\" level=info msg=\"Daemon has completed initialization\"\n",
    )
    .unwrap();
    fs::write(
        root.join("manifest.json"),
        r#"{"format":"swarmdiag-bundle","version":1,"collected_at":"2020-01-02T08:00:00Z","hostname":"node9"}"#,
    )
    .unwrap();
    let archive = tmp.path().join("node9.tar.gz");
    tar_gz(&tmp.path().join("src"), &archive);
    let (code, t) = json(&["timeline", s(&archive)]);
    assert_eq!(code, 0);
    let rows: Vec<(String, String)> = t["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["time"].as_str().unwrap().to_string(),
                e["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "2019-12-31T23:59:58Z".to_string(),
                "service_unit".to_string()
            ),
            ("2020-01-02T07:59:00Z".to_string(), "host_boot".to_string()),
            (
                "2020-01-02T07:59:00Z".to_string(),
                "service_unit".to_string()
            ),
            (
                "2020-01-02T07:59:01.1Z".to_string(),
                "daemon_ready".to_string()
            ),
        ]
    );
}

/// Issue 10: `diff` compares the verdicts. The upgrade makes upgrade
/// order appear as a root cause; the lab daemon coming back clears
/// "node down".
#[test]
fn diff_reports_root_causes_that_appeared_or_cleared() {
    let (before, after) = (bundles("upgrade-before"), bundles("upgrade-mid"));
    let (_, d) = json(&["diff", s(&before), s(&after)]);
    assert_eq!(d["schema_version"], 3);
    assert_eq!(ids(&d["root_causes"]["appeared"]), ["UPG-01"]);
    assert!(ids(&d["root_causes"]["cleared"]).is_empty());
    let explains = &d["root_causes"]["appeared"][0]["explains"];
    assert!(
        explains.as_array().unwrap().iter().any(|x| x == "IPAM-01"),
        "{explains}"
    );

    let lab = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/lab");
    let (down, up) = (lab.join("daemon-down"), lab.join("daemon-restart"));
    let (_, d) = json(&["diff", s(&down), s(&up)]);
    assert_eq!(ids(&d["root_causes"]["cleared"]), ["SW405"]);
    assert!(ids(&d["root_causes"]["appeared"]).is_empty());
    let (_, text, _) = run(&["diff", s(&down), s(&up)]);
    assert!(text.contains("cleared: [error] SW405"), "{text}");
}
