//! Unbiased sampling of characters and bytes from the OS-seeded CSPRNG.

use rand::{CryptoRng, Rng};

use crate::SecretValue;

/// Letters and digits: accepted by every `.env` reader, URL userinfo,
/// SuperTokens (no `_`) and MinIO access keys (no `,` or `=`).
pub const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// The alphabet every `.env` reader and URL userinfo agree on: `A-Za-z0-9_.-`.
pub const ENV_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";

/// Lowercase letters and digits, for user names.
pub const LOWER_ALPHANUMERIC: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// Lowercase hex digits: what `openssl rand -hex` and Rails' `rails secret`
/// (`SecureRandom.hex(64)`) print.
pub const HEX: &[u8] = b"0123456789abcdef";

/// Lowercase letters, for the first character of a user name.
pub const LOWER_LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyz";

/// `length` characters drawn uniformly from `alphabet`.
///
/// `random_range` rejects out-of-range draws instead of reducing modulo the
/// alphabet size, so every character is equally likely.
pub fn sample<R: Rng + CryptoRng + ?Sized>(
    rng: &mut R,
    alphabet: &[u8],
    length: usize,
) -> SecretValue {
    assert!(!alphabet.is_empty(), "alphabet must not be empty");
    // Sized once (the alphabets are ASCII): a growing buffer would leave
    // freed copies of the value behind.
    let mut out = zeroize::Zeroizing::new(String::with_capacity(length));
    for _ in 0..length {
        out.push(char::from(alphabet[rng.random_range(0..alphabet.len())]));
    }
    SecretValue::from(out)
}

/// `n` random bytes, zeroized when dropped.
pub fn bytes<R: Rng + CryptoRng + ?Sized>(rng: &mut R, n: usize) -> crate::SecretBytes {
    let mut out = zeroize::Zeroizing::new(vec![0u8; n]);
    rng.fill_bytes(&mut out);
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    /// Pearson's chi-square statistic of observed counts against a uniform
    /// expectation.
    fn chi_square(counts: &[u64], total: u64) -> f64 {
        let expected = total as f64 / counts.len() as f64;
        counts
            .iter()
            .map(|&c| {
                let d = c as f64 - expected;
                d * d / expected
            })
            .sum()
    }

    fn counts(alphabet: &[u8], drawn: &str) -> Vec<u64> {
        let mut counts = vec![0u64; alphabet.len()];
        for b in drawn.bytes() {
            let i = alphabet
                .iter()
                .position(|&a| a == b)
                .expect("character outside alphabet");
            counts[i] += 1;
        }
        counts
    }

    // Critical values of chi-square at p = 0.0001 (a fair sampler fails one
    // run in ten thousand): 61 degrees of freedom -> 113.0, 63 -> 115.6.
    const CRITICAL_61: f64 = 113.0;
    const CRITICAL_63: f64 = 115.6;
    const DRAWS: usize = 1_000_000;

    #[test]
    fn alphanumeric_sampling_is_uniform_by_chi_square() {
        let mut rng = StdRng::from_os_rng();
        let drawn = sample(&mut rng, ALPHANUMERIC, DRAWS);
        let drawn = drawn.expose();
        let stat = chi_square(&counts(ALPHANUMERIC, drawn), DRAWS as u64);
        assert!(
            stat < CRITICAL_61,
            "chi-square {stat} over 61 df: biased sampler"
        );
    }

    #[test]
    fn env_safe_sampling_is_uniform_by_chi_square() {
        let mut rng = StdRng::from_os_rng();
        let drawn = sample(&mut rng, ENV_SAFE, DRAWS);
        let drawn = drawn.expose();
        let stat = chi_square(&counts(ENV_SAFE, drawn), DRAWS as u64);
        assert!(
            stat < CRITICAL_63,
            "chi-square {stat} over 63 df: biased sampler"
        );
    }

    #[test]
    fn the_chi_square_test_catches_modulo_bias() {
        // The bug the unbiased sampler avoids: a byte reduced modulo 62 makes
        // the first 8 characters 25% more likely. The test must see it.
        let mut rng = StdRng::from_os_rng();
        let biased: String = (0..DRAWS)
            .map(|_| char::from(ALPHANUMERIC[(rng.random::<u8>() as usize) % ALPHANUMERIC.len()]))
            .collect();
        let stat = chi_square(&counts(ALPHANUMERIC, &biased), DRAWS as u64);
        assert!(
            stat > CRITICAL_61,
            "a modulo-biased sampler went unnoticed: {stat}"
        );
    }
}
