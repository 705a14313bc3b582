//! PDF: the image filters that lopdf leaves to its caller — JPEG 2000, CCITT fax and JBIG2
//! ([`filters`]).

pub(crate) mod filters;
