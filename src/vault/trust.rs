//! What the vault may believe about its own folder, which anyone able to write there (a synced
//! folder, a shared disk) can change without the passphrase.
//!
//! Two defences, both from well-kept primitives (BLAKE3's key derivation and keyed mode):
//!
//! - **Seals.** [`SealKey`] is derived from the vault's own X25519 identity, which only the
//!   passphrase holder can open. It seals the public config (format, creation time, recipient
//!   list) and the manifest (its generation counter, the recipient list and every entry). A
//!   writer without the passphrase can encrypt a forged manifest to the public recipients, but
//!   cannot seal it.
//! - **The trust record.** `$XDG_DATA_HOME/idvault/trust/<vault>.json` (0600 in a 0700 folder),
//!   keyed by the vault's own public key, pins on this machine the recipient list seen at `init`
//!   or at the last unlock whose seal checked, the highest manifest generation seen, and the
//!   folders the vault was opened from. `vault add`, which needs no passphrase and so cannot
//!   check a seal, writes only when the config matches the pin; a manifest whose generation is
//!   below the pinned one has been rolled back.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::format::{self, Config};
use super::manifest::{Entry, StoredPath};
use super::{Error, now};
use crate::fsutil::{self, AtomicFile, Replace};

/// Key-derivation contexts (BLAKE3 `derive_key`): one key per purpose, bound to this format.
const CONFIG_CONTEXT: &str = "idvault 2026-11 vault v1 config seal";
const MANIFEST_CONTEXT: &str = "idvault 2026-11 vault v1 manifest seal";
/// Trust records larger than this are not ours and are refused.
const RECORD_LIMIT: u64 = 1 << 20;

/// Keys derived from the vault identity; available only after an unlock with the passphrase.
pub struct SealKey {
    config: Zeroizing<[u8; 32]>,
    manifest: Zeroizing<[u8; 32]>,
}

impl SealKey {
    /// Derives the seal keys from the vault identity's secret text (`AGE-SECRET-KEY-1…`).
    pub(crate) fn derive(identity: &SecretString) -> Self {
        let ikm = identity.expose_secret().as_bytes();
        SealKey {
            config: Zeroizing::new(blake3::derive_key(CONFIG_CONTEXT, ikm)),
            manifest: Zeroizing::new(blake3::derive_key(MANIFEST_CONTEXT, ikm)),
        }
    }

    /// The seal of a config's public fields.
    pub(crate) fn seal_config(&self, config: &Config) -> String {
        tag(&self.config, &config_body(config))
    }

    /// Whether `config` carries a valid seal (compared in constant time).
    pub(crate) fn config_sealed(&self, config: &Config) -> bool {
        check(&self.config, &config_body(config), config.seal.as_deref())
    }

    /// The seal of a manifest: its generation, the recipients and every entry.
    pub(crate) fn seal_manifest(
        &self,
        generation: u64,
        recipients: &[String],
        entries: &[Entry],
    ) -> String {
        tag(
            &self.manifest,
            &manifest_body(generation, recipients, entries),
        )
    }

    /// Whether `seal` is the manifest seal of these fields (compared in constant time).
    pub(crate) fn manifest_sealed(
        &self,
        generation: u64,
        recipients: &[String],
        entries: &[Entry],
        seal: Option<&str>,
    ) -> bool {
        check(
            &self.manifest,
            &manifest_body(generation, recipients, entries),
            seal,
        )
    }
}

fn config_body(config: &Config) -> Vec<u8> {
    serde_json::to_vec(&(config.format, config.created, &config.recipients))
        .expect("config serialises")
}

fn manifest_body(generation: u64, recipients: &[String], entries: &[Entry]) -> Vec<u8> {
    serde_json::to_vec(&(format::FORMAT, generation, recipients, entries))
        .expect("manifest serialises")
}

fn tag(key: &[u8; 32], body: &[u8]) -> String {
    blake3::keyed_hash(key, body).to_hex().to_string()
}

fn check(key: &[u8; 32], body: &[u8], seal: Option<&str>) -> bool {
    // `blake3::Hash`'s equality is constant-time.
    seal.and_then(|s| blake3::Hash::from_hex(s).ok())
        .is_some_and(|s| s == blake3::keyed_hash(key, body))
}

