//! A lower bound of zxcvbn's guess estimate that needs neither its
//! dictionaries (building their hash maps costs about 80 million
//! instructions, once per process) nor its matchers (milliseconds on a
//! long value).
//!
//! zxcvbn 3.1.1 (`scoring.rs`) covers the password with a sequence of
//! matches and keeps the cheapest: `l` matches cost `l! * product(guesses) +
//! 10000^(l-1)` (`+ 1` when `l` is 1), a bruteforce span of `L` characters
//! `max(10^L, 11 or 51)`, and any other match at least 50 (10 for one
//! character, 1 for the whole password). Give every span that might hold
//! a match that floor and every other span its bruteforce cost: the
//! cheapest cover then costs no more than zxcvbn's.
//!
//! Spans that might hold a match: every span shorter than `PREFIX_LEN`
//! (short dictionary words, dates of up to 10 characters, years, short
//! walks: not looked up), and, longer, a span that may be a dictionary word
//! (its first or, reversed, last `PREFIX_LEN` characters fold like a word's
//! first ones), a keyboard walk, a sequence with a constant step of at most
//! 5, or a repetition. Random values hold no long one, and then a closed
//! form settles them. A value that is not ASCII gets no bound.

use super::tables::{KEYBOARD, LONGEST_WORD, PREFIX_LEN};
use super::words::Fingerprint;

/// zxcvbn's date matcher reads at most 10 characters and its year regex 4;
/// the unchecked short spans must include them.
const SHORT: usize = PREFIX_LEN - 1;
const _: () = assert!(SHORT >= 10);

/// Long spans are bits of a `u128`.
const MAX_LEN: usize = 128;

/// zxcvbn's `MIN_GUESSES_BEFORE_GROWING_SEQUENCE`.
const PER_EXTRA_MATCH: u64 = 10_000;

/// zxcvbn's `MAX_DELTA` for sequences.
const MAX_STEP: i16 = 5;

/// zxcvbn's bruteforce guesses for a span of each length.
static BRUTE: [u64; MAX_LEN + 1] = brute_table();

/// Bit `c` of `ADJACENT[p]`: `c` may follow `p` in a keyboard walk.
static ADJACENT: [u128; 128] = adjacency_table();

const fn brute_table() -> [u64; MAX_LEN + 1] {
    let mut t = [u64::MAX; MAX_LEN + 1];
    let mut len = 0;
    while len < 20 {
        let power = 10u64.pow(len as u32);
        let floor = if len == 1 { 11 } else { 51 };
        t[len] = if power > floor { power } else { floor };
        len += 1;
    }
    t
}

const fn adjacency_table() -> [u128; 128] {
    let mut t = [0u128; 128];
    let mut k = 0;
    while k < KEYBOARD.len() {
        let (key, next) = KEYBOARD[k];
        let next = next.as_bytes();
        let mut m = 0;
        while m < next.len() {
            t[key as usize] |= 1 << next[m];
            m += 1;
        }
        k += 1;
    }
    t
}

/// Whether zxcvbn's estimate for `sample` (at most 100 characters, as
/// zxcvbn reads) is provably at least `threshold` guesses. `false` means
/// unknown.
pub(super) fn at_least(sample: &str, threshold: u64) -> bool {
    let s = sample.as_bytes();
    let n = s.len();
    if n == 0 || n > MAX_LEN || !sample.is_ascii() {
        return false;
    }
    // The most matches a cover cheaper than the threshold can have: more
    // cost their additive term alone.
    let most = (1..=n)
        .take_while(|&l| additive(l) < threshold)
        .last()
        .unwrap_or(0);
    let long = long_spans(s);
    if long.iter().all(|&row| row == 0) && unpatterned_at_least(n, most, threshold) {
        return true;
    }
    cheapest_cover_at_least(n, &long, most, threshold)
}

/// `1` for one match, `10000^(l-1)` for more.
fn additive(l: usize) -> u64 {
    PER_EXTRA_MATCH.saturating_pow(u32::try_from(l - 1).unwrap_or(u32::MAX))
}

fn factorial(l: usize) -> u64 {
    (1..=l as u64).fold(1, u64::saturating_mul)
}

/// Whether every cover of `n` characters by at most `most` matches costs
/// the threshold when no span longer than `SHORT` holds a pattern, in closed
/// form. A span costs at least 10, and `10^L` when `L > SHORT`; with
/// `n > SHORT * l` some span is that long, so `l` spans cost at least
/// `l! * 10^(n - (SHORT - 1) * (l - 1)) + additive(l)` (all the excess in one
/// span, the others short).
fn unpatterned_at_least(n: usize, most: usize, threshold: u64) -> bool {
    n > SHORT * most
        && (1..=most).all(|l| {
            let digits = n - (SHORT - 1) * (l - 1);
            let product = u32::try_from(digits).map_or(u64::MAX, |d| 10u64.saturating_pow(d));
            factorial(l)
                .saturating_mul(product)
                .saturating_add(additive(l))
                >= threshold
        })
}

