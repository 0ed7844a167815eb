//! Deterministic randomness: keys from xxh3 and splitmix64, and a splitmix64 stream.
//!
//! Hand-rolled on purpose: rand's `StdRng` may change between releases, and every record must
//! be a pure function of (seed, tenant, index) that yields the same bytes on every machine. A
//! splitmix64 stream keyed by a hash of those inputs is tiny, fast, and fixed forever.

use xxhash_rust::xxh3::xxh3_64_with_seed;

/// One splitmix64 finalisation step: a good 64-bit mixer.
pub(crate) fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Mixes a seed with several integers into one key.
pub(crate) fn key(seed: u64, parts: &[u64]) -> u64 {
    parts
        .iter()
        .fold(splitmix(seed), |acc, part| splitmix(acc ^ splitmix(*part)))
}

/// Hashes text (tenant names, request identities) with a seed.
pub(crate) fn hash_str(seed: u64, text: &str) -> u64 {
    xxh3_64_with_seed(text.as_bytes(), seed)
}

/// A uniform number in `[0, 1)` from a key, exact on every machine.
pub(crate) fn unit(key: u64) -> f64 {
    (key >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A splitmix64 pseudo-random stream.
#[derive(Clone, Debug)]
pub(crate) struct Stream {
    state: u64,
}

impl Stream {
    /// A stream whose whole output is determined by `key`.
    pub(crate) fn new(key: u64) -> Self {
        Self { state: key }
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0), without modulo bias worth caring about.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// A uniform number in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        unit(self.next_u64())
    }

    /// True with probability `p`; consumes one draw whatever `p` is, so the draws that follow
    /// do not depend on the configured rates.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One element of a non-empty slice, copied.
    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// One element of a non-empty slice, borrowed.
    pub(crate) fn pick_ref<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Appends `n` random decimal digits.
    pub(crate) fn push_digits(&mut self, out: &mut String, n: usize) {
        for _ in 0..n {
            out.push(char::from(b'0' + self.below(10) as u8));
        }
    }

    /// Appends `n` random lowercase ASCII letters.
    pub(crate) fn push_letters(&mut self, out: &mut String, n: usize) {
        for _ in 0..n {
            out.push(char::from(b'a' + self.below(26) as u8));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_fixed_forever() {
        // These values must never change: they pin the bytes of every generated record.
        let mut s = Stream::new(key(42, &[1, 2]));
        let first = [s.next_u64(), s.next_u64()];
        let mut again = Stream::new(key(42, &[1, 2]));
        assert_eq!(first, [again.next_u64(), again.next_u64()]);
        assert_eq!(splitmix(0), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn below_stays_in_range() {
        let mut s = Stream::new(7);
        for n in [1u64, 2, 3, 10, 1000] {
            for _ in 0..100 {
                assert!(s.below(n) < n);
            }
        }
        assert_eq!(s.below(0), 0);
    }
}
