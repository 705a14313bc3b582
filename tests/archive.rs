//! Archives through the real binary: zip and tar.gz files built here with the `zip`, `tar` and
//! `flate2` crates, holding fixture document photos, are looked into; each finding names the
//! archive and the entry; a zip bomb and a damaged zip get a note and exit code 1; `secure`
//! plans to vault the whole archive.

use std::io::{Cursor, Write};
use std::path::Path;

use serde_json::Value;

use crate::util::{TestDir, fixture, idvault, json_lines};

const PASSPORT: &str = "detect/positive/pe__25_pass-uto.jpg";
const CN_ID: &str = "synth/cn_id_front.jpg";

/// A zip of `(name, bytes)` entries, deflated.
fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A gzip-compressed tar of `(name, bytes)` entries.
fn tar_gz(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    for (name, bytes) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, name, *bytes).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap()
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(fixture(rel)).unwrap()
}

/// `scan --json` of `root`; returns the output and the exit code.
fn scan(root: &Path, extra: &[&str]) -> (std::process::Output, i32) {
    let out = idvault()
        .args(["scan", "--json"])
        .args(extra)
        .arg(root)
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    (out, code)
}

fn of_type(out: &std::process::Output, ty: &str) -> Vec<Value> {
    json_lines(out)
        .into_iter()
        .filter(|(t, _)| t == ty)
        .map(|(_, d)| d)
        .collect()
}

/// The finding's entry path, inside its archive, as text.
fn entry(f: &Value) -> String {
    f["entry"]["path"]
        .as_array()
        .unwrap_or_else(|| panic!("no entry: {f}"))
        .iter()
        .map(|p| p["text"].as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join(" » ")
}

#[test]
fn a_takeout_zip_and_a_tar_gz_are_looked_into() {
    let t = TestDir::new();
    let passport = read(PASSPORT);
    let cn_id = read(CN_ID);
    let takeout = zip(&[
        ("Takeout/Google Photos/2024/IMG_1234.jpg", &passport),
        (
            "Takeout/Google Photos/2024/IMG_1234.jpg.json",
            b"{\"title\": \"IMG_1234.jpg\"}",
        ),
        ("Takeout/Google Photos/2024/IMG_1235.jpg", &cn_id),
    ]);
    let zip_path = t.write("takeout-001.zip", &takeout);
    t.write(
        "backup.tar.gz",
        &tar_gz(&[
            ("DCIM/Camera/IMG_0001.jpg", &passport),
            ("notes.txt", b"hello"),
        ]),
    );
    let (out, code) = scan(t.path(), &[]);
    assert_eq!(code, 0, "{:?}", of_type(&out, "warning"));
    let mut found: Vec<(String, String, String)> = of_type(&out, "finding")
        .iter()
        .map(|f| {
            let path = f["path"]["text"].as_str().unwrap();
            let name = Path::new(path).file_name().unwrap().to_string_lossy();
            (
                name.into_owned(),
                entry(f),
                f["kind"].as_str().unwrap().into(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            (
                "backup.tar.gz".into(),
                "DCIM/Camera/IMG_0001.jpg".into(),
                "passport".into()
            ),
            (
                "takeout-001.zip".into(),
                "Takeout/Google Photos/2024/IMG_1234.jpg".into(),
                "passport".into()
            ),
            (
                "takeout-001.zip".into(),
                "Takeout/Google Photos/2024/IMG_1235.jpg".into(),
                "id_card".into()
            ),
        ]
    );
    // The finding is the entry's (its type and size), found by its pixels; the archive is the
    // file on disk.
    let all = of_type(&out, "finding");
    let f = all
        .iter()
        .find(|f| entry(f).ends_with("IMG_1234.jpg"))
        .unwrap();
    assert_eq!(f["file_type"], "jpeg");
    assert_eq!(f["entry"]["size"], passport.len());
    assert_eq!(f["size"], takeout.len());
    assert_eq!(f["document"]["source"], "mrz", "{f}");
    let summary = &of_type(&out, "summary")[0];
    assert_eq!(summary["files"], 2, "{summary}");
    assert_eq!(summary["findings"], 3, "{summary}");
    assert!(of_type(&out, "warning").is_empty());
    // Nothing was extracted next to the archives.
    assert_eq!(std::fs::read_dir(t.path()).unwrap().count(), 2);

    // People read the archive and the entry on one line.
    let human = idvault().arg("scan").arg(&zip_path).output().unwrap();
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("takeout-001.zip » Takeout/Google Photos/2024/IMG_1234.jpg"),
        "{text}"
    );
}

#[test]
fn a_zip_bomb_and_a_damaged_zip_get_a_note_and_exit_1() {
    let t = TestDir::new();
    // 64 MiB of zeros deflate to ~64 KiB: a thousandfold expansion.
    let zeros = vec![0u8; 64 << 20];
    let passport = read(PASSPORT);
    t.write(
        "bomb.zip",
        &zip(&[("zeros.jpg", &zeros), ("IMG_0001.jpg", &passport)]),
    );
    let good = zip(&[("IMG_0002.jpg", &passport)]);
    // Cut before its central directory: the zip cannot be opened.
    t.write("damaged.zip", &good[..good.len() - 30]);
    let (out, code) = scan(t.path(), &[]);
    assert_eq!(code, 1, "{}", String::from_utf8_lossy(&out.stderr));
    let warnings = of_type(&out, "warning");
    let note = |name: &str| {
        warnings
            .iter()
            .find(|w| w["path"]["text"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("no note for {name}: {warnings:?}"))
    };
    let bomb = note("bomb.zip");
    assert_eq!(bomb["severity"], "note");
    assert_eq!(bomb["incomplete"], true);
    let message = bomb["message"].as_str().unwrap();
    assert!(
        message.starts_with("zeros.jpg: expands") && message.contains("decompression bomb"),
        "{message}"
    );
    let damaged = note("damaged.zip");
    assert_eq!(damaged["incomplete"], true);
    assert!(
        damaged["message"]
            .as_str()
            .unwrap()
            .starts_with("zip archive: damaged archive"),
        "{damaged}"
    );
    // The bomb's other entry was still looked at.
    let found = of_type(&out, "finding");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(entry(&found[0]), "IMG_0001.jpg");
    assert_eq!(of_type(&out, "summary")[0]["incomplete"], 2);
}

#[test]
fn secure_plans_to_vault_the_whole_archive() {
    let t = TestDir::new();
    let passport = read(PASSPORT);
    let cn_id = read(CN_ID);
    t.write(
        "in/WeChat export.zip",
        &zip(&[("photos/a.jpg", &passport), ("photos/b.jpg", &cn_id)]),
    );
    let vault = t.path().join("vault");
    let out = idvault()
        .args(["secure", "--json", "--vault"])
        .arg(&vault)
        .arg(t.path().join("in"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plans = of_type(&out, "plan");
    // Two findings, one archive: vaulted once, whole.
    assert_eq!(plans.len(), 1, "{plans:?}");
    assert_eq!(plans[0]["whole_archive"], true);
    assert!(
        plans[0]["path"]["text"]
            .as_str()
            .unwrap()
            .ends_with("WeChat export.zip")
    );
    let human = idvault()
        .args(["secure", "--vault"])
        .arg(&vault)
        .arg(t.path().join("in"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("the whole archive is vaulted"), "{text}");
    assert!(!vault.exists());
}
