//! What a cleaned HEIF file must keep beyond its coded items (which [`super::strip::coded_data`]
//! compares): its item tables less the removed metadata items, for `metadata::verify`. Every
//! property (orientation, colour, geometry) is in `ipco`, which the coded data holds; the
//! tables that tie items to it are compared here.

use super::strip::{coded_data, tables};
use crate::media::StripError;
use crate::media::parts::{Decode, Kept, Rules, all_coded};
use crate::media::sniff::FileType;

/// HEIF: the output's item tables must be the input's without its metadata items: the same
/// primary item (`pitm`), the same `infe` and `iloc` entries of the kept items byte for byte,
/// the same `ipma` entries byte for byte (which properties, essential or not, each item has),
/// and the same `iref` references (thumbnails, grid tiles, alpha and depth planes) apart from
/// those to or from a removed item.
fn item_tables(input: &[u8], out: &[u8], format: FileType) -> Result<(), String> {
    let (a, b) = (
        tables(input, format).map_err(|e| e.to_string())?,
        tables(out, format).map_err(|e| e.to_string())?,
    );
    let want = a.without_metadata();
    for (name, same) in [
        ("primary item (pitm)", want.primary == b.primary),
        ("item entries (iinf)", want.items == b.items),
        ("item locations (iloc)", want.locations == b.locations),
        (
            "property associations (ipma)",
            want.properties == b.properties,
        ),
        ("item references (iref)", want.references == b.references),
    ] {
        if !same {
            return Err(format!("{name} changed"));
        }
    }
    Ok(())
}

/// How verification checks a cleaned HEIF or AVIF file: its kept items' bytes and properties,
/// then its item tables.
pub(crate) const RULES: Rules = Rules::Parts {
    parts: |data, format| coded_data(data, format).map(all_coded),
    kept: Kept::Structure(|input, out, format, _| {
        item_tables(input, out, format).map_err(StripError::Verify)
    }),
    decode: |_| Decode::AsAsked,
};
