//! Frontal face detection with `rustface` (SeetaFace's funnel-structured cascade), on a grey
//! copy of the image reduced to a fixed working size. The model is vendored under `models/`,
//! embedded in the binary and parsed once per process; each worker thread keeps its own
//! detector, because a `rustface` detector holds scratch buffers and is not `Sync`.
//!
//! The detector's sliding window is 40 px and its image pyramid starts at the working size, so
//! the smallest face it can see is 40 px of the working copy: the working size is what sets the
//! smallest detectable face (its `min_face_size` setting is not used by rustface 0.1.7).

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::OnceLock;

use image::RgbImage;
use rustface::{Detector, ImageData, Model};

static MODEL: &[u8] = include_bytes!("../../../models/seeta_fd_frontal_v1.0.bin");

/// Long side of the grey copy `detect` works on: faces shorter than `WINDOW / SIDE` of the
/// image's long side (10 %) are not found. Measured in docs/faces.md.
pub const SIDE: u32 = 400;
/// The detector's window: no face smaller than this (working pixels) is found.
const WINDOW: u32 = 40;
/// `detect_in` enlarges its area at most this much to reach small faces.
const MAX_UPSCALE: f64 = 2.0;
/// `detect_in` works on at most this long a side.
const AREA_SIDE: u32 = 640;

/// Detector settings, chosen by measuring on the corpus (docs/faces.md).
#[derive(Clone, Copy, Debug)]
struct Params {
    /// Long side of the grey copy the detector scans.
    side: u32,
    /// Lowest classifier score that counts as a face.
    score: f64,
    /// Scale between one pyramid level and the next.
    pyramid: f32,
    /// Step of the sliding window, in pixels.
    step: u32,
}

const PARAMS: Params = Params {
    side: SIDE,
    score: 2.0,
    pyramid: 0.7,
    step: 4,
};

/// Why faces could not be looked for.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FaceError {
    #[error("the face model could not be loaded: {0}")]
    ModelLoad(String),
    #[error("the face detector failed on this image")]
    Panicked,
}

/// A face in the coordinates of the image given to `detect`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Face {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    /// The detector's score; higher is surer (faces below the threshold are not returned).
    pub score: f64,
}

impl Face {
    /// Centre of the face box.
    pub fn centre(&self) -> (f64, f64) {
        (
            f64::from(self.x) + f64::from(self.width) / 2.0,
            f64::from(self.y) + f64::from(self.height) / 2.0,
        )
    }

    /// True when the boxes of `self` and `other` share any pixel.
    pub fn overlaps(&self, other: &Face) -> bool {
        self.x < other.x + other.width
            && other.x < self.x + self.width
            && self.y < other.y + other.height
            && other.y < self.y + self.height
    }
}

/// A rectangle of an image, in its pixel coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Area {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// The process-wide parsed model.
fn model() -> Result<&'static Model, FaceError> {
    static M: OnceLock<Result<Model, String>> = OnceLock::new();
    M.get_or_init(|| rustface::read_model(MODEL).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| FaceError::ModelLoad(e.clone()))
}

/// Faces in `rgb` at least 10 % of its long side high, largest first.
pub fn detect(rgb: &RgbImage) -> Result<Vec<Face>, FaceError> {
    detect_with(rgb, PARAMS)
}

/// Faces in the whole of `rgb` with the detector settings `p`.
fn detect_with(rgb: &RgbImage, p: Params) -> Result<Vec<Face>, FaceError> {
    let (w, h) = rgb.dimensions();
    let all = Area {
        x: 0,
        y: 0,
        width: w,
        height: h,
    };
    let scale = (f64::from(p.side) / f64::from(w.max(h).max(1))).min(1.0);
    run(rgb, all, scale, 0, p)
}

