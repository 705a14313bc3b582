//! The content stages in order, each run only where it can change the verdict: decode (stage
//! 1), the cheap visual stage that picks the images worth reading, OCR (stages 2–3) with
//! retries at other orientations when a document is suspected but nothing was confirmed, the
//! confirmers, whose results become votes with reasons a person can check, and, in photos where
//! nothing was confirmed, a closer look: small documents read at a higher resolution, and the
//! outline and portrait of a document too blurred to read.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use image::RgbImage;

use super::ocr::{self, TextLine};
use super::visual::{self, Visual};
use super::{cncard, cnid, keywords, locate, mrz, partial, retake, selfie};
use crate::media::caps::Pixels;
use crate::media::decode::{self, DecodeError};
use crate::media::heif::{avif, heic};
use crate::media::limits::ANALYSE_MAX_BYTES;
use crate::media::sniff::FileType;
use crate::scan::finding::{Document, Evidence, Kind};

/// Stage-0 facts the content stages use.
#[derive(Clone, Copy, Debug, Default)]
pub struct Context {
    pub file_type: Option<FileType>,
    /// EXIF orientation, 1–8.
    pub orientation: Option<u16>,
    /// Stage 0 already thinks the image is a screenshot (name, metadata or screen size).
    pub screenshot: bool,
    /// The image carries a camera make or model.
    pub camera: bool,
}

impl Context {
    /// The bits of stage-0 evidence that the outcome depends on, for the cache key.
    pub fn cache_bits(&self) -> u8 {
        u8::from(self.screenshot) | (u8::from(self.camera) << 1)
    }
}

/// What content analysis did with a file.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Pixels analysed; `found` says whether any content vote was added.
    Analysed { found: bool, ocr: bool },
    /// The pixels could not be analysed; the reason is in a `content.not_analysed` note.
    NotAnalysed {
        reason: String,
        /// A decoding problem the user should hear about even without a finding.
        warn: bool,
    },
}

/// Runs the content stages on an open file of `len` bytes, adding votes and notes to `ev`.
pub fn analyse_file(file: &mut File, len: u64, cx: &Context, ev: &mut Evidence) -> Outcome {
    if cx.file_type.is_some_and(FileType::is_video) {
        return not_analysed(
            ev,
            "video: only its names and metadata were judged, not its frames".into(),
            false,
        );
    }
    if let Some(t) = cx.file_type
        && !matches!(
            t.caps().pixels,
            Some(Pixels::Still | Pixels::Heic | Pixels::Avif)
        )
    {
        return not_analysed(ev, DecodeError::Unsupported(t).to_string(), false);
    }
    match read_all(file, len, ev) {
        Ok(bytes) => analyse(&bytes, cx, ev),
        Err(outcome) => outcome,
    }
}

