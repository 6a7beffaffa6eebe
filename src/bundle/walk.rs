/*!
One walk over a container (directory, zip, tar, tar.gz), in its own order,
handing each entry to a `Visit`. Walkers only report what is there; the
visitor decides what is safe and what to read. Both passes over an input
(finding roots, then reading) use the same walkers, so they see the same
entries.
*/

use std::fs::File;
use std::io::{self, BufReader, Cursor, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::path::{archive_ext, sniff, Format, SNIFF_LEN};
use super::{dir, tar, zip};

/// What an entry is, as its container declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EntryKind {
    File,
    Dir,
    /// Link targets are display-safe text, never followed.
    Symlink(String),
    Hardlink(String),
    /// Devices, fifos, sockets, and tar entry types with no file content.
    Special(&'static str),
    /// Listed but its content cannot be read (encrypted, unsupported method…).
    Unreadable(String),
    /// Tar bookkeeping (long names, pax headers): costs bytes, carries no file.
    Meta,
}

pub(crate) struct Entry<'a> {
    /// Raw name as the container spells it, `/`-separated.
    pub name: &'a [u8],
    pub kind: EntryKind,
    /// Declared size of the content.
    pub size: u64,
    /// Skipping this entry costs as much as reading it (tar streams).
    pub sequential: bool,
    /// Where the entry sits on disk, for directory walks.
    pub disk_path: Option<&'a Path>,
    pub data: &'a mut dyn Read,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    Stop,
}

pub(crate) trait Visit {
    fn entry(&mut self, entry: Entry<'_>) -> Flow;
}

/// How a walk went. `problems` are container-wide (archive cut short, read
/// from a fallback); the walk still delivered every entry before them.
#[derive(Debug, Default)]
pub(crate) struct Walked {
    pub entries: usize,
    pub problems: Vec<String>,
}

/// Walks a container stored in a file (or the directory at `path`).
/// `Err` means nothing could be read from it at all.
pub(crate) fn walk_path(
    path: &Path,
    format: Option<Format>,
    v: &mut dyn Visit,
) -> Result<Walked, String> {
    let Some(format) = format else {
        return Ok(dir::walk(path, v));
    };
    let file = File::open(path).map_err(|e| e.to_string())?;
    match format {
        Format::Zip => zip::walk(BufReader::new(file), v),
        Format::TarGz => tar::walk(&mut MultiGzDecoder::new(BufReader::new(file)), v),
        Format::Tar => tar::walk(&mut BufReader::new(file), v),
    }
}

/// Walks a container that is itself an entry of another container.
/// A nested zip is read into memory (zip needs to seek) unless it sits on
/// disk; tar streams are read straight through.
pub(crate) fn walk_nested(
    entry: Entry<'_>,
    claimed: Format,
    max_nested_bytes: u64,
    v: &mut dyn Visit,
) -> Result<Walked, String> {
    if let Some(path) = entry.disk_path {
        let format = sniff_file(path)?.unwrap_or(claimed);
        return walk_path(path, Some(format), v);
    }
    let mut head = Vec::with_capacity(SNIFF_LEN);
    (&mut *entry.data)
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut head)
        .map_err(|e| e.to_string())?;
    let format = match sniff(&head) {
        Some(f) => f,
        // Old tar writers leave out the `ustar` magic.
        None if claimed == Format::Tar && head.len() == SNIFF_LEN => Format::Tar,
        None => return Err("named like an archive but is not one".to_string()),
    };
    let mut data = Cursor::new(head).chain(entry.data);
    match format {
        Format::Zip => {
            let mut bytes = Vec::new();
            (&mut data)
                .take(max_nested_bytes.saturating_add(1))
                .read_to_end(&mut bytes)
                .map_err(|e| e.to_string())?;
            if bytes.len() as u64 > max_nested_bytes {
                return Err(format!(
                    "nested zip larger than {} (max_nested_bytes); not read",
                    super::limits::human(max_nested_bytes)
                ));
            }
            zip::walk(Cursor::new(bytes), v)
        }
        Format::TarGz => tar::walk(&mut MultiGzDecoder::new(BufReader::new(data)), v),
        Format::Tar => tar::walk(&mut data, v),
    }
}

/// The format a file's content shows, `None` when the magic says nothing.
pub(crate) fn sniff_file(path: &Path) -> Result<Option<Format>, String> {
    let mut head = Vec::with_capacity(SNIFF_LEN);
    File::open(path)
        .and_then(|f| f.take(SNIFF_LEN as u64).read_to_end(&mut head))
        .map_err(|e| e.to_string())?;
    Ok(sniff(&head))
}

/// The format of a top-level input file: its magic, else its extension.
pub(crate) fn detect(path: &Path) -> Result<Format, String> {
    if let Some(format) = sniff_file(path)? {
        return Ok(format);
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    archive_ext(&name).ok_or_else(|| "not a directory, zip, tar or tar.gz archive".to_string())
}

/// A reader that fails instead of yielding more than `declared` bytes: a zip
/// entry inflating beyond the size its header states is corrupt or hostile.
pub(crate) struct DeclaredSize<R> {
    pub inner: R,
    pub left: u64,
}

impl<R: Read> Read for DeclaredSize<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "entry inflates beyond its declared size (corrupt or hostile archive)",
                )),
            };
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_size_refuses_extra_bytes() {
        let mut r = DeclaredSize {
            inner: &b"abcdef"[..],
            left: 4,
        };
        let mut out = Vec::new();
        let err = r.read_to_end(&mut out).unwrap_err();
        assert_eq!(out, b"abcd");
        assert!(err.to_string().contains("beyond its declared size"));

        let mut r = DeclaredSize {
            inner: &b"abcd"[..],
            left: 4,
        };
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"abcd");
    }
}
