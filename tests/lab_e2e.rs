//! The swarm lab end to end: real dockerd nodes in swarm mode (tests/lab/),
//! every scenario, the collector on every node, then `swarmdiag analyze`.
//!
//! Part of plain `cargo test`. Outside CI (`CI` unset) it skips with a loud
//! `LAB SKIPPED: <reason>` when not root or docker.io is not installed; with
//! `CI=true` those are failures. Scenarios run one after the other in this one
//! test (and `tests/lab/run.sh` holds a lock), so two labs never overlap.
//! Every check is made and all failures are reported together at the end.
//! After `analyze`, `swarmdiag diff` and `swarmdiag timeline` run on the three
//! real before/after pairs (tests/lab/pairs.rs, shared with tests/lab_bundles.rs).

#[path = "lab/expect.rs"]
mod expect;
#[path = "lab/pairs.rs"]
mod pairs;
#[path = "lab/verdict.rs"]
mod verdict;

use expect::{check_analyze, node_dirs, EXPECTED};

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Files a live node always gives (layout v1), and those only managers give.
const LIVE_FILES: &[&str] = &[
    "manifest.json",
    "docker/version.json",
    "docker/info.json",
    "docker/daemon.json",
    "docker/dockerd-cmdline.txt",
    "swarm/networks.json",
    "logs/dockerd.log",
    "logs/kernel.log",
    "host/ip-addr.txt",
    "host/ip-link.txt",
    "host/ip-route.txt",
    "host/iptables-save.txt",
    "host/sysctl.txt",
    "host/sockets.txt",
];
const MANAGER_FILES: &[&str] = &[
    "swarm/nodes.json",
    "swarm/services.json",
    "swarm/tasks.json",
    "swarm/service-ps.txt",
];
/// Per namespace; the first four are never empty.
const NETNS_FILES: &[&str] = &[
    "ip-addr.txt",
    "ip-link.txt",
    "ip-route.txt",
    "sysctl.txt",
    "ip-neigh.txt",
    "bridge-fdb.txt",
    "iptables-save.txt",
    "ipvsadm.txt",
];

/// No IPVS in this kernel even after dockerd tried to load it.
fn ipvs_missing() -> bool {
    !Path::new("/proc/net/ip_vs").exists()
}

fn lab_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lab")
}

fn in_ci() -> bool {
    std::env::var("CI")
        .map(|v| v == "true" || v == "1")
        .unwrap_or(false)
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Why the lab cannot run here, if it cannot.
fn lab_blocker() -> Option<String> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Some("not root".into());
    }
    for tool in [
        "dockerd",
        "containerd",
        "runc",
        "busybox",
        "iptables",
        "nsenter",
    ] {
        if !have(tool) {
            return Some(format!(
                "{tool} not installed (apt-get install -y docker.io ipvsadm iptables busybox-static)"
            ));
        }
    }
    None
}

struct Failures(Vec<String>);
impl Failures {
    fn check(&mut self, ok: bool, msg: impl FnOnce() -> String) {
        if !ok {
            self.0.push(msg());
        }
    }
}

fn read_json(path: &Path) -> Result<serde_json::Value, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))
}

fn non_empty(path: &Path) -> bool {
    fs::metadata(path).map(|m| m.len() > 0).unwrap_or(false)
}

fn grep_dir(dir: &Path, needle: &str, hits: &mut Vec<PathBuf>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd.filter_map(|e| e.ok()) {
        let p = e.path();
        if p.is_dir() {
            grep_dir(&p, needle, hits);
        } else if fs::read(&p)
            .map(|b| String::from_utf8_lossy(&b).contains(needle))
            .unwrap_or(false)
        {
            hits.push(p);
        }
    }
}

fn file_contains(path: &Path, needle: &str) -> bool {
    fs::read_to_string(path)
        .map(|s| s.contains(needle))
        .unwrap_or(false)
}

fn dir_size(dir: &Path) -> u64 {
    let Ok(rd) = fs::read_dir(dir) else { return 0 };
    rd.filter_map(|e| e.ok())
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                dir_size(&p)
            } else {
                fs::metadata(&p).map(|m| m.len()).unwrap_or(0)
            }
        })
        .sum()
}