/// The whole file, at most [`ANALYSE_MAX_BYTES`]; a file too large or unreadable gets a note and
/// the outcome to return instead.
pub(crate) fn read_all(file: &mut File, len: u64, ev: &mut Evidence) -> Result<Vec<u8>, Outcome> {
    if len > ANALYSE_MAX_BYTES {
        let reason = format!("the file is larger than {} MiB", ANALYSE_MAX_BYTES >> 20);
        return Err(not_analysed(ev, reason, true));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    let read = file
        .seek(SeekFrom::Start(0))
        .and_then(|_| file.take(ANALYSE_MAX_BYTES).read_to_end(&mut bytes));
    match read {
        Ok(_) => Ok(bytes),
        Err(e) => Err(not_analysed(ev, format!("cannot read: {e}"), true)),
    }
}

/// Runs the content stages on a file's `bytes`, adding votes and notes to `ev`.
pub fn analyse(bytes: &[u8], cx: &Context, ev: &mut Evidence) -> Outcome {
    analyse_picture(bytes, cx, false, ev)
}

/// [`analyse`] for a recording's frame that looks like a document (a still picture's `bytes`):
/// when reading it whole confirms no document, it gets the closer look a photo gets
/// (straightened, levelled, small parts read larger), though a screen recording's frame is a
/// screen's picture.
pub(crate) fn analyse_frame(bytes: &[u8], cx: &Context, ev: &mut Evidence) -> Outcome {
    analyse_picture(bytes, cx, true, ev)
}

fn analyse_picture(bytes: &[u8], cx: &Context, frame: bool, ev: &mut Evidence) -> Outcome {
    let Some(t) = cx.file_type else {
        return not_analysed(ev, "not an image".into(), false);
    };
    let still = t.caps().pixels == Some(Pixels::Still);
    let decoded = match t.caps().pixels {
        Some(Pixels::Heic) => heic::decode(bytes),
        Some(Pixels::Avif) => avif::decode(bytes),
        _ => decode::decode(bytes, t, cx.orientation),
    };
    let decoded = match decoded {
        Ok(d) => d,
        Err(e @ DecodeError::Unsupported(_)) => return not_analysed(ev, e.to_string(), false),
        Err(e) => return not_analysed(ev, e.to_string(), true),
    };
    let mut read = Vec::new();
    let seen_gray = visual::gray(&decoded.rgb);
    let vis = visual::analyse_copy(&seen_gray);
    let outcome = analyse_read(&decoded.rgb, &vis, cx, ev, &mut read);
    match outcome {
        // A frame that looks like a document is looked at closer unless its reading confirmed
        // one: a zone's shape read across the whole frame is not its number.
        Outcome::Analysed { found, ocr }
            if still && (frame && !confirmed(ev) || !found && !screen_like(&decoded.rgb, cx)) =>
        {
            match look_closer(bytes, t, cx, &decoded.rgb, &seen_gray, &read, ev) {
                Ok(closer) => Outcome::Analysed {
                    found: found || closer.found,
                    ocr: ocr || closer.read,
                },
                Err(_) if found => outcome,
                Err(e) => not_analysed(ev, e, true),
            }
        }
        _ => outcome,
    }
}

/// What a closer look at the small documents in an image did.
struct Closer {
    /// Some part was read by OCR.
    read: bool,
    /// A document was confirmed in one (and voted for).
    found: bool,
}

/// Documents too small in the frame to be read in the working copy `small` (both sides of an
/// ID card copied onto an A4 sheet and photographed): the card-shaped parts the visual stage
/// points at, where it sees text lines, are cut from a decode at twice the resolution and read
/// on their own, the first one that confirms a document deciding. Then, if none did, a
/// document too blurred, glared or covered to be read, seen by its outline and portrait, or
/// by the part of its text that was legible (on a straightened document, or in `read`, the
/// lines read in the whole working copy; `seen_gray` is the working copy's [`visual::gray`]).
/// Errors are the reason for a note.
fn look_closer(
    bytes: &[u8],
    t: FileType,
    cx: &Context,
    small: &RgbImage,
    seen_gray: &image::GrayImage,
    read: &[String],
    ev: &mut Evidence,
) -> Result<Closer, String> {
    let mut closer = Closer {
        read: false,
        found: false,
    };
    let mut large = Large {
        bytes,
        t,
        orientation: cx.orientation,
        rgb: None,
    };
    let gray = visual::outline_gray(small);
    // Documents turned, seen at an angle or filling only part of the frame, straightened.
    let quads = locate::find(&gray);
    let mut seen = Vec::new();
    if !quads.is_empty() {
        read_straightened(&mut large, small, &quads, &mut closer, &mut seen, ev)?;
    }
    // A straightened document that confirmed itself ends the look; a weaker reading (a zone's
    // shape without its check digits) still lets the small-document search read it closer.
    if closer.found && confirmed(ev) {
        return Ok(closer);
    }
    // Print at a slant the visual stage does not see (a card turned by 20–70° that is cut off
    // by the frame, or lies on a busy background where no outline closes): the photo, or the
    // part of it whose print runs one way, turned until it runs level, and read.
    let mut slanted = Vec::new();
    for slant in visual::slants(seen_gray) {
        if closer.found {
            break;
        }
        let degrees = slant.degrees;
        let (level, source, place) = match slant.part {
            None => (
                locate::level(small, degrees),
                Source::Whole { screen_like: false },
                format!(" (on the photo turned {degrees}° back, where its print runs level)"),
            ),
            // A part of the photo: cut from a decode at twice the resolution when it shows
            // print already in the working copy.
            Some(part) => {
                let level = locate::level(&part.crop(small), degrees);
                let vis = visual::analyse(&level);
                if vis.text_lines < PART_ROWS && !vis.worth_ocr() {
                    continue;
                }
                let level = locate::level(&part.crop(large.get()?), degrees);
                let place = format!(
                    " (in a part of the photo turned {degrees}° back, where its print runs level)"
                );
                (level, Source::Part, place)
            }
        };
        let vis = visual::analyse(&level);
        if vis.worth_ocr() {
            let engine = ocr::engine().map_err(|e| e.to_string())?;
            closer.read = true;
            if let Some((turns, c)) = read_document(engine, &level, &vis, source, &mut slanted)? {
                closer.found = c.apply(ev, turns, &place);
                if confirmed(ev) {
                    return Ok(closer);
                }
            }
        }
    }
    // Only outlines whose print shows as text lines already in the working copy are worth a
    // second decode (the blobs the search finds in ordinary photos hold none).
    let regions: Vec<visual::Part> = visual::small_documents(&gray)
        .into_iter()
        .filter(|part| visual::analyse(&part.crop(small)).worth_ocr())
        .collect();
    if !regions.is_empty() {
        read_small_documents(large.get()?, &regions, &mut closer, ev)?;
    }
    if !closer.found {
        let edges: Vec<visual::Outline> = quads
            .iter()
            .map(|q| visual::Outline::from_corners(&q.corners, small.width(), small.height()))
            .collect();
        closer.found = look_for_outline(small, &gray, &edges, ev);
    }
    // What was read of a document in part (a glared number, a piece of its zone): on a
    // straightened document first, then anywhere in the photo.
    let judge = |texts: &[String], shaped| {
        partial::judge(
            &texts.iter().map(String::as_str).collect::<Vec<_>>(),
            shaped,
        )
    };
    if !closer.found
        && let Some(p) = seen
            .iter()
            .find_map(|texts| judge(texts, true))
            .or_else(|| judge(read, false))
            .or_else(|| judge(&slanted, false))
    {
        ev.vote(p.kind, p.weight, "content.partial", p.reason);
        closer.found = true;
    }
    Ok(closer)
}

/// Whether a document was confirmed beyond doubt (check digits, a valid number): a vote for a
/// document kind at 0.9 or more.
fn confirmed(ev: &Evidence) -> bool {
    ev.votes
        .iter()
        .any(|v| v.kind.is_document() && v.weight >= 0.9)
}

/// The photo decoded at twice the working copy's resolution, made on first need and shared by
/// the closer look's stages (straightened small documents, a slanted part, small documents).
struct Large<'a> {
    bytes: &'a [u8],
    t: FileType,
    orientation: Option<u16>,
    rgb: Option<RgbImage>,
}