/// The cheapest cover of `n` characters by at most `most` spans, by dynamic
/// programming over the span costs, compared with the threshold.
fn cheapest_cover_at_least(n: usize, long: &[u128], most: usize, threshold: u64) -> bool {
    let cost = |i: usize, j: usize| -> u64 {
        let len = j - i + 1;
        let patterned = len <= SHORT || long[i] >> j & 1 == 1;
        match len {
            _ if !patterned => BRUTE[len],
            _ if len == n => 1,
            1 => 10,
            _ => 50,
        }
    };
    // A cover holding a span that costs the threshold on its own is no
    // cheaper: only spans up to `reach` long, and long patterned ones, count.
    // ends[j]: bit i set when s[i..=j] is a long patterned span.
    let reach = BRUTE[1..]
        .iter()
        .take_while(|&&b| b < threshold)
        .count()
        .max(SHORT);
    let mut ends = vec![0u128; n];
    for (i, &row) in long.iter().enumerate() {
        for j in bits(row) {
            ends[j] |= 1 << i;
        }
    }
    // products[k]: the cheapest product of `l` span costs covering s[..k].
    let mut products: Vec<u64> = (0..=n)
        .map(|k| if k == 0 { u64::MAX } else { cost(0, k - 1) })
        .collect();
    for l in 1..=most {
        if l > 1 {
            let shorter = products;
            products = (0..=n)
                .map(|k| {
                    if k < l {
                        return u64::MAX;
                    }
                    // The last span starts at m: near ones, then far long ones.
                    let near = k.saturating_sub(reach).max(l - 1);
                    let far = ends[k - 1] & ((1u128 << near) - 1) & !((1u128 << (l - 1)) - 1);
                    (near..k)
                        .chain(bits(far))
                        .map(|m| shorter[m].saturating_mul(cost(m, k - 1)))
                        .min()
                        .unwrap_or(u64::MAX)
                })
                .collect();
        }
        let cheapest = factorial(l)
            .saturating_mul(products[n])
            .saturating_add(additive(l));
        if cheapest < threshold {
            return false;
        }
    }
    true
}

/// The indices of the set bits.
fn bits(mut x: u128) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (x != 0).then(|| {
            let i = x.trailing_zeros() as usize;
            x &= x - 1;
            i
        })
    })
}

/// For each start `i`, bit `j` set when `s[i..=j]`, longer than `SHORT`,
/// might hold a match.
fn long_spans(s: &[u8]) -> Vec<u128> {
    let n = s.len();
    let mut long = vec![0u128; n];
    let mut mark = |i: usize, j: usize| {
        if j - i >= SHORT {
            long[i] |= 1u128 << j;
        }
    };
    // Dictionary words, by the prefix that starts them or, reversed, ends
    // them: every length a stored word may have.
    let mut windows = Vec::with_capacity(n);
    for q in 0..(n + 1).saturating_sub(PREFIX_LEN) {
        let window = &s[q..q + PREFIX_LEN];
        let forward = Fingerprint::of(window.iter());
        if forward.is_stored() {
            for j in q + SHORT..n.min(q + LONGEST_WORD) {
                mark(q, j);
            }
        }
        if Fingerprint::of(window.iter().rev()).is_stored() {
            let end = q + SHORT;
            for i in (end + 1).saturating_sub(LONGEST_WORD)..=q {
                mark(i, end);
            }
        }
        windows.push(forward);
    }
    // Keyboard walks and constant-step sequences.
    let step = |k: usize| i16::from(s[k]) - i16::from(s[k - 1]);
    for i in 0..n {
        for j in i + 1..n {
            if ADJACENT[usize::from(s[j - 1])] >> s[j] & 1 == 0 {
                break;
            }
            mark(i, j);
        }
        if i + 1 < n && (1..=MAX_STEP).contains(&step(i + 1).abs()) {
            for j in i + 1..n {
                if step(j) != step(i + 1) {
                    break;
                }
                mark(i, j);
            }
        }
    }
    // Repetitions: s[i..=j] is its first p characters repeated. A period
    // of PREFIX_LEN or more repeats a window, so it is only sought then.
    windows.sort_unstable();
    let repeats_window = windows.windows(2).any(|w| w[0] == w[1]);
    let periods = if repeats_window {
        n / 2
    } else {
        SHORT.min(n / 2)
    };
    let mut run = vec![0usize; n + 1];
    for p in 1..=periods {
        // run[k]: how many s[t] == s[t + p] in a row from t = k.
        run[n - p] = 0;
        for k in (0..n - p).rev() {
            run[k] = if s[k] == s[k + p] { run[k + 1] + 1 } else { 0 };
        }
        for (i, &r) in run.iter().enumerate().take(n - p) {
            for len in (2 * p..=r + p).step_by(p) {
                mark(i, i + len - 1);
            }
        }
    }
    long
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_form_never_exceeds_the_cheapest_cover() {
        // Without long patterned spans both answer for the same covers; the
        // closed form may only be the more cautious.
        for n in 1..=MAX_LEN {
            let none = vec![0u128; n];
            for digits in 1..=19 {
                for threshold in [10u64.pow(digits), 3 * 10u64.pow(digits - 1)] {
                    let most = (1..=n)
                        .take_while(|&l| additive(l) < threshold)
                        .last()
                        .unwrap_or(0);
                    if unpatterned_at_least(n, most, threshold) {
                        assert!(
                            cheapest_cover_at_least(n, &none, most, threshold),
                            "{n} characters, {threshold}"
                        );
                    }
                }
            }
        }
    }
}
