//! Reading bundles from directories and archives built on the fly, including
//! hostile ones: escaping names, links, cut archives, garbage, bombs.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::{Compress, Compression, FlushCompress};
use swarmdiag::bundle::{self, Bundles, Limits, LogLine, NodeBundle};
use swarmdiag::error::Error;
use tempfile::TempDir;

type Files = Vec<(String, Vec<u8>)>;

/// (node, path, line, text, truncated)
type Line = (String, String, usize, String, bool);

const DOCKERD_LOG: &str = "\
2025-08-19T11:20:54.095864+00:00 node1 dockerd[993]: time=\"2025-08-19T11:20:54.092795171Z\" level=info msg=\"NetworkDB stats node1(3f2a1b0c9d8e) - netID:k3j5l6m7n8o9p0q1r2s3t4u5 leaving:false netPeers:3 entries:12 Queue qLen:0 netMsg/s:0\"
2025-08-19T11:21:02.418211+00:00 node1 dockerd[993]: time=\"2025-08-19T11:21:02.417902113Z\" level=error msg=\"fatal task error\" error=\"node is missing network attachments, ip addresses may be exhausted\" module=node/agent/taskmanager node.id=3f2a1b0c9d8e service.id=pq8yvh0p1c9a task.id=z1x2c3v4b5n6
2025-08-19T11:21:05.000120+00:00 node1 dockerd[993]: time=\"2025-08-19T11:21:05.000011270Z\" level=warning msg=\"memberlist: Failed fallback ping: read tcp 10.0.0.11:48122->10.0.0.12:7946: i/o timeout\"
";

const KERNEL_LOG: &str = "\
2025-08-19T11:19:58.101000+00:00 node1 kernel: IPVS: rr: UDP 10.0.0.2:53 - no destination available
2025-08-19T11:20:01.004411+00:00 node1 kernel: br0: port 2(veth0a1b2c3) entered blocking state
";

/// A realistic node bundle under `root` (empty for the archive's top).
fn node_files(root: &str, host: &str) -> Files {
    let at = |p: &str| {
        if root.is_empty() {
            p.to_string()
        } else {
            format!("{root}/{p}")
        }
    };
    let manifest = format!(
        r#"{{"format":"swarmdiag-bundle","version":1,"collector_version":"0.1.0","collected_at":"2026-11-22T10:15:00Z","hostname":"{host}","since":"48h","exec_root":"/var/run/docker","daemon_log_source":"journald","absent_tools":["ipvsadm"],"commands":[]}}"#
    );
    vec![
        (at("manifest.json"), manifest.into_bytes()),
        (at("docker/info.json"), br#"{"ID":"7TRN:IPZB","Swarm":{"NodeID":"3f2a1b0c9d8e","LocalNodeState":"active","ControlAvailable":true}}"#.to_vec()),
        (at("docker/version.json"), br#"{"Server":{"Version":"27.3.1","ApiVersion":"1.47"}}"#.to_vec()),
        (at("logs/dockerd.log"), DOCKERD_LOG.replace("node1", host).into_bytes()),
        (at("logs/kernel.log"), KERNEL_LOG.replace("node1", host).into_bytes()),
        (at("host/ip-addr.txt"), b"1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    inet 127.0.0.1/8 scope host lo\n".to_vec()),
        (at("netns/ingress_sbox/ipvsadm.txt"), b"IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\nFWM  258 rr\n  -> 10.0.0.5:0                   Masq    1      0          0\n".to_vec()),
        (at("swarm/networks.json.stderr"), b"Error response from daemon: This node is not a swarm manager.\n".to_vec()),
    ]
}

fn write_dir(dir: &Path, files: &Files) {
    for (name, data) in files {
        let path = dir.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, data).unwrap();
    }
}

fn write_zip(path: &Path, files: &Files) {
    let mut zip = zip::ZipWriter::new(File::create(path).unwrap());
    for (name, data) in files {
        zip.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap();
}

/// A tar (gzip-compressed or not) written with raw header names, so that
/// names the `tar` crate would refuse to write can be tested.
fn tar_bytes(entries: &[TarEntry], gzip: bool) -> Vec<u8> {
    let mut out = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.as_mut_bytes()[..e.name.len()].copy_from_slice(&e.name);
        h.set_entry_type(e.kind);
        h.set_size(e.data.len() as u64);
        h.set_mode(0o644);
        h.as_mut_bytes()[157..157 + e.link.len()].copy_from_slice(&e.link);
        h.set_cksum();
        out.append(&h, e.data.as_slice()).unwrap();
    }
    let tar = out.into_inner().unwrap();
    if !gzip {
        return tar;
    }
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

struct TarEntry {
    name: Vec<u8>,
    kind: tar::EntryType,
    link: Vec<u8>,
    data: Vec<u8>,
}

fn file(name: &str, data: &[u8]) -> TarEntry {
    TarEntry {
        name: name.into(),
        kind: tar::EntryType::Regular,
        link: vec![],
        data: data.to_vec(),
    }
}

fn tar_files(files: &Files) -> Vec<TarEntry> {
    files.iter().map(|(n, d)| file(n, d)).collect()
}

fn read(paths: &[&Path]) -> Result<(Bundles, Vec<Line>), Error> {
    read_with(paths, &Limits::default())
}

fn read_with(paths: &[&Path], limits: &Limits) -> Result<(Bundles, Vec<Line>), Error> {
    let paths: Vec<PathBuf> = paths.iter().map(|p| p.to_path_buf()).collect();
    let mut lines = Vec::new();
    let bundles = bundle::read_bundles(&paths, limits, &mut |l: &LogLine| {
        lines.push((
            l.node.into(),
            l.path.into(),
            l.line,
            l.text.into(),
            l.truncated,
        ))
    })?;
    Ok((bundles, lines))
}

fn node<'a>(b: &'a Bundles, label: &str) -> &'a NodeBundle {
    b.nodes
        .iter()
        .find(|n| n.label == label)
        .unwrap_or_else(|| panic!("no node {label} in {:?}", labels(b)))
}

fn labels(b: &Bundles) -> Vec<&str> {
    b.nodes.iter().map(|n| n.label.as_str()).collect()
}

fn has_note(notes: &[bundle::Note], path: &str, needle: &str) -> bool {
    notes
        .iter()
        .any(|n| n.path == path && n.message.contains(needle))
}

