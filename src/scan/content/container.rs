//! Content analysis of the files that hold pictures rather than being one: the pages of a PDF
//! (its images and its text layer) and the frames of a recording (MP4/MOV/3GP or Matroska/WebM). Each picture goes through the
//! same stages as a photo; what it finds is reported with where it was seen (page, second).
//! Every other file goes to [`analyse::analyse_file`].

use std::fs::File;
use std::time::{Duration, Instant};

use image::{RgbImage, imageops};

use super::analyse::{self, Context, Outcome};
use super::face;
use super::visual::{self, Visual};
use crate::media::caps::{Pixels, Recording};
use crate::media::pdf::pages as pdf;
use crate::media::sniff::FileType;
use crate::media::video::{self, VideoError};
use crate::scan::finding::{Evidence, Kind};
use crate::scan::signals;

/// A PDF's pages stop being read after this much CPU time: a scan of an identity document is a
/// page or two, and OCR costs about a second an image on a slow machine.
const PDF_BUDGET: Duration = Duration::from_secs(12);
/// CPU time for reading frames with OCR, per minute of recording: OCR is the expensive stage
/// (a frame full of app text costs about a second on a slow core), and a document held up
/// for a check stays in view across many frames. Frames that look like a document are read
/// first, each of them (within [`MAX_READ_BUDGET`]), then the most text-like, until the
/// budget is spent.
const READ_BUDGET_PER_MINUTE: Duration = Duration::from_secs(3);
/// The reading budget of a recording shorter than 40 seconds: two or three frames.
const MIN_READ_BUDGET: Duration = Duration::from_secs(2);
/// The reading budget of a long recording at most.
const MAX_READ_BUDGET: Duration = Duration::from_secs(30);
/// Reading (frames or pages) stops at this many times its budget in wall time, however little CPU time
/// it had: a bound for a machine busy beyond reason.
const READ_WALL_FACTOR: u32 = 4;
/// Keyframes decoded from a camera video (one with a camera make or model): a camera roll holds
/// many videos and few of them show a document, so each gets a short look.
const CAMERA_FRAMES: usize = 6;
/// CPU time for decoding frames, per minute of recording (a minute at least): a 4K HEVC
/// keyframe costs the pure-Rust intra decoder a good fraction of a second on a slow core, and a
/// view between keyframes costs the H.264 pictures from the keyframe before it.
const DECODE_BUDGET_PER_MINUTE: Duration = Duration::from_secs(4);
/// Frames whose 32×32 thumbnails differ by less than this mean grey level are the same view.
const SAME_VIEW: u32 = 6;
/// A text layer with more lines than this on a page is running text, where document words
/// are talked about rather than printed on a document.
const MAX_KEYWORD_LINES: usize = 30;

/// Runs content analysis on an open file of `len` bytes, adding votes and notes to `ev`.
pub fn analyse_file(file: &mut File, len: u64, cx: &Context, ev: &mut Evidence) -> Outcome {
    match cx.file_type.and_then(|t| t.caps().pixels) {
        Some(Pixels::Frames(r)) => recording(file, len, r, cx, ev),
        Some(Pixels::Pages) => match analyse::read_all(file, len, ev) {
            Ok(bytes) => pdf_pages(&bytes, ev),
            Err(outcome) => outcome,
        },
        _ => analyse::analyse_file(file, len, cx, ev),
    }
}

/// Runs content analysis on a file held in memory (an archive's entry): pictures and PDFs.
/// A recording's frames are read from a file it can seek in, so one inside an archive is
/// judged by its names and metadata only.
pub fn analyse_bytes(bytes: &[u8], cx: &Context, ev: &mut Evidence) -> Outcome {
    match cx.file_type.and_then(|t| t.caps().pixels) {
        Some(Pixels::Frames(_)) => analyse::not_analysed(
            ev,
            "a recording inside an archive: only its names and metadata were judged".into(),
            false,
        ),
        Some(Pixels::Pages) => pdf_pages(bytes, ev),
        _ => analyse::analyse(bytes, cx, ev),
    }
}

