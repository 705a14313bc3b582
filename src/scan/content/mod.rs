//! Stage 1–3: content analysis of the pixels (decode, visual cues, OCR, confirmers).

pub mod decode;
pub mod ocr;
pub mod visual;
