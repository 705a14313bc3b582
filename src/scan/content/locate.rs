//! Finds card- and page-shaped quadrilaterals in a photo, at any turn and perspective and at
//! any size in the frame, and straightens each one into an upright crop of its own aspect (an
//! ID-1 card, a passport data page, an A4 sheet), so that a document photographed turned by
//! 40°, seen at a steep angle or filling half the frame reaches OCR as if it had been scanned.
//!
//! On a small grey copy, edges (Canny) are thickened by a pixel and the frame's border is
//! drawn in as an edge, so that a document cut off by the frame is closed against it; each
//! region the edges enclose is a candidate (a card's margin rings its print), and so is each
//! blob of edges with what it encloses filled in (a card printed to its edges). Its convex hull, reduced to four corners (or its
//! minimum-area rectangle), must be nearly filled by the region, with corners near right
//! angles once perspective is allowed for, and sides in a document's proportions. The
//! geometry (edges, contours, hulls, polygon approximation, projective warps) is imageproc's.

use image::{GrayImage, Luma, Rgb, RgbImage};
use imageproc::contours::{BorderType, find_contours};
use imageproc::distance_transform::Norm;
use imageproc::edges::canny;
use imageproc::geometric_transformations::{Border, Interpolation, Projection, warp_into};
use imageproc::geometry::{
    approximate_polygon_dp, arc_length, contour_area, convex_hull, min_area_rect,
};
use imageproc::morphology::{dilate, open};
use imageproc::point::Point;

/// A document-shaped quadrilateral, in fractions of the image's width and height.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Quad {
    /// Corners in order around the quadrilateral, the first at the end of the side that runs
    /// most nearly left to right along the top (so the straightened crop is turned by at most
    /// 45° from how the photo shows it; a card's crop lies on its long side, see
    /// [`Quad::straighten`]).
    pub corners: [(f32, f32); 4],
    /// Share of the frame it covers.
    pub share: f32,
    /// Long side over short side, with perspective averaged out.
    pub aspect: f32,
}

/// At most this many quadrilaterals are returned, largest first.
const MAX_QUADS: usize = 3;
/// A document covers this share of the frame: a card on an A4 sheet photographed whole covers
/// about 3 %; a page or card filling the frame less than 90 % (more is the frame itself).
const SHARE: (f32, f32) = (0.015, 0.9);
/// Long over short side: ID-1 cards 1.59, passport pages 1.42, A4 1.41; perspective and a
/// finger over an edge move either by a tenth or so.
const ASPECT: (f32, f32) = (1.2, 1.95);
/// The region fills at least this share of its quadrilateral (rounded corners, a finger over
/// an edge and the thickened edges take some).
const FILL: f32 = 0.82;
/// Each corner's angle lies this close to a right angle (degrees): perspective at up to about
/// 60° from the vertical.
const CORNER_SLACK: f32 = 40.0;

/// Gaps in a document's border up to twice this (pixels of the small grey copy) are closed
/// before what its border encloses is filled.
const SOLID_GAP: u8 = 3;

