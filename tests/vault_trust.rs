//! Attacks on a vault by someone who can write its folder but does not hold the passphrase
//! (a synced folder, a shared disk, another local user), each reproduced with the Go `age`
//! CLI as such a writer would, and each asserted to be refused or reported with no original
//! lost. Also the lower-severity items of the same review: folder modes, extract modes,
//! leftover temporary files, a damaged manifest, non-UTF-8 passphrases.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output, Stdio};

use idvault::vault::Config;
use serde_json::{Value, json};

use crate::util::media;
use crate::util::vault::{
    Fixture, PASSPHRASE, data_home, run_ok, secret_file, stderr, vault_cmd, walk_files,
};
use crate::util::{TestDir, json_lines, tool};

/// An age key pair made with the Go CLI: the key file and its public recipient.
fn keypair(t: &TestDir, name: &str) -> (PathBuf, String) {
    let key = t.path().join(name);
    run_ok(tool("age-keygen", "age").arg("-o").arg(&key));
    let public = run_ok(tool("age-keygen", "age").arg("-y").arg(&key)).stdout;
    (key, String::from_utf8(public).unwrap().trim().to_string())
}

/// Encrypts `plain` to every recipient of the vault's config with the Go CLI, as a writer
/// without the passphrase can.
fn age_encrypt(f: &Fixture, plain: &[u8]) -> Vec<u8> {
    let mut cmd = tool("age", "age");
    for r in config(f).recipients {
        cmd.arg("-r").arg(r);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("age runs");
    child.stdin.take().unwrap().write_all(plain).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "age -r failed");
    out.stdout
}

fn config(f: &Fixture) -> Config {
    Config::parse(&fs::read_to_string(f.vault.join("idvault-vault.toml")).unwrap()).unwrap()
}

/// Rewrites the config's recipient list the way an attacker would: by editing the TOML.
fn set_recipients(f: &Fixture, recipients: &[String]) {
    let path = f.vault.join("idvault-vault.toml");
    let text = fs::read_to_string(&path).unwrap();
    let quoted: Vec<String> = recipients.iter().map(|r| format!("{r:?}")).collect();
    let line = format!("recipients = [{}]", quoted.join(", "));
    let edited: Vec<String> = text
        .lines()
        .map(|l| {
            if l.starts_with("recipients") {
                line.clone()
            } else {
                l.to_string()
            }
        })
        .collect();
    fs::write(&path, edited.join("\n") + "\n").unwrap();
}

/// `idvault vault --vault V --passphrase-file PW SUB`.
fn with_pass(f: &Fixture, sub: &str) -> StdCommand {
    let mut c = f.cmd();
    c.arg("--passphrase-file").arg(&f.pw).arg(sub);
    c
}

fn sha256_hex(bytes: &[u8]) -> String {
    let t = TestDir::new();
    let p = t.write("h", bytes);
    idvault::vault::sha256_file(&p).unwrap().sha256
}

/// A PNG that `secure` finds by its name, with a text chunk that stripping removes.
fn passport_png() -> Vec<u8> {
    media::png(
        64,
        48,
        &[media::png_chunk(b"tEXt", b"Comment\0scanned at the bank")],
    )
}

/// What the vault must hold for an original: its stripped form.
fn stored_form(original: &[u8]) -> Vec<u8> {
    idvault::strip::strip(original, &idvault::strip::StripOptions::default())
        .map(|s| s.data)
        .unwrap_or_else(|_| original.to_vec())
}

/// Entries by id, read with the test key.
fn entries(f: &Fixture) -> Vec<Value> {
    f.entries().into_values().collect()
}

/// Plants an entry as a writer without the passphrase can: an object holding `content` and a
/// `.meta.age` claiming it holds an original with `original_sha256` at `original`, both
/// encrypted to the vault's public key with the Go CLI. Returns its id.
fn plant(f: &Fixture, content: &[u8], original: &Path, original_sha256: &str) -> String {
    plant_with(f, &"deadbeef".repeat(4), content, original, |e| {
        e["original_sha256"] = json!(original_sha256);
    })
}

/// [`plant`] with the id `id` and the metadata as `edit` leaves it (it starts out consistent
/// with `content` and with the file at `original`, which must exist).
fn plant_with(
    f: &Fixture,
    id: &str,
    content: &[u8],
    original: &Path,
    edit: impl FnOnce(&mut Value),
) -> String {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::metadata(original).unwrap();
    let mut entry = json!({
        "id": id,
        "added": 1_700_000_000,
        "original": {"text": original.to_str().unwrap()},
        "size": content.len(),
        "mtime": meta.mtime(),
        "mtime_nsec": meta.mtime_nsec(),
        "mode": 0o644,
        "sha256": sha256_hex(content),
        "original_sha256": sha256_hex(content),
        "detected": null,
        "stripped": {"removed": ["EXIF"]},
    });
    edit(&mut entry);
    let id = id.to_string();
    let fan = f.vault.join("objects").join(&id[..2]);
    fs::create_dir_all(&fan).unwrap();
    fs::write(fan.join(format!("{id}.age")), age_encrypt(f, content)).unwrap();
    fs::write(
        fan.join(format!("{id}.meta.age")),
        age_encrypt(f, entry.to_string().as_bytes()),
    )
    .unwrap();
    id
}

fn secure_apply(f: &Fixture, tree: &Path) -> Output {
    StdCommand::new(env!("CARGO_BIN_EXE_idvault"))
        .env("NO_COLOR", "1")
        .env("XDG_DATA_HOME", data_home(&f.vault))
        .env_remove("IDVAULT_VAULT")
        .env_remove("IDVAULT_PASSPHRASE_FILE")
        .args(["secure", "--no-content", "--apply", "--yes", "--json"])
        .arg("--vault")
        .arg(&f.vault)
        .arg("-i")
        .arg(&f.key)
        .arg(tree)
        .output()
        .unwrap()
}

/// Every entry holding `path`, decrypted with the Go CLI.
fn copies_of(f: &Fixture, path: &Path) -> Vec<Vec<u8>> {
    entries(f)
        .iter()
        .filter(|e| e["path"]["text"].as_str() == path.to_str())
        .map(|e| f.age_decrypt(e["id"].as_str().unwrap()))
        .collect()
}

