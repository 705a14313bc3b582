//! Passphrase input for the vault: a terminal prompt without echo (asked twice when a new
//! passphrase is set), or, for automation, a file (`--passphrase-file`,
//! `IDVAULT_PASSPHRASE_FILE`) or a command whose output is the passphrase
//! (`--passphrase-command`), as restic does. Never from argv or a plain environment variable.
//! Passphrases are held in `SecretString`; intermediate buffers are zeroed. A passphrase that
//! is not valid UTF-8 is refused rather than altered (age passphrases are text), and core dumps
//! are switched off for the rest of the process before a secret is read (see
//! [`forbid_core_dumps`]).

use std::io::{self, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::i18n::t;

/// Where the passphrase comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PassphraseSource {
    /// Read the first line of this file.
    File(PathBuf),
    /// Run this shell command; its first output line is the passphrase.
    Command(String),
    /// Prompt on the controlling terminal.
    Terminal,
}

impl PassphraseSource {
    /// The source named by the flags (a file wins over a command), else the terminal.
    pub fn from_flags(file: Option<PathBuf>, command: Option<String>) -> Self {
        match (file, command) {
            (Some(f), _) => PassphraseSource::File(f),
            (None, Some(c)) => PassphraseSource::Command(c),
            (None, None) => PassphraseSource::Terminal,
        }
    }
}

/// Why no passphrase could be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PassphraseError {
    #[error("{}", t("cli.passphrase.no_terminal", &[]))]
    NoTerminal,
    #[error("{}", t("cli.passphrase.mismatch", &[]))]
    Mismatch,
    #[error("{}", t("cli.passphrase.empty", &[]))]
    Empty,
    #[error("{}", t("cli.passphrase.file", &[
        ("path", &crate::ui::sanitize::path(path)),
        ("error", &source.to_string()),
    ]))]
    File { path: PathBuf, source: io::Error },
    #[error("{}", t("cli.passphrase.command", &[("error", .0)]))]
    Command(String),
    #[error("{}", t("cli.passphrase.not_utf8", &[]))]
    NotUtf8,
    #[error("{}", t("cli.passphrase.not_private", &[
        ("path", &crate::ui::sanitize::path(path)),
        ("who", &t(who, &[])),
        ("mode", &format!("{mode:04o}")),
    ]))]
    FileNotPrivate {
        path: PathBuf,
        mode: u32,
        who: &'static str,
    },
    #[error("{}", t("cli.passphrase.not_owned", &[
        ("path", &crate::ui::sanitize::path(path)),
        ("uid", &uid.to_string()),
    ]))]
    FileNotOwned { path: PathBuf, uid: u32 },
    #[error("{}", t("cli.passphrase.not_regular", &[("path", &crate::ui::sanitize::path(path))]))]
    FileNotRegular { path: PathBuf },
    #[error("{}", t("cli.passphrase.weak", &[("reason", .0)]))]
    Weak(String),
}

/// Whether a new passphrase is being set (asked twice on a terminal) or an existing one used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    New,
    Existing,
}

/// Reads a passphrase from `source`. `prompt` is shown on the terminal.
pub fn read(
    source: &PassphraseSource,
    prompt: &str,
    purpose: Purpose,
) -> Result<SecretString, PassphraseError> {
    forbid_core_dumps();
    let secret = match source {
        PassphraseSource::File(path) => {
            let mut buf = Zeroizing::new(Vec::new());
            open_private(path)?
                .take(64 * 1024)
                .read_to_end(&mut buf)
                .map_err(|source| PassphraseError::File {
                    path: path.clone(),
                    source,
                })?;
            first_line(&buf)?
        }
        PassphraseSource::Command(cmd) => {
            let out = Command::new("sh")
                .arg("-c")
                .arg(cmd)
                .stdin(Stdio::inherit())
                .stderr(Stdio::inherit())
                .output()
                .map_err(|e| PassphraseError::Command(e.to_string()))?;
            let stdout = Zeroizing::new(out.stdout);
            if !out.status.success() {
                return Err(PassphraseError::Command(t(
                    "cli.passphrase.exited",
                    &[("status", &out.status.to_string())],
                )));
            }
            first_line(&stdout)?
        }
        PassphraseSource::Terminal => {
            let first = prompt_tty(prompt)?;
            if purpose == Purpose::New {
                let again = prompt_tty(&t("cli.passphrase.repeat", &[]))?;
                let same: bool = first
                    .expose_secret()
                    .as_bytes()
                    .ct_eq(again.expose_secret().as_bytes())
                    .into();
                if !same {
                    return Err(PassphraseError::Mismatch);
                }
            }
            first
        }
    };
    if secret.expose_secret().is_empty() {
        return Err(PassphraseError::Empty);
    }
    if purpose == Purpose::New
        && let Err(weak) = crate::strength::check(&secret)
    {
        return match source {
            PassphraseSource::Terminal => offer_generated(&weak),
            _ => Err(PassphraseError::Weak(weak.to_string())),
        };
    }
    Ok(secret)
}

