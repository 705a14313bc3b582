//! `idvault vault` on real files: the Go `age` CLI as the interoperability oracle, a round trip
//! of every fixture (or corpus file), SIGKILL at random points during `add --remove-originals`, and faults (full disk,
//! read-only source and vault, damaged objects, lost manifest, wrong passphrase, concurrency).

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use idvault::strip;
use idvault::strip::MAX_BYTES as STRIP_MAX_BYTES;
use serde_json::Value;

use crate::util::vault::*;
use crate::util::{TestDir, collection, json_lines, noise_bytes, require_root, tool};

fn path_text(v: &Value) -> String {
    v["path"]["text"].as_str().unwrap().to_string()
}

#[test]
#[ignore = "needs age, age-keygen (age)"]
fn go_age_decrypts_entries_and_the_sealed_identity() {
    let f = Fixture::new();
    let mut originals = BTreeMap::new();
    for (i, name) in ["passport-of-Zelda-Quux.jpg", "身份证正面.png", "clip.mp4"]
        .iter()
        .enumerate()
    {
        let data = noise_bytes(i as u64 + 1, 1000 + i * 150_000);
        let p = f.t.write(format!("photos/{name}"), &data);
        originals.insert(p.to_str().unwrap().to_string(), data);
    }
    let out = f
        .cmd()
        .arg("add")
        .arg(f.t.path().join("photos"))
        .output()
        .unwrap();
    assert!(out.status.success(), "add failed: {}", stderr(&out));

    let entries = f.entries();
    assert_eq!(entries.len(), 3);
    for (id, e) in &entries {
        let plain = f.age_decrypt(id);
        assert_eq!(&plain, &originals[&path_text(e)], "entry {id}");
    }

    // identity.age opens with `age -d` and the passphrase typed on a (pseudo-)terminal.
    let id_out = f.t.path().join("identity.txt");
    let status = tool("script", "bsdutils")
        .arg("-qec")
        .arg(format!(
            "age -d -o {} {}",
            id_out.display(),
            f.vault.join("identity.age").display()
        ))
        .arg("/dev/null")
        .stdin(fs::File::open(&f.pw).unwrap())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let public =
        String::from_utf8(run_ok(tool("age-keygen", "age").arg("-y").arg(&id_out)).stdout).unwrap();
    let config = fs::read_to_string(f.vault.join("idvault-vault.toml")).unwrap();
    assert!(
        config.contains(public.trim()),
        "vault key not first recipient"
    );
    let (id, e) = entries.iter().next().unwrap();
    let plain = run_ok(
        tool("age", "age")
            .arg("-d")
            .arg("-i")
            .arg(&id_out)
            .arg(f.object(id)),
    )
    .stdout;
    assert_eq!(plain, originals[&path_text(e)]);

    // Nothing in the vault is readable by others, and no name appears in the clear.
    for p in f.vault_files() {
        let mode = fs::metadata(&p).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", p.display());
        let content = fs::read(&p).unwrap();
        for needle in ["Zelda", "passport", "photos", "clip", "身份证"] {
            assert!(
                !content
                    .windows(needle.len())
                    .any(|w| w == needle.as_bytes()),
                "{needle} in {}",
                p.display()
            );
        }
    }
    for d in walk_dirs(&f.vault) {
        assert_eq!(fs::metadata(&d).unwrap().mode() & 0o777, 0o700);
    }
}

fn walk_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    let mut i = 0;
    while i < out.len() {
        for e in fs::read_dir(&out[i]).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                out.push(e.path());
            }
        }
        i += 1;
    }
    out
}

/// Every fixture (every corpus file under `IDVAULT_CORPUS`) comes back byte for byte with
/// `--keep-metadata`, and as exactly the verified stripped version (or unchanged, where
/// stripping does not apply) by default.
#[test]
fn every_corpus_file_round_trips() {
    round_trip(true);
    round_trip(false);
}

