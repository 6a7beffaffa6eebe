//! What customers send instead of a swarmdiag bundle: real sosreports of
//! the lab's swarm (`testdata/sos/`, made by `tests/lab/sos-capture.sh`),
//! lone daemon logs and journal exports, and any of them on standard input.
//! Each fault is named from the sosreports, with the nodes, roles, engine
//! versions and networks read from `docker_info`, `docker_version` and
//! `docker_network_inspect_*`; inputs without Docker data exit 2.

use serde_json::Value;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_swarmdiag"))
}

fn sos_dir(scenario: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/sos")
        .join(scenario)
}

/// The sosreports of a scenario, sorted.
fn reports(scenario: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(sos_dir(scenario))
        .unwrap_or_else(|e| panic!("testdata/sos/{scenario}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".tar.xz"))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no sosreport in testdata/sos/{scenario}");
    v
}

fn run(args: &[&std::ffi::OsStr], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(bytes) = stdin {
        let mut w = child.stdin.take().unwrap();
        let bytes = bytes.to_vec();
        std::thread::spawn(move || {
            let _ = w.write_all(&bytes);
        });
    }
    child.wait_with_output().unwrap()
}

fn analyze_json(paths: &[PathBuf], stdin: Option<&[u8]>) -> Value {
    let mut args: Vec<&std::ffi::OsStr> =
        vec!["analyze".as_ref(), "--format".as_ref(), "json".as_ref()];
    args.extend(paths.iter().map(|p| p.as_os_str()));
    let out = run(&args, stdin);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "analyze {paths:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn ids(report: &Value) -> Vec<String> {
    let mut v: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// (hostname, role, engine version) of every node in the summary.
fn nodes(report: &Value) -> Vec<(String, String, String)> {
    report["cluster"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let s = |k: &str| n[k].as_str().unwrap_or("").to_string();
            (s("hostname"), s("role"), s("engine_version"))
        })
        .collect()
}

/// The facts of the lab's swarm that only docker_info, docker_version and
/// the network inspect files give (the journal names neither roles nor
/// networks): node1 and node2 managers, node3 a worker, Debian's 20.10.24.
fn assert_lab_swarm(report: &Value, scenario: &str, down: &[&str]) {
    let got = nodes(report);
    for (host, role) in [
        ("node1", "manager"),
        ("node2", "manager"),
        ("node3", "worker"),
    ] {
        if down.contains(&host) {
            continue;
        }
        let engine = "20.10.24+dfsg1".to_string();
        assert!(
            got.contains(&(host.to_string(), role.to_string(), engine)),
            "{scenario}: no {host} {role} 20.10.24+dfsg1 in {got:?}"
        );
    }
    for n in report["coverage"]["nodes"].as_array().unwrap() {
        if n["bundle"] == "(input)" {
            continue;
        }
        let present: Vec<&str> = n["present"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        let label = n["bundle"].as_str().unwrap();
        if down.iter().any(|d| label.contains(d)) {
            continue;
        }
        for want in [
            "docker/info.json",
            "docker/version.json",
            "swarm/networks.json",
        ] {
            assert!(
                present.contains(&want),
                "{scenario}: {label} lacks {want} (read from sos_commands/docker): {present:?}"
            );
        }
    }
    assert!(
        report["cluster"]["networks"].as_u64().unwrap() >= 2,
        "{scenario}: the overlay and ingress networks from docker_network_inspect_*"
    );
    assert_eq!(report["evidence"]["scope"], "partial", "{scenario}");
    let missing = report["evidence"]["missing"].to_string();
    assert!(
        missing.contains("swarm objects") && missing.contains("data plane"),
        "{missing}"
    );
}

fn assert_has(report: &Value, scenario: &str, want: &[&str]) {
    let got = ids(report);
    for w in want {
        assert!(got.iter().any(|g| g == w), "{scenario}: {w} not in {got:?}");
    }
}

#[test]
fn healthy_sosreports_give_the_swarm_and_only_the_lab_kernel_finding() {
    let r = analyze_json(&reports("healthy"), None);
    assert_lab_swarm(&r, "healthy", &[]);
    let severe: Vec<String> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error" || f["severity"] == "critical")
        .map(|f| f["id"].as_str().unwrap().to_string())
        .filter(|id| !["KMOD-01", "SW108", "SW601"].contains(&id.as_str()))
        .collect();
    assert!(severe.is_empty(), "healthy: {severe:?}");
}

#[test]
fn exhausted_subnet_is_named_from_sosreports() {
    let r = analyze_json(&reports("exhausted"), None);
    assert_lab_swarm(&r, "exhausted", &[]);
    assert_has(&r, "exhausted", &["IPAM-01", "IPAM-02"]);
    // The node's own view of the small overlay, labelled as partial.
    let notes = r["coverage"].to_string();
    assert!(notes.contains("small: partial address count, this node's view only"));
    assert!(notes.contains("docker network inspect -v small"));
}

#[test]
fn gossip_blocked_is_named_from_sosreports() {
    let r = analyze_json(&reports("gossip-blocked"), None);
    assert_lab_swarm(&r, "gossip-blocked", &[]);
    let got = ids(&r);
    assert!(
        got.iter().any(|g| g.starts_with("GOS-")) || got.iter().any(|g| g == "SW605"),
        "gossip-blocked: no GOS-* or SW605 in {got:?}"
    );
}

#[test]
fn mtu_mismatch_is_named_from_sosreports() {
    let r = analyze_json(&reports("mtu-mismatch"), None);
    assert_lab_swarm(&r, "mtu-mismatch", &[]);
    assert_has(&r, "mtu-mismatch", &MTU_IDS);
    // Read from node3's network inspect and addresses, quoted as sos named them.
    let files: Vec<String> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "SW604")
        .flat_map(|f| f["evidence"].as_array().unwrap().iter())
        .map(|e| e["file"].as_str().unwrap().to_string())
        .collect();
    assert!(
        files.iter().all(|f| f.starts_with("sosreport-node3-")),
        "{files:?}"
    );
    assert!(files
        .iter()
        .any(|f| f.ends_with("/sos_commands/docker/docker_network_inspect_appnet")));
    assert!(files
        .iter()
        .any(|f| f.ends_with("/sos_commands/networking/ip_-d_address")));
}

const MTU_IDS: [&str; 1] = ["SW604"];

#[test]
fn down_daemon_is_named_from_sosreports() {
    let r = analyze_json(&reports("daemon-down"), None);
    assert_lab_swarm(&r, "daemon-down", &["node3"]);
    assert_has(&r, "daemon-down", &DOWN_IDS);
}

const DOWN_IDS: [&str; 1] = ["NODE-03"];

/// A drained node shows in no file sos collects (availability is in the
/// managers' node list only): nothing claims it, and the coverage says
/// which check could not run and what to run for it.
#[test]
fn drained_node_is_reported_as_not_checkable_from_sosreports() {
    let r = analyze_json(&reports("drained"), None);
    assert_lab_swarm(&r, "drained", &[]);
    let sw404: Vec<String> = r["coverage"]["not_run"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["id"] == "SW404")
        .map(|n| n["reason"].as_str().unwrap().to_string())
        .collect();
    assert!(
        sw404
            .iter()
            .any(|r| r.contains("swarm/nodes.json") && r.contains("docker node ls")),
        "{sw404:?}"
    );
    assert!(!ids(&r).iter().any(|i| i == "SW404"));
}

#[test]
fn a_sosreport_on_stdin_reads_as_the_file() {
    let path = &reports("exhausted")[0];
    let bytes = fs::read(path).unwrap();
    let from_file = analyze_json(std::slice::from_ref(path), None);
    let from_stdin = analyze_json(&[PathBuf::from("-")], Some(&bytes));
    assert_eq!(ids(&from_file), ids(&from_stdin));
    assert_eq!(nodes(&from_file), nodes(&from_stdin));
    assert_eq!(
        from_file["findings"].as_array().unwrap().len(),
        from_stdin["findings"].as_array().unwrap().len()
    );
}

/// The sosreport's members, inflated: (path, bytes) of regular files.
fn members(path: &Path) -> Vec<(String, Vec<u8>)> {
    let file = fs::File::open(path).unwrap();
    let mut tar = tar::Archive::new(liblzma::read::XzDecoder::new(file));
    let mut out = Vec::new();
    for e in tar.entries().unwrap() {
        let mut e = e.unwrap();
        if e.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        e.read_to_end(&mut bytes).unwrap();
        out.push((name, bytes));
    }
    out
}

/// Unpacks the members for which `keep` holds under `dir`.
fn unpack(path: &Path, dir: &Path, keep: impl Fn(&str) -> bool) {
    for (name, bytes) in members(path) {
        if keep(&name) {
            let to = dir.join(&name);
            fs::create_dir_all(to.parent().unwrap()).unwrap();
            fs::write(to, bytes).unwrap();
        }
    }
}

#[test]
fn an_extracted_sosreport_is_one_node_not_sos_commands_and_sos_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let path = &reports("exhausted")[0];
    unpack(path, tmp.path(), |_| true);
    let r = analyze_json(&[tmp.path().to_path_buf()], None);
    let labels: Vec<String> = r["coverage"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["bundle"].as_str().unwrap().to_string())
        .filter(|l| l != "(input)")
        .collect();
    assert_eq!(labels.len(), 1, "{labels:?}");
    assert!(labels[0].starts_with("sosreport-node1-"), "{labels:?}");
    assert_eq!(
        ids(&r),
        ids(&analyze_json(std::slice::from_ref(path), None))
    );
}

