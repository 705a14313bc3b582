//! idvault finds identity-document photos, identity-verification screenshots and screen
//! recordings in photo folders, and secures them offline: it strips their metadata, encrypts
//! them into an age vault and securely deletes the originals.
//!
//! The library holds every capability; the `idvault` binary only parses arguments, wires the
//! library to the terminal and maps results to exit codes. Domain modules never print or prompt:
//! they return values and report progress through callbacks.

pub mod dismissed;
pub mod files;
pub mod fsutil;
#[cfg(fuzzing)]
pub mod fuzzing;
pub mod i18n;
pub mod interrupt;
pub mod isolate;
pub mod media;
pub mod metadata;
pub mod report;
pub mod review;
pub mod scan;
pub mod secure;
#[cfg(test)]
pub(crate) mod testutil;
pub mod ui;
pub mod vault;
pub mod wipe;

/// A directory holding this file is an idvault vault: scans skip it.
pub const VAULT_MARKER: &str = "idvault-vault.toml";
