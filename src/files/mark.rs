//! Proof that a temporary or half-wiped file is idvault's own, so that leftovers are removed
//! because idvault made them, never because of their name.
//!
//! Every name idvault gives a file it may leave behind (an unfinished write under
//! [`TEMP_PREFIX`](super::TEMP_PREFIX), a wipe in progress under
//! [`LEFTOVER_PREFIX`](super::LEFTOVER_PREFIX)) ends in a tag: the first 64 bits of a keyed
//! BLAKE3 hash of the prefix, the random part of the name and the identity (device, inode) of
//! the folder holding it. The key is 32 random bytes made once per user in
//! `$XDG_DATA_HOME/idvault/own-files.key` (0600 in a 0700 folder). Without the key nobody can
//! make a name that proves, so a user's or a planted file named `.idvault-tmp-…` is left alone
//! and reported; and the tag is bound to its folder, so a marked name copied into another
//! folder proves nothing either.
//!
//! Where the key cannot be read or made (no home folder, a key file that is not private), names
//! carry a random tag: nothing is proved, and leftovers stay for the user to remove.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use zeroize::Zeroizing;

/// Characters of the tag at the end of a marked name (64 bits, hex).
const TAG_LEN: usize = 16;
/// The key file's name in idvault's data folder.
const KEY_FILE: &str = "own-files.key";

/// The identity of a folder a marked name lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Folder {
    pub dev: u64,
    pub ino: u64,
}

impl Folder {
    /// The identity of the folder `m` describes.
    pub fn of(m: &fs::Metadata) -> Self {
        Folder {
            dev: m.dev(),
            ino: m.ino(),
        }
    }
}

/// The name `prefix` + `nonce` + tag for a file about to be made in `folder`. `nonce` is the
/// random part (any length, no tag characters needed).
pub fn name(prefix: &str, nonce: &str, folder: Folder) -> OsString {
    let tag = match key() {
        Some(key) => tag(key, prefix, nonce.as_bytes(), folder),
        None => random_tag(),
    };
    OsString::from(format!("{prefix}{nonce}{tag}"))
}

/// Whether `name`, in `folder`, is a name made under `prefix` with `key`.
fn carries_tag(key: &[u8; 32], prefix: &str, name: &OsStr, folder: Folder) -> bool {
    let Some(rest) = name.as_encoded_bytes().strip_prefix(prefix.as_bytes()) else {
        return false;
    };
    if rest.len() <= TAG_LEN {
        return false;
    }
    let (nonce, found) = rest.split_at(rest.len() - TAG_LEN);
    let expected = tag(key, prefix, nonce, folder);
    // Constant time, though the tag only ever guards against planted names.
    subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), found).into()
}

