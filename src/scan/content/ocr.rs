//! Text detection and recognition with the vendored PP-OCRv4 models (Chinese + Latin), run by
//! `rten`. The models are embedded in the binary and loaded once per process, on first use,
//! and shared by all worker threads.
//!
//! Detection (DB): the probability map is thresholded, each connected region becomes a contour,
//! its minimum-area rotated rectangle is scored, unclipped (grown by area × 1.6 / perimeter, as
//! PaddleOCR does) and mapped back to the image. Recognition: each rectangle is cropped and
//! deskewed by sampling along its axes into a 48 px high strip, then CTC-greedy decoded with
//! the dictionary stored in the recognition model's metadata (key `character`). The PaddleOCR
//! post-processing exists only in Python/C++, so it is written here.

use std::sync::{Mutex, OnceLock, PoisonError};

use image::RgbImage;
use rten::Model;
use rten_imageproc::{
    PointF, RetrievalMode, RotatedRect, Vec2, find_contours, min_area_rect, simplify_polygon,
};
use rten_tensor::prelude::*;
use rten_tensor::{NdTensor, NdTensorView};
use unicode_normalization::UnicodeNormalization;

static DET_MODEL: &[u8] = include_bytes!("../../../models/ch_PP-OCRv4_det_infer.onnx");
static REC_MODEL: &[u8] = include_bytes!("../../../models/ch_PP-OCRv4_rec_infer.onnx");
static CLS_MODEL: &[u8] = include_bytes!("../../../models/ch_ppocr_mobile_v2.0_cls_infer.onnx");

/// Long side of the image given to the text detector. Measured on the corpus with the same
/// models: 1280 px gave the same decisions more slowly, and 2000 px did not help.
pub const DET_SIDE: u32 = 960;
/// Held while the text detector runs: one detection at a time in the process. Its tensors are
/// the largest allocation a scan makes (326 of a 407 MiB heap peak on 17 corpus images were
/// two detections at once, one per worker; heaptrack), and rten spreads one run over the
/// cores itself.
static DETECTING: Mutex<()> = Mutex::new(());

/// Most pixels the text detector is given: the long side asked for holds while the image has
/// no more than this many (a photo of aspect 1.11 or wider read again at 1,280 px); a squarer
/// image is scaled smaller. A detection holds about 135 bytes per input pixel at its peak
/// (164 MiB at 1280 × 960, 197 MiB at 1280 × 1152, 219 MiB at 1280 × 1280; counted with a
/// global allocator). A corpus scan's heap peak was a 1280 × 1152 detection on one worker
/// beside a recognition of 8 lines padded to 1,600 px on the other (heaptrack). Bounded at
/// 1280 × 960, that passport (aspect 1.12), detected at 1152 × 1024, lost its zone: passport at
/// 0.99 became an ID card at 0.6.
pub const DET_MAX_PIXELS: u32 = 1280 * 1152;

/// The detector's input size for a `w`×`h` image read at long side `side`: both sides a
/// multiple of 32 (the model's stride), at most [`DET_MAX_PIXELS`] in all.
fn det_size(w: u32, h: u32, side: u32) -> (u32, u32) {
    let (wf, hf) = (w.max(1) as f32, h.max(1) as f32);
    let scale = side as f32 / wf.max(hf);
    let size = |scale: f32, round: fn(f32) -> f32| {
        let to32 = |x: f32| (round(x * scale / 32.0) as u32).max(1) * 32;
        (to32(wf), to32(hf))
    };
    let (dw, dh) = size(scale, f32::round);
    if u64::from(dw) * u64::from(dh) <= u64::from(DET_MAX_PIXELS) {
        return (dw, dh);
    }
    // Rounded down, so that the bound holds.
    size(
        scale.min((DET_MAX_PIXELS as f32 / (wf * hf)).sqrt()),
        f32::floor,
    )
}

/// Height of a text line given to the recogniser.
const REC_HEIGHT: u32 = 48;

/// Why OCR could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OcrError {
    #[error("the OCR models could not be loaded: {0}")]
    ModelLoad(String),
    #[error("the OCR model failed: {0}")]
    Inference(String),
}

/// One recognised line of text, in image coordinates.
#[derive(Clone, Debug)]
pub struct TextLine {
    pub rect: RotatedRect,
    /// NFKC-normalised text.
    pub text: String,
}

/// The loaded models and the recogniser's alphabet.
pub struct Engine {
    det: Model,
    rec: Model,
    /// The angle classifier: is a text line upright or turned by 180°?
    cls: Model,
    /// Index 0 is the CTC blank; the last entry is a space.
    alphabet: Vec<String>,
}