/// Every file under `dir`, for checking that reading wrote nothing.
fn listing(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() && !p.is_symlink() {
                stack.push(p.clone());
            }
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn same_bundle_as_dir_zip_tar_gz_and_tar() {
    let tmp = TempDir::new().unwrap();
    let root = "swarmdiag-node1-20261122T101500Z";
    let mut files = node_files(root, "node1");
    files.push((
        format!("{root}/extra/notes.txt"),
        b"collected by hand\n".to_vec(),
    ));
    files.sort();

    let dir = tmp.path().join("dir");
    write_dir(&dir, &files);
    let zip = tmp.path().join("node1.zip");
    write_zip(&zip, &files);
    let tgz = tmp.path().join("node1.tar.gz");
    fs::write(&tgz, tar_bytes(&tar_files(&files), true)).unwrap();
    let tar = tmp.path().join("node1.tar");
    fs::write(&tar, tar_bytes(&tar_files(&files), false)).unwrap();

    let before = listing(tmp.path());
    let (from_dir, dir_lines) = read(&[&dir]).unwrap();
    let n = node(&from_dir, root);
    assert_eq!(n.origin, dir.join(root).display().to_string());
    assert_eq!(
        n.files.keys().collect::<Vec<_>>(),
        vec![
            "docker/info.json",
            "docker/version.json",
            "host/ip-addr.txt",
            "manifest.json",
            "netns/ingress_sbox/ipvsadm.txt",
            "swarm/networks.json.stderr"
        ]
    );
    assert_eq!(
        n.files["docker/version.json"],
        br#"{"Server":{"Version":"27.3.1","ApiVersion":"1.47"}}"#
    );
    assert_eq!(n.logs["logs/dockerd.log"].lines, 3);
    assert!(n.logs["logs/dockerd.log"].complete);
    assert_eq!(n.logs["logs/kernel.log"].lines, 2);
    assert_eq!(
        n.notes,
        vec![bundle::Note {
            path: "extra/notes.txt".into(),
            message: "not part of the bundle layout; ignored".into()
        }]
    );
    assert_eq!(dir_lines.len(), 5);
    assert_eq!(dir_lines[0].0, root);
    assert_eq!(dir_lines[0].1, "logs/dockerd.log");
    assert_eq!(dir_lines[1].2, 2);
    assert!(dir_lines[1].3.ends_with("task.id=z1x2c3v4b5n6"));
    assert_eq!(dir_lines[3], (
        root.to_string(),
        "logs/kernel.log".to_string(),
        1,
        "2025-08-19T11:19:58.101000+00:00 node1 kernel: IPVS: rr: UDP 10.0.0.2:53 - no destination available".to_string(),
        false
    ));

    for archive in [&zip, &tgz, &tar] {
        let (got, lines) = read(&[archive]).unwrap();
        assert_eq!(got.nodes.len(), 1, "{}", archive.display());
        let a = &got.nodes[0];
        assert_eq!(
            (&a.label, &a.files, &a.logs, &a.notes),
            (&n.label, &n.files, &n.logs, &n.notes)
        );
        assert_eq!(a.origin, format!("{}!{root}", archive.display()));
        assert_eq!(lines, dir_lines, "{}", archive.display());
        assert!(got.notes.is_empty());
    }
    assert_eq!(listing(tmp.path()), before, "reading wrote nothing");
}

#[test]
fn root_at_the_top_is_named_after_the_archive() {
    let tmp = TempDir::new().unwrap();
    let zip = tmp.path().join("worker-3.zip");
    write_zip(&zip, &node_files("", "worker-3"));
    let (b, lines) = read(&[&zip]).unwrap();
    assert_eq!(labels(&b), vec!["worker-3"]);
    assert_eq!(b.nodes[0].origin, zip.display().to_string());
    assert!(lines.iter().all(|l| l.0 == "worker-3"));
}

#[test]
fn traversal_and_absolute_names_are_skipped_and_nothing_is_written() {
    let tmp = TempDir::new().unwrap();
    let work = tmp.path().join("work");
    fs::create_dir(&work).unwrap();
    let evil = format!("evil-{}", std::process::id());
    let mut files = node_files("node1", "node1");
    files.push((format!("../{evil}"), b"escaped".to_vec()));
    files.push((format!("node1/../../{evil}"), b"escaped".to_vec()));
    files.push((
        "/etc/passwd".into(),
        b"root:x:0:0:root:/root:/bin/bash\n".to_vec(),
    ));
    files.push((
        "node1/logs/../../../etc/shadow".into(),
        b"root:*:19000:0:99999:7:::\n".to_vec(),
    ));

    let zip = work.join("evil.zip");
    write_zip(&zip, &files);
    let tgz = work.join("evil.tgz");
    fs::write(&tgz, tar_bytes(&tar_files(&files), true)).unwrap();

    let before = listing(tmp.path());
    for archive in [&zip, &tgz] {
        let (b, lines) = read(&[archive]).unwrap();
        assert_eq!(labels(&b), vec!["node1"]);
        assert!(has_note(
            &b.notes,
            &format!("../{evil}"),
            "unsafe entry name (contains ..)"
        ));
        assert!(has_note(
            &b.notes,
            &format!("node1/../../{evil}"),
            "contains .."
        ));
        assert!(has_note(
            &b.notes,
            "/etc/passwd",
            "unsafe entry name (absolute path)"
        ));
        assert!(has_note(
            &b.notes,
            "node1/logs/../../../etc/shadow",
            "contains .."
        ));
        let n = &b.nodes[0];
        assert!(n.files.values().all(|v| !v.starts_with(b"root:")));
        assert!(lines.iter().all(|l| !l.3.contains("root:")));
        assert_eq!(n.logs["logs/dockerd.log"].lines, 3);
    }
    assert_eq!(listing(tmp.path()), before);
    // Nothing but escaping entries: an error that says why.
    let only_evil = work.join("only-evil.zip");
    write_zip(
        &only_evil,
        &vec![("../node1/logs/dockerd.log".into(), DOCKERD_LOG.into())],
    );
    let msg = read(&[&only_evil]).unwrap_err().to_string();
    assert!(
        msg.contains("no node bundle found")
            && msg.ends_with("; 1 entries with unsafe names were skipped"),
        "{msg}"
    );
    for dir in [tmp.path().to_path_buf(), std::env::current_dir().unwrap()] {
        assert!(!dir.join(&evil).exists());
        assert!(!dir.parent().unwrap().join(&evil).exists());
    }
}

#[test]
fn link_entries_are_noted_and_never_followed() {
    let tmp = TempDir::new().unwrap();
    let mut entries = tar_files(&node_files("node1", "node1"));
    // Replace the kernel log by a link to a host file, add a hard link.
    entries.retain(|e| e.name != b"node1/logs/kernel.log");
    entries.push(TarEntry {
        name: b"node1/logs/kernel.log".to_vec(),
        kind: tar::EntryType::Symlink,
        link: b"/etc/passwd".to_vec(),
        data: vec![],
    });
    entries.push(TarEntry {
        name: b"node1/host/sysctl.txt".to_vec(),
        kind: tar::EntryType::Link,
        link: b"/etc/shadow".to_vec(),
        data: vec![],
    });
    let tgz = tmp.path().join("links.tar.gz");
    fs::write(&tgz, tar_bytes(&entries, true)).unwrap();
    let (b, lines) = read(&[&tgz]).unwrap();
    let n = node(&b, "node1");
    assert!(has_note(
        &n.notes,
        "logs/kernel.log",
        "symbolic link to /etc/passwd; not followed"
    ));
    assert!(has_note(
        &n.notes,
        "host/sysctl.txt",
        "hard link to /etc/shadow; not followed"
    ));
    assert!(!n.logs.contains_key("logs/kernel.log"));
    assert!(!n.files.contains_key("host/sysctl.txt"));
    assert!(lines.iter().all(|l| l.1 == "logs/dockerd.log"));

    // Zip symlink entry.
    let zip_path = tmp.path().join("links.zip");
    let mut zip = zip::ZipWriter::new(File::create(&zip_path).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    for (name, data) in node_files("node1", "node1") {
        if name != "node1/docker/info.json" {
            zip.start_file(name, opts).unwrap();
            zip.write_all(&data).unwrap();
        }
    }
    zip.add_symlink("node1/docker/info.json", "/etc/passwd", opts)
        .unwrap();
    zip.finish().unwrap();
    let (b, _) = read(&[&zip_path]).unwrap();
    let n = node(&b, "node1");
    assert!(has_note(
        &n.notes,
        "docker/info.json",
        "symbolic link to /etc/passwd; not followed"
    ));
    assert!(!n.files.contains_key("docker/info.json"));
}

#[cfg(unix)]
#[test]
fn symlinks_in_a_directory_bundle_are_not_followed() {
    let tmp = TempDir::new().unwrap();
    let outside = tmp.path().join("outside");
    fs::create_dir_all(outside.join("ingress_sbox")).unwrap();
    fs::write(outside.join("secret.log"), "SECRET line\n").unwrap();
    fs::write(outside.join("ingress_sbox/ipvsadm.txt"), "SECRET ipvs\n").unwrap();
    let dir = tmp.path().join("case/node1");
    write_dir(&dir, &node_files("", "node1"));
    fs::remove_file(dir.join("logs/kernel.log")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret.log"), dir.join("logs/kernel.log")).unwrap();
    fs::remove_dir_all(dir.join("netns")).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("netns")).unwrap();

    let (b, lines) = read(&[&dir]).unwrap();
    let n = node(&b, "node1");
    assert!(has_note(&n.notes, "logs/kernel.log", "symbolic link to"));
    assert!(has_note(&n.notes, "netns", "symbolic link to"));
    assert!(lines.iter().all(|l| !l.3.contains("SECRET")));
    assert!(n.files.keys().all(|k| !k.starts_with("netns/")));
}

/// Lines that compress poorly, so that cutting the archive lands mid-stream.
fn noisy_log(lines: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut out = String::new();
    for i in 0..lines {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push_str(&format!(
            "2025-08-19T11:{:02}:{:02}.000000+00:00 node1 dockerd[993]: time=\"2025-08-19T11:20:54Z\" level=info msg=\"peer {x:016x}\"\n",
            (i / 60) % 60,
            i % 60
        ));
    }
    out.into_bytes()
}

#[test]
fn truncated_tar_gz_keeps_what_was_read() {
    let tmp = TempDir::new().unwrap();
    let mut files = node_files("node1", "node1");
    files.retain(|(n, _)| n != "node1/logs/dockerd.log");
    files.push(("node1/logs/dockerd.log".into(), noisy_log(20_000)));
    files.extend(node_files("node2", "node2"));
    let whole = tar_bytes(&tar_files(&files), true);
    let cut = tmp.path().join("cut.tar.gz");
    fs::write(&cut, &whole[..whole.len() / 2]).unwrap();

    let (b, lines) = read(&[&cut]).unwrap();
    assert_eq!(labels(&b), vec!["node1"], "node2 came after the cut");
    let n = node(&b, "node1");
    assert!(n.files.contains_key("manifest.json") && n.files.contains_key("docker/info.json"));
    let log = &n.logs["logs/dockerd.log"];
    assert!(!log.complete);
    assert!(log.lines > 100 && log.lines < 20_000, "{log:?}");
    assert_eq!(
        lines.iter().filter(|l| l.1 == "logs/dockerd.log").count(),
        log.lines
    );
    assert!(has_note(
        &n.notes,
        "logs/dockerd.log",
        "read error after line"
    ));
    assert!(has_note(&n.notes, "", "archive is cut or damaged"));

    // Cut before any node root: nothing usable is an error naming the file.
    let early = tmp.path().join("early.tar.gz");
    fs::write(&early, &whole[..40]).unwrap();
    let err = read(&[&early]).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Bundle { .. }));
    assert!(msg.starts_with(&early.display().to_string()), "{msg}");
}

