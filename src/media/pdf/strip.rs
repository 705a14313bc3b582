//! PDF: removes the document information dictionary (trailer `/Info`: author, creator,
//! producer, dates, often the scanning app and device), every XMP metadata stream (the
//! catalog's `/Metadata` and those of pages, images, fonts and other objects), `/PieceInfo`
//! (applications' private data) and `/LastModified`, and the earlier revisions of an
//! incrementally updated file along with every object nothing refers to.
//!
//! `lopdf` parses the file and writes the clean one in full (no incremental update, which would
//! leave the old metadata in the file): objects keep their numbers and their streams' bytes as
//! stored, so page content, fonts and images are copied, not re-encoded. The trailer `/ID` is
//! kept (see docs/strip.md). Encrypted files are not supported: rewriting them needs the key.
//! [`verify`] checks a cleaned file: everything but the metadata is the input's.

use std::cell::RefCell;
use std::collections::HashMap;

use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId};

use crate::media::limits::PDF_STREAM_MAX_BYTES;
use crate::media::parts::Rules;
use crate::media::sniff::FileType;
use crate::media::{Log, StripError};

const FORMAT: FileType = FileType::Pdf;
/// Dictionary keys that hold metadata wherever they appear.
const METADATA_KEYS: [&[u8]; 3] = [b"Metadata", b"PieceInfo", b"LastModified"];

/// Loads a PDF, refusing encrypted ones.
fn load(input: &[u8]) -> Result<Document, StripError> {
    let options = LoadOptions {
        max_decompressed_size: Some(PDF_STREAM_MAX_BYTES),
        ..LoadOptions::default()
    };
    let encrypted = || StripError::Unsupported {
        what: "encrypted PDF: rewriting it needs its key".into(),
    };
    let doc = match Document::load_mem_with_options(input, options) {
        Ok(d) => d,
        Err(lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword) => return Err(encrypted()),
        Err(e) => return Err(StripError::malformed(FORMAT, e.to_string())),
    };
    if doc.is_encrypted() || doc.trailer.has(b"Encrypt") {
        return Err(encrypted());
    }
    if doc.catalog().is_err() {
        return Err(StripError::malformed(FORMAT, "no document catalog"));
    }
    Ok(doc)
}

/// How many revisions the file holds: one `startxref` each, less the first-page one of a
/// linearized file.
fn revisions(input: &[u8]) -> usize {
    let n = memchr::memmem::find_iter(input, b"startxref").count();
    let head = &input[..input.len().min(1024)];
    let linearized = memchr::memmem::find(head, b"/Linearized").is_some();
    n.saturating_sub(usize::from(linearized && n > 1))
}

/// The serialized size of an object, for the log.
fn size_of(doc: &Document, obj: &Object) -> usize {
    let (_, obj) = doc.dereference(obj).unwrap_or((None, obj));
    match obj {
        Object::Stream(s) => s.content.len() + 64,
        Object::Dictionary(d) => d.len() * 24,
        _ => 16,
    }
}

