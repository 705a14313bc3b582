//! Re-scans through the real binary: files an earlier scan found nothing in are skipped while
//! unchanged at the same path, with the same findings as a full scan; a changed, renamed or
//! re-permissioned file is classified again; findings are never skipped; the cache holds no
//! path bytes.

use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use serde_json::Value;

use crate::content::{scan, summary};
use crate::util::media;
use crate::util::{TestDir, findings_by_path, idvault, json_lines};

/// Every finding and warning line, in a stable order (they arrive in completion order), without
/// the `content.cached` note that only says where pixels were not analysed again.
fn reported(out: &Output) -> Vec<String> {
    let mut lines: Vec<String> = json_lines(out)
        .into_iter()
        .filter(|(t, _)| t == "finding" || t == "warning")
        .map(|(t, mut d)| {
            if let Some(reasons) = d.get_mut("reasons").and_then(Value::as_array_mut) {
                reasons.retain(|r| r["signal"] != "content.cached");
            }
            format!("{t} {d}")
        })
        .collect();
    lines.sort();
    lines
}

fn count(s: &Value, field: &str) -> u64 {
    s[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} in {s}"))
}

#[test]
fn a_rescan_skips_clean_files_and_reports_the_same() {
    let t = TestDir::new();
    crate::scan::build_tree(&t);
    t.write("notes/todo.txt", b"not media\n");
    let cache = TestDir::new();
    let first = scan(t.path(), cache.path(), &[]);
    let s1 = summary(&first);
    assert_eq!(count(&s1, "unchanged"), 0, "{s1}");
    assert!(count(&s1, "findings") > 0 && count(&s1, "content_analysed") > 0);

    let second = scan(t.path(), cache.path(), &[]);
    let s2 = summary(&second);
    assert_eq!(reported(&second), reported(&first));
    assert_eq!(count(&s2, "files"), count(&s1, "files"));
    // Every file without a finding or note is skipped; none with one is.
    let noted: u64 = json_lines(&first)
        .iter()
        .filter(|(t, d)| t == "warning" && d["message"].as_str().unwrap().contains("pixels"))
        .count() as u64;
    let clean = count(&s1, "files") - count(&s1, "findings") - noted;
    assert!(clean >= 3, "{s1}");
    assert_eq!(count(&s2, "unchanged"), clean, "{s2}");
    // The skipped files are counted as before: analysed pixels now come from the cache.
    assert_eq!(
        count(&s2, "content_analysed") + count(&s2, "content_cached"),
        count(&s1, "content_analysed") + count(&s1, "content_cached"),
        "{s1} {s2}"
    );
    assert_eq!(
        count(&s2, "content_not_analysed"),
        count(&s1, "content_not_analysed")
    );
    assert!(count(&s2, "content_analysed") < count(&s1, "content_analysed"));
    // People read the same count.
    let human = idvault()
        .env("XDG_CACHE_HOME", cache.path())
        .env_remove("IDVAULT_NO_CACHE")
        .arg("scan")
        .arg(t.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&human.stderr);
    assert!(
        stderr.contains(&format!(
            "{} files scanned in",
            count(&s1, "files")
        )) && stderr.contains(&format!(
            ", {clean} unchanged since an earlier scan found nothing in them; pixels analysed in"
        )),
        "{stderr}"
    );

    // Content analysis on or off is part of the key; both kinds of run use the cache.
    let names_only = summary(&scan(t.path(), cache.path(), &["--no-content"]));
    assert_eq!(count(&names_only, "unchanged"), 0, "{names_only}");
    let names_again = scan(t.path(), cache.path(), &["--no-content"]);
    assert_eq!(count(&summary(&names_again), "unchanged"), clean);

    // Both opt-outs classify every file again.
    for (env, flag) in [(Some("1"), None), (None, Some("--no-cache"))] {
        let mut cmd = idvault();
        cmd.env("XDG_CACHE_HOME", cache.path())
            .env_remove("IDVAULT_NO_CACHE");
        if let Some(v) = env {
            cmd.env("IDVAULT_NO_CACHE", v);
        }
        let out = cmd
            .args(["scan", "--json"])
            .args(flag)
            .arg(t.path())
            .output()
            .unwrap();
        let s = summary(&out);
        assert_eq!(count(&s, "unchanged"), 0, "{env:?} {flag:?}: {s}");
        assert_eq!(reported(&out), reported(&first));
    }

    // No name, folder or root path in the cache, in any file.
    let dir = cache.path().join("idvault");
    let mut files = 0;
    for e in fs::read_dir(&dir).unwrap() {
        let bytes = fs::read(e.unwrap().path()).unwrap();
        files += 1;
        for needle in [
            t.path().to_str().unwrap(),
            "Camera Roll",
            "IMG_2001",
            "todo.txt",
            "notes",
            "Screenshots",
        ] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "cache holds {needle}"
            );
        }
    }
    // The key, the negatives and the sealed findings.
    assert_eq!(files, 3);
}

