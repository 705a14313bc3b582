//! The ID-selfie judgement: a photo of a person holding an identity document near their face,
//! as identity-verification services ask for. It shows one large face (the holder) and either
//! a much smaller face outside it, lower down (the document's own portrait), or a document
//! whose text OCR read beside a face too large to be that document's portrait.
//!
//! The rules are deliberately conservative: a second face of similar size (a group photo, or a
//! detector unsure which face is the holder), small faces scattered around (a crowd) or a small
//! face above the holder's eyes (someone in the background) mean "not an ID selfie".

use image::RgbImage;

use super::face::{self, Area, Face, FaceError};
use super::ocr::TextLine;

/// The holder's face is at least this fraction of the image's long side high.
const MIN_HOLDER: f64 = 0.1;
/// A document portrait is at most this fraction of the holder's face height; any other face
/// taller than this makes the image a group photo.
const SMALL_MAX: f64 = 0.45;
/// Faces smaller than this fraction of the holder's are not looked for, and ignored when
/// found: too small to be a held document's portrait or to tell anything.
const SMALL_MIN: f64 = 0.1;
/// A portrait is looked for this many holder-face widths to either side of the holder's face...
const REACH: f64 = 2.5;
/// ...and down to this many holder-face heights below its centre.
const DROP: f64 = 4.0;
/// A document counts as held up when the holder's face is at least this fraction of the long
/// side of the document's text, and outside it; a document's own portrait is far smaller than
/// its text block.
const HELD_MIN: f64 = 0.7;

/// Where a document's text is, in the coordinates of the image given to `look` or `judge`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Region {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

impl Region {
    /// The bounding box of OCR text lines; `None` for no lines.
    pub fn around(lines: &[TextLine]) -> Option<Region> {
        let mut pts = lines.iter().flat_map(|l| l.rect.corners());
        let first = pts.next()?;
        let (mut x0, mut y0, mut x1, mut y1) = (first.x, first.y, first.x, first.y);
        for p in pts {
            x0 = x0.min(p.x);
            y0 = y0.min(p.y);
            x1 = x1.max(p.x);
            y1 = y1.max(p.y);
        }
        Some(Region {
            x: x0,
            y: y0,
            width: x1 - x0,
            height: y1 - y0,
        })
    }
}

/// An ID selfie, with what showed it.
#[derive(Clone, Debug, PartialEq)]
pub struct Selfie {
    /// The large face: the person holding the document.
    pub holder: Face,
    /// The document's portrait, when it was seen as a face.
    pub portrait: Option<Face>,
    /// How strongly this alone supports "ID selfie", 0–1.
    pub weight: f32,
    /// What was seen, for people.
    pub reason: String,
}

/// Looks for the faces of an ID selfie in `rgb` and judges them. `document` is, when OCR
/// confirmed an identity document in `rgb`, the box around all the text lines it read there
/// ([`Region::around`]; in `rgb`'s coordinates, so not from a reading of the image turned), or
/// `None` when no document was confirmed or OCR did not run.
///
/// The whole image is searched for the holder's face first (`face::detect`); only when a large
/// face is there, with no other face of similar size and no portrait seen yet, is the area
/// beside and below it searched again, enlarged, for a portrait down to a tenth of its size.
pub fn look(rgb: &RgbImage, document: Option<Region>) -> Result<Option<Selfie>, FaceError> {
    let dims = rgb.dimensions();
    let mut faces = face::detect(rgb)?;
    let Some(holder) = largest(&faces).filter(|h| large_enough(h, dims)).copied() else {
        return Ok(None);
    };
    let hh = f64::from(holder.height);
    let group = faces
        .iter()
        .any(|f| *f != holder && f64::from(f.height) > SMALL_MAX * hh);
    let first = judge(&faces, dims, document);
    if group || first.as_ref().is_some_and(|s| s.portrait.is_some()) {
        return Ok(first);
    }
    // The portrait may be too small for the first pass: search where a held card would be.
    let hw = f64::from(holder.width);
    let (_, cy) = holder.centre();
    let x0 = (f64::from(holder.x) - REACH * hw).max(0.0);
    let x1 = (f64::from(holder.x) + (REACH + 1.0) * hw).min(f64::from(dims.0));
    let y1 = (cy + DROP * hh).min(f64::from(dims.1));
    let area = Area {
        x: x0 as u32,
        y: cy as u32,
        width: (x1 - x0) as u32,
        height: (y1 - cy).max(0.0) as u32,
    };
    let small = face::detect_in(
        rgb,
        area,
        (SMALL_MIN * hh).round() as u32,
        (SMALL_MAX * hh).round() as u32,
    )?;
    for f in small {
        // The second pass saw small faces larger and sharper: its box replaces the first one's.
        match faces.iter().position(|g| g.overlaps(&f)) {
            None => faces.push(f),
            Some(i) if faces[i] != holder => faces[i] = f,
            Some(_) => {}
        }
    }
    Ok(judge(&faces, dims, document))
}

