//! The age layer: parsing recipients and identities, streaming encryption and decryption in
//! 64 KiB blocks with a SHA-256 of the plaintext computed on the way, and the vault identity
//! sealed under a passphrase.
//!
//! Everything here produces or reads standard age v1 files, so that any entry opens with the
//! stock `age` CLI.

use std::io::{self, BufReader, Read, Write};
use std::path::Path;
use std::sync::mpsc;
use std::thread;

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::Error;
use crate::fsutil::hex;

/// Size of the blocks read from a source and handed to the age stream: one age chunk.
pub(crate) const BLOCK: usize = 64 * 1024;
/// The scrypt work factor `vault init` seals the vault identity with (2^18, as the Go `age`
/// CLI uses for passphrases: about a second and 256 MiB). Fixed rather than measured, so that
/// a vault's `identity.age` asking for more was not written by this idvault.
pub const SCRYPT_LOG_N: u8 = 18;
/// The most accepted from a vault this machine has no record of: earlier idvaults let age
/// measure the factor (about a second of work on the machine at hand, 2^19 on a slow
/// development machine), so their vaults may ask for a little more. Such an identity is
/// re-sealed at [`SCRYPT_LOG_N`] at its first unlock, and from then on the trust record holds
/// this machine to that.
pub const LEGACY_SCRYPT_LOG_N: u8 = 20;
/// The largest scrypt work factor accepted for an identity file given with `--identity` (age's
/// own default ceiling); such files are the user's own, not read from the vault folder.
const MAX_SCRYPT_LOG_N: u8 = 22;
/// Identity files larger than this are refused (age's own limit).
const IDENTITY_FILE_LIMIT: u64 = 16 << 20;

/// A recipient a vault encrypts to.
pub(crate) type BoxRecipient = Box<dyn age::Recipient + Send + Sync>;
/// An identity that can open vault files.
pub type BoxIdentity = Box<dyn age::Identity + Send + Sync>;

/// The public recipients of a vault, parsed once per command.
pub struct Recipients {
    parsed: Vec<BoxRecipient>,
}

impl Recipients {
    /// Parses recipient strings as stored in the config.
    pub fn parse(list: &[String]) -> Result<Self, Error> {
        let parsed = list
            .iter()
            .map(|s| parse_recipient(s).map(|(r, _)| r))
            .collect::<Result<Vec<_>, _>>()?;
        if parsed.is_empty() {
            return Err(Error::NoRecipients);
        }
        Ok(Recipients { parsed })
    }

    fn encryptor(&self) -> Result<age::Encryptor, Error> {
        age::Encryptor::with_recipients(self.parsed.iter().map(|r| r.as_ref() as _))
            .map_err(|e| Error::Encrypt(e.to_string()))
    }
}

/// Parses one recipient: an age X25519 key (`age1…`) or an SSH public key (`ssh-ed25519 …`,
/// `ssh-rsa …`). Returns the recipient and its canonical text, without any SSH key comment
/// (comments often hold `user@host`, which the public config must not reveal).
pub(crate) fn parse_recipient(s: &str) -> Result<(BoxRecipient, String), Error> {
    let s = s.trim();
    let bad = |message: String| Error::BadRecipient {
        recipient: s.split_whitespace().next().unwrap_or_default().to_string(),
        message,
    };
    if s.starts_with("age1") {
        let r: age::x25519::Recipient = s.parse().map_err(|e: &str| bad(e.to_string()))?;
        let text = r.to_string();
        return Ok((Box::new(r), text));
    }
    if s.starts_with("ssh-") {
        let key: Vec<&str> = s.split_whitespace().take(2).collect();
        let key = key.join(" ");
        let r: age::ssh::Recipient = key
            .parse()
            .map_err(|e| bad(format!("not a usable SSH public key ({e:?})")))?;
        let text = r.to_string();
        return Ok((Box::new(r), text));
    }
    Err(bad(
        "expected an age public key (age1…) or an SSH public key (ssh-ed25519 …, ssh-rsa …)".into(),
    ))
}

/// Reads a recipients file: one recipient a line, `#` comments and blank lines ignored.
pub fn read_recipients_file(path: &Path) -> Result<Vec<String>, Error> {
    let bytes = super::format::read_small(path, super::format::CONFIG_LIMIT)
        .map_err(|e| Error::io("read", path, e))?;
    let text = String::from_utf8(bytes).map_err(|_| Error::BadRecipient {
        recipient: path.display().to_string(),
        message: "the recipients file is not UTF-8 text".into(),
    })?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect())
}

