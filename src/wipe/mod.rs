//! Secure deletion that says what it cannot guarantee.
//!
//! Two steps, so that callers can show a plan and act later on exactly what they showed:
//!
//! - [`plan`] (or [`Planner::plan`]) inspects one path without changing anything: its identity
//!   (device, inode, size, mtime), the filesystem and device holding it, what will be done, what
//!   cannot be guaranteed there ([`Caveat`]), and the thumbnails of it that will go too. It refuses
//!   symlinks, hard-linked files, directories and other non-regular files unless
//!   [`LinkPolicy::RemoveLinkOnly`] allows removing just the name.
//! - [`execute`] acts on a [`Plan`]: it opens the file without following symlinks, checks it is
//!   still the planned file, overwrites it in place with a ChaCha12 stream (1 MiB blocks, fsync
//!   after each pass), truncates it, renames it to shorter and shorter random names with a folder
//!   fsync after each, unlinks it, then wipes its thumbnails the same way.
//!
//! ```no_run
//! # fn main() -> Result<(), idvault::wipe::WipeError> {
//! use idvault::wipe::{self, WipeOptions};
//! let opts = WipeOptions::default();
//! let plan = wipe::plan("/home/a/Pictures/passport.jpg".as_ref(), &opts)?;
//! let outcome = wipe::execute(&plan)?;
//! # let _ = outcome; Ok(()) }
//! ```
//!
//! Callers that verified a file earlier (the vault) use [`plan_expecting`] with the
//! [`FileId`] they checked, so a file swapped in between is refused.

mod caveat;
mod destroy;
pub(crate) mod device;
pub(crate) mod mounts;
pub(crate) mod thumbnail;

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::fs::{self, Metadata};
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::Cancel;
use crate::files::FileId;
use crate::files::place::{self, Risk};
use crate::i18n::{Catalog, Lang};
pub use caveat::Caveat;
pub use device::{Device, DeviceKind};
pub use mounts::FsClass;
use mounts::Mount;
pub use thumbnail::default_cache_dir;

/// How to treat symlinks and hard-linked files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LinkPolicy {
    /// Refuse them: wiping a link's data would destroy what other names still show.
    #[default]
    Refuse,
    /// Remove only the given name; the data behind it stays (`--force`).
    RemoveLinkOnly,
}

/// What a wipe does beyond the defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WipeOptions {
    /// Overwrite passes, at least 1. One pass of random data suffices on modern disks.
    pub passes: u32,
    pub links: LinkPolicy,
    /// Thumbnail cache to clean (`~/.cache/thumbnails`); `None` leaves thumbnails alone.
    pub thumbnails: Option<PathBuf>,
}

impl Default for WipeOptions {
    /// One pass, links refused, the current user's thumbnails removed.
    fn default() -> Self {
        WipeOptions {
            passes: 1,
            links: LinkPolicy::Refuse,
            thumbnails: thumbnail::default_cache_dir(),
        }
    }
}

/// Why a path cannot be planned or wiped. Worded by the message catalogue
/// (`cli.wipe.error.*`, by [`WipeError::code`]): [`WipeError::text_in`]; `Display` is the
/// English.
#[derive(Debug)]
#[non_exhaustive]
pub enum WipeError {
    Vanished,
    NotAFile,
    Symlink,
    HardLinked {
        names: u64,
    },
    Directory,
    NotRegular {
        kind: &'static str,
    },
    /// Replaced, or its size or modification time changed since the plan.
    Changed,
    NotWritable,
    FolderNotWritable,
    ReadOnlyFilesystem,
    FolderNotEmpty,
    Io {
        step: Step,
        source: io::Error,
    },
    /// The content was overwritten but the name could not be removed; `name` is the name it has
    /// now, in the same folder.
    NameRemains {
        name: OsString,
        source: io::Error,
    },
    /// Planning this path panicked (caught by `isolate::per_file`); nothing was done.
    Panicked(crate::isolate::Panicked),
}

impl std::fmt::Display for WipeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text_in(Lang::En))
    }
}

impl std::error::Error for WipeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WipeError::Io { source, .. } | WipeError::NameRemains { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl WipeError {
    fn io(step: Step, source: io::Error) -> Self {
        match source.raw_os_error() {
            Some(libc::ENOENT) if matches!(step, Step::Inspect | Step::Open) => WipeError::Vanished,
            Some(libc::EROFS) => WipeError::ReadOnlyFilesystem,
            _ => WipeError::Io { step, source },
        }
    }

