//! AVIF pixels: AV1 still pictures in the HEIF container, decoded for the same detector as
//! HEIC photos. The container (items, `iloc`, properties, `grid`, `irot`/`imir`/`clap`) is read
//! by `heic-rs`'s public HEIF parser, and each AV1 picture is decoded by `idvault-av1`, the
//! workspace crate that wraps `rav1d` (a Rust port of dav1d; BSD-2-Clause) and holds the only
//! `unsafe` code. Only luma is decoded; an alpha plane, a depth map or a thumbnail is ignored.

use std::borrow::Cow;
use std::io::{self, Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use heic_rs::meta::Meta;
use heic_rs::{Mirror, PixelLayout, Transform, grid, transform};
use image::GrayImage;

use wait_timeout::ChildExt;

use super::heic;
use crate::media::decode::{self, DecodeError, Decoded};

/// Most tiles a grid may have. A 12 MP photo in 512-pixel tiles (the layout phones use for
/// HEIC) has 48, one of the 100-megapixel limit about 400; each tile opens a decoder of its
/// own, so a grid of thousands of tiny tiles would cost far more than its pixels say.
const MAX_TILES: u64 = 1024;

/// The argument that makes the `idvault` binary an AV1 decoding worker: it reads one AVIF file
/// on stdin and answers on stdout ([`serve`]). Not a command: `main` checks for it first.
pub const WORKER_ARG: &str = "__avif-worker";

/// The program started as the AV1 worker ([`set_worker`]).
static WORKER: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

/// Names the program that decodes AV1 for this process: one that, given [`WORKER_ARG`] as its
/// first argument, runs [`serve`] on its stdin and stdout (the `idvault` binary does). Set once,
/// before scanning; a second call changes nothing.
pub fn set_worker(program: std::path::PathBuf) {
    let _ = WORKER.set(program);
}

/// A worker that has not answered after this long is killed and the file gets a note (a 12 MP
/// photo takes well under a second; a hostile one may make the decoder loop).
const WORKER_TIMEOUT: Duration = Duration::from_secs(30);

/// Decodes the primary image of the AVIF file in `bytes` into a working copy, as
/// [`heic::decode`] does for HEIC: luma only, transforms applied, long side at most
/// [`heic::WORKING_SIDE`].
///
/// The decoding runs in a child process, the worker program the caller named with
/// [`set_worker`] (the `idvault` binary names itself). A library user that names none gets a
/// [`DecodeError`] for each AVIF file instead of a copy of its own program started. A panic inside
/// rav1d cannot be caught (its functions are `extern "C"`, so it aborts the process; the fuzzer
/// found such an input, kept in `crates/av1/testdata/`), and a worker that aborts, hangs or
/// answers nonsense costs only its file a note, never the scan.
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    let Some(worker) = WORKER.get() else {
        return Err(DecodeError::Corrupt(
            "AV1 is decoded by a worker program, and none was set".into(),
        ));
    };
    let mut child = Command::new(worker)
        .arg(WORKER_ARG)
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| DecodeError::Corrupt(format!("cannot start the AV1 decoder: {e}")))?;
    let (Some(mut input), Some(output)) = (child.stdin.take(), child.stdout.take()) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(DecodeError::Panicked);
    };
    let (status, answer) = std::thread::scope(|s| {
        // A worker that stops reading (it crashed) ends the write with an error: ignored, as
        // its exit status says what happened.
        s.spawn(move || input.write_all(bytes));
        let reader = s.spawn(move || {
            let mut answer = Vec::new();
            output
                .take(MAX_ANSWER)
                .read_to_end(&mut answer)
                .map(|_| answer)
        });
        let status = match child.wait_timeout(WORKER_TIMEOUT) {
            Ok(Some(status)) => Some(status),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                None
            }
        };
        (status, reader.join())
    });
    match (status, answer) {
        (None, _) => Err(DecodeError::Corrupt(format!(
            "AV1 decoding took longer than {} s",
            WORKER_TIMEOUT.as_secs()
        ))),
        (Some(status), Ok(Ok(answer))) if status.success() => read_answer(&answer),
        _ => Err(DecodeError::Panicked),
    }
}

/// The worker's side of the scan's AVIF decoding: reads an AVIF file from `input` (which the
/// caller bounds), decodes it in this process and writes the answer to `output`.
pub fn serve(mut input: impl Read, mut output: impl Write) -> io::Result<()> {
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes)?;
    let mut answer = Vec::new();
    match decode_here(&bytes) {
        Ok(d) => {
            answer.push(b'O');
            for n in [d.rgb.width(), d.rgb.height(), d.full_width, d.full_height] {
                answer.extend_from_slice(&n.to_le_bytes());
            }
            answer.extend(d.rgb.pixels().map(|p| p[0]));
        }
        Err(DecodeError::TooLarge { width, height }) => {
            answer.push(b'L');
            answer.extend_from_slice(&width.to_le_bytes());
            answer.extend_from_slice(&height.to_le_bytes());
        }
        Err(e) => {
            answer.push(b'E');
            answer.extend_from_slice(e.to_string().as_bytes());
        }
    }
    output.write_all(&answer)?;
    output.flush()
}

/// The largest answer a worker can give: a working copy of [`heic::WORKING_SIDE`] squared and
/// its header.
const MAX_ANSWER: u64 = (heic::WORKING_SIDE as u64).pow(2) + 17;

/// Reads a worker's answer (see [`serve`]), trusting none of it.
fn read_answer(answer: &[u8]) -> Result<Decoded, DecodeError> {
    let nonsense = || DecodeError::Corrupt("the AV1 decoder gave no usable answer".into());
    let u32_at = |i: usize| -> Option<u32> {
        Some(u32::from_le_bytes(answer.get(i..i + 4)?.try_into().ok()?))
    };
    let u64_at = |i: usize| -> Option<u64> {
        Some(u64::from_le_bytes(answer.get(i..i + 8)?.try_into().ok()?))
    };
    match answer.first() {
        Some(b'O') => {
            let [w, h, full_w, full_h] = [1, 5, 9, 13].map(|i| u32_at(i).ok_or_else(nonsense));
            let (w, h, full_w, full_h) = (w?, h?, full_w?, full_h?);
            if w.max(h) > heic::WORKING_SIDE
                || u64::from(full_w) * u64::from(full_h) > decode::MAX_PIXELS
            {
                return Err(nonsense());
            }
            // Exactly the pixels announced: `from_raw` alone accepts a longer buffer.
            let pixels = &answer[17..];
            if pixels.len() as u64 != u64::from(w) * u64::from(h) {
                return Err(nonsense());
            }
            let gray = GrayImage::from_raw(w, h, pixels.to_vec()).ok_or_else(nonsense)?;
            Ok(heic::from_luma(gray, full_w, full_h))
        }
        Some(b'L') => match (u64_at(1), u64_at(9)) {
            (Some(width), Some(height)) => Err(DecodeError::TooLarge { width, height }),
            _ => Err(nonsense()),
        },
        Some(b'E') => Err(DecodeError::Corrupt(
            String::from_utf8_lossy(&answer[1..]).into_owned(),
        )),
        _ => Err(nonsense()),
    }
}

/// `decode` in this process: what the worker runs (and the fuzz target, for which an abort
/// inside rav1d is the crash to find).
pub fn decode_here(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    // A panic in the container parser or in this module becomes an error on the file.
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
        assert!(decode_here(&ftyp).is_err());
        ftyp.extend((0..5000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8));
        assert!(decode_here(&ftyp).is_err());
    }
}
