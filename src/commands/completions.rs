//! `idvault completions SHELL` and `idvault man`: the shell completion script (clap_complete)
//! and the manual page (clap_mangen), made from the same command tree that parses the
//! arguments, with its help in the command line's language, and printed on stdout.

use std::io::{self, Write};

use crate::cli::{self, CompletionsArgs};
use crate::exit::ExitCode;

pub fn completions(args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut cmd = cli::command(crate::i18n::lang());
    // clap_complete panics when its writer fails: it writes to memory, and a closed stdout
    // (`idvault completions bash | head`) is then an ordinary error here.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "idvault", &mut script);
    let mut out = io::stdout().lock();
    out.write_all(&script)?;
    out.flush()?;
    Ok(ExitCode::Success)
}

pub fn man() -> anyhow::Result<ExitCode> {
    let cmd = cli::command(crate::i18n::lang());
    let mut out = io::stdout().lock();
    clap_mangen::Man::new(cmd).render(&mut out)?;
    out.flush()?;
    Ok(ExitCode::Success)
}