    /// The error in `lang`: the catalogue's `cli.wipe.error.CODE` with its values.
    pub fn text_in(&self, lang: Lang) -> String {
        let catalog = Catalog::get_or_load();
        let (names, kind, step, error, name) = match self {
            WipeError::HardLinked { names } => (
                names.to_string(),
                "",
                String::new(),
                String::new(),
                String::new(),
            ),
            WipeError::NotRegular { kind } => (
                String::new(),
                *kind,
                String::new(),
                String::new(),
                String::new(),
            ),
            WipeError::Io { step, source } => (
                String::new(),
                "",
                step.text_in(lang),
                crate::i18n::os_error(source, lang),
                String::new(),
            ),
            WipeError::NameRemains { name, source } => (
                String::new(),
                "",
                String::new(),
                crate::i18n::os_error(source, lang),
                format!("{name:?}"),
            ),
            WipeError::Panicked(p) => return p.to_string(),
            _ => Default::default(),
        };
        let kind = if kind.is_empty() {
            String::new()
        } else {
            catalog.get(
                lang,
                &format!("cli.wipe.special.{}", kind.replace(' ', "_").to_lowercase()),
                &[],
            )
        };
        catalog.get(
            lang,
            &format!("cli.wipe.error.{}", self.code()),
            &[
                ("names", &names),
                ("kind", &kind),
                ("step", &step),
                ("error", &error),
                ("name", &name),
            ],
        )
    }

    /// A stable code for JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            WipeError::Vanished => "vanished",
            WipeError::NotAFile => "not_a_file",
            WipeError::Symlink => "symlink",
            WipeError::HardLinked { .. } => "hard_linked",
            WipeError::Directory => "directory",
            WipeError::NotRegular { .. } => "not_regular",
            WipeError::Changed => "changed",
            WipeError::NotWritable => "not_writable",
            WipeError::FolderNotWritable => "folder_not_writable",
            WipeError::ReadOnlyFilesystem => "read_only_filesystem",
            WipeError::FolderNotEmpty => "folder_not_empty",
            WipeError::Io { .. } => "io",
            WipeError::NameRemains { .. } => "name_remains",
            WipeError::Panicked(_) => "internal_error",
        }
    }
}

/// The step that failed, for [`WipeError::Io`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    Inspect,
    Open,
    Overwrite,
    Truncate,
    Rename,
    Remove,
    List,
}

impl Step {
    /// The step in `lang` (`cli.wipe.step.*`).
    pub fn text_in(self, lang: Lang) -> String {
        let key = match self {
            Step::Inspect => "inspect",
            Step::Open => "open",
            Step::Overwrite => "overwrite",
            Step::Truncate => "truncate",
            Step::Rename => "rename",
            Step::Remove => "remove",
            Step::List => "list",
        };
        Catalog::get_or_load().get(lang, &format!("cli.wipe.step.{key}"), &[])
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text_in(Lang::En))
    }
}

/// What will be done to a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Overwrite the content, then rename and unlink.
    Overwrite { passes: u32 },
    /// Remove only this name; the data is left to the other name(s) or the link's target.
    RemoveLink(LinkKind),
}

/// A name whose data is shared with something else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    Symlink,
    HardLink { names: u64 },
}

/// The filesystem holding a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filesystem {
    /// Type as the kernel names it (`ext4`, `btrfs`, `fuse.sshfs`), `unknown` if not found.
    pub fs_type: String,
    pub class: FsClass,
    pub mount_point: Option<PathBuf>,
    pub source: Option<String>,
}

/// A thumbnail of the planned file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thumbnail {
    pub path: PathBuf,
    id: FileId,
}

/// Everything known about one path before it is wiped. Nothing has changed yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The path as given.
    pub path: PathBuf,
    /// The absolute path (parent folders resolved, last component kept).
    pub absolute: PathBuf,
    /// Identity at planning time; [`execute`] refuses anything else.
    pub id: FileId,
    pub action: Action,
    pub filesystem: Filesystem,
    pub device: Device,
    /// Sorted, without duplicates.
    pub caveats: Vec<Caveat>,
    pub thumbnails: Vec<Thumbnail>,
    /// Passes for thumbnails, and for a hard-linked name that became the last one.
    passes: u32,
}

impl Plan {
    /// True when the overwrite reaches the only copy on this medium as far as idvault can tell.
    pub fn overwrite_reaches_data(&self) -> bool {
        matches!(self.action, Action::Overwrite { .. })
            && !self.caveats.iter().any(|c| c.limits_overwrite())
    }
}

/// What was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Done {
    /// Overwritten `passes` times (`bytes` each), renamed and unlinked.
    Overwritten { passes: u32, bytes: u64 },
    /// The name was removed; the data was not touched.
    LinkRemoved,
}

