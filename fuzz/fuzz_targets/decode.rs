//! Fuzz target: decoding pixels for content analysis (jpeg-decoder, and the `image` crate for
//! PNG, WebP, GIF, TIFF and BMP) with the decompression-bomb limits. The file's own magic bytes
//! pick the decoder, as in `scan`. Any panic or out-of-memory is a bug; errors are expected.
#![no_main]

use idvault::fuzzing::media::sniff;
use idvault::fuzzing::media::decode;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(t) = sniff::sniff(data) else {
        return;
    };
    if let Ok(d) = decode::decode(data, t, Some(6)) {
        assert!(d.rgb.width().max(d.rgb.height()) <= decode::MAX_SIDE);
        assert!(u64::from(d.full_width) * u64::from(d.full_height) <= decode::MAX_PIXELS);
    }
});
