//! Classification of one file: sniff its type, read its headers, gather the stage-0 signals and
//! turn them into a verdict.

use std::fs::{self, File};
use std::io::{self, Cursor, Read, Seek};
use std::path::Path;
#[cfg(feature = "content")]
use std::path::PathBuf;

use super::archive;
#[cfg(feature = "content")]
use super::content::analyse::{self, Context, Outcome};
#[cfg(feature = "content")]
use super::content::cache::{Before, ContentKey, Found};
use super::content::cache::{Cache, FileKey};
#[cfg(feature = "content")]
use super::content::container;
use super::finding::{ContentStatus, Evidence, Kind};
use super::signals::{self, HeaderMeta};
use super::walk::FileEntry;
use super::{Archives, Finding, Message, ScanOptions, Severity, Warning};
use crate::files::{FileId, place};
use crate::fsutil;
use crate::media::caps::Header;
use crate::media::limits::ANALYSE_MAX_BYTES;
use crate::media::sniff::{self, FileType};

/// How much of a file's start is read for sniffing and XMP.
pub const HEAD_LEN: usize = 128 * 1024;

/// What classifying one file produced.
#[derive(Debug, Default)]
pub struct Classified {
    /// Empty means "not media" or "nothing found"; more than one only for an archive (one per
    /// entry found).
    pub findings: Vec<Finding>,
    /// Problems worth a note even without a finding (undecodable pixels, an encrypted entry).
    pub notes: Vec<Warning>,
    pub content: ContentStatus,
    /// Not opened: an earlier scan found nothing in this unchanged file at this path.
    pub unchanged: bool,
}

impl Classified {
    /// Nothing at all to tell the user, whatever the filters: no vote and no note.
    fn is_clean(&self) -> bool {
        self.findings.is_empty() && self.notes.is_empty()
    }
}

/// Classifies one file: stage 0, then content analysis when `opts.content` is set. With a
/// cache, a file an earlier scan found clean is only stat'ed, and a clean file is recorded.
pub fn classify(
    entry: &FileEntry,
    opts: &ScanOptions,
    cache: Option<&Cache>,
) -> Result<Classified, Warning> {
    let absolute = entry.absolute();
    let Some(cache) = cache else {
        return classify_file(entry, &absolute, opts, None).map(|(c, _)| c);
    };
    // The verdict depends on the path too, so the key is taken from the path (not followed);
    // a failure here is reported by the open below.
    let before = fs::symlink_metadata(&entry.path).ok();
    let key = before
        .as_ref()
        .filter(|m| m.is_file())
        .map(|m| FileKey::of(m, &absolute, opts.content));
    if let Some(content) = key.as_ref().and_then(|k| cache.clean_file(k)) {
        return Ok(Classified {
            content,
            unchanged: true,
            ..Classified::default()
        });
    }
    let (classified, opened) = classify_file(entry, &absolute, opts, Some(cache))?;
    // Recorded only when the file read is the one the key describes.
    if let Some(key) = key
        && classified.is_clean()
        && FileKey::of(&opened, &absolute, opts.content) == key
    {
        cache.add_clean_file(&key, classified.content);
    }
    Ok(classified)
}

/// Stage 0 and content analysis of the file at `entry` (whose absolute path is `absolute`), or
/// of the files inside it when it is an archive; also returns the metadata of the file as
/// opened.
fn classify_file(
    entry: &FileEntry,
    absolute: &Path,
    opts: &ScanOptions,
    cache: Option<&Cache>,
) -> Result<(Classified, fs::Metadata), Warning> {
    let warn = |err: io::Error| file_warning(&entry.path, err);
    let mut file = fsutil::open_regular_nofollow(&entry.path).map_err(warn)?;
    let stat = file.metadata().map_err(warn)?;
    let head = read_head(&mut file, HEAD_LEN).map_err(warn)?;
    let id = FileId::of(&stat);
    let Some(file_type) = sniff::sniff(&head) else {
        let classified = match archive::sniff(&head) {
            Some(format) if opts.archives == Archives::LookInside => {
                look_into(entry, absolute, &mut file, format, id, opts, cache)
            }
            _ => Classified::default(),
        };
        return Ok((classified, stat));
    };
    let (mut ev, meta) = stage0(
        &mut file,
        file_type,
        &head,
        &entry.path,
        &entry.folder_names(),
        absolute,
    );
    // `blank`: the pixels were analysed (now or by an earlier scan) and showed nothing.
    let (content, note, blank) = if opts.content {
        content_stage(
            &entry.path,
            &mut file,
            file_type,
            &meta,
            &id,
            cache,
            &mut ev,
        )
    } else {
        (ContentStatus::Off, None, false)
    };
    after_content(file_type, blank, &mut ev);

    let classified = Classified {
        findings: ev
            .decide()
            .map(|verdict| Finding {
                path: entry.path.clone(),
                file_type,
                id,
                verdict,
                member: None,
            })
            .into_iter()
            .collect(),
        notes: note.into_iter().collect(),
        content,
        unchanged: false,
    };
    Ok((classified, stat))
}

