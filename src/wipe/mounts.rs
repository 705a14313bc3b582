//! Which filesystem holds a file, read from `/proc/self/mountinfo`, and what that filesystem
//! means for overwriting.
//!
//! `statfs` cannot tell ext4 from ext2/ext3 and knows nothing of mount options or the backing
//! device; mountinfo names the type, the source device and the options. It is parsed by hand
//! because the only crates that do (`procfs`, `libmount`) bring far more than one small parser.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

/// One line of mountinfo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    pub id: u64,
    pub major: u32,
    pub minor: u32,
    pub mount_point: PathBuf,
    pub fs_type: String,
    pub source: String,
    pub super_options: String,
}

/// How a filesystem stores rewritten data, which decides whether overwriting reaches old bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FsClass {
    /// Rewrites land on the same blocks (ext4, XFS, FAT, …).
    InPlace,
    /// In place, but file data also passes through the journal (`data=journal`).
    JournalledData,
    /// Rewrites go to new blocks; old blocks and snapshots keep the data (btrfs, ZFS, bcachefs).
    CopyOnWrite,
    /// Every write is appended to a log (F2FS, NILFS2).
    LogStructured,
    /// A union of layers; lower layers keep their copy (overlayfs).
    Layered,
    /// In memory; pages may have been swapped out (tmpfs).
    Memory,
    /// Stored by another machine (NFS, SMB, 9p, Ceph, …).
    Network,
    /// Served by a user-space program whose storage is unknown.
    Fuse,
    /// A type idvault does not know.
    Unknown,
}

/// Classifies a filesystem by its mountinfo type and super options.
pub fn classify(fs_type: &str, super_options: &str) -> FsClass {
    match fs_type {
        "ext3" | "ext4" if super_options.split(',').any(|o| o == "data=journal") => {
            FsClass::JournalledData
        }
        "ext2" | "ext3" | "ext4" | "xfs" | "jfs" | "reiserfs" | "vfat" | "msdos" | "exfat"
        | "ntfs" | "ntfs3" | "hfs" | "hfsplus" | "minix" => FsClass::InPlace,
        "btrfs" | "zfs" | "bcachefs" => FsClass::CopyOnWrite,
        "f2fs" | "nilfs2" => FsClass::LogStructured,
        "overlay" | "aufs" => FsClass::Layered,
        "tmpfs" | "ramfs" => FsClass::Memory,
        "nfs" | "nfs4" | "cifs" | "smb3" | "smbfs" | "9p" | "ceph" | "glusterfs" | "afs"
        | "virtiofs" => FsClass::Network,
        t if t == "fuse" || t == "fuseblk" || t.starts_with("fuse.") => FsClass::Fuse,
        _ => FsClass::Unknown,
    }
}

/// Parses the whole of mountinfo; malformed lines are skipped.
pub fn parse(text: &str) -> Vec<Mount> {
    text.lines().filter_map(parse_line).collect()
}

/// Reads this process's mount table; an unreadable table is an empty one.
pub fn read() -> Vec<Mount> {
    std::fs::read_to_string("/proc/self/mountinfo")
        .map(|t| parse(&t))
        .unwrap_or_default()
}

// Format (proc(5)): ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL…] - TYPE SOURCE SUPER.
fn parse_line(line: &str) -> Option<Mount> {
    let (head, tail) = line.split_once(" - ")?;
    let mut h = head.split(' ');
    let id = h.next()?.parse().ok()?;
    let _parent = h.next()?;
    let (major, minor) = h.next()?.split_once(':')?;
    let _root = h.next()?;
    let mount_point = PathBuf::from(unescape(h.next()?));
    let mut t = tail.split(' ');
    let fs_type = t.next()?.to_string();
    let source = unescape(t.next()?).to_string_lossy().into_owned();
    let super_options = t.next().unwrap_or("").to_string();
    Some(Mount {
        id,
        major: major.parse().ok()?,
        minor: minor.parse().ok()?,
        mount_point,
        fs_type,
        source,
        super_options,
    })
}

/// Undoes the kernel's octal escapes (`\040` for a space) in a mountinfo field.
fn unescape(field: &str) -> OsString {
    let b = field.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let octal = b
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match (b[i], octal) {
            (b'\\', Some(d)) => {
                out.push((d[0] - b'0') << 6 | (d[1] - b'0') << 3 | (d[2] - b'0'));
                i += 4;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    OsString::from_vec(out)
}

/// The mount holding `abs` (an absolute path): by mount ID when the kernel gave one, otherwise
/// the deepest mount point above `abs` on device `dev`, otherwise the deepest mount point.
pub fn find<'a>(
    mounts: &'a [Mount],
    mount_id: Option<u64>,
    dev: (u32, u32),
    abs: &Path,
) -> Option<&'a Mount> {
    if let Some(m) = mount_id.and_then(|id| mounts.iter().find(|m| m.id == id)) {
        return Some(m);
    }
    let deepest = |on_dev: bool| {
        mounts
            .iter()
            .filter(|m| abs.starts_with(&m.mount_point))
            .filter(|m| !on_dev || (m.major, m.minor) == dev)
            // Later lines are mounted on top of earlier ones at the same point.
            .max_by_key(|m| m.mount_point.components().count())
    };
    deepest(true).or_else(|| deepest(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
42 27 7:0 / /mnt/my\\040disk rw,relatime shared:5 - ext4 /dev/loop0 rw,data=journal
43 27 0:39 / /srv rw,relatime - btrfs /dev/loop1 rw,space_cache=v2,subvolid=5,subvol=/
44 27 0:40 / /tmp rw - tmpfs tmpfs rw
garbage line
";

    #[test]
    fn parses_fields_and_escapes() {
        let m = parse(SAMPLE);
        assert_eq!(m.len(), 4);
        assert_eq!(m[1].mount_point, Path::new("/mnt/my disk"));
        assert_eq!(m[1].fs_type, "ext4");
        assert_eq!(m[1].source, "/dev/loop0");
        assert_eq!((m[2].major, m[2].minor), (0, 39));
        assert_eq!(m[2].fs_type, "btrfs");
    }

    #[test]
    fn classifies() {
        let m = parse(SAMPLE);
        let c: Vec<FsClass> = m
            .iter()
            .map(|m| classify(&m.fs_type, &m.super_options))
            .collect();
        assert_eq!(
            c,
            [
                FsClass::InPlace,
                FsClass::JournalledData,
                FsClass::CopyOnWrite,
                FsClass::Memory
            ]
        );
        assert_eq!(classify("fuse.sshfs", ""), FsClass::Fuse);
        assert_eq!(classify("nfs4", ""), FsClass::Network);
        assert_eq!(classify("f2fs", ""), FsClass::LogStructured);
        assert_eq!(classify("overlay", ""), FsClass::Layered);
        assert_eq!(classify("weirdfs", ""), FsClass::Unknown);
    }

    #[test]
    fn finds_by_id_then_by_device_then_by_prefix() {
        let m = parse(SAMPLE);
        let p = Path::new("/srv/a/b.jpg");
        assert_eq!(find(&m, Some(44), (0, 39), p).unwrap().id, 44);
        assert_eq!(find(&m, None, (0, 39), p).unwrap().id, 43);
        assert_eq!(find(&m, None, (9, 9), p).unwrap().id, 43);
        assert_eq!(
            find(&m, None, (254, 0), Path::new("/home/x")).unwrap().id,
            27
        );
        assert_eq!(unescape("a\\134b\\0"), OsString::from("a\\b\\0"));
    }
}
