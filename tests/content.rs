//! Content analysis (pixels, OCR, confirmers) through the real binary: fixture documents under
//! neutral names are found by their pixels alone, hard negatives are not, hostile files give a
//! note and no crash, the cache skips unchanged files and holds no paths, and no full document
//! number ever reaches stdout.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::util::media;
use crate::util::{TestDir, findings_by_path, fixture, idvault, json_lines, signals};

/// Runs `scan --json` on `root` with its own cache directory; the run must succeed.
pub fn scan(root: &Path, cache: &Path, extra: &[&str]) -> Output {
    let out = scan_any(root, cache, extra);
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `scan --json` on `root` with its own cache directory, whatever its exit code.
pub fn scan_any(root: &Path, cache: &Path, extra: &[&str]) -> Output {
    idvault()
        .env("XDG_CACHE_HOME", cache)
        .env_remove("IDVAULT_NO_CACHE")
        .args(["scan", "--json"])
        .args(extra)
        .arg(root)
        .output()
        .unwrap()
}

pub fn summary(out: &Output) -> Value {
    json_lines(out)
        .into_iter()
        .find(|(t, _)| t == "summary")
        .expect("summary line")
        .1
}

/// Copies fixtures (see [`fixture`]) to `in/` as `file-NN.ext`, returning (neutral name,
/// fixture name).
fn copy_neutral(t: &TestDir, files: &[&str]) -> Vec<(String, String)> {
    let paths: Vec<PathBuf> = files.iter().map(|f| fixture(f)).collect();
    copy_neutral_paths(t, &paths)
}

/// Copies files to `in/` as `file-NN.ext`, returning (neutral name, original path).
fn copy_neutral_paths(t: &TestDir, files: &[PathBuf]) -> Vec<(String, String)> {
    files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let ext = f.extension().unwrap().to_string_lossy();
            let name = format!("in/file-{i:02}.{ext}");
            t.write(&name, &fs::read(f).unwrap());
            (
                name.trim_start_matches("in/").to_string(),
                f.display().to_string(),
            )
        })
        .collect()
}

