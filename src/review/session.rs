//! The state of one review: the scan filling it, a card per finding, its default selection, its
//! "Not a document" mark, its thumbnails and what securing did to it; and the JSON the page
//! renders.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use super::Options;
use super::thumb::Thumbs;
use crate::dismissed::{Mark, Marks};
use crate::scan::Finding;
use crate::scan::finding::{Document, Risk};
use crate::secure::{self, Item, OriginalDone};

/// Progress of the current (or last) job, as the page shows it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct JobStatus {
    pub running: bool,
    pub total: usize,
    pub done: usize,
    pub ok: usize,
    pub failed: usize,
    /// Why the job could not start at all (wrong passphrase, vault not usable).
    pub error: Option<String>,
    /// Another process holds the vault lock; the job waits for it.
    pub waiting_for_lock: bool,
}

/// The scan that fills the page, as the page shows it.
#[derive(Clone, Debug, Serialize)]
pub struct ScanStatus {
    pub running: bool,
    /// Files looked at so far.
    pub files: u64,
    /// Files the scan could not read or did not fully look at (a damaged archive, pixels that
    /// could not be decoded): each makes the exit code 1, as in `scan`.
    #[serde(skip)]
    pub failures: u64,
}

/// Where a card stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "detail")]
pub enum CardState {
    Open,
    Securing,
    /// In the vault and verified; the original wiped or deleted.
    Secured,
    /// In the vault and verified; the original kept (`--keep-originals`).
    Kept,
    Failed(String),
}

/// What `GET api/state` answers: everything the page renders.
#[derive(Serialize)]
pub struct StateJson<'a> {
    cards: Vec<CardJson<'a>>,
    vault: VaultJson<'a>,
    passphrase_given: bool,
    /// "Not a document" marks can be kept (the marks file opened).
    marks: bool,
    job: Option<&'a JobStatus>,
    scan: &'a ScanStatus,
    /// The page language the browser asked for.
    lang: &'static str,
}

#[derive(Serialize)]
struct VaultJson<'a> {
    path: Cow<'a, str>,
    exists: bool,
}

/// One card on the page.
#[derive(Serialize)]
struct CardJson<'a> {
    id: usize,
    path: Cow<'a, str>,
    file_type: &'static str,
    kind: &'static str,
    confidence: f32,
    reasons: Vec<ReasonJson<'a>>,
    risks: &'a [Risk],
    document: Option<&'a Document>,
    recommended: bool,
    dismissed: bool,
    #[serde(flatten)]
    state: &'a CardState,
    preview: bool,
    cannot_wipe: Option<String>,
    /// Overwriting may not reach old copies on this file's disk (SSD, copy-on-write…).
    wipe_limited: bool,
}

#[derive(Serialize)]
struct ReasonJson<'a> {
    signal: &'static str,
    detail: &'a str,
}

/// One finding on the page.
pub struct Card {
    pub finding: Finding,
    /// The plan item, while the card can still be secured (taken out while a job runs).
    pub item: Option<Item>,
    /// `secure` would act on it, were it not marked "Not a document".
    pub recommended: bool,
    pub mark: Option<Mark>,
    pub dismissed: bool,
    pub state: CardState,
    pub thumbs: Option<Arc<Thumbs>>,
}

impl Card {
    /// Not secured yet, and not being secured: it can be chosen or marked.
    pub fn securable(&self) -> bool {
        self.item.is_some() && matches!(self.state, CardState::Open | CardState::Failed(_))
    }
}

/// The whole review.
pub struct Session {
    pub opts: Options,
    pub cards: Vec<Card>,
    pub marks: Option<Marks>,
    /// Interrupted wipes found by the scan, finished by the first job.
    pub leftovers: Vec<PathBuf>,
    pub job: Option<JobStatus>,
    pub scan: ScanStatus,
}