fn round_trip(keep_metadata: bool) {
    let f = Fixture::new();
    let corpus = collection("");
    let mut add = f.cmd();
    add.arg("add");
    if keep_metadata {
        add.arg("--keep-metadata");
    }
    let out = add.arg(&corpus).output().unwrap();
    assert!(out.status.success(), "add failed: {}", stderr(&out));
    let originals = walk_files(&corpus);
    let to = f.t.path().join("restored");
    let out = f.extract_all(&to);
    assert!(out.status.success(), "extract failed: {}", stderr(&out));
    assert_eq!(walk_files(&to).len(), originals.len());
    // `extract --all` keeps each file's folder below the corpus root they all share.
    let shared =
        originals
            .iter()
            .skip(1)
            .fold(originals[0].parent().unwrap().to_path_buf(), |base, p| {
                base.ancestors()
                    .find(|a| p.starts_with(a))
                    .unwrap()
                    .to_path_buf()
            });
    for p in &originals {
        let back = to.join(p.strip_prefix(&shared).unwrap());
        let original = fs::read(p).unwrap();
        let expected = if keep_metadata || original.len() as u64 > STRIP_MAX_BYTES {
            original
        } else {
            strip::strip(&original, &strip::StripOptions::default())
                .map(|s| s.data)
                .unwrap_or(original)
        };
        assert!(fs::read(&back).unwrap() == expected, "{}", p.display());
        let (a, b) = (fs::metadata(p).unwrap(), fs::metadata(&back).unwrap());
        assert_eq!((a.mtime(), a.mtime_nsec()), (b.mtime(), b.mtime_nsec()));
    }
    // Extract never overwrites.
    let again = f.extract_all(&to);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("already exists; not overwritten"));
}

#[test]
#[ignore = "needs age (age)"]
fn sigkill_during_remove_originals_never_loses_a_file() {
    let f = Fixture::new();
    let mut seed = 0x5eed_u64;
    let mut all: BTreeMap<PathBuf, Vec<u8>> = BTreeMap::new();
    for round in 0..50 {
        let dir = f.t.path().join(format!("src/{round}"));
        let mut expected = BTreeMap::new();
        for i in 0..6 {
            seed = seed.wrapping_add(1);
            let len = [0, 10, 70_000, 300_000, 1_500_000, 3_000_000][i];
            let p =
                f.t.write(dir.join(format!("f{i}.jpg")), &noise_bytes(seed, len));
            expected.insert(p, noise_bytes(seed, len));
        }
        let mut child = f
            .with_key("add")
            .arg("--remove-originals")
            .arg("--apply")
            .arg("--yes")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Random delays in a window that widens from 50 ms to 1.5 s, so that kills land
        // everywhere from startup to after the last removal, even on a slow machine.
        let window = 50_000 + round as u64 * 30_000;
        let delay = Duration::from_micros(seed.wrapping_mul(2_654_435_761) % window);
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        for (p, _) in walk_files(&dir).iter().zip(0..) {
            let name = p.file_name().unwrap().to_string_lossy();
            assert!(!name.starts_with(".idvault-tmp"), "temp file in source");
        }
        all.extend(expected);
    }
    // Every original still exists unchanged, or has an entry whose object `age` decrypts to
    // the same bytes.
    let entries = f.entries();
    let by_path: BTreeMap<String, &String> =
        entries.iter().map(|(id, e)| (path_text(e), id)).collect();
    let mut removed = 0;
    for (p, data) in &all {
        match fs::read(p) {
            Ok(now) => assert_eq!(&now, data, "original changed: {}", p.display()),
            Err(_) => {
                removed += 1;
                let id = by_path
                    .get(p.to_str().unwrap())
                    .unwrap_or_else(|| panic!("{} lost", p.display()));
                assert_eq!(&f.age_decrypt(id), data);
            }
        }
    }
    assert!(removed > 0, "no run got as far as removing an original");
    // Leftovers in the vault are ciphertext only.
    for p in f.vault_files() {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with(".idvault-tmp") {
            let head = fs::read(&p).unwrap();
            // A kill between the header's writes can leave any prefix of it, never plaintext.
            let magic = b"age-encryption.org/v1";
            let n = head.len().min(magic.len());
            assert_eq!(
                head[..n],
                magic[..n],
                "not ciphertext: {} ({} bytes)",
                p.display(),
                head.len()
            );
        }
    }
    // repair makes the vault whole again.
    let out = f.with_key("repair").output().unwrap();
    assert!(out.status.success(), "repair: {}", stderr(&out));
    let out = f.with_key("verify").output().unwrap();
    assert!(out.status.success(), "verify: {}", stderr(&out));
}

