//! `idvault wipe` on real files: raw disk images prove the bytes are gone, the plan changes
//! nothing, links and swapped files are refused, thumbnails go with their file.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use idvault::wipe::{self, LinkPolicy, WipeError, WipeOptions};

use crate::util::{TestDir, idvault, is_root, json_lines, require_root, tool};

/// A filesystem image in a temp dir, loop-mounted until dropped.
struct LoopFs {
    dir: TestDir,
    image: PathBuf,
    mnt: PathBuf,
    mounted: bool,
}

impl LoopFs {
    fn new(mkfs: &[&str], size_mib: u64, mount_opts: &str) -> Self {
        let dir = TestDir::new();
        let image = dir.path().join("disk.img");
        let mnt = dir.path().join("mnt");
        fs::create_dir(&mnt).unwrap();
        fs::File::create(&image)
            .unwrap()
            .set_len(size_mib << 20)
            .unwrap();
        let package = if mkfs[0].contains("btrfs") {
            "btrfs-progs"
        } else {
            "e2fsprogs"
        };
        run_ok(tool(mkfs[0], package).args(&mkfs[1..]).arg(&image));
        run_ok(
            Command::new("mount")
                .args(["-o", &format!("loop,{mount_opts}")])
                .arg(&image)
                .arg(&mnt),
        );
        LoopFs {
            dir,
            image,
            mnt,
            mounted: true,
        }
    }

    fn unmount(&mut self) {
        if self.mounted {
            run_ok(Command::new("umount").arg(&self.mnt));
            self.mounted = false;
        }
    }

    /// Whether the raw image holds `needle` anywhere (GNU grep as the oracle).
    fn image_contains(&self, needle: &str) -> bool {
        let st = Command::new("grep")
            .args(["-q", "-a", "-F", needle])
            .arg(&self.image)
            .status()
            .unwrap();
        assert!(st.code() == Some(0) || st.code() == Some(1), "grep failed");
        st.success()
    }
}

impl Drop for LoopFs {
    fn drop(&mut self) {
        if self.mounted {
            let _ = Command::new("umount").arg("-l").arg(&self.mnt).status();
        }
        let _ = &self.dir;
    }
}

fn run_ok(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Writes `len` bytes of a repeated marker line and fsyncs them to disk.
fn write_synced(path: &Path, marker: &str, len: usize) {
    let line = format!("{marker}\n");
    let data: Vec<u8> = line.bytes().cycle().take(len).collect();
    let mut f = fs::File::create(path).unwrap();
    f.write_all(&data).unwrap();
    f.sync_all().unwrap();
    fs::File::open(path.parent().unwrap())
        .unwrap()
        .sync_all()
        .unwrap();
}

fn of_type<'a>(lines: &'a [(String, Value)], t: &str) -> Vec<&'a Value> {
    lines
        .iter()
        .filter(|(k, _)| k == t)
        .map(|(_, d)| d)
        .collect()
}

