//! The `idvault` binary's body (feature `cli`): one module per subcommand, each resolving its
//! arguments, calling the library and handing results to its reporter. `src/main.rs` only calls
//! [`main`].

mod completions;
mod review;
mod scan;
mod secure;
mod strip;
mod vault;
mod wipe;

use std::io;

use crate::Cancel;
use crate::cli::{self, Cli, Command};
use crate::exit::ExitCode;
use crate::i18n::{self, Lang};

/// Runs the `idvault` command line and exits with its code.
pub fn main() -> ! {
    // Before anything else, so that no secret can ever reach a core file or a ptrace reader.
    if let Err(err) = crate::harden::no_core_dumps() {
        eprintln!("idvault: error: cannot turn off core dumps: {err}");
        std::process::exit(ExitCode::Fatal.code());
    }
    #[cfg(feature = "content")]
    avif_worker();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let lang = cli::lang_flag(&args).unwrap_or_else(Lang::from_env);
    i18n::set_lang(lang);
    let cli = cli::parse(args, lang);
    // Ctrl-C and SIGTERM set the token every command hands to the library.
    let cancel = Cancel::new();
    if let Err(err) = crate::interrupt::install(cancel.clone(), i18n::t("cli.interrupted_now", &[]))
    {
        crate::report::fatal(
            anyhow::anyhow!(err).context(i18n::t("cli.error.signal_handler", &[])),
        );
        std::process::exit(ExitCode::Fatal.code());
    }
    let code = match run(cli, &cancel) {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::Success,
        Err(err) => {
            crate::report::fatal(err);
            ExitCode::Fatal
        }
    };
    // A run that stopped early because of a signal says so, whatever it finished.
    let code = crate::interrupt::signal().map_or(code, |signal| ExitCode::Interrupted { signal });
    std::process::exit(code.code());
}

/// `idvault __avif-worker`: AV1 is decoded in a child process (see `avif::decode`); this serves
/// one file and exits. Otherwise names this binary as the library's AV1 worker.
#[cfg(feature = "content")]
fn avif_worker() {
    use crate::media::heif::avif;
    use crate::media::limits;
    use std::io::Read;
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == avif::WORKER_ARG)
    {
        let input = io::stdin().lock().take(limits::ANALYSE_MAX_BYTES);
        let done = avif::serve(input, io::stdout().lock());
        std::process::exit(if done.is_ok() { 0 } else { 1 });
    }
    if let Ok(exe) = std::env::current_exe() {
        avif::set_worker(exe);
    }
}

/// Runs the parsed command line. Errors carry raw paths and values; [`main`] prints a fatal one
/// through `report::fatal`, which escapes it for the terminal, once.
fn run(cli: Cli, cancel: &Cancel) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Review(args) => review::run(&cli.global, args, cancel),
        Command::Scan(args) => scan::run(&cli.global, args, cancel),
        Command::Secure(args) => secure::run(&cli.global, args, cancel),
        Command::Strip(args) => strip::run(&cli.global, args, cancel),
        Command::Wipe(args) => wipe::run(&cli.global, args, cancel),
        Command::Vault(args) => vault::run(&cli.global, args, cancel),
        Command::Completions(args) => completions::completions(args),
        Command::Man => completions::man(),
    }
}

/// A closed stdout (e.g. `idvault scan | head`) is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|e| e.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::BrokenPipe)
}
