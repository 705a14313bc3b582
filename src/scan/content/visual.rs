//! The cheap visual stage: on a small grey copy, find text-like lines and machine-readable-zone
//! bands by morphology (blackhat, horizontal gradient, closing, Otsu — the PassportEye recipe),
//! to decide which images deserve OCR and where the document probably is.
//!
//! The morphology is a handful of separable min/max filters on a `GrayImage`; they are written
//! here because the only crate offering them with rectangular kernels (imageproc) would add a
//! large dependency tree for ~40 lines.

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
        self.mrz_bands > 0 || self.text_lines >= MIN_TEXT_LINES
    }
}

/// Images with fewer text lines than this (and no MRZ band) are not read.
pub const MIN_TEXT_LINES: u32 = 4;

/// Runs the visual stage on `rgb`.
pub fn analyse(rgb: &RgbImage) -> Visual {
    let (w, h) = super::decode::fit(
        rgb.width(),
        rgb.height(),
        SIDE.min(rgb.width().max(rgb.height())),
    );
    let gray = image::imageops::thumbnail(&image::imageops::grayscale(rgb), w, h);
    let upright = analyse_gray(&gray);
    if upright.mrz_bands > 0 {
        return upright;
    }
    let turned = analyse_gray(&image::imageops::rotate90(&gray));
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

fn analyse_gray(gray: &GrayImage) -> Visual {
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
    let blackhat = GrayImage::from_raw(w, h, blackhat).expect("same size");

    // Horizontal gradient of the blackhat, scaled to 0–255.
    let mut grad = vec![0u16; (w * h) as usize];
    let mut max = 1u16;
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let p = |dx: i32, dy: i32| {
                i32::from(
                    blackhat
                        .get_pixel((x as i32 + dx) as u32, (y as i32 + dy) as u32)
                        .0[0],
                )
            };
            let gx = (p(1, -1) + 2 * p(1, 0) + p(1, 1)) - (p(-1, -1) + 2 * p(-1, 0) + p(-1, 1));
            let v = gx.unsigned_abs().min(u32::from(u16::MAX)) as u16;
            grad[(y * w + x) as usize] = v;
            max = max.max(v);
        }
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
    let mut line_area = 0u64;
    for c in components(&line_mask, w, h) {
        let (cw, ch) = (c.w() as f32, c.h() as f32);
        let fill = c.area as f32 / (cw * ch);
        if cw >= 3.0 * ch && ch >= min_h && ch <= max_h && fill >= 0.45 && cw >= w as f32 * 0.04 {
            v.text_lines += 1;
            line_area += c.area as u64;
        }
    }
    v.text_area = line_area as f32 / (w * h) as f32;

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
    for c in components(&band_mask, w, h) {
        let (cw, ch) = (c.w() as f32, c.h() as f32);
        let fill = c.area as f32 / (cw * ch);
        if cw >= 4.0 * ch && cw >= w as f32 * 0.3 && ch >= h as f32 * 0.03 && fill >= 0.6 {
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
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut tmp = vec![0u8; w * h];
    let mut line = Vec::new();
    let mut out_line = Vec::new();
    for y in 0..h {
        line.clear();
        line.extend_from_slice(&img.as_raw()[y * w..(y + 1) * w]);
        running(&line, kw, pick, &mut out_line);
        tmp[y * w..(y + 1) * w].copy_from_slice(&out_line);
    }
    let mut out = vec![0u8; w * h];
    for x in 0..w {
        line.clear();
        line.extend((0..h).map(|y| tmp[y * w + x]));
        running(&line, kh, pick, &mut out_line);
        for (y, &v) in out_line.iter().enumerate() {
            out[y * w + x] = v;
        }
    }
    GrayImage::from_raw(w as u32, h as u32, out).expect("same size")
}

/// Running min or max over a centred window of `k` (odd) samples, clamped at the ends, in
/// O(1) per sample (van Herk / Gil–Werman: prefix and suffix extremes over blocks of `k`).
fn running<F: Fn(u8, u8) -> u8>(src: &[u8], k: usize, pick: F, out: &mut Vec<u8>) {
    let n = src.len();
    let r = k / 2;
    out.clear();
    if n == 0 {
        return;
    }
    // Pad with the edge values so every window is full.
    let padded: Vec<u8> = std::iter::repeat_n(src[0], r)
        .chain(src.iter().copied())
        .chain(std::iter::repeat_n(src[n - 1], r))
        .collect();
    let m = padded.len();
    let mut prefix = padded.clone();
    let mut suffix = padded.clone();
    for i in 1..m {
        if i % k != 0 {
            prefix[i] = pick(prefix[i - 1], padded[i]);
        }
    }
    for i in (0..m - 1).rev() {
        if (i + 1) % k != 0 {
            suffix[i] = pick(suffix[i + 1], padded[i]);
        }
    }
    // Window [i, i + k - 1] of the padded line is centred on sample i of `src`.
    out.extend((0..n).map(|i| pick(suffix[i], prefix[i + k - 1])));
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

/// A 4-connected component's bounding box and pixel count.
#[derive(Clone, Copy, Debug)]
struct Component {
    x0: u32,
    y0: u32,
    x1: u32,
    y1: u32,
    area: u32,
}

impl Component {
    fn w(&self) -> u32 {
        self.x1 - self.x0 + 1
    }
    fn h(&self) -> u32 {
        self.y1 - self.y0 + 1
    }
}

/// Connected components of a mask (4-connectivity, iterative flood fill).
fn components(mask: &[bool], w: u32, h: u32) -> Vec<Component> {
    let (wu, hu) = (w as usize, h as usize);
    let mut seen = vec![false; mask.len()];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for start in 0..mask.len() {
        if !mask[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let mut c = Component {
            x0: u32::MAX,
            y0: u32::MAX,
            x1: 0,
            y1: 0,
            area: 0,
        };
        while let Some(i) = stack.pop() {
            let (x, y) = (i % wu, i / wu);
            c.x0 = c.x0.min(x as u32);
            c.x1 = c.x1.max(x as u32);
            c.y0 = c.y0.min(y as u32);
            c.y1 = c.y1.max(y as u32);
            c.area += 1;
            let mut push = |j: usize| {
                if mask[j] && !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            };
            if x > 0 {
                push(i - 1);
            }
            if x + 1 < wu {
                push(i + 1);
            }
            if y > 0 {
                push(i - wu);
            }
            if y + 1 < hu {
                push(i + wu);
            }
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A white page with `n` rows of black "characters" (small squares with gaps).
    fn page(n: u32) -> GrayImage {
        let mut img = GrayImage::from_pixel(600, 400, image::Luma([235]));
        for row in 0..n {
            let y0 = 30 + row * 35;
            for ch in 0..40 {
                let x0 = 40 + ch * 13;
                for y in y0..y0 + 14 {
                    for x in x0..x0 + 8 {
                        img.put_pixel(x, y, image::Luma([20]));
                    }
                }
            }
        }
        img
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
    fn running_extremes_match_a_naive_window() {
        let src: Vec<u8> = (0..50u32).map(|i| (i * 37 % 101) as u8).collect();
        let mut out = Vec::new();
        for k in [1, 3, 5, 13] {
            running(&src, k, u8::max, &mut out);
            for (i, &v) in out.iter().enumerate() {
                let (a, b) = (i.saturating_sub(k / 2), (i + k / 2).min(src.len() - 1));
                assert_eq!(v, *src[a..=b].iter().max().unwrap(), "k={k} i={i}");
            }
        }
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