/// The stage-0 evidence of a file of type `t` named `path` (its name and extension are signals)
/// under the folders `folders`, read from `source` whose first bytes are `head`; `absolute` is
/// the file on disk, for the risks of its place.
fn stage0<R: Read + Seek>(
    source: &mut R,
    t: FileType,
    head: &[u8],
    path: &Path,
    folders: &[String],
    absolute: &Path,
) -> (Evidence, HeaderMeta) {
    let mut ev = Evidence::default();
    let mut meta = HeaderMeta::default();
    if let Err(e) = read_meta(source, t, head, &mut meta) {
        ev.note(
            "meta.unreadable",
            format!("metadata could not be read: {e}"),
        );
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let folder_refs: Vec<&str> = folders.iter().map(String::as_str).collect();
    signals::name::signals(t.medium(), &file_name, &folder_refs, &mut ev);
    signals::from_metadata(t, &meta, &mut ev);
    for r in place::risks(absolute) {
        ev.risk(r);
    }
    extension_note(path, t, &mut ev);
    (ev, meta)
}

/// The stage-0 facts the content stages use.
#[cfg(feature = "content")]
fn context(t: FileType, meta: &HeaderMeta, ev: &Evidence) -> Context {
    Context {
        file_type: Some(t),
        orientation: meta.orientation,
        screenshot: ev.support(Kind::Screenshot) >= 0.5 || ev.support(Kind::KycScreenshot) > 0.0,
        camera: meta.make.is_some() || meta.model.is_some(),
    }
}

/// The rules that weigh a file's names against what its pixels showed, once they were looked
/// at: `blank` when they were analysed and showed nothing.
fn after_content(t: FileType, blank: bool, ev: &mut Evidence) {
    if blank {
        signals::name::pixels_showed_nothing(ev);
    }
    combine(t, blank, ev);
}

/// Content analysis after stage 0, through the cache of earlier scans' results; also says
/// whether the pixels were analysed and showed nothing.
#[cfg(feature = "content")]
fn content_stage(
    path: &Path,
    file: &mut File,
    file_type: FileType,
    meta: &HeaderMeta,
    id: &FileId,
    cache: Option<&Cache>,
    ev: &mut Evidence,
) -> (ContentStatus, Option<Warning>, bool) {
    let look = Look { path, id, cache };
    look.through_cache(None, context(file_type, meta, ev), ev, |cx, ev| {
        container::analyse_file(file, id.size, cx, ev)
    })
}

/// Content analysis of the archive entry `member` (of the archive at `path`, whose identity is
/// `id`) after its stage 0, through the cache; as [`content_stage`].
#[cfg(feature = "content")]
#[allow(clippy::too_many_arguments)]
fn member_content(
    path: &Path,
    member: &archive::Member,
    bytes: &[u8],
    t: FileType,
    meta: &HeaderMeta,
    id: &FileId,
    cache: Option<&Cache>,
    ev: &mut Evidence,
) -> (ContentStatus, Option<Warning>, bool) {
    let look = Look { path, id, cache };
    look.through_cache(Some(member), context(t, meta, ev), ev, |cx, ev| {
        if member.size > ANALYSE_MAX_BYTES {
            let reason = format!("the entry is larger than {} MiB", ANALYSE_MAX_BYTES >> 20);
            analyse::not_analysed(ev, reason, true)
        } else {
            container::analyse_bytes(bytes, cx, ev)
        }
    })
}

/// The file (or archive) whose content is being analysed, and the cache of earlier scans.
#[cfg(feature = "content")]
struct Look<'a> {
    path: &'a Path,
    id: &'a FileId,
    cache: Option<&'a Cache>,
}

#[cfg(feature = "content")]
impl Look<'_> {
    /// What an earlier scan found in the unchanged file (or its entry `member`) in context
    /// `cx`, or else what `analyse` finds, remembered for the next scan; with the note it is
    /// worth and whether the pixels were analysed and showed nothing.
    fn through_cache(
        &self,
        member: Option<&archive::Member>,
        cx: Context,
        ev: &mut Evidence,
        analyse: impl FnOnce(&Context, &mut Evidence) -> Outcome,
    ) -> (ContentStatus, Option<Warning>, bool) {
        let key = ContentKey {
            id: self.id,
            context: cx.cache_bits(),
            member,
        };
        if let Some((status, blank)) = replayed(self.cache, &key, ev) {
            return (status, None, blank);
        }
        let before = Found::before(ev);
        let outcome = analyse(&cx, ev);
        remember(self.cache, &key, &outcome, ev, &before);
        content_result(outcome, self.path, member.map(|m| m.path.as_slice()))
    }
}

