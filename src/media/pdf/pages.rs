//! What a PDF shows: the images placed on its first pages (a scanner app's page is one JPEG or
//! one deflated bitmap) and its text layer, for the same detector the photos go through.
//!
//! Parsing is `lopdf`'s (MIT), loaded with a bound on every decompressed stream. The images a
//! page draws are collected from its resources and from the form XObjects it draws (some PDF
//! writers wrap every image in one). They come out as files the photo path reads, so that an
//! image is judged as it would be on its own, with no size floor of the PDF's own: DCT (JPEG)
//! as stored; JPEG 2000, CCITT fax and JBIG2 through [`filters`], Flate and other lossless
//! filters as raw 8-bit grey, RGB or CMYK samples or 1-bit bitmaps, each turned into a grey
//! PNG (a 1-bit page softened to grey levels first, as the recognisers read grey photographs).
//! A hostile file costs at most [`MAX_PAGES`] pages, [`MAX_IMAGES`] images and
//! [`decode::MAX_PIXELS`] pixels an image, and a decoder that panics on one image loses that
//! image only.

use std::collections::HashSet;

use image::GrayImage;
use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId, xobject::PdfImage};

use crate::media::decode::{self, DecodeError};
use crate::media::limits::PDF_STREAM_MAX_BYTES;
use crate::media::pdf::filters::{self, FaxParams};
use crate::media::sniff::FileType;

/// Pages looked at, from the first: a scanned document is one or two pages, and an application
/// form with a copy of a passport attached keeps the copy near the front.
pub const MAX_PAGES: usize = 8;
/// Images decoded in all: a scan has one per page; a brochure with hundreds is not a scan.
pub const MAX_IMAGES: usize = 12;
/// Images decoded on one page at most, the largest first, so that a page of logos and
/// signatures cannot use up what the pages after it need.
const MAX_PAGE_IMAGES: usize = 3;
/// Image XObjects looked at on one page, and form XObjects followed into at most this deep.
const MAX_PAGE_XOBJECTS: usize = 256;
const MAX_FORM_DEPTH: usize = 4;
/// Text kept a page: a document page holds a few thousand characters.
const MAX_TEXT_CHARS: usize = 20_000;

/// Why a PDF was not looked into.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PdfError {
    #[error("the PDF is encrypted: its pages cannot be read without its password")]
    Encrypted,
    #[error("the PDF is damaged: {0}")]
    Broken(String),
}

/// One page as far as it was read.
#[derive(Debug, Default)]
pub struct Page {
    /// 1-based page number.
    pub number: u32,
    /// The page's text layer, one entry per line of extracted text.
    pub text: Vec<String>,
    /// Its images, largest first, as files the photo path reads.
    pub images: Vec<PageImage>,
}

/// One image of a page as the photo path reads it: a JPEG as stored in the PDF, or a grey PNG
/// made from the image's decoded samples.
#[derive(Debug)]
pub struct PageImage {
    pub file_type: FileType,
    pub bytes: Vec<u8>,
}

/// What was read from a PDF.
#[derive(Debug, Default)]
pub struct Pdf {
    pub pages: Vec<Page>,
    /// Pages in the file, read or not.
    pub page_count: usize,
    /// Images found but not decoded (unsupported filter, over a bound, corrupt), with why.
    pub skipped: Vec<String>,
}

