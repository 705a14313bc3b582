//! Content analysis: what the pixels of a candidate file say. The confirmers here work on text
//! that OCR read from an image — an ICAO 9303 machine-readable zone, a Chinese resident identity
//! number, document keywords — and turn it into evidence a person can check, without ever
//! keeping the secret itself (document numbers are masked, MRZ lines are never stored).

pub mod analyse;
pub mod cache;
pub(crate) mod cncard;
pub mod cnid;
pub mod container;
pub mod face;
pub mod keywords;
pub(crate) mod locate;
pub mod mask;
pub mod mrz;
pub mod ocr;
pub(crate) mod partial;
pub(crate) mod retake;
pub mod selfie;
pub mod visual;