pub(crate) fn clean(input: &[u8], log: &mut Log) -> Result<Vec<u8>, StripError> {
    let mut doc = load(input)?;
    // Objects nothing refers to before anything is removed: earlier revisions' leftovers and
    // garbage (object and cross-reference streams are expanded on load and do not count).
    let structural = |o: &Object| {
        let d = match o {
            Object::Stream(s) => &s.dict,
            _ => return false,
        };
        d.has_type(b"ObjStm") || d.has_type(b"XRef")
    };
    let unused: Vec<ObjectId> = {
        let mut probe = doc.clone();
        probe
            .prune_objects()
            .into_iter()
            .filter(|id| doc.objects.get(id).is_some_and(|o| !structural(o)))
            .collect()
    };
    let earlier = revisions(input) > 1;
    if let Some(info) = doc.trailer.remove(b"Info") {
        let size = size_of(&doc, &info);
        log.add("document information (author, producer, dates)", size);
    }
    // Metadata keys are taken out wherever they are reachable; their values are logged after.
    let taken: RefCell<Vec<(&'static str, Object)>> = RefCell::new(Vec::new());
    doc.traverse_objects(|o| {
        let dict = match o {
            Object::Dictionary(d) => d,
            Object::Stream(s) => &mut s.dict,
            _ => return,
        };
        for key in METADATA_KEYS {
            if let Some(v) = dict.remove(key) {
                let group = match key {
                    b"Metadata" => "XMP",
                    b"PieceInfo" => "application data (PieceInfo)",
                    _ => "modification dates",
                };
                taken.borrow_mut().push((group, v));
            }
        }
    });
    for (group, v) in taken.into_inner() {
        log.add(group, size_of(&doc, &v));
    }
    if !unused.is_empty() || earlier {
        let size: usize = unused
            .iter()
            .filter_map(|id| doc.objects.get(id))
            .map(|o| size_of(&doc, o))
            .sum();
        log.add("earlier revisions and unused objects", size);
    }
    if log.is_empty() || log.dry {
        return Ok(input.to_vec());
    }
    doc.prune_objects();
    // One more than the highest object number, as a reader checks (pruning lowered it).
    let size = doc.objects.keys().map(|id| id.0).max().unwrap_or(0) + 1;
    doc.max_id = size - 1;
    doc.trailer.set("Size", i64::from(size));
    let mut out = Vec::with_capacity(input.len());
    doc.save_to(&mut out)
        .map_err(|e| StripError::malformed(FORMAT, format!("cannot write the clean file: {e}")))?;
    Ok(out)
}

/// Verifies a cleaned PDF (see `metadata::verify`): the output re-parses, has as many pages, and everything reachable from its catalog
/// (every page's content streams, resources with fonts and images, annotations, outlines,
/// forms), less the metadata keys, is the input's, compared by digest with objects numbered by
/// first visit.
fn verify(input: &[u8], out: &[u8]) -> Result<(), StripError> {
    let fail = |what: String| StripError::Verify(what);
    let a = load(input)?;
    let b = load(out).map_err(|e| fail(format!("output does not parse: {e}")))?;
    if a.get_pages().len() != b.get_pages().len() {
        return Err(fail("the output has a different number of pages".into()));
    }
    if a.get_pages()
        .into_values()
        .zip(b.get_pages().into_values())
        .any(|(p, q)| a.get_page_content(p) != b.get_page_content(q))
    {
        return Err(fail("a page's content stream differs".into()));
    }
    if content_digest(&a)? != content_digest(&b)? {
        return Err(fail(
            "page content, fonts, images or other document parts differ".into(),
        ));
    }
    Ok(())
}

/// How verification checks a cleaned PDF: whole, by [`verify`].
pub(crate) const RULES: Rules = Rules::Whole(verify);

/// A digest of everything reachable from the document catalog, every dictionary less
/// [`METADATA_KEYS`]: the page tree with each page's content streams, resources (fonts, images,
/// forms, colour spaces), annotations, and the document-level parts (outlines, names, forms,
/// optional content). Objects are numbered by first visit, so two files that differ only in
/// object numbers give the same digest. Iterative: a long outline or page chain cannot exhaust
/// the stack.
fn content_digest(doc: &Document) -> Result<blake3::Hash, StripError> {
    enum Task<'a> {
        Obj(&'a Object),
        /// A dictionary; `true` for a stream's, whose `/Length` is left out (the stream's
        /// bytes are compared, and a writer may make an indirect length direct).
        Dict(&'a Dictionary, bool),
        Bytes(&'static [u8]),
    }
    let root = doc
        .trailer
        .get(b"Root")
        .map_err(|_| StripError::malformed(FORMAT, "no /Root in the trailer"))?;
    let mut h = blake3::Hasher::new();
    let mut numbers: HashMap<ObjectId, u64> = HashMap::new();
    let mut todo = vec![Task::Obj(root)];
    let null = Object::Null;
    while let Some(t) = todo.pop() {
        let obj = match t {
            Task::Bytes(b) => {
                h.update(b);
                continue;
            }
            Task::Dict(d, stream) => {
                let mut keys: Vec<&Vec<u8>> = d
                    .iter()
                    .map(|(k, _)| k)
                    .filter(|k| !METADATA_KEYS.contains(&k.as_slice()))
                    .filter(|k| !(stream && k.as_slice() == b"Length"))
                    .collect();
                keys.sort();
                h.update(b"<<");
                h.update(&(keys.len() as u64).to_le_bytes());
                todo.push(Task::Bytes(b">>"));
                for k in keys.into_iter().rev() {
                    todo.push(Task::Obj(d.get(k).unwrap_or(&null)));
                    h.update(&(k.len() as u64).to_le_bytes());
                    h.update(k);
                }
                continue;
            }
            Task::Obj(o) => o,
        };
        match obj {
            Object::Reference(id) => {
                let next = numbers.len() as u64;
                match numbers.get(id) {
                    Some(n) => {
                        h.update(b"R");
                        h.update(&n.to_le_bytes());
                    }
                    None => {
                        numbers.insert(*id, next);
                        h.update(b"D");
                        h.update(&next.to_le_bytes());
                        todo.push(Task::Obj(doc.objects.get(id).unwrap_or(&null)));
                    }
                }
            }
            Object::Array(a) => {
                h.update(b"[");
                h.update(&(a.len() as u64).to_le_bytes());
                todo.extend(a.iter().rev().map(Task::Obj));
            }
            Object::Dictionary(d) => todo.push(Task::Dict(d, false)),
            Object::Stream(s) => {
                h.update(b"S");
                h.update(&(s.content.len() as u64).to_le_bytes());
                h.update(&s.content);
                todo.push(Task::Dict(&s.dict, true));
            }
            // Scalars by their written form (numbers, names, strings, booleans, null).
            other => {
                let mut v = Vec::new();
                lopdf::Writer::write_object(&mut v, other).ok();
                h.update(b"V");
                h.update(&(v.len() as u64).to_le_bytes());
                h.update(&v);
            }
        }
    }
    Ok(h.finalize())
}
