/*!
Entry path safety. Archive entry names are attacker-controlled: they are
checked here before anything else looks at them. A name that is absolute,
climbs with `..`, holds NUL, is not UTF-8 or is longer than
[`MAX_NAME_BYTES`] is refused; `.` components,
empty components and a leading `./` are dropped. Nothing is ever written to
disk, so a refused name only earns a coverage note.
*/

use std::borrow::Cow;
use std::fmt;

/// Why an entry name was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unsafe {
    Absolute,
    ParentDir,
    Nul,
    NotUtf8,
    TooLong,
    /// Nothing left after normalizing (`./`, `/`-only names): not an entry
    /// worth a note.
    Empty,
}

impl fmt::Display for Unsafe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unsafe::Absolute => "unsafe entry name (absolute path); skipped",
            Unsafe::ParentDir => "unsafe entry name (contains ..); skipped",
            Unsafe::Nul => "unsafe entry name (contains NUL); skipped",
            Unsafe::NotUtf8 => "entry name is not UTF-8; skipped",
            Unsafe::TooLong => "entry name longer than 1 KiB; skipped",
            Unsafe::Empty => "empty entry name; skipped",
        })
    }
}

/// Longest entry name accepted. Bundle paths are under 200 bytes; the cap
/// bounds what names cost (each is kept once to catch duplicates), where a
/// tar long name may reach 64 KiB.
pub(crate) const MAX_NAME_BYTES: usize = 1024;

/// Turns a raw entry name into a relative `a/b/c` path, or refuses it.
pub(crate) fn normalize(raw: &[u8]) -> Result<String, Unsafe> {
    if raw.len() > MAX_NAME_BYTES {
        return Err(Unsafe::TooLong);
    }
    let name = std::str::from_utf8(raw).map_err(|_| Unsafe::NotUtf8)?;
    if name.contains('\0') {
        return Err(Unsafe::Nul);
    }
    if name.starts_with('/') || has_drive_prefix(name) {
        return Err(Unsafe::Absolute);
    }
    let mut parts = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(Unsafe::ParentDir),
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Err(Unsafe::Empty);
    }
    Ok(parts.join("/"))
}

/// `C:` or `C:\…`: absolute on Windows, where a user may unpack it.
fn has_drive_prefix(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

/// Characters of a name shown in a note; the rest becomes `…`.
const DISPLAY_CHARS: usize = 200;

/// A raw name made safe to print: lossy UTF-8, control characters escaped
/// (a name can carry terminal escape sequences), at most 200 characters.
pub(crate) fn display(raw: &[u8]) -> String {
    let lossy = String::from_utf8_lossy(raw);
    let shown: String = lossy.chars().take(DISPLAY_CHARS).collect();
    let mut out = escape_controls(&shown, &[]).into_owned();
    if lossy.chars().nth(DISPLAY_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// `text` on one line: control characters (newlines, ESC…) escaped as
/// `\n`, `\u{1b}`, so that a hostile name quoted in a message cannot forge
/// lines or drive the terminal.
pub(crate) fn one_line(text: &str) -> String {
    escape_controls(text, &[]).into_owned()
}

/// `text` with its control characters escaped as `\n`, `\u{1b}`…, except
/// those in `keep`. The one escaping used for bundle names, notes and
/// everything printed (see `report::terminal_safe`).
pub(crate) fn escape_controls<'a>(text: &'a str, keep: &[char]) -> Cow<'a, str> {
    let escaped = |c: char| c.is_control() && !keep.contains(&c);
    if !text.chars().any(escaped) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if escaped(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// How a stream is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    Plain,
    Gz,
    Xz,
    Zst,
    Bz2,
}

/// What an input file (or a nested archive) holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Zip,
    /// A tar stream, maybe compressed.
    Tar(Codec),
    /// One file, maybe compressed, that is not an archive: a log given as
    /// it is (`dockerd.log`, `messages.1.gz`, a journal export).
    File(Codec),
}

/// Archive extensions (lower case) and the format each claims.
const ARCHIVE_EXTS: &[(&str, Format)] = &[
    (".zip", Format::Zip),
    (".tar.gz", Format::Tar(Codec::Gz)),
    (".tgz", Format::Tar(Codec::Gz)),
    (".tar.xz", Format::Tar(Codec::Xz)),
    (".txz", Format::Tar(Codec::Xz)),
    (".tar.zst", Format::Tar(Codec::Zst)),
    (".tzst", Format::Tar(Codec::Zst)),
    (".tar.bz2", Format::Tar(Codec::Bz2)),
    (".tbz2", Format::Tar(Codec::Bz2)),
    (".tbz", Format::Tar(Codec::Bz2)),
    (".tar", Format::Tar(Codec::Plain)),
];

/// Extensions of one compressed file, stripped from a log's name.
const CODEC_EXTS: &[(&str, Codec)] = &[
    (".gz", Codec::Gz),
    (".xz", Codec::Xz),
    (".zst", Codec::Zst),
    (".bz2", Codec::Bz2),
];

/// The archive format a file name claims, if any (case-insensitive). A
/// single compressed file (`dockerd.log.gz`) is not an archive.
pub(crate) fn archive_ext(name: &str) -> Option<Format> {
    let lower = name.to_ascii_lowercase();
    ARCHIVE_EXTS
        .iter()
        .find(|(ext, _)| lower.ends_with(ext))
        .map(|&(_, f)| f)
}

/// What the first bytes of a file show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Magic {
    Zip,
    Tar,
    /// A compressed stream: a tar or a single file, known once inflated.
    Compressed(Codec),
}

