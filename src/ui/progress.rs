//! Progress on stderr with indicatif, shown only on a terminal and never with `--quiet` or
//! `--json`. `IDVAULT_FORCE_PROGRESS=1` draws it anyway, for tests of the drawing code.
//!
//! Every bar over a known total shows done/total, the rate and an estimate of the time left;
//! [`files`] also shows the bytes done, [`bytes`] counts in bytes for jobs whose time follows
//! the size of the files (overwriting, encrypting, decrypting), and [`scan`] counts a scan's
//! fast stage (names and metadata) and its slow one (pixels) on two lines, each with its own
//! total, so the estimate follows the slow one.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{
    HumanBytes, MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle,
};

use crate::i18n::t;

/// How often bars are redrawn at most, per second.
const HZ: u8 = 10;

/// Whether progress should be drawn.
pub fn wanted(quiet: bool, json: bool) -> bool {
    if quiet || json {
        return false;
    }
    forced() || std::io::stderr().is_terminal()
}

fn forced() -> bool {
    std::env::var_os("IDVAULT_FORCE_PROGRESS").is_some_and(|v| v == "1")
}

/// Stderr; when drawing is forced, also when it is not a terminal (indicatif's own stderr
/// target hides itself then).
fn stderr() -> ProgressDrawTarget {
    if forced() {
        ProgressDrawTarget::term_like_with_hz(Box::new(console::Term::stderr()), HZ)
    } else {
        ProgressDrawTarget::stderr_with_hz(HZ)
    }
}

