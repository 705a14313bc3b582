//! Fuzz target: decoding a HEIC/HEIF photo's primary image for content analysis
//! (`media::heif::heic::decode`: heic-rs behind the pixel limit). A panic inside the
//! third-party decoder is caught there and becomes an error on that file, as in a real scan, so
//! the abort-on-panic hook libFuzzer installs is replaced by a silent one; a panic anywhere
//! else still aborts (it cannot unwind out of the fuzz target). A working copy over the
//! documented size is a bug.
#![no_main]

use idvault::fuzzing::media::decode;
use idvault::fuzzing::media::heif::heic;

libfuzzer_sys::fuzz_target!(init: { std::panic::set_hook(Box::new(|_| {})) }, |data: &[u8]| {
    if let Ok(d) = heic::decode(data) {
        assert!(d.rgb.width().max(d.rgb.height()) <= heic::WORKING_SIDE);
        assert!(u64::from(d.full_width) * u64::from(d.full_height) <= decode::MAX_PIXELS);
    }
});