/// A fresh X25519 identity for a new vault: its secret text and public recipient.
pub(crate) fn generate_identity() -> (SecretString, String) {
    let id = age::x25519::Identity::generate();
    (id.to_string(), id.to_public().to_string())
}

/// Encrypts an identity file's text under `passphrase` (one scrypt).
pub(crate) fn seal_identity(
    secret: &SecretString,
    passphrase: &SecretString,
) -> Result<Vec<u8>, Error> {
    let public = secret
        .expose_secret()
        .parse::<age::x25519::Identity>()
        .map(|i| i.to_public().to_string())
        .map_err(|e| Error::Encrypt(e.to_string()))?;
    let text = Zeroizing::new(format!(
        "# idvault vault identity\n# public key: {public}\n{SEALED_MARKER}\n{}\n",
        secret.expose_secret()
    ));
    let mut recipient = age::scrypt::Recipient::new(passphrase.clone());
    recipient.set_work_factor(SCRYPT_LOG_N);
    let enc = age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
        .map_err(|e| Error::Encrypt(e.to_string()))?;
    let mut out = Vec::new();
    let mut w = enc
        .wrap_output(&mut out)
        .map_err(|e| Error::Encrypt(e.to_string()))?;
    w.write_all(text.as_bytes())
        .and_then(|()| w.finish().map(drop))
        .map_err(|e| Error::Encrypt(e.to_string()))?;
    Ok(out)
}

/// A comment line in the identity of every vault whose config and manifest are sealed: the
/// passphrase authenticates it, so a config without a seal is known to have lost it.
const SEALED_MARKER: &str = "# idvault: config and manifest are sealed with this identity";

/// The vault identity, opened.
pub(crate) struct VaultIdentity {
    /// Every identity in the file, for decrypting.
    pub ids: Vec<BoxIdentity>,
    /// The vault's own X25519 secret (`AGE-SECRET-KEY-1…`), to derive seal keys from.
    pub secret: SecretString,
    /// Its public key.
    pub public: String,
    /// True when the file says the vault's config and manifest carry seals.
    pub expects_seal: bool,
    /// The scrypt work factor it was sealed with.
    pub work_factor: Option<u8>,
}

/// The scrypt work factor (log2 N) an age passphrase file's header asks for, if it has a
/// scrypt stanza (`-> scrypt SALT N`), read from its text header without any scrypt.
fn scrypt_work_factor(header: &[u8]) -> Option<u8> {
    header
        .split(|&b| b == b'\n')
        .take_while(|l| !l.starts_with(b"---"))
        .find_map(|l| l.strip_prefix(b"-> scrypt "))
        .and_then(|args| args.rsplit(|&b| b == b' ').next())
        .and_then(|n| std::str::from_utf8(n).ok()?.parse().ok())
}

/// Opens the sealed vault identity at `path` with `passphrase` (one scrypt). A work factor
/// above `max_log_n` is refused before any scrypt runs: identity.age lies in the vault folder,
/// which others may be able to write, and 2^22 costs half a minute and 4 GiB (age's own
/// ceiling would allow it).
pub(crate) fn unseal_identity(
    path: &Path,
    passphrase: &SecretString,
    max_log_n: u8,
) -> Result<VaultIdentity, Error> {
    let mut file =
        crate::fsutil::open_regular_nofollow(path).map_err(|e| Error::io("open", path, e))?;
    let mut head = Vec::new();
    (&mut file)
        .take(4096)
        .read_to_end(&mut head)
        .and_then(|_| std::io::Seek::rewind(&mut file))
        .map_err(|e| Error::io("read", path, e))?;
    let log_n = scrypt_work_factor(&head);
    if let Some(found) = log_n.filter(|&n| n > max_log_n) {
        return Err(Error::ExcessiveWork {
            path: path.to_path_buf(),
            found,
            max: max_log_n,
        });
    }
    let mut id = age::scrypt::Identity::new(passphrase.clone());
    id.set_max_work_factor(max_log_n);
    let decryptor = age::Decryptor::new(BufReader::new(file)).map_err(decrypt_error)?;
    let reader = decryptor
        .decrypt(std::iter::once(&id as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys => {
                Error::WrongPassphrase
            }
            age::DecryptError::ExcessiveWork { required, .. } => Error::ExcessiveWork {
                path: path.to_path_buf(),
                found: required,
                max: max_log_n,
            },
            other => decrypt_error(other).in_file(path),
        })?;
    let plain = read_capped(reader, IDENTITY_FILE_LIMIT).map_err(|e| e.in_file(path))?;
    let ids = parse_identity_text(&plain, path)?;
    let text = std::str::from_utf8(&plain).map_err(|_| Error::BadIdentityFile {
        path: path.to_path_buf(),
        message: "not UTF-8 text".into(),
    })?;
    let own = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .and_then(|l| l.parse::<age::x25519::Identity>().ok())
        .ok_or_else(|| Error::BadIdentityFile {
            path: path.to_path_buf(),
            message: "holds no X25519 identity".into(),
        })?;
    Ok(VaultIdentity {
        ids,
        public: own.to_public().to_string(),
        secret: own.to_string(),
        expects_seal: text.lines().any(|l| l.trim() == SEALED_MARKER),
        work_factor: log_n,
    })
}

