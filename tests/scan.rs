//! `idvault scan` on real folders: generated files plus fixture files (`tests/data`), exact findings asserted.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use serde_json::Value;

use crate::util::media::{self, Exif};
use crate::util::{TestDir, findings_by_path, idvault, json_lines, signals};

const CAMERA_GPS_JPEG: &str = "metadata/exs-jpg-gps__DSCN0010.jpg";

/// The folder of the issue: one file per behaviour.
pub fn build_tree(t: &TestDir) {
    let screenshot_exif = Exif {
        user_comment: Some("Screenshot"),
        ..Exif::default()
    };
    t.write(
        "Camera Roll/IMG_0001.PNG",
        &media::png(
            64,
            128,
            &[media::png_chunk(b"eXIf", &screenshot_exif.tiff())],
        ),
    );
    t.write(
        "Camera Roll/RPReplay_Final1712345678.MP4",
        &media::mp4(886, 1920, None),
    );
    t.write(
        "Camera Roll/VID_20240101_120000.mp4",
        &media::mp4(1920, 1080, Some("Apple")),
    );
    let camera = fs::read(crate::util::fixture(CAMERA_GPS_JPEG)).unwrap();
    t.write("Camera Roll/IMG_2001.jpg", &camera);
    // A JPEG renamed .png, named for a passport in Chinese.
    t.write("Downloads/护照.png", &camera);
    t.write("Downloads/CamScanner 03-08-2024 16.22_6.jpg", &camera);
    t.write(
        "Screenshots/Screenshot_20240301-102201_实名认证.png",
        &media::png(32, 32, &[]),
    );
    t.write("Dropbox/身份证正面.jpg", &camera);
    // A non-UTF-8 name.
    let raw = std::ffi::OsStr::from_bytes(b"Downloads/\xff\xfepassport.jpg");
    t.write(raw, &camera);
    // A vault is never scanned (a real one: a config with recipients and an age identity; a
    // marker alone hides nothing, see vault_trust.rs).
    t.write(
        "Vault/idvault-vault.toml",
        b"format = 1\nrecipients = [\"age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\"]\n",
    );
    t.write(
        "Vault/identity.age",
        b"age-encryption.org/v1\n-> scrypt AAAA 18\n",
    );
    t.write("Vault/passport.jpg", &camera);
    // Symlinks: a loop, and a link out of the tree to a file that would be a finding.
    symlink("loop_b", t.path().join("loop_a")).unwrap();
    symlink("loop_a", t.path().join("loop_b")).unwrap();
    let outside = TestDir::new();
    let target = outside.write("passport.jpg", &camera);
    symlink(&target, t.path().join("passport-link.jpg")).unwrap();
    std::mem::forget(outside);
    // A FIFO is skipped with a note.
    let fifo = t.path().join("pipe.jpg");
    let c = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
}

fn kinds_and_signals(
    found: &std::collections::BTreeMap<String, Value>,
) -> Vec<(String, String, Vec<String>)> {
    found
        .iter()
        .map(|(p, f)| {
            (
                p.clone(),
                f["kind"].as_str().unwrap().to_string(),
                signals(f),
            )
        })
        .collect()
}

