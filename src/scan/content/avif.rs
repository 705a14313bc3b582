//! AVIF pixels: AV1 still pictures in the HEIF container, decoded for the same detector as
//! HEIC photos. The container (items, `iloc`, properties, `grid`, `irot`/`imir`/`clap`) is read
//! by `heic-rs`'s public HEIF parser, and each AV1 picture is decoded by `idvault-av1`, the
//! workspace crate that wraps `rav1d` (a Rust port of dav1d; BSD-2-Clause) and holds the only
//! `unsafe` code. Only luma is decoded; an alpha plane, a depth map or a thumbnail is ignored.

use std::borrow::Cow;

use heic_rs::meta::Meta;
use heic_rs::{Mirror, PixelLayout, Transform, grid, transform};
use image::GrayImage;

use super::decode::{self, DecodeError, Decoded};
use super::heic;

/// Most tiles a grid may have. A 12 MP photo in 512-pixel tiles (the layout phones use for
/// HEIC) has 48, one of the 100-megapixel limit about 400; each tile opens a decoder of its
/// own, so a grid of thousands of tiny tiles would cost far more than its pixels say.
const MAX_TILES: u64 = 1024;

/// Decodes the primary image of the AVIF file in `bytes` into a working copy, as
/// [`heic::decode`] does for HEIC: luma only, transforms applied, long side at most
/// [`heic::WORKING_SIDE`]. Every size is checked against [`decode::MAX_PIXELS`] before a
/// decoder runs.
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    // A panic in the container parser or in this module becomes an error on the file. (One
    // inside rav1d cannot be caught: its functions are `extern "C"`, see `idvault-av1`.)
    let gray =
        std::panic::catch_unwind(|| primary_luma(bytes)).map_err(|_| DecodeError::Panicked)??;
    Ok(heic::working_copy(gray))
}

/// The primary image's luma, with its transforms applied, at full size.
fn primary_luma(bytes: &[u8]) -> Result<GrayImage, DecodeError> {
    let meta = heic_rs::meta::parse(bytes).map_err(corrupt)?;
    let id = meta.primary;
    let item = meta.item(id).ok_or_else(|| corrupt("no primary item"))?;
    let props = heic_rs::props::gather(&meta.props, id).map_err(corrupt)?;
    let luma = match &item.item_type {
        b"av01" => {
            let (w, h) = props.ispe.map_or((0, 0), |s| (s.width, s.height));
            check_pixels(u64::from(w), u64::from(h))?;
            decode_item(bytes, &meta, id, decode::MAX_PIXELS)?
        }
        b"grid" => decode_grid(bytes, &meta, id)?,
        other => {
            let kind = String::from_utf8_lossy(other);
            return Err(corrupt(format!("the primary item is `{kind}`, not AV1")));
        }
    };
    let (w, h) = (luma.width(), luma.height());
    let image = heic_rs::Image {
        data: luma.into_raw(),
        width: w,
        height: h,
        layout: PixelLayout::Gray8,
    };
    let transforms: Vec<Transform> = props.transforms.iter().map(|&t| as_written(t)).collect();
    let image = transform::apply_all(image, &transforms).map_err(corrupt)?;
    GrayImage::from_raw(image.width, image.height, image.data)
        .ok_or_else(|| corrupt("pixel buffer size mismatch"))
}

/// A transform as AVIF writers mean it. heic-rs reads `imir` 0 as a mirror about a vertical
/// axis (left and right exchanged); libavif writes 0 for top-to-bottom, and libheif, the other
/// reader a user would open the photo with, shows it that way (the `imir` test makes such a
/// file with `avifenc` and reads it upright), so the two mirrors are exchanged here.
fn as_written(t: Transform) -> Transform {
    match t {
        Transform::Mirror(Mirror::LeftRight) => Transform::Mirror(Mirror::TopBottom),
        Transform::Mirror(Mirror::TopBottom) => Transform::Mirror(Mirror::LeftRight),
        other => other,
    }
}

