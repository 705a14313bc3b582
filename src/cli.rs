//! Command-line arguments (clap derive only; resolution happens in the commands).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::i18n::Lang;
use crate::scan::finding::Kind;
use crate::ui::color::ColorWhen;

const EXIT_CODES: &str = "\
Exit codes:
  0    success
  1    some files could not be read or processed (the others were), or a
       confirmation prompt was answered no (nothing was changed)
  2    usage error or fatal error
  130  interrupted (Ctrl-C)
  143  terminated (SIGTERM)";

/// Find identity-document photos, verification screenshots and screen recordings, and secure
/// them: strip metadata, encrypt into an age vault, wipe the originals.
#[derive(Debug, Parser)]
#[command(name = "idvault", version, about, after_help = EXIT_CODES)]
#[command(after_long_help = concat!(
    "Exit codes:\n  0    success\n  1    some files could not be read or processed, or a\n",
    "       confirmation prompt was answered no (nothing was changed)\n",
    "  2    usage error or fatal error\n  130  interrupted (Ctrl-C)\n  143  terminated (SIGTERM)\n\n",
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
    /// Language of messages and help: en or zh-CN [default: from LC_ALL, LC_MESSAGES, LANG].
    #[arg(long, global = true, value_name = "LANG", value_parser = ["en", "zh-CN"])]
    pub lang: Option<String>,
}

/// The language `--lang` asks for in raw arguments, read before parsing so that `--help` and
/// clap's errors already speak it; `None` without the flag (or with a value clap will refuse).
pub fn lang_flag(args: &[std::ffi::OsString]) -> Option<Lang> {
    let mut it = args.iter().skip(1).map(|a| a.to_str().unwrap_or(""));
    while let Some(a) = it.next() {
        if a == "--" {
            break;
        }
        let value = match a.strip_prefix("--lang") {
            Some("") => it.next(),
            Some(v) => v.strip_prefix('='),
            None => None,
        };
        if let Some(lang) = value.and_then(Lang::from_flag) {
            return Some(lang);
        }
    }
    None
}

/// The whole command tree with its help in `lang`.
pub fn command(lang: Lang) -> clap::Command {
    use clap::CommandFactory;
    crate::i18n::help::localize(Cli::command(), lang)
}

/// Parses `args` with the help in `lang`; exits on a usage error or `--help`, as clap does.
pub fn parse(args: Vec<std::ffi::OsString>, lang: Lang) -> Cli {
    use clap::FromArgMatches;
    let matches = command(lang).get_matches_from(args);
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Find identity documents, verification screenshots and screen recordings.
    #[command(
        after_help = "Examples:\n  idvault scan ~/Pictures ~/Downloads\n  idvault scan --json --kind passport --kind id_card ~/Pictures > found.jsonl"
    )]
    Scan(ScanArgs),
    /// Remove metadata (GPS, camera, dates, thumbnails, XMP) from photos and videos, losslessly.
    #[command(
        after_help = "Examples:\n  idvault strip ~/Pictures/passport.jpg            (list what would be removed)\n  idvault strip --apply --yes ~/Pictures/IDs\n  idvault strip --output ~/clean ~/Pictures/IDs   (originals left alone)"
    )]
    Strip(StripArgs),
    /// Securely delete files: overwrite, rename, unlink; remove their thumbnails.
    #[command(
        long_about = "Securely delete files: overwrite each in place with random data, fsync, \
truncate, rename it to random names and unlink it, then remove the desktop thumbnails made of it.\n\n\
Without --apply nothing changes: the plan is printed, with the filesystem and device of each file \
and what cannot be guaranteed there (SSDs, copy-on-write and log-structured filesystems, \
snapshots, network and cloud copies).",
        after_help = "Examples:\n  idvault wipe ~/Downloads/passport.jpg            # show the plan only\n  \
idvault wipe --apply ~/Downloads/passport.jpg    # wipe, after asking\n  \
idvault wipe --apply --yes -r ~/Scans/ids        # a folder, no question"
    )]
    Wipe(WipeArgs),
    /// Keep files in an encrypted vault whose every entry opens with the stock `age` CLI.
    #[command(after_help = VAULT_EXAMPLES)]
    Vault(VaultArgs),
    /// Find ID photos, verification screenshots and recordings, and make them safe: strip,
    /// encrypt into the vault, verify, wipe the originals (plan only unless --apply).
    #[command(
        long_about = "Find identity-document photos, verification screenshots and screen \
recordings, then for each: strip its metadata, encrypt it into the age vault, verify the vault \
copy by decrypting it, and only then wipe the original (or keep or delete it, as chosen).\n\n\
Without --apply nothing changes: the plan is printed. An interrupted run leaves every file \
either untouched or safely vaulted; running the same command again finishes the job without \
duplicating entries.",
        after_help = "Examples:\n  idvault secure ~/Pictures ~/Downloads          (show the plan)\n  \
idvault secure --apply ~/Pictures               (do it, after asking)\n  \
idvault secure --apply --yes --passphrase-file pw.txt --json ~/Pictures"
    )]
    Secure(SecureArgs),
    /// Look at what was found on a local web page, choose, and secure it from there.
    #[command(
        long_about = "Scan, then show what was found as cards on a local web page (127.0.0.1 \
only, behind a secret token in the address): a blurred thumbnail you can hold to see, the kind, \
how sure, why, and what else is at risk. Choose files and secure them (strip, vault, verify, \
wipe: the same as `secure --apply`), or mark them \"Not a document\" so later scans leave them \
out. The page is in English and Simplified Chinese.\n\n\
The first line on stdout is the page's address. The command stops when the page says Done, \
after --idle-timeout minutes without a request, or on Ctrl-C.",
        after_help = "Examples:\n  idvault review ~/Pictures ~/Downloads\n  \
idvault review --no-open ~/Pictures        (open the printed address yourself)"
    )]
    Review(ReviewArgs),
    /// Print a completion script for SHELL on stdout.
    #[command(after_help = "Examples:\n  \
