/*!
Walks a zip archive through its central directory, entry by entry. When the
central directory is missing or damaged (an archive cut in half), falls back
to reading the local headers front to back and keeps what it can reach.
Entry content is checked against its declared size while it inflates.

Two tricks of hostile zips are undone here. Entries whose data overlap (the
central directory points many entries at one deflate stream, reaching
50 000:1 where deflate alone stops near 1 032:1) are refused but the first.
Entries sharing a name, which the `zip` crate collapses into the last one,
are found by reading the central directory again: the first copy is read
from its local header and the others are passed on as duplicates.
*/

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, BufReader, Read, Seek, SeekFrom};

use ::zip::read::{read_zipfile_from_stream, ZipArchive, ZipFile};
use ::zip::CompressionMethod;

use super::walk::{DeclaredSize, Entry, EntryKind, Flow, Visit, Walked};

const S_IFMT: u32 = 0o170_000;

pub(crate) fn walk<R: Read + Seek>(mut reader: R, v: &mut dyn Visit) -> Result<Walked, String> {
    let central_error = match ZipArchive::new(&mut reader) {
        Ok(archive) => return Ok(walk_central(archive, v)),
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

fn walk_central<R: Read + Seek>(mut archive: ZipArchive<&mut R>, v: &mut dyn Visit) -> Walked {
    let mut walked = Walked::default();
    let overlapping = overlapping(&mut archive);
    let cd_start = archive.central_directory_start();
    let archive_offset = archive.offset();
    let records = {
        let reader = archive.into_inner();
        let records = central_records(reader, cd_start, archive_offset);
        match ZipArchive::new(reader) {
            Ok(again) => {
                archive = again;
                records
            }
            Err(e) => {
                walked
                    .problems
                    .push(format!("zip archive not readable twice ({e})"));
                return walked;
            }
        }
    };
    let dups = duplicates(&records);
    // Collapsed names met in the walk: (first record, copies, name).
    let mut collapsed: Vec<(usize, usize, Vec<u8>)> = Vec::new();
    for i in 0..archive.len() {
        walked.entries += 1;
        let fallback = slashes(archive.name_for_index(i).unwrap_or_default().as_bytes());
        let (name, kind, size, central) = match archive.by_index_raw(i) {
            Ok(raw) => (
                slashes(raw.name_raw()),
                kind_of(&raw),
                raw.size(),
                raw.central_header_start(),
            ),
            Err(e) => (fallback, EntryKind::Unreadable(e.to_string()), 0, 0),
        };
        if let Some(&(first, copies)) = dups.get(&central) {
            walked.entries += copies - 1;
            collapsed.push((first, copies, name));
            continue;
        }
        let kind = match kind {
            EntryKind::Symlink(_) => EntryKind::Symlink(link_target(&mut archive, i)),
            EntryKind::File if overlapping.contains(&i) => EntryKind::Unreadable(OVERLAP.into()),
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
            return walked;
        }
    }
    // The crate keeps the last copy of a name: read the first one from its
    // local header, then pass the others on, unread, as duplicates.
    let taken = archive_ranges(&mut archive, &overlapping);
    let reader = archive.into_inner();
    for (first, copies, name) in collapsed {
        let Some(record) = records.get(first) else {
            continue;
        };
        let flow = first_copy(reader, record, &taken, &name, v);
        if flow == Flow::Stop {
            return walked;
        }
        for _ in 1..copies {
            if v.entry(entry(&name, EntryKind::File, 0, &mut io::empty())) == Flow::Stop {
                return walked;
            }
        }
    }
    walked
}

const OVERLAP: &str = "data overlapping another entry, a zip bomb trick";

/// Archive indices of entries whose bytes (local header and data) overlap
/// those of an entry starting before them (or at the same place, earlier in
/// the central directory). Honest zips never overlap.
fn overlapping<R: Read + Seek>(archive: &mut ZipArchive<R>) -> BTreeSet<usize> {
    let mut ranges: Vec<(u64, u64, usize)> = (0..archive.len())
        .filter_map(|i| {
            let raw = archive.by_index_raw(i).ok()?;
            let end = raw.data_start().saturating_add(raw.compressed_size());
            Some((raw.header_start(), end, i))
        })
        .collect();
    ranges.sort_unstable();
    let mut refused = BTreeSet::new();
    let mut end_so_far = 0;
    for (start, end, i) in ranges {
        if start < end_so_far {
            refused.insert(i);
        } else {
            end_so_far = end;
        }
    }
    refused
}

/// Byte ranges of the entries read from the archive, to check a first copy
/// read from its local header against them.
fn archive_ranges<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    refused: &BTreeSet<usize>,
) -> Vec<(u64, u64)> {
    (0..archive.len())
        .filter(|i| !refused.contains(i))
        .filter_map(|i| {
            let raw = archive.by_index_raw(i).ok()?;
            let end = raw.data_start().saturating_add(raw.compressed_size());
            Some((raw.header_start(), end))
        })
        .collect()
}

/// Reads the first copy of a duplicated name from its local header.
fn first_copy<R: Read + Seek>(
    reader: &mut R,
    record: &CdRecord,
    taken: &[(u64, u64)],
    name: &[u8],
    v: &mut dyn Visit,
) -> Flow {
    let unreadable = |why: &str| EntryKind::Unreadable(why.to_string());
    if let Some(kind) = record.mode.and_then(special_kind) {
        let kind = match kind {
            EntryKind::Symlink(_) => EntryKind::Symlink("?".to_string()),
            kind => kind,
        };
        return v.entry(entry(name, kind, 0, &mut io::empty()));
    }
    let Some(start) = record.header_start else {
        let kind = unreadable("local header offset not readable");
        return v.entry(entry(name, kind, 0, &mut io::empty()));
    };
    if taken.iter().any(|&(s, e)| s <= start && start < e) {
        return v.entry(entry(name, unreadable(OVERLAP), 0, &mut io::empty()));
    }
    if let Err(e) = reader.seek(SeekFrom::Start(start)) {
        let kind = unreadable(&e.to_string());
        return v.entry(entry(name, kind, 0, &mut io::empty()));
    }
    match read_zipfile_from_stream(reader) {
        Ok(Some(file)) => {
            let size = file.size();
            let kind = kind_of(&file);
            if kind != EntryKind::File {
                return v.entry(entry(name, kind, size, &mut io::empty()));
            }
            let mut data = DeclaredSize {
                inner: file,
                left: size,
            };
            v.entry(entry(name, kind, size, &mut data))
        }
        Ok(None) => v.entry(entry(
            name,
            unreadable("no local header"),
            0,
            &mut io::empty(),
        )),
        Err(e) => {
            let kind = unreadable(&e.to_string());
            v.entry(entry(name, kind, 0, &mut io::empty()))
        }
    }
}

/// One central directory record, as far as duplicates need it.
#[derive(Debug)]
struct CdRecord {
    /// Where the record starts (the crate's `central_header_start`).
    central_start: u64,
    name: Vec<u8>,
    /// Absolute offset of the local header, `None` if unreadable.
    header_start: Option<u64>,
    /// Unix mode, when a Unix system wrote the entry.
    mode: Option<u32>,
}

const CD_SIGNATURE: u32 = 0x0201_4b50;

/// The central directory records from `start` on, until one does not begin
/// with the record signature. Read here because the `zip` crate keeps one
/// entry per name and so hides duplicates.
fn central_records<R: Read + Seek>(
    reader: &mut R,
    start: u64,
    archive_offset: u64,
) -> Vec<CdRecord> {
    let mut records = Vec::new();
    if reader.seek(SeekFrom::Start(start)).is_err() {
        return records;
    }
    let mut r = BufReader::new(reader);
    let mut pos = start;
    let mut fixed = [0u8; 46];
    while r.read_exact(&mut fixed).is_ok() {
        let u16_at = |i: usize| u16::from_le_bytes([fixed[i], fixed[i + 1]]);
        let u32_at =
            |i: usize| u32::from_le_bytes([fixed[i], fixed[i + 1], fixed[i + 2], fixed[i + 3]]);
        if u32_at(0) != CD_SIGNATURE {
            break;
        }
        let (made_by, ext_attr) = (u16_at(4), u32_at(38));
        let (usize32, csize32, offset32) = (u32_at(24), u32_at(20), u32_at(42));
        let (name_len, extra_len, comment_len) = (
            usize::from(u16_at(28)),
            usize::from(u16_at(30)),
            usize::from(u16_at(32)),
        );
        let mut name = vec![0u8; name_len];
        let mut extra = vec![0u8; extra_len];
        let mut comment = vec![0u8; comment_len];
        if r.read_exact(&mut name).is_err()
            || r.read_exact(&mut extra).is_err()
            || r.read_exact(&mut comment).is_err()
        {
            break;
        }
        let offset = if offset32 == u32::MAX {
            zip64_offset(&extra, usize32 == u32::MAX, csize32 == u32::MAX)
        } else {
            Some(u64::from(offset32))
        };
        records.push(CdRecord {
            central_start: pos,
            name,
            header_start: offset.and_then(|o| o.checked_add(archive_offset)),
            mode: (made_by >> 8 == 3).then_some(ext_attr >> 16),
        });
        pos += (46 + name_len + extra_len + comment_len) as u64;
    }
    records
}

/// The local header offset from a zip64 extra field, whose 8-byte values
/// appear only for the fields set to `0xFFFFFFFF`, in a fixed order.
fn zip64_offset(extra: &[u8], has_size: bool, has_csize: bool) -> Option<u64> {
    let mut rest = extra;
    while rest.len() >= 4 {
        let id = u16::from_le_bytes([rest[0], rest[1]]);
        let len = usize::from(u16::from_le_bytes([rest[2], rest[3]]));
        let body = rest.get(4..4 + len)?;
        if id == 1 {
            let skip = 8 * (usize::from(has_size) + usize::from(has_csize));
            let bytes: [u8; 8] = body.get(skip..skip + 8)?.try_into().ok()?;
            return Some(u64::from_le_bytes(bytes));
        }
        rest = rest.get(4 + len..)?;
    }
    None
}

/// Names listed more than once: the central start of the last copy (the
/// one the crate keeps) -> (index of the first copy, number of copies).
fn duplicates(records: &[CdRecord]) -> BTreeMap<u64, (usize, usize)> {
    let mut by_name: BTreeMap<&[u8], Vec<usize>> = BTreeMap::new();
    for (i, r) in records.iter().enumerate() {
        by_name.entry(r.name.as_slice()).or_default().push(i);
    }
    by_name
        .into_values()
        .filter(|copies| copies.len() > 1)
        .filter_map(|copies| {
            let first = *copies.first()?;
            let last = records.get(*copies.last()?)?;
            Some((last.central_start, (first, copies.len())))
        })
        .collect()
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
        let name = slashes(file.name_raw());
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

/// An entry's name as stored, with `\\` read as `/`. The raw bytes, not the
/// `zip` crate's decoding (CP437 without the UTF-8 flag, lossy with it), so
/// that a name that is not UTF-8 is refused, not renamed.
fn slashes(raw: &[u8]) -> Vec<u8> {
    raw.iter()
        .map(|&b| if b == b'\\' { b'/' } else { b })
        .collect()
}

fn entry<'a>(name: &'a [u8], kind: EntryKind, size: u64, data: &'a mut dyn Read) -> Entry<'a> {
    Entry {
        name,
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
    if let Some(kind) = file.unix_mode().and_then(special_kind) {
        return kind;
    }
    if file.encrypted() {
        return EntryKind::Unreadable("encrypted".to_string());
    }
    match file.compression() {
        CompressionMethod::Stored | CompressionMethod::Deflated => EntryKind::File,
        other => EntryKind::Unreadable(format!("compression method {other:?} is not supported")),
    }
}

/// What a Unix mode says an entry is, when it is not a file or directory.
fn special_kind(mode: u32) -> Option<EntryKind> {
    Some(match mode & S_IFMT {
        0o120_000 => EntryKind::Symlink(String::new()),
        0o010_000 => EntryKind::Special("fifo"),
        0o020_000 => EntryKind::Special("character device"),
        0o060_000 => EntryKind::Special("block device"),
        0o140_000 => EntryKind::Special("socket"),
        _ => return None,
    })
}

/// A symlink entry's content is its target; read a little of it for the note.
fn link_target<R: Read + Seek>(archive: &mut ZipArchive<R>, i: usize) -> String {
    let mut target = Vec::new();
    if let Ok(file) = archive.by_index(i) {
        let _ = file.take(1024).read_to_end(&mut target);
    }
    super::path::display(&target)
}
