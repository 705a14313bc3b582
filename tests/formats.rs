//! The formats a phone or a scanner app stores documents in, through the real binary: a PDF
//! scan (page image and text layer), screen recordings in H.264 and HEVC made by ffmpeg, and a
//! HEIC photo. Each shows a specimen passport (PassportEye's test image, MIT; see
//! tests/data/SOURCES.md), and each must be found with where it was seen and with the number
//! masked; ordinary files of the same formats must not be flagged.

use std::fs;
use std::path::{Path, PathBuf};

use lopdf::{
    Dictionary, Document, EncryptionState, EncryptionVersion, Object, Permissions, Stream,
    dictionary,
};
use serde_json::Value;

use crate::content::{scan, scan_any};
use crate::util::{TestDir, findings_by_path, json_lines, signals};

/// The specimen passport photo (600×421 JPEG) all the documents here are made from.
pub(crate) fn passport_jpeg() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/detect/positive/pe__100_pass-hrv.jpg")
}

/// The number on the specimen, which must never be printed in full.
const NUMBER: &str = "007007007";

/// A one-page A4 PDF showing `image` (an image XObject) and the lines of `text`; `encrypt`
/// adds an encryption dictionary no empty password opens.
pub(crate) fn pdf(image: Option<Stream>, text: &[&str], encrypt: bool) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Courier",
    });
    let mut xobjects = Dictionary::new();
    let mut ops = String::new();
    if let Some(s) = image {
        xobjects.set("Im1", doc.add_object(s));
        ops.push_str("q 500 0 0 351 48 440 cm /Im1 Do Q\n");
    }
    for (i, line) in text.iter().enumerate() {
        let y = 380 - 16 * i as i64;
        ops.push_str(&format!("BT /F1 11 Tf 48 {y} Td ({line}) Tj ET\n"));
    }
    let content = doc.add_object(Stream::new(dictionary! {}, ops.into_bytes()));
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages, "Contents" => content,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font }, "XObject" => xobjects },
    });
    doc.objects.insert(
        pages,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
        ),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
    doc.trailer.set("Root", catalog);
    if encrypt {
        // RC4 with a user password, as "protect with a password" in a PDF tool writes it. The
        // file ID goes into the key.
        doc.trailer.set(
            "ID",
            vec![
                Object::string_literal(vec![7u8; 16]),
                Object::string_literal(vec![7u8; 16]),
            ],
        );
        let version = EncryptionVersion::V2 {
            document: &doc,
            owner_password: "owner",
            user_password: "secret",
            key_length: 128,
            permissions: Permissions::all(),
        };
        let state = EncryptionState::try_from(version).unwrap();
        doc.encrypt(&state).unwrap();
    }
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

/// The specimen photo as a DCT (JPEG) image XObject, as a scanner app stores a page.
pub(crate) fn jpeg_xobject() -> Stream {
    let jpeg = fs::read(passport_jpeg()).unwrap();
    let mut s = Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Image", "Width" => 600, "Height" => 421,
            "ColorSpace" => "DeviceRGB", "BitsPerComponent" => 8, "Filter" => "DCTDecode",
        },
        jpeg,
    );
    s.allows_compression = false;
    s
}

/// A deflated grey gradient: an ordinary picture with nothing written on it.
fn gradient_xobject() -> Stream {
    let (w, h) = (640u32, 480u32);
    let data: Vec<u8> = (0..w * h).map(|i| ((i % w + i / w) / 5) as u8).collect();
    let mut s = Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Image", "Width" => w as i64, "Height" => h as i64,
            "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8,
        },
        data,
    );
    s.compress().unwrap();
    s
}

/// The finding for `name`, which must exist.
/// The finding for `name` in `found`: a screen recording, at 0.9 or more, whose zone was read
/// (the test passport's number, masked) in a frame whose reason starts with one of `at`.
pub(crate) fn recording_shows_the_passport<'a>(
    found: &'a std::collections::BTreeMap<String, Value>,
    name: &str,
    at: &[&str],
) -> &'a Value {
    let f = finding(found, name);
    assert_eq!(f["kind"], "screen_recording", "{name}: {f}");
    assert!(f["confidence"].as_f64().unwrap() >= 0.9, "{name}: {f}");
    assert_eq!(f["document"]["number_masked"], "*****7007", "{name}: {f}");
    assert!(
        details(f)
            .iter()
            .any(|d| at.iter().any(|a| d.starts_with(a)) && d.contains("machine-readable zone")),
        "{name}: {f}"
    );
    f
}

