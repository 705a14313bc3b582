//! `idvault secure` end to end: a folder mixing documents, a screen recording, screenshots and
//! ordinary photos; dry run, apply, and a SIGKILL sweep followed by re-runs.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output};
use std::time::{Duration, Instant};

use idvault::strip;

use crate::util::media;
use crate::util::vault::{Fixture, stderr, walk_files};
use crate::util::{Noise, TestDir, fixture, json_lines};

/// Files `secure` must vault and wipe, by path under the tree.
const SENSITIVE: [&str; 4] = [
    "Downloads/passport_front.jpg",
    "Downloads/身份证.png",
    "DCIM/RPReplay_Final1712345678.MP4",
    "Screenshots/Screenshot_20240301-102201_实名认证.png",
];

/// Files it must leave byte-identical: camera photos and a plain screenshot.
const ORDINARY: [&str; 3] = [
    "DCIM/IMG_0001.jpg",
    "DCIM/IMG_0002.jpg",
    "Screenshots/Screenshot_20240302-111111.png",
];

fn build_tree(root: &Path) {
    let copy = |fixture_rel: &str, rel: &str| {
        let dest = root.join(rel);
        fs::create_dir_all(dest.parent().unwrap()).unwrap();
        fs::copy(fixture(fixture_rel), &dest).unwrap();
    };
    copy("metadata/exs-jpg-gps__DSCN0010.jpg", SENSITIVE[0]);
    copy("metadata/pil__exif.png", SENSITIVE[1]);
    copy("metadata/mex__with-gps.mp4", SENSITIVE[2]);
    copy("metadata/exs-jpg-gps__DSCN0012.jpg", ORDINARY[0]);
    copy("metadata/exs-jpg-gps__DSCN0021.jpg", ORDINARY[1]);
    fs::create_dir_all(root.join("Screenshots")).unwrap();
    fs::write(root.join(SENSITIVE[3]), media::png(40, 30, &[])).unwrap();
    fs::write(root.join(ORDINARY[2]), media::png(30, 40, &[])).unwrap();
    // Fixtures may be read-only in a checkout; users' photos are not.
    for rel in SENSITIVE.iter().chain(&ORDINARY) {
        let p = root.join(rel);
        let mut perm = fs::metadata(&p).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perm.set_readonly(false);
        fs::set_permissions(&p, perm).unwrap();
    }
}