#[test]
#[ignore = "needs age, age-keygen (age)"]
fn a_recipient_slipped_into_the_config_is_refused_by_add_and_caught_by_the_seal() {
    let f = Fixture::new();
    let (attacker_key, attacker) = keypair(&f.t, "attacker.txt");
    let genuine = config(&f).recipients;
    let src = f.t.write("src/passport.jpg", b"passport scan bytes");

    for tampered in [
        [genuine.clone(), vec![attacker.clone()]].concat(),
        vec![attacker.clone()],
    ] {
        set_recipients(&f, &tampered);
        // Adding needs no passphrase, so it checks the pin on this machine.
        let out = f.cmd().arg("add").arg(&src).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("recipients differ from the ones pinned") || err.contains("belongs to"),
            "{err}"
        );
        assert!(
            f.vault_files()
                .iter()
                .all(|p| !p.to_string_lossy().ends_with(".age")
                    || !p.starts_with(f.vault.join("objects"))),
            "nothing was encrypted"
        );
        // With the passphrase, the seal shows the change for what it is.
        let out = with_pass(&f, "verify").output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("fails its seal"), "{}", stderr(&out));
        let out = with_pass(&f, "repair").output().unwrap();
        assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(
            !f.vault.join("manifest.age").exists(),
            "no manifest written"
        );
    }
    assert_eq!(fs::read(&src).unwrap(), b"passport scan bytes");

    // On a machine that never saw the vault, adding is refused until the seal was checked.
    set_recipients(&f, &[genuine.clone(), vec![attacker.clone()]].concat());
    let elsewhere = f.t.path().join("other-machine");
    let out = f
        .cmd()
        .env("XDG_DATA_HOME", &elsewhere)
        .arg("add")
        .arg(&src)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("not yet trusted"), "{}", stderr(&out));
    let out = with_pass(&f, "verify")
        .env("XDG_DATA_HOME", &elsewhere)
        .output()
        .unwrap();
    assert!(stderr(&out).contains("fails its seal"), "{}", stderr(&out));

    // Put back, the genuine config works there once unlocked, and the attacker reads nothing.
    set_recipients(&f, &genuine);
    let out = with_pass(&f, "verify")
        .env("XDG_DATA_HOME", &elsewhere)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = f
        .cmd()
        .env("XDG_DATA_HOME", &elsewhere)
        .arg("add")
        .arg(&src)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    for e in entries(&f) {
        let denied = tool("age", "age")
            .arg("-d")
            .arg("-i")
            .arg(&attacker_key)
            .arg(f.object(e["id"].as_str().unwrap()))
            .output()
            .unwrap();
        assert!(
            !denied.status.success(),
            "the attacker's key opens an entry"
        );
    }
}