#[test]
fn truncated_zip_falls_back_to_local_headers() {
    let tmp = TempDir::new().unwrap();
    let mut files = node_files("node1", "node1");
    files.push(("node1/logs/zzz-padding.txt".into(), noisy_log(5_000)));
    let zip = tmp.path().join("whole.zip");
    write_zip(&zip, &files);
    let bytes = fs::read(&zip).unwrap();
    let cut = tmp.path().join("cut.zip");
    fs::write(&cut, &bytes[..bytes.len() * 3 / 4]).unwrap();

    let (b, lines) = read(&[&cut]).unwrap();
    let n = node(&b, "node1");
    assert!(has_note(
        &n.notes,
        "",
        "zip central directory is missing or damaged"
    ));
    assert_eq!(n.logs["logs/dockerd.log"].lines, 3);
    assert!(n.files.contains_key("manifest.json"));
    assert_eq!(lines.len(), 5);
}

#[test]
fn garbage_is_a_clear_error() {
    let tmp = TempDir::new().unwrap();
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for (name, expected) in [
        ("bundle.zip", "not a readable zip archive"),
        ("bundle.tar.gz", "not a tar archive"),
        (
            "bundle.txt",
            "not a directory, an archive (zip, tar, tar.gz",
        ),
    ] {
        let path = tmp.path().join(name);
        fs::write(&path, &garbage).unwrap();
        let err = read(&[&path]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with(&format!("{}: ", path.display())), "{msg}");
        assert!(msg.contains(expected), "{name}: {msg}");
    }
    let empty = tmp.path().join("empty.zip");
    fs::write(&empty, b"").unwrap();
    assert!(read(&[&empty])
        .unwrap_err()
        .to_string()
        .contains("not a readable zip archive"));
    let missing = tmp.path().join("missing.zip");
    assert!(matches!(read(&[&missing]).unwrap_err(), Error::Io { .. }));
}

#[test]
fn nothing_usable_in_a_directory_is_an_error() {
    let tmp = TempDir::new().unwrap();
    fs::write(tmp.path().join("README.txt"), "hello").unwrap();
    let err = read(&[tmp.path()]).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: no node bundle found (looked for a swarmdiag bundle: manifest.json or docker/, \
             swarm/, logs/, host/, netns/; a sosreport: sos_commands/; or a Docker daemon log)",
            tmp.path().display()
        )
    );
}

/// Raw deflate of `chunks` MiB of `a`: one MiB compressed with a full flush
/// (which resets the dictionary, so its output can be repeated), then an
/// empty final block.
fn deflate_of_a(chunks: usize) -> (Vec<u8>, u32, u64) {
    let mib = vec![b'a'; 1 << 20];
    let mut chunk = Vec::with_capacity(1 << 16);
    let mut c = Compress::new(Compression::best(), false);
    c.compress_vec(&mib, &mut chunk, FlushCompress::Full)
        .unwrap();
    assert_eq!(c.total_in(), 1 << 20, "one call took the whole MiB");
    let mut again = Vec::with_capacity(1 << 16);
    c.compress_vec(&mib, &mut again, FlushCompress::Full)
        .unwrap();
    assert_eq!(chunk, again, "a full flush makes chunks repeatable");
    let mut tail = Vec::with_capacity(64);
    c.compress_vec(&[], &mut tail, FlushCompress::Finish)
        .unwrap();
    let mut out = Vec::with_capacity(chunk.len() * chunks + tail.len());
    for _ in 0..chunks {
        out.extend_from_slice(&chunk);
    }
    out.extend_from_slice(&tail);
    // CRC of the whole: combine the one-MiB CRC with itself.
    let mut one = flate2::Crc::new();
    one.update(&mib);
    let mut crc = flate2::Crc::new();
    for _ in 0..chunks {
        crc.combine(&one);
    }
    (out, crc.sum(), (chunks as u64) << 20)
}

