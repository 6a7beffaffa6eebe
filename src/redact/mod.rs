//! `swarmdiag redact`: a copy of a bundle set with host and domain names, addresses and MACs (optionally service, network and image names) replaced by consistent, subnet-preserving pseudonyms.
//!
//! The inputs are read the way `analyze` reads them (same reader, same
//! limits, nothing extracted); every file the analyzer would read, logs
//! included, and every path is rewritten with one mapping for the whole set,
//! and written as one archive holding a root per node. Files the analyzer
//! does not read are not carried over. The map from original values to
//! pseudonyms goes to its own file, never into the output.

mod ip;
mod text;

pub use text::Redactor;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::bundle::{self, Limits, SourceKind};
use crate::error::{Error, Result};
use crate::parse;

/// What `redact` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    pub inputs: Vec<PathBuf>,
    /// `.zip`, `.tar.gz` or `.tgz`.
    pub out: PathBuf,
    pub map: Option<PathBuf>,
    /// Also rename services, networks and images.
    pub names: bool,
}

/// What was written.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub nodes: usize,
    pub files: usize,
    /// Coverage notes of the reading: files not carried over.
    pub skipped: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArchiveKind {
    Zip,
    TarGz,
}

fn archive_kind(out: &Path) -> Result<ArchiveKind> {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.ends_with(".zip") {
        Ok(ArchiveKind::Zip)
    } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        Ok(ArchiveKind::TarGz)
    } else {
        Err(Error::Usage(format!(
            "{}: --out must end in .zip, .tar.gz or .tgz",
            out.display()
        )))
    }
}

/// One node's files as they will be written: path -> content.
type NodeFiles = BTreeMap<String, Vec<u8>>;

/// Reads, learns, rewrites and writes; see the module doc.
pub fn redact(opts: &Options) -> Result<Summary> {
    let kind = archive_kind(&opts.out)?;
    let inputs: Vec<&Path> = opts.inputs.iter().map(PathBuf::as_path).collect();
    crate::output::refuse_overwriting("--out", &opts.out, &inputs)?;
    if let Some(map) = &opts.map {
        crate::output::refuse_overwriting("--map", map, &inputs)?;
        if map
            .canonicalize()
            .ok()
            .is_some_and(|m| Some(m) == opts.out.canonicalize().ok())
            || map == &opts.out
        {
            return Err(Error::Usage("--map and --out name the same file".into()));
        }
    }

    // Read everything, logs rebuilt from their lines.
    let mut logs: BTreeMap<(String, String), Vec<u8>> = BTreeMap::new();
    let read = bundle::read_bundles(&opts.inputs, &Limits::default(), &mut |l| {
        let buf = logs
            .entry((l.node.to_string(), l.path.to_string()))
            .or_default();
        buf.extend_from_slice(l.text.as_bytes());
        buf.push(b'\n');
    })?;
    let mut nodes: Vec<(String, NodeFiles)> = Vec::new();
    let mut skipped = read.notes.len();
    // A sosreport names its node in its directory name (before its
    // `etc/hostname`), which the copy (a bundle, not a sosreport) does not
    // carry the same way: the name the analyzer gives the node goes into
    // `host/hostname.txt`, redacted like every other file.
    let model = crate::model::build(&read.nodes);
    for n in &read.nodes {
        skipped += n.notes.len();
        let mut files: NodeFiles = n.files.clone();
        if n.flavor == bundle::Flavor::Sosreport {
            if let Some(state) = model.nodes.iter().find(|s| s.label == n.label) {
                files.insert(
                    "host/hostname.txt".into(),
                    format!("{}\n", state.hostname).into_bytes(),
                );
            }
        }
        for path in n.logs.keys() {
            let text = logs
                .remove(&(n.label.clone(), path.clone()))
                .unwrap_or_default();
            // Compressed rotated logs were read decompressed.
            let path = path.strip_suffix(".gz").unwrap_or(path).to_string();
            files.insert(path, text);
        }
        nodes.push((n.label.clone(), files));
    }

    let mut r = Redactor::new(opts.names);
    for (label, files) in &nodes {
        r.learn_text(label);
        for (path, bytes) in files {
            let text = String::from_utf8_lossy(bytes);
            r.learn_text(path);
            r.learn_text(&text);
            learn_names(&mut r, path, &text);
        }
    }
    r.finish();

    let mut out_nodes: Vec<(String, NodeFiles)> = Vec::new();
    let mut count = 0;
    for (label, files) in &nodes {
        let label = r.rewrite_text(label);
        let mut out = NodeFiles::new();
        for (path, bytes) in files {
            let text = String::from_utf8_lossy(bytes);
            out.insert(r.rewrite_text(path), r.rewrite_text(&text).into_bytes());
            count += 1;
        }
        out_nodes.push((label, out));
    }
    let bytes = match kind {
        ArchiveKind::Zip => write_zip(&out_nodes),
        ArchiveKind::TarGz => write_tar_gz(&out_nodes),
    }
    .map_err(|source| Error::Io {
        path: opts.out.clone(),
        source,
    })?;
    crate::output::write_atomic(&opts.out, &bytes)?;
    if let Some(map) = &opts.map {
        let mut text = serde_json::to_string_pretty(&r.map_json()).unwrap_or_default();
        text.push('\n');
        crate::output::write_atomic(map, text.as_bytes())?;
    }
    Ok(Summary {
        nodes: out_nodes.len(),
        files: count,
        skipped,
    })
}