#[test]
fn an_open_vault_folder_is_narrowed_at_init_and_on_every_open() {
    let t = TestDir::new();
    let v = t.path().join("v");
    fs::create_dir(&v).unwrap();
    fs::set_permissions(&v, fs::Permissions::from_mode(0o777)).unwrap();
    let pw = secret_file(&t, "pw", b"open folder pass\n");
    let out = vault_cmd(&v)
        .arg("--passphrase-file")
        .arg(&pw)
        .arg("init")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&v), 0o700);
    for p in walk_files(&v) {
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
    // Widened later (say, by a sync client): the next command narrows it again.
    fs::set_permissions(&v, fs::Permissions::from_mode(0o777)).unwrap();
    fs::set_permissions(v.join("objects"), fs::Permissions::from_mode(0o775)).unwrap();
    let src = t.write("a.jpg", b"x");
    let out = vault_cmd(&v).arg("add").arg(&src).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(mode(&v), 0o700);
    assert_eq!(mode(&v.join("objects")), 0o700);
    let trust = data_home(&v).join("idvault").join("trust");
    assert_eq!(mode(&trust), 0o700, "trust records are private");
    for p in walk_files(&trust) {
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
}

#[test]
#[ignore = "needs age (age)"]
fn a_planted_entry_never_makes_secure_destroy_an_original() {
    let f = Fixture::new();
    let tree = f.t.path().join("home");
    let photo = passport_png();
    let path = f.t.write("home/Pictures/passport_scan.png", &photo);
    let id = plant(&f, b"garbage", &path, &sha256_hex(&photo));

    let out = secure_apply(&f, &tree);
    let lines = json_lines(&out);
    let secured: Vec<&Value> = lines
        .iter()
        .filter(|(t, _)| t == "secured")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(secured.len(), 1, "{}", stderr(&out));
    let s = secured[0];
    assert_eq!(s["impostors"][0]["id"], id.as_str(), "{s}");
    assert_ne!(s["entry"], id.as_str(), "the planted entry was not used");
    assert_eq!(out.status.code(), Some(1), "the attack is reported");
    // The original is gone only because a genuine copy is in the vault: the Go CLI opens it.
    assert!(!path.exists() || fs::read(&path).unwrap() == photo);
    let copies = copies_of(&f, &path);
    assert!(
        copies.contains(&stored_form(&photo)),
        "no genuine copy of the original in the vault"
    );
}

#[test]
#[ignore = "needs age (age)"]
fn a_planted_entry_never_makes_add_remove_originals_destroy_an_original() {
    let f = Fixture::new();
    let photo = passport_png();
    let path = f.t.write("src/passport_scan.png", &photo);
    let abs = std::path::absolute(&path).unwrap();
    let id = plant(&f, b"garbage", &abs, &sha256_hex(&photo));
    let out = f
        .with_key("add")
        .args(["--remove-originals", "--apply", "--yes", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    let lines = json_lines(&out);
    let problem = lines
        .iter()
        .find(|(t, d)| t == "problem" && d["id"] == id.as_str());
    assert!(problem.is_some(), "the impostor is reported: {lines:?}");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(!path.exists() || fs::read(&path).unwrap() == photo);
    assert!(copies_of(&f, &abs).contains(&stored_form(&photo)));
}

#[test]
fn a_rolled_back_manifest_is_detected() {
    let f = Fixture::new();
    let a = f.t.write("src/a.jpg", b"first document");
    let b = f.t.write("src/b.jpg", b"second document");
    let out = with_pass(&f, "add").arg(&a).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let old = fs::read(f.vault.join("manifest.age")).unwrap();
    let out = with_pass(&f, "add").arg(&b).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let newest = entries(&f)
        .into_iter()
        .find(|e| e["path"]["text"].as_str() == b.to_str())
        .unwrap();
    let id = newest["id"].as_str().unwrap();
    // The attacker deletes the newest entry and puts the older manifest back.
    fs::remove_file(f.object(id)).unwrap();
    fs::remove_file(f.object(id).with_extension("meta.age")).unwrap();
    fs::write(f.vault.join("manifest.age"), &old).unwrap();

    for verify in [with_pass(&f, "verify"), f.with_key("verify")] {
        let mut verify = verify;
        let out = verify.output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        assert!(all.contains("rollback"), "{all}");
    }
    // Nothing is written over it, and no original goes while it stands.
    let c = f.t.write("src/c.jpg", b"third document");
    let out = with_pass(&f, "add")
        .args(["--remove-originals", "--apply", "--yes"])
        .arg(&c)
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("rollback"), "{}", stderr(&out));
    assert_eq!(fs::read(&c).unwrap(), b"third document");
    // repair, with the passphrase, accepts what is there and seals it above the old number,
    // naming the entry the rollback hid (the last sealed manifest held it) and exiting 1.
    let out = with_pass(&f, "repair").arg("--json").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let lost: Vec<(String, Value)> = json_lines(&out)
        .into_iter()
        .filter(|(t, d)| t == "problem" && d["problem"].as_str().unwrap().starts_with("lost"))
        .collect();
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert_eq!(lost[0].1["id"], id);
    let out = with_pass(&f, "verify").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
#[ignore = "needs age (age)"]
fn a_forged_manifest_is_reported_and_entries_added_without_the_passphrase_are_unsealed() {
    let f = Fixture::new();
    let a = f.t.write("src/a.jpg", b"first document");
    let out = with_pass(&f, "add").arg(&a).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // Added without the passphrase: listed as unsealed until a command unlocks the vault.
    let b = f.t.write("src/b.jpg", b"second document");
    let out = f.cmd().arg("add").arg(&b).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = f.with_key("list").arg("--json").output().unwrap();
    let unsealed = json_lines(&out)
        .into_iter()
        .filter(|(t, _)| t == "unsealed")
        .count();
    assert_eq!(unsealed, 1);
    // Reading never seals, not even with the passphrase; a write command with it does.
    let out = with_pass(&f, "list").arg("--json").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        json_lines(&out).iter().any(|(t, _)| t == "unsealed"),
        "list with the passphrase sealed nothing"
    );
    let out = with_pass(&f, "repair").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = with_pass(&f, "list").arg("--json").output().unwrap();
    assert!(
        json_lines(&out).iter().all(|(t, _)| t != "unsealed"),
        "checked and sealed by repair"
    );

    // Manifests made by the attacker, encrypted to the public key with the Go CLI: one with a
    // made-up seal, one without a seal that drops the newest entry and claims a high
    // generation (with the entry's files deleted too).
    let forged = json!({"format": 1, "generation": 999, "entries": [], "seal": "ab".repeat(32)});
    fs::write(
        f.vault.join("manifest.age"),
        age_encrypt(&f, forged.to_string().as_bytes()),
    )
    .unwrap();
    let out = with_pass(&f, "verify").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout.contains("fails its seal"), "{stdout}");
    // Without the passphrase the seal cannot be checked, and verify says so.
    let out = f.with_key("verify").output().unwrap();
    assert!(
        stderr(&out).contains("seals not checked"),
        "{}",
        stderr(&out)
    );
    let out = with_pass(&f, "repair").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let newest = entries(&f)
        .into_iter()
        .find(|e| e["path"]["text"].as_str() == b.to_str())
        .unwrap();
    let id = newest["id"].as_str().unwrap().to_string();
    fs::remove_file(f.object(&id)).unwrap();
    fs::remove_file(f.object(&id).with_extension("meta.age")).unwrap();
    let unsealed = json!({"format": 1, "generation": 999, "entries": []});
    fs::write(
        f.vault.join("manifest.age"),
        age_encrypt(&f, unsealed.to_string().as_bytes()),
    )
    .unwrap();
    for verify in [with_pass(&f, "verify"), f.with_key("verify")] {
        let mut verify = verify;
        let out = verify.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(stdout.contains("lost it"), "{stdout}");
    }
}

#[test]
fn a_truncated_manifest_falls_back_to_the_entries_and_names_repair() {
    let f = Fixture::new();
    let a = f.t.write("src/a.jpg", b"first document");
    let out = with_pass(&f, "add").arg(&a).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let m = f.vault.join("manifest.age");
    let bytes = fs::read(&m).unwrap();
    fs::write(&m, &bytes[..bytes.len() / 2]).unwrap();
    for sub in ["list", "verify"] {
        let out = f.with_key(sub).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{sub}: {}", stderr(&out));
        assert!(stdout.contains("vault repair"), "{sub}: {stdout}");
    }
    let out = f.with_key("list").arg("--json").output().unwrap();
    assert_eq!(
        json_lines(&out)
            .iter()
            .filter(|(t, _)| t == "entry")
            .count(),
        1
    );
    let to = f.t.path().join("restored");
    let out = f.extract_all(&to);
    assert!(
        stderr(&out).contains("vault repair")
            || String::from_utf8_lossy(&out.stdout).contains("vault repair")
    );
    assert_eq!(fs::read(to.join("a.jpg")).unwrap(), b"first document");
    let out = f.with_key("repair").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = with_pass(&f, "verify").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn extract_writes_private_folders_and_files() {
    let f = Fixture::new();
    let src = f.t.write("src/id.jpg", b"id card");
    fs::set_permissions(&src, fs::Permissions::from_mode(0o644)).unwrap();
    let out = f.cmd().arg("add").arg(&src).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let to = f.t.path().join("new/restored");
    let out = f.extract_all(&to);
    assert!(out.status.success(), "{}", stderr(&out));
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&to), 0o700);
    assert_eq!(mode(&f.t.path().join("new")), 0o700);
    assert_eq!(mode(&to.join("id.jpg")), 0o600);
}

