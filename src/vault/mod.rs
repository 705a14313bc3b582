//! The age vault: encrypted, crash-safe storage in which every entry is a standard age file
//! that opens with the stock `age` CLI (`age -d -i VAULT/identity.age VAULT/objects/ab/<id>.age`).
//!
//! Adding needs no secret: entries are encrypted to the public recipients in
//! `idvault-vault.toml`. Reading needs the vault passphrase (one scrypt per command, to open
//! `identity.age`) or another identity given at init. See `format` for the layout, `add`
//! for the write order, and docs/README-vault.md for the user's view.
//!
//! The API `vault add` uses (`secure` goes through the same `pipeline`):
//! ```no_run
//! # use idvault::vault::*;
//! # fn f(passphrase: secrecy::SecretString) -> Result<(), Error> {
//! let vault = Vault::open(&default_root().unwrap())?;
//! let keys = vault.unlock(&passphrase)?;
//! let lock = vault.lock(LockMode::Exclusive, |_pid| {})?;
//! let sources = [Source::new("/photos/passport.jpg".into())];
//! // Store, verify each vault copy against its original, then wipe the originals.
//! let opts = AddOptions { strip: StripPolicy::Strip, remove: true, ..AddOptions::default() };
//! let summary = add_all(&vault, &lock, &sources, Some(&keys), &opts, &|_event| {})?;
//! # let _ = summary;
//! # Ok(()) }
//! ```

pub(crate) mod add;
pub mod check;
pub(crate) mod crypto;
mod extraction;
pub(crate) mod format;
pub(crate) mod lock;
pub(crate) mod manifest;
pub(crate) mod original;
pub(crate) mod pipeline;
mod sources;
pub(crate) mod store;
pub(crate) mod trust;

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use secrecy::SecretString;

pub use add::{AddEvent, AddOptions, AddSummary, add_all};
pub use crypto::{BoxIdentity, Digested, Recipients, load_identity_file, read_recipients_file};
pub use extraction::{ExtractEvent, ExtractSummary, Extraction, choose_entries, extract_all};
pub use format::{Config, EntryId, Layout};
pub use lock::{LockMode, VaultLock};
pub use manifest::{Detected, DetectedReason, Entry, Manifest, StoredPath, StripLog};
pub use original::StripPolicy;
pub use pipeline::{ItemError, OriginalDone, Originals};
pub use sources::sources;
pub use store::{Added, Source, sha256_file};
pub use trust::{SealKey, Trust};

use crate::fsutil::{AtomicFile, Replace};
use crate::i18n::{Catalog, Lang};

/// Everything that can go wrong in the vault, named after what the user was doing. Worded by
/// the message catalogue (`cli.vault.error.*`): [`Error::text_in`]; `Display` is the English.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{}", self.text_in(Lang::En))]
    NotAVault { path: PathBuf },
    #[error("{}", self.text_in(Lang::En))]
    UnfinishedInit { path: PathBuf },
    #[error("{}", self.text_in(Lang::En))]
    NotEmpty { path: PathBuf },
    #[error("{}", self.text_in(Lang::En))]
    PartialInit { path: PathBuf },
    #[error("{}", self.text_in(Lang::En))]
    UnsupportedFormat { found: u32 },
    #[error("{}", self.text_in(Lang::En))]
    BadConfig { path: PathBuf, message: String },
    #[error("{}", self.text_in(Lang::En))]
    BadRecipient { recipient: String, message: String },
    #[error("{}", self.text_in(Lang::En))]
    NoRecipients,
    #[error("{}", self.text_in(Lang::En))]
    WrongPassphrase,
    #[error("{}", self.text_in(Lang::En))]
    WeakPassphrase(crate::strength::Weak),
    #[error("{}", self.text_in(Lang::En))]
    NoMatchingIdentity,
    #[error("{}", self.text_in(Lang::En))]
    ExcessiveWork { path: PathBuf, found: u8, max: u8 },
    #[error("{}", self.text_in(Lang::En))]
    BadIdentityFile { path: PathBuf, message: String },
    /// The OS error is part of the message, not a `source`, so `{:#}` shows it once.
    #[error("{}", self.text_in(Lang::En))]
    Io {
        action: &'static str,
        path: PathBuf,
        error: io::Error,
    },
    #[error("{}", self.text_in(Lang::En))]
    Encrypt(String),
    #[error("{}", self.text_in(Lang::En))]
    Corrupt { message: String },
    #[error("{}", self.text_in(Lang::En))]
    HashMismatch,
    #[error("{}", self.text_in(Lang::En))]
    MissingObject,
    #[error("{}", self.text_in(Lang::En))]
    ChangedWhileAdding { path: PathBuf },
    #[error("{}", self.text_in(Lang::En))]
    NotTheOriginal { id: EntryId },
    #[error("{}", self.text_in(Lang::En))]
    OriginalChanged { path: PathBuf },
    #[error("{}", self.text_in(Lang::En))]
    InsideVault { path: PathBuf },
    #[error("{}", self.text_in(Lang::En))]
    Exists { path: PathBuf },
    #[error("{}", self.text_in(Lang::En))]
    UnsafeFolder { path: PathBuf, reason: io::Error },
    #[error("{}", self.text_in(Lang::En))]
    ConfigTampered {
        pinned: Option<Vec<String>>,
        found: Vec<String>,
    },
    #[error("{}", self.text_in(Lang::En))]
    RecipientsChanged {
        pinned: Vec<String>,
        found: Vec<String>,
        pinned_at: i64,
    },
    #[error("{}", self.text_in(Lang::En))]
    RolledBack { found: u64, pinned: u64 },
    #[error("{}", self.text_in(Lang::En))]
    ManifestForged,
    #[error("{}", self.text_in(Lang::En))]
    ManifestMissing { path: PathBuf, pinned: u64 },
    #[error("{}", self.text_in(Lang::En))]
    ManifestForeign { path: PathBuf },
    #[error("{}", self.text_in(Lang::En))]
    NotTrustedHere,
}

