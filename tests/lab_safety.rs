//! The collector on a real swarm leaks no secret and changes nothing
//! (issue 12): the lab's `canary` scenario (tests/lab/scenarios/canary.sh)
//! plants a unique canary in every place a swarm can hold a secret, then
//! collects every node under `strace -f -e trace=execve`. This test fails if
//! a canary is in any file name or content of any bundle, if any exec can
//! change the node (modprobe, insmod, iptables or nft writes, ip or bridge
//! write verbs, docker write verbs…), or if the kernel's modules differ
//! before and after the collections (the kernel loads some by itself on first
//! use: nftables, conntrack, xfrm, sock_diag).
//!
//! Like tests/lab_e2e.rs: part of plain `cargo test`; outside CI it skips
//! loudly when not root or the lab's tools are missing, with `CI=true` that is
//! a failure. One lab bring-up (about 40 s) for both checks.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

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
        "strace",
    ] {
        if !have(tool) {
            return Some(format!(
                "{tool} not installed (apt-get install -y docker.io ipvsadm iptables busybox-static strace)"
            ));
        }
    }
    None
}

/// Every file under `dir`: (path relative to `dir`, content).
fn files(dir: &Path, rel: &str, out: &mut Vec<(String, Vec<u8>)>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        let r = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let p = e.path();
        if p.is_dir() {
            out.push((r.clone() + "/", Vec::new()));
            files(&p, &r, out);
        } else {
            out.push((r, fs::read(&p).unwrap_or_default()));
        }
    }
}

fn contains(hay: &[u8], needle: &str) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// One C string of strace output starting at `s[0] == '"'`: (value, rest).
fn c_string(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.strip_prefix('"')?.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                let rest = &s[1 + i + 1..];
                // strace marks a string cut at -s with "...".
                return Some((out, rest.strip_prefix("...").unwrap_or(rest)));
            }
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                e => out.push(e),
            },
            c => out.push(c),
        }
    }
    None
}

/// The argv of every `execve(` line of an strace log (attempts that failed,
/// e.g. a PATH lookup, included: trying to run modprobe is already wrong).
fn execs(log: &str) -> Vec<Vec<String>> {
    let mut v = Vec::new();
    for line in log.lines() {
        let Some(at) = line.find("execve(") else {
            continue;
        };
        let Some((path, rest)) = c_string(&line[at + 7..]) else {
            continue;
        };
        let mut argv = Vec::new();
        if let Some(mut rest) = rest.strip_prefix(", [") {
            while let Some((arg, r)) = c_string(rest) {
                argv.push(arg);
                rest = r.strip_prefix(", ").unwrap_or(r);
            }
        }
        if argv.is_empty() {
            argv.push(path.clone());
        }
        // The program actually run is the path; argv[0] may differ.
        argv[0] = path;
        v.push(argv);
    }
    v
}

/// Why this exec can change the node, if it can. Read-only commands are
/// listed by what they may be; anything else of these tools is a write.
fn state_changing(argv: &[String]) -> Option<String> {
    let prog = argv[0].rsplit('/').next().unwrap_or("");
    let args: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
    // Words that are not options nor an option's value (`ip -n NS`).
    let mut words: Vec<&str> = Vec::new();
    let mut skip_value = false;
    for a in &args {
        if skip_value {
            skip_value = false;
        } else if a.starts_with('-') {
            skip_value = matches!(*a, "-n" | "-netns" | "-f" | "-family" | "-rc" | "-rcvbuf");
        } else {
            words.push(a);
        }
    }
    let bad = |why: &str| Some(format!("{why}: {}", argv.join(" ")));
    match prog {
        "modprobe" | "insmod" | "rmmod" | "depmod" | "kmod" => bad("loads or unloads a module"),
        "iptables"
        | "ip6tables"
        | "iptables-legacy"
        | "iptables-nft"
        | "ip6tables-legacy"
        | "ip6tables-nft"
        | "iptables-restore"
        | "ip6tables-restore"
        | "iptables-nft-restore"
        | "iptables-legacy-restore"
        | "ebtables"
        | "arptables"
        | "xtables-nft-multi"
        | "xtables-legacy-multi" => {
            // The -save multi-call names are fine; nothing else is used.
            bad("iptables other than iptables-save")
        }
        "iptables-save" | "ip6tables-save" | "iptables-nft-save" | "iptables-legacy-save" => {
            if args.iter().all(|a| matches!(*a, "-c" | "--version" | "-V")) {
                None
            } else {
                bad("iptables-save with unexpected options")
            }
        }
        "nft" => match words.first() {
            Some(&"list") => None,
            _ => bad("nft other than list"),
        },
        "ip" => {
            // ip [OPTIONS] OBJECT [VERB …] (ip xfrm OBJECT [VERB …]): only
            // reading verbs.
            let at = if words.first() == Some(&"xfrm") { 2 } else { 1 };
            match words.get(at) {
                None | Some(&("show" | "list" | "lst" | "ls" | "get")) => None,
                Some(_) => bad("ip write verb"),
            }
        }
        "bridge" => match words.get(1) {
            None | Some(&"show") => None,
            _ => bad("bridge write verb"),
        },
        "ipvsadm" => {
            if args
                .iter()
                .all(|a| matches!(*a, "-L" | "-l" | "-n" | "-Ln" | "-ln"))
            {
                None
            } else {
                bad("ipvsadm other than -Ln")
            }
        }
        "conntrack" => {
            if args.iter().all(|a| matches!(*a, "-S" | "-L" | "--stats")) {
                None
            } else {
                bad("conntrack other than -S")
            }
        }
        "ethtool" => {
            if args
                .iter()
                .any(|a| a.starts_with('-') && a.len() == 2 && a.as_bytes()[1].is_ascii_uppercase())
                || args.iter().any(|a| a.starts_with("--set") || *a == "-s")
            {
                bad("ethtool setting")
            } else {
                None
            }
        }
        "sysctl" => bad("sysctl (the collector reads /proc/sys)"),
        "tc" | "ipset" | "mount" | "umount" | "unshare" | "setns" | "systemctl" | "service" => {
            bad("not a reading command")
        }
        "docker" => docker_write(&args).and_then(|w| bad(&w)),
        _ => None,
    }
}