/// Loads an identity file given with `--identity`: an age identity file (plain or
/// passphrase-encrypted) or an SSH private key. `callbacks` answer passphrase requests for
/// encrypted files.
pub fn load_identity_file<C: age::Callbacks>(
    path: &Path,
    callbacks: C,
) -> Result<Vec<BoxIdentity>, Error> {
    let file =
        crate::fsutil::open_regular_nofollow(path).map_err(|e| Error::io("open", path, e))?;
    let mut data = Zeroizing::new(Vec::new());
    file.take(IDENTITY_FILE_LIMIT)
        .read_to_end(&mut data)
        .map_err(|e| Error::io("read", path, e))?;
    let bad = |message: &str| Error::BadIdentityFile {
        path: path.to_path_buf(),
        message: message.to_string(),
    };
    if data.starts_with(b"-----BEGIN") {
        let id = age::ssh::Identity::from_buffer(&data[..], Some(path.display().to_string()))
            .map_err(|_| bad("not a supported SSH private key"))?;
        if matches!(id, age::ssh::Identity::Unsupported(_)) {
            return Err(bad("this SSH key type is not supported by age"));
        }
        return Ok(vec![Box::new(id.with_callbacks(callbacks))]);
    }
    if data.starts_with(b"age-encryption.org/v1") {
        let passphrase = callbacks
            .request_passphrase("passphrase for the encrypted identity file")
            .ok_or_else(|| bad("encrypted identity file, and no passphrase was given"))?;
        let mut id = age::scrypt::Identity::new(passphrase);
        id.set_max_work_factor(MAX_SCRYPT_LOG_N);
        let identities = std::iter::once(&id as &dyn age::Identity);
        let plain = decrypt_small(&data[..], identities, IDENTITY_FILE_LIMIT)
            .map_err(|_| bad("wrong passphrase for the encrypted identity file"))?;
        return parse_identity_text(&plain, path);
    }
    parse_identity_text(&data, path)
}

fn parse_identity_text(text: &[u8], path: &Path) -> Result<Vec<BoxIdentity>, Error> {
    let bad = |message: String| Error::BadIdentityFile {
        path: path.to_path_buf(),
        message,
    };
    let ids = age::IdentityFile::from_buffer(text)
        .map_err(|_| bad("not an age identity file".into()))?
        .into_identities()
        .map_err(|e| bad(e.to_string()))?;
    if ids.is_empty() {
        return Err(bad("holds no identity".into()));
    }
    Ok(ids)
}

/// Decrypts a small age file (an identity, a manifest, an entry's metadata) into memory that is
/// zeroed when dropped. A plaintext longer than `limit` bytes is refused as damaged, after
/// reading no more than that: the vault folder may be writable by others, who can encrypt
/// anything to its public recipients.
pub(crate) fn decrypt_small<'a>(
    input: impl Read,
    identities: impl Iterator<Item = &'a dyn age::Identity>,
    limit: u64,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    read_capped(open_reader(BufReader::new(input), identities)?, limit)
}

/// Reads at most `limit` bytes of plaintext; more is an error.
fn read_capped(reader: impl Read, limit: u64) -> Result<Zeroizing<Vec<u8>>, Error> {
    let mut out = Zeroizing::new(Vec::new());
    reader
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(corrupt)?;
    if out.len() as u64 > limit {
        return Err(Error::Corrupt {
            message: format!(
                "decrypts to more than {limit} bytes, the most idvault reads for this file; not read"
            ),
        });
    }
    Ok(out)
}

fn open_reader<'a, R: Read>(
    input: R,
    identities: impl Iterator<Item = &'a dyn age::Identity>,
) -> Result<age::stream::StreamReader<R>, Error> {
    let decryptor = age::Decryptor::new(input).map_err(decrypt_error)?;
    decryptor.decrypt(identities).map_err(decrypt_error)
}