/// A zip written by hand, so that entries can carry precompressed data and
/// declare any sizes.
fn raw_zip(entries: &[(&str, u16, &[u8], u32, u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, method, data, crc, declared) in entries {
        let offset = out.len() as u32;
        let mut local = Vec::new();
        local.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        local.extend_from_slice(&20u16.to_le_bytes());
        local.extend_from_slice(&0u16.to_le_bytes());
        local.extend_from_slice(&method.to_le_bytes());
        local.extend_from_slice(&[0, 0, 0x21, 0]); // time, date
        local.extend_from_slice(&crc.to_le_bytes());
        local.extend_from_slice(&(data.len() as u32).to_le_bytes());
        local.extend_from_slice(&declared.to_le_bytes());
        local.extend_from_slice(&(name.len() as u16).to_le_bytes());
        local.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&local);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);

        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&0x031eu16.to_le_bytes()); // made by unix
        central.extend_from_slice(&local[4..30]);
        central.extend_from_slice(&[0; 6]); // comment len, disk, internal attrs
        central.extend_from_slice(&((0o100644u32) << 16).to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn vm_hwm_kib() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn zip_bomb_of_one_gigabyte_line_streams_in_bounded_memory() {
    let tmp = TempDir::new().unwrap();
    let (deflated, crc, size) = deflate_of_a(1024);
    assert!(
        deflated.len() < 4 << 20,
        "the bomb is small: {} bytes",
        deflated.len()
    );
    let manifest = br#"{"format":"swarmdiag-bundle","version":1}"#;
    let mut mcrc = flate2::Crc::new();
    mcrc.update(manifest);
    let zip = tmp.path().join("bomb.zip");
    fs::write(
        &zip,
        raw_zip(&[
            (
                "node1/manifest.json",
                0,
                manifest,
                mcrc.sum(),
                manifest.len() as u32,
            ),
            ("node1/logs/dockerd.log", 8, &deflated, crc, size as u32),
        ]),
    )
    .unwrap();

    let mut count = 0;
    let mut longest = 0;
    let mut truncated = false;
    let paths = vec![zip.clone()];
    let b = bundle::read_bundles(&paths, &Limits::default(), &mut |l: &LogLine| {
        count += 1;
        longest = longest.max(l.text.len());
        truncated |= l.truncated;
        assert!(l.text.bytes().all(|c| c == b'a'));
    })
    .unwrap();
    assert_eq!(count, 1);
    assert_eq!(longest, 1 << 20, "the line is cut at max_line_bytes");
    assert!(truncated);
    let n = node(&b, "node1");
    let log = &n.logs["logs/dockerd.log"];
    assert_eq!(
        (log.lines, log.bytes, log.cut_lines, log.complete),
        (1, size, 1, true)
    );
    assert!(has_note(
        &n.notes,
        "logs/dockerd.log",
        "1 line(s) longer than 1 MiB (max_line_bytes) were cut, the first at line 1"
    ));
    if let Some(kib) = vm_hwm_kib() {
        assert!(kib < 512 * 1024, "peak memory {kib} KiB");
    }
}

#[test]
fn log_cap_stops_a_bomb_early() {
    let tmp = TempDir::new().unwrap();
    let (deflated, crc, size) = deflate_of_a(64);
    let zip = tmp.path().join("bomb.zip");
    fs::write(
        &zip,
        raw_zip(&[("node1/logs/dockerd.log", 8, &deflated, crc, size as u32)]),
    )
    .unwrap();
    let limits = Limits {
        max_log_bytes: 1 << 20,
        max_line_bytes: 1000,
        ..Limits::default()
    };
    let (b, lines) = read_with(&[&zip], &limits).unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].3.len(), 1000);
    let n = node(&b, "node1");
    let log = &n.logs["logs/dockerd.log"];
    assert_eq!((log.bytes, log.complete), (1 << 20, false));
    assert!(has_note(
        &n.notes,
        "logs/dockerd.log",
        "log larger than 1 MiB (max_log_bytes)"
    ));
}

#[test]
fn zip_entry_inflating_beyond_its_declared_size_is_stopped() {
    let tmp = TempDir::new().unwrap();
    let (deflated, crc, _) = deflate_of_a(64);
    let zip = tmp.path().join("liar.zip");
    // Declares 4 KiB, inflates to 64 MiB.
    fs::write(
        &zip,
        raw_zip(&[
            ("node1/logs/dockerd.log", 8, &deflated, crc, 4096),
            ("node1/docker/info.json", 8, &deflated, crc, 100),
        ]),
    )
    .unwrap();
    let (b, lines) = read(&[&zip]).unwrap();
    let n = node(&b, "node1");
    assert_eq!(n.logs["logs/dockerd.log"].bytes, 4096);
    assert_eq!(lines.len(), 1);
    assert!(has_note(
        &n.notes,
        "logs/dockerd.log",
        "inflates beyond its declared size"
    ));
    assert!(!n.files.contains_key("docker/info.json"));
    assert!(has_note(
        &n.notes,
        "docker/info.json",
        "inflates beyond its declared size"
    ));
}

#[test]
fn non_utf8_log_is_read_lossily() {
    let tmp = TempDir::new().unwrap();
    let mut log = b"2025-08-19T11:20:54.095864+00:00 node1 dockerd[993]: time=\"2025-08-19T11:20:54Z\" level=info msg=\"caf\xe9 \xff\xfe\"\n".to_vec();
    log.extend_from_slice(b"\x00\x01binary\x80\n");
    log.extend_from_slice(DOCKERD_LOG.as_bytes());
    let zip = tmp.path().join("n.zip");
    write_zip(&zip, &vec![("node1/logs/dockerd.log".into(), log)]);
    let (b, lines) = read(&[&zip]).unwrap();
    assert_eq!(lines.len(), 5);
    assert!(lines[0].3.ends_with("msg=\"caf\u{fffd} \u{fffd}\u{fffd}\""));
    assert_eq!(lines[1].3, "\u{0}\u{1}binary\u{fffd}");
    assert_eq!(lines[2].2, 3);
    assert!(node(&b, "node1").notes.is_empty());
}

#[test]
fn long_lines_are_cut_and_noted_once_per_file() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("node1");
    let long = "x".repeat(100);
    write_dir(
        &dir,
        &vec![(
            "logs/dockerd.log".into(),
            format!("short\n{long}\nok\n{long}\n").into_bytes(),
        )],
    );
    let limits = Limits {
        max_line_bytes: 16,
        ..Limits::default()
    };
    let (b, lines) = read_with(&[&dir], &limits).unwrap();
    assert_eq!(lines[1].3, "x".repeat(16));
    assert!(lines[1].4 && !lines[2].4 && lines[3].4);
    let notes = &node(&b, "node1").notes;
    assert_eq!(notes.len(), 1);
    assert!(has_note(
        notes,
        "logs/dockerd.log",
        "2 line(s) longer than 16 bytes (max_line_bytes) were cut, the first at line 2"
    ));
}

