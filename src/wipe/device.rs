//! What kind of block device holds a filesystem, read from sysfs: a spinning disk (overwriting
//! reaches the sectors), flash (the controller remaps writes), a virtual disk, a loop device
//! backed by an image file, and whether it sits on an encrypted (dm-crypt) volume.

use std::fs;
use std::path::{Path, PathBuf};

/// The medium under a filesystem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    pub kind: DeviceKind,
    /// Kernel name of the disk (`sda`, `nvme0n1`, `dm-0`, `loop3`), when known.
    pub name: Option<String>,
    /// The data passes through dm-crypt (LUKS) before reaching the disk.
    pub encrypted: bool,
}

/// Kinds of device, by what overwriting can reach on them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeviceKind {
    /// A rotating disk: an overwrite lands on the same sectors.
    Rotational,
    /// Flash (SSD, NVMe, SD card, USB stick): writes are remapped by the controller.
    SolidState,
    /// A disk emulated by a hypervisor; the host's storage decides.
    Virtual,
    /// A loop device: the data lives in an image file, itself on another filesystem.
    Loop { backing_file: Option<PathBuf> },
    /// No block device (tmpfs, network, ZFS pool) or nothing readable in sysfs.
    Unknown,
}

impl Device {
    pub fn unknown() -> Self {
        Device {
            kind: DeviceKind::Unknown,
            name: None,
            encrypted: false,
        }
    }
}

/// Describes block device `major:minor` from the sysfs tree at `sysfs` (normally `/sys`).
pub fn describe(sysfs: &Path, major: u32, minor: u32) -> Device {
    let Ok(node) = fs::canonicalize(sysfs.join(format!("dev/block/{major}:{minor}"))) else {
        return Device::unknown();
    };
    // A partition's queue settings are on its disk, one level up.
    let disk = if node.join("partition").exists() {
        node.parent().map(Path::to_path_buf).unwrap_or(node)
    } else {
        node
    };
    let name = disk.file_name().map(|n| n.to_string_lossy().into_owned());
    let encrypted = is_encrypted(&disk, 0);
    let rotational = read_trimmed(&disk.join("queue/rotational"));
    let is_virtual = disk.components().any(|c| {
        c.as_os_str()
            .to_str()
            .is_some_and(|s| s.starts_with("virtio") || s.starts_with("vbd-"))
    });
    let kind = if name.as_deref().is_some_and(|n| n.starts_with("loop")) {
        DeviceKind::Loop {
            backing_file: read_trimmed(&disk.join("loop/backing_file")).map(PathBuf::from),
        }
    } else if is_virtual {
        DeviceKind::Virtual
    } else {
        match rotational.as_deref() {
            Some("1") => DeviceKind::Rotational,
            Some("0") => DeviceKind::SolidState,
            _ => DeviceKind::Unknown,
        }
    };
    Device {
        kind,
        name,
        encrypted,
    }
}

/// Whether `disk` is a dm-crypt target, or a device-mapper device stacked on one (LVM on LUKS).
fn is_encrypted(disk: &Path, depth: u32) -> bool {
    if depth > 4 || !disk.join("dm").is_dir() {
        return false;
    }
    if read_trimmed(&disk.join("dm/uuid")).is_some_and(|u| u.starts_with("CRYPT-")) {
        return true;
    }
    fs::read_dir(disk.join("slaves"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| fs::canonicalize(e.path()).ok())
        .any(|s| is_encrypted(&s, depth + 1))
}

fn read_trimmed(p: &Path) -> Option<String> {
    fs::read_to_string(p).ok().map(|s| s.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// Builds a fake sysfs with `devices/<rel>` and a `dev/block/<id>` link to it.
    fn fake(root: &Path, id: &str, rel: &str, files: &[(&str, &str)]) {
        let dev = root.join("devices").join(rel);
        fs::create_dir_all(&dev).unwrap();
        for (f, v) in files {
            let p = dev.join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, v).unwrap();
        }
        fs::create_dir_all(root.join("dev/block")).unwrap();
        symlink(&dev, root.join("dev/block").join(id)).unwrap();
    }

    #[test]
    fn kinds_from_sysfs() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        fake(
            r,
            "8:0",
            "pci/ata1/block/sda",
            &[("queue/rotational", "1\n")],
        );
        fake(r, "8:1", "pci/ata1/block/sda/sda1", &[("partition", "1\n")]);
        fake(
            r,
            "259:0",
            "pci/nvme/block/nvme0n1",
            &[("queue/rotational", "0\n")],
        );
        fake(
            r,
            "254:0",
            "pci/virtio1/block/vda",
            &[("queue/rotational", "1\n")],
        );
        fake(
            r,
            "7:0",
            "virtual/block/loop0",
            &[
                ("queue/rotational", "1\n"),
                ("loop/backing_file", "/tmp/i.img\n"),
            ],
        );
        fake(
            r,
            "253:0",
            "virtual/block/dm-0",
            &[
                ("queue/rotational", "0\n"),
                ("dm/uuid", "CRYPT-LUKS2-abc-root\n"),
            ],
        );
        assert_eq!(describe(r, 8, 1).kind, DeviceKind::Rotational);
        assert_eq!(describe(r, 8, 1).name.as_deref(), Some("sda"));
        assert_eq!(describe(r, 259, 0).kind, DeviceKind::SolidState);
        assert_eq!(describe(r, 254, 0).kind, DeviceKind::Virtual);
        assert_eq!(
            describe(r, 7, 0).kind,
            DeviceKind::Loop {
                backing_file: Some("/tmp/i.img".into())
            }
        );
        let dm = describe(r, 253, 0);
        assert!(dm.encrypted);
        assert_eq!(dm.kind, DeviceKind::SolidState);
        assert!(!describe(r, 8, 0).encrypted);
        assert_eq!(describe(r, 1, 1), Device::unknown());
    }
}
