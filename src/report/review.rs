//! Output of `idvault review`: the page's address as the first line on stdout (for people and
//! for scripts that open it), and on stderr, unless `--quiet`, how to stop and why it stopped.

use std::io::{self, Write};
use std::time::Duration;

use crate::i18n::{t, tn};
use crate::review::Stop;
use crate::scan::Finding;

/// Prints the page's address on stdout at once and, unless `quiet`, how to stop on stderr.
pub fn address(url: &str, quiet: bool) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "{url}")?;
    out.flush()?;
    if !quiet {
        eprintln!("idvault: {}", t("cli.review.address", &[]));
    }
    Ok(())
}

/// Says on stderr, unless `quiet`, that the browser could not be opened safely and why: the
/// user opens the address above by hand.
pub fn not_opened(err: &io::Error, quiet: bool) {
    if !quiet {
        let error = err.to_string();
        eprintln!(
            "idvault: {}",
            t("cli.review.not_opened", &[("error", &error)])
        );
    }
}

/// Says on stderr, unless `quiet`, which findings the page shows but does not select by
/// default (another kind than `secure` acts on, or less sure), by kind, and how to include them.
pub fn not_selected(findings: &[&Finding], quiet: bool) {
    if quiet || findings.is_empty() {
        return;
    }
    let mut by_kind = std::collections::BTreeMap::<&str, u64>::new();
    for f in findings {
        *by_kind.entry(f.verdict.kind.as_str()).or_default() += 1;
    }
    let kinds: Vec<String> = by_kind.iter().map(|(k, n)| format!("{k} {n}")).collect();
    eprintln!(
        "idvault: {}",
        tn(
            "cli.review.not_selected",
            findings.len() as u64,
            &[("kinds", &kinds.join(", "))]
        )
    );
}

/// Says on stderr, unless `quiet`, why the review ended (and if it ended before its scan
/// did); `idle` is the idle timeout.
pub fn stopped(stop: Stop, idle: Duration, scanning: bool, quiet: bool) {
    if quiet {
        return;
    }
    if scanning {
        eprintln!("idvault: {}", t("cli.review.scan_unfinished", &[]));
    }
    match stop {
        Stop::Done => eprintln!("idvault: {}", t("cli.review.finished", &[])),
        Stop::Idle => eprintln!(
            "idvault: {}",
            tn("cli.review.idle", idle.as_secs() / 60, &[])
        ),
        Stop::Signal => eprintln!("idvault: {}", t("cli.review.interrupted", &[])),
    }
}