/// Which way up the text of an image is, as the angle classifier judges its longest lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Facing {
    Upright,
    UpsideDown,
    /// Too few lines judged surely, or lines judged surely both ways.
    Unsure,
}

/// The process-wide engine, loaded on first use.
pub fn engine() -> Result<&'static Engine, OcrError> {
    static ENGINE: OnceLock<Result<Engine, String>> = OnceLock::new();
    ENGINE
        .get_or_init(|| Engine::load().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| OcrError::ModelLoad(e.clone()))
}

fn infer(e: impl std::fmt::Display) -> OcrError {
    OcrError::Inference(e.to_string())
}

impl Engine {
    fn load() -> Result<Engine, OcrError> {
        let load = |b: &'static [u8]| {
            Model::load_static_slice(b).map_err(|e| OcrError::ModelLoad(e.to_string()))
        };
        let det = load(DET_MODEL)?;
        let rec = load(REC_MODEL)?;
        let cls = load(CLS_MODEL)?;
        let chars = rec
            .metadata()
            .fields()
            .find(|(k, _)| *k == "character")
            .map(|(_, v)| v.to_string())
            .ok_or_else(|| OcrError::ModelLoad("no `character` metadata".into()))?;
        let mut alphabet = vec![String::new()];
        alphabet.extend(chars.lines().map(str::to_string));
        alphabet.push(" ".into());
        Ok(Engine {
            det,
            rec,
            cls,
            alphabet,
        })
    }

    /// Detects (with the long side scaled to `side`) and recognises the text lines of `img`,
    /// in reading order (top to bottom, then left to right).
    pub fn read(&self, img: &RgbImage, side: u32) -> Result<Vec<TextLine>, OcrError> {
        let rects = self.detect(img, side)?;
        self.lines(img, &rects)
    }

    /// The recognised, non-empty lines inside `rects`, in reading order.
    pub fn lines(&self, img: &RgbImage, rects: &[RotatedRect]) -> Result<Vec<TextLine>, OcrError> {
        let texts = self.recognise(img, rects)?;
        let mut lines: Vec<TextLine> = rects
            .iter()
            .zip(texts)
            .filter(|(_, text)| !text.trim().is_empty())
            .map(|(rect, text)| TextLine { rect: *rect, text })
            .collect();
        sort_reading_order(&mut lines);
        Ok(lines)
    }

    /// Text-line rectangles in `img` coordinates, oriented so that "up" points up, found with
    /// the image scaled so that its long side is `side`, or smaller within [`DET_MAX_PIXELS`]
    /// (each side rounded to a multiple of 32).
    pub fn detect(&self, img: &RgbImage, side: u32) -> Result<Vec<RotatedRect>, OcrError> {
        let (w, h) = img.dimensions();
        let (dw, dh) = det_size(w, h, side);
        let input = to_tensor(img, 0, 0, w, h, dw, dh);
        let out = {
            let _one = DETECTING.lock().unwrap_or_else(PoisonError::into_inner);
            self.det.run_one(input.view().into(), None)
        }
        .map_err(infer)?;
        let prob: NdTensor<f32, 4> = out.try_into().map_err(infer)?;
        let prob = prob.slice((0, 0));
        let rects = boxes_from_map(prob);
        let (sx, sy) = (w as f32 / dw as f32, h as f32 / dh as f32);
        Ok(rects
            .into_iter()
            .map(|r| {
                let c = r.center();
                let up = r.up_axis();
                // Map to image coordinates; the scale is nearly isotropic (rounding to 32).
                let up_img = Vec2::from_yx(up.y * sy, up.x * sx).normalized();
                let right = Vec2::from_yx(up.x * sy, -up.y * sx);
                let wscale = right.length();
                let hscale = Vec2::from_yx(up.y * sy, up.x * sx).length();
                RotatedRect::new(
                    PointF::from_yx(c.y * sy, c.x * sx),
                    up_img,
                    r.width() * wscale,
                    r.height() * hscale,
                )
            })
            .collect())
    }

    /// Which way up the angle classifier finds the longest `rects` of `img` (at most
    /// its `CLS_LINES`, assumed sorted longest first): upside down with at least two lines judged
    /// surely so and more than upright; upright with at least two surely upright and none
    /// surely upside down.
    pub fn facing(&self, img: &RgbImage, rects: &[RotatedRect]) -> Result<Facing, OcrError> {
        /// Width of the classifier's input (48 px high, like the recogniser's).
        const CLS_WIDTH: u32 = 192;
        /// Lines it looks at to judge a whole image: one batch of the longest.
        const CLS_LINES: usize = 8;
        /// A line counts as upright or upside down only when the classifier is this sure.
        const CLS_SURE: f32 = 0.9;
        let rects = &rects[..rects.len().min(CLS_LINES)];
        if rects.len() < 2 {
            return Ok(Facing::Unsure);
        }
        let mut input = NdTensor::zeros([rects.len(), 3, REC_HEIGHT as usize, CLS_WIDTH as usize]);
        for (b, r) in rects.iter().enumerate() {
            crop_strip(
                img,
                r,
                (strip_width(r).ceil() as u32).clamp(1, CLS_WIDTH),
                &mut input,
                b,
            );
        }
        let out = self.cls.run_one(input.view().into(), None).map_err(infer)?;
        let probs: NdTensor<f32, 2> = out.try_into().map_err(infer)?;
        let (mut upright, mut flipped) = (0, 0);
        for b in 0..rects.len() {
            let (p0, p180) = (probs[[b, 0]], probs[[b, 1]]);
            upright += usize::from(p0 >= CLS_SURE);
            flipped += usize::from(p180 >= CLS_SURE);
        }
        Ok(if flipped >= 2 && flipped > upright {
            Facing::UpsideDown
        } else if upright >= 2 && flipped == 0 {
            Facing::Upright
        } else {
            Facing::Unsure
        })
    }

    /// Recognises the text inside each of `rects` of `img`. Lines of similar length are run
    /// as one batch ([`rec_batches`]), padded on the right as PaddleOCR does.
    pub fn recognise(
        &self,
        img: &RgbImage,
        rects: &[RotatedRect],
    ) -> Result<Vec<String>, OcrError> {
        let widths: Vec<u32> = rects
            .iter()
            .map(|r| (strip_width(r).round() as u32).clamp(16, REC_MAX_WIDTH))
            .collect();
        let mut order: Vec<usize> = (0..rects.len()).collect();
        order.sort_by_key(|&i| widths[i]);
        let mut texts = vec![String::new(); rects.len()];
        let sorted: Vec<u32> = order.iter().map(|&i| widths[i]).collect();
        for range in rec_batches(&sorted) {
            let batch = &order[range];
            let max_w = batch.iter().map(|&i| widths[i]).max().unwrap_or(16);
            let mut input = NdTensor::zeros([batch.len(), 3, REC_HEIGHT as usize, max_w as usize]);
            for (b, &i) in batch.iter().enumerate() {
                crop_strip(img, &rects[i], widths[i], &mut input, b);
            }
            let out = self.rec.run_one(input.view().into(), None).map_err(infer)?;
            let probs: NdTensor<f32, 3> = out.try_into().map_err(infer)?;
            for (b, &i) in batch.iter().enumerate() {
                texts[i] = self.ctc_greedy(probs.slice(b));
            }
        }
        Ok(texts)
    }

    fn ctc_greedy(&self, probs: NdTensorView<f32, 2>) -> String {
        let mut text = String::new();
        let mut prev = 0usize;
        for t in 0..probs.size(0) {
            let row = probs.slice(t);
            let (best, _) =
                row.iter().enumerate().fold(
                    (0, f32::MIN),
                    |acc, (i, &p)| if p > acc.1 { (i, p) } else { acc },
                );
            if best != 0
                && best != prev
                && let Some(c) = self.alphabet.get(best)
            {
                text.push_str(c);
            }
            prev = best;
        }
        text.nfkc().collect()
    }
}

