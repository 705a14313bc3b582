//! Facts about files that every step shares — scan, strip, vault and wipe alike: a file's
//! identity, its type from magic bytes, the risks its folder implies, and the names of idvault's
//! own temporary and leftover files, and the keyed mark that proves such a file is idvault's
//! own. A leaf: it imports nothing else of the crate.

pub mod mark;
pub mod place;

/// Name prefix of idvault's temporary files (`fsutil::AtomicFile`, vault writes): a file with
/// this name is an unfinished write, never a finished one.
pub const TEMP_PREFIX: &str = ".idvault-tmp-";

/// Name prefix of a file whose wipe was interrupted: it was moved out of its name before being
/// overwritten, so what remains is partly overwritten data under this name.
pub const LEFTOVER_PREFIX: &str = ".idvault-wipe-";

/// A file named like one idvault leaves behind when it is interrupted. The name alone proves
/// nothing (anyone can name a file so): only [`mark::proves`] makes it idvault's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Leftover {
    /// A file whose wipe was cut short: moved out of its name, partly overwritten.
    InterruptedWipe,
    /// An unfinished write (`TEMP_PREFIX`): it may hold plaintext (an interrupted `vault
    /// extract`) or an unverified copy.
    Temporary,
}

impl Leftover {
    /// The name prefix of this kind.
    pub fn prefix(self) -> &'static str {
        match self {
            Leftover::InterruptedWipe => LEFTOVER_PREFIX,
            Leftover::Temporary => TEMP_PREFIX,
        }
    }

    /// The kind of leftover a file named `name` would be, by its name only.
    pub fn of(name: &std::ffi::OsStr) -> Option<Leftover> {
        let name = name.as_encoded_bytes();
        if name.starts_with(LEFTOVER_PREFIX.as_bytes()) {
            Some(Leftover::InterruptedWipe)
        } else if name.starts_with(TEMP_PREFIX.as_bytes()) {
            Some(Leftover::Temporary)
        } else {
            None
        }
    }
}

/// idvault's per-user data folder, `$XDG_DATA_HOME/idvault` (trust records, the key of
/// [`mark`]). In the crate's unit tests, a folder of the test process under the system's
/// temporary folder, so that they never write the real user's.
pub fn data_dir() -> Option<std::path::PathBuf> {
    #[cfg(test)]
    return Some(std::env::temp_dir().join(format!("idvault-unit-{}", std::process::id())));
    #[cfg(not(test))]
    dirs::data_dir().map(|d| d.join("idvault"))
}

/// Identity of a file as it was when scanned, to notice later that it changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileId {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime_ns: i128,
}

impl FileId {
    /// The identity of the file `m` describes.
    pub fn of(m: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        FileId {
            dev: m.dev(),
            ino: m.ino(),
            size: m.len(),
            mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
        }
    }
}
