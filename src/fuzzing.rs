//! Entry points for the fuzz targets in `fuzz/` into crate-private parsers of bytes found in
//! the vault folder. Compiled only under `--cfg fuzzing`, which cargo-fuzz sets, so the
//! library's public surface stays as it is.

/// Decrypts `data` as an entry's metadata file (the smallest cap) with `identity`.
pub fn vault_decrypt_small(data: &[u8], identity: &dyn age::Identity) -> bool {
    use crate::vault::{crypto, format};
    crypto::decrypt_small(data, std::iter::once(identity), format::META_LIMIT).is_ok()
}

/// Parses `s` as a vault recipient, as the config's recipient list is read.
pub fn vault_parse_recipient(s: &str) -> bool {
    crate::vault::crypto::parse_recipient(s).is_ok()
}