#[test]
#[ignore = "needs root: mounts a 1 MiB tmpfs"]
fn full_disk_fails_per_file_and_leaves_no_temp_files_as_root() {
    require_root();
    let t = TestDir::new();
    let mnt = t.path().join("small");
    fs::create_dir(&mnt).unwrap();
    run_ok(
        StdCommand::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
            .arg(&mnt),
    );
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = StdCommand::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(mnt.clone());
    let f = Fixture::in_dir(t, Some(mnt.join("vault")));
    let big = f.t.write("src/big.mov", &noise_bytes(1, 3_000_000));
    let small = f.t.write("src/small.jpg", &noise_bytes(2, 1000));
    // One worker: in parallel, the big file's temporary object can fill the disk while the
    // small one is being written, and then both fail; in order, exactly the big one must.
    let out = f
        .with_key("add")
        .env("RAYON_NUM_THREADS", "1")
        .arg("--remove-originals")
        .arg("--apply")
        .arg("--yes")
        .arg(&big)
        .arg(&small)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("No space left on device"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        fs::read(&big).unwrap(),
        noise_bytes(1, 3_000_000),
        "big original kept"
    );
    assert!(!small.exists(), "small file added and removed");
    for p in f.vault_files() {
        assert!(
            !p.to_string_lossy().contains(".idvault-tmp"),
            "temp left: {}",
            p.display()
        );
    }
    let out = f.with_key("verify").output().unwrap();
    assert!(out.status.success(), "verify: {}", stderr(&out));
}

#[test]
#[ignore = "needs root: runs idvault as user nobody on files it cannot write"]
fn read_only_source_and_read_only_vault_as_root() {
    require_root();
    let f = Fixture::new();
    run_ok(
        StdCommand::new("chown")
            .arg("-R")
            .arg("65534:65534")
            .arg(f.t.path()),
    );
    fs::set_permissions(f.t.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let kept = f.t.write("ro/kept.jpg", &noise_bytes(3, 5000));
    let unreadable = f.t.write("ro/secret.jpg", &noise_bytes(4, 5000));
    run_ok(
        StdCommand::new("chown")
            .arg("-R")
            .arg("65534:65534")
            .arg(f.t.path().join("ro")),
    );
    fs::set_permissions(&unreadable, fs::Permissions::from_mode(0o000)).unwrap();
    fs::set_permissions(f.t.path().join("ro"), fs::Permissions::from_mode(0o555)).unwrap();

    let mut cmd = f.with_key("add");
    cmd.args(["--remove-originals", "--apply", "--yes"])
        .arg(f.t.path().join("ro"));
    let out = crate::util::as_nobody(&cmd).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("secret.jpg: not added: cannot open"), "{err}");
    assert!(
        err.contains(
            "kept.jpg: original kept: vaulted, but the original was not wiped: its folder does \
             not allow removing it"
        ),
        "{err}"
    );
    assert!(kept.exists() && unreadable.exists());
    assert_eq!(f.entries().len(), 1);

    // A vault that cannot be written: every file fails, nothing is removed.
    let src = f.t.write("src/a.jpg", &noise_bytes(5, 100));
    run_ok(
        StdCommand::new("chown")
            .arg("-R")
            .arg("65534:65534")
            .arg(f.t.path().join("src")),
    );
    run_ok(StdCommand::new("chmod").arg("-R").arg("a-w").arg(&f.vault));
    let mut cmd = f.with_key("add");
    cmd.args(["--remove-originals", "--apply", "--yes"])
        .arg(&src);
    let out = crate::util::as_nobody(&cmd).output().unwrap();
    let err = stderr(&out);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("Permission denied"), "{err}");
    assert_eq!(fs::read(&src).unwrap(), noise_bytes(5, 100));
    run_ok(StdCommand::new("chmod").arg("-R").arg("u+w").arg(&f.vault));
}

