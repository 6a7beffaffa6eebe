//! End-to-end tests of the `swarmdiag` binary on the shipped example bundles,
//! each read as a directory, a zip and a tar.gz, plus bad input and the
//! rules subcommands. Expected findings come from testdata/bundles/expected.json,
//! which the bundle generator writes alongside the bundles.

mod output_safety;
mod pack;
mod redact;
mod reports;
#[path = "../lab/verdict.rs"]
mod verdict;

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn bin() -> Command {
    Command::cargo_bin("swarmdiag").expect("binary builds")
}

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}

fn expected() -> Value {
    let text = std::fs::read_to_string(testdata("bundles/expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json parses")
}

/// Runs `analyze --format json` and returns the exit code and the report.
fn analyze_json(paths: &[&Path], extra: &[&str]) -> (i32, Value) {
    let out = bin()
        .arg("analyze")
        .args(paths)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .expect("runs");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "report is JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), report)
}

fn finding_ids(report: &Value) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| f["id"].as_str().expect("id").to_string())
        .collect()
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    x.as_str()
                        .or_else(|| x["id"].as_str())
                        .unwrap_or_default()
                        .to_string()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The findings of a report with the parts that depend on where the input
/// sits removed, so dir, zip and tar.gz runs can be compared.
fn findings_only(report: &Value) -> Value {
    report["findings"].clone()
}