/// A docker CLI call that is not one of the reading verbs the collector uses.
fn docker_write(args: &[&str]) -> Option<String> {
    let mut i = 0;
    // Global options with a value.
    while i < args.len() && args[i].starts_with('-') {
        i += if matches!(
            args[i],
            "-H" | "--host" | "--config" | "--context" | "-c" | "-l"
        ) {
            2
        } else {
            1
        };
    }
    let verb: Vec<&str> = args[i.min(args.len())..].iter().take(2).copied().collect();
    let ok = match verb.as_slice() {
        ["version", ..] | ["info", ..] | ["inspect", ..] | ["ps", ..] => true,
        ["network" | "node" | "service", sub] => matches!(*sub, "ls" | "inspect" | "ps"),
        _ => false,
    };
    (!ok).then(|| "docker verb other than version/info/inspect/ps/ls".to_string())
}

#[test]
fn state_changing_spots_writes_and_allows_reads() {
    let v = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
    for read in [
        "/usr/sbin/ip -d addr show",
        "/usr/sbin/ip -s xfrm state",
        "/usr/sbin/ip route show table all",
        "/usr/sbin/bridge fdb show",
        "/usr/sbin/nft list ruleset",
        "/usr/sbin/iptables-save -c",
        "/usr/sbin/ipvsadm -Ln",
        "/usr/sbin/conntrack -S",
        "/usr/sbin/ethtool -k eth0",
        "/usr/bin/docker -H unix:///x.sock service ps --no-trunc s1",
        "/usr/bin/docker -H unix:///x.sock network inspect --verbose n1",
        "/usr/bin/docker inspect --type task t1",
    ] {
        assert_eq!(state_changing(&v(read)), None, "{read}");
    }
    for write in [
        "/sbin/modprobe -- ip_vs",
        "/usr/sbin/ip link set eth0 up",
        "/usr/sbin/ip netns add x",
        "/usr/sbin/ip -n x addr add 10.0.0.1/24 dev eth0",
        "/usr/sbin/ip xfrm state flush",
        "/usr/sbin/iptables -I INPUT -j DROP",
        "/usr/sbin/nft flush ruleset",
        "/usr/sbin/ipvsadm -C",
        "/usr/sbin/conntrack -F",
        "/usr/sbin/ethtool -K eth0 tx off",
        "/usr/bin/docker -H unix:///x.sock swarm join-token -q worker",
        "/usr/bin/docker service update --force web",
        "/usr/bin/docker rm -f c1",
    ] {
        assert!(state_changing(&v(write)).is_some(), "{write}");
    }
    let log = r#"4242  execve("/usr/sbin/ipvsadm", ["ipvsadm", "-Ln"], 0x5581 /* 9 vars */) = 0
4243  execve("/sbin/modprobe", ["/sbin/modprobe", "-q", "--", "ip_vs"], 0x7ffd /* 0 vars */ <unfinished ...>
4244  execve("/usr/bin/docker", ["docker", "-H", "unix:///r/d.sock", "info", "--format", "{{json .}}"], 0x5 /* 3 vars */) = -1 ENOENT (No such file or directory)"#;
    let e = execs(log);
    assert_eq!(e.len(), 3);
    assert_eq!(e[1], ["/sbin/modprobe", "-q", "--", "ip_vs"]);
    assert_eq!(e[2][4], "--format");
    assert_eq!(e[2][5], "{{json .}}");
}

#[test]
fn collector_leaks_no_canary_and_changes_nothing() {
    if let Some(why) = lab_blocker() {
        if in_ci() {
            panic!("the swarm lab cannot start in CI: {why}");
        }
        let banner = "*".repeat(60);
        let _ = writeln!(
            std::io::stderr(),
            "\n{banner}\nLAB SKIPPED: {why}\n{banner}\n"
        );
        return;
    }
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_swarmdiag"));
    let out = tempfile::tempdir().expect("temp dir");
    let run = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lab/run.sh"))
        .arg(out.path())
        .arg("canary")
        .env("SWARMDIAG_BIN", &bin)
        .output()
        .expect("run tests/lab/run.sh");
    eprintln!("{}", String::from_utf8_lossy(&run.stderr));
    assert!(
        run.status.success(),
        "the lab failed (tests/lab/run.sh canary: exit {:?}); log above",
        run.status.code()
    );
    let dir = out.path().join("canary");
    let mut failures = Vec::new();

    // 1. No canary in any bundle, in names or contents.
    let canaries: Vec<(String, String)> = fs::read_to_string(dir.join(".canaries"))
        .expect("canary list")
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(p, v)| (p.to_string(), v.to_string()))
        .collect();
    assert!(canaries.len() > 30, "only {} canaries", canaries.len());
    let mut all = Vec::new();
    for node in ["node1", "node2", "node3"] {
        let mut f = Vec::new();
        files(&dir.join(node), node, &mut f);
        assert!(f.len() > 30, "{node}: only {} files", f.len());
        all.extend(f);
    }
    for (place, value) in &canaries {
        for (name, content) in &all {
            if contains(name.as_bytes(), value) || contains(content, value) {
                failures.push(format!("canary {place} ({value}) found in {name}"));
            }
        }
    }
    // The canaries' places were collected (masked), so the check above had
    // something to find.
    let text =
        |rel: &str| fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    for (rel, needle) in [
        (
            "node1/swarm/services.json",
            "\"vault.credential\": \"<masked>\"",
        ),
        ("node1/swarm/services.json", "\"DB_PASSWORD=<masked>\""),
        (
            "node1/swarm/services.json",
            "\"splunk-token\": \"<masked>\"",
        ),
        ("node1/swarm/services.json", "-p <masked>"),
        (
            "node1/swarm/nodes.json",
            "\"vault.credential\": \"<masked>\"",
        ),
        ("node1/swarm/networks.json", "\"db_pass\": \"<masked>\""),
        ("node3/containers/inspect.json", "\"db_pass\": \"<masked>\""),
        ("node3/containers/inspect.json", "-u admin:<masked>"),
        ("node1/containers/inspect.json", "\"API_TOKEN=<masked>\""),
        ("node1/docker/daemon.json", "db_pass=<masked>"),
        ("node1/docker/dockerd-cmdline.txt", "splunk-token=<masked>"),
        ("node1/logs/dockerd.log", "SWMTKN-1-<masked>"),
        ("node1/logs/dockerd.log", "SWMKEY-1-<masked>"),
        ("node1/logs/dockerd.log", "<masked pem>"),
        ("node1/logs/dockerd.log", "<masked aws key>"),
        ("node1/logs/dockerd.log", "<masked jwt>"),
    ] {
        if !text(rel).contains(needle) {
            failures.push(format!("{rel}: no {needle:?} (was the canary collected?)"));
        }
    }

    // 2. No exec that can change the node.
    for node in ["node1", "node3"] {
        let log = text(&format!(".strace/{node}"));
        let e = execs(&log);
        let ran = |p: &str, w: &str| {
            e.iter()
                .any(|a| a[0].ends_with(p) && a.iter().any(|x| x == w))
        };
        if !(ran("/docker", "info") && ran("/nsenter", "ip")) {
            failures.push(format!(
                "{node}: the strace log lacks the docker info and nsenter execs ({} execs)",
                e.len()
            ));
        }
        for argv in &e {
            if let Some(why) = state_changing(argv) {
                failures.push(format!("{node}: {why}"));
            }
        }
    }

    // 3. The kernel's modules are the same before and after.
    let before = text(".modules-before");
    let after = text(".modules-after");
    if before != after {
        failures.push(format!(
            "kernel modules changed during collection:\n--- before\n{before}\n--- after\n{after}"
        ));
    }

    assert!(
        failures.is_empty(),
        "{} check(s) failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}