/// A recipient list for an error message in `lang`.
fn list(l: Option<&[String]>, lang: Lang) -> String {
    match l {
        Some(l) if !l.is_empty() => l.join(", "),
        _ => Catalog::get_or_load().get(lang, "cli.vault.error.no_list", &[]),
    }
}

/// A pin time for an error message in `lang` (days ago, which needs no calendar code).
fn since(at: i64, lang: Lang) -> String {
    let days = (now() - at).max(0) / 86_400;
    let key = match days {
        0 => "cli.vault.error.since.today",
        1 => "cli.vault.error.since.yesterday",
        _ => "cli.vault.error.since.days",
    };
    Catalog::get_or_load().get(lang, key, &[("days", &days.to_string())])
}

impl Error {
    /// The error in `lang`: the catalogue's `cli.vault.error.*` sentence with its values.
    pub fn text_in(&self, lang: Lang) -> String {
        let shown = |p: &Path| p.display().to_string();
        let marker = crate::VAULT_MARKER.to_string();
        let (key, args): (&str, Vec<(&str, String)>) = match self {
            Error::NotAVault { path } => (
                "not_a_vault",
                vec![("path", shown(path)), ("marker", marker)],
            ),
            Error::UnfinishedInit { path } => (
                "unfinished_init",
                vec![("path", shown(path)), ("marker", marker)],
            ),
            Error::NotEmpty { path } => ("not_empty", vec![("path", shown(path))]),
            Error::PartialInit { path } => ("partial_init", vec![("path", shown(path))]),
            Error::UnsupportedFormat { found } => (
                "unsupported_format",
                vec![
                    ("found", found.to_string()),
                    ("format", format::FORMAT.to_string()),
                ],
            ),
            Error::BadConfig { path, message } => (
                "bad_config",
                vec![("path", shown(path)), ("message", message.clone())],
            ),
            Error::BadRecipient { recipient, message } => (
                "bad_recipient",
                vec![
                    ("recipient", recipient.clone()),
                    ("message", message.clone()),
                ],
            ),
            Error::NoRecipients => ("no_recipients", vec![]),
            Error::WrongPassphrase => ("wrong_passphrase", vec![]),
            Error::WeakPassphrase(w) => ("weak_passphrase", vec![("reason", w.to_string())]),
            Error::NoMatchingIdentity => ("no_matching_identity", vec![]),
            Error::ExcessiveWork { path, found, max } => (
                "excessive_work",
                vec![
                    ("path", shown(path)),
                    ("found", found.to_string()),
                    ("max", max.to_string()),
                ],
            ),
            Error::BadIdentityFile { path, message } => (
                "bad_identity_file",
                vec![("path", shown(path)), ("message", message.clone())],
            ),
            Error::Io {
                action,
                path,
                error,
            } => {
                let action = Catalog::get_or_load().get(
                    lang,
                    &format!("cli.vault.error.action.{}", action.replace(' ', "_")),
                    &[],
                );
                (
                    "io",
                    vec![
                        ("action", action),
                        ("path", shown(path)),
                        ("error", crate::i18n::os_error(error, lang)),
                    ],
                )
            }
            Error::Encrypt(e) => ("encrypt", vec![("error", e.clone())]),
            Error::Corrupt { message } => ("corrupt", vec![("message", message.clone())]),
            Error::HashMismatch => ("hash_mismatch", vec![]),
            Error::MissingObject => ("missing_object", vec![]),
            Error::ChangedWhileAdding { path } => {
                ("changed_while_adding", vec![("path", shown(path))])
            }
            Error::NotTheOriginal { id } => ("not_the_original", vec![("id", id.to_string())]),
            Error::OriginalChanged { path } => ("original_changed", vec![("path", shown(path))]),
            Error::InsideVault { path } => ("inside_vault", vec![("path", shown(path))]),
            Error::Exists { path } => ("exists", vec![("path", shown(path))]),
            Error::UnsafeFolder { path, reason } => (
                "unsafe_folder",
                vec![
                    ("path", shown(path)),
                    ("reason", crate::i18n::os_error(reason, lang)),
                ],
            ),
            Error::ConfigTampered { pinned, found } => (
                "config_tampered",
                vec![
                    ("pinned", list(pinned.as_deref(), lang)),
                    ("found", list(Some(found), lang)),
                ],
            ),
            Error::RecipientsChanged {
                pinned,
                found,
                pinned_at,
            } => (
                "recipients_changed",
                vec![
                    ("since", since(*pinned_at, lang)),
                    ("pinned", list(Some(pinned), lang)),
                    ("found", list(Some(found), lang)),
                ],
            ),
            Error::RolledBack { found, pinned } => (
                "rolled_back",
                vec![("found", found.to_string()), ("pinned", pinned.to_string())],
            ),
            Error::ManifestForged => ("manifest_forged", vec![]),
            Error::ManifestMissing { path, pinned } => (
                "manifest_missing",
                vec![("path", shown(path)), ("pinned", pinned.to_string())],
            ),
            Error::ManifestForeign { path } => ("manifest_foreign", vec![("path", shown(path))]),
            Error::NotTrustedHere => ("not_trusted_here", vec![]),
        };
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Catalog::get_or_load().get(lang, &format!("cli.vault.error.{key}"), &args)
    }