/// The result of [`execute`] on a plan.
#[derive(Debug)]
pub struct Outcome {
    pub done: Done,
    pub thumbnails_removed: Vec<PathBuf>,
    /// Thumbnails that were found but could not be wiped.
    pub thumbnail_errors: Vec<(PathBuf, WipeError)>,
}

/// Plans paths, reading the mount table once and describing each device once.
pub struct Planner {
    opts: WipeOptions,
    mounts: Vec<Mount>,
    sysfs: PathBuf,
    devices: HashMap<(u32, u32), Device>,
}

impl Planner {
    pub fn new(opts: WipeOptions) -> Self {
        Planner {
            opts,
            mounts: mounts::read(),
            sysfs: PathBuf::from("/sys"),
            devices: HashMap::new(),
        }
    }

    /// Plans the wipe of `path`. Changes nothing.
    pub fn plan(&mut self, path: &Path) -> Result<Plan, WipeError> {
        let meta = fs::symlink_metadata(path).map_err(|e| WipeError::io(Step::Inspect, e))?;
        self.plan_meta(path, &meta)
    }

    /// Like [`Planner::plan`], but refuses with [`WipeError::Changed`] unless `path` is still
    /// the file `expected` (same device, inode, size and modification time).
    pub fn plan_expecting(&mut self, path: &Path, expected: &FileId) -> Result<Plan, WipeError> {
        let meta = fs::symlink_metadata(path).map_err(|e| WipeError::io(Step::Inspect, e))?;
        if FileId::of(&meta) != *expected {
            return Err(WipeError::Changed);
        }
        self.plan_meta(path, &meta)
    }

    fn plan_meta(&mut self, path: &Path, meta: &Metadata) -> Result<Plan, WipeError> {
        let name = path.file_name().ok_or(WipeError::NotAFile)?;
        let ft = meta.file_type();
        let action = if ft.is_symlink() {
            self.link_action(WipeError::Symlink, LinkKind::Symlink)?
        } else if ft.is_dir() {
            return Err(WipeError::Directory);
        } else if !ft.is_file() {
            return Err(WipeError::NotRegular {
                kind: special_kind(&ft),
            });
        } else if meta.nlink() > 1 {
            let names = meta.nlink();
            self.link_action(
                WipeError::HardLinked { names },
                LinkKind::HardLink { names },
            )?
        } else {
            Action::Overwrite {
                passes: self.opts.passes.max(1),
            }
        };
        destroy::preflight(path, matches!(action, Action::Overwrite { .. }))?;
        let absolute = fs::canonicalize(destroy::parent_dir(path))
            .map_err(|e| WipeError::io(Step::Inspect, e))?
            .join(name);
        let (filesystem, dev_numbers) = self.filesystem(path, meta, &absolute);
        let device = match dev_numbers {
            Some((ma, mi)) => self
                .devices
                .entry((ma, mi))
                .or_insert_with(|| device::describe(&self.sysfs, ma, mi))
                .clone(),
            None => Device::unknown(),
        };
        let caveats = caveats(&filesystem, &device, action, &absolute);
        let thumbnails = match &self.opts.thumbnails {
            Some(cache) => find_thumbnails(cache, path, &absolute),
            None => Vec::new(),
        };
        Ok(Plan {
            path: path.to_path_buf(),
            absolute,
            id: FileId::of(meta),
            action,
            filesystem,
            device,
            caveats,
            thumbnails,
            passes: self.opts.passes.max(1),
        })
    }

    fn link_action(&self, refusal: WipeError, kind: LinkKind) -> Result<Action, WipeError> {
        match self.opts.links {
            LinkPolicy::Refuse => Err(refusal),
            LinkPolicy::RemoveLinkOnly => Ok(Action::RemoveLink(kind)),
        }
    }

    /// The filesystem of `path`, and the block device numbers under it when there is one.
    fn filesystem(
        &self,
        path: &Path,
        meta: &Metadata,
        abs: &Path,
    ) -> (Filesystem, Option<(u32, u32)>) {
        let mount_id = rustix::fs::statx(
            rustix::fs::CWD,
            path,
            rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
            rustix::fs::StatxFlags::MNT_ID,
        )
        .ok()
        .filter(|s| s.stx_mask & rustix::fs::StatxFlags::MNT_ID.bits() != 0)
        .map(|s| s.stx_mnt_id);
        let st_dev = (libc::major(meta.dev()), libc::minor(meta.dev()));
        let Some(m) = mounts::find(&self.mounts, mount_id, st_dev, abs) else {
            return (
                Filesystem {
                    fs_type: "unknown".into(),
                    class: FsClass::Unknown,
                    mount_point: None,
                    source: None,
                },
                None,
            );
        };
        let numbers = if m.major != 0 {
            Some((m.major, m.minor))
        } else if m.source.starts_with("/dev/") {
            // btrfs and others report an anonymous device; the source names the real one.
            fs::metadata(&m.source)
                .ok()
                .filter(|s| s.file_type().is_block_device())
                .map(|s| (libc::major(s.rdev()), libc::minor(s.rdev())))
        } else {
            None
        };
        (
            Filesystem {
                fs_type: m.fs_type.clone(),
                class: mounts::classify(&m.fs_type, &m.super_options),
                mount_point: Some(m.mount_point.clone()),
                source: Some(m.source.clone()),
            },
            numbers,
        )
    }
}