/// Every file under `root` with its bytes.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walk_files(root)
        .into_iter()
        .map(|p| {
            let bytes = fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

/// What the vault must hold for a sensitive original: its verified stripped form.
fn expected_stored(original: &[u8]) -> Vec<u8> {
    strip::strip(original, &strip::StripOptions::default())
        .map(|s| s.data)
        .unwrap_or_else(|_| original.to_vec())
}

fn secure_cmd(f: &Fixture, tree: &Path) -> StdCommand {
    let mut c = StdCommand::new(env!("CARGO_BIN_EXE_idvault"));
    c.env("NO_COLOR", "1")
        .env("XDG_DATA_HOME", crate::util::vault::data_home(&f.vault))
        .env_remove("IDVAULT_VAULT")
        .env_remove("IDVAULT_PASSPHRASE_FILE")
        .args([
            "secure",
            "--no-content",
            "--apply",
            "--yes",
            "--json",
            "--vault",
        ])
        .arg(&f.vault)
        .arg("-i")
        .arg(&f.key)
        .arg(tree);
    c
}

/// Extracts every entry and returns the restored files by name.
fn vault_contents(f: &Fixture) -> BTreeMap<String, Vec<u8>> {
    // A new folder each time: a fixture may be extracted more than once.
    static RESTORES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RESTORES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let to = f.t.path().join(format!("restored-{n}"));
    let out = f.extract_all(&to);
    assert!(out.status.success(), "extract: {}", stderr(&out));
    snapshot(&to)
        .into_iter()
        .map(|(p, b)| (p.file_name().unwrap().to_string_lossy().into_owned(), b))
        .collect()
}

/// After a complete run: every sensitive file is in the vault exactly once, as its stripped
/// form, and gone from the tree; every ordinary file is untouched; no leftovers anywhere.
fn assert_secured(f: &Fixture, tree: &Path, before: &BTreeMap<PathBuf, Vec<u8>>) {
    let contents = vault_contents(f);
    assert_eq!(
        contents.len(),
        SENSITIVE.len(),
        "entries: {:?}",
        contents.keys()
    );
    for rel in SENSITIVE {
        let original = &before[&tree.join(rel)];
        let name = Path::new(rel).file_name().unwrap().to_string_lossy();
        assert!(
            contents[name.as_ref()] == expected_stored(original),
            "vault copy of {rel} differs from its stripped original"
        );
        assert!(!tree.join(rel).exists(), "{rel} was not removed");
    }
    let after = snapshot(tree);
    for rel in ORDINARY {
        assert!(
            after[&tree.join(rel)] == before[&tree.join(rel)],
            "{rel} changed"
        );
    }
    assert_eq!(
        after.len(),
        ORDINARY.len(),
        "unexpected files left: {:?}",
        after.keys()
    );
    assert_no_plaintext_in_vault(f);
}

/// Everything in the vault is ciphertext or its public config and lock.
fn assert_no_plaintext_in_vault(f: &Fixture) {
    for (p, bytes) in snapshot(&f.vault) {
        let name = p.file_name().unwrap().to_string_lossy();
        if name == idvault::VAULT_MARKER || name == "lock" {
            continue;
        }
        // A temporary object killed while its header was being written holds a prefix of
        // the header (the empty file being the shortest); anything else must be a whole one.
        const HEADER: &[u8] = b"age-encryption.org/v1\n";
        assert!(
            HEADER.starts_with(&bytes) || bytes.starts_with(HEADER),
            "{} is not an age file",
            p.display()
        );
    }
}

fn run(cmd: &mut StdCommand) -> Output {
    cmd.output().unwrap()
}

#[test]
fn dry_run_changes_nothing() {
    let t = TestDir::new();
    let tree = t.path().join("photos");
    build_tree(&tree);
    let before = snapshot(t.path());
    let out = run(StdCommand::new(env!("CARGO_BIN_EXE_idvault"))
        .env("NO_COLOR", "1")
        .args(["secure", "--no-content", "--json", "--vault"])
        .arg(t.path().join("vault"))
        .arg(&tree));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(snapshot(t.path()) == before, "a dry run changed the tree");
    let planned: Vec<String> = json_lines(&out)
        .into_iter()
        .filter(|(t, _)| t == "plan")
        .map(|(_, d)| d["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        planned,
        ["screen_recording", "passport", "id_card", "kyc_screenshot"],
        "plan in path order"
    );
}

#[test]
fn apply_without_yes_off_a_terminal_is_refused() {
    let f = Fixture::new();
    let tree = f.t.path().join("photos");
    build_tree(&tree);
    let before = snapshot(&tree);
    let out = run(StdCommand::new(env!("CARGO_BIN_EXE_idvault"))
        .args(["secure", "--no-content", "--apply", "--vault"])
        .arg(&f.vault)
        .arg("-i")
        .arg(&f.key)
        .arg(&tree)
        .stdin(std::process::Stdio::null()));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    assert!(snapshot(&tree) == before);
}

#[test]
fn apply_vaults_strips_verifies_and_wipes_and_a_rerun_adds_nothing() {
    let f = Fixture::new();
    let tree = f.t.path().join("photos");
    build_tree(&tree);
    let before = snapshot(&tree);
    let out = run(&mut secure_cmd(&f, &tree));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines = json_lines(&out);
    let secured: Vec<_> = lines.iter().filter(|(t, _)| t == "secured").collect();
    assert_eq!(secured.len(), SENSITIVE.len());
    for (_, d) in &secured {
        assert_eq!(d["original"], "wiped", "{d}");
        assert_eq!(d["already_vaulted"], false);
    }
    let summary = &lines.last().unwrap().1;
    assert_eq!(summary["secured"], SENSITIVE.len());
    assert_secured(&f, &tree, &before);

    // Running again finds nothing left to do and adds nothing.
    let again = run(&mut secure_cmd(&f, &tree));
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_secured(&f, &tree, &before);
}

/// Two copies of one document (the same photo saved twice) share one entry: the second copy is
/// removed only after it was compared with that entry, and both are gone.
#[test]
fn copies_of_one_document_share_one_entry_and_both_are_wiped() {
    let f = Fixture::new();
    let tree = f.t.path().join("photos");
    build_tree(&tree);
    let copy = tree.join("Downloads/passport_front (1).jpg");
    fs::copy(tree.join(SENSITIVE[0]), &copy).unwrap();
    let before = snapshot(&tree);
    let out = run(&mut secure_cmd(&f, &tree));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let secured: Vec<_> = json_lines(&out)
        .into_iter()
        .filter(|(t, _)| t == "secured")
        .collect();
    assert_eq!(secured.len(), SENSITIVE.len() + 1, "{secured:?}");
    for (_, d) in &secured {
        assert_eq!(d["original"], "wiped", "{d}");
    }
    assert!(!copy.exists() && !tree.join(SENSITIVE[0]).exists());
    // One entry for the two copies, under the name of whichever was reached first.
    let contents = vault_contents(&f);
    assert_eq!(contents.len(), SENSITIVE.len(), "{:?}", contents.keys());
    let shared: Vec<_> = ["passport_front.jpg", "passport_front (1).jpg"]
        .into_iter()
        .filter_map(|name| contents.get(name))
        .collect();
    assert_eq!(shared.len(), 1, "{:?}", contents.keys());
    assert!(*shared[0] == expected_stored(&before[&copy]));
    assert_no_plaintext_in_vault(&f);
}

/// Kills `secure --apply` at many points; after each kill nothing is lost, and a second run
/// finishes the job without duplicating entries or leaving plaintext behind.
#[test]
fn sigkill_sweep_then_rerun_loses_and_duplicates_nothing() {
    // How long an uninterrupted run takes here, to spread the kills over it.
    let probe = Fixture::new();
    let probe_tree = probe.t.path().join("photos");
    build_tree(&probe_tree);
    let start = Instant::now();
    assert!(run(&mut secure_cmd(&probe, &probe_tree)).status.success());
    let full = start.elapsed().as_millis().max(20) as u64;

    let mut rng = Noise::new(0x2545_F491_4F6C_DD1D);
    let mut killed_midway = 0;
    for round in 0..16u64 {
        let noise = rng.next_u64();
        let delay = if round == 0 {
            0
        } else {
            noise % (full + full / 4)
        };
        let f = Fixture::new();
        let tree = f.t.path().join("photos");
        build_tree(&tree);
        let before = snapshot(&tree);

        let mut child = secure_cmd(&f, &tree)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if !status.success() {
            killed_midway += 1;
        }
        // Nothing lost: each sensitive original is intact, or safely in the vault.
        let in_vault = vault_contents(&f);
        for rel in SENSITIVE {
            let p = tree.join(rel);
            let original = &before[&p];
            let intact = fs::read(&p).is_ok_and(|b| &b == original);
            let name = Path::new(rel).file_name().unwrap().to_string_lossy();
            let vaulted = in_vault
                .get(name.as_ref())
                .is_some_and(|b| *b == expected_stored(original));
            assert!(
                intact || vaulted,
                "round {round} (kill at {delay} ms): {rel} lost"
            );
        }
        assert_no_plaintext_in_vault(&f);

        let out = run(&mut secure_cmd(&f, &tree));
        assert_eq!(
            out.status.code(),
            Some(0),
            "round {round}: re-run failed: {}",
            stderr(&out)
        );
        assert_secured(&f, &tree, &before);
    }
    assert!(
        killed_midway > 0,
        "no run was interrupted: the sweep tested nothing"
    );
}