/// Reads the first pages of the PDF in `bytes`.
pub fn read(bytes: &[u8]) -> Result<Pdf, PdfError> {
    let options = LoadOptions {
        max_decompressed_size: Some(PDF_STREAM_MAX_BYTES),
        ..LoadOptions::default()
    };
    let doc = match Document::load_mem_with_options(bytes, options) {
        Ok(d) => d,
        Err(lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword) => {
            return Err(PdfError::Encrypted);
        }
        Err(e) => return Err(PdfError::Broken(e.to_string())),
    };
    if doc.is_encrypted() {
        return Err(PdfError::Encrypted);
    }
    let pages = doc.get_pages();
    let mut pdf = Pdf {
        page_count: pages.len(),
        ..Pdf::default()
    };
    let mut images_left = MAX_IMAGES;
    for (&number, &id) in pages.iter().take(MAX_PAGES) {
        let mut page = Page {
            number,
            ..Page::default()
        };
        if let Ok(text) = doc.extract_text_with_limit(&[number], PDF_STREAM_MAX_BYTES) {
            page.text = text
                .chars()
                .take(MAX_TEXT_CHARS)
                .collect::<String>()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect();
        }
        let mut images = page_images(&doc, id);
        images.sort_by_key(|img| std::cmp::Reverse(img.width.saturating_mul(img.height)));
        for img in &images {
            if page.images.len() == MAX_PAGE_IMAGES {
                pdf.skipped.push(format!(
                    "page {number}: more than {MAX_PAGE_IMAGES} images (the largest were read)"
                ));
                break;
            }
            if images_left == 0 {
                pdf.skipped
                    .push(format!("page {number}: more than {MAX_IMAGES} images"));
                break;
            }
            images_left -= 1;
            let decoded = crate::isolate::per_file(|| image(&doc, img))
                .unwrap_or_else(|p| Err(format!("the image decoder failed ({})", p.message)));
            match decoded {
                Ok(i) => page.images.push(i),
                Err(why) => pdf.skipped.push(format!("page {number}: {why}")),
            }
        }
        pdf.pages.push(page);
    }
    Ok(pdf)
}

/// The image XObjects page `page` draws: those in its resources and, to [`MAX_FORM_DEPTH`],
/// in the resources of the form XObjects there, each once. An entry that is not what it should
/// be is passed over; the rest are still found.
fn page_images(doc: &Document, page: ObjectId) -> Vec<PdfImage<'_>> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    if let Ok((own, inherited)) = doc.get_page_resources(page) {
        let dicts = own.into_iter().chain(
            inherited
                .iter()
                .filter_map(|&id| doc.get_dictionary(id).ok()),
        );
        for resources in dicts {
            collect_images(doc, resources, 0, &mut seen, &mut out);
        }
    }
    out
}

/// Adds the images of one resource dictionary, and of the form XObjects in it, to `out`.
fn collect_images<'a>(
    doc: &'a Document,
    resources: &'a Dictionary,
    depth: usize,
    seen: &mut HashSet<ObjectId>,
    out: &mut Vec<PdfImage<'a>>,
) {
    let Ok(xobjects) = doc.get_dict_in_dict(resources, b"XObject") else {
        return;
    };
    for (_, value) in xobjects.iter() {
        if seen.len() >= MAX_PAGE_XOBJECTS {
            return;
        }
        let Ok(id) = value.as_reference() else {
            continue;
        };
        if !seen.insert(id) {
            continue;
        }
        let Ok(stream) = doc.get_object(id).and_then(Object::as_stream) else {
            continue;
        };
        let dict = &stream.dict;
        match dict.get(b"Subtype").and_then(Object::as_name) {
            Ok(b"Image") => {
                let size = |key: &[u8]| dict.get(key).and_then(Object::as_i64).ok();
                let (Some(width), Some(height)) = (size(b"Width"), size(b"Height")) else {
                    continue;
                };
                let name = |o: &Object| {
                    o.as_name()
                        .ok()
                        .map(|n| String::from_utf8_lossy(n).into_owned())
                };
                let color_space = match dict.get(b"ColorSpace") {
                    Ok(Object::Array(a)) => a.first().and_then(name),
                    Ok(o) => name(o),
                    Err(_) => None,
                };
                let filters = match dict.get(b"Filter") {
                    Ok(Object::Array(a)) => a.iter().filter_map(name).collect(),
                    Ok(o) => name(o).into_iter().collect(),
                    Err(_) => Vec::new(),
                };
                out.push(PdfImage {
                    id,
                    width,
                    height,
                    color_space,
                    filters: Some(filters),
                    bits_per_component: dict.get(b"BitsPerComponent").and_then(Object::as_i64).ok(),
                    content: &stream.content,
                    origin_dict: dict,
                });
            }
            Ok(b"Form") if depth < MAX_FORM_DEPTH => {
                if let Ok(inner) = doc.get_dict_in_dict(dict, b"Resources") {
                    collect_images(doc, inner, depth + 1, seen, out);
                }
            }
            _ => {}
        }
    }
}

