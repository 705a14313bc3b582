//! Fuzz target: decoding an AVIF photo's primary image for content analysis
//! (`media::heif::avif::decode_here`, what the decoding worker runs: heic-rs's HEIF container parser, grids and transforms, then
//! rav1d through `idvault-av1`, behind the pixel and tile limits). A panic in the container
//! parser is caught there and becomes an error on that file, as in a real scan, so the
//! abort-on-panic hook libFuzzer installs is replaced by a silent one. A panic inside rav1d
//! cannot be caught (its functions are `extern "C"`) and aborts: a crash here, and in a scan
//! the worker's, which costs that file a note.
//! A working copy over the documented size is a bug.
#![no_main]

use idvault::fuzzing::media::decode;
use idvault::fuzzing::media::heif::{avif, heic};

libfuzzer_sys::fuzz_target!(init: { std::panic::set_hook(Box::new(|_| {})) }, |data: &[u8]| {
    if let Ok(d) = avif::decode_here(data) {
        assert!(d.rgb.width().max(d.rgb.height()) <= heic::WORKING_SIDE);
        assert!(u64::from(d.full_width) * u64::from(d.full_height) <= decode::MAX_PIXELS);
    }
});