/// Why an action from the page was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ActionError {
    #[error("the scan is still running")]
    Scanning,
    #[error("no such finding")]
    NoSuchCard,
    #[error("this finding was already secured or is being secured")]
    NotOpen,
    #[error("marks cannot be kept: the cache folder is not usable")]
    NoMarks,
    #[error("cannot read the file: {0}")]
    Read(std::io::Error),
    #[error("cannot save the mark: {0}")]
    Save(std::io::Error),
}

impl Session {
    /// An empty review, its scan about to start.
    pub fn new(opts: Options) -> Session {
        let marks = opts.marks_dir.as_deref().and_then(Marks::open);
        Session {
            opts,
            cards: Vec::new(),
            marks,
            leftovers: Vec::new(),
            job: None,
            scan: ScanStatus {
                running: true,
                files: 0,
                failures: 0,
            },
        }
    }

    /// A card for an item the scan found; shown as marked if it was marked "Not a document"
    /// earlier.
    pub fn add(&mut self, item: Item) {
        let marks = self.marks.as_ref().filter(|m| !m.is_empty());
        let mark = marks.and_then(|m| m.mark_of(&item.finding.path).ok());
        let dismissed = mark.zip(marks).is_some_and(|(mk, m)| m.contains(&mk));
        self.cards.push(Card {
            finding: item.finding.clone(),
            recommended: self.opts.selection.wants(&item.finding.verdict),
            item: Some(item),
            mark,
            dismissed,
            state: CardState::Open,
            thumbs: None,
        });
    }

    /// The findings on the page that are not selected by default (another kind than `secure`
    /// acts on, or less sure).
    pub fn not_recommended(&self) -> Vec<&Finding> {
        self.cards
            .iter()
            .filter(|c| !c.recommended)
            .map(|c| &c.finding)
            .collect()
    }

    /// The scan is over: `plan` holds its leftovers and counts (its items came through
    /// [`Session::add`]).
    pub fn scan_finished(&mut self, plan: secure::Plan) {
        self.leftovers = plan.leftovers;
        self.scan.failures = plan.scan.failures();
        self.scan.running = false;
    }

    fn card_mut(&mut self, id: usize) -> Result<&mut Card, ActionError> {
        self.cards.get_mut(id).ok_or(ActionError::NoSuchCard)
    }

    /// Marks a card "Not a document", or undoes it; the mark is saved at once.
    pub fn set_dismissed(&mut self, id: usize, dismissed: bool) -> Result<(), ActionError> {
        let marks = self.marks.as_mut().ok_or(ActionError::NoMarks)?;
        let card = self.cards.get_mut(id).ok_or(ActionError::NoSuchCard)?;
        if !card.securable() {
            return Err(ActionError::NotOpen);
        }
        let mark = match card.mark {
            Some(m) => m,
            None => marks
                .mark_of(&card.finding.path)
                .map_err(ActionError::Read)?,
        };
        marks.set(mark, dismissed).map_err(ActionError::Save)?;
        card.mark = Some(mark);
        card.dismissed = dismissed;
        Ok(())
    }

    /// Takes the items of the chosen open, not dismissed cards out for a job and marks them as
    /// being secured. Refuses the whole choice if any id is not securable.
    pub fn take_for_job(&mut self, ids: &[usize]) -> Result<secure::Plan, ActionError> {
        // Interrupted wipes the scan finds are finished by a job: it waits for the whole scan.
        if self.scan.running {
            return Err(ActionError::Scanning);
        }
        for &id in ids {
            let card = self.cards.get(id).ok_or(ActionError::NoSuchCard)?;
            if !card.securable() || card.dismissed {
                return Err(ActionError::NotOpen);
            }
        }
        let mut items = Vec::with_capacity(ids.len());
        for &id in ids {
            let card = self.card_mut(id)?;
            if let Some(item) = card.item.take() {
                card.state = CardState::Securing;
                items.push(item);
            }
        }
        items.sort_by(|a, b| a.finding.path.cmp(&b.finding.path));
        Ok(secure::Plan {
            items,
            left_out: Vec::new(),
            leftovers: std::mem::take(&mut self.leftovers),
            warnings: Vec::new(),
            scan: Default::default(),
        })
    }

