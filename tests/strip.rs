//! `idvault strip` on real files: every fixture (or, under `IDVAULT_CORPUS`, every corpus file)
//! stripped and checked by exiftool as a third party, pixels and media data compared, idempotence, hostile inputs, dry run, `--apply`
//! (permissions, mtime, confirmation) and `--output`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::util::media::{self, Exif};
use crate::util::{Noise, TestDir, collection, fixture, idvault, json_lines, tool};

/// The exiftool oracle; a test that needs it fails when it is not installed.
fn exiftool() -> Command {
    tool("exiftool", "libimage-exiftool-perl")
}

/// One tag as exiftool lists it with `-G1 -s`.
#[derive(Debug, Clone)]
struct Tag {
    group: String,
    name: String,
    value: String,
}

/// Runs exiftool with `args` on `files` and returns its `[Group] Tag : value` lines per file.
fn exiftool_lines(args: &[&str], files: &[PathBuf]) -> BTreeMap<PathBuf, Vec<Tag>> {
    let mut out = BTreeMap::new();
    for batch in files.chunks(200) {
        let mut cmd = exiftool();
        cmd.args(args).arg("-a").arg("-G1").arg("-s");
        // Two files at least, so exiftool prints a `========` header before each.
        cmd.args(batch).arg(&batch[0]);
        let o = cmd.output().expect("run exiftool");
        let text = String::from_utf8_lossy(&o.stdout);
        let mut current: Option<PathBuf> = None;
        for line in text.lines() {
            if let Some(p) = line.strip_prefix("======== ") {
                current = Some(PathBuf::from(p));
                out.entry(PathBuf::from(p)).or_insert_with(Vec::new);
            } else if let (Some(rest), Some(file)) = (line.strip_prefix('['), &current) {
                let Some((group, rest)) = rest.split_once(']') else {
                    continue;
                };
                let (name, value) = rest.split_once(':').unwrap_or((rest, ""));
                out.get_mut(file).unwrap().push(Tag {
                    group: group.to_string(),
                    name: name.trim().to_string(),
                    value: value.trim().to_string(),
                });
            }
        }
    }
    out
}

/// Tags of IFD groups that describe the image itself.
const IFD_STRUCTURE: &[&str] = &[
    "SubfileType",
    "OldSubfileType",
    "ImageWidth",
    "ImageHeight",
    "BitsPerSample",
    "Compression",
    "PhotometricInterpretation",
    "FillOrder",
    "StripOffsets",
    "SamplesPerPixel",
    "RowsPerStrip",
    "StripByteCounts",
    "XResolution",
    "YResolution",
    "PlanarConfiguration",
    "ResolutionUnit",
    "Predictor",
    "ColorMap",
    "TileWidth",
    "TileLength",
    "TileOffsets",
    "TileByteCounts",
    "ExtraSamples",
    "SampleFormat",
    "YCbCrCoefficients",
    "YCbCrSubSampling",
    "YCbCrPositioning",
    "ReferenceBlackWhite",
    "CFARepeatPatternDim",
    "CFAPattern2",
    "DNGVersion",
    "DNGBackwardVersion",
    "ColorMatrix1",
    "ColorMatrix2",
    "CameraCalibration1",
    "CameraCalibration2",
    "AnalogBalance",
    "AsShotNeutral",
    "BaselineExposure",
    "BaselineNoise",
    "BaselineSharpness",
    "LinearResponseLimit",
    "ShadowScale",
    "CalibrationIlluminant1",
    "CalibrationIlluminant2",
    "CFAPlaneColor",
    "CFALayout",
    "BlackLevelRepeatDim",
    "BlackLevel",
    "WhiteLevel",
    "DefaultScale",
    "DefaultCropOrigin",
    "DefaultCropSize",
    "BayerGreenSplit",
    "AntiAliasStrength",
    "BestQualityScale",
    "ActiveArea",
    "MaskedAreas",
    "PreviewImageStart",
    "PreviewImageLength",
    "JpgFromRawStart",
    "JpgFromRawLength",
    "ThumbnailOffset",
    "ThumbnailLength",
];

/// PNG header and rendering tags.
/// What exiftool's PDF group says of a document's structure (its version, page count, and the
/// page images kept as they are), not of who made it or when.
const PDF_STRUCTURE: &[&str] = &[
    "PDFVersion",
    "Linearized",
    "PageCount",
    "EmbeddedImage",
    "EmbeddedImageWidth",
    "EmbeddedImageHeight",
    "EmbeddedImageFilter",
    "EmbeddedImageColorSpace",
    "EmbeddedImageBitsPerComponent",
];

const PNG_STRUCTURE: &[&str] = &[
    "ImageWidth",
    "ImageHeight",
    "BitDepth",
    "ColorType",
    "Compression",
    "Filter",
    "Interlace",
    "Gamma",
    "WhitePointX",
    "WhitePointY",
    "RedX",
    "RedY",
    "GreenX",
    "GreenY",
    "BlueX",
    "BlueY",
    "BackgroundColor",
    "SRGBRendering",
    "Palette",
    "Transparency",
    "SignificantBits",
    "AppleDataOffsets",
    "AnimationFrames",
    "AnimationPlays",
];

/// Groups exiftool fills from container structure alone (sizes, codecs, brands, durations).
fn structural_group(g: &str) -> bool {
    matches!(
        g,
        "JFIF" | "Adobe" | "QuickTime" | "Meta" | "RIFF" | "GIF" | "PNG-pHYs"
    ) || (g.starts_with("Track") && g[5..].bytes().all(|b| b.is_ascii_digit()))
}

fn icc_group(g: &str) -> bool {
    g.starts_with("ICC_Profile") || g.starts_with("ICC-")
}

