//! "Secure selected": the chosen cards' plan items go through [`secure::apply`], the same
//! pipeline as `idvault secure --apply`, on a thread of their own; the page polls the status.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread;

use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use super::locked as lock;
use super::session::{ActionError, JobStatus, Session};
use crate::secure::{self, OriginalDone, Progress};
use crate::vault::{self, Keys, LockMode, Vault};

/// Why "Secure selected" was refused before anything started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    #[error("another action is still running")]
    Busy,
    #[error("nothing was chosen")]
    Empty,
    #[error("the passphrase is empty")]
    NoPassphrase,
    #[error("the passphrases did not match")]
    Mismatch,
    #[error(transparent)]
    Choice(#[from] ActionError),
}

/// What the page sends with "Secure selected".
pub struct Request {
    pub ids: Vec<usize>,
    pub passphrase: Option<SecretString>,
    /// The passphrase typed again, when a new vault is made.
    pub repeat: Option<SecretString>,
}

/// Starts securing the chosen cards; returns at once.
pub fn start(session: &Arc<Mutex<Session>>, req: Request) -> Result<(), StartError> {
    let mut s = lock(session);
    if s.job.as_ref().is_some_and(|j| j.running) {
        return Err(StartError::Busy);
    }
    if req.ids.is_empty() {
        return Err(StartError::Empty);
    }
    let exists = s.opts.vault.join(crate::VAULT_MARKER).exists();
    let passphrase = match (&s.opts.passphrase, req.passphrase) {
        (Some(given), _) => given.clone(),
        (None, Some(p)) if !p.expose_secret().is_empty() => {
            if !exists {
                let again = req.repeat.ok_or(StartError::Mismatch)?;
                let same: bool = p
                    .expose_secret()
                    .as_bytes()
                    .ct_eq(again.expose_secret().as_bytes())
                    .into();
                if !same {
                    return Err(StartError::Mismatch);
                }
            }
            p
        }
        (None, _) => return Err(StartError::NoPassphrase),
    };
    let plan = s.take_for_job(&req.ids)?;
    s.job = Some(JobStatus {
        running: true,
        total: plan.items.len(),
        ..JobStatus::default()
    });
    drop(s);
    let session = Arc::clone(session);
    thread::spawn(move || run(&session, plan, &passphrase));
    Ok(())
}

fn run(session: &Mutex<Session>, plan: secure::Plan, passphrase: &SecretString) {
    let (root, opts) = {
        let s = lock(session);
        (s.opts.vault.clone(), s.opts.secure.clone())
    };
    let results: Mutex<HashMap<PathBuf, Result<OriginalDone, String>>> = Mutex::default();
    let outcome = (|| -> Result<(), vault::Error> {
        let (vault, keys) = open_or_create(&root, passphrase)?;
        let vault_lock = vault.lock(LockMode::Exclusive, |_| {
            if let Some(j) = lock(session).job.as_mut() {
                j.waiting_for_lock = true;
            }
        })?;
        if let Some(j) = lock(session).job.as_mut() {
            j.waiting_for_lock = false;
        }
        secure::apply(&plan, &vault, &keys, &vault_lock, &opts, |p| {
            if let Progress::Done(o) = p {
                let r = o
                    .result
                    .as_ref()
                    .map(Clone::clone)
                    .map_err(|e| e.to_string());
                let ok = r.is_ok();
                results
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(o.finding.path.clone(), r);
                if let Some(j) = lock(session).job.as_mut() {
                    j.done += 1;
                    if ok {
                        j.ok += 1;
                    } else {
                        j.failed += 1;
                    }
                }
            }
        })?;
        Ok(())
    })();
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    let failure = outcome.as_ref().err().map(ToString::to_string);
    let mut s = lock(session);
    s.return_from_job(plan, &results, failure.as_deref());
    if let Some(j) = s.job.as_mut() {
        j.running = false;
        j.waiting_for_lock = false;
        j.error = failure;
        j.failed = j.total - j.ok;
        j.done = j.total;
    }
}

