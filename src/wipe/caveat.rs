//! What a wipe cannot guarantee at a place, and what helps: the caveats, kept beside the wipe
//! code that decides them, and their wording, kept in the message catalogue (`caveat.*`, English
//! and Simplified Chinese) so that the JSON output, the terminal and the review page say the same.

use serde::Serialize;

use super::device::{Device, DeviceKind};
use crate::i18n::{Catalog, Lang};

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

    /// What the caveat means for a file on filesystem `fs` and `device`, and what helps, in
    /// English (the JSON `detail`). The text is raw (the filesystem's and image file's names as
    /// the system gives them): escape it where it is printed.
    pub fn explain(self, fs: &str, device: &Device) -> String {
        self.explain_in(Lang::En, fs, device)
    }

    /// [`Caveat::explain`] in `lang`: the sentences are the catalogue's `caveat.*` (one wording
    /// for the JSON, the terminal and any language), with `{fs}` and `{image}` filled in.
    pub fn explain_in(self, lang: Lang, fs: &str, device: &Device) -> String {
        let image = match &device.kind {
            DeviceKind::Loop {
                backing_file: Some(b),
            } => format!(" {}", b.display()),
            _ => String::new(),
        };
        let code = serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        Catalog::get_or_load().get(
            lang,
            &format!("caveat.{code}"),
            &[("fs", fs), ("image", &image)],
        )
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
    use crate::files::place::Risk;

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
    fn every_caveat_is_worded_in_every_language() {
        let image = device(DeviceKind::Loop {
            backing_file: Some(PathBuf::from("/srv/disk.img")),
        });
        for lang in Lang::ALL {
            for c in ALL {
                let text = c.explain_in(lang, "btrfs", &image);
                assert!(!text.starts_with("caveat."), "{lang:?} {c:?}");
                assert!(!text.contains('{'), "{lang:?} {c:?}: {text}");
            }
            let loop_text = Caveat::LoopDevice.explain_in(lang, "ext4", &image);
            assert!(loop_text.contains("/srv/disk.img"), "{loop_text}");
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
