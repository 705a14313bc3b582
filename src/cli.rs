//! Command-line arguments (clap derive only; resolution happens in the commands).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use idvault::scan::finding::Kind;
use idvault::ui::color::ColorWhen;

const EXIT_CODES: &str = "\
Exit codes:
  0    success
  1    some files could not be read or processed (the others were)
  2    usage error or fatal error
  130  interrupted";

/// Find identity-document photos, verification screenshots and screen recordings, and secure
/// them: strip metadata, encrypt into an age vault, wipe the originals.
#[derive(Debug, Parser)]
#[command(name = "idvault", version, about, after_help = EXIT_CODES)]
#[command(after_long_help = concat!(
    "Exit codes:\n  0    success\n  1    some files could not be read or processed\n",
    "  2    usage error or fatal error\n  130  interrupted\n\n",
    "Report bugs with the output of `idvault --version` and the command you ran."))]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// When to use colour: auto, always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
    /// Print JSON Lines on stdout instead of text (schema in docs/json.md).
    #[arg(long, global = true)]
    pub json: bool,
    /// Print no progress and no summary.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Find identity documents, verification screenshots and screen recordings.
    #[command(
        after_help = "Examples:\n  idvault scan ~/Pictures ~/Downloads\n  idvault scan --json --kind passport --kind id_card ~/Pictures > found.jsonl"
    )]
    Scan(ScanArgs),
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Folders or files to scan.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Judge by names and metadata only; do not analyse pixels.
    #[arg(long)]
    pub no_content: bool,
    /// Analyse every file's pixels again, even unchanged ones an earlier scan found empty.
    #[arg(
        long,
        long_help = "Analyse every file's pixels again. By default, unchanged files whose pixels \
held nothing in an earlier scan are skipped, using a cache of keyed hashes (no paths, no \
document data) in $XDG_CACHE_HOME/idvault. IDVAULT_NO_CACHE=1 does the same as this flag."
    )]
    pub no_cache: bool,
    /// Report only findings at least this sure (0–1).
    #[arg(long, value_name = "X", default_value_t = 0.0, value_parser = confidence)]
    pub min_confidence: f32,
    /// Report only these kinds (repeatable).
    #[arg(long, value_enum, value_name = "K")]
    pub kind: Vec<Kind>,
    /// Do not cross into other file systems.
    #[arg(long)]
    pub one_file_system: bool,
    /// Worker threads (default: one per core).
    #[arg(short = 'j', long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
}

/// Parses a confidence between 0 and 1.
pub fn confidence(s: &str) -> Result<f32, String> {
    let x: f32 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if (0.0..=1.0).contains(&x) {
        Ok(x)
    } else {
        Err(format!("{x} is outside 0–1"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn confidence_bounds() {
        assert_eq!(confidence("0.5"), Ok(0.5));
        assert!(confidence("1.5").is_err());
        assert!(confidence("x").is_err());
    }
}
