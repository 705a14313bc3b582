//! All integration tests, built as one binary. Each module drives the real `idvault` binary on
//! real files built in temporary directories; `library` calls the library's public API instead.

mod util;

mod archive;
mod avif;
mod cli;
mod content;
mod formats;
mod hostile;
mod i18n;
mod library;
mod media_detect;
mod progress;
mod rescan;
mod review;
mod samsung;
mod scan;
mod secure;
mod strip;
mod vault;
mod vault_trust;
mod wipe;