/// A check finding `spec` of expected.json describes (id plus facts such as
/// node, network, service, ip, port, netns, fwmark, subnet) is reported:
/// some finding with that id is on that node and names every fact in its
/// subject, detail or evidence.
fn assert_check_facts(scenario: &str, spec: &Value, report: &Value) {
    let Some(id) = spec["id"].as_str() else {
        return;
    };
    let facts: Vec<String> = [
        "network", "service", "ip", "port", "netns", "fwmark", "subnet",
    ]
    .iter()
    .filter_map(|k| match &spec[*k] {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
    .collect();
    let node = spec["node"].as_str();
    let candidates: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == id)
        .collect();
    let matches = |f: &&Value| {
        let on_node = node.is_none_or(|n| f["nodes"].as_array().unwrap().iter().any(|x| x == n));
        let text = format!("{} {} {}", f["subject"], f["detail"], f["evidence"]);
        on_node && facts.iter().all(|fact| text.contains(fact.as_str()))
    };
    assert!(
        candidates.iter().any(matches),
        "{scenario}: no {id} on {node:?} naming {facts:?}; got {candidates:#?}"
    );
}

#[test]
fn seed_bundles_give_the_expected_findings_as_dir_zip_and_tar_gz() {
    let exp = expected();
    let tmp = tempfile::tempdir().unwrap();
    for (scenario, want) in exp["scenarios"].as_object().expect("scenarios") {
        let dir = testdata(&format!("bundles/{scenario}"));
        let zip = pack::zip_dir(&dir, &tmp.path().join(format!("{scenario}.zip")));
        let tgz = pack::tar_gz_dir(&dir, &tmp.path().join(format!("{scenario}.tar.gz")));
        let (code, from_dir) = analyze_json(&[&dir], &[]);
        let got = finding_ids(&from_dir);
        let severe = from_dir["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["severity"] == "error" || f["severity"] == "critical");
        assert_eq!(code, i32::from(severe), "{scenario}: exit code");
        for spec in want["checks"]["must"].as_array().into_iter().flatten() {
            assert_check_facts(scenario, spec, &from_dir);
        }
        let log_must = ids(&want["log_rules"]["must"]);
        let check_must = ids(&want["checks"]["must"]);
        for id in log_must.iter().chain(&check_must) {
            assert!(got.contains(id), "{scenario}: expected {id}, got {got:?}");
        }
        for id in ids(&want["log_rules"]["must_not"])
            .into_iter()
            .chain(ids(&want["checks"]["must_not"]))
        {
            assert!(
                !got.contains(&id),
                "{scenario}: {id} must not fire, got {got:?}"
            );
        }
        // Benign lines may match a rule, but never at warning or above.
        for id in ids(&want["log_rules"]["benign"]) {
            let f = from_dir["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["id"] == id.as_str());
            if let Some(f) = f {
                assert_eq!(
                    f["severity"], "info",
                    "{scenario}: benign {id} reported as {}",
                    f["severity"]
                );
            }
        }
        for archive in [&zip, &tgz] {
            let (_, from_archive) = analyze_json(&[archive], &[]);
            assert_eq!(
                findings_only(&from_archive),
                findings_only(&from_dir),
                "{scenario}: {} differs from the directory",
                archive.display()
            );
        }
    }
}

#[test]
fn every_node_bundle_of_a_full_scenario_is_fully_covered() {
    let (_, report) = analyze_json(&[&testdata("bundles/vote-ingress")], &[]);
    for node in report["coverage"]["nodes"].as_array().unwrap() {
        assert_eq!(node["missing"], Value::Array(vec![]), "{}", node["bundle"]);
        assert!(
            node["present"].as_array().unwrap().len() > 20,
            "{}",
            node["bundle"]
        );
    }
}

#[test]
fn a_partial_bundle_reports_what_it_lacks_and_which_rules_could_not_run() {
    let (_, report) = analyze_json(&[&testdata("bundles/partial-logs-only")], &[]);
    let node = &report["coverage"]["nodes"][0];
    assert_eq!(node["present"], serde_json::json!(["logs/dockerd.log"]));
    let missing = ids(&node["missing"]);
    assert!(
        missing.contains(&"docker/info.json".to_string()),
        "{missing:?}"
    );
    let not_run = ids(&report["coverage"]["not_run"]);
    assert!(not_run.contains(&"TASK-01".to_string()), "{not_run:?}");
    assert_eq!(report["cluster"]["nodes"][0]["hostname"], "lab-node3");
}

#[test]
fn same_input_gives_byte_identical_output_in_every_format() {
    for format in ["table", "json", "markdown", "html"] {
        let run = || {
            bin()
                .args(["analyze", "--format", format])
                .arg(testdata("bundles/upgrade-mid"))
                .output()
                .unwrap()
                .stdout
        };
        let first = run();
        assert!(!first.is_empty());
        assert_eq!(first, run(), "{format} output differs between runs");
    }
}

#[test]
fn several_node_bundles_given_separately_merge_into_one_cluster() {
    let base = testdata("bundles/exhausted-27");
    let nodes: Vec<PathBuf> = ["tk1706-ubuntu-0", "tk1706-ubuntu-1", "tk1706-ubuntu-3"]
        .iter()
        .map(|n| base.join(n))
        .collect();
    let refs: Vec<&Path> = nodes.iter().map(PathBuf::as_path).collect();
    let (_, report) = analyze_json(&refs, &[]);
    assert_eq!(report["coverage"]["nodes"].as_array().unwrap().len(), 3);
    // The manager's view lists all five nodes.
    assert_eq!(report["cluster"]["nodes"].as_array().unwrap().len(), 5);
    assert!(finding_ids(&report).contains("IPAM-02"));
}

#[test]
fn exit_code_follows_fail_on() {
    let dir = testdata("bundles/vote-ingress");
    // vote-ingress has error findings but no critical one.
    bin().arg("analyze").arg(&dir).assert().code(1);
    bin()
        .arg("analyze")
        .arg(&dir)
        .args(["--fail-on", "critical"])
        .assert()
        .code(0);
    bin()
        .arg("analyze")
        .arg(testdata("bundles/upgrade-before"))
        .assert()
        .code(0);
}

#[test]
fn output_file_receives_the_report_and_nothing_else_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("report.md");
    bin()
        .arg("analyze")
        .arg(testdata("bundles/exhausted-27"))
        .args(["--format", "markdown", "--output"])
        .arg(&out)
        .assert()
        .code(1)
        .stdout("");
    let md = std::fs::read_to_string(&out).unwrap();
    assert!(md.starts_with("# swarmdiag report"));
    assert!(md.contains("IPAM-02"));
    let entries: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(entries.len(), 1);
}

#[test]
fn unusable_input_exits_2_with_one_line_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let garbage = tmp.path().join("node1.zip");
    std::fs::write(&garbage, b"this is not a zip archive at all").unwrap();
    let missing = tmp.path().join("nope.tar.gz");
    for path in [&garbage, &missing] {
        let out = bin().arg("analyze").arg(path).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(&path.display().to_string()), "{err}");
    }
    bin()
        .args(["analyze", "--format", "yaml", "x"])
        .assert()
        .code(2);
}