/// A log on disk is read in ranges (by whoever scans them), an archived one
/// streamed: over many ranges, with lines longer than the line cap and a
/// byte cap inside a line, both give the same lines, summary and notes.
#[test]
fn a_log_on_disk_reads_as_the_same_log_archived() {
    let tmp = TempDir::new().unwrap();
    let mut log = Vec::new();
    for i in 0..40_000 {
        let width = [10, 200, 3000, 90][i % 4];
        log.extend(format!("line {i} {}\r\n", "y".repeat(width)).into_bytes());
    }
    let files: Files = vec![("node1/logs/dockerd.log".into(), log)];
    write_dir(tmp.path(), &files);
    let zip = tmp.path().join("node1.zip");
    write_zip(&zip, &files);
    let dir = tmp.path().join("node1");
    for limits in [
        Limits::default(),
        Limits {
            max_line_bytes: 1000,
            max_log_bytes: 20_000_123,
            ..Limits::default()
        },
    ] {
        let (on_disk, disk_lines) = read_with(&[&dir], &limits).unwrap();
        let (archived, zip_lines) = read_with(&[&zip], &limits).unwrap();
        assert!(disk_lines.len() > 10_000, "{}", disk_lines.len());
        assert_eq!(disk_lines, zip_lines);
        let (d, z) = (node(&on_disk, "node1"), node(&archived, "node1"));
        assert_eq!(d.logs, z.logs);
        assert_eq!(d.notes, z.notes);
        let capped = limits != Limits::default();
        assert_eq!(d.notes.len(), if capped { 2 } else { 0 }, "{:?}", d.notes);
    }
}

#[test]
fn cluster_archive_with_three_roots() {
    let tmp = TempDir::new().unwrap();
    let mut files = node_files("cluster/node1", "node1");
    files.extend(
        node_files("cluster/node2", "node2")
            .into_iter()
            .filter(|(n, _)| !n.ends_with("manifest.json")),
    );
    files.push((
        "deeper/still/node3/logs/dockerd.log".into(),
        DOCKERD_LOG.replace("node1", "node3").into_bytes(),
    ));
    files.push(("README.txt".into(), b"three nodes".to_vec()));
    let tgz = tmp.path().join("cluster.tar.gz");
    fs::write(&tgz, tar_bytes(&tar_files(&files), true)).unwrap();
    let (b, lines) = read(&[&tgz]).unwrap();
    assert_eq!(labels(&b), vec!["node1", "node2", "node3"]);
    assert_eq!(
        node(&b, "node3").origin,
        format!("{}!deeper/still/node3", tgz.display())
    );
    assert!(node(&b, "node2").files.contains_key("docker/info.json"));
    assert!(node(&b, "node3").files.is_empty());
    assert_eq!(
        b.notes,
        vec![bundle::Note {
            path: format!("{}!README.txt", tgz.display()),
            message: "outside any node bundle; ignored".into()
        }]
    );
    for (label, expected) in [("node1", 5), ("node2", 5), ("node3", 3)] {
        assert_eq!(
            lines.iter().filter(|l| l.0 == label).count(),
            expected,
            "{label}"
        );
    }
    assert!(lines
        .iter()
        .filter(|l| l.0 == "node3")
        .all(|l| l.3.contains(" node3 dockerd[993]")));
}

#[test]
fn nested_node_archives_inside_a_cluster_zip() {
    let tmp = TempDir::new().unwrap();
    let inner = tmp.path().join("inner");
    fs::create_dir(&inner).unwrap();
    write_zip(&inner.join("node1.zip"), &node_files("", "node1"));
    fs::write(
        inner.join("node2.tar.gz"),
        tar_bytes(
            &tar_files(&node_files("swarmdiag-node2-20261122T101500Z", "node2")),
            true,
        ),
    )
    .unwrap();
    // Cloned VMs: same hostname, collected the same second.
    let clone = "swarmdiag-ubuntu-20261122T101500Z";
    write_zip(&inner.join("node3.zip"), &node_files(clone, "ubuntu"));
    write_zip(&inner.join("node4.zip"), &node_files(clone, "ubuntu"));
    fs::write(
        inner.join("broken.zip"),
        b"PK\x03\x04 this is not really a zip",
    )
    .unwrap();

    let mut outer: Files = Vec::new();
    for name in [
        "broken.zip",
        "node1.zip",
        "node2.tar.gz",
        "node3.zip",
        "node4.zip",
    ] {
        outer.push((format!("cases/{name}"), fs::read(inner.join(name)).unwrap()));
    }
    let cluster = tmp.path().join("cluster.zip");
    write_zip(&cluster, &outer);

    let expected = vec![
        "node1".to_string(),
        "swarmdiag-node2-20261122T101500Z".to_string(),
        format!("{clone}@node3"),
        format!("{clone}@node4"),
    ];
    let (b, lines) = read(&[&cluster]).unwrap();
    assert_eq!(labels(&b), expected);
    assert_eq!(
        node(&b, "node1").origin,
        format!("{}!cases/node1.zip", cluster.display())
    );
    assert_eq!(
        node(&b, &format!("{clone}@node4")).origin,
        format!("{}!cases/node4.zip!{clone}", cluster.display())
    );
    assert!(has_note(
        &b.notes,
        &format!("{}!cases/broken.zip", cluster.display()),
        "nested archive not read"
    ));
    for label in &expected {
        let n = node(&b, label);
        assert_eq!(n.files.len(), 6, "{label}");
        assert_eq!(lines.iter().filter(|l| &l.0 == label).count(), 5, "{label}");
    }

    // The same per-node archives in a plain directory.
    fs::remove_file(inner.join("broken.zip")).unwrap();
    let (b, _) = read(&[&inner]).unwrap();
    assert_eq!(labels(&b), expected);
    assert_eq!(
        node(&b, "node1").origin,
        inner.join("node1.zip").display().to_string()
    );

    // And inside a tar.gz.
    let tgz = tmp.path().join("cluster.tgz");
    fs::write(&tgz, tar_bytes(&tar_files(&outer), true)).unwrap();
    let (b, lines_tgz) = read(&[&tgz]).unwrap();
    assert_eq!(labels(&b), expected);
    assert_eq!(lines_tgz, lines);
}

#[test]
fn directory_with_only_the_daemon_log() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("node7");
    write_dir(
        &dir,
        &vec![("logs/dockerd.log".into(), DOCKERD_LOG.as_bytes().to_vec())],
    );
    let (b, lines) = read(&[&dir]).unwrap();
    assert_eq!(labels(&b), vec!["node7"]);
    let n = &b.nodes[0];
    assert!(n.files.is_empty() && n.notes.is_empty());
    assert_eq!(n.logs.keys().collect::<Vec<_>>(), vec!["logs/dockerd.log"]);
    assert_eq!(lines.len(), 3);
    assert!(lines
        .iter()
        .all(|l| l.0 == "node7" && l.1 == "logs/dockerd.log"));
}

