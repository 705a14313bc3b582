//! Documents inside PDFs and recordings as the evaluation sets of `bench/detect-media.sh` show
//! them (issue 23): each test builds its file in-process and scans it with the real binary.

use image::{GrayImage, Luma, imageops};
use lopdf::dictionary;

use crate::content::scan;
use crate::formats::{
    filtered_xobject, group4, jbig2_page, passport_jpeg, passports_read_on_page_1, pdf,
};
use crate::util::{TestDir, findings_by_path};

/// An A4 page scanned in black and white at 200 dpi (1654 × 2339) with the specimen passport at
/// its real size (125 mm, 984 px) on it, thresholded against the mean of each pixel's
/// neighbourhood as scanner apps binarise; `true` is black.
fn a4_scan_of_the_passport() -> (u32, u32, Vec<bool>) {
    let (w, h) = (1654, 2339);
    let passport = image::open(passport_jpeg()).unwrap().into_luma8();
    let width = 984;
    let height = passport.height() * width / passport.width();
    let shown = imageops::resize(&passport, width, height, imageops::FilterType::Lanczos3);
    let mut page = GrayImage::from_pixel(w, h, Luma([250]));
    imageops::overlay(&mut page, &shown, 157, 400);
    let local = imageops::fast_blur(&page, 8.0);
    let pels = page
        .pixels()
        .zip(local.pixels())
        .map(|(p, m)| m.0[0].saturating_sub(p.0[0]) > 10)
        .collect();
    (w, h, pels)
}

/// A scanner app's black-and-white page (CCITT G4, and the same page as JBIG2) holding a
/// passport at its real size is read: its 1-bit strokes, shrunk to the working copy as they
/// are, showed only an outline (0.45); softened to grey they show the zone.
#[test]
fn a_black_and_white_a4_scan_of_a_passport_is_read() {
    let t = TestDir::new();
    let (w, h, pels) = a4_scan_of_the_passport();
    let g4 = group4(w, &pels);
    let parms = dictionary! { "K" => -1, "Columns" => w as i64, "Rows" => h as i64 };
    let fax = filtered_xobject("CCITTFaxDecode", w, h, 1, Some(parms), g4.clone());
    t.write("in/scan-bw.pdf", &pdf(Some(fax), &[], false));
    let jbig2 = filtered_xobject("JBIG2Decode", w, h, 1, None, jbig2_page(w, h, &g4));
    t.write("in/scan-bw-jbig2.pdf", &pdf(Some(jbig2), &[], false));

    let out = scan(&t.path().join("in"), &t.path().join("cache"), &[]);
    let found = findings_by_path(&out, &t.path().join("in"));
    passports_read_on_page_1(&found, &["scan-bw.pdf", "scan-bw-jbig2.pdf"]);
}