pub(crate) fn finding<'a>(
    found: &'a std::collections::BTreeMap<String, Value>,
    name: &str,
) -> &'a Value {
    found
        .get(name)
        .unwrap_or_else(|| panic!("{name} not found; findings: {found:#?}"))
}

/// What each reason of a finding says.
pub(crate) fn details(f: &Value) -> Vec<String> {
    f["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["detail"].as_str().unwrap().to_string())
        .collect()
}

/// Each of `names` in `found` is the test passport (`passport_jpeg`), confirmed by its
/// machine-readable zone on page 1 of its PDF.
pub(crate) fn passports_read_on_page_1(
    found: &std::collections::BTreeMap<String, Value>,
    names: &[&str],
) {
    for name in names {
        let f = finding(found, name);
        assert_eq!(f["kind"], "passport", "{name}: {f}");
        assert!(f["confidence"].as_f64().unwrap() >= 0.9, "{name}: {f}");
        assert_eq!(f["document"]["number_masked"], "*****7007", "{name}: {f}");
        assert!(
            details(f)
                .iter()
                .any(|d| d.starts_with("page 1: machine-readable zone")),
            "{name}: {f}"
        );
    }
}

/// The warnings of a `scan --json` run: (path, message), in output order.
fn warnings(out: &std::process::Output) -> Vec<(String, String)> {
    json_lines(out)
        .into_iter()
        .filter(|(t, _)| t == "warning")
        .map(|(_, d)| {
            let p = d["path"]["text"].as_str().unwrap_or_default().to_string();
            (p, d["message"].as_str().unwrap_or_default().to_string())
        })
        .collect()
}

#[test]
fn pdf_scans_and_text_layers_are_found_with_their_page() {
    let t = TestDir::new();
    t.write("in/scan-0001.pdf", &pdf(Some(jpeg_xobject()), &[], false));
    let mrz = [
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
    ];
    t.write("in/form.pdf", &pdf(None, &mrz, false));
    let invoice = [
        "INVOICE 2024-117",
        "Passport photos, 4 prints   12.50",
        "Total EUR 12.50. Thank you for your visit.",
    ];
    t.write(
        "in/invoice.pdf",
        &pdf(Some(gradient_xobject()), &invoice, false),
    );
    t.write("in/locked.pdf", &pdf(Some(jpeg_xobject()), &[], true));
    let whole = pdf(Some(jpeg_xobject()), &[], false);
    t.write("in/cut.pdf", &whole[..whole.len() / 2]);

    let out = scan_any(&t.path().join("in"), &t.path().join("cache"), &[]);
    // The encrypted and the truncated PDF were not fully looked at: the run says so by its code.
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains(NUMBER), "full number printed: {stdout}");
    assert!(!stdout.contains("L898902C3"), "MRZ printed: {stdout}");
    let found = findings_by_path(&out, &t.path().join("in"));

    let f = finding(&found, "scan-0001.pdf");
    assert_eq!(f["kind"], "passport", "{f}");
    assert!(f["confidence"].as_f64().unwrap() >= 0.9, "{f}");
    assert_eq!(f["file_type"], "pdf");
    assert_eq!(f["document"]["number_masked"], "*****7007", "{f}");
    assert!(
        details(f)
            .iter()
            .any(|d| d.starts_with("page 1: machine-readable zone")),
        "{f}"
    );

    let f = finding(&found, "form.pdf");
    assert_eq!(f["kind"], "passport", "{f}");
    assert!(f["confidence"].as_f64().unwrap() >= 0.9, "{f}");
    assert!(
        details(f)
            .iter()
            .any(|d| d.starts_with("text layer of page 1: machine-readable zone")),
        "{f}"
    );

    assert!(
        found
            .get("invoice.pdf")
            .is_none_or(|f| f["confidence"].as_f64().unwrap() < 0.5),
        "an invoice was flagged: {:?}",
        found.get("invoice.pdf")
    );
    // The encrypted and the truncated file get a note each, and the run goes on.
    let notes = warnings(&out);
    let note = |name: &str| {
        notes
            .iter()
            .find(|(p, _)| p.ends_with(name))
            .map(|(_, m)| m.clone())
            .unwrap_or_else(|| panic!("no note on {name}: {notes:?}"))
    };
    assert!(note("locked.pdf").contains("encrypted"), "{notes:?}");
    assert!(note("cut.pdf").contains("damaged"), "{notes:?}");
}