/// One image XObject as a file the photo path reads.
fn image(doc: &Document, img: &PdfImage<'_>) -> Result<PageImage, String> {
    let filters = img.filters.clone().unwrap_or_default();
    let (w, h) = (
        u32::try_from(img.width).map_err(|_| "negative width")?,
        u32::try_from(img.height).map_err(|_| "negative height")?,
    );
    if u64::from(w) * u64::from(h) > decode::MAX_PIXELS {
        return Err(DecodeError::TooLarge {
            width: w.into(),
            height: h.into(),
        }
        .to_string());
    }
    let inverted = decode_inverted(img.origin_dict);
    let last = filters.last().map(String::as_str);
    let mut gray = match (last, filters.len()) {
        (Some("DCTDecode"), 1) => {
            return Ok(PageImage {
                file_type: FileType::Jpeg,
                bytes: img.content.to_vec(),
            });
        }
        (Some("JPXDecode"), 1) => filters::jpx(img.content, decode::fit(w, h, decode::MAX_SIDE))?,
        (Some("CCITTFaxDecode"), 1) => {
            let mut g = filters::ccitt(img.content, w, h, fax_params(doc, img.origin_dict))?;
            if inverted {
                image::imageops::invert(&mut g);
            }
            g
        }
        (Some("JBIG2Decode"), 1) => {
            let globals = parms(doc, img.origin_dict)
                .and_then(|p| p.get(b"JBIG2Globals").ok())
                .and_then(|g| doc.dereference(g).ok())
                .and_then(|(_, g)| g.as_stream().ok())
                .map(|g| {
                    g.decompressed_content_with_limit(PDF_STREAM_MAX_BYTES)
                        .unwrap_or_else(|_| g.content.clone())
                });
            let mut g = filters::jbig2(img.content, globals.as_deref())?;
            if inverted {
                image::imageops::invert(&mut g);
            }
            g
        }
        (Some(f @ ("JPXDecode" | "CCITTFaxDecode" | "JBIG2Decode" | "DCTDecode")), _) => {
            return Err(format!("{f} image behind another filter not decoded"));
        }
        _ => raw(img, w, h)?,
    };
    let bilevel =
        matches!(last, Some("CCITTFaxDecode" | "JBIG2Decode")) || img.bits_per_component == Some(1);
    if bilevel {
        gray = soften(&gray);
    }
    Ok(PageImage {
        file_type: FileType::Png,
        bytes: gray_png(&gray)?,
    })
}

/// A 1-bit page's black and white averaged over 3 × 3 pixels (imageproc's box filter), as grey
/// levels: the text detector and recogniser read grey photographs, and a thresholded page's
/// jagged strokes, shrunk to the working copy, lose a passport's zone that the same page
/// softened shows (a 200 dpi black-and-white A4 scan of the specimen passport at its real size:
/// read and confirmed softened, only outlined as it is).
fn soften(bilevel: &GrayImage) -> GrayImage {
    imageproc::filter::box_filter(bilevel, 1, 1)
}

/// `gray` as a PNG, compressed for speed: it is read once, in memory (a page's image, a
/// recording's frame looked at closer).
pub(crate) fn gray_png(gray: &GrayImage) -> Result<Vec<u8>, String> {
    use image::ImageEncoder;
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Sub)
        .write_image(
            gray.as_raw(),
            gray.width(),
            gray.height(),
            image::ExtendedColorType::L8,
        )
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// The image's `/DecodeParms` for its (single) filter: a dictionary, or an array of one.
fn parms<'a>(doc: &'a Document, dict: &'a Dictionary) -> Option<&'a Dictionary> {
    let p = doc.dereference(dict.get(b"DecodeParms").ok()?).ok()?.1;
    match p {
        Object::Array(a) => doc.dereference(a.last()?).ok()?.1.as_dict().ok(),
        other => other.as_dict().ok(),
    }
}

/// The CCITT coding parameters, with the defaults PDF gives absent entries.
fn fax_params(doc: &Document, dict: &Dictionary) -> FaxParams {
    let p = parms(doc, dict);
    let flag = |key: &[u8], default: bool| {
        p.and_then(|p| p.get(key).ok()?.as_bool().ok())
            .unwrap_or(default)
    };
    FaxParams {
        k: p.and_then(|p| p.get(b"K").ok()?.as_i64().ok()).unwrap_or(0),
        byte_align: flag(b"EncodedByteAlign", false),
        end_of_line: flag(b"EndOfLine", false),
        end_of_block: flag(b"EndOfBlock", true),
        black_is_1: flag(b"BlackIs1", false),
    }
}