/// Document-shaped quadrilaterals in `gray` (a small grey copy of the photo), largest first.
pub(crate) fn find(gray: &GrayImage) -> Vec<Quad> {
    let (w, h) = gray.dimensions();
    if w < 64 || h < 64 {
        return Vec::new();
    }
    let mut edges = canny(gray, 12.0, 36.0);
    // The frame's border closes a document it cuts off.
    for x in 0..w {
        edges.put_pixel(x, 0, Luma([255]));
        edges.put_pixel(x, h - 1, Luma([255]));
    }
    for y in 0..h {
        edges.put_pixel(0, y, Luma([255]));
        edges.put_pixel(w - 1, y, Luma([255]));
    }
    let raw = edges;
    let edges = dilate(&raw, Norm::LInf, 1);
    // Regions between the edges: a card's margin rings its print, and the ring's outer border
    // is the card's.
    let mut regions = edges.clone();
    for p in regions.iter_mut() {
        *p = 255 - *p;
    }
    // And what the edges enclose, filled (a card printed to its edges), with thin bridges to
    // the clutter around it cut; without the frame's border, which would enclose everything.
    // The edges are thickened more here: a card on a desk of its own colour shows its border
    // only in parts, with gaps of a few pixels.
    let closed = dilate(&raw, Norm::LInf, SOLID_GAP);
    let inner = GrayImage::from_fn(w - 2, h - 2, |x, y| *closed.get_pixel(x + 1, y + 1));
    let mask: Vec<bool> = inner.iter().map(|&p| p > 0).collect();
    let filled = super::visual::fill_holes(&mask, w - 2, h - 2);
    let solid = GrayImage::from_fn(w, h, |x, y| {
        let inside = x > 0 && y > 0 && x < w - 1 && y < h - 1;
        Luma([if inside && filled[((y - 1) * (w - 2) + x - 1) as usize] {
            255
        } else {
            0
        }])
    });
    let solid = open(&solid, Norm::LInf, SOLID_GAP + 1);
    let total = (w * h) as f32;
    let mut found: Vec<Quad> = Vec::new();
    let contours = find_contours::<i32>(&regions)
        .into_iter()
        .chain(find_contours::<i32>(&solid));
    for c in contours {
        if c.border_type != BorderType::Outer || c.points.len() < 16 {
            continue;
        }
        let area = contour_area(&c.points) as f32;
        // The thickened edges took about a pixel and a half all round.
        let grown = area + arc_length(&c.points, true) as f32 * 1.5;
        let share = grown / total;
        if !(SHARE.0..=SHARE.1).contains(&share) {
            continue;
        }
        let Some(q) = quad_of(&c.points, Fit::Filled(area), w, h) else {
            continue;
        };
        if found.iter().any(|f| overlaps(f, &q)) {
            continue;
        }
        found.push(q);
    }
    // A border with gaps wider than the closing (a card on a desk of its own colour): the
    // hull of its edges with what they hold, when its sides run along edges for most of their
    // length.
    for c in find_contours::<i32>(&closed) {
        if c.border_type != BorderType::Outer || c.points.len() < 16 {
            continue;
        }
        let area = contour_area(&c.points) as f32;
        if area / total < SHARE.0 {
            continue;
        }
        let Some(q) = quad_of(&c.points, Fit::Bordered(&closed), w, h) else {
            continue;
        };
        if q.share > SHARE.1 || found.iter().any(|f| overlaps(f, &q)) {
            continue;
        }
        found.push(q);
    }
    found.sort_by(|a, b| b.share.total_cmp(&a.share));
    found.truncate(MAX_QUADS);
    found
}

/// How a candidate must fit its quadrilateral.
enum Fit<'a> {
    /// The region encloses this many pixels, nearly all of its hull and quadrilateral.
    Filled(f32),
    /// The quadrilateral's sides run along these edges for most of their length.
    Bordered(&'a GrayImage),
}

/// Share of a quadrilateral's border that must lie on edges for [`Fit::Bordered`].
const BORDER_ON_EDGES: f32 = 0.8;