/// An image XObject of `w` × `h` pixels behind `filter`, with `parms` as its `/DecodeParms`.
pub(crate) fn filtered_xobject(
    filter: &str,
    w: u32,
    h: u32,
    bits: i64,
    parms: Option<Dictionary>,
    data: Vec<u8>,
) -> Stream {
    let mut dict = dictionary! {
        "Type" => "XObject", "Subtype" => "Image", "Width" => w as i64, "Height" => h as i64,
        "ColorSpace" => "DeviceGray", "BitsPerComponent" => bits, "Filter" => filter,
    };
    if let Some(p) = parms {
        dict.set("DecodeParms", p);
    }
    let mut s = Stream::new(dict, data);
    s.allows_compression = false;
    s
}

/// The specimen as a 1-bit page, scanned at about 300 dpi (three times its size) and
/// thresholded, as a scanner app's black-and-white mode stores it; `true` is black.
fn bilevel_passport() -> (u32, u32, Vec<bool>) {
    let img = image::open(passport_jpeg()).unwrap().into_luma8();
    let (w, h) = (img.width() * 3, img.height() * 3);
    let big = image::imageops::resize(&img, w, h, image::imageops::FilterType::CatmullRom);
    (w, h, big.pixels().map(|p| p.0[0] < 128).collect())
}

/// CCITT Group 4 (T.6) coding of a bilevel picture, by the `fax` crate's encoder.
pub(crate) fn group4(w: u32, pels: &[bool]) -> Vec<u8> {
    let mut enc = fax::encoder::Encoder::new(fax::VecWriter::new());
    for row in pels.chunks(w as usize) {
        let colours = row.iter().map(|&b| {
            if b {
                fax::Color::Black
            } else {
                fax::Color::White
            }
        });
        enc.encode_line(colours, w).unwrap();
    }
    enc.finish().unwrap().finish()
}

/// A JBIG2 page in PDF's embedded organisation (ITU T.88 annex D.3): a page-information
/// segment and one immediate generic region coded with MMR, whose data is plain T.6.
pub(crate) fn jbig2_page(w: u32, h: u32, mmr: &[u8]) -> Vec<u8> {
    fn segment(out: &mut Vec<u8>, number: u32, kind: u8, data: &[u8]) {
        out.extend(number.to_be_bytes());
        out.push(kind); // one-byte page association
        out.push(0); // no referred-to segments
        out.push(1); // page 1
        out.extend((data.len() as u32).to_be_bytes());
        out.extend(data);
    }
    let mut info = Vec::new();
    for v in [w, h, 0, 0] {
        info.extend(v.to_be_bytes());
    }
    info.extend([0, 0, 0]); // flags, no striping
    let mut region = Vec::new();
    for v in [w, h, 0, 0] {
        region.extend(v.to_be_bytes());
    }
    region.extend([0, 1]); // OR onto the page; generic region flags: MMR
    region.extend(mmr);
    let mut out = Vec::new();
    segment(&mut out, 0, 48, &info);
    segment(&mut out, 1, 38, &region);
    segment(&mut out, 2, 49, &[]);
    out
}