/// Without the `content` feature no pixels are looked at: content analysis is off.
#[cfg(not(feature = "content"))]
fn content_stage(
    _: &Path,
    _: &mut File,
    _: FileType,
    _: &HeaderMeta,
    _: &FileId,
    _: Option<&Cache>,
    _: &mut Evidence,
) -> (ContentStatus, Option<Warning>, bool) {
    (ContentStatus::Off, None, false)
}

/// Without the `content` feature no pixels are looked at: content analysis is off.
#[cfg(not(feature = "content"))]
#[allow(clippy::too_many_arguments)]
fn member_content(
    _: &Path,
    _: &archive::Member,
    _: &[u8],
    _: FileType,
    _: &HeaderMeta,
    _: &FileId,
    _: Option<&Cache>,
    _: &mut Evidence,
) -> (ContentStatus, Option<Warning>, bool) {
    (ContentStatus::Off, None, false)
}

/// What an earlier scan's content analysis of the unchanged file at `key` found, added to
/// `ev`, and whether that was nothing; `None` when it must be analysed.
#[cfg(feature = "content")]
fn replayed(
    cache: Option<&Cache>,
    key: &ContentKey,
    ev: &mut Evidence,
) -> Option<(ContentStatus, bool)> {
    let c = cache?;
    if c.is_known_negative(key) {
        ev.note(
            "content.cached",
            "pixels analysed by an earlier scan of this unchanged file: nothing found".into(),
        );
        return Some((ContentStatus::Cached, true));
    }
    c.known_found(key)?.replay(ev)?;
    ev.note(
        "content.cached",
        "pixels analysed by an earlier scan of this unchanged file; what it found is repeated"
            .into(),
    );
    Some((ContentStatus::Cached, false))
}

/// Records what content analysis found at `key` (what it added to `ev` since `before`), or
/// that it found nothing.
#[cfg(feature = "content")]
fn remember(
    cache: Option<&Cache>,
    key: &ContentKey,
    outcome: &Outcome,
    ev: &Evidence,
    before: &Before,
) {
    if let (Some(c), &Outcome::Analysed { found, ocr }) = (cache, outcome) {
        if found {
            c.add_found(key, &Found::taken(ev, before, ocr));
        } else {
            c.add_negative(key);
        }
    }
}

/// The content status of an outcome, the note it is worth (`member` names the archive entry
/// the outcome is about), and whether the pixels were analysed and showed nothing.
#[cfg(feature = "content")]
fn content_result(
    outcome: Outcome,
    path: &Path,
    member: Option<&[PathBuf]>,
) -> (ContentStatus, Option<Warning>, bool) {
    match outcome {
        Outcome::Analysed { ocr, found } => (ContentStatus::Analysed { ocr }, None, !found),
        Outcome::NotAnalysed { reason, warn } => {
            let note = warn.then(|| Warning {
                path: path.to_path_buf(),
                message: Message::NotAnalysed {
                    member: member.map(<[PathBuf]>::to_vec),
                    reason,
                },
                severity: Severity::Incomplete,
            });
            (ContentStatus::NotAnalysed, note, false)
        }
    }
}

/// Looks into the archive `file` (at `entry`, of `format`): every media file in it is judged as
/// a file of its own would be, from memory (never written to disk), and each finding names the
/// archive and the entry. What could not be looked at gets a note, which makes the run exit 1.
fn look_into(
    entry: &FileEntry,
    absolute: &Path,
    file: &mut File,
    format: archive::Format,
    id: FileId,
    opts: &ScanOptions,
    cache: Option<&Cache>,
) -> Classified {
    let outer_folders = entry.folder_names();
    let mut out = Classified::default();
    let (mut analysed, mut ocr, mut cached, mut not_analysed) = (false, false, false, false);
    let (_, problems) = archive::read(&mut *file, format, &mut |member, data| {
        if opts.cancel.is_cancelled() {
            return false;
        }
        let Some((bytes, t)) = read_member(data, member.size) else {
            return true;
        };
        let name = member.entry();
        let mut folders = outer_folders.clone();
        if let Some(parent) = name.parent() {
            folders.extend(
                parent
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned()),
            );
        }
        let mut source = Cursor::new(&bytes[..]);
        let head = &bytes[..bytes.len().min(HEAD_LEN)];
        let (mut ev, meta) = stage0(&mut source, t, head, name, &folders, absolute);
        if opts.content {
            let (status, note, blank) =
                member_content(&entry.path, member, &bytes, t, &meta, &id, cache, &mut ev);
            match status {
                ContentStatus::Analysed { ocr: read } => (analysed, ocr) = (true, ocr || read),
                ContentStatus::Cached => cached = true,
                _ => not_analysed = true,
            }
            out.notes.extend(note);
            after_content(t, blank, &mut ev);
        } else {
            after_content(t, false, &mut ev);
        }
        out.findings.extend(ev.decide().map(|verdict| Finding {
            path: entry.path.clone(),
            file_type: t,
            id,
            verdict,
            member: Some(member.clone()),
        }));
        true
    });
    out.notes.extend(problems.into_iter().map(|p| Warning {
        path: entry.path.clone(),
        message: Message::Archive {
            format,
            at: p.at,
            problem: p.what,
        },
        severity: Severity::Incomplete,
    }));
    // The most confident finding first: it stands for the archive where only one can.
    out.findings
        .sort_by(|a, b| b.verdict.confidence.total_cmp(&a.verdict.confidence));
    // The archive counts as one file: analysed if any entry was, else known from the cache,
    // else not analysable if a media entry was not.
    out.content = if !opts.content {
        ContentStatus::Off
    } else if analysed {
        ContentStatus::Analysed { ocr }
    } else if cached {
        ContentStatus::Cached
    } else if not_analysed {
        ContentStatus::NotAnalysed
    } else {
        ContentStatus::Off
    };
    out
}

