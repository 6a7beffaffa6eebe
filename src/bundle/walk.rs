/*!
One walk over a container (directory, zip, tar, tar.gz), in its own order,
handing each entry to a `Visit`. Walkers only report what is there; the
visitor decides what is safe and what to read. Both passes over an input
(finding roots, then reading) use the same walkers, so they see the same
entries.
*/

use super::seek_buf::SeekBuf;
use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Seek};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::path::{archive_ext, is_tar, sniff, stem, Codec, Format, Magic, SNIFF_LEN};
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

/// Walks a container stored in a file, or held in memory (`memory`, read
/// from standard input; `path` then only names it), or the directory at
/// `path` when `format` is `None`. `Err` means nothing could be read.
pub(crate) fn walk_path(
    path: &Path,
    memory: Option<&[u8]>,
    format: Option<Format>,
    v: &mut dyn Visit,
) -> Result<Walked, String> {
    let Some(format) = format else {
        return Ok(dir::walk(path, v));
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match memory {
        Some(bytes) => walk_stream(Cursor::new(bytes), format, &name, v),
        None => {
            let file = File::open(path).map_err(|e| e.to_string())?;
            walk_stream(SeekBuf::new(file), format, &name, v)
        }
    }
}

fn walk_stream<R: Read + Seek>(
    r: R,
    format: Format,
    name: &str,
    v: &mut dyn Visit,
) -> Result<Walked, String> {
    match format {
        Format::Zip => zip::walk(r, v),
        Format::Tar(codec) => tar::walk(&mut decoder(codec, r)?, v),
        Format::File(codec) => Ok(walk_file(&mut decoder(codec, r)?, name, v)),
    }
}

/// A single file is a container of one entry, named as the file without
/// its compression extension (`messages.1.gz` → `messages.1`). Its
/// inflated size is unknown: the log caps bound it.
fn walk_file(data: &mut dyn Read, name: &str, v: &mut dyn Visit) -> Walked {
    let name = match stem(name) {
        "" => "log",
        n => n,
    };
    v.entry(Entry {
        name: name.as_bytes(),
        kind: EntryKind::File,
        size: 0,
        sequential: false,
        disk_path: None,
        data,
    });
    Walked {
        entries: 1,
        problems: Vec::new(),
    }
}

/// A reader inflating `codec`. Concatenated streams (`cat a.gz b.gz`, xz
/// and bzip2 multi-stream files) are read through.
pub(crate) fn decoder<'a, R: Read + 'a>(codec: Codec, r: R) -> Result<Box<dyn Read + 'a>, String> {
    Ok(match codec {
        Codec::Plain => Box::new(r),
        Codec::Gz => Box::new(MultiGzDecoder::new(BufReader::new(r))),
        Codec::Xz => Box::new(liblzma::read::XzDecoder::new_multi_decoder(BufReader::new(
            r,
        ))),
        Codec::Zst => Box::new(
            zstd::stream::read::Decoder::new(r).map_err(|e| format!("not a zstd stream ({e})"))?,
        ),
        Codec::Bz2 => Box::new(bzip2::read::MultiBzDecoder::new(r)),
    })
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
        let format = match sniff_file(path)? {
            Some(Magic::Zip) => Format::Zip,
            Some(Magic::Tar) => Format::Tar(Codec::Plain),
            Some(Magic::Compressed(c)) => Format::Tar(c),
            None => claimed,
        };
        return walk_path(path, None, Some(format), v);
    }
    let mut head = Vec::with_capacity(SNIFF_LEN);
    (&mut *entry.data)
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut head)
        .map_err(|e| e.to_string())?;
    let format = match sniff(&head) {
        Some(Magic::Zip) => Format::Zip,
        Some(Magic::Tar) => Format::Tar(Codec::Plain),
        Some(Magic::Compressed(c)) => Format::Tar(c),
        // Old tar writers leave out the `ustar` magic.
        None if claimed == Format::Tar(Codec::Plain) && head.len() == SNIFF_LEN => {
            Format::Tar(Codec::Plain)
        }
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
        Format::Tar(codec) => tar::walk(&mut decoder(codec, data)?, v),
        Format::File(_) => Err("not an archive".to_string()),
    }
}

/// The magic of a file's first bytes, `None` when it says nothing.
pub(crate) fn sniff_file(path: &Path) -> Result<Option<Magic>, String> {
    let mut head = Vec::with_capacity(SNIFF_LEN);
    File::open(path)
        .and_then(|f| f.take(SNIFF_LEN as u64).read_to_end(&mut head))
        .map_err(|e| e.to_string())?;
    Ok(sniff(&head))
}

/// Bytes of a lone file looked at to tell text from binary.
const TEXT_PROBE: usize = 8192;

