//! Documents inside PDFs and recordings as the evaluation sets of `bench/detect-media.sh` show
//! them (issue 23): each test builds its file (in-process, or by ffmpeg for the oracle tests)
//! and scans it with the real binary.

use std::fs;
use std::path::Path;

use image::{GrayImage, Luma, imageops};
use lopdf::dictionary;

use crate::content::scan;
use crate::formats::{
    details, filtered_xobject, finding, group4, jbig2_page, passport_jpeg,
    passports_read_on_page_1, pdf, recording_shows_the_passport, rgb_fixture, screen,
};
use crate::util::{TestDir, findings_by_path, signals};

/// An A4 page scanned in black and white at 200 dpi (1654 × 2339) with the specimen passport at
/// its real size (125 mm, 984 px) on it, thresholded against the mean of each pixel's
/// neighbourhood as scanner apps binarise; `true` is black.
fn a4_scan_of_the_passport() -> (u32, u32, Vec<bool>) {
    let (w, h) = (1654, 2339);
    let passport = image::open(passport_jpeg()).unwrap().into_luma8();
    let width = 984;
    let height = passport.height() * width / passport.width();
    let shown = imageops::resize(&passport, width, height, imageops::FilterType::Lanczos3);
    let mut page = GrayImage::from_pixel(w, h, Luma([250]));
    imageops::overlay(&mut page, &shown, 157, 400);
    let local = imageops::fast_blur(&page, 8.0);
    let pels = page
        .pixels()
        .zip(local.pixels())
        .map(|(p, m)| m.0[0].saturating_sub(p.0[0]) > 10)
        .collect();
    (w, h, pels)
}

/// A scanner app's black-and-white page (CCITT G4, and the same page as JBIG2) holding a
/// passport at its real size is read: its 1-bit strokes, shrunk to the working copy as they
/// are, showed only an outline (0.45); softened to grey they show the zone.
#[test]
fn a_black_and_white_a4_scan_of_a_passport_is_read() {
    let t = TestDir::new();
    let (w, h, pels) = a4_scan_of_the_passport();
    let g4 = group4(w, &pels);
    let parms = dictionary! { "K" => -1, "Columns" => w as i64, "Rows" => h as i64 };
    let fax = filtered_xobject("CCITTFaxDecode", w, h, 1, Some(parms), g4.clone());
    t.write("in/scan-bw.pdf", &pdf(Some(fax), &[], false));
    let jbig2 = filtered_xobject("JBIG2Decode", w, h, 1, None, jbig2_page(w, h, &g4));
    t.write("in/scan-bw-jbig2.pdf", &pdf(Some(jbig2), &[], false));

    let out = scan(&t.path().join("in"), &t.path().join("cache"), &[]);
    let found = findings_by_path(&out, &t.path().join("in"));
    passports_read_on_page_1(&found, &["scan-bw.pdf", "scan-bw-jbig2.pdf"]);
}

