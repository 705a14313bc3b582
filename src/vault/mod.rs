//! The age vault: encrypted, crash-safe storage in which every entry is a standard age file
//! that opens with the stock `age` CLI (`age -d -i VAULT/identity.age VAULT/objects/ab/<id>.age`).
//!
//! Adding needs no secret: entries are encrypted to the public recipients in
//! `idvault-vault.toml`. Reading needs the vault passphrase (one scrypt per command, to open
//! `identity.age`) or another identity given at init. See [`format`](mod@format) for the layout, [`add`]
//! for the write order, and docs/README-vault.md for the user's view.
//!
//! The API the `secure` command uses:
//! ```no_run
//! # use idvault::vault::*;
//! # fn f(passphrase: secrecy::SecretString) -> Result<(), Error> {
//! let vault = Vault::open(&default_root().unwrap())?;
//! let keys = vault.unlock(&passphrase)?;
//! let lock = vault.lock(LockMode::Exclusive, |_pid| {})?;
//! let index = vault.index(&keys)?;
//! let path = std::path::Path::new("/photos/passport.jpg");
//! let digest = sha256_file(path)?;
//! if index.by_original_hash(&digest.sha256).is_none() {
//!     let added = vault.add_file(&lock, &Source::new(path.into()), StripPolicy::Strip)?;
//!     vault.commit_manifest(&lock, &keys)?;
//!     vault.verify_entry(&added.entry, &keys)?;
//!     // act on the original only now, and only if `added.unchanged(path)`.
//! }
//! # Ok(()) }
//! ```

pub mod add;
pub mod check;
pub mod crypto;
pub mod format;
pub mod lock;
pub mod manifest;
pub mod original;

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use secrecy::SecretString;

pub use add::{AddEvent, AddSummary, Added, Source, add_all, already_in, sha256_file};
pub use crypto::{BoxIdentity, Digested, Recipients};
pub use format::{Config, EntryId, Layout};
pub use lock::{LockMode, VaultLock};
pub use manifest::{Detected, DetectedReason, Entry, Manifest, StoredPath, StripLog};
pub use original::{Removal, StripPolicy};

use crate::fsutil::{AtomicFile, Replace};
use crate::ui::sanitize;

/// Everything that can go wrong in the vault, named after what the user was doing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(
        "{} is not an idvault vault (no {})",
        sanitize::path(path),
        crate::VAULT_MARKER
    )]
    NotAVault { path: PathBuf },
    #[error(
        "{} already exists and is not empty; a vault is created in a new or empty folder",
        sanitize::path(path)
    )]
    NotEmpty { path: PathBuf },
    #[error(
        "the vault has format {found}; this idvault reads format {}",
        format::FORMAT
    )]
    UnsupportedFormat { found: u32 },
    #[error("{}: invalid vault config: {message}", sanitize::path(path))]
    BadConfig { path: PathBuf, message: String },
    #[error("recipient {recipient}: {message}")]
    BadRecipient { recipient: String, message: String },
    #[error("the vault has no recipients")]
    NoRecipients,
    #[error("wrong passphrase: the vault identity could not be decrypted")]
    WrongPassphrase,
    #[error("none of the given identities can open this vault's files")]
    NoMatchingIdentity,
    #[error("identity file {}: {message}", sanitize::path(path))]
    BadIdentityFile { path: PathBuf, message: String },
    #[error("cannot {action} {}: {source}", sanitize::path(path))]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("encryption failed: {0}")]
    Encrypt(String),
    #[error("damaged or altered: {message}")]
    Corrupt { message: String },
    #[error("content does not match the recorded SHA-256 (damaged, altered or swapped object)")]
    HashMismatch,
    #[error("object file is missing")]
    MissingObject,
    #[error("{} changed while it was being added; not added", sanitize::path(path))]
    ChangedWhileAdding { path: PathBuf },
    #[error("{} is inside the vault", sanitize::path(path))]
    InsideVault { path: PathBuf },
    #[error("{} already exists; not overwritten", sanitize::path(path))]
    Exists { path: PathBuf },
    #[error("vaulted, but the original was not wiped: {source}")]
    Wipe {
        path: PathBuf,
        source: crate::wipe::WipeError,
    },
}