#[test]
fn a_corrupt_file_inside_a_bundle_is_a_coverage_note_not_a_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let node = tmp.path().join("node1");
    std::fs::create_dir_all(node.join("swarm")).unwrap();
    std::fs::create_dir_all(node.join("logs")).unwrap();
    let tasks = std::fs::read_to_string(testdata(
        "bundles/exhausted-27/tk1706-ubuntu-0/swarm/tasks.json",
    ))
    .unwrap();
    std::fs::write(node.join("swarm/tasks.json"), &tasks[..tasks.len() / 2]).unwrap();
    std::fs::write(
        node.join("logs/dockerd.log"),
        b"\xff\xfe garbage \x00\x01\nnot a log line\n",
    )
    .unwrap();
    let (_, report) = analyze_json(&[&node], &[]);
    let notes = report["coverage"]["nodes"][0]["notes"].as_array().unwrap();
    assert!(
        notes.iter().any(|n| n["path"] == "swarm/tasks.json"
            && n["message"].as_str().unwrap().contains("cut off")),
        "{notes:?}"
    );
    // The complete tasks before the cut were kept and matched.
    assert!(finding_ids(&report).contains("IPAM-01"));
}

#[test]
fn rules_list_and_explain_cover_rules_and_checks() {
    let out = bin()
        .args(["rules", "list", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = list.to_string();
    for id in [
        "IPAM-01", "NET-01", "KMOD-01", "GOS-08", "RAFT-01", "SW102", "SW301",
    ] {
        assert!(
            text.contains(&format!("\"{id}\"")),
            "{id} missing from rules list"
        );
    }
    assert!(
        text.contains("node is missing network attachments"),
        "patterns are listed"
    );
    bin()
        .args(["rules", "explain", "SW301"])
        .assert()
        .success()
        .stdout(predicates::str::contains("overlay"));
    bin().args(["rules", "explain", "NOPE-99"]).assert().code(2);
}

#[test]
fn user_rules_add_to_the_built_in_ones() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("site.toml"),
        r#"
[[rule]]
id = "SITE-01"
name = "site-netdb-stats"
title = "NetworkDB stats line seen"
severity = "warning"
explanation = "Site rule for the test."
remediation = "None."
references = []
[rule.log]
patterns = ['NetworkDB stats']
match = ['time="2023-01-01T00:00:00Z" level=info msg="NetworkDB stats manager1(5a3c6e7f0b21) - netID:x leaving:false netPeers:2 entries:4 Queue qLen:0 netMsg/s:0"']
no_match = ['time="2023-01-01T00:00:00Z" level=info msg="Daemon has completed initialization"']
"#,
    )
    .unwrap();
    let (_, report) = analyze_json(
        &[&testdata("bundles/vote-ingress")],
        &["--rules", tmp.path().to_str().unwrap()],
    );
    assert!(finding_ids(&report).contains("SITE-01"));
    std::fs::write(tmp.path().join("bad.toml"), "[[rule]]\nid = 3\n").unwrap();
    let out = bin()
        .args(["analyze", "--rules"])
        .arg(tmp.path())
        .arg(testdata("bundles/vote-ingress"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.toml"));
}

#[test]
fn the_documented_rule_list_is_the_one_the_binary_ships() {
    let out = bin()
        .args(["rules", "list", "--format", "markdown"])
        .output()
        .unwrap();
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md"))
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        doc,
        "docs/rules.md is stale: regenerate with `swarmdiag rules list --format markdown > docs/rules.md`"
    );
}

/// Logs longer than a worker batch (2048 lines), with a year-less syslog
/// kernel log read before or after them: the year-less lines are dated from
/// the manifest (never 1970), and the report is the same bytes every run.
#[test]
fn year_less_lines_in_long_logs_are_dated_from_the_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let node = tmp.path().join("node1");
    std::fs::create_dir_all(node.join("logs")).unwrap();
    std::fs::write(
        node.join("manifest.json"),
        r#"{"format":"swarmdiag-bundle","version":1,"collected_at":"2019-01-15T22:00:00Z","hostname":"node1"}"#,
    )
    .unwrap();
    let mut daemon = String::new();
    // 5000 lines: 3 batches for workers 0-2, so the kernel log goes to a
    // worker that has seen no dated line of this node.
    for i in 0..5_000 {
        daemon.push_str(&format!(
            "time=\"2019-01-15T20:{:02}:{:02}.000000000Z\" level=info msg=\"routine {i}\"\n",
            i / 60 % 60,
            i % 60
        ));
    }
    daemon.push_str("time=\"2019-01-15T21:30:00.000000000Z\" level=error msg=\"Could not get ipvs family information from the kernel. It is possible that ipvs is not enabled in your kernel. Native loadbalancing will not work until this is fixed.\"\n");
    std::fs::write(node.join("logs/dockerd.log"), daemon).unwrap();
    std::fs::write(
        node.join("logs/kernel.log"),
        "Jan 15 21:00:02 node1 kernel: IPVS: rr: FWM 257 0x00000101 - no destination available\n\
         Jan 15 21:40:09 node1 kernel: IPVS: rr: FWM 257 0x00000101 - no destination available\n",
    )
    .unwrap();
    let (_, report) = analyze_json(&[tmp.path()], &[]);
    let seen = |id: &str| {
        let f = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .unwrap_or_else(|| panic!("{id} missing: {report}"))
            .clone();
        (f["first_seen"].clone(), f["last_seen"].clone())
    };
    assert_eq!(
        seen("KERN-02"),
        ("2019-01-15T21:00:02Z".into(), "2019-01-15T21:40:09Z".into())
    );
    assert_eq!(seen("KMOD-01").0, "2019-01-15T21:30:00Z");
    let text = report.to_string();
    assert!(!text.contains("1970"), "{text}");
    let again = analyze_json(&[tmp.path()], &[]).1;
    assert_eq!(report, again);
}

