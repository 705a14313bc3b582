//! Everything idvault writes to stdout: human tables and JSON Lines. No other module writes to
//! stdout. Human warnings and summaries go to stderr.

pub mod human;
pub mod json;
pub mod review;
pub mod scan;
pub mod secure;
pub mod strip;
pub mod vault;
pub mod wipe;
pub mod writer;

/// Prints a fatal error on stderr: its whole chain (`{:#}`) as one message, escaped for the
/// terminal here, once (errors carry raw paths and values up to this point).
pub fn fatal(err: anyhow::Error) {
    eprintln!(
        "idvault: {}: {:#}",
        crate::i18n::t("cli.label.error", &[]),
        crate::ui::sanitize::error(err)
    );
}