/// The document-shaped quadrilateral of a region bounded by `points` in a `w`×`h` image, if
/// it is one.
fn quad_of(points: &[Point<i32>], fit: Fit, w: u32, h: u32) -> Option<Quad> {
    let hull = convex_hull(points.to_vec());
    if hull.len() < 4 {
        return None;
    }
    let hull_area = contour_area(&hull) as f32;
    let area = match fit {
        Fit::Filled(area) => area,
        Fit::Bordered(_) => hull_area,
    };
    if hull_area <= 0.0 || area < FILL * hull_area {
        return None;
    }
    let eps = 0.03 * arc_length(&hull, true);
    let poly = approximate_polygon_dp(&hull, eps, true);
    let corners: [Point<i32>; 4] = match poly[..] {
        [a, b, c, d] => [a, b, c, d],
        _ => min_area_rect(&hull),
    };
    let pts = corners.map(|p| (p.x as f32, p.y as f32));
    let quad_area = polygon_area(&pts);
    if quad_area <= 0.0 || area < FILL * quad_area || hull_area > quad_area * 1.15 {
        return None;
    }
    for i in 0..4 {
        let (a, b, c) = (pts[(i + 3) % 4], pts[i], pts[(i + 1) % 4]);
        let (u, v) = ((a.0 - b.0, a.1 - b.1), (c.0 - b.0, c.1 - b.1));
        let cos = (u.0 * v.0 + u.1 * v.1) / (u.0.hypot(u.1) * v.0.hypot(v.1)).max(1e-6);
        if cos.clamp(-1.0, 1.0).acos().to_degrees().abs_diff_90() > CORNER_SLACK {
            return None;
        }
    }
    let side = |i: usize| {
        let (a, b) = (pts[i], pts[(i + 1) % 4]);
        (a.0 - b.0).hypot(a.1 - b.1)
    };
    let (across, down) = ((side(0) + side(2)) / 2.0, (side(1) + side(3)) / 2.0);
    // Opposite sides at most this unequal: a steep view, not a wedge.
    if side(0).min(side(2)) < 0.45 * side(0).max(side(2))
        || side(1).min(side(3)) < 0.45 * side(1).max(side(3))
    {
        return None;
    }
    let aspect = across.max(down) / across.min(down).max(1.0);
    if !(ASPECT.0..=ASPECT.1).contains(&aspect) {
        return None;
    }
    if let Fit::Bordered(edges) = fit
        && on_edges(edges, &pts) < BORDER_ON_EDGES
    {
        return None;
    }
    let ordered = top_first(clockwise(pts));
    Some(Quad {
        corners: ordered.map(|(x, y)| (x / w as f32, y / h as f32)),
        share: quad_area / (w * h) as f32,
        aspect,
    })
}

/// The share of points along the sides of the quadrilateral `pts` that lie on `edges`.
fn on_edges(edges: &GrayImage, pts: &[(f32, f32); 4]) -> f32 {
    const STEPS: usize = 40;
    let (w, h) = edges.dimensions();
    let (mut on, mut n) = (0u32, 0u32);
    for i in 0..4 {
        let (a, b) = (pts[i], pts[(i + 1) % 4]);
        for k in 0..STEPS {
            let t = (k as f32 + 0.5) / STEPS as f32;
            let (x, y) = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
            if x < 0.0 || y < 0.0 || x >= w as f32 || y >= h as f32 {
                continue;
            }
            n += 1;
            on += u32::from(edges.get_pixel(x as u32, y as u32).0[0] > 0);
        }
    }
    if n == 0 { 0.0 } else { on as f32 / n as f32 }
}

/// `pts` in clockwise order as seen on screen (y grows downwards).
fn clockwise(mut pts: [(f32, f32); 4]) -> [(f32, f32); 4] {
    let signed: f32 = (0..4)
        .map(|i| {
            let (a, b) = (pts[i], pts[(i + 1) % 4]);
            a.0 * b.1 - b.0 * a.1
        })
        .sum();
    if signed < 0.0 {
        pts.reverse();
    }
    pts
}

/// Clockwise corners rotated so that the first side runs most nearly left to right.
fn top_first(pts: [(f32, f32); 4]) -> [(f32, f32); 4] {
    let start = (0..4)
        .max_by(|&i, &j| {
            let dir = |k: usize| {
                let (a, b) = (pts[k], pts[(k + 1) % 4]);
                (b.0 - a.0) / (b.0 - a.0).hypot(b.1 - a.1).max(1e-6)
            };
            dir(i).total_cmp(&dir(j))
        })
        .unwrap_or(0);
    std::array::from_fn(|i| pts[(start + i) % 4])
}

fn polygon_area(pts: &[(f32, f32); 4]) -> f32 {
    let twice: f32 = (0..4)
        .map(|i| {
            let (a, b) = (pts[i], pts[(i + 1) % 4]);
            a.0 * b.1 - b.0 * a.1
        })
        .sum();
    twice.abs() / 2.0
}

