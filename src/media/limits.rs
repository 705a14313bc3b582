//! The size limits every path reads — scan, strip, vault and review — so that a file one
//! command accepts is accepted by the others too (a video `strip` cleans is cleaned by `secure`
//! and `vault add` as well). Each bound says why it is that number; `docs/limits.md` lists them
//! with the rest of the per-file bounds.

/// The largest file stripped. Stripping works on the whole file in memory and holds the clean
/// copy beside it, so a file takes about twice its size; 1 GiB covers every photo and most
/// phone videos (a 10-minute 1080p screen recording is 0.5–1 GiB) while a 4 GiB video is
/// refused (by `strip`) or stored with its metadata (by the vault) before a byte of it is read.
pub const STRIP_MAX_BYTES: u64 = 1 << 30;

/// Files above this size are stripped one at a time, so that the threads of a run hold at most
/// one large file in memory (about 2 GiB at [`STRIP_MAX_BYTES`]) plus small ones.
pub const STRIP_LARGE_BYTES: u64 = 64 << 20;

/// Files larger than this are not read into memory for content analysis or a preview: a photo
/// is a few MB, a scanned PDF tens of MB; a longer recording is read from its sample tables.
pub const ANALYSE_MAX_BYTES: u64 = 256 << 20;

/// At most this much of a TIFF is read for its EXIF by the scan's signals (kamadak-exif would
/// read the whole file).
pub const TIFF_HEADER_MAX_BYTES: u64 = 1 << 20;

/// Largest XMP packet the scan's signals parse. XMP in a JPEG APP1 segment is at most 64 KiB and
/// real PNG iTXt packets are a few KiB to a few hundred; 4 MiB leaves room for extended XMP and
/// bounds the parse.
pub const XMP_PACKET_MAX_BYTES: usize = 4 << 20;

/// Image decoders may allocate at most this much (the working buffers of a 100 MP RGBA image).
pub const DECODE_ALLOC_MAX_BYTES: u64 = 512 << 20;

/// A movie header (`moov`) larger than this is not read, by the scan's signals or its frame
/// sampler alike (an hour at 60 fps needs about 3 MB; real ones are kilobytes to megabytes).
pub const MOOV_MAX_BYTES: u64 = 64 << 20;

/// Most top-level boxes stepped over looking for `moov`, by the scan's signals and its frame
/// sampler alike: a fragmented recording has two per fragment (a ten-hour one cut every second
/// has 72,000); each costs a seek and a read.
pub const TOP_BOXES_MAX: usize = 200_000;

/// A recording's keyframe larger than this is not read, in MP4 or Matroska (a 4K intra picture
/// is a few MB).
#[cfg(feature = "content")]
pub const KEYFRAME_MAX_BYTES: u64 = 32 << 20;

/// Samples in a track's tables that the frame sampler reads at most (ten hours at 60 fps): it
/// keeps an offset, a size and a time for each.
#[cfg(feature = "content")]
pub const FRAME_SAMPLES_MAX: usize = 2_200_000;

/// Samples in a track's tables that the strip locates at most (a timed metadata track's, to zero
/// them; a media track's, to compare them): 16 bytes each, 256 MiB at most beside a file of at
/// most [`STRIP_MAX_BYTES`].
pub const STRIP_SAMPLES_MAX: usize = 1 << 24;

/// Any one PDF stream may inflate to at most this much, when the strip loads a PDF and when the
/// scan reads its pages: an 8-bit RGB image at the pixel limit of the image decoders fits in
/// 300 MB; text content streams are far smaller.
pub const PDF_STREAM_MAX_BYTES: usize = 300 << 20;

/// Permission to hold one file larger than [`STRIP_LARGE_BYTES`] in memory. `strip` and the
/// vault each take one before reading such a file whole, so that however many threads run,
/// memory holds one large file (and its clean copy) plus small ones. Released when dropped;
/// `Send`, so it can travel with the bytes it guards to the thread that consumes them.
#[must_use = "the permit is released as soon as it is dropped"]
pub struct LargeFilePermit(());

/// Whether a [`LargeFilePermit`] is out, and the signal that it came back.
static LARGE_FILE_HELD: std::sync::Mutex<bool> = std::sync::Mutex::new(false);
static LARGE_FILE_FREED: std::sync::Condvar = std::sync::Condvar::new();

impl LargeFilePermit {
    /// Waits for the permit when a file of `len` bytes is large; `None` for a small file, which
    /// needs none. A thread that panicked while changing the flag left a plain `bool` behind, so
    /// a poisoned lock is still usable.
    pub fn for_len(len: u64) -> Option<LargeFilePermit> {
        if len <= STRIP_LARGE_BYTES {
            return None;
        }
        let mut held = LARGE_FILE_HELD.lock().unwrap_or_else(|e| e.into_inner());
        while *held {
            held = LARGE_FILE_FREED
                .wait(held)
                .unwrap_or_else(|e| e.into_inner());
        }
        *held = true;
        Some(LargeFilePermit(()))
    }
}

impl Drop for LargeFilePermit {
    fn drop(&mut self) {
        *LARGE_FILE_HELD.lock().unwrap_or_else(|e| e.into_inner()) = false;
        LARGE_FILE_FREED.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_files_need_no_permit_and_a_large_one_waits_for_the_last() {
        assert!(LargeFilePermit::for_len(STRIP_LARGE_BYTES).is_none());
        let first = LargeFilePermit::for_len(STRIP_LARGE_BYTES + 1).expect("a permit");
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let second = LargeFilePermit::for_len(STRIP_MAX_BYTES);
            tx.send(second.is_some()).unwrap();
        });
        // The second large file does not get its permit while the first is out.
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(200))
                .is_err()
        );
        drop(first);
        assert!(rx.recv().unwrap());
        waiter.join().unwrap();
    }
}
