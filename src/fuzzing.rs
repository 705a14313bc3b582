//! The parsers of untrusted bytes, for the fuzz targets in `fuzz/`, the hostile-input tests and
//! `examples/`: not part of the library's API (hidden from its documentation), no stability
//! promised. Each module re-exports one of the crate's parser modules under the path it has in
//! the crate, so a target names `idvault::fuzzing::media::sniff` where the crate says
//! `crate::media::sniff`. Nothing here writes files or changes state.

/// Formats: magic bytes, boxes, pixels.
pub mod media {
    /// `crate::media::sniff`.
    pub mod sniff {
        pub use crate::media::sniff::*;
    }
    /// `crate::media::decode`.
    pub mod decode {
        pub use crate::media::decode::*;
    }
    /// `crate::media::bmff`.
    pub mod bmff {
        pub use crate::media::bmff::*;
    }
    /// `crate::media::matroska`.
    #[cfg(feature = "content")]
    pub mod matroska {
        pub use crate::media::matroska::*;
    }
    /// `crate::media::mp4`'s keyframe sampler.
    #[cfg(feature = "content")]
    pub mod mp4 {
        /// `crate::media::mp4::frames`.
        pub mod frames {
            pub use crate::media::mp4::frames::*;
        }
    }
    /// HEIF and AVIF pixels.
    #[cfg(feature = "content")]
    pub mod heif {
        /// `crate::media::heif::heic`.
        pub mod heic {
            pub use crate::media::heif::heic::*;
        }
        /// `crate::media::heif::avif`.
        pub mod avif {
            pub use crate::media::heif::avif::*;
        }
    }
    /// A PDF's pages and their images.
    #[cfg(feature = "content")]
    pub mod pdf {
        /// `crate::media::pdf::pages`.
        pub mod pages {
            pub use crate::media::pdf::pages::*;
        }
    }
}

/// The scan's readers.
pub mod scan {
    pub use crate::scan::classify::HEAD_LEN;
    /// `crate::scan::archive`.
    pub mod archive {
        pub use crate::scan::archive::*;
    }
    /// `crate::scan::finding`.
    pub mod finding {
        pub use crate::scan::finding::*;
    }
    /// `crate::scan::signals`.
    pub mod signals {
        pub use crate::scan::signals::*;
    }
    /// `crate::scan::content`'s readers and confirmers.
    #[cfg(feature = "content")]
    pub mod content {
        pub use crate::scan::content::{cnid, keywords, mrz, ocr, visual};
    }
}

/// The vault's files, as read from a folder others may write to.
pub mod vault {
    pub use crate::vault::format::{Config, EntryId};
    pub use crate::vault::manifest::{Entry, Manifest};

    /// Decrypts `data` as an entry's metadata file (the smallest cap) with `identity`.
    pub fn decrypt_small(data: &[u8], identity: &dyn age::Identity) -> bool {
        use crate::vault::{crypto, format};
        crypto::decrypt_small(data, std::iter::once(identity), format::META_LIMIT).is_ok()
    }

    /// Parses `s` as a vault recipient, as the config's recipient list is read.
    pub fn parse_recipient(s: &str) -> bool {
        crate::vault::crypto::parse_recipient(s).is_ok()
    }
}

/// The "Not a document" marks a scan reads (their folder may be written by others).
pub mod dismissed {
    pub use crate::dismissed::Marks;
}