fn pdf_pages(bytes: &[u8], ev: &mut Evidence) -> Outcome {
    // An encrypted PDF may hold anything: the user hears that it could not be looked into.
    let doc = match pdf::read(bytes) {
        Ok(d) => d,
        Err(e) => return analyse::not_analysed(ev, e.to_string(), true),
    };
    // The budget is this thread's CPU time, so that how many pages are read does not depend on
    // how busy the machine is; a wall-clock bound still stops a machine busy beyond reason.
    let (cpu_start, wall_end) = (
        video::thread_cpu(),
        Instant::now() + PDF_BUDGET.saturating_mul(READ_WALL_FACTOR),
    );
    let (mut found, mut ocr, mut decoded) = (false, false, false);
    let mut skipped = doc.skipped.clone();
    for page in &doc.pages {
        let lines: Vec<&str> = page.text.iter().map(String::as_str).collect();
        let mut part = Evidence::default();
        if analyse::confirm_text(&lines, lines.len() <= MAX_KEYWORD_LINES, &mut part) {
            merge(
                ev,
                part,
                &format!("text layer of page {}", page.number),
                None,
            );
            found = true;
        }
        for (i, img) in page.images.iter().enumerate() {
            let spent = video::thread_cpu().saturating_sub(cpu_start);
            if spent > PDF_BUDGET || Instant::now() > wall_end {
                ev.note(
                    "content.pdf_partial",
                    format!(
                        "stopped reading the PDF at page {} after {} s",
                        page.number,
                        PDF_BUDGET.as_secs()
                    ),
                );
                return Outcome::Analysed { found, ocr };
            }
            // Each image as the photo path reads it, the same file on its own would be.
            let img_cx = Context {
                file_type: Some(img.file_type),
                orientation: None,
                screenshot: false,
                camera: false,
            };
            let mut part = Evidence::default();
            let outcome = crate::isolate::per_file(|| {
                let outcome = analyse::analyse(&img.bytes, &img_cx, &mut part);
                (outcome, part)
            });
            let (outcome, part) = match outcome {
                Ok(done) => done,
                Err(p) => {
                    let mut part = Evidence::default();
                    let why = format!("the image decoder failed ({})", p.message);
                    (analyse::not_analysed(&mut part, why, true), part)
                }
            };
            let at = match page.images.len() {
                1 => format!("page {}", page.number),
                _ => format!("image {} on page {}", i + 1, page.number),
            };
            match outcome {
                Outcome::Analysed { found: f, ocr: o } => {
                    decoded = true;
                    ocr |= o;
                    if f {
                        merge(ev, part, &at, None);
                        found = true;
                    }
                }
                Outcome::NotAnalysed { reason, .. } => skipped.push(format!("{at}: {reason}")),
            }
        }
    }
    if doc.page_count > doc.pages.len() {
        ev.note(
            "content.pdf_partial",
            format!(
                "the first {} of {} pages were read",
                doc.pages.len(),
                doc.page_count
            ),
        );
    }
    // A scan whose every page image failed to decode was not looked at: the user hears so.
    if !found && !decoded && !skipped.is_empty() {
        let reason = format!("PDF images not decoded: {}", skipped.join("; "));
        return analyse::not_analysed(ev, reason, true);
    }
    if !skipped.is_empty() {
        ev.note(
            "content.pdf_images_skipped",
            format!("images not analysed: {}", skipped.join("; ")),
        );
    }
    Outcome::Analysed { found, ocr }
}

