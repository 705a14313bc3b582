//! What every report holds and does alike: stdout (buffered by the caller), whether it carries
//! JSON Lines or human text, the colours for human text, the `begin` line and warnings.

use std::io::{self, Write};

use super::{human, json};
use crate::i18n::t;
use crate::scan::Warning;
use crate::ui::color::Palette;
use crate::ui::prompt::{self, ConfirmPolicy, Confirmation};

/// The output of one command.
pub struct Writer<W: Write> {
    /// Stdout: JSON Lines with `json`, else the human tables.
    pub out: W,
    pub json: bool,
    /// Colours for human text (all off under `--json`).
    pub palette: Palette,
}

impl<W: Write> Writer<W> {
    pub fn new(out: W, json: bool, palette: Palette) -> Self {
        Writer { out, json, palette }
    }

    /// Starts the output of `command`: the JSON `begin` line; nothing for people.
    pub fn begin(&mut self, command: &str) -> io::Result<()> {
        if self.json {
            json::begin(&mut self.out, command)
        } else {
            Ok(())
        }
    }

    /// A bold heading on stdout after a blank line (human output).
    pub fn heading(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.out, "\n{}", self.palette.bold(text))
    }

    /// The prompt was answered "no": says on stderr, after whatever stdout holds so far, that
    /// nothing changed.
    pub fn declined(&mut self) -> io::Result<()> {
        self.out.flush()?;
        writeln!(io::stderr(), "idvault: {}", t("cli.declined", &[]))
    }

    /// Asks `question` on the terminal (unless `policy` answers it) after everything written
    /// so far, the plan above all, has reached stdout: a question never comes before its plan.
    pub fn confirm(&mut self, policy: ConfirmPolicy, question: &str) -> io::Result<Confirmation> {
        self.out.flush()?;
        prompt::confirm(policy, question)
    }

    /// A file the command could not handle, or a note: a JSON line, or a line on stderr after
    /// whatever stdout holds so far.
    pub fn warning(&mut self, w: &Warning) -> io::Result<()> {
        if self.json {
            json::warning(&mut self.out, w)
        } else {
            self.out.flush()?;
            human::warning(&self.palette, w);
            Ok(())
        }
    }
}