/// An archive entry's bytes and type when it is media: the whole entry up to
/// [`ANALYSE_MAX_BYTES`], or only its head when it states more (it is then judged by its name and
/// metadata). A read that fails half-way keeps what came (the archive reader reports the
/// damage): a truncated image is analysed as far as it decodes.
fn read_member(data: &mut dyn Read, size: u64) -> Option<(Vec<u8>, FileType)> {
    let mut bytes = Vec::new();
    let _ = data.take(HEAD_LEN as u64).read_to_end(&mut bytes);
    let t = sniff::sniff(&bytes)?;
    if size <= ANALYSE_MAX_BYTES {
        let _ = data
            .take(ANALYSE_MAX_BYTES - bytes.len() as u64)
            .read_to_end(&mut bytes);
    }
    Some((bytes, t))
}

/// The first `len` bytes of `file` (fewer if it is shorter).
pub(super) fn read_head(file: &mut File, len: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(len);
    file.take(len as u64).read_to_end(&mut head)?;
    Ok(head)
}

fn read_meta<R: Read + Seek>(
    file: &mut R,
    t: FileType,
    head: &[u8],
    meta: &mut HeaderMeta,
) -> io::Result<()> {
    match t.caps().header {
        Some(Header::Movie) => signals::container::read(file, meta),
        Some(Header::Image) => signals::exif::read(file, t, head, meta),
        None => Ok(()),
    }
}

/// Rules over several signals: a screenshot is a screenshot of a verification when its pixels
/// show identity-verification phrases (whatever its name), or when its name points to an
/// identity document or check and its pixels were not seen to show nothing (`blank`).
fn combine(t: FileType, blank: bool, ev: &mut Evidence) {
    let screenshot = ev.support(Kind::Screenshot);
    if t.is_video() || screenshot < 0.5 {
        return;
    }
    let shown = ev
        .votes
        .iter()
        .any(|v| v.kind == Kind::KycScreenshot && v.reason.signal.starts_with("content."));
    let named_for_id = !blank
        && ev.votes.iter().any(|v| {
            v.reason.signal.starts_with("name.document")
                && (v.kind.is_document() || v.kind == Kind::KycScreenshot)
        });
    let why = if shown {
        "a screenshot showing an identity check"
    } else if named_for_id {
        "a screenshot whose name points to an identity document or check"
    } else {
        return;
    };
    // As sure as it is a screenshot; with the name's or the pixels' own vote, that outweighs
    // "screenshot".
    ev.vote(
        Kind::KycScreenshot,
        screenshot,
        "combined.kyc_screenshot",
        why.into(),
    );
}

fn extension_note(path: &Path, t: FileType, ev: &mut Evidence) {
    let ext = path.extension().map(|e| e.to_string_lossy());
    if !sniff::extension_matches(t, ext.as_deref()) {
        let shown = ext.as_deref().unwrap_or_default();
        ev.note(
            "file.extension_mismatch",
            format!("extension .{shown} but the content is {t}"),
        );
    }
}

/// A per-file I/O problem as a warning: a vanished file is a note, anything else an error.
pub fn file_warning(path: &Path, err: io::Error) -> Warning {
    let (message, severity) = match err.kind() {
        io::ErrorKind::NotFound => (Message::Vanished, Severity::Note),
        io::ErrorKind::InvalidInput => (Message::Text(err.to_string()), Severity::Note),
        _ => (Message::CannotRead(err.to_string()), Severity::Error),
    };
    Warning {
        path: path.to_path_buf(),
        message,
        severity,
    }
}