idvault completions bash > ~/.local/share/bash-completion/completions/idvault\n  \
idvault completions zsh > ~/.zfunc/_idvault\n  \
idvault completions fish > ~/.config/fish/completions/idvault.fish")]
    Completions(CompletionsArgs),
    /// Print the manual page (roff) on stdout.
    #[command(
        after_help = "Examples:\n  idvault man | man -l -\n  idvault man > ~/.local/share/man/man1/idvault.1"
    )]
    Man,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Folders or files to scan.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Judge by names and metadata only; do not analyse pixels.
    #[arg(long)]
    pub no_content: bool,
    /// Look at every file again, even unchanged ones an earlier scan found empty.
    #[arg(
        long,
        long_help = "Look at every file again. By default, a file an earlier scan found nothing \
in is not opened while it stays unchanged at the same path, and unchanged files whose pixels \
held nothing are not analysed again, using a cache of keyed hashes (no paths, no document data) \
in $XDG_CACHE_HOME/idvault. IDVAULT_NO_CACHE=1 does the same as this flag."
    )]
    pub no_cache: bool,
    /// Report only findings at least this sure (0–1).
    #[arg(long, value_name = "X", default_value_t = 0.0, value_parser = confidence)]
    pub min_confidence: f32,
    /// Report only these kinds (repeatable).
    #[arg(long, value_name = "K", value_parser = kind())]
    pub kind: Vec<Kind>,
    /// Do not cross into other file systems.
    #[arg(long)]
    pub one_file_system: bool,
    /// Worker threads (default: one per core).
    #[arg(short = 'j', long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
    #[command(flatten)]
    pub exclude: ExcludeArgs,
}

#[derive(Debug, Args)]
pub struct StripArgs {
    /// Files or folders to strip (folders are walked; symlinks are not followed).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Replace each file in place with its clean version (atomically, keeping permissions and
    /// modification time). Without it, nothing is changed.
    #[arg(long)]
    pub apply: bool,
    /// Write clean copies into DIR (same relative paths) and leave the originals alone.
    #[arg(long, value_name = "DIR", conflicts_with = "apply")]
    pub output: Option<PathBuf>,
    /// What to keep, comma-separated: orientation, icc, or none.
    #[arg(
        long,
        value_enum,
        value_name = "LIST",
        value_delimiter = ',',
        default_values_t = [Keep::Orientation, Keep::Icc]
    )]
    pub keep: Vec<Keep>,
    /// Also decode every image before and after and compare the pixels (slower).
    #[arg(
        long,
        long_help = "Also decode every image (JPEG, PNG, WebP, GIF) before and after stripping \
and compare the pixels.\n\n\
Without it, each clean file is still re-parsed and its coded image data, and every block it \
keeps (colour profile, orientation, gamma, transparency, …), are compared with the original byte \
for byte, which already implies identical pixels (docs/strip.md explains why, per format). \
Decoding costs about ten times as much."
    )]
    pub verify_pixels: bool,
    /// Do not ask before changing files in place.
    #[arg(short, long)]
    pub yes: bool,
    /// Worker threads (default: one per core).
    #[arg(short = 'j', long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
    #[command(flatten)]
    pub exclude: ExcludeArgs,
}

