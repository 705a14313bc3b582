//! The `idvault` binary. Its command line lives in the library behind the `cli` feature
//! (`src/cli.rs`, `src/commands/`), where it can use the crate's private modules — the
//! terminal text, the review page — without making them part of the library's public API.

fn main() {
    idvault::commands::main()
}