fn recording(
    file: &mut File,
    len: u64,
    sampler: Recording,
    cx: &Context,
    ev: &mut Evidence,
) -> Outcome {
    let max = if cx.camera {
        CAMERA_FRAMES
    } else {
        video::MAX_FRAMES
    };
    let (frames, damaged) = match sampler.frames(file, len, max, DECODE_BUDGET_PER_MINUTE) {
        Ok(f) => (f.frames, f.damaged),
        Err(e @ (VideoError::Codec(_) | VideoError::NoVideo)) => {
            return analyse::not_analysed(ev, format!("recording: {e}"), false);
        }
        Err(e) => return analyse::not_analysed(ev, format!("recording: {e}"), true),
    };
    // The metadata stage reads no Matroska or WebM header: the decoded picture's size says
    // whether the recording has a screen's shape (such a file carries no camera make or GPS).
    if sampler == Recording::Matroska
        && !cx.camera
        && ev.support(Kind::ScreenRecording) == 0.0
        && let Some(f) = frames.first()
    {
        let (w, h) = f.size;
        signals::screen_video(
            w,
            h,
            "is a Matroska or WebM file, which carries no camera make, model or GPS",
            ev,
        );
    }
    if let Some(why) = damaged {
        let at = frames.last().map_or(0.0, |f| f.second);
        ev.note(
            "content.frames",
            format!("the recording is damaged after {}: {why}", clock(at)),
        );
    }
    // Distinct views: those that look like a document first, then the most text-like.
    let mut seen: Vec<View> = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let thumb = imageops::thumbnail(&imageops::grayscale(&f.rgb), 32, 32).into_raw();
        if seen.iter().any(|v| same_view(&v.thumb, &thumb)) {
            continue;
        }
        let vis = visual::analyse(&f.rgb);
        let document = document_likeness(&f.rgb, &vis);
        seen.push(View {
            frame: i,
            vis,
            thumb,
            document,
        });
    }
    seen.sort_by_key(|v| {
        let text = 4 * v.vis.mrz_bands + v.vis.text_lines;
        (std::cmp::Reverse((v.document, text)), v.frame)
    });
    // A camera recording that shows a document is that document; a screen recording that shows
    // one is still a screen recording, and says what it showed.
    let retag = (ev.support(Kind::ScreenRecording) > 0.0).then_some(Kind::ScreenRecording);
    let frame_cx = frame_context(cx, retag.is_some());
    let mut best: Option<(f32, Evidence, f64)> = None;
    let (mut ocr, mut read) = (false, 0);
    let budget = read_budget(frames.iter().map(|f| f.second).fold(0.0, f64::max));
    let started = Instant::now();
    let cpu_start = video::thread_cpu();
    for view in &seen {
        let spent = video::thread_cpu().saturating_sub(cpu_start);
        if read > 0 && !may_read(view.document, budget, spent, started.elapsed()) {
            break;
        }
        let f = &frames[view.frame];
        let mut part = Evidence::default();
        read += 1;
        if let Outcome::Analysed { found, ocr: o } = read_view(f, view, &frame_cx, &mut part) {
            ocr |= o;
            let strongest = part.votes.iter().map(|v| v.weight).fold(0.0, f32::max);
            if found && best.as_ref().is_none_or(|b| strongest > b.0) {
                best = Some((strongest, part, f.second));
            }
        }
        if best.as_ref().is_some_and(|b| b.0 >= 0.9) {
            break;
        }
    }
    let between = frames.iter().filter(|f| f.between).count();
    let decoded = match between {
        0 => format!("{} keyframes decoded", frames.len()),
        b => format!(
            "{} keyframes and {b} frames between them decoded",
            frames.len() - b
        ),
    };
    let documents = seen.iter().filter(|v| v.document > 0).count();
    ev.note(
        "content.frames",
        format!(
            "{decoded}, {} distinct, {documents} like a document, {read} read",
            seen.len()
        ),
    );
    let found = best.is_some();
    if let Some((_, part, second)) = best {
        merge(ev, part, &format!("frame at {}", clock(second)), retag);
    }
    Outcome::Analysed { found, ocr }
}

/// Reads the frame of one view: read whole, and when it looks like a document and nothing was
/// read in it, looked at closer as a photo is (the document straightened, its print levelled,
/// small parts read larger): a card turned 24° in a frame, or one in an app's camera preview,
/// whose print OCR does not read across the whole frame.
fn read_view(f: &video::Frame, view: &View, cx: &Context, ev: &mut Evidence) -> Outcome {
    if view.document == 0 {
        return analyse::analyse_seen(&f.rgb, &view.vis, cx, ev);
    }
    // The closer look decodes its picture again (larger where a part is small): the frame is
    // handed over as the grey PNG a still of it would be.
    match pdf::gray_png(&imageops::grayscale(&f.rgb)) {
        Ok(png) => {
            let cx = Context {
                file_type: Some(FileType::Png),
                orientation: None,
                ..*cx
            };
            analyse::analyse_frame(&png, &cx, ev)
        }
        Err(_) => analyse::analyse_seen(&f.rgb, &view.vis, cx, ev),
    }
}

/// One distinct view of a recording: its frame, what the visual stage saw, its thumbnail for
/// telling views apart, and how much it looks like a document.
struct View {
    frame: usize,
    vis: Visual,
    thumb: Vec<u8>,
    document: u32,
}