/// Metadata that `strip` keeps because rendering needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Keep {
    /// The EXIF Orientation, as a minimal EXIF block.
    Orientation,
    /// The embedded ICC colour profile.
    Icc,
    /// Keep nothing.
    None,
}

#[derive(Debug, Args)]
pub struct WipeArgs {
    /// Files to wipe (folders with --recursive).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Wipe for real (default: only print the plan).
    #[arg(long)]
    pub apply: bool,
    /// Do not ask for confirmation (needed with --apply when stdin is not a terminal).
    #[arg(short, long)]
    pub yes: bool,
    /// Overwrite passes [default: 1, which suffices on modern disks].
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1,
        hide_default_value = true,
        value_parser = clap::value_parser!(u32).range(1..=100),
        long_help = "Overwrite passes with random data [default: 1].\n\n\
One pass suffices on modern disks (NIST SP 800-88 deems a single overwrite enough to clear \
hard disks made since 2001). More passes only take longer, and on SSDs and copy-on-write \
filesystems no number of passes reaches the old copies."
    )]
    pub passes: u32,
    /// Remove symlinks and hard-linked names: only the name, never the data it shares.
    #[arg(
        long,
        long_help = "Remove symlinks and names of hard-linked files instead of refusing them. \
Only the name is removed: a symlink's target and the data shared with other hard links are not \
overwritten (doing so would destroy files you did not name)."
    )]
    pub force: bool,
    /// Leave the desktop's thumbnails of the files in place.
    #[arg(long)]
    pub no_thumbnails: bool,
    /// Wipe the files inside folders, then remove the emptied folders.
    #[arg(short, long)]
    pub recursive: bool,
    #[command(flatten)]
    pub exclude: ExcludeArgs,
}

const VAULT_EXAMPLES: &str = "\
Examples:
  idvault vault init
  idvault vault add ~/Pictures/passport.jpg ~/Downloads/scans
  idvault vault add --remove-originals --apply ~/Pictures/id-card.jpg
  idvault vault list
  idvault vault extract --to ~/restored --all
  age -d -i VAULT/identity.age VAULT/objects/ab/<id>.age > file";

#[derive(Debug, Args)]
pub struct VaultArgs {
    #[command(flatten)]
    pub common: VaultCommonArgs,
    #[command(subcommand)]
    pub command: VaultCommand,
}

/// Options every vault subcommand takes.
#[derive(Debug, Args)]
pub struct VaultCommonArgs {
    /// The vault folder [default: $XDG_DATA_HOME/idvault/vault].
    #[arg(long, global = true, env = "IDVAULT_VAULT", value_name = "DIR")]
    pub vault: Option<PathBuf>,
    /// Read the passphrase from the first line of FILE.
    #[arg(
        long,
        global = true,
        env = "IDVAULT_PASSPHRASE_FILE",
        value_name = "FILE",
        long_help = "Read the vault passphrase from the first line of FILE instead of asking on \
                     the terminal (for scripts). Keep the file 0600. Passphrases are never \
                     accepted on the command line or in a plain environment variable."
    )]
    pub passphrase_file: Option<PathBuf>,
    /// Run CMD (with sh -c) and use the first line it prints as the passphrase.
    #[arg(long, global = true, value_name = "CMD")]
    pub passphrase_command: Option<String>,
    /// Open the vault with this identity (age identity file or SSH private key) instead of
    /// the passphrase (repeatable).
    #[arg(short = 'i', long, global = true, value_name = "FILE")]
    pub identity: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Create a vault with a new passphrase-protected identity.
    Init(VaultInitArgs),
    /// Encrypt files into the vault (needs no passphrase).
    Add(VaultAddArgs),
    /// List the vault's entries.
    List,
    /// Decrypt entries into a folder; never overwrites.
    Extract(VaultExtractArgs),
    /// Decrypt every entry and check its hash; report orphans and missing files.
    Verify,
    /// Rebuild the manifest from the per-entry metadata; recover orphans.
    Repair,
}