#[test]
fn damaged_objects_are_named_by_verify_and_refused_by_extract() {
    let f = Fixture::new();
    for i in 0..4 {
        f.t.write(format!("src/f{i}.jpg"), &noise_bytes(10 + i, 200_000));
    }
    let out = f
        .with_key("add")
        .arg(f.t.path().join("src"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let ids: Vec<String> = f.entries().into_keys().collect();
    let (truncated, flipped, swap_a, swap_b) = (&ids[0], &ids[1], &ids[2], &ids[3]);
    let p = f.object(truncated);
    let len = fs::metadata(&p).unwrap().len();
    fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(len - 1000)
        .unwrap();
    let p = f.object(flipped);
    let mut data = fs::read(&p).unwrap();
    let at = data.len() / 2;
    data[at] ^= 0x10;
    fs::write(&p, data).unwrap();
    let tmp = f.t.path().join("swap");
    fs::rename(f.object(swap_a), &tmp).unwrap();
    fs::rename(f.object(swap_b), f.object(swap_a)).unwrap();
    fs::rename(&tmp, f.object(swap_b)).unwrap();

    let out = f.with_key("verify").arg("--json").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let bad: Vec<String> = json_lines(&out)
        .into_iter()
        .filter(|(t, _)| t == "problem")
        .map(|(_, d)| d["id"].as_str().unwrap().to_string())
        .collect();
    let mut want = ids.clone();
    want.sort();
    let mut got = bad.clone();
    got.sort();
    assert_eq!(got, want, "every damaged entry named once");

    let to = f.t.path().join("out");
    for id in &ids {
        let out = f
            .with_key("extract")
            .arg("--to")
            .arg(&to)
            .arg(id)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(stderr(&out).contains("not extracted"));
    }
    assert_eq!(fs::read_dir(&to).unwrap().count(), 0, "nothing written");
}

#[test]
fn repair_restores_a_deleted_manifest_and_wrong_passphrase_changes_nothing() {
    let f = Fixture::new();
    let src = f.t.write("src/a.jpg", &noise_bytes(20, 1234));
    f.t.write("src/b.jpg", &noise_bytes(21, 99_999));
    let out = f
        .cmd()
        .arg("--passphrase-file")
        .arg(&f.pw)
        .arg("add")
        .arg(f.t.path().join("src"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        f.vault.join("manifest.age").exists(),
        "a key given: manifest committed"
    );
    let before = f.entries();
    fs::remove_file(f.vault.join("manifest.age")).unwrap();
    let out = f.with_key("verify").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no manifest"));
    let out = f.with_key("repair").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(f.vault.join("manifest.age").exists());
    assert_eq!(f.entries(), before);

    let wrong = secret_file(&f.t, "wrong", b"not it\n");
    let files_before = f.vault_files();
    let out = f
        .cmd()
        .arg("--passphrase-file")
        .arg(&wrong)
        .args(["add", "--remove-originals", "--apply", "--yes"])
        .arg(&src)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("wrong passphrase"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
    assert_eq!(f.vault_files(), files_before, "nothing written");
    assert_eq!(fs::read(&src).unwrap(), noise_bytes(20, 1234));
}

#[test]
fn remove_originals_is_a_dry_run_without_apply_and_needs_yes_off_a_terminal() {
    let f = Fixture::new();
    let src = f.t.write("src/a.jpg", &noise_bytes(30, 100));
    let files_before = f.vault_files();
    let out = f
        .with_key("add")
        .arg("--remove-originals")
        .arg(&src)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("would add and remove"));
    assert!(stderr(&out).contains("Nothing was changed"));
    let out = f
        .with_key("add")
        .args(["--remove-originals", "--apply"])
        .arg(&src)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("add --yes"));
    assert_eq!(f.vault_files(), files_before);
    assert!(src.exists());
}

#[test]
fn concurrent_adds_wait_for_the_lock_and_both_land() {
    let f = Fixture::new();
    for i in 0..2 {
        for j in 0..5 {
            f.t.write(
                format!("src{i}/f{j}.jpg"),
                &noise_bytes(40 + i * 10 + j, 400_000),
            );
        }
    }
    // Hold the lock ourselves first: the adds must say the vault is busy and wait.
    let lock = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(f.vault.join("lock"))
        .or_else(|_| fs::File::create(f.vault.join("lock")))
        .unwrap();
    use std::os::fd::AsRawFd;
    // SAFETY: flock on an fd we own.
    assert_eq!(unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) }, 0);
    let errs: Vec<PathBuf> = (0..2).map(|i| f.t.path().join(format!("err{i}"))).collect();
    let children: Vec<_> = (0..2)
        .map(|i| {
            f.with_key("add")
                .arg(f.t.path().join(format!("src{i}")))
                .stdout(Stdio::null())
                .stderr(fs::File::create(&errs[i]).unwrap())
                .spawn()
                .unwrap()
        })
        .collect();
    let start = Instant::now();
    while !errs
        .iter()
        .all(|e| fs::read_to_string(e).unwrap().contains("vault is busy"))
    {
        assert!(start.elapsed() < Duration::from_secs(30), "no busy message");
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(lock);
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    assert_eq!(f.entries().len(), 10);
    let out = f.with_key("verify").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
#[ignore = "needs ssh-keygen (openssh-client), age (age)"]
fn ssh_recipients_open_entries_with_age_and_idvault() {
    let t = TestDir::new();
    let key = t.path().join("id_ed25519");
    run_ok(
        tool("ssh-keygen", "openssh-client")
            .args([
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                "alice@secret-host",
                "-f",
            ])
            .arg(&key),
    );
    let public = fs::read_to_string(key.with_extension("pub")).unwrap();
    let f = Fixture::new();
    let vault = f.t.path().join("ssh-vault");
    let out = vault_cmd(&vault)
        .arg("init")
        .arg("--passphrase-file")
        .arg(&f.pw)
        .arg("--recipient")
        .arg(public.trim())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let config = fs::read_to_string(vault.join("idvault-vault.toml")).unwrap();
    assert!(config.contains("ssh-ed25519 AAAA") && !config.contains("secret-host"));
    let data = noise_bytes(77, 123_456);
    let src = f.t.write("doc.jpg", &data);
    let add = vault_cmd(&vault).arg("add").arg(&src).output().unwrap();
    assert!(add.status.success(), "{}", stderr(&add));
    let list = vault_cmd(&vault)
        .arg("-i")
        .arg(&key)
        .args(["list", "--json"])
        .output()
        .unwrap();
    assert!(list.status.success(), "{}", stderr(&list));
    let entry = json_lines(&list)
        .into_iter()
        .find(|(t, _)| t == "entry")
        .unwrap()
        .1;
    let id = entry["id"].as_str().unwrap();
    let object = vault
        .join("objects")
        .join(&id[..2])
        .join(format!("{id}.age"));
    let plain = run_ok(tool("age", "age").arg("-d").arg("-i").arg(&key).arg(object)).stdout;
    assert_eq!(plain, data);
}

#[test]
fn non_utf8_names_and_modes_round_trip_and_json_keeps_the_bytes() {
    use std::os::unix::ffi::OsStrExt;
    let f = Fixture::new();
    let name = std::ffi::OsStr::from_bytes(b"scan-\xff\xfe.jpg");
    let src =
        f.t.write(Path::new("src").join(name), &noise_bytes(90, 4321));
    fs::set_permissions(&src, fs::Permissions::from_mode(0o640)).unwrap();
    let out = f.cmd().args(["add", "--json"]).arg(&src).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let added: Vec<Value> = json_lines(&out)
        .into_iter()
        .filter(|(t, _)| t == "added")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(added.len(), 1);
    assert!(
        added[0]["path"]["bytes"].is_string(),
        "non-UTF-8 path as bytes"
    );
    let to = f.t.path().join("out");
    let out = f
        .with_key("extract")
        .arg("--keep-modes")
        .arg("--to")
        .arg(&to)
        .arg(added[0]["id"].as_str().unwrap())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let back = to.join(name);
    assert_eq!(fs::read(&back).unwrap(), noise_bytes(90, 4321));
    assert_eq!(fs::metadata(&back).unwrap().mode() & 0o777, 0o640);
    assert!(
        walk_files(&to)
            .iter()
            .all(|p| !p.to_string_lossy().contains(".idvault-tmp")),
        "no temp file left"
    );
}

#[test]
fn a_rerun_finds_files_already_in_the_vault_and_does_not_add_them_twice() {
    let f = Fixture::new();
    let src = f.t.write("src/a.jpg", &noise_bytes(60, 70_000));
    let other = f.t.write("src/b.jpg", &noise_bytes(61, 1_000));
    let out = f.with_key("add").arg(&src).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // As after a run interrupted between committing and removing: same file, asked again.
    let out = f
        .with_key("add")
        .args(["--remove-originals", "--apply", "--yes", "--json"])
        .arg(&src)
        .arg(&other)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&out);
    let kinds: Vec<&str> = lines.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "already").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "added").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "removed").count(),
        2,
        "{kinds:?}"
    );
    assert!(!src.exists() && !other.exists());
    assert_eq!(f.entries().len(), 2, "no duplicate entry");
    // A changed file with the same name is a new entry.
    let src = f.t.write("src/a.jpg", &noise_bytes(62, 70_000));
    let out = f.with_key("add").arg(&src).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(f.entries().len(), 3);
}

