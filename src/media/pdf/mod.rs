//! PDF: the images and text layer of its first pages ([`pages`]), and the image filters that
//! lopdf leaves to its caller — JPEG 2000, CCITT fax and JBIG2 ([`filters`]).

#[cfg(feature = "content")]
pub(crate) mod filters;
#[cfg(feature = "content")]
pub mod pages;
pub(crate) mod strip;