impl Large<'_> {
    /// The decode; errors are the reason for a note.
    fn get(&mut self) -> Result<&RgbImage, String> {
        let rgb = match self.rgb.take() {
            Some(rgb) => rgb,
            None => {
                decode::decode_large(self.bytes, self.t, self.orientation)
                    .map_err(|e| e.to_string())?
                    .rgb
            }
        };
        Ok(self.rgb.insert(rgb))
    }
}

/// The straightened crop of a quadrilateral is read at most this long (the detector's own
/// size and the retry's).
const STRAIGHT_SIDE: u32 = 1280;
/// A quadrilateral shorter than this in the working copy is cut from a decode at twice the
/// resolution before it is read.
const STRAIGHT_FROM_LARGE: f32 = 720.0;

/// Reads the document-shaped `quads` of the working copy `small`, each straightened to an
/// upright crop of its own aspect (from a decode at twice the resolution where it is small),
/// stopping at the first that confirms a document. A crop is read only when the visual stage
/// sees rows of print on it (at a soft contrast: a blurred document's rows still show). The
/// texts of the crops read and confirming nothing are added to `seen`, one list per crop.
fn read_straightened(
    large: &mut Large,
    small: &RgbImage,
    quads: &[locate::Quad],
    closer: &mut Closer,
    seen: &mut Vec<Vec<String>>,
    ev: &mut Evidence,
) -> Result<(), String> {
    for q in quads {
        let native = q.long_side(small.width(), small.height());
        let Some(preview) = q.straighten(small, (native.round() as u32).clamp(64, visual::SIDE))
        else {
            continue;
        };
        // Print legible in the straightened preview; or, on a quadrilateral in a card's or a
        // page's own proportions, a single line of print (a card's back shows its large title,
        // which the visual stage does not take for lines, and two small ones) or rows of print
        // too soft for the visual stage (a blurred document).
        let seen_there = visual::analyse(&preview);
        let card_like = (SOFT_ASPECT.0..=SOFT_ASPECT.1).contains(&q.aspect);
        let soft = if seen_there.worth_ocr() || (card_like && seen_there.text_lines >= 1) {
            None
        } else if let Some(turned) = soft_rows(q, &preview) {
            Some(turned)
        } else {
            continue;
        };
        let src = if native < STRAIGHT_FROM_LARGE {
            large.get()?
        } else {
            small
        };
        let long =
            (q.long_side(src.width(), src.height()).round() as u32).clamp(640, STRAIGHT_SIDE);
        let Some(crop) = q.straighten(src, long) else {
            continue;
        };
        let engine = ocr::engine().map_err(|e| e.to_string())?;
        closer.read = true;
        let mut texts = Vec::new();
        let mut vis = visual::analyse(&crop);
        // Soft print seen only on the page turned a quarter is read turned first.
        vis.sideways |= soft == Some(true) && !vis.worth_ocr();
        let straightened = Source::Straightened;
        if let Some((turns, c)) = read_document(engine, &crop, &vis, straightened, &mut texts)? {
            closer.found = c.apply(ev, turns, STRAIGHTENED);
            return Ok(());
        }
        // Nothing read: a Chinese card may still show its layout and colours.
        if !closer.found
            && let Some(card) = cncard::look(&crop)
        {
            ev.vote(
                Kind::IdCard,
                card.weight,
                "content.cn_card_layout",
                card.reason,
            );
            closer.found = true;
        }
        seen.push(texts);
    }
    Ok(())
}