/// Control characters quoted from a bundle (an ESC sequence in a log line)
/// reach the terminal escaped in every text format; JSON escapes them itself.
#[test]
fn control_characters_from_bundles_are_escaped_in_text_output() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("node1/logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(
        logs.join("dockerd.log"),
        "time=\"2024-05-09T07:41:02.331245118Z\" level=error msg=\"Could not get ipvs family information from the kernel. \x1b]0;PWNED\x07\x1b[2J\r\"\n",
    )
    .unwrap();
    for args in [
        vec!["analyze", "--format", "table"],
        vec!["analyze", "--format", "markdown"],
        vec!["timeline"],
    ] {
        let out = bin().args(&args).arg(tmp.path()).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("PWNED"),
            "{args:?}: the line is quoted: {text}"
        );
        assert!(
            !text.contains('\x1b') && !text.contains('\r') && !text.contains('\x07'),
            "{args:?}: raw control character in {text:?}"
        );
        assert!(text.contains("\\u{1b}]0;PWNED\\u{7}"), "{args:?}: {text}");
    }
}

/// `--output` naming an input bundle is refused before anything is written.
#[test]
fn output_over_an_input_bundle_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = tmp.path().join("b.zip");
    pack::zip_dir(&testdata("bundles/partial-logs-only"), &zip);
    let before = std::fs::read(&zip).unwrap();
    let out = bin()
        .args(["analyze"])
        .arg(&zip)
        .arg("--output")
        .arg(&zip)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--output is an input bundle"), "{err}");
    assert_eq!(err.lines().count(), 1);
    assert_eq!(std::fs::read(&zip).unwrap(), before);
}

/// A broken user rules file: exit 2 with one line naming the file.
#[test]
fn broken_user_rules_give_one_line_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("mine.toml"), "garbage [[[\n").unwrap();
    let out = bin()
        .args(["analyze", "--rules"])
        .arg(tmp.path())
        .arg(testdata("bundles/partial-logs-only"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("mine.toml") && err.contains("line 1"), "{err}");
}

