//! Samsung's raw trailer: its phones write capture time, country code (MCC) and other blocks
//! after the last box of their MP4 recordings, outside any box, ending with a `SEFH` directory
//! and a `SEFT` footer. `strip` must cut it off and leave every box and sample as it was.

use std::fs;
use std::path::Path;

use crate::util::media;
use crate::util::{TestDir, idvault, json_lines, tool};

/// The capture time (milliseconds since 1970) and country code written into the trailer.
const CAPTURED_MS: &[u8] = b"1486666298918";
const MCC: &[u8] = b"MCC_Data450";

/// A trailer as Samsung writes it: each block is two zero bytes, its type, its name's length,
/// its name and its value (little-endian); then the directory (`SEFH`, version, entry count,
/// and per entry the type, the distance back to the block and its size), its length and `SEFT`.
fn samsung_trailer() -> Vec<u8> {
    let blocks: [(u16, &[u8], &[u8]); 2] = [
        (0x0a01, b"Image_UTC_Data", CAPTURED_MS),
        (0x0aa1, b"MCC_Data", b"450"),
    ];
    let mut out = Vec::new();
    let mut entries = Vec::new();
    for (kind, name, value) in blocks {
        let at = out.len();
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&(name.len() as u32).to_le_bytes());
        out.extend_from_slice(name);
        out.extend_from_slice(value);
        entries.push((kind, at, out.len() - at));
    }
    let dir_at = out.len();
    let mut dir = b"SEFH".to_vec();
    dir.extend_from_slice(&101u32.to_le_bytes());
    dir.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    for (kind, at, size) in entries {
        dir.extend_from_slice(&[0, 0]);
        dir.extend_from_slice(&kind.to_le_bytes());
        dir.extend_from_slice(&((dir_at - at) as u32).to_le_bytes());
        dir.extend_from_slice(&(size as u32).to_le_bytes());
    }
    out.extend_from_slice(&dir);
    out.extend_from_slice(&(dir.len() as u32).to_le_bytes());
    out.extend_from_slice(b"SEFT");
    out
}

fn contains(data: &[u8], what: &[u8]) -> bool {
    data.windows(what.len()).any(|w| w == what)
}

/// Strips `path` in place and returns its `file` record.
fn strip_in_place(path: &Path) -> serde_json::Value {
    let out = idvault()
        .args(["strip", "--json", "--apply", "--yes"])
        .arg(path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_lines(&out)
        .into_iter()
        .find(|(t, _)| t == "file")
        .map(|(_, d)| d)
        .expect("a file record")
}

#[test]
fn a_raw_samsung_trailer_after_an_mp4s_last_box_is_removed() {
    let t = TestDir::new();
    let movie = media::mp4(1080, 1920, Some("samsung"));
    let mut input = movie.clone();
    input.extend(samsung_trailer());
    let p = t.write("20170209_190458.mp4", &input);
    let record = strip_in_place(&p);
    assert_eq!(record["status"], "stripped", "{record}");
    let groups: Vec<&str> = record["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["group"].as_str().unwrap())
        .collect();
    assert!(
        groups.contains(&"Samsung trailer (capture time, country code)"),
        "{groups:?}"
    );
    let clean = fs::read(&p).unwrap();
    // The trailer is cut off; the boxes before it keep their length and their media bytes.
    assert_eq!(clean.len(), movie.len());
    for gone in [CAPTURED_MS, MCC, b"SEFH", b"SEFT", b"samsung"] {
        assert!(!contains(&clean, gone), "{}", String::from_utf8_lossy(gone));
    }
    assert_eq!(clean[clean.len() - 264..], movie[movie.len() - 264..]);
    // Stripping again finds nothing.
    let again = strip_in_place(&p);
    assert_eq!(again["status"], "unchanged", "{again}");
}

#[test]
#[ignore = "needs ffmpeg (ffmpeg)"]
fn a_samsung_recording_decodes_the_same_without_its_trailer() {
    let t = TestDir::new();
    let made = t.path().join("made.mp4");
    let status = tool("ffmpeg", "ffmpeg")
        .args(["-loglevel", "error", "-f", "lavfi", "-i"])
        .arg("testsrc=size=320x240:rate=10")
        .args(["-t", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p"])
        .args(["-metadata", "creation_time=2017-02-09T19:04:58Z"])
        .arg(&made)
        .status()
        .unwrap();
    assert!(status.success());
    let mut input = fs::read(&made).unwrap();
    input.extend(samsung_trailer());
    let p = t.write("20170209_190458.mp4", &input);
    let frames = |path: &Path| {
        let out = tool("ffmpeg", "ffmpeg")
            .args(["-loglevel", "error", "-i"])
            .arg(path)
            .args(["-map", "0:v", "-f", "framemd5", "-"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let before = frames(&p);
    let record = strip_in_place(&p);
    assert_eq!(record["status"], "stripped", "{record}");
    let clean = fs::read(&p).unwrap();
    assert!(!contains(&clean, CAPTURED_MS) && !contains(&clean, MCC));
    assert_eq!(frames(&p), before, "decoded frames changed");
    assert!(before.lines().filter(|l| !l.starts_with('#')).count() >= 20);
}

/// The groups a `file` record lists as removed.
fn groups(record: &serde_json::Value) -> Vec<String> {
    let removed = record["removed"].as_array().expect("a removed list");
    removed
        .iter()
        .map(|r| r["group"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_raw_samsung_trailer_after_a_heics_last_box_is_removed() {
    let t = TestDir::new();
    let photo = t.copy_fixture("metadata/mex__IMG_2927.HEIC", "plain.heic");
    let heic = fs::read(&photo).unwrap();
    let mut input = heic.clone();
    input.extend(samsung_trailer());
    let p = t.write("20170209_190458.heic", &input);
    let record = strip_in_place(&p);
    assert_eq!(record["status"], "stripped", "{record}");
    let groups = groups(&record);
    assert!(
        groups
            .iter()
            .any(|g| g == "Samsung trailer (capture time, country code)"),
        "{groups:?}"
    );
    let clean = fs::read(&p).unwrap();
    for gone in [CAPTURED_MS, MCC, b"SEFH", b"SEFT"] {
        assert!(!contains(&clean, gone), "{}", String::from_utf8_lossy(gone));
    }
    // The same file as the photo without a trailer gives, to the byte.
    assert_eq!(strip_in_place(&photo)["status"], "stripped");
    assert_eq!(clean, fs::read(&photo).unwrap());
    assert_eq!(clean.len(), heic.len());
    let again = strip_in_place(&p);
    assert_eq!(again["status"], "unchanged", "{again}");
}
