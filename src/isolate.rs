//! The second wall against hostile files: a panic while handling one file becomes an error on
//! that file, and the run goes on.
//!
//! The first wall is the readers themselves, which return errors instead of panicking. This
//! module catches what slipped through, so that one file can never end a run (or, in a worker
//! thread, leave the run waiting for ever on a channel nobody will write to again). Every
//! per-file step of `scan`, `strip`, `vault add`, `secure` and `wipe` runs inside
//! [`per_file`].

use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};

/// A panic caught while handling one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Panicked {
    /// The panic's message, as the code that panicked wrote it.
    pub message: String,
}

impl fmt::Display for Panicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "internal error while handling this file, which was left as it was ({}); \
             this is a bug in idvault, please report it",
            // Raw: the message may quote the file's own bytes, so printers escape it.
            self.message
        )
    }
}

impl std::error::Error for Panicked {}

/// Runs `f`, the work on one file; a panic inside it is returned as [`Panicked`].
///
/// The closure is asserted unwind-safe: callers hand it per-file state only, and a panic
/// discards that state with the file's result.
pub fn per_file<T>(f: impl FnOnce() -> T) -> Result<T, Panicked> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| Panicked {
        message: payload_message(payload.as_ref()),
    })
}

/// The text of a panic payload (`panic!` with a literal or with a formatted message).
fn payload_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_passes_through() {
        assert_eq!(per_file(|| 7), Ok(7));
    }

    #[test]
    fn a_panic_becomes_an_error_with_its_message() {
        let literal = per_file(|| -> u8 { panic!("slice index starts at 9") }).unwrap_err();
        assert_eq!(literal.message, "slice index starts at 9");
        let n = 3;
        let formatted = per_file(|| -> u8 { panic!("box depth {n}") }).unwrap_err();
        assert_eq!(formatted.message, "box depth 3");
        assert!(formatted.to_string().contains("left as it was"));
        // The error keeps the raw text; the printers escape it (report::human's tests).
        let hostile = per_file(|| -> u8 { panic!("slicing `\x1b[2J`") }).unwrap_err();
        assert!(hostile.to_string().contains("slicing `\x1b[2J`"));
    }
}