#[test]
fn entry_cap_stops_reading_with_a_note() {
    let tmp = TempDir::new().unwrap();
    let mut files = node_files("node1", "node1");
    for i in 0..100 {
        files.push((
            format!("node1/netns/{i:012x}/ip-addr.txt"),
            b"1: lo\n".to_vec(),
        ));
    }
    let zip = tmp.path().join("many.zip");
    write_zip(&zip, &files);
    let limits = Limits {
        max_entries: 50,
        ..Limits::default()
    };
    let (b, _) = read_with(&[&zip], &limits).unwrap();
    let n = node(&b, "node1");
    assert!(has_note(
        &n.notes,
        "",
        "stopped after 50 entries (max_entries)"
    ));
    assert_eq!(n.files.len(), 6 + (50 - 8));
}

#[test]
fn labels_stay_unique_across_inputs() {
    let tmp = TempDir::new().unwrap();
    for d in ["a", "b"] {
        fs::create_dir(tmp.path().join(d)).unwrap();
        write_zip(
            &tmp.path().join(d).join("node1.zip"),
            &node_files("", "node1"),
        );
    }
    let a = tmp.path().join("a/node1.zip");
    let b_path = tmp.path().join("b/node1.zip");
    let (b, lines) = read(&[&a, &b_path, &a]).unwrap();
    assert_eq!(labels(&b), vec!["node1@a", "node1@b", "node1@a#2"]);
    assert_eq!(lines.iter().filter(|l| l.0 == "node1@a#2").count(), 5);
}

#[test]
fn inputs_can_be_read_in_parallel() {
    use rayon::prelude::*;
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<bundle::Input>();

    let tmp = TempDir::new().unwrap();
    let mut paths = Vec::new();
    for i in 1..=4 {
        let p = tmp.path().join(format!("node{i}.zip"));
        write_zip(&p, &node_files("", &format!("node{i}")));
        paths.push(p);
    }
    let limits = Limits::default();
    let mut inputs: Vec<bundle::Input> = paths
        .iter()
        .map(|p| bundle::open(p, &limits).unwrap())
        .collect();
    bundle::label_uniquely(&mut inputs);
    let parallel: Vec<(Bundles, Vec<Line>)> = inputs
        .par_iter()
        .map(|input| {
            let mut lines = Vec::new();
            let b = input
                .read(&mut |l: &LogLine| {
                    lines.push((
                        l.node.into(),
                        l.path.into(),
                        l.line,
                        l.text.into(),
                        l.truncated,
                    ))
                })
                .unwrap();
            (b, lines)
        })
        .collect();
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let (sequential, seq_lines) = read(&refs).unwrap();
    let nodes: Vec<NodeBundle> = parallel.iter().flat_map(|(b, _)| b.nodes.clone()).collect();
    let lines: Vec<Line> = parallel.into_iter().flat_map(|(_, l)| l).collect();
    assert_eq!(nodes, sequential.nodes);
    assert_eq!(lines, seq_lines);
}

#[test]
fn tar_long_names_are_read_and_oversized_name_headers_refused() {
    let tmp = TempDir::new().unwrap();
    // A root name past the 100-byte ustar field: the tar crate writes a GNU
    // long-name entry for it.
    let long_root = format!("swarmdiag-{}-20261122T101500Z", "h".repeat(120));
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in node_files(&long_root, "node1") {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, &name, data.as_slice()).unwrap();
    }
    let mut entries = vec![
        // An old-style directory entry: regular type, trailing slash.
        file("node2/netns/", b""),
        file("node2/logs/dockerd.log", DOCKERD_LOG.as_bytes()),
        // A hostile 1 MiB long name for the next entry.
        TarEntry {
            name: b"././@LongLink".to_vec(),
            kind: tar::EntryType::GNULongName,
            link: vec![],
            data: vec![b'n'; 1 << 20],
        },
    ];
    entries.push(file("node2/docker/info.json", b"{}"));
    let tail = tar_bytes(&entries, false);
    let mut tar = b.into_inner().unwrap();
    // Drop the first archive's end-of-archive blocks before appending.
    while tar.len() >= 512 && tar[tar.len() - 512..].iter().all(|&c| c == 0) {
        tar.truncate(tar.len() - 512);
    }
    tar.extend_from_slice(&tail);
    let path = tmp.path().join("long.tar");
    fs::write(&path, &tar).unwrap();

    let (b, lines) = read(&[&path]).unwrap();
    assert_eq!(
        labels(&b),
        vec!["node2", long_root.as_str()],
        "roots sort by path"
    );
    assert_eq!(node(&b, &long_root).files.len(), 6);
    let n2 = node(&b, "node2");
    assert!(has_note(
        &n2.notes,
        "docker/info.json",
        "tar extension header larger than 64 KiB"
    ));
    assert_eq!(n2.notes.len(), 1, "{:?}", n2.notes);
    assert!(n2.files.is_empty());
    assert_eq!(lines.len(), 8);
}

#[test]
fn duplicate_entries_are_read_once() {
    let tmp = TempDir::new().unwrap();
    let inner = tmp.path().join("node1.zip");
    write_zip(&inner, &node_files("", "node1"));
    let inner = fs::read(&inner).unwrap();
    let mut entries = tar_files(&node_files("node2", "node2"));
    entries.push(file("node2/logs/dockerd.log", b"appended later\n"));
    entries.push(file("node1.zip", &inner));
    entries.push(file("node1.zip", &inner));
    let tgz = tmp.path().join("dups.tgz");
    fs::write(&tgz, tar_bytes(&entries, true)).unwrap();
    let (b, lines) = read(&[&tgz]).unwrap();
    assert_eq!(labels(&b), vec!["node2", "node1"]);
    assert_eq!(lines.len(), 10);
    assert!(lines.iter().all(|l| l.3 != "appended later"));
    let n2 = node(&b, "node2");
    assert!(has_note(
        &n2.notes,
        "logs/dockerd.log",
        "duplicate entry; the first one was used"
    ));
    let dup = format!("{}!node1.zip", tgz.display());
    assert!(has_note(&b.notes, &dup, "duplicate entry"));
}

#[test]
fn total_cap_keeps_the_head_of_a_huge_tar_log_then_stops() {
    let tmp = TempDir::new().unwrap();
    let mut files = node_files("node1", "node1");
    files.retain(|(n, _)| n != "node1/logs/dockerd.log");
    files.push(("node1/logs/dockerd.log".into(), noisy_log(2_000)));
    files.extend(node_files("node2", "node2"));
    let tgz = tmp.path().join("big.tgz");
    fs::write(&tgz, tar_bytes(&tar_files(&files), true)).unwrap();
    let log_len = noisy_log(2_000).len() as u64;
    // The log's head fits under the caps, its whole size does not.
    let limits = Limits {
        max_log_bytes: 4096,
        max_total_bytes: 8192,
        ..Limits::default()
    };
    assert!(log_len > 8192);
    let (b, lines) = read_with(&[&tgz], &limits).unwrap();
    assert_eq!(labels(&b), vec!["node1"], "node2 lies past the cap");
    let n = node(&b, "node1");
    let log = &n.logs["logs/dockerd.log"];
    assert_eq!((log.bytes, log.complete), (4096, false));
    assert!(lines.iter().any(|l| l.1 == "logs/dockerd.log"));
    assert!(has_note(
        &n.notes,
        "",
        "stopped after 8 KiB of data (max_total_bytes)"
    ));
}

