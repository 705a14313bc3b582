//! Hostile and damaged files (issue #12): each gets an error or a note on that file, never a
//! panic, a hang or a half-written leftover, and the rest of the run goes on. Every resource
//! limit of docs/limits.md has a crafted file here; a seeded mutation run pushes a few hundred
//! damaged copies of generated samples through `scan`, `strip` and `vault add`; Ctrl-C and
//! SIGTERM end a busy run within a bound and leave no temporary file.

use std::collections::BTreeMap;
use std::fs;
use std::io::Cursor;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use serde_json::Value;

use crate::util::media::{self, Exif};
use crate::util::vault::{Fixture, run_ok, walk_files};
use crate::util::{TestDir, json_lines, tool};

/// A run that takes longer than this is hung, not slow: the slowest command here finishes in a
/// few seconds on a loaded 2-core machine. Not a speed assertion.
const HANG: Duration = Duration::from_secs(180);

/// Virtual memory a child may map: the working set of a scan is well under 1 GiB, while an
/// unbounded decode of any crafted file below would ask for tens of GiB and abort.
const ADDRESS_SPACE: u64 = 4 << 30;

/// Runs the real binary with `args` under an address-space cap and a kill timer; a run that
/// outlives [`HANG`] is killed and fails the test.
fn run(args: &[&std::ffi::OsStr]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_idvault"));
    cmd.args(args)
        .env("NO_COLOR", "1")
        .env("IDVAULT_NO_CACHE", "1")
        .env_remove("IDVAULT_FORCE_PROGRESS")
        .stdin(Stdio::null());
    limit_memory(&mut cmd, ADDRESS_SPACE);
    bounded(cmd, HANG)
}

/// Caps the virtual memory `cmd` may map at `bytes`.
fn limit_memory(cmd: &mut Command, bytes: u64) {
    // SAFETY: setrlimit is async-signal-safe, the only call made between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Waits for `cmd` at most `limit`, killing it (and failing) if it runs longer.
fn bounded(mut cmd: Command, limit: Duration) -> Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.expect("wait"),
        Err(_) => {
            // SAFETY: plain kill(2) of our own child.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            panic!("{cmd:?} still running after {limit:?}: hung");
        }
    }
}

fn os(s: &str) -> &std::ffi::OsStr {
    s.as_ref()
}

/// Asserts the run ended normally: exit 0 or 1, and no panic anywhere (the first wall held; a
/// panic caught by the second wall still prints its message and fails this).
fn assert_no_panic(what: &str, out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{what}: exit {:?}\n{stderr}",
        out.status
    );
    assert!(!stderr.contains("panicked"), "{what}: panicked\n{stderr}");
    assert!(
        !stderr.contains("internal error"),
        "{what}: a panic was caught\n{stderr}"
    );
}

/// The `(type, data)` lines of a `--json` run, and its summary.
fn summary(out: &Output) -> Value {
    json_lines(out)
        .into_iter()
        .find(|(t, _)| t == "summary")
        .expect("a summary line")
        .1
}

/// Warning messages of a `scan --json` run by file name.
fn warnings(out: &Output) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (t, d) in json_lines(out) {
        if t == "warning" {
            let name = Path::new(d["path"]["text"].as_str().unwrap_or_default())
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            map.entry(name)
                .or_default()
                .push(d["message"].as_str().unwrap_or_default().to_string());
        }
    }
    map
}

/// Every file under `dir` whose name marks an unfinished idvault write.
fn temp_files(dir: &Path) -> Vec<PathBuf> {
    walk_files(dir)
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(".idvault-tmp-"))
        })
        .collect()
}

fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walk_files(dir)
        .into_iter()
        .map(|p| {
            let bytes = fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Samples: real files of every type idvault reads, generated here.

fn picture(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
        Rgb([(x * 5) as u8, (y * 7) as u8, ((x + y) * 3) as u8])
    }))
}

fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("encode");
    out.into_inner()
}

/// An APP1 segment inserted right after a JPEG's SOI.
fn with_app1(jpeg: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// An XMP packet saying `tool` made the file.
fn xmp_packet(tool: &str, padding: usize) -> Vec<u8> {
    format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?><x:xmpmeta \
         xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\
         <rdf:Description xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\" xmp:CreatorTool=\"{tool}\"/>\
         </rdf:RDF></x:xmpmeta>{}<?xpacket end=\"w\"?>",
        " ".repeat(padding)
    )
    .into_bytes()
}

fn jpeg_xmp(jpeg: &[u8], packet: &[u8]) -> Vec<u8> {
    let mut payload = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    payload.extend_from_slice(packet);
    with_app1(jpeg, &payload)
}

/// An uncompressed iTXt chunk holding an XMP packet.
fn png_xmp_chunk(packet: &[u8]) -> Vec<u8> {
    let mut data = b"XML:com.adobe.xmp\0\0\0\0\0".to_vec();
    data.extend_from_slice(packet);
    media::png_chunk(b"iTXt", &data)
}

/// The sample files the mutation run starts from: (name, bytes).
fn samples() -> Vec<(&'static str, Vec<u8>)> {
    let img = picture(48, 32);
    let exif = Exif {
        make: Some("Canon"),
        model: Some("EOS 5D"),
        software: Some("Adobe Scan"),
        user_comment: Some("Screenshot"),
        gps: true,
        orientation: Some(6),
    }
    .tiff();
    let jpeg = encode(&img, ImageFormat::Jpeg);
    let png_meta = [
        media::png_chunk(b"eXIf", &exif),
        png_xmp_chunk(&xmp_packet("Greenshot", 64)),
    ];
    vec![
        ("plain.jpg", jpeg.clone()),
        ("exif.jpg", media::jpeg_with_exif(&jpeg, &exif)),
        (
            "xmp.jpg",
            jpeg_xmp(
                &media::jpeg_with_exif(&jpeg, &exif),
                &xmp_packet("Snagit", 32),
            ),
        ),
        ("meta.png", media::png(40, 24, &png_meta)),
        ("plain.png", encode(&img, ImageFormat::Png)),
        ("plain.webp", encode(&img, ImageFormat::WebP)),
        ("plain.gif", encode(&img, ImageFormat::Gif)),
        ("plain.tif", encode(&img, ImageFormat::Tiff)),
        ("exif.tif", exif.clone()),
        ("plain.bmp", encode(&img, ImageFormat::Bmp)),
        ("screen.mp4", media::mp4(1170, 2532, Some("Apple"))),
        ("plain.mp4", media::mp4(640, 480, None)),
    ]
}