/// A new passphrase typed on the terminal was too weak: says why, and offers a generated one,
/// shown once and typed back so that the user has it written down before the vault exists.
fn offer_generated(weak: &crate::strength::Weak) -> Result<SecretString, PassphraseError> {
    use crate::ui::prompt::{ConfirmPolicy, Confirmation, confirm};
    eprintln!(
        "{}",
        t("cli.passphrase.too_weak", &[("reason", &weak.to_string())])
    );
    let asked = confirm(ConfirmPolicy::Ask, &t("cli.passphrase.offer", &[]));
    if !matches!(asked, Ok(Confirmation::Yes)) {
        return Err(PassphraseError::Weak(weak.to_string()));
    }
    let generated = crate::strength::generate();
    eprintln!(
        "{}",
        t(
            "cli.passphrase.generated",
            &[("passphrase", generated.expose_secret())]
        )
    );
    let typed = prompt_tty(&t("cli.passphrase.type_back", &[]))?;
    let same: bool = typed
        .expose_secret()
        .as_bytes()
        .ct_eq(generated.expose_secret().as_bytes())
        .into();
    if same {
        Ok(generated)
    } else {
        Err(PassphraseError::Mismatch)
    }
}

/// Opens a passphrase file the way ssh opens a private key: it must be a regular file (opened
/// without blocking, so a FIFO cannot hang the command), belong to this user (or root), and be
/// neither readable nor writable by group or others. A symlink is followed: pointing the flag
/// at a file kept elsewhere is the user's own choice, and the target is what is checked.
fn open_private(path: &std::path::Path) -> Result<std::fs::File, PassphraseError> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let file_error = |source| PassphraseError::File {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC | libc::O_NOCTTY)
        .open(path)
        .map_err(file_error)?;
    let meta = file.metadata().map_err(file_error)?;
    if !meta.file_type().is_file() {
        return Err(PassphraseError::FileNotRegular {
            path: path.to_path_buf(),
        });
    }
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me && meta.uid() != 0 {
        return Err(PassphraseError::FileNotOwned {
            path: path.to_path_buf(),
            uid: meta.uid(),
        });
    }
    let mode = meta.mode() & 0o7777;
    let who = match (mode & 0o070 != 0, mode & 0o007 != 0) {
        (true, true) => Some("cli.passphrase.who.group_and_others"),
        (true, false) => Some("cli.passphrase.who.group"),
        (false, true) => Some("cli.passphrase.who.others"),
        (false, false) => None,
    };
    if let Some(who) = who {
        return Err(PassphraseError::FileNotPrivate {
            path: path.to_path_buf(),
            mode,
            who,
        });
    }
    Ok(file)
}

/// The first line of `bytes`, without its line ending; refused unless it is UTF-8.
fn first_line(bytes: &[u8]) -> Result<SecretString, PassphraseError> {
    let line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    std::str::from_utf8(line)
        .map(|s| SecretString::from(s.to_owned()))
        .map_err(|_| PassphraseError::NotUtf8)
}

/// Switches core dumps off for the rest of the process, so that a crash while a passphrase or
/// the vault identity is in memory cannot write them to disk: the core size limit goes to 0
/// and the process is marked non-dumpable (which also keeps other processes of the same user
/// from attaching with ptrace). Best effort: a failure leaves the defaults in place.
pub fn forbid_core_dumps() {
    use rustix::process::{Resource, Rlimit, setrlimit};
    let _ = setrlimit(
        Resource::Core,
        Rlimit {
            current: Some(0),
            maximum: Some(0),
        },
    );
    #[cfg(target_os = "linux")]
    let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
}

