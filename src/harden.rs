//! Process hardening that must hold before any secret reaches the process: no core file, and
//! not dumpable.
//!
//! A passphrase (typed at the prompt, read from a file or a command, or posted by the review
//! page) and the vault's identity live in this process's memory for a while. A core file would
//! write them to disk; a dumpable process lets any process of the same user attach with
//! `ptrace` or read `/proc/<pid>/mem` and `environ`. The binary calls [`no_core_dumps`] first
//! thing, before parsing its arguments, so every path a secret can take is covered at once;
//! children started with `exec` (the AV1 worker is idvault itself and hardens itself again) get
//! the kernel's defaults back for the dumpable flag and keep the core limit of 0.

use std::io;

use rustix::process::{DumpableBehavior, Resource, Rlimit, set_dumpable_behavior, setrlimit};

/// Sets the core file size limit to 0 (soft and hard, so it cannot be raised again) and marks
/// the process not dumpable (`prctl(PR_SET_DUMPABLE, 0)`).
pub fn no_core_dumps() -> io::Result<()> {
    setrlimit(
        Resource::Core,
        Rlimit {
            current: Some(0),
            maximum: Some(0),
        },
    )?;
    set_dumpable_behavior(DumpableBehavior::NotDumpable)?;
    Ok(())
}
