//! "Not a document" marks: files the user looked at in `idvault review` and declared harmless,
//! which later scans (and so `secure` and `review`) no longer propose.
//!
//! A mark is 16 bytes of BLAKE3 keyed with a random per-user key, over the file's *contents*: a
//! mark follows the picture when it is renamed or copied, and lapses when the file is edited
//! (the new contents may well be a document). The store holds no paths and no document data;
//! without the key (a 0600 file beside it) a mark cannot even be tested against a known file.
//!
//! It lives beside the scan cache, in `$XDG_CACHE_HOME/idvault/` or `~/.cache/idvault/`
//! (directory 0700, files 0600, written atomically). Losing it fails safe: the files are merely
//! proposed again. Contents are hashed only while at least one mark exists, and then only for
//! files a scan already found, so the marks cost nothing to users who never set one.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::fsutil::{self, AtomicFile, Replace};

const MAGIC: &[u8; 16] = b"idvault-notdoc1\n";
const KEY_FILE: &str = "not-documents.key";
const MARKS_FILE: &str = "not-documents.bin";
/// A person marks files one by one; beyond this many the file is not trusted (it was not
/// written by us) and is ignored.
const MAX_MARKS: usize = 1 << 20;

/// Whether a scan leaves out files marked "Not a document".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Dismissed {
    /// Leave them out (every command but `review`).
    #[default]
    Hide,
    /// Report them: `review` shows them apart, so that a mark can be undone.
    Report,
}

/// One file's mark: keyed BLAKE3 of its contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mark([u8; 16]);

/// The marks of one user.
pub struct Marks {
    dir: PathBuf,
    key: [u8; 32],
    set: BTreeSet<Mark>,
}

impl Marks {
    /// Opens (or starts) the marks in `dir`; `None` when the directory cannot be made private.
    pub fn open(dir: &Path) -> Option<Marks> {
        fsutil::private_state_dir(dir)?;
        let key_path = dir.join(KEY_FILE);
        let key = match read_small(&key_path, 32) {
            Some(k) => k.try_into().ok()?,
            None => {
                let mut key = [0u8; 32];
                getrandom::fill(&mut key).ok()?;
                write_atomic(dir, &key_path, &key).ok()?;
                key
            }
        };
        let set = read_small(&dir.join(MARKS_FILE), MAGIC.len() + 16 * MAX_MARKS)
            .and_then(|b| parse(&b))
            .unwrap_or_default();
        Some(Marks {
            dir: dir.to_path_buf(),
            key,
            set,
        })
    }

    /// Opens the marks in `dir` if there are any: `None` also when there are none, so that
    /// callers skip hashing altogether.
    pub fn open_if_any(dir: &Path) -> Option<Marks> {
        if fs::symlink_metadata(dir.join(MARKS_FILE)).is_err() {
            return None;
        }
        Self::open(dir).filter(|m| !m.set.is_empty())
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// The mark of the regular file at `path` (not followed if it is a symlink).
    pub fn mark_of(&self, path: &Path) -> io::Result<Mark> {
        let mut file = fsutil::open_regular_nofollow(path)?;
        let mut h = blake3::Hasher::new_keyed(&self.key);
        h.update(MAGIC);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    h.update(&buf[..n]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let mut out = [0u8; 16];
        out.copy_from_slice(&h.finalize().as_bytes()[..16]);
        Ok(Mark(out))
    }

    pub fn contains(&self, mark: &Mark) -> bool {
        self.set.contains(mark)
    }

    /// True when the file at `path` is marked. A file that cannot be read is not.
    pub fn holds(&self, path: &Path) -> bool {
        !self.set.is_empty() && self.mark_of(path).is_ok_and(|m| self.contains(&m))
    }

    /// Marks or unmarks, and saves at once: a decision the user made must survive a crash.
    pub fn set(&mut self, mark: Mark, dismissed: bool) -> io::Result<()> {
        let changed = if dismissed {
            self.set.insert(mark)
        } else {
            self.set.remove(&mark)
        };
        if !changed {
            return Ok(());
        }
        let mut bytes = Vec::with_capacity(MAGIC.len() + 16 * self.set.len());
        bytes.extend_from_slice(MAGIC);
        for m in &self.set {
            bytes.extend_from_slice(&m.0);
        }
        write_atomic(&self.dir, &self.dir.join(MARKS_FILE), &bytes)
    }
}

fn parse(bytes: &[u8]) -> Option<BTreeSet<Mark>> {
    let body = bytes.strip_prefix(MAGIC.as_slice())?;
    if body.len() % 16 != 0 {
        return None;
    }
    Some(
        body.chunks_exact(16)
            .filter_map(|c| c.try_into().ok().map(Mark))
            .collect(),
    )
}

/// Reads a file we wrote ourselves: a regular file, at most `max` bytes, or nothing.
fn read_small(path: &Path, max: usize) -> Option<Vec<u8>> {
    let file = fsutil::open_regular_nofollow(path).ok()?;
    let mut bytes = Vec::new();
    file.take(max as u64 + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() <= max).then_some(bytes)
}

fn write_atomic(dir: &Path, dest: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp = AtomicFile::new_in(dir, 0o600)?;
    tmp.file().write_all(bytes)?;
    tmp.commit(dest, Replace::Allow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn marks_follow_contents_and_survive_reopening() {
        let t = tempfile::tempdir().unwrap();
        let store = t.path().join("store");
        let a = t.path().join("a.png");
        let b = t.path().join("renamed copy.png");
        fs::write(&a, b"same bytes").unwrap();
        fs::write(&b, b"same bytes").unwrap();
        let mut marks = Marks::open(&store).unwrap();
        assert!(!marks.holds(&a));
        let m = marks.mark_of(&a).unwrap();
        marks.set(m, true).unwrap();
        let marks = Marks::open(&store).unwrap();
        assert!(marks.holds(&a) && marks.holds(&b));
        fs::write(&b, b"edited bytes").unwrap();
        assert!(!marks.holds(&b), "an edited file is proposed again");
        let raw = fs::read(store.join(MARKS_FILE)).unwrap();
        assert!(!raw.windows(5).any(|w| w == b"a.png"), "no names stored");
        let mode = fs::metadata(store.join(MARKS_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn undo_removes_the_mark() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("x.jpg");
        fs::write(&f, b"x").unwrap();
        let mut marks = Marks::open(&t.path().join("s")).unwrap();
        let m = marks.mark_of(&f).unwrap();
        marks.set(m, true).unwrap();
        marks.set(m, false).unwrap();
        assert!(Marks::open(&t.path().join("s")).unwrap().is_empty());
    }

    #[test]
    fn a_foreign_or_damaged_store_is_ignored() {
        assert!(parse(b"something else").is_none());
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&[1; 15]);
        assert!(parse(&b).is_none());
    }

    #[test]
    fn symlinks_are_not_followed() {
        let t = tempfile::tempdir().unwrap();
        let target = t.path().join("t");
        fs::write(&target, b"x").unwrap();
        let link = t.path().join("l");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let marks = Marks::open(&t.path().join("s")).unwrap();
        assert!(marks.mark_of(&link).is_err());
    }
}