/// A spinner counting items whose total is not known in advance (a walk in progress).
pub fn counter(show: bool, what: &str, color: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let template = if color {
        format!("{{spinner:.cyan}} {{pos}} {{msg}} · {}", elapsed(color))
    } else {
        format!("{{spinner}} {{pos}} {{msg}} · {}", elapsed(color))
    };
    let bar = ProgressBar::with_draw_target(None, stderr());
    bar.set_style(ProgressStyle::with_template(&template).expect("valid template"));
    bar.set_message(what.to_string());
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

// The templates' words come from the catalogue (`cli.progress.*`), in the command line's
// language; indicatif's own `{placeholders}` pass through the lookup untouched.

/// `{pos}/{len} {msg} · 41.2/s · ETA 17s`: items named by the message.
fn items() -> String {
    format!(
        "{{pos}}/{{len}} {{msg}} · {{per_sec:1}} · {}",
        t("cli.progress.eta", &[])
    )
}

/// Bytes, with the message naming the job.
fn bytes_done() -> String {
    format!(
        "{{binary_bytes}}/{{binary_total_bytes}} {{msg}} · {{binary_bytes_per_sec}} · {}",
        t("cli.progress.eta", &[])
    )
}

/// Files with the bytes done so far, the message naming what happened to them.
fn files_done() -> String {
    format!(
        "{} · {{per_sec:1}} · {}",
        t("cli.progress.files", &[]),
        t("cli.progress.eta", &[])
    )
}

/// A scan's first stage when a slower one follows: no estimate of its own, since its pace is
/// set by the second stage running beside it.
fn read() -> String {
    format!("{} · {{per_sec:1}}", t("cli.progress.read", &[]))
}

fn analysed() -> String {
    format!(
        "{} · {{per_sec:1}} · {}",
        t("cli.progress.analysed", &[]),
        t("cli.progress.eta", &[])
    )
}

/// The time since the start, labelled so that it never reads as part of the estimate before
/// it ("ETA 8m · 2m elapsed", not "ETA 8m 2m").
fn elapsed(color: bool) -> String {
    let e = t("cli.progress.elapsed", &[]);
    if color {
        e.replace("{elapsed}", "{elapsed:.dim}")
    } else {
        e
    }
}

/// A bar over `total` items: `[=====>    ] 120/800 files · 41.2/s · ETA 17s`. The message
/// (`set_message`) names the items.
pub fn bar(show: bool, total: u64, color: bool) -> ProgressBar {
    draw(show, total, || style(color, &items()))
}

/// A bar over `total` bytes: `[===>      ] 1.20 GiB/4.00 GiB · 310.00 MiB/s · ETA 9s`.
pub fn bytes(show: bool, total: u64, color: bool) -> ProgressBar {
    draw(show, total, || style(color, &bytes_done()))
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
        style(color, &files_done()).with_key(
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

/// A scan's progress: the files read for names and metadata, and, when content analysis is on,
/// below it the files whose pixels are analysed, over their own total (the media files among
/// them), with the estimate of the time left. Without content analysis, one bar with its
/// estimate:
///
/// ```text
/// [=========>                    ] 6012/20000 files read (names, metadata) · 41.0/s · 2m elapsed
/// [===>                          ] 812/6200 analysed (pixels, text) · 5.5/s · ETA 16m · 2m elapsed
/// ```
#[derive(Clone)]
pub struct Scan {
    lines: MultiProgress,
    files: ProgressBar,
    content: Option<ProgressBar>,
}

/// A [`Scan`] over `files` files, of which `content` (when content analysis is on) go on to
/// content analysis.
pub fn scan(show: bool, files: u64, content: Option<u64>, color: bool) -> Scan {
    scan_on(show.then(stderr), files, content, color)
}

fn scan_on(
    target: Option<ProgressDrawTarget>,
    files: u64,
    content: Option<u64>,
    color: bool,
) -> Scan {
    let lines = MultiProgress::with_draw_target(target.unwrap_or_else(ProgressDrawTarget::hidden));
    let add = |total, counts: &str| {
        let bar = lines.add(ProgressBar::new(total));
        bar.set_style(style(color, counts));
        bar
    };
    let files = add(files, &if content.is_some() { read() } else { items() });
    if content.is_none() {
        files.set_message(t("cli.progress.scanned", &[]));
    }
    let content = content.map(|total| add(total, &analysed()));
    let scan = Scan {
        lines,
        files,
        content,
    };
    for bar in scan.bars() {
        bar.enable_steady_tick(Duration::from_millis(500));
    }
    scan
}

impl Scan {
    /// Sets how many files are done, and how many of them went through content analysis.
    pub fn set(&self, files: u64, content: u64) {
        self.files.set_position(files);
        if let Some(bar) = &self.content {
            bar.set_position(content);
        }
    }

    /// Hides the bars while `f` prints.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.lines.suspend(f)
    }

    pub fn finish_and_clear(&self) {
        self.bars().for_each(ProgressBar::finish_and_clear);
    }

    /// The files bar, then the content bar if there is one.
    fn bars(&self) -> impl Iterator<Item = &ProgressBar> {
        std::iter::once(&self.files).chain(&self.content)
    }
}

/// The bar, then `counts`, then the elapsed time; plain when colour is off.
fn style(color: bool, counts: &str) -> ProgressStyle {
    let template = if color {
        format!("{{bar:30.cyan/blue}} {counts} · {}", elapsed(color))
    } else {
        format!("[{{bar:30}}] {counts} · {}", elapsed(color))
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
    let bar = ProgressBar::with_draw_target(Some(total), stderr());
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

    /// A terminal in memory that keeps everything written to it, cursor moves left out.
    #[derive(Clone, Debug, Default)]
    struct Screen(Arc<std::sync::Mutex<String>>);

    impl indicatif::TermLike for Screen {
        fn width(&self) -> u16 {
            160
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.write_str(s)
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.0.lock().unwrap().push_str(s);
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The bars of `bars` as last drawn on `screen`, one a line: each line is drawn padded to
    /// the width and starts with its bar.
    fn last_frame(screen: &Screen, bars: usize) -> Vec<String> {
        let text = screen.0.lock().unwrap().clone();
        let lines: Vec<String> = text
            .split('[')
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.trim_end().to_string())
            .collect();
        lines[lines.len() - bars..].to_vec()
    }

    /// Without the steady tick a bar redraws on every update (with it, only on the tick).
    fn steady_off(bars: &Scan) {
        bars.bars().for_each(ProgressBar::disable_steady_tick);
    }

    #[test]
    fn scan_draws_each_stage_over_its_own_total() {
        let screen = Screen::default();
        let target = ProgressDrawTarget::term_like(Box::new(screen.clone()));
        let bars = scan_on(Some(target), 20, Some(4), false);
        steady_off(&bars);
        bars.set(12, 3);
        let frame = last_frame(&screen, 2);
        assert!(
            frame[0].contains("12/20 files read (names, metadata)"),
            "{frame:?}"
        );
        assert!(!frame[0].contains("ETA"), "{frame:?}");
        assert!(
            frame[1].contains("3/4 analysed (pixels, text)"),
            "{frame:?}"
        );
        assert!(frame[1].contains("ETA"), "{frame:?}");
    }

    #[test]
    fn scan_without_content_is_one_bar_with_an_estimate() {
        let screen = Screen::default();
        let target = ProgressDrawTarget::term_like(Box::new(screen.clone()));
        let bars = scan_on(Some(target), 20, None, false);
        steady_off(&bars);
        bars.set(5, 0);
        let frame = last_frame(&screen, 1);
        assert!(
            frame[0].contains("5/20 files") && frame[0].contains("ETA"),
            "{frame:?}"
        );
        assert!(!screen.0.lock().unwrap().contains("analysed"));
    }

    #[test]
    fn templates_parse() {
        for color in [false, true] {
            for t in [items(), bytes_done(), files_done(), read(), analysed()] {
                style(color, &t); // panics on a template error
            }
        }
    }

    #[test]
    fn elapsed_time_is_labelled_apart_from_the_estimate() {
        let screen = Screen::default();
        let target = ProgressDrawTarget::term_like(Box::new(screen.clone()));
        let bars = scan_on(Some(target), 20, Some(4), false);
        steady_off(&bars);
        bars.set(12, 3);
        let frame = last_frame(&screen, 2);
        for line in &frame {
            assert!(line.ends_with(" elapsed"), "{frame:?}");
        }
        assert!(
            frame[1].contains("ETA 0s · ") || frame[1].contains(" · ETA "),
            "{frame:?}"
        );
        // An estimate is never followed directly by another duration.
        let after_eta = frame[1].split("ETA ").nth(1).unwrap();
        assert!(after_eta.split(' ').nth(1) == Some("·"), "{frame:?}");
        for lang in crate::i18n::Lang::ALL {
            let e = crate::i18n::Catalog::get_or_load().get(lang, "cli.progress.elapsed", &[]);
            assert!(e.contains("{elapsed}"), "{e}");
        }
    }
}