/// `idvault ARGS` with the fixture's data folder (where idvault keeps the key that marks its
/// own temporary and leftover names), spawned in the background.
fn spawn_own(f: &Fixture, args: &[&std::ffi::OsStr]) -> std::process::Child {
    StdCommand::new(env!("CARGO_BIN_EXE_idvault"))
        .env("NO_COLOR", "1")
        .env("XDG_DATA_HOME", data_home(&f.vault))
        .env_remove("IDVAULT_VAULT")
        .env_remove("IDVAULT_PASSPHRASE_FILE")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// SIGKILLs `child` as soon as a file named `prefix…` that is not in `except` appears in `dir`,
/// and gives that file. Fails if the child ends first.
fn kill_when_appears(
    mut child: std::process::Child,
    dir: &Path,
    prefix: &str,
    except: &[PathBuf],
) -> PathBuf {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let found = fs::read_dir(dir).ok().and_then(|d| {
            d.flatten().map(|e| e.path()).find(|p| {
                !except.contains(p)
                    && p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
            })
        });
        if let Some(p) = found {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            assert!(p.exists(), "the run ended before it could be killed");
            return p;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "ended before a {prefix}… file appeared in {}",
            dir.display()
        );
        assert!(std::time::Instant::now() < deadline, "no {prefix}… file");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// Issue 24 point 6: idvault removes only leftovers it can prove it made (a keyed mark in the
/// name, bound to the folder), never a file because of its name. The user's own files named
/// like leftovers survive `scan`, `secure` (with and without `--keep-originals`) and `vault add`,
/// and are named in a note; idvault's own, left by a SIGKILL, are still removed.
#[test]
fn only_leftovers_idvault_proves_it_made_are_removed() {
    let f = Fixture::new();
    let tree = f.t.path().join("home");
    // The user's files that merely carry idvault's names.
    let user_tmp =
        f.t.write("home/restored/.idvault-tmp-0123456789ab", b"my notes");
    let user_wipe =
        f.t.write("home/.idvault-wipe-abcdefabcdef0123", b"my other notes");
    // idvault's own: a wipe SIGKILLed while it overwrites leaves a marked leftover.
    let big = f.t.write("home/big.bin", &vec![0x5a; 48 << 20]);
    let child = spawn_own(
        &f,
        &[
            "wipe".as_ref(),
            "--apply".as_ref(),
            "--yes".as_ref(),
            "--passes".as_ref(),
            "3".as_ref(),
            big.as_os_str(),
        ],
    );
    let own_wipe = kill_when_appears(
        child,
        &tree,
        ".idvault-wipe-",
        std::slice::from_ref(&user_wipe),
    );
    assert!(!big.exists());

    let out = StdCommand::new(env!("CARGO_BIN_EXE_idvault"))
        .env("NO_COLOR", "1")
        .env("IDVAULT_NO_CACHE", "1")
        .env("XDG_DATA_HOME", data_home(&f.vault))
        .args(["scan", "--no-content", "--json"])
        .arg(&tree)
        .output()
        .unwrap();
    let lines = json_lines(&out);
    let leftovers: Vec<&str> = lines
        .iter()
        .filter(|(t, _)| t == "leftover")
        .map(|(_, d)| d["path"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(leftovers, [own_wipe.to_str().unwrap()], "{lines:?}");
    let noted = |lines: &[(String, Value)], p: &Path| {
        lines.iter().any(|(t, d)| {
            t == "warning"
                && d["path"]["text"].as_str() == p.to_str()
                && d["message"]
                    .as_str()
                    .unwrap()
                    .contains("idvault did not make it")
        })
    };
    for p in [&user_tmp, &user_wipe] {
        assert!(
            noted(&lines, p),
            "{} named in a note: {lines:?}",
            p.display()
        );
    }
    let summary = lines.iter().find(|(t, _)| t == "summary").unwrap();
    assert_eq!(summary.1["leftovers"], 1);

    for keep in [true, false] {
        let mut cmd = StdCommand::new(env!("CARGO_BIN_EXE_idvault"));
        cmd.env("NO_COLOR", "1")
            .env("XDG_DATA_HOME", data_home(&f.vault))
            .env_remove("IDVAULT_VAULT")
            .env_remove("IDVAULT_PASSPHRASE_FILE")
            .args(["secure", "--no-content", "--apply", "--yes", "--json"])
            .arg("--vault")
            .arg(&f.vault)
            .arg("-i")
            .arg(&f.key);
        if keep {
            cmd.arg("--keep-originals");
        }
        let out = cmd.arg(&tree).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            !own_wipe.exists(),
            "secure finishes its own interrupted wipe"
        );
        assert_eq!(fs::read(&user_tmp).unwrap(), b"my notes");
        assert_eq!(fs::read(&user_wipe).unwrap(), b"my other notes");
        let lines = json_lines(&out);
        for p in [&user_tmp, &user_wipe] {
            assert!(
                noted(&lines, p),
                "{} named in a note: {lines:?}",
                p.display()
            );
        }
    }

    // In the vault: an add SIGKILLed while it writes an entry leaves a marked temporary file,
    // which the next write command removes; a planted one stays.
    let objects = f.vault.join("objects");
    fs::create_dir_all(&objects).unwrap();
    let planted = objects.join(".idvault-tmp-feedface0000");
    fs::write(&planted, b"age-encryption.org/v1\n").unwrap();
    let src = f.t.write("src/large.bin", &vec![0xa5; 48 << 20]);
    let vault_arg = f.vault.as_os_str();
    let child = spawn_own(
        &f,
        &[
            "vault".as_ref(),
            "--vault".as_ref(),
            vault_arg,
            "add".as_ref(),
            src.as_os_str(),
        ],
    );
    // The object is written in its fan-out folder under objects/.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let fan = loop {
        let fan = fs::read_dir(&objects)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.is_dir());
        if let Some(fan) = fan {
            break fan;
        }
        assert!(std::time::Instant::now() < deadline, "no entry folder");
        std::thread::sleep(std::time::Duration::from_millis(1));
    };
    let own_tmp = kill_when_appears(child, &fan, ".idvault-tmp-", &[]);
    let src2 = f.t.write("src/a.jpg", b"x");
    let out = f.cmd().arg("add").arg(&src2).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!own_tmp.exists(), "its own temporary file is removed");
    assert_eq!(fs::read(&planted).unwrap(), b"age-encryption.org/v1\n");
}

#[test]
fn a_non_utf8_passphrase_is_refused_not_altered() {
    let t = TestDir::new();
    let v = t.path().join("v");
    let pw = secret_file(&t, "pw", b"caf\xe9 cr\xe8me\n");
    let out = vault_cmd(&v)
        .arg("--passphrase-file")
        .arg(&pw)
        .arg("init")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("not valid UTF-8"), "{}", stderr(&out));
    assert!(!v.exists());
}

// ---- Second review (issue 24): the vault's memory of itself, bounded planted values,
// passphrase files. Each test below fails on the build before these fixes.

