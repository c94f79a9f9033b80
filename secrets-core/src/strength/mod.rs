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

/// zxcvbn's estimate (log10 of guesses) of `value`'s first 100 characters
/// when it is under 10^`log10` guesses; `None` when it is at least that.
pub(crate) fn log10_under(value: &str, log10: u32) -> Option<f64> {
    let sample = sample(value);
    if 10u64
        .checked_pow(log10)
        .is_some_and(|threshold| bound::at_least(sample, threshold))
    {
        return None;
    }
    let estimate = zxcvbn::zxcvbn(sample, &[]).guesses_log10();
    (estimate < f64::from(log10)).then_some(estimate)
}

/// The characters zxcvbn reads, without copying the secret.
fn sample(value: &str) -> &str {
    value
        .char_indices()
        .nth(SAMPLE_CHARS)
        .map_or(value, |(end, _)| &value[..end])
}

#[cfg(test)]
mod tests;