/// Host names from the manifest, `docker info`, log prefixes and the swarm's node list;
/// with `--names`, service, network and image names.
fn learn_names(r: &mut Redactor, path: &str, text: &str) {
    // A journald or syslog prefix names the host on every line of a log,
    // the only place a logs-only bundle names it.
    if path == "logs/dockerd.log" {
        let ctx = parse::log::LogContext {
            year: 1970,
            collected_at: None,
        };
        let mut last = String::new();
        for line in text.lines() {
            let host = parse::log::parse_line(line, &ctx)
                .filter(|rec| {
                    rec.program.as_deref().is_some_and(|p| {
                        ["dockerd", "docker", "containerd", "systemd"]
                            .iter()
                            .any(|d| p.starts_with(d))
                    })
                })
                .and_then(|rec| rec.host);
            if let Some(h) = host {
                if h != last {
                    r.learn_host(&h);
                    last = h;
                }
            }
        }
    }
    match bundle::classify(path) {
        SourceKind::Manifest => {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(text.trim()) {
                if let Some(h) = v["hostname"].as_str() {
                    r.learn_host(h);
                }
            }
        }
        SourceKind::DockerInfo => {
            if let Ok(i) = parse::info::parse(text) {
                r.learn_host(&i.name);
            }
        }
        // A sosreport's `docker info` is text, and its host name is a file.
        SourceKind::DockerInfoText => {
            if let Ok(i) = parse::info_text::parse(text) {
                r.learn_host(&i.name);
            }
        }
        SourceKind::HostHostname => r.learn_host(text.trim()),
        SourceKind::SwarmNodes => {
            if let Ok(b) = parse::node::parse(text) {
                for n in b.items {
                    r.learn_host(&n.hostname);
                }
            }
        }
        SourceKind::SwarmServices => {
            if let Ok(b) = parse::service::parse(text) {
                for s in b.items {
                    r.learn_name("service", &s.name);
                    r.learn_name("image", &s.image);
                }
            }
        }
        SourceKind::SwarmNetworks => {
            if let Ok(b) = parse::network::parse(text) {
                for n in b.items {
                    r.learn_name("network", &n.name);
                }
            }
        }
        _ => {}
    }
}

/// Fixed entry times, so the same input gives the same bytes.
fn write_zip(nodes: &[(String, NodeFiles)]) -> std::io::Result<Vec<u8>> {
    let mut w = ::zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = ::zip::write::SimpleFileOptions::default()
        .compression_method(::zip::CompressionMethod::Deflated)
        .last_modified_time(::zip::DateTime::default())
        .unix_permissions(0o644);
    for (label, files) in nodes {
        for (path, bytes) in files {
            w.start_file(format!("{label}/{path}"), opts)
                .map_err(std::io::Error::other)?;
            w.write_all(bytes)?;
        }
    }
    Ok(w.finish().map_err(std::io::Error::other)?.into_inner())
}

fn write_tar_gz(nodes: &[(String, NodeFiles)]) -> std::io::Result<Vec<u8>> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut t = tar::Builder::new(gz);
    for (label, files) in nodes {
        for (path, bytes) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(bytes.len() as u64);
            h.set_mode(0o644);
            h.set_mtime(0);
            h.set_entry_type(tar::EntryType::Regular);
            t.append_data(&mut h, format!("{label}/{path}"), bytes.as_slice())?;
        }
    }
    t.into_inner()?.finish()
}
