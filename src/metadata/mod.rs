//! Lossless metadata stripping, none of which re-encodes pixel or media data. [`strip`] cleans
//! a file held in memory and verifies the result before returning it; callers (the `strip`
//! command, the vault) decide where the clean bytes go. Each container's cleaner and its
//! verification rules live in its own module under `media` and are reached through the
//! capability table (`Writer::clean`, `Writer::rules`); this module and [`verify`] are
//! format-free.
//!
//! Written by hand because no crate writes these containers losslessly: `kamadak-exif` only
//! reads, `img-parts` covers JPEG/PNG/WebP but not HEIF, TIFF, GIF or MP4, and the MP4 crates
//! rewrite (and so move) the sample tables. Every cleaner edits containers at the box, chunk or
//! segment level and copies everything it keeps byte for byte.

pub mod apply;
pub mod verify;

pub(crate) use crate::media::parts::{Log, label};
pub use crate::media::parts::{Removed, StripError, StripOptions, VerifyLevel};
use crate::media::sniff::{FileType, sniff};

/// A cleaned file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stripped {
    /// The clean file. Equal to the input when `removed` is empty.
    pub data: Vec<u8>,
    /// What was removed, in file order, one entry per group (sizes summed).
    pub removed: Vec<Removed>,
    /// The container that was recognised.
    pub format: FileType,
}

impl Stripped {
    /// Total bytes of metadata removed.
    pub fn bytes_removed(&self) -> u64 {
        self.removed.iter().map(|r| r.size).sum()
    }
}

/// Removes metadata from a whole file held in memory and verifies the result (see
/// `verify::verify`). Never re-encodes: everything kept is copied byte for byte.
pub fn strip(input: &[u8], opts: &StripOptions) -> Result<Stripped, StripError> {
    let stripped = clean(input, opts)?;
    if !stripped.removed.is_empty() {
        verify::verify(input, &stripped, opts)?;
    }
    Ok(stripped)
}

/// Cleans without verifying; [`strip`] is the public entry point.
pub(crate) fn clean(input: &[u8], opts: &StripOptions) -> Result<Stripped, StripError> {
    let (format, data, removed) = run_cleaner(input, opts, Log::default())?;
    // Nothing removed: the input as it was. The cleaner's output is then normally those very
    // bytes, kept as they are rather than copied once more.
    let data = if removed.is_empty() && data != input {
        input.to_vec()
    } else {
        data
    };
    Ok(Stripped {
        data,
        removed,
        format,
    })
}

/// What cleaning `input` would remove. The clean bytes are not wanted, so a cleaner may skip
/// building them (see [`Log::dry`]).
pub(crate) fn removable(input: &[u8], opts: &StripOptions) -> Result<Vec<Removed>, StripError> {
    let log = Log::dry();
    Ok(run_cleaner(input, opts, log)?.2)
}

/// Runs the cleaner of `input`'s format with `log`.
fn run_cleaner(
    input: &[u8],
    opts: &StripOptions,
    mut log: Log,
) -> Result<(FileType, Vec<u8>, Vec<Removed>), StripError> {
    if input.is_empty() {
        return Err(StripError::Empty);
    }
    let Some(format) = sniff(input) else {
        return Err(StripError::Unsupported {
            what: "not a recognised image or video".into(),
        });
    };
    let Some(writer) = format.caps().strip else {
        return Err(StripError::Unsupported {
            what: format!("{format}: no lossless writer"),
        });
    };
    let data = writer.clean(input, format, opts, &mut log)?;
    Ok((format, data, log.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_sums_per_group_in_first_seen_order() {
        let mut log = Log::default();
        log.add("XMP", 10);
        log.add("EXIF", 5);
        log.add("XMP", 3);
        assert_eq!(
            log.finish(),
            vec![
                Removed {
                    group: "XMP".into(),
                    size: 13
                },
                Removed {
                    group: "EXIF".into(),
                    size: 5
                }
            ]
        );
    }

    #[test]
    fn labels_are_printable() {
        assert_eq!(label(b"Exif\0\0junk"), "Exif");
        assert_eq!(label(b"a\x1b[1m"), "a?[1m");
    }

    #[test]
    fn unsupported_and_empty_inputs() {
        let opts = StripOptions::default();
        assert!(matches!(strip(b"", &opts), Err(StripError::Empty)));
        assert!(matches!(
            strip(b"BM\x36\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0", &opts),
            Err(StripError::Unsupported { .. })
        ));
    }
}