/// Faces inside `area` of `rgb` whose height is about `min_height` to `max_height` pixels of
/// `rgb`, largest first. The area is enlarged (at most 2×) so that `min_height` reaches the
/// detector's 40 px window, unless that would make it longer than 640 px; smaller faces are
/// then missed.
pub fn detect_in(
    rgb: &RgbImage,
    area: Area,
    min_height: u32,
    max_height: u32,
) -> Result<Vec<Face>, FaceError> {
    let x = area.x.min(rgb.width());
    let y = area.y.min(rgb.height());
    let area = Area {
        x,
        y,
        width: area.width.min(rgb.width() - x),
        height: area.height.min(rgb.height() - y),
    };
    let long = f64::from(area.width.max(area.height).max(1));
    let scale = (f64::from(WINDOW) / f64::from(min_height.max(1)))
        .min(MAX_UPSCALE)
        .min(f64::from(AREA_SIDE) / long);
    let max_face = (f64::from(max_height) * scale).round() as u32;
    if max_face < WINDOW {
        return Ok(Vec::new());
    }
    run(rgb, area, scale, max_face, PARAMS)
}

/// Detects faces in `area` of `rgb` resized by `scale`; `max_face` (working pixels, 0 for no
/// limit) stops the image pyramid early.
fn run(
    rgb: &RgbImage,
    area: Area,
    scale: f64,
    max_face: u32,
    p: Params,
) -> Result<Vec<Face>, FaceError> {
    let model = model()?;
    let gw = (f64::from(area.width) * scale).round() as u32;
    let gh = (f64::from(area.height) * scale).round() as u32;
    if gw.min(gh) < WINDOW {
        return Ok(Vec::new());
    }
    let crop = image::imageops::crop_imm(rgb, area.x, area.y, area.width, area.height);
    let gray = image::imageops::grayscale(&*crop);
    let gray = if (gw, gh) == gray.dimensions() {
        gray
    } else if scale < 1.0 {
        image::imageops::thumbnail(&gray, gw, gh)
    } else {
        image::imageops::resize(&gray, gw, gh, image::imageops::FilterType::Triangle)
    };
    thread_local! {
        static DETECTOR: RefCell<Option<Box<dyn Detector>>> = const { RefCell::new(None) };
    }
    let found = DETECTOR.with_borrow_mut(|slot| {
        let det = slot.get_or_insert_with(|| rustface::create_detector_with_model(model.clone()));
        det.set_score_thresh(p.score);
        det.set_pyramid_scale_factor(p.pyramid);
        det.set_slide_window_step(p.step, p.step);
        det.set_max_face_size(max_face);
        let img = ImageData::new(gray.as_raw(), gw, gh);
        // rustface indexes raw buffers in unsafe code: a panic here must not end the scan.
        let run = panic::catch_unwind(AssertUnwindSafe(|| det.detect(&img)));
        if run.is_err() {
            // Its scratch state may be inconsistent now; start afresh next time.
            *slot = None;
        }
        run
    });
    let found = found.map_err(|_| FaceError::Panicked)?;
    let (sx, sy) = (
        f64::from(area.width) / f64::from(gw),
        f64::from(area.height) / f64::from(gh),
    );
    let mut faces: Vec<Face> = found
        .iter()
        .filter_map(|f| {
            let b = f.bbox();
            // Clip to the working image, then map to `rgb`'s coordinates.
            let x0 = f64::from(b.x().max(0));
            let y0 = f64::from(b.y().max(0));
            let x1 = (f64::from(b.x()) + f64::from(b.width())).min(f64::from(gw));
            let y1 = (f64::from(b.y()) + f64::from(b.height())).min(f64::from(gh));
            (x1 > x0 && y1 > y0).then(|| Face {
                x: area.x + (x0 * sx).round() as u32,
                y: area.y + (y0 * sy).round() as u32,
                width: ((x1 - x0) * sx).round() as u32,
                height: ((y1 - y0) * sy).round() as u32,
                score: f.score(),
            })
        })
        .collect();
    faces.sort_by_key(|f| std::cmp::Reverse(f.height));
    Ok(faces)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use std::path::PathBuf;

    /// A test fixture: the file `rel` under the repository's `tests/data/` (listed with its
    /// source and licence in `tests/data/SOURCES.md`).
    fn fixture(rel: &str) -> PathBuf {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(rel);
        assert!(p.exists(), "fixture missing: {}", p.display());
        p
    }

    /// The images of the folder `$FACE_DIR` (default: the fixtures' `detect/negative`; for a
    /// measurement, a folder of the evaluation corpus) whose names contain `$FACE_FILTER`,
    /// reduced to at most 1000 px as the decoder's working copy is.
    pub(in crate::scan::content) fn measured_images() -> Vec<(String, RgbImage)> {
        let dir =
            std::env::var_os("FACE_DIR").map_or_else(|| fixture("detect/negative"), PathBuf::from);
        let filter = std::env::var("FACE_FILTER").unwrap_or_default();
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.contains(&filter))
            .collect();
        names.sort();
        let mut out = Vec::new();
        for name in names {
            let Ok(img) = open_oriented(&dir.join(&name)) else {
                continue;
            };
            let rgb = img.into_rgb8();
            let (w, h) = crate::media::decode::fit(rgb.width(), rgb.height(), 1000);
            let rgb = if rgb.width().max(rgb.height()) > 1000 {
                image::imageops::thumbnail(&rgb, w, h)
            } else {
                rgb
            };
            out.push((name, rgb));
        }
        out
    }

    /// An image file decoded and turned upright by its EXIF orientation.
    fn open_oriented(p: &std::path::Path) -> image::ImageResult<image::DynamicImage> {
        use image::ImageDecoder;
        let mut dec = image::ImageReader::open(p)?
            .with_guessed_format()?
            .into_decoder()?;
        let o = dec.orientation()?;
        let mut img = image::DynamicImage::from_decoder(dec)?;
        img.apply_orientation(o);
        Ok(img)
    }

    /// A fixture image, decoded.
    pub(in crate::scan::content) fn load(rel: &str) -> RgbImage {
        image::open(fixture(rel)).unwrap().into_rgb8()
    }

    #[test]
    #[ignore = "measurement: prints faces and timings for the images in FACE_DIR under FACE_* settings"]
    fn measure() {
        let env = |k: &str, d: f64| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(d)
        };
        let p = Params {
            side: env("FACE_SIDE", f64::from(PARAMS.side)) as u32,
            score: env("FACE_SCORE", PARAMS.score),
            pyramid: env("FACE_PYRAMID", f64::from(PARAMS.pyramid)) as f32,
            step: env("FACE_STEP", f64::from(PARAMS.step)) as u32,
        };
        // Parse the model and build this thread's detector before timing.
        detect(&RgbImage::new(64, 64)).unwrap();
        let mut total = std::time::Duration::ZERO;
        let mut n = 0;
        for (name, rgb) in measured_images() {
            let t = std::time::Instant::now();
            let faces = detect_with(&rgb, p).unwrap();
            let dt = t.elapsed();
            total += dt;
            n += 1;
            let desc: Vec<String> = faces
                .iter()
                .map(|f| format!("{}x{}@{},{} s{:.1}", f.width, f.height, f.x, f.y, f.score))
                .collect();
            println!(
                "{name} {}x{} {:.0}ms {} [{}]",
                rgb.width(),
                rgb.height(),
                dt.as_secs_f64() * 1000.0,
                faces.len(),
                desc.join("; ")
            );
        }
        println!(
            "{p:?}: {n} images, {:.1} ms/image",
            total.as_secs_f64() * 1000.0 / n as f64
        );
    }

    #[test]
    fn portraits_yield_their_faces() {
        // Counted by looking at the pictures: frontal faces large enough to recognise.
        for (name, n) in [
            ("facerec__alex-lacamoire.png", 1),
            ("facerec__biden.jpg", 1),
            ("facerec__img2.jpg", 1),
            ("facerec__john1.jpeg", 1),
            ("facerec__johnsnow_test1.jpg", 1),
            ("facerec__obama.jpg", 1),
            ("facerec__kit_with_rose.jpg", 2),
            ("facerec__obama_and_biden.jpg", 2),
        ] {
            let faces = detect(&load(&format!("detect/negative/{name}"))).unwrap();
            assert_eq!(faces.len(), n, "{name}: {faces:?}");
        }
    }

    #[test]
    fn cards_and_receipts_have_no_faces() {
        for name in [
            "synth/business_card.jpg",
            "synth/bank_card.jpg",
            "detect/negative/kbcc__creditcard1.png",
            "detect/negative/kbcc__creditcard2.jpeg",
            "synth/receipt.jpg",
            "detect/negative/easyocr__chinese.jpg",
            "detect/negative/easyocr__example.png",
            "synth/app_screenshot.png",
        ] {
            let faces = detect(&load(name)).unwrap();
            assert!(faces.is_empty(), "{name}: {faces:?}");
        }
    }

    #[test]
    fn boxes_are_in_the_callers_coordinates() {
        let big = load("detect/negative/facerec__obama.jpg");
        let (w, h) = big.dimensions();
        let small = image::imageops::thumbnail(&big, w / 2, h / 2);
        let a = detect(&big).unwrap()[0];
        let b = detect(&small).unwrap()[0];
        let (ax, ay) = a.centre();
        let (bx, by) = b.centre();
        let tol = f64::from(a.height) * 0.1;
        assert!(
            (ax - 2.0 * bx).abs() < tol && (ay - 2.0 * by).abs() < tol,
            "{a:?} {b:?}"
        );
        assert!((f64::from(a.height) - 2.0 * f64::from(b.height)).abs() < 2.0 * tol);
        // The same face found inside an area of the image, at the same place.
        let area = Area {
            x: a.x / 2,
            y: a.y / 2,
            width: w - a.x / 2,
            height: h - a.y / 2,
        };
        let c = detect_in(&big, area, a.height / 2, a.height * 2).unwrap();
        let (cx, cy) = c.first().expect("face in the area").centre();
        assert!(
            (ax - cx).abs() < tol && (ay - cy).abs() < tol,
            "{a:?} {c:?}"
        );
        // An area holding none of the face finds nothing.
        let below = Area {
            x: 0,
            y: a.y + a.height,
            width: w,
            height: h - a.y - a.height,
        };
        assert_eq!(detect_in(&big, below, 40, a.height).unwrap(), Vec::new());
    }

    #[test]
    fn tiny_flat_and_odd_images_are_no_trouble() {
        for (w, h) in [(1, 1), (10, 10), (39, 500), (40, 40), (3000, 41)] {
            let img = RgbImage::from_pixel(w, h, image::Rgb([128, 128, 128]));
            assert_eq!(detect(&img).unwrap(), Vec::new(), "{w}x{h}");
        }
        // Noise at sizes around the detector's window and pyramid steps: no panic, no error.
        let mut noise = crate::testutil::Noise::new(0x2545_f491);
        for w in (38..=70).step_by(4) {
            for h in [38, 40, 41, 45, 50, 64, 99] {
                let img = RgbImage::from_fn(w, h, |_, _| {
                    let v = noise.next_u64();
                    image::Rgb([v as u8, (v >> 8) as u8, (v >> 16) as u8])
                });
                detect(&img).unwrap();
                let all = Area {
                    x: 0,
                    y: 0,
                    width: w,
                    height: h,
                };
                detect_in(&img, all, 20, 200).unwrap();
            }
        }
        let img = RgbImage::from_pixel(100, 100, image::Rgb([0, 0, 0]));
        let outside = Area {
            x: 500,
            y: 500,
            width: 100,
            height: 100,
        };
        assert_eq!(detect_in(&img, outside, 10, 50).unwrap(), Vec::new());
    }
}