#[test]
fn changed_renamed_or_chmodded_files_are_classified_again() {
    let t = TestDir::new();
    let names = ["a.png", "b.png", "c.png", "d.png", "e.png"];
    for (i, n) in names.iter().enumerate() {
        t.write(
            Path::new("Pictures").join(n),
            &media::png(40 + i as u32, 30, &[]),
        );
    }
    let root = t.path().join("Pictures");
    let cache = TestDir::new();
    let first = summary(&scan(&root, cache.path(), &[]));
    assert_eq!(count(&first, "findings"), 0, "{first}");
    assert_eq!(count(&first, "content_analysed"), 5, "{first}");
    let second = summary(&scan(&root, cache.path(), &[]));
    assert_eq!(count(&second, "unchanged"), 5, "{second}");
    assert_eq!(count(&second, "content_cached"), 5, "{second}");

    // a: its mtime moves by one nanosecond, so its pixels are analysed again.
    let a = root.join("a.png");
    let mtime = fs::metadata(&a).unwrap().modified().unwrap();
    File::options()
        .write(true)
        .open(&a)
        .unwrap()
        .set_modified(mtime + Duration::from_nanos(1))
        .unwrap();
    // b, c, d: renamed into a screenshot folder or to names of identity documents.
    fs::create_dir(root.join("Screenshots")).unwrap();
    fs::rename(root.join("b.png"), root.join("Screenshots/b.png")).unwrap();
    fs::rename(root.join("c.png"), root.join("passport.png")).unwrap();
    fs::rename(root.join("d.png"), root.join("身份证.png")).unwrap();
    // e: only its permissions change.
    fs::set_permissions(root.join("e.png"), fs::Permissions::from_mode(0o600)).unwrap();

    let out = scan(&root, cache.path(), &[]);
    let third = summary(&out);
    assert_eq!(count(&third, "unchanged"), 0, "{third}");
    // a changed, and b's folder makes it a screenshot, which its analysis depends on; the
    // others keep their content negatives.
    assert_eq!(count(&third, "content_analysed"), 2, "{third}");
    assert_eq!(count(&third, "content_cached"), 3, "{third}");
    let found = findings_by_path(&out, &root);
    let kinds: Vec<(&str, &str)> = found
        .iter()
        .map(|(p, f)| (p.as_str(), f["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("Screenshots/b.png", "screenshot"),
            ("passport.png", "passport"),
            ("身份证.png", "id_card"),
        ]
    );

    // Findings are never skipped; the clean files are again.
    let out = scan(&root, cache.path(), &[]);
    let fourth = summary(&out);
    assert_eq!(count(&fourth, "unchanged"), 2, "{fourth}");
    assert_eq!(findings_by_path(&out, &root).len(), 3);
}

#[test]
fn another_build_of_idvault_starts_afresh() {
    let t = TestDir::new();
    for n in ["a.png", "b.png"] {
        t.write(n, &media::png(48, 32, &[]));
    }
    let cache = TestDir::new();
    scan(t.path(), cache.path(), &[]);
    assert_eq!(
        count(&summary(&scan(t.path(), cache.path(), &[])), "unchanged"),
        2
    );
    // A copy of the binary stands for a rebuild at the same version: new size or mtime.
    let bin = TestDir::new();
    let copy = bin.path().join("idvault");
    fs::copy(env!("CARGO_BIN_EXE_idvault"), &copy).unwrap();
    let out = std::process::Command::new(&copy)
        .env("XDG_CACHE_HOME", cache.path())
        .env_remove("IDVAULT_NO_CACHE")
        .args(["scan", "--json"])
        .arg(t.path())
        .output()
        .unwrap();
    let s = summary(&out);
    assert_eq!(count(&s, "unchanged"), 0, "{s}");
    assert_eq!(count(&s, "content_analysed"), 2, "{s}");
}

/// Findings of unchanged files are remembered too, sealed: a rescan repeats them without
/// analysing the pixels again, and the cache holds neither the document's facts nor its path.
#[test]
fn findings_of_unchanged_files_are_remembered_sealed() {
    let t = TestDir::new();
    t.copy_fixture("detect/positive/pe__25_pass-uto.jpg", "in/IMG_0001.jpg");
    t.copy_fixture("synth/cn_id_front.jpg", "in/IMG_0002.jpg");
    let root = t.path().join("in");
    let cache = TestDir::new();
    let first = scan(&root, cache.path(), &[]);
    let s1 = summary(&first);
    assert_eq!(count(&s1, "findings"), 2, "{s1}");
    assert_eq!(count(&s1, "content_analysed"), 2, "{s1}");
    let second = scan(&root, cache.path(), &[]);
    let s2 = summary(&second);
    assert_eq!(count(&s2, "content_analysed"), 0, "{s2}");
    assert_eq!(count(&s2, "content_cached"), 2, "{s2}");
    assert_eq!(reported(&second), reported(&first));
    // Renamed into a folder of identity documents, the file is judged by its new place, with
    // the content found before.
    fs::create_dir(root.join("证件")).unwrap();
    fs::rename(root.join("IMG_0001.jpg"), root.join("证件/IMG_0001.jpg")).unwrap();
    let third = scan(&root, cache.path(), &[]);
    assert_eq!(count(&summary(&third), "content_analysed"), 0);
    let found = findings_by_path(&third, &root);
    assert_eq!(
        found["证件/IMG_0001.jpg"]["document"]["number_masked"],
        "*****02C3"
    );
    // Nothing of the documents, nor of their names, in the clear in the cache.
    for entry in fs::read_dir(cache.path().join("idvault")).unwrap() {
        let bytes = fs::read(entry.unwrap().path()).unwrap();
        for clear in [
            &b"02C3"[..],
            b"7970",
            b"UTO",
            b"content.mrz",
            b"IMG_0001",
            b"passport",
        ] {
            assert!(
                !bytes.windows(clear.len()).any(|w| w == clear),
                "{} in the cache",
                String::from_utf8_lossy(clear)
            );
        }
    }
}