/// Whether the straightened `preview` of `q` shows rows of print too soft for the visual
/// stage's legibility gate, on a quadrilateral in a card's or a page's proportions: `Some`
/// with whether they run across it only when turned a quarter (a page standing on its side),
/// `None` when it shows none. Soft print is looked for at two scales: blur joins a line's
/// letters at one and splits or merges lines at the other (the large title of a card's back).
fn soft_rows(q: &locate::Quad, preview: &RgbImage) -> Option<bool> {
    if !(SOFT_ASPECT.0..=SOFT_ASPECT.1).contains(&q.aspect) {
        return None;
    }
    let rows = |img: &RgbImage| {
        [visual::SIDE, SOFT_SIDE].into_iter().any(|side| {
            let v = visual::analyse_soft(img, side);
            v.text_lines >= SOFT_ROWS || v.mrz_bands > 0
        })
    };
    if rows(preview) {
        Some(false)
    } else {
        // A card comes out lying on its long side; a page keeps its turn.
        (preview.height() > preview.width() && rows(&image::imageops::rotate90(preview)))
            .then_some(true)
    }
}

/// A straightened quadrilateral whose print is too soft for the visual stage is read only in
/// these proportions (a passport page's 1.42 and an ID-1 card's 1.59, give or take what a
/// steep view and a finger over an edge change)...
const SOFT_ASPECT: (f32, f32) = (1.3, 1.85);
/// ...and with at least this many parallel rows of print seen at a stretched contrast (the
/// back of a Chinese card, blurred, shows its two lines under the title; business cards and
/// badges show as many, and are read only to find nothing)...
const SOFT_ROWS: u32 = 2;
/// ...at the visual stage's side or this smaller one.
const SOFT_SIDE: u32 = 240;

/// A part of the photo whose print runs at a slant is decoded again and read when, turned
/// level in the working copy, it shows at least this many lines of print (a card's lines are
/// too small there for the visual stage's three).
const PART_ROWS: u32 = 2;

/// Said of what was read on a document straightened from the photo.
const STRAIGHTENED: &str = " (on a document straightened from the photo)";

/// Reads the small documents at `regions` from a decode at twice the resolution, stopping at
/// the first that confirms a document.
fn read_small_documents(
    large: &RgbImage,
    regions: &[visual::Part],
    closer: &mut Closer,
    ev: &mut Evidence,
) -> Result<(), String> {
    let engine = ocr::engine().map_err(|e| e.to_string())?;
    for region in regions {
        let part = region.crop(large);
        let vis = visual::analyse(&part);
        if !vis.worth_ocr() {
            continue;
        }
        closer.read = true;
        if let Some((turns, c)) = read_document(engine, &part, &vis, Source::Part, &mut Vec::new())?
        {
            closer.found = c.apply(ev, turns, IN_A_PART);
            break;
        }
    }
    Ok(())
}

/// A document too blurred, glared or covered to be read, seen by its outline and portrait in
/// the working copy `rgb` ([`retake::look`]; `gray` is its [`visual::outline_gray`], `edges`
/// the outlines found by their edges); votes for it. Returns whether a vote was added.
fn look_for_outline(
    rgb: &RgbImage,
    gray: &image::GrayImage,
    edges: &[visual::Outline],
    ev: &mut Evidence,
) -> bool {
    match retake::look(rgb, gray, edges) {
        Ok(Some(seen)) => {
            ev.vote(seen.kind, seen.weight, "content.outline", seen.reason);
            true
        }
        Ok(None) => false,
        Err(e) => {
            faces_not_analysed(ev, &e);
            false
        }
    }
}

/// Said of what was read in a part of the image looked at closer.
const IN_A_PART: &str = " (in a small document in the picture, read at a higher resolution)";

/// The image is judged as a screen image: by stage 0, or by its tall shape without a camera.
fn screen_like(rgb: &RgbImage, cx: &Context) -> bool {
    let (w, h) = (rgb.width(), rgb.height());
    let tall = w.max(h) as f32 / w.min(h).max(1) as f32 >= 1.9;
    cx.screenshot || (!cx.camera && tall)
}

/// The OCR and confirmer stages on a working copy the visual stage has already seen as `vis`.
pub(crate) fn analyse_seen(
    rgb: &RgbImage,
    vis: &Visual,
    cx: &Context,
    ev: &mut Evidence,
) -> Outcome {
    analyse_read(rgb, vis, cx, ev, &mut Vec::new())
}