#[derive(Debug, Args)]
pub struct VaultInitArgs {
    /// Also encrypt every entry to this public key: age1…, ssh-ed25519 …, ssh-rsa … (repeatable).
    #[arg(short = 'r', long, value_name = "KEY")]
    pub recipient: Vec<String>,
    /// Also encrypt to the recipients in FILE, one a line (repeatable).
    #[arg(short = 'R', long, value_name = "FILE")]
    pub recipients_file: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VaultAddArgs {
    /// Files or folders to add (folders are walked; symlinks are not followed).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Store files byte for byte, metadata included.
    #[arg(long)]
    pub keep_metadata: bool,
    /// Remove each original once its entry is written, committed and verified (plan only
    /// unless --apply).
    #[arg(
        long,
        long_help = "Remove each original once its entry is written, fsynced, committed to the \
                     manifest and verified by decrypting it, and only if the original did not \
                     change meanwhile. Needs the passphrase (to verify). Without --apply this \
                     prints the plan and changes nothing. Originals are wiped as by `idvault \
                     wipe` (overwritten, renamed, unlinked, thumbnails removed)."
    )]
    pub remove_originals: bool,
    /// Carry out --remove-originals (asks first on a terminal).
    #[arg(long, requires = "remove_originals")]
    pub apply: bool,
    /// Do not ask before removing originals (needed when stdin is not a terminal).
    #[arg(short = 'y', long)]
    pub yes: bool,
    #[command(flatten)]
    pub exclude: ExcludeArgs,
}

#[derive(Debug, Args)]
pub struct VaultExtractArgs {
    /// Folder to write to (created if missing) [default: current folder].
    #[arg(long, value_name = "DIR")]
    pub to: Option<PathBuf>,
    /// Extract every entry.
    #[arg(long, conflicts_with = "entries")]
    pub all: bool,
    /// Give restored files their original permission bits instead of 0600.
    #[arg(
        long,
        long_help = "Give restored files the permission bits they had when they were added. \
                     By default restored files are 0600 and folders created for them 0700, so \
                     that only you can read the documents."
    )]
    pub keep_modes: bool,
    /// Entry ids (or unique id prefixes) or original paths.
    #[arg(value_name = "ID|PATH", required_unless_present = "all")]
    pub entries: Vec<PathBuf>,
}

/// `--exclude`, on every command that walks folders.
#[derive(Debug, Args)]
pub struct ExcludeArgs {
    /// Leave out files and folders matching GLOB (repeatable), e.g. '*.mp4' or 'Takeout/**'.
    #[arg(
        long,
        value_name = "GLOB",
        long_help = "Leave out files and folders matching GLOB (repeatable). A glob is matched \
against each name and against the path below the folder given on the command line, with `/` \
between folders: '*.mp4' and 'node_modules' match at any depth, 'Takeout/**' only at the top; \
`*` does not cross a `/`. A matching folder is not entered. Quote globs so the shell leaves \
them alone."
    )]
    pub exclude: Vec<String>,
}

