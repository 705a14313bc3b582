//! Helpers shared by the unit tests: a small deterministic noise source, so that a failing
//! noise test reproduces from its seed, and a fresh unlocked vault with its lock.

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

/// A new vault in `dir/vault`, unlocked with its passphrase, for the unit tests of the vault's
/// destroy decision. Its trust record goes to the unit tests' own data folder
/// ([`crate::files::data_dir`]).
pub(crate) fn vault(dir: &std::path::Path) -> (crate::vault::Vault, crate::vault::Keys) {
    let pass = secrecy::SecretString::from("quartz lantern meadow ferry 7 unit".to_string());
    let vault = crate::vault::Vault::init(&dir.join("vault"), &pass, &[]).expect("vault init");
    let keys = vault.unlock(&pass).expect("unlock");
    (vault, keys)
}

/// The vault's exclusive lock, as every write command holds it.
pub(crate) fn lock(vault: &crate::vault::Vault) -> crate::vault::VaultLock {
    vault
        .lock(crate::vault::LockMode::Exclusive, |_| {})
        .expect("lock")
}
