//! Vault format v1: where everything lives inside a vault directory, the public config file
//! (`idvault-vault.toml`), entry ids, and the padding that hides name lengths.
//!
//! ```text
//! VAULT/
//!   idvault-vault.toml        format version, creation time, public recipients (no secrets)
//!   identity.age              the vault's X25519 identity, passphrase-encrypted
//!   manifest.age              every entry's metadata in one file, rewritten atomically
//!   lock                      flock()ed while a command writes
//!   objects/ab/<id>.age       an entry's bytes: a standard age file
//!   objects/ab/<id>.meta.age  the entry's metadata (the entry's commit record)
//! ```

use std::fs::{self, DirBuilder};
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The format version this build writes and reads.
pub(crate) const FORMAT: u32 = 1;
/// The vault's passphrase-encrypted identity.
pub(crate) const IDENTITY_FILE: &str = "identity.age";
/// All entries' metadata.
pub(crate) const MANIFEST_FILE: &str = "manifest.age";
/// The lock file.
pub(crate) const LOCK_FILE: &str = "lock";
/// Directory of objects, fanned out by the first byte of the id.
pub(crate) const OBJECTS_DIR: &str = "objects";
/// Suffix of an entry's content.
pub(crate) const OBJECT_SUFFIX: &str = ".age";
/// Suffix of an entry's metadata.
pub(crate) const META_SUFFIX: &str = ".meta.age";
/// Mode of every file in the vault.
pub(crate) const FILE_MODE: u32 = 0o600;
/// Mode of every directory in the vault.
pub(crate) const DIR_MODE: u32 = 0o700;
/// Metadata plaintexts are padded to a multiple of this, so that the size of an encrypted
/// `.meta.age` does not reveal the length of the original path.
pub(crate) const META_PAD: usize = 1024;
/// The manifest is padded to a multiple of this, so that its size reveals only roughly how
/// many entries there are (which the object count shows anyway), not the lengths of names.
pub(crate) const MANIFEST_PAD: usize = 16 * 1024;

/// The most a decrypted `.meta.age` may hold. An entry's metadata is about 1 KiB (padded to
/// [`META_PAD`]); even a 4,096-byte path with every byte escaped stays far below this. Anyone
/// who can write the vault folder can plant a larger one (adding needs only the public
/// recipients), so it is refused rather than read into memory.
pub(crate) const META_LIMIT: u64 = 1 << 20;
/// The most a decrypted `manifest.age` may hold: about 150,000 entries of ordinary size, more
/// than any collection of identity documents, while its parsed form stays well under 1 GiB.
pub(crate) const MANIFEST_LIMIT: u64 = 128 << 20;
/// The most `idvault-vault.toml` (and a `--recipients-file`) may hold: a thousand SSH RSA
/// recipients take about 700 KiB.
pub(crate) const CONFIG_LIMIT: u64 = 1 << 20;

/// Reads a small file of the vault (or one given for it) whole, refusing a symlink, a
/// non-regular file and anything larger than `limit` bytes.
pub(crate) fn read_small(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let file = crate::fsutil::open_regular_nofollow(path)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {limit} bytes, the most idvault reads for this file; not read"),
        ));
    }
    Ok(bytes)
}

/// The public, unencrypted part of a vault: `idvault-vault.toml`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// `FORMAT` of the vault.
    pub format: u32,
    /// Seconds since the Unix epoch when the vault was created.
    pub created: i64,
    /// Public recipients every entry is encrypted to; the first is the vault's own identity.
    pub recipients: Vec<String>,
    /// BLAKE3 keyed hash of the fields above under a key derived from the vault identity (see
    /// `vault::trust`); `None` in vaults made before seals existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal: Option<String>,
}

impl Config {
    /// Parses the config text.
    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// The config as TOML, with a comment saying what the file is.
    pub(crate) fn to_text(&self) -> String {
        let body = toml::to_string(self).expect("config serialises");
        format!(
            "# idvault vault (format {FORMAT}). Public data only: no names, no secrets.\n\
             # Every objects/*/*.age file opens with `age -d -i identity.age FILE`.\n{body}"
        )
    }
}

/// A 128-bit random entry id, as 32 lower-case hex digits.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EntryId(String);

impl EntryId {
    /// A fresh random id.
    pub fn random() -> Self {
        EntryId(crate::fsutil::random_hex(16))
    }

    /// Parses a full id.
    pub fn parse(s: &str) -> Option<Self> {
        let ok = s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        ok.then(|| EntryId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The fan-out directory name: the first byte in hex.
    fn fan(&self) -> &str {
        &self.0[..2]
    }
}

impl std::fmt::Display for EntryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for EntryId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        EntryId::parse(&s).ok_or_else(|| format!("invalid entry id `{s}`"))
    }
}

impl From<EntryId> for String {
    fn from(id: EntryId) -> String {
        id.0
    }
}

