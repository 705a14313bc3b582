//! What `vault add` stores: the files under some paths, each labelled with what a scan of its
//! name and metadata says it is (no content analysis; an archive is a file like any other).

use std::path::PathBuf;

use rayon::prelude::*;

use super::{Detected, Source};
use crate::Cancel;
use crate::scan::walk::{self, Walked};
use crate::scan::{Archives, Exclude, ScanOptions, Warning, classify};

/// Walks `paths` (never following a symlink below them, leaving out what `exclude` matches and
/// idvault's own leftovers) and labels every file found, on all cores. Problems go to
/// `on_warning`. Once `cancel` is set the walk stops, with the files found so far.
pub fn sources(
    paths: &[PathBuf],
    exclude: Exclude,
    cancel: &Cancel,
    mut on_warning: impl FnMut(Warning),
) -> Vec<Source> {
    let filter = walk::Filter {
        exclude,
        root_links: walk::RootLinks::Skip,
    };
    let mut entries = Vec::new();
    walk::walk(paths, false, &filter, |w| {
        match w {
            Walked::File(f) => entries.push(f),
            Walked::Warning(w) => on_warning(w),
            Walked::Symlink => {}
            Walked::Leftover(path, _) => on_warning(walk::leftover_skipped(path)),
        }
        !cancel.is_cancelled()
    });
    let opts = ScanOptions {
        content: false,
        archives: Archives::Skip,
        ..ScanOptions::new(paths.to_vec())
    };
    entries
        .par_iter()
        .map(|entry| Source {
            path: entry.path.clone(),
            detected: classify::classify(entry, &opts, None)
                .ok()
                .and_then(|c| c.findings.into_iter().next())
                .map(|f| Detected::from(&f.verdict)),
        })
        .collect()
}
