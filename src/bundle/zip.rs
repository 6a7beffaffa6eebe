/*!
Walks a zip archive through its central directory, entry by entry. When the
central directory is missing or damaged (an archive cut in half), falls back
to reading the local headers front to back and keeps what it can reach.
Entry content is checked against its declared size while it inflates.
*/

use std::io::{self, Read, Seek, SeekFrom};

use ::zip::read::{read_zipfile_from_stream, ZipArchive, ZipFile};
use ::zip::CompressionMethod;

use super::walk::{DeclaredSize, Entry, EntryKind, Flow, Visit, Walked};

const S_IFMT: u32 = 0o170_000;

pub(crate) fn walk<R: Read + Seek>(mut reader: R, v: &mut dyn Visit) -> Result<Walked, String> {
    let central_error = match ZipArchive::new(&mut reader) {
        Ok(mut archive) => return Ok(walk_central(&mut archive, v)),
        Err(e) => e.to_string(),
    };
    reader.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    let walked = walk_stream(&mut reader, v);
    if walked.entries == 0 {
        return Err(format!("not a readable zip archive ({central_error})"));
    }
    let mut problems = vec![format!(
        "zip central directory is missing or damaged ({central_error}); \
         entries were read from their local headers"
    )];
    problems.extend(walked.problems);
    Ok(Walked {
        entries: walked.entries,
        problems,
    })
}

fn walk_central<R: Read + Seek>(archive: &mut ZipArchive<R>, v: &mut dyn Visit) -> Walked {
    let mut walked = Walked::default();
    for i in 0..archive.len() {
        walked.entries += 1;
        let name = archive
            .name_for_index(i)
            .unwrap_or_default()
            .replace('\\', "/");
        let (kind, size) = match archive.by_index_raw(i) {
            Ok(raw) => (kind_of(&raw), raw.size()),
            Err(e) => (EntryKind::Unreadable(e.to_string()), 0),
        };
        let kind = match kind {
            EntryKind::Symlink(_) => EntryKind::Symlink(link_target(archive, i)),
            other => other,
        };
        let flow = if kind == EntryKind::File {
            match archive.by_index(i) {
                Ok(file) => {
                    let mut data = DeclaredSize {
                        inner: file,
                        left: size,
                    };
                    v.entry(entry(&name, kind, size, &mut data))
                }
                Err(e) => {
                    let kind = EntryKind::Unreadable(e.to_string());
                    v.entry(entry(&name, kind, size, &mut io::empty()))
                }
            }
        } else {
            v.entry(entry(&name, kind, size, &mut io::empty()))
        };
        if flow == Flow::Stop {
            break;
        }
    }
    walked
}

fn walk_stream<R: Read>(reader: &mut R, v: &mut dyn Visit) -> Walked {
    let mut walked = Walked::default();
    loop {
        let file = match read_zipfile_from_stream(reader) {
            Ok(Some(file)) => file,
            Ok(None) => break,
            Err(e) => {
                if walked.entries > 0 {
                    walked.problems.push(format!(
                        "archive is cut or damaged after {} entries ({e}); later entries are missing",
                        walked.entries
                    ));
                }
                break;
            }
        };
        walked.entries += 1;
        let name = file.name().replace('\\', "/");
        let size = file.size();
        let kind = kind_of(&file);
        let mut data = DeclaredSize {
            inner: file,
            left: size,
        };
        if v.entry(entry(&name, kind, size, &mut data)) == Flow::Stop {
            break;
        }
    }
    walked
}

fn entry<'a>(name: &'a str, kind: EntryKind, size: u64, data: &'a mut dyn Read) -> Entry<'a> {
    Entry {
        name: name.as_bytes(),
        kind,
        size,
        sequential: false,
        disk_path: None,
        data,
    }
}

fn kind_of<R: Read>(file: &ZipFile<'_, R>) -> EntryKind {
    if file.is_dir() {
        return EntryKind::Dir;
    }
    match file.unix_mode().map(|m| m & S_IFMT) {
        Some(0o120_000) => return EntryKind::Symlink(String::new()),
        Some(0o010_000) => return EntryKind::Special("fifo"),
        Some(0o020_000) => return EntryKind::Special("character device"),
        Some(0o060_000) => return EntryKind::Special("block device"),
        Some(0o140_000) => return EntryKind::Special("socket"),
        _ => {}
    }
    if file.encrypted() {
        return EntryKind::Unreadable("encrypted".to_string());
    }
    match file.compression() {
        CompressionMethod::Stored | CompressionMethod::Deflated => EntryKind::File,
        other => EntryKind::Unreadable(format!("compression method {other:?} is not supported")),
    }
}

/// A symlink entry's content is its target; read a little of it for the note.
fn link_target<R: Read + Seek>(archive: &mut ZipArchive<R>, i: usize) -> String {
    let mut target = Vec::new();
    if let Ok(file) = archive.by_index(i) {
        let _ = file.take(1024).read_to_end(&mut target);
    }
    super::path::display(&target)
}