    pub(crate) fn io(action: &'static str, path: &Path, error: io::Error) -> Self {
        Error::Io {
            action,
            path: path.to_path_buf(),
            error,
        }
    }

    /// Names the vault file a decryption error came from.
    pub(crate) fn in_file(self, path: &Path) -> Self {
        match self {
            Error::Corrupt { message } => Error::Corrupt {
                message: format!("{}: {message}", path.display()),
            },
            other => other,
        }
    }
}

/// The default vault location: `$XDG_DATA_HOME/idvault/vault`, else
/// `~/.local/share/idvault/vault`.
pub fn default_root() -> Option<PathBuf> {
    Some(dirs::data_dir()?.join("idvault").join("vault"))
}

/// Identities that can read the vault, obtained once per command, and the seal key when the
/// vault's own identity was opened with the passphrase.
pub struct Keys {
    ids: Vec<BoxIdentity>,
    seal: Option<SealKey>,
}

impl Keys {
    /// Keys from identity files given with `--identity`. They read the vault but cannot check
    /// or renew its seals, which need the vault's own identity.
    pub fn from_identities(ids: Vec<BoxIdentity>) -> Self {
        Keys { ids, seal: None }
    }

    pub(crate) fn ids(&self) -> &[BoxIdentity] {
        &self.ids
    }

    /// The seal key, when the vault was unlocked with its passphrase.
    pub fn seal(&self) -> Option<&SealKey> {
        self.seal.as_ref()
    }
}

/// An open vault: its layout, public config and parsed recipients.
pub struct Vault {
    layout: Layout,
    config: Config,
    recipients: Recipients,
    /// The canonical root, to refuse adding the vault's own files.
    canonical: PathBuf,
    /// What this machine had pinned for the vault when it was opened.
    trust: Trust,
    /// Set once an unlock checked the config's seal: the recipients are genuine.
    sealed: AtomicBool,
}

