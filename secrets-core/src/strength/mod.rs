//! How many guesses a value takes: zxcvbn's estimate, settled first by a
//! cheap lower bound ([`bound`]) so that long random values (what
//! `generate` writes, most of what `check` and `audit` read) never pay for
//! zxcvbn: about 80 million instructions to build its dictionaries, then
//! milliseconds per long value. The bound only ever answers "at least";
//! every other answer is zxcvbn's own.

mod bound;
mod tables;
mod words;

/// zxcvbn reads the first 100 characters.
const SAMPLE_CHARS: usize = 100;

/// What a value is worth against a guessing attack.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Guesses {
    /// At least the threshold asked for.
    AtLeast,
    /// zxcvbn's estimate (log10 of guesses), under the threshold.
    #[cfg_attr(not(feature = "entropy"), allow(dead_code))]
    Under(f64),
    /// Not settled by the bound, and zxcvbn is not built in (the `entropy`
    /// feature): callers treat it as not shown strong.
    #[cfg_attr(feature = "entropy", allow(dead_code))]
    Unknown,
}

/// zxcvbn's estimate for `value`'s first 100 characters against 10^`log10`
/// guesses.
pub(crate) fn guesses(value: &str, log10: u32) -> Guesses {
    let sample = sample(value);
    if 10u64
        .checked_pow(log10)
        .is_some_and(|threshold| bound::at_least(sample, threshold))
    {
        return Guesses::AtLeast;
    }
    estimate(sample, log10)
}

#[cfg(feature = "entropy")]
fn estimate(sample: &str, log10: u32) -> Guesses {
    let estimate = zxcvbn::zxcvbn(sample, &[]).guesses_log10();
    if estimate < f64::from(log10) {
        Guesses::Under(estimate)
    } else {
        Guesses::AtLeast
    }
}

#[cfg(not(feature = "entropy"))]
fn estimate(_: &str, _: u32) -> Guesses {
    Guesses::Unknown
}

/// The characters zxcvbn reads, without copying the secret.
fn sample(value: &str) -> &str {
    value
        .char_indices()
        .nth(SAMPLE_CHARS)
        .map_or(value, |(end, _)| &value[..end])
}

#[cfg(all(test, not(feature = "entropy")))]
mod without_zxcvbn {
    use super::*;

    #[test]
    fn what_the_bound_cannot_settle_is_unknown_never_strong() {
        for weak in ["password", "Tr0ub4dor&3", "aaaaaaaaaaaaaaaa"] {
            assert_eq!(guesses(weak, 12), Guesses::Unknown, "{weak}");
        }
        let random = "f3a9c07e5b21d8846c1e9f0a7b3d52e6c4a81f09d7e2b6a3c5f8e1d04b9a7c26";
        assert_eq!(guesses(random, 12), Guesses::AtLeast);
    }
}

#[cfg(all(test, feature = "entropy"))]
mod tests;