/// Runs `idvault vault --vault V ARGS` on a pseudo-terminal (`script`), typing `input`; returns
/// its status and what it wrote to the terminal (stdout and stderr together).
fn on_tty(vault: &Path, args: &str, input: &[u8], dir: &TestDir) -> std::process::Output {
    let typed = dir.write(format!("typed-{}", input.len()), input);
    tool("script", "bsdutils")
        .arg("-qec")
        .arg(format!(
            "{} vault --vault {} {args}",
            env!("CARGO_BIN_EXE_idvault"),
            vault.display()
        ))
        .arg("/dev/null")
        .env("NO_COLOR", "1")
        .env("XDG_DATA_HOME", data_home(vault))
        .env_remove("IDVAULT_PASSPHRASE_FILE")
        .stdin(fs::File::open(typed).unwrap())
        .output()
        .unwrap()
}

#[test]
fn terminal_prompts_ask_twice_for_a_new_passphrase() {
    let t = TestDir::new();
    let bad = t.path().join("mismatch");
    assert!(
        !on_tty(&bad, "init", b"one pass\nanother\n", &t)
            .status
            .success()
    );
    assert!(!bad.exists(), "nothing created when the passphrases differ");
    let vault = t.path().join("v");
    assert!(
        on_tty(
            &vault,
            "init",
            b"fuzzy giraffe umbrella lantern\nfuzzy giraffe umbrella lantern\n",
            &t
        )
        .status
        .success()
    );
    let pw = secret_file(&t, "pw", b"fuzzy giraffe umbrella lantern\n");
    let out = vault_cmd(&vault)
        .arg("--passphrase-file")
        .arg(&pw)
        .arg("verify")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn verify_shows_progress_on_a_terminal_but_not_with_json() {
    let f = Fixture::new();
    let files: Vec<PathBuf> = (0..3)
        .map(|i| f.t.write(format!("f{i}.bin"), &noise_bytes(70 + i, 5_000)))
        .collect();
    run_ok(f.with_key("add").args(&files));
    let key = f.key.display();
    // The bar counts the manifest's entries: done/total files, bytes, rate and estimate.
    let out = on_tty(&f.vault, &format!("-i {key} verify"), b"", &f.t);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("/3 files"), "no progress bar: {shown}");
    assert!(shown.contains("ETA"), "{shown}");
    for quiet in ["--json", "--quiet"] {
        let out = on_tty(&f.vault, &format!("-i {key} verify {quiet}"), b"", &f.t);
        assert!(out.status.success());
        let shown = String::from_utf8_lossy(&out.stdout);
        assert!(!shown.contains("/3 files"), "{quiet}: {shown}");
    }
}

