/*!
Walks a directory tree in sorted order without following symbolic links:
a link is reported as a link (and skipped by the visitor), never opened or
descended into, so a bundle cannot reach files outside its tree. A file with
more than one name (a hard link) is reported as a hard link too: its other
name may be outside the tree.
*/

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::walk::{Entry, EntryKind, Flow, Visit, Walked};

/// Directory levels walked at most; deeper trees are cut with a problem note.
const MAX_DEPTH: usize = 64;

pub(crate) fn walk(root: &Path, v: &mut dyn Visit) -> Walked {
    let mut walked = Walked::default();
    walk_dir(root, &mut Vec::new(), 0, v, &mut walked);
    walked
}

fn walk_dir(
    dir: &Path,
    rel: &mut Vec<u8>,
    depth: usize,
    v: &mut dyn Visit,
    walked: &mut Walked,
) -> Flow {
    let mut children: Vec<(Vec<u8>, PathBuf)> = match fs::read_dir(dir) {
        Ok(read) => read
            .filter_map(|e| e.ok())
            .map(|e| (name_bytes(&e.file_name()), e.path()))
            .collect(),
        Err(e) if rel.is_empty() => {
            walked.problems.push(format!("directory not readable: {e}"));
            return Flow::Continue;
        }
        Err(e) => {
            let kind = EntryKind::Unreadable(format!("directory not readable: {e}"));
            return visit(v, walked, rel, kind, 0, None);
        }
    };
    children.sort();
    for (name, path) in children {
        let len = rel.len();
        if !rel.is_empty() {
            rel.push(b'/');
        }
        rel.extend_from_slice(&name);
        let flow = match fs::symlink_metadata(&path) {
            Err(e) => visit(
                v,
                walked,
                rel,
                EntryKind::Unreadable(e.to_string()),
                0,
                None,
            ),
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::read_link(&path)
                    .map(|t| super::path::display(&name_bytes(t.as_os_str())))
                    .unwrap_or_else(|_| "?".to_string());
                visit(v, walked, rel, EntryKind::Symlink(target), 0, None)
            }
            Ok(meta) if meta.is_dir() => {
                let flow = visit(v, walked, rel, EntryKind::Dir, 0, None);
                if flow == Flow::Stop {
                    Flow::Stop
                } else if depth + 1 >= MAX_DEPTH {
                    walked.problems.push(format!(
                        "directories nested deeper than {MAX_DEPTH} levels were not read"
                    ));
                    Flow::Continue
                } else {
                    walk_dir(&path, rel, depth + 1, v, walked)
                }
            }
            Ok(meta) if meta.is_file() && links(&meta) > 1 => {
                let what = format!("a file with {} names", links(&meta));
                visit(v, walked, rel, EntryKind::Hardlink(what), 0, None)
            }
            Ok(meta) if meta.is_file() => {
                visit(v, walked, rel, EntryKind::File, meta.len(), Some(&path))
            }
            Ok(_) => visit(
                v,
                walked,
                rel,
                EntryKind::Special("not a regular file"),
                0,
                None,
            ),
        };
        rel.truncate(len);
        if flow == Flow::Stop {
            return Flow::Stop;
        }
    }
    Flow::Continue
}

fn visit(
    v: &mut dyn Visit,
    walked: &mut Walked,
    name: &[u8],
    kind: EntryKind,
    size: u64,
    disk_path: Option<&Path>,
) -> Flow {
    walked.entries += 1;
    let mut data = LazyFile {
        path: disk_path,
        file: None,
    };
    v.entry(Entry {
        name,
        kind,
        size,
        sequential: false,
        disk_path,
        data: &mut data,
    })
}

/// Opens the file only if the visitor reads it.
struct LazyFile<'p> {
    path: Option<&'p Path>,
    file: Option<File>,
}

impl Read for LazyFile<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.file.is_none() {
            match self.path {
                Some(path) => self.file = Some(File::open(path)?),
                None => return Ok(0),
            }
        }
        match self.file.as_mut() {
            Some(file) => file.read(buf),
            None => Ok(0),
        }
    }
}

/// How many names (directory entries) the file has.
#[cfg(unix)]
fn links(meta: &fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.nlink()
}

#[cfg(not(unix))]
fn links(_: &fs::Metadata) -> u64 {
    1
}

#[cfg(unix)]
fn name_bytes(name: &std::ffi::OsStr) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    name.as_bytes().to_vec()
}

#[cfg(not(unix))]
fn name_bytes(name: &std::ffi::OsStr) -> Vec<u8> {
    name.to_string_lossy().replace('\\', "/").into_bytes()
}
