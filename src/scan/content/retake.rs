//! Retakes too blurred, glared or covered for OCR to confirm anything: what is still visible
//! of an identity document. A card or page outline filling a good part of the photo, with a
//! portrait inside it placed as on an identity card or a passport's data page (towards one
//! end, at a size no business card's or print's photo has beside lines of print), and rows of
//! print across the rest of it even when they are too soft to read, among them a band like a
//! machine-readable zone (rows alone are on every badge and business card). This never decides
//! with the confidence of a read document: it says what it saw, at a moderate weight.

use image::{GrayImage, RgbImage};

use super::face::{self, Area, Face, FaceError};
use super::visual::{self, Outline};
use crate::scan::finding::Kind;

/// A document seen by its outline and portrait.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Seen {
    pub kind: Kind,
    pub weight: f32,
    /// What was seen, for people.
    pub reason: String,
}

/// Outlines between these aspects are taken for a passport page (1.42), longer ones for a card
/// (1.59); perspective moves either by a few hundredths.
const PAGE_ASPECT: (f32, f32) = (1.34, 1.5);
/// The face box of a document portrait is this share of the card's short side: ID-1 portraits
/// are about two thirds of the card high and the detector's box about 0.6 of the portrait;
/// a passport's data page holds a portrait about half its height.
const PORTRAIT_SIZE: (f32, f32) = (0.16, 0.6);
/// The portrait's centre lies this far from the card's centre along its long side, as a share
/// of that side: in the left or right third (a photo print's subject is central).
const PORTRAIT_OFFSET: (f32, f32) = (0.14, 0.42);
/// ...and at most this far across it (share of the short side): not in a corner.
const PORTRAIT_ACROSS: f32 = 0.38;
/// The other end of the card holds at least this many parallel rows of print, seen at a soft
/// contrast (a portrait print or a photo on a card has none).
const MIN_ROWS: u32 = 3;
/// The smaller of the two scales rows of print are looked for at (long side, pixels).
const SOFT_SIDE: u32 = 200;
/// The weight of a document seen by its outline, portrait and rows of print that include a
/// band like a machine-readable zone. Without the band the look says nothing: measured on the
/// rejection-reason sets it flagged 25 documents and 25 badges, business cards, prints and
/// portraits alike (and four camera and test images of other projects' suites), so it tells
/// them apart no better than chance and is not reported (docs/detection.md).
const WEIGHT_WITH_ZONE: f32 = 0.62;

/// Looks for a document by its outline and portrait in `rgb` (a working copy in which nothing
/// was read; `gray` is its [`visual::outline_gray`]): the light, card-shaped blobs of that
/// 320 px copy, then the outlines `found` by their edges (a card on a desk of its own colour,
/// turned, seen at an angle). Faces are looked for only inside an outline.
pub(crate) fn look(
    rgb: &RgbImage,
    gray: &GrayImage,
    found: &[Outline],
) -> Result<Option<Seen>, FaceError> {
    let blobs = visual::card_outlines(gray);
    // An edge outline the blob search saw too is judged once.
    let edges = found.iter().copied().filter(|f| {
        !blobs.iter().any(|o| {
            (o.centre.0 - f.centre.0).abs() < 0.05 && (o.centre.1 - f.centre.1).abs() < 0.05
        })
    });
    let outlines: Vec<Outline> = blobs.iter().copied().chain(edges).collect();
    for outline in outlines {
        // Both sides of a card, one above the other (a copy of both sides photographed), are
        // tried first where the outline is squarer than a passport page.
        let mut tries = outline.halves();
        if outline.aspect() >= PAGE_ASPECT.0 {
            tries.insert(0, outline);
        } else {
            tries.push(outline);
        }
        for o in &tries {
            if let Some(seen) = judge(rgb, o)? {
                return Ok(Some(seen));
            }
        }
    }
    Ok(None)
}