fn decrypt_error(e: age::DecryptError) -> Error {
    match e {
        age::DecryptError::NoMatchingKeys => Error::NoMatchingIdentity,
        age::DecryptError::Io(e) => corrupt(e),
        other => Error::Corrupt {
            message: other.to_string(),
        },
    }
}

fn corrupt(e: io::Error) -> Error {
    Error::Corrupt {
        message: e.to_string(),
    }
}

/// Encrypts a small plaintext to the recipients.
pub(crate) fn encrypt_small(
    recipients: &Recipients,
    plain: &[u8],
    out: impl Write,
) -> io::Result<()> {
    let enc = recipients
        .encryptor()
        .map_err(|e| io::Error::other(e.to_string()))?;
    let mut w = enc.wrap_output(out)?;
    w.write_all(plain)?;
    w.finish().map(drop)
}

/// What a stream carried: its length and SHA-256.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digested {
    pub len: u64,
    pub sha256: String,
}

/// Reads `src` to its end in [`BLOCK`]-sized pieces, hashing each and handing it to `sink`.
///
/// Read errors come back as `Err(Left)`, sink errors as `Err(Right)`, so callers can blame the
/// right file.
fn pump(
    src: &mut impl Read,
    mut sink: impl FnMut(&[u8]) -> io::Result<()>,
) -> Result<Digested, Side> {
    let mut buf = Zeroizing::new(vec![0u8; BLOCK]);
    let mut hasher = Sha256::new();
    let mut len = 0u64;
    loop {
        let n = fill(src, &mut buf).map_err(Side::Source)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        sink(&buf[..n]).map_err(Side::Sink)?;
        len += n as u64;
        if n < BLOCK {
            break;
        }
    }
    Ok(Digested {
        len,
        sha256: hex(&hasher.finalize()),
    })
}

/// Which end of a stream (source or sink) failed.
#[derive(Debug)]
pub(crate) enum Side {
    Source(io::Error),
    Sink(io::Error),
}

