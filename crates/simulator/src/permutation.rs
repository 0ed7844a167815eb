//! Keyed bijections of `0..n`, in both directions, for choosing records without materialising
//! anything.
//!
//! Links between vendors need "which YCM customers are copies, and of which U8 customer?" to be
//! answerable for one record at a time, from either side: the server writes record `j` of a
//! million on demand and cannot look it up in a table. A permutation answers both directions
//! (record at rank `q`, rank of record `i`) in a few hash rounds, and because it is a
//! bijection, numbers derived from it (phone numbers, name indexes) never repeat.
//!
//! It is a four-round Feistel network over the smallest power-of-two domain holding `n` (the two
//! halves differ by a bit when the width is odd), with cycle walking for the values beyond `n`:
//! fewer than two steps per value on average.

use crate::hash::{key, splitmix};

/// Feistel rounds: four make a keyed permutation indistinguishable enough for test data.
const ROUNDS: usize = 4;

/// A keyed bijection of `0..n`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Permutation {
    n: u64,
    /// Width of the high half of a value; the low half has `bits - high_bits`.
    high_bits: u32,
    low_bits: u32,
    round_keys: [u64; ROUNDS],
}

fn mask(bits: u32) -> u64 {
    (1u64 << bits) - 1
}

impl Permutation {
    /// The permutation of `0..n` chosen by `key`.
    pub(crate) fn new(n: u64, seed: u64) -> Self {
        let bits = (u64::BITS - n.saturating_sub(1).leading_zeros()).max(2);
        let mut round_keys = [0; ROUNDS];
        for (round, k) in round_keys.iter_mut().enumerate() {
            *k = key(seed, &[round as u64]);
        }
        Self {
            n,
            high_bits: bits / 2,
            low_bits: bits - bits / 2,
            round_keys,
        }
    }

    /// The image of `x` (`x < n`).
    pub(crate) fn apply(&self, x: u64) -> u64 {
        debug_assert!(x < self.n, "{x} is outside 0..{}", self.n);
        if self.n <= 1 {
            return x;
        }
        let mut y = self.encrypt(x);
        while y >= self.n {
            y = self.encrypt(y);
        }
        y
    }

    /// The value whose image is `y` (`y < n`): `invert(apply(x)) == x`.
    pub(crate) fn invert(&self, y: u64) -> u64 {
        debug_assert!(y < self.n, "{y} is outside 0..{}", self.n);
        if self.n <= 1 {
            return y;
        }
        let mut x = self.decrypt(y);
        while x >= self.n {
            x = self.decrypt(x);
        }
        x
    }

    fn round(&self, round: usize, half: u64, bits: u32) -> u64 {
        splitmix(self.round_keys[round] ^ half) & mask(bits)
    }

    /// Rounds map (high, low) to (low, high ^ F(low)): the halves swap widths each round, and
    /// an even number of rounds brings them back.
    fn encrypt(&self, x: u64) -> u64 {
        let (mut hi, mut lo) = (x >> self.low_bits, x & mask(self.low_bits));
        let (mut hi_bits, mut lo_bits) = (self.high_bits, self.low_bits);
        for round in 0..ROUNDS {
            let next = hi ^ self.round(round, lo, hi_bits);
            (hi, lo) = (lo, next);
            (hi_bits, lo_bits) = (lo_bits, hi_bits);
        }
        (hi << lo_bits) | lo
    }

    fn decrypt(&self, y: u64) -> u64 {
        let (mut hi, mut lo) = (y >> self.low_bits, y & mask(self.low_bits));
        let (mut hi_bits, mut lo_bits) = (self.high_bits, self.low_bits);
        for round in (0..ROUNDS).rev() {
            // Undo (hi, lo) = (lo', hi' ^ F(lo')): lo' = hi, hi' = lo ^ F(hi).
            let previous = lo ^ self.round(round, hi, lo_bits);
            (hi, lo) = (previous, hi);
            (hi_bits, lo_bits) = (lo_bits, hi_bits);
        }
        (hi << lo_bits) | lo
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_a_bijection_with_its_inverse() {
        for n in [0u64, 1, 2, 3, 7, 8, 100, 1000, 4097] {
            let p = Permutation::new(n, 99 + n);
            let mut seen = vec![false; n as usize];
            for x in 0..n {
                let y = p.apply(x);
                assert!(y < n);
                assert!(!seen[y as usize], "n={n}: {y} twice");
                seen[y as usize] = true;
                assert_eq!(p.invert(y), x);
            }
        }
    }

    #[test]
    fn large_ranges_invert_and_depend_on_the_key() {
        let n = 3_800_000_000;
        let (a, b) = (Permutation::new(n, 1), Permutation::new(n, 2));
        for x in [0, 1, 12_345, n / 2, n - 1] {
            assert_eq!(a.invert(a.apply(x)), x);
            assert!(a.apply(x) < n);
        }
        let differ = (0..100).filter(|&x| a.apply(x) != b.apply(x)).count();
        assert!(differ > 95);
    }
}