/// The manifest is complete and honest, and every file a live node can give is there.
fn check_bundle(f: &mut Failures, label: &str, root: &Path) {
    let m = match read_json(&root.join("manifest.json")) {
        Ok(m) => m,
        Err(e) => return f.0.push(format!("{label}: {e}")),
    };
    f.check(
        m["format"] == "swarmdiag-bundle" && m["version"] == 1,
        || format!("{label}: manifest format/version"),
    );
    let empty = Vec::new();
    let commands = m["commands"].as_array().unwrap_or(&empty);
    f.check(commands.len() > 20, || {
        format!("{label}: only {} manifest commands", commands.len())
    });
    for c in commands {
        let path = c["path"].as_str().unwrap_or("");
        if c["exit_code"].is_null() {
            f.check(c["skipped"].is_string(), || {
                format!("{label}: {path}: null exit code without a skip reason")
            });
            continue;
        }
        let size = fs::metadata(root.join(path)).map(|m| m.len()).ok();
        f.check(size.is_some() && size == c["bytes"].as_u64(), || {
            format!(
                "{label}: {path}: manifest bytes {} vs file {size:?}",
                c["bytes"]
            )
        });
        f.check(c["command"].as_str().is_some_and(|s| !s.is_empty()), || {
            format!("{label}: {path}: no command")
        });
        f.check(c["truncated"] == false, || {
            format!("{label}: {path}: truncated")
        });
    }
    let info = read_json(&root.join("docker/info.json")).unwrap_or_default();
    let live = info["ServerVersion"]
        .as_str()
        .is_some_and(|v| !v.is_empty());
    let entry = |p: &str| commands.iter().find(|c| c["path"] == p);
    if !live {
        // The daemon is down: docker output is skipped with the reason, the rest is there.
        for p in MANAGER_FILES
            .iter()
            .chain(&["swarm/networks.json", "containers/inspect.json"])
        {
            let skipped = entry(p).and_then(|c| c["skipped"].as_str()).unwrap_or("");
            f.check(skipped.starts_with("dockerd not reachable"), || {
                format!("{label}: {p}: expected 'dockerd not reachable', got {skipped:?}")
            });
        }
        for p in [
            "logs/dockerd.log",
            "host/ip-addr.txt",
            "host/iptables-save.txt",
        ] {
            f.check(non_empty(&root.join(p)), || {
                format!("{label}: {p} missing or empty (daemon down)")
            });
        }
        return;
    }
    for p in LIVE_FILES {
        f.check(non_empty(&root.join(p)), || {
            format!("{label}: {p} missing or empty")
        });
    }
    match entry("containers/inspect.json") {
        Some(c) if c["skipped"].is_string() => {}
        _ => f.check(non_empty(&root.join("containers/inspect.json")), || {
            format!("{label}: containers/inspect.json missing or empty")
        }),
    }
    let modules = entry("host/modules.txt").cloned().unwrap_or_default();
    if Path::new("/proc/modules").exists() {
        f.check(non_empty(&root.join("host/modules.txt")), || {
            format!("{label}: host/modules.txt empty")
        });
    } else {
        f.check(modules["skipped"].is_string(), || {
            format!("{label}: host/modules.txt neither collected nor skipped")
        });
    }
    if info["Swarm"]["ControlAvailable"] == true {
        for p in MANAGER_FILES {
            f.check(non_empty(&root.join(p)), || {
                format!("{label}: {p} missing or empty (manager)")
            });
        }
    }
    let mut names = BTreeSet::new();
    if let Ok(rd) = fs::read_dir(root.join("netns")) {
        for e in rd.filter_map(|e| e.ok()) {
            let name = e.file_name().to_string_lossy().into_owned();
            for (i, file) in NETNS_FILES.iter().enumerate() {
                let p = e.path().join(file);
                let rel = format!("netns/{name}/{file}");
                // Skipped with a reason (ipvsadm without ip_vs loaded) is fine.
                let skipped = entry(&rel).is_some_and(|c| c["skipped"].is_string());
                f.check(p.is_file() || skipped, || {
                    format!("{label}: netns/{name}/{file} missing")
                });
                // A task sandbox can vanish while it is collected (tasks churn
                // in the exhausted scenario): then the command failed, and the
                // manifest and the stderr file say so, which is what we want.
                let vanished = entry(&rel)
                    .is_some_and(|c| c["exit_code"].as_i64().is_some_and(|x| x != 0))
                    && file_contains(&e.path().join(format!("{file}.stderr")), "nsenter");
                // A task sandbox caught while dockerd sets it up or tears it
                // down has no global address or no interface up besides lo,
                // and then no route (seen once in exhausted, where tasks churn).
                let sandbox = name.len() == 12 && name.bytes().all(|b| b.is_ascii_hexdigit());
                let bare = sandbox
                    && *file == "ip-route.txt"
                    && fs::read_to_string(e.path().join("ip-addr.txt")).is_ok_and(|a| {
                        let global = a.lines().any(|l| {
                            l.trim_start().starts_with("inet ") && l.contains("scope global")
                        });
                        let up = a.lines().any(|l| {
                            !l.starts_with(' ') && l.contains(",UP") && !l.contains(" lo:")
                        });
                        !global || !up
                    });
                if i < 4 {
                    f.check(non_empty(&p) || vanished || bare, || {
                        format!("{label}: netns/{name}/{file} empty")
                    });
                }
            }
            // ipvsadm runs only with ip_vs loaded (it would exec modprobe):
            // output, an error, or the manifest's reason for not running it.
            let ipvs = e.path().join("ipvsadm.txt");
            let ipvs_skip = entry(&format!("netns/{name}/ipvsadm.txt"))
                .and_then(|c| c["skipped"].as_str())
                .unwrap_or("");
            f.check(
                non_empty(&ipvs)
                    || non_empty(&e.path().join("ipvsadm.txt.stderr"))
                    || (ipvs_missing() && ipvs_skip.starts_with("ip_vs not loaded")),
                || format!("{label}: netns/{name}/ipvsadm.txt: neither output nor error nor skip reason ({ipvs_skip:?})"),
            );
            names.insert(name);
        }
    }
    // Every swarm node has the ingress namespaces; a node running a task on
    // an overlay (a 12-hex sandbox) has that network's lb_ namespace too.
    let runs_tasks = names
        .iter()
        .any(|n| n.len() == 12 && n.bytes().all(|b| b.is_ascii_hexdigit()));
    for prefix in ["ingress_sbox", "1-", "lb_"] {
        if prefix == "lb_" && !runs_tasks {
            continue;
        }
        f.check(names.iter().any(|n| n.starts_with(prefix)), || {
            format!("{label}: no {prefix}* namespace collected (have {names:?})")
        });
    }
}