/// Whether the regular file at `path` is a leftover idvault made: its name carries the tag of
/// its prefix ([`super::Leftover::of`]) and folder. A symlink or anything but a regular file
/// never proves.
pub fn proves(path: &Path) -> bool {
    let Some(name) = path.file_name() else {
        return false;
    };
    let Some(kind) = super::Leftover::of(name) else {
        return false;
    };
    if !fs::symlink_metadata(path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let Some(key) = key() else {
        return false;
    };
    fs::metadata(parent).is_ok_and(|m| carries_tag(key, kind.prefix(), name, Folder::of(&m)))
}

fn tag(key: &[u8; 32], prefix: &str, nonce: &[u8], folder: Folder) -> String {
    let mut h = blake3::Hasher::new_keyed(key);
    h.update(&(prefix.len() as u64).to_le_bytes())
        .update(prefix.as_bytes())
        .update(&folder.dev.to_le_bytes())
        .update(&folder.ino.to_le_bytes())
        .update(nonce);
    h.finalize().to_hex()[..TAG_LEN].to_string()
}

fn random_tag() -> String {
    let mut b = [0u8; TAG_LEN / 2];
    getrandom::fill(&mut b).expect("the OS random number generator failed");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// This user's key, read or made once per process.
fn key() -> Option<&'static [u8; 32]> {
    static KEY: OnceLock<Option<Zeroizing<[u8; 32]>>> = OnceLock::new();
    KEY.get_or_init(|| load_or_make(&super::data_dir()?).ok())
        .as_deref()
}

/// Reads the key in `dir`, making it first if there is none. Refuses a key file that is not a
/// private regular file of this user (someone else could know it).
fn load_or_make(dir: &Path) -> io::Result<Zeroizing<[u8; 32]>> {
    let path = dir.join(KEY_FILE);
    match read_key(&path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        other => return other,
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let mut key = Zeroizing::new([0u8; 32]);
    getrandom::fill(&mut key[..]).map_err(|e| io::Error::other(e.to_string()))?;
    // Written under a private name and linked into place, so that two processes making the key
    // at once agree on one (the loser reads the winner's).
    let tmp = dir.join(format!("{KEY_FILE}.{}", std::process::id()));
    let _ = fs::remove_file(&tmp);
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&tmp)?;
    f.write_all(&key[..])?;
    f.sync_all()?;
    let linked = fs::hard_link(&tmp, &path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(key),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => read_key(&path),
        Err(e) => Err(e),
    }
}

fn read_key(path: &PathBuf) -> io::Result<Zeroizing<[u8; 32]>> {
    let f = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)?;
    let meta = f.metadata()?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    if !meta.is_file() || meta.uid() != euid || meta.permissions().mode() & 0o077 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "not a private key file of this user",
        ));
    }
    let mut key = Zeroizing::new([0u8; 32]);
    let mut extra = [0u8; 1];
    let mut r = f.take(33);
    r.read_exact(&mut key[..])?;
    if r.read(&mut extra)? != 0 {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "key too long"));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const K: [u8; 32] = [7; 32];
    const HERE: Folder = Folder { dev: 1, ino: 2 };

    #[test]
    fn a_tag_is_bound_to_key_prefix_nonce_and_folder() {
        let t = tag(&K, ".idvault-tmp-", b"abc", HERE);
        assert_eq!(t.len(), TAG_LEN);
        assert_eq!(t, tag(&K, ".idvault-tmp-", b"abc", HERE));
        assert_ne!(t, tag(&[8; 32], ".idvault-tmp-", b"abc", HERE));
        assert_ne!(t, tag(&K, ".idvault-wipe-", b"abc", HERE));
        assert_ne!(t, tag(&K, ".idvault-tmp-", b"abd", HERE));
        assert_ne!(
            t,
            tag(&K, ".idvault-tmp-", b"abc", Folder { dev: 1, ino: 3 })
        );
    }

    #[test]
    fn the_key_is_made_private_once_and_a_shared_one_refused() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("idvault");
        let a = load_or_make(&dir).unwrap();
        let b = load_or_make(&dir).unwrap();
        assert_eq!(*a, *b);
        let path = dir.join(KEY_FILE);
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(load_or_make(&dir).is_err());
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        fs::write(&path, [1u8; 33]).unwrap();
        assert!(load_or_make(&dir).is_err());
    }

    #[test]
    fn only_a_name_made_with_the_key_in_that_folder_proves() {
        let p = ".idvault-tmp-";
        let made = format!("{p}0123456789ab{}", tag(&K, p, b"0123456789ab", HERE));
        assert!(carries_tag(&K, p, OsStr::new(&made), HERE));
        // Another key, another folder, another prefix, a bare pattern, a changed nonce.
        assert!(!carries_tag(&[8; 32], p, OsStr::new(&made), HERE));
        assert!(!carries_tag(
            &K,
            p,
            OsStr::new(&made),
            Folder { dev: 1, ino: 3 }
        ));
        assert!(!carries_tag(&K, ".idvault-wipe-", OsStr::new(&made), HERE));
        assert!(!carries_tag(
            &K,
            p,
            OsStr::new(".idvault-tmp-0123456789ab"),
            HERE
        ));
        assert!(!carries_tag(
            &K,
            p,
            OsStr::new(&made.replace("01234", "11234")),
            HERE
        ));
        // The tag alone, with no random part, is not a name idvault makes.
        let bare = format!("{p}{}", tag(&K, p, b"", HERE));
        assert!(!carries_tag(&K, p, OsStr::new(&bare), HERE));
    }

    #[test]
    fn a_planted_name_never_proves_on_disk() {
        let t = tempfile::tempdir().unwrap();
        let planted = t.path().join(".idvault-tmp-0123456789abcdef0123456789ab");
        fs::write(&planted, b"x").unwrap();
        assert!(!proves(&planted));
        let planted = t.path().join(".idvault-wipe-abc");
        fs::write(&planted, b"x").unwrap();
        assert!(!proves(&planted));
    }
}
