//! PDF: the image filters that lopdf leaves to its caller — JPEG 2000, CCITT fax and JBIG2
//! ([`filters`]).

#[cfg(feature = "content")]
pub(crate) mod filters;
pub(crate) mod strip;