/// The format the first bytes of a file show, if any.
pub(crate) fn sniff(head: &[u8]) -> Option<Magic> {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Some(Magic::Zip)
    } else if head.starts_with(&[0x1f, 0x8b]) {
        Some(Magic::Compressed(Codec::Gz))
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Some(Magic::Compressed(Codec::Xz))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some(Magic::Compressed(Codec::Zst))
    } else if head.len() >= 4 && head.starts_with(b"BZh") && (b'1'..=b'9').contains(&head[3]) {
        Some(Magic::Compressed(Codec::Bz2))
    } else if is_tar(head) {
        Some(Magic::Tar)
    } else {
        None
    }
}

/// True when `head` (at least 512 bytes) is a tar header with the `ustar` magic.
pub(crate) fn is_tar(head: &[u8]) -> bool {
    head.get(257..262) == Some(b"ustar")
}

/// Bytes `sniff` needs to see.
pub(crate) const SNIFF_LEN: usize = 512;

/// A file name without its archive or compression extension:
/// `node1.tar.gz` → `node1`, `messages.1.gz` → `messages.1`.
pub(crate) fn stem(file_name: &str) -> &str {
    let lower = file_name.to_ascii_lowercase();
    let exts = ARCHIVE_EXTS
        .iter()
        .map(|(e, _)| *e)
        .chain(CODEC_EXTS.iter().map(|(e, _)| *e));
    for ext in exts {
        if lower.ends_with(ext) && file_name.len() > ext.len() {
            return &file_name[..file_name.len() - ext.len()];
        }
    }
    file_name
}

