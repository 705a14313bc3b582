//! AVIF photos through the real binary. The files are made in the test from the specimen
//! passport photo (PassportEye's test image, MIT; see tests/data/SOURCES.md) and an ordinary
//! photo, by two independent writers: ffmpeg's libaom encoder and libavif's `avifenc` (8- and
//! 10-bit, a rotated and a mirrored image, a 2×2 grid of tiles). A document must be found as its
//! PNG twin is, with the same reason, read upright; an ordinary photo must not be flagged; a
//! broken file must get a `pixels not analysed` note and leave the rest of the run alone.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::content::{scan, scan_any, summary};
use crate::util::vault::run_ok;
use crate::util::{TestDir, findings_by_path, fixture, json_lines, signals, tool};

/// `avifenc` (libavif) with a fast speed setting, from `input` to `output`, after `args`.
fn avifenc(args: &[&str], input: &Path, output: &Path) {
    run_ok(
        tool("avifenc", "libavif-bin")
            .args(["--speed", "8"])
            .args(args)
            .arg(input)
            .arg(output),
    );
}

/// ffmpeg from `input` to `output` with `args` between them (quiet, overwriting).
fn ffmpeg(input: &Path, args: &[&str], output: &Path) {
    run_ok(
        tool("ffmpeg", "ffmpeg")
            .args(["-v", "error", "-y", "-i"])
            .arg(input)
            .args(args)
            .arg(output),
    );
}

fn finding<'a>(found: &'a BTreeMap<String, Value>, name: &str) -> &'a Value {
    found
        .get(name)
        .unwrap_or_else(|| panic!("{name} not found; findings: {found:#?}"))
}

/// The `pixels not analysed` notes of a scan, by file name.
fn not_analysed(out: &std::process::Output) -> BTreeMap<String, String> {
    json_lines(out)
        .into_iter()
        .filter(|(ty, d)| ty == "warning" && d["message"].as_str().is_some())
        .filter(|(_, d)| {
            d["message"]
                .as_str()
                .unwrap()
                .starts_with("pixels not analysed")
        })
        .map(|(_, d)| {
            let path = d["path"]["text"].as_str().unwrap_or_default();
            let name = Path::new(path).file_name().unwrap().to_string_lossy();
            (name.into_owned(), d["message"].as_str().unwrap().to_owned())
        })
        .collect()
}

#[test]
#[ignore = "needs ffmpeg (ffmpeg), avifenc (libavif-bin)"]
fn avif_photos_are_decoded_upright_and_read_like_their_png_twin() {
    let t = TestDir::new();
    let work = t.path().join("work");
    let inp = t.path().join("in");
    fs::create_dir_all(&work).unwrap();
    fs::create_dir_all(&inp).unwrap();
    let passport = fixture("detect/positive/pe__100_pass-hrv.jpg");
    let png = inp.join("twin.png");
    ffmpeg(&passport, &[], &png);
    // ffmpeg's AVIF muxer, 8-bit 4:2:0.
    ffmpeg(
        &png,
        &["-c:v", "libaom-av1", "-still-picture", "1", "-crf", "30"],
        &inp.join("ffmpeg.avif"),
    );
    avifenc(&["--depth", "10"], &png, &inp.join("ten-bit.avif"));
    // Stored turned by 90° clockwise; `irot` 1 (90° anticlockwise) shows it upright.
    let turned = work.join("turned.png");
    ffmpeg(&png, &["-vf", "transpose=clock"], &turned);
    avifenc(&["--irot", "1"], &turned, &inp.join("irot.avif"));
    // Stored upside down; `imir` 0 (libavif 0.11: top and bottom swapped) shows it upright.
    let flipped = work.join("flipped.png");
    ffmpeg(&png, &["-vf", "vflip"], &flipped);
    avifenc(&["--imir", "0"], &flipped, &inp.join("imir.avif"));
    // A 2×2 grid of 320×224 tiles (libavif splits an image only into equal tiles).
    let even = work.join("even.png");
    ffmpeg(&png, &["-vf", "scale=640:448"], &even);
    avifenc(&["--grid", "2x2"], &even, &inp.join("grid.avif"));
    // An ordinary photo.
    avifenc(
        &[],
        &fixture("detect/negative/facerec__obama.jpg"),
        &inp.join("photo.avif"),
    );

    let out = scan(&inp, &t.path().join("cache"), &[]);
    let found = findings_by_path(&out, &inp);
    let twin = finding(&found, "twin.png");
    assert_eq!(twin["kind"], "passport", "{twin}");
    let twin_signals = signals(twin);
    assert!(twin_signals.contains(&"content.mrz".to_string()), "{twin}");
    for name in [
        "ffmpeg.avif",
        "ten-bit.avif",
        "irot.avif",
        "imir.avif",
        "grid.avif",
    ] {
        let f = finding(&found, name);
        assert_eq!(f["file_type"], "avif", "{name}: {f}");
        assert_eq!(f["kind"], "passport", "{name}: {f}");
        assert!(f["confidence"].as_f64().unwrap() >= 0.9, "{name}: {f}");
        assert_eq!(signals(f), twin_signals, "{name}: {f}");
        // Read as displayed: the transforms were applied, so no turn was needed.
        for r in f["reasons"].as_array().unwrap() {
            let detail = r["detail"].as_str().unwrap();
            assert!(!detail.contains("turned"), "{name}: {detail}");
        }
    }
    assert!(
        found
            .get("photo.avif")
            .is_none_or(|f| f["confidence"].as_f64().unwrap() < 0.5),
        "an ordinary photo flagged: {:?}",
        found.get("photo.avif")
    );
    // Every file's pixels were looked at.
    assert_eq!(not_analysed(&out), BTreeMap::new());
    assert_eq!(summary(&out)["content_not_analysed"], 0);
}