/// The texts of `lines` (in reading order) with the pieces of one row joined without a
/// space: a long line the detector split in two (an MRZ line at a `<<<` run) is one again.
pub fn rows(lines: &[TextLine]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut row_top: Option<(f32, f32)> = None;
    for l in lines {
        let c = l.rect.center().y;
        match row_top {
            Some((top, tol)) if c - top <= tol => {
                if let Some(last) = out.last_mut() {
                    last.push_str(&l.text);
                }
            }
            _ => {
                row_top = Some((c, l.rect.height() * 0.5));
                out.push(l.text.clone());
            }
        }
    }
    out
}

/// `rects` found in an image of `w`×`h` pixels, as they lie in that image turned by 180°.
pub fn turn_180(rects: &[RotatedRect], w: u32, h: u32) -> Vec<RotatedRect> {
    rects
        .iter()
        .map(|r| {
            // The centre moves; the axes stay, pointing up and right as before.
            let c = r.center();
            RotatedRect::new(
                PointF::from_yx((h - 1) as f32 - c.y, (w - 1) as f32 - c.x),
                r.up_axis(),
                r.width(),
                r.height(),
            )
        })
        .collect()
}

/// The recogniser's input is capped at this width (a 44-character MRZ line needs ~900).
const REC_MAX_WIDTH: u32 = 1600;
/// Text lines recognised per model run...
const REC_BATCH: usize = 8;
/// ...and at most this many columns in one run (lines × the width they are padded to): a run
/// holds about 14 KiB per column at its peak (179 MiB for 8 lines padded to 1,600 px, 89 MiB
/// for 8 × 800 or 4 × 1,600; counted with a global allocator). Unbounded, a batch of long
/// lines on one worker stacked on a detection on the other.
const REC_BATCH_COLUMNS: u32 = 8 * 800;