impl Vault {
    /// Creates a vault at `root` (a new or empty folder): a fresh X25519 identity sealed with
    /// `passphrase` in `identity.age`, plus `extra` recipients.
    pub fn init(root: &Path, passphrase: &SecretString, extra: &[String]) -> Result<Vault, Error> {
        crate::strength::check(passphrase).map_err(Error::WeakPassphrase)?;
        let mut recipients = Vec::new();
        for r in extra {
            let (_, text) = crypto::parse_recipient(r)?;
            recipients.push(text);
        }
        let mut resumed = None;
        match fs::read_dir(root) {
            Ok(d) => {
                let names: Vec<std::ffi::OsString> = d.flatten().map(|e| e.file_name()).collect();
                if !names.is_empty() {
                    // An interrupted `init` of this vault is finished, not refused: proved by
                    // its identity opening with this very passphrase.
                    let layout = Layout::new(root.to_path_buf());
                    if !partial_init(root, &names) {
                        return Err(Error::NotEmpty { path: root.into() });
                    }
                    let id = crypto::unseal_identity(
                        &layout.identity(),
                        passphrase,
                        crypto::SCRYPT_LOG_N,
                    )
                    .map_err(|e| match e {
                        Error::WrongPassphrase => Error::PartialInit { path: root.into() },
                        other => other,
                    })?;
                    for name in &names {
                        if own_temp(&root.join(name)) {
                            let _ = fs::remove_file(root.join(name));
                        }
                    }
                    resumed = Some((id.secret, id.public));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if let Some(parent) = root.parent().filter(|p| !p.as_os_str().is_empty()) {
                    create_dirs_synced(parent)?;
                }
            }
            Err(e) => return Err(Error::io("read", root, e)),
        }
        // Creates it 0700, or checks the owner of an existing empty folder and narrows it.
        format::create_private_dir(root).map_err(|reason| Error::UnsafeFolder {
            path: root.into(),
            reason,
        })?;
        let layout = Layout::new(root.to_path_buf());
        let fresh = resumed.is_none();
        let (secret, public) = resumed.unwrap_or_else(crypto::generate_identity);
        recipients.insert(0, public);
        if fresh {
            let sealed = crypto::seal_identity(&secret, passphrase)?;
            write_file(&layout.identity(), &sealed, Replace::Never)?;
        }
        format::create_private_dir(&layout.objects())
            .map_err(|e| Error::io("create", &layout.objects(), e))?;
        let mut config = Config {
            format: format::FORMAT,
            created: now(),
            recipients,
            seal: None,
        };
        config.seal = Some(SealKey::derive(&secret).seal_config(&config));
        // The marker comes last: a folder without it is not (yet) a vault.
        write_file(
            &layout.config(),
            config.to_text().as_bytes(),
            Replace::Never,
        )?;
        let canonical = fs::canonicalize(root).map_err(|e| Error::io("open", root, e))?;
        trust::pin(&config, &canonical, crypto::SCRYPT_LOG_N)?;
        Vault::open(root)
    }

    /// Opens the vault at `root` (no secret needed). The folder must belong to this user; if
    /// others could read or write it, it is narrowed to owner-only first.
    pub fn open(root: &Path) -> Result<Vault, Error> {
        let layout = Layout::new(root.to_path_buf());
        let path = layout.config();
        if !path.exists() {
            if layout.identity().exists() {
                return Err(Error::UnfinishedInit { path: root.into() });
            }
            return Err(Error::NotAVault { path: root.into() });
        }
        for dir in [root.to_path_buf(), layout.objects()] {
            match format::make_private(&dir) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(reason) => return Err(Error::UnsafeFolder { path: dir, reason }),
                Ok(()) => {}
            }
        }
        let bytes = match format::read_small(&path, format::CONFIG_LIMIT) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::NotAVault { path: root.into() });
            }
            Err(e) => return Err(Error::io("read", &path, e)),
        };
        let text = String::from_utf8(bytes).map_err(|_| Error::BadConfig {
            path: path.clone(),
            message: "not UTF-8 text".into(),
        })?;
        let config = Config::parse(&text).map_err(|e| Error::BadConfig {
            path: path.clone(),
            message: e.message().to_string(),
        })?;
        if config.format != format::FORMAT {
            return Err(Error::UnsupportedFormat {
                found: config.format,
            });
        }
        let recipients = Recipients::parse(&config.recipients)?;
        let canonical = fs::canonicalize(root).map_err(|e| Error::io("open", root, e))?;
        let trust = trust::lookup(&config, &canonical)?;
        Ok(Vault {
            layout,
            config,
            recipients,
            canonical,
            trust,
            sealed: AtomicBool::new(false),
        })
    }

    pub fn root(&self) -> &Path {
        self.layout.root()
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What this machine had pinned for the vault when it was opened.
    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// Opens `identity.age` with the passphrase (one scrypt), derives the seal key from the
    /// vault identity and checks the config's seal. A genuine config is pinned on this machine
    /// (again); a config whose seal fails is refused. A vault made before seals existed is
    /// sealed now, unless this machine pinned other recipients for it.
    pub fn unlock(&self, passphrase: &SecretString) -> Result<Keys, Error> {
        // What `vault init` writes; more only from a vault this machine has not yet seen
        // (made by an idvault that measured the factor), which is re-sealed below.
        let max_log_n = match &self.trust {
            Trust::Pinned(r) | Trust::Differs(r) => {
                r.scrypt_log_n.unwrap_or(crypto::LEGACY_SCRYPT_LOG_N)
            }
            Trust::Unknown => crypto::LEGACY_SCRYPT_LOG_N,
        };
        let unsealed = crypto::unseal_identity(&self.layout.identity(), passphrase, max_log_n)?;
        let key = SealKey::derive(&unsealed.secret);
        let pinned = match &self.trust {
            Trust::Pinned(r) | Trust::Differs(r) => Some(r.recipients.clone()),
            Trust::Unknown => None,
        };
        let tampered = || Error::ConfigTampered {
            pinned: pinned.clone(),
            found: self.config.recipients.clone(),
        };
        let own_first = self.config.recipients.first() == Some(&unsealed.public);
        if !own_first {
            return Err(tampered());
        }
        if self.config.seal.is_some() {
            if !key.config_sealed(&self.config) {
                return Err(tampered());
            }
        } else if unsealed.expects_seal || matches!(self.trust, Trust::Differs(_)) {
            // A seal was stripped to pass the config off as an old one.
            return Err(tampered());
        } else {
            let mut config = self.config.clone();
            config.seal = Some(key.seal_config(&config));
            upgrade(write_file(
                &self.layout.config(),
                config.to_text().as_bytes(),
                Replace::Allow,
            ))?;
        }
        let mut log_n = unsealed.work_factor.unwrap_or(max_log_n);
        if !unsealed.expects_seal || unsealed.work_factor != Some(crypto::SCRYPT_LOG_N) {
            // A vault made before seals existed (or sealed by an idvault that did not yet mark
            // its identity, or that measured the scrypt work factor): the identity now says
            // that the config carries a seal, so that a config stripped of it later is
            // recognised, and asks for the work factor `init` writes, which this machine then
            // holds it to. Written after the config's seal, so that a crash in between leaves
            // a sealed config and an unmarked identity, which the next unlock finishes.
            let marked = crypto::seal_identity(&unsealed.secret, passphrase)?;
            if upgrade(write_file(&self.layout.identity(), &marked, Replace::Allow))? {
                log_n = crypto::SCRYPT_LOG_N;
            }
        }
        trust::pin(&self.config, &self.canonical, log_n)?;
        self.sealed.store(true, Ordering::Release);
        Ok(Keys {
            ids: unsealed.ids,
            seal: Some(key),
        })
    }

    /// Takes the vault lock; `on_busy` is told when another process holds it (then this waits).
    ///
    /// The exclusive lock is for writing, and everything written is encrypted to the
    /// recipients: it is refused unless they are genuine, that is pinned on this machine or
    /// checked against the config's seal by [`Vault::unlock`].
    pub fn lock(
        &self,
        mode: LockMode,
        on_busy: impl FnOnce(Option<u32>),
    ) -> Result<VaultLock, Error> {
        if mode == LockMode::Exclusive {
            self.recipients_trusted()?;
        }
        let path = self.layout.lock();
        let lock =
            VaultLock::acquire(&path, mode, on_busy).map_err(|e| Error::io("lock", &path, e))?;
        if mode == LockMode::Exclusive {
            self.remove_temp_files();
        }
        Ok(lock)
    }

    /// Removes the temporary files of interrupted writes (ciphertext or nothing; never
    /// plaintext) that idvault proves it made ([`crate::files::mark`]); a file merely named so
    /// stays. Only under the exclusive lock, when no other write can be under way. Best
    /// effort: what cannot be removed stays for `verify` to report and `repair` to retry.
    fn remove_temp_files(&self) {
        let Ok(scan) = self.layout.scan_objects() else {
            return;
        };
        let root_temps = fs::read_dir(self.layout.root())
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path());
        for path in scan.stray.into_iter().chain(root_temps) {
            if own_temp(&path) && fs::remove_file(&path).is_ok() {
                let _ = crate::fsutil::fsync_dir(path.parent().unwrap_or(Path::new(".")));
            }
        }
    }

    /// Whether entries may be encrypted to the config's recipients.
    fn recipients_trusted(&self) -> Result<(), Error> {
        if self.sealed.load(Ordering::Acquire) {
            return Ok(());
        }
        match &self.trust {
            Trust::Pinned(_) => Ok(()),
            Trust::Differs(r) => Err(Error::RecipientsChanged {
                pinned: r.recipients.clone(),
                found: self.config.recipients.clone(),
                pinned_at: r.pinned,
            }),
            Trust::Unknown => Err(Error::NotTrustedHere),
        }
    }

    /// All entries: the manifest's, plus entries whose metadata is not yet in the manifest
    /// (added without a secret). A manifest that cannot be read is set aside (the entries come
    /// from the `.meta.age` files then) and named in [`Index::manifest_error`].
    ///
    /// With the seal key, the manifest's seal is checked: entries it covers are *sealed*, the
    /// others are listed in [`Index::unsealed`]. A manifest whose generation is below the one
    /// pinned on this machine was rolled back ([`Index::rollback`]).
    pub fn index(&self, keys: &Keys) -> Result<Index, Error> {
        let (manifest, mut manifest_error) = match Manifest::read(&self.layout, keys.ids()) {
            Ok(m) => (m, None),
            // With the passphrase the keys are the vault's own: the manifest is foreign. With
            // other identities it is foreign too if they open the entries (checked below).
            Err(Error::NoMatchingIdentity) => (
                None,
                Some(Error::ManifestForeign {
                    path: self.layout.manifest(),
                }),
            ),
            Err(e) => (None, Some(e)),
        };
        let has_manifest = manifest.is_some();
        let generation = manifest.as_ref().map_or(0, |m| m.generation);
        let seal = match (&manifest, keys.seal()) {
            (Some(m), Some(key)) => {
                if key.manifest_sealed(
                    m.generation,
                    &self.config.recipients,
                    &m.entries,
                    m.seal.as_deref(),
                ) {
                    ManifestSeal::Valid
                } else if m.seal.is_some() {
                    ManifestSeal::Forged
                } else {
                    ManifestSeal::Missing
                }
            }
            (Some(m), None) if m.seal.is_none() => ManifestSeal::Missing,
            _ => ManifestSeal::Unchecked,
        };
        let record = self
            .config
            .recipients
            .first()
            .map(|k| trust::load(k))
            .transpose()?
            .flatten();
        let pinned_generation = record.as_ref().map_or(0, |r| r.generation);
        let rollback = (has_manifest && generation < pinned_generation)
            .then_some((generation, pinned_generation));
        // An unsealed manifest where this machine last saw a sealed one: written by someone
        // without the passphrase (whatever its generation says).
        let seal = match seal {
            ManifestSeal::Missing | ManifestSeal::Unchecked
                if record.as_ref().is_some_and(|r| r.sealed)
                    && manifest.as_ref().is_some_and(|m| m.seal.is_none()) =>
            {
                ManifestSeal::Replaced
            }
            other => other,
        };
        if seal == ManifestSeal::Valid && rollback.is_none() && generation > pinned_generation {
            // A newer sealed manifest, written on another machine: remember it, and keep a
            // copy for `repair`.
            trust::saw_generation(&self.config.recipients[0], generation, true)?;
            trust::keep_manifest(&self.config.recipients[0], &self.layout.manifest())?;
        }
        let manifest_ids: Vec<EntryId> = manifest
            .as_ref()
            .map(|m| m.entries.iter().map(|e| e.id.clone()).collect())
            .unwrap_or_default();
        let mut entries: BTreeMap<EntryId, Entry> = manifest
            .map(|m| m.entries.into_iter().map(|e| (e.id.clone(), e)).collect())
            .unwrap_or_default();
        let scan = self
            .layout
            .scan_objects()
            .map_err(|e| Error::io("read", &self.layout.objects(), e))?;
        let mut pending = Vec::new();
        let mut unreadable = Vec::new();
        for id in scan.metas {
            if entries.contains_key(&id) {
                continue;
            }
            match manifest::read_meta(&self.layout, &id, keys.ids()) {
                Ok(e) => {
                    pending.push(id.clone());
                    entries.insert(id, e);
                }
                Err(err) => unreadable.push((id, err)),
            }
        }
        let foreign_keys = !unreadable.is_empty()
            && unreadable
                .iter()
                .all(|(_, e)| matches!(e, Error::NoMatchingIdentity));
        if !has_manifest && entries.is_empty() && foreign_keys && keys.seal().is_none() {
            // Nothing could be read at all: the identities do not belong to this vault.
            return Err(unreadable.swap_remove(0).1);
        }
        if !has_manifest
            && manifest_error.is_none()
            && record.as_ref().is_some_and(|r| r.sealed_seen())
        {
            // This machine saw a sealed manifest; none is there now. Deleted (perhaps together
            // with entries, which would otherwise vanish without a trace): not a fresh start.
            manifest_error = Some(Error::ManifestMissing {
                path: self.layout.manifest(),
                pinned: pinned_generation,
            });
        }
        let mut unsealed = pending.clone();
        if matches!(
            seal,
            ManifestSeal::Forged | ManifestSeal::Missing | ManifestSeal::Replaced
        ) {
            unsealed.extend(manifest_ids);
        }
        unsealed.sort();
        let mut entries: Vec<Entry> = entries.into_values().collect();
        entries.sort_by(|a, b| (a.added, &a.id).cmp(&(b.added, &b.id)));
        Ok(Index {
            entries,
            pending,
            unreadable,
            has_manifest,
            manifest_error,
            seal,
            unsealed,
            rollback,
            generation,
        })
    }

    /// Rewrites the manifest to hold every entry (absorbing pending ones), sealed under the
    /// next generation. Only write commands call it, under the exclusive lock. Without the
    /// seal key (identities given with `--identity`) a sealed manifest is left alone and new
    /// entries stay pending, readable from their own metadata, until a write command with the
    /// passphrase checks and seals them; a missing or unsealed manifest is written unsealed.
    ///
    /// With the seal key, every entry not yet sealed is checked first (its object decrypts,
    /// authenticates and matches its metadata); those that fail, and those in `exclude` (entries
    /// this run caught claiming an original they do not hold), stay out of the seal. A
    /// rolled-back, forged, foreign or missing manifest is not written over: that is `repair`'s
    /// decision, after `verify` showed it.
    pub(crate) fn commit_manifest(
        &self,
        _lock: &VaultLock,
        keys: &Keys,
        exclude: &std::collections::BTreeSet<EntryId>,
    ) -> Result<Sealing, Error> {
        let index = self.index(keys)?;
        let lost = || {
            index.manifest_error.as_ref().and_then(|e| match e {
                Error::ManifestMissing { path, pinned } => Some(Error::ManifestMissing {
                    path: path.clone(),
                    pinned: *pinned,
                }),
                Error::ManifestForeign { path } => {
                    Some(Error::ManifestForeign { path: path.clone() })
                }
                _ => None,
            })
        };
        if keys.seal().is_none() {
            // Without the seal key a sealed manifest is left as it is (rewriting it unsealed
            // would drop its seal); a missing or unsealed one is written unsealed.
            let sealed_there = index.has_manifest && index.seal == ManifestSeal::Unchecked;
            let suspect = index.seal == ManifestSeal::Replaced
                || index.rollback.is_some()
                || lost().is_some();
            if sealed_there || suspect || (index.pending.is_empty() && index.has_manifest) {
                return Ok(Sealing::default());
            }
            let entries: Vec<Entry> = index
                .entries
                .into_iter()
                .filter(|e| !exclude.contains(&e.id))
                .collect();
            return self.write_manifest(keys, &entries, |_| false, index.generation);
        }
        if let Some((found, pinned)) = index.rollback {
            return Err(Error::RolledBack { found, pinned });
        }
        if matches!(index.seal, ManifestSeal::Forged | ManifestSeal::Replaced) {
            return Err(Error::ManifestForged);
        }
        if let Some(e) = lost() {
            return Err(e);
        }
        let unsealed: std::collections::BTreeSet<&EntryId> = index.unsealed.iter().collect();
        let entries: Vec<Entry> = index
            .entries
            .into_iter()
            .filter(|e| !exclude.contains(&e.id))
            .collect();
        self.write_manifest(
            keys,
            &entries,
            |e| unsealed.contains(&e.id),
            index.generation,
        )
    }

    /// Writes a manifest of `entries` under a generation above both `at_least` and the one
    /// pinned here. With the seal key, the entries for which `check` says so are first checked
    /// (object decrypts, authenticates and matches its metadata); those that fail are left out
    /// and returned, the rest are sealed, and a copy of the sealed manifest (ciphertext) is kept
    /// in this machine's trust folder, for `repair` to name what a deleted manifest held.
    /// Without the seal key the manifest is written unsealed (its entries are checked and
    /// sealed by the next write command with the passphrase).
    pub(crate) fn write_manifest(
        &self,
        keys: &Keys,
        entries: &[Entry],
        check: impl Fn(&Entry) -> bool + Sync,
        at_least: u64,
    ) -> Result<Sealing, Error> {
        use rayon::prelude::*;
        let checked: Vec<Option<Result<(), Error>>> = entries
            .par_iter()
            .map(|e| (keys.seal().is_some() && check(e)).then(|| self.verify_entry(e, keys)))
            .collect();
        let mut sealing = Sealing::default();
        let mut kept = Vec::new();
        for (e, ok) in entries.iter().zip(checked) {
            match ok {
                None => kept.push(e.clone()),
                Some(Ok(())) => {
                    sealing.sealed += 1;
                    kept.push(e.clone());
                }
                Some(Err(err)) => sealing.refused.push((e.id.clone(), err)),
            }
        }
        let vault_key = &self.config.recipients[0];
        let pinned = trust::load(vault_key)?.map_or(0, |r| r.generation);
        let generation = at_least.max(pinned) + 1;
        let mut m = Manifest::new(kept);
        m.generation = generation;
        m.seal = keys
            .seal()
            .map(|key| key.seal_manifest(generation, &self.config.recipients, &m.entries));
        m.write(&self.layout, &self.recipients)?;
        trust::saw_generation(vault_key, generation, m.seal.is_some())?;
        if m.seal.is_some() {
            trust::keep_manifest(vault_key, &self.layout.manifest())?;
        }
        Ok(sealing)
    }

    /// Decrypts an entry's object and metadata and checks them against `entry`.
    pub(crate) fn verify_entry(&self, entry: &Entry, keys: &Keys) -> Result<(), Error> {
        check::verify_entry(self, entry, keys)
    }

    /// Extracts an entry to `dest_root.join(rel)` (see [`check::plan_extraction`]); never
    /// overwrites.
    pub fn extract(
        &self,
        entry: &Entry,
        keys: &Keys,
        dest_root: &Path,
        rel: &Path,
        modes: check::Modes,
    ) -> Result<PathBuf, Error> {
        check::extract(self, entry, keys, dest_root, rel, modes)
    }

    pub(crate) fn recipients(&self) -> &Recipients {
        &self.recipients
    }

    pub(crate) fn contains(&self, path: &Path) -> bool {
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        let dir = parent.unwrap_or(Path::new("."));
        fs::canonicalize(dir).is_ok_and(|d| d.starts_with(&self.canonical))
    }
}