#[test]
fn extract_all_keeps_each_entrys_folder_and_renames_what_still_collides() {
    let f = Fixture::new();
    f.t.write("phone/DCIM/IMG_0001.jpg", b"camera photo");
    f.t.write("phone/WhatsApp/IMG_0001.jpg", b"chat photo");
    let scan = f.t.write("phone/Downloads/scan.jpg", b"first scan");
    let out = f
        .cmd()
        .arg("add")
        .arg(f.t.path().join("phone"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // The same file, changed and added again: two entries claim one original.
    fs::write(&scan, b"second scan").unwrap();
    let out = f.cmd().arg("add").arg(&scan).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    let to = f.t.path().join("restored");
    let out = f
        .with_key("extract")
        .args(["--all", "--json", "--to"])
        .arg(&to)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read(to.join("DCIM/IMG_0001.jpg")).unwrap(),
        b"camera photo"
    );
    assert_eq!(
        fs::read(to.join("WhatsApp/IMG_0001.jpg")).unwrap(),
        b"chat photo"
    );
    let mut scans = vec![
        fs::read(to.join("Downloads/scan.jpg")).unwrap(),
        fs::read(to.join("Downloads/scan (2).jpg")).unwrap(),
    ];
    scans.sort();
    assert_eq!(scans, vec![b"first scan".to_vec(), b"second scan".to_vec()]);
    let lines = json_lines(&out);
    let renamed: Vec<&Value> = lines
        .iter()
        .filter(|(t, d)| t == "extracted" && d["renamed"] == true)
        .map(|(_, d)| d)
        .collect();
    assert_eq!(renamed.len(), 1, "the rename is said: {lines:?}");
    assert!(
        renamed[0]["to"]["text"]
            .as_str()
            .unwrap()
            .ends_with("Downloads/scan (2).jpg")
    );
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode(&to.join("DCIM")),
        0o700,
        "folders made for documents are private"
    );
}