/// [`analyse_seen`], adding the lines read to `read`.
fn analyse_read(
    rgb: &RgbImage,
    vis: &Visual,
    cx: &Context,
    ev: &mut Evidence,
    read: &mut Vec<String>,
) -> Outcome {
    let screen_like = screen_like(rgb, cx);
    if !vis.worth_ocr() && !screen_like {
        return Outcome::Analysed {
            found: false,
            ocr: false,
        };
    }
    let engine = match ocr::engine() {
        Ok(e) => e,
        Err(e) => return not_analysed(ev, e.to_string(), true),
    };
    let reading = match read_and_confirm(engine, rgb, vis, Source::Whole { screen_like }, read) {
        Ok(r) => r,
        Err(e) => return not_analysed(ev, e.to_string(), true),
    };
    let mut found = false;
    let mut document = None;
    if let Some(Reading {
        turns,
        lines,
        confirmed: Some(c),
        ..
    }) = reading
    {
        if c.names_a_document() {
            document = Some((turns, selfie::Region::around(&lines)));
        }
        found = c.apply(ev, turns, "");
    }
    // A screen image is judged by its words; faces on it are the app's, not a held document.
    if !screen_like {
        found |= look_for_selfie(rgb, document, ev);
    }
    Outcome::Analysed { found, ocr: true }
}

/// Looks for the faces of an ID selfie (in the orientation a confirmed document was read in,
/// whose text region is given) and votes for one: the document votes become ID-selfie votes,
/// since the document is what makes the selfie sensitive. Returns whether a vote was added.
fn look_for_selfie(
    rgb: &RgbImage,
    document: Option<(u8, Option<selfie::Region>)>,
    ev: &mut Evidence,
) -> bool {
    let (turns, region) = document.unwrap_or_default();
    let s = match selfie::look(&turned(rgb, turns), region) {
        Ok(Some(s)) => s,
        Ok(None) => return false,
        Err(e) => {
            faces_not_analysed(ev, &e);
            return false;
        }
    };
    ev.retag_documents(Kind::IdSelfie);
    ev.vote(Kind::IdSelfie, s.weight, "content.id_selfie", s.reason);
    true
}

/// Adds a `content.faces_not_analysed` note saying why faces were not looked for.
fn faces_not_analysed(ev: &mut Evidence, e: &super::face::FaceError) {
    ev.note(
        "content.faces_not_analysed",
        format!("faces not looked for: {e}"),
    );
}

/// Adds a `content.not_analysed` note and returns the outcome that says why.
pub(crate) fn not_analysed(ev: &mut Evidence, reason: String, warn: bool) -> Outcome {
    ev.note(
        "content.not_analysed",
        format!("pixels not analysed: {reason}"),
    );
    Outcome::NotAnalysed { reason, warn }
}

/// OCR at the upright orientation (or turned by 90° where the text runs sideways), then, while
/// a document is suspected but not confirmed, at the image's own scale and at the other
/// orientations. Stops at the first decisive reading; otherwise the first reading the
/// confirmers made anything of counts. Returns that reading, if any.
fn read_and_confirm(
    engine: &ocr::Engine,
    rgb: &RgbImage,
    vis: &Visual,
    source: Source,
    seen: &mut Vec<String>,
) -> Result<Option<Reading>, ocr::OcrError> {
    let screen_like = source == Source::Whole { screen_like: true };
    let straightened = source == Source::Straightened;
    let first_turns = u8::from(vis.sideways);
    let first = read_once(engine, rgb, first_turns, ocr::DET_SIDE, screen_like)?;
    let texts = first.texts();
    seen.extend(texts.iter().map(|t| (*t).to_owned()));
    let upside_down = mrz::upside_down(&texts);
    let suspected = straightened
        || vis.mrz_bands > 0
        || upside_down
        || vis.sideways
        || first.named
        || texts.iter().any(|t| t.contains("<<"))
        || first
            .confirmed
            .as_ref()
            .is_some_and(|c| c.mrz_shaped.is_some());
    if first.decisive() || !suspected {
        return Ok(Some(first).filter(|r| r.confirmed.is_some()));
    }
    // A reading whose lines the angle classifier found clearly upright needs no reading
    // turned by 180°. One that it turned over is read the other way too: on small or odd
    // text the classifier can call both ways upside down.
    let mut upright_at: Vec<(u8, u32)> = Vec::new();
    if first.upright {
        upright_at.push((first.turns % 2, ocr::DET_SIDE));
    }
    let mut best = Some(first).filter(|r| r.confirmed.is_some());
    // The detector splits or merges lines at some scales (small text in a large photo, a
    // tilted MRZ, an upscaled small image): read once more at the image's own scale, within
    // RETRY_SIDE. Then the other orientations: text judged sideways was read turned by 90°,
    // so the opposite turn comes next, then upright in case the judgement was wrong.
    let own_side = rgb.width().max(rgb.height()).min(RETRY_SIDE);
    let mut retries: Vec<(u8, u32)> = Vec::new();
    // A straightened crop was cut at the size it is read at: not again at its own, where a
    // detection at 1280 px holds nearly twice the memory of one at the detector's side.
    if !straightened && own_side.abs_diff(ocr::DET_SIDE) * 5 > ocr::DET_SIDE {
        retries.push((first_turns, own_side));
    }
    let turns: &[u8] = if vis.sideways {
        &[3, 0]
    } else if upside_down {
        &[2, 1, 3]
    } else {
        &[2]
    };
    retries.extend(turns.iter().map(|&q| (q, ocr::DET_SIDE)));
    for (q, side) in retries {
        if upright_at.contains(&(q % 2, side)) {
            continue;
        }
        let reading = read_once(engine, rgb, q, side, screen_like)?;
        seen.extend(reading.lines.iter().map(|l| l.text.clone()));
        if reading.decisive() {
            return Ok(Some(reading));
        }
        if reading.upright {
            upright_at.push((reading.turns % 2, side));
        }
        if best.is_none() && reading.confirmed.is_some() {
            best = Some(reading);
        }
    }
    Ok(best)
}

