//! The needle search of the log scan: for each needle, the one 3-byte
//! piece (gram) of it that is rarest in a sample of the file being
//! scanned, looked up at every byte through a bitset that fits the L1
//! cache (eight bytes at once with AVX2); where a chosen gram occurs, its
//! needles are compared in place. These lookups have no chain from byte
//! to byte, so they run several times faster than an automaton over a few
//! hundred needles.
//!
//! Grams compare ASCII-case-folded by setting bit 5 of every byte, as a
//! needle's bytes are: a folded match is only a candidate, which the
//! comparison then checks, so folding non-letters together costs nothing
//! but a rare extra check.

use std::collections::BTreeMap;

/// The size of a gram in bytes: the shortest needle's.
pub(super) const GRAM: usize = 3;

/// log2 of the bitset's size in bits: 2^18 bits, 32 KiB.
const SLOT_BITS: u32 = 18;

/// How much of a file's first block is sampled to rank grams.
const SAMPLE_BYTES: usize = 256 << 10;

/// One chosen gram per needle; see the module doc.
pub(super) struct Grams {
    /// Whether [`Grams::next_hit`] looks eight positions up at once
    /// (x86-64 with AVX2, checked at run time).
    wide: bool,
    /// Bit `slot(g)` is set for every chosen gram `g`.
    bits: Box<[u64; 1 << (SLOT_BITS - 6)]>,
    /// The chosen grams, sorted, to tell a slot's gram from another one
    /// that shares its slot.
    grams: Vec<u32>,
    /// For `grams[i]`, `owners[i]`: the needles that chose it, each with
    /// the offset of the gram in the needle.
    owners: Vec<Vec<(usize, usize)>>,
}

/// A needle found by [`Grams::next_needle`]: which, and where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Found {
    pub needle: usize,
    pub start: usize,
}

/// A gram as a number: three bytes, little-endian, each case-folded.
fn gram(b: &[u8]) -> u32 {
    (u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16) | 0x0020_2020
}

/// The multiplier of [`slot`]'s hash (Fibonacci hashing).
const SLOT_MUL: u32 = 0x9E37_79B1;

fn slot(g: u32) -> usize {
    (g.wrapping_mul(SLOT_MUL) >> (32 - SLOT_BITS)) as usize
}

/// Whether this CPU has AVX2 (see [`Grams::next_hit`]).
fn avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

impl Grams {
    /// Grams for `needles`, ranked by how often their slot occurs in
    /// `sample` (the start of the file to scan). `None` when a needle is
    /// shorter than a gram or spans lines: every line is then parsed.
    pub(super) fn new<N: AsRef<[u8]>>(needles: &[N], sample: &[u8]) -> Option<Grams> {
        let needles: Vec<&[u8]> = needles.iter().map(|n| n.as_ref()).collect();
        if needles.is_empty() || needles.iter().any(|n| n.len() < GRAM || n.contains(&b'\n')) {
            return None;
        }
        let sample = &sample[..sample.len().min(SAMPLE_BYTES)];
        let mut seen = vec![0u32; 1 << SLOT_BITS];
        for w in sample.windows(GRAM) {
            let s = slot(gram(w));
            seen[s] = seen[s].saturating_add(1);
        }
        let mut chosen: BTreeMap<u32, Vec<(usize, usize)>> = BTreeMap::new();
        for (i, n) in needles.iter().enumerate() {
            let (at, g) = n
                .windows(GRAM)
                .map(gram)
                .enumerate()
                .min_by_key(|&(_, g)| seen[slot(g)])
                .expect("a needle at least a gram long");
            chosen.entry(g).or_default().push((i, at));
        }
        let mut bits = Box::new([0u64; 1 << (SLOT_BITS - 6)]);
        for &g in chosen.keys() {
            let s = slot(g);
            bits[s >> 6] |= 1 << (s & 63);
        }
        let (grams, owners) = chosen.into_iter().unzip();
        Some(Grams {
            wide: avx2(),
            bits,
            grams,
            owners,
        })
    }

    /// The index in `grams` of `g`, if chosen.
    fn chosen(&self, g: u32) -> Option<usize> {
        let s = slot(g);
        if (self.bits[(s >> 6) & ((1 << (SLOT_BITS - 6)) - 1)] >> (s & 63)) & 1 == 0 {
            return None;
        }
        self.grams.binary_search(&g).ok()
    }

    /// These grams looked up one position at a time, whatever the CPU
    /// (tests compare both ways).
    #[cfg(test)]
    pub(super) fn narrow(mut self) -> Grams {
        self.wide = false;
        self
    }

