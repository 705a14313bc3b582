//! `idvault review`: the findings of a scan as cards on a local web page, where the user looks,
//! chooses, marks false positives "Not a document", and secures the chosen files.
//!
//! The server owns every decision: what is selected by default (exactly what `secure` would act
//! on, by [`crate::scan::ScanOptions::wants`]), what securing does ([`crate::secure::apply`],
//! the one pipeline), which marks are kept ([`crate::dismissed`]). The page only renders the
//! JSON it is given and posts the user's choices back. See docs/review.md for the threat model.
//!
//! - [`session`]: the cards and what happened to them.
//! - [`job`]: "Secure selected", run on a thread with progress for the page.
//! - [`thumb`]: blurred and sharp thumbnails, made in memory.
//! - [`server`]: the HTTP side: token, Host and Origin checks, headers, routes.

pub mod job;
pub mod server;
pub mod session;
pub mod thumb;

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

use crate::scan::ScanOptions;
use crate::secure;

pub use server::{Server, Stop};

/// What the review session needs besides the plan.
pub struct Options {
    /// How chosen files are secured (the same options `secure --apply` takes).
    pub secure: secure::Options,
    /// What `secure` would act on: findings it `wants` are selected by default.
    pub selection: ScanOptions,
    /// The vault folder (created on the first "Secure selected" when missing).
    pub vault: PathBuf,
    /// A passphrase given when the command started (`--passphrase-file`); otherwise the page
    /// asks for it.
    pub passphrase: Option<SecretString>,
    /// Where "Not a document" marks are kept; `None` disables marking.
    pub marks_dir: Option<PathBuf>,
    /// Stop after this long without a request (the page sends one every minute while open).
    pub idle: Duration,
}