    /// Gives items back after a job, with what happened to each (by path).
    pub fn return_from_job(
        &mut self,
        plan: secure::Plan,
        results: &HashMap<PathBuf, Result<OriginalDone, String>>,
        failure: Option<&str>,
    ) {
        let by_path: HashMap<PathBuf, usize> = self
            .cards
            .iter()
            .enumerate()
            .map(|(i, c)| (c.finding.path.clone(), i))
            .collect();
        for item in plan.items {
            let Some(&i) = by_path.get(&item.finding.path) else {
                continue;
            };
            let card = &mut self.cards[i];
            card.state = match results.get(&item.finding.path) {
                Some(Ok(OriginalDone::Kept)) => CardState::Kept,
                Some(Ok(_)) => CardState::Secured,
                Some(Err(e)) => CardState::Failed(e.clone()),
                None => CardState::Failed(failure.unwrap_or("not attempted").to_string()),
            };
            if matches!(card.state, CardState::Failed(_)) {
                card.item = Some(item);
            } else {
                // The original is gone or in the vault: its pictures leave memory too.
                card.thumbs = None;
            }
        }
    }

    /// What makes the run's exit code 1: files the scan could not read or did not fully look
    /// at, a scan that did not finish, and cards whose securing failed (and were not secured by a later try).
    pub fn failures(&self) -> u64 {
        let failed = self
            .cards
            .iter()
            .filter(|c| matches!(c.state, CardState::Failed(_)))
            .count();
        self.scan.failures + u64::from(self.scan.running) + failed as u64
    }

    /// What the page renders, in the page language `lang`. Values are raw (paths and reasons
    /// may quote a hostile file's bytes): the page escapes what it shows and writes it only as
    /// text, never as markup.
    pub fn state(&self, lang: &'static str) -> StateJson<'_> {
        let mut cards: Vec<CardJson> = self
            .cards
            .iter()
            .enumerate()
            .map(|(id, c)| CardJson {
                id,
                path: c.finding.path.to_string_lossy(),
                file_type: c.finding.file_type.as_str(),
                kind: c.finding.verdict.kind.as_str(),
                confidence: c.finding.verdict.confidence,
                reasons: c
                    .finding
                    .verdict
                    .reasons
                    .iter()
                    .map(|r| ReasonJson {
                        signal: r.signal,
                        detail: &r.detail,
                    })
                    .collect(),
                risks: &c.finding.verdict.risks,
                document: c.finding.verdict.document.as_ref(),
                recommended: c.recommended && !c.dismissed,
                dismissed: c.dismissed,
                state: &c.state,
                preview: super::thumb::can_preview(c.finding.file_type),
                cannot_wipe: c
                    .item
                    .as_ref()
                    .and_then(|i| i.original.as_ref())
                    .and_then(|o| o.as_ref().err())
                    .map(|e| e.to_string()),
                wipe_limited: c
                    .item
                    .as_ref()
                    .and_then(|i| i.original.as_ref())
                    .and_then(|o| o.as_ref().ok())
                    .is_some_and(|p| p.caveats.iter().any(|c| c.limits_overwrite())),
            })
            .collect();
        // Cards come in as the scan finds them; the page lists them by path.
        cards.sort_by(|a, b| a.path.cmp(&b.path));
        let vault = &self.opts.vault;
        StateJson {
            cards,
            vault: VaultJson {
                path: vault.to_string_lossy(),
                exists: vault.join(crate::VAULT_MARKER).exists(),
            },
            passphrase_given: self.opts.passphrase.is_some(),
            marks: self.marks.is_some(),
            job: self.job.as_ref(),
            scan: &self.scan,
            lang,
        }
    }
}
