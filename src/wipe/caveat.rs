//! What a wipe cannot guarantee at a place, and what helps: the caveats and their wording,
//! kept beside the wipe code that decides them (the reporters print them; the review page and
//! JSON output show the same sentences).

use serde::Serialize;

use super::device::{Device, DeviceKind};
use crate::files::place::Risk;

/// Something a wipe cannot guarantee at a place, or a fact that changes the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Caveat {
    CopyOnWrite,
    LogStructured,
    Layered,
    Memory,
    Network,
    Fuse,
    JournalledData,
    UnknownFilesystem,
    SolidState,
    VirtualDisk,
    LoopDevice,
    UnknownDevice,
    CloudSync,
    ChatApp,
    Trash,
    /// Only a name was removed; the data lives on under other names or at the link's target.
    NameOnly,
    /// The disk holds only ciphertext (dm-crypt); surviving copies need the key to be read.
    EncryptedVolume,
}

impl Caveat {
    /// A few words naming a caveat.
    pub fn label(self) -> &'static str {
        match self {
            Caveat::CopyOnWrite => "copy-on-write filesystem",
            Caveat::LogStructured => "log-structured filesystem",
            Caveat::Layered => "overlay filesystem",
            Caveat::Memory => "in memory (may be in swap)",
            Caveat::Network => "network filesystem",
            Caveat::Fuse => "FUSE filesystem",
            Caveat::JournalledData => "data journalling",
            Caveat::UnknownFilesystem => "unknown filesystem",
            Caveat::SolidState => "SSD/flash",
            Caveat::VirtualDisk => "virtual disk",
            Caveat::LoopDevice => "disk image (loop device)",
            Caveat::UnknownDevice => "unknown disk type",
            Caveat::CloudSync => "cloud-synced folder",
            Caveat::ChatApp => "chat app folder",
            Caveat::Trash => "trash folder",
            Caveat::NameOnly => "name only, data kept",
            Caveat::EncryptedVolume => "encrypted volume",
        }
    }

    /// What the caveat means for a file on filesystem `fs` and `device`, and what helps.
    /// The text is raw (the filesystem's and image file's names as the system gives them):
    /// escape it where it is printed.
    pub fn explain(self, fs: &str, device: &Device) -> String {
        match self {
            Caveat::CopyOnWrite => format!(
                "{fs} is a copy-on-write filesystem: the overwrite is written to new blocks, and the \
                 old blocks, and every snapshot holding the file, keep the data until they are \
                 reused. What helps: delete the snapshots that contain the file, run `fstrim`, and \
                 keep such files on a fully encrypted disk."
            ),
            Caveat::LogStructured => format!(
                "{fs} is log-structured: every write goes to a new place in the log and older \
                 versions stay until garbage collection (NILFS keeps checkpoints). What helps: \
                 full-disk encryption, `fstrim`, and on NILFS removing checkpoints."
            ),
            Caveat::Layered => "overlay filesystem: if the file came from a lower layer (an image \
                 or read-only base), that copy is untouched; only the upper layer is wiped. What \
                 helps: rebuild or delete the lower layer."
                .into(),
            Caveat::Memory => "in memory (tmpfs): the data reached a disk only if it was swapped \
                 out. What helps: encrypted swap, or no swap."
                .into(),
            Caveat::Network => format!(
                "{fs} is a network filesystem: the server decides where the bytes go and may keep \
                 snapshots, caches and backups. What helps: delete the file's snapshots and \
                 backups on the server."
            ),
            Caveat::Fuse => format!(
                "{fs} is served by a user-space program (FUSE) that may store the data remotely, \
                 in a cloud or with version history; an overwrite may not reach its storage. What \
                 helps: check that program's storage and history."
            ),
            Caveat::JournalledData => "mounted with data=journal: file contents also pass through \
                 the journal, where copies can linger until it wraps. What helps: full-disk \
                 encryption."
                .into(),
            Caveat::UnknownFilesystem => format!(
                "{fs}: idvault does not know whether this filesystem overwrites in place, so old \
                 copies may survive. What helps: full-disk encryption."
            ),
            Caveat::SolidState => "solid-state storage (SSD, NVMe, SD card, USB stick): the \
                 controller writes new data elsewhere and keeps old blocks until it erases them, so \
                 no overwrite reliably reaches them. What helps: full-disk encryption from the \
                 start, TRIM (`fstrim -v <mount point>`), and the drive's own secure erase for a \
                 whole disk."
                .into(),
            Caveat::VirtualDisk => "virtual disk: the host's storage decides where the data lands \
                 and may keep copies in snapshots or image files. What helps: encryption inside the \
                 guest, `fstrim`, deleting VM snapshots."
                .into(),
            Caveat::LoopDevice => {
                let image = match &device.kind {
                    DeviceKind::Loop {
                        backing_file: Some(b),
                    } => format!(" {}", b.display()),
                    _ => String::new(),
                };
                format!(
                    "disk image: this filesystem lives in the image file{image}; that file's own \
                     filesystem and disk decide whether old copies survive."
                )
            }
            Caveat::UnknownDevice => "unknown disk type: idvault could not tell what kind of disk \
                 holds the data; on an SSD, old copies may survive. What helps: full-disk \
                 encryption, `fstrim`."
                .into(),
            Caveat::CloudSync => format!(
                "{}. What helps: delete it on the provider's website too, including its version \
                 history and trash.",
                Risk::CloudSync.explain()
            ),
            Caveat::ChatApp => format!(
                "{}. What helps: delete it in the chat as well (for everyone, where possible).",
                Risk::ChatApp.explain()
            ),
            Caveat::Trash => "inside a trash folder: the trash's record of it (original path and \
                 date, in `info/*.trashinfo`) stays. What helps: empty the trash too."
                .into(),
            Caveat::NameOnly => "only the name is removed: the data stays at the symlink's target \
                 or under the file's other hard-linked names."
                .into(),
            Caveat::EncryptedVolume => "encrypted volume (dm-crypt/LUKS): copies that survive on \
                 the disk are ciphertext, unreadable without the volume's key."
                .into(),
        }
    }

    /// Whether old copies of the data may survive the overwrite on this medium.
    pub fn limits_overwrite(self) -> bool {
        !matches!(
            self,
            Caveat::EncryptedVolume | Caveat::CloudSync | Caveat::ChatApp | Caveat::Trash
        )
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    const ALL: [Caveat; 17] = [
        Caveat::CopyOnWrite,
        Caveat::LogStructured,
        Caveat::Layered,
        Caveat::Memory,
        Caveat::Network,
        Caveat::Fuse,
        Caveat::JournalledData,
        Caveat::UnknownFilesystem,
        Caveat::SolidState,
        Caveat::VirtualDisk,
        Caveat::LoopDevice,
        Caveat::UnknownDevice,
        Caveat::CloudSync,
        Caveat::ChatApp,
        Caveat::Trash,
        Caveat::NameOnly,
        Caveat::EncryptedVolume,
    ];

    fn device(kind: DeviceKind) -> Device {
        Device {
            kind,
            name: None,
            encrypted: false,
        }
    }

    #[test]
    fn every_caveat_has_distinct_words() {
        let dev = device(DeviceKind::Unknown);
        let labels: std::collections::BTreeSet<_> = ALL.iter().map(|c| c.label()).collect();
        assert_eq!(labels.len(), ALL.len());
        let texts: std::collections::BTreeSet<_> =
            ALL.iter().map(|c| c.explain("ext4", &dev)).collect();
        assert_eq!(texts.len(), ALL.len());
    }

    #[test]
    fn a_caveat_that_limits_the_overwrite_says_what_helps() {
        let dev = device(DeviceKind::Unknown);
        for c in ALL.iter().filter(|c| c.limits_overwrite()) {
            let text = c.explain("ext4", &dev);
            // A disk image's caveat points at the image instead of a remedy.
            assert!(
                text.contains("What helps") || *c == Caveat::LoopDevice || *c == Caveat::NameOnly,
                "{c:?}: {text}"
            );
        }
    }

    #[test]
    fn names_from_the_system_stay_raw() {
        // Escaping is the printer's job: the domain text keeps the bytes it was given.
        let text = Caveat::Fuse.explain("fuse.\u{1b}[31mx", &device(DeviceKind::Unknown));
        assert!(text.starts_with("fuse.\u{1b}[31mx is served"));
        let image = device(DeviceKind::Loop {
            backing_file: Some(PathBuf::from("/srv/disk.img")),
        });
        assert!(
            Caveat::LoopDevice
                .explain("ext4", &image)
                .contains("image file /srv/disk.img;")
        );
        assert!(
            Caveat::CloudSync
                .explain("ext4", &image)
                .starts_with(Risk::CloudSync.explain())
        );
    }
}
