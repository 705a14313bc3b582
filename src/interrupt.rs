//! Ctrl-C and SIGTERM for the `idvault` binary: the run stops between files, and always within a
//! few seconds.
//!
//! The first signal sets the run's [`Cancel`] token, which the library's per-file loops check;
//! they finish the file in hand (each step of which is atomic: a temporary file renamed into
//! place) and stop. A watchdog thread ends the process anyway [`GRACE`] after the first signal,
//! or at once on a second one. Before such a hard exit it removes the temporary files still
//! being written ([`fsutil::remove_temps_in_flight`]), so nothing half-written is left beside
//! the user's files; a file whose wipe was cut short keeps its recognisable leftover name.
//!
//! Part of the command edge (feature `cli`): a program linking the library owns its own token.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use std::{io, thread};

use signal_hook::iterator::Signals;

use crate::{Cancel, fsutil};

/// How long the run may take to stop by itself after the first signal. The slowest step that
/// cannot be cut short is one file's content analysis (well under a second at the working size)
/// or one file's encryption (about a second per 400 MiB); three seconds covers both on a slow
/// machine and still feels immediate to a person pressing Ctrl-C.
const GRACE: Duration = Duration::from_secs(3);

/// How often the watchdog looks at the signal counters.
const TICK: Duration = Duration::from_millis(25);

/// The signals that end a run.
const SIGNALS: [i32; 2] = [libc::SIGINT, libc::SIGTERM];

/// Signals received so far, and the number of the first one.
static COUNT: AtomicUsize = AtomicUsize::new(0);
static FIRST: AtomicUsize = AtomicUsize::new(0);

/// Installs the handlers and the watchdog, which sets `cancel` on the first signal and prints
/// `hard_exit_note` (in the user's language) if it has to end the process itself. Call once,
/// from `main`, before any work starts.
///
/// signal-hook's iterator receives the signals on the watchdog's own thread (through a
/// self-pipe), so no code of ours runs inside a signal handler.
pub fn install(cancel: Cancel, hard_exit_note: String) -> io::Result<()> {
    let signals = Signals::new(SIGNALS)?;
    thread::Builder::new()
        .name("idvault-interrupt".into())
        .spawn(move || watchdog(signals, &cancel, &hard_exit_note))?;
    Ok(())
}

/// Counts a received signal, remembering the first one.
fn received(sig: i32) {
    let _ = FIRST.compare_exchange(0, sig as usize, Ordering::SeqCst, Ordering::SeqCst);
    COUNT.fetch_add(1, Ordering::SeqCst);
}

/// The first signal received, if any (`libc::SIGINT` or `libc::SIGTERM`).
pub fn signal() -> Option<i32> {
    match FIRST.load(Ordering::SeqCst) {
        0 => None,
        sig => i32::try_from(sig).ok(),
    }
}

/// Waits for a signal and sets `cancel`, then waits for the grace period or a second signal,
/// then ends the process.
fn watchdog(mut signals: Signals, cancel: &Cancel, note: &str) {
    match signals.forever().next() {
        Some(sig) => received(sig),
        None => return,
    }
    cancel.cancel();
    let since = Instant::now();
    while COUNT.load(Ordering::SeqCst) < 2 && since.elapsed() < GRACE {
        signals.pending().for_each(received);
        thread::sleep(TICK);
    }
    fsutil::remove_temps_in_flight();
    // The run had no time to print its own last line: the caller's words say it stopped.
    {
        use std::io::Write;
        let _ = writeln!(io::stderr(), "{note}");
    }
    // The status a shell reports for a process ended by this signal (as `ExitCode::Interrupted`).
    std::process::exit(128 + signal().unwrap_or(libc::SIGTERM));
}