#[test]
fn a_sosreport_without_its_docker_plugin_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    unpack(&reports("healthy")[0], tmp.path(), |n| {
        !n.contains("/sos_commands/docker/")
    });
    let out = run(&["analyze".as_ref(), tmp.path().as_os_str()], None);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("a sosreport without Docker sources"), "{err}");
    assert!(
        err.contains("sos report -o docker,networking,kernel"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_directory_of_unrelated_files_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("notes.txt"), "customer notes\n").unwrap();
    fs::create_dir(tmp.path().join("var")).unwrap();
    fs::write(
        tmp.path().join("var/messages"),
        "Dec  3 10:00:00 h cron[1]: job\n",
    )
    .unwrap();
    let out = run(&["analyze".as_ref(), tmp.path().as_os_str()], None);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no node bundle found"), "{err}");
    assert!(
        err.contains("sos_commands/") && err.contains("Docker daemon log"),
        "{err}"
    );
    // A lone text file that is no Docker log is refused as well.
    let f = tmp.path().join("var/messages");
    let out = run(&["analyze".as_ref(), f.as_os_str()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a Docker daemon log"));
}

/// The daemon journal of node1 in the exhausted capture (journalctl's
/// default short format), as sos wrote it.
fn journal() -> String {
    let (_, bytes) = members(&reports("exhausted")[0])
        .into_iter()
        .find(|(n, _)| n.ends_with("sos_commands/docker/journalctl_--no-pager_--unit_docker"))
        .unwrap();
    String::from_utf8(bytes).unwrap()
}

/// The same entries as `journalctl -o json` would print them.
fn journal_json(short: &str) -> String {
    let mut out = String::new();
    for line in short.lines() {
        let Some((_, msg)) = line.split_once(" dockerd[4242]: ") else {
            continue;
        };
        // The logrus stamp gives the entry's time.
        let stamp = msg.split('"').nth(1).unwrap();
        let t = time::OffsetDateTime::parse(stamp, &time::format_description::well_known::Rfc3339)
            .unwrap();
        let micros = t.unix_timestamp_nanos() / 1000;
        let entry = serde_json::json!({
            "__REALTIME_TIMESTAMP": micros.to_string(),
            "_HOSTNAME": "node1",
            "SYSLOG_IDENTIFIER": "dockerd",
            "_PID": "4242",
            "_SYSTEMD_UNIT": "docker.service",
            "MESSAGE": msg,
        });
        out.push_str(&entry.to_string());
        out.push('\n');
    }
    out
}

/// Findings without where they were read: (id, severity, nodes, count,
/// first/last seen, quoted lines and texts).
fn comparable(report: &Value) -> Vec<String> {
    comparable_named(report, true)
}

/// The same, without the node names: a log without host names names its
/// node after the file (`messages.1`, `stdin`).
fn comparable_named(report: &Value, with_nodes: bool) -> Vec<String> {
    let mut v: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let ev: Vec<String> = f["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| format!("{}:{}", e["line"], e["text"]))
                .collect();
            format!(
                "{} {} {} {} {} {} {:?}",
                f["id"],
                f["severity"],
                if with_nodes {
                    f["nodes"].clone()
                } else {
                    Value::Null
                },
                f["count"],
                f["first_seen"],
                f["last_seen"],
                ev
            )
        })
        .collect();
    v.sort();
    v
}

/// A bundle named `messages` (as a log file of that name is labelled)
/// holding only `logs/dockerd.log`.
fn log_bundle(dir: &Path, text: &str) -> PathBuf {
    let root = dir.join("bundle/messages");
    fs::create_dir_all(root.join("logs")).unwrap();
    fs::write(root.join("logs/dockerd.log"), text).unwrap();
    root
}

#[test]
fn a_daemon_log_as_a_file_gives_the_findings_of_the_same_log_in_a_bundle() {
    let short = journal();
    let bare: String = short
        .lines()
        .filter_map(|l| {
            l.split_once(" dockerd[4242]: ")
                .map(|(_, m)| format!("{m}\n"))
        })
        .collect();
    let json = journal_json(&short);
    for (format, text) in [
        ("short", &short),
        ("bare dockerd.log", &bare),
        ("json", &json),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("messages");
        fs::write(&file, text).unwrap();
        let as_file = analyze_json(std::slice::from_ref(&file), None);
        let in_bundle = analyze_json(&[log_bundle(tmp.path(), text)], None);
        assert!(
            ids(&as_file).iter().any(|i| i == "IPAM-02"),
            "{format}: {:?}",
            ids(&as_file)
        );
        assert_eq!(comparable(&as_file), comparable(&in_bundle), "{format}");
        assert_eq!(as_file["evidence"]["scope"], "logs only", "{format}");
        // The node is named after the lines' host where they carry one.
        if format != "bare dockerd.log" {
            assert_eq!(nodes(&as_file)[0].0, "node1", "{format}");
        }
        // Compressed, and on standard input, it reads the same.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        let gz_file = tmp.path().join("messages.1.gz");
        fs::write(&gz_file, &gz).unwrap();
        let named = format != "bare dockerd.log";
        let want = comparable_named(&in_bundle, named);
        let gz_report = analyze_json(&[gz_file], None);
        assert_eq!(comparable_named(&gz_report, named), want, "{format} .gz");
        let stdin = analyze_json(&[PathBuf::from("-")], Some(&gz));
        assert_eq!(comparable_named(&stdin, named), want, "{format} on stdin");
    }
    // The short and json exports say the same thing.
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("short"), tmp.path().join("json"));
    fs::write(&a, &short).unwrap();
    fs::write(&b, &json).unwrap();
    assert_eq!(
        ids(&analyze_json(&[a], None)),
        ids(&analyze_json(&[b], None))
    );
}

#[test]
fn a_bundle_on_stdin_gives_the_findings_of_the_bundle() {
    let tmp = tempfile::tempdir().unwrap();
    let root = log_bundle(tmp.path(), &journal());
    let mut tar = tar::Builder::new(Vec::new());
    tar.append_dir_all("messages", &root).unwrap();
    let raw = tar.into_inner().unwrap();
    let mut zst = Vec::new();
    zstd::stream::copy_encode(&raw[..], &mut zst, 3).unwrap();
    let from_dir = analyze_json(&[root], None);
    let from_stdin = analyze_json(&[PathBuf::from("-")], Some(&zst));
    assert_eq!(comparable(&from_dir), comparable(&from_stdin));
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    bz.write_all(&raw).unwrap();
    let bz_file = tmp.path().join("bundle.tar.bz2");
    fs::write(&bz_file, bz.finish().unwrap()).unwrap();
    assert_eq!(
        comparable(&from_dir),
        comparable(&analyze_json(&[bz_file], None))
    );
}