/// How much a frame looks like a document, 0 when not at all: a machine-readable-zone band
/// counts most, in the frame or inside the outline of a card or a page filling part of it
/// (where the band is seen at the scale of the document, not of the whole screen around it),
/// then such an outline, more with a portrait inside and with rows of print inside, then a
/// small card-shaped object on a plain surface with print on it, or, where none of these shows,
/// a face of an ID photo's size. Text alone does not count: an app's screen carries more of
/// it than a passport page.
fn document_likeness(rgb: &RgbImage, vis: &Visual) -> u32 {
    let gray = visual::outline_gray(rgb);
    let (w, h) = rgb.dimensions();
    let (mut mrz, mut outline, mut printed, mut portrait) =
        (vis.mrz_bands > 0, false, false, false);
    for o in visual::card_outlines(&gray) {
        outline = true;
        let part = outline_part(&o, w, h);
        let inside = visual::analyse(&part.crop(rgb));
        mrz |= inside.mrz_bands > 0;
        printed |= inside.worth_ocr();
        portrait = portrait || has_portrait(rgb, &o, &part);
    }
    // A document on a plain ground of its own lightness shows no outline, and on a tall
    // screen its zone is too small for the visual stage's copy of the whole frame: the frame is
    // looked at again in squares along its long side, each at about its own scale.
    mrz = mrz || squares(w, h).any(|part| visual::analyse(&part.crop(rgb)).mrz_bands > 0);
    let small = visual::small_documents(&gray)
        .into_iter()
        .any(|part| visual::analyse(&part.crop(rgb)).worth_ocr());
    let score = 4 * u32::from(mrz)
        + 2 * u32::from(outline)
        + 2 * u32::from(portrait)
        + u32::from(printed)
        + u32::from(small);
    if score == 0 && shows_portrait(rgb) {
        return 1;
    }
    score
}

/// Whether the card or page outlined by `o` (inside `part` of `rgb`) holds a portrait: a face
/// of the height an ID photo has on its document, a sixth to two thirds of the document's
/// short side.
fn has_portrait(rgb: &RgbImage, o: &visual::Outline, part: &visual::Part) -> bool {
    let short = o.thickness * rgb.width().max(rgb.height()) as f32;
    face_in(rgb, part, short / 6.0, short * 2.0 / 3.0)
}

/// Whether a frame with no outline shows a portrait the size an ID photo has on a document
/// filling a good part of the frame (a page whose own outline does not close, against a ground
/// of its lightness or with more printed around it): a face a twelfth to a quarter of the
/// frame's short side high, looked for in squares along a tall or wide frame (at a scale where
/// such a face reaches the detector's window). The detector's bounds are loose: a video call's
/// face filling the frame's width can count too, and such a frame is then read closer.
fn shows_portrait(rgb: &RgbImage) -> bool {
    let (w, h) = rgb.dimensions();
    let short = w.min(h) as f32;
    let whole = visual::Part {
        left: 0.0,
        top: 0.0,
        right: 1.0,
        bottom: 1.0,
    };
    let mut parts = squares(w, h).peekable();
    let parts: Vec<visual::Part> = if parts.peek().is_some() {
        parts.collect()
    } else {
        vec![whole]
    };
    parts
        .iter()
        .any(|part| face_in(rgb, part, short / 12.0, short / 4.0))
}

/// Whether `part` of `rgb` holds a face `min` to `max` pixels high. A detector that cannot run
/// leaves the cue out (reading the frame says why, where it matters).
fn face_in(rgb: &RgbImage, part: &visual::Part, min: f32, max: f32) -> bool {
    let (w, h) = rgb.dimensions();
    let px = |f: f32, side: u32| (f * side as f32).round() as u32;
    let area = face::Area {
        x: px(part.left, w),
        y: px(part.top, h),
        width: px(part.right - part.left, w),
        height: px(part.bottom - part.top, h),
    };
    face::detect_in(rgb, area, (min as u32).max(1), (max as u32).max(1))
        .is_ok_and(|faces| !faces.is_empty())
}

/// Squares of the short side's size along the long side of an image `w` × `h`, half a square
/// apart (the last one at the end), in fractions of the image; none for an image less than
/// half again as long as it is wide.
fn squares(w: u32, h: u32) -> impl Iterator<Item = visual::Part> {
    let (long, short) = (w.max(h) as f32, w.min(h).max(1) as f32);
    let n = if long < 1.5 * short {
        0
    } else {
        ((long - short) / (short / 2.0)).ceil() as u32 + 1
    };
    let side = short / long;
    (0..n).map(move |i| {
        let start = (i as f32 * side / 2.0).min(1.0 - side);
        if w >= h {
            visual::Part {
                left: start,
                top: 0.0,
                right: start + side,
                bottom: 1.0,
            }
        } else {
            visual::Part {
                left: 0.0,
                top: start,
                right: 1.0,
                bottom: start + side,
            }
        }
    })
}