/// Consecutive runs of `widths` (sorted ascending, each at most [`REC_MAX_WIDTH`]) recognised
/// together: at most [`REC_BATCH`] lines and [`REC_BATCH_COLUMNS`] columns padded to the
/// widest, and never empty.
fn rec_batches(widths: &[u32]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &w) in widths.iter().enumerate() {
        let n = (i - start + 1) as u32;
        if i > start && (i - start == REC_BATCH || n * w > REC_BATCH_COLUMNS) {
            out.push(start..i);
            start = i;
        }
    }
    if start < widths.len() {
        out.push(start..widths.len());
    }
    out
}

/// How many times longer than high a text line is.
fn aspect(r: &RotatedRect) -> f32 {
    r.width().max(1.0) / r.height().max(1.0)
}

/// Width of `r`'s line scaled to the models' 48 px line height, unrounded.
fn strip_width(r: &RotatedRect) -> f32 {
    REC_HEIGHT as f32 * aspect(r)
}

/// Text lines this many times longer than high hold a whole MRZ line or an 18-digit ID number.
const LONG_ASPECT: f32 = 6.0;

/// Sorts text-line rectangles: the long ones (aspect at least `LONG_ASPECT`) first, then the
/// rest, each widest first. An MRZ line runs the width of its page, wider than the labels
/// printed in a smaller size, so the zone comes before text that only has as many letters.
pub fn sort_longest_first(rects: &mut [RotatedRect]) {
    rects.sort_by(|a, b| {
        (aspect(a) < LONG_ASPECT)
            .cmp(&(aspect(b) < LONG_ASPECT))
            .then(b.width().total_cmp(&a.width()))
    });
}

/// How many of `rects` (sorted longest first), at most `max`, are long enough to hold an MRZ
/// line or an identity number alone.
pub fn long_lines(rects: &[RotatedRect], max: usize) -> usize {
    rects
        .iter()
        .take(max)
        .take_while(|r| aspect(r) >= LONG_ASPECT)
        .count()
}

/// Sorts lines top to bottom, treating lines whose centres are within half a line height as
/// one row, read left to right.
pub fn sort_reading_order(lines: &mut [TextLine]) {
    lines.sort_by(|a, b| a.rect.center().y.total_cmp(&b.rect.center().y));
    let mut start = 0;
    while start < lines.len() {
        let top = lines[start].rect.center().y;
        let tol = lines[start].rect.height() * 0.5;
        let end = lines[start..]
            .iter()
            .position(|l| l.rect.center().y - top > tol)
            .map_or(lines.len(), |p| start + p);
        lines[start..end].sort_by(|a, b| a.rect.center().x.total_cmp(&b.rect.center().x));
        start = end;
    }
}

/// Normalised NCHW input in BGR order (the PaddleOCR convention), `(x/255 − 0.5)/0.5`, resized
/// by bilinear sampling of the `sw`×`sh` region at (`sx`,`sy`) to `dw`×`dh`.
fn to_tensor(
    img: &RgbImage,
    sx: u32,
    sy: u32,
    sw: u32,
    sh: u32,
    dw: u32,
    dh: u32,
) -> NdTensor<f32, 4> {
    let mut t = NdTensor::zeros([1, 3, dh as usize, dw as usize]);
    let (fx, fy) = (sw as f32 / dw as f32, sh as f32 / dh as f32);
    for y in 0..dh {
        let src_y = sy as f32 + (y as f32 + 0.5) * fy - 0.5;
        for x in 0..dw {
            let src_x = sx as f32 + (x as f32 + 0.5) * fx - 0.5;
            let px = bilinear(img, src_x, src_y);
            for c in 0..3 {
                t[[0, c, y as usize, x as usize]] = px[2 - c] / 127.5 - 1.0;
            }
        }
    }
    t
}

