//! The generator every secret comes from: the kernel's CSPRNG.

use rand::rand_core::{CryptoRng, RngCore, TryRngCore};
use zeroize::Zeroize;

/// Bytes fetched per `getrandom(2)` call: a 32-character password takes
/// about 130, so most values cost at most one system call.
const BUFFER: usize = 256;

/// Random bytes straight from the kernel's CSPRNG (`getrandom(2)`), read
/// ahead in blocks of 256 bytes. There is no state in user space that
/// could be predicted or forked: each byte handed out is wiped from the
/// buffer, and the rest when the generator is dropped.
///
/// # Panics
///
/// When `getrandom(2)` fails, which on Linux only happens without a
/// kernel CSPRNG at all; a secret is never made from anything weaker.
pub struct OsRng {
    buf: [u8; BUFFER],
    pos: usize,
}

impl OsRng {
    /// A generator with nothing read yet.
    pub fn new() -> Self {
        OsRng {
            buf: [0; BUFFER],
            pos: BUFFER,
        }
    }

    fn refill(&mut self) {
        if let Err(e) = rand::rngs::OsRng.try_fill_bytes(&mut self.buf) {
            panic!("the kernel's random number generator failed: {e}");
        }
        self.pos = 0;
    }
}

impl Default for OsRng {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for OsRng {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OsRng")
    }
}

impl RngCore for OsRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, mut dst: &mut [u8]) {
        while !dst.is_empty() {
            if self.pos == BUFFER {
                self.refill();
            }
            let n = dst.len().min(BUFFER - self.pos);
            let src = &mut self.buf[self.pos..self.pos + n];
            dst[..n].copy_from_slice(src);
            src.zeroize();
            self.pos += n;
            dst = &mut dst[n..];
        }
    }
}

impl CryptoRng for OsRng {}

impl Drop for OsRng {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hands_out_each_byte_once_and_wipes_it() {
        let mut rng = OsRng::new();
        let mut a = [0u8; 300];
        rng.fill_bytes(&mut a);
        // 300 bytes cross a refill; what was handed out is zero in the buffer.
        assert_eq!(rng.pos, 300 - BUFFER);
        assert!(rng.buf[..rng.pos].iter().all(|&b| b == 0));
        let mut b = [0u8; 300];
        rng.fill_bytes(&mut b);
        assert_ne!(a, b);
        // Every byte value turns up in 600 random bytes with overwhelming
        // probability unless the source is broken (all zeros, a counter).
        let distinct: std::collections::BTreeSet<u8> = a.iter().chain(&b).copied().collect();
        assert!(distinct.len() > 200, "{}", distinct.len());
    }
}