/// The upright box around an outline in an image `w` × `h`, with a twentieth of its size as a
/// margin, in fractions of the image.
fn outline_part(o: &visual::Outline, w: u32, h: u32) -> visual::Part {
    let long = w.max(h) as f32;
    let (cos, sin) = (o.tilt.cos().abs(), o.tilt.sin().abs());
    let margin = 1.1 / 2.0;
    let half_w = (o.length * cos + o.thickness * sin) * margin * long / w.max(1) as f32;
    let half_h = (o.length * sin + o.thickness * cos) * margin * long / h.max(1) as f32;
    visual::Part {
        left: (o.centre.0 - half_w).max(0.0),
        top: (o.centre.1 - half_h).max(0.0),
        right: (o.centre.0 + half_w).min(1.0),
        bottom: (o.centre.1 + half_h).min(1.0),
    }
}

/// The context a recording's frames are read in: a screen recording's frames are screenshots
/// (read by OCR whatever the visual stage saw, as a screenshot file is), a camera video's are
/// photos. A passport on a screen recording's light ground, read as a photo, was missed in 11
/// of 13 such frames that the same frames saved as screenshots showed.
fn frame_context(cx: &Context, screen_recording: bool) -> Context {
    Context {
        screenshot: cx.screenshot || screen_recording,
        ..*cx
    }
}

/// Whether one more view (how much it looks like a document: `document`) may be read after
/// `spent` of CPU time and `elapsed` of wall time reading a recording whose budget is `budget`.
/// Every view that looks like a document is read, within the budget of the longest recording
/// (a short one's budget is one or two readings, which a reading of an app's screen first can
/// use up); the others within this recording's own budget. The views that look like a document
/// come first.
fn may_read(document: u32, budget: Duration, spent: Duration, elapsed: Duration) -> bool {
    let limit = if document > 0 {
        MAX_READ_BUDGET
    } else {
        budget
    };
    spent < limit && elapsed <= limit.saturating_mul(READ_WALL_FACTOR)
}

/// The CPU time frames of a recording whose last frame was decoded at `last_second` may be
/// read for: [`READ_BUDGET_PER_MINUTE`], within [`MIN_READ_BUDGET`] and [`MAX_READ_BUDGET`].
fn read_budget(last_second: f64) -> Duration {
    let minutes = (last_second + video::FRAME_GAP_SECS) / 60.0;
    READ_BUDGET_PER_MINUTE
        .mul_f64(minutes.max(0.0))
        .clamp(MIN_READ_BUDGET, MAX_READ_BUDGET)
}

/// Moves the votes and notes of `part` into `ev`, each saying where it was seen (`at`); with
/// `retag`, the votes for a document or a verification screen become votes for that kind.
fn merge(ev: &mut Evidence, part: Evidence, at: &str, retag: Option<Kind>) {
    for mut v in part.votes {
        if let Some(k) = retag
            && (v.kind.is_document() || v.kind == Kind::KycScreenshot)
        {
            v.kind = k;
        }
        v.reason.detail = format!("{at}: {}", v.reason.detail);
        ev.votes.push(v);
    }
    for mut n in part.notes {
        n.detail = format!("{at}: {}", n.detail);
        ev.notes.push(n);
    }
    if ev.document.is_none() {
        ev.document = part.document;
    }
}

fn same_view(a: &[u8], b: &[u8]) -> bool {
    let diff: u32 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| u32::from(x.abs_diff(y)))
        .sum();
    diff < SAME_VIEW * a.len().max(1) as u32
}