impl Error {
    pub(crate) fn io(action: &'static str, path: &Path, source: io::Error) -> Self {
        Error::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    /// Names the vault file a decryption error came from.
    pub(crate) fn in_file(self, path: &Path) -> Self {
        match self {
            Error::Corrupt { message } => Error::Corrupt {
                message: format!("{}: {message}", sanitize::path(path)),
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

/// Identities that can read the vault, obtained once per command.
pub struct Keys {
    ids: Vec<BoxIdentity>,
}

impl Keys {
    /// Keys from identity files given with `--identity`.
    pub fn from_identities(ids: Vec<BoxIdentity>) -> Self {
        Keys { ids }
    }

    pub(crate) fn ids(&self) -> &[BoxIdentity] {
        &self.ids
    }
}

/// An open vault: its layout, public config and parsed recipients.
pub struct Vault {
    layout: Layout,
    config: Config,
    recipients: Recipients,
    /// The canonical root, to refuse adding the vault's own files.
    canonical: PathBuf,
}

impl Vault {
    /// Creates a vault at `root` (a new or empty folder): a fresh X25519 identity sealed with
    /// `passphrase` in `identity.age`, plus `extra` recipients.
    pub fn init(root: &Path, passphrase: &SecretString, extra: &[String]) -> Result<Vault, Error> {
        let mut recipients = Vec::new();
        for r in extra {
            let (_, text) = crypto::parse_recipient(r)?;
            recipients.push(text);
        }
        match fs::read_dir(root) {
            Ok(mut d) => {
                if d.next().is_some() {
                    return Err(Error::NotEmpty { path: root.into() });
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if let Some(parent) = root.parent().filter(|p| !p.as_os_str().is_empty()) {
                    fs::create_dir_all(parent).map_err(|e| Error::io("create", parent, e))?;
                }
            }
            Err(e) => return Err(Error::io("read", root, e)),
        }
        format::create_private_dir(root).map_err(|e| Error::io("create", root, e))?;
        let layout = Layout::new(root.to_path_buf());
        let (secret, public) = crypto::generate_identity();
        recipients.insert(0, public);
        let sealed = crypto::seal_identity(&secret, passphrase)?;
        write_file(&layout.identity(), &sealed)?;
        format::create_private_dir(&layout.objects())
            .map_err(|e| Error::io("create", &layout.objects(), e))?;
        let config = Config {
            format: format::FORMAT,
            created: now(),
            recipients,
        };
        // The marker comes last: a folder without it is not (yet) a vault.
        write_file(&layout.config(), config.to_text().as_bytes())?;
        Vault::open(root)
    }

    /// Opens the vault at `root` (no secret needed).
    pub fn open(root: &Path) -> Result<Vault, Error> {
        let layout = Layout::new(root.to_path_buf());
        let path = layout.config();
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::NotAVault { path: root.into() });
            }
            Err(e) => return Err(Error::io("read", &path, e)),
        };
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
        Ok(Vault {
            layout,
            config,
            recipients,
            canonical,
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

    /// Opens `identity.age` with the passphrase (one scrypt).
    pub fn unlock(&self, passphrase: &SecretString) -> Result<Keys, Error> {
        crypto::unseal_identity(&self.layout.identity(), passphrase).map(|ids| Keys { ids })
    }

    /// Takes the vault lock; `on_busy` is told when another process holds it (then this waits).
    pub fn lock(
        &self,
        mode: LockMode,
        on_busy: impl FnOnce(Option<u32>),
    ) -> Result<VaultLock, Error> {
        let path = self.layout.lock();
        VaultLock::acquire(&path, mode, on_busy).map_err(|e| Error::io("lock", &path, e))
    }

    /// All entries: the manifest's, plus entries whose metadata is not yet in the manifest
    /// (added without a secret).
    pub fn index(&self, keys: &Keys) -> Result<Index, Error> {
        let manifest = Manifest::read(&self.layout, keys.ids())?;
        let has_manifest = manifest.is_some();
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
        if !has_manifest && entries.is_empty() && !unreadable.is_empty() {
            // Nothing could be read at all: the identities do not belong to this vault.
            return Err(unreadable.swap_remove(0).1);
        }
        let mut entries: Vec<Entry> = entries.into_values().collect();
        entries.sort_by(|a, b| (a.added, &a.id).cmp(&(b.added, &b.id)));
        Ok(Index {
            entries,
            pending,
            unreadable,
            has_manifest,
        })
    }

    /// Rewrites the manifest to hold every entry (absorbing pending ones).
    pub fn commit_manifest(&self, _lock: &VaultLock, keys: &Keys) -> Result<(), Error> {
        let index = self.index(keys)?;
        Manifest::new(index.entries).write(&self.layout, &self.recipients)
    }

    /// Adds one file: see [`add::add_file`].
    pub fn add_file(
        &self,
        lock: &VaultLock,
        source: &Source,
        strip: StripPolicy,
    ) -> Result<Added, Error> {
        add::add_file(self, lock, source, strip)
    }

    /// Decrypts an entry's object and metadata and checks them against `entry`.
    pub fn verify_entry(&self, entry: &Entry, keys: &Keys) -> Result<(), Error> {
        check::verify_entry(self, entry, keys)
    }

    /// Extracts an entry into `dest_dir` under its original name; never overwrites.
    pub fn extract(&self, entry: &Entry, keys: &Keys, dest_dir: &Path) -> Result<PathBuf, Error> {
        check::extract(self, entry, keys, dest_dir)
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

/// The vault's entries as read with a key.
#[derive(Debug)]
pub struct Index {
    /// Every readable entry, oldest first.
    pub entries: Vec<Entry>,
    /// Entries whose metadata is not yet in the manifest.
    pub pending: Vec<EntryId>,
    /// Metadata files that could not be read.
    pub unreadable: Vec<(EntryId, Error)>,
    /// Whether `manifest.age` exists.
    pub has_manifest: bool,
}

impl Index {
    /// The entry whose original had this SHA-256, if any (for idempotent re-runs).
    pub fn by_original_hash(&self, sha256: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.original_sha256 == sha256)
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

/// Writes a small vault file (0600, temp + rename, never replacing).
fn write_file(dest: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    let dir = dest.parent().unwrap_or(Path::new("."));
    let mut f =
        AtomicFile::new_in(dir, format::FILE_MODE).map_err(|e| Error::io("create", dir, e))?;
    f.write_all(bytes)
        .and_then(|()| f.commit(dest, Replace::Never))
        .map_err(|e| Error::io("write", dest, e))
}

/// Seconds since the Unix epoch.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