/// Whether a 1-bit image's `/Decode` array is `[1 0]`, which shows its samples negated.
fn decode_inverted(dict: &Dictionary) -> bool {
    let first = dict
        .get(b"Decode")
        .and_then(Object::as_array)
        .ok()
        .and_then(|a| a.first()?.as_float().ok());
    first.is_some_and(|v| v > 0.5)
}

/// An image stored as samples behind lossless filters (or none).
fn raw(img: &PdfImage<'_>, w: u32, h: u32) -> Result<GrayImage, String> {
    let stream = lopdf::Stream::new(img.origin_dict.clone(), img.content.to_vec());
    let data = if img.filters.as_ref().is_some_and(|f| !f.is_empty()) {
        stream
            .decompressed_content_with_limit(PDF_STREAM_MAX_BYTES)
            .map_err(|e| e.to_string())?
    } else {
        stream.content
    };
    let bits = img.bits_per_component.unwrap_or(8);
    let channels: usize = match img.color_space.as_deref() {
        Some("DeviceGray" | "CalGray") | None => 1,
        Some("DeviceRGB" | "CalRGB") => 3,
        Some("DeviceCMYK") => 4,
        // The ICC profile's channel count is not followed; the sample count tells it.
        Some("ICCBased") => match data.len() / (w as usize * h as usize).max(1) {
            n @ (3 | 4) => n,
            _ => 1,
        },
        Some(other) => return Err(format!("{other} colour space not decoded")),
    };
    let (wu, hu) = (w as usize, h as usize);
    let gray: Vec<u8> = match (bits, channels) {
        (8, c) => {
            let row = wu * c;
            if data.len() < row * hu {
                return Err("short image data".into());
            }
            data[..row * hu]
                .chunks_exact(c)
                .map(filters::gray)
                .collect()
        }
        (1, 1) => {
            let row = wu.div_ceil(8);
            if data.len() < row * hu {
                return Err("short image data".into());
            }
            (0..hu)
                .flat_map(|y| {
                    let r = &data[y * row..(y + 1) * row];
                    (0..wu).map(move |x| {
                        if r[x / 8] >> (7 - x % 8) & 1 == 1 {
                            255
                        } else {
                            0
                        }
                    })
                })
                .collect()
        }
        (b, c) => return Err(format!("{b}-bit {c}-channel samples not decoded")),
    };
    Ok(GrayImage::from_raw(w, h, gray).ok_or("pixel buffer size mismatch")?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::{Object, Stream, dictionary};

    /// A one-page PDF whose page shows `image` (a stream dictionary and its data) and the
    /// text `text`.
    fn pdf_with(image: Option<Stream>, text: &str) -> Vec<u8> {
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let font = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Courier",
        });
        let mut xobjects = lopdf::Dictionary::new();
        let mut ops = String::new();
        if let Some(s) = image {
            xobjects.set("Im1", doc.add_object(s));
            ops.push_str("q 500 0 0 300 50 400 cm /Im1 Do Q\n");
        }
        ops.push_str(&format!("BT /F1 12 Tf 50 100 Td ({text}) Tj ET\n"));
        let content = doc.add_object(Stream::new(dictionary! {}, ops.into_bytes()));
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Resources" => dictionary! { "Font" => dictionary! { "F1" => font }, "XObject" => xobjects },
        });
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1,
            }),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog);
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    fn gray_stream(w: u32, h: u32, compress: bool) -> Stream {
        let data: Vec<u8> = (0..w * h).map(|i| (i % w * 255 / w) as u8).collect();
        let mut s = Stream::new(
            dictionary! {
                "Type" => "XObject", "Subtype" => "Image", "Width" => w as i64,
                "Height" => h as i64, "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8,
            },
            data,
        );
        if compress {
            s.compress().unwrap();
        }
        s
    }

    #[test]
    fn flate_image_and_text_layer_are_read() {
        let bytes = pdf_with(Some(gray_stream(300, 200, true)), "PASSPORT P<UTO");
        let pdf = read(&bytes).unwrap();
        assert_eq!(pdf.page_count, 1);
        let page = &pdf.pages[0];
        assert_eq!(page.images.len(), 1, "skipped: {:?}", pdf.skipped);
        assert_eq!(page.images[0].file_type, FileType::Png);
        let img = image::load_from_memory(&page.images[0].bytes)
            .unwrap()
            .into_luma8();
        assert_eq!(img.dimensions(), (300, 200));
        assert_eq!(img.get_pixel(150, 10).0, [127]);
        assert!(
            page.text.iter().any(|l| l.contains("PASSPORT")),
            "{:?}",
            page.text
        );
    }

    #[test]
    fn images_inside_form_xobjects_and_small_images_are_read_largest_first() {
        // A page drawing a 64×40 image directly and a 300×200 one through a form XObject.
        let mut doc = Document::load_mem(&pdf_with(Some(gray_stream(64, 40, true)), "x")).unwrap();
        let big = doc.add_object(gray_stream(300, 200, true));
        let form = doc.add_object(Stream::new(
            dictionary! {
                "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 10.into(), 10.into()],
                "Resources" => dictionary! { "XObject" => dictionary! { "Im9" => big } },
            },
            b"q 300 0 0 200 0 0 cm /Im9 Do Q".to_vec(),
        ));
        let page = *doc.get_pages().get(&1).unwrap();
        let resources = doc.get_page_resources(page).unwrap().0.unwrap().clone();
        let mut resources = resources;
        let mut xobjects = resources
            .get(b"XObject")
            .unwrap()
            .as_dict()
            .unwrap()
            .clone();
        xobjects.set("Fm1", form);
        resources.set("XObject", xobjects);
        doc.get_dictionary_mut(page)
            .unwrap()
            .set("Resources", resources);
        let mut bytes = Vec::new();
        doc.save_to(&mut bytes).unwrap();
        let pdf = read(&bytes).unwrap();
        let sizes: Vec<(u32, u32)> = pdf.pages[0]
            .images
            .iter()
            .map(|i| {
                image::load_from_memory(&i.bytes)
                    .unwrap()
                    .into_luma8()
                    .dimensions()
            })
            .collect();
        assert_eq!(sizes, vec![(300, 200), (64, 40)], "{:?}", pdf.skipped);
    }

    #[test]
    fn broken_and_bomb_pdfs_are_errors_or_skips_not_panics() {
        assert!(matches!(
            read(b"%PDF-1.4\ngarbage"),
            Err(PdfError::Broken(_))
        ));
        let mut s = gray_stream(300, 200, false);
        s.dict.set("Width", 200_000i64);
        s.dict.set("Height", 200_000i64);
        let pdf = read(&pdf_with(Some(s), "x")).unwrap();
        assert!(pdf.pages[0].images.is_empty());
        assert!(pdf.skipped[0].contains("megapixel"), "{:?}", pdf.skipped);
        let bytes = pdf_with(Some(gray_stream(300, 200, true)), "x");
        for cut in [bytes.len() / 3, bytes.len() / 2, bytes.len() - 40] {
            let _ = read(&bytes[..cut]);
        }
    }

    #[test]
    fn a_password_protected_pdf_is_reported_as_encrypted() {
        let mut doc =
            Document::load_mem(&pdf_with(Some(gray_stream(300, 200, true)), "x")).unwrap();
        doc.trailer.set(
            "ID",
            vec![
                Object::string_literal(vec![7u8; 16]),
                Object::string_literal(vec![7u8; 16]),
            ],
        );
        let version = lopdf::EncryptionVersion::V2 {
            document: &doc,
            owner_password: "owner",
            user_password: "secret",
            key_length: 128,
            permissions: lopdf::Permissions::all(),
        };
        let state = lopdf::EncryptionState::try_from(version).unwrap();
        doc.encrypt(&state).unwrap();
        let mut bytes = Vec::new();
        doc.save_to(&mut bytes).unwrap();
        let r = read(&bytes);
        assert!(matches!(r, Err(PdfError::Encrypted)), "{r:?}");
    }
}
