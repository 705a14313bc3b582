//! Stopping a run between files: a token the caller owns and passes in the options.
//!
//! Every per-file loop of the library (the scan's walk and workers, an archive's entries,
//! strip's files, the vault pipeline's steps, the wipes) looks at the token before it starts a
//! file, and stops when it is set; the file in hand finishes (each of its steps is atomic: a
//! temporary file renamed into place), so an original is left as it was or has a complete,
//! verified vault copy. The `idvault` binary sets its token from its Ctrl-C and SIGTERM handler;
//! a program linking the library sets it from wherever it likes (a button, a timeout).
//!
//! A leaf module: it imports nothing else of the crate.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A cancellation token: clones share one flag, so the caller keeps one and hands the other to
/// the options of a run.
///
/// ```
/// let cancel = idvault::Cancel::new();
/// let for_the_run = cancel.clone();
/// assert!(!for_the_run.is_cancelled());
/// cancel.cancel();
/// assert!(for_the_run.is_cancelled());
/// ```
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A token not set yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks every run holding a clone of this token to stop before its next file.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// True once [`cancel`](Self::cancel) was called on this token or a clone of it.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