/// The format of a top-level input (a file, or bytes read from standard
/// input): its magic, then its extension. A compressed stream is a tar
/// when its inflated start is one (or its name says `.tar.*`), else a
/// single compressed file. A file that is no archive is taken as a log
/// when it looks like text; whether it is Docker's is decided once read.
pub(crate) fn detect(path: &Path, memory: Option<&[u8]>) -> Result<Format, String> {
    let open = || -> Result<Box<dyn Read + '_>, String> {
        match memory {
            Some(bytes) => Ok(Box::new(bytes)),
            None => Ok(Box::new(BufReader::new(
                File::open(path).map_err(|e| e.to_string())?,
            ))),
        }
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let claimed = archive_ext(&name);
    let mut head = Vec::with_capacity(TEXT_PROBE);
    open()?
        .take(TEXT_PROBE as u64)
        .read_to_end(&mut head)
        .map_err(|e| e.to_string())?;
    let codec = match sniff(&head) {
        Some(Magic::Zip) => return Ok(Format::Zip),
        Some(Magic::Tar) => return Ok(Format::Tar(Codec::Plain)),
        Some(Magic::Compressed(c)) => c,
        None => match claimed {
            Some(format) => return Ok(format),
            None => Codec::Plain,
        },
    };
    let mut inflated = Vec::with_capacity(TEXT_PROBE);
    if codec != Codec::Plain {
        let mut d = decoder(codec, open()?)?;
        if let Err(e) = (&mut d).take(TEXT_PROBE as u64).read_to_end(&mut inflated) {
            if inflated.is_empty() {
                return Err(format!("compressed but unreadable ({e})"));
            }
        }
        if is_tar(&inflated) || matches!(claimed, Some(Format::Tar(_))) {
            return Ok(Format::Tar(codec));
        }
    } else {
        inflated = head;
    }
    // `journalctl -o export` writes binary-safe fields (a length, then
    // raw bytes) where a value holds control characters.
    if inflated.contains(&0) && !inflated.starts_with(b"__CURSOR=") {
        return Err(NOT_AN_INPUT.to_string());
    }
    Ok(Format::File(codec))
}

pub(crate) const NOT_AN_INPUT: &str = "not a directory, an archive (zip, tar, tar.gz, tar.xz, \
     tar.zst, tar.bz2) or a text log (plain, .gz, .xz, .zst, .bz2)";

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
    use std::io::Write;

    fn tar_of(name: &str, body: &[u8]) -> Vec<u8> {
        let mut b = ::tar::Builder::new(Vec::new());
        let mut h = ::tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, body).unwrap();
        b.into_inner().unwrap()
    }

    fn compress(codec: Codec, raw: &[u8]) -> Vec<u8> {
        match codec {
            Codec::Plain => raw.to_vec(),
            Codec::Gz => {
                let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                w.write_all(raw).unwrap();
                w.finish().unwrap()
            }
            Codec::Xz => {
                let mut w = liblzma::write::XzEncoder::new(Vec::new(), 1);
                w.write_all(raw).unwrap();
                w.finish().unwrap()
            }
            Codec::Zst => zstd::stream::encode_all(raw, 1).unwrap(),
            Codec::Bz2 => {
                let mut w = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
                w.write_all(raw).unwrap();
                w.finish().unwrap()
            }
        }
    }

    /// Every codec, around a tar or around one log, is told apart by
    /// content, whatever the name says.
    #[test]
    fn detect_tells_archives_from_logs_by_content() {
        let log = b"time=\"2026-12-03T16:47:27Z\" level=error msg=\"x\"\n";
        let tar = tar_of("n1/logs/dockerd.log", log);
        for codec in [Codec::Plain, Codec::Gz, Codec::Xz, Codec::Zst, Codec::Bz2] {
            let p = Path::new("-");
            assert_eq!(
                detect(p, Some(&compress(codec, &tar))),
                Ok(Format::Tar(codec)),
                "{codec:?} tar"
            );
            assert_eq!(
                detect(p, Some(&compress(codec, log))),
                Ok(Format::File(codec)),
                "{codec:?} log"
            );
            // The single file inflates to the log, named without its codec.
            struct Got(Vec<(String, Vec<u8>)>);
            impl Visit for Got {
                fn entry(&mut self, e: Entry<'_>) -> Flow {
                    let mut b = Vec::new();
                    e.data.read_to_end(&mut b).unwrap();
                    self.0
                        .push((String::from_utf8_lossy(e.name).into_owned(), b));
                    Flow::Continue
                }
            }
            let mut got = Got(Vec::new());
            let bytes = compress(codec, log);
            walk_path(
                Path::new("messages.1.gz"),
                Some(&bytes),
                Some(Format::File(codec)),
                &mut got,
            )
            .unwrap();
            assert_eq!(
                got.0,
                [("messages.1".to_string(), log.to_vec())],
                "{codec:?}"
            );
        }
    }

    #[test]
    fn detect_refuses_binary_but_takes_a_journal_export() {
        let p = Path::new("-");
        let binary = [0x7f, b'E', b'L', b'F', 0, 0, 1, 2];
        assert_eq!(detect(p, Some(&binary)), Err(NOT_AN_INPUT.to_string()));
        let export =
            b"__CURSOR=s=1\nSYSLOG_IDENTIFIER=dockerd\nMESSAGE\n\x05\0\0\0\0\0\0\0a\x1bbcd\n\n";
        assert_eq!(detect(p, Some(export)), Ok(Format::File(Codec::Plain)));
        // A gzip stream that is cut before anything inflates is an error.
        assert!(detect(p, Some(&[0x1f, 0x8b, 8, 0])).is_err());
    }

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