/// Decodes the `av01` item `id` (at most `max_pixels`) to luma.
fn decode_item(
    bytes: &[u8],
    meta: &Meta<'_>,
    id: u32,
    max_pixels: u64,
) -> Result<GrayImage, DecodeError> {
    let is_av1 = meta.item(id).is_some_and(|i| &i.item_type == b"av01");
    if !is_av1 {
        return Err(corrupt(format!("item {id} is not an AV1 image")));
    }
    let config = meta
        .props
        .find(id, b"av1C")
        .ok_or_else(|| corrupt("no av1C"))?;
    // av1C: four bytes of profile, level and sampling, then the configOBUs.
    let config_obus = config
        .payload
        .get(4..)
        .ok_or_else(|| corrupt("short av1C"))?;
    let data: Cow<'_, [u8]> = meta.item_data(bytes, id).map_err(corrupt)?;
    let luma = idvault_av1::decode_luma(config_obus, &data, max_pixels).map_err(|e| match e {
        idvault_av1::Error::TooLarge { width, height, .. } => DecodeError::TooLarge {
            width: width.into(),
            height: height.into(),
        },
        e => corrupt(e),
    })?;
    GrayImage::from_raw(luma.width, luma.height, luma.pixels)
        .ok_or_else(|| corrupt("pixel buffer size mismatch"))
}

/// Decodes the tiles of the `grid` item `id` and places them, row by row, on a canvas of the
/// grid's output size (the last column and row overhang it and are cut).
fn decode_grid(bytes: &[u8], meta: &Meta<'_>, id: u32) -> Result<GrayImage, DecodeError> {
    let g = grid::parse(&meta.item_data(bytes, id).map_err(corrupt)?).map_err(corrupt)?;
    let tiles = grid::tile_ids(&meta.refs, id);
    grid::check_tiles(&g, &tiles).map_err(corrupt)?;
    check_pixels(g.output_width.into(), g.output_height.into())?;
    if g.tile_count() > MAX_TILES {
        return Err(corrupt(format!(
            "a grid of {} tiles (at most {MAX_TILES} are decoded)",
            g.tile_count()
        )));
    }
    // Tiles all have one size and cover the output with less than a tile to spare
    // ((n - 1) × tile < output ≤ n × tile, ISO/IEC 23008-12 6.6.2.3), so none is larger than
    // this; the decoder refuses a larger one from its header. (A one-tile row or column is
    // held to the output's own size.)
    let most = |n: u32, out: u32| u64::from(out).div_ceil(u64::from(n.max(2) - 1));
    let tile_limit =
        (most(g.columns, g.output_width) * most(g.rows, g.output_height)).min(decode::MAX_PIXELS);
    let mut canvas = GrayImage::new(g.output_width, g.output_height);
    let mut size = None;
    for (i, &tile) in tiles.iter().enumerate() {
        let luma = decode_item(bytes, meta, tile, tile_limit)?;
        let dims = luma.dimensions();
        if *size.get_or_insert(dims) != dims {
            return Err(corrupt("grid tiles of different sizes"));
        }
        let (tw, th) = dims;
        let (col, row) = (i as u32 % g.columns, i as u32 / g.columns);
        let covers = |n: u32, t: u32, out: u32| {
            let n = u64::from(n);
            n * u64::from(t) >= u64::from(out) && (n - 1) * u64::from(t) < u64::from(out)
        };
        if !covers(g.columns, tw, g.output_width) || !covers(g.rows, th, g.output_height) {
            return Err(corrupt("grid tiles do not cover the image"));
        }
        let (x, y) = (i64::from(col * tw), i64::from(row * th));
        image::imageops::replace(&mut canvas, &luma, x, y);
    }
    Ok(canvas)
}

/// Refuses a declared size over the pixel limit before anything is decoded.
fn check_pixels(width: u64, height: u64) -> Result<(), DecodeError> {
    if width * height > decode::MAX_PIXELS {
        return Err(DecodeError::TooLarge { width, height });
    }
    Ok(())
}

fn corrupt(e: impl ToString) -> DecodeError {
    DecodeError::Corrupt(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_and_truncated_files_are_errors() {
        let mut ftyp = vec![0, 0, 0, 24];
        ftyp.extend_from_slice(b"ftypavif\0\0\0\0mif1avif");
        assert!(decode(&ftyp).is_err());
        ftyp.extend((0..5000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8));
        assert!(decode(&ftyp).is_err());
    }
}