#[test]
fn scan_reports_exactly_the_sensitive_files() {
    let t = TestDir::new();
    build_tree(&t);
    let out = idvault()
        .args(["scan", "--json", "--no-content"])
        .arg(t.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let found = findings_by_path(&out, t.path());
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let expected = vec![
        (
            "Camera Roll/IMG_0001.PNG".into(),
            "screenshot".into(),
            s(&["meta.user_comment"]),
        ),
        (
            "Camera Roll/RPReplay_Final1712345678.MP4".into(),
            "screen_recording".into(),
            s(&["meta.screen_video", "name.replaykit"]),
        ),
        (
            "Downloads/CamScanner 03-08-2024 16.22_6.jpg".into(),
            "document_scan".into(),
            s(&["name.camscanner"]),
        ),
        (
            "Downloads/护照.png".into(),
            "passport".into(),
            s(&["file.extension_mismatch", "name.document_word"]),
        ),
        (
            "Dropbox/身份证正面.jpg".into(),
            "id_card".into(),
            s(&["name.document_word"]),
        ),
        (
            "Screenshots/Screenshot_20240301-102201_实名认证.png".into(),
            "kyc_screenshot".into(),
            s(&[
                "combined.kyc_screenshot",
                "name.android_screenshot",
                "name.document_word",
                "name.screenshot_folder",
            ]),
        ),
    ];
    // The non-UTF-8 name arrives as base64 bytes, not as text.
    let lines = json_lines(&out);
    let byte_paths: Vec<&Value> = lines
        .iter()
        .filter(|(t, d)| t == "finding" && d["path"].get("bytes").is_some())
        .map(|(_, d)| d)
        .collect();
    assert_eq!(byte_paths.len(), 1);
    assert_eq!(byte_paths[0]["kind"], "passport");
    let b64 = byte_paths[0]["path"]["bytes"].as_str().unwrap();
    use base64::Engine;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    assert!(decoded.ends_with(b"Downloads/\xff\xfepassport.jpg"));

    assert_eq!(kinds_and_signals(&found), expected);
    let dropbox = &found["Dropbox/身份证正面.jpg"];
    let risks: Vec<&str> = dropbox["risks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["risk"].as_str().unwrap())
        .collect();
    assert_eq!(risks, ["gps", "cloud_sync"]);
    let recording = &found["Camera Roll/RPReplay_Final1712345678.MP4"];
    assert!(recording["confidence"].as_f64().unwrap() >= 0.95);

    // Warnings: the symlink loop, the FIFO and the skipped vault are notes; nothing is an
    // error.
    let warnings: Vec<(String, String)> = lines
        .iter()
        .filter(|(t, _)| t == "warning")
        .map(|(_, d)| {
            let p = d["path"]["text"].as_str().unwrap();
            let name = Path::new(p)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (name, d["severity"].as_str().unwrap().to_string())
        })
        .collect();
    let mut warnings = warnings;
    warnings.sort();
    assert_eq!(
        warnings,
        vec![
            ("Vault".to_string(), "note".to_string()),
            ("loop_a".to_string(), "note".to_string()),
            ("loop_b".to_string(), "note".to_string()),
            ("pipe.jpg".to_string(), "note".to_string()),
        ]
    );
    let summary = &lines.last().unwrap();
    assert_eq!(summary.0, "summary");
    assert_eq!(summary.1["findings"], 7);
    assert_eq!(summary.1["symlinks_skipped"], 1);
}

#[test]
fn filters_by_kind_and_confidence() {
    let t = TestDir::new();
    build_tree(&t);
    let out = idvault()
        .args([
            "scan",
            "--json",
            "--no-content",
            "--kind",
            "screen_recording",
            "--kind",
            "passport",
        ])
        .arg(t.path())
        .output()
        .unwrap();
    let kinds: Vec<String> = json_lines(&out)
        .into_iter()
        .filter(|(t, _)| t == "finding")
        .map(|(_, d)| d["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    assert!(
        kinds
            .iter()
            .all(|k| k == "screen_recording" || k == "passport")
    );

    let out = idvault()
        .args(["scan", "--json", "--no-content", "--min-confidence", "0.9"])
        .arg(t.path())
        .output()
        .unwrap();
    for (_, d) in json_lines(&out).into_iter().filter(|(t, _)| t == "finding") {
        assert!(d["confidence"].as_f64().unwrap() >= 0.9, "{d}");
    }
}

#[test]
fn human_output_escapes_names_and_summarises() {
    let t = TestDir::new();
    t.write(
        "passport\x1b[31m.jpg",
        &fs::read(crate::util::fixture(CAMERA_GPS_JPEG)).unwrap(),
    );
    let out = idvault()
        .args(["scan", "--no-content"])
        .arg(t.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("passport\\u{1b}[31m.jpg"), "{stdout}");
    assert!(
        !stdout.contains('\x1b'),
        "raw escape reached the terminal: {stdout:?}"
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("1 file scanned in"), "{stderr}");
    assert!(
        stderr.contains(": 1 finding") && !stderr.contains("1 findings"),
        "{stderr}"
    );
}

#[test]
fn unreadable_file_is_an_error_and_exit_1() {
    let t = TestDir::new();
    let camera = fs::read(crate::util::fixture(CAMERA_GPS_JPEG)).unwrap();
    t.write("ok/passport.jpg", &camera);
    let locked = t.write("locked/id_card.jpg", &camera);
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    fs::set_permissions(t.path(), fs::Permissions::from_mode(0o755)).unwrap();
    for d in ["ok", "locked"] {
        fs::set_permissions(t.path().join(d), fs::Permissions::from_mode(0o755)).unwrap();
    }
    fs::set_permissions(
        t.path().join("ok/passport.jpg"),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    // Root reads everything: drop to `nobody` so that permissions apply.
    let bin = assert_cmd::cargo::cargo_bin("idvault");
    let mut cmd = if crate::util::is_root() {
        let mut c = crate::util::tool("setpriv", "util-linux");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin);
        c
    } else {
        std::process::Command::new(&bin)
    };
    let out = cmd
        .args(["scan", "--json", "--no-content"])
        .arg(t.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    let errors: Vec<&Value> = lines
        .iter()
        .filter(|(t, d)| t == "warning" && d["severity"] == "error")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(errors.len(), 1, "{lines:?}");
    assert!(
        errors[0]["path"]["text"]
            .as_str()
            .unwrap()
            .ends_with("locked/id_card.jpg")
    );
    let found = findings_by_path(&out, t.path());
    assert_eq!(found.keys().collect::<Vec<_>>(), vec!["ok/passport.jpg"]);
}

#[test]
fn missing_root_is_a_fatal_error() {
    let out = idvault()
        .args(["scan", "/nonexistent/idvault-test"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot scan"));
}

/// Camera photos and metadata carriers (the fixtures, or the whole corpus under
/// `IDVAULT_CORPUS`) give no finding by names and metadata alone.
#[test]
fn corpus_camera_photos_give_no_findings() {
    let out = idvault()
        .args(["scan", "--json", "--no-content"])
        .arg(crate::util::collection("metadata"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let findings: Vec<_> = json_lines(&out)
        .into_iter()
        .filter(|(t, _)| t == "finding")
        .collect();
    assert!(findings.is_empty(), "{findings:?}");
}

/// A root named on the command line that is a symlink (Termux's `~/storage/dcim`) is followed,
/// without a trailing `/`; symlinks inside it still are not. A run that scanned nothing says so.
#[test]
fn a_symlinked_root_is_followed_and_an_empty_run_says_so() {
    let t = TestDir::new();
    let camera = fs::read(crate::util::fixture(CAMERA_GPS_JPEG)).unwrap();
    t.write("storage/emulated/0/DCIM/护照.jpg", &camera);
    let outside = t.write("elsewhere/passport.jpg", &camera);
    symlink(&outside, t.path().join("storage/emulated/0/DCIM/link.jpg")).unwrap();
    let dcim = t.path().join("dcim");
    symlink(t.path().join("storage/emulated/0/DCIM"), &dcim).unwrap();
    let out = idvault()
        .args(["scan", "--json", "--no-content"])
        .arg(&dcim)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let found = findings_by_path(&out, &dcim);
    assert_eq!(found.keys().collect::<Vec<_>>(), ["护照.jpg"], "{found:?}");
    let summary = json_lines(&out)
        .into_iter()
        .find(|(t, _)| t == "summary")
        .unwrap()
        .1;
    assert_eq!(summary["files"], 1, "{summary}");
    assert_eq!(summary["symlinks_skipped"], 1, "{summary}");
    // A symlink to a file, named on the command line, is followed too.
    let link = t.path().join("passport-link.jpg");
    symlink(&outside, &link).unwrap();
    let out = idvault()
        .args(["scan", "--json", "--no-content"])
        .arg(&link)
        .output()
        .unwrap();
    let found: Vec<_> = json_lines(&out)
        .into_iter()
        .filter(|(t, _)| t == "finding")
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");

    fs::create_dir(t.path().join("empty")).unwrap();
    let out = idvault()
        .arg("scan")
        .arg(t.path().join("empty"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("nothing was scanned"), "{stderr}");
}

/// `--exclude GLOB` leaves out names at any depth and paths below the root, on every command
/// that walks.
#[test]
fn exclude_leaves_out_names_and_paths() {
    let t = TestDir::new();
    let camera = fs::read(crate::util::fixture(CAMERA_GPS_JPEG)).unwrap();
    for rel in [
        "Downloads/passport.jpg",
        "Camera/passport.jpg",
        "Camera/Downloads/护照.jpg",
        "Camera/身份证.png",
    ] {
        t.write(rel, &camera);
    }
    let scan = |extra: &[&str]| {
        let out = idvault()
            .args(["scan", "--json", "--no-content"])
            .args(extra)
            .arg(t.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let found = findings_by_path(&out, t.path());
        found.into_keys().collect::<Vec<_>>()
    };
    assert_eq!(scan(&[]).len(), 4);
    assert_eq!(
        scan(&["--exclude", "Downloads"]),
        ["Camera/passport.jpg", "Camera/身份证.png"]
    );
    assert_eq!(
        scan(&["--exclude", "Downloads/**", "--exclude", "*.png"]),
        ["Camera/Downloads/护照.jpg", "Camera/passport.jpg"]
    );
    // `*` does not cross a `/`.
    assert_eq!(
        scan(&["--exclude", "Camera/*.jpg"]),
        [
            "Camera/Downloads/护照.jpg",
            "Camera/身份证.png",
            "Downloads/passport.jpg"
        ]
    );
    // strip and secure walk the same way.
    let out = idvault()
        .args(["strip", "--json", "--exclude", "Camera"])
        .arg(t.path())
        .output()
        .unwrap();
    let stripped: Vec<String> = json_lines(&out)
        .into_iter()
        .filter_map(|(_, d)| d["path"]["text"].as_str().map(String::from))
        .collect();
    assert!(
        !stripped.is_empty() && stripped.iter().all(|p| !p.contains("Camera")),
        "{stripped:?}"
    );
    let out = idvault()
        .args([
            "secure",
            "--json",
            "--no-content",
            "--exclude",
            "Camera",
            "--vault",
        ])
        .arg(t.path().join("vault"))
        .arg(t.path())
        .output()
        .unwrap();
    let planned: Vec<String> = json_lines(&out)
        .into_iter()
        .filter(|(ty, _)| ty == "plan")
        .map(|(_, d)| d["path"]["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(planned.len(), 1, "{planned:?}");
    assert!(planned[0].ends_with("Downloads/passport.jpg"));
    // A bad glob is a usage error.
    let out = idvault()
        .args(["scan", "--exclude", "a[", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// A file whose pixels could not be decoded was not fully looked at: a note, and exit code 1,
/// as the README says.
#[test]
fn a_corrupt_image_exits_1() {
    let t = TestDir::new();
    let mut fake = vec![0xFF, 0xD8, 0xFF, 0xE0];
    fake.extend((0..50_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8));
    t.write("fake.jpg", &fake);
    let out = idvault()
        .args(["scan", "--json"])
        .arg(t.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let warnings: Vec<Value> = json_lines(&out)
        .into_iter()
        .filter(|(t, _)| t == "warning")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0]["severity"], "note");
    assert_eq!(warnings[0]["incomplete"], true);
    let human = idvault().arg("scan").arg(t.path()).output().unwrap();
    assert_eq!(human.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&human.stderr);
    assert!(stderr.contains("1 not fully looked at"), "{stderr}");
}

/// A passport JPEG cut short (a copy that stopped half-way) is analysed as far as it decodes:
/// its top half shows PASSPORT.
#[test]
fn a_truncated_passport_is_found() {
    let t = TestDir::new();
    let jpeg = fs::read(crate::util::fixture("detect/positive/pe__25_pass-uto.jpg")).unwrap();
    t.write("IMG_0007.jpg", &jpeg[..jpeg.len() / 2]);
    let out = idvault()
        .args(["scan", "--json"])
        .arg(t.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let found = findings_by_path(&out, t.path());
    assert_eq!(found["IMG_0007.jpg"]["kind"], "passport", "{found:?}");
    assert!(signals(&found["IMG_0007.jpg"]).contains(&"content.keywords".to_string()));
}

/// A document word counts in a name only as a word of it: `passporteye/`, a project named
/// after passports, holds ordinary pictures. And a name alone, once the pixels were analysed
/// and showed nothing, stays below `secure`'s default threshold (0.5); a document the pixels
/// show is found whatever the name.
#[test]
fn names_count_by_whole_words_and_yield_to_pixels_that_show_nothing() {
    let t = TestDir::new();
    let camera = fs::read(crate::util::fixture(CAMERA_GPS_JPEG)).unwrap();
    let face = fs::read(crate::util::fixture("detect/negative/facerec__obama.jpg")).unwrap();
    let passport = fs::read(crate::util::fixture("detect/positive/pe__100_pass-hrv.jpg")).unwrap();
    t.write("passporteye/tests/img001.jpg", &camera);
    t.write("passporteye/tests/img002.jpg", &face);
    t.write("Passport photos/IMG_0003.jpg", &face);
    t.write("Downloads/passport_scan.jpg", &camera);
    t.write("护照/IMG_0004.jpg", &passport);
    let confidence = |found: &std::collections::BTreeMap<String, Value>, name: &str| {
        found.get(name).map(|f| {
            assert_eq!(f["kind"], "passport", "{f}");
            f["confidence"].as_f64().unwrap()
        })
    };

    // By names alone: the words count, the project's name does not.
    let out = idvault()
        .args(["scan", "--json", "--no-content"])
        .arg(t.path())
        .output()
        .unwrap();
    let found = findings_by_path(&out, t.path());
    assert_eq!(confidence(&found, "passporteye/tests/img001.jpg"), None);
    assert_eq!(confidence(&found, "passporteye/tests/img002.jpg"), None);
    assert_eq!(
        confidence(&found, "Passport photos/IMG_0003.jpg"),
        Some(0.5)
    );
    assert_eq!(confidence(&found, "Downloads/passport_scan.jpg"), Some(0.7));
    assert_eq!(confidence(&found, "护照/IMG_0004.jpg"), Some(0.5));

    // With the pixels analysed: the names of ordinary photos fall below 0.5, the passport rises.
    let out = crate::content::scan(t.path(), &t.path().join(".cache"), &[]);
    let found = findings_by_path(&out, t.path());
    assert_eq!(confidence(&found, "passporteye/tests/img001.jpg"), None);
    assert_eq!(confidence(&found, "passporteye/tests/img002.jpg"), None);
    for name in [
        "Passport photos/IMG_0003.jpg",
        "Downloads/passport_scan.jpg",
    ] {
        let c = confidence(&found, name).unwrap_or_else(|| panic!("{name}: {found:?}"));
        assert!(c < 0.5, "{name}: {c}");
    }
    assert!(confidence(&found, "护照/IMG_0004.jpg").unwrap() >= 0.9);
}

/// An identity-check screen is a `kyc_screenshot` whatever its name: saved under the Android
/// screenshot name (a plain `screenshot` 0.95 by name) as under a camera-roll name.
#[test]
fn a_verification_screen_is_a_kyc_screenshot_whatever_its_name() {
    let t = TestDir::new();
    let screen = fs::read(crate::util::fixture("synth/kyc_screenshot.png")).unwrap();
    let app = fs::read(crate::util::fixture("synth/app_screenshot.png")).unwrap();
    t.write(
        "Screenshots/Screenshot_20240312-101522_Binance.png",
        &screen,
    );
    t.write("DCIM/IMG_9999.png", &screen);
    t.write("Screenshots/Screenshot_20240312-101600_Maps.png", &app);
    let out = crate::content::scan(t.path(), &t.path().join(".cache"), &[]);
    let found = findings_by_path(&out, t.path());
    for name in [
        "Screenshots/Screenshot_20240312-101522_Binance.png",
        "DCIM/IMG_9999.png",
    ] {
        let f = &found[name];
        assert_eq!(f["kind"], "kyc_screenshot", "{name}: {f}");
        assert!(f["confidence"].as_f64().unwrap() >= 0.9, "{name}: {f}");
        assert!(
            signals(f).contains(&"content.kyc_phrases".to_string()),
            "{name}: {f}"
        );
    }
    let f = &found["Screenshots/Screenshot_20240312-101600_Maps.png"];
    assert_eq!(f["kind"], "screenshot", "{f}");
}
