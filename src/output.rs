//! Where results are written: an output path that would land on an input is refused, and files are written atomically.
//!
//! An engineer's `--output` (or `redact --out`/`--map`) must never change a
//! customer's bundle: not the archive itself, not a file inside an input
//! directory or cluster directory (a new file there would even be read as
//! part of the bundle next time), not a hard link of any input file, and not
//! through a symlink onto one. Writing goes to a temporary file in the
//! output's directory that is renamed over the output, so a failed run
//! leaves no half-written file and a symlink at the output is replaced, not
//! written through.

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Refuses `output` when it resolves into any of `inputs` or is a hard link
/// of an input file. `flag` names the option in the message.
pub fn refuse_overwriting(flag: &str, output: &Path, inputs: &[&Path]) -> Result<()> {
    let refuse = |what: String| {
        Err(Error::Usage(format!(
            "{}: {flag} {what}; choose a file outside the input bundles",
            output.display()
        )))
    };
    // The directory entry that will be replaced, and what it points to now.
    let entry = entry_path(output);
    let target = output.canonicalize().ok();
    let out_id = std::fs::metadata(output)
        .ok()
        .map(|m| (m.dev(), m.ino(), m.nlink()));
    for input in inputs {
        let Ok(inp) = input.canonicalize() else {
            continue;
        };
        for o in entry.iter().chain(target.iter()) {
            if *o == inp {
                return refuse("is an input bundle".into());
            }
            if o.starts_with(&inp) && inp.is_dir() {
                return refuse(format!("is inside input bundle {}", input.display()));
            }
        }
        let Some((dev, ino, nlink)) = out_id else {
            continue;
        };
        let Ok(meta) = std::fs::metadata(&inp) else {
            continue;
        };
        if meta.is_file() && (meta.dev(), meta.ino()) == (dev, ino) {
            return refuse(format!(
                "is a hard link of input bundle {}",
                input.display()
            ));
        }
        if meta.is_dir() && nlink > 1 {
            if let Some(f) = find_inode(&inp, dev, ino) {
                return refuse(format!(
                    "is a hard link of {} in an input bundle",
                    f.display()
                ));
            }
        }
    }
    Ok(())
}

/// `path` with its directory resolved (symlinks, `..`) but its last
/// component kept as is: the entry a rename replaces.
fn entry_path(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Some(parent.canonicalize().ok()?.join(name))
}

/// A file under `dir` (symlinks not followed) with this device and inode.
fn find_inode(dir: &Path, dev: u64, ino: u64) -> Option<PathBuf> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let Ok(m) = e.path().symlink_metadata() else {
                continue;
            };
            if m.is_dir() {
                stack.push(e.path());
            } else if m.is_file() && (m.dev(), m.ino()) == (dev, ino) {
                return Some(e.path());
            }
        }
    }
    None
}

/// Writes `bytes` to `path` atomically: a temporary file in the same
/// directory, flushed, then renamed over `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".swarmdiag-")
        .tempfile_in(dir)
        .map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sibling_with_a_common_prefix_is_not_inside() {
        let tmp = tempfile::tempdir().unwrap();
        let node = tmp.path().join("node");
        std::fs::create_dir(&node).unwrap();
        let out = tmp.path().join("node-report.txt");
        assert!(refuse_overwriting("--output", &out, &[&node]).is_ok());
        assert!(refuse_overwriting("--output", &node.join("x"), &[&node]).is_err());
    }

    #[test]
    fn write_atomic_replaces_and_leaves_no_temporary() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("r.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }
}
