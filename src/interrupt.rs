//! Ctrl-C and SIGTERM: the run stops between files, and always within a few seconds.
//!
//! The first signal raises a flag that the per-file loops check ([`requested`]); they finish the
//! file in hand (each step of which is atomic: a temporary file renamed into place) and stop. A
//! watchdog thread ends the process anyway [`GRACE`] after the first signal, or at once on a
//! second one. Before such a hard exit it removes the temporary files still being written
//! (every [`crate::fsutil::AtomicFile`] registers its own here), so nothing half-written is left
//! beside the user's files; a file whose wipe was cut short keeps its recognisable leftover name.
//!
//! A leaf module: it imports nothing else of the crate.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};
use std::{io, thread};

use signal_hook::iterator::Signals;

/// How long the run may take to stop by itself after the first signal. The slowest step that
/// cannot be cut short is one file's content analysis (well under a second at the working size)
/// or one file's encryption (about a second per 400 MiB); three seconds covers both on a slow
/// machine and still feels immediate to a person pressing Ctrl-C.
pub const GRACE: Duration = Duration::from_secs(3);

/// How often the watchdog looks at the signal counters.
const TICK: Duration = Duration::from_millis(25);

/// The signals that end a run.
const SIGNALS: [i32; 2] = [libc::SIGINT, libc::SIGTERM];

/// Signals received so far, and the number of the first one.
static COUNT: AtomicUsize = AtomicUsize::new(0);
static FIRST: AtomicUsize = AtomicUsize::new(0);

/// Temporary files being written right now.
static TEMPS: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

/// What the watchdog prints on stderr when it ends the process itself (set by the binary, in its
/// language; this leaf makes no text of its own).
static HARD_EXIT_NOTE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Sets the line printed when the watchdog ends the run before it could stop by itself.
pub fn set_hard_exit_note(note: String) {
    let _ = HARD_EXIT_NOTE.set(note);
}

/// Installs the handlers and the watchdog. Call once, from `main`, before any work starts.
///
/// signal-hook's iterator receives the signals on the watchdog's own thread (through a
/// self-pipe), so no code of ours runs inside a signal handler.
pub fn install() -> io::Result<()> {
    let signals = Signals::new(SIGNALS)?;
    thread::Builder::new()
        .name("idvault-interrupt".into())
        .spawn(move || watchdog(signals))?;
    Ok(())
}

/// Counts a received signal, remembering the first one.
fn received(sig: i32) {
    let _ = FIRST.compare_exchange(0, sig as usize, Ordering::SeqCst, Ordering::SeqCst);
    COUNT.fetch_add(1, Ordering::SeqCst);
}

/// True once Ctrl-C or SIGTERM was received: finish the file in hand and stop.
pub fn requested() -> bool {
    COUNT.load(Ordering::SeqCst) > 0
}

/// The first signal received, if any (`libc::SIGINT` or `libc::SIGTERM`).
pub fn signal() -> Option<i32> {
    match FIRST.load(Ordering::SeqCst) {
        0 => None,
        sig => i32::try_from(sig).ok(),
    }
}

/// Records a temporary file that a hard exit must remove.
pub fn temp_created(path: &Path) {
    let mut temps = TEMPS.lock().unwrap_or_else(PoisonError::into_inner);
    temps.get_or_insert_default().insert(path.to_path_buf());
}

/// Forgets a temporary file that was renamed into place or removed.
pub fn temp_gone(path: &Path) {
    let mut temps = TEMPS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(set) = temps.as_mut() {
        set.remove(path);
    }
}

/// Waits for a signal, then for the grace period or a second signal, then ends the process.
fn watchdog(mut signals: Signals) {
    match signals.forever().next() {
        Some(sig) => received(sig),
        None => return,
    }
    let since = Instant::now();
    while COUNT.load(Ordering::SeqCst) < 2 && since.elapsed() < GRACE {
        signals.pending().for_each(received);
        thread::sleep(TICK);
    }
    let temps = TEMPS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
        .unwrap_or_default();
    for path in temps {
        let _ = std::fs::remove_file(path);
    }
    // The run had no time to print its own last line: the caller's words say it stopped.
    if let Some(note) = HARD_EXIT_NOTE.get() {
        use std::io::Write;
        let _ = writeln!(io::stderr(), "{note}");
    }
    // The status a shell reports for a process ended by this signal (as `ExitCode::Interrupted`).
    std::process::exit(128 + signal().unwrap_or(libc::SIGTERM));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temps_are_tracked_and_forgotten() {
        let a = Path::new("/nonexistent/.idvault-tmp-a");
        temp_created(a);
        assert!(TEMPS.lock().unwrap().as_ref().unwrap().contains(a));
        temp_gone(a);
        assert!(!TEMPS.lock().unwrap().as_ref().unwrap().contains(a));
    }
}