/// What a manifest commit sealed.
#[derive(Debug, Default)]
pub struct Sealing {
    /// Entries checked against their metadata and sealed by this commit.
    pub sealed: u64,
    /// Entries that failed their check and were kept out of the manifest.
    pub refused: Vec<(EntryId, Error)>,
}

/// What the manifest's seal said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManifestSeal {
    /// Checked and valid: the manifest's entries are sealed.
    Valid,
    /// Present but wrong: the manifest was forged or altered.
    Forged,
    /// No seal (written without the passphrase, or by an older idvault).
    Missing,
    /// No seal, where this machine last saw a sealed manifest: replaced by someone without
    /// the passphrase.
    Replaced,
    /// Not checked: no manifest, or no seal key.
    Unchecked,
}

/// The vault's entries as read with a key.
#[derive(Debug)]
pub struct Index {
    /// Every readable entry, oldest first.
    pub entries: Vec<Entry>,
    /// Entries whose metadata is not yet in the manifest.
    pub pending: Vec<EntryId>,
    /// Metadata files that could not be read.
    pub unreadable: Vec<(EntryId, Error)>,
    /// Whether a readable `manifest.age` exists.
    pub has_manifest: bool,
    /// Why `manifest.age` could not be read (the entries then come from the `.meta.age`
    /// files; `vault repair` rebuilds it).
    pub manifest_error: Option<Error>,
    pub seal: ManifestSeal,
    /// Entries not covered by a checked seal: added without the passphrase, or listed by a
    /// manifest whose seal is missing or wrong.
    pub unsealed: Vec<EntryId>,
    /// `(found, pinned)`: the manifest's generation is below the one this machine saw.
    pub rollback: Option<(u64, u64)>,
    /// The manifest's generation (0 without one).
    pub generation: u64,
}

