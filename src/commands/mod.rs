//! One module per subcommand: each resolves its arguments, calls the library and hands results
//! to the reporters.

pub mod completions;
pub mod review;
pub mod scan;
pub mod secure;
pub mod strip;
pub mod vault;
pub mod wipe;

use crate::cli::{Cli, Command};
use crate::exit::ExitCode;

/// Runs the parsed command line. Errors carry raw paths and values; `main` prints a fatal one
/// through `report::fatal`, which escapes it for the terminal, once.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Review(args) => review::run(&cli.global, args),
        Command::Scan(args) => scan::run(&cli.global, args),
        Command::Secure(args) => secure::run(&cli.global, args),
        Command::Strip(args) => strip::run(&cli.global, args),
        Command::Wipe(args) => wipe::run(&cli.global, args),
        Command::Vault(args) => vault::run(&cli.global, args),
        Command::Completions(args) => completions::completions(args),
        Command::Man => completions::man(),
    }
}