/// The vault at `root`, unlocked; created with `passphrase` when there is none yet.
fn open_or_create(
    root: &std::path::Path,
    passphrase: &SecretString,
) -> Result<(Vault, Keys), vault::Error> {
    let vault = if root.join(crate::VAULT_MARKER).exists() {
        Vault::open(root)?
    } else {
        Vault::init(root, passphrase, &[])?
    };
    let keys = vault.unlock(passphrase)?;
    Ok((vault, keys))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::Options;
    use crate::scan::ScanOptions;
    use crate::secure::{Originals, Plan};
    use crate::vault::StripPolicy;
    use crate::wipe::WipeOptions;
    use std::time::Duration;

    fn session(dir: &std::path::Path, passphrase: Option<&str>) -> Arc<Mutex<Session>> {
        let scan = ScanOptions::new(vec![dir.to_path_buf()]);
        let opts = Options {
            secure: secure::Options {
                scan: scan.clone(),
                originals: Originals::Wipe,
                wipe: WipeOptions::default(),
                strip: StripPolicy::Strip,
            },
            selection: scan,
            vault: dir.join("vault"),
            passphrase: passphrase.map(|p| SecretString::from(p.to_string())),
            marks_dir: None,
            idle: Duration::from_secs(60),
        };
        let mut session = Session::new(opts);
        session.scan_finished(Plan {
            items: Vec::new(),
            leftovers: Vec::new(),
            warnings: Vec::new(),
            scan: Default::default(),
        });
        Arc::new(Mutex::new(session))
    }

    fn secret(s: &str) -> Option<SecretString> {
        Some(SecretString::from(s.to_string()))
    }

    #[test]
    fn a_new_vault_needs_the_same_passphrase_twice_and_nothing_starts_otherwise() {
        let t = tempfile::tempdir().unwrap();
        let s = session(t.path(), None);
        let start_with = |ids: Vec<usize>, p: Option<SecretString>, r: Option<SecretString>| {
            start(
                &s,
                Request {
                    ids,
                    passphrase: p,
                    repeat: r,
                },
            )
        };
        assert!(matches!(
            start_with(vec![], secret("a"), secret("a")),
            Err(StartError::Empty)
        ));
        assert!(matches!(
            start_with(vec![0], None, None),
            Err(StartError::NoPassphrase)
        ));
        assert!(matches!(
            start_with(vec![0], secret(""), secret("")),
            Err(StartError::NoPassphrase)
        ));
        assert!(matches!(
            start_with(vec![0], secret("a"), secret("b")),
            Err(StartError::Mismatch)
        ));
        assert!(matches!(
            start_with(vec![0], secret("a"), None),
            Err(StartError::Mismatch)
        ));
        assert!(matches!(
            start_with(vec![0], secret("a"), secret("a")),
            Err(StartError::Choice(ActionError::NoSuchCard))
        ));
        assert!(lock(&s).job.is_none(), "a refused start left a job behind");
        assert!(
            !t.path().join("vault").exists(),
            "a refused start made a vault"
        );
    }

    #[test]
    fn nothing_is_secured_while_the_scan_runs() {
        let t = tempfile::tempdir().unwrap();
        let s = session(t.path(), Some("given"));
        lock(&s).scan.running = true;
        let r = start(
            &s,
            Request {
                ids: vec![0],
                passphrase: None,
                repeat: None,
            },
        );
        assert!(matches!(r, Err(StartError::Choice(ActionError::Scanning))));
        assert!(lock(&s).job.is_none());
    }

    #[test]
    fn a_passphrase_given_at_start_is_not_asked_again() {
        let t = tempfile::tempdir().unwrap();
        let s = session(t.path(), Some("given"));
        let r = start(
            &s,
            Request {
                ids: vec![3],
                passphrase: None,
                repeat: None,
            },
        );
        assert!(matches!(
            r,
            Err(StartError::Choice(ActionError::NoSuchCard))
        ));
    }
}