/// Records `out` with ffmpeg at 10 fps and `w` × `h`: `before` seconds of a grey app-coloured
/// screen, the specimen passport at 90 % of the frame (its width or height) on a light ground for 4 s, then 3 s of the
/// screen again, with the encoder arguments `codec` (which set the keyframe interval).
fn record_passport(out: &Path, (w, h): (u32, u32), before: u32, codec: &[&str]) {
    let jpeg = passport_jpeg();
    let (doc_w, doc_h) = (w * 9 / 10, h * 9 / 10);
    let screen = |d: u32, label: &str| {
        format!("color=c=0xe6e8ec:s={w}x{h}:r=10:d={d},format=yuv420p[{label}];")
    };
    let (first, inputs) = match before {
        0 => (String::new(), "[b][c]concat=n=2"),
        d => (screen(d, "a"), "[a][b][c]concat=n=3"),
    };
    let graph = format!(
        "{first}{}[0:v]scale={doc_w}:{doc_h}:force_original_aspect_ratio=decrease:\
         force_divisible_by=2,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:color=0xf6f6f8,setsar=1,fps=10,\
         format=yuv420p[b];{inputs}:v=1[v]",
        screen(3, "c")
    );
    let mut args = vec!["-loop", "1", "-t", "4", "-i", jpeg.to_str().unwrap()];
    args.extend(["-filter_complex", &graph, "-map", "[v]"]);
    args.extend(codec);
    args.push(out.to_str().unwrap());
    let o = crate::util::tool("ffmpeg", "ffmpeg")
        .args(["-v", "error", "-y"])
        .args(&args)
        .output()
        .expect("run ffmpeg");
    assert!(
        o.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The finding of `name` reads the passport's zone on a frame and says the recording is one of a
/// screen, by its size (`meta.screen_video`: the metadata stage reads no Matroska header, the
/// frames' size says it).
fn read_as_a_screen_recording(
    found: &std::collections::BTreeMap<String, serde_json::Value>,
    name: &str,
) {
    let f = finding(found, name);
    assert_eq!(f["kind"], "screen_recording", "{name}: {f}");
    assert!(f["confidence"].as_f64().unwrap() >= 0.9, "{name}: {f}");
    assert_eq!(f["document"]["number_masked"], "*****7007", "{name}: {f}");
    let signals = signals(f);
    assert!(signals.contains(&"content.mrz".to_string()), "{name}: {f}");
    assert!(
        signals.contains(&"meta.screen_video".to_string()),
        "{name}: {f}"
    );
    assert!(
        details(f)
            .iter()
            .any(|d| d.starts_with("frame at 0:0") && d.contains("machine-readable zone")),
        "{name}: {f}"
    );
}

/// A desktop recorder's MKV (H.264, 1280×720, a screen size), a browser's WebM in VP8 and in
/// AV1 at a phone's shape, and AV1 in MP4, each under a neutral name: each is decoded and read,
/// as a screen recording. Before, the MKV's frames were read as photos (no screen-recording
/// vote: nothing reads its header) and VP8 and AV1 were not decoded.
#[test]
#[ignore = "needs ffmpeg (ffmpeg)"]
fn matroska_vp8_and_av1_recordings_are_read_as_screen_recordings() {
    let t = TestDir::new();
    let dir = t.path().join("in");
    fs::create_dir_all(&dir).unwrap();
    let key2s = ["-g", "20", "-keyint_min", "20"];
    let h264 = [
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-sc_threshold",
        "0",
    ];
    record_passport(
        &dir.join("clip.mkv"),
        (1280, 720),
        2,
        &[&h264[..], &key2s].concat(),
    );
    let vp8 = [
        "-c:v",
        "libvpx",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-b:v",
        "2M",
    ];
    record_passport(
        &dir.join("clip-vp8.webm"),
        (720, 1600),
        2,
        &[&vp8[..], &key2s].concat(),
    );
    let av1 = [
        "-c:v",
        "libaom-av1",
        "-cpu-used",
        "8",
        "-usage",
        "realtime",
        "-b:v",
        "2M",
    ];
    // On the first keyframe, and smaller: the debug build's AV1 decoder (rav1d with debug
    // assertions) takes tens of seconds a frame, past the decoding budget after one.
    let av1 = [&av1[..], &key2s].concat();
    record_passport(&dir.join("clip-av1.webm"), (540, 1200), 0, &av1);
    record_passport(&dir.join("clip-av1.mp4"), (540, 1200), 0, &av1);

    let out = scan(&dir, &t.path().join("cache"), &[]);
    let found = findings_by_path(&out, &dir);
    for name in ["clip.mkv", "clip-vp8.webm", "clip-av1.webm", "clip-av1.mp4"] {
        read_as_a_screen_recording(&found, name);
    }
}

/// An H.264 MKV with a single keyframe (as OBS writes with a long keyframe interval), with
/// B-frames, showing the passport from 0:03 to 0:07: found on a frame decoded between keyframes.
/// Before, Matroska's sampler decoded keyframes only.
#[test]
#[ignore = "needs ffmpeg (ffmpeg)"]
fn a_document_between_matroska_keyframes_is_found() {
    let t = TestDir::new();
    let dir = t.path().join("in");
    fs::create_dir_all(&dir).unwrap();
    let one_key = [
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-g",
        "600",
        "-sc_threshold",
        "0",
    ];
    record_passport(&dir.join("desk.mkv"), (1280, 720), 3, &one_key);

    let out = scan(&dir, &t.path().join("cache"), &[]);
    let found = findings_by_path(&out, &dir);
    read_as_a_screen_recording(&found, "desk.mkv");
    let f = finding(&found, "desk.mkv");
    assert!(
        details(f)
            .iter()
            .any(|d| d.contains("1 keyframes and") && d.contains("frames between them decoded")),
        "{f}"
    );
}

/// A phone's screen recording (886×1920, 5 fps, made in-process) of app screens, each held 2 s,
/// with the specimen passport's data page shown for 1.4 s from `shown` (a frame number) in
/// place of the app, and a keyframe every `gop` frames; `None` shows the app only.
fn app_recording(gop: usize, shown: Option<usize>) -> Vec<u8> {
    let app = rgb_fixture("synth/app_screenshot.png");
    let receipt = rgb_fixture("synth/receipt.jpg");
    let light = [245, 245, 247];
    let views = [
        screen(&app, 886, Some(0), light),
        screen(&receipt, 886, None, light),
        screen(&app, 886, Some(-500), light),
        screen(&receipt, 700, Some(100), light),
        screen(&app, 886, Some(-1000), light),
        screen(&app, 886, Some(-250), light),
    ];
    let passport = image::open(passport_jpeg()).unwrap().into_rgb8();
    let passport = screen(&passport, 820, None, [32, 48, 64]);
    let frames: Vec<image::RgbImage> = (0..60)
        .map(|i| match shown {
            Some(s) if (s..s + 7).contains(&i) => passport.clone(),
            _ => views[i / 10].clone(),
        })
        .collect();
    let keyframes: Vec<usize> = (0..frames.len()).step_by(gop).collect();
    crate::util::media::h264_mp4(&frames, 5, &keyframes)
}

/// A document shown for 1.4 s between two keyframes of an MP4 screen recording — keyframes 2 s
/// apart (2.4–3.8 s, between 2 and 4), and 10 s apart (4.4–5.8 s) — is found on a frame
/// decoded between them, where the recording's pictures show the view changing; the same
/// recordings without it give no document. Before, MP4 frames between keyframes were decoded
/// only across gaps of more than 4 s, and then every 2 s, so both were missed.
#[test]
fn a_document_shown_between_mp4_keyframes_is_found() {
    let t = TestDir::new();
    let dir = t.path().join("in");
    fs::create_dir_all(&dir).unwrap();
    let files = [
        ("RPReplay_Final1700000010.mp4", 10, Some(12)),
        ("RPReplay_Final1700000011.mp4", 50, Some(22)),
        ("RPReplay_Final1700000012.mp4", 10, None),
        ("RPReplay_Final1700000013.mp4", 50, None),
    ];
    for (name, gop, shown) in files {
        fs::write(dir.join(name), app_recording(gop, shown)).unwrap();
    }
    let out = scan(&dir, &t.path().join("cache"), &[]);
    let found = findings_by_path(&out, &dir);
    // The seconds the passport is on screen, and only then.
    for (name, at) in [
        (
            "RPReplay_Final1700000010.mp4",
            ["frame at 0:02", "frame at 0:03"],
        ),
        (
            "RPReplay_Final1700000011.mp4",
            ["frame at 0:04", "frame at 0:05"],
        ),
    ] {
        let f = recording_shows_the_passport(&found, name, &at);
        assert!(
            details(f)
                .iter()
                .any(|d| d.contains("frames between them decoded")),
            "{name}: {f}"
        );
    }
    for name in [
        "RPReplay_Final1700000012.mp4",
        "RPReplay_Final1700000013.mp4",
    ] {
        let f = finding(&found, name);
        assert!(f.get("document").is_none(), "{name}: {f}");
        assert!(
            !signals(f)
                .iter()
                .any(|s| s == "content.mrz" || s == "content.mrz_shaped"),
            "{name}: {f}"
        );
    }
}

/// A `w` × `h` frame showing the document `fixture` (under `tests/data/`) `width` px wide,
/// turned `degrees` counter-clockwise, in its middle, on a dark ground.
fn turned_document(fixture: &str, (w, h): (u32, u32), width: u32, degrees: f32) -> image::RgbImage {
    use imageproc::geometric_transformations::{Border, Interpolation, rotate_about_center};
    let ground = image::Rgb([32, 48, 64]);
    let doc = rgb_fixture(fixture);
    let height = doc.height() * width / doc.width();
    let doc = imageops::resize(&doc, width, height, imageops::FilterType::Lanczos3);
    let mut frame = image::RgbImage::from_pixel(w, h, ground);
    imageops::overlay(
        &mut frame,
        &doc,
        i64::from((w - width) / 2),
        i64::from((h - height) / 2),
    );
    rotate_about_center(
        &frame,
        -degrees.to_radians(),
        Interpolation::Bilinear,
        Border::Constant(ground),
    )
}

/// An ID card turned 24° on a desktop screen recording's keyframe (a photo of it shown on
/// screen, 44 % of a 1280×720 frame wide) is found: the frame looks like a document, reading it
/// whole confirms nothing, and it is looked at closer as a photo is — the card straightened and
/// its zone read. Before, a screen recording's frames were only read whole, and nothing was
/// found.
#[test]
fn a_turned_card_on_a_recordings_keyframe_is_straightened_and_read() {
    let t = TestDir::new();
    let dir = t.path().join("in");
    fs::create_dir_all(&dir).unwrap();
    let screen = image::RgbImage::from_pixel(1280, 720, image::Rgb([230, 232, 236]));
    let card = turned_document("detect/positive/pe__100_id-che.jpg", (1280, 720), 560, 24.0);
    let frames = [screen.clone(), screen.clone(), card.clone(), card, screen];
    let mp4 = crate::util::media::h264_mp4(&frames, 1, &[0, 2, 4]);
    fs::write(dir.join("screen-2024-03-12.mp4"), mp4).unwrap();
    let out = scan(&dir, &t.path().join("cache"), &[]);
    let found = findings_by_path(&out, &dir);
    let f = finding(&found, "screen-2024-03-12.mp4");
    assert_eq!(f["kind"], "screen_recording", "{f}");
    assert!(f["confidence"].as_f64().unwrap() >= 0.9, "{f}");
    assert!(
        details(f).iter().any(|d| d.starts_with("frame at 0:0")
            && d.contains("machine-readable zone")
            && d.contains("straightened")),
        "{f}"
    );
}