/// Turns a fresh vault into one as an idvault from before seals made it: the identity without
/// its "sealed" line (re-encrypted with the same passphrase) and the config without its seal.
fn make_legacy(f: &Fixture) {
    use age::secrecy::SecretString;
    use std::io::Read;
    let pass = SecretString::from(PASSPHRASE.to_string());
    let path = f.vault.join("identity.age");
    let id = age::scrypt::Identity::new(pass.clone());
    let bytes = fs::read(&path).unwrap();
    let mut text = String::new();
    age::Decryptor::new(&bytes[..])
        .unwrap()
        .decrypt(std::iter::once(&id as &dyn age::Identity))
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    assert!(text.contains("sealed"), "{text}");
    let legacy: String = text
        .lines()
        .filter(|l| !l.contains("sealed"))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut recipient = age::scrypt::Recipient::new(pass);
    recipient.set_work_factor(15);
    let enc = age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
        .unwrap();
    let mut out = Vec::new();
    let mut w = enc.wrap_output(&mut out).unwrap();
    w.write_all(legacy.as_bytes()).unwrap();
    w.finish().unwrap();
    fs::write(&path, out).unwrap();
    drop_seal_line(f);
}

fn drop_seal_line(f: &Fixture) {
    let path = f.vault.join("idvault-vault.toml");
    let text = fs::read_to_string(&path).unwrap();
    let kept: String = text
        .lines()
        .filter(|l| !l.starts_with("seal"))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(&path, kept).unwrap();
}

#[test]
#[ignore = "needs age (age)"]
fn a_legacy_vault_is_upgraded_completely_so_a_stripped_seal_is_caught_later() {
    let f = Fixture::new();
    make_legacy(&f);
    // A machine that never saw the vault: no trust record to fall back on.
    let elsewhere = f.t.path().join("other-machine");
    let out = with_pass(&f, "verify")
        .env("XDG_DATA_HOME", &elsewhere)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "first unlock upgrades: {}",
        stderr(&out)
    );
    // The attacker strips the seal again and slips in a recipient, on yet another machine.
    let (_, attacker) = keypair(&f.t, "attacker.txt");
    drop_seal_line(&f);
    set_recipients(&f, &[config(&f).recipients, vec![attacker]].concat());
    let third = f.t.path().join("third-machine");
    let out = with_pass(&f, "verify")
        .env("XDG_DATA_HOME", &third)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("fails its seal"), "{}", stderr(&out));
    assert!(
        config(&f).seal.is_none(),
        "nothing sealed the tampered list"
    );
}

#[test]
fn a_deleted_manifest_is_an_error_and_repair_names_every_lost_entry() {
    let f = Fixture::new();
    for name in ["a", "b", "c"] {
        f.t.write(
            format!("src/{name}.jpg"),
            format!("document {name}").as_bytes(),
        );
    }
    let out = with_pass(&f, "add")
        .arg(f.t.path().join("src"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let b = std::path::absolute(f.t.path().join("src/b.jpg")).unwrap();
    let victim = entries(&f)
        .into_iter()
        .find(|e| e["path"]["text"].as_str() == b.to_str())
        .unwrap();
    let id = victim["id"].as_str().unwrap().to_string();
    fs::remove_file(f.vault.join("manifest.age")).unwrap();
    fs::remove_file(f.object(&id)).unwrap();
    fs::remove_file(f.object(&id).with_extension("meta.age")).unwrap();

    for verify in [with_pass(&f, "verify"), f.with_key("verify")] {
        let mut verify = verify;
        let out = verify.output().unwrap();
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        assert_eq!(out.status.code(), Some(1), "{all}");
        assert!(all.contains("manifest.age is missing"), "{all}");
    }
    // Not a fresh start: a write command with the passphrase refuses to write a new manifest.
    let d = f.t.write("more/d.jpg", b"document d");
    let out = with_pass(&f, "add").arg(&d).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        !f.vault.join("manifest.age").exists(),
        "no fresh manifest hides the loss"
    );
    // repair names the lost entry and says so in its exit code.
    let out = with_pass(&f, "repair").arg("--json").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let lines = json_lines(&out);
    let lost: Vec<&Value> = lines
        .iter()
        .filter(|(t, d)| t == "problem" && d["problem"].as_str().unwrap().starts_with("lost"))
        .map(|(_, d)| d)
        .collect();
    assert_eq!(lost.len(), 1, "{lines:?}");
    assert_eq!(lost[0]["id"], id.as_str());
    assert_eq!(lost[0]["path"]["text"].as_str(), b.to_str());
    // Rebuilt: verify is clean again, with the two that remain and the one added since.
    let out = with_pass(&f, "verify").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(entries(&f).len(), 3);
}

#[test]
#[ignore = "needs age (age)"]
fn a_manifest_for_another_key_is_named_and_repair_rebuilds_it() {
    let f = Fixture::new();
    let a = f.t.write("src/a.jpg", b"first document");
    let out = with_pass(&f, "add").arg(&a).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let (_, stranger) = keypair(&f.t, "stranger.txt");
    let mut child = tool("age", "age")
        .arg("-r")
        .arg(&stranger)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"format":1,"entries":[]}"#)
        .unwrap();
    let foreign = child.wait_with_output().unwrap().stdout;
    fs::write(f.vault.join("manifest.age"), foreign).unwrap();

    let out = with_pass(&f, "list").output().unwrap();
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("manifest.age: none of this vault's keys open it"),
        "{all}"
    );
    assert!(all.contains("a.jpg"), "the entries are still listed: {all}");
    let out = with_pass(&f, "repair").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = with_pass(&f, "verify").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(entries(&f).len(), 1);
}

/// `secure --apply` with the vault passphrase (so that it can seal).
fn secure_apply_with_pass(f: &Fixture, tree: &Path) -> Output {
    StdCommand::new(env!("CARGO_BIN_EXE_idvault"))
        .env("NO_COLOR", "1")
        .env("XDG_DATA_HOME", data_home(&f.vault))
        .env_remove("IDVAULT_VAULT")
        .env_remove("IDVAULT_PASSPHRASE_FILE")
        .args(["secure", "--no-content", "--apply", "--yes", "--json"])
        .arg("--vault")
        .arg(&f.vault)
        .arg("--passphrase-file")
        .arg(&f.pw)
        .arg(tree)
        .output()
        .unwrap()
}