/// Judges faces found in an image of `dims` (width, height); `document` as for [`look`].
pub fn judge(faces: &[Face], dims: (u32, u32), document: Option<Region>) -> Option<Selfie> {
    let holder = *largest(faces).filter(|h| large_enough(h, dims))?;
    let hh = f64::from(holder.height);
    let others: Vec<&Face> = faces.iter().filter(|f| **f != holder).collect();
    if others.iter().any(|f| f64::from(f.height) > SMALL_MAX * hh) {
        return None;
    }
    let (portraits, strays): (Vec<&Face>, Vec<&Face>) = others
        .iter()
        .filter(|f| f64::from(f.height) >= SMALL_MIN * hh)
        .partition(|f| is_portrait(f, &holder));
    // One portrait, or two close together (a card's ghost image beside its photo).
    let portrait = match portraits.as_slice() {
        [p] => Some(**p),
        [p, q] if close(p, q) => Some(if p.height >= q.height { **p } else { **q }),
        _ => None,
    };
    let pattern = portrait.filter(|_| strays.is_empty());
    let held = match document {
        None => false,
        Some(r) => {
            let extent = f64::from(r.width.max(r.height));
            let (cx, cy) = holder.centre();
            let inside = (f64::from(r.x)..=f64::from(r.x + r.width)).contains(&cx)
                && (f64::from(r.y)..=f64::from(r.y + r.height)).contains(&cy);
            if hh < HELD_MIN * extent || inside {
                // The large face is the document's own portrait (small beside its text, or
                // amid it): a photo of the document.
                return None;
            }
            true
        }
    };
    let (weight, reason) = match (pattern, held) {
        (Some(_), true) => (
            0.9,
            "a large face and, below its eyes, a face less than half its size, as on an identity document held up to the camera; the document's text was read beside the large face",
        ),
        (None, true) => (
            0.75,
            "a large face beside an identity document whose text was read, the document too small for the face to be its portrait: a person holding up their document",
        ),
        (Some(_), false) => (
            0.6,
            "a large face and, below its eyes, a face less than half its size, as on an identity document held up to the camera",
        ),
        (None, false) => return None,
    };
    Some(Selfie {
        holder,
        portrait: pattern,
        weight,
        reason: reason.into(),
    })
}

fn largest(faces: &[Face]) -> Option<&Face> {
    faces.iter().max_by_key(|f| f.height)
}

fn large_enough(f: &Face, (w, h): (u32, u32)) -> bool {
    f64::from(f.height) >= MIN_HOLDER * f64::from(w.max(h))
}

/// A face that could be the portrait on a document held by `holder` (given one no smaller than
/// `SMALL_MIN` of it): no larger than `SMALL_MAX` of it, outside the holder's face, its centre
/// below the holder's eyes and within reach of the holder's hands.
fn is_portrait(f: &Face, holder: &Face) -> bool {
    let hh = f64::from(holder.height);
    let size = f64::from(f.height);
    let (fx, fy) = f.centre();
    let (hx, hy) = holder.centre();
    size <= SMALL_MAX * hh
        && !f.overlaps(holder)
        && fy > hy
        && (fx - hx).abs() <= (REACH + 0.5) * f64::from(holder.width)
}

