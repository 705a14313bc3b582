//! Progress on stderr with indicatif, shown only on a terminal and never with `--quiet` or
//! `--json`. `IDVAULT_FORCE_PROGRESS=1` draws it anyway, for tests of the drawing code.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether progress should be drawn.
pub fn wanted(quiet: bool, json: bool) -> bool {
    if quiet || json {
        return false;
    }
    std::env::var_os("IDVAULT_FORCE_PROGRESS").is_some_and(|v| v == "1")
        || std::io::stderr().is_terminal()
}

/// A spinner counting items whose total is not known in advance (a walk in progress).
pub fn counter(show: bool, what: &'static str, color: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let template = if color {
        "{spinner:.cyan} {pos} {msg} {elapsed:.dim}"
    } else {
        "{spinner} {pos} {msg} {elapsed}"
    };
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10));
    bar.set_style(ProgressStyle::with_template(template).expect("valid template"));
    bar.set_message(what);
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// A bar over a known number of items.
pub fn bar(show: bool, total: u64, color: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let template = if color {
        "{bar:30.cyan/blue} {pos}/{len} {msg} {elapsed:.dim}"
    } else {
        "[{bar:30}] {pos}/{len} {msg} {elapsed}"
    };
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(10));
    bar.set_style(
        ProgressStyle::with_template(template)
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}
