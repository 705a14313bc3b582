//! A vault fixture for integration tests: a vault in a temp dir with a passphrase and an extra
//! age key, and helpers to run `idvault vault` against it.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output};

use serde_json::Value;

use super::{TestDir, json_lines, tool};

pub const PASSPHRASE: &str = "correct horse battery staple";

/// A vault in a temp dir, created with a passphrase and an extra age recipient whose key file
/// the tests use to read (so most commands need no scrypt).
pub struct Fixture {
    pub t: TestDir,
    pub vault: PathBuf,
    pub key: PathBuf,
    pub pw: PathBuf,
}

impl Fixture {
    pub fn new() -> Self {
        Self::in_dir(TestDir::new(), None)
    }

    /// A fixture whose vault lives at `vault` (default: `<tmp>/vault`).
    pub fn in_dir(t: TestDir, vault: Option<PathBuf>) -> Self {
        let key = t.path().join("key.txt");
        let public = write_age_key(&key);
        let pw = secret_file(
            &t,
            "pw",
            format!(
                "{PASSPHRASE}
"
            )
            .as_bytes(),
        );
        let vault = vault.unwrap_or_else(|| t.path().join("vault"));
        let f = Fixture { t, vault, key, pw };
        let out = f
            .cmd()
            .arg("init")
            .arg("--passphrase-file")
            .arg(&f.pw)
            .arg("--recipient")
            .arg(public.trim())
            .output()
            .unwrap();
        assert!(out.status.success(), "init failed: {}", stderr(&out));
        f
    }

    /// `idvault vault --vault V`.
    pub fn cmd(&self) -> StdCommand {
        vault_cmd(&self.vault)
    }

    /// `idvault vault --vault V -i key.txt SUB`.
    pub fn with_key(&self, sub: &str) -> StdCommand {
        let mut c = self.cmd();
        c.arg("-i").arg(&self.key).arg(sub);
        c
    }

    /// `idvault vault extract --all --to DIR`, run with the test key.
    pub fn extract_all(&self, to: &Path) -> Output {
        self.with_key("extract")
            .arg("--all")
            .arg("--to")
            .arg(to)
            .output()
            .unwrap()
    }

    /// The entries as listed with `list --json`, by id.
    pub fn entries(&self) -> BTreeMap<String, Value> {
        let out = self.with_key("list").arg("--json").output().unwrap();
        assert!(out.status.success(), "list failed: {}", stderr(&out));
        json_lines(&out)
            .into_iter()
            .filter(|(t, _)| t == "entry")
            .map(|(_, d)| (d["id"].as_str().unwrap().to_string(), d))
            .collect()
    }

    pub fn object(&self, id: &str) -> PathBuf {
        self.vault
            .join("objects")
            .join(&id[..2])
            .join(format!("{id}.age"))
    }

    /// Decrypts an object with the Go `age` CLI and the test key.
    pub fn age_decrypt(&self, id: &str) -> Vec<u8> {
        run_ok(
            tool("age", "age")
                .arg("-d")
                .arg("-i")
                .arg(&self.key)
                .arg(self.object(id)),
        )
        .stdout
    }

    /// Every file under the vault.
    pub fn vault_files(&self) -> Vec<PathBuf> {
        walk_files(&self.vault)
    }
}

/// Writes a new X25519 identity to `path` in the layout `age-keygen -o` gives its key files (a
/// creation comment, the public key as a comment, the secret key), and returns the public key.
///
/// Made in-process so that a vault test needs no third-party program; the tests that check
/// key files made by the Go CLI itself call `age-keygen` (and are ignored without it).
pub fn write_age_key(path: &Path) -> String {
    use age::secrecy::ExposeSecret;

    let identity = age::x25519::Identity::generate();
    let public = identity.to_public().to_string();
    let text = format!(
        "# created: 2026-01-01T00:00:00Z\n# public key: {public}\n{}\n",
        identity.to_string().expose_secret()
    );
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).unwrap();
    public
}

/// The `XDG_DATA_HOME` the tests give idvault for the vault at `vault`: a folder beside it,
/// so that trust records never land in the real user's data folder and every test's vault
/// has its own.
pub fn data_home(vault: &Path) -> PathBuf {
    let mut name = vault.file_name().unwrap_or_default().to_os_string();
    name.push("-xdg-data");
    vault.with_file_name(name)
}

/// `idvault vault --vault V` as a plain `std` command, so that it can be spawned and killed.
pub fn vault_cmd(vault: &Path) -> StdCommand {
    let mut c = StdCommand::new(env!("CARGO_BIN_EXE_idvault"));
    c.env("NO_COLOR", "1")
        .env("XDG_DATA_HOME", data_home(vault))
        .env_remove("IDVAULT_FORCE_PROGRESS")
        .env_remove("IDVAULT_PASSPHRASE_FILE")
        .env_remove("IDVAULT_VAULT")
        .arg("vault")
        .arg("--vault")
        .arg(vault);
    c
}

/// Writes a passphrase file as a user should keep one: 0600 (idvault refuses a passphrase file
/// that group or others can read, as ssh refuses such keys).
pub fn secret_file(t: &TestDir, rel: &str, bytes: &[u8]) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = t.write(rel, bytes);
    fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
    p
}

pub fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

pub fn run_ok(cmd: &mut StdCommand) -> Output {
    let out = cmd.output().expect("command runs");
    assert!(out.status.success(), "{cmd:?} failed: {}", stderr(&out));
    out
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
