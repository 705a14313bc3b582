//! The cheap visual stage: on a small grey copy, find text-like lines and machine-readable-zone
//! bands by morphology (blackhat, horizontal gradient, closing, Otsu — the PassportEye recipe),
//! to decide which images deserve OCR and where the document probably is.
//!
//! The morphology is a handful of separable min/max filters on a `GrayImage`; they are written
//! here because the only crate offering them with rectangular kernels (imageproc) would add a
//! large dependency tree for ~40 lines.

use std::f32::consts::FRAC_PI_2;

use image::{GrayImage, RgbImage};

/// Long side of the grey copy the visual stage works on.
pub const SIDE: u32 = 640;

/// What the visual stage saw.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Visual {
    /// Line-shaped clusters of dark, high-contrast strokes (text lines).
    pub text_lines: u32,
    /// Wide, regular bands of 2–3 text lines near an edge of a page: a possible MRZ.
    pub mrz_bands: u32,
    /// Fraction of the image area covered by text lines.
    pub text_area: f32,
    /// The text runs top to bottom: the image is probably turned by 90° one way or the other.
    pub sideways: bool,
}

impl Visual {
    /// True when the image has enough text, or an MRZ-like band, to be worth reading.
    pub fn worth_ocr(&self) -> bool {
        self.mrz_bands > 0 || (self.text_lines >= MIN_TEXT_LINES && self.text_area >= MIN_TEXT_AREA)
    }
}

/// Images with fewer text lines than this (and no MRZ band) are not read. The back of a
/// Chinese ID card has four lines in three type sizes, so a small photo of it may show only
/// three of one size.
pub const MIN_TEXT_LINES: u32 = 3;
/// Nor are images whose text lines cover less than this fraction of the picture: text that
/// scarce is a sign or a caption, or a document too small in the frame for OCR to read. (A
/// readable card fills a tenth of a photo or more, and its lines a tenth of the card; the
/// smallest document text measured in the corpus and the synthetic set covers 0.6 %.)
pub const MIN_TEXT_AREA: f32 = 0.004;

/// Lines tilted more than this (radians, about 30°) are not counted as upright text: the
/// 90° analysis sees text that runs top to bottom.
const MAX_TILT: f32 = 0.52;
/// Lines whose tilts differ by at most this (radians, about 5°) are parallel.
const PARALLEL: f32 = 0.09;
/// Lines whose thicknesses differ by at most this factor are set in a similar type size.
const SAME_SIZE: f32 = 1.6;
/// Legible print has sharp, dark strokes: the strongest horizontal edge of the blackhat (Sobel,
/// 4× a step's height) reaches at least this, a stroke edge of about 64 grey levels. Below it
/// the picture is out of focus or an upscaled thumbnail, with nothing OCR could read; the
/// weakest document in the corpus and the synthetic set reaches 412.
const MIN_STROKE_EDGE: u16 = 256;
/// A line counts towards a machine-readable zone when it runs at least this fraction of the
/// zone's length.
const MRZ_LINE_SPAN: f32 = 0.5;

/// Runs the visual stage on `rgb`.
pub fn analyse(rgb: &RgbImage) -> Visual {
    analyse_copy(&gray(rgb))
}

/// The grey copy of `rgb` the visual stage works on, [`SIDE`] long (or `rgb`'s size if
/// smaller): made once per photo and shared by [`analyse_copy`] and [`slants`].
pub(crate) fn gray(rgb: &RgbImage) -> GrayImage {
    let (w, h) = crate::media::decode::fit(
        rgb.width(),
        rgb.height(),
        SIDE.min(rgb.width().max(rgb.height())),
    );
    image::imageops::thumbnail(&image::imageops::grayscale(rgb), w, h)
}

/// Runs the visual stage on a [`gray`] copy: upright, and turned a quarter when that shows
/// clearly more print.
pub(crate) fn analyse_copy(gray: &GrayImage) -> Visual {
    let upright = analyse_gray(gray);
    if upright.mrz_bands > 0 {
        return upright;
    }
    let turned = analyse_gray(&image::imageops::rotate90(gray));
    let score = |v: &Visual| v.text_lines + 4 * v.mrz_bands;
    if turned.worth_ocr() && score(&turned) > 2 * score(&upright) {
        Visual {
            sideways: true,
            ..turned
        }
    } else {
        upright
    }
}

/// Gradients weaker than this (central differences, grey levels) are not counted towards the
/// direction of print: flat areas and sensor noise point every way.
const SLANT_EDGE: i32 = 24;
/// Print is taken to run at a slant when its direction lies at least this far (degrees) from
/// both axes: the visual stage's kernels see lines within about 12° of level...
const SLANT_MIN: u32 = 12;
/// ...and when the gradients in that direction (and the one square to it) outweigh the
/// average direction by this factor: the lines and the card's edges of a document turned in
/// the photo all point one way, while the scenes of ordinary photos point along the axes
/// (buildings, horizons) or every way (foliage).
const SLANT_PEAK: f32 = 1.6;

