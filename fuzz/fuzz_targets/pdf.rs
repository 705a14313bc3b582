//! Fuzz target: reading a PDF for content analysis (`media::pdf::pages::read`: lopdf with the
//! per-stream inflate bound, then the page, image and text walk). Encrypted and broken files
//! are errors; any panic, or a result over the page and image bounds, is a bug.
#![no_main]

use idvault::fuzzing::media::pdf::pages as pdf;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(p) = pdf::read(data) {
        assert!(p.pages.len() <= pdf::MAX_PAGES);
        let images: usize = p.pages.iter().map(|page| page.images.len()).sum();
        assert!(images <= pdf::MAX_IMAGES);
    }
});