/// Paths inside one vault directory.
#[derive(Clone, Debug)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    pub fn new(root: PathBuf) -> Self {
        Layout { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn config(&self) -> PathBuf {
        self.root.join(crate::VAULT_MARKER)
    }

    pub fn identity(&self) -> PathBuf {
        self.root.join(IDENTITY_FILE)
    }

    pub fn manifest(&self) -> PathBuf {
        self.root.join(MANIFEST_FILE)
    }

    pub fn lock(&self) -> PathBuf {
        self.root.join(LOCK_FILE)
    }

    pub fn objects(&self) -> PathBuf {
        self.root.join(OBJECTS_DIR)
    }

    /// The fan-out directory of `id`.
    pub(crate) fn fan_dir(&self, id: &EntryId) -> PathBuf {
        self.objects().join(id.fan())
    }

    pub fn object(&self, id: &EntryId) -> PathBuf {
        self.fan_dir(id).join(format!("{id}{OBJECT_SUFFIX}"))
    }

    pub fn meta(&self, id: &EntryId) -> PathBuf {
        self.fan_dir(id).join(format!("{id}{META_SUFFIX}"))
    }

    /// Everything in `objects/`: ids with an object, ids with metadata, and stray files
    /// (temporary files left by a crash, or anything else).
    pub(crate) fn scan_objects(&self) -> io::Result<ObjectScan> {
        let mut scan = ObjectScan::default();
        let dir = match fs::read_dir(self.objects()) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(scan),
            Err(e) => return Err(e),
        };
        for fan in dir {
            let fan = fan?;
            if !fan.file_type()?.is_dir() {
                scan.stray.push(fan.path());
                continue;
            }
            for item in fs::read_dir(fan.path())? {
                let item = item?;
                let name = item.file_name();
                let parsed = name.to_str().and_then(|n| {
                    if let Some(id) = n.strip_suffix(META_SUFFIX) {
                        EntryId::parse(id).map(|id| (id, true))
                    } else {
                        let id = n.strip_suffix(OBJECT_SUFFIX)?;
                        EntryId::parse(id).map(|id| (id, false))
                    }
                });
                match parsed {
                    Some((id, true)) => scan.metas.push(id),
                    Some((id, false)) => scan.objects.push(id),
                    None => scan.stray.push(item.path()),
                }
            }
        }
        scan.objects.sort();
        scan.metas.sort();
        scan.stray.sort();
        Ok(scan)
    }
}

/// What [`Layout::scan_objects`] found.
#[derive(Debug, Default)]
pub(crate) struct ObjectScan {
    pub objects: Vec<EntryId>,
    pub metas: Vec<EntryId>,
    pub stray: Vec<PathBuf>,
}

/// Creates `dir` with mode 0700 unless it exists, and fsyncs its parent when it was created (so
/// that the new folder survives a crash before anything inside it is relied on). An existing
/// folder must be a real folder owned by this user; group and other bits are cleared.
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    match DirBuilder::new().mode(DIR_MODE).create(dir) {
        Ok(()) => {
            fs::set_permissions(dir, fs::Permissions::from_mode(DIR_MODE))?;
            let parent = dir.parent().unwrap_or(Path::new("."));
            crate::fsutil::fsync_dir(parent)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => make_private(dir),
        Err(e) => Err(e),
    }
}

/// Checks that `dir` is a folder (not a symlink) owned by this user (or that this is root), and
/// narrows its mode to
/// owner-only (`mode & 0700`) when others could read or write it; the owner's own bits are
/// left as they are (a folder made read-only stays read-only). A folder owned by someone else is refused: its
/// owner could change anything in it.
pub(crate) fn make_private(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::symlink_metadata(dir)?;
    if !meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is not a folder (a symlink or a file); not used",
        ));
    }
    let me = rustix::process::geteuid();
    // Root is outside what the vault defends against (see docs/vault.md), and may look after
    // another user's vault.
    if meta.uid() != me.as_raw() && !me.is_root() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "belongs to another user (uid {}), who could change anything in it; not used",
                meta.uid()
            ),
        ));
    }
    if meta.mode() & 0o077 != 0 {
        match fs::set_permissions(dir, fs::Permissions::from_mode(meta.mode() & 0o700)) {
            // Read-only media (a vault copied to a DVD, a write-protected disk) cannot be
            // narrowed, and nobody can write there either: reading from it is allowed.
            Err(e) if e.kind() == io::ErrorKind::ReadOnlyFilesystem => {}
            other => other?,
        }
    }
    Ok(())
}

/// Pads `plain` with spaces (JSON whitespace) to a multiple of `block`.
pub(crate) fn pad(plain: &mut Vec<u8>, block: usize) {
    let len = plain.len().div_ceil(block).max(1) * block;
    plain.resize(len, b' ');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_hex_and_parse_strictly() {
        let a = EntryId::random();
        let b = EntryId::random();
        assert_ne!(a, b);
        assert_eq!(EntryId::parse(a.as_str()), Some(a.clone()));
        assert_eq!(EntryId::parse("AB"), None);
        assert_eq!(EntryId::parse(&"g".repeat(32)), None);
        assert_eq!(EntryId::parse(&"0".repeat(33)), None);
    }

    #[test]
    fn config_round_trips() {
        let c = Config {
            format: FORMAT,
            created: 1_700_000_000,
            recipients: vec!["age1xyz".into()],
            seal: Some("ab".into()),
        };
        assert_eq!(Config::parse(&c.to_text()).unwrap(), c);
    }

    #[test]
    fn padding_hides_lengths() {
        let mut a = b"{\"a\":1}".to_vec();
        let mut b = vec![b'x'; 1000];
        pad(&mut a, META_PAD);
        pad(&mut b, META_PAD);
        assert_eq!(a.len(), b.len());
        assert!(serde_json::from_slice::<serde_json::Value>(&a).is_ok());
    }

    #[test]
    fn layout_scan_sorts_out_ids_and_strays() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path().to_path_buf());
        let id = EntryId::random();
        fs::create_dir_all(layout.fan_dir(&id)).unwrap();
        fs::write(layout.object(&id), b"x").unwrap();
        fs::write(layout.meta(&id), b"x").unwrap();
        fs::write(layout.fan_dir(&id).join(".idvault-tmp-1"), b"x").unwrap();
        let scan = layout.scan_objects().unwrap();
        assert_eq!(scan.objects, vec![id.clone()]);
        assert_eq!(scan.metas, vec![id]);
        assert_eq!(scan.stray.len(), 1);
    }
}
