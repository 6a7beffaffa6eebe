//! `swarmdiag redact` on every testdata set: the redacted copy gives the
//! same diagnosis (ids, severities, counts, nodes; subjects, details and
//! node names mapped back through the map), and no original address, MAC
//! or host name is left anywhere in it, file names included.

use super::{bin, testdata};
use aho_corasick::{AhoCorasickBuilder, MatchKind};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

fn analyze(path: &Path) -> Value {
    let out = bin()
        .arg("analyze")
        .arg(path)
        .args(["--format", "json", "--fail-on", "critical"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{path:?}: {e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// Every (pseudonym -> original) of the map.
fn reverse(map: &Value) -> BTreeMap<String, String> {
    let mut r = BTreeMap::new();
    for section in ["addresses", "macs", "names"] {
        for (orig, fake) in map[section].as_object().unwrap() {
            r.insert(fake.as_str().unwrap().to_string(), orig.clone());
        }
    }
    r
}

/// Replaces whole-word occurrences of the keys of `pairs` (longest first).
fn replace_words(text: &str, pairs: &BTreeMap<String, String>) -> String {
    let keys: Vec<&String> = pairs.keys().collect();
    let ac = AhoCorasickBuilder::new()
        .match_kind(MatchKind::LeftmostLongest)
        .build(&keys)
        .unwrap();
    let b = text.as_bytes();
    let mut out = String::new();
    let mut at = 0;
    for m in ac.find_iter(text) {
        let before = m.start().checked_sub(1).map(|i| b[i]);
        let after = b.get(m.end()).copied();
        let word = |c: Option<u8>| c.is_some_and(|c| c.is_ascii_alphanumeric());
        if word(before) || word(after) {
            continue;
        }
        out.push_str(&text[at..m.start()]);
        out.push_str(&pairs[keys[m.pattern().as_usize()]]);
        at = m.end();
    }
    out.push_str(&text[at..]);
    out
}

/// The diagnosis of a report, comparable across a redaction: one line per
/// finding (id, severity, count, nodes, subject, detail), sorted.
fn diagnosis(report: &Value, unmap: Option<&BTreeMap<String, String>>) -> Vec<String> {
    let fix = |s: String| match unmap {
        Some(m) => replace_words(&s, m),
        None => s,
    };
    let mut out: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |v: &Value| v.as_str().unwrap_or("-").to_string();
            let nodes: Vec<String> = f["nodes"].as_array().unwrap().iter().map(s).collect();
            fix(format!(
                "{} {} count={} nodes={} subject={} detail={}",
                s(&f["id"]),
                s(&f["severity"]),
                f["count"],
                nodes.join(","),
                s(&f["subject"]),
                s(&f["detail"])
            ))
        })
        .collect();
    out.sort();
    out
}

/// Every entry of a zip or tar.gz: (name, content).
fn entries(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    if path.extension().is_some_and(|e| e == "zip") {
        let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
        for i in 0..z.len() {
            let mut f = z.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            out.push((f.name().to_string(), data));
        }
    } else {
        let gz = flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap());
        let mut t = tar::Archive::new(gz);
        for e in t.entries().unwrap() {
            let mut e = e.unwrap();
            let name = e.path().unwrap().to_string_lossy().into_owned();
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            out.push((name, data));
        }
    }
    out
}

/// IPv4 addresses and MACs found in the files of a bundle directory by a
/// plain pattern, except the ones redact keeps on purpose.
fn raw_addresses(dir: &Path) -> std::collections::BTreeSet<String> {
    let v4 = regex::Regex::new(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b").unwrap();
    let mac = regex::Regex::new(r"\b[0-9a-f]{2}(:[0-9a-f]{2}){5}\b").unwrap();
    let mut out = std::collections::BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
            for m in v4.find_iter(&text) {
                let Ok(ip) = m.as_str().parse::<std::net::Ipv4Addr>() else {
                    continue;
                };
                let first = ip.octets()[0];
                if first != 0 && first != 127 && first < 224 {
                    out.insert(m.as_str().to_string());
                }
            }
            for m in mac.find_iter(&text) {
                let first = u8::from_str_radix(&m.as_str()[..2], 16).unwrap();
                if first & 1 == 0 && m.as_str() != "00:00:00:00:00:00" {
                    out.insert(m.as_str().to_string());
                }
            }
        }
    }
    out
}

