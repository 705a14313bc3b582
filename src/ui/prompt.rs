//! Confirmation before destructive actions. With `--yes` nothing is asked; without it, idvault
//! asks on a terminal and refuses outright when stdin is not one. The caller shows the whole
//! plan first (`report::writer::Writer::confirm` flushes it before asking).

use std::io::{self, BufRead, IsTerminal, Write};

use crate::i18n;

/// How to confirm a destructive action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfirmPolicy {
    /// Ask on the terminal; refuse when stdin is not a terminal.
    Ask,
    /// The user said `--yes`.
    AssumeYes,
}

impl ConfirmPolicy {
    pub fn from_yes_flag(yes: bool) -> Self {
        if yes {
            ConfirmPolicy::AssumeYes
        } else {
            ConfirmPolicy::Ask
        }
    }
}

/// The answer to a confirmation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confirmation {
    Yes,
    /// Answered no. Every command then changes nothing and exits with 1, so that a script never
    /// goes on as if the files had been handled.
    No,
    /// Nobody could be asked (stdin is not a terminal) and `--yes` was not given.
    CannotAsk,
}

/// The refusal when a [`Confirmation::CannotAsk`] stops a destructive command: one wording for
/// every command, naming what was not done and how to go ahead.
#[derive(Debug)]
pub struct CannotAsk {
    /// What the command would have done: the catalogue's `cli.action.*` key suffix (`wipe`,
    /// `secure`, `remove_originals`, `strip_in_place`).
    pub action: &'static str,
}

impl std::fmt::Display for CannotAsk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let action = i18n::t(&format!("cli.action.{}", self.action), &[]);
        f.write_str(&i18n::t("cli.cannot_ask", &[("action", &action)]))
    }
}

impl std::error::Error for CannotAsk {}

/// Asks `question` (shown on stderr) unless the policy already answers it.
pub fn confirm(policy: ConfirmPolicy, question: &str) -> io::Result<Confirmation> {
    if policy == ConfirmPolicy::AssumeYes {
        return Ok(Confirmation::Yes);
    }
    let stdin = io::stdin();
    if !stdin.is_terminal() {
        return Ok(Confirmation::CannotAsk);
    }
    let mut stderr = io::stderr();
    write!(stderr, "{question} [y/N] ")?;
    stderr.flush()?;
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    Ok(match line.trim() {
        "y" | "Y" | "yes" | "Yes" | "YES" | "是" | "是的" => Confirmation::Yes,
        _ => Confirmation::No,
    })
}