/// Before and after bundles of the same three nodes given to one `analyze`:
/// each swarm node is analyzed once, from its newest bundle, and the older
/// bundles are named in a note (counts do not double).
#[test]
fn two_bundles_of_one_node_are_analyzed_once_from_the_newest() {
    let after = testdata("lab/gossip-blocked");
    let before = testdata("lab/gossip-blocked-before");
    let mut paths: Vec<PathBuf> = Vec::new();
    for n in ["node1", "node2", "node3"] {
        paths.push(before.join(n));
        paths.push(after.join(n));
    }
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let (_, both) = analyze_json(&refs, &[]);
    let after_refs: Vec<PathBuf> = ["node1", "node2", "node3"]
        .iter()
        .map(|n| after.join(n))
        .collect();
    let after_refs: Vec<&Path> = after_refs.iter().map(PathBuf::as_path).collect();
    let (_, alone) = analyze_json(&after_refs, &[]);
    let bundles = |r: &Value| {
        r["coverage"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["bundle"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(bundles(&both).len(), 3, "{:?}", bundles(&both));
    assert!(bundles(&both)
        .iter()
        .all(|b| b.ends_with("@gossip-blocked")));
    let counts = |r: &Value| {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["id"].as_str().unwrap().to_string(),
                    f["count"].as_u64().unwrap(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(counts(&both), counts(&alone));
    let text = both["coverage"].to_string();
    for n in ["node1", "node2", "node3"] {
        assert!(
            text.contains(&format!("bundle {n}@gossip-blocked-before (collected")),
            "{n}: {text}"
        );
    }
}

/// Timeline filters that cannot match are refused (exit 2, one line) rather
/// than printing an empty timeline that reads as "nothing happened".
#[test]
fn timeline_refuses_filters_that_cannot_match() {
    let lab = testdata("lab/healthy");
    for (args, needle) in [
        (vec!["--node", "nodeX"], "known: node1, node2, node3"),
        (vec!["--service", "nope"], "--service \"nope\""),
        (
            vec![
                "--since",
                "2026-11-23T00:00:00Z",
                "--until",
                "2026-11-22T00:00:00Z",
            ],
            "--since is later than --until",
        ),
    ] {
        let out = bin()
            .arg("timeline")
            .arg(&lab)
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(needle) && err.lines().count() == 1,
            "{args:?}: {err}"
        );
    }
    let ok = bin()
        .arg("timeline")
        .arg(&lab)
        .args(["--node", "node3", "--service", "web"])
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0));
}

/// issue 8: a log whose only line is a `level=fatal` no rule knows is not
/// "No findings": it is an error finding quoting the line, and exit 1.
#[test]
fn a_lone_unknown_fatal_line_exits_1_and_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let node = tmp.path().join("node1");
    std::fs::create_dir_all(node.join("logs")).unwrap();
    // A 17.x–19.x start-up failure, as journalctl prints it.
    let line = r#"Jan 02 03:04:05 node1 dockerd[1105]: time="2018-01-02T03:04:05.123456789Z" level=fatal msg="Error starting daemon: pid file found, ensure docker is not running or delete /var/run/docker.pid""#;
    std::fs::write(node.join("logs/dockerd.log"), format!("{line}\n")).unwrap();
    let (code, report) = analyze_json(&[&node], &[]);
    assert_eq!(code, 1);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert!(f["id"].as_str().unwrap().starts_with("UNCLASSIFIED-"));
    assert_eq!(f["severity"], "error");
    assert!(f["title"]
        .as_str()
        .unwrap()
        .contains("Error starting daemon: pid file found"));
    assert_eq!(f["evidence"][0]["text"], line);
    assert_eq!(f["evidence"][0]["line"], 1);
    // The table names it too.
    let out = bin().arg("analyze").arg(&node).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("pid file found"));
}