/// The directions (degrees, 12–78, clockwise from level) at which the print of a photo may
/// run at a slant, judged on its [`gray`] copy, most likely first: the strongest direction of
/// all its edges (folded into a quarter turn: lines and the strokes across them are square to
/// each other), then the strongest direction of one part of it ([`LOCAL_CELLS`] cells square),
/// where a document lies among a scene whose edges point other ways (a card turned on a
/// cluttered background, or crossed by a finger), with where that part lies, and then the whole
/// photo turned that way.
/// A photo costs one gradient pass over that copy.
pub(crate) fn slants(gray: &GrayImage) -> Vec<Slant> {
    let (w, h) = (gray.width() as usize, gray.height() as usize);
    if w < 16 || h < 16 {
        return Vec::new();
    }
    // Edge weight by direction, whole and per cell.
    let cell = (w.min(h) / CELLS_ON_SHORT_SIDE).max(8);
    let (cols, rows) = (w.div_ceil(cell), h.div_ceil(cell));
    let mut cells = vec![[0f32; 90]; cols * rows];
    let px = gray.as_raw();
    let bins = slant_bins();
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let at = |x: usize, y: usize| i32::from(px[y * w + x]);
            let gx = at(x + 1, y) - at(x - 1, y);
            let gy = at(x, y + 1) - at(x, y - 1);
            if gx.abs().max(gy.abs()) < SLANT_EDGE {
                continue;
            }
            cells[(y / cell) * cols + x / cell][usize::from(bins[gradient_index(gx, gy)])] +=
                (gx as f32).hypot(gy as f32);
        }
    }
    let sum = |which: &mut dyn Iterator<Item = &[f32; 90]>| {
        which.fold([0f32; 90], |mut acc, c| {
            acc.iter_mut().zip(c).for_each(|(a, b)| *a += b);
            acc
        })
    };
    let mut found = Vec::new();
    let whole = sum(&mut cells.iter());
    if let Some((peak, ratio)) = peak_direction(&whole, SLANT_MIN)
        && ratio >= SLANT_PEAK
    {
        found.push(Slant {
            degrees: peak,
            part: None,
        });
    }
    // The part whose edges point one way most clearly, among parts with at least the photo's
    // average edge weight (a plain wall's few edges point anywhere).
    let n = LOCAL_CELLS.min(cols).min(rows);
    let total: f32 = whole.iter().sum();
    let per_cell = total / (cols * rows) as f32;
    let mut best: Option<(u32, f32, usize, usize)> = None;
    for r in 0..=rows - n {
        for c in 0..=cols - n {
            let part = sum(&mut (0..n * n).map(|i| &cells[(r + i / n) * cols + c + i % n]));
            if part.iter().sum::<f32>() < per_cell * (n * n) as f32 {
                continue;
            }
            if let Some((peak, ratio)) = peak_direction(&part, SLANT_MIN)
                && ratio >= LOCAL_PEAK
                && best.is_none_or(|b| ratio > b.1)
            {
                best = Some((peak, ratio, r, c));
            }
        }
    }
    let Some((peak, _, r0, c0)) = best else {
        return found;
    };
    // The part grown over the cells around it whose edges point the same way: the document's
    // print, whatever its size.
    let apart = |a: u32, b: u32| a.abs_diff(b).min(90 - a.abs_diff(b));
    let same = |i: usize| {
        cells[i].iter().sum::<f32>() >= per_cell / 2.0
            && peak_direction(&cells[i], 0).is_some_and(|(p, _)| apart(p, peak) <= LOCAL_SAME)
    };
    let mut inside = vec![false; cols * rows];
    let mut todo: Vec<usize> = (0..n * n)
        .map(|i| (r0 + i / n) * cols + c0 + i % n)
        .collect();
    for &i in &todo {
        inside[i] = true;
    }
    while let Some(i) = todo.pop() {
        let (r, c) = (i / cols, i % cols);
        let near = [
            (r > 0).then(|| i - cols),
            (r + 1 < rows).then(|| i + cols),
            (c > 0).then(|| i - 1),
            (c + 1 < cols).then(|| i + 1),
        ];
        for j in near.into_iter().flatten() {
            if !inside[j] && same(j) {
                inside[j] = true;
                todo.push(j);
            }
        }
    }
    let (mut r_min, mut r_max, mut c_min, mut c_max) = (rows, 0, cols, 0);
    for i in (0..cols * rows).filter(|&i| inside[i]) {
        let (r, c) = (i / cols, i % cols);
        (r_min, r_max, c_min, c_max) = (r_min.min(r), r_max.max(r), c_min.min(c), c_max.max(c));
    }
    // A cell's margin: the document's edge and the ends of its lines.
    let part = Part {
        left: (c_min.saturating_sub(1) * cell) as f32 / w as f32,
        top: (r_min.saturating_sub(1) * cell) as f32 / h as f32,
        right: (((c_max + 2) * cell) as f32 / w as f32).min(1.0),
        bottom: (((r_max + 2) * cell) as f32 / h as f32).min(1.0),
    };
    let tried = found.iter().any(|s| apart(s.degrees, peak) < LOCAL_SAME);
    found.push(Slant {
        degrees: peak,
        part: Some(part),
    });
    // And the whole photo turned that way, in case the part missed the document's print.
    if !tried {
        found.push(Slant {
            degrees: peak,
            part: None,
        });
    }
    found
}

/// A direction at which print may run at a slant, from [`slants`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Slant {
    /// Clockwise from level.
    pub degrees: u32,
    /// Where in the photo, when it was seen in one part of it.
    pub part: Option<Part>,
}

/// The copy is cut into cells this many to its short side for [`slants`]' parts...
const CELLS_ON_SHORT_SIDE: usize = 8;
/// ...and a part is this many cells square (a quarter of the short side across: the print of
/// a card that fills a third of it)...
const LOCAL_CELLS: usize = 2;
/// ...whose edges point one way this many times more than the average direction: more than
/// the whole photo's [`SLANT_PEAK`], since a small part of a scene points one way more often.
const LOCAL_PEAK: f32 = 2.2;
/// The part grows over the cells around it whose own strongest direction lies this close to
/// its direction (degrees).
const LOCAL_SAME: u32 = 6;

/// The strongest direction (smoothed over 5°, wrapping round the quarter turn) of the edge
/// weights `hist` (one bin a degree), if it lies `min` to 90 − `min` degrees from level, with
/// how many times the average direction it weighs.
fn peak_direction(hist: &[f32; 90], min: u32) -> Option<(u32, f32)> {
    let mean = hist.iter().sum::<f32>() / 90.0;
    if mean <= 0.0 {
        return None;
    }
    let smooth = |k: usize| (0..5).map(|d| hist[(k + 90 + d - 2) % 90]).sum::<f32>() / 5.0;
    let (peak, weight) = (0..90)
        .map(|k| (k as u32, smooth(k)))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    (min..=90 - min)
        .contains(&peak)
        .then_some((peak, weight / mean))
}

/// The whole degree (0–89) of every gradient a grey copy can hold (central differences,
/// −255–255 each way), folded into a quarter turn: indexed by [`gradient_index`], computed once
/// per process. An `atan2` per edge pixel of every photo was most of [`slants`]' cost.
fn slant_bins() -> &'static [u8] {
    static BINS: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BINS.get_or_init(|| {
        let mut bins = vec![0u8; GRADIENT_SPAN * GRADIENT_SPAN];
        for gy in -255..=255 {
            for gx in -255..=255 {
                let deg = (gy as f32).atan2(gx as f32).to_degrees().rem_euclid(90.0);
                bins[gradient_index(gx, gy)] = (deg as u8).min(89);
            }
        }
        bins
    })
}

/// Gradients per axis a grey copy can hold.
const GRADIENT_SPAN: usize = 511;

/// Where the gradient (`gx`, `gy`), each −255–255, sits in [`slant_bins`].
fn gradient_index(gx: i32, gy: i32) -> usize {
    (gy + 255) as usize * GRADIENT_SPAN + (gx + 255) as usize
}

/// A part of an image, in fractions of its width and height (0–1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Part {
    pub left: f32,
    pub top: f32,
    pub right: f32,
    pub bottom: f32,
}

impl Part {
    /// The pixels of `img` this region covers.
    pub fn crop(&self, img: &RgbImage) -> RgbImage {
        let (w, h) = (img.width() as f32, img.height() as f32);
        // At least one pixel, inside the image, whatever the fractions say.
        let x0 = ((self.left * w).floor() as u32).min(img.width().saturating_sub(1));
        let y0 = ((self.top * h).floor() as u32).min(img.height().saturating_sub(1));
        let x1 = ((self.right * w).ceil() as u32)
            .min(img.width())
            .max(x0 + 1);
        let y1 = ((self.bottom * h).ceil() as u32)
            .min(img.height())
            .max(y0 + 1);
        image::imageops::crop_imm(img, x0, y0, x1 - x0, y1 - y0).to_image()
    }
}

/// At most this many small documents are looked at closer: two sides of a card on a sheet,
/// and one more in case a block of other print looks like a card too.
pub const MAX_SMALL_DOCUMENTS: usize = 3;

