//! HEIF and AVIF (ISO-BMFF image files): the item tables a metadata strip edits ([`strip`]) and
//! what verification compares of them ([`verify`]),
//! HEVC pixels through heic-rs ([`heic`]) and AV1 pixels through the AV1 worker ([`avif`]).

#[cfg(feature = "content")]
pub mod avif;
#[cfg(feature = "content")]
pub mod heic;
pub(crate) mod strip;
pub(crate) mod verify;
