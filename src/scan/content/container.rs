//! Content analysis of the files that hold pictures rather than being one: the pages of a PDF
//! (its images and its text layer) and the frames of a recording (MP4/MOV/3GP or Matroska/WebM). Each picture goes through the
//! same stages as a photo; what it finds is reported with where it was seen (page, second).
//! Every other file goes to [`analyse::analyse_file`].

use std::fs::File;
use std::time::{Duration, Instant};

use image::imageops;

use super::analyse::{self, Context, Outcome};
use super::visual::{self, Visual};
use super::{matroska, pdf, video};
use crate::files::sniff::FileType;
use crate::scan::finding::{Evidence, Kind};

/// A PDF's pages stop being read after this long: a scan of an identity document is a page or
/// two, and OCR costs about a second an image on a slow machine.
const PDF_BUDGET: Duration = Duration::from_secs(12);
/// Frames of a recording that are read with OCR, the most text-like first: OCR is the
/// expensive stage, and a document held up for a check stays in view across many frames.
pub const MAX_READ_FRAMES: usize = 3;
/// Keyframes decoded from a camera video (one with a camera make or model): a camera roll holds
/// many videos and few of them show a document, so each gets a short look.
const CAMERA_FRAMES: usize = 6;
/// No keyframe is decoded after this long: a 4K HEVC keyframe costs the pure-Rust intra
/// decoder a good fraction of a second on a slow core.
const DECODE_BUDGET: Duration = Duration::from_secs(4);
/// Frames whose 32×32 thumbnails differ by less than this mean grey level are the same view.
const SAME_VIEW: u32 = 6;
/// A text layer with more lines than this on a page is running text, where document words
/// are talked about rather than printed on a document.
const MAX_KEYWORD_LINES: usize = 30;

/// Runs content analysis on an open file of `len` bytes, adding votes and notes to `ev`.
pub fn analyse_file(file: &mut File, len: u64, cx: &Context, ev: &mut Evidence) -> Outcome {
    match cx.file_type {
        Some(
            FileType::Mp4 | FileType::Mov | FileType::ThreeGp | FileType::Matroska | FileType::Webm,
        ) => recording(file, len, cx, ev),
        Some(FileType::Pdf) => match analyse::read_all(file, len, ev) {
            Ok(bytes) => pdf_pages(&bytes, cx, ev),
            Err(outcome) => outcome,
        },
        _ => analyse::analyse_file(file, len, cx, ev),
    }
}

/// Runs content analysis on a file held in memory (an archive's entry): pictures and PDFs.
/// A recording's frames are read from a file it can seek in, so one inside an archive is
/// judged by its names and metadata only.
pub fn analyse_bytes(bytes: &[u8], cx: &Context, ev: &mut Evidence) -> Outcome {
    match cx.file_type {
        Some(t) if t.is_video() => analyse::not_analysed(
            ev,
            "a recording inside an archive: only its names and metadata were judged".into(),
            false,
        ),
        Some(FileType::Pdf) => pdf_pages(bytes, cx, ev),
        _ => analyse::analyse(bytes, cx, ev),
    }
}

fn pdf_pages(bytes: &[u8], cx: &Context, ev: &mut Evidence) -> Outcome {
    // An encrypted PDF may hold anything: the user hears that it could not be looked into.
    let doc = match pdf::read(bytes) {
        Ok(d) => d,
        Err(e) => return analyse::not_analysed(ev, e.to_string(), true),
    };
    let start = Instant::now();
    let (mut found, mut ocr) = (false, false);
    let page_cx = Context {
        orientation: None,
        screenshot: false,
        camera: false,
        ..*cx
    };
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
            if start.elapsed() > PDF_BUDGET {
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
            let mut part = Evidence::default();
            match analyse::analyse_pixels(img, &page_cx, &mut part) {
                Outcome::Analysed { found: f, ocr: o } => {
                    ocr |= o;
                    if f {
                        let at = match page.images.len() {
                            1 => format!("page {}", page.number),
                            _ => format!("image {} on page {}", i + 1, page.number),
                        };
                        merge(ev, part, &at, None);
                        found = true;
                    }
                }
                Outcome::NotAnalysed { .. } => ev.notes.extend(part.notes),
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
    let decoded = doc.pages.iter().any(|p| !p.images.is_empty());
    if !found && !decoded && !doc.skipped.is_empty() {
        let reason = format!("PDF images not decoded: {}", doc.skipped.join("; "));
        return analyse::not_analysed(ev, reason, true);
    }
    if !doc.skipped.is_empty() {
        ev.note(
            "content.pdf_images_skipped",
            format!("images not analysed: {}", doc.skipped.join("; ")),
        );
    }
    Outcome::Analysed { found, ocr }
}

fn recording(file: &mut File, len: u64, cx: &Context, ev: &mut Evidence) -> Outcome {
    let max = if cx.camera {
        CAMERA_FRAMES
    } else {
        video::MAX_FRAMES
    };
    let matroska = matches!(cx.file_type, Some(FileType::Matroska | FileType::Webm));
    let read = if matroska {
        matroska::frames(file, max, DECODE_BUDGET).map(|m| (m.frames, m.damaged))
    } else {
        video::frames(file, len, max, DECODE_BUDGET).map(|f| (f, None))
    };
    let (frames, damaged) = match read {
        Ok(f) => f,
        Err(e @ (video::VideoError::Codec(_) | video::VideoError::NoVideo)) => {
            return analyse::not_analysed(ev, format!("recording: {e}"), false);
        }
        Err(e) => return analyse::not_analysed(ev, format!("recording: {e}"), true),
    };
    if let Some(why) = damaged {
        let at = frames.last().map_or(0.0, |f| f.second);
        ev.note(
            "content.frames",
            format!("the recording is damaged after {}: {why}", clock(at)),
        );
    }
    // Distinct views, most text first.
    let mut seen: Vec<(usize, Visual, Vec<u8>)> = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let thumb = imageops::thumbnail(&imageops::grayscale(&f.rgb), 32, 32).into_raw();
        if seen.iter().any(|(_, _, t)| same_view(t, &thumb)) {
            continue;
        }
        seen.push((i, visual::analyse(&f.rgb), thumb));
    }
    let score = |v: &Visual| 4 * v.mrz_bands + v.text_lines;
    seen.sort_by_key(|(i, v, _)| (std::cmp::Reverse(score(v)), *i));
    // A camera recording that shows a document is that document; a screen recording that shows
    // one is still a screen recording, and says what it showed.
    let retag = (ev.support(Kind::ScreenRecording) > 0.0).then_some(Kind::ScreenRecording);
    let mut best: Option<(f32, Evidence, f64)> = None;
    let mut ocr = false;
    for (i, vis, _) in seen.iter().take(MAX_READ_FRAMES) {
        let f = &frames[*i];
        let mut part = Evidence::default();
        if let Outcome::Analysed { found, ocr: o } =
            analyse::analyse_seen(&f.rgb, vis, cx, &mut part)
        {
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
    ev.note(
        "content.frames",
        format!(
            "{decoded}, {} distinct, {} read",
            seen.len(),
            seen.len().min(MAX_READ_FRAMES)
        ),
    );
    let found = best.is_some();
    if let Some((_, part, second)) = best {
        merge(ev, part, &format!("frame at {}", clock(second)), retag);
    }
    Outcome::Analysed { found, ocr }
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
}