/// Log lines of memberlist or NetworkDB failing to reach a peer.
const GOSSIP_FAILURES: &[&str] = &[
    "Failed to send gossip",
    "Failed to send ping",
    "Push/Pull with",
    "during bulk sync",
];

/// Facts the lab must have produced for real, read from the raw bundles.
fn check_scenario_facts(f: &mut Failures, scenario: &str, dir: &Path) {
    let node = |n: &str| dir.join(n);
    let any_node = |path: &str, needle: &str| {
        node_dirs(dir)
            .iter()
            .any(|d| file_contains(&d.join(path), needle))
    };
    match scenario {
        "healthy" => {
            f.check(
                any_node("swarm/services.json", "\"PASSWORD=<masked>\""),
                || "healthy: services.json lacks the masked PASSWORD env".into(),
            );
            if ipvs_missing() {
                f.check(
                    any_node("logs/dockerd.log", "Could not get ipvs family information"),
                    || "healthy: kernel without IPVS but no IPVS error in any dockerd log".into(),
                );
            }
        }
        "exhausted" => {
            f.check(
                any_node("logs/dockerd.log", "could not find an available IP"),
                || "exhausted: no 'could not find an available IP' in any log".into(),
            );
            f.check(
                any_node("swarm/tasks.json", "node is missing network attachments"),
                || "exhausted: no task 'node is missing network attachments'".into(),
            );
        }
        "gossip-blocked" => {
            f.check(
                file_contains(
                    &node("node3").join("host/iptables-save.txt"),
                    "--dport 7946 -j DROP",
                ),
                || "gossip-blocked: node3 iptables-save lacks the 7946 DROP rules".into(),
            );
            // Which side fails first, and how, depends on timing: pings and
            // gossip from node3, push/pull or bulk sync from either side.
            f.check(
                GOSSIP_FAILURES
                    .iter()
                    .any(|needle| any_node("logs/dockerd.log", needle)),
                || "gossip-blocked: no gossip failure in the logs".into(),
            );
        }
        "gossip-blocked-before" => {
            f.check(
                !file_contains(&node("node3").join("host/iptables-save.txt"), "7946"),
                || "gossip-blocked-before: node3 already has 7946 rules".into(),
            );
            f.check(
                !GOSSIP_FAILURES
                    .iter()
                    .any(|needle| any_node("logs/dockerd.log", needle)),
                || "gossip-blocked-before: gossip failures before the block".into(),
            );
        }
        "drained-before" => {
            f.check(
                !file_contains(
                    &node("node1").join("swarm/nodes.json"),
                    "\"Availability\": \"drain\"",
                ),
                || "drained-before: a node is already drained".into(),
            );
        }
        "drained" => {
            f.check(
                file_contains(
                    &node("node1").join("swarm/nodes.json"),
                    "\"Availability\": \"drain\"",
                ),
                || "drained: node1's nodes.json shows no drained node".into(),
            );
        }
        "daemon-down" => {
            f.check(
                file_contains(
                    &node("node1").join("swarm/nodes.json"),
                    "\"State\": \"down\"",
                ),
                || "daemon-down: node1's nodes.json shows no node down".into(),
            );
        }
        "mtu-mismatch" => {
            f.check(
                file_contains(&node("node3").join("host/ip-addr.txt"), "mtu 1400"),
                || "mtu-mismatch: node3's host/ip-addr.txt lacks its 1400 MTU link".into(),
            );
        }
        "daemon-restart" => {
            let log =
                fs::read_to_string(node("node3").join("logs/dockerd.log")).unwrap_or_default();
            f.check(
                log.matches("Daemon has completed initialization").count() >= 2,
                || "daemon-restart: node3's log does not show two daemon starts".into(),
            );
        }
        _ => {}
    }
}