#[test]
#[ignore = "needs ffmpeg (ffmpeg)"]
fn pdf_scans_in_jpeg2000_fax_and_jbig2_are_found() {
    let t = TestDir::new();
    let dir = t.path().join("in");
    fs::create_dir_all(&dir).unwrap();
    // JPEG 2000 by ffmpeg's own encoder, in a JP2 file as PDF writers embed it.
    let j2k = t.path().join("page.jp2");
    let jpeg = passport_jpeg();
    ffmpeg(&[
        "-i",
        jpeg.to_str().unwrap(),
        "-c:v",
        "jpeg2000",
        "-pix_fmt",
        "rgb24",
        "-f",
        "image2",
        j2k.to_str().unwrap(),
    ]);
    let jpx = fs::read(&j2k).unwrap();
    assert!(jpx.starts_with(b"\0\0\0\x0cjP  "), "not a JP2 file");
    let rgb = |data: Vec<u8>| {
        let mut s = filtered_xobject("JPXDecode", 600, 421, 8, None, data);
        s.dict.set("ColorSpace", "DeviceRGB");
        s
    };
    t.write("in/scan-jpx.pdf", &pdf(Some(rgb(jpx.clone())), &[], false));

    let (w, h, pels) = bilevel_passport();
    let g4 = group4(w, &pels);
    let fax_parms = dictionary! { "K" => -1, "Columns" => w as i64, "Rows" => h as i64 };
    let fax = filtered_xobject(
        "CCITTFaxDecode",
        w,
        h,
        1,
        Some(fax_parms.clone()),
        g4.clone(),
    );
    t.write("in/scan-fax.pdf", &pdf(Some(fax), &[], false));
    let jbig2 = filtered_xobject("JBIG2Decode", w, h, 1, None, jbig2_page(w, h, &g4));
    t.write("in/scan-jbig2.pdf", &pdf(Some(jbig2), &[], false));

    // The same pages with their image data replaced by noise (after the JP2 signature). A JP2
    // cut short is not among them: its resolution levels decode as far as they go, as in a viewer.
    let noise = crate::util::noise_bytes(7, g4.len());
    let damaged = [&jpx[..12], &noise[..]].concat();
    t.write("in/broken-jpx.pdf", &pdf(Some(rgb(damaged)), &[], false));
    let fax = filtered_xobject("CCITTFaxDecode", w, h, 1, Some(fax_parms), noise.clone());
    t.write("in/broken-fax.pdf", &pdf(Some(fax), &[], false));
    let jbig2 = filtered_xobject("JBIG2Decode", w, h, 1, None, noise);
    t.write("in/broken-jbig2.pdf", &pdf(Some(jbig2), &[], false));

    let out = scan_any(&dir, &t.path().join("cache"), &[]);
    // The damaged files were not fully looked at: the run says so by its code.
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains(NUMBER), "full number printed: {stdout}");
    let found = findings_by_path(&out, &dir);
    passports_read_on_page_1(&found, &["scan-jpx.pdf", "scan-fax.pdf", "scan-jbig2.pdf"]);
    let warnings = warnings(&out);
    for (name, codec) in [
        ("broken-jpx.pdf", "JPEG 2000"),
        ("broken-fax.pdf", "CCITT"),
        ("broken-jbig2.pdf", "JBIG2"),
    ] {
        assert!(
            found
                .get(name)
                .is_none_or(|f| f["confidence"].as_f64().unwrap() < 0.5),
            "{name} flagged: {:?}",
            found.get(name)
        );
        let note = warnings.iter().find(|(p, _)| p.ends_with(name));
        assert!(
            note.is_some_and(|(_, m)| m.contains("pixels not analysed") && m.contains(codec)),
            "{name}: {warnings:?}"
        );
    }
}

