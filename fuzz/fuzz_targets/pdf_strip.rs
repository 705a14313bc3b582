//! Fuzz target: the PDF metadata strip (`metadata::strip` on a PDF: lopdf load, removal of the
//! Info dictionary, XMP streams and PieceInfo, full rewrite, and the verification that compares
//! everything reachable from the catalog). Errors are expected; a panic, or an accepted output
//! that does not strip again to itself, is a bug.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    idvault_fuzz::run(b"%PDF-1.", data);
});