/// This machine's record of one vault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The vault's own public key (its first recipient); names the record.
    pub vault_key: String,
    /// The recipient list pinned here.
    pub recipients: Vec<String>,
    /// The highest manifest generation seen here.
    pub generation: u64,
    /// Whether that manifest was sealed: an unsealed manifest found later replaced it.
    #[serde(default)]
    pub sealed: bool,
    /// Whether any sealed manifest was ever seen here: a missing manifest then is an attack
    /// or a loss, not a new vault. (Records written before this field: taken from `sealed`.)
    #[serde(default)]
    pub ever_sealed: bool,
    /// The scrypt work factor the vault identity was sealed with when this machine last
    /// unlocked or made it: a higher one later is refused before any scrypt runs. `None` in
    /// records written before this field.
    #[serde(default)]
    pub scrypt_log_n: Option<u8>,
    /// Folders the vault was opened from (canonical).
    pub roots: Vec<StoredPath>,
    /// When the recipients were pinned (seconds since the epoch).
    pub pinned: i64,
}

impl Record {
    /// Whether this machine ever saw a sealed manifest of the vault.
    pub fn sealed_seen(&self) -> bool {
        self.ever_sealed || self.sealed
    }
}

/// What this machine knows about a vault opened without a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trust {
    /// The config's recipients are the pinned ones.
    Pinned(Record),
    /// The config differs from what was pinned for this vault or this folder.
    Differs(Record),
    /// Never seen here.
    Unknown,
}

/// The trust records' folder: `$XDG_DATA_HOME/idvault/trust`.
pub fn dir() -> Option<PathBuf> {
    crate::files::data_dir().map(|d| d.join("trust"))
}

fn record_path(dir: &Path, vault_key: &str) -> PathBuf {
    let name = blake3::hash(vault_key.as_bytes()).to_hex();
    dir.join(format!("{}.json", &name[..32]))
}

