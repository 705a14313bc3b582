//! `idvault review`: scans, then serves the review page until it says Done, the idle time
//! passes, or a signal arrives. The first line on stdout is the page's address.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::{Context, bail};

use idvault::dismissed::Dismissed;
use idvault::report;
use idvault::review::{self, Server, Stop, session::Session};
use idvault::scan::content::cache::Cache;
use idvault::secure;
use idvault::ui::passphrase::{self, PassphraseSource, Purpose};
use idvault::ui::{color, progress};

use crate::cli::{GlobalArgs, ReviewArgs};
use crate::commands::vault::passphrase_source;
use crate::exit::ExitCode;

pub fn run(global: &GlobalArgs, args: ReviewArgs) -> anyhow::Result<ExitCode> {
    let target = &args.target;
    if !target.vault.identity.is_empty() {
        bail!(
            "review opens the vault with its passphrase (asked on the page, or \
             --passphrase-file); use `idvault secure -i …` to secure with an identity file"
        );
    }
    let vault_root = super::secure::checked_root(target)?;
    // A passphrase given for automation is read now; otherwise the page asks for it.
    let source = passphrase_source(&target.vault);
    let passphrase = match source {
        PassphraseSource::Terminal => None,
        s => Some(passphrase::read(&s, "", Purpose::Existing)?),
    };
    let mut secure_opts = super::secure::options(target)?;
    // Show everything found, marked findings too (apart, so a mark can be undone).
    secure_opts.scan.dismissed = Dismissed::Report;
    // What `secure` with the same flags would act on: selected by default.
    let selection = secure_opts.scan.clone();
    // The page lists findings of every kind and confidence.
    secure_opts.scan.min_confidence = 0.0;
    secure_opts.scan.kinds = Vec::new();

    let colored = color::enabled(global.color, color::stdout_is_tty()) && !global.json;
    let bar = progress::counter(
        progress::wanted(global.quiet, global.json),
        "files scanned",
        colored,
    );
    let plan = secure::plan(&secure_opts, |n| bar.set_position(n));
    bar.finish_and_clear();
    let scan_failed = plan.scan.failures();
    let idle = Duration::from_secs(60 * args.idle_timeout);
    let opts = review::Options {
        secure: secure_opts,
        selection,
        vault: vault_root,
        passphrase,
        marks_dir: Cache::default_dir(),
        idle,
    };
    let server = Server::bind(Session::new(opts, plan))
        .context("cannot start the local web server on 127.0.0.1")?;

    // The page stops serving on the first signal; idvault::interrupt ends the process at a
    // second one, or once its grace period is over.
    let signal = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&signal))?;
    }

    let url = server.url();
    report::review::address(&url, global.quiet)?;
    if !args.no_open {
        open_browser(&url);
    }
    let stop = server.run(&signal);
    report::review::stopped(stop, idle, global.quiet);
    Ok(match stop {
        Stop::Signal => ExitCode::Interrupted {
            signal: idvault::interrupt::signal().unwrap_or(signal_hook::consts::SIGINT),
        },
        Stop::Done | Stop::Idle => ExitCode::from_failures(scan_failed + server.failed() as u64),
    })
}

/// Opens `url` in the desktop's default browser; a missing `xdg-open` only means the user
/// opens the printed address by hand.
fn open_browser(url: &str) {
    let _ = Command::new("xdg-open")
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}