/// Samples `rect` into an `out_w` wide strip at batch index `b` of `t`, left to right along
/// its width and top to bottom along its height, which deskews a rotated line.
fn crop_strip(img: &RgbImage, rect: &RotatedRect, out_w: u32, t: &mut NdTensor<f32, 4>, b: usize) {
    let out_h = t.size(2) as u32;
    let up = rect.up_axis();
    let down = Vec2::from_yx(-up.y, -up.x);
    let right = Vec2::from_yx(up.x, -up.y);
    let c = rect.center();
    let (w, h) = (rect.width(), rect.height());
    for v in 0..out_h {
        let dv = ((v as f32 + 0.5) / out_h as f32 - 0.5) * h;
        for u in 0..out_w {
            let du = ((u as f32 + 0.5) / out_w as f32 - 0.5) * w;
            let x = c.x + right.x * du + down.x * dv;
            let y = c.y + right.y * du + down.y * dv;
            let px = bilinear(img, x, y);
            for ch in 0..3 {
                t[[b, ch, v as usize, u as usize]] = px[2 - ch] / 127.5 - 1.0;
            }
        }
    }
}

/// Bilinear sample at (`x`, `y`), clamped to the image.
fn bilinear(img: &RgbImage, x: f32, y: f32) -> [f32; 3] {
    let (w, h) = img.dimensions();
    let x = x.clamp(0.0, (w - 1) as f32);
    let y = y.clamp(0.0, (h - 1) as f32);
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (ax, ay) = (x - x0 as f32, y - y0 as f32);
    let p = |x, y| img.get_pixel(x, y).0;
    let (a, b, c, d) = (p(x0, y0), p(x1, y0), p(x0, y1), p(x1, y1));
    std::array::from_fn(|i| {
        let top = a[i] as f32 * (1.0 - ax) + b[i] as f32 * ax;
        let bottom = c[i] as f32 * (1.0 - ax) + d[i] as f32 * ax;
        top * (1.0 - ay) + bottom * ay
    })
}

/// DB post-processing on a probability map: text-line rectangles in map coordinates.
fn boxes_from_map(prob: NdTensorView<f32, 2>) -> Vec<RotatedRect> {
    /// Probability-map threshold, box score threshold and unclip ratio (PaddleOCR's defaults).
    const BIN_THRESH: f32 = 0.3;
    const BOX_THRESH: f32 = 0.5;
    const UNCLIP_RATIO: f32 = 1.6;
    /// Regions smaller than this (short side, detector pixels) are noise.
    const MIN_SIDE: f32 = 3.0;
    let (rows, cols) = (prob.size(0), prob.size(1));
    // Threshold, then dilate by a 2×2 kernel as PaddleOCR does (use_dilation).
    let mut mask = NdTensor::<bool, 2>::zeros([rows, cols]);
    for y in 0..rows {
        for x in 0..cols {
            let on = |yy: usize, xx: usize| prob[[yy, xx]] > BIN_THRESH;
            mask[[y, x]] = on(y, x)
                || (y > 0 && on(y - 1, x))
                || (x > 0 && on(y, x - 1))
                || (y > 0 && x > 0 && on(y - 1, x - 1));
        }
    }
    let contours = find_contours(mask.view(), RetrievalMode::External);
    let up = Vec2::from_yx(-1.0, 0.0);
    let mut out = Vec::new();
    for contour in contours.iter() {
        if contour.len() < 4 {
            continue;
        }
        let pts: Vec<PointF> = contour.iter().map(|p| p.to_f32()).collect();
        let Some(rect) = min_area_rect(&simplify_polygon(&pts, 1.0)) else {
            continue;
        };
        let rect = rect.orient_towards(up);
        if rect.width().min(rect.height()) < MIN_SIDE {
            continue;
        }
        if mean_inside(prob, &rect) < BOX_THRESH {
            continue;
        }
        let (w, h) = (rect.width(), rect.height());
        let dist = w * h * UNCLIP_RATIO / (2.0 * (w + h));
        let grown = rect.expanded(2.0 * dist, 2.0 * dist);
        if grown.width().min(grown.height()) < MIN_SIDE + 2.0 {
            continue;
        }
        out.push(grown);
    }
    out
}

