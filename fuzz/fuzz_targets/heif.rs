//! Fuzz target: the HEIF item-table rewriter.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    idvault_fuzz::run(&idvault_fuzz::ftyp(b"heic"), data);
});