fn caveat_codes(v: &Value) -> Vec<&str> {
    v["caveats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["caveat"].as_str().unwrap())
        .collect()
}

fn error_codes(lines: &[(String, Value)]) -> BTreeMap<String, String> {
    of_type(lines, "warning")
        .into_iter()
        .filter(|w| w["severity"] == "error")
        .map(|w| {
            let p = w["path"]["text"].as_str().unwrap();
            let name = Path::new(p).file_name().unwrap().to_string_lossy();
            (name.into_owned(), w["code"].as_str().unwrap().to_string())
        })
        .collect()
}

#[test]
#[ignore = "needs root: loop-mounted file systems"]
fn ext4_image_no_longer_holds_the_wiped_bytes_as_root() {
    require_root();
    let mut disk = LoopFs::new(&["mkfs.ext4", "-q", "-F"], 64, "nodiscard");
    let dir = disk.mnt.join("ids");
    fs::create_dir(&dir).unwrap();
    let wiped_marker = "IDVAULT-WIPE-TEST-MARKER-WIPED-7f3a9c";
    let kept_marker = "IDVAULT-WIPE-TEST-MARKER-RMONLY-2b8e1d";
    // Odd sizes, so the tail of the last block matters too.
    let victim = dir.join("passport.jpg");
    write_synced(&victim, wiped_marker, 3_000_017);
    let twin = dir.join("twin.jpg");
    write_synced(&twin, kept_marker, 3_000_017);

    let out = idvault()
        .args(["wipe", "--json", "--apply", "--yes", "--no-thumbnails"])
        .arg(&victim)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines = json_lines(&out);
    let plan = of_type(&lines, "plan")[0];
    assert_eq!(plan["filesystem"]["type"], "ext4");
    assert_eq!(plan["filesystem"]["class"], "in_place");
    assert_eq!(plan["device"]["kind"], "loop");
    assert_eq!(
        plan["device"]["backing_file"]["text"].as_str(),
        Some(disk.image.to_str().unwrap())
    );
    let wiped = of_type(&lines, "wiped");
    assert_eq!(wiped.len(), 1);
    assert_eq!(wiped[0]["bytes"], 3_000_017);
    assert_eq!(of_type(&lines, "summary")[0]["wiped"], 1);
    assert!(!victim.exists());
    assert_eq!(
        fs::read_dir(&dir).unwrap().count(),
        1,
        "only the twin is left"
    );

    // The control: a plain rm leaves the bytes on disk.
    run_ok(Command::new("rm").arg(&twin));
    disk.unmount();
    assert!(
        disk.image_contains(kept_marker),
        "the control failed: plain rm should leave its bytes in the image"
    );
    assert!(
        !disk.image_contains(wiped_marker),
        "the wiped file's bytes are still in the image"
    );
}

#[test]
#[ignore = "needs root: loop-mounted file systems"]
fn btrfs_plan_and_result_carry_the_copy_on_write_warning_as_root() {
    require_root();
    let disk = LoopFs::new(&["mkfs.btrfs", "-q", "-f"], 128, "nodiscard");
    let f = disk.mnt.join("id_card.jpg");
    write_synced(&f, "btrfs-content", 100_000);

    let dry = idvault()
        .args(["wipe", "--json", "--no-thumbnails"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    let lines = json_lines(&dry);
    let plan = of_type(&lines, "plan")[0];
    assert_eq!(plan["filesystem"]["type"], "btrfs");
    assert_eq!(plan["filesystem"]["class"], "copy_on_write");
    assert!(caveat_codes(plan).contains(&"copy_on_write"), "{plan}");
    assert_eq!(plan["overwrite_reaches_data"], false);
    assert!(f.exists());

    let out = idvault()
        .args(["wipe", "--json", "--apply", "--yes", "--no-thumbnails"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines = json_lines(&out);
    let wiped = of_type(&lines, "wiped")[0];
    assert!(caveat_codes(wiped).contains(&"copy_on_write"), "{wiped}");
    assert_eq!(wiped["overwrite_reaches_data"], false);
    assert!(!f.exists());

    // The human plan says it in words.
    fs::write(&f, b"again").unwrap();
    let human = idvault()
        .args(["wipe", "--no-thumbnails"])
        .arg(&f)
        .output()
        .unwrap();
    let text = String::from_utf8(human.stdout).unwrap();
    assert!(
        text.contains("btrfs is a copy-on-write filesystem"),
        "{text}"
    );
    assert!(text.contains("snapshots"), "{text}");
}

#[test]
fn symlink_target_outside_the_tree_is_untouched() {
    let t = TestDir::new();
    let outside = TestDir::new();
    let target = outside.write("passport.jpg", b"the real passport");
    let link = t.path().join("passport-link.jpg");
    symlink(&target, &link).unwrap();

    let out = idvault()
        .args(["wipe", "--json", "--apply", "--yes"])
        .arg(&link)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        error_codes(&json_lines(&out))["passport-link.jpg"],
        "symlink"
    );
    assert!(fs::symlink_metadata(&link).is_ok());

    let forced = idvault()
        .args(["wipe", "--json", "--apply", "--yes", "--force"])
        .arg(&link)
        .output()
        .unwrap();
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    let lines = json_lines(&forced);
    assert_eq!(of_type(&lines, "wiped")[0]["action"], "link_removed");
    assert!(fs::symlink_metadata(&link).is_err(), "link removed");
    assert_eq!(fs::read(&target).unwrap(), b"the real passport");
}

#[test]
fn hard_linked_file_is_refused_without_force() {
    let t = TestDir::new();
    let a = t.write("a.jpg", b"shared bytes");
    let b = t.path().join("b.jpg");
    fs::hard_link(&a, &b).unwrap();
    let out = idvault()
        .args(["wipe", "--json", "--apply", "--yes"])
        .arg(&a)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(error_codes(&json_lines(&out))["a.jpg"], "hard_linked");
    assert_eq!(fs::read(&a).unwrap(), b"shared bytes");
    assert_eq!(fs::metadata(&b).unwrap().nlink(), 2);

    let forced = idvault()
        .args(["wipe", "--json", "--apply", "--yes", "--force"])
        .arg(&a)
        .output()
        .unwrap();
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    assert!(!a.exists());
    assert_eq!(
        fs::read(&b).unwrap(),
        b"shared bytes",
        "other name keeps the data"
    );
}

#[test]
fn file_swapped_after_planning_is_refused() {
    let t = TestDir::new();
    let opts = WipeOptions {
        passes: 1,
        links: LinkPolicy::Refuse,
        thumbnails: None,
    };
    // Replaced by another file of the same size.
    let f = t.write("id.jpg", b"planned!");
    let plan = wipe::plan(&f, &opts).unwrap();
    fs::rename(t.write("other.jpg", b"innocent"), &f).unwrap();
    assert!(matches!(wipe::execute(&plan), Err(WipeError::Changed)));
    assert_eq!(fs::read(&f).unwrap(), b"innocent");

    // Replaced by a symlink to a file elsewhere.
    let g = t.write("id2.jpg", b"planned!");
    let plan = wipe::plan(&g, &opts).unwrap();
    let elsewhere = t.write("elsewhere/keep.jpg", b"keep me");
    fs::remove_file(&g).unwrap();
    symlink(&elsewhere, &g).unwrap();
    assert!(matches!(wipe::execute(&plan), Err(WipeError::Changed)));
    assert_eq!(fs::read(&elsewhere).unwrap(), b"keep me");

    // Modified in place after planning.
    let h = t.write("id3.jpg", b"planned!");
    let plan = wipe::plan(&h, &opts).unwrap();
    fs::OpenOptions::new()
        .append(true)
        .open(&h)
        .unwrap()
        .write_all(b"more")
        .unwrap();
    assert!(matches!(wipe::execute(&plan), Err(WipeError::Changed)));
    assert_eq!(fs::read(&h).unwrap(), b"planned!more");

    // Gone after planning.
    let v = t.write("id4.jpg", b"planned!");
    let plan = wipe::plan(&v, &opts).unwrap();
    fs::remove_file(&v).unwrap();
    assert!(matches!(wipe::execute(&plan), Err(WipeError::Vanished)));

    // An identity checked earlier by the caller (the vault) that no longer matches.
    let w = t.write("id5.jpg", b"planned!");
    let mut id = wipe::plan(&w, &opts).unwrap().id;
    id.mtime_ns -= 1_000_000_000;
    assert!(matches!(
        wipe::plan_expecting(&w, &id, &opts),
        Err(WipeError::Changed)
    ));
    assert!(w.exists());
}

#[test]
fn per_file_errors_do_not_stop_the_others() {
    let t = TestDir::new();
    let ok1 = t.write("ok1.jpg", b"one");
    let ok2 = t.write("sub/ok2.jpg", b"two");
    let ro = t.write("ro.jpg", b"read-only");
    let locked = t.write("locked/inside.jpg", b"locked folder");
    let gone = t.path().join("gone.jpg");
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o444)).unwrap();
    fs::set_permissions(t.path().join("locked"), fs::Permissions::from_mode(0o555)).unwrap();
    fs::set_permissions(t.path(), fs::Permissions::from_mode(0o755)).unwrap();

    // Root may write anything: run as `nobody`, owning the tree, so that permissions apply.
    let bin = assert_cmd::cargo::cargo_bin("idvault");
    // A sticky folder (like /tmp) holding someone else's file: writable, but not removable.
    let sticky = t.path().join("sticky/root.jpg");
    let mut cmd = if is_root() {
        run_ok(
            Command::new("chown")
                .args(["-R", "65534:65534"])
                .arg(t.path()),
        );
        fs::create_dir(t.path().join("sticky")).unwrap();
        fs::set_permissions(t.path().join("sticky"), fs::Permissions::from_mode(0o1777)).unwrap();
        fs::write(&sticky, b"root's").unwrap();
        fs::set_permissions(&sticky, fs::Permissions::from_mode(0o666)).unwrap();
        let mut c = tool("setpriv", "util-linux");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin);
        c
    } else {
        Command::new(&bin)
    };
    let out = cmd
        .args(["wipe", "--json", "--apply", "--yes", "--no-thumbnails"])
        .args([&ok1, &ro, &locked, &gone, &ok2])
        .args(is_root().then_some(&sticky))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let lines = json_lines(&out);
    let errors = error_codes(&lines);
    let mut expected: BTreeMap<String, String> = [
        ("ro.jpg", "not_writable"),
        ("inside.jpg", "folder_not_writable"),
        ("gone.jpg", "vanished"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    if is_root() {
        expected.insert("root.jpg".into(), "folder_not_writable".into());
        assert_eq!(fs::read(&sticky).unwrap(), b"root's");
    }
    assert_eq!(errors, expected);
    for w in of_type(&lines, "warning") {
        assert!(!w["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(of_type(&lines, "wiped").len(), 2);
    assert!(!ok1.exists() && !ok2.exists());
    assert_eq!(fs::read(&ro).unwrap(), b"read-only");
    assert_eq!(fs::read(&locked).unwrap(), b"locked folder");
    let summary = of_type(&lines, "summary")[0];
    assert_eq!(summary["refused"], expected.len());
    assert_eq!(summary["wiped"], 2);
}

/// Every entry of a tree: kind, mode, size, mtime, bytes or link target, inode.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, String> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| {
            let e = e.unwrap();
            let m = e.path().symlink_metadata().unwrap();
            let body = if m.is_file() {
                format!("{:?}", fs::read(e.path()).unwrap())
            } else if m.file_type().is_symlink() {
                format!("{:?}", fs::read_link(e.path()).unwrap())
            } else {
                String::new()
            };
            let desc = format!(
                "{:o} {} {} {} {} {body}",
                m.mode(),
                m.len(),
                m.mtime_nsec() + m.mtime() * 1_000_000_000,
                m.ino(),
                m.nlink()
            );
            (e.path().to_path_buf(), desc)
        })
        .collect()
}

#[test]
#[ignore = "needs gio (libglib2.0-bin)"]
fn dry_run_leaves_the_tree_byte_identical() {
    let t = TestDir::new();
    let f = t.write("tree/passport.jpg", b"passport bytes");
    t.write("tree/sub/id_card.png", b"id card bytes");
    fs::hard_link(&f, t.path().join("tree/hard.jpg")).unwrap();
    symlink("/etc/hostname", t.path().join("tree/link")).unwrap();
    let cache = t.path().join("cache");
    let thumb = cache.join("thumbnails/normal").join(format!(
        "{}.png",
        md5_hex(&uri_from_gio(&fs::canonicalize(&f).unwrap()))
    ));
    fs::create_dir_all(thumb.parent().unwrap()).unwrap();
    fs::write(&thumb, b"thumb").unwrap();
    let before = snapshot(t.path());
    for extra in [&[][..], &["--force", "--passes", "3"][..]] {
        let out = idvault()
            .env("XDG_CACHE_HOME", &cache)
            .args(["wipe", "-r"])
            .args(extra)
            .arg(t.path().join("tree"))
            .output()
            .unwrap();
        assert!(out.status.code() == Some(0) || out.status.code() == Some(1));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("id_card.png"), "{text}");
        assert!(
            stderr(&out).contains("Nothing was changed"),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(snapshot(t.path()), before);
}

#[test]
fn apply_without_yes_refuses_when_stdin_is_not_a_terminal() {
    let t = TestDir::new();
    let f = t.write("passport.jpg", b"bytes");
    let out = idvault()
        .args(["wipe", "--apply"])
        .arg(&f)
        .write_stdin("y\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    assert_eq!(fs::read(&f).unwrap(), b"bytes");
}

/// The file URI of `abs` as GLib computes it (`gio info`), the oracle for thumbnail names.
fn uri_from_gio(abs: &Path) -> String {
    let out = tool("gio", "libglib2.0-bin")
        .arg("info")
        .arg(abs)
        .output()
        .expect("`gio` (Debian package libglib2.0-bin) is needed as the thumbnail URI oracle");
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("uri: "))
        .expect("gio info prints the uri")
        .to_string()
}

/// MD5 of `s` in hex, from coreutils `md5sum`.
fn md5_hex(s: &str) -> String {
    let mut child = Command::new("md5sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap()[..32].to_string()
}

#[test]
#[ignore = "needs gio (libglib2.0-bin)"]
fn thumbnails_of_the_file_are_removed_with_it() {
    let t = TestDir::new();
    let f = t.write("Ausweis & ID card (front) é#1.png", b"the photo");
    let other = t.write("holiday.png", b"not wiped");
    let cache = t.path().join("cache");
    let name = format!(
        "{}.png",
        md5_hex(&uri_from_gio(&fs::canonicalize(&f).unwrap()))
    );
    let other_name = format!(
        "{}.png",
        md5_hex(&uri_from_gio(&fs::canonicalize(&other).unwrap()))
    );
    let thumbs: Vec<PathBuf> = ["normal", "x-large", "fail/gnome-thumbnail-factory"]
        .iter()
        .map(|d| cache.join("thumbnails").join(d).join(&name))
        .collect();
    for p in &thumbs {
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, b"\x89PNG thumbnail of the photo").unwrap();
    }
    let kept = cache.join("thumbnails/normal").join(&other_name);
    fs::write(&kept, b"\x89PNG other").unwrap();

    let dry = idvault()
        .env("XDG_CACHE_HOME", &cache)
        .args(["wipe", "--json"])
        .arg(&f)
        .output()
        .unwrap();
    let plan_lines = json_lines(&dry);
    assert_eq!(
        of_type(&plan_lines, "plan")[0]["thumbnails"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    let out = idvault()
        .env("XDG_CACHE_HOME", &cache)
        .args(["wipe", "--json", "--apply", "--yes"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines = json_lines(&out);
    let removed = of_type(&lines, "wiped")[0]["thumbnails_removed"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(removed, 3);
    assert_eq!(of_type(&lines, "summary")[0]["thumbnails_removed"], 3);
    for p in &thumbs {
        assert!(!p.exists(), "{} survived", p.display());
    }
    assert!(!f.exists());
    assert_eq!(fs::read(&kept).unwrap(), b"\x89PNG other");
    assert_eq!(fs::read(&other).unwrap(), b"not wiped");

    // --no-thumbnails leaves them.
    let g = t.write("second.png", b"x");
    let g_thumb = cache.join("thumbnails/large").join(format!(
        "{}.png",
        md5_hex(&uri_from_gio(&fs::canonicalize(&g).unwrap()))
    ));
    fs::create_dir_all(g_thumb.parent().unwrap()).unwrap();
    fs::write(&g_thumb, b"t").unwrap();
    let out = idvault()
        .env("XDG_CACHE_HOME", &cache)
        .args(["wipe", "--apply", "--yes", "--no-thumbnails"])
        .arg(&g)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!g.exists() && g_thumb.exists());
}

#[test]
fn recursive_wipe_removes_files_and_emptied_folders() {
    let t = TestDir::new();
    t.write("scans/a.jpg", b"a");
    t.write("scans/deep/b.jpg", b"b");
    let outside = TestDir::new();
    let target = outside.write("keep.jpg", b"keep");
    symlink(&target, t.path().join("scans/deep/link.jpg")).unwrap();
    let out = idvault()
        .args(["wipe", "--json", "--apply", "--yes", "-r"])
        .arg(t.path().join("scans"))
        .output()
        .unwrap();
    // The symlink is refused, so its folder (and the root) stay; the rest goes.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(error_codes(&lines)["link.jpg"], "symlink");
    assert_eq!(of_type(&lines, "wiped").len(), 2);
    assert!(
        t.path()
            .join("scans/deep/link.jpg")
            .symlink_metadata()
            .is_ok()
    );
    assert!(!t.path().join("scans/a.jpg").exists());
    assert!(!t.path().join("scans/deep/b.jpg").exists());
    assert_eq!(fs::read(&target).unwrap(), b"keep");

    let out = idvault()
        .args(["wipe", "--json", "--apply", "--yes", "-r", "--force"])
        .arg(t.path().join("scans"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!t.path().join("scans").exists());
    assert_eq!(fs::read(&target).unwrap(), b"keep");
}

#[test]
fn recursive_wipe_leaves_out_what_exclude_matches() {
    let t = TestDir::new();
    t.write("scans/a.jpg", b"a");
    t.write("scans/sub/d.jpg", b"d");
    t.write("scans/clip.mp4", b"clip");
    t.write("scans/sub/deeper/clip.mp4", b"clip 2");
    t.write("scans/Keep/b.jpg", b"b");
    let wipe = |extra: &[&str]| {
        idvault()
            .args([
                "wipe",
                "--json",
                "-r",
                "--exclude",
                "*.mp4",
                "--exclude",
                "Keep",
            ])
            .args(extra)
            .arg(t.path().join("scans"))
            .output()
            .unwrap()
    };
    // The plan names only what is not excluded.
    let out = wipe(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines = json_lines(&out);
    let mut planned: Vec<_> = of_type(&lines, "plan")
        .iter()
        .map(|p| p["path"]["text"].as_str().unwrap().to_string())
        .collect();
    planned.sort();
    let under = |rel: &str| t.path().join("scans").join(rel).display().to_string();
    assert_eq!(planned, [under("a.jpg"), under("sub/d.jpg")], "{lines:?}");

    let out = wipe(&["--apply", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(of_type(&lines, "wiped").len(), 2, "{lines:?}");
    // Folders that keep an excluded file are not removed, and not reported as a problem.
    assert!(of_type(&lines, "warning").is_empty(), "{lines:?}");
    assert!(!t.path().join("scans/a.jpg").exists());
    assert!(!t.path().join("scans/sub/d.jpg").exists());
    assert_eq!(fs::read(t.path().join("scans/clip.mp4")).unwrap(), b"clip");
    assert_eq!(
        fs::read(t.path().join("scans/sub/deeper/clip.mp4")).unwrap(),
        b"clip 2"
    );
    assert_eq!(fs::read(t.path().join("scans/Keep/b.jpg")).unwrap(), b"b");

    // A glob that does not compile is a usage error; nothing is touched.
    let out = idvault()
        .args([
            "wipe",
            "-r",
            "--apply",
            "--yes",
            "--exclude",
            "a[",
            "--json",
        ])
        .arg(t.path().join("scans"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(t.path().join("scans/clip.mp4").exists());
}

#[test]
fn cloud_synced_folder_gets_a_note() {
    let t = TestDir::new();
    let f = t.write("Dropbox/Scans/id_card.jpg", b"card");
    let out = idvault()
        .args(["wipe", "--json", "--no-thumbnails"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines = json_lines(&out);
    let plan = of_type(&lines, "plan")[0];
    let cloud = plan["caveats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["caveat"] == "cloud_sync")
        .unwrap_or_else(|| panic!("no cloud_sync caveat: {plan}"));
    assert!(
        cloud["detail"]
            .as_str()
            .unwrap()
            .contains("version history")
    );
    assert!(f.exists());
}

/// Runs `idvault ARGS` on a pseudo-terminal (util-linux `script`), so that it asks for
/// confirmation; calls `before_answer` once the question is shown, then answers `answer`.
fn run_on_tty(args: &[&Path], answer: &str, before_answer: impl FnOnce()) -> (i32, String) {
    use std::io::Read;
    let quote = |p: &Path| format!("'{}'", p.to_str().unwrap().replace('\'', "'\\''"));
    let bin = assert_cmd::cargo::cargo_bin("idvault");
    let mut line = format!("NO_COLOR=1 {}", quote(&bin));
    for a in args {
        line += " ";
        line += &quote(a);
    }
    let mut child = tool("script", "bsdutils")
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("util-linux `script`");
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("[y/N]") {
        let chunk = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no prompt; output: {}", String::from_utf8_lossy(&seen)));
        seen.extend(chunk);
    }
    before_answer();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(answer.as_bytes()).unwrap();
    let status = child.wait().unwrap();
    drop(stdin);
    reader.join().unwrap();
    seen.extend(rx.try_iter().flatten());
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&seen).into_owned(),
    )
}

#[test]
fn file_swapped_while_the_prompt_waits_is_refused() {
    let t = TestDir::new();
    let f = t.write("passport.jpg", b"planned passport");
    let ok = t.write("other.jpg", b"wiped normally");
    let replacement = t.write("elsewhere/new.jpg", b"a different file");
    let (code, out) = run_on_tty(
        &[Path::new("wipe"), Path::new("--apply"), &f, &ok],
        "y\n",
        || fs::rename(&replacement, &f).unwrap(),
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not the file that was planned"), "{out}");
    assert_eq!(fs::read(&f).unwrap(), b"a different file");
    assert!(!ok.exists(), "the other file is still wiped");
}

#[test]
fn answering_no_changes_nothing() {
    let t = TestDir::new();
    let f = t.write("passport.jpg", b"keep");
    let (code, out) = run_on_tty(&[Path::new("wipe"), Path::new("--apply"), &f], "n\n", || {});
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Nothing was wiped"), "{out}");
    assert_eq!(fs::read(&f).unwrap(), b"keep");
}

#[test]
fn same_file_named_twice_is_wiped_once_and_dot_is_kept() {
    let t = TestDir::new();
    t.write("a.jpg", b"a");
    t.write("sub/b.jpg", b"b");
    let out = idvault()
        .current_dir(t.path())
        .args(["wipe", "--json", "--apply", "--yes"])
        .args(["a.jpg", "./a.jpg", "sub/../a.jpg"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(of_type(&json_lines(&out), "wiped").len(), 1);

    let out = idvault()
        .current_dir(t.path())
        .args(["wipe", "--json", "--apply", "--yes", "-r", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(t.path().exists());
    assert_eq!(fs::read_dir(t.path()).unwrap().count(), 0);
}

#[test]
fn non_utf8_and_hostile_names_are_wiped_and_escaped() {
    use std::os::unix::ffi::OsStrExt;
    let t = TestDir::new();
    let raw = t.write(std::ffi::OsStr::from_bytes(b"\xff\xfepassport.jpg"), b"x");
    let hostile = t.write("\x1b[31mid\u{202e}gpj.exe", b"y");
    let out = idvault()
        .args(["wipe", "--apply", "--yes"])
        .args([&raw, &hostile])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\\xFF\\xFEpassport.jpg"), "{text}");
    assert!(text.contains("\\u{1b}[31mid\\u{202e}gpj.exe"), "{text}");
    assert!(!text.contains('\x1b'));
    assert_eq!(fs::read_dir(t.path()).unwrap().count(), 0);
}