/// Damages a copy of `data` in one of the ways hostile or broken files are damaged.
fn mutate(rng: &mut ChaCha8Rng, data: &[u8]) -> Vec<u8> {
    let mut m = data.to_vec();
    let below = |rng: &mut ChaCha8Rng, n: usize| (rng.next_u64() % n.max(1) as u64) as usize;
    // Structure lives in the first bytes; half of the damage lands there.
    let at = |rng: &mut ChaCha8Rng, len: usize| {
        let window = if rng.next_u32().is_multiple_of(2) {
            256
        } else {
            len
        };
        below(rng, window.min(len))
    };
    match below(rng, 6) {
        0 => {
            for _ in 0..1 + below(rng, 8) {
                let i = at(rng, m.len());
                m[i] ^= 1 << below(rng, 8);
            }
        }
        1 => m.truncate(below(rng, m.len())),
        2 => {
            // A lying length field: a big-endian or little-endian size set to an extreme.
            let i = at(rng, m.len().saturating_sub(4));
            let v: [u8; 4] = match below(rng, 4) {
                0 => [0xFF; 4],
                1 => [0; 4],
                2 => [0x7F, 0xFF, 0xFF, 0xF0],
                _ => [0, 0, 0, 1],
            };
            let end = (i + 4).min(m.len());
            m[i..end].copy_from_slice(&v[..end - i]);
        }
        3 => {
            // A spliced metadata snippet, whole or cut short.
            const SNIPPETS: [&[u8]; 5] = [
                b"<x:xmpmeta><tiff:Make</tiff:Make></x:xmpmeta>",
                b"\xFF\xE1\xFF\xFFExif\0\0MM\0*\0\0\0\x08\xFF\xFF",
                b"\0\0\0\x08moov\0\0\0\x01trak\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF",
                b"\x7F\xFF\xFF\xFFiTXtXML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta xmlns:x='adobe:ns:meta/'>",
                b"II*\0\x08\0\0\0\xFF\xFF\x69\x87\x04\0\x01\0\0\0\x08\0\0\0",
            ];
            let s = SNIPPETS[below(rng, SNIPPETS.len())];
            let s = &s[..1 + below(rng, s.len())];
            let i = at(rng, m.len());
            m.splice(i..i, s.iter().copied());
        }
        4 => {
            // A byte range copied over another place (duplicated headers, shifted boxes).
            let from = at(rng, m.len());
            let len = below(rng, 64).min(m.len() - from);
            let to = at(rng, m.len().saturating_sub(len));
            let chunk = m[from..from + len].to_vec();
            m[to..to + len].copy_from_slice(&chunk);
        }
        _ => {
            // Random bytes over a header-sized window.
            let i = at(rng, m.len());
            for b in m.iter_mut().skip(i).take(1 + below(rng, 32)) {
                *b = rng.next_u32() as u8;
            }
        }
    }
    m
}