/// The zip variant of a bundle opens and holds one top directory with a manifest.
fn check_zip(f: &mut Failures, zip_path: &Path) {
    let file = match fs::File::open(zip_path) {
        Ok(file) => file,
        Err(e) => return f.0.push(format!("{}: {e}", zip_path.display())),
    };
    match zip::ZipArchive::new(file) {
        Ok(z) => {
            let names: Vec<String> = z.file_names().map(String::from).collect();
            f.check(
                names
                    .iter()
                    .any(|n| n.starts_with("swarmdiag-node1-") && n.ends_with("Z/manifest.json")),
                || {
                    format!(
                        "{}: no swarmdiag-node1-*/manifest.json in {names:?}",
                        zip_path.display()
                    )
                },
            );
        }
        Err(e) => f.0.push(format!("{}: not a zip: {e}", zip_path.display())),
    }
}

#[test]
fn swarm_lab_scenarios() {
    if let Some(why) = lab_blocker() {
        if in_ci() {
            panic!("the swarm lab cannot start in CI: {why}");
        }
        // Straight to stderr: the test harness captures eprintln! of passing tests.
        let banner = "*".repeat(60);
        let _ = writeln!(
            std::io::stderr(),
            "\n{banner}\nLAB SKIPPED: {why}\n{banner}\n"
        );
        return;
    }
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_swarmdiag"));
    let out = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    let run = Command::new("bash")
        .arg(lab_dir().join("run.sh"))
        .arg(out.path())
        .env("SWARMDIAG_BIN", &bin)
        .output()
        .expect("run tests/lab/run.sh");
    let log = String::from_utf8_lossy(&run.stderr);
    eprintln!("{log}");
    assert!(
        run.status.success(),
        "the lab failed (tests/lab/run.sh exit {:?}); log above",
        run.status.code()
    );
    eprintln!("lab: all scenarios in {:.0?}", started.elapsed());

    let mut f = Failures(Vec::new());
    for expect in EXPECTED {
        let dir = out.path().join(expect.scenario);
        let nodes = node_dirs(&dir);
        f.check(nodes.len() == 3, || {
            format!("{}: {} node bundles, want 3", expect.scenario, nodes.len())
        });
        for n in &nodes {
            let label = format!(
                "{}/{}",
                expect.scenario,
                n.file_name().unwrap_or_default().to_string_lossy()
            );
            check_bundle(&mut f, &label, n);
            let size = dir_size(n);
            eprintln!("lab: {label}: {size} bytes unpacked");
            f.check(size < 4 << 20, || {
                format!("{label}: bundle is {size} bytes, keep it small")
            });
        }
        check_scenario_facts(&mut f, expect.scenario, &dir);
    }
    // Masking: the PASSWORD env and the secret's payload never reach a bundle.
    for secret in ["hunter2", "czNjcjN0LWh1bnRlcjI"] {
        let mut hits = Vec::new();
        grep_dir(out.path(), secret, &mut hits);
        f.check(hits.is_empty(), || {
            format!("secret {secret:?} found in {hits:?}")
        });
    }
    if have("zip") {
        check_zip(&mut f, &out.path().join(".zip/healthy/node1.zip"));
    }
    let collection_failures = f.0.len();
    for expect in EXPECTED {
        f.0.extend(check_analyze(
            &bin,
            expect,
            &out.path().join(expect.scenario),
            ipvs_missing(),
        ));
    }
    let analysis_failures = f.0.len() - collection_failures;
    let t = Instant::now();
    f.0.extend(pairs::check_pairs(&bin, out.path()));
    eprintln!("lab: diff/timeline pair checks in {:.1?}", t.elapsed());
    if !f.0.is_empty() {
        panic!(
            "{} lab check(s) failed ({} on collection, {} on analysis, {} on diff/timeline):\n  {}",
            f.0.len(),
            collection_failures,
            analysis_failures,
            f.0.len() - collection_failures - analysis_failures,
            f.0.join("\n  ")
        );
    }
}
