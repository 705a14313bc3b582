//! Progress on stderr with indicatif, shown only on a terminal and never with `--quiet` or
//! `--json`. `IDVAULT_FORCE_PROGRESS=1` draws it anyway, for tests of the drawing code.
//!
//! Every bar over a known total shows done/total, the rate and an estimate of the time left;
//! [`files`] also shows the bytes done, [`bytes`] counts in bytes for jobs whose time follows
//! the size of the files (overwriting, encrypting, decrypting).

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

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

const ITEMS: &str = "{pos}/{len} {msg} · {per_sec:1} · ETA {eta}";
const BYTES: &str =
    "{binary_bytes}/{binary_total_bytes} {msg} · {binary_bytes_per_sec} · ETA {eta}";
const FILES: &str = "{pos}/{len} files, {done_bytes} · {per_sec:1} · ETA {eta}";

/// A bar over `total` items: `[=====>    ] 120/800 files · 41.2/s · ETA 17s`. The message
/// (`set_message`) names the items.
pub fn bar(show: bool, total: u64, color: bool) -> ProgressBar {
    draw(show, total, || style(color, ITEMS))
}

/// A bar over `total` bytes: `[===>      ] 1.20 GiB/4.00 GiB · 310.00 MiB/s · ETA 9s`.
pub fn bytes(show: bool, total: u64, color: bool) -> ProgressBar {
    draw(show, total, || style(color, BYTES))
}

/// Progress over a known number of files that also shows the bytes of the files done so far:
/// `[====>     ] 120/800 files, 300.41 MiB · 41.2/s · ETA 17s`.
pub struct Files {
    bar: ProgressBar,
    bytes: Arc<AtomicU64>,
}

/// A [`Files`] bar over `total` files.
pub fn files(show: bool, total: u64, color: bool) -> Files {
    let bytes = Arc::new(AtomicU64::new(0));
    let done = Arc::clone(&bytes);
    let bar = draw(show, total, || {
        style(color, FILES).with_key(
            "done_bytes",
            move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{}", HumanBytes(done.load(Ordering::Relaxed)));
            },
        )
    });
    Files { bar, bytes }
}

impl Files {
    /// Counts one more file of `size` bytes.
    pub fn inc(&self, size: u64) {
        self.bytes.fetch_add(size, Ordering::Relaxed);
        self.bar.inc(1);
    }

    /// Hides the bar while `f` prints.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.bar.suspend(f)
    }

    pub fn finish_and_clear(&self) {
        self.bar.finish_and_clear();
    }
}

/// The bar, then `counts`, then the elapsed time; plain when colour is off.
fn style(color: bool, counts: &str) -> ProgressStyle {
    let template = if color {
        format!("{{bar:30.cyan/blue}} {counts} {{elapsed:.dim}}")
    } else {
        format!("[{{bar:30}}] {counts} {{elapsed}}")
    };
    ProgressStyle::with_template(&template)
        .expect("valid template")
        .progress_chars("=> ")
}

/// A bar over `total` drawn on stderr, or a hidden one (whose style is never built).
fn draw(show: bool, total: u64, style: impl FnOnce() -> ProgressStyle) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(10));
    bar.set_style(style());
    // Redraw while a long file is in work, so the rate and estimate stay current.
    bar.enable_steady_tick(Duration::from_millis(500));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_files_bar_counts_files_and_bytes() {
        let f = files(false, 3, false);
        f.inc(10);
        f.inc(20);
        assert_eq!(f.bytes.load(Ordering::Relaxed), 30);
        assert_eq!(f.bar.position(), 2);
        assert!(f.bar.is_hidden());
    }

    #[test]
    fn templates_parse() {
        for color in [false, true] {
            for t in [ITEMS, BYTES, FILES] {
                style(color, t); // panics on a template error
            }
        }
    }
}
