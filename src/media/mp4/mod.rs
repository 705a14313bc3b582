//! MP4, MOV and 3GP (ISO-BMFF and QuickTime movies): the parts a metadata strip removes and
//! keeps ([`strip`]) and the headers verification compares ([`verify`]), and the keyframes of a recording's video track for the scan and the
//! review page ([`frames`]). Both read the movie through [`crate::media::bmff`]: its box
//! iterator, `moov` locator, handler lookup and sample-table walker.

#[cfg(feature = "content")]
pub mod frames;
pub(crate) mod strip;
pub(crate) mod verify;

pub(crate) use strip::{
    SAMSUNG_TRAILER, children, clean, clean_movie, coded_data, handler_name_range, top_boxes,
};