/// Card-shaped objects lying on a plain, lighter surface, such as the two sides of an ID card
/// copied onto an A4 sheet: where a document too small in the frame to be read at the
/// working copy's scale may be. Largest first, each with a margin around it.
///
/// On a small grey copy, what is clearly darker than the paper around it (a closing over a
/// twelfth of the picture gives the paper's level, uneven light and all) is joined into blobs;
/// a blob counts when it is shaped like a card or a passport page (a mostly solid rectangle of
/// aspect 1.2–2.4: a pale card's ground may be as light as the paper, its print is not), small
/// in the frame, and ringed by plain paper.
pub fn small_documents(gray: &GrayImage) -> Vec<Part> {
    let (w, h) = gray.dimensions();
    if w < 64 || h < 64 {
        return Vec::new();
    }
    let side = w.max(h) as f32;
    let odd = |n: f32| (n.round() as usize).max(1) | 1;
    let paper_k = odd(side / 12.0);
    let paper = min_filter(&max_filter(gray, paper_k, paper_k), paper_k, paper_k);
    let dark: Vec<u8> = paper
        .iter()
        .zip(gray.iter())
        .map(|(&p, &g)| {
            let darker = p.saturating_sub(g);
            if darker >= DARKER_THAN_PAPER && u32::from(darker) * 5 >= u32::from(p) {
                255
            } else {
                0
            }
        })
        .collect();
    let dark = GrayImage::from_raw(w, h, dark).expect("same size");
    // Join a card's print, portrait and pattern into one blob.
    let join = odd(side / 40.0);
    let blobs = min_filter(&max_filter(&dark, join, join), join, join);
    let mask: Vec<bool> = blobs.iter().map(|&p| p > 0).collect();
    let total = (w * h) as f32;
    let mut found: Vec<(u32, Part)> = components(&mask, w, h)
        .0
        .iter()
        .filter_map(|c| {
            let s = c.shape()?;
            let share = c.area as f32 / total;
            let aspect = s.length / s.thickness;
            let card_like = (SMALL_DOCUMENT_SHARE.0..=SMALL_DOCUMENT_SHARE.1).contains(&share)
                && (1.2..=2.4).contains(&aspect)
                && s.fill >= 0.6;
            if !card_like {
                return None;
            }
            let (cx, cy) = s.centre;
            let (cos, sin) = (s.tilt.cos().abs(), s.tilt.sin().abs());
            let half_w = (cos * s.length + sin * s.thickness) / 2.0;
            let half_h = (sin * s.length + cos * s.thickness) / 2.0;
            let bounds = [cx - half_w, cy - half_h, cx + half_w, cy + half_h];
            on_plain_paper(dark.as_raw(), w, h, bounds).then(|| {
                // A margin: the blob may have missed a pale edge of the card.
                let m = 0.12 * half_w.max(half_h);
                let region = Part {
                    left: ((bounds[0] - m) / w as f32).max(0.0),
                    top: ((bounds[1] - m) / h as f32).max(0.0),
                    right: ((bounds[2] + m) / w as f32).min(1.0),
                    bottom: ((bounds[3] + m) / h as f32).min(1.0),
                };
                (c.area, region)
            })
        })
        .collect();
    found.sort_by_key(|&(area, _)| std::cmp::Reverse(area));
    found
        .into_iter()
        .take(MAX_SMALL_DOCUMENTS)
        .map(|(_, r)| r)
        .collect()
}

/// Long side of the grey copy outlines are looked for on: a card on a photographed A4 sheet is
/// still 70 px wide there, and every photo in which nothing was found pays for this search
/// (about a quarter of what the same search costs at `SIDE`).
const OUTLINE_SIDE: u32 = 320;
/// A pixel this much, and a fifth, darker than the paper around it is print, a photo or a
/// card's ground: paper under uneven light or glare varies slowly and stays within that of
/// the closing's level.
const DARKER_THAN_PAPER: u8 = 24;
/// A small document covers this share of the frame: a card on an A4 sheet that fills a photo
/// covers about 4 %; below 0.2 % not even the full-resolution image holds legible print, and
/// above 20 % the working copy reads it already.
const SMALL_DOCUMENT_SHARE: (f32, f32) = (0.002, 0.2);
/// At most this share of the ring around a small document may be dark: it lies on plain paper.
const PAPER_RING_DARK: f32 = 0.08;

/// The ring around `bounds` (0.15 of its size wide) lies inside the image and is nearly
/// all plain paper (`dark` marks what is not).
fn on_plain_paper(dark: &[u8], w: u32, h: u32, bounds: [f32; 4]) -> bool {
    let [x0, y0, x1, y1] = bounds;
    let (rw, rh) = ((x1 - x0) * 0.15, (y1 - y0) * 0.15);
    let (ox0, oy0, ox1, oy1) = (x0 - rw, y0 - rh, x1 + rw, y1 + rh);
    if ox0 < 0.0 || oy0 < 0.0 || ox1 >= w as f32 || oy1 >= h as f32 {
        return false;
    }
    let (mut ring, mut dark_px) = (0u32, 0u32);
    for y in oy0 as u32..oy1 as u32 {
        for x in ox0 as u32..ox1 as u32 {
            let (fx, fy) = (x as f32, y as f32);
            if (x0..=x1).contains(&fx) && (y0..=y1).contains(&fy) {
                continue;
            }
            ring += 1;
            dark_px += u32::from(dark[(y * w + x) as usize] > 0);
        }
    }
    ring > 0 && (dark_px as f32) <= PAPER_RING_DARK * ring as f32
}

/// A card or a passport page filling a good part of a photo, seen as a light, solid,
/// card-shaped blob: the outline that is still there when a retake is too blurred, glared or
/// covered for its print to be read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Outline {
    /// Centre, in fractions of the image's width and height.
    pub centre: (f32, f32),
    /// Long and short side, in fractions of the image's long side.
    pub length: f32,
    pub thickness: f32,
    /// Angle of the long side from the horizontal, radians, in (−π/2, π/2].
    pub tilt: f32,
    /// The image's long side over its width and over its height: turns a length in fractions
    /// of the long side into fractions of the width or the height.
    scale: (f32, f32),
}

impl Outline {
    /// The two halves of an outline that may be two cards one above the other (the front and
    /// back of a card copied together): none unless its aspect is about that of two ID-1 cards
    /// stacked (1.26).
    pub fn halves(&self) -> Vec<Outline> {
        if !(1.15..=1.4).contains(&self.aspect()) {
            return Vec::new();
        }
        let (cos, sin) = (self.tilt.cos(), self.tilt.sin());
        let across = self.tilt + if self.tilt > 0.0 { -1.0 } else { 1.0 } * FRAC_PI_2;
        [-0.25f32, 0.25]
            .iter()
            .map(|&t| Outline {
                centre: (
                    self.centre.0 + t * self.length * cos * self.scale.0,
                    self.centre.1 + t * self.length * sin * self.scale.1,
                ),
                length: self.thickness,
                thickness: self.length / 2.0,
                tilt: across,
                scale: self.scale,
            })
            .collect()
    }

    /// Long side over short side: ID-1 cards 1.59, passport pages about 1.42.
    pub fn aspect(&self) -> f32 {
        self.length / self.thickness
    }

    /// The outline of a card or page found by its edges (`corners` in fractions of a
    /// `w`×`h` image, in order around it): what its sides average to, as a rectangle.
    pub fn from_corners(corners: &[(f32, f32); 4], w: u32, h: u32) -> Outline {
        let side = w.max(h) as f32;
        let px = corners.map(|(x, y)| (x * w as f32, y * h as f32));
        let mid = |a: usize, b: usize| ((px[a].0 + px[b].0) / 2.0, (px[a].1 + px[b].1) / 2.0);
        // The lines joining the middles of opposite sides: the rectangle's two axes.
        let (m0, m2, m1, m3) = (mid(0, 1), mid(2, 3), mid(1, 2), mid(3, 0));
        let len = |a: (f32, f32), b: (f32, f32)| (a.0 - b.0).hypot(a.1 - b.1);
        let (first, second) = (len(m3, m1), len(m0, m2));
        let (a, b, length, thickness) = if first >= second {
            (m3, m1, first, second)
        } else {
            (m0, m2, second, first)
        };
        let mut tilt = (b.1 - a.1).atan2(b.0 - a.0);
        if tilt > FRAC_PI_2 {
            tilt -= std::f32::consts::PI;
        } else if tilt <= -FRAC_PI_2 {
            tilt += std::f32::consts::PI;
        }
        let (cx, cy) = ((m0.0 + m2.0) / 2.0, (m0.1 + m2.1) / 2.0);
        Outline {
            centre: (cx / w as f32, cy / h as f32),
            length: length / side,
            thickness: thickness.max(1.0) / side,
            tilt,
            scale: (side / w as f32, side / h as f32),
        }
    }
}