    /// The first byte at or after `from` of `text` where a chosen gram
    /// starts, and the gram's index. Every needle occurrence that starts
    /// at or after `from` holds one.
    fn next_hit(&self, text: &[u8], from: usize) -> Option<(usize, usize)> {
        #[cfg(target_arch = "x86_64")]
        if self.wide {
            // SAFETY: `wide` is set only where the CPU has AVX2.
            return unsafe { self.next_hit_avx2(text, from) };
        }
        self.next_hit_from(text, from)
    }

    /// [`Grams::next_hit`], eight positions at a time: the grams at
    /// `at..at + 8` shuffled out of 16 bytes into eight lanes, hashed as
    /// [`slot`] does, and their bits gathered from the bitset. About twice
    /// the scalar speed; a lane whose bit is set is then checked as there.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn next_hit_avx2(&self, text: &[u8], from: usize) -> Option<(usize, usize)> {
        use std::arch::x86_64::*;
        // Lane k takes bytes k, k + 1, k + 2 (the gram at `at + k`); -128
        // makes its top byte zero.
        let lanes = _mm256_setr_epi8(
            0, 1, 2, -128, 1, 2, 3, -128, 2, 3, 4, -128, 3, 4, 5, -128, //
            4, 5, 6, -128, 5, 6, 7, -128, 6, 7, 8, -128, 7, 8, 9, -128,
        );
        let fold = _mm256_set1_epi32(0x0020_2020);
        let mul = _mm256_set1_epi32(SLOT_MUL as i32);
        let shift = _mm_cvtsi32_si128(32 - SLOT_BITS as i32);
        let low5 = _mm256_set1_epi32(31);
        let one = _mm256_set1_epi32(1);
        // The bitset as 32-bit words: little-endian, so bit s is bit s % 32
        // of word s / 32.
        let words = self.bits.as_ptr().cast::<i32>();
        let mut at = from;
        while at + 16 <= text.len() {
            // SAFETY: the 16 bytes from `at` are inside `text`.
            let bytes = unsafe { _mm_loadu_si128(text.as_ptr().add(at).cast()) };
            let grams = _mm256_or_si256(
                _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(bytes), lanes),
                fold,
            );
            let slots = _mm256_srl_epi32(_mm256_mullo_epi32(grams, mul), shift);
            // SAFETY: a slot is below 1 << SLOT_BITS, so its word index is
            // below the bitset's 1 << (SLOT_BITS - 5) words.
            let hit = unsafe { _mm256_i32gather_epi32::<4>(words, _mm256_srli_epi32::<5>(slots)) };
            let bits = _mm256_and_si256(_mm256_srlv_epi32(hit, _mm256_and_si256(slots, low5)), one);
            let mut set = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(bits, one)));
            while set != 0 {
                let k = set.trailing_zeros() as usize;
                if let Ok(i) = self.grams.binary_search(&gram(&text[at + k..])) {
                    return Some((at + k, i));
                }
                set &= set - 1;
            }
            at += 8;
        }
        self.next_hit_from(text, at)
    }

    /// [`Grams::next_hit`] one position at a time.
    fn next_hit_from(&self, text: &[u8], from: usize) -> Option<(usize, usize)> {
        let mut at = from;
        // Eight bytes read at once give the grams at six positions.
        while let Some(word) = text.get(at..at + 8) {
            let w = u64::from_le_bytes(word.try_into().expect("8 bytes")) | 0x2020_2020_2020_2020;
            for k in 0..6 {
                if let Some(i) = self.chosen((w >> (8 * k)) as u32 & 0x00FF_FFFF) {
                    return Some((at + k, i));
                }
            }
            at += 6;
        }
        while let Some(w) = text.get(at..at + GRAM) {
            if let Some(i) = self.chosen(gram(w)) {
                return Some((at, i));
            }
            at += 1;
        }
        None
    }

    /// An occurrence in `text[..to]`, ASCII-case-insensitively, of a needle
    /// of `needles` (those given to [`Grams::new`]) that starts at or after
    /// byte `from` and for which `wanted` holds: the one whose chosen gram
    /// comes first. No needle lies wholly between `from` and it, so the
    /// first line after `from` holding a needle holds it.
    pub(super) fn next_needle<N: AsRef<[u8]>>(
        &self,
        needles: &[N],
        text: &[u8],
        from: usize,
        to: usize,
        wanted: impl Fn(Found) -> bool,
    ) -> Option<Found> {
        let text = &text[..to];
        let mut at = from;
        loop {
            let (hit, i) = self.next_hit(text, at)?;
            for &(needle, offset) in &self.owners[i] {
                let n = needles[needle].as_ref();
                let Some(start) = hit.checked_sub(offset).filter(|&s| s >= from) else {
                    continue;
                };
                let found = Found { needle, start };
                if text
                    .get(start..start + n.len())
                    .is_some_and(|t| t.eq_ignore_ascii_case(n))
                    && wanted(found)
                {
                    return Some(found);
                }
            }
            at = hit + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn all(_: Found) -> bool {
        true
    }

    #[test]
    fn rare_grams_are_chosen_and_short_needles_refused() {
        let sample = b"level=info msg=\"error\" level=info msg=\"error\"\n".repeat(10);
        let g = Grams::new(&["level=error"], &sample).unwrap();
        // "l=e" never occurs in the sample; "lev", "eve", "err" do.
        assert_eq!(g.grams, vec![gram(b"l=e")]);
        assert_eq!(g.owners, vec![vec![(0, 4)]]);
        assert!(Grams::new(&["err", "ab"], &sample).is_none());
        assert!(Grams::new(&["a\nbc"], &sample).is_none());
        let none: [&str; 0] = [];
        assert!(Grams::new(&none, &sample).is_none());
    }

    #[test]
    fn a_needle_is_found_in_any_case_at_any_offset() {
        let needles = ["Missing Network", "became leader"];
        let g = Grams::new(&needles, b"").unwrap();
        for pad in 0..12 {
            let text = format!("{}node is MISSING network attachments\n", "x".repeat(pad));
            let found = g.next_needle(&needles, text.as_bytes(), 0, text.len(), all);
            let start = pad + "node is ".len();
            assert_eq!(found, Some(Found { needle: 0, start }), "{pad}");
        }
        let text = b"missing networ\nnode BECAME LEADER\n";
        let found = g.next_needle(&needles, text, 0, text.len(), all);
        assert_eq!(
            found,
            Some(Found {
                needle: 1,
                start: 20
            })
        );
        assert_eq!(
            g.next_needle(&needles, text, 0, text.len(), |f| f.needle == 0),
            None
        );
        assert_eq!(g.next_needle(&needles, text, 21, text.len(), all), None);
        assert_eq!(g.next_needle(&needles, text, 0, 25, all), None);
    }

    /// Every hit in `text`, one after another.
    fn hits(g: &Grams, text: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(hit) = g.next_hit(text, at) {
            out.push(hit);
            at = hit.0 + 1;
        }
        out
    }

    #[test]
    fn wide_lookups_find_what_narrow_ones_find_on_real_logs() {
        let log = include_bytes!("../../testdata/lab/exhausted/node1/logs/dockerd.log");
        let needles = ["fatal task error", "err", "<3>", "Node join event for "];
        let g = Grams::new(&needles, &log[..log.len().min(4096)]).unwrap();
        let wide = hits(&g, log);
        assert!(wide.len() > 10, "{}", wide.len());
        assert_eq!(wide, hits(&g.narrow(), log));
    }

    proptest! {
        /// Eight positions at a time (where the CPU can) or one at a time,
        /// the same hits, at every offset and up to the last byte.
        #[test]
        fn wide_and_narrow_lookups_agree(
            needles in prop::collection::vec("[a-dA-D<>=]{3,6}", 1..8),
            text in "[a-dA-D<>= \n]{0,400}",
        ) {
            let g = Grams::new(&needles, b"").unwrap();
            let wide = hits(&g, text.as_bytes());
            prop_assert_eq!(wide, hits(&g.narrow(), text.as_bytes()));
        }

        /// Whatever the sample, going from line to line as the scan does,
        /// the needle found from each line's start is in the first line
        /// holding one: no line holding a needle is skipped.
        #[test]
        fn no_line_holding_a_needle_is_skipped(
            needles in prop::collection::vec("[a-dA-D<>=]{3,6}", 1..6),
            text in "[a-dA-D<>= \n]{0,300}",
            sample in "[a-dA-D<>= \n]{0,200}",
        ) {
            let g = Grams::new(&needles, sample.as_bytes()).unwrap();
            let lower: Vec<String> = needles.iter().map(|n| n.to_ascii_lowercase()).collect();
            let mut from = 0;
            let mut lines = text.split_inclusive('\n').map(|l| {
                let start = from;
                from += l.len();
                (start, l.to_ascii_lowercase())
            });
            let mut want = lines.by_ref().find(|(_, l)| lower.iter().any(|n| l.contains(n)));
            let mut from = 0;
            while let Some(f) = g.next_needle(&needles, text.as_bytes(), from, text.len(), all) {
                let (start, line) = want.clone().expect("no line left that holds a needle");
                prop_assert!(start <= f.start && f.start < start + line.len(), "{f:?} {start}");
                prop_assert!(line[f.start - start..].starts_with(&lower[f.needle]));
                from = start + line.len();
                want = lines.by_ref().find(|(_, l)| lower.iter().any(|n| l.contains(n)));
            }
            prop_assert!(want.is_none(), "{want:?} missed");
        }
    }
}
