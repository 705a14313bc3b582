//! Everything idvault writes to stdout: human tables and JSON Lines. No other module writes to
//! stdout. Human warnings and summaries go to stderr.

pub mod human;
pub mod json;
pub mod review;
pub mod scan;
pub mod secure;
pub mod strip;
pub mod text;
pub mod vault;
pub mod wipe;
pub mod writer;

/// Prints a fatal error on stderr: its whole chain as one message (`a: b: c`, as `{:#}` shows
/// it), the domain's typed errors worded in the command line's language, escaped for the
/// terminal here, once (errors carry raw paths and values up to this point).
pub fn fatal(err: anyhow::Error) {
    eprintln!(
        "idvault: {}: {}",
        crate::i18n::t("cli.label.error", &[]),
        fatal_text(&err, crate::i18n::lang())
    );
}

/// The message of a fatal error in `lang`, escaped.
fn fatal_text(err: &anyhow::Error, lang: crate::i18n::Lang) -> String {
    let chain: Vec<String> = err
        .chain()
        .map(|e| {
            if let Some(e) = e.downcast_ref::<crate::vault::Error>() {
                e.text_in(lang)
            } else if let Some(e) = e.downcast_ref::<crate::vault::ItemError>() {
                e.text_in(lang)
            } else if let Some(e) = e.downcast_ref::<crate::wipe::WipeError>() {
                e.text_in(lang)
            } else {
                e.to_string()
            }
        })
        .collect();
    crate::ui::sanitize::text(&chain.join(": "))
}

#[cfg(test)]
mod tests {
    use super::fatal_text;
    use crate::i18n::Lang;

    #[test]
    fn fatal_errors_are_escaped_once_with_their_chain_and_worded_in_the_language() {
        let inner = std::io::Error::other("bad \u{202e}name");
        let err = anyhow::Error::new(inner).context("cannot open a\x1b[2J");
        assert_eq!(
            fatal_text(&err, Lang::En),
            "cannot open a\\u{1b}[2J: bad \\u{202e}name"
        );
        let err = anyhow::Error::new(crate::vault::Error::WrongPassphrase).context("x");
        assert_eq!(
            fatal_text(&err, Lang::En),
            "x: wrong passphrase: the vault identity could not be decrypted"
        );
        assert_eq!(
            fatal_text(&err, Lang::ZhCn),
            "x: 密码错误：无法解密保险库身份"
        );
    }
}