/// At most this many outlines are returned, largest first.
const MAX_OUTLINES: usize = 2;
/// A card in a retake covers this share of the frame: the verification apps ask for one that
/// fills most of it; one far smaller is not what this looks for (see [`small_documents`]).
const OUTLINE_SHARE: (f32, f32) = (0.08, 0.85);
/// Long over short side of a card or a page, seen at an angle: ID-1 is 1.59, a passport page
/// 1.42, and perspective or a finger over an edge shifts either by a tenth or so.
const OUTLINE_ASPECT: (f32, f32) = (1.25, 1.85);
/// The blob fills at least this much of its rectangle (rounded corners and a finger over one
/// take a few percent; a patch of sky or a wall is rarely this square).
const OUTLINE_FILL: f32 = 0.86;

/// Card- or page-shaped light objects filling a good part of the frame (an identity card held
/// to the camera or lying on a desk), largest first.
///
/// On the 320 px grey copy, pixels lighter than a threshold (Otsu's, and one either side of it:
/// a card is lighter than most desks, but glare and shadow move the best level) are joined
/// into blobs, with the dark print, portrait and holes inside them filled in; a blob counts
/// when it is a solid rectangle shaped like a card or a page.
pub(crate) fn card_outlines(gray: &GrayImage) -> Vec<Outline> {
    let (w, h) = gray.dimensions();
    if w < 64 || h < 64 {
        return Vec::new();
    }
    let total = (w * h) as f32;
    let side = w.max(h) as f32;
    let t = i32::from(otsu(gray));
    let mut found: Vec<(f32, Outline)> = Vec::new();
    for level in [t - 24, t, t + 24] {
        let level = level.clamp(16, 240) as u8;
        let light: Vec<bool> = gray.iter().map(|&g| g >= level).collect();
        // Thin bridges to other light things (a sheet of paper touching the card) are cut.
        let light = GrayImage::from_raw(w, h, light.iter().map(|&b| u8::from(b) * 255).collect())
            .expect("same size");
        let opened = max_filter(&min_filter(&light, 3, 3), 3, 3);
        let mask = fill_holes(&opened.iter().map(|&p| p > 0).collect::<Vec<_>>(), w, h);
        for c in components(&mask, w, h).0 {
            let Some(s) = c.shape() else { continue };
            let share = c.area as f32 / total;
            let aspect = s.length / s.thickness;
            if !(OUTLINE_SHARE.0..=OUTLINE_SHARE.1).contains(&share)
                || !(OUTLINE_ASPECT.0..=OUTLINE_ASPECT.1).contains(&aspect)
                || s.fill < OUTLINE_FILL
            {
                continue;
            }
            let o = Outline {
                centre: (s.centre.0 / w as f32, s.centre.1 / h as f32),
                length: s.length / side,
                thickness: s.thickness / side,
                tilt: s.tilt,
                scale: (side / w as f32, side / h as f32),
            };
            // The same object seen at another level is kept once, at its best fill.
            let same = found.iter_mut().find(|(_, f)| {
                (f.centre.0 - o.centre.0).abs() < 0.05 && (f.centre.1 - o.centre.1).abs() < 0.05
            });
            match same {
                Some(f) if f.0 < s.fill => *f = (s.fill, o),
                Some(_) => {}
                None => found.push((s.fill, o)),
            }
        }
    }
    found.sort_by(|a, b| (b.1.length * b.1.thickness).total_cmp(&(a.1.length * a.1.thickness)));
    found
        .into_iter()
        .take(MAX_OUTLINES)
        .map(|(_, o)| o)
        .collect()
}

/// The grey copy outlines are looked for on ([`small_documents`], [`card_outlines`]),
/// [`OUTLINE_SIDE`] long: made once per picture and shared by both searches.
pub(crate) fn outline_gray(rgb: &RgbImage) -> GrayImage {
    let (w, h) = crate::media::decode::fit(
        rgb.width(),
        rgb.height(),
        OUTLINE_SIDE.min(rgb.width().max(rgb.height())),
    );
    image::imageops::grayscale(&image::imageops::thumbnail(rgb, w, h))
}

/// `mask` with every hole (a region outside it that does not reach the image's edge) filled.
pub(crate) fn fill_holes(mask: &[bool], w: u32, h: u32) -> Vec<bool> {
    let outside: Vec<bool> = mask.iter().map(|&m| !m).collect();
    let (parts, labels) = components(&outside, w, h);
    let (wu, hu) = (w as usize, h as usize);
    let mut open = vec![false; parts.len()];
    for (i, &l) in labels.iter().enumerate() {
        let (x, y) = (i % wu, i / wu);
        if l > 0 && (x == 0 || y == 0 || x + 1 == wu || y + 1 == hu) {
            open[l as usize - 1] = true;
        }
    }
    labels
        .iter()
        .map(|&l| l == 0 || !open[l as usize - 1])
        .collect()
}

/// The visual stage on a part of a photo whose print may be too soft for [`analyse`]'s
/// legibility gate (a blurred retake's card): its contrast stretched between the 1st and 99th
/// percentile first, and strokes counted from a quarter of the usual edge strength.
pub(crate) fn analyse_soft(rgb: &RgbImage, side: u32) -> Visual {
    let (w, h) = crate::media::decode::fit(
        rgb.width(),
        rgb.height(),
        side.min(rgb.width().max(rgb.height())),
    );
    let mut gray = image::imageops::thumbnail(&image::imageops::grayscale(rgb), w, h);
    let mut hist = [0u32; 256];
    for &p in gray.iter() {
        hist[p as usize] += 1;
    }
    let n = gray.len() as u32;
    let at = |q: u32| {
        let mut sum = 0;
        hist.iter()
            .position(|&c| {
                sum += c;
                sum * 100 >= n * q
            })
            .unwrap_or(255) as i32
    };
    let (lo, hi) = (at(1), at(99));
    if hi > lo {
        for p in gray.iter_mut() {
            *p = ((i32::from(*p) - lo) * 255 / (hi - lo)).clamp(0, 255) as u8;
        }
    }
    analyse_gated(&gray, MIN_STROKE_EDGE / 4)
}

fn analyse_gray(gray: &GrayImage) -> Visual {
    analyse_gated(gray, MIN_STROKE_EDGE)
}

