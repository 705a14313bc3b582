//! The `idvault` binary: parse arguments, run the command, print a fatal error, exit.

mod cli;
mod commands;
mod exit;

use std::io::{self, Read};

use clap::Parser;
use idvault::media::heif::avif;
use idvault::media::limits;

use exit::ExitCode;

fn main() {
    // `idvault __avif-worker`: AV1 is decoded in a child process (see `avif::decode`).
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == avif::WORKER_ARG)
    {
        let input = io::stdin().lock().take(limits::ANALYSE_MAX_BYTES);
        let done = avif::serve(input, io::stdout().lock());
        std::process::exit(if done.is_ok() { 0 } else { 1 });
    }
    // This binary is its own AV1 worker.
    if let Ok(exe) = std::env::current_exe() {
        avif::set_worker(exe);
    }
    let cli = cli::Cli::parse();
    if let Err(err) = idvault::interrupt::install() {
        eprintln!("idvault: error: cannot install the Ctrl-C handler: {err}");
        std::process::exit(ExitCode::Fatal.code());
    }
    let code = match commands::run(cli) {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::Success,
        Err(err) => {
            idvault::report::fatal(err);
            ExitCode::Fatal
        }
    };
    // A run that stopped early because of a signal says so, whatever it finished.
    let code = idvault::interrupt::signal().map_or(code, |signal| ExitCode::Interrupted { signal });
    std::process::exit(code.code());
}

/// A closed stdout (e.g. `idvault scan | head`) is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|e| e.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::BrokenPipe)
}