/// The last component of a normalized path.
pub(crate) fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The parent of a normalized path (`""` for a top-level name).
pub(crate) fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// Desktop clutter that is never part of a bundle and not worth a note:
/// macOS resource forks and Finder/Explorer metadata.
pub(crate) fn is_clutter(path: &str) -> bool {
    let name = base_name(path);
    path == "__MACOSX"
        || path.starts_with("__MACOSX/")
        || name == ".DS_Store"
        || name == "Thumbs.db"
        || name.starts_with("._")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_keeps_plain_relative_paths() {
        assert_eq!(
            normalize(b"node1/logs/dockerd.log").unwrap(),
            "node1/logs/dockerd.log"
        );
        assert_eq!(
            normalize(b"./node1//host/./ip-addr.txt").unwrap(),
            "node1/host/ip-addr.txt"
        );
        assert_eq!(normalize(b"node1/docker/").unwrap(), "node1/docker");
    }

    #[test]
    fn normalize_refuses_escapes() {
        assert_eq!(normalize(b"../evil"), Err(Unsafe::ParentDir));
        assert_eq!(normalize(b"node1/../../evil"), Err(Unsafe::ParentDir));
        assert_eq!(normalize(b"node1/logs/.."), Err(Unsafe::ParentDir));
        assert_eq!(normalize(b"/etc/passwd"), Err(Unsafe::Absolute));
        assert_eq!(normalize(b"C:/Windows/win.ini"), Err(Unsafe::Absolute));
        assert_eq!(normalize(b"a\0b"), Err(Unsafe::Nul));
        assert_eq!(normalize(b"node1/\xff.log"), Err(Unsafe::NotUtf8));
        assert_eq!(normalize(b"./"), Err(Unsafe::Empty));
        assert_eq!(normalize(b""), Err(Unsafe::Empty));
    }

    #[test]
    fn names_that_only_look_like_parent_dirs_are_fine() {
        assert_eq!(normalize(b"node1/..hidden").unwrap(), "node1/..hidden");
        assert_eq!(normalize(b"node1/a..b").unwrap(), "node1/a..b");
    }

    #[test]
    fn display_escapes_control_characters() {
        assert_eq!(display(b"evil\x1b[31m.log"), "evil\\u{1b}[31m.log");
        assert_eq!(display(b"bad\xffname"), "bad\u{fffd}name");
        assert_eq!(one_line("a\nb\r\x1b[31m"), "a\\nb\\r\\u{1b}[31m");
    }

    #[test]
    fn long_names_are_refused_and_shown_short() {
        let long = "logs/".repeat(300);
        assert_eq!(normalize(long.as_bytes()), Err(Unsafe::TooLong));
        let fits = "a".repeat(MAX_NAME_BYTES);
        assert_eq!(normalize(fits.as_bytes()).unwrap(), fits);
        let shown = display(long.as_bytes());
        assert_eq!(shown.chars().count(), DISPLAY_CHARS + 1);
        assert!(shown.ends_with("logs/…"));
        assert_eq!(
            display(&fits.as_bytes()[..DISPLAY_CHARS]),
            fits[..DISPLAY_CHARS]
        );
    }

    #[test]
    fn archive_names_and_stems() {
        assert_eq!(archive_ext("cluster/node1.ZIP"), Some(Format::Zip));
        assert_eq!(archive_ext("node1.tar.gz"), Some(Format::Tar(Codec::Gz)));
        assert_eq!(archive_ext("node1.tgz"), Some(Format::Tar(Codec::Gz)));
        assert_eq!(archive_ext("node1.tar"), Some(Format::Tar(Codec::Plain)));
        assert_eq!(
            archive_ext("sosreport-node1-2026-12-03-abc.tar.xz"),
            Some(Format::Tar(Codec::Xz))
        );
        assert_eq!(archive_ext("n.tar.zst"), Some(Format::Tar(Codec::Zst)));
        assert_eq!(archive_ext("n.tar.bz2"), Some(Format::Tar(Codec::Bz2)));
        assert_eq!(archive_ext("dockerd.log.gz"), None);
        assert_eq!(stem("messages.1.gz"), "messages.1");
        assert_eq!(stem("sos.tar.xz"), "sos");
        assert_eq!(
            stem("swarmdiag-node1-20261122T101500Z.tar.gz"),
            "swarmdiag-node1-20261122T101500Z"
        );
        assert_eq!(stem("node1.tgz"), "node1");
        assert_eq!(stem(".zip"), ".zip");
        assert_eq!(stem("notes"), "notes");
    }

    #[test]
    fn sniff_by_magic() {
        assert_eq!(sniff(b"PK\x03\x04rest"), Some(Magic::Zip));
        assert_eq!(
            sniff(&[0x1f, 0x8b, 8, 0]),
            Some(Magic::Compressed(Codec::Gz))
        );
        assert_eq!(
            sniff(&[0xfd, b'7', b'z', b'X', b'Z', 0, 0]),
            Some(Magic::Compressed(Codec::Xz))
        );
        assert_eq!(
            sniff(&[0x28, 0xb5, 0x2f, 0xfd, 0]),
            Some(Magic::Compressed(Codec::Zst))
        );
        assert_eq!(sniff(b"BZh91AY&SY"), Some(Magic::Compressed(Codec::Bz2)));
        assert_eq!(sniff(b"BZhello"), None);
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(sniff(&tar), Some(Magic::Tar));
        assert_eq!(sniff(b"garbage"), None);
    }

    #[test]
    fn clutter() {
        assert!(is_clutter("__MACOSX/node1/logs/._dockerd.log"));
        assert!(is_clutter("node1/.DS_Store"));
        assert!(!is_clutter("node1/logs/dockerd.log"));
    }
}