/// Tag names that are metadata wherever they appear.
fn identifying(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "make",
        "model",
        "software",
        "serial",
        "gps",
        "location",
        "author",
        "artist",
        "comment",
        "description",
        "title",
        "copyright",
        "encoder",
        "owner",
        "creator",
        "history",
        "user",
        "keyword",
        "lens",
        "firmware",
        "name",
        "xmp",
        "exif",
        "iptc",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// Why a tag of a stripped file is not allowed, if it is not.
fn violation(t: &Tag, keep_orientation: bool) -> Option<String> {
    let what = format!("[{}] {} = {}", t.group, t.name, t.value);
    let g = t.group.as_str();
    if icc_group(g) {
        return None;
    }
    if g == "IFD0" && t.name == "Orientation" {
        return (!keep_orientation).then_some(what);
    }
    if (g.starts_with("IFD") || g.starts_with("SubIFD")) && IFD_STRUCTURE.contains(&t.name.as_str())
    {
        return None;
    }
    if g == "PNG" && PNG_STRUCTURE.contains(&t.name.as_str()) {
        return None;
    }
    if g == "PDF" && PDF_STRUCTURE.contains(&t.name.as_str()) {
        return None;
    }
    if g == "PNG" && t.name == "ProfileName" {
        return None; // the iCCP chunk's name: part of the kept ICC profile
    }
    if !structural_group(g) {
        return Some(what);
    }
    // Container fields that cannot be removed must have been blanked.
    let blank = t.value.is_empty() || t.value == "0" || t.value.starts_with("0000:00:00");
    if (identifying(&t.name) || t.name.contains("Date")) && !blank {
        return Some(what);
    }
    None
}

/// Runs `idvault strip --json` with `args` and returns the `file` records by path.
fn strip_json(args: &[&std::ffi::OsStr]) -> (std::process::Output, BTreeMap<PathBuf, Value>) {
    let out = idvault()
        .arg("strip")
        .arg("--json")
        .args(args)
        .output()
        .unwrap();
    let files = json_lines(&out)
        .into_iter()
        .filter(|(t, _)| t == "file")
        .map(|(_, d)| (PathBuf::from(d["path"]["text"].as_str().unwrap()), d))
        .collect();
    (out, files)
}

fn warnings(tags: Option<&Vec<Tag>>) -> BTreeSet<String> {
    tags.into_iter()
        .flatten()
        .filter(|t| t.name == "Warning")
        .map(|t| t.value.clone())
        .collect()
}

/// Every file of the collection folder `dir` (see [`collection`]) strips to something exiftool
/// finds clean, with no new validation warnings.
fn corpus_oracle(dir: &str) {
    let t = TestDir::new();
    let src = collection(dir);
    let out_dir = t.path().join("out");
    let (out, records) = strip_json(&[src.as_os_str(), "--output".as_ref(), out_dir.as_os_str()]);
    assert!(!records.is_empty());

    let originals: Vec<PathBuf> = records.keys().cloned().collect();
    let before = exiftool_lines(&["-validate", "-warning"], &originals);
    let mut cleaned = Vec::new();
    let mut problems = Vec::new();
    for (path, r) in &records {
        match r["status"].as_str().unwrap() {
            "stripped" | "unchanged" => cleaned.push((
                path.clone(),
                PathBuf::from(r["output"]["text"].as_str().unwrap()),
            )),
            "unsupported" => {}
            "failed" => {
                // Only files exiftool itself finds broken may fail, and with a clear message.
                let broken = warnings(before.get(path))
                    .iter()
                    .any(|w| w.contains("format error") || w.contains("Truncated"));
                if !broken {
                    problems.push(format!("{}: failed: {}", path.display(), r["message"]));
                }
            }
            s => problems.push(format!("{}: unexpected status {s}", path.display())),
        }
    }
    let outputs: Vec<PathBuf> = cleaned.iter().map(|c| c.1.clone()).collect();
    let tags = exiftool_lines(
        &[
            "-u",
            "-ee3",
            "-e",
            "--File:all",
            "--System:all",
            "--ExifTool:all",
        ],
        &outputs,
    );
    let after = exiftool_lines(&["-validate", "-warning"], &outputs);
    for (orig, clean) in &cleaned {
        for t in tags.get(clean).into_iter().flatten() {
            if let Some(v) = violation(t, true) {
                problems.push(format!("{}: {v}", orig.display()));
            }
        }
        let was = warnings(before.get(orig));
        for w in warnings(after.get(clean)).difference(&was) {
            problems.push(format!("{}: new exiftool warning: {w}", orig.display()));
        }
        assert_same_content(orig, clean);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let code = out.status.code();
    let any_failed = records.values().any(|r| r["status"] == "failed");
    assert_eq!(code, Some(if any_failed { 1 } else { 0 }));
}

/// Pixels (images the `image` crate decodes) or audio and video packets (videos, by ffmpeg) are
/// identical.
fn assert_same_content(orig: &Path, clean: &Path) {
    let a = fs::read(orig).unwrap();
    let b = fs::read(clean).unwrap();
    if let Ok(before) = image::load_from_memory(&a) {
        let after = image::load_from_memory(&b)
            .unwrap_or_else(|e| panic!("{}: clean copy does not decode: {e}", orig.display()));
        assert_eq!(
            (before.width(), before.height(), before.color()),
            (after.width(), after.height(), after.color())
        );
        assert!(
            before.as_bytes() == after.as_bytes(),
            "{}: pixels differ",
            orig.display()
        );
        return;
    }
    let kind = idvault::fuzzing::media::sniff::sniff(&a);
    if kind.is_some_and(|k| k.is_video()) {
        assert_eq!(a.len(), b.len(), "{}: size changed", orig.display());
        match media_streams(orig) {
            Ok(x) => {
                let y = media_streams(clean).unwrap_or_else(|e| {
                    panic!("{}: ffmpeg cannot read the clean copy: {e}", orig.display())
                });
                assert_eq!(x, y, "{}: audio/video packets differ", orig.display());
            }
            // Every fixture is a real video. Only the full corpus holds metadata carriers with
            // placeholder media that ffmpeg rejects; their media data must then be untouched
            // byte for byte. (Not for real videos: timed metadata such as a GPS track lives
            // in `mdat` too, and stripping blanks it.)
            Err(e) if std::env::var_os("IDVAULT_CORPUS").is_some() => {
                eprintln!(
                    "{}: ffmpeg cannot read the original ({}); mdat compared byte for byte",
                    orig.display(),
                    e.trim()
                );
                assert!(
                    mdat_payloads(&a) == mdat_payloads(&b),
                    "{}: media data (mdat) differs",
                    orig.display()
                );
            }
            Err(e) => panic!("{}: ffmpeg cannot read the fixture: {e}", orig.display()),
        }
    }
}

/// The payloads of the top-level `mdat` boxes of an ISO-BMFF file, found by walking box headers
/// here rather than with idvault's own reader, so that the check is independent of it.
fn mdat_payloads(file: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while let Some(header) = file.get(at..at + 8) {
        let size32 = u32::from_be_bytes(header[..4].try_into().unwrap());
        let (size, head) = match size32 {
            0 => (file.len() - at, 8),
            1 => match file.get(at + 8..at + 16) {
                Some(big) => (u64::from_be_bytes(big.try_into().unwrap()) as usize, 16),
                None => break,
            },
            n => (n as usize, 8),
        };
        let Some(body) = file.get(at + head..at.saturating_add(size)) else {
            break;
        };
        if &header[4..8] == b"mdat" {
            out.push(body);
        }
        if size < head {
            break;
        }
        at += size;
    }
    out
}

/// MD5 of the audio and video packets (stream copy, no decoding; cover art is metadata and not
/// counted) by ffmpeg, the second oracle, or its error message when it cannot read `p`.
fn media_streams(p: &Path) -> Result<String, String> {
    let o = tool("ffmpeg", "ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(p)
        .args([
            "-map", "0:V?", "-map", "0:a?", "-c", "copy", "-f", "md5", "-",
        ])
        .output()
        .expect("run ffmpeg");
    if o.status.success() {
        Ok(String::from_utf8_lossy(&o.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&o.stderr).into_owned())
    }
}

#[test]
#[ignore = "needs exiftool (libimage-exiftool-perl), ffmpeg (ffmpeg)"]
fn metadata_corpus_passes_exiftool_oracle() {
    corpus_oracle("metadata");
}

#[test]
#[ignore = "needs exiftool (libimage-exiftool-perl)"]
fn detect_corpus_passes_exiftool_oracle() {
    corpus_oracle("detect");
}

#[test]
#[ignore = "needs exiftool (libimage-exiftool-perl)"]
fn keep_none_removes_orientation_and_icc() {
    let t = TestDir::new();
    let rotated = t.copy_fixture(
        "detect/negative/exs-jpg-orientation__portrait_6.jpg",
        "in/rotated.jpg",
    );
    let icc = t.copy_fixture("metadata/pil__icc_profile.png", "in/icc.png");
    let out_dir = t.path().join("out");
    let (out, _) = strip_json(&[
        t.path().join("in").as_os_str(),
        "--keep".as_ref(),
        "none".as_ref(),
        "--output".as_ref(),
        out_dir.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let files = [out_dir.join("rotated.jpg"), out_dir.join("icc.png")];
    let tags = exiftool_lines(
        &["-u", "-e", "--File:all", "--System:all", "--ExifTool:all"],
        &files,
    );
    for f in &files {
        for t in &tags[f] {
            assert!(!icc_group(&t.group), "{}: ICC kept: {t:?}", f.display());
            assert!(violation(t, false).is_none(), "{}: {t:?}", f.display());
        }
    }
    // By default the orientation stays, as a minimal EXIF block.
    let default_dir = t.path().join("default");
    strip_json(&[
        rotated.as_os_str(),
        "--output".as_ref(),
        default_dir.as_os_str(),
    ]);
    let tags = exiftool_lines(&["-Orientation", "-n"], &[default_dir.join("rotated.jpg")]);
    let o = &tags[&default_dir.join("rotated.jpg")];
    assert!(
        o.iter().any(|t| t.name == "Orientation" && t.value == "6"),
        "{o:?}"
    );
    assert!(icc.exists());
}

#[test]
fn stripping_twice_gives_the_same_bytes() {
    let t = TestDir::new();
    for f in [
        "metadata/exs-jpg-gps__DSCN0010.jpg",
        "metadata/pil__exif.png",
        "metadata/pil__flower.webp",
        "metadata/mex__IMG_2927.HEIC",
        "metadata/mex__with-gps.mp4",
        "metadata/exs-tiff__Arbitro.tiff",
        "metadata/pil__multiple_comments.gif",
    ] {
        t.copy_fixture(f, Path::new("in").join(Path::new(f).file_name().unwrap()));
    }
    let once = t.path().join("once");
    let twice = t.path().join("twice");
    let (_, first) = strip_json(&[
        t.path().join("in").as_os_str(),
        "--output".as_ref(),
        once.as_os_str(),
    ]);
    assert!(
        first.values().all(|r| r["status"] == "stripped"),
        "{first:?}"
    );
    let (out, second) = strip_json(&[once.as_os_str(), "--output".as_ref(), twice.as_os_str()]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(second.len(), first.len());
    for r in second.values() {
        assert_eq!(r["status"], "unchanged", "{r}");
        let p = PathBuf::from(r["path"]["text"].as_str().unwrap());
        let copy = PathBuf::from(r["output"]["text"].as_str().unwrap());
        assert_eq!(fs::read(&p).unwrap(), fs::read(&copy).unwrap());
    }
}

/// Snapshot of every file under `dir`: bytes, mode and mtime.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, u32, SystemTime)> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let m = e.metadata().unwrap();
            (
                e.path().to_path_buf(),
                (
                    fs::read(e.path()).unwrap(),
                    m.permissions().mode(),
                    m.modified().unwrap(),
                ),
            )
        })
        .collect()
}

#[test]
fn hostile_files_fail_cleanly_and_stay_untouched() {
    let t = TestDir::new();
    let jpeg = fs::read(fixture("metadata/exs-jpg-gps__DSCN0010.jpg")).unwrap();
    t.write("bad/truncated.jpg", &jpeg[..jpeg.len() / 2]);
    let mut absurd = jpeg.clone();
    // The first APPn segment claims to run to 65535 bytes past a tiny file.
    absurd.truncate(600);
    absurd[4] = 0xFF;
    absurd[5] = 0xFF;
    t.write("bad/absurd-length.jpg", &absurd);
    t.write("bad/empty.jpg", b"");
    let png = fs::read(fixture("metadata/pil__exif.png")).unwrap();
    t.write("bad/truncated.png", &png[..png.len() - 20]);
    let mut mp4 = fs::read(fixture("metadata/mex__with-gps.mp4")).unwrap();
    mp4.truncate(mp4.len() - 10);
    t.write("bad/truncated.mp4", &mp4);
    let before = snapshot(t.path());

    let (out, records) = strip_json(&[
        "--apply".as_ref(),
        "--yes".as_ref(),
        t.path().join("bad").as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(records.len(), 5);
    for (p, r) in &records {
        assert_eq!(r["status"], "failed", "{}: {r}", p.display());
        let msg = r["message"].as_str().unwrap();
        assert!(
            ["truncated", "past the end", "empty file", "corrupt"]
                .iter()
                .any(|w| msg.contains(w)),
            "{}: unclear message {msg}",
            p.display()
        );
    }
    assert_eq!(
        snapshot(t.path()),
        before,
        "originals changed or temp files left"
    );
}

#[test]
fn a_png_named_jpg_is_stripped_as_png() {
    let t = TestDir::new();
    let exif = Exif {
        make: Some("Canon"),
        gps: true,
        ..Exif::default()
    };
    let p = t.write(
        "photo.jpg",
        &media::png(16, 16, &[media::png_chunk(b"eXIf", &exif.tiff())]),
    );
    let (out, records) = strip_json(&["--apply".as_ref(), "--yes".as_ref(), p.as_os_str()]);
    assert_eq!(out.status.code(), Some(0));
    let r = &records[&p];
    assert_eq!(r["status"], "stripped");
    assert_eq!(r["format"], "png");
    assert_eq!(r["removed"][0]["group"], "EXIF");
    let clean = fs::read(&p).unwrap();
    assert!(!clean.windows(5).any(|w| w == b"Canon"));
    assert!(!clean.windows(4).any(|w| w == b"eXIf"));
}

#[test]
fn dry_run_changes_nothing_and_lists_groups() {
    let t = TestDir::new();
    t.copy_fixture("metadata/exs-jpg-gps__DSCN0010.jpg", "a/gps.jpg");
    t.copy_fixture("metadata/mex__with-gps.mp4", "a/b/video.mp4");
    t.write("a/image.bmp", &media::bmp(4, 3));
    let before = snapshot(t.path());
    let (out, records) = strip_json(&[t.path().join("a").as_os_str()]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(snapshot(t.path()), before);
    let gps = &records[&t.path().join("a/gps.jpg")];
    assert_eq!(gps["status"], "planned");
    let groups: Vec<&str> = gps["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["EXIF", "XMP"]);
    assert!(gps["bytes_removed"].as_u64().unwrap() > 10_000);
    assert_eq!(
        records[&t.path().join("a/b/video.mp4")]["status"],
        "planned"
    );
    let bmp = &records[&t.path().join("a/image.bmp")];
    assert_eq!(bmp["status"], "unsupported");
    assert!(bmp["message"].as_str().unwrap().contains("left unchanged"));

    // The human form names the groups with sizes and says nothing changed.
    let human = idvault()
        .arg("strip")
        .arg(t.path().join("a"))
        .output()
        .unwrap();
    let stdout = String::from_utf8(human.stdout).unwrap();
    assert!(
        stdout.contains("would strip") && stdout.contains("EXIF 11.00 KiB"),
        "{stdout}"
    );
    assert!(
        String::from_utf8(human.stderr)
            .unwrap()
            .contains("nothing changed")
    );
    assert_eq!(snapshot(t.path()), before);
}

#[test]
fn apply_keeps_permissions_and_mtime() {
    let t = TestDir::new();
    let p = t.copy_fixture("metadata/exs-jpg-gps__DSCN0010.jpg", "photo.jpg");
    fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
    let mtime = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    fs::File::options()
        .write(true)
        .open(&p)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let original = fs::read(&p).unwrap();
    let (out, records) = strip_json(&["--apply".as_ref(), "--yes".as_ref(), p.as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(records[&p]["status"], "stripped");
    let m = fs::metadata(&p).unwrap();
    assert_eq!(m.permissions().mode() & 0o777, 0o640);
    assert_eq!(m.modified().unwrap(), mtime);
    let clean = fs::read(&p).unwrap();
    assert!(clean.len() < original.len());
    assert!(!clean.windows(5).any(|w| w == b"NIKON"));
    assert_eq!(fs::read_dir(t.path()).unwrap().count(), 1, "temp file left");
}

#[test]
fn apply_without_yes_on_a_pipe_refuses() {
    let t = TestDir::new();
    let p = t.copy_fixture("metadata/exs-jpg-gps__DSCN0010.jpg", "photo.jpg");
    let before = snapshot(t.path());
    let out = idvault()
        .arg("strip")
        .arg("--apply")
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--yes"));
    assert_eq!(snapshot(t.path()), before);
}

#[test]
fn apply_refuses_hard_linked_files() {
    let t = TestDir::new();
    let p = t.copy_fixture("metadata/exs-jpg-gps__DSCN0010.jpg", "a/photo.jpg");
    fs::hard_link(&p, t.path().join("other.jpg")).unwrap();
    let before = snapshot(t.path());
    let (out, records) = strip_json(&[
        "--apply".as_ref(),
        "--yes".as_ref(),
        t.path().join("a").as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        records[&p]["message"]
            .as_str()
            .unwrap()
            .contains("hard links")
    );
    assert_eq!(snapshot(t.path()), before);
}

#[test]
fn output_dir_leaves_originals_and_never_overwrites() {
    let t = TestDir::new();
    t.copy_fixture("metadata/exs-jpg-gps__DSCN0010.jpg", "in/x/gps.jpg");
    t.copy_fixture("metadata/pil__exif.png", "in/exif.png");
    let before = snapshot(&t.path().join("in"));
    let out_dir = t.path().join("out");
    let (out, records) = strip_json(&[
        t.path().join("in").as_os_str(),
        "--output".as_ref(),
        out_dir.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(snapshot(&t.path().join("in")), before);
    assert!(out_dir.join("x/gps.jpg").is_file());
    assert!(out_dir.join("exif.png").is_file());
    assert!(records.values().all(|r| r["status"] == "stripped"));
    // A second run into the same folder would overwrite: each file fails instead.
    let copies = snapshot(&out_dir);
    let (out, records) = strip_json(&[
        t.path().join("in").as_os_str(),
        "--output".as_ref(),
        out_dir.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(records.values().all(|r| r["status"] == "failed"));
    assert_eq!(snapshot(&out_dir), copies);
}

#[test]
fn json_has_begin_and_summary() {
    let t = TestDir::new();
    let p = t.copy_fixture("metadata/pil__exif.png", "a.png");
    let out = idvault()
        .args(["strip", "--json"])
        .arg(&p)
        .output()
        .unwrap();
    let lines = json_lines(&out);
    assert_eq!(lines.first().unwrap().0, "begin");
    assert_eq!(lines.first().unwrap().1["command"], "strip");
    let (kind, summary) = lines.last().unwrap();
    assert_eq!(kind, "summary");
    assert_eq!(summary["files"], 1);
    assert_eq!(summary["planned"], 1);
    assert!(summary["bytes_removed"].as_u64().unwrap() > 0);
}

/// Random bytes, truncations and byte flips of fixtures never panic the library, and any
/// output it accepts is stable under a second strip.
#[test]
fn mutated_and_truncated_inputs_never_panic() {
    let opts = idvault::strip::StripOptions {
        verify: idvault::strip::VerifyLevel::Structure,
        ..Default::default()
    };
    let mut rng = Noise::new(0x1D_5EED);
    for i in 0..200 {
        let len = rng.below(64 + i * 4);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        let _ = idvault::strip::strip(&bytes, &opts);
    }
    let files = [
        "metadata/pil__iptc.jpg",
        "metadata/pil__exif.png",
        "metadata/pil__flower.webp",
        "metadata/pil__multiple_comments.gif",
        "metadata/exs-tiff__Arbitro.tiff",
        "metadata/pil__hopper.iccprofile.tif",
        "metadata/mex__exif-at-eof.heic",
        "metadata/pil__exif.avif",
        "metadata/mex__with-gps.mov",
        "metadata/mex__sample.3gp",
    ];
    let bigtiff = media::bigtiff();
    for (f, data) in files
        .iter()
        .map(|f| (*f, fs::read(fixture(f)).unwrap()))
        .chain([("generated BigTIFF", bigtiff)])
    {
        for _ in 0..40 {
            let cut = rng.below(data.len());
            let _ = idvault::strip::strip(&data[..cut], &opts);
        }
        for _ in 0..60 {
            let mut m = data.clone();
            for _ in 0..1 + rng.below(4) {
                // Bias flips towards headers, where the structure lives.
                let window = if rng.below(2) == 0 { 512 } else { usize::MAX };
                let at = rng.below(m.len().min(window));
                m[at] = rng.next_u64() as u8;
            }
            if let Ok(s) = idvault::strip::strip(&m, &opts) {
                let again = idvault::strip::strip(&s.data, &opts)
                    .unwrap_or_else(|e| panic!("{f}: accepted output fails again: {e}"));
                assert!(
                    again.removed.is_empty(),
                    "{f}: not idempotent on a mutation"
                );
            }
        }
    }
}

/// A JPEG the `image` crate encodes, with an EXIF block carrying GPS, make and Orientation 6.
fn gps_jpeg() -> Vec<u8> {
    let mut jpeg = Vec::new();
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 90]));
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&img)
        .unwrap();
    let exif = Exif {
        make: Some("Apple"),
        model: Some("iPhone 6"),
        gps: true,
        orientation: Some(6),
        ..Exif::default()
    };
    media::jpeg_with_exif(&jpeg, &exif.tiff())
}

#[test]
fn quiet_apply_prints_only_failures() {
    let t = TestDir::new();
    let good = t.write("a/photo.jpg", &gps_jpeg());
    let bad = t.write("a/broken.jpg", &gps_jpeg()[..300]);
    let out = idvault()
        .args(["strip", "--apply", "--yes", "-q"])
        .arg(t.path().join("a"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("broken.jpg") && stderr.contains("error"),
        "{stderr}"
    );
    assert!(!fs::read(&good).unwrap().windows(5).any(|w| w == b"Apple"));
    assert_eq!(fs::read(&bad).unwrap(), gps_jpeg()[..300]);
}

#[test]
fn default_and_verify_pixels_give_the_same_clean_file() {
    let t = TestDir::new();
    let input = gps_jpeg();
    let a = t.write("a/photo.jpg", &input);
    let b = t.write("b/photo.jpg", &input);
    for (dir, extra) in [("a", None), ("b", Some("--verify-pixels"))] {
        let out = idvault()
            .args(["strip", "--apply", "--yes", "--json"])
            .args(extra)
            .arg(t.path().join(dir))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let files: Vec<Value> = json_lines(&out)
            .into_iter()
            .filter(|(k, _)| k == "file")
            .map(|(_, v)| v)
            .collect();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0]["status"], "stripped");
    }
    let clean = fs::read(&a).unwrap();
    assert_eq!(clean, fs::read(&b).unwrap());
    let before = image::load_from_memory(&input).unwrap();
    let after = image::load_from_memory(&clean).unwrap();
    assert_eq!(before.as_bytes(), after.as_bytes());
    assert!(!clean.windows(8).any(|w| w == b"iPhone 6"));
    assert_eq!(
        fs::read_dir(t.path().join("a")).unwrap().count(),
        1,
        "temp file left"
    );
}

#[test]
fn many_files_are_all_committed() {
    // More files than commit threads and channel slots together, in two folders.
    let t = TestDir::new();
    let input = gps_jpeg();
    for i in 0..40 {
        t.write(format!("lib/{}/p{i}.jpg", i % 2), &input);
    }
    let out = idvault()
        .args(["strip", "--apply", "--yes", "-j", "2", "--json"])
        .arg(t.path().join("lib"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let summary = json_lines(&out)
        .into_iter()
        .find(|(k, _)| k == "summary")
        .unwrap()
        .1;
    assert_eq!(summary["stripped"], 40);
    for d in ["0", "1"] {
        let names: Vec<_> = fs::read_dir(t.path().join("lib").join(d))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(names.len(), 20, "{names:?}");
        for p in names {
            assert!(!fs::read(&p).unwrap().windows(5).any(|w| w == b"Apple"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Embedded previews in TIFF and DNG (issue 25, gap 8).

/// An IFD entry to build: tag, type, count, value bytes (placed after the table when over 4).
type Field = (u16, u16, u32, Vec<u8>);

fn shorts(tag: u16, v: &[u16]) -> Field {
    let bytes = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    (tag, 3, v.len() as u32, bytes)
}

fn longs(tag: u16, v: &[u32]) -> Field {
    let bytes = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    (tag, 4, v.len() as u32, bytes)
}

fn text(tag: u16, s: &str) -> Field {
    let mut bytes = s.as_bytes().to_vec();
    bytes.push(0);
    (tag, 2, bytes.len() as u32, bytes)
}

/// Room for one IFD with its out-of-line values: IFD `k` starts at `8 + SLOT * k`.
const SLOT: u32 = 512;

fn ifd_at(k: u32) -> u32 {
    8 + SLOT * k
}

/// A little-endian TIFF: `n` IFDs in their slots, then `blobs`. `build` gets the blobs' offsets
/// and returns each IFD's entries and next-IFD offset.
fn tiff_file(n: u32, blobs: &[&[u8]], build: impl Fn(&[u32]) -> Vec<(Vec<Field>, u32)>) -> Vec<u8> {
    let mut offsets = Vec::new();
    let mut at = ifd_at(n);
    for b in blobs {
        offsets.push(at);
        at += b.len() as u32;
    }
    let mut out = vec![0; ifd_at(n) as usize];
    out[..8].copy_from_slice(b"II*\0\x08\0\0\0");
    for (k, (mut entries, next)) in build(&offsets).into_iter().enumerate() {
        entries.sort_by_key(|e| e.0);
        let pos = ifd_at(k as u32) as usize;
        let mut values_at = pos + 2 + 12 * entries.len() + 4;
        let mut t = (entries.len() as u16).to_le_bytes().to_vec();
        for (tag, typ, count, bytes) in &entries {
            t.extend_from_slice(&tag.to_le_bytes());
            t.extend_from_slice(&typ.to_le_bytes());
            t.extend_from_slice(&count.to_le_bytes());
            if bytes.len() <= 4 {
                let mut v = bytes.clone();
                v.resize(4, 0);
                t.extend_from_slice(&v);
            } else {
                t.extend_from_slice(&(values_at as u32).to_le_bytes());
                out[values_at..values_at + bytes.len()].copy_from_slice(bytes);
                values_at += bytes.len() + bytes.len() % 2;
            }
        }
        t.extend_from_slice(&next.to_le_bytes());
        assert!(
            values_at <= pos + SLOT as usize,
            "IFD {k} overflows its slot"
        );
        out[pos..pos + t.len()].copy_from_slice(&t);
    }
    for b in blobs {
        out.extend_from_slice(b);
    }
    out
}

/// Uncompressed 8-bit RGB pixels, `w`×`h`, a pattern of `seed`.
fn rgb_pixels(w: u32, h: u32, seed: u32) -> Vec<u8> {
    (0..w * h * 3)
        .map(|i| ((i * seed + i / 7) % 251) as u8)
        .collect()
}

/// A small baseline JPEG of a pattern of `seed`.
fn small_jpeg(seed: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(16, 12, |x, y| {
        image::Rgb([(x * seed) as u8, (y * 20) as u8, (seed * 40) as u8])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(
            &mut std::io::Cursor::new(&mut out),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    out
}

/// The tags of an uncompressed RGB image IFD (`w`×`h`, strip at `at`).
fn rgb_ifd(kind: u32, w: u16, h: u16, at: u32) -> Vec<Field> {
    vec![
        longs(254, &[kind]),
        shorts(256, &[w]),
        shorts(257, &[h]),
        shorts(258, &[8, 8, 8]),
        shorts(259, &[1]),
        shorts(262, &[2]),
        longs(273, &[at]),
        shorts(277, &[3]),
        shorts(278, &[h]),
        longs(279, &[u32::from(w) * u32::from(h) * 3]),
        shorts(284, &[1]),
    ]
}

/// A reduced-resolution JPEG-compressed IFD (NewSubfileType 1) of `len` bytes at `at`.
fn jpeg_preview_ifd(at: u32, len: usize) -> Vec<Field> {
    vec![
        longs(254, &[1]),
        shorts(256, &[16]),
        shorts(257, &[12]),
        shorts(258, &[8, 8, 8]),
        shorts(259, &[7]),
        shorts(262, &[6]),
        longs(273, &[at]),
        shorts(277, &[3]),
        shorts(278, &[12]),
        longs(279, &[len as u32]),
    ]
}

fn camera_tags() -> Vec<Field> {
    vec![
        text(271, "Canon"),
        text(272, "Canon EOS 5D"),
        text(306, "2024:01:02 03:04:05"),
    ]
}

/// A TIFF: IFD0 a 64×48 RGB photo with camera tags and two SubIFDs (a JPEG preview, a bare
/// JPEG stream), IFD1 a 16×12 reduced-resolution RGB thumbnail. Returns the file, the main
/// image's bytes and where they are, and the previews' bytes.
fn tiff_with_previews() -> (Vec<u8>, Vec<u8>, u32, Vec<Vec<u8>>) {
    let (main, thumb) = (rgb_pixels(64, 48, 3), rgb_pixels(16, 12, 11));
    let (jpeg, bare) = (small_jpeg(9), small_jpeg(5));
    let file = tiff_file(4, &[&main, &thumb, &jpeg, &bare], |o| {
        let mut ifd0 = rgb_ifd(0, 64, 48, o[0]);
        ifd0.extend(camera_tags());
        ifd0.push(longs(330, &[ifd_at(2), ifd_at(3)]));
        vec![
            (ifd0, ifd_at(1)),
            (rgb_ifd(1, 16, 12, o[1]), 0),
            (jpeg_preview_ifd(o[2], jpeg.len()), 0),
            (
                vec![longs(513, &[o[3]]), longs(514, &[bare.len() as u32])],
                0,
            ),
        ]
    });
    (file, main, ifd_at(4), vec![thumb, jpeg, bare])
}

/// A DNG-like file: IFD0 a 16×12 RGB thumbnail (NewSubfileType 1) with DNGVersion, camera
/// tags and two SubIFDs: the 64×48 16-bit CFA raw (NewSubfileType 0) and a JPEG preview.
fn dng_like() -> (Vec<u8>, Vec<u8>, u32, Vec<Vec<u8>>) {
    let raw: Vec<u8> = (0..64u32 * 48 * 2).map(|i| (i % 253) as u8).collect();
    let (thumb, jpeg) = (rgb_pixels(16, 12, 13), small_jpeg(7));
    let file = tiff_file(3, &[&raw, &thumb, &jpeg], |o| {
        let mut ifd0 = rgb_ifd(1, 16, 12, o[1]);
        ifd0.extend(camera_tags());
        ifd0.extend([
            longs(330, &[ifd_at(1), ifd_at(2)]),
            (50706, 1, 4, vec![1, 4, 0, 0]),
            (50707, 1, 4, vec![1, 1, 0, 0]),
            text(50708, "Canon EOS 5D"),
        ]);
        let raw_ifd = vec![
            longs(254, &[0]),
            shorts(256, &[64]),
            shorts(257, &[48]),
            shorts(258, &[16]),
            shorts(259, &[1]),
            shorts(262, &[32803]),
            longs(273, &[o[0]]),
            shorts(277, &[1]),
            shorts(278, &[48]),
            longs(279, &[raw.len() as u32]),
            shorts(33421, &[2, 2]),
            (33422, 1, 4, vec![0, 1, 1, 2]),
        ];
        vec![
            (ifd0, 0),
            (raw_ifd, 0),
            (jpeg_preview_ifd(o[2], jpeg.len()), 0),
        ]
    });
    (file, raw, ifd_at(3), vec![thumb, jpeg])
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Strips `files` (name, bytes) in a fresh folder with `--apply`; returns the folder and the
/// `file` records.
fn strip_built(files: &[(&str, &[u8])]) -> (TestDir, BTreeMap<PathBuf, Value>) {
    let t = TestDir::new();
    for (name, bytes) in files {
        t.write(name, bytes);
    }
    let (out, records) = strip_json(&[
        std::ffi::OsStr::new("--apply"),
        std::ffi::OsStr::new("--yes"),
        t.path().as_os_str(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (t, records)
}

#[test]
fn tiff_previews_are_removed_and_a_dng_thumbnail_in_ifd0_is_refused() {
    let (tiff, main, main_at, tiff_previews) = tiff_with_previews();
    let (dng, _, _, dng_previews) = dng_like();
    let (t, records) = strip_built(&[("photo.tif", &tiff), ("raw.dng", &dng)]);
    // A DNG's thumbnail is its IFD0: without it a TIFF reader has no first image to show, so
    // the file is refused and left as it was, preview and all.
    let r = &records[&t.path().join("raw.dng")];
    assert_eq!(r["status"], "unsupported", "{r}");
    assert!(r["message"].as_str().unwrap().contains("IFD0"), "{r}");
    assert_eq!(fs::read(t.path().join("raw.dng")).unwrap(), dng);
    assert!(dng_previews.iter().all(|p| contains(&dng, p)));
    for (name, input, image, at, previews) in [("photo.tif", &tiff, &main, main_at, &tiff_previews)]
    {
        let r = &records[&t.path().join(name)];
        assert_eq!(r["status"], "stripped", "{name}: {r}");
        let groups: Vec<&str> = r["removed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["group"].as_str().unwrap())
            .collect();
        assert!(
            groups.contains(&"embedded preview image"),
            "{name}: {groups:?}"
        );
        let out = fs::read(t.path().join(name)).unwrap();
        assert_eq!(out.len(), input.len(), "{name}: edited in place");
        let at = at as usize;
        assert_eq!(
            &out[at..at + image.len()],
            &image[..],
            "{name}: main image bytes"
        );
        for (i, p) in previews.iter().enumerate() {
            assert!(contains(input, p), "{name}: preview {i} was in the input");
            assert!(!contains(&out, p), "{name}: preview {i} left in the output");
        }
        assert!(!contains(&out, b"Canon"), "{name}: camera tags left");
    }
    // The project's own reader shows the same photo, and a second strip finds nothing.
    let before = image::load_from_memory(&tiff).unwrap();
    let after = image::open(t.path().join("photo.tif")).unwrap();
    assert_eq!(before.as_bytes(), after.as_bytes());
    let (_, again) = strip_json(&[t.path().as_os_str()]);
    assert_eq!(again[&t.path().join("photo.tif")]["status"], "unchanged");
}

#[test]
fn a_tiff_whose_only_image_is_a_preview_is_refused_and_left_alone() {
    let thumb = rgb_pixels(16, 12, 11);
    let lone = tiff_file(1, &[&thumb], |o| {
        let mut ifd0 = rgb_ifd(1, 16, 12, o[0]);
        ifd0.extend(camera_tags());
        vec![(ifd0, 0)]
    });
    let t = TestDir::new();
    t.write("thumb.tif", &lone);
    let (_, records) = strip_json(&[
        std::ffi::OsStr::new("--apply"),
        std::ffi::OsStr::new("--yes"),
        t.path().as_os_str(),
    ]);
    let r = &records[&t.path().join("thumb.tif")];
    assert_eq!(r["status"], "unsupported", "{r}");
    let msg = r["message"].as_str().unwrap();
    assert!(msg.contains("preview") && msg.contains("IFD0"), "{msg}");
    assert_eq!(fs::read(t.path().join("thumb.tif")).unwrap(), lone);
}

#[test]
#[ignore = "needs exiftool (libimage-exiftool-perl)"]
fn exiftool_finds_no_preview_in_a_stripped_tiff() {
    const PREVIEWS: [&str; 6] = [
        "PreviewImage",
        "OtherImage",
        "JpgFromRaw",
        "ThumbnailTIFF",
        "ThumbnailImage",
        "PreviewTIFF",
    ];
    let (tiff, ..) = tiff_with_previews();
    let t = TestDir::new();
    t.write("orig/photo.tif", &tiff);
    let originals = [t.path().join("orig/photo.tif")];
    let args = [
        "-PreviewImage",
        "-OtherImage",
        "-JpgFromRaw",
        "-ThumbnailTIFF",
        "-ThumbnailImage",
        "-PreviewTIFF",
        "-Make",
        "-Model",
        "-UniqueCameraModel",
        "-DateTime",
        "-ModifyDate",
    ];
    let before = exiftool_lines(&args, &originals);
    for f in &originals {
        let names: BTreeSet<&str> = before[f].iter().map(|t| t.name.as_str()).collect();
        assert!(
            PREVIEWS.iter().any(|p| names.contains(p)),
            "exiftool sees no preview in the input {f:?}: {names:?}"
        );
    }
    let (s, _) = strip_built(&[("photo.tif", &tiff)]);
    let cleaned = [s.path().join("photo.tif")];
    let after = exiftool_lines(&args, &cleaned);
    for f in &cleaned {
        assert!(after.contains_key(f), "exiftool read {f:?}");
        let left: Vec<String> = after[f]
            .iter()
            .filter(|t| t.name != "Warning")
            .map(|t| format!("[{}] {} = {}", t.group, t.name, t.value))
            .collect();
        assert!(left.is_empty(), "{f:?}: {left:?}");
    }
}

/// `heif-enc`, `heif-info` and `heif-convert`, libheif's tools.
fn libheif(name: &str) -> Command {
    tool(name, "libheif-examples")
}

/// The pixels libheif decodes from a HEIF file's primary image, through a PNG.
fn heif_pixels(path: &Path) -> Vec<u8> {
    let png = path.with_extension("decoded.png");
    let out = libheif("heif-convert")
        .arg(path)
        .arg(&png)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pixels = image::open(&png).unwrap().into_rgb8().into_raw();
    fs::remove_file(&png).unwrap();
    pixels
}

#[test]
#[ignore = "needs heif-enc, heif-info, heif-convert (libheif-examples)"]
fn a_heic_thumbnail_is_removed_and_the_primary_image_decodes_the_same() {
    let t = TestDir::new();
    let png = t.path().join("photo.png");
    let img = image::RgbImage::from_raw(128, 96, rgb_pixels(128, 96, 7)).unwrap();
    img.save(&png).unwrap();
    let heic = t.path().join("photo.heic");
    // libheif writes its thumbnail as a grid item with one tile, tied by `thmb` and `dimg`.
    let out = libheif("heif-enc")
        .args(["-q", "60", "-t", "32", "-o"])
        .arg(&heic)
        .arg(&png)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info = |p: &Path| {
        let out = libheif("heif-info").arg(p).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(info(&heic).contains("thumbnail:"), "{}", info(&heic));
    let before = heif_pixels(&heic);
    let input = fs::read(&heic).unwrap();
    let (s, records) = strip_built(&[("photo.heic", &input)]);
    let cleaned = s.path().join("photo.heic");
    let r = &records[&cleaned];
    assert_eq!(r["status"], "stripped", "{r}");
    assert!(r["removed"].to_string().contains("thumbnail"), "{r}");
    let after = info(&cleaned);
    assert!(!after.contains("thumbnail"), "{after}");
    assert!(
        after.contains("128x96") && after.contains("primary"),
        "{after}"
    );
    assert_eq!(
        heif_pixels(&cleaned),
        before,
        "the primary image decodes differently"
    );
    let (_, again) = strip_json(&[cleaned.as_os_str()]);
    assert_eq!(again[&cleaned]["status"], "unchanged");
}

/// A one-page PDF as a scanner app writes it: an Info dictionary with names, device and dates,
/// and an XMP metadata stream in the catalog.
fn scanner_pdf() -> Vec<u8> {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.7");
    let pages = doc.new_object_id();
    let content = doc.add_object(Stream::new(
        dictionary! {},
        b"BT /F1 11 Tf 48 380 Td (P<UTOERIKSSON<<ANNA) Tj ET".to_vec(),
    ));
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Courier",
    });
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages, "Contents" => content,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
    });
    doc.objects.insert(
        pages,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
        ),
    );
    let xmp = doc.add_object(Stream::new(
        dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
        b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><tiff:Model>SM-G991B</tiff:Model></x:xmpmeta>"
            .to_vec(),
    ));
    let catalog = doc.add_object(dictionary! {
        "Type" => "Catalog", "Pages" => pages, "Metadata" => xmp,
    });
    let info = doc.add_object(dictionary! {
        "Author" => Object::string_literal("Anna Eriksson"),
        "Producer" => Object::string_literal("Adobe Scan for Android"),
        "CreationDate" => Object::string_literal("D:20240102030405+01'00'"),
    });
    doc.trailer.set("Root", catalog);
    doc.trailer.set("Info", info);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

/// The fuzz targets' check (`fuzz/src/lib.rs`: `pdf_strip`, `tiff`) run in-process over
/// seeded mutations of a scanner PDF and of the preview TIFF and DNG, since cargo-fuzz needs
/// a nightly toolchain: no panic, and whatever is accepted strips again to itself.
#[test]
fn mutated_pdfs_and_preview_tiffs_strip_cleanly_or_fail() {
    use idvault::strip::{StripOptions, strip};
    use rand_chacha::ChaCha8Rng;
    use rand_chacha::rand_core::{RngCore, SeedableRng};
    const MUTATIONS: usize = 1500;
    const TOKENS: [&[u8]; 8] = [
        b" 0 R",
        b"/Length 99999999",
        b"endobj",
        b"<<",
        b">>",
        b"stream\n",
        b"/Info 1 0 R",
        b"trailer<</Root 1 0 R/Size 2>>",
    ];
    let opts = StripOptions::default();
    let mut rng = ChaCha8Rng::seed_from_u64(0x25_0F);
    let samples = [scanner_pdf(), tiff_with_previews().0];
    let mut accepted = [0usize; 2];
    for (k, sample) in samples.iter().enumerate() {
        let clean = strip(sample, &opts).expect("the sample itself strips");
        assert!(
            !clean.removed.is_empty(),
            "sample {k} has metadata to remove"
        );
        for _ in 0..MUTATIONS {
            let mut m = sample.clone();
            let below =
                |rng: &mut ChaCha8Rng, n: usize| (rng.next_u64() % n.max(1) as u64) as usize;
            for _ in 0..1 + below(&mut rng, 4) {
                let at = below(&mut rng, m.len());
                match below(&mut rng, 5) {
                    0 => m[at] ^= 1 << below(&mut rng, 8),
                    1 => m.truncate(at.max(8)),
                    2 => {
                        let t = TOKENS[below(&mut rng, TOKENS.len())];
                        m.splice(at..at, t.iter().copied());
                    }
                    3 => {
                        let end = (at + 4).min(m.len());
                        m[at..end].fill(0xFF);
                    }
                    _ => {
                        let len = below(&mut rng, 64).min(m.len() - at);
                        let to = below(&mut rng, m.len() - len);
                        let chunk = m[at..at + len].to_vec();
                        m[to..to + len].copy_from_slice(&chunk);
                    }
                }
            }
            if let Ok(s) = strip(&m, &opts) {
                accepted[k] += 1;
                let again = strip(&s.data, &opts).expect("accepted output strips again");
                assert!(again.removed.is_empty(), "sample {k}: not idempotent");
            }
        }
    }
    // Not a pass by rejection: some damaged copies are still cleaned.
    assert!(accepted.iter().all(|&n| n > 0), "{accepted:?}");
}