/// Runs ffmpeg with `args`; a missing ffmpeg fails the test (see [`crate::util::tool`]).
fn ffmpeg(args: &[&str]) {
    let o = crate::util::tool("ffmpeg", "ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .output()
        .expect("run ffmpeg");
    assert!(
        o.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A phone-screen recording (886×1920, 10 fps): 2 s of an empty screen, then the specimen
/// passport for 4 s, with a keyframe every 2 s.
fn recording(out: &Path, codec: &[&str]) {
    let jpeg = passport_jpeg();
    let graph = "color=c=0x203040:s=886x1920:r=10:d=2[a];\
                 [0:v]scale=886:-2,pad=886:1920:0:(oh-ih)/2:color=white,setsar=1,fps=10,format=yuv420p[b];\
                 [a]format=yuv420p[a2];[a2][b]concat=n=2:v=1[v]";
    let mut args = vec!["-loop", "1", "-t", "4", "-i", jpeg.to_str().unwrap()];
    args.extend(["-filter_complex", graph, "-map", "[v]", "-g", "20"]);
    args.extend(codec);
    args.push(out.to_str().unwrap());
    ffmpeg(&args);
}

#[test]
#[ignore = "needs ffmpeg (ffmpeg)"]
fn recordings_show_their_document_and_when() {
    let t = TestDir::new();
    let dir = t.path().join("in");
    fs::create_dir_all(&dir).unwrap();
    let h264 = ["-c:v", "libx264", "-preset", "ultrafast"];
    let hevc = [
        "-c:v",
        "libx265",
        "-preset",
        "ultrafast",
        "-tag:v",
        "hvc1",
        "-x265-params",
        "log-level=error",
    ];
    recording(&dir.join("RPReplay_Final1700000000.mp4"), &h264);
    recording(&dir.join("screen-hevc.mov"), &hevc);
    // An app's screen with moving pictures and a clock, but no document.
    let app = dir.join("ScreenRecording_app.mp4");
    let src = "testsrc2=s=886x1920:r=10:d=6";
    let app_args = ["-f", "lavfi", "-i", src, "-g", "20", "-pix_fmt", "yuv420p"];
    ffmpeg(&[&app_args[..], &h264[..], &[app.to_str().unwrap()]].concat());

    let out = scan(&dir, &t.path().join("cache"), &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains(NUMBER), "full number printed: {stdout}");
    let found = findings_by_path(&out, &dir);
    for name in ["RPReplay_Final1700000000.mp4", "screen-hevc.mov"] {
        // The passport appears at 0:02 and stays; the frame read is one where it shows.
        let f = recording_shows_the_passport(&found, name, &["frame at 0:0"]);
        assert!(
            signals(f).contains(&"content.mrz".to_string()),
            "{name}: {f}"
        );
    }
    let f = finding(&found, "ScreenRecording_app.mp4");
    assert!(
        !signals(f)
            .iter()
            .any(|s| s == "content.mrz" || s == "content.keywords"),
        "{f}"
    );
    // Its keyframes decoded (and, the view changing between them, frames between them).
    assert!(
        details(f)
            .iter()
            .any(|d| d.contains("keyframes") && d.contains(" decoded, ")),
        "frames not looked at: {f}"
    );
}

/// Seconds at which the H.264 recording at `path` has keyframes, by ffprobe.
fn keyframe_seconds(path: &Path) -> Vec<f64> {
    let out = crate::util::tool("ffprobe", "ffmpeg")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v",
            "-skip_frame",
            "nokey",
        ])
        .args(["-show_entries", "frame=pts_time", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().trim_end_matches(',').parse().ok())
        .collect()
}

#[test]
#[ignore = "needs ffmpeg, ffprobe (ffmpeg)"]
fn a_document_shown_between_keyframes_is_found() {
    let t = TestDir::new();
    let dir = t.path().join("in");
    fs::create_dir_all(&dir).unwrap();
    // 3 s of an empty screen, the passport for 4 s, 3 s empty again; one keyframe only (a GOP
    // of 600 frames, no keyframes at scene cuts), as a recorder with sparse keyframes writes it:
    // P-frames only, and with B-frames (x264's `veryfast`), whose pictures come out reordered.
    let jpeg = passport_jpeg();
    let graph = "color=c=0x203040:s=886x1920:r=10:d=3,format=yuv420p[a];\
                 [0:v]scale=886:-2,pad=886:1920:0:(oh-ih)/2:color=white,setsar=1,fps=10,format=yuv420p[b];\
                 color=c=0x203040:s=886x1920:r=10:d=3,format=yuv420p[c];\
                 [a][b][c]concat=n=3:v=1[v]";
    let names = [
        "RPReplay_Final1700000001.mp4",
        "RPReplay_Final1700000002.mp4",
    ];
    for (name, preset) in names.iter().zip(["ultrafast", "veryfast"]) {
        let out = dir.join(name);
        let args = [
            "-loop",
            "1",
            "-t",
            "4",
            "-i",
            jpeg.to_str().unwrap(),
            "-filter_complex",
            graph,
            "-map",
            "[v]",
            "-c:v",
            "libx264",
            "-preset",
            preset,
            "-g",
            "600",
            "-sc_threshold",
            "0",
            out.to_str().unwrap(),
        ];
        ffmpeg(&args);
        assert_eq!(
            keyframe_seconds(&out),
            vec![0.0],
            "{name}: the test needs a single keyframe"
        );
    }

    let scanned = scan(&dir, &t.path().join("cache"), &[]);
    let found = findings_by_path(&scanned, &dir);
    for name in names {
        let f = finding(&found, name);
        assert_eq!(f["kind"], "screen_recording", "{name}: {f}");
        assert!(f["confidence"].as_f64().unwrap() >= 0.9, "{name}: {f}");
        assert_eq!(f["document"]["number_masked"], "*****7007", "{name}: {f}");
        // On screen from 0:03 to 0:07: the frame read is one of those seconds.
        let during = ["0:03", "0:04", "0:05", "0:06"].map(|s| format!("frame at {s}"));
        assert!(
            details(f).iter().any(|d| {
                during.iter().any(|s| d.starts_with(s.as_str()))
                    && d.contains("machine-readable zone")
            }),
            "{name}: {f}"
        );
        assert!(
            details(f)
                .iter()
                .any(|d| d.contains("frames between them decoded")),
            "{name}: {f}"
        );
    }
}

#[test]
#[ignore = "needs ffmpeg (ffmpeg)"]
fn matroska_and_webm_recordings_are_looked_into() {
    let t = TestDir::new();
    let dir = t.path().join("in");
    fs::create_dir_all(&dir).unwrap();
    // OBS names its recordings by date and writes MKV with H.264; a browser's MediaRecorder
    // writes WebM with VP9.
    let mkv = dir.join("2026-11-30 10-00-00.mkv");
    let h264 = ["-c:v", "libx264", "-preset", "ultrafast"];
    let vp9 = [
        "-c:v",
        "libvpx-vp9",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-b:v",
        "1M",
    ];
    recording(&mkv, &h264);
    recording(&dir.join("screen-record-kyc.webm"), &vp9);
    let whole = fs::read(&mkv).unwrap();
    // The headers overwritten with noise, and the file cut inside its first cluster.
    let mut noisy = whole.clone();
    noisy[40..400].copy_from_slice(&crate::util::noise_bytes(3, 360));
    t.write("in/screen-record-noise.mkv", &noisy);
    t.write("in/screen-record-cut.mkv", &whole[..whole.len().min(6000)]);

    let out = scan_any(&dir, &t.path().join("cache"), &[]);
    // The damaged files were not fully looked at: the run says so by its code.
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains(NUMBER), "full number printed: {stdout}");
    let found = findings_by_path(&out, &dir);
    let f = finding(&found, "2026-11-30 10-00-00.mkv");
    assert_eq!(f["file_type"], "matroska", "{f}");
    assert_eq!(f["kind"], "screen_recording", "{f}");
    assert!(f["confidence"].as_f64().unwrap() >= 0.9, "{f}");
    assert_eq!(f["document"]["number_masked"], "*****7007", "{f}");
    assert!(
        details(f)
            .iter()
            .any(|d| d.starts_with("frame at 0:0") && d.contains("machine-readable zone")),
        "{f}"
    );

    let f = finding(&found, "screen-record-kyc.webm");
    assert_eq!(f["file_type"], "webm", "{f}");
    assert!(
        details(f)
            .iter()
            .any(|d| d.contains("pixels not analysed") && d.contains("VP9")),
        "{f}"
    );

    let warnings = warnings(&out);
    for name in ["screen-record-noise.mkv", "screen-record-cut.mkv"] {
        let note = warnings.iter().find(|(p, _)| p.ends_with(name));
        assert!(
            note.is_some_and(|(_, m)| m.contains("pixels not analysed: recording")),
            "{name}: {warnings:?}"
        );
    }
}

#[test]
fn heic_photo_is_decoded_and_read() {
    let t = TestDir::new();
    let heic =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/formats/pe__100_pass-hrv.heic");
    t.write("in/IMG_0001.HEIC", &fs::read(heic).unwrap());
    let out = scan(&t.path().join("in"), &t.path().join("cache"), &[]);
    let found = findings_by_path(&out, &t.path().join("in"));
    let f = finding(&found, "IMG_0001.HEIC");
    assert_eq!(f["file_type"], "heif");
    assert_eq!(f["kind"], "passport", "{f}");
    assert!(f["confidence"].as_f64().unwrap() >= 0.9, "{f}");
    assert!(signals(f).contains(&"content.mrz".to_string()), "{f}");
}

/// A phone screen (886×1920) showing `picture` scaled to `width` px wide, centred on `ground`,
/// its top `top` px down (centred when `None`).
pub(crate) fn screen(
    picture: &image::RgbImage,
    width: u32,
    top: Option<i64>,
    ground: [u8; 3],
) -> image::RgbImage {
    use image::imageops::{self, FilterType};
    let (w, h) = picture.dimensions();
    let height = (u64::from(h) * u64::from(width) / u64::from(w)) as u32;
    let scaled = imageops::resize(picture, width, height, FilterType::Lanczos3);
    let mut out = image::RgbImage::from_pixel(886, 1920, image::Rgb(ground));
    let top = top.unwrap_or((1920 - i64::from(height)) / 2);
    imageops::overlay(&mut out, &scaled, i64::from((886 - width) / 2), top);
    out
}

pub(crate) fn rgb_fixture(rel: &str) -> image::RgbImage {
    image::open(crate::util::fixture(rel)).unwrap().into_rgb8()
}

/// A screen recording (2 fps, a keyframe every 2 s) of an app: screens full of text, scrolled
/// and changed every two seconds, and for two seconds, on a keyframe, the specimen passport's
/// data page 820 px wide with its MRZ sharp. The app's screens carry more text than the page,
/// so reading the most text-like frames misses it; it looks like a document (an MRZ band, a
/// page's outline) and must be read whatever the text elsewhere.
#[test]
fn a_recording_is_read_where_a_document_shows_not_where_text_is_most() {
    let t = TestDir::new();
    let app = rgb_fixture("synth/app_screenshot.png");
    let receipt = rgb_fixture("synth/receipt.jpg");
    let passport = image::open(passport_jpeg()).unwrap().into_rgb8();
    let light = [245, 245, 247];
    let views = [
        screen(&app, 886, Some(0), light),
        screen(&app, 886, Some(-500), light),
        screen(&receipt, 886, None, light),
        screen(&app, 886, Some(-1000), light),
        screen(&passport, 820, None, [32, 48, 64]),
        screen(&app, 886, Some(-250), light),
        screen(&receipt, 700, Some(100), light),
        screen(&app, 886, Some(-750), light),
    ];
    // Four frames (2 s) of each view, the first of each a keyframe.
    let frames: Vec<image::RgbImage> = views
        .iter()
        .flat_map(|v| std::iter::repeat_n(v.clone(), 4))
        .collect();
    let keyframes: Vec<usize> = (0..frames.len()).step_by(4).collect();
    let mp4 = crate::util::media::h264_mp4(&frames, 2, &keyframes);
    t.write("in/RPReplay_Final1700000003.mp4", &mp4);
    if std::env::var("DUMP_REC").is_ok() {
        fs::write("/tmp/rec3.mp4", &mp4).unwrap();
        return;
    }
    // The same recording without the passport: app screens only.
    let mut plain = frames.clone();
    plain[16..20].clone_from_slice(&frames[..4]);
    plain[16] = views[2].clone();
    t.write(
        "in/RPReplay_Final1700000004.mp4",
        &crate::util::media::h264_mp4(&plain, 2, &keyframes),
    );

    let out = scan(&t.path().join("in"), &t.path().join("cache"), &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains(NUMBER), "full number printed: {stdout}");
    let found = findings_by_path(&out, &t.path().join("in"));
    let f = finding(&found, "RPReplay_Final1700000003.mp4");
    assert_eq!(f["kind"], "screen_recording", "{f}");
    assert!(f["confidence"].as_f64().unwrap() >= 0.9, "{f}");
    assert_eq!(f["document"]["number_masked"], "*****7007", "{f}");
    assert!(
        details(f)
            .iter()
            .any(|d| d.starts_with("frame at 0:08") && d.contains("machine-readable zone")),
        "{f}"
    );
    let plain = finding(&found, "RPReplay_Final1700000004.mp4");
    assert!(plain.get("document").is_none(), "{plain}");
    assert!(
        !signals(plain)
            .iter()
            .any(|s| s == "content.mrz" || s == "content.mrz_shaped" || s == "content.keywords"),
        "{plain}"
    );
}

/// A two-page PDF: a receipt's text on page 1, and on page 2 `image` drawn small, directly or
/// (`in_form`) inside a form XObject, as some PDF writers wrap every image.
fn two_page_pdf(image: Stream, in_form: bool) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Courier",
    });
    let receipt = "BT /F1 11 Tf 48 780 Td (RECEIPT 2024-117  Coffee 3.20  Total EUR 3.20) Tj ET";
    let first_content = doc.add_object(Stream::new(dictionary! {}, receipt.as_bytes().to_vec()));
    let first = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages, "Contents" => first_content,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
    });
    let image = doc.add_object(image);
    let draw = "q 272 0 0 185 60 560 cm /Im1 Do Q";
    let xobject = if in_form {
        let form = Stream::new(
            dictionary! {
                "Type" => "XObject", "Subtype" => "Form",
                "BBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
                "Resources" => dictionary! { "XObject" => dictionary! { "Im1" => image } },
            },
            draw.as_bytes().to_vec(),
        );
        (doc.add_object(form), "/Fm1 Do")
    } else {
        (image, draw)
    };
    let name = if in_form { "Fm1" } else { "Im1" };
    let second_content = doc.add_object(Stream::new(dictionary! {}, xobject.1.as_bytes().to_vec()));
    let second = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages, "Contents" => second_content,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Resources" => dictionary! { "XObject" => dictionary! { name => xobject.0 } },
    });
    doc.objects.insert(
        pages,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![first.into(), second.into()], "Count" => 2,
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

/// A small JPEG as a DCT image XObject.
fn small_jpeg_xobject(jpeg: Vec<u8>) -> Stream {
    let (w, h) = image::load_from_memory(&jpeg)
        .unwrap()
        .into_rgb8()
        .dimensions();
    let mut s = Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Image", "Width" => w as i64, "Height" => h as i64,
            "ColorSpace" => "DeviceRGB", "BitsPerComponent" => 8, "Filter" => "DCTDecode",
        },
        jpeg,
    );
    s.allows_compression = false;
    s
}