/// The outline `o` of `rgb` judged: a portrait where a document has one, and rows of print
/// beside it.
fn judge(rgb: &RgbImage, o: &Outline) -> Result<Option<Seen>, FaceError> {
    let (w, h) = (rgb.width() as f32, rgb.height() as f32);
    let side = w.max(h);
    let (cx, cy) = (o.centre.0 * w, o.centre.1 * h);
    let (len, thick) = (o.length * side, o.thickness * side);
    let (cos, sin) = (o.tilt.cos(), o.tilt.sin());
    let half_w = (cos.abs() * len + sin.abs() * thick) / 2.0;
    let half_h = (sin.abs() * len + cos.abs() * thick) / 2.0;
    let x0 = (cx - half_w).max(0.0);
    let y0 = (cy - half_h).max(0.0);
    let area = Area {
        x: x0 as u32,
        y: y0 as u32,
        width: ((cx + half_w).min(w) - x0).max(1.0) as u32,
        height: ((cy + half_h).min(h) - y0).max(1.0) as u32,
    };
    // The cheap test first: rows of print at either end of the card, or anywhere on it at a
    // small scale (a few milliseconds); most light, card-shaped things in ordinary photos
    // have none, and are spared the face search.
    let rows_at_an_end = dark_rows(rgb, o, -0.3).max(dark_rows(rgb, o, 0.3));
    if rows_at_an_end < MIN_ROWS {
        let crop = image::imageops::crop_imm(rgb, area.x, area.y, area.width, area.height);
        let whole = visual::analyse_soft(&crop.to_image(), SOFT_SIDE);
        if whole.text_lines < MIN_ROWS && whole.mrz_bands == 0 {
            return Ok(None);
        }
    }
    let min_face = (PORTRAIT_SIZE.0 * thick) as u32;
    let max_face = (PORTRAIT_SIZE.1 * thick).ceil() as u32;
    let faces = face::detect_in(rgb, area, min_face, max_face)?;
    // Along the card (u, share of its length) and across it (v, share of its width).
    let placed = |f: &Face| {
        let (fx, fy) = f.centre();
        let (dx, dy) = (fx as f32 - cx, fy as f32 - cy);
        let u = (dx * cos + dy * sin) / len;
        let v = (-dx * sin + dy * cos) / thick;
        let size = f.height as f32 / thick;
        let ok = (PORTRAIT_OFFSET.0..=PORTRAIT_OFFSET.1).contains(&u.abs())
            && v.abs() <= PORTRAIT_ACROSS
            && (PORTRAIT_SIZE.0..=PORTRAIT_SIZE.1).contains(&size);
        ok.then_some(u)
    };
    // One portrait: a card with two faces of that size is a photo of people.
    let portraits: Vec<f32> = faces.iter().filter_map(placed).collect();
    let [u] = portraits[..] else {
        return Ok(None);
    };
    // The rows of print: on the part of the card away from the portrait.
    let rest = away_from(rgb, area, u, o);
    // Seen as strokes at two scales (blur joins a line's letters at one, splits lines at the
    // other), and as rows darker than the gaps between them.
    let soft = [visual::SIDE, SOFT_SIDE]
        .map(|side| visual::analyse_soft(&rest, side))
        .into_iter()
        .max_by_key(|v| (v.text_lines, v.mrz_bands))
        .unwrap_or_default();
    let profile = dark_rows(rgb, o, u);
    let rows = soft.text_lines.max(profile);
    // Rows alone, without a zone's band, are on every badge and business card.
    if soft.mrz_bands == 0 {
        return Ok(None);
    }
    let kind = if o.aspect() >= PAGE_ASPECT.1 {
        Kind::IdCard
    } else {
        Kind::Passport
    };
    let (what, shape) = match kind {
        Kind::Passport => ("passport page", "a passport page's 1.42"),
        _ => ("card", "an ID-1 card's 1.59"),
    };
    Ok(Some(Seen {
        kind,
        weight: WEIGHT_WITH_ZONE,
        reason: format!(
            "{what} outline with a portrait in an identity-document layout, {} rows of print and a band like a machine-readable zone beside it (text not legible: blurred, glared or covered; aspect {:.2}, near {shape})",
            rows,
            o.aspect()
        ),
    }))
}

/// The part of the card's bounding `area` of `rgb` on the other side of its centre from the
/// portrait (at `u` along the card's long axis).
fn away_from(rgb: &RgbImage, area: Area, u: f32, o: &Outline) -> RgbImage {
    // The long axis runs mostly across or mostly down the image.
    let across = o.tilt.cos().abs() >= o.tilt.sin().abs();
    // Which way the portrait lies in image coordinates along that axis.
    let sign = u * if across { o.tilt.cos() } else { o.tilt.sin() };
    let (x, y, width, height) = (area.x, area.y, area.width, area.height);
    // The 60 % of the card away from the portrait (the portrait's own third excluded).
    let crop = |x, y, w, h| image::imageops::crop_imm(rgb, x, y, w, h).to_image();
    match (across, sign > 0.0) {
        (true, true) => crop(x, y, width * 3 / 5, height),
        (true, false) => crop(x + width * 2 / 5, y, width - width * 2 / 5, height),
        (false, true) => crop(x, y, width, height * 3 / 5),
        (false, false) => crop(x, y + height * 2 / 5, width, height - height * 2 / 5),
    }
}

