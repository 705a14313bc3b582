//! Facts about files that every step shares — scan, strip, vault and wipe alike: a file's
//! identity, its type from magic bytes, the risks its folder implies, and the names of idvault's
//! own temporary and leftover files. A leaf: it imports nothing else of the crate.

pub mod place;

/// Name prefix of idvault's temporary files (`fsutil::AtomicFile`, vault writes): a file with
/// this name is an unfinished write, never a finished one.
pub const TEMP_PREFIX: &str = ".idvault-tmp-";

/// Name prefix of a file whose wipe was interrupted: it was moved out of its name before being
/// overwritten, so what remains is partly overwritten data under this name.
pub const LEFTOVER_PREFIX: &str = ".idvault-wipe-";

/// A file idvault itself left behind when it was interrupted, known by its name.
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
    /// The kind of leftover a file named `name` is, if it is one.
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