/// `--kind`: the scan's kinds by their JSON names. The library's `Kind` knows nothing of clap;
/// this parser maps the names to it here, at the command edge.
fn kind() -> impl clap::builder::TypedValueParser<Value = Kind> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new(Kind::ALL.map(|k| {
        let value = PossibleValue::new(k.as_str());
        match k {
            Kind::Screenshot => {
                value.help("A screenshot with nothing (yet) tying it to an identity check")
            }
            _ => value,
        }
    }))
    .map(|name| Kind::from_name(&name).expect("one of the possible values"))
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
    fn every_help_text_has_its_chinese() {
        use crate::i18n::help::shared;
        let c = crate::i18n::Catalog::get_or_load();
        let zh = c.messages(Lang::ZhCn);
        let needed = crate::i18n::help::needed_keys(&Cli::command());
        assert!(needed.len() > 60, "only {} help texts", needed.len());
        let has = |k: &String| zh.contains_key(k) || shared(k).is_some_and(|s| zh.contains_key(&s));
        let missing: Vec<_> = needed.iter().filter(|k| !has(k)).collect();
        assert!(missing.is_empty(), "help texts without zh-CN: {missing:#?}");
        // And no key for a text that is gone.
        let stale: Vec<_> = zh
            .keys()
            .filter(|k| k.starts_with("help.") && !k.starts_with("help.clap."))
            .filter(|k| {
                !needed
                    .iter()
                    .any(|n| n == *k || shared(n).as_ref() == Some(*k))
            })
            .collect();
        assert!(stale.is_empty(), "zh-CN help keys for no text: {stale:#?}");
    }

    #[test]
    fn lang_flag_is_read_before_parsing() {
        let args = |s: &str| s.split(' ').map(Into::into).collect::<Vec<_>>();
        assert_eq!(
            lang_flag(&args("idvault --lang zh-CN scan x")),
            Some(Lang::ZhCn)
        );
        assert_eq!(lang_flag(&args("idvault scan --lang=en x")), Some(Lang::En));
        assert_eq!(lang_flag(&args("idvault scan -- --lang zh-CN")), None);
        assert_eq!(lang_flag(&args("idvault scan x")), None);
    }

    #[test]
    fn confidence_bounds() {
        assert_eq!(confidence("0.5"), Ok(0.5));
        assert!(confidence("1.5").is_err());
        assert!(confidence("x").is_err());
    }
}

/// What `secure` and `review` work on: the paths to scan, the vault, and what to secure.
#[derive(Debug, Args)]
pub struct SecureTargetArgs {
    /// Folders or files to scan (each command words its own help).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub vault: VaultCommonArgs,
    #[command(flatten)]
    pub choice: SecureChoiceArgs,
    #[command(flatten)]
    pub exclude: ExcludeArgs,
}

#[derive(Debug, Args)]
#[command(mut_arg("paths", |a| a.help("Folders or files to scan and secure")))]
pub struct SecureArgs {
    #[command(flatten)]
    pub target: SecureTargetArgs,
    /// Carry out the plan (asks first on a terminal).
    #[arg(long)]
    pub apply: bool,
    /// Do not ask for confirmation (needed with --apply when stdin is not a terminal).
    #[arg(short, long)]
    pub yes: bool,
}

/// What `secure` acts on and how: shared by `secure` and `review` (which selects by default
/// exactly what `secure` with the same flags would act on).
#[derive(Debug, Args)]
pub struct SecureChoiceArgs {
    /// Act only on findings at least this sure (0–1); `review` selects these by default.
    #[arg(long, value_name = "X", default_value_t = SECURE_MIN_CONFIDENCE, value_parser = confidence)]
    pub min_confidence: f32,
    /// Act only on these kinds (repeatable) [default: every kind but plain screenshots].
    #[arg(long, value_name = "K", value_parser = kind())]
    pub kind: Vec<Kind>,
    /// Leave the originals in place after vaulting them.
    #[arg(long, conflicts_with = "delete_originals")]
    pub keep_originals: bool,
    /// Unlink originals without overwriting them (for SSDs and copy-on-write file systems,
    /// where overwriting does not reach old copies anyway).
    #[arg(long)]
    pub delete_originals: bool,
    /// Store files with their metadata (default: stripped first).
    #[arg(long)]
    pub keep_metadata: bool,
    /// Judge by names and metadata only; do not analyse pixels.
    #[arg(long)]
    pub no_content: bool,
    /// Do not cross into other file systems while scanning.
    #[arg(long)]
    pub one_file_system: bool,
}

/// How sure a finding must be for `secure` to act on it (and `review` to select it) by default.
pub const SECURE_MIN_CONFIDENCE: f32 = 0.5;

#[derive(Debug, Args)]
#[command(mut_arg("paths", |a| a.help("Folders or files to scan and review")))]
pub struct ReviewArgs {
    #[command(flatten)]
    pub target: SecureTargetArgs,
    /// Do not open the page in the browser; only print its address.
    #[arg(long)]
    pub no_open: bool,
    /// Stop after this many minutes without a request from the page.
    #[arg(long, value_name = "MIN", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=1440))]
    pub idle_timeout: u64,
}