/// [`read_and_confirm`] for a closer look, keeping only a reading that names a document: the
/// quarter turns it was read at and what confirmed it. Errors are the reason for a note.
fn read_document(
    engine: &ocr::Engine,
    rgb: &RgbImage,
    vis: &Visual,
    source: Source,
    seen: &mut Vec<String>,
) -> Result<Option<(u8, Confirmed)>, String> {
    let reading = read_and_confirm(engine, rgb, vis, source, seen).map_err(|e| e.to_string())?;
    Ok(reading.and_then(|r| {
        let turns = r.turns;
        r.confirmed
            .filter(Confirmed::names_a_document)
            .map(|c| (turns, c))
    }))
}

/// What an image handed to [`read_and_confirm`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// The whole working copy; `screen_like` when it looks like a screenshot.
    Whole { screen_like: bool },
    /// A document straightened from a photo: suspected from the start, and not read again at its
    /// own size (it was cut at the size it is read at). Which way up it lies is not known (a card
    /// turned past 45° is straightened onto its long side, its print upright or upside down).
    Straightened,
    /// A small document cut from a decode at twice the resolution.
    Part,
}

/// Largest long side the detector is given when a reading is retried at the image's own scale.
const RETRY_SIDE: u32 = 1280;

/// One reading of an image and what the confirmers made of it.
struct Reading {
    /// The image was read turned clockwise by this many quarter turns.
    turns: u8,
    /// In the coordinates of the turned image.
    lines: Vec<TextLine>,
    confirmed: Option<Confirmed>,
    /// A word that names a kind of document was read (`PASSPORT`, `居民身份证`).
    named: bool,
    /// The angle classifier found the lines, as read, clearly upright.
    upright: bool,
}

impl Reading {
    fn texts(&self) -> Vec<&str> {
        self.lines.iter().map(|l| l.text.as_str()).collect()
    }

    fn decisive(&self) -> bool {
        self.confirmed.as_ref().is_some_and(Confirmed::decisive)
    }
}

/// Lines recognised first, before the rest: one recogniser batch of the longest.
const LONG_FIRST: usize = 8;

/// Detects the text of `rgb` turned by `turns` quarter turns at `side`, recognises the long
/// lines first (an MRZ or an identity number is decisive alone, and recognition costs per
/// line), and the rest only when those did not decide.
fn read_once(
    engine: &ocr::Engine,
    rgb: &RgbImage,
    turns: u8,
    side: u32,
    screen_like: bool,
) -> Result<Reading, ocr::OcrError> {
    let mut img = turned(rgb, turns);
    let mut rects = engine.detect(&img, side)?;
    ocr::sort_longest_first(&mut rects);
    let mut turns = turns;
    let facing = engine.facing(&img, &rects)?;
    // The angle classifier catches a page upside down (no MRZ `>` needed): read the lines
    // where they lie in the image turned by 180°, without detecting them again.
    if facing == ocr::Facing::UpsideDown {
        let (w, h) = img.dimensions();
        rects = ocr::turn_180(&rects, w, h);
        turns = (turns + 2) % 4;
        img = turned(rgb, turns);
    }
    let (long, rest) = rects.split_at(ocr::long_lines(&rects, LONG_FIRST));
    let mut lines = engine.lines(&img, long)?;
    let (mut confirmed, mut named) = confirm(&lines, screen_like);
    if !confirmed.as_ref().is_some_and(Confirmed::decisive) && !rest.is_empty() {
        lines.extend(engine.lines(&img, rest)?);
        ocr::sort_reading_order(&mut lines);
        (confirmed, named) = confirm(&lines, screen_like);
    }
    Ok(Reading {
        turns,
        lines,
        confirmed,
        named,
        upright: facing == ocr::Facing::Upright,
    })
}

