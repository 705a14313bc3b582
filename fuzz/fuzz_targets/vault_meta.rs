//! Fuzz target: the vault's parsers of bytes found on disk — the age file header and stream
//! (with a throw-away identity), the decrypted manifest and entry metadata (JSON), the public
//! config (TOML) and the recipient strings in it. The vault folder may be writable by others,
//! so any panic is a bug.
#![no_main]

use std::sync::LazyLock;

use idvault::fuzzing;
use idvault::fuzzing::vault::{Config, EntryId};
use idvault::fuzzing::vault::{Entry, Manifest};

static IDENTITY: LazyLock<age::x25519::Identity> = LazyLock::new(age::x25519::Identity::generate);

fn entry(e: &Entry) {
    let _ = e.file_name();
    let _ = EntryId::parse(e.id.as_str());
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let id: &dyn age::Identity = &*IDENTITY;
    let _ = fuzzing::vault::decrypt_small(data, id);
    if let Ok(m) = serde_json::from_slice::<Manifest>(data) {
        m.entries.iter().for_each(entry);
    }
    if let Ok(e) = serde_json::from_slice::<Entry>(data) {
        entry(&e);
    }
    let text = String::from_utf8_lossy(data);
    if let Ok(c) = Config::parse(&text) {
        for r in &c.recipients {
            let _ = fuzzing::vault::parse_recipient(r);
        }
    }
    let _ = fuzzing::vault::parse_recipient(&text);
    let _ = EntryId::parse(&text);
});