#[test]
#[ignore = "needs avifenc (libavif-bin)"]
fn broken_avif_files_get_a_note_and_the_run_goes_on() {
    let t = TestDir::new();
    let inp = t.path().join("in");
    fs::create_dir_all(&inp).unwrap();
    let passport = fixture("detect/positive/pe__100_pass-hrv.jpg");
    let good = t.path().join("good.avif");
    avifenc(&[], &passport, &good);
    let bytes = fs::read(&good).unwrap();
    t.write("in/truncated.avif", &bytes[..bytes.len() / 2]);
    // The container intact, the AV1 data (all of `mdat`) replaced by noise. (Noise after a
    // valid sequence and frame header can decode to a noisy picture, which is no error.)
    let mdat = bytes.windows(4).position(|w| w == b"mdat").unwrap() + 4;
    let mut noisy = bytes.clone();
    for (i, b) in noisy[mdat..].iter_mut().enumerate() {
        *b = ((i as u32).wrapping_mul(2_654_435_761) >> 11) as u8;
    }
    t.write("in/noisy.avif", &noisy);
    // The item tables with an empty `mdat`: every item points past the end of the file.
    let mut header_only = bytes[..mdat - 8].to_vec();
    header_only.extend_from_slice(&[0, 0, 0, 8]);
    header_only.extend_from_slice(b"mdat");
    t.write("in/no-data.avif", &header_only);
    // AV1 data on which rav1d 1.1 panics inside an `extern "C"` function, which aborts the
    // process that runs it (found by the fuzzer): the scan's decoding worker dies, not the scan.
    let abort = fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/av1/testdata/abort-in-on-error.obu"),
    )
    .unwrap();
    let mut crashing = bytes[..mdat].to_vec();
    crashing.extend(abort.iter().cycle().take(bytes.len() - mdat));
    t.write("in/crashing.avif", &crashing);
    fs::copy(&good, inp.join("zz-good.avif")).unwrap();

    let out = scan_any(&inp, &t.path().join("cache"), &[]);
    // The broken files were not fully looked at: the run says so by its code.
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let notes = not_analysed(&out);
    for name in ["truncated.avif", "noisy.avif", "no-data.avif"] {
        let note = notes
            .get(name)
            .unwrap_or_else(|| panic!("no note for {name}: {notes:?}"));
        assert!(note.contains("corrupt or truncated"), "{name}: {note}");
    }
    let note = notes
        .get("crashing.avif")
        .unwrap_or_else(|| panic!("no note for crashing.avif: {notes:?}"));
    assert!(note.contains("the decoder failed"), "{note}");
    let found = findings_by_path(&out, &inp);
    assert_eq!(finding(&found, "zz-good.avif")["kind"], "passport");
    assert_eq!(summary(&out)["errors"], 0);
}

/// Writes the seed corpus of the `avif` fuzz target (fuzz/seeds/avif/): small AVIFs of the
/// specimen passport from both writers, covering an 8-bit and a 10-bit picture, `irot` and
/// `imir`, and a grid. Run by hand when the generators change; see docs/fuzzing.md.
#[test]
#[ignore = "writes fuzz/seeds/; run with `cargo test --test integration write_fuzz_seeds -- --ignored`"]
fn write_fuzz_seeds() {
    let t = TestDir::new();
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/avif");
    fs::create_dir_all(&seeds).unwrap();
    let small = t.path().join("small.png");
    ffmpeg(
        &fixture("detect/positive/pe__100_pass-hrv.jpg"),
        &["-vf", "scale=128:128"],
        &small,
    );
    ffmpeg(
        &small,
        &["-c:v", "libaom-av1", "-still-picture", "1", "-crf", "40"],
        &seeds.join("ffmpeg.avif"),
    );
    let with = |args: &[&str], name: &str| avifenc(args, &small, &seeds.join(name));
    with(&["--depth", "10", "--irot", "1"], "ten-bit-irot.avif");
    with(&["--imir", "1", "--yuv", "400"], "grey-imir.avif");
    with(
        &["--grid", "2x2", "--min", "40", "--max", "50"],
        "grid.avif",
    );
}
