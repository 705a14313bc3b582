//! `idvault review`: the findings of a scan as cards on a local web page, where the user looks,
//! chooses, marks false positives "Not a document", and secures the chosen files.
//!
//! The server owns every decision: what is selected by default (exactly what `secure` would act
//! on, by [`crate::scan::ScanOptions::wants`]), what securing does ([`crate::secure::apply`],
//! the one pipeline), which marks are kept ([`crate::dismissed`]). The page only renders the
//! JSON it is given and posts the user's choices back. See docs/review.md for the threat model.
//!
//! The page is served at once and filled as the scan goes ([`fill`]).
//!
//! - [`session`]: the cards and what happened to them.
//! - [`job`]: "Secure selected", run on a thread with progress for the page.
//! - [`thumb`]: blurred and sharp thumbnails, made in memory.
//! - [`server`]: the HTTP side: token, the browser's session cookie, Host and Origin checks,
//!   headers, routes; on [`http`], a small server whose waits are all bounded.
//! - [`forward`]: the private file the browser is opened on, so that the address is never in a
//!   process's arguments.

pub mod forward;
pub mod http;
pub mod job;
pub mod server;
pub mod session;
pub mod thumb;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use secrecy::SecretString;

use crate::scan::ScanOptions;
use crate::secure;

pub use forward::ForwardPage;
pub use server::{Server, Stop};
use session::Session;

/// The guard of a mutex whose holder may have panicked (the state stays usable: every update
/// is a single assignment or push).
pub fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Scans on a thread of its own, adding a card to `session` for each finding as it comes;
/// calls `on_progress` with the number of files looked at, and `on_finished` at the end.
pub fn fill(
    session: Arc<Mutex<Session>>,
    opts: secure::Options,
    mut on_progress: impl FnMut(u64) + Send + 'static,
    on_finished: impl FnOnce() + Send + 'static,
) -> JoinHandle<()> {
    thread::spawn(move || {
        let plan = secure::plan_each(
            &opts,
            |item| locked(&session).add(item),
            |files| {
                locked(&session).scan.files = files;
                on_progress(files);
            },
        );
        locked(&session).scan_finished(plan);
        on_finished();
    })
}

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
