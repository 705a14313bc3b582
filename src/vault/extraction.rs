//! Restoring entries: `vault extract`. [`choose_entries`] resolves what the caller asked for (every
//! entry, entry ids, original paths) against the vault's [`Index`] and plans where each goes
//! ([`check::plan_extraction`]); [`extract_all`] then restores the plan one entry at a time
//! ([`check::extract`]: a 0600 temporary file renamed only once the whole stream authenticated
//! and matched its hash) and reports each through a callback.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use super::check::{self, Modes, Planned};
use super::{Entry, Error, Index, Keys, Vault};

/// What the caller asked for, resolved and planned by [`choose_entries`].
#[derive(Debug)]
pub struct Extraction<'a> {
    /// The steps, in the order they run: restore an entry, or skip an unsealed one claiming a
    /// sealed entry's original.
    pub steps: Vec<Planned<'a>>,
    /// The asked-for ids or paths that name no entry.
    pub unknown: Vec<&'a Path>,
    /// Bytes the restored entries hold, all together (for a progress bar).
    pub bytes: u64,
}

/// Resolves `selectors` (an entry id or a unique prefix of one, else an original's path as
/// given or made absolute) and, with `all`, every entry, against `index`, and plans where each
/// entry goes. An entry chosen twice is restored once.
pub fn choose_entries<'a>(index: &'a Index, all: bool, selectors: &'a [PathBuf]) -> Extraction<'a> {
    let mut chosen = Vec::new();
    if all {
        chosen.extend(index.entries.iter());
    }
    let mut unknown = Vec::new();
    for sel in selectors {
        let by_id = sel.to_str().and_then(|s| index.by_id(s));
        let abs = std::path::absolute(sel).unwrap_or_else(|_| sel.clone());
        let found: Vec<_> = match by_id {
            Some(e) => vec![e],
            None => index
                .entries
                .iter()
                .filter(|e| {
                    e.original
                        .as_ref()
                        .is_some_and(|p| p.to_path() == *sel || p.to_path() == abs)
                })
                .collect(),
        };
        if found.is_empty() {
            unknown.push(sel.as_path());
        }
        chosen.extend(found);
    }
    let steps = check::plan_extraction(&chosen, &index.unsealed);
    let bytes = steps
        .iter()
        .map(|p| match p {
            Planned::Extract { entry, .. } => entry.size,
            Planned::Skip { .. } => 0,
        })
        .fold(0u64, u64::saturating_add);
    Extraction {
        steps,
        unknown,
        bytes,
    }
}

/// What [`extract_all`] reports as it goes, one event per step.
#[derive(Debug)]
pub enum ExtractEvent<'a> {
    /// Not restored: an unsealed entry claiming the same original as the sealed `kept`.
    Skipped { entry: &'a Entry, kept: &'a Entry },
    /// Restored at `to`; `renamed` when another entry of this run had taken its name.
    Extracted {
        entry: &'a Entry,
        to: PathBuf,
        renamed: bool,
    },
    /// Not restored (nothing was left at the destination).
    Failed { entry: &'a Entry, error: Error },
}

/// Totals of an [`extract_all`] run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExtractSummary {
    pub extracted: u64,
    pub failed: u64,
    /// Restored under a numbered name (`name (2).ext`).
    pub renamed: u64,
    pub skipped: u64,
}

/// Restores the `steps` of an [`Extraction`] under `dest` (an existing folder), giving the
/// files `modes`; never overwrites. Each step's result goes to `on_event`, which stops the run
/// before the next step by returning [`ControlFlow::Break`] (its reporter can no longer write).
pub fn extract_all<'a>(
    vault: &Vault,
    keys: &Keys,
    steps: Vec<Planned<'a>>,
    dest: &Path,
    modes: Modes,
    mut on_event: impl FnMut(ExtractEvent<'a>) -> ControlFlow<()>,
) -> ExtractSummary {
    let mut summary = ExtractSummary::default();
    for step in steps {
        let flow = match step {
            Planned::Skip { entry, kept } => {
                summary.skipped += 1;
                on_event(ExtractEvent::Skipped { entry, kept })
            }
            Planned::Extract {
                entry,
                rel,
                renamed,
            } => match vault.extract(entry, keys, dest, &rel, modes) {
                Ok(to) => {
                    summary.extracted += 1;
                    summary.renamed += u64::from(renamed);
                    on_event(ExtractEvent::Extracted { entry, to, renamed })
                }
                Err(error) => {
                    summary.failed += 1;
                    on_event(ExtractEvent::Failed { entry, error })
                }
            },
        };
        if flow.is_break() {
            break;
        }
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::ManifestSeal;
    use crate::vault::check::tests::entry;

    fn index(entries: Vec<Entry>) -> Index {
        Index {
            entries,
            pending: Vec::new(),
            unreadable: Vec::new(),
            has_manifest: true,
            manifest_error: None,
            seal: ManifestSeal::Valid,
            unsealed: Vec::new(),
            rollback: None,
            generation: 1,
        }
    }

    fn chosen<'a>(x: &Extraction<'a>) -> Vec<&'a str> {
        x.steps
            .iter()
            .map(|p| match p {
                Planned::Extract { entry, .. } | Planned::Skip { entry, .. } => entry.id.as_str(),
            })
            .collect()
    }

    #[test]
    fn entries_are_chosen_by_id_prefix_or_original_path_once_each() {
        let mut big = entry("cd", Some("/home/u/b.jpg"), 2);
        big.size = 40;
        let index = index(vec![entry("ab", Some("/home/u/a.jpg"), 1), big]);
        let (a, c) = (index.entries[0].id.as_str(), index.entries[1].id.as_str());
        let sel = |s: &[&str]| s.iter().map(PathBuf::from).collect::<Vec<_>>();

        // An id prefix, and the same entry by its original's path: restored once.
        let asked = sel(&["abab", "/home/u/a.jpg"]);
        let x = choose_entries(&index, false, &asked);
        assert_eq!(chosen(&x), [a]);
        assert!(x.unknown.is_empty());
        assert_eq!(x.bytes, 1);

        // What names no entry is given back; the rest is still chosen.
        let asked = sel(&["/home/u/gone.jpg", "cdcd", "ff"]);
        let x = choose_entries(&index, false, &asked);
        assert_eq!(chosen(&x), [c]);
        assert_eq!(x.unknown, [Path::new("/home/u/gone.jpg"), Path::new("ff")]);
        assert_eq!(x.bytes, 40);

        // Everything, newest first (plan_extraction's order), with a name asked for again.
        let asked = sel(&["/home/u/b.jpg"]);
        let x = choose_entries(&index, true, &asked);
        assert_eq!(chosen(&x), [c, a]);
        assert_eq!(x.bytes, 41);
    }
}
