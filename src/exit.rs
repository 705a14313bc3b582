//! Process exit codes, as listed in `--help`.

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    Success,
    /// Some files could not be read or processed; the others were.
    PartialFailure,
    /// Usage error or fatal error.
    Fatal,
    /// Stopped by a signal: 128 plus its number, as a shell reports it (130 for Ctrl-C, 143 for
    /// SIGTERM).
    Interrupted {
        signal: i32,
    },
}

impl ExitCode {
    pub fn code(self) -> i32 {
        match self {
            ExitCode::Success => 0,
            ExitCode::PartialFailure => 1,
            ExitCode::Fatal => 2,
            ExitCode::Interrupted { signal } => 128 + signal,
        }
    }

    /// Success unless `failures` is non-zero.
    pub fn from_failures(failures: u64) -> Self {
        if failures == 0 {
            ExitCode::Success
        } else {
            ExitCode::PartialFailure
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(ExitCode::Success.code(), 0);
        assert_eq!(ExitCode::from_failures(3).code(), 1);
        assert_eq!(ExitCode::Fatal.code(), 2);
        let sigint = ExitCode::Interrupted {
            signal: libc::SIGINT,
        };
        assert_eq!(sigint.code(), 130);
        let sigterm = ExitCode::Interrupted {
            signal: libc::SIGTERM,
        };
        assert_eq!(sigterm.code(), 143);
    }
}