mod corrupted {
    use super::*;
    use proptest::prelude::*;

    fn samples() -> Vec<(&'static str, Vec<u8>)> {
        let tmp = TempDir::new().unwrap();
        let zip = tmp.path().join("n.zip");
        write_zip(&zip, &node_files("node1", "node1"));
        let files = node_files("node1", "node1");
        vec![
            ("n.zip", fs::read(&zip).unwrap()),
            ("n.tar.gz", tar_bytes(&tar_files(&files), true)),
            ("n.tar", tar_bytes(&tar_files(&files), false)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        /// Damaged archives give a bundle or an error, never a panic.
        #[test]
        fn damaged_archives_never_panic(
            which in 0usize..3,
            flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
            do_cut in any::<bool>(),
        ) {
            let (name, mut bytes) = samples().swap_remove(which);
            for (at, value) in flips {
                let i = at.index(bytes.len());
                bytes[i] ^= value;
            }
            if do_cut {
                bytes.truncate(cut.index(bytes.len()));
            }
            let tmp = TempDir::new().unwrap();
            let path = tmp.path().join(name);
            fs::write(&path, &bytes).unwrap();
            if let Ok((b, lines)) = read(&[&path]) {
                prop_assert!(!b.nodes.is_empty());
                prop_assert!(lines.iter().all(|l| l.3.len() <= 1 << 20));
            }
        }
    }
}

#[test]
fn file_caps_skip_big_files_with_notes() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("node1");
    write_dir(&dir, &node_files("", "node1"));
    fs::write(dir.join("swarm/tasks.json"), vec![b' '; 5000]).unwrap();
    let limits = Limits {
        max_file_bytes: 4096,
        max_kept_bytes: 500,
        ..Limits::default()
    };
    let (b, _) = read_with(&[&dir], &limits).unwrap();
    let n = node(&b, "node1");
    assert!(has_note(
        &n.notes,
        "swarm/tasks.json",
        "larger than 4 KiB (max_file_bytes); skipped"
    ));
    // Files are read in path order until 500 bytes are held.
    let kept: usize = n.files.values().map(Vec::len).sum();
    assert!(kept <= 500 && !n.files.is_empty());
    assert!(n
        .notes
        .iter()
        .any(|x| x.message.contains("(max_kept_bytes)")));
}

/// A tar.gz written with the `tar` crate, which emits GNU long-name entries
/// for names past 100 bytes.
fn tar_gz_long_names(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, data.as_slice()).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap()
}

#[test]
fn deep_and_long_entry_names_cost_little_and_are_noted() {
    let tmp = TempDir::new().unwrap();
    let files = vec![
        ("node1/logs/dockerd.log".to_string(), b"x\n".to_vec()),
        // 65 KB: thousands of marker components, under the 64 KiB long-name cap.
        (format!("n1/{}x", "logs/".repeat(13_000)), Vec::new()),
        // Under 1 KiB: a root at `n2`, its own marker dirs are no roots.
        (format!("n2/{}x", "logs/".repeat(200)), Vec::new()),
        // A node bundle nine directories down is not looked for.
        (
            "a/b/c/d/e/f/g/h/i/logs/dockerd.log".to_string(),
            b"y\n".to_vec(),
        ),
    ];
    let path = tmp.path().join("deep.tar.gz");
    fs::write(&path, tar_gz_long_names(&files)).unwrap();
    let (b, lines) = read(&[&path]).unwrap();
    assert_eq!(labels(&b), vec!["n2", "node1"]);
    assert_eq!(lines.len(), 1);
    let long = b
        .notes
        .iter()
        .find(|n| n.message.contains("entry name longer than 1 KiB"))
        .unwrap_or_else(|| panic!("no note for the long name: {:?}", b.notes));
    assert!(long.path.starts_with("n1/logs/logs/") && long.path.ends_with('…'));
    assert!(
        long.path.chars().count() < 300,
        "the note shows the name short"
    );
    assert!(has_note(
        &node(&b, "n2").notes,
        &format!("{}x", "logs/".repeat(200)),
        "not part of the bundle layout"
    ));
    let too_deep = format!("{}!a/b/c/d/e/f/g/h/i/logs/dockerd.log", path.display());
    assert!(
        has_note(&b.notes, &too_deep, "looked for only 8 directories deep"),
        "{:?}",
        b.notes
    );
}

#[test]
fn json_files_list_at_most_max_items_objects_with_a_note() {
    let tmp = TempDir::new().unwrap();
    let n = swarmdiag::parse::json::MAX_ITEMS + 1_000;
    // Tasks: the lightest parsed object (~1 KB each), as this test shares its
    // process's peak memory with the bomb test.
    let tasks = format!("[{}]", vec!["{}"; n].join(","));
    let mut files = node_files("node1", "node1");
    files.push(("node1/swarm/tasks.json".into(), tasks.into_bytes()));
    let path = tmp.path().join("items.tar.gz");
    fs::write(&path, tar_bytes(&tar_files(&files), true)).unwrap();
    let (b, _) = read(&[&path]).unwrap();
    let cluster = swarmdiag::model::build(&b.nodes);
    let node1 = &cluster.nodes[0];
    assert_eq!(cluster.cluster_source.as_deref(), Some("node1"));
    assert_eq!(cluster.tasks.len(), swarmdiag::parse::json::MAX_ITEMS);
    assert!(
        node1
            .notes
            .iter()
            .any(|c| c.path == "swarm/tasks.json"
                && c.message.contains("1000 more objects not read")),
        "{:?}",
        node1.notes
    );
}

#[test]
fn long_lines_of_kept_text_files_are_cut_with_a_note() {
    let tmp = TempDir::new().unwrap();
    let rule = format!("-A INPUT {}", "x ".repeat(1 << 20));
    let iptables = format!("*filter\n{rule}\nCOMMIT\n");
    let info = format!(r#"{{"ID":"{}"}}"#, "i".repeat(2 << 20));
    let mut files = vec![
        ("node1/logs/dockerd.log".to_string(), b"x\n".to_vec()),
        ("node1/host/iptables-save.txt".to_string(), iptables.into()),
        // JSON may legitimately sit on one long line: never cut.
        ("node1/docker/info.json".to_string(), info.clone().into()),
    ];
    files.sort();
    let path = tmp.path().join("lines.tar.gz");
    fs::write(&path, tar_bytes(&tar_files(&files), true)).unwrap();
    let (b, _) = read(&[&path]).unwrap();
    let n = node(&b, "node1");
    let kept = String::from_utf8(n.files["host/iptables-save.txt"].clone()).unwrap();
    let kept: Vec<&str> = kept.lines().collect();
    assert_eq!(kept.len(), 3);
    assert_eq!(kept[1], &rule[..1 << 20]);
    assert_eq!(kept[2], "COMMIT");
    assert!(has_note(
        &n.notes,
        "host/iptables-save.txt",
        "1 line(s) longer than 1 MiB (max_line_bytes) were cut, the first at line 2"
    ));
    assert_eq!(n.files["docker/info.json"], info.as_bytes());
}

/// A zip whose central directory lists `names`, each pointing at the one
/// local entry `stored` (stored, uncompressed).
fn zip_with_shared_data(names: &[&str], data: &[u8]) -> Vec<u8> {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    let first = names[0];
    let mut zip = raw_zip(&[(first, 0, data, crc.sum(), data.len() as u32)]);
    // Rebuild the central directory with one record per name, all at offset 0.
    let cd_at = zip.len() - 22 - (46 + first.len());
    let record = zip[cd_at..cd_at + 46].to_vec();
    zip.truncate(cd_at);
    let mut central = Vec::new();
    for name in names {
        let mut r = record.clone();
        r[28..30].copy_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&r);
        central.extend_from_slice(name.as_bytes());
    }
    zip.extend_from_slice(&central);
    zip.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    zip.extend_from_slice(&[0; 4]);
    zip.extend_from_slice(&(names.len() as u16).to_le_bytes());
    zip.extend_from_slice(&(names.len() as u16).to_le_bytes());
    zip.extend_from_slice(&(central.len() as u32).to_le_bytes());
    zip.extend_from_slice(&(cd_at as u32).to_le_bytes());
    zip.extend_from_slice(&0u16.to_le_bytes());
    zip
}

