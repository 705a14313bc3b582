//! Colour policy and the few styles idvault uses. Colour is on only for a terminal, never with
//! `NO_COLOR`, `TERM=dumb` or `--json`, unless forced with `--color always`.

use std::io::IsTerminal;

use anstyle::{AnsiColor, Style};

/// `--color` values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    #[default]
    Auto,
    Always,
    Never,
}

/// Resolves the policy for stream `is_tty`.
pub fn enabled(when: ColorWhen, is_tty: bool) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            is_tty
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        }
    }
}

/// Whether stdout is a terminal.
pub fn stdout_is_tty() -> bool {
    std::io::stdout().is_terminal()
}

/// Styles for human output; every method returns the text unchanged when colour is off.
#[derive(Clone, Copy, Debug)]
pub struct Palette {
    on: bool,
}

impl Palette {
    pub fn new(on: bool) -> Self {
        Palette { on }
    }

    fn paint(&self, style: Style, s: &str) -> String {
        if self.on {
            format!("{style}{s}{style:#}")
        } else {
            s.to_string()
        }
    }

    pub fn bold(&self, s: &str) -> String {
        self.paint(Style::new().bold(), s)
    }

    pub fn red(&self, s: &str) -> String {
        self.paint(Style::new().bold().fg_color(Some(AnsiColor::Red.into())), s)
    }

    pub fn yellow(&self, s: &str) -> String {
        self.paint(Style::new().fg_color(Some(AnsiColor::Yellow.into())), s)
    }

    pub fn dim(&self, s: &str) -> String {
        self.paint(Style::new().dimmed(), s)
    }

    pub fn green(&self, s: &str) -> String {
        self.paint(Style::new().fg_color(Some(AnsiColor::Green.into())), s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_off_is_the_plain_text() {
        assert_eq!(Palette::new(false).red("x"), "x");
    }

    #[test]
    fn colour_on_wraps_the_text_in_sgr_codes() {
        let p = Palette::new(true);
        assert_eq!(p.red("x"), "\x1b[1m\x1b[31mx\x1b[0m");
        assert_eq!(p.green("ok"), "\x1b[32mok\x1b[0m");
    }
}