fn read_record(path: &Path) -> io::Result<Option<Record>> {
    let file = match fsutil::open_regular_nofollow(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut text = Vec::new();
    file.take(RECORD_LIMIT).read_to_end(&mut text)?;
    serde_json::from_slice(&text)
        .map(Some)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Looks up the record of the vault whose config is `config`, opened at `root` (canonical).
pub(crate) fn lookup(config: &Config, root: &Path) -> Result<Trust, Error> {
    let Some(dir) = dir() else {
        return Ok(Trust::Unknown);
    };
    let Some(key) = config.recipients.first() else {
        return Ok(Trust::Unknown);
    };
    let path = record_path(&dir, key);
    if let Some(r) = read_record(&path).map_err(|e| Error::io("read", &path, e))? {
        return Ok(if r.recipients == config.recipients {
            Trust::Pinned(r)
        } else {
            Trust::Differs(r)
        });
    }
    // No record for this key: was another vault seen in this very folder? Then its identity
    // and recipients were replaced.
    let here = StoredPath::new(root);
    let entries = match fs::read_dir(&dir) {
        Ok(d) => d,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Trust::Unknown),
        Err(e) => return Err(Error::io("read", &dir, e)),
    };
    for item in entries.flatten() {
        if let Ok(Some(r)) = read_record(&item.path())
            && r.roots.contains(&here)
        {
            return Ok(Trust::Differs(r));
        }
    }
    Ok(Trust::Unknown)
}

/// Loads the record for `vault_key`, if any.
pub(crate) fn load(vault_key: &str) -> Result<Option<Record>, Error> {
    let Some(dir) = dir() else { return Ok(None) };
    let path = record_path(&dir, vault_key);
    read_record(&path).map_err(|e| Error::io("read", &path, e))
}

/// Writes `record` (0600, atomically) in a 0700 folder.
pub fn store(record: &Record) -> Result<(), Error> {
    use std::io::Write;
    let Some(dir) = dir() else { return Ok(()) };
    if let Some(parent) = dir.parent() {
        fs::create_dir_all(parent).map_err(|e| Error::io("create", parent, e))?;
    }
    format::create_private_dir(&dir).map_err(|e| Error::io("create", &dir, e))?;
    let path = record_path(&dir, &record.vault_key);
    let bytes = serde_json::to_vec_pretty(record).expect("record serialises");
    let mut f =
        AtomicFile::new_in(&dir, format::FILE_MODE).map_err(|e| Error::io("create", &dir, e))?;
    f.write_all(&bytes)
        .and_then(|()| f.commit(&path, Replace::Allow))
        .map_err(|e| Error::io("write", &path, e))
}

/// Pins `config`'s recipients for the vault at `root`, keeping the highest generation seen,
/// and the scrypt work factor `log_n` its identity is sealed with.
pub fn pin(config: &Config, root: &Path, log_n: u8) -> Result<Record, Error> {
    let key = config.recipients.first().ok_or(Error::NoRecipients)?;
    let old = load(key)?;
    let here = StoredPath::new(root);
    let mut record = match old {
        Some(r) if r.recipients == config.recipients => r,
        other => Record {
            scrypt_log_n: None,
            vault_key: key.clone(),
            recipients: config.recipients.clone(),
            generation: other.as_ref().map_or(0, |r| r.generation),
            sealed: other.as_ref().is_some_and(|r| r.sealed),
            ever_sealed: other.is_some_and(|r| r.sealed_seen()),
            roots: Vec::new(),
            pinned: now(),
        },
    };
    if !record.roots.contains(&here) {
        record.roots.push(here);
    }
    record.scrypt_log_n = Some(log_n);
    store(&record)?;
    Ok(record)
}

/// Raises the pinned generation of `vault_key` to `generation` (never lowers it), noting
/// whether that manifest was sealed.
pub(crate) fn saw_generation(vault_key: &str, generation: u64, sealed: bool) -> Result<(), Error> {
    match load(vault_key)? {
        Some(mut r) if r.generation < generation => {
            r.ever_sealed = r.sealed_seen() || sealed;
            r.generation = generation;
            r.sealed = sealed;
            store(&r)
        }
        _ => Ok(()),
    }
}

/// Where this machine keeps a copy of the last sealed manifest it wrote or saw for
/// `vault_key`: still encrypted to the vault, so it shows nothing the vault folder does not.
pub(crate) fn kept_manifest(vault_key: &str) -> Option<PathBuf> {
    let dir = dir()?;
    Some(record_path(&dir, vault_key).with_extension("manifest.age"))
}

/// Copies the sealed manifest at `manifest` (as just written or checked) beside the trust
/// record, so that `repair` can name every entry it held if the manifest is deleted later.
pub(crate) fn keep_manifest(vault_key: &str, manifest: &Path) -> Result<(), Error> {
    use std::io::Write;
    let Some(dest) = kept_manifest(vault_key) else {
        return Ok(());
    };
    let src =
        fsutil::open_regular_nofollow(manifest).map_err(|e| Error::io("read", manifest, e))?;
    let dir = dest.parent().unwrap_or(Path::new("."));
    format::create_private_dir(dir).map_err(|e| Error::io("create", dir, e))?;
    let mut f =
        AtomicFile::new_in(dir, format::FILE_MODE).map_err(|e| Error::io("create", dir, e))?;
    io::copy(&mut src.take(format::MANIFEST_LIMIT * 2), f.file())
        .and_then(|_| f.file().flush())
        .and_then(|()| f.commit(&dest, Replace::Allow))
        .map_err(|e| Error::io("write", &dest, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(recipients: &[&str]) -> Config {
        Config {
            format: format::FORMAT,
            created: 1,
            recipients: recipients.iter().map(|s| s.to_string()).collect(),
            seal: None,
        }
    }

    #[test]
    fn a_seal_covers_every_recipient_and_needs_the_identity() {
        let (secret, public) = super::super::crypto::generate_identity();
        let key = SealKey::derive(&secret);
        let mut c = config(&[&public]);
        c.seal = Some(key.seal_config(&c));
        assert!(key.config_sealed(&c));
        let mut added = c.clone();
        added.recipients.push("age1attacker".into());
        assert!(!key.config_sealed(&added));
        let (other, _) = super::super::crypto::generate_identity();
        assert!(!SealKey::derive(&other).config_sealed(&c));
        let mut bare = c.clone();
        bare.seal = None;
        assert!(!key.config_sealed(&bare));
    }

    #[test]
    fn a_manifest_seal_binds_the_generation() {
        let (secret, public) = super::super::crypto::generate_identity();
        let key = SealKey::derive(&secret);
        let r = vec![public];
        let seal = key.seal_manifest(3, &r, &[]);
        assert!(key.manifest_sealed(3, &r, &[], Some(&seal)));
        assert!(!key.manifest_sealed(4, &r, &[], Some(&seal)));
        assert!(!key.manifest_sealed(3, &r, &[], Some("zz")));
    }
}