/// `count` mutated copies of the samples, written into `dir`.
fn mutated_tree(dir: &Path, count: usize, seed: u64) {
    let samples = samples();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for i in 0..count {
        let (name, data) = &samples[i % samples.len()];
        fs::write(dir.join(format!("m{i:03}-{name}")), mutate(&mut rng, data)).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// The findings of issue #12.

#[test]
fn the_70_byte_xmp_jpeg_of_issue_12_gets_a_verdict_like_any_file() {
    let t = TestDir::new();
    let bad = b"\xff\xd8\xff\xe1\x00\x40http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><tiff:Make</tiff:Make></x:xmpmeta>\xff\xd9";
    t.write("a.jpg", bad);
    let good = jpeg_xmp(
        &encode(&picture(16, 16), ImageFormat::Jpeg),
        &xmp_packet("Greenshot", 0),
    );
    t.write("Screenshot_b.jpg", &good);
    let out = run(&[
        os("scan"),
        os("--no-content"),
        os("--json"),
        t.path().as_os_str(),
    ]);
    assert_no_panic("scan", &out);
    assert_eq!(out.status.code(), Some(0));
    let s = summary(&out);
    assert_eq!(s["files"], 2);
    assert_eq!(s["errors"], 0);
    // The other file still gets its verdict, from its (well-formed) XMP among other things.
    let findings = crate::util::findings_by_path(&out, t.path());
    let signals = crate::util::signals(&findings["Screenshot_b.jpg"]);
    assert!(
        signals.contains(&"meta.screenshot_software".to_string()),
        "{signals:?}"
    );
}

#[test]
fn a_13_byte_ftyp_file_is_scanned_and_stripped_not_a_panic() {
    // Regression: sniffing a file of 12 to 15 bytes that starts with an `ftyp` box panicked
    // (`clamp(16, len)` with len < 16).
    let t = TestDir::new();
    let p = t.write("short.heic", b"\0\0\0\x18ftypheic\0");
    let out = run(&[os("scan"), os("--json"), p.as_os_str()]);
    assert_no_panic("scan", &out);
    assert_eq!(summary(&out)["files"], 1);
    let out = run(&[os("strip"), os("--apply"), os("--yes"), p.as_os_str()]);
    assert_no_panic("strip", &out);
    assert_eq!(fs::read(&p).unwrap(), b"\0\0\0\x18ftypheic\0");
}

#[test]
fn mutated_samples_never_panic_hang_or_leave_anything_behind() {
    const COUNT: usize = 300;
    let t = TestDir::new();
    let dir = t.path().join("mutated");
    fs::create_dir(&dir).unwrap();
    mutated_tree(&dir, COUNT, 0x1D_12);
    let before = snapshot(&dir);
    assert_eq!(before.len(), COUNT);

    // scan, without and with content analysis: every file is counted or has an error.
    for content in [false, true] {
        let mut args = vec![os("scan"), os("--json")];
        if !content {
            args.push(os("--no-content"));
        }
        args.push(dir.as_os_str());
        let out = run(&args);
        assert_no_panic(&format!("scan (content {content})"), &out);
        let s = summary(&out);
        let files = s["files"].as_u64().unwrap();
        let errors = s["errors"].as_u64().unwrap();
        assert_eq!(files + errors, COUNT as u64, "a file got no verdict: {s}");
        assert_eq!(snapshot(&dir), before, "scan changed a file");
    }

    // strip in place: what it did not strip is byte-identical; no temp file anywhere.
    let out = run(&[
        os("strip"),
        os("--apply"),
        os("--yes"),
        os("--json"),
        dir.as_os_str(),
    ]);
    assert_no_panic("strip --apply", &out);
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    for (t, d) in json_lines(&out) {
        if t != "file" {
            continue;
        }
        let path = PathBuf::from(d["path"]["text"].as_str().unwrap());
        let status = d["status"].as_str().unwrap().to_string();
        if status != "stripped" {
            assert_eq!(
                fs::read(&path).unwrap(),
                before[&path],
                "{} was {status} but changed",
                path.display()
            );
        }
        *statuses.entry(status).or_default() += 1;
    }
    assert_eq!(statuses.values().sum::<usize>(), COUNT, "{statuses:?}");
    assert!(statuses.contains_key("stripped"), "{statuses:?}");
    assert!(statuses.contains_key("failed"), "{statuses:?}");
    assert_eq!(temp_files(t.path()), Vec::<PathBuf>::new());

    // vault add: every original stays as it was (added or not); the vault holds no temp file.
    let stripped = snapshot(&dir);
    let f = Fixture::in_dir(t, None);
    let mut add = f.with_key("add");
    add.arg(&dir);
    limit_memory(&mut add, ADDRESS_SPACE);
    let out = bounded(add, HANG);
    assert_no_panic("vault add", &out);
    assert_eq!(snapshot(&dir), stripped, "vault add changed an original");
    assert_eq!(temp_files(f.t.path()), Vec::<PathBuf>::new());
}

#[test]
fn every_reader_survives_thousands_of_mutations_in_process() {
    // The same readers as the fuzz targets, called directly on mutated samples (debug build:
    // integer overflow panics too). Not coverage-guided like `fuzz/`, but it runs in every CI.
    use idvault::fuzzing::media::decode;
    use idvault::fuzzing::media::sniff;
    use idvault::fuzzing::scan::signals::{HeaderMeta, container, exif, xmp};
    const MUTATIONS: u32 = 2000;
    let mut rng = ChaCha8Rng::seed_from_u64(0x1D12_F022);
    let mut runs = 0u32;
    for (name, data) in samples() {
        for _ in 0..MUTATIONS {
            let m = mutate(&mut rng, &data);
            let mut meta = HeaderMeta::default();
            if let Some(t) = sniff::sniff(&m) {
                let head = &m[..m.len().min(idvault::fuzzing::scan::HEAD_LEN)];
                let read = if t.is_video() {
                    container::read(&mut Cursor::new(&m), &mut meta)
                } else {
                    exif::read(&mut Cursor::new(&m), t, head, &mut meta)
                };
                let _ = read;
                let _ = decode::decode(&m, t, meta.orientation);
            }
            if let Some(packet) = xmp::find(&m) {
                let _ = xmp::parse(packet);
            }
            for b in idvault::fuzzing::media::bmff::boxes(&m) {
                assert!(b.offset + b.size() <= m.len(), "{name}");
            }
            runs += 1;
        }
    }
    assert_eq!(runs, MUTATIONS * samples().len() as u32);
}

// ---------------------------------------------------------------------------------------------
// Resource limits (docs/limits.md), one crafted file each.

/// A PNG whose IHDR (with a valid CRC) claims `w`×`h` pixels.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(media::png_chunk(b"IHDR", &ihdr));
    out.extend(media::png_chunk(b"IDAT", &[0x78, 0x01, 0x03, 0x00]));
    out.extend(media::png_chunk(b"IEND", &[]));
    out
}

/// A JPEG whose frame header claims 65,535×65,535 (the largest a JPEG can state).
fn jpeg_claiming_max() -> Vec<u8> {
    let mut j = encode(&picture(16, 16), ImageFormat::Jpeg);
    let sof = j.windows(2).position(|w| w == [0xFF, 0xC0]).expect("SOF0");
    j[sof + 5..sof + 9].copy_from_slice(&[0xFF; 4]);
    j
}

/// A GIF whose screen and first image claim 65,535×65,535.
fn gif_claiming_max() -> Vec<u8> {
    let mut g = encode(&picture(16, 16), ImageFormat::Gif);
    g[6..10].copy_from_slice(&[0xFF; 4]);
    let desc = g.iter().position(|&b| b == 0x2C).expect("image descriptor");
    g[desc + 5..desc + 9].copy_from_slice(&[0xFF; 4]);
    g
}

/// A WebP with a VP8X canvas of `w`×`h` around a small lossless image.
fn webp_claiming(w: u32, h: u32) -> Vec<u8> {
    let small = encode(&picture(16, 16), ImageFormat::WebP);
    let vp8l = &small[12..];
    let mut vp8x = b"VP8X".to_vec();
    vp8x.extend_from_slice(&10u32.to_le_bytes());
    vp8x.extend_from_slice(&[0; 4]);
    vp8x.extend_from_slice(&(w - 1).to_le_bytes()[..3]);
    vp8x.extend_from_slice(&(h - 1).to_le_bytes()[..3]);
    let mut body = b"WEBP".to_vec();
    body.extend_from_slice(&vp8x);
    body.extend_from_slice(vp8l);
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&u32::try_from(body.len()).unwrap().to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// A little-endian TIFF whose ImageWidth and ImageLength say `w`×`h` (as LONGs).
fn tiff_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut t = encode(&picture(16, 16), ImageFormat::Tiff);
    assert_eq!(&t[..4], b"II*\0");
    let ifd = u32::from_le_bytes(t[4..8].try_into().unwrap()) as usize;
    let n = u16::from_le_bytes([t[ifd], t[ifd + 1]]) as usize;
    for e in (0..n).map(|i| ifd + 2 + 12 * i) {
        let value = match u16::from_le_bytes([t[e], t[e + 1]]) {
            256 => w,
            257 => h,
            _ => continue,
        };
        t[e + 2..e + 4].copy_from_slice(&4u16.to_le_bytes());
        t[e + 4..e + 8].copy_from_slice(&1u32.to_le_bytes());
        t[e + 8..e + 12].copy_from_slice(&value.to_le_bytes());
    }
    t
}

#[test]
fn decompression_bombs_are_refused_before_any_pixel_buffer() {
    let t = TestDir::new();
    let bombs = [
        ("bomb.png", png_claiming(100_000, 100_000)),
        ("bomb.jpg", jpeg_claiming_max()),
        ("bomb.gif", gif_claiming_max()),
        ("bomb.webp", webp_claiming(100_000, 100_000)),
        ("bomb.tif", tiff_claiming(100_000, 100_000)),
    ];
    for (name, bytes) in &bombs {
        t.write(name, bytes);
    }
    let out = run(&[os("scan"), os("--json"), t.path().as_os_str()]);
    assert_no_panic("scan of bombs", &out);
    let notes = warnings(&out);
    for (name, _) in &bombs {
        let msgs = notes
            .get(*name)
            .unwrap_or_else(|| panic!("no note on {name}: {notes:?}"));
        assert!(
            msgs.iter()
                .any(|m| m.contains("pixels not analysed") && m.contains("limit")),
            "{name}: {msgs:?}"
        );
    }
    assert_eq!(summary(&out)["content_not_analysed"], bombs.len());
}

/// A file of `len` bytes (sparse: its holes take no disk) that starts with `head`.
fn sparse(t: &TestDir, name: &str, head: &[u8], len: u64) -> PathBuf {
    let p = t.write(name, head);
    fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(len)
        .unwrap();
    p
}

#[test]
fn oversized_metadata_blocks_are_skipped_not_loaded() {
    let t = TestDir::new();
    // A 3 GiB eXIf chunk and a 3 GiB `moov`, both real (sparse) bytes: loading either would
    // exceed the child's address space and abort it.
    let big: u64 = 3 << 30;
    let mut png = media::png(8, 8, &[]);
    png.truncate(33); // signature and IHDR
    png.extend_from_slice(&u32::try_from(big - 45).unwrap().to_be_bytes());
    png.extend_from_slice(b"eXIf");
    sparse(&t, "huge-exif.png", &png, big);
    let mut mp4 = media::mp4(640, 480, None);
    let moov = mp4.windows(4).position(|w| w == b"moov").unwrap() - 4;
    mp4.truncate(moov);
    mp4.extend_from_slice(&u32::try_from(big - moov as u64).unwrap().to_be_bytes());
    mp4.extend_from_slice(b"moov");
    sparse(&t, "huge-moov.mp4", &mp4, big);
    // An XMP packet just over the 4 MiB packet limit is ignored; the same packet under it
    // counts.
    let jpeg = encode(&picture(16, 16), ImageFormat::Jpeg);
    let small = media::png(8, 8, &[png_xmp_chunk(&xmp_packet("Greenshot", 1 << 20))]);
    let large = media::png(8, 8, &[png_xmp_chunk(&xmp_packet("Greenshot", 5 << 20))]);
    t.write("xmp-small.png", &small);
    t.write("xmp-large.png", &large);
    t.write("plain.jpg", &jpeg);

    let out = run(&[
        os("scan"),
        os("--no-content"),
        os("--json"),
        t.path().as_os_str(),
    ]);
    assert_no_panic("scan of oversized metadata", &out);
    assert_eq!(summary(&out)["files"], 5);
    let findings = crate::util::findings_by_path(&out, t.path());
    let small_signals = crate::util::signals(&findings["xmp-small.png"]);
    assert!(small_signals.contains(&"meta.screenshot_software".to_string()));
    assert!(!findings.contains_key("xmp-large.png"), "{findings:?}");
}

/// What the vault commands below may map: far less than the original of more than 1 GiB they
/// store, which is above the size that `vault add` reads whole to strip
/// (`idvault::strip::MAX_BYTES`); the binary itself runs in about 20 MiB.
const VAULT_ADDRESS_SPACE: u64 = 384 << 20;

/// Runs a vault command with `--json` under [`VAULT_ADDRESS_SPACE`] and the hang timer.
fn capped(mut cmd: Command) -> Output {
    cmd.arg("--json").stdin(Stdio::null());
    limit_memory(&mut cmd, VAULT_ADDRESS_SPACE);
    bounded(cmd, HANG)
}

#[test]
fn vault_add_and_verify_stream_an_original_larger_than_their_memory() {
    let f = Fixture::new();
    // A "screen recording" just above the strip limit (sparse: no disk for the original):
    // stored as it is, encrypted and verified 64 KiB at a time.
    let mut mp4 = media::mp4(640, 480, None);
    mp4.truncate(mp4.windows(4).position(|w| w == b"moov").unwrap() - 4);
    let size = idvault::strip::MAX_BYTES + (16 << 20);
    let big = sparse(&f.t, "RPReplay_Final1712345678.MP4", &mp4, size);
    let mut add = f.with_key("add");
    add.arg(&big);
    for cmd in [add, f.with_key("verify")] {
        let out = capped(cmd);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
    }
    let entries = f.entries();
    assert_eq!(entries.len(), 1);
    let entry = entries.values().next().unwrap();
    assert_eq!(entry["size"], size);
    assert_eq!(entry["stripped"], Value::Null, "{entry}");
}

#[test]
#[ignore = "needs age, age-keygen (age)"]
fn oversized_vault_metadata_is_refused_not_loaded() {
    let f = Fixture::new();
    let photo =
        f.t.write("photo.jpg", &encode(&picture(16, 16), ImageFormat::Jpeg));
    let out = f.with_key("add").arg(&photo).output().unwrap();
    assert!(out.status.success());
    let id = f.entries().into_keys().next().unwrap();
    // Anyone who can write the vault folder can encrypt to its public recipients: plant a
    // metadata file that decrypts to 2 MiB, twice the limit.
    let meta = f.object(&id).with_file_name(format!("{id}.meta.age"));
    let plain = f.t.write("plain", &vec![b' '; 2 << 20]);
    let public = run_ok(tool("age-keygen", "age").arg("-y").arg(&f.key)).stdout;
    fs::remove_file(&meta).unwrap();
    run_ok(
        tool("age", "age")
            .arg("-r")
            .arg(String::from_utf8(public).unwrap().trim())
            .arg("-o")
            .arg(&meta)
            .arg(&plain),
    );
    let out = capped(f.with_key("verify"));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let lines = json_lines(&out);
    assert!(
        lines.iter().any(|(t, d)| t == "problem"
            && d["problem"]
                .as_str()
                .is_some_and(|p| p.contains("decrypts to more than 1048576 bytes"))),
        "{lines:?}"
    );
}

#[test]
fn a_video_over_the_strip_limit_is_refused_before_it_is_read() {
    let t = TestDir::new();
    // A 4 GiB MP4 with GPS-bearing metadata (sparse: real bytes, no disk). Reading it whole
    // would exceed the child's 4 GiB address space and abort the run.
    let mp4 = media::mp4(640, 480, Some("Apple"));
    let big = sparse(&t, "recording.mp4", &mp4, 4 << 30);
    t.write("small.mp4", &mp4);
    let head = |p: &Path| {
        let mut h = vec![0; mp4.len()];
        std::io::Read::read_exact(&mut fs::File::open(p).unwrap(), &mut h).unwrap();
        h
    };
    let before = head(&big);

    let out = run(&[
        os("strip"),
        os("--apply"),
        os("--yes"),
        os("--json"),
        t.path().as_os_str(),
    ]);
    assert_no_panic("strip of a 4 GiB video", &out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the refused file counts as failed"
    );
    let files: BTreeMap<String, Value> = json_lines(&out)
        .into_iter()
        .filter(|(t, _)| t == "file")
        .map(|(_, d)| (d["path"]["text"].as_str().unwrap().to_string(), d))
        .collect();
    let refused = &files[big.to_str().unwrap()];
    assert_eq!(refused["status"], "failed", "{refused}");
    let message = refused["message"].as_str().unwrap();
    assert!(
        message.contains("4096 MiB") && message.contains("1024 MiB"),
        "{message}"
    );
    let small = t.path().join("small.mp4");
    assert_eq!(files[small.to_str().unwrap()]["status"], "stripped");
    assert_eq!(fs::metadata(&big).unwrap().len(), 4 << 30);
    assert_eq!(head(&big), before, "the refused file was changed");
}

/// A TIFF whose IFD0 points to a chain of `n` Exif IFDs, each nested in the one before.
fn tiff_nested(n: u32) -> Vec<u8> {
    let mut t = encode(&picture(8, 8), ImageFormat::Tiff);
    let ifd = u32::from_le_bytes(t[4..8].try_into().unwrap()) as usize;
    let count = u16::from_le_bytes([t[ifd], t[ifd + 1]]) as usize;
    // Point the last entry of IFD0 (re-tagged as an Exif IFD pointer) at the chain.
    let last = ifd + 2 + 12 * (count - 1);
    let start = u32::try_from(t.len()).unwrap();
    t[last..last + 2].copy_from_slice(&34665u16.to_le_bytes());
    t[last + 2..last + 4].copy_from_slice(&4u16.to_le_bytes());
    t[last + 4..last + 8].copy_from_slice(&1u32.to_le_bytes());
    t[last + 8..last + 12].copy_from_slice(&start.to_le_bytes());
    for i in 0..n {
        let next = if i + 1 == n { 0 } else { start + 18 * (i + 1) };
        t.extend_from_slice(&1u16.to_le_bytes());
        t.extend_from_slice(&34665u16.to_le_bytes());
        t.extend_from_slice(&4u16.to_le_bytes());
        t.extend_from_slice(&1u32.to_le_bytes());
        t.extend_from_slice(&next.to_le_bytes());
        t.extend_from_slice(&[0; 4]);
    }
    t
}

#[test]
fn deeply_nested_metadata_is_refused_and_left_untouched() {
    let t = TestDir::new();
    let deep = tiff_nested(5000);
    let p = t.write("deep.tif", &deep);
    let out = run(&[
        os("strip"),
        os("--apply"),
        os("--yes"),
        os("--json"),
        p.as_os_str(),
    ]);
    assert_no_panic("strip of deep nesting", &out);
    assert_eq!(out.status.code(), Some(1));
    let file = json_lines(&out)
        .into_iter()
        .find(|(t, _)| t == "file")
        .expect("a file line")
        .1;
    assert_eq!(file["status"], "failed");
    assert!(
        file["message"].as_str().unwrap().contains("nested"),
        "{file}"
    );
    assert_eq!(fs::read(&p).unwrap(), deep);
    assert_eq!(temp_files(t.path()), Vec::<PathBuf>::new());
    let out = run(&[os("scan"), os("--json"), p.as_os_str()]);
    assert_no_panic("scan of deep nesting", &out);
}

// ---------------------------------------------------------------------------------------------
// Ctrl-C and SIGTERM.

/// Starts `idvault ARGS` and returns it once it has installed its signal handlers.
fn start(args: &[&std::ffi::OsStr]) -> std::process::Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_idvault"));
    cmd.args(args).stdout(Stdio::null()).stderr(Stdio::null());
    start_cmd(cmd)
}