/// A 272×185 passport image (the corpus' 275×184 specimen, as the photo path finds it on its
/// own) and a 282×179 ID card on page 2 of two-page PDFs, drawn directly and from inside a
/// form XObject, are found, and the finding names page 2; the same PDF with an ordinary
/// picture there is not a document.
#[test]
fn small_images_on_a_later_page_of_a_pdf_are_read_as_the_photo_path_reads_them() {
    let t = TestDir::new();
    let small_passport = {
        let img = rgb_fixture("detect/positive/pe__25_pass-uto.jpg");
        let img = image::imageops::resize(&img, 272, 185, image::imageops::FilterType::Lanczos3);
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 92)
            .encode_image(&img)
            .unwrap();
        jpeg
    };
    let id_card = fs::read(crate::util::fixture("detect/positive/pe__100_id-che.jpg")).unwrap();
    t.write("in/photo.jpg", &small_passport);
    t.write(
        "in/application.pdf",
        &two_page_pdf(small_jpeg_xobject(small_passport.clone()), false),
    );
    t.write(
        "in/printed.pdf",
        &two_page_pdf(small_jpeg_xobject(small_passport), true),
    );
    t.write(
        "in/id-copy.pdf",
        &two_page_pdf(small_jpeg_xobject(id_card), false),
    );
    t.write("in/brochure.pdf", &two_page_pdf(gradient_xobject(), true));

    let out = scan(&t.path().join("in"), &t.path().join("cache"), &[]);
    let found = findings_by_path(&out, &t.path().join("in"));
    let f = finding(&found, "photo.jpg");
    assert_eq!(
        f["kind"], "passport",
        "the photo path must find it first: {f}"
    );
    for (name, kind) in [
        ("application.pdf", "passport"),
        ("printed.pdf", "passport"),
        ("id-copy.pdf", "id_card"),
    ] {
        let f = finding(&found, name);
        assert_eq!(f["kind"], kind, "{name}: {f}");
        assert!(f["confidence"].as_f64().unwrap() >= 0.9, "{name}: {f}");
        assert!(
            details(f)
                .iter()
                .any(|d| d.starts_with("page 2: machine-readable zone")),
            "{name}: {f}"
        );
    }
    assert!(
        found
            .get("brochure.pdf")
            .is_none_or(|f| f["confidence"].as_f64().unwrap() < 0.5),
        "{:?}",
        found.get("brochure.pdf")
    );
}