/// `m:ss` for a time in seconds.
fn clock(second: f64) -> String {
    let s = second.max(0.0) as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_votes_say_where_and_recordings_keep_their_kind() {
        let mut part = Evidence::default();
        part.vote(
            Kind::Passport,
            0.95,
            "content.mrz",
            "machine-readable zone".into(),
        );
        let mut ev = Evidence::default();
        ev.vote(Kind::ScreenRecording, 0.45, "name.replaykit", String::new());
        merge(&mut ev, part, "frame at 1:04", Some(Kind::ScreenRecording));
        let v = ev.decide().unwrap();
        assert_eq!(v.kind, Kind::ScreenRecording);
        assert!(v.confidence > 0.95);
        assert_eq!(v.reasons[1].detail, "frame at 1:04: machine-readable zone");
        assert_eq!(clock(64.9), "1:04");
    }

    #[test]
    fn a_tall_or_wide_frame_is_looked_at_in_squares_that_cover_it() {
        assert_eq!(squares(1000, 1000).count(), 0);
        let tall: Vec<visual::Part> = squares(739, 1600).collect();
        assert_eq!(tall.len(), 4);
        assert_eq!(tall[0].top, 0.0);
        assert!((tall[3].bottom - 1.0).abs() < 1e-6);
        for pair in tall.windows(2) {
            assert!(pair[1].top <= pair[0].bottom, "a gap between squares");
        }
        let wide: Vec<visual::Part> = squares(1600, 900).collect();
        assert_eq!(wide.len(), 3);
        assert!(wide.iter().all(|p| p.top == 0.0 && p.bottom == 1.0));
        assert!((wide[2].right - 1.0).abs() < 1e-6);
    }

    #[test]
    fn a_screen_recordings_frames_are_read_as_screenshots() {
        let cx = Context {
            camera: true,
            ..Context::default()
        };
        assert!(frame_context(&cx, true).screenshot);
        assert!(frame_context(&cx, true).camera);
        assert!(!frame_context(&cx, false).screenshot);
    }

    #[test]
    fn every_view_like_a_document_is_read_and_the_others_within_the_budget() {
        let budget = read_budget(20.0);
        let spent = budget + Duration::from_millis(500);
        assert!(may_read(4, budget, spent, spent));
        assert!(may_read(1, budget, spent, spent));
        assert!(!may_read(0, budget, spent, spent));
        assert!(may_read(0, budget, budget / 2, budget / 2));
        // A wall clock far past the budget stops the others, and the long bound all of them.
        assert!(!may_read(
            0,
            budget,
            budget / 2,
            budget * (READ_WALL_FACTOR + 1)
        ));
        assert!(!may_read(4, budget, MAX_READ_BUDGET, MAX_READ_BUDGET));
        let wall = MAX_READ_BUDGET * (READ_WALL_FACTOR + 1);
        assert!(!may_read(4, budget, budget, wall));
    }

    /// An 886×1920 frame: a light card 700 × 440 px on a dark ground, with a portrait (a face
    /// from the test data) or a grey box of the same size where an ID photo goes.
    fn card_frame(portrait: bool) -> RgbImage {
        let mut frame = RgbImage::from_pixel(886, 1920, image::Rgb([30, 40, 50]));
        let card = RgbImage::from_pixel(700, 440, image::Rgb([236, 232, 224]));
        imageops::overlay(&mut frame, &card, 93, 740);
        let photo = if portrait {
            face(200, 250)
        } else {
            RgbImage::from_pixel(200, 250, image::Rgb([120, 120, 120]))
        };
        imageops::overlay(&mut frame, &photo, 133, 830);
        frame
    }

    fn face(w: u32, h: u32) -> RgbImage {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/detect/negative/facerec__obama.jpg"
        );
        let face = image::open(path).unwrap().into_rgb8();
        imageops::resize(&face, w, h, imageops::FilterType::Triangle)
    }

    #[test]
    fn a_portrait_in_a_card_makes_a_frame_more_like_a_document() {
        let score = |f: &RgbImage| document_likeness(f, &visual::analyse(f));
        let (with, without) = (score(&card_frame(true)), score(&card_frame(false)));
        assert!(without >= 2, "the card's outline is seen: {without}");
        assert_eq!(with, without + 2);
        // With no outline, a face of an ID photo's size counts a little; a frame without a
        // face does not.
        let ground = image::Rgb([236, 232, 224]);
        let mut id_photo = RgbImage::from_pixel(886, 1920, ground);
        assert_eq!(score(&id_photo), 0);
        imageops::overlay(&mut id_photo, &face(200, 250), 133, 830);
        assert_eq!(score(&id_photo), 1);
    }

    #[test]
    fn frames_are_read_within_a_budget_per_minute_of_recording() {
        assert_eq!(read_budget(8.0), MIN_READ_BUDGET);
        assert_eq!(read_budget(58.0), READ_BUDGET_PER_MINUTE);
        assert_eq!(read_budget(598.0), READ_BUDGET_PER_MINUTE * 10);
        assert_eq!(read_budget(36_000.0), MAX_READ_BUDGET);
    }
}