/// Starts `cmd` (the idvault binary, its output already directed) and returns it once it has
/// installed its signal handlers.
#[expect(
    clippy::zombie_processes,
    reason = "the child is returned; signal_and_wait waits for it"
)]
pub(crate) fn start_cmd(mut cmd: Command) -> std::process::Child {
    let mut child = cmd
        .env("NO_COLOR", "1")
        .env("IDVAULT_NO_CACHE", "1")
        .stdin(Stdio::null())
        .spawn()
        .expect("binary runs");
    // The kernel lists caught signals in /proc/PID/status (`SigCgt`, a hex mask).
    let wanted = (1u64 << (libc::SIGINT - 1)) | (1u64 << (libc::SIGTERM - 1));
    let status = format!("/proc/{}/status", child.id());
    let since = Instant::now();
    loop {
        let caught = fs::read_to_string(&status)
            .ok()
            .and_then(|s| {
                let line = s.lines().find(|l| l.starts_with("SigCgt:"))?.to_string();
                u64::from_str_radix(line["SigCgt:".len()..].trim(), 16).ok()
            })
            .unwrap_or(0);
        if caught & wanted == wanted {
            return child;
        }
        if since.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            panic!("signal handlers never installed");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Sends `signals` (a short pause between them) and returns the exit code and how long the
/// process took to end after the first one.
pub(crate) fn signal_and_wait(
    child: &mut std::process::Child,
    signals: &[i32],
) -> (Option<i32>, Duration) {
    let sent = Instant::now();
    for &sig in signals {
        // SAFETY: plain kill(2) of our own child.
        unsafe { libc::kill(child.id() as i32, sig) };
        std::thread::sleep(Duration::from_millis(100));
    }
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code(), sent.elapsed());
        }
        if sent.elapsed() > HANG {
            let _ = child.kill();
            panic!("still running {HANG:?} after the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A folder of `n` photos with metadata named `PREFIX0000.jpg`…, each different, so that every
/// one takes real work.
fn busy_tree(t: &TestDir, n: usize, prefix: &str) -> PathBuf {
    let dir = t.path().join("photos");
    fs::create_dir(&dir).unwrap();
    let exif = Exif {
        make: Some("Canon"),
        gps: true,
        ..Exif::default()
    }
    .tiff();
    for i in 0..n {
        let img = picture(320 + (i % 7) as u32, 240);
        let jpeg = media::jpeg_with_exif(&encode(&img, ImageFormat::Jpeg), &exif);
        fs::write(dir.join(format!("{prefix}{i:04}.jpg")), jpeg).unwrap();
    }
    dir
}

/// The bound on ending after a signal: the 3-second grace period plus generous slack for a
/// loaded machine. A correctness bound (the run must not carry on), not a speed assertion.
const STOP: Duration = Duration::from_secs(20);

#[test]
fn sigterm_ends_a_busy_strip_within_a_bound_leaving_no_temp_file() {
    let t = TestDir::new();
    let dir = busy_tree(&t, 1000, "IMG_");
    let before = snapshot(&dir);
    let mut child = start(&[os("strip"), os("--apply"), os("--yes"), dir.as_os_str()]);
    let (code, took) = signal_and_wait(&mut child, &[libc::SIGTERM]);
    assert_eq!(code, Some(143), "exit status after SIGTERM");
    assert!(took < STOP, "took {took:?} to stop");
    assert_eq!(temp_files(t.path()), Vec::<PathBuf>::new());
    // Every photo is either as it was or fully stripped (no GPS left), never half-written.
    let after = snapshot(&dir);
    assert_eq!(after.len(), before.len());
    let mut untouched = 0;
    for (p, bytes) in &after {
        if *bytes == before[p] {
            untouched += 1;
        } else {
            assert!(image::load_from_memory(bytes).is_ok(), "{}", p.display());
            assert!(!bytes.windows(5).any(|w| w == b"Canon"), "{}", p.display());
        }
    }
    assert!(
        untouched > 0,
        "the run finished before the signal; make the tree bigger"
    );
}

/// `n` tall PNGs named like screenshots: content analysis reads each one's text, so a scan of
/// them takes tens of seconds.
pub(crate) fn screenshot_tree(t: &TestDir, n: usize) -> PathBuf {
    let dir = t.path().join("shots");
    fs::create_dir(&dir).unwrap();
    for i in 0..n {
        let img = picture(400 + i as u32, 900);
        fs::write(
            dir.join(format!("Screenshot_{i:04}.png")),
            encode(&img, ImageFormat::Png),
        )
        .unwrap();
    }
    dir
}

#[test]
fn ctrl_c_ends_a_scan_with_130_and_twice_ends_it_at_once() {
    let t = TestDir::new();
    let dir = screenshot_tree(&t, 150);
    // Exit 130 (not 0) also shows that the scan was still running when the signal came.
    let mut child = start(&[os("scan"), dir.as_os_str()]);
    let (code, took) = signal_and_wait(&mut child, &[libc::SIGINT]);
    assert_eq!(code, Some(130));
    assert!(took < STOP, "took {took:?} to stop");

    let mut child = start(&[os("scan"), dir.as_os_str()]);
    let (code, took) = signal_and_wait(&mut child, &[libc::SIGINT, libc::SIGINT]);
    assert_eq!(code, Some(130));
    assert!(took < STOP, "took {took:?} to stop");
}

#[test]
fn scan_json_says_begin_at_once_to_a_pipe() {
    let t = TestDir::new();
    // Ordinary photos with content analysis: seconds of work and no finding, so nothing but
    // `begin` could push output through the pipe before the summary at the end.
    let n = 600;
    let dir = busy_tree(&t, n, "IMG_");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_idvault"));
    cmd.args([os("scan"), os("--json"), dir.as_os_str()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = start_cmd(cmd);
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    assert!(first.starts_with(r#"{"type":"begin""#), "{first}");
    // Ctrl-C as soon as `begin` is read: the scan was still under way, so it stops early.
    let (code, _) = signal_and_wait(&mut child, &[libc::SIGINT]);
    assert_eq!(code, Some(130));
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let scanned = rest
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["type"] == "summary")
        .map_or(0, |l| l["data"]["files"].as_u64().unwrap());
    assert!(
        scanned < n as u64,
        "begin came only with the summary, after all {scanned} files"
    );
}

/// Waits until the vault at `vault` holds its first entry object: the run is storing files.
fn wait_for_first_object(child: &mut std::process::Child, vault: &Path) {
    let since = Instant::now();
    loop {
        let objects = vault.join("objects");
        if objects.exists() && !walk_files(&objects).is_empty() {
            return;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("ended ({status}) before storing anything");
        }
        assert!(since.elapsed() < HANG, "stored nothing in {HANG:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Runs `cmd` with `--json` (a command that stores the files of `dir` into the fixture's vault
/// with `--keep-metadata`), sends `signal` once the first entry is stored, and checks that the
/// run stopped between files ([`assert_stopped_between_files`]).
fn interrupt_while_storing(
    f: &Fixture,
    dir: &Path,
    mut cmd: Command,
    signal: i32,
    removed_ok: bool,
) {
    let before = snapshot(dir);
    let out = f.t.path().join("out.jsonl");
    cmd.arg("--json")
        .stdout(fs::File::create(&out).unwrap())
        .stderr(Stdio::null());
    let mut child = start_cmd(cmd);
    wait_for_first_object(&mut child, &f.vault);
    let (code, took) = signal_and_wait(&mut child, &[signal]);
    assert_eq!(
        code,
        Some(128 + signal),
        "exit status after signal {signal}"
    );
    assert!(took < STOP, "took {took:?} to stop");
    assert_stopped_between_files(f, &out, &before, removed_ok);
}

/// After an interrupted run that stored into the fixture's vault, whose `--json` output is at
/// `out`: the run ended by itself between files (its summary was written,
/// it was not cut off by the hard stop) with no temporary file anywhere; the vault verifies
/// with no problem (no half-stored entry); every original is as it was or (when `removed_ok`)
/// gone and in the vault byte for byte; every entry restores to an original; and at least one
/// original was not reached (the run really stopped early).
fn assert_stopped_between_files(
    f: &Fixture,
    out: &Path,
    before: &BTreeMap<PathBuf, Vec<u8>>,
    removed_ok: bool,
) {
    let lines = fs::read_to_string(out).unwrap();
    assert!(
        lines.lines().any(|l| l.starts_with(r#"{"type":"summary""#)),
        "no summary: the run did not stop by itself\n{lines}"
    );
    assert_eq!(temp_files(f.t.path()), Vec::<PathBuf>::new());
    let verify = f
        .cmd()
        .arg("--passphrase-file")
        .arg(&f.pw)
        .arg("verify")
        .output()
        .unwrap();
    assert_eq!(
        verify.status.code(),
        Some(0),
        "verify after the interrupted run: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    let restored = f.t.path().join("restored");
    let out = f.extract_all(&restored);
    assert!(
        out.status.success(),
        "extract: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let in_vault: BTreeMap<String, Vec<u8>> = snapshot(&restored)
        .into_iter()
        .map(|(p, b)| (p.file_name().unwrap().to_string_lossy().into_owned(), b))
        .collect();
    let mut untouched = 0;
    for (p, bytes) in before {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        match fs::read(p) {
            Ok(now) => {
                assert_eq!(now, *bytes, "{} changed", p.display());
                untouched += usize::from(!in_vault.contains_key(&name));
            }
            Err(_) => {
                assert!(removed_ok, "{} was removed", p.display());
                assert_eq!(in_vault.get(&name), Some(bytes), "{} lost", p.display());
            }
        }
    }
    for name in in_vault.keys() {
        assert!(
            before
                .keys()
                .any(|p| p.file_name().unwrap().to_string_lossy() == *name),
            "{name}: an entry that is no original"
        );
    }
    assert!(
        untouched > 0,
        "the run finished before the signal; make the tree bigger"
    );
}

#[test]
fn sigterm_ends_a_busy_vault_add_between_files() {
    let f = Fixture::new();
    let dir = busy_tree(&f.t, 600, "IMG_");
    let mut cmd = f.cmd();
    cmd.args([os("add"), os("--keep-metadata"), dir.as_os_str()]);
    interrupt_while_storing(&f, &dir, cmd, libc::SIGTERM, false);
}

#[test]
fn ctrl_c_ends_a_busy_secure_between_files_losing_nothing() {
    let f = Fixture::new();
    let dir = busy_tree(&f.t, 400, "passport_");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_idvault"));
    cmd.env("XDG_DATA_HOME", crate::util::vault::data_home(&f.vault))
        .env_remove("IDVAULT_VAULT")
        .env_remove("IDVAULT_PASSPHRASE_FILE")
        .args([os("secure"), os("--no-content"), os("--keep-metadata")])
        .args([os("--apply"), os("--yes"), os("--vault")])
        .arg(&f.vault)
        .arg("-i")
        .arg(&f.key)
        .arg(&dir);
    interrupt_while_storing(&f, &dir, cmd, libc::SIGINT, true);
}

// ---------------------------------------------------------------------------------------------
// Fuzz seeds.

/// Writes the seed corpora of `fuzz/` (fuzz/seeds/TARGET/) from the samples above and from a
/// real vault made by the binary. Run by hand when the samples change; see docs/fuzzing.md.
#[test]
#[ignore = "writes fuzz/seeds/; run with `cargo test --test integration write_fuzz_seeds -- --ignored`"]
fn write_fuzz_seeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    let put = |target: &str, name: &str, bytes: &[u8]| {
        let dir = root.join(target);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(name), bytes).unwrap();
    };
    let samples = samples();
    // The strip targets put their container's magic in front of the fuzzer's bytes.
    let strip_targets: [(&str, &[u8]); 4] = [
        ("jpeg", b"\xFF\xD8"),
        ("png", b"\x89PNG\r\n\x1a\n"),
        ("webp", b"RIFF"),
        ("gif", b"GIF89a"),
    ];
    let scan_types = ["jpg", "png", "tif", "webp"];
    for (name, bytes) in &samples {
        let ext = name.rsplit('.').next().unwrap();
        put("sniff", name, &bytes[..bytes.len().min(64)]);
        if ext != "mp4" {
            put("decode", name, bytes);
        }
        if let Some(i) = scan_types.iter().position(|t| *t == ext) {
            // scan_meta's first byte picks the container: JPEG, PNG, TIFF, WebP, HEIF.
            let pick = [0u8, 1, 2, 3][i];
            let mut seed = vec![pick];
            seed.extend_from_slice(bytes);
            put("scan_meta", name, &seed);
        }
        if ext == "mp4" {
            put("bmff", name, bytes);
            put("mp4", name, after_ftyp(bytes));
        }
        if ext == "tif" {
            // The tiff target's first byte picks the byte order (even: little-endian).
            let mut seed = vec![0u8];
            seed.extend_from_slice(&bytes[4..]);
            put("tiff", name, &seed);
        }
        for (target, magic) in strip_targets {
            if let Some(rest) = bytes.strip_prefix(magic) {
                put(target, name, rest);
            }
        }
    }
    put("xmp", "creator-tool.xmp", &xmp_packet("Greenshot", 16));
    put(
        "xmp",
        "issue-12.xmp",
        b"<x:xmpmeta><tiff:Make</tiff:Make></x:xmpmeta>",
    );
    put(
        "xmp",
        "in-jpeg.jpg",
        &jpeg_xmp(
            &encode(&picture(8, 8), ImageFormat::Jpeg),
            &xmp_packet("Snagit", 0),
        ),
    );

    // A real vault: its public config, its encrypted files, and their decrypted JSON.
    let t = TestDir::new();
    let (name, bytes) = &samples[1];
    let photo = t.write(name, bytes);
    let f = Fixture::in_dir(t, None);
    let out = bounded(
        {
            let mut c = f.with_key("add");
            c.arg(&photo);
            c
        },
        HANG,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    put(
        "vault_meta",
        "config.toml",
        &fs::read(f.vault.join("idvault-vault.toml")).unwrap(),
    );
    let decrypt =
        |p: &Path| run_ok(tool("age", "age").arg("-d").arg("-i").arg(&f.key).arg(p)).stdout;
    for p in f.vault_files() {
        let file = p.file_name().unwrap().to_string_lossy().into_owned();
        if file == "manifest.age" || file.ends_with(".meta.age") {
            let kind = if file == "manifest.age" {
                "manifest"
            } else {
                "meta"
            };
            put("vault_meta", &format!("{kind}.json"), &decrypt(&p));
            put("vault_meta", &format!("{kind}.age"), &fs::read(&p).unwrap());
        }
    }
    assert!(root.join("vault_meta/manifest.json").is_file());
    assert!(root.join("vault_meta/meta.json").is_file());

    // The content readers. A one-page PDF with a small JPEG page image (over the 200 px floor
    // below which images are logos) and a text line, and the same page as a text layer only.
    use lopdf::{Stream, dictionary};
    let page = encode(&picture(240, 160), ImageFormat::Jpeg);
    let image = Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Image", "Width" => 240, "Height" => 160,
            "ColorSpace" => "DeviceRGB", "BitsPerComponent" => 8, "Filter" => "DCTDecode",
        },
        page,
    );
    let mrz = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
    put(
        "pdf",
        "scan.pdf",
        &crate::formats::pdf(Some(image), &[mrz], false),
    );
    put("pdf", "text.pdf", &crate::formats::pdf(None, &[mrz], false));
    // The HEIC fixture, and a 64×48 HEIC made by libheif's encoder: the fixture costs the
    // fuzzer a 600×421 decode a run, this one a 64×48 decode. The HEIF strip target starts from
    // the same two files, minus the `ftyp` it writes itself.
    let t = TestDir::new();
    let png = t.write("small.png", &encode(&picture(64, 48), ImageFormat::Png));
    let small = t.path().join("small.heic");
    run_ok(tool("heif-enc", "libheif-examples").args([
        "-q".as_ref(),
        "50".as_ref(),
        png.as_os_str(),
        "-o".as_ref(),
        small.as_os_str(),
    ]));
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/formats/pe__100_pass-hrv.heic");
    for (name, path) in [("passport.heic", &fixture), ("small.heic", &small)] {
        let bytes = fs::read(path).unwrap();
        put("heic", name, &bytes);
        put("heif", name, after_ftyp(&bytes));
    }
    // Two-second recordings small enough for the fuzzer: H.264 in MP4, HEVC in MOV for the
    // `video` target; the same in Matroska (H.264, HEVC) and WebM (VP9, named and not decoded)
    // for `mkv`.
    let vp9: &[&str] = &[
        "-c:v",
        "libvpx-vp9",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
    ];
    for (target, name, codec) in [
        (
            "video",
            "h264.mp4",
            &["-c:v", "libx264", "-tag:v", "avc1"][..],
        ),
        ("video", "hevc.mov", &["-c:v", "libx265", "-tag:v", "hvc1"]),
        ("mkv", "h264.mkv", &["-c:v", "libx264"]),
        (
            "mkv",
            "hevc.mkv",
            &["-c:v", "libx265", "-x265-params", "log-level=error"],
        ),
        ("mkv", "vp9.webm", vp9),
    ] {
        let out = t.path().join(name);
        run_ok(
            tool("ffmpeg", "ffmpeg")
                .args([
                    "-v",
                    "error",
                    "-y",
                    "-f",
                    "lavfi",
                    "-i",
                    "testsrc=s=96x160:r=5:d=2",
                ])
                .args(["-g", "5", "-pix_fmt", "yuv420p"])
                .args(codec)
                .arg(&out),
        );
        put(target, name, &fs::read(&out).unwrap());
    }
}

/// What follows an ISO-BMFF file's leading `ftyp` box: the seed of a fuzz target that writes
/// its own `ftyp` in front of the fuzzer's bytes.
fn after_ftyp(file: &[u8]) -> &[u8] {
    let len = u32::from_be_bytes(file[..4].try_into().unwrap()) as usize;
    &file[len..]
}