/// Mean probability of the map over the pixels inside `rect`.
fn mean_inside(prob: NdTensorView<f32, 2>, rect: &RotatedRect) -> f32 {
    let corners = rect.corners();
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for p in corners {
        x0 = x0.min(p.x);
        y0 = y0.min(p.y);
        x1 = x1.max(p.x);
        y1 = y1.max(p.y);
    }
    let clamp = |v: f32, n: usize| (v.max(0.0) as usize).min(n.saturating_sub(1));
    let (x0, x1) = (
        clamp(x0.floor(), prob.size(1)),
        clamp(x1.ceil(), prob.size(1)),
    );
    let (y0, y1) = (
        clamp(y0.floor(), prob.size(0)),
        clamp(y1.ceil(), prob.size(0)),
    );
    let (mut sum, mut n) = (0.0f32, 0u32);
    for y in y0..=y1 {
        for x in x0..=x1 {
            if rect.contains(PointF::from_yx(y as f32, x as f32)) {
                sum += prob[[y, x]];
                n += 1;
            }
        }
    }
    if n == 0 { 0.0 } else { sum / n as f32 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::content::face::tests::load;

    #[test]
    fn the_detector_is_given_at_most_its_pixel_bound() {
        // A 4:3 photo keeps the long side asked for, at the detector's side and the retry's.
        assert_eq!(det_size(1600, 1200, DET_SIDE), (960, 736));
        assert_eq!(det_size(1600, 1200, 1280), (1280, 960));
        assert_eq!(det_size(1504, 1346, 1280), (1280, 1152));
        assert_eq!(det_size(900, 1600, 1280), (736, 1280));
        // A squarer image read at 1,280 px is scaled smaller, by no more than it must.
        for (w, h) in [(1600, 1600), (1400, 1346), (1346, 1400), (1200, 1100)] {
            let (dw, dh) = det_size(w, h, 1280);
            assert!(dw * dh <= DET_MAX_PIXELS, "{w}×{h}: {dw}×{dh}");
            assert!(dw * dh * 5 >= DET_MAX_PIXELS * 4, "{w}×{h}: {dw}×{dh}");
            assert_eq!((dw % 32, dh % 32), (0, 0));
            assert_eq!(w > h, dw > dh, "{w}×{h}: {dw}×{dh}");
        }
        // A sliver keeps a side of one stride.
        assert_eq!(det_size(4000, 2, 1280), (1280, 32));
    }

    #[test]
    fn a_recogniser_run_holds_a_bounded_number_of_columns() {
        let widths = [
            16, 100, 700, 800, 800, 900, 1200, 1600, 1600, 1600, 1600, 1600, 1600, 1600, 1600,
        ];
        let batches = rec_batches(&widths);
        // Every line once, in order.
        assert_eq!(batches.first().map(|b| b.start), Some(0));
        assert_eq!(batches.last().map(|b| b.end), Some(widths.len()));
        assert!(batches.windows(2).all(|p| p[0].end == p[1].start));
        for b in &batches {
            let padded = b.len() as u32 * widths[b.end - 1];
            assert!(!b.is_empty() && b.len() <= REC_BATCH, "{b:?}");
            assert!(padded <= REC_BATCH_COLUMNS, "{b:?}: {padded} columns");
        }
        // Short lines still go a whole batch at a time.
        assert_eq!(rec_batches(&[50; 20]), vec![0..8, 8..16, 16..20]);
        assert!(rec_batches(&[]).is_empty());
    }

    #[test]
    fn an_upside_down_page_is_caught_and_its_lines_read_where_they_lie_turned() {
        let engine = engine().unwrap();
        let page = load("detect/positive/pe__100_pass-hrv.jpg");
        let longest = |img: &RgbImage| {
            let mut rects = engine.detect(img, DET_SIDE).unwrap();
            sort_longest_first(&mut rects);
            rects
        };
        assert_eq!(
            engine.facing(&page, &longest(&page)).unwrap(),
            Facing::Upright
        );

        let flipped = image::imageops::rotate180(&page);
        let all = longest(&flipped);
        assert_eq!(engine.facing(&flipped, &all).unwrap(), Facing::UpsideDown);
        // The rectangles found upside down, moved into the page turned back, read the MRZ.
        let (w, h) = flipped.dimensions();
        let lines = engine.lines(&page, &turn_180(&all, w, h)).unwrap();
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert!(texts.iter().any(|t| t.starts_with("P<HRV")), "{texts:?}");
    }
}