#[test]
fn documents_are_found_by_their_pixels_alone() {
    let t = TestDir::new();
    let cases = [
        ("detect/positive/pe__25_pass-uto.jpg", "passport"),
        ("detect/positive/pe__100_pass-hrv.jpg", "passport"),
        ("detect/positive/pe__100_id-che.jpg", "id_card"),
        ("detect/positive/pe__33_id-usa.jpg", "residence_permit"),
        ("synth/mrv_visa.png", "visa"),
        ("synth/cn_id_front.jpg", "id_card"),
        ("synth/cn_id_back.jpg", "id_card"),
        ("synth/kyc_screenshot.png", "kyc_screenshot"),
    ];
    let names = copy_neutral(&t, &cases.map(|c| c.0));
    let out = scan(&t.path().join("in"), &t.path().join("cache"), &[]);
    let found = findings_by_path(&out, &t.path().join("in"));
    for ((neutral, original), (_, kind)) in names.iter().zip(cases) {
        let f = found
            .get(neutral)
            .unwrap_or_else(|| panic!("{original} not found; findings: {found:?}"));
        assert_eq!(f["kind"], kind, "{original}: {f}");
        assert!(f["confidence"].as_f64().unwrap() >= 0.6, "{original}: {f}");
        assert!(
            signals(f).iter().any(|s| s.starts_with("content.")),
            "{original}: {f}"
        );
    }
    // The MRZ documents say who issued them and show the number masked; a zone read from its
    // data line alone names no document code rather than an empty one.
    let icao = &found[&names[0].0];
    let mrz_reason = icao["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["signal"] == "content.mrz")
        .unwrap_or_else(|| panic!("{icao}"));
    assert!(
        !mrz_reason["detail"]
            .as_str()
            .unwrap()
            .contains("document code )"),
        "{icao}"
    );
    assert_eq!(icao["document"]["source"], "mrz");
    assert_eq!(icao["document"]["number_masked"], "*****02C3", "{icao}");
    assert!(
        icao["document"]["number_masked"]
            .as_str()
            .unwrap()
            .starts_with("*****")
    );
    // The Chinese card's portrait side is confirmed by its GB 11643 number, shown masked; its
    // emblem side carries no number, and its labels decide.
    let front = &found[&names[5].0];
    assert_eq!(front["document"]["source"], "cn_id_number", "{front}");
    assert_eq!(
        front["document"]["number_masked"], "**************7970",
        "{front}"
    );
    let back = &found[&names[6].0];
    assert!(back.get("document").is_none(), "{back}");
}

#[test]
fn hard_negatives_are_not_documents() {
    let t = TestDir::new();
    let files = [
        "synth/business_card.jpg",
        "synth/bank_card.jpg",
        "synth/receipt.jpg",
        "detect/negative/easyocr__chinese.jpg",
        "detect/negative/exs-jpg-exif-org__canon-ixus.jpg",
    ];
    let names = copy_neutral(&t, &files);
    let out = scan(&t.path().join("in"), &t.path().join("cache"), &[]);
    let found = findings_by_path(&out, &t.path().join("in"));
    for (neutral, original) in &names {
        if let Some(f) = found.get(neutral) {
            let document = !matches!(f["kind"].as_str(), Some("screenshot"));
            assert!(
                !(document && f["confidence"].as_f64().unwrap() >= 0.5),
                "{original} reported: {f}"
            );
        }
    }
    assert_eq!(summary(&out)["content_analysed"], files.len());
}

#[test]
fn hostile_images_give_a_note_and_the_scan_goes_on() {
    let t = TestDir::new();
    let jpeg = fs::read(fixture("detect/positive/pe__100_pass-hrv.jpg")).unwrap();
    t.write("in/truncated.jpg", &jpeg[..jpeg.len() / 3]);
    t.write("in/tiny.png", &media::png(1, 1, &[]));
    // A PNG header announcing 60000×60000 pixels (3.6 GP) with a few bytes of data.
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&60_000u32.to_be_bytes());
    ihdr.extend_from_slice(&60_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut bomb = b"\x89PNG\r\n\x1a\n".to_vec();
    bomb.extend(media::png_chunk(b"IHDR", &ihdr));
    bomb.extend(media::png_chunk(b"IDAT", &[0x78, 0x01, 0x01, 0x00, 0x00]));
    bomb.extend(media::png_chunk(b"IEND", &[]));
    t.write("in/bomb.png", &bomb);
    let noise: Vec<u8> = (0..50_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    t.write("in/random.jpg", &noise);
    let mut fake = vec![0xFF, 0xD8, 0xFF, 0xE0];
    fake.extend_from_slice(&noise);
    t.write("in/fake.jpg", &fake);
    t.copy_fixture("detect/positive/pe__25_pass-uto.jpg", "in/zz.jpg");

    // Files not fully looked at make the run exit 1 (README, "Safety").
    let out = idvault()
        .env("XDG_CACHE_HOME", t.path().join("cache"))
        .env_remove("IDVAULT_NO_CACHE")
        .args(["scan", "--json"])
        .arg(t.path().join("in"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let notes: Vec<Value> = json_lines(&out)
        .into_iter()
        .filter(|(ty, _)| ty == "warning")
        .map(|(_, d)| d)
        .collect();
    let note_for = |name: &str| {
        notes
            .iter()
            .find(|n| n["path"]["text"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("no note for {name}: {notes:?}"))
    };
    for name in ["bomb.png", "fake.jpg"] {
        let n = note_for(name);
        assert_eq!(n["severity"], "note", "{n}");
        assert_eq!(n["incomplete"], true, "{n}");
        assert!(
            n["message"]
                .as_str()
                .unwrap()
                .starts_with("pixels not analysed"),
            "{n}"
        );
    }
    assert!(
        note_for("bomb.png")["message"]
            .as_str()
            .unwrap()
            .contains("megapixel limit")
    );
    // The good file after the bad ones is still found, and nothing counts as an error.
    let found = findings_by_path(&out, &t.path().join("in"));
    assert_eq!(found["zz.jpg"]["kind"], "passport");
    assert_eq!(summary(&out)["errors"], 0);
    // The first third of a passport photo is analysed as far as it decodes: PASSPORT is read.
    assert_eq!(found["truncated.jpg"]["kind"], "passport", "{found:?}");
    assert!(notes.iter().all(|n| {
        !n["path"]["text"]
            .as_str()
            .unwrap()
            .ends_with("truncated.jpg")
    }));
}

#[test]
fn unchanged_files_come_from_the_cache_which_holds_no_paths() {
    let t = TestDir::new();
    let names = copy_neutral(
        &t,
        &[
            "detect/negative/exs-jpg-exif-org__canon-ixus.jpg",
            "detect/negative/kbcc__creditcard2.jpeg",
        ],
    );
    let root = t.path().join("in");
    let cache = t.path().join("cache");
    let first = summary(&scan(&root, &cache, &[]));
    assert_eq!(first["content_analysed"], 2);
    assert_eq!(first["content_cached"], 0);
    let second = summary(&scan(&root, &cache, &[]));
    assert_eq!(second["content_analysed"], 0, "{second}");
    assert_eq!(second["content_cached"], 2, "{second}");
    // --no-cache analyses again; a changed file is analysed again.
    let forced = summary(&scan(&root, &cache, &["--no-cache"]));
    assert_eq!(forced["content_analysed"], 2);
    let changed = root.join(&names[0].0);
    let mut bytes = fs::read(&changed).unwrap();
    bytes.extend_from_slice(b"\0");
    fs::write(&changed, bytes).unwrap();
    let third = summary(&scan(&root, &cache, &[]));
    assert_eq!(third["content_analysed"], 1, "{third}");
    assert_eq!(third["content_cached"], 1, "{third}");

    let dir = cache.join("idvault");
    let mut files = 0;
    for e in fs::read_dir(&dir).unwrap() {
        let bytes = fs::read(e.unwrap().path()).unwrap();
        files += 1;
        for needle in [root.to_str().unwrap(), "file-00", "file-01", "in/"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "cache holds {needle}"
            );
        }
    }
    // The known negatives, the remembered findings (sealed) and the key.
    assert_eq!(files, 3);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
}

#[test]
fn full_document_numbers_never_reach_stdout() {
    let t = TestDir::new();
    copy_neutral(
        &t,
        &[
            "detect/positive/pe__25_pass-uto.jpg",
            "synth/cn_id_front.jpg",
        ],
    );
    for json in [true, false] {
        let mut cmd = idvault();
        cmd.env("XDG_CACHE_HOME", t.path().join("cache"))
            .arg("scan");
        if json {
            cmd.arg("--json");
        }
        let out = cmd.arg(t.path().join("in")).output().unwrap();
        assert!(out.status.success());
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(stdout.contains("02C3"), "{stdout}");
        for secret in ["L898902C3", "510104199411177970", "<<<", "ERIKSSON"] {
            assert!(!stdout.contains(secret), "{secret} in {stdout}");
        }
    }
}

/// Known misses, asserted strictly so that they are visible until detection reaches them: the
/// issuer of the ICAO specimen passport, whose first MRZ line OCR splits in two, and the Spanish
/// TD1 card, whose check digits OCR misreads. Both are GPL-licensed renders that cannot be
/// fixtures, so this reads the evaluation corpus:
/// `IDVAULT_CORPUS=/path/to/corpus cargo test -- --ignored known_misses`.
#[test]
#[ignore = "known detection misses in the evaluation corpus (IDVAULT_CORPUS); see docs/detection.md"]
fn known_misses_issuer_and_spanish_card() {
    let corpus = PathBuf::from(
        std::env::var_os("IDVAULT_CORPUS")
            .expect("set IDVAULT_CORPUS to the evaluation corpus (the folder holding detect/)"),
    );
    let t = TestDir::new();
    let cases = [
        corpus.join("detect/positive/a1080-passports__ICAO_Example.png"),
        corpus.join("detect/positive/a1080-id_cards__Spain.png"),
    ];
    let names = copy_neutral_paths(&t, &cases);
    let out = scan(&t.path().join("in"), &t.path().join("cache"), &[]);
    let found = findings_by_path(&out, &t.path().join("in"));
    let icao = &found[&names[0].0];
    assert_eq!(icao["document"]["issuing_country"], "UTO", "{icao}");
    let spain = found.get(&names[1].0).expect("Spanish ID card found");
    assert_eq!(spain["kind"], "id_card", "{spain}");
}

/// A 12 MP phone photo (3024×4032) of a white A4 sheet on a dark desk, with each of `docs`
/// copied onto the sheet about 1000 px wide, one below the other: each covers a few percent of
/// the photo, too little to read in the working copy. Saved as a JPEG at `rel`.
fn photo_of_a_sheet(t: &TestDir, rel: &str, docs: &[&str]) {
    use image::{Rgb, RgbImage, imageops};
    let mut photo = RgbImage::from_pixel(3024, 4032, Rgb([62, 54, 50]));
    let sheet = RgbImage::from_pixel(2560, 3620, Rgb([246, 245, 241]));
    imageops::overlay(&mut photo, &sheet, 232, 206);
    for (i, doc) in docs.iter().enumerate() {
        let img = image::open(fixture(doc)).unwrap().to_rgb8();
        let h = 1000 * img.height() / img.width();
        let img = imageops::resize(&img, 1000, h, imageops::FilterType::CatmullRom);
        imageops::overlay(&mut photo, &img, 900, 700 + i as i64 * 1300);
    }
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 88)
        .encode_image(&photo)
        .unwrap();
    t.write(rel, &jpeg);
}

#[test]
fn small_documents_on_a_sheet_are_read_closer() {
    let t = TestDir::new();
    photo_of_a_sheet(
        &t,
        "in/IMG_0001.jpg",
        &[
            "detect/positive/pe__100_id-che.jpg",
            "detect/positive/pe__100_id-che.jpg",
        ],
    );
    photo_of_a_sheet(
        &t,
        "in/IMG_0002.jpg",
        &[
            "detect/negative/kbcc__creditcard2.jpeg",
            "detect/negative/kbcc__creditcard1.png",
        ],
    );
    let out = scan(&t.path().join("in"), &t.path().join("cache"), &[]);
    let found = findings_by_path(&out, &t.path().join("in"));
    let card = found
        .get("IMG_0001.jpg")
        .unwrap_or_else(|| panic!("the copied ID card was not found: {found:?}"));
    assert_eq!(card["kind"], "id_card", "{card}");
    assert!(card["confidence"].as_f64().unwrap() >= 0.9, "{card}");
    let mrz = card["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["signal"] == "content.mrz")
        .unwrap_or_else(|| panic!("{card}"));
    assert!(
        mrz["detail"]
            .as_str()
            .unwrap()
            .contains("small document in the picture"),
        "{card}"
    );
    // Bank cards copied the same way are looked at just as closely, and are not documents.
    assert!(!found.contains_key("IMG_0002.jpg"), "{found:?}");
    assert_eq!(
        summary(&out)["content_ocr"],
        2,
        "{}",
        summary(&out)["content_ocr"]
    );
}

/// A phone photo (1800×1350) of `doc` lying flat on a dark desk beside a few coloured objects,
/// `doc` 1100 px along its long side, the whole photo blurred with a gaussian of `sigma` pixels (a retake out
/// of focus), saved as a JPEG at `rel`.
fn blurred_photo_of(t: &TestDir, rel: &str, doc: &image::RgbImage, sigma: f32) {
    use image::{Rgb, RgbImage, imageops};
    let mut photo = RgbImage::from_pixel(1800, 1350, Rgb([74, 64, 58]));
    for (x, y, w, h, c) in [
        (60, 80, 220, 160, [40, 160, 90]),
        (1500, 1000, 240, 200, [170, 60, 150]),
        (1550, 120, 180, 260, [60, 90, 180]),
    ] {
        imageops::overlay(&mut photo, &RgbImage::from_pixel(w, h, Rgb(c)), x, y);
    }
    // 1100 px along its long side (a photo of a card held upright is taller than wide).
    let (w, h) = if doc.width() >= doc.height() {
        (1100, 1100 * doc.height() / doc.width())
    } else {
        (1100 * doc.width() / doc.height(), 1100)
    };
    let doc = imageops::resize(doc, w, h, imageops::FilterType::CatmullRom);
    imageops::overlay(&mut photo, &doc, 350, i64::from((1350 - h) / 2));
    let photo = imageops::blur(&photo, sigma);
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 88)
        .encode_image(&photo)
        .unwrap();
    t.write(rel, &jpeg);
}

/// A white business card (1000×580) with rows of dark print on one side and its owner's
/// photo (a portrait, cropped from the top) at the other end, half the card's height.
fn business_card_with_photo(portrait: &str) -> image::RgbImage {
    use image::{Rgb, RgbImage, imageops};
    let mut card = RgbImage::from_pixel(1000, 580, Rgb([248, 247, 244]));
    for (row, (width, height)) in [
        (360, 40),
        (240, 22),
        (420, 26),
        (300, 18),
        (330, 18),
        (280, 18),
    ]
    .into_iter()
    .enumerate()
    {
        let y = 90 + row as u32 * 70;
        for x in (80..80 + width).step_by(24) {
            imageops::overlay(
                &mut card,
                &RgbImage::from_pixel(18, height, Rgb([30, 30, 40])),
                x,
                i64::from(y),
            );
        }
    }
    let face = image::open(fixture(portrait)).unwrap().to_rgb8();
    let (pw, ph) = (232u32, 290u32);
    let side = face.width().min(face.height() * pw / ph);
    let top = imageops::crop_imm(&face, (face.width() - side) / 2, 0, side, side * ph / pw);
    let photo = imageops::resize(&top.to_image(), pw, ph, imageops::FilterType::CatmullRom);
    imageops::overlay(&mut card, &photo, 700, 140);
    card
}

/// A blurred passport, and hard negatives blurred the same way: a receipt photo, a portrait,
/// and a business card with its owner's photo (a card outline, a portrait at one end, rows of
/// print). The look of outline, portrait and rows alone tells documents from such cards no
/// better than chance (docs/detection.md), so none of the negatives is reported at all, at any
/// confidence; the passport, soft but legible, is found by what it reads.
#[test]
fn blurred_retakes_are_found_and_their_look_alikes_are_not_reported() {
    let t = TestDir::new();
    let passport = image::open(fixture("detect/positive/pe__100_pass-hrv.jpg"))
        .unwrap()
        .to_rgb8();
    blurred_photo_of(&t, "in/IMG_0001.jpg", &passport, 3.0);
    let receipt = image::open(fixture("synth/receipt.jpg")).unwrap().to_rgb8();
    let receipt = image::imageops::blur(&receipt, 5.0);
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 88)
        .encode_image(&receipt)
        .unwrap();
    t.write("in/IMG_0002.jpg", &jpeg);
    let portrait = image::open(fixture("detect/negative/facerec__obama.jpg"))
        .unwrap()
        .to_rgb8();
    let portrait = image::imageops::blur(&portrait, 4.0);
    jpeg.clear();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 88)
        .encode_image(&portrait)
        .unwrap();
    t.write("in/IMG_0003.jpg", &jpeg);
    let card = business_card_with_photo("detect/negative/facerec__biden.jpg");
    // 0.6 % of the card's width: the middle of the blur the evaluation set uses.
    blurred_photo_of(&t, "in/IMG_0004.jpg", &card, 6.6);
    blurred_photo_of(&t, "in/IMG_0005.jpg", &card, 3.0);

    let out = scan(&t.path().join("in"), &t.path().join("cache"), &[]);
    let found = findings_by_path(&out, &t.path().join("in"));
    let doc = found
        .get("IMG_0001.jpg")
        .unwrap_or_else(|| panic!("the blurred passport was not found: {found:?}"));
    assert_eq!(doc["kind"], "passport", "{doc}");
    assert!(doc["confidence"].as_f64().unwrap() >= 0.5, "{doc}");
    for name in [
        "IMG_0002.jpg",
        "IMG_0003.jpg",
        "IMG_0004.jpg",
        "IMG_0005.jpg",
    ] {
        assert!(!found.contains_key(name), "{name}: {:?}", found.get(name));
    }
    assert_eq!(summary(&out)["content_analysed"], 5);
}

/// Retakes out of focus that the guide's users keep: the back of a Chinese card whose title
/// and validity period stay legible, and its front whose number OCR reads with a `5` taken for
/// an `S`. Found by what survives the blur, at `secure`'s threshold; a bank card and a
/// business card blurred the same way are not.
#[test]
fn blurred_chinese_cards_are_found_by_what_stays_legible() {
    let t = TestDir::new();
    let open = |rel: &str| image::open(fixture(rel)).unwrap().to_rgb8();
    blurred_photo_of(&t, "in/IMG_0101.jpg", &open("synth/cn_id_back.jpg"), 3.0);
    blurred_photo_of(&t, "in/IMG_0102.jpg", &open("synth/cn_id_back.jpg"), 4.5);
    blurred_photo_of(&t, "in/IMG_0103.jpg", &open("synth/cn_id_front.jpg"), 3.0);
    blurred_photo_of(&t, "in/IMG_0104.jpg", &open("synth/bank_card.jpg"), 3.0);
    blurred_photo_of(&t, "in/IMG_0105.jpg", &open("synth/business_card.jpg"), 3.0);
    let out = scan(&t.path().join("in"), &t.path().join("cache"), &[]);
    let found = findings_by_path(&out, &t.path().join("in"));
    for name in ["IMG_0101.jpg", "IMG_0102.jpg", "IMG_0103.jpg"] {
        let f = found
            .get(name)
            .unwrap_or_else(|| panic!("{name} was not found: {found:?}"));
        assert_eq!(f["kind"], "id_card", "{name}: {f}");
        assert!(f["confidence"].as_f64().unwrap() >= 0.5, "{name}: {f}");
        assert!(
            signals(f)
                .iter()
                .any(|s| s == "content.partial" || s == "content.cn_id_number"),
            "{name}: {f}"
        );
    }
    for name in ["IMG_0104.jpg", "IMG_0105.jpg"] {
        if let Some(f) = found.get(name) {
            assert!(f["confidence"].as_f64().unwrap() < 0.5, "{name}: {f}");
        }
    }
    assert_eq!(summary(&out)["content_analysed"], 5);
}

/// A `size` photo of `doc`, `doc_w` pixels wide, turned by `deg` (clockwise) about `centre`
/// (fractions of the photo) on a plain desk of colour `desk`, with a glare blob over its
/// middle when `glare` is set; saved as a JPEG at `rel`.
#[allow(clippy::too_many_arguments)]
fn turned_photo_of(
    t: &TestDir,
    rel: &str,
    doc: &image::RgbImage,
    doc_w: u32,
    deg: f32,
    centre: (f32, f32),
    desk: [u8; 3],
    glare: bool,
) {
    use image::{Rgb, RgbImage};
    let (w, h) = (2000u32, 1500u32);
    let scale = doc.width() as f32 / doc_w as f32;
    let (dw, dh) = (doc_w as f32, doc.height() as f32 / scale);
    let (sin, cos) = deg.to_radians().sin_cos();
    let (cx, cy) = (centre.0 * w as f32, centre.1 * h as f32);
    let sample = |u: f32, v: f32| -> [f32; 3] {
        // Bilinear, inside the document.
        let (x, y) = ((u * scale).max(0.0), (v * scale).max(0.0));
        let (x0, y0) = (x as u32, y as u32);
        let (x1, y1) = (
            (x0 + 1).min(doc.width() - 1),
            (y0 + 1).min(doc.height() - 1),
        );
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let p = |x, y| doc.get_pixel(x, y).0.map(f32::from);
        let (a, b, c, d) = (p(x0, y0), p(x1, y0), p(x0, y1), p(x1, y1));
        std::array::from_fn(|i| {
            (a[i] * (1.0 - fx) + b[i] * fx) * (1.0 - fy) + (c[i] * (1.0 - fx) + d[i] * fx) * fy
        })
    };
    let photo = RgbImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        let (u, v) = (
            dx * cos + dy * sin + dw / 2.0,
            -dx * sin + dy * cos + dh / 2.0,
        );
        let mut px = if (0.0..dw - 1.0).contains(&u) && (0.0..dh - 1.0).contains(&v) {
            sample(u, v)
        } else {
            desk.map(f32::from)
        };
        if glare {
            // A bright, soft ellipse over the middle of the document.
            let r2 = (dx / (dw * 0.22)).powi(2) + (dy / (dh * 0.18)).powi(2);
            let k = (1.0 - r2).max(0.0) * 0.9;
            px = px.map(|c| c + (255.0 - c) * k);
        }
        Rgb(px.map(|c| c.round().clamp(0.0, 255.0) as u8))
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&photo)
        .unwrap();
    t.write(rel, &jpeg);
}