/// The ids `list --json` with the passphrase shows as unsealed.
fn unsealed_ids(f: &Fixture) -> Vec<String> {
    let out = with_pass(f, "list").arg("--json").output().unwrap();
    json_lines(&out)
        .into_iter()
        .filter(|(t, _)| t == "unsealed")
        .map(|(_, d)| d["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
#[ignore = "needs age (age)"]
fn reading_never_seals_and_an_impostor_is_never_sealed() {
    let f = Fixture::new();
    let tree = f.t.path().join("home");
    let photo = passport_png();
    let path = f.t.write("home/Pictures/passport_scan.png", &photo);
    let id = plant(&f, b"garbage", &path, &sha256_hex(&photo));
    // Listing, verifying and extracting with the passphrase leave it unsealed.
    for sub in ["verify", "extract"] {
        assert_eq!(unsealed_ids(&f), vec![id.clone()]);
        let mut cmd = with_pass(&f, sub);
        if sub == "extract" {
            cmd.args(["--all", "--to"]).arg(f.t.path().join("restored"));
        }
        let out = cmd.output().unwrap();
        assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
    }
    assert_eq!(unsealed_ids(&f), vec![id.clone()]);
    let out = secure_apply_with_pass(&f, &tree);
    let lines = json_lines(&out);
    let secured = lines.iter().find(|(t, _)| t == "secured").unwrap();
    assert_eq!(secured.1["impostors"][0]["id"], id.as_str(), "{lines:?}");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // The genuine entry is sealed; the impostor is not.
    assert_eq!(unsealed_ids(&f), vec![id.clone()]);
    assert!(copies_of(&f, &path).contains(&stored_form(&photo)));
}

#[test]
#[ignore = "needs age (age)"]
fn extract_restores_the_sealed_entry_when_a_planted_one_claims_its_original() {
    let f = Fixture::new();
    let photo = passport_png();
    let path = f.t.write("src/passport_scan.png", &photo);
    let abs = std::path::absolute(&path).unwrap();
    let out = with_pass(&f, "add").arg(&path).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // Planted with the same path and an earlier `added` time, consistent with itself.
    let id = plant_with(&f, &"deadbeef".repeat(4), b"planted bytes", &abs, |e| {
        e["added"] = json!(1_000_000_000);
    });
    let to = f.t.path().join("restored");
    let out = with_pass(&f, "extract")
        .args(["--all", "--json", "--to"])
        .arg(&to)
        .output()
        .unwrap();
    let lines = json_lines(&out);
    assert_eq!(
        fs::read(to.join("passport_scan.png")).unwrap(),
        stored_form(&photo),
        "the genuine entry restored under the real name: {lines:?}"
    );
    let skipped: Vec<&Value> = lines
        .iter()
        .filter(|(t, _)| t == "skipped")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(skipped.len(), 1, "{lines:?}");
    assert_eq!(skipped[0]["id"], id.as_str());
    assert_eq!(out.status.code(), Some(1), "the skip is reported");
    assert_eq!(
        walk_files(&to).len(),
        1,
        "the planted bytes were not restored anywhere"
    );
}

#[test]
#[ignore = "needs age (age)"]
fn planted_times_sizes_and_modes_are_bounded() {
    let f = Fixture::new();
    let original = f.t.write("src/id.jpg", b"id card");
    let abs = std::path::absolute(&original).unwrap();
    let late = plant_with(&f, &"dead0001".repeat(4), b"id card", &abs, |e| {
        e["mtime"] = json!(i64::MAX);
    });
    let to = f.t.path().join("restored");
    let out = f.extract_all(&to);
    assert_eq!(out.status.code(), Some(1), "no panic: {}", stderr(&out));
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(all.contains("implausible modification time"), "{all}");
    assert!(all.contains(&late), "the entry is named: {all}");
    fs::remove_file(f.object(&late)).unwrap();
    fs::remove_file(f.object(&late).with_extension("meta.age")).unwrap();

    let setuid = f.t.write("src/tool.jpg", b"tool");
    let abs = std::path::absolute(&setuid).unwrap();
    plant_with(&f, &"dead0002".repeat(4), b"tool", &abs, |e| {
        e["mode"] = json!(0o6777);
    });
    let to = f.t.path().join("restored-modes");
    let out = f
        .with_key("extract")
        .args(["--all", "--keep-modes", "--to"])
        .arg(&to)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let mode = fs::metadata(to.join("tool.jpg"))
        .unwrap()
        .permissions()
        .mode()
        & 0o7777;
    assert_eq!(
        mode, 0o755,
        "no setuid, setgid, sticky or group/other write"
    );
}

#[test]
fn a_costly_scrypt_work_factor_is_refused_at_once_with_the_file_named() {
    let f = Fixture::new();
    // The identity's scrypt stanza (`-> scrypt SALT 18`) raised to 2^20 as a writer of the
    // folder can: 1 GiB and seconds of work before the header check would fail.
    let path = f.vault.join("identity.age");
    let bytes = fs::read(&path).unwrap();
    let text_end = bytes.windows(4).position(|w| w == b"\n---").unwrap();
    let header = String::from_utf8(bytes[..text_end].to_vec()).unwrap();
    let raised: String = header
        .lines()
        .map(|l| {
            if l.starts_with("-> scrypt ") {
                let mut parts: Vec<&str> = l.split(' ').collect();
                *parts.last_mut().unwrap() = "20";
                parts.join(" ")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(raised, header, "{header}");
    let mut planted = raised.into_bytes();
    planted.extend_from_slice(&bytes[text_end..]);
    fs::write(&path, planted).unwrap();
    let out = with_pass(&f, "verify").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("identity.age"), "{err}");
    assert!(err.contains("work factor 2^20"), "{err}");
}

#[test]
fn passphrase_files_readable_by_others_fifos_and_devices_are_refused() {
    let f = Fixture::new();
    let open = f.t.write("open-pw", format!("{PASSPHRASE}\n").as_bytes());
    fs::set_permissions(&open, fs::Permissions::from_mode(0o644)).unwrap();
    let out = f
        .cmd()
        .arg("--passphrase-file")
        .arg(&open)
        .arg("verify")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("chmod 600"), "{}", stderr(&out));

    let fifo = f.t.path().join("fifo");
    run_ok(tool("mkfifo", "coreutils").arg(&fifo));
    for special in [fifo.as_path(), Path::new("/dev/zero")] {
        let mut child = f
            .cmd()
            .arg("--passphrase-file")
            .arg(special)
            .arg("verify")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break Some(s);
            }
            if std::time::Instant::now() > deadline {
                child.kill().unwrap();
                child.wait().unwrap();
                break None;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        let status = status.unwrap_or_else(|| panic!("{} hangs", special.display()));
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        assert_eq!(status.code(), Some(2), "{err}");
        assert!(err.contains("not a regular file"), "{err}");
    }
}

#[test]
fn a_weak_new_passphrase_is_refused_with_the_reason() {
    let t = TestDir::new();
    let v = t.path().join("v");
    let pw = secret_file(&t, "pw", b"a\n");
    let out = vault_cmd(&v)
        .arg("--passphrase-file")
        .arg(&pw)
        .arg("init")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("too weak"), "{}", stderr(&out));
    assert!(stderr(&out).contains("scores 0 of 4"), "{}", stderr(&out));
    assert!(!v.exists(), "nothing created");
}

#[test]
fn an_empty_vault_marker_hides_nothing_and_a_skipped_vault_is_named() {
    let f = Fixture::new();
    let photo = passport_png();
    let path = f.t.write("home/Pictures/passport_scan.png", &photo);
    // Dropped by anyone who can write the folder: it made scan, secure and review skip it.
    f.t.write("home/Pictures/idvault-vault.toml", b"");
    let out = crate::util::idvault()
        .args(["scan", "--no-content", "--json"])
        .arg(f.t.path())
        .output()
        .unwrap();
    let lines = json_lines(&out);
    assert!(
        lines
            .iter()
            .any(|(t, d)| t == "finding" && d["path"]["text"].as_str() == path.to_str()),
        "the folder with the fake marker is scanned: {lines:?}"
    );
    let named: Vec<&Value> = lines
        .iter()
        .filter(|(t, d)| t == "warning" && d["message"].as_str().unwrap().contains("vault"))
        .map(|(_, d)| d)
        .collect();
    assert_eq!(named.len(), 1, "{lines:?}");
    assert_eq!(named[0]["path"]["text"].as_str(), f.vault.to_str());
    assert_eq!(named[0]["severity"], "note");
    // Named in the summary too, not only as a note: `--json` and the human line.
    let summary = &lines.iter().find(|(t, _)| t == "summary").unwrap().1;
    assert_eq!(
        summary["skipped_vaults"],
        json!([{"text": f.vault.to_str().unwrap()}]),
        "{summary}"
    );
    let out = crate::util::idvault()
        .args(["scan", "--no-content"])
        .arg(f.t.path())
        .output()
        .unwrap();
    let vault = f.vault.to_str().unwrap();
    assert!(
        stderr(&out).contains(&format!(
            "1 vault folder skipped (encrypted entries only): {vault}"
        )),
        "{}",
        stderr(&out)
    );
    // And in `secure`'s summary (its scan part).
    let out = secure_apply(&f, f.t.path());
    let lines = json_lines(&out);
    let summary = &lines.iter().find(|(t, _)| t == "summary").unwrap().1;
    assert_eq!(
        summary["scan"]["skipped_vaults"],
        json!([{"text": vault}]),
        "{summary}"
    );
}

#[test]
fn secure_reports_how_many_entries_it_checked_and_sealed() {
    let f = Fixture::new();
    // Added without the passphrase: stored, not yet sealed.
    let earlier = f.t.write("src/earlier.jpg", b"an earlier document");
    let out = f.cmd().arg("add").arg(&earlier).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let tree = f.t.path().join("home");
    f.t.write("home/Pictures/passport_scan.png", &passport_png());
    let out = secure_apply_with_pass(&f, &tree);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&out);
    let summary = &lines.iter().find(|(t, _)| t == "summary").unwrap().1;
    assert_eq!(summary["secured"], 1, "{summary}");
    assert_eq!(
        summary["sealed"], 2,
        "the earlier entry and the new one: {summary}"
    );
    assert!(unsealed_ids(&f).is_empty());
}

#[test]
fn a_not_a_document_mark_hides_a_finding_but_the_summary_counts_it() {
    let t = TestDir::new();
    let path = t.write("home/passport_scan.png", &passport_png());
    // A mark as the review page makes it (or as anyone who can write the cache folder could).
    let cache = t.path().join("cache");
    let mut marks = idvault::fuzzing::dismissed::Marks::open(&cache.join("idvault")).unwrap();
    let mark = marks.mark_of(&path).unwrap();
    marks.set(mark, true).unwrap();
    let out = crate::util::idvault()
        .env("XDG_CACHE_HOME", &cache)
        .args(["scan", "--no-content", "--json"])
        .arg(t.path().join("home"))
        .output()
        .unwrap();
    let lines = json_lines(&out);
    let summary = &lines.iter().find(|(t, _)| t == "summary").unwrap().1;
    assert_eq!(summary["findings"], 0, "{summary}");
    assert_eq!(summary["hidden"], 1, "hidden, but counted: {summary}");
    let out = crate::util::idvault()
        .env("XDG_CACHE_HOME", &cache)
        .args(["scan", "--no-content"])
        .arg(t.path().join("home"))
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains("1 hidden by a \"Not a document\" mark"),
        "{}",
        stderr(&out)
    );
}

// ---- Attacks as a second local account (issue 24 point 7): the vault folder is writable by
// `nobody` (a shared or synced folder), who changes it with nothing but the shell; the owner
// (root here) then runs idvault. Outcomes are checked as bytes, exit codes and what the Go
// `age` CLI decrypts. Root ignores permissions, so only a switch of account makes the writes
// another account's (files owned by someone else in the vault folder).

/// Lets `nobody` reach the fixture's tree and write the vault folder (as a shared folder would),
/// then runs `script` with `sh` as `nobody` in the fixture's folder, and fails if it fails.
fn as_second_account(f: &Fixture, script: &str) {
    crate::util::require_root();
    let mut dir = f.vault.clone();
    while let Some(parent) = dir.parent() {
        let mode = fs::metadata(parent).unwrap().permissions().mode();
        fs::set_permissions(parent, fs::Permissions::from_mode(mode | 0o011)).unwrap();
        dir = parent.to_path_buf();
    }
    crate::util::give_to_nobody(&f.vault);
    let mut sh = StdCommand::new("sh");
    sh.arg("-c").arg(script).current_dir(&f.vault);
    let out = crate::util::as_nobody(&sh).output().unwrap();
    assert!(
        out.status.success(),
        "as nobody: {script}: {}",
        stderr(&out)
    );
}

/// Copies `bytes` to a file `nobody` can read, for a script to take from.
fn staged(f: &Fixture, name: &str, bytes: &[u8]) -> PathBuf {
    let p = f.t.write(format!("staging/{name}"), bytes);
    fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
    fs::set_permissions(p.parent().unwrap(), fs::Permissions::from_mode(0o755)).unwrap();
    p
}

#[test]
#[ignore = "needs root: plants the entry as user nobody; and age (age)"]
fn a_second_account_planting_an_entry_costs_no_original_as_root() {
    let f = Fixture::new();
    let tree = f.t.path().join("home");
    let photo = passport_png();
    let path = f.t.write("home/Pictures/passport_scan.png", &photo);
    // Made with the public key only (anyone can), planted by nobody.
    let id = plant(&f, b"garbage", &path, &sha256_hex(&photo));
    let fan = f.vault.join("objects").join(&id[..2]);
    let object = staged(&f, "o", &fs::read(fan.join(format!("{id}.age"))).unwrap());
    let meta = staged(
        &f,
        "m",
        &fs::read(fan.join(format!("{id}.meta.age"))).unwrap(),
    );
    fs::remove_dir_all(&fan).unwrap();
    as_second_account(
        &f,
        &format!(
            "mkdir -p objects/{fan} && cp {o} objects/{fan}/{id}.age && cp {m} objects/{fan}/{id}.meta.age",
            fan = &id[..2],
            o = object.display(),
            m = meta.display()
        ),
    );
    assert_eq!(
        fs::metadata(f.object(&id))
            .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
            .unwrap(),
        crate::util::NOBODY
    );
    let out = secure_apply_with_pass(&f, &tree);
    let lines = json_lines(&out);
    let secured = lines.iter().find(|(t, _)| t == "secured").unwrap();
    assert_eq!(secured.1["impostors"][0]["id"], id.as_str(), "{lines:?}");
    assert_ne!(secured.1["entry"], id.as_str());
    assert_eq!(
        out.status.code(),
        Some(1),
        "the attack is reported: {}",
        stderr(&out)
    );
    // No original lost: it is there, or the Go CLI opens a genuine copy.
    assert!(!path.exists() || fs::read(&path).unwrap() == photo);
    assert!(copies_of(&f, &path).contains(&stored_form(&photo)));
    // The impostor is never sealed, and extract restores the genuine bytes under the name.
    assert_eq!(unsealed_ids(&f), vec![id.clone()]);
    let to = f.t.path().join("restored");
    let out = with_pass(&f, "extract")
        .args(["--all", "--to"])
        .arg(&to)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the skipped impostor is named: {}",
        stderr(&out)
    );
    assert_eq!(
        fs::read(to.join("passport_scan.png")).unwrap(),
        stored_form(&photo)
    );
}