#[test]
fn zip_entries_sharing_their_data_are_read_once() {
    let tmp = TempDir::new().unwrap();
    let log = "level=info msg=\"Starting up\"\n".repeat(100);
    let names = [
        "node0/logs/dockerd.log",
        "node1/logs/dockerd.log",
        "node2/logs/dockerd.log",
    ];
    let path = tmp.path().join("overlap.zip");
    fs::write(&path, zip_with_shared_data(&names, log.as_bytes())).unwrap();
    let (b, lines) = read(&[&path]).unwrap();
    assert_eq!(labels(&b), vec!["node0", "node1", "node2"]);
    assert_eq!(lines.len(), 100);
    assert!(lines.iter().all(|l| l.0 == "node0"));
    for label in ["node1", "node2"] {
        assert!(
            has_note(
                &node(&b, label).notes,
                "logs/dockerd.log",
                "data overlapping another entry"
            ),
            "{:?}",
            node(&b, label).notes
        );
    }
    assert!(node(&b, "node0").notes.is_empty());
}

#[test]
fn duplicate_zip_entries_keep_the_first_with_a_note() {
    let tmp = TempDir::new().unwrap();
    let first = b"time=\"2026-01-01T00:00:00Z\" level=info msg=\"Starting up\"\n";
    let second = b"time=\"2027-02-02T00:00:00Z\" level=info msg=\"Starting up\"\n";
    let crc = |d: &[u8]| {
        let mut c = flate2::Crc::new();
        c.update(d);
        c.sum()
    };
    let zip = raw_zip(&[
        (
            "node1/logs/dockerd.log",
            0,
            first,
            crc(first),
            first.len() as u32,
        ),
        ("node1/docker/info.json", 0, b"{}", crc(b"{}"), 2),
        (
            "node1/logs/dockerd.log",
            0,
            second,
            crc(second),
            second.len() as u32,
        ),
    ]);
    let path = tmp.path().join("dup.zip");
    fs::write(&path, zip).unwrap();
    let (b, lines) = read(&[&path]).unwrap();
    assert_eq!(lines.len(), 1);
    assert!(lines[0].3.contains("2026-01-01"), "{lines:?}");
    let n = node(&b, "node1");
    assert!(has_note(
        &n.notes,
        "logs/dockerd.log",
        "duplicate entry; the first one was used"
    ));
    assert_eq!(n.files["docker/info.json"], b"{}");
}

#[cfg(unix)]
#[test]
fn hard_links_in_a_directory_bundle_are_not_read() {
    let tmp = TempDir::new().unwrap();
    let outside = tmp.path().join("outside.log");
    fs::write(&outside, "level=info msg=\"secret outside the bundle\"\n").unwrap();
    let dir = tmp.path().join("bundle");
    write_dir(&dir, &node_files("node1", "node1"));
    fs::remove_file(dir.join("node1/logs/kernel.log")).unwrap();
    fs::hard_link(&outside, dir.join("node1/logs/kernel.log")).unwrap();
    let (b, lines) = read(&[&dir]).unwrap();
    assert!(lines.iter().all(|l| !l.3.contains("secret")));
    let n = node(&b, "node1");
    assert!(!n.logs.contains_key("logs/kernel.log"));
    assert!(has_note(
        &n.notes,
        "logs/kernel.log",
        "hard link to a file with 2 names; not followed"
    ));
}

#[test]
fn tar_header_errors_are_one_line_with_control_characters_escaped() {
    let tmp = TempDir::new().unwrap();
    let mut h = vec![0u8; 512];
    let name = b"node1/logs/x\nFAKE: second line \x1b[31mred";
    h[..name.len()].copy_from_slice(name);
    h[100..108].copy_from_slice(b"0000644\0");
    h[124..136].copy_from_slice(b"00000000000\0");
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"zzzzzzz\0"); // checksum not a number
    h.extend_from_slice(&[0; 1024]);
    let path = tmp.path().join("badhdr.tar");
    fs::write(&path, h).unwrap();
    let err = read(&[&path]).unwrap_err().to_string();
    assert!(!err.contains('\n') && !err.contains('\x1b'), "{err:?}");
    assert!(
        err.contains("node1/logs/x\\nFAKE: second line \\u{1b}[31mred"),
        "{err}"
    );
}

/// Zip entry names that are not valid UTF-8 are refused with a note, as
/// docs/limits.md says, whether or not the entry claims UTF-8 (issue 12:
/// the zip crate decoded them, as CP437 or lossily).
#[test]
fn issue12_zip_names_that_are_not_utf8_are_refused() {
    let tmp = TempDir::new().unwrap();
    let mut files = node_files("node1", "node1");
    // Placeholders patched to invalid bytes after writing: an ASCII one (no
    // UTF-8 flag, so read as CP437) and a non-ASCII one (UTF-8 flag set).
    files.push(("node1/logs/QQQQ.log".into(), b"cp437 name\n".to_vec()));
    files.push((
        "node1/logs/\u{e9}\u{e9}.log".into(),
        b"flagged name\n".to_vec(),
    ));
    let zip = tmp.path().join("b.zip");
    write_zip(&zip, &files);
    let mut bytes = fs::read(&zip).unwrap();
    let patch = |bytes: &mut Vec<u8>, from: &[u8], to: &[u8]| {
        let mut n = 0;
        while let Some(i) = bytes.windows(from.len()).position(|w| w == from) {
            bytes[i..i + from.len()].copy_from_slice(to);
            n += 1;
        }
        assert_eq!(n, 2, "local and central name");
    };
    patch(&mut bytes, b"QQQQ", b"\xffQ\xfeQ");
    patch(&mut bytes, "\u{e9}\u{e9}".as_bytes(), b"\xff\xfe\xff\xfe");
    fs::write(&zip, &bytes).unwrap();
    let (b, lines) = read(&[&zip]).unwrap();
    let refused: Vec<_> = b
        .notes
        .iter()
        .filter(|n| n.message.contains("not UTF-8"))
        .collect();
    assert_eq!(refused.len(), 2, "{:#?}", b.notes);
    assert!(lines.iter().all(|l| !l.3.contains("name")), "{lines:?}");
    let n = &b.nodes[0];
    assert!(n.logs.keys().all(|k| k.is_ascii()), "{:?}", n.logs.keys());
}