/// Samples along the card's long side, over the part away from the portrait, averaged into
/// one value per row across it.
const PROFILE_ALONG: usize = 64;
/// Rows across the card sampled.
const PROFILE_ACROSS: usize = 120;
/// A row of print is darker than the rows around it by at least this (mean grey levels over
/// the part's width): blur spreads a line of print over its neighbours but keeps it darker
/// than the gaps between lines while they are still apart.
const ROW_DEPTH: f32 = 4.0;

/// Rows of print, counted even when too blurred to show single strokes: the card `o` of `rgb`
/// resampled along its own axes over the part away from the portrait (at `u` along it), each
/// row across averaged, and the rows darker than both neighbours counted.
fn dark_rows(rgb: &RgbImage, o: &Outline, u: f32) -> u32 {
    let (w, h) = (rgb.width() as f32, rgb.height() as f32);
    let side = w.max(h);
    let (cx, cy) = (o.centre.0 * w, o.centre.1 * h);
    let (len, thick) = (o.length * side, o.thickness * side);
    let (cos, sin) = (o.tilt.cos(), o.tilt.sin());
    // The portrait's end is skipped: from the middle of the card to near its other end.
    let (a0, a1) = if u < 0.0 {
        (-0.05, 0.45)
    } else {
        (-0.45, 0.05)
    };
    let mut profile = vec![0f32; PROFILE_ACROSS];
    for (i, row) in profile.iter_mut().enumerate() {
        // Across the card's inner 84 %: its edges meet the desk.
        let v = -0.42 + 0.84 * i as f32 / (PROFILE_ACROSS - 1) as f32;
        let (mut sum, mut n) = (0f32, 0u32);
        for j in 0..PROFILE_ALONG {
            let t = a0 + (a1 - a0) * j as f32 / (PROFILE_ALONG - 1) as f32;
            let x = cx + t * len * cos - v * thick * sin;
            let y = cy + t * len * sin + v * thick * cos;
            if x < 0.0 || y < 0.0 || x >= w || y >= h {
                continue;
            }
            let [r, g, b] = rgb.get_pixel(x as u32, y as u32).0;
            sum += 0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b);
            n += 1;
        }
        *row = if n > 0 { sum / n as f32 } else { f32::NAN };
    }
    // Lightly smoothed, so that sampling noise makes no extra rows.
    let smooth: Vec<f32> = (0..PROFILE_ACROSS)
        .map(|i| {
            let lo = i.saturating_sub(1);
            let hi = (i + 2).min(PROFILE_ACROSS);
            profile[lo..hi].iter().sum::<f32>() / (hi - lo) as f32
        })
        .collect();
    let reach = PROFILE_ACROSS / 20;
    let mut rows = 0;
    let mut last: Option<usize> = None;
    for i in reach..PROFILE_ACROSS - reach {
        let p = smooth[i];
        if p.is_nan() {
            continue;
        }
        let window = &smooth[i - reach..=i + reach];
        let lowest = window.iter().all(|&q| q.is_nan() || q >= p);
        let before = smooth[i.saturating_sub(2 * reach)..i]
            .iter()
            .copied()
            .fold(f32::MIN, f32::max);
        let after = smooth[i + 1..(i + 2 * reach + 1).min(PROFILE_ACROSS)]
            .iter()
            .copied()
            .fold(f32::MIN, f32::max);
        if lowest
            && before - p >= ROW_DEPTH
            && after - p >= ROW_DEPTH
            && last.is_none_or(|l| i - l > reach)
        {
            rows += 1;
            last = Some(i);
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A light card (600×378) on a dark desk, with `rows` rows of print on its right half, blurred.
    fn card(rows: u32) -> (RgbImage, Outline) {
        let mut img = RgbImage::from_pixel(600, 378, image::Rgb([230, 228, 220]));
        for r in 0..rows {
            let y0 = 70 + r * 45;
            for y in y0..y0 + 14 {
                for x in 320..560 {
                    if x % 11 < 7 {
                        img.put_pixel(x, y, image::Rgb([40, 40, 50]));
                    }
                }
            }
        }
        let img = image::imageops::blur(&img, 6.0);
        // On a dark desk, so that the outline search finds it.
        let mut desk = RgbImage::from_pixel(900, 600, image::Rgb([60, 55, 50]));
        image::imageops::overlay(&mut desk, &img, 150, 111);
        let o = visual::card_outlines(&visual::outline_gray(&desk))[0];
        (desk, o)
    }

    #[test]
    fn blurred_rows_of_print_are_counted_and_a_plain_card_has_none() {
        let (img, o) = card(6);
        // The portrait at the left end (u < 0): the rows are looked for on the right.
        let rows = dark_rows(&img, &o, -0.3);
        assert!((5..=7).contains(&rows), "{rows}");
        let (plain, o) = card(0);
        assert_eq!(dark_rows(&plain, &o, -0.3), 0);
    }
}
