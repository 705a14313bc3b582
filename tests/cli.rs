//! The command line as a person meets it: every destructive command's whole plan before its
//! question and the passphrase after the answer (on a pseudo-terminal, util-linux `script`),
//! what a plan leaves out, caveats once per disk, plurals, the summary after the last finding,
//! an interruption's last line, and the completion scripts and man page.

use std::ffi::OsStr;
use std::fs;
use std::process::{Command, Stdio};

use crate::hostile::{screenshot_tree, signal_and_wait, start_cmd};
use crate::util::media;
use crate::util::{TestDir, idvault, json_lines, tool};

/// Runs `idvault ARGS` on a pseudo-terminal with `typed` already typed, English, no colour,
/// the vault's default folder under `t`; returns the exit code and the terminal's transcript
/// (stdout and stderr as the person saw them, in order).
fn on_tty(t: &TestDir, args: &[&OsStr], typed: &[u8]) -> (Option<i32>, String) {
    let quote = |s: &OsStr| format!("'{}'", s.to_str().unwrap().replace('\'', "'\\''"));
    let mut line = quote(OsStr::new(env!("CARGO_BIN_EXE_idvault")));
    for a in args {
        line += " ";
        line += &quote(a);
    }
    let input = t.write(format!("typed-{}", typed.len()), typed);
    let out = tool("script", "bsdutils")
        .args(["-qec", &line, "/dev/null"])
        .env("NO_COLOR", "1")
        .env("LANG", "C")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("XDG_DATA_HOME", t.path().join("xdg-data"))
        .env("IDVAULT_NO_CACHE", "1")
        .env_remove("IDVAULT_VAULT")
        .env_remove("IDVAULT_PASSPHRASE_FILE")
        .env_remove("IDVAULT_FORCE_PROGRESS")
        .stdin(fs::File::open(input).unwrap())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Where `needle` first appears in `text`, failing with the text when it does not.
fn at(text: &str, needle: &str) -> usize {
    text.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in:\n{text}"))
}

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

/// A passport photo found by its name (no pixels needed) and a plain screenshot beside it.
fn passport_and_screenshot(t: &TestDir) -> std::path::PathBuf {
    t.copy_fixture(
        "metadata/exs-jpg-gps__DSCN0010.jpg",
        "tree/Downloads/passport_front.jpg",
    );
    t.write(
        "tree/Downloads/Screenshot_20240302-111111.png",
        &media::png(30, 40, &[]),
    );
    t.path().join("tree")
}

#[test]
fn secure_shows_its_whole_plan_before_asking_and_the_passphrase_after_yes() {
    let t = TestDir::new();
    let tree = passport_and_screenshot(&t);
    let vault = t.path().join("vault");
    let (code, screen) = on_tty(
        &t,
        &[
            os("secure"),
            os("--apply"),
            os("--no-content"),
            os("--vault"),
            vault.as_os_str(),
            tree.as_os_str(),
        ],
        b"y\nnew pass phrase\nnew pass phrase\n",
    );
    assert_eq!(code, Some(0), "{screen}");
    let plan = at(&screen, "Plan: 1 file to secure");
    let item = at(&screen, "passport_front.jpg");
    let left_out = at(&screen, "Left out: 1 finding");
    let question = at(&screen, "[y/N]");
    let passphrase = at(&screen, "New vault passphrase");
    assert!(plan < item && item < left_out, "{screen}");
    assert!(
        left_out < question,
        "the plan ends before the question:\n{screen}"
    );
    assert!(
        question < passphrase,
        "the passphrase after the yes:\n{screen}"
    );
    assert_eq!(screen.matches("[y/N]").count(), 1, "{screen}");
    assert!(vault.join("idvault-vault.toml").exists());
    assert!(!tree.join("Downloads/passport_front.jpg").exists());
    assert!(
        tree.join("Downloads/Screenshot_20240302-111111.png")
            .exists()
    );
}

#[test]
fn secure_answered_no_asks_no_passphrase_and_changes_nothing() {
    let t = TestDir::new();
    let tree = passport_and_screenshot(&t);
    let vault = t.path().join("vault");
    let (code, screen) = on_tty(
        &t,
        &[
            os("secure"),
            os("--apply"),
            os("--no-content"),
            os("--vault"),
            vault.as_os_str(),
            tree.as_os_str(),
        ],
        b"n\n",
    );
    assert_eq!(code, Some(1), "{screen}");
    assert!(at(&screen, "passport_front.jpg") < at(&screen, "[y/N]"));
    assert!(!screen.contains("passphrase"), "{screen}");
    assert!(!vault.exists());
    assert!(tree.join("Downloads/passport_front.jpg").exists());
}

#[test]
fn wipe_shows_every_planned_file_before_asking() {
    let t = TestDir::new();
    let files: Vec<_> = (0..3)
        .map(|i| t.write(format!("f/doc{i}.jpg"), format!("document {i}").as_bytes()))
        .collect();
    let mut args = vec![os("wipe"), os("--apply")];
    args.extend(files.iter().map(|f| f.as_os_str()));
    let (code, screen) = on_tty(&t, &args, b"n\n");
    assert_eq!(code, Some(1), "{screen}");
    let question = at(&screen, "Wipe 3 files");
    for i in 0..3 {
        assert!(at(&screen, &format!("doc{i}.jpg")) < question, "{screen}");
    }
    assert!(at(&screen, "[y/N]") > question);
    assert!(files.iter().all(|f| f.exists()));
}

#[test]
fn strip_in_place_lists_its_files_before_asking() {
    let t = TestDir::new();
    let a = t.copy_fixture("metadata/exs-jpg-gps__DSCN0010.jpg", "p/a.jpg");
    let b = t.copy_fixture("metadata/exs-jpg-gps__DSCN0012.jpg", "p/b.jpg");
    let before = (fs::read(&a).unwrap(), fs::read(&b).unwrap());
    let (code, screen) = on_tty(
        &t,
        &[os("strip"), os("--apply"), t.path().join("p").as_os_str()],
        b"n\n",
    );
    assert_eq!(code, Some(1), "{screen}");
    let question = at(&screen, "[y/N]");
    assert!(at(&screen, "Strip metadata in place from 2 files") < question);
    assert!(at(&screen, "a.jpg") < question && at(&screen, "b.jpg") < question);
    assert_eq!((fs::read(&a).unwrap(), fs::read(&b).unwrap()), before);
}

#[test]
fn vault_add_removing_originals_shows_its_plan_before_asking() {
    let t = TestDir::new();
    let vault = t.path().join("vault");
    let pw = crate::util::vault::secret_file(
        &t,
        "pw",
        format!("{}\n", crate::util::vault::PASSPHRASE).as_bytes(),
    );
    let init = idvault()
        .env("XDG_DATA_HOME", t.path().join("xdg-data"))
        .args([os("vault"), os("--vault"), vault.as_os_str(), os("init")])
        .arg("--passphrase-file")
        .arg(&pw)
        .output()
        .unwrap();
    assert!(init.status.success(), "{init:?}");
    let f = t.write("id-card.jpg", b"an id card");
    let (code, screen) = on_tty(
        &t,
        &[
            os("vault"),
            os("--vault"),
            vault.as_os_str(),
            os("add"),
            os("--remove-originals"),
            os("--apply"),
            f.as_os_str(),
        ],
        b"n\n",
    );
    assert_eq!(code, Some(1), "{screen}");
    assert!(
        at(&screen, "id-card.jpg") < at(&screen, "[y/N]"),
        "{screen}"
    );
    assert!(!screen.contains("passphrase"), "{screen}");
    assert!(f.exists());
}

#[test]
fn plans_say_what_they_leave_out_and_how_to_include_it() {
    let t = TestDir::new();
    let tree = passport_and_screenshot(&t);
    let vault = t.path().join("vault");
    let secure = |extra: &[&str]| {
        idvault()
            .env("XDG_DATA_HOME", t.path().join("xdg-data"))
            .args(["secure", "--no-content", "--vault"])
            .arg(&vault)
            .args(extra)
            .arg(&tree)
            .output()
            .unwrap()
    };
    let out = secure(&[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Left out: 1 finding of another kind or less sure (screenshot 1)"),
        "{text}"
    );
    assert!(text.contains("--kind screenshot"), "{text}");
    let json = secure(&["--json"]);
    let left: Vec<_> = json_lines(&json)
        .into_iter()
        .filter(|(ty, _)| ty == "left_out")
        .collect();
    assert_eq!(left.len(), 1, "{json:?}");
    assert_eq!(left[0].1["kind"], "screenshot");
    // Asked for, the screenshot is in the plan and nothing is left out.
    let all = secure(&["--kind", "screenshot", "--kind", "passport"]);
    let text = String::from_utf8_lossy(&all.stdout);
    assert!(text.contains("Plan: 2 files"), "{text}");
    assert!(!text.contains("Left out"), "{text}");

    // wipe: a folder without --recursive.
    let out = idvault().arg("wipe").arg(&tree).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Left out: 1 path (1 folder)"), "{text}");
    assert!(text.contains("--recursive"), "{text}");
}

#[test]
fn a_plan_explains_each_caveat_once_with_its_count() {
    let t = TestDir::new();
    let files: Vec<_> = (0..4)
        .map(|i| t.write(format!("doc{i}.jpg"), b"x"))
        .collect();
    let out = idvault().arg("wipe").args(&files).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let caveats: Vec<&str> = text.lines().filter(|l| l.starts_with("  - ")).collect();
    let mut unique = caveats.clone();
    unique.dedup();
    assert_eq!(caveats, unique, "{text}");
    // Whatever this disk's caveats are, each is said for all four files at once.
    for c in &caveats {
        assert!(c.ends_with("(4 files)"), "{text}");
    }
    assert!(!text.contains("cannot guarantee:"), "{text}");
}

#[test]
fn counts_of_one_are_singular() {
    let t = TestDir::new();
    let f = t.write("one/a.png", &media::png(8, 8, &[]));
    let scan = idvault()
        .args(["scan", "--no-content"])
        .arg(t.path().join("one"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&scan.stderr);
    assert!(err.contains("1 file scanned in"), "{err}");
    assert!(err.contains(": 0 findings"), "{err}");
    let wipe = idvault().arg("wipe").arg(&f).output().unwrap();
    let err = String::from_utf8_lossy(&wipe.stderr);
    assert!(err.contains("Plan: 1 file to wipe"), "{err}");
    let link = t.path().join("link");
    std::os::unix::fs::symlink(&f, &link).unwrap();
    let scan = idvault()
        .args(["scan", "--no-content"])
        .arg(t.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&scan.stderr);
    assert!(err.contains("1 symlink not followed"), "{err}");
}

#[test]
fn the_summary_comes_after_the_last_finding() {
    let t = TestDir::new();
    for i in 0..40 {
        t.write(
            format!("s/Screenshot_20240302-1111{i:02}.png"),
            &media::png(20, 30, &[]),
        );
    }
    // stdout and stderr into one file, as on a terminal.
    let log = t.path().join("log");
    let file = fs::File::create(&log).unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_idvault"))
        .env("NO_COLOR", "1")
        .env("IDVAULT_NO_CACHE", "1")
        .env("LANG", "C")
        .args(["scan", "--no-content"])
        .arg(t.path().join("s"))
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .status()
        .unwrap();
    assert!(status.success());
    let text = fs::read_to_string(&log).unwrap();
    let summary = at(&text, "40 files scanned");
    assert!(
        text.rfind("Screenshot_").unwrap() < summary,
        "a finding after the summary:\n{text}"
    );
}

#[test]
fn ctrl_c_during_a_scan_or_a_plan_says_interrupted() {
    let t = TestDir::new();
    let dir = screenshot_tree(&t, 150);
    let vault = t.path().join("vault");
    for args in [
        vec![os("scan"), dir.as_os_str()],
        vec![
            os("secure"),
            os("--vault"),
            vault.as_os_str(),
            os("--kind"),
            os("screenshot"),
            dir.as_os_str(),
        ],
    ] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_idvault"));
        cmd.args(&args)
            .env("LANG", "C")
            .env("XDG_DATA_HOME", t.path().join("xdg-data"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = start_cmd(cmd);
        let (code, _) = signal_and_wait(&mut child, &[libc::SIGINT]);
        assert_eq!(code, Some(130), "{args:?} was still running");
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        // Its own last line, or, when a file in hand outlasted the grace period (a loaded
        // machine), the watchdog's.
        assert!(
            text.contains("Interrupted") || text.contains("idvault: interrupted: stopped at once"),
            "{args:?}:\n{text}"
        );
    }
}

#[test]
fn completion_scripts_name_every_subcommand() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = idvault().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}: {out:?}");
        let script = String::from_utf8(out.stdout).unwrap();
        for sub in ["scan", "strip", "wipe", "vault", "secure", "review", "man"] {
            assert!(script.contains(sub), "{shell} lacks {sub}");
        }
    }
    let bash = idvault().args(["completions", "bash"]).output().unwrap();
    let bash = String::from_utf8(bash.stdout).unwrap();
    assert!(bash.contains("complete -F _idvault"), "{bash}");
    assert!(bash.contains("--remove-originals"), "vault add's flags");
}

#[test]
#[ignore = "needs bash (bash)"]
fn bash_accepts_the_completion_script() {
    let t = TestDir::new();
    let out = idvault().args(["completions", "bash"]).output().unwrap();
    let script = t.write("idvault.bash", &out.stdout);
    // Sourcing it defines the completion; `complete -p` then shows it.
    let check = tool("bash", "bash")
        .arg("-c")
        .arg(format!(". '{}' && complete -p idvault", script.display()))
        .output()
        .unwrap();
    assert!(check.status.success(), "{check:?}");
    assert!(String::from_utf8_lossy(&check.stdout).contains("_idvault"));
}

#[test]
fn the_man_page_is_roff_naming_every_subcommand() {
    let out = idvault().arg("man").output().unwrap();
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".TH idvault 1"), "{page}");
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", ".SH SUBCOMMANDS"] {
        assert!(page.contains(section), "{section}");
    }
    for sub in [
        "scan",
        "strip",
        "wipe",
        "vault",
        "secure",
        "review",
        "completions",
    ] {
        assert!(page.contains(&format!("idvault\\-{sub}")), "{sub}");
    }
}

#[test]
#[ignore = "needs man (man-db)"]
fn man_renders_the_man_page_without_warnings() {
    let t = TestDir::new();
    let out = idvault().arg("man").output().unwrap();
    let page = t.write("idvault.1", &out.stdout);
    let shown = tool("man", "man-db")
        .args(["--warnings", "-l"])
        .arg(&page)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "80")
        .output()
        .unwrap();
    assert!(shown.status.success(), "{shown:?}");
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(
        text.contains("SYNOPSIS") && text.contains("secure"),
        "{text}"
    );
    assert!(
        shown.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
}