/// Consecutive rows laid out like an MRZ (2–3 rows of 28–46 characters, nearly all `A–Z`,
/// `0–9` and `<`, with `<<` filler runs), even if OCR garbled the check digits. The layout
/// picks the kind: 3×30 or a leading `I`/`A`/`C` is an identity card, a leading `V` a visa,
/// 2×44 a passport.
fn mrz_shaped(rows: &[&str]) -> Option<(Kind, usize, usize)> {
    let shaped = |r: &str| {
        let chars: Vec<char> = r.chars().filter(|c| !c.is_whitespace()).collect();
        let ok = chars
            .iter()
            .filter(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || **c == '<')
            .count();
        (28..=46).contains(&chars.len())
            && ok * 10 >= chars.len() * 9
            && r.contains("<<")
            && chars.iter().filter(|&&c| c == '<').count() >= 3
    };
    let lens: Vec<usize> = rows.iter().map(|r| r.chars().count()).collect();
    for start in 0..rows.len() {
        let n = rows[start..].iter().take_while(|r| shaped(r)).count();
        if n < 2 {
            continue;
        }
        let n = n.min(3);
        let len = lens[start..start + n].iter().sum::<usize>() / n;
        let first = rows[start].trim_start().chars().next();
        let kind = match first {
            Some('V') => Kind::Visa,
            Some('I' | 'A' | 'C') => Kind::IdCard,
            _ if n == 3 || len < 40 => Kind::IdCard,
            _ => Kind::Passport,
        };
        return Some((kind, n, len));
    }
    None
}

/// `rgb` turned clockwise by `quarter_turns` × 90°.
fn turned(rgb: &RgbImage, quarter_turns: u8) -> std::borrow::Cow<'_, RgbImage> {
    use image::imageops::{rotate90, rotate180, rotate270};
    match quarter_turns % 4 {
        0 => std::borrow::Cow::Borrowed(rgb),
        1 => std::borrow::Cow::Owned(rotate90(rgb)),
        2 => std::borrow::Cow::Owned(rotate180(rgb)),
        _ => std::borrow::Cow::Owned(rotate270(rgb)),
    }
}

/// What the confirmers made of one reading.
#[derive(Debug, Default)]
struct Confirmed {
    mrz: Option<mrz::Mrz>,
    /// A block shaped like an MRZ whose check digits could not be read: the kind its layout
    /// suggests, its line count and length.
    mrz_shaped: Option<(Kind, usize, usize)>,
    cn_id: Option<cnid::CnId>,
    keywords: Option<(Kind, f32, Vec<String>)>,
    kyc: Vec<&'static str>,
}

/// Runs the confirmers on OCR lines: what would vote (`None` when nothing would), and whether
/// a word that names a kind of document was read, which alone decides nothing.
fn confirm(lines: &[TextLine], screen_like: bool) -> (Option<Confirmed>, bool) {
    let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    let joined_rows = ocr::rows(lines);
    let row_refs: Vec<&str> = joined_rows.iter().map(String::as_str).collect();
    confirm_texts(&texts, &row_refs, screen_like)
}

/// The confirmers on lines of text (`texts`), also given joined into the rows they sit on.
fn confirm_texts(
    texts: &[&str],
    row_refs: &[&str],
    screen_like: bool,
) -> (Option<Confirmed>, bool) {
    let joined = texts.join("\n");
    let hits = keywords::scan(&joined);
    let named = hits
        .documents
        .iter()
        .any(|&(_, _, s)| s == keywords::Strength::Strong);
    let mrz = mrz::find(row_refs).or_else(|| mrz::find(texts));
    let c = Confirmed {
        mrz_shaped: if mrz.is_none() {
            mrz_shaped(row_refs)
        } else {
            None
        },
        mrz,
        cn_id: cnid::find(&joined),
        keywords: keywords::decide(&hits),
        kyc: if screen_like { hits.kyc } else { Vec::new() },
    };
    let any = c.mrz.is_some()
        || c.mrz_shaped.is_some()
        || c.cn_id.is_some()
        || c.keywords.is_some()
        || !c.kyc.is_empty();
    (any.then_some(c), named)
}

