//! `idvault review`: serves the review page at once, fills it as the scan goes, until the page
//! says Done, the idle time passes, or a signal arrives. The first line on stdout is the page's
//! address; the browser is opened on a private page forwarding to it (never on the address).

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::Cancel;
use crate::dismissed::Dismissed;
use crate::report;
use crate::review::{self, ForwardPage, Server, Stop, session::Session};
use crate::scan::content::cache::Cache;
use crate::ui::color;
use crate::ui::passphrase::{self, PassphraseSource, Purpose};

use crate::cli::{GlobalArgs, ReviewArgs};
use crate::commands::vault::passphrase_source;
use crate::exit::ExitCode;

pub fn run(global: &GlobalArgs, args: ReviewArgs, cancel: &Cancel) -> anyhow::Result<ExitCode> {
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
    let mut secure_opts = super::secure::options(target, cancel)?;
    // Show everything found, marked findings too (apart, so a mark can be undone).
    secure_opts.scan.dismissed = Dismissed::Report;
    // What `secure` with the same flags would act on: selected by default.
    let selection = secure_opts.scan.clone();
    // The page lists findings of every kind and confidence.
    secure_opts.scan.min_confidence = 0.0;
    secure_opts.scan.kinds = Vec::new();

    let idle = Duration::from_secs(60 * args.idle_timeout);
    let opts = review::Options {
        secure: secure_opts.clone(),
        selection,
        vault: vault_root,
        passphrase,
        marks_dir: Cache::default_dir(),
        idle,
    };
    let session = Arc::new(Mutex::new(Session::new(opts)));
    let server = Server::bind(Arc::clone(&session))
        .context("cannot start the local web server on 127.0.0.1")?;

    let url = server.url();
    report::review::address(&url, global.quiet)?;
    if !args.no_open {
        match ForwardPage::write(&url) {
            Ok(page) => {
                open_browser(page.path());
                server.forwarded_through(page);
            }
            Err(e) => report::review::not_opened(&e, global.quiet),
        }
    }
    let colored = color::enabled(global.color, color::stdout_is_tty()) && !global.json;
    let bars = super::scan::bars(global, &secure_opts.scan, colored);
    let scan_bars = bars.clone();
    let filled = Arc::clone(&session);
    let quiet = global.quiet;
    review::fill(
        Arc::clone(&session),
        secure_opts,
        move |files, content| scan_bars.set(files, content),
        move || {
            bars.finish_and_clear();
            // What the page does not select by default, by kind, once the scan has found it all.
            report::review::not_selected(&review::locked(&filled).not_recommended(), quiet);
        },
    );
    // The page stops serving on the first signal (which sets `cancel`); crate::interrupt ends
    // the process at a second one, or once its grace period is over.
    let stop = server.run(cancel);
    let (failures, scanning) = {
        let s = review::locked(&session);
        (s.failures(), s.scan.running)
    };
    report::review::stopped(stop, idle, scanning, global.quiet);
    Ok(match stop {
        Stop::Signal => ExitCode::Interrupted {
            signal: crate::interrupt::signal().unwrap_or(signal_hook::consts::SIGINT),
        },
        Stop::Done | Stop::Idle => ExitCode::from_failures(failures),
    })
}

/// Opens the private forwarding page `page` in the desktop's default browser; a missing
/// `xdg-open` only means the user opens the printed address by hand.
fn open_browser(page: &Path) {
    let _ = Command::new("xdg-open")
        .arg(page)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}