fn analyse_gated(gray: &GrayImage, min_stroke_edge: u16) -> Visual {
    let (w, h) = gray.dimensions();
    if w < 16 || h < 16 {
        return Visual::default();
    }
    // Kernel sizes scale with the image (PassportEye uses 13×5 and 21×21 at ~600 px width).
    let unit = (w.max(h) as f32 / 600.0).max(0.25);
    let k = |n: f32| ((n * unit).round() as usize).max(1) | 1;
    let (kw, kh) = (k(13.0), k(5.0));

    // Blackhat: dark strokes on a lighter background.
    let closed = min_filter(&max_filter(gray, kw, kh), kw, kh);
    let blackhat: Vec<u8> = closed
        .iter()
        .zip(gray.iter())
        .map(|(&c, &g)| c.saturating_sub(g))
        .collect();

    // Horizontal gradient of the blackhat (Sobel), scaled to 0–255.
    let (wu, b) = (w as usize, &blackhat);
    let mut grad = vec![0u16; b.len()];
    for y in 1..h as usize - 1 {
        let (up, mid, down) = (&b[(y - 1) * wu..], &b[y * wu..], &b[(y + 1) * wu..]);
        let col = |x: usize| i16::from(up[x]) + 2 * i16::from(mid[x]) + i16::from(down[x]);
        for (x, g) in grad[y * wu..(y + 1) * wu]
            .iter_mut()
            .enumerate()
            .take(wu - 1)
            .skip(1)
        {
            *g = (col(x + 1) - col(x - 1)).unsigned_abs();
        }
    }
    let max = grad.iter().copied().max().unwrap_or(0);
    // The scaling below would stretch the faint texture of a blurred photo to full contrast.
    if max < min_stroke_edge {
        return Visual::default();
    }
    let grad: Vec<u8> = grad
        .iter()
        .map(|&v| (u32::from(v) * 255 / u32::from(max)) as u8)
        .collect();
    let grad = GrayImage::from_raw(w, h, grad).expect("same size");

    // Join the characters of a line, then threshold.
    let lines = min_filter(&max_filter(&grad, kw, kh), kw, kh);
    let t = otsu(&lines).max(40);
    let line_mask: Vec<bool> = lines.iter().map(|&v| v > t).collect();

    let mut v = Visual::default();
    let min_h = (h as f32 * 0.006).max(2.0);
    let max_h = h as f32 * 0.12;
    // Line-shaped blobs, judged along their own axis so that the lines of a tilted document
    // count too.
    let found: Vec<(Shape, Component)> = components(&line_mask, w, h)
        .0
        .into_iter()
        .filter_map(|c| Some((c.shape()?, c)))
        .filter(|(s, _)| {
            s.length >= 3.0 * s.thickness
                && (min_h..=max_h).contains(&s.thickness)
                && s.fill >= 0.45
                && s.length >= w as f32 * 0.04
                && s.tilt.abs() <= MAX_TILT
        })
        .collect();
    // The lines of a page run parallel and share a type size; edges in a scene point every
    // way. Count the largest set of lines that agree on their tilt and thickness.
    let parallel = found
        .iter()
        .map(|(a, _)| {
            let set = found.iter().filter(|(b, _)| {
                (a.tilt - b.tilt).abs() <= PARALLEL
                    && a.thickness.max(b.thickness) <= SAME_SIZE * a.thickness.min(b.thickness)
            });
            (
                set.clone().count(),
                set.map(|(_, c)| u64::from(c.area)).sum::<u64>(),
            )
        })
        .max()
        .unwrap_or_default();
    v.text_lines = parallel.0 as u32;
    v.text_area = parallel.1 as f32 / (w * h) as f32;

    // MRZ: 2–3 long, evenly spaced lines joined by a square closing into one wide band.
    let sq = k(21.0);
    let mask_img = GrayImage::from_raw(
        w,
        h,
        line_mask.iter().map(|&b| if b { 255 } else { 0 }).collect(),
    )
    .expect("same size");
    let band = min_filter(&max_filter(&mask_img, sq, sq), sq, sq);
    let band_mask: Vec<bool> = band.iter().map(|&p| p > 0).collect();
    let (bands, labels) = components(&band_mask, w, h);
    let shapes: Vec<Option<Shape>> = bands.iter().map(Component::shape).collect();
    let mut lines_in = vec![0u32; bands.len()];
    // Each line's first pixel says which band it fell in. A zone's lines run its whole
    // width; the short blobs of a textured patch (foliage, falling water) do not.
    for (line, c) in &found {
        if let Some(b) = labels[c.seed].checked_sub(1).map(|b| b as usize)
            && shapes[b].is_some_and(|band| line.length >= MRZ_LINE_SPAN * band.length)
        {
            lines_in[b] += 1;
        }
    }
    for (s, lines) in shapes.into_iter().zip(lines_in) {
        let Some(s) = s else {
            continue;
        };
        // An MRZ is 2–3 text lines; a lone blob of texture is not.
        if lines >= 2
            && s.tilt.abs() <= MAX_TILT
            && s.length >= 4.0 * s.thickness
            && s.length >= w as f32 * 0.3
            && s.thickness >= h as f32 * 0.03
            && s.fill >= 0.6
        {
            v.mrz_bands += 1;
        }
    }
    v
}

/// Separable maximum filter with a `kw`×`kh` rectangle (grey dilation).
fn max_filter(img: &GrayImage, kw: usize, kh: usize) -> GrayImage {
    rank_filter(img, kw, kh, u8::max)
}

/// Separable minimum filter with a `kw`×`kh` rectangle (grey erosion).
fn min_filter(img: &GrayImage, kw: usize, kh: usize) -> GrayImage {
    rank_filter(img, kw, kh, u8::min)
}

fn rank_filter<F: Fn(u8, u8) -> u8 + Copy>(
    img: &GrayImage,
    kw: usize,
    kh: usize,
    pick: F,
) -> GrayImage {
    let (w, h) = img.dimensions();
    let columns = running_rows(img.as_raw(), w as usize, kh, pick);
    GrayImage::from_raw(w, h, running_columns(&columns, w as usize, kw, pick)).expect("same size")
}

/// Each pixel replaced by the min or max (`pick`) of the `k` (odd) pixels centred on it in its
/// row, the image clamped at its left and right edges; `src` holds rows of `w` pixels.
/// Windows double in length pass by pass (1, 2, 4, …) and two overlapping ones cover `k`: about
/// log₂ `k` passes along each row's contiguous memory, which the compiler vectorises (a
/// transpose to reuse [`running_rows`] cost more than the filtering itself).
fn running_columns<F: Fn(u8, u8) -> u8 + Copy>(src: &[u8], w: usize, k: usize, pick: F) -> Vec<u8> {
    if w == 0 {
        return Vec::new();
    }
    let r = k / 2;
    let m = w + 2 * r;
    let mut out = vec![0u8; src.len()];
    // `a[x]` holds the extreme of the `span` padded pixels from `x`.
    let (mut a, mut b) = (vec![0u8; m], vec![0u8; m]);
    for (row, o) in src.chunks_exact(w).zip(out.chunks_exact_mut(w)) {
        a[..r].fill(row[0]);
        a[r..r + w].copy_from_slice(row);
        a[r + w..].fill(row[w - 1]);
        let mut span = 1;
        while span * 2 <= k {
            let n = m + 1 - 2 * span;
            for ((d, &p), &q) in b[..n].iter_mut().zip(&a[..n]).zip(&a[span..span + n]) {
                *d = pick(p, q);
            }
            std::mem::swap(&mut a, &mut b);
            span *= 2;
        }
        // The window [x, x + k - 1] of padded pixels is centred on pixel x of the row.
        for ((d, &p), &q) in o.iter_mut().zip(&a[..w]).zip(&a[k - span..k - span + w]) {
            *d = pick(p, q);
        }
    }
    out
}