/// Two quadrilaterals are the same document seen twice (an edge inside a card's margin):
/// one's centre lies inside the other's bounding box.
fn overlaps(a: &Quad, b: &Quad) -> bool {
    let centre = |q: &Quad| {
        let (sx, sy) = q
            .corners
            .iter()
            .fold((0.0, 0.0), |s, c| (s.0 + c.0, s.1 + c.1));
        (sx / 4.0, sy / 4.0)
    };
    let inside = |p: (f32, f32), q: &Quad| {
        let xs = q.corners.map(|c| c.0);
        let ys = q.corners.map(|c| c.1);
        let (x0, x1) = (
            xs.iter().copied().fold(1.0, f32::min),
            xs.iter().copied().fold(0.0, f32::max),
        );
        let (y0, y1) = (
            ys.iter().copied().fold(1.0, f32::min),
            ys.iter().copied().fold(0.0, f32::max),
        );
        (x0..=x1).contains(&p.0) && (y0..=y1).contains(&p.1)
    };
    inside(centre(a), b) || inside(centre(b), a)
}

trait AbsDiff90 {
    fn abs_diff_90(self) -> f32;
}

impl AbsDiff90 for f32 {
    fn abs_diff_90(self) -> f32 {
        (self - 90.0).abs()
    }
}

impl Quad {
    /// The quadrilateral's long side, in pixels of an image `w`×`h`.
    pub fn long_side(&self, w: u32, h: u32) -> f32 {
        let p = self.corners.map(|(x, y)| (x * w as f32, y * h as f32));
        (0..4)
            .map(|i| {
                let (a, b) = (p[i], p[(i + 1) % 4]);
                (a.0 - b.0).hypot(a.1 - b.1)
            })
            .fold(0.0, f32::max)
    }

    /// The nominal aspect the straightened crop gets: a passport page's or A4's 1.41, or an
    /// ID-1 card's 1.59, whichever the measured one is nearer.
    fn nominal_aspect(&self) -> f32 {
        if self.is_card() { 1.586 } else { 1.42 }
    }

    /// Nearer an ID-1 card's proportions than a page's.
    fn is_card(&self) -> bool {
        self.aspect >= 1.5
    }

    /// The quadrilateral of `rgb` warped to an upright rectangle of its nominal aspect, its
    /// long side `long` pixels, grown by a small margin (the edges found lie just inside). A
    /// card comes out landscape whatever its turn in the photo, as its print runs along its long
    /// side (upright or upside down, which OCR's angle classifier tells); a page (a passport's
    /// data page, an A4 sheet standing) keeps the way the photo shows it, turned by at most 45°.
    pub fn straighten(&self, rgb: &RgbImage, long: u32) -> Option<RgbImage> {
        let (w, h) = rgb.dimensions();
        let p = self.corners.map(|(x, y)| (x * w as f32, y * h as f32));
        let (cx, cy) = p
            .iter()
            .fold((0.0, 0.0), |s, c| (s.0 + c.0 / 4.0, s.1 + c.1 / 4.0));
        let mut grown = p.map(|(x, y)| (cx + (x - cx) * 1.03, cy + (y - cy) * 1.03));
        let side = |g: &[(f32, f32); 4], i: usize| {
            let (a, b) = (g[i], g[(i + 1) % 4]);
            (a.0 - b.0).hypot(a.1 - b.1)
        };
        let mut wide = side(&grown, 0) + side(&grown, 2) >= side(&grown, 1) + side(&grown, 3);
        if !wide && self.is_card() {
            // The left side, running up, becomes the top.
            grown.rotate_right(1);
            wide = true;
        }
        let aspect = self.nominal_aspect();
        let (ow, oh) = if wide {
            (long, (long as f32 / aspect).round() as u32)
        } else {
            ((long as f32 / aspect).round() as u32, long)
        };
        let (fw, fh) = (ow as f32, oh as f32);
        let to = [(0.0, 0.0), (fw, 0.0), (fw, fh), (0.0, fh)];
        let projection = Projection::from_control_points(grown, to)?;
        let mut out = RgbImage::new(ow.max(1), oh.max(1));
        warp_into(
            rgb,
            projection,
            Interpolation::Bilinear,
            Border::Constant(Rgb([255, 255, 255])),
            &mut out,
        );
        Some(out)
    }
}