/// Issue 10: the verdict on every seed scenario. Each root cause is named
/// by its leading finding, every error or critical finding is in exactly
/// one root cause, and version guesses the data does not bear out are kept
/// apart, never as errors.
#[test]
fn seed_bundles_open_with_their_verdict() {
    // (scenario, root causes in rank order, ids the first must explain, guesses)
    type Case<'a> = (
        &'a str,
        &'a [&'a str],
        &'a [&'a str],
        &'a [(&'a str, &'a str)],
    );
    let cases: &[Case] = &[
        (
            "exhausted-27",
            &["SW301"],
            &["IPAM-01", "IPAM-02", "IPAM-04"],
            &[("UPG-12", "ruled_out")],
        ),
        (
            "upgrade-mid",
            &["UPG-01"],
            &[
                "IPAM-01", "NET-01", "SW501", "SW401", "SW402", "SW403", "UPG-05", "GOS-10",
            ],
            &[("UPG-03", "ruled_out"), ("UPG-12", "ruled_out")],
        ),
        ("upgrade-before", &[], &[], &[("UPG-03", "ruled_out")]),
        (
            "vote-ingress",
            &["IPT-03", "SW102"],
            &["LB-11", "SW201", "GOS-08"],
            &[],
        ),
        ("partial-logs-only", &["SW601"], &["KMOD-01", "SW108"], &[]),
    ];
    for (scenario, roots, explains, guesses) in cases {
        let (_, report) = analyze_json(&[&testdata(&format!("bundles/{scenario}"))], &[]);
        assert_eq!(report["schema_version"], 2);
        assert_eq!(
            verdict::root_ids(&report),
            *roots,
            "{scenario}: root causes"
        );
        let problems = verdict::invariant_problems(&report);
        assert!(problems.is_empty(), "{scenario}: {problems:#?}");
        if let Some(first) = roots.first() {
            let listed = verdict::explains(verdict::root(&report, first).unwrap());
            for id in *explains {
                assert!(
                    listed.iter().any(|l| l == id),
                    "{scenario}: {first} explains {listed:?}, not {id}"
                );
            }
        }
        let got: Vec<(String, String)> = report["guesses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                (
                    g["id"].as_str().unwrap().into(),
                    g["status"].as_str().unwrap().into(),
                )
            })
            .collect();
        let want: Vec<(String, String)> = guesses
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(got, want, "{scenario}: guesses");
    }
    // The fix is the cause's: IPAM-01 explained by upgrade order says to
    // upgrade the managers first, not to grow the subnet.
    let (_, mid) = analyze_json(&[&testdata("bundles/upgrade-mid")], &[]);
    let fix = verdict::root(&mid, "UPG-01").unwrap()["fix"]
        .as_str()
        .unwrap();
    assert!(fix.contains("managers first"), "{fix}");
    // vote-ingress: nothing else at error level besides the two causes' chains.
    let (_, vote) = analyze_json(&[&testdata("bundles/vote-ingress")], &[]);
    let ipt = verdict::explains(verdict::root(&vote, "IPT-03").unwrap());
    let sw102 = verdict::explains(verdict::root(&vote, "SW102").unwrap());
    assert_eq!(sw102, ["SW103"]);
    assert!(!ipt.contains(&"SW103".to_string()) && !sw102.contains(&"GOS-08".to_string()));
}

/// Table and Markdown open with the verdict, one line per root cause.
#[test]
fn text_reports_open_with_the_verdict() {
    let dir = testdata("bundles/vote-ingress");
    for format in ["table", "markdown"] {
        let out = bin()
            .args(["analyze", "--format", format])
            .arg(&dir)
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let at = usize::from(format == "markdown"); // after the "# swarmdiag report" title
        assert!(
            lines[at].contains("Verdict: 2 root causes"),
            "{format}: {text}"
        );
        // The numbered root-cause lines that follow (wrapped lines and
        // sub-items in between), Markdown escapes removed.
        let causes: Vec<String> = text
            .lines()
            .skip_while(|l| !l.contains("Verdict: "))
            .skip(1)
            .skip_while(|l| l.trim().is_empty())
            .take_while(|l| !l.trim().is_empty())
            .map(|l| l.trim_start().replace('\\', ""))
            .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
            .collect();
        assert_eq!(causes.len(), 2, "{format}: {causes:?}");
        assert!(
            causes[0].starts_with("1. [error] IPT-03"),
            "{format}: {}",
            causes[0]
        );
        assert!(
            causes[1].starts_with("2. [error] SW102"),
            "{format}: {}",
            causes[1]
        );
    }
}

