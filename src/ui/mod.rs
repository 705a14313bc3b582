//! Terminal-facing helpers: colour choice, progress bars, confirmation prompts and escaping of
//! untrusted names before they reach a terminal.

pub mod color;
pub mod passphrase;
pub mod progress;
pub mod prompt;
pub mod sanitize;