/// The recordings the tests build in-process (OpenH264, muxed by `media::h264_mp4`) are what a
/// third party reads: ffprobe sees an H.264 track of the frames' size, every frame, and the
/// keyframes where they were asked for.
#[test]
#[ignore = "needs ffprobe (ffmpeg)"]
fn in_process_recordings_read_as_asked_by_ffprobe() {
    let t = TestDir::new();
    let views = [
        screen(
            &rgb_fixture("synth/app_screenshot.png"),
            886,
            Some(0),
            [245; 3],
        ),
        screen(
            &image::open(passport_jpeg()).unwrap().into_rgb8(),
            820,
            None,
            [32, 48, 64],
        ),
    ];
    let frames: Vec<image::RgbImage> = (0..10).map(|i| views[i / 5].clone()).collect();
    let path = t.write(
        "rec.mp4",
        &crate::util::media::h264_mp4(&frames, 2, &[0, 5]),
    );
    assert_eq!(keyframe_seconds(&path), vec![0.0, 2.5]);
    let out = crate::util::tool("ffprobe", "ffmpeg")
        .args(["-v", "error", "-select_streams", "v", "-count_frames"])
        .args([
            "-show_entries",
            "stream=codec_name,width,height,nb_read_frames",
        ])
        .args(["-of", "csv=p=0"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "h264,886,1920,10"
    );
}