#[test]
#[ignore = "needs root: mounts the vault read-only (bind mount)"]
fn a_read_only_vault_is_listed_verified_and_extracted_without_a_lock_as_root() {
    require_root();
    let f = Fixture::new();
    let src = f.t.write("src/passport.jpg", &noise_bytes(7, 4000));
    let out = f
        .cmd()
        .arg("--passphrase-file")
        .arg(&f.pw)
        .arg("add")
        .arg(&src)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // Read-only media: no lock file can be made or opened for writing.
    let _ = fs::remove_file(f.vault.join("lock"));
    run_ok(
        StdCommand::new("mount")
            .arg("--bind")
            .arg(&f.vault)
            .arg(&f.vault),
    );
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = StdCommand::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(f.vault.clone());
    run_ok(
        StdCommand::new("mount")
            .args(["-o", "remount,bind,ro"])
            .arg(&f.vault),
    );
    assert!(
        fs::write(f.vault.join("probe"), b"x").is_err(),
        "mounted read-only"
    );
    let to = f.t.path().join("restored");
    for args in [
        vec!["list"],
        vec!["verify"],
        vec!["extract", "--all", "--to", to.to_str().unwrap()],
    ] {
        let out = f
            .cmd()
            .arg("--passphrase-file")
            .arg(&f.pw)
            .args(&args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(
        fs::read(to.join("passport.jpg")).unwrap(),
        noise_bytes(7, 4000)
    );
}

/// One size limit for every path (`media::limits`): a phone video that `idvault strip` cleans is
/// stored without its metadata by `vault add` (and so by `secure`), not with it. Before the
/// limits were one, `vault add` stripped only up to 256 MiB.
#[test]
fn vault_add_strips_a_video_as_large_as_strip_takes() {
    let f = Fixture::new();
    let mut mp4 = crate::util::media::mp4(640, 480, Some("Apple"));
    let size: u64 = 300 << 20;
    assert!(size < STRIP_MAX_BYTES);
    // The builder's last box is an 8-byte `mdat` header and 256 bytes; make it run to `size`.
    let mdat_at = mp4.len() - (8 + 256);
    assert_eq!(&mp4[mdat_at + 4..mdat_at + 8], b"mdat");
    let mdat_len = u32::try_from(size - mdat_at as u64).unwrap();
    mp4[mdat_at..mdat_at + 4].copy_from_slice(&mdat_len.to_be_bytes());
    let video = f.t.write("VID_20240312_101522.mp4", &mp4);
    fs::OpenOptions::new()
        .write(true)
        .open(&video)
        .unwrap()
        .set_len(size)
        .unwrap();
    run_ok(f.with_key("add").arg(&video));
    let entries = f.entries();
    let entry = entries.values().next().unwrap();
    assert_ne!(entry["stripped"], Value::Null, "{entry}");
    let to = f.t.path().join("restored");
    let out = f.extract_all(&to);
    assert!(out.status.success(), "extract failed: {}", stderr(&out));
    let back = fs::read(to.join("VID_20240312_101522.mp4")).unwrap();
    assert!(back.len() as u64 > size - 1024, "{} bytes back", back.len());
    assert!(
        !back.windows(5).any(|w| w == b"Apple"),
        "the camera make is still in the stored video"
    );
}

#[test]
fn an_interrupted_init_is_named_and_finished_by_init_with_the_same_passphrase() {
    let f = Fixture::new();
    let identity = fs::read(f.vault.join("identity.age")).unwrap();
    // As if killed just before the marker, which `init` writes last.
    fs::remove_file(f.vault.join("idvault-vault.toml")).unwrap();
    let out = f.with_key("list").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));

    let init = |pw: &Path| {
        f.cmd()
            .arg("--passphrase-file")
            .arg(pw)
            .arg("init")
            .output()
            .unwrap()
    };
    let other = secret_file(&f.t, "other-pw", b"maple gravel tundra whistle\n");
    let out = init(&other);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("unfinished vault"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fs::read(f.vault.join("identity.age")).unwrap(), identity);

    // A file merely named like idvault's temporary files is not one idvault can prove it made
    // (issue 24): the folder is not taken for an unfinished vault, and the file is kept.
    let planted = f.t.write(
        "vault/.idvault-tmp-0123456789ab",
        b"age-encryption.org/v1\n",
    );
    let out = init(&f.pw);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("not empty"), "{}", stderr(&out));
    assert_eq!(fs::read(&planted).unwrap(), b"age-encryption.org/v1\n");
    fs::remove_file(&planted).unwrap();

    let out = init(&f.pw);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read(f.vault.join("identity.age")).unwrap(),
        identity,
        "the identity it had made is kept"
    );
    let out = f
        .cmd()
        .arg("--passphrase-file")
        .arg(&f.pw)
        .arg("verify")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}