/// Removing SW301's explains links (a user rule replacing it without them)
/// makes the IPAM findings surface as root causes of their own.
#[test]
fn without_its_links_an_explained_finding_is_its_own_root_cause() {
    let checks =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/checks.toml"))
            .unwrap();
    let block = checks
        .split("[[rule]]\n")
        .find(|b| b.starts_with("id = \"SW301\""))
        .expect("SW301 in rules/checks.toml");
    assert!(block.contains("[[rule.explains]]"));
    let bare = block.split("[[rule.explains]]").next().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sw301.toml"), format!("[[rule]]\n{bare}")).unwrap();
    let scenario = testdata("bundles/exhausted-27");
    let (_, with) = analyze_json(&[&scenario], &[]);
    assert_eq!(verdict::root_ids(&with), ["SW301"]);
    let rules = dir.path().to_str().unwrap();
    let (_, without) = analyze_json(&[&scenario], &["--rules", rules]);
    let roots = verdict::root_ids(&without);
    // Without SW301's links the IPAM findings leave its chain: the leader's
    // own allocation failure (IPAM-02) surfaces as a root cause, explaining
    // the rest through its own links.
    for id in ["SW301", "IPAM-02"] {
        assert!(
            roots.iter().any(|r| r == id),
            "{id} not a root cause: {roots:?}"
        );
    }
    let sw301 = verdict::explains(verdict::root(&without, "SW301").unwrap());
    assert!(sw301.iter().all(|id| !id.starts_with("IPAM-")), "{sw301:?}");
    let ipam02 = verdict::explains(verdict::root(&without, "IPAM-02").unwrap());
    for id in ["IPAM-01", "IPAM-04"] {
        assert!(ipam02.iter().any(|e| e == id), "{ipam02:?}");
    }
    assert!(verdict::invariant_problems(&without).is_empty());
}

/// Issue 10: bundles of two swarms are never merged. Two managers'
/// cluster ids, or a worker (no cluster id) whose managers are another
/// swarm's, make `analyze` refuse with one line naming both groups; a
/// worker joins its own managers' swarm.
#[test]
fn bundles_of_two_swarms_are_refused_naming_both() {
    let refused = |paths: &[PathBuf], names: &[&str]| {
        let out = bin().arg("analyze").args(paths).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(out.stdout.is_empty());
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        for n in names {
            assert!(err.contains(n), "{n} not in {err}");
        }
    };
    refused(
        &[
            testdata("bundles/vote-ingress"),
            testdata("bundles/exhausted-27"),
        ],
        &[
            "cluster pattu3gswtt6jtp7jk6npkwmm",
            "cluster mi2hymgxmp5vcjvh1m4xpzscg",
        ],
    );
    refused(
        &[
            testdata("bundles/vote-ingress/manager1"),
            testdata("bundles/exhausted-27/tk1706-ubuntu-3"),
        ],
        &[
            "cluster pattu3gswtt6jtp7jk6npkwmm (manager1)",
            "swarm managed by 172.31.18.74",
        ],
    );
    let (_, one) = analyze_json(
        &[
            &testdata("bundles/vote-ingress/manager1"),
            &testdata("bundles/vote-ingress/worker1"),
        ],
        &[],
    );
    assert_eq!(one["coverage"]["nodes"].as_array().unwrap().len(), 2);
}

/// The README's first example shows the real opening of the report: the
/// verdict, as `analyze` prints it on that bundle set.
#[test]
fn readme_first_example_opens_with_the_real_verdict() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let cmd = "cargo run --release -- analyze testdata/bundles/exhausted-27\n```";
    let after = &readme[readme.find(cmd).expect("first example") + cmd.len()..];
    let block = after
        .split("```\n")
        .nth(1)
        .expect("an output block after the command");
    let shown: Vec<&str> = block.lines().take_while(|l| *l != "…").collect();
    assert!(shown[0].starts_with("Verdict: "), "{shown:?}");
    let out = bin()
        .arg("analyze")
        .arg(testdata("bundles/exhausted-27"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let real: Vec<&str> = text.lines().take(shown.len()).collect();
    assert_eq!(shown, real);
}