/// Two faces near each other: centres within three times the larger one's height.
fn close(a: &Face, b: &Face) -> bool {
    let (ax, ay) = a.centre();
    let (bx, by) = b.centre();
    let d = ((ax - bx).powi(2) + (ay - by).powi(2)).sqrt();
    d <= 3.0 * f64::from(a.height.max(b.height))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::content::face::tests::{load, measured_images};

    #[test]
    #[ignore = "measurement: prints selfie findings and timings for the images in FACE_DIR"]
    fn measure() {
        face::detect(&RgbImage::new(64, 64)).unwrap();
        let (mut total, mut n, mut hits) = (std::time::Duration::ZERO, 0, 0);
        for (name, rgb) in measured_images() {
            let t = std::time::Instant::now();
            let s = look(&rgb, None).unwrap();
            total += t.elapsed();
            n += 1;
            if let Some(s) = s {
                hits += 1;
                println!("{name}: {:.2} {:?} {:?}", s.weight, s.holder, s.portrait);
            }
        }
        println!(
            "{hits} selfies in {n} images, {:.1} ms/image",
            total.as_secs_f64() * 1000.0 / f64::from(n)
        );
    }

    fn face(x: u32, y: u32, size: u32) -> Face {
        Face {
            x,
            y,
            width: size,
            height: size,
            score: 10.0,
        }
    }

    const DIMS: (u32, u32) = (900, 1200);

    #[test]
    fn a_large_face_with_a_small_one_below_is_a_selfie() {
        let s = judge(&[face(300, 100, 300), face(350, 700, 80)], DIMS, None).unwrap();
        assert_eq!(s.portrait, Some(face(350, 700, 80)));
        assert!(s.weight >= 0.5 && s.weight < 0.75, "{s:?}");
    }

    #[test]
    fn group_photos_and_background_faces_are_not() {
        // Two faces of similar size.
        assert_eq!(
            judge(&[face(100, 100, 250), face(500, 120, 220)], DIMS, None),
            None
        );
        // A small face above the holder's eyes: someone further away.
        assert_eq!(
            judge(&[face(300, 300, 300), face(650, 100, 80)], DIMS, None),
            None
        );
        // A small face inside the large one is not a second face.
        assert_eq!(
            judge(&[face(300, 100, 300), face(350, 250, 80)], DIMS, None),
            None
        );
        // A crowd: several small faces around.
        let crowd = [
            face(300, 100, 300),
            face(20, 700, 80),
            face(700, 750, 70),
            face(350, 1000, 60),
        ];
        assert_eq!(judge(&crowd, DIMS, None), None);
        // A lone face with nothing else.
        assert_eq!(judge(&[face(300, 100, 300)], DIMS, None), None);
        // Faces too small to be a holder in front of the camera.
        assert_eq!(
            judge(&[face(300, 100, 60), face(310, 300, 20)], DIMS, None),
            None
        );
    }

    #[test]
    fn a_read_document_decides_between_holder_and_portrait() {
        let held = Region {
            x: 250.0,
            y: 700.0,
            width: 300.0,
            height: 120.0,
        };
        let s = judge(&[face(300, 100, 300)], DIMS, Some(held)).unwrap();
        assert_eq!(s.portrait, None);
        assert!(s.weight >= 0.7, "{s:?}");
        let both = judge(&[face(300, 100, 300), face(350, 700, 80)], DIMS, Some(held)).unwrap();
        assert!(both.weight > s.weight, "{both:?}");
        // A photo of the document itself: its portrait is small beside its text, and a
        // ghost image beside the portrait does not make it a selfie.
        let page = Region {
            x: 50.0,
            y: 100.0,
            width: 800.0,
            height: 560.0,
        };
        assert_eq!(judge(&[face(80, 250, 200)], DIMS, Some(page)), None);
        // Text read above and below a face makes it the document's portrait, whatever its size.
        let around = Region {
            x: 250.0,
            y: 50.0,
            width: 400.0,
            height: 500.0,
        };
        assert_eq!(judge(&[face(300, 100, 300)], DIMS, Some(around)), None);
        assert_eq!(
            judge(&[face(80, 250, 200), face(600, 400, 80)], DIMS, Some(page)),
            None
        );
    }

    #[test]
    fn a_document_with_a_ghost_portrait_is_not_a_selfie_once_its_text_is_read() {
        // ID cards carry the holder's portrait and, lower right, a small ghost image of it: by
        // faces alone such a card looks like a card held below a face.
        let img = ghost_card("detect/negative/facerec__obama.jpg");
        let (w, h) = img.dimensions();
        let by_faces = look(&img, None).unwrap().expect("portrait and ghost image");
        assert!(
            by_faces.portrait.is_some() && by_faces.weight < 0.75,
            "{by_faces:?}"
        );
        // Read, the card's text spans the card, which fills this render.
        let card = Region {
            x: 0.0,
            y: 0.0,
            width: w as f32,
            height: h as f32,
        };
        assert_eq!(look(&img, Some(card)).unwrap(), None);
    }

    #[test]
    fn the_region_around_text_lines_holds_their_corners() {
        use rten_imageproc::{PointF, RotatedRect, Vec2};
        let line = |x: f32, y: f32, w: f32, up: Vec2| TextLine {
            rect: RotatedRect::new(PointF::from_yx(y, x), up, w, 20.0),
            text: "x".into(),
        };
        assert_eq!(Region::around(&[]), None);
        let upright = Vec2::from_yx(-1.0, 0.0);
        let r = Region::around(&[
            line(100.0, 50.0, 100.0, upright),
            line(300.0, 200.0, 40.0, upright),
        ])
        .unwrap();
        assert_eq!((r.x, r.y, r.width, r.height), (50.0, 40.0, 270.0, 170.0));
        // A line turned by 90°: its width runs down the image.
        let turned = Region::around(&[line(0.0, 0.0, 100.0, Vec2::from_yx(0.0, 1.0))]).unwrap();
        assert!((turned.height - 100.0).abs() < 1e-3 && (turned.width - 20.0).abs() < 1e-3);
    }

    /// A blank ID card (a pale wash, as the drawn card backgrounds of `tests/synth`).
    fn blank_card() -> RgbImage {
        RgbImage::from_fn(1000, 631, |_, y| {
            let t = y as f32 / 631.0;
            image::Rgb([
                (226.0 + 10.0 * t) as u8,
                (236.0 - 4.0 * t) as u8,
                (240.0 - 18.0 * t) as u8,
            ])
        })
    }

    /// The head and shoulders around the largest face of the fixture `rel`, as on an ID photo.
    fn id_photo(rel: &str) -> RgbImage {
        let src = load(rel);
        let pf = face::detect(&src).unwrap()[0];
        let (cx, _) = pf.centre();
        let (pw, ph) = (f64::from(pf.width) * 1.6, f64::from(pf.height) * 2.1);
        let px = (cx - pw / 2.0).max(0.0) as u32;
        let py = (f64::from(pf.y) - f64::from(pf.height) * 0.5).max(0.0) as u32;
        image::imageops::crop_imm(&src, px, py, pw as u32, ph as u32).to_image()
    }

    /// A card filling the image, with the portrait of `portrait_rel` on the left and its ghost
    /// image, 40 % of its size, lower down towards the middle.
    fn ghost_card(portrait_rel: &str) -> RgbImage {
        use image::imageops::{FilterType, overlay, resize};
        let mut card = blank_card();
        let photo = id_photo(portrait_rel);
        overlay(
            &mut card,
            &resize(&photo, 300, 390, FilterType::Triangle),
            40,
            150,
        );
        overlay(
            &mut card,
            &resize(&photo, 120, 156, FilterType::Triangle),
            480,
            420,
        );
        card
    }

    /// `holder_rel` with an ID card held below the face: a blank card (a pale wash, as the drawn
    /// card backgrounds of `tests/synth`) with a small copy of the face in `portrait_rel` in its
    /// photo area, where the Chinese ID card has it.
    fn composite(holder_rel: &str, portrait_rel: &str, shift: f64) -> RgbImage {
        use image::imageops::{FilterType, overlay, resize};
        let mut scene = load(holder_rel);
        let holder = face::detect(&scene).unwrap()[0];
        let photo = id_photo(portrait_rel);
        let mut card = blank_card();
        let (w, h) = card.dimensions();
        let (x0, y0) = ((0.62 * f64::from(w)) as u32, (0.12 * f64::from(h)) as u32);
        let (aw, ah) = ((0.3 * f64::from(w)) as u32, (0.62 * f64::from(h)) as u32);
        overlay(
            &mut card,
            &resize(&photo, aw, ah, FilterType::Triangle),
            x0.into(),
            y0.into(),
        );
        let cw = f64::from(holder.width) * 1.3;
        let card = resize(
            &card,
            cw as u32,
            (cw * f64::from(h) / f64::from(w)) as u32,
            FilterType::Triangle,
        );
        let (hx, _) = holder.centre();
        let x = (hx - cw / 2.0 + shift * cw) as i64;
        let y = i64::from(holder.y) + (f64::from(holder.height) * 1.25) as i64;
        assert!(y + i64::from(card.height()) <= i64::from(scene.height()));
        overlay(&mut scene, &card, x, y);
        scene
    }

    #[test]
    fn a_portrait_with_a_card_held_below_is_a_selfie() {
        for (holder, portrait, shift) in [
            ("facerec__obama.jpg", "facerec__img2.jpg", 0.0),
            ("facerec__johnsnow_test1.jpg", "facerec__biden.jpg", 0.4),
            ("facerec__img2.jpg", "facerec__obama.jpg", -0.3),
        ] {
            let img = composite(
                &format!("detect/negative/{holder}"),
                &format!("detect/negative/{portrait}"),
                shift,
            );
            let s = look(&img, None).unwrap();
            let s = s.unwrap_or_else(|| panic!("{holder} holding {portrait}: no selfie"));
            assert!(s.portrait.is_some(), "{s:?}");
            assert!(s.weight >= 0.5, "{s:?}");
        }
    }

    #[test]
    fn plain_portraits_and_group_photos_are_not_selfies() {
        for name in [
            "facerec__obama.jpg",
            "facerec__biden.jpg",
            "facerec__img2.jpg",
            "facerec__johnsnow_test1.jpg",
            "facerec__obama_and_biden.jpg",
            "facerec__kit_with_rose.jpg",
        ] {
            let img = load(&format!("detect/negative/{name}"));
            assert_eq!(look(&img, None).unwrap(), None, "{name}");
        }
    }
}
