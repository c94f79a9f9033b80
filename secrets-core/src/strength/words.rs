//! Dictionary look-ups for the bound: may a span, read the way zxcvbn's
//! dictionary, reversed-dictionary and l33t matchers read it, start one of
//! the long words (`PREFIX_LEN` characters or more)?
//!
//! Folding lowercases and maps each class of characters zxcvbn's l33t table
//! lets stand for one another (`i`, `l`, `t`, `1`, `!`, `|`, `7`, `+`...) to
//! one character, so every l33t reading of a span folds like the span. A
//! fingerprint match may be a collision: that only costs a zxcvbn run.

use super::tables::{L33T_CLASSES, WORDS};

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

/// Fingerprints are bucketed by their top bits.
const BUCKET_BITS: u32 = 12;
const COUNT: usize = WORDS.len() / 8;
const _: () = assert!(WORDS.len().is_multiple_of(8) && COUNT < u16::MAX as usize);

/// ASCII lowercased, then each l33t class mapped to its first character.
static FOLD: [u8; 128] = fold_table();

/// The stored fingerprints with top bits `b` are `BUCKETS[b]..BUCKETS[b + 1]`.
static BUCKETS: [u16; (1 << BUCKET_BITS) + 1] = bucket_table();

/// FNV-1a of a folded span of ASCII characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Fingerprint(u64);

impl Fingerprint {
    pub(super) fn of<'a>(span: impl Iterator<Item = &'a u8>) -> Self {
        Fingerprint(span.fold(FNV_OFFSET, |h, &c| {
            (h ^ u64::from(FOLD[usize::from(c & 0x7f)])).wrapping_mul(FNV_PRIME)
        }))
    }

    /// Whether a stored word prefix has this fingerprint.
    pub(super) fn is_stored(self) -> bool {
        let b = (self.0 >> (64 - BUCKET_BITS)) as usize;
        (usize::from(BUCKETS[b])..usize::from(BUCKETS[b + 1])).any(|i| word(i) == self.0)
    }
}

const fn word(i: usize) -> u64 {
    let b = i * 8;
    u64::from_le_bytes([
        WORDS[b],
        WORDS[b + 1],
        WORDS[b + 2],
        WORDS[b + 3],
        WORDS[b + 4],
        WORDS[b + 5],
        WORDS[b + 6],
        WORDS[b + 7],
    ])
}

const fn fold_table() -> [u8; 128] {
    let mut t = [0u8; 128];
    let mut c = 0;
    while c < 128 {
        t[c] = (c as u8).to_ascii_lowercase();
        c += 1;
    }
    let mut k = 0;
    while k < L33T_CLASSES.len() {
        let class = L33T_CLASSES[k].as_bytes();
        let mut m = 0;
        while m < class.len() {
            t[class[m] as usize] = class[0];
            m += 1;
        }
        k += 1;
    }
    t
}

/// Counts per bucket, then running sums; `WORDS` is sorted.
const fn bucket_table() -> [u16; (1 << BUCKET_BITS) + 1] {
    let mut t = [0u16; (1 << BUCKET_BITS) + 1];
    let mut i = 0;
    while i < COUNT {
        t[(word(i) >> (64 - BUCKET_BITS)) as usize + 1] += 1;
        i += 1;
    }
    let mut b = 0;
    while b < 1 << BUCKET_BITS {
        t[b + 1] += t[b];
        b += 1;
    }
    t
}