/// The mean colour of `img`: a desk the document blends into.
fn mean_colour(img: &image::RgbImage) -> [u8; 3] {
    let n = u64::from(img.width()) * u64::from(img.height());
    let sum = img.pixels().fold([0u64; 3], |s, p| {
        std::array::from_fn(|i| s[i] + u64::from(p.0[i]))
    });
    sum.map(|s| (s / n.max(1)) as u8)
}

#[test]
fn turned_and_half_frame_documents_are_found() {
    let t = TestDir::new();
    let open = |rel: &str| image::open(fixture(rel)).unwrap().to_rgb8();
    let cn_front = open("synth/cn_id_front.jpg");
    // A photo of a Chinese ID card's front, turned 75° (not a quarter turn) under glare.
    turned_photo_of(
        &t,
        "in/IMG_0001.jpg",
        &cn_front,
        1400,
        75.0,
        (0.5, 0.5),
        [60, 60, 66],
        true,
    );
    // Negatives turned and glared the same ways: a portrait, a business card with its owner's
    // photo on a desk of its own colour, a bank card.
    let portrait = open("detect/negative/facerec__obama.jpg");
    turned_photo_of(
        &t,
        "in/IMG_0004.jpg",
        &portrait,
        1300,
        75.0,
        (0.5, 0.5),
        [60, 60, 66],
        true,
    );
    let card = business_card_with_photo("detect/negative/facerec__biden.jpg");
    let same = mean_colour(&card);
    turned_photo_of(
        &t,
        "in/IMG_0005.jpg",
        &card,
        1100,
        15.0,
        (0.5, 0.5),
        same,
        false,
    );
    let bank = open("synth/bank_card.jpg");
    turned_photo_of(
        &t,
        "in/IMG_0006.jpg",
        &bank,
        1400,
        75.0,
        (0.5, 0.5),
        [60, 60, 66],
        true,
    );

    let out = scan(&t.path().join("in"), &t.path().join("cache"), &[]);
    let found = findings_by_path(&out, &t.path().join("in"));
    let doc = found
        .get("IMG_0001.jpg")
        .unwrap_or_else(|| panic!("the turned, glared card was not found: {found:?}"));
    assert!(doc["confidence"].as_f64().unwrap() >= 0.5, "{doc}");
    for name in ["IMG_0004.jpg", "IMG_0005.jpg", "IMG_0006.jpg"] {
        if let Some(f) = found.get(name) {
            assert!(f["confidence"].as_f64().unwrap() < 0.5, "{name}: {f}");
        }
    }
}

