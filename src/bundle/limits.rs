/*!
Caps that keep reading bounded on hostile input (decompression bombs, endless
lines, millions of entries). Exceeding a cap never fails the run: the reader
stops that entry or input and leaves a coverage note. `docs/limits.md` lists
them for users.
*/

/// Size and count caps for reading one input path (a directory or archive,
/// with the archives nested one level inside it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Longest log line passed on; the rest of the line is dropped and the
    /// line is flagged `truncated`.
    pub max_line_bytes: usize,
    /// Decompressed bytes read from one log file; later lines are not read.
    pub max_log_bytes: u64,
    /// Size of one non-log file (JSON, command output); a larger file is skipped.
    pub max_file_bytes: u64,
    /// Non-log bytes held in memory for one input; later files are skipped.
    pub max_kept_bytes: u64,
    /// Decompressed bytes read (or inflated to skip past) in one input; reading
    /// stops there.
    pub max_total_bytes: u64,
    /// Entries (files, directories, links) visited in one input.
    pub max_entries: usize,
    /// Size of a zip archive nested in another archive, which is read into
    /// memory to be opened; a larger one is skipped.
    pub max_nested_bytes: u64,
}

pub(crate) const KIB: u64 = 1024;
pub(crate) const MIB: u64 = 1024 * KIB;
pub(crate) const GIB: u64 = 1024 * MIB;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line_bytes: MIB as usize,
            max_log_bytes: 2 * GIB,
            max_file_bytes: 256 * MIB,
            max_kept_bytes: 2 * GIB,
            max_total_bytes: 8 * GIB,
            max_entries: 100_000,
            max_nested_bytes: GIB,
        }
    }
}

/// Bytes for humans in notes: exact units when they divide evenly
/// (`1 MiB`, `256 MiB`), else plain bytes.
pub(crate) fn human(bytes: u64) -> String {
    for (unit, name) in [(GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")] {
        if bytes >= unit && bytes.is_multiple_of(unit) {
            return format!("{} {name}", bytes / unit);
        }
    }
    format!("{bytes} bytes")
}

/// What one input has consumed so far, against `Limits`.
#[derive(Debug, Default)]
pub(crate) struct Budget {
    pub entries: usize,
    pub total: u64,
    /// Why reading stopped early, once a cap is reached.
    pub stop: Option<String>,
}

impl Budget {
    /// Counts one more entry; `false` once the entry cap is passed.
    pub fn enter(&mut self, limits: &Limits) -> bool {
        if self.stop.is_some() {
            return false;
        }
        self.entries += 1;
        if self.entries > limits.max_entries {
            self.stop = Some(format!(
                "stopped after {} entries (max_entries); later entries were not read",
                limits.max_entries
            ));
            return false;
        }
        true
    }

    /// Counts `bytes` about to be inflated; `false` when they would pass the
    /// total cap (and then nothing more is read).
    pub fn spend(&mut self, bytes: u64, limits: &Limits) -> bool {
        if self.stop.is_some() {
            return false;
        }
        match self.total.checked_add(bytes) {
            Some(total) if total <= limits.max_total_bytes => {
                self.total = total;
                true
            }
            _ => {
                self.stop = Some(format!(
                    "stopped after {} of data (max_total_bytes); later entries were not read",
                    human(limits.max_total_bytes)
                ));
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes() {
        assert_eq!(human(MIB), "1 MiB");
        assert_eq!(human(256 * MIB), "256 MiB");
        assert_eq!(human(2 * GIB), "2 GiB");
        assert_eq!(human(1500), "1500 bytes");
        assert_eq!(human(3 * KIB), "3 KiB");
    }

    #[test]
    fn budget_stops_at_caps() {
        let limits = Limits {
            max_entries: 2,
            max_total_bytes: 10,
            ..Limits::default()
        };
        let mut b = Budget::default();
        assert!(b.enter(&limits) && b.enter(&limits));
        assert!(!b.enter(&limits));
        assert!(b.stop.as_deref().unwrap().contains("max_entries"));

        let mut b = Budget::default();
        assert!(b.spend(6, &limits) && b.spend(4, &limits));
        assert!(!b.spend(1, &limits));
        assert!(!b.spend(0, &limits), "a stopped budget stays stopped");
        assert!(!Budget::default().spend(u64::MAX, &limits));
    }
}