fn prompt_tty(prompt: &str) -> Result<SecretString, PassphraseError> {
    rpassword::prompt_password(prompt)
        .map(SecretString::from)
        .map_err(|_| PassphraseError::NoTerminal)
}

/// age callbacks for identities that need a passphrase of their own (an encrypted SSH key or
/// age identity file given with `--identity`).
#[derive(Clone, Debug)]
pub struct IdentityCallbacks {
    pub source: PassphraseSource,
}

impl age::Callbacks for IdentityCallbacks {
    fn display_message(&self, message: &str) {
        eprintln!("idvault: {}", crate::ui::sanitize::text(message));
    }

    fn confirm(&self, _: &str, _: &str, _: Option<&str>) -> Option<bool> {
        None
    }

    fn request_public_string(&self, _: &str) -> Option<String> {
        None
    }

    fn request_passphrase(&self, description: &str) -> Option<SecretString> {
        let prompt = format!("{}: ", crate::ui::sanitize::text(description));
        read(&self.source, &prompt, Purpose::Existing).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// Writes a passphrase file the way a user should keep one: 0600.
    fn private(path: &std::path::Path, bytes: &[u8]) {
        std::fs::write(path, bytes).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    #[test]
    fn file_and_command_sources_take_the_first_line() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("p");
        private(&f, b"maple gravel tundra\r\nignored\n");
        let s = read(&PassphraseSource::File(f), "", Purpose::New).unwrap();
        assert_eq!(s.expose_secret(), "maple gravel tundra");
        let c = PassphraseSource::Command("printf 'battery staple\\n'".into());
        assert_eq!(
            read(&c, "", Purpose::Existing).unwrap().expose_secret(),
            "battery staple"
        );
        let failing = PassphraseSource::Command("exit 3".into());
        assert!(matches!(
            read(&failing, "", Purpose::Existing),
            Err(PassphraseError::Command(_))
        ));
        let empty = dir.path().join("e");
        private(&empty, b"\n");
        assert!(matches!(
            read(&PassphraseSource::File(empty), "", Purpose::Existing),
            Err(PassphraseError::Empty)
        ));
    }

    #[test]
    fn non_utf8_passphrases_are_refused_not_altered() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("p");
        private(&f, b"caf\xe9 au lait\n");
        assert!(matches!(
            read(&PassphraseSource::File(f), "", Purpose::Existing),
            Err(PassphraseError::NotUtf8)
        ));
    }

    #[test]
    fn a_passphrase_file_others_can_read_or_write_is_refused_as_ssh_does() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("p");
        for (mode, who) in [
            (0o640, "cli.passphrase.who.group"),
            (0o604, "cli.passphrase.who.others"),
            (0o622, "cli.passphrase.who.group_and_others"),
        ] {
            std::fs::write(&f, b"maple gravel tundra\n").unwrap();
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(mode)).unwrap();
            let err = read(&PassphraseSource::File(f.clone()), "", Purpose::Existing).unwrap_err();
            assert!(
                matches!(&err, PassphraseError::FileNotPrivate { who: w, .. } if *w == who),
                "{mode:o}: {err}"
            );
            assert!(err.to_string().contains("chmod 600"));
        }
    }

    #[test]
    fn a_weak_new_passphrase_from_a_file_is_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("p");
        private(&f, b"password\n");
        let err = read(&PassphraseSource::File(f.clone()), "", Purpose::New).unwrap_err();
        assert!(matches!(err, PassphraseError::Weak(_)), "{err}");
        // An existing vault's passphrase is what it is: no judgement on unlocking.
        assert!(read(&PassphraseSource::File(f), "", Purpose::Existing).is_ok());
    }

    #[test]
    fn core_dumps_are_off_after_a_passphrase_is_read() {
        forbid_core_dumps();
        let limit = rustix::process::getrlimit(rustix::process::Resource::Core);
        assert_eq!(limit.current, Some(0));
    }

    #[test]
    fn a_file_wins_over_a_command() {
        let s = PassphraseSource::from_flags(Some("f".into()), Some("c".into()));
        assert_eq!(s, PassphraseSource::File("f".into()));
        assert_eq!(
            PassphraseSource::from_flags(None, None),
            PassphraseSource::Terminal
        );
    }
}