fn sets() -> Vec<std::path::PathBuf> {
    let mut sets = Vec::new();
    for dir in ["bundles", "lab", "sos"] {
        for e in std::fs::read_dir(testdata(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                sets.push(p);
            }
        }
    }
    sets.sort();
    sets
}

#[test]
fn redact_round_trips_every_testdata_set_with_the_same_diagnosis() {
    let tmp = tempfile::tempdir().unwrap();
    let sets = sets();
    assert!(sets.len() >= 14, "{sets:?}");
    for (i, set) in sets.iter().enumerate() {
        let name = set.file_name().unwrap().to_string_lossy().into_owned();
        let ext = if i % 2 == 0 { "zip" } else { "tar.gz" };
        let out = tmp.path().join(format!("{name}.{ext}"));
        let map_path = tmp.path().join(format!("{name}.map.json"));
        let o = bin()
            .arg("redact")
            .arg(set)
            .arg("--out")
            .arg(&out)
            .arg("--map")
            .arg(&map_path)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let map: Value = serde_json::from_slice(&std::fs::read(&map_path).unwrap()).unwrap();
        let back = reverse(&map);

        let before = analyze(set);
        let after = analyze(&out);
        assert_eq!(
            before["cluster"]["nodes"].as_array().unwrap().len(),
            after["cluster"]["nodes"].as_array().unwrap().len(),
            "{name}: node count"
        );
        for k in ["services", "tasks", "networks"] {
            assert_eq!(before["cluster"][k], after["cluster"][k], "{name}: {k}");
        }
        assert_eq!(
            diagnosis(&before, None),
            diagnosis(&after, Some(&back)),
            "{name}: same findings modulo renamed values"
        );

        // Nothing original is left, in contents or names; no pseudonym is
        // an original value.
        let mut originals: BTreeMap<String, String> = BTreeMap::new();
        for section in ["addresses", "macs", "names"] {
            for (orig, fake) in map[section].as_object().unwrap() {
                originals.insert(orig.clone(), String::new());
                assert!(
                    !map[section]
                        .as_object()
                        .unwrap()
                        .contains_key(fake.as_str().unwrap()),
                    "{name}: pseudonym {fake} is also an original"
                );
            }
        }
        assert!(!map["addresses"].as_object().unwrap().is_empty(), "{name}");
        // Host names are learned from every kind of input, sosreports (text
        // `docker info`, `etc/hostname`) included.
        assert!(
            !map["names"].as_object().unwrap().is_empty(),
            "{name}: no host name learned"
        );
        // Independently of the map: no IPv4 address or MAC of the input
        // (other than loopback, unspecified, multicast and masks) is left.
        for raw in raw_addresses(set) {
            originals.insert(raw, String::new());
        }
        let ents = entries(&out);
        assert!(!ents.is_empty());
        for (entry, data) in &ents {
            for text in [entry.clone(), String::from_utf8_lossy(data).into_owned()] {
                let stripped = replace_words(&text, &originals);
                if stripped != text {
                    let first = originals
                        .keys()
                        .find(|o| {
                            replace_words(&text, &BTreeMap::from([((*o).clone(), String::new())]))
                                != text
                        })
                        .unwrap();
                    panic!("{name}: original {first:?} left in {entry}");
                }
            }
        }
        // The map is not in the output.
        assert!(ents.iter().all(|(n, _)| !n.contains("map")));
    }
}

/// `--out` must say its format, and must not land on an input.
#[test]
fn redact_refuses_unknown_formats_and_outputs_inside_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let set = testdata("bundles/partial-logs-only");
    let o = bin()
        .arg("redact")
        .arg(&set)
        .arg("--out")
        .arg(tmp.path().join("x.rar"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains(".zip, .tar.gz"));
    let o = bin()
        .arg("redact")
        .arg(&set)
        .arg("--out")
        .arg(set.join("logs/x.zip"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(!set.join("logs/x.zip").exists());
}

/// Two runs give the same bytes.
#[test]
fn redact_is_deterministic() {
    let tmp = tempfile::tempdir().unwrap();
    let set = testdata("lab/healthy");
    let run = |n: &str| {
        let out = tmp.path().join(n);
        let o = bin()
            .arg("redact")
            .arg(&set)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success());
        std::fs::read(out).unwrap()
    };
    assert_eq!(run("a.tar.gz"), run("b.tar.gz"));
}