/// Plans the wipe of one path with `opts`. Changes nothing.
pub fn plan(path: &Path, opts: &WipeOptions) -> Result<Plan, WipeError> {
    Planner::new(opts.clone()).plan(path)
}

/// Plans the wipe of `path`, refusing unless it is still the file `expected`.
pub fn plan_expecting(
    path: &Path,
    expected: &FileId,
    opts: &WipeOptions,
) -> Result<Plan, WipeError> {
    Planner::new(opts.clone()).plan_expecting(path, expected)
}

/// Carries out `plan`. The file must still be the planned one (device, inode, size, mtime);
/// anything else is refused with [`WipeError::Changed`] before a byte is written.
pub fn execute(plan: &Plan) -> Result<Outcome, WipeError> {
    // A hard-linked name whose other names were removed since planning (say, by this same
    // run) is now the only one: overwriting it destroys nothing else, so it is wiped in full.
    let last_name = matches!(plan.action, Action::RemoveLink(LinkKind::HardLink { .. }))
        && fs::symlink_metadata(&plan.path).is_ok_and(|m| m.nlink() == 1);
    let passes = plan.passes;
    let done = match plan.action {
        Action::Overwrite { .. } => {
            let bytes = destroy::overwrite_and_remove(&plan.path, &plan.id, passes)?;
            Done::Overwritten { passes, bytes }
        }
        Action::RemoveLink(_) if last_name => {
            let bytes = destroy::overwrite_and_remove(&plan.path, &plan.id, passes)?;
            Done::Overwritten { passes, bytes }
        }
        Action::RemoveLink(_) => {
            destroy::remove_name(&plan.path, &plan.id)?;
            Done::LinkRemoved
        }
    };
    Ok(wipe_thumbnails(plan, done))
}

/// Carries out `plan` without overwriting the file: its name is checked against the plan,
/// renamed to a random name and unlinked (the data stays on the medium until reused), and its
/// thumbnails are wiped as [`execute`] wipes them. For `secure --delete-originals`.
pub fn execute_unlink(plan: &Plan) -> Result<Outcome, WipeError> {
    destroy::remove_name(&plan.path, &plan.id)?;
    Ok(wipe_thumbnails(plan, Done::LinkRemoved))
}

/// Wipes the plan's thumbnails once the file itself is `done`.
fn wipe_thumbnails(plan: &Plan, done: Done) -> Outcome {
    let mut outcome = Outcome {
        done,
        thumbnails_removed: Vec::new(),
        thumbnail_errors: Vec::new(),
    };
    for t in &plan.thumbnails {
        match destroy::overwrite_and_remove(&t.path, &t.id, plan.passes) {
            Ok(_) => outcome.thumbnails_removed.push(t.path.clone()),
            // Removed by someone else (the desktop cleaning its cache): nothing left to do.
            Err(WipeError::Vanished) => {}
            Err(e) => outcome.thumbnail_errors.push((t.path.clone(), e)),
        }
    }
    outcome
}

/// Wipes run at once by [`execute_many`]. Small files are bound by fsync latency, not by
/// bandwidth; concurrent fsyncs share journal commits (measured on ext4: 500 photos took 23 s
/// one at a time).
pub const PARALLEL_WIPES: usize = 4;

/// Executes every plan, [`PARALLEL_WIPES`] at a time, and hands each result to `on_done` on the
/// caller's thread as it completes. Names of hard-linked files are handled last, one at a
/// time, so that the last remaining name of a file is recognised and wiped in full. Once
/// `cancel` is set no new wipe starts; the ones under way finish.
pub fn execute_many<'a>(
    plans: &'a [Plan],
    cancel: &Cancel,
    mut on_done: impl FnMut(&'a Plan, Result<Outcome, WipeError>),
) {
    let (links, files): (Vec<&Plan>, Vec<&Plan>) = plans
        .iter()
        .partition(|p| matches!(p.action, Action::RemoveLink(LinkKind::HardLink { .. })));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (tx, rx) = crossbeam_channel::unbounded();
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL_WIPES.min(files.len()) {
            let tx = tx.clone();
            let (files, next) = (&files, &next);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if cancel.is_cancelled() {
                        break;
                    }
                    let Some(&plan) = files.get(i) else { break };
                    if tx.send((plan, execute(plan))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for (plan, result) in rx {
            on_done(plan, result);
        }
    });
    for plan in links {
        on_done(plan, execute(plan));
    }
}

