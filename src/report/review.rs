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

/// Says on stderr, unless `quiet`, why the review ended; `idle` is the idle timeout.
pub fn stopped(stop: Stop, idle: Duration, quiet: bool) {
    if quiet {
        return;
    }
    match stop {
        Stop::Done => eprintln!("idvault: review finished"),
        Stop::Idle => eprintln!(
            "idvault: review stopped after {} minutes without the page",
            idle.as_secs() / 60
        ),
        Stop::Signal => eprintln!("idvault: review interrupted"),
    }
}
