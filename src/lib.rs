//! idvault finds identity-document photos, identity-verification screenshots and screen
//! recordings in photo folders, and secures them offline: it strips their metadata, encrypts
//! them into an [age](https://age-encryption.org) vault and securely deletes the originals.
//!
//! # The front door
//!
//! | Step | Call | Options | Reports through | Result |
//! |---|---|---|---|---|
//! | find | [`scan::scan`] | [`scan::ScanOptions`] | [`scan::Event`] | [`scan::Summary`] |
//! | strip one file's bytes | [`strip::strip`] | [`strip::StripOptions`] | — | [`strip::Stripped`] |
//! | strip files on disk | [`strip::run`] | [`strip::Options`] | [`strip::Outcome`] | [`strip::Summary`] |
//! | store | [`vault::Vault`], [`vault::add_all`] | [`vault::StripPolicy`] | [`vault::AddEvent`] | [`vault::AddSummary`] |
//! | restore | [`vault::choose_entries`], [`vault::extract_all`] | [`vault::check::Modes`] | [`vault::ExtractEvent`] | [`vault::ExtractSummary`] |
//! | wipe | [`wipe::plan`], [`wipe::execute_many`] | [`wipe::WipeOptions`] | [`wipe::Outcome`] | [`wipe::Plan`] |
//! | all of it | [`secure::plan`], [`secure::apply`] | [`secure::Options`] | [`secure::Progress`] | [`secure::ItemOutcome`] |
//!
//! Nothing here prints, prompts or reads the terminal: each call returns values and reports
//! progress through the callback it is given. Each per-file loop checks the caller's
//! [`Cancel`] token before it starts a file, so a run stops between files when the caller sets
//! it. Destructive steps keep the project's order: an original is wiped only after its vault
//! copy is written, fsynced, renamed into place and verified against the original itself
//! ([`secure::apply`], [`vault::add_all`] with `remove`).
//!
//! ```no_run
//! use std::path::PathBuf;
//! use idvault::{Cancel, scan};
//!
//! let cancel = Cancel::new();
//! let opts = scan::ScanOptions {
//!     // Another thread may call `cancel.cancel()` to stop the scan before its next file.
//!     cancel: cancel.clone(),
//!     ..scan::ScanOptions::new(vec![PathBuf::from("/home/me/Pictures")])
//! };
//! let summary = scan::scan(&opts, |event| {
//!     if let scan::Event::Finding(f) = event {
//!         println!("{}: {} ({:.2})", f.path.display(), f.verdict.kind, f.verdict.confidence);
//!     }
//! });
//! println!("{} files looked at, {} found", summary.files, summary.findings);
//! ```
//!
//! # Features
//!
//! - `content` (default): content analysis of pixels, text and video frames (OCR, faces, MRZ,
//!   H.264, HEVC and AV1 decoding). Without it a scan judges by names, metadata and containers
//!   only, and vaulting and stripping work as before.
//! - `cli` (default): the `idvault` binary's command line, terminal output and review page.
//!   A program using the library can leave it out, and clap with it.

mod cancel;
pub mod scan;
pub mod secure;
pub mod strip;
pub mod vault;
pub mod wipe;

pub use cancel::Cancel;

/// AVIF pictures are decoded (by AV1) in a child process, so that a decoder abort costs one
/// file a note rather than the caller's process: the program the caller names with
/// [`set_worker`](av1::set_worker), which, given [`WORKER_ARG`](av1::WORKER_ARG) as its first
/// argument, runs [`serve`](av1::serve) on its stdin and stdout. The `idvault` binary names
/// itself; a program that names none gets a note for each AVIF file, never a copy of itself
/// started.
#[cfg(feature = "content")]
pub mod av1 {
    pub use crate::media::heif::avif::{WORKER_ARG, serve, set_worker};
}
pub use fsutil::remove_temps_in_flight;

mod dismissed;
mod files;
mod fsutil;
mod i18n;
mod isolate;
mod media;
mod metadata;
mod strength;
#[cfg(test)]
mod testutil;

// The command edge: the binary's arguments, terminal text and review page (see `commands`).
#[cfg(feature = "cli")]
mod cli;
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod commands;
#[cfg(feature = "cli")]
mod exit;
#[cfg(feature = "cli")]
mod harden;
#[cfg(feature = "cli")]
mod interrupt;
#[cfg(feature = "cli")]
mod report;
#[cfg(feature = "cli")]
mod review;
#[cfg(feature = "cli")]
mod ui;

#[doc(hidden)]
pub mod fuzzing;

/// A directory holding this file is an idvault vault: scans skip it.
pub const VAULT_MARKER: &str = "idvault-vault.toml";
