//! Fuzz target: sampling a screen recording's keyframes (`media::mp4::frames::frames`: the
//! MP4/MOV sample tables read by seeking with `media::bmff`'s `moov` locator and walker, then openh264 or heic-rs's HEVC decoder). The input
//! is written to a file first because the reader seeks in a file, as a scan does. Decoder
//! panics are caught there and become errors on that file, so the abort-on-panic hook
//! libFuzzer installs is replaced by a silent one; a panic in idvault's own table reading
//! still aborts. More frames than asked for is a bug.
#![no_main]

use std::io::{Seek, SeekFrom, Write};
use std::sync::Mutex;
use std::time::Duration;

use idvault::fuzzing::media::mp4::frames as video;

static FILE: Mutex<Option<std::fs::File>> = Mutex::new(None);

libfuzzer_sys::fuzz_target!(init: { std::panic::set_hook(Box::new(|_| {})) }, |data: &[u8]| {
    let mut slot = FILE.lock().unwrap();
    // An unnamed scratch file, reused: nothing is left behind.
    let file = slot.get_or_insert_with(|| tempfile::tempfile().expect("a scratch file"));
    file.set_len(0).unwrap();
    file.seek(SeekFrom::Start(0)).unwrap();
    file.write_all(data).unwrap();
    if let Ok(frames) = video::frames(file, data.len() as u64, 4, Duration::from_secs(5)) {
        assert!(frames.len() <= 4);
    }
});