/// Each pixel replaced by the min or max (`pick`) of the `k` (odd) pixels centred on it in its
/// column, the image clamped at its top and bottom edges; `src` holds rows of `w` pixels.
/// O(1) per pixel whatever `k` (van Herk / Gil–Werman: prefix and suffix extremes over blocks
/// of `k` rows), computed a whole row at a time.
fn running_rows<F: Fn(u8, u8) -> u8 + Copy>(src: &[u8], w: usize, k: usize, pick: F) -> Vec<u8> {
    let h = src.len() / w.max(1);
    if h == 0 || w == 0 {
        return Vec::new();
    }
    let r = k / 2;
    // Row `i` of the image padded with `r` copies of its edge rows on either side.
    let m = h + 2 * r;
    let padded = |i: usize| {
        let y = i.saturating_sub(r).min(h - 1);
        &src[y * w..(y + 1) * w]
    };
    let mut prefix = vec![0u8; m * w];
    let mut suffix = vec![0u8; m * w];
    for i in 0..m {
        let (before, row) = prefix.split_at_mut(i * w);
        let row = &mut row[..w];
        if i % k == 0 {
            row.copy_from_slice(padded(i));
        } else {
            let prev = &before[(i - 1) * w..];
            for ((o, &p), &s) in row.iter_mut().zip(prev).zip(padded(i)) {
                *o = pick(p, s);
            }
        }
    }
    for i in (0..m).rev() {
        let (row, after) = suffix.split_at_mut((i + 1) * w);
        let row = &mut row[i * w..];
        if i + 1 == m || (i + 1) % k == 0 {
            row.copy_from_slice(padded(i));
        } else {
            for ((o, &n), &s) in row.iter_mut().zip(&after[..w]).zip(padded(i)) {
                *o = pick(n, s);
            }
        }
    }
    // The window of padded rows [y, y + k - 1] is centred on row y of the image.
    let mut out = vec![0u8; h * w];
    for (y, row) in out.chunks_exact_mut(w).enumerate() {
        let (s, p) = (&suffix[y * w..][..w], &prefix[(y + k - 1) * w..][..w]);
        for ((o, &a), &b) in row.iter_mut().zip(s).zip(p) {
            *o = pick(a, b);
        }
    }
    out
}

/// Otsu's threshold of a grey image.
fn otsu(img: &GrayImage) -> u8 {
    let mut hist = [0u64; 256];
    for &p in img.iter() {
        hist[p as usize] += 1;
    }
    let total: u64 = hist.iter().sum();
    let sum: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &n)| i as f64 * n as f64)
        .sum();
    let (mut w0, mut sum0, mut best, mut best_t) = (0u64, 0f64, 0f64, 0u8);
    for (t, &n) in hist.iter().enumerate() {
        w0 += n;
        if w0 == 0 || w0 == total {
            continue;
        }
        sum0 += t as f64 * n as f64;
        let (m0, m1) = (sum0 / w0 as f64, (sum - sum0) / (total - w0) as f64);
        let between = w0 as f64 * (total - w0) as f64 * (m0 - m1).powi(2);
        if between > best {
            best = between;
            best_t = t as u8;
        }
    }
    best_t
}

/// The rectangle with the same second moments as a component.
#[derive(Clone, Copy, Debug)]
struct Shape {
    length: f32,
    thickness: f32,
    /// Where its centre is, pixels.
    centre: (f32, f32),
    /// Pixels over the rectangle's area: 1 for a solid rectangle.
    fill: f32,
    /// Angle of the long axis from the horizontal, radians, in (−π/2, π/2].
    tilt: f32,
}

/// A 4-connected component's pixel count and the sums of its pixel coordinates, their squares
/// and products: its second moments give its orientation, length and thickness.
#[derive(Clone, Copy, Debug, Default)]
struct Component {
    /// Index of its first pixel.
    seed: usize,
    area: u32,
    // Integer sums: exact, and cheaper than floating point in the flood fill's inner loop.
    sx: u64,
    sy: u64,
    sxx: u64,
    syy: u64,
    sxy: u64,
}

impl Component {
    fn add(&mut self, x: u32, y: u32) {
        let (x, y) = (u64::from(x), u64::from(y));
        self.area += 1;
        self.sx += x;
        self.sy += y;
        self.sxx += x * x;
        self.syy += y * y;
        self.sxy += x * y;
    }

    /// The rectangle with the same second moments (a solid rectangle has variance length²/12
    /// along its axis); `None` for an empty component.
    fn shape(&self) -> Option<Shape> {
        if self.area == 0 {
            return None;
        }
        let n = f64::from(self.area);
        let mean = |s: u64| s as f64 / n;
        let (mx, my) = (mean(self.sx), mean(self.sy));
        // Pixels are unit squares: each adds 1/12 to its own variance.
        let vxx = mean(self.sxx) - mx * mx + 1.0 / 12.0;
        let vyy = mean(self.syy) - my * my + 1.0 / 12.0;
        let vxy = mean(self.sxy) - mx * my;
        let half_diff = ((vxx - vyy) / 2.0).hypot(vxy);
        let (major, minor) = ((vxx + vyy) / 2.0 + half_diff, (vxx + vyy) / 2.0 - half_diff);
        // Image y grows downwards: a positive tilt is a line falling to the right.
        let tilt = (0.5 * (2.0 * vxy).atan2(vxx - vyy)) as f32;
        let length = (12.0 * major).sqrt() as f32;
        let thickness = (12.0 * minor.max(0.0)).sqrt().max(1.0) as f32;
        Some(Shape {
            length,
            thickness,
            centre: (mx as f32, my as f32),
            fill: self.area as f32 / (length * thickness),
            tilt,
        })
    }
}

