//! Domain values worded through the message catalogue: a warning's [`Message`] in English for
//! JSON and in the command line's language for people. The words are raw (paths and values as
//! the domain gives them): escape them where they are printed.

use crate::i18n::{Catalog, Lang};
use crate::scan::Message;

/// The message `key` in `lang` with `args` filled in.
pub fn get(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    Catalog::get_or_load().get(lang, key, args)
}

/// What a warning says, in `lang`.
pub fn message(m: &Message, lang: Lang) -> String {
    let note = |key: &str, args: &[(&str, &str)]| get(lang, &format!("cli.note.{key}"), args);
    let in_member = |member: &[std::path::PathBuf], text: String| {
        let shown = member
            .iter()
            .map(|p| p.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" » ");
        note("in_member", &[("member", &shown), ("note", &text)])
    };
    match m {
        Message::Text(s) => s.clone(),
        Message::Worded { en, local } => match lang {
            Lang::En => en.clone(),
            _ => local.clone(),
        },
        Message::Archive {
            format,
            at,
            problem,
        } => {
            let text = problem.text_in(lang);
            if at.is_empty() {
                note(
                    "archive",
                    &[("format", format.as_str()), ("problem", &text)],
                )
            } else {
                in_member(at, text)
            }
        }
        Message::NotAnalysed { member, reason } => {
            let text = note("not_analysed", &[("reason", reason)]);
            match member {
                Some(m) => in_member(m, text),
                None => text,
            }
        }
        Message::LeftoverSkipped => note("leftover_skipped", &[]),
        Message::NotOurs => note("not_ours", &[]),
        Message::VaultSkipped => note("vault_skipped", &[]),
        Message::NotRegular => note("not_regular", &[]),
        Message::SymlinkLoop => note("symlink_loop", &[]),
        Message::SymlinkNotFollowed => note("symlink_not_followed", &[]),
        Message::DanglingSymlink(e) => note("dangling_symlink", &[("error", e)]),
        Message::Vanished => note("vanished", &[]),
        Message::FolderDenied => note("folder_denied", &[]),
        Message::CannotRead(e) => note("cannot_read", &[("error", e)]),
    }
}

/// A message worded by the command that reports it, from the catalogue's `key` and `args`:
/// English for JSON, and in the command line's language for people.
pub fn worded(key: &str, args: &[(&str, &str)]) -> Message {
    Message::Worded {
        en: get(Lang::En, key, args),
        local: crate::i18n::t(key, args),
    }
}

/// [`worded`] for a message put together from values in each language by `words`.
pub fn worded_with(words: impl Fn(Lang) -> String) -> Message {
    Message::Worded {
        en: words(Lang::En),
        local: words(crate::i18n::lang()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::archive::{Format, ProblemKind};

    #[test]
    fn every_note_is_worded_in_every_language() {
        let problems = [
            ProblemKind::Encrypted,
            ProblemKind::Damaged("x".into()),
            ProblemKind::Unsupported("x".into()),
            ProblemKind::Bomb { ratio: 1000 },
            ProblemKind::TooManyEntries,
            ProblemKind::TooMuchData,
            ProblemKind::TooDeep,
            ProblemKind::NestedTooLarge,
        ];
        let mut messages: Vec<Message> = problems
            .into_iter()
            .flat_map(|problem| {
                [Vec::new(), vec!["a.zip".into(), "b.jpg".into()]].map(|at| Message::Archive {
                    format: Format::Zip,
                    at,
                    problem: problem.clone(),
                })
            })
            .collect();
        messages.extend([
            Message::NotAnalysed {
                member: None,
                reason: "x".into(),
            },
            Message::LeftoverSkipped,
            Message::NotOurs,
            Message::VaultSkipped,
            Message::NotRegular,
            Message::SymlinkLoop,
            Message::SymlinkNotFollowed,
            Message::DanglingSymlink("x".into()),
            Message::Vanished,
            Message::FolderDenied,
            Message::CannotRead("x".into()),
        ]);
        for m in &messages {
            for lang in Lang::ALL {
                let text = message(m, lang);
                assert!(
                    !text.contains("cli.") && !text.contains('{'),
                    "{m:?} in {lang:?}: {text}"
                );
            }
            assert_ne!(message(m, Lang::En), message(m, Lang::ZhCn), "{m:?}");
        }
    }
}