/// Paths to wipe, gathered from the command line.
#[derive(Debug, Default)]
pub struct Targets {
    /// Everything that is not a folder, in walk order.
    pub files: Vec<PathBuf>,
    /// Folders to remove once emptied, deepest first.
    pub folders: Vec<PathBuf>,
    /// Entries that could not be listed.
    pub errors: Vec<(PathBuf, WipeError)>,
}

/// Whether folders given as paths are descended into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recursion {
    /// A folder is refused ([`WipeError::Directory`] from the plan).
    No,
    /// The files inside a folder are wiped and the emptied folders removed; symlinks are not
    /// followed and never lead out of the tree.
    Yes,
}

/// Expands `roots` into files and folders. A folder is descended into only with
/// [`Recursion::Yes`]; otherwise it stays in `files` for the planner to refuse. Inside a folder,
/// an entry for which `left_out` holds (given its path below the root, as `--exclude` matches
/// it) is skipped, a folder with all it holds; the folders that keep such an entry are not
/// removed either. The roots themselves are never left out.
pub fn collect(
    roots: &[PathBuf],
    recursion: Recursion,
    left_out: impl Fn(&Path) -> bool,
) -> Targets {
    let mut t = Targets::default();
    for root in roots {
        let is_dir = fs::symlink_metadata(root).is_ok_and(|m| m.is_dir());
        if !is_dir || recursion == Recursion::No {
            t.files.push(root.clone());
            continue;
        }
        // What is left out keeps every folder above it.
        let mut keeping = HashSet::new();
        let mut folders = Vec::new();
        let walker = walkdir::WalkDir::new(root)
            .follow_links(false)
            .into_iter()
            .filter_entry(|e| {
                let skip = e.depth() > 0 && e.path().strip_prefix(root).is_ok_and(&left_out);
                if skip {
                    keeping.extend(e.path().ancestors().skip(1).map(Path::to_path_buf));
                }
                !skip
            });
        for entry in walker {
            match entry {
                // `.`, `..` and `/` cannot be removed by name; their contents still can.
                Ok(e) if e.depth() == 0 && root.file_name().is_none() => {}
                Ok(e) if e.file_type().is_dir() => folders.push(e.into_path()),
                Ok(e) => t.files.push(e.into_path()),
                Err(e) => {
                    let path = e.path().unwrap_or(root).to_path_buf();
                    let source = e
                        .into_io_error()
                        .unwrap_or_else(|| io::Error::other("filesystem loop"));
                    t.errors.push((path, WipeError::io(Step::List, source)));
                }
            }
        }
        // Found parents first: reversed, the deepest come first.
        t.folders
            .extend(folders.into_iter().rev().filter(|f| !keeping.contains(f)));
    }
    t
}

/// The wipe of some paths, planned before anything changes ([`plan_paths`]).
#[derive(Debug, Default)]
pub struct Planned {
    /// One plan per file, in walk order; a file named twice is planned once.
    pub plans: Vec<Plan>,
    /// Paths that will not be wiped, and why: entries that could not be listed, then files the
    /// planner refused.
    pub refused: Vec<(PathBuf, WipeError)>,
    /// Folders to remove once emptied, deepest first.
    pub folders: Vec<PathBuf>,
}

/// Expands `roots` (see [`collect`], which leaves out what `left_out` holds for) and plans the
/// wipe of every file with `opts`, each inside the per-file panic wall; the same file named twice (`a.jpg ./a.jpg`) is planned once.
/// `on_planned` hears each refusal and each plan in that order, as it is made. Changes nothing.
pub fn plan_paths(
    roots: &[PathBuf],
    recursion: Recursion,
    left_out: impl Fn(&Path) -> bool,
    opts: WipeOptions,
    mut on_planned: impl FnMut(&Path, Result<&Plan, &WipeError>),
) -> Planned {
    let targets = collect(roots, recursion, left_out);
    for (path, err) in &targets.errors {
        on_planned(path, Err(err));
    }
    let mut planned = Planned {
        refused: targets.errors,
        folders: targets.folders,
        ..Planned::default()
    };
    let mut planner = Planner::new(opts);
    let mut seen = HashSet::new();
    for path in targets.files {
        let result = crate::isolate::per_file(|| planner.plan(&path))
            .unwrap_or_else(|p| Err(WipeError::Panicked(p)));
        match result {
            Ok(plan) if !seen.insert(plan.absolute.clone()) => {}
            Ok(plan) => {
                on_planned(&path, Ok(&plan));
                planned.plans.push(plan);
            }
            Err(err) => {
                on_planned(&path, Err(&err));
                planned.refused.push((path, err));
            }
        }
    }
    planned
}