/// Connected components of a mask (4-connectivity, iterative flood fill), and each pixel's
/// label: 0 outside the mask, else 1 + the index of its component.
fn components(mask: &[bool], w: u32, h: u32) -> (Vec<Component>, Vec<u32>) {
    let wu = w as usize;
    let mut label = vec![0u32; mask.len()];
    let mut out = Vec::new();
    // Coordinates ride on the stack: dividing an index back into them cost more than the fill.
    let mut stack: Vec<(u32, u32)> = Vec::new();
    for start in 0..mask.len() {
        if !mask[start] || label[start] != 0 {
            continue;
        }
        let id = out.len() as u32 + 1;
        label[start] = id;
        stack.push(((start % wu) as u32, (start / wu) as u32));
        let mut c = Component {
            seed: start,
            ..Component::default()
        };
        while let Some((x, y)) = stack.pop() {
            c.add(x, y);
            let mut push = |x: u32, y: u32| {
                let j = y as usize * wu + x as usize;
                if mask[j] && label[j] == 0 {
                    label[j] = id;
                    stack.push((x, y));
                }
            };
            if x > 0 {
                push(x - 1, y);
            }
            if x + 1 < w {
                push(x + 1, y);
            }
            if y > 0 {
                push(x, y - 1);
            }
            if y + 1 < h {
                push(x, y + 1);
            }
        }
        out.push(c);
    }
    (out, label)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A white page with `n` rows of black "characters" (small squares with gaps).
    fn page(n: u32) -> GrayImage {
        page_inked(n, 20)
    }

    /// A white (235) page with `n` rows of "characters" of grey level `ink`.
    fn page_inked(n: u32, ink: u8) -> GrayImage {
        let mut img = GrayImage::from_pixel(600, 400, image::Luma([235]));
        for row in 0..n {
            let y0 = 30 + row * 35;
            for ch in 0..40 {
                let x0 = 40 + ch * 13;
                for y in y0..y0 + 14 {
                    for x in x0..x0 + 8 {
                        img.put_pixel(x, y, image::Luma([ink]));
                    }
                }
            }
        }
        img
    }

    /// A light grey sheet (3000×4000 scaled to the working copy's 750×1000) on a dark desk,
    /// with `cards` dark-printed card-sized rectangles (86×54 mm on 210 mm) at the given tops.
    fn sheet_with_cards(tops: &[u32]) -> RgbImage {
        let mut img = RgbImage::from_pixel(750, 1000, image::Rgb([60, 50, 45]));
        for y in 60..940 {
            for x in 60..690 {
                img.put_pixel(x, y, image::Rgb([240, 240, 236]));
            }
        }
        for &top in tops {
            // Rows of print on the card, with gaps as between letters and lines.
            for y in top..top + 165 {
                for x in 240..500 {
                    if (y - top) % 14 < 8 && (x % 9) < 6 {
                        img.put_pixel(x, y, image::Rgb([40, 40, 50]));
                    }
                }
            }
        }
        img
    }

    #[test]
    fn cards_copied_onto_a_sheet_are_small_documents() {
        let mut parts = small_documents(&outline_gray(&sheet_with_cards(&[200, 520])));
        assert_eq!(parts.len(), 2, "{parts:?}");
        parts.sort_by(|a, b| a.top.total_cmp(&b.top));
        for (p, top) in parts.iter().zip([200.0, 520.0]) {
            // Each part holds its card, with little else.
            let (cy, h) = (
                (p.top + p.bottom) / 2.0 * 1000.0,
                (p.bottom - p.top) * 1000.0,
            );
            assert!((cy - (top + 82.0)).abs() < 20.0, "{p:?}");
            assert!((165.0..300.0).contains(&h), "{p:?}");
            assert!(p.left * 750.0 <= 240.0 && p.right * 750.0 >= 500.0, "{p:?}");
            // The same share of a larger decode.
            let (cw, ch) = p.crop(&RgbImage::new(1500, 2000)).dimensions();
            assert!(
                (cw as f32 - (p.right - p.left) * 1500.0).abs() <= 2.0,
                "{cw}"
            );
            assert!(
                (ch as f32 - (p.bottom - p.top) * 2000.0).abs() <= 2.0,
                "{ch}"
            );
        }
        // A part at the very edge still crops a pixel of the image.
        let edge = Part {
            left: 1.0,
            top: 1.0,
            right: 1.0,
            bottom: 1.0,
        };
        assert_eq!(edge.crop(&RgbImage::new(10, 10)).dimensions(), (1, 1));
        // A plain sheet, and a dark desk alone, hold none; nor does a card filling the frame.
        assert!(small_documents(&outline_gray(&sheet_with_cards(&[]))).is_empty());
        assert!(
            small_documents(&outline_gray(&RgbImage::from_pixel(
                750,
                1000,
                image::Rgb([60, 50, 45])
            )))
            .is_empty()
        );
        let mut full = RgbImage::from_pixel(750, 1000, image::Rgb([240, 240, 236]));
        for y in 100..900 {
            for x in 50..700 {
                if (y % 14) < 8 && (x % 9) < 6 {
                    full.put_pixel(x, y, image::Rgb([40, 40, 50]));
                }
            }
        }
        assert!(small_documents(&outline_gray(&full)).is_empty());
    }

    /// A dark desk (800×600) with a light card of `w`×`h` pixels centred on it, a darker
    /// portrait-sized block at its left end and rows of print at its right.
    fn card_on_desk(w: u32, h: u32) -> RgbImage {
        let mut img = RgbImage::from_pixel(800, 600, image::Rgb([70, 60, 55]));
        let (x0, y0) = (400 - w / 2, 300 - h / 2);
        for y in y0..y0 + h {
            for x in x0..x0 + w {
                let (cx, cy) = (x - x0, y - y0);
                let portrait = cx > w / 20 && cx < w * 3 / 10 && cy > h / 5 && cy < h * 4 / 5;
                // Print with a margin, as on a card.
                let print = cx > w * 2 / 5
                    && cx < w * 19 / 20
                    && cy > h / 8
                    && cy < h * 7 / 8
                    && cy % 30 < 10
                    && cx % 9 < 6;
                let px = if portrait {
                    [120, 100, 90]
                } else if print {
                    [50, 50, 60]
                } else {
                    [225, 225, 215]
                };
                img.put_pixel(x, y, image::Rgb(px));
            }
        }
        img
    }

    #[test]
    fn a_card_filling_the_frame_has_an_outline_and_two_stacked_cards_have_halves() {
        let outlines = card_outlines(&outline_gray(&card_on_desk(480, 302)));
        assert_eq!(outlines.len(), 1, "{outlines:?}");
        let o = outlines[0];
        assert!((o.aspect() - 1.59).abs() < 0.08, "{o:?}");
        assert!(
            (o.centre.0 - 0.5).abs() < 0.02 && (o.centre.1 - 0.5).abs() < 0.02,
            "{o:?}"
        );
        assert!((o.length - 0.6).abs() < 0.03, "{o:?}");
        assert!(o.halves().is_empty(), "a card is not two");
        // Two cards one above the other: 480×604, aspect 1.26, its long side upright.
        let stacked = card_on_desk(380, 480);
        let o = card_outlines(&outline_gray(&stacked))[0];
        let halves = o.halves();
        assert_eq!(halves.len(), 2, "{o:?}");
        for half in &halves {
            assert!((half.aspect() - 1.58).abs() < 0.1, "{half:?}");
            assert!(half.tilt.abs() < 0.1, "runs across: {half:?}");
        }
        let mut ys: Vec<f32> = halves.iter().map(|h| h.centre.1).collect();
        ys.sort_by(f32::total_cmp);
        assert!(
            (ys[0] - 0.3).abs() < 0.03 && (ys[1] - 0.7).abs() < 0.03,
            "{ys:?}"
        );
        // A desk alone, and a square light patch, have none.
        assert!(
            card_outlines(&outline_gray(&RgbImage::from_pixel(
                800,
                600,
                image::Rgb([70, 60, 55])
            )))
            .is_empty()
        );
        assert!(card_outlines(&outline_gray(&card_on_desk(360, 360))).is_empty());
        // A 320×300 px outline given by its corners, starting at the top right: its long side
        // runs across, whichever corner comes first.
        let corners = [(0.7, 0.25), (0.7, 0.75), (0.3, 0.75), (0.3, 0.25)];
        let from = Outline::from_corners(&corners, 800, 600);
        assert!(from.tilt.abs() < 1e-3, "{from:?}");
        assert!((from.centre.0 - 0.5).abs() < 1e-3 && (from.centre.1 - 0.5).abs() < 1e-3);
        assert!((from.length - 0.4).abs() < 1e-3, "{from:?}");
        assert!((from.thickness - 0.375).abs() < 1e-3, "{from:?}");
    }

    #[test]
    fn soft_print_counts_as_rows_only_when_stretched() {
        // 25 grey levels of contrast, as blurred print keeps: below the legibility gate, but
        // rows once the part's contrast is stretched.
        let faint = page_inked(8, 210);
        assert_eq!(analyse_gray(&faint).text_lines, 0);
        let rgb = image::DynamicImage::ImageLuma8(faint).to_rgb8();
        assert!(analyse_soft(&rgb, SIDE).text_lines >= 6);
        let blank = RgbImage::from_pixel(600, 400, image::Rgb([235, 235, 235]));
        assert_eq!(analyse_soft(&blank, SIDE).text_lines, 0);
    }

    #[test]
    fn faint_strokes_are_not_text() {
        // 35 grey levels of contrast: a blurred or washed-out picture, nothing legible.
        assert_eq!(analyse_gray(&page_inked(8, 200)).text_lines, 0);
        // 95 levels is print.
        assert!(analyse_gray(&page_inked(8, 140)).text_lines >= 6);
    }

    #[test]
    fn text_rows_are_found_and_a_blank_page_has_none() {
        let v = analyse_gray(&page(8));
        assert!(v.text_lines >= 6, "{v:?}");
        assert!(v.worth_ocr());
        let blank = analyse_gray(&GrayImage::from_pixel(600, 400, image::Luma([128])));
        assert_eq!(blank.text_lines, 0);
        assert!(!blank.worth_ocr());
    }

    #[test]
    fn print_at_a_slant_is_found_and_levelled_and_level_print_is_not() {
        let rgb = |g: &GrayImage| image::DynamicImage::ImageLuma8(g.clone()).to_rgb8();
        let level = rgb(&page(8));
        assert_eq!(slants(&gray(&level)).first().map(|s| s.degrees), None);
        assert!(analyse(&level).worth_ocr());
        // The page turned 35° clockwise on a grey desk, as soft as a photo: the visual stage
        // does not see it...
        let turned = image::imageops::blur(&super::super::locate::level(&level, 360 - 35), 1.5);
        assert!(!analyse(&turned).worth_ocr(), "{:?}", analyse(&turned));
        // ...the slant is found, and turned back, the page reads as print again.
        let found = slants(&gray(&turned))
            .first()
            .map(|s| s.degrees)
            .expect("a slant");
        assert!(found.abs_diff(35) <= 2, "{found}");
        assert!(analyse(&super::super::locate::level(&turned, found)).worth_ocr());
        // A photo of nothing in particular (noise) has no slant.
        let mut noise = RgbImage::new(640, 480);
        let mut x = 12345u32;
        for p in noise.pixels_mut() {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            *p = image::Rgb([(x >> 24) as u8; 3]);
        }
        assert_eq!(slants(&gray(&noise)).first().map(|s| s.degrees), None);
    }

    #[test]
    fn print_at_a_slant_in_one_part_of_a_busy_photo_is_found_there() {
        // A facade of blocks fills the photo (its edges along the axes, outweighing any
        // other direction); a page turned 35° lies in its lower right.
        let mut photo = RgbImage::from_fn(640, 480, |x, y| {
            image::Rgb([if (x / 23 + y / 31) % 2 == 0 { 70 } else { 180 }; 3])
        });
        let page = image::DynamicImage::ImageLuma8(page(8)).to_rgb8();
        let page = image::imageops::thumbnail(&page, 300, 200);
        let turned = super::super::locate::level(&page, 360 - 35);
        let (x0, y0) = (300, 150);
        for (x, y, p) in turned.enumerate_pixels() {
            // The canvas's grey corners are not the page's.
            if p.0 != [128; 3] && x0 + x < 640 && y0 + y < 480 {
                photo.put_pixel(x0 + x, y0 + y, *p);
            }
        }
        let photo = image::imageops::blur(&photo, 1.0);
        let found = slants(&gray(&photo));
        // The photo as a whole points along the axes; the page's part points its own way...
        let first = found.first().expect("a slant");
        let part = first.part.expect("seen in a part");
        assert!(first.degrees.abs_diff(35) <= 3, "{found:?}");
        // ...and the part holds the page's middle.
        let (cx, cy) = (
            (x0 + turned.width() / 2) as f32 / 640.0,
            (y0 + turned.height() / 2) as f32 / 480.0,
        );
        assert!(
            (part.left..part.right).contains(&cx) && (part.top..part.bottom).contains(&cy),
            "{part:?} misses ({cx}, {cy})"
        );
        // Turned back, it shows its print to the visual stage.
        let level = super::super::locate::level(&part.crop(&photo), first.degrees);
        assert!(analyse(&level).text_lines >= 2, "{:?}", analyse(&level));
    }

    /// A white page with two rows near the bottom, each of `words` runs of `chars` dense
    /// "characters" separated by gaps too wide to join a line but narrow enough to join a band.
    fn bottom_rows(words: u32, chars: u32) -> GrayImage {
        let mut img = GrayImage::from_pixel(600, 400, image::Luma([235]));
        for row in 0..2 {
            let y0 = 320 + row * 24;
            let mut x0 = 40;
            for _ in 0..words {
                for _ in 0..chars {
                    for y in y0..y0 + 14 {
                        for x in x0..x0 + 8 {
                            img.put_pixel(x, y, image::Luma([20]));
                        }
                    }
                    x0 += 10;
                }
                x0 += 14;
            }
        }
        img
    }

    #[test]
    fn a_zone_needs_lines_that_span_it() {
        // Two rows of 50 characters: an MRZ.
        assert_eq!(analyse_gray(&bottom_rows(1, 50)).mrz_bands, 1);
        // The same rows broken into short pieces: texture, not a zone.
        assert_eq!(analyse_gray(&bottom_rows(7, 6)).mrz_bands, 0);
    }

    #[test]
    fn rank_filters_match_a_naive_window() {
        let (w, h) = (23usize, 17usize);
        let px: Vec<u8> = (0..w * h).map(|i| (i * 37 % 101) as u8).collect();
        let img = GrayImage::from_raw(w as u32, h as u32, px.clone()).unwrap();
        for (kw, kh) in [(1, 1), (3, 5), (13, 5), (5, 21), (31, 3), (2 * 23 + 1, 1)] {
            let (max, min) = (max_filter(&img, kw, kh), min_filter(&img, kw, kh));
            for y in 0..h {
                for x in 0..w {
                    // The image is clamped at its edges, so the window is cut there.
                    let xs = x.saturating_sub(kw / 2)..=(x + kw / 2).min(w - 1);
                    let ys = y.saturating_sub(kh / 2)..=(y + kh / 2).min(h - 1);
                    let px = &px;
                    let window = ys.flat_map(|v| xs.clone().map(move |u| px[v * w + u]));
                    let (hi, lo) = window.fold((0, 255), |(hi, lo), p| (p.max(hi), p.min(lo)));
                    let at = (x as u32, y as u32);
                    assert_eq!(max.get_pixel(at.0, at.1).0[0], hi, "{kw}x{kh} at {at:?}");
                    assert_eq!(min.get_pixel(at.0, at.1).0[0], lo, "{kw}x{kh} at {at:?}");
                }
            }
        }
    }

    #[test]
    fn tilted_text_rows_count_and_vertical_ones_do_not() {
        let upright = analyse_gray(&page(8)).text_lines;
        let tilted = |deg: f32| {
            let img = page(8);
            let (w, h) = img.dimensions();
            let (sin, cos) = deg.to_radians().sin_cos();
            let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
            let turned = GrayImage::from_fn(w, h, |x, y| {
                let (dx, dy) = (x as f32 - cx, y as f32 - cy);
                let (sx, sy) = (cx + dx * cos + dy * sin, cy - dx * sin + dy * cos);
                if sx < 0.0 || sy < 0.0 || sx >= w as f32 || sy >= h as f32 {
                    image::Luma([235])
                } else {
                    *img.get_pixel(sx as u32, sy as u32)
                }
            });
            analyse_gray(&turned).text_lines
        };
        assert!(
            tilted(15.0) * 4 >= upright * 3,
            "{} of {upright}",
            tilted(15.0)
        );
        assert!(
            tilted(-15.0) * 4 >= upright * 3,
            "{} of {upright}",
            tilted(-15.0)
        );
        assert_eq!(tilted(90.0), 0);
    }

    #[test]
    fn component_shape_follows_the_axis() {
        let mut bar = Component::default();
        for x in 0..100 {
            for y in 0..10 {
                bar.add(x, y);
            }
        }
        let s = bar.shape().unwrap();
        assert!(
            (s.length - 100.0).abs() < 1.0
                && (s.thickness - 10.0).abs() < 0.5
                && s.fill > 0.95
                && s.tilt.abs() < 0.01,
            "{s:?}"
        );
        let mut column = Component::default();
        for y in 0..100 {
            for x in 0..10 {
                column.add(x, y);
            }
        }
        let s = column.shape().unwrap();
        assert!(
            (s.tilt.abs() - std::f32::consts::FRAC_PI_2).abs() < 0.01,
            "{s:?}"
        );
    }

    #[test]
    fn otsu_splits_two_levels() {
        let mut img = GrayImage::from_pixel(10, 10, image::Luma([10]));
        for x in 0..5 {
            for y in 0..10 {
                img.put_pixel(x, y, image::Luma([200]));
            }
        }
        let t = otsu(&img);
        assert!((10..200).contains(&t));
    }
}
