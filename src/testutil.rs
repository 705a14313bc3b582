//! Helpers shared by the unit tests: a small deterministic noise source, so that a failing
//! noise test reproduces from its seed.

/// An xorshift64 generator. Not for anything but test inputs: it is neither secure nor uniform
/// enough for real use, and it does not need to be.
pub(crate) struct Noise(u64);

impl Noise {
    /// A generator started from `seed`, which must not be zero (xorshift stays at zero).
    pub(crate) fn new(seed: u64) -> Self {
        assert_ne!(seed, 0, "xorshift needs a non-zero seed");
        Noise(seed)
    }

    /// The next 64 noisy bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}