#[test]
#[ignore = "needs root: changes the config as user nobody; and age, age-keygen (age)"]
fn a_second_account_dropping_the_seal_and_adding_a_recipient_is_refused_as_root() {
    let f = Fixture::new();
    let a = f.t.write("src/a.jpg", b"first document");
    let out = with_pass(&f, "add").arg(&a).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // nobody's own key, made with the Go CLI; the config as nobody edits it: the seal line
    // dropped, nobody's recipient added.
    let (key, public) = keypair(&f.t, "nobody.txt");
    let mut recipients = config(&f).recipients;
    recipients.push(public);
    let quoted: Vec<String> = recipients.iter().map(|r| format!("{r:?}")).collect();
    let text: String = fs::read_to_string(f.vault.join("idvault-vault.toml"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("seal"))
        .map(|l| {
            if l.starts_with("recipients") {
                format!("recipients = [{}]\n", quoted.join(", "))
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let forged = staged(&f, "config", text.as_bytes());
    as_second_account(&f, &format!("cp {} idvault-vault.toml", forged.display()));

    // Without the passphrase: `add` writes nothing readable by nobody, and keeps the original.
    let b = f.t.write("src/b.jpg", b"second document");
    let out = f.cmd().arg("add").arg(&b).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(fs::read(&b).unwrap(), b"second document");
    // With the passphrase: the broken seal is caught, nothing is re-sealed or written.
    let out = with_pass(&f, "add").arg(&b).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(fs::read(&b).unwrap(), b"second document");
    for p in f.vault_files() {
        if p.extension().is_some_and(|e| e == "age") {
            let out = tool("age", "age")
                .arg("-d")
                .arg("-i")
                .arg(&key)
                .arg(&p)
                .output()
                .unwrap();
            assert!(!out.status.success(), "nobody's key opens {}", p.display());
        }
    }
    assert_eq!(entries(&f).len(), 1);
}

#[test]
#[ignore = "needs root: deletes vault files as user nobody; and age (age)"]
fn a_second_account_deleting_the_manifest_and_an_entry_is_detected_as_root() {
    let f = Fixture::new();
    for name in ["a", "b", "c"] {
        f.t.write(
            format!("src/{name}.jpg"),
            format!("document {name}").as_bytes(),
        );
    }
    let out = with_pass(&f, "add")
        .arg(f.t.path().join("src"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let all = entries(&f);
    let b = std::path::absolute(f.t.path().join("src/b.jpg")).unwrap();
    let id = all
        .iter()
        .find(|e| e["path"]["text"].as_str() == b.to_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let rel = f.object(&id).strip_prefix(&f.vault).unwrap().to_path_buf();
    as_second_account(
        &f,
        &format!(
            "rm manifest.age {obj} {meta}",
            obj = rel.display(),
            meta = rel.with_extension("meta.age").display()
        ),
    );
    let out = with_pass(&f, "verify").output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("manifest.age is missing"), "{text}");
    let d = f.t.write("more/d.jpg", b"document d");
    let out = with_pass(&f, "add").arg(&d).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "no fresh manifest: {}",
        stderr(&out)
    );
    assert_eq!(fs::read(&d).unwrap(), b"document d");
    let out = with_pass(&f, "repair").arg("--json").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let lost: Vec<(String, Value)> = json_lines(&out)
        .into_iter()
        .filter(|(t, d)| t == "problem" && d["problem"].as_str().unwrap().starts_with("lost"))
        .collect();
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert_eq!(lost[0].1["id"], id.as_str());
    // What remains still opens with the Go CLI, byte for byte.
    for e in entries(&f) {
        let name = Path::new(e["path"]["text"].as_str().unwrap())
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let want = format!("document {}", &name[..1]);
        assert_eq!(f.age_decrypt(e["id"].as_str().unwrap()), want.as_bytes());
    }
    // The two that remain, and d, stored by the refused `add` (its original kept) and taken
    // into the rebuilt manifest by `repair`.
    assert_eq!(entries(&f).len(), 3);
}
