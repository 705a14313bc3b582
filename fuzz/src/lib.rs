//! Shared driver for the fuzz targets: each target prefixes the fuzzer's bytes with its
//! container's magic so that input reaches that parser, then strips with structural
//! verification. Any panic is a bug; errors are expected. Accepted output must strip again to
//! itself (no metadata left, idempotent).

use idvault::strip::{StripOptions, VerifyLevel, strip};

/// Strips `magic` followed by `data` and checks idempotence of whatever is accepted.
pub fn run(magic: &[u8], data: &[u8]) {
    let mut input = Vec::with_capacity(magic.len() + data.len());
    input.extend_from_slice(magic);
    input.extend_from_slice(data);
    let opts = StripOptions {
        verify: VerifyLevel::Structure,
        ..StripOptions::default()
    };
    if let Ok(s) = strip(&input, &opts) {
        let again = strip(&s.data, &opts).expect("accepted output must strip again");
        assert!(again.removed.is_empty(), "stripping is not idempotent");
    }
}

/// An `ftyp` box with `brand` as major and only compatible brand.
pub fn ftyp(brand: &[u8; 4]) -> Vec<u8> {
    let mut v = 20u32.to_be_bytes().to_vec();
    v.extend_from_slice(b"ftyp");
    v.extend_from_slice(brand);
    v.extend_from_slice(&[0; 4]);
    v.extend_from_slice(brand);
    v
}
