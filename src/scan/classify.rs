//! Classification of one file: sniff its type, read its headers, gather the stage-0 signals and
//! turn them into a verdict.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;

use super::content::analyse::{Context, Outcome};
use super::content::cache::{Cache, FileKey};
use super::content::container;
use super::finding::{ContentStatus, Evidence, Kind};
use super::signals::{self, HeaderMeta};
use super::walk::FileEntry;
use super::{Finding, ScanOptions, Severity, Warning};
use crate::files::sniff::{self, FileType};
use crate::files::{FileId, place};
use crate::fsutil;

/// How much of a file's start is read for sniffing and XMP.
pub const HEAD_LEN: usize = 128 * 1024;

/// What classifying one file produced.
#[derive(Debug, Default)]
pub struct Classified {
    /// `None` means "not media" or "nothing found".
    pub finding: Option<Finding>,
    /// A problem worth a note even without a finding (e.g. undecodable pixels).
    pub note: Option<Warning>,
    pub content: ContentStatus,
    /// Not opened: an earlier scan found nothing in this unchanged file at this path.
    pub unchanged: bool,
}

impl Classified {
    /// Nothing at all to tell the user, whatever the filters: no vote and no note.
    fn is_clean(&self) -> bool {
        self.finding.is_none() && self.note.is_none()
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

/// Stage 0 and content analysis of the file at `entry` (whose absolute path is `absolute`); also
/// returns the metadata of the file as opened.
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
    let Some(file_type) = sniff::sniff(&head) else {
        return Ok((Classified::default(), stat));
    };
    let id = FileId::of(&stat);

    let mut ev = Evidence::default();
    let mut meta = HeaderMeta::default();
    if let Err(e) = read_meta(&mut file, file_type, &head, &mut meta) {
        ev.note(
            "meta.unreadable",
            format!("metadata could not be read: {e}"),
        );
    }
    let file_name = entry
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let folders = entry.folder_names();
    let folder_refs: Vec<&str> = folders.iter().map(String::as_str).collect();
    signals::name::signals(file_type, &file_name, &folder_refs, &mut ev);
    signals::from_metadata(file_type, &meta, &mut ev);
    for r in place::risks(absolute) {
        ev.risk(r);
    }
    extension_note(&entry.path, file_type, &mut ev);
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
    if blank {
        signals::name::pixels_showed_nothing(&mut ev);
    }
    combine(file_type, blank, &mut ev);

    let classified = Classified {
        finding: ev.decide().map(|verdict| Finding {
            path: entry.path.clone(),
            file_type,
            id,
            verdict,
        }),
        note,
        content,
        unchanged: false,
    };
    Ok((classified, stat))
}

/// Content analysis after stage 0, through the cache of known negatives; also says whether the
/// pixels were analysed and showed nothing.
fn content_stage(
    path: &Path,
    file: &mut File,
    file_type: FileType,
    meta: &HeaderMeta,
    id: &FileId,
    cache: Option<&Cache>,
    ev: &mut Evidence,
) -> (ContentStatus, Option<Warning>, bool) {
    let cx = Context {
        file_type: Some(file_type),
        orientation: meta.orientation,
        screenshot: ev.support(Kind::Screenshot) >= 0.5 || ev.support(Kind::KycScreenshot) > 0.0,
        camera: meta.make.is_some() || meta.model.is_some(),
    };
    if let Some(c) = cache
        && c.is_known_negative(id, cx.cache_bits())
    {
        ev.note(
            "content.cached",
            "pixels analysed by an earlier scan of this unchanged file: nothing found".into(),
        );
        return (ContentStatus::Cached, None, true);
    }
    match container::analyse_file(file, id.size, &cx, ev) {
        Outcome::Analysed { found, ocr } => {
            if !found && let Some(c) = cache {
                c.add_negative(id, cx.cache_bits());
            }
            (ContentStatus::Analysed { ocr }, None, !found)
        }
        Outcome::NotAnalysed { reason, warn } => {
            let note = warn.then(|| Warning {
                path: path.to_path_buf(),
                message: format!("pixels not analysed: {reason}"),
                severity: Severity::Note,
            });
            (ContentStatus::NotAnalysed, note, false)
        }
    }
}

/// The first `len` bytes of `file` (fewer if it is shorter).
pub(super) fn read_head(file: &mut File, len: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(len);
    file.take(len as u64).read_to_end(&mut head)?;
    Ok(head)
}

fn read_meta(file: &mut File, t: FileType, head: &[u8], meta: &mut HeaderMeta) -> io::Result<()> {
    match t {
        FileType::Mp4 | FileType::Mov | FileType::ThreeGp => signals::container::read(file, meta),
        FileType::Matroska | FileType::Webm | FileType::Pdf => Ok(()),
        _ => signals::exif::read(file, t, head, meta),
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
        io::ErrorKind::NotFound => ("vanished during the scan".to_string(), Severity::Note),
        io::ErrorKind::InvalidInput => (err.to_string(), Severity::Note),
        _ => (format!("cannot read: {err}"), Severity::Error),
    };
    Warning {
        path: path.to_path_buf(),
        message,
        severity,
    }
}
