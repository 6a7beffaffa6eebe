/*!
Walks a tar stream (plain or behind gzip) once, front to back. Entries come
raw from the `tar` crate so that GNU long names and pax headers are read here
with a size cap: the crate would read a hostile multi-gigabyte long-name
header into memory. A stream cut short keeps every entry before the cut.
*/

use std::io::{self, Read};

use ::tar::{Archive, EntryType, PaxExtensions};

use super::walk::{Entry, EntryKind, Flow, Visit, Walked};

/// Longest GNU long name or pax header accepted.
const MAX_EXT_BYTES: u64 = 64 * 1024;

/// Name and link overrides announced by extension headers for the next entry.
#[derive(Default)]
struct Pending {
    name: Option<Vec<u8>>,
    link: Option<Vec<u8>>,
    /// An extension header was oversized or unreadable: the next entry's name
    /// cannot be trusted.
    bad: Option<String>,
}

pub(crate) fn walk(reader: &mut dyn Read, v: &mut dyn Visit) -> Result<Walked, String> {
    let mut walked = Walked::default();
    let mut archive = Archive::new(reader);
    let entries = archive.entries().map_err(|e| e.to_string())?.raw(true);
    let mut pending = Pending::default();
    for item in entries {
        let mut entry = match item {
            Ok(entry) => entry,
            Err(e) if walked.entries == 0 => return Err(format!("not a tar archive ({e})")),
            Err(e) => {
                walked.problems.push(format!(
                    "archive is cut or damaged after {} entries ({e}); later entries are missing",
                    walked.entries
                ));
                break;
            }
        };
        walked.entries += 1;
        let size = entry.size();
        let kind = match entry.header().entry_type() {
            EntryType::Regular | EntryType::Continuous => EntryKind::File,
            EntryType::Directory => EntryKind::Dir,
            EntryType::Symlink => EntryKind::Symlink(String::new()),
            EntryType::Link => EntryKind::Hardlink(String::new()),
            EntryType::Char => EntryKind::Special("character device"),
            EntryType::Block => EntryKind::Special("block device"),
            EntryType::Fifo => EntryKind::Special("fifo"),
            EntryType::GNUSparse => EntryKind::Unreadable("sparse file (not supported)".into()),
            EntryType::GNULongName => {
                pending.name = read_ext(&mut entry, &mut pending.bad);
                EntryKind::Meta
            }
            EntryType::GNULongLink => {
                pending.link = read_ext(&mut entry, &mut pending.bad);
                EntryKind::Meta
            }
            EntryType::XHeader => {
                if let Some(pax) = read_ext(&mut entry, &mut pending.bad) {
                    apply_pax(&pax, &mut pending);
                }
                EntryKind::Meta
            }
            EntryType::XGlobalHeader => EntryKind::Meta,
            _ => EntryKind::Special("unsupported tar entry type"),
        };
        let flow = if kind == EntryKind::Meta {
            v.entry(Entry {
                name: b"",
                kind,
                size,
                sequential: true,
                disk_path: None,
                data: &mut io::empty(),
            })
        } else {
            let name = pending
                .name
                .take()
                .map(trim_nul)
                .unwrap_or_else(|| entry.path_bytes().into_owned());
            let link = pending
                .link
                .take()
                .map(trim_nul)
                .or_else(|| entry.link_name_bytes().map(|l| l.into_owned()))
                .unwrap_or_default();
            // Old tar writers mark directories only by a trailing slash.
            let kind = match kind {
                EntryKind::File if name.ends_with(b"/") => EntryKind::Dir,
                kind => kind,
            };
            let kind = match (kind, pending.bad.take()) {
                // The name may be wrong: report the entry, never read it.
                (_, Some(why)) => EntryKind::Unreadable(why),
                (EntryKind::Symlink(_), None) => EntryKind::Symlink(super::path::display(&link)),
                (EntryKind::Hardlink(_), None) => EntryKind::Hardlink(super::path::display(&link)),
                (kind, None) => kind,
            };
            v.entry(Entry {
                name: &name,
                kind,
                size,
                sequential: true,
                disk_path: None,
                data: &mut entry,
            })
        };
        if flow == Flow::Stop {
            break;
        }
    }
    Ok(walked)
}

fn read_ext(entry: &mut dyn Read, bad: &mut Option<String>) -> Option<Vec<u8>> {
    let mut data = Vec::new();
    match entry.take(MAX_EXT_BYTES + 1).read_to_end(&mut data) {
        Ok(_) if data.len() as u64 <= MAX_EXT_BYTES => Some(data),
        Ok(_) => {
            *bad = Some("tar extension header larger than 64 KiB; entry skipped".into());
            None
        }
        Err(e) => {
            *bad = Some(format!(
                "tar extension header unreadable ({e}); entry skipped"
            ));
            None
        }
    }
}

fn apply_pax(pax: &[u8], pending: &mut Pending) {
    for ext in PaxExtensions::new(pax) {
        let Ok(ext) = ext else {
            pending.bad = Some("malformed pax header; entry skipped".into());
            return;
        };
        match ext.key_bytes() {
            b"path" => pending.name = Some(ext.value_bytes().to_vec()),
            b"linkpath" => pending.link = Some(ext.value_bytes().to_vec()),
            _ => {}
        }
    }
}

fn trim_nul(mut bytes: Vec<u8>) -> Vec<u8> {
    while bytes.last() == Some(&0) {
        bytes.pop();
    }
    bytes
}