/// `rgb` turned counter-clockwise by `degrees` onto a canvas large enough to hold all of it
/// (the corners filled grey): print that ran at that slant, clockwise from level, comes out
/// level.
pub(crate) fn level(rgb: &RgbImage, degrees: u32) -> RgbImage {
    let a = -(degrees as f32).to_radians();
    let (w, h) = (rgb.width() as f32, rgb.height() as f32);
    let (c, s) = (a.cos().abs(), a.sin().abs());
    let (ow, oh) = ((w * c + h * s).ceil(), (w * s + h * c).ceil());
    let projection = Projection::translate(ow / 2.0, oh / 2.0)
        * Projection::rotate(a)
        * Projection::translate(-w / 2.0, -h / 2.0);
    let mut out = RgbImage::new(ow as u32, oh as u32);
    warp_into(
        rgb,
        projection,
        Interpolation::Bilinear,
        Border::Constant(Rgb([128, 128, 128])),
        &mut out,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A light `cw`×`ch` card with rows of print, turned by `deg` about the centre of a
    /// cluttered 640×480 desk, at `centre` (pixels).
    fn turned_card(cw: f32, ch: f32, deg: f32, centre: (f32, f32), desk: [u8; 3]) -> RgbImage {
        let (sin, cos) = deg.to_radians().sin_cos();
        RgbImage::from_fn(640, 480, |x, y| {
            let (dx, dy) = (x as f32 - centre.0, y as f32 - centre.1);
            // Into the card's own axes.
            let (u, v) = (dx * cos + dy * sin, -dx * sin + dy * cos);
            if u.abs() <= cw / 2.0 && v.abs() <= ch / 2.0 {
                let (cu, cv) = (u + cw / 2.0, v + ch / 2.0);
                // Rows of print inside the card's margins.
                let print = (ch * 0.15..ch * 0.88).contains(&cv)
                    && (cw * 0.4..cw * 0.93).contains(&cu)
                    && (cv as u32) % 16 < 6
                    && (cu as u32) % 7 < 4;
                if print {
                    Rgb([40, 40, 50])
                } else {
                    Rgb([225, 228, 220])
                }
            } else {
                // Clutter: a coarse checker of the desk colour.
                let k = u8::from(((x / 37) + (y / 29)) % 2 == 0) * 25;
                Rgb(desk.map(|c| c.saturating_add(k)))
            }
        })
    }

    fn gray(rgb: &RgbImage) -> GrayImage {
        image::imageops::grayscale(rgb)
    }

    #[test]
    fn a_turned_card_is_found_and_straightened() {
        for deg in [0.0, 15.0, 40.0, 75.0, -30.0] {
            let img = turned_card(300.0, 189.0, deg, (320.0, 240.0), [90, 70, 50]);
            let quads = find(&gray(&img));
            assert!(!quads.is_empty(), "{deg}°: nothing found");
            let q = quads[0];
            // The thickened edges and the polygon's corners take a few pixels of 189.
            assert!((q.aspect - 1.59).abs() < 0.15, "{deg}°: {q:?}");
            assert!(
                (q.share - 300.0 * 189.0 / (640.0 * 480.0)).abs() < 0.05,
                "{deg}°: {q:?}"
            );
            let crop = q.straighten(&img, 480).unwrap();
            // On its long side, however far it was turned.
            let (cw, ch) = crop.dimensions();
            assert!(cw > ch, "{deg}°: {cw}×{ch}");
            // Nearly all card: its light ground, not the desk.
            let light = crop.pixels().filter(|p| p.0[1] > 200).count();
            assert!(
                light * 10 >= crop.len() / 3 * 6,
                "{deg}°: {light} of {}",
                crop.len() / 3
            );
        }
    }

    #[test]
    fn a_card_cut_off_by_the_frame_is_found() {
        // A ninth of its length off the right edge: what shows is still card-shaped.
        let img = turned_card(360.0, 227.0, 10.0, (500.0, 240.0), [90, 70, 50]);
        let quads = find(&gray(&img));
        assert!(!quads.is_empty());
    }

    #[test]
    fn clutter_and_a_plain_desk_hold_no_document() {
        let desk = RgbImage::from_pixel(640, 480, Rgb([120, 100, 80]));
        assert!(find(&gray(&desk)).is_empty());
        let checker = RgbImage::from_fn(640, 480, |x, y| {
            Rgb([u8::from(((x / 37) + (y / 29)) % 2 == 0) * 80 + 60; 3])
        });
        assert!(find(&gray(&checker)).is_empty());
    }
}