impl Index {
    /// The entries that claim to hold an original with this SHA-256 (for idempotent re-runs).
    /// A claim is only a claim: check it against the original before relying on it.
    pub(crate) fn by_original_hash<'a>(
        &'a self,
        sha256: &'a str,
    ) -> impl Iterator<Item = &'a Entry> {
        self.entries
            .iter()
            .filter(move |e| e.original_sha256 == sha256)
    }

    /// The entry with this id, or with an id starting with this prefix if exactly one does.
    pub fn by_id(&self, id: &str) -> Option<&Entry> {
        let mut it = self
            .entries
            .iter()
            .filter(|e| e.id.as_str().starts_with(id));
        let first = it.next()?;
        it.next().is_none().then_some(first)
    }
}

/// The result of an upgrade written at unlock: `Ok(false)` when the vault is on read-only
/// media, where it is read as it is (and upgraded at its first unlock on writable media).
fn upgrade(written: Result<(), Error>) -> Result<bool, Error> {
    match written {
        Ok(()) => Ok(true),
        Err(Error::Io { error, .. }) if error.kind() == io::ErrorKind::ReadOnlyFilesystem => {
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Whether the folder `root` holding `names` is what an interrupted `init` leaves: its
/// identity, perhaps an empty `objects/` and temporary files idvault proves it made, and no
/// config yet.
fn partial_init(root: &Path, names: &[std::ffi::OsString]) -> bool {
    names.iter().any(|n| n == format::IDENTITY_FILE)
        && names.iter().all(|n| {
            n == format::IDENTITY_FILE || n == format::OBJECTS_DIR || own_temp(&root.join(n))
        })
}

/// Whether `path` is a temporary file of an interrupted write that idvault proves it made.
pub(crate) fn own_temp(path: &Path) -> bool {
    path.file_name()
        .and_then(crate::files::Leftover::of)
        .is_some_and(|k| k == crate::files::Leftover::Temporary)
        && crate::files::mark::proves(path)
}

/// Creates `dir` and its missing parents, fsyncing each parent that gained a folder.
fn create_dirs_synced(dir: &Path) -> Result<(), Error> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dirs_synced(parent)?;
    }
    match fs::create_dir(dir) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
            return Err(Error::io("create", dir, e));
        }
        _ => {}
    }
    let parent = dir.parent().unwrap_or(Path::new("."));
    crate::fsutil::fsync_dir(parent).map_err(|e| Error::io("sync", parent, e))
}

/// Writes a small vault file (0600, temp + rename).
fn write_file(dest: &Path, bytes: &[u8], replace: Replace) -> Result<(), Error> {
    use std::io::Write;
    let dir = dest.parent().unwrap_or(Path::new("."));
    let mut f =
        AtomicFile::new_in(dir, format::FILE_MODE).map_err(|e| Error::io("create", dir, e))?;
    f.write_all(bytes)
        .and_then(|()| f.commit(dest, replace))
        .map_err(|e| Error::io("write", dest, e))
}

/// Seconds since the Unix epoch.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