/// Reads until `buf` is full or the source ends; returns the bytes read.
fn fill(src: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match src.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Hashes `src` to its end.
pub(crate) fn digest(src: &mut impl Read) -> io::Result<Digested> {
    pump(src, |_| Ok(())).map_err(|side| match side {
        Side::Source(e) | Side::Sink(e) => e,
    })
}

/// Encrypts `src` to the recipients into `out`, streaming; returns the plaintext's digest.
///
/// Reading and hashing run on a helper thread while this thread encrypts and writes, with
/// three 64 KiB buffers passed back and forth: memory stays constant, and one large file uses
/// two cores (encryption is the slow stage; hashing and reading hide behind it).
pub(crate) fn encrypt_stream<W: Write>(
    recipients: &Recipients,
    src: &mut (impl Read + Send),
    out: W,
) -> Result<Digested, Side> {
    let enc = recipients
        .encryptor()
        .map_err(|e| Side::Sink(io::Error::other(e.to_string())))?;
    let mut w = enc.wrap_output(out).map_err(Side::Sink)?;
    let (full_tx, full_rx) = mpsc::sync_channel::<(Zeroizing<Vec<u8>>, usize)>(2);
    let (empty_tx, empty_rx) = mpsc::sync_channel::<Zeroizing<Vec<u8>>>(3);
    for _ in 0..3 {
        empty_tx
            .send(Zeroizing::new(vec![0u8; BLOCK]))
            .expect("channel has room");
    }
    let digest = thread::scope(|s| {
        let reader = s.spawn(move || -> io::Result<Digested> {
            let mut hasher = Sha256::new();
            let mut len = 0u64;
            // The writer hung up (it failed): stop; its error is the one reported.
            while let Ok(mut buf) = empty_rx.recv() {
                let n = fill(src, &mut buf)?;
                hasher.update(&buf[..n]);
                len += n as u64;
                if full_tx.send((buf, n)).is_err() || n < BLOCK {
                    break;
                }
            }
            Ok(Digested {
                len,
                sha256: hex(&hasher.finalize()),
            })
        });
        let mut written = Ok(());
        for (buf, n) in full_rx {
            written = w.write_all(&buf[..n]);
            if written.is_err() || n < BLOCK {
                break;
            }
            // The reader may already have finished (its last block is queued): that is fine.
            let _ = empty_tx.send(buf);
        }
        drop(empty_tx);
        let read = reader.join().expect("reader thread does not panic");
        written.map_err(Side::Sink)?;
        read.map_err(Side::Source)
    })?;
    w.finish().map_err(Side::Sink)?;
    Ok(digest)
}

/// Decrypts the age file `src` into `out`, streaming; returns the plaintext's digest. A
/// truncated, altered or foreign file is an error; `out` may have received part of the
/// plaintext by then, so callers write to a temporary file or a sink. `out_path` names `out`
/// in errors.
pub(crate) fn decrypt_stream(
    identities: &[BoxIdentity],
    src: impl Read,
    out: &mut impl Write,
    out_path: &Path,
) -> Result<Digested, Error> {
    let mut reader = open_reader(src, identities.iter().map(|i| i.as_ref() as _))?;
    pump(&mut reader, |block| out.write_all(block)).map_err(|side| match side {
        Side::Source(e) => corrupt(e),
        Side::Sink(e) => Error::io("write", out_path, e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keypair() -> (Vec<BoxIdentity>, Recipients) {
        let (secret, public) = generate_identity();
        let id: age::x25519::Identity = secret.expose_secret().parse().unwrap();
        (vec![Box::new(id)], Recipients::parse(&[public]).unwrap())
    }

    #[test]
    fn stream_round_trip_across_block_boundaries() {
        let (ids, rcpt) = keypair();
        for len in [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 7] {
            let plain: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let mut ct = Vec::new();
            let d = encrypt_stream(&rcpt, &mut &plain[..], &mut ct).unwrap();
            assert_eq!(d.len, len as u64);
            assert_eq!(d.sha256, hex(&Sha256::digest(&plain)));
            let mut back = Vec::new();
            let d2 = decrypt_stream(&ids, &ct[..], &mut back, Path::new("-")).unwrap();
            assert!(back == plain, "round trip differs at length {len}");
            assert_eq!(d2, d);
        }
    }

    #[test]
    fn small_files_are_read_up_to_their_limit_and_no_further() {
        let (ids, rcpt) = keypair();
        let plain = vec![b'x'; BLOCK + 5];
        let mut ct = Vec::new();
        encrypt_stream(&rcpt, &mut &plain[..], &mut ct).unwrap();
        let ids = || ids.iter().map(|i| i.as_ref() as &dyn age::Identity);
        let exact = decrypt_small(&ct[..], ids(), plain.len() as u64).unwrap();
        assert!(*exact == plain);
        let over = decrypt_small(&ct[..], ids(), plain.len() as u64 - 1).unwrap_err();
        assert!(
            over.to_string()
                .contains("decrypts to more than 65540 bytes"),
            "{over}"
        );
    }

    #[test]
    fn tampering_is_detected() {
        let (ids, rcpt) = keypair();
        let plain = vec![7u8; BLOCK * 2];
        let mut ct = Vec::new();
        encrypt_stream(&rcpt, &mut &plain[..], &mut ct).unwrap();
        let mut flipped = ct.clone();
        let at = flipped.len() - 100;
        flipped[at] ^= 1;
        assert!(decrypt_stream(&ids, &flipped[..], &mut io::sink(), Path::new("-")).is_err());
        let truncated = &ct[..ct.len() - BLOCK / 2];
        assert!(decrypt_stream(&ids, truncated, &mut io::sink(), Path::new("-")).is_err());
        let (other, _) = keypair();
        assert!(matches!(
            decrypt_stream(&other, &ct[..], &mut io::sink(), Path::new("-")),
            Err(Error::NoMatchingIdentity)
        ));
    }

    #[test]
    fn the_work_factor_is_read_from_the_header_without_scrypt() {
        let pass = SecretString::from("maple gravel tundra whistle cobalt".to_string());
        let (secret, _) = generate_identity();
        let sealed = seal_identity(&secret, &pass).unwrap();
        assert_eq!(scrypt_work_factor(&sealed), Some(SCRYPT_LOG_N));
        let planted = b"age-encryption.org/v1\n-> scrypt c2FsdHNhbHRzYWx0c2FsdA 22\nAAAA\n--- x\n";
        assert_eq!(scrypt_work_factor(planted), Some(22));
        assert_eq!(
            scrypt_work_factor(b"age-encryption.org/v1\n-> X25519 abc\n"),
            None
        );
    }

    #[test]
    fn recipients_parse_and_drop_ssh_comments() {
        let (_, public) = generate_identity();
        assert_eq!(parse_recipient(&public).unwrap().1, public);
        let ssh = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsKLqeplhpW+uObz5dvMgjz1OxfM/XXUB+VHtZ6isGN alice@host";
        let (_, text) = parse_recipient(ssh).unwrap();
        assert!(!text.contains("alice"));
        assert!(text.starts_with("ssh-ed25519 AAAA"));
        assert!(parse_recipient("nonsense").is_err());
    }
}