/// What [`apply`] reports, on the caller's thread.
#[derive(Debug)]
pub enum Applied<'a> {
    /// A planned file was wiped, or could not be.
    File(&'a Plan, Result<Outcome, WipeError>),
    /// An emptied folder was removed, or could not be ([`WipeError::FolderNotEmpty`] when
    /// something in it was refused, failed or not started).
    Folder(&'a Path, Result<(), WipeError>),
}

/// Carries out `planned`: wipes its files ([`execute_many`]; once `cancel` is set no new one
/// starts), then removes its emptied folders, deepest first. Returns how many of the plans
/// were carried out (fewer than planned when cancelled).
pub fn apply(planned: &Planned, cancel: &Cancel, mut on_event: impl FnMut(Applied<'_>)) -> usize {
    let mut done = 0;
    execute_many(&planned.plans, cancel, |plan, result| {
        done += 1;
        on_event(Applied::File(plan, result));
    });
    for folder in &planned.folders {
        on_event(Applied::Folder(folder, remove_folder(folder)));
    }
    done
}

/// Removes a folder emptied by the wipe; a folder that still holds something stays.
pub fn remove_folder(path: &Path) -> Result<(), WipeError> {
    match fs::remove_dir(path) {
        Ok(()) => crate::fsutil::fsync_dir(destroy::parent_dir(path))
            .map_err(|e| WipeError::io(Step::Remove, e)),
        Err(e) if e.raw_os_error() == Some(libc::ENOTEMPTY) => Err(WipeError::FolderNotEmpty),
        Err(e) => Err(WipeError::io(Step::Remove, e)),
    }
}

fn special_kind(ft: &fs::FileType) -> &'static str {
    if ft.is_fifo() {
        "FIFO"
    } else if ft.is_socket() {
        "socket"
    } else if ft.is_block_device() {
        "block device"
    } else if ft.is_char_device() {
        "character device"
    } else {
        "special file"
    }
}

/// What cannot be guaranteed for a file at `abs` on `fs` and `dev`.
fn caveats(fs: &Filesystem, dev: &Device, action: Action, abs: &Path) -> Vec<Caveat> {
    let mut c = Vec::new();
    c.extend(match fs.class {
        FsClass::InPlace => None,
        FsClass::JournalledData => Some(Caveat::JournalledData),
        FsClass::CopyOnWrite => Some(Caveat::CopyOnWrite),
        FsClass::LogStructured => Some(Caveat::LogStructured),
        FsClass::Layered => Some(Caveat::Layered),
        FsClass::Memory => Some(Caveat::Memory),
        FsClass::Network => Some(Caveat::Network),
        FsClass::Fuse => Some(Caveat::Fuse),
        FsClass::Unknown => Some(Caveat::UnknownFilesystem),
    });
    // Memory, network and FUSE filesystems have no local block device to describe.
    let has_block_device = !matches!(
        fs.class,
        FsClass::Memory | FsClass::Network | FsClass::Fuse | FsClass::Unknown
    );
    if has_block_device {
        c.extend(match dev.kind {
            DeviceKind::Rotational => None,
            DeviceKind::SolidState => Some(Caveat::SolidState),
            DeviceKind::Virtual => Some(Caveat::VirtualDisk),
            DeviceKind::Loop { .. } => Some(Caveat::LoopDevice),
            DeviceKind::Unknown => Some(Caveat::UnknownDevice),
        });
    }
    if dev.encrypted {
        c.push(Caveat::EncryptedVolume);
    }
    if matches!(action, Action::RemoveLink(_)) {
        c.push(Caveat::NameOnly);
    }
    c.extend(place::risks(abs).into_iter().filter_map(|r| match r {
        Risk::CloudSync => Some(Caveat::CloudSync),
        Risk::ChatApp => Some(Caveat::ChatApp),
        Risk::Trash => Some(Caveat::Trash),
        _ => None,
    }));
    c.sort();
    c.dedup();
    c
}

/// Existing regular-file thumbnails in `cache` of the file at `path`, whose resolved absolute
/// path is `abs`. A desktop hashes the path it was shown, which may run through a symlinked
/// folder, so both that path and the resolved one are looked up.
fn find_thumbnails(cache: &Path, path: &Path, abs: &Path) -> Vec<Thumbnail> {
    let mut candidates = thumbnail::candidates(cache, abs);
    if let Ok(shown) = std::path::absolute(path)
        && shown != abs
    {
        candidates.extend(thumbnail::candidates(cache, &shown));
    }
    candidates
        .into_iter()
        .filter_map(|path| {
            let m = fs::symlink_metadata(&path).ok()?;
            m.is_file().then(|| Thumbnail {
                id: FileId::of(&m),
                path,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(cache: Option<PathBuf>) -> WipeOptions {
        WipeOptions {
            passes: 1,
            links: LinkPolicy::Refuse,
            thumbnails: cache,
        }
    }

    #[test]
    fn plan_then_execute_wipes_file_and_thumbnail() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("passport.jpg");
        fs::write(&f, b"secret").unwrap();
        let cache = t.path().join("cache");
        let abs = fs::canonicalize(&f).unwrap();
        fs::create_dir_all(cache.join("normal")).unwrap();
        let thumb = cache.join("normal").join(thumbnail::file_name(&abs));
        fs::write(&thumb, b"png").unwrap();
        let plan = plan(&f, &opts(Some(cache))).unwrap();
        assert_eq!(plan.action, Action::Overwrite { passes: 1 });
        assert_eq!(plan.thumbnails.len(), 1);
        let out = execute(&plan).unwrap();
        assert_eq!(
            out.done,
            Done::Overwritten {
                passes: 1,
                bytes: 6
            }
        );
        assert_eq!(out.thumbnails_removed, vec![thumb.clone()]);
        assert!(!f.exists() && !thumb.exists());
        assert_eq!(
            fs::read_dir(t.path()).unwrap().count(),
            1,
            "only cache/ left"
        );
    }

    #[test]
    fn thumbnails_of_the_path_as_shown_are_found_too() {
        let t = tempfile::tempdir().unwrap();
        let real = t.path().join("real");
        fs::create_dir(&real).unwrap();
        fs::write(real.join("p.jpg"), b"x").unwrap();
        let alias = t.path().join("alias");
        std::os::unix::fs::symlink(&real, &alias).unwrap();
        let cache = t.path().join("cache");
        fs::create_dir_all(cache.join("large")).unwrap();
        let shown = std::path::absolute(alias.join("p.jpg")).unwrap();
        let thumb = cache.join("large").join(thumbnail::file_name(&shown));
        fs::write(&thumb, b"png").unwrap();
        let plan = plan(&alias.join("p.jpg"), &opts(Some(cache))).unwrap();
        assert_eq!(
            plan.absolute,
            fs::canonicalize(&real).unwrap().join("p.jpg")
        );
        assert_eq!(plan.thumbnails.len(), 1);
        assert_eq!(plan.thumbnails[0].path, thumb);
    }

    #[test]
    fn swapped_file_is_refused() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("a.jpg");
        fs::write(&f, b"planned").unwrap();
        let plan = plan(&f, &opts(None)).unwrap();
        // Same name, new inode, same size.
        fs::remove_file(&f).unwrap();
        fs::write(&f, b"swapped").unwrap();
        assert!(matches!(execute(&plan), Err(WipeError::Changed)));
        assert_eq!(fs::read(&f).unwrap(), b"swapped");
    }

    #[test]
    fn expected_identity_is_checked() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("a.jpg");
        fs::write(&f, b"x").unwrap();
        let mut id = FileId::of(&fs::metadata(&f).unwrap());
        assert!(plan_expecting(&f, &id, &opts(None)).is_ok());
        id.size += 1;
        assert!(matches!(
            plan_expecting(&f, &id, &opts(None)),
            Err(WipeError::Changed)
        ));
    }

    #[test]
    fn links_are_refused_or_only_unlinked() {
        let t = tempfile::tempdir().unwrap();
        let target = t.path().join("target");
        fs::write(&target, b"keep").unwrap();
        let link = t.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let hard = t.path().join("hard");
        fs::hard_link(&target, &hard).unwrap();
        assert!(matches!(plan(&link, &opts(None)), Err(WipeError::Symlink)));
        assert!(matches!(
            plan(&hard, &opts(None)),
            Err(WipeError::HardLinked { names: 2 })
        ));
        let force = WipeOptions {
            links: LinkPolicy::RemoveLinkOnly,
            ..opts(None)
        };
        for p in [&link, &hard] {
            let plan = plan(p, &force).unwrap();
            assert!(plan.caveats.contains(&Caveat::NameOnly));
            assert!(!plan.overwrite_reaches_data());
            assert_eq!(execute(&plan).unwrap().done, Done::LinkRemoved);
            assert!(fs::symlink_metadata(p).is_err());
        }
        assert_eq!(fs::read(&target).unwrap(), b"keep");
    }

    #[test]
    fn last_of_several_hard_links_is_wiped_in_full() {
        let t = tempfile::tempdir().unwrap();
        let a = t.path().join("a");
        let b = t.path().join("b");
        fs::write(&a, b"data").unwrap();
        fs::hard_link(&a, &b).unwrap();
        let force = WipeOptions {
            links: LinkPolicy::RemoveLinkOnly,
            ..opts(None)
        };
        let pa = plan(&a, &force).unwrap();
        let pb = plan(&b, &force).unwrap();
        assert_eq!(execute(&pa).unwrap().done, Done::LinkRemoved);
        assert_eq!(
            execute(&pb).unwrap().done,
            Done::Overwritten {
                passes: 1,
                bytes: 4
            }
        );
        assert_eq!(fs::read_dir(t.path()).unwrap().count(), 0);
    }

    #[test]
    fn execute_many_wipes_all_and_reports_each_once() {
        let t = tempfile::tempdir().unwrap();
        let force = WipeOptions {
            links: LinkPolicy::RemoveLinkOnly,
            ..opts(None)
        };
        let mut plans = Vec::new();
        for i in 0..10 {
            let p = t.path().join(format!("f{i}.jpg"));
            fs::write(&p, vec![b'x'; i * 1000]).unwrap();
            plans.push(plan(&p, &force).unwrap());
        }
        fs::write(t.path().join("a"), b"ab").unwrap();
        fs::hard_link(t.path().join("a"), t.path().join("b")).unwrap();
        plans.push(plan(&t.path().join("a"), &force).unwrap());
        plans.push(plan(&t.path().join("b"), &force).unwrap());
        let mut seen = Vec::new();
        execute_many(&plans, &Cancel::new(), |p, r| {
            seen.push((p.path.clone(), r.unwrap().done))
        });
        assert_eq!(seen.len(), 12);
        seen.sort_by(|a, b| a.0.cmp(&b.0));
        seen.dedup_by(|a, b| a.0 == b.0);
        assert_eq!(seen.len(), 12);
        assert_eq!(
            seen.iter().filter(|(_, d)| *d == Done::LinkRemoved).count(),
            1
        );
        assert_eq!(fs::read_dir(t.path()).unwrap().count(), 0);
    }

    #[test]
    fn non_files_are_refused() {
        let t = tempfile::tempdir().unwrap();
        assert!(matches!(
            plan(t.path(), &opts(None)),
            Err(WipeError::Directory)
        ));
        assert!(matches!(
            plan(&t.path().join("none"), &opts(None)),
            Err(WipeError::Vanished)
        ));
    }

    #[test]
    fn collect_walks_without_following_links() {
        let t = tempfile::tempdir().unwrap();
        fs::create_dir_all(t.path().join("d/e")).unwrap();
        fs::write(t.path().join("d/e/f"), b"x").unwrap();
        std::os::unix::fs::symlink("/", t.path().join("d/root")).unwrap();
        let got = collect(&[t.path().join("d")], Recursion::Yes, |_| false);
        assert_eq!(got.files.len(), 2);
        assert_eq!(got.folders, [t.path().join("d/e"), t.path().join("d")]);
        let flat = collect(&[t.path().join("d")], Recursion::No, |_| false);
        assert_eq!(flat.files, [t.path().join("d")]);
    }

    #[test]
    fn caveats_follow_place() {
        let fs_of = |class| Filesystem {
            fs_type: "x".into(),
            class,
            mount_point: None,
            source: None,
        };
        let ssd = Device {
            kind: DeviceKind::SolidState,
            name: None,
            encrypted: true,
        };
        let ow = Action::Overwrite { passes: 1 };
        assert_eq!(
            caveats(
                &fs_of(FsClass::CopyOnWrite),
                &ssd,
                ow,
                Path::new("/h/Dropbox/a")
            ),
            [
                Caveat::CopyOnWrite,
                Caveat::SolidState,
                Caveat::CloudSync,
                Caveat::EncryptedVolume
            ]
        );
        let hdd = Device {
            kind: DeviceKind::Rotational,
            ..Device::unknown()
        };
        assert!(caveats(&fs_of(FsClass::InPlace), &hdd, ow, Path::new("/a")).is_empty());
        assert_eq!(
            caveats(&fs_of(FsClass::Memory), &ssd, ow, Path::new("/a")),
            [Caveat::Memory, Caveat::EncryptedVolume]
        );
    }
}