/// Runs the confirmers on a text layer (a PDF page's `lines`) and votes for a document they
/// name. Keywords count only where `keywords` is set: a page of running text about passports
/// names several document words without being one. Returns whether a vote was added.
pub(crate) fn confirm_text(lines: &[&str], keywords: bool, ev: &mut Evidence) -> bool {
    let Some(mut c) = confirm_texts(lines, lines, false).0 else {
        return false;
    };
    if !keywords {
        c.keywords = None;
    }
    c.names_a_document() && c.apply(ev, 0, "")
}

impl Confirmed {
    /// Something here names an identity document (not only a verification screen).
    fn names_a_document(&self) -> bool {
        self.mrz.is_some()
            || self.mrz_shaped.is_some()
            || self.cn_id.is_some()
            || self.keywords.is_some()
    }

    /// A machine-readable zone or an identity number with a valid check character: no other
    /// reading could say more.
    fn decisive(&self) -> bool {
        self.mrz.is_some() || self.cn_id.as_ref().is_some_and(|id| id.check_ok)
    }

    /// Adds the votes, each reason ending with `place` (where in the image it was read, or
    /// empty) and the turn it was read at; returns true (something voted).
    fn apply(self, ev: &mut Evidence, quarter_turns: u8, place: &str) -> bool {
        let turned = match quarter_turns {
            0 => place.to_owned(),
            q => format!(
                "{place} (read with the image turned {}°)",
                u32::from(q) * 90
            ),
        };
        if let Some(m) = &self.mrz {
            let valid = m.checks.iter().filter(|c| c.ok).count() as u32;
            let total = m.checks.len().max(1) as u32;
            let weight = 0.9 + 0.09 * valid as f32 / total as f32;
            // Empty when only the data line was legible.
            let country = Some(m.issuing_country.clone()).filter(|c| !c.is_empty());
            // Empty too when only the data line was legible.
            let code = Some(&m.doc_code)
                .filter(|c| !c.is_empty())
                .map(|c| format!(", document code {c}"))
                .unwrap_or_default();
            let issuer = country
                .as_deref()
                .map(|c| format!(" issued by {c}"))
                .unwrap_or_default();
            ev.vote(
                m.kind,
                weight,
                "content.mrz",
                format!(
                    "machine-readable zone ({}{code}){issuer}, number {}, {valid} of {total} check digits valid{turned}",
                    m.format.as_str(),
                    m.number_masked
                ),
            );
            ev.document = Some(Document {
                source: "mrz",
                issuing_country: country,
                number_masked: Some(m.number_masked.clone()),
                checks_valid: valid,
                checks_total: total,
            });
        }
        if let Some((kind, n, len)) = self.mrz_shaped {
            ev.vote(
                kind,
                0.6,
                "content.mrz_shaped",
                format!(
                    "{n} lines of about {len} characters with `<` fillers, laid out like a machine-readable zone; its check digits could not be read{turned}"
                ),
            );
        }
        if let Some(id) = &self.cn_id {
            let (weight, what) = if id.check_ok {
                (0.95, "with a valid check character")
            } else {
                (0.85, "(15-digit, valid region and birth date)")
            };
            ev.vote(
                Kind::IdCard,
                weight,
                "content.cn_id_number",
                format!(
                    "Chinese resident identity number {} {what}{turned}",
                    id.masked
                ),
            );
            if ev.document.is_none() {
                ev.document = Some(Document {
                    source: "cn_id_number",
                    issuing_country: Some("CHN".into()),
                    number_masked: Some(id.masked.clone()),
                    checks_valid: u32::from(id.check_ok),
                    checks_total: u32::from(!id.legacy),
                });
            }
        }
        if let Some((kind, weight, reasons)) = &self.keywords {
            ev.vote(
                *kind,
                *weight,
                "content.keywords",
                format!("text in the image: {}{turned}", reasons.join("; ")),
            );
        }
        if !self.kyc.is_empty() {
            let weight = if self.kyc.len() >= 2 { 0.9 } else { 0.8 };
            ev.vote(
                Kind::KycScreenshot,
                weight,
                "content.kyc_phrases",
                format!(
                    "identity-verification phrases on a screen image: {}",
                    self.kyc.join(", ")
                ),
            );
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mrz_shaped_blocks_need_two_filler_lines() {
        let td1 = [
            "Specimen",
            "IDESPBA4000589599999999R<<<<<<",
            "8001014F2501017ESP<<<<<<<<<<<7",
            "ESPANOLA<ESPANOLA<<CARMEN<<<<<",
        ];
        assert_eq!(mrz_shaped(&td1), Some((Kind::IdCard, 3, 30)));
        let one = [
            "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
            "TOTAL 12.50",
        ];
        assert_eq!(mrz_shaped(&one), None);
        let code = [
            "std::cout << value << std::endl; // print it",
            "x << 1 << 2 << 3 << 4 << 5 << 6 <<",
        ];
        assert_eq!(mrz_shaped(&code), None);
    }
}
