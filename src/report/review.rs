//! Output of `idvault review`: the page's address as the first line on stdout (for people and
//! for scripts that open it), and on stderr, unless `--quiet`, how to stop and why it stopped.

use std::io::{self, Write};
use std::time::Duration;

use crate::review::Stop;

/// Prints the page's address on stdout at once and, unless `quiet`, how to stop on stderr.
pub fn address(url: &str, quiet: bool) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "{url}")?;
    out.flush()?;
    if !quiet {
        eprintln!(
            "idvault: the review page is at the address above (this computer only); \
             press Ctrl-C to stop"
        );
    }
    Ok(())
}

/// Says on stderr, unless `quiet`, that the browser could not be opened safely and why: the
/// user opens the address above by hand.
pub fn not_opened(err: &io::Error, quiet: bool) {
    if !quiet {
        eprintln!(
            "idvault: not opening the browser (no private place for its forwarding page: {err}); \
             open the address above yourself"
        );
    }
}

/// Says on stderr, unless `quiet`, why the review ended (and if it ended before its scan
/// did); `idle` is the idle timeout.
pub fn stopped(stop: Stop, idle: Duration, scanning: bool, quiet: bool) {
    if quiet {
        return;
    }
    if scanning {
        eprintln!("idvault: the review ended before its scan finished");
    }
    match stop {
        Stop::Done => eprintln!("idvault: review finished"),
        Stop::Idle => eprintln!(
            "idvault: review stopped after {} minutes without a request from the page",
            idle.as_secs() / 60
        ),
        Stop::Signal => eprintln!("idvault: review interrupted"),
    }
}
