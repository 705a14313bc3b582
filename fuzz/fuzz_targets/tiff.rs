//! Fuzz target: the TIFF/DNG IFD editor, both byte orders.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let magic: &[u8] = if data.first().is_some_and(|b| b & 1 == 1) {
        b"MM\0*"
    } else {
        b"II*\0"
    };
    idvault_fuzz::run(magic, data.get(1..).unwrap_or_default());
});
