//! What a cleaned movie must keep beyond its media (which [`super::coded_data`] compares): the
//! movie and track headers, edit lists and handler types, for `metadata::verify`.

use super::coded_data;
use crate::media::StripError;
use crate::media::bmff;
use crate::media::parts::{Decode, Kept, Rules, all_coded};

/// MP4/MOV: the movie and track headers (timescale, duration, matrix, geometry, volume), edit
/// lists and handler types of the kept tracks are equal; only the creation and modification
/// times may differ. Nothing moves in a cleaned movie, so tracks pair up by offset.
fn movie_headers(input: &[u8], out: &[u8]) -> Result<(), String> {
    let moov = |d| {
        bmff::boxes(d)
            .find(|b| &b.kind == b"moov")
            .map(|b| b.payload)
    };
    let (Some(a), Some(b)) = (moov(input), moov(out)) else {
        return Ok(()); // no movie box: nothing but the coded data to compare
    };
    if !same_timed(bmff::find(a, b"mvhd"), bmff::find(b, b"mvhd")) {
        return Err("movie header (mvhd) changed".into());
    }
    let out_boxes: Vec<_> = bmff::boxes(b).collect();
    for t in bmff::boxes(a).filter(|t| &t.kind == b"trak") {
        let Some(kept) = out_boxes
            .iter()
            .find(|o| o.offset == t.offset && &o.kind == b"trak")
        else {
            continue; // a removed metadata track; the coded data shows no media track went
        };
        let offset = t.offset;
        let (t, k) = (t.payload, kept.payload);
        let same = same_timed(bmff::find(t, b"tkhd"), bmff::find(k, b"tkhd"))
            && same_timed(
                bmff::find_path(t, &[b"mdia", b"mdhd"]),
                bmff::find_path(k, &[b"mdia", b"mdhd"]),
            )
            && bmff::find(t, b"edts").map(|b| b.payload)
                == bmff::find(k, b"edts").map(|b| b.payload)
            && handler_type(t) == handler_type(k);
        if !same {
            return Err(format!(
                "header, edit list or handler of the track at offset {offset} in moov changed"
            ));
        }
    }
    Ok(())
}

/// Whether two `mvhd`/`tkhd`/`mdhd` boxes are equal apart from their creation and modification
/// times (4 bytes each in version 0, 8 in version 1, after the version and flags).
fn same_timed(a: Option<bmff::BoxRef<'_>>, b: Option<bmff::BoxRef<'_>>) -> bool {
    fn untimed(p: &[u8]) -> (Option<&[u8]>, Option<&[u8]>) {
        let times = if p.first() == Some(&1) { 16 } else { 8 };
        (p.get(..4), p.get(4 + times..))
    }
    match (a, b) {
        (Some(a), Some(b)) => untimed(a.payload) == untimed(b.payload),
        (None, None) => true,
        _ => false,
    }
}

/// The handler type of a track (`vide`, `soun`, …), which says how its samples are decoded.
fn handler_type(trak: &[u8]) -> Option<&[u8]> {
    bmff::handler(trak)
}

/// How verification checks a cleaned movie: its media tracks' samples and tables, then its
/// headers.
pub(crate) const RULES: Rules = Rules::Parts {
    parts: |data, format| coded_data(data, format).map(all_coded),
    kept: Kept::Structure(|input, out, _, _| movie_headers(input, out).map_err(StripError::Verify)),
    decode: |_| Decode::AsAsked,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn movie_headers_compare_all_but_times() {
        let movie = |created: u8, width: u8, elst: u8| {
            let mut tkhd = vec![0u8; 84];
            tkhd[4] = created;
            tkhd[76] = width;
            let trak = [
                bmff::boxed(b"tkhd", &tkhd),
                bmff::boxed(b"edts", &[elst; 4]),
            ]
            .concat();
            let mut mvhd = vec![0u8; 100];
            mvhd[4] = created;
            bmff::boxed(
                b"moov",
                &[bmff::boxed(b"mvhd", &mvhd), bmff::boxed(b"trak", &trak)].concat(),
            )
        };
        assert!(movie_headers(&movie(1, 2, 3), &movie(0, 2, 3)).is_ok());
        assert!(movie_headers(&movie(1, 2, 3), &movie(1, 4, 3)).is_err());
        assert!(movie_headers(&movie(1, 2, 3), &movie(1, 2, 5)).is_err());
    }
}