/// Still missed (docs/detection.md, Limits): a passport page turned 35°, filling about half
/// the frame and partly off its right edge, and one blurred by a gaussian of 0.6 % of its
/// width. Neither is read; the outline-and-portrait look that saw them is no longer reported
/// without a zone's band (it saw business cards as often).
#[test]
#[ignore = "known misses: a half-frame passport turned 35°, a passport blurred by 0.6 % of its width"]
fn known_misses_half_frame_and_blurred_passports() {
    let t = TestDir::new();
    let passport = image::open(fixture("detect/positive/pe__100_pass-hrv.jpg"))
        .unwrap()
        .to_rgb8();
    turned_photo_of(
        &t,
        "in/IMG_0003.jpg",
        &passport,
        1300,
        -35.0,
        (0.62, 0.5),
        [150, 120, 90],
        false,
    );
    blurred_photo_of(&t, "in/IMG_0004.jpg", &passport, 6.6);
    let out = scan(&t.path().join("in"), &t.path().join("cache"), &[]);
    let found = findings_by_path(&out, &t.path().join("in"));
    for name in ["IMG_0003.jpg", "IMG_0004.jpg"] {
        let doc = found
            .get(name)
            .unwrap_or_else(|| panic!("{name} not found: {found:?}"));
        assert!(doc["confidence"].as_f64().unwrap() >= 0.5, "{name}: {doc}");
    }
}

/// Still missed (docs/detection.md, Limits): a passport page turned 15° on a desk of its own
/// colour. Its border shows in the edges only in parts, so no quadrilateral is found, and the
/// whole photo's reading does not confirm its zone.
#[test]
#[ignore = "known miss: a passport page on a desk of its own colour"]
fn known_misses_passport_on_a_same_coloured_desk() {
    let t = TestDir::new();
    let passport = image::open(fixture("detect/positive/pe__100_pass-hrv.jpg"))
        .unwrap()
        .to_rgb8();
    let same = mean_colour(&passport);
    turned_photo_of(
        &t,
        "in/IMG_0002.jpg",
        &passport,
        1100,
        15.0,
        (0.5, 0.5),
        same,
        false,
    );
    let out = scan(&t.path().join("in"), &t.path().join("cache"), &[]);
    let found = findings_by_path(&out, &t.path().join("in"));
    let doc = found
        .get("IMG_0002.jpg")
        .unwrap_or_else(|| panic!("not found: {found:?}"));
    assert!(doc["confidence"].as_f64().unwrap() >= 0.5, "{doc}");
}
