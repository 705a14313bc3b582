//! Feeds arbitrary text to the OCR-text confirmers (MRZ, Chinese ID number, keywords): none may
//! panic, and none may let more of a document number out than its mask shows.
//!
//! Run with `cargo +nightly fuzz run confirmers` from the repository root.

#![no_main]

use idvault::fuzzing::scan::content::{cnid, keywords, mrz};
use libfuzzer_sys::fuzz_target;

fn shown(masked: &str) -> usize {
    masked.chars().filter(|&c| c != '*').count()
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.lines().collect();
    if let Some(m) = mrz::find(&lines) {
        assert!(shown(&m.number_masked) <= 4);
        assert_eq!(m.all_checks_ok, m.checks.iter().all(|c| c.ok));
    }
    let _ = mrz::upside_down(&lines);
    let _ = mrz::check_digit(&text);
    if let Some(id) = cnid::find(&text) {
        assert!(shown(&id.masked) <= 4);
    }
    let _ = cnid::check_char(&text);
    let hits = keywords::scan(&text);
    if let Some((_, confidence, _)) = keywords::decide(&hits) {
        assert!((0.0..=1.0).contains(&confidence));
    }
});
