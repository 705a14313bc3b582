//! `--help` in the command line's language: the Chinese of every about, help and after-help
//! text of the command tree, by key, laid over the English that clap derives from `cli.rs`'s
//! doc comments, together with clap's own words (headings, `Usage:`, the help and version
//! flags).
//!
//! Keys follow the command path: `help.vault.add.about`, `help.vault.add.long_about`,
//! `help.vault.add.after_help`, `help.vault.add.after_long_help`, `help.vault.add.arg.apply`
//! and `help.vault.add.arg_long.apply` (the root is `help.idvault`); an argument whose help is
//! the same under several commands (`--vault`, `--threads`) has one shared key, `help.arg.vault`,
//! used where the command has none of its own. The binary's unit test walks the whole tree and
//! fails on any English text without its key, so a flag added later is caught.

use clap::{Arg, ArgAction, Command};

use super::{Catalog, Lang};

/// `cmd` with its help in `lang` (unchanged for English).
pub fn localize(cmd: Command, lang: Lang) -> Command {
    if lang == Lang::En {
        return cmd;
    }
    // The catalogue lives as long as the program, so clap can borrow its strings.
    let c: &'static Catalog = Catalog::get_or_load();
    let key = |k: &str| {
        c.messages(lang)
            .get(&format!("help.{k}"))
            .map(String::as_str)
    };
    let name = cmd.get_name().to_string();
    let mut cmd = walk(cmd, &name, &key, true);
    // clap adds its `help` subcommand when it builds the tree; build it now to word it too.
    cmd.build();
    let about = key("clap.help_command").unwrap_or_default();
    if cmd.find_subcommand("help").is_some() {
        cmd = cmd.mut_subcommand("help", |h| h.about(about));
    }
    cmd
}

type Lookup<'a> = &'a dyn Fn(&str) -> Option<&'static str>;

fn walk(mut cmd: Command, path: &str, key: Lookup<'_>, root: bool) -> Command {
    if let Some(s) = key(&format!("{path}.about")) {
        cmd = cmd.about(s);
    }
    if let Some(s) = key(&format!("{path}.long_about")) {
        cmd = cmd.long_about(s);
    }
    if let Some(s) = key(&format!("{path}.after_help")) {
        cmd = cmd.after_help(s);
    }
    if let Some(s) = key(&format!("{path}.after_long_help")) {
        cmd = cmd.after_long_help(s);
    }
    let ids: Vec<String> = cmd
        .get_arguments()
        .map(|a| a.get_id().to_string())
        .collect();
    for id in ids {
        let arg = |kind: &str| {
            let k = format!("{path}.{kind}.{id}");
            key(&k).or_else(|| key(&shared(&k)?))
        };
        let (short, long) = (arg("arg"), arg("arg_long"));
        cmd = cmd.mut_arg(&id, |mut a| {
            if let Some(s) = short {
                a = a.help(s);
            }
            if let Some(s) = long {
                a = a.long_help(s);
            }
            a
        });
    }
    // clap's own words: the headings and usage line, and its help (and version) flags, which
    // clap would add in English.
    let words = |k: &str| key(&format!("clap.{k}")).unwrap_or_default();
    cmd = cmd
        .help_template(format!(
            "{{before-help}}{{about-with-newline}}\n{}{{usage}}\n\n{{all-args}}{{after-help}}",
            words("usage")
        ))
        .next_help_heading(words("options"))
        .subcommand_help_heading(words("commands"))
        .disable_help_flag(true)
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help(words("help_short"))
                .long_help(words("help_long")),
        );
    if root && cmd.get_version().is_some() {
        cmd = cmd.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help(words("version")),
        );
    }
    // Arguments already declared keep the heading they were declared under; set it on each.
    let ids: Vec<String> = cmd
        .get_arguments()
        .filter(|a| a.get_help_heading().is_none() && !a.is_positional())
        .map(|a| a.get_id().to_string())
        .collect();
    for id in ids {
        cmd = cmd.mut_arg(&id, |a| a.help_heading(words("options")));
    }
    let positional: Vec<String> = cmd
        .get_arguments()
        .filter(|a| a.is_positional())
        .map(|a| a.get_id().to_string())
        .collect();
    for id in positional {
        cmd = cmd.mut_arg(&id, |a| a.help_heading(words("arguments")));
    }
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for sub in subs {
        let sub_path = if root {
            sub.clone()
        } else {
            format!("{path}.{sub}")
        };
        cmd = cmd.mut_subcommand(&sub, |s| walk(s, &sub_path, key, false));
    }
    cmd
}

/// The key shared by every command for an argument of the same id and help
/// (`help.secure.arg.vault` -> `help.arg.vault`, `help.scan.arg_long.no_cache` ->
/// `help.arg_long.no_cache`), used when the command has no key of its own; `None` for a key that
/// is not an argument's. With or without the leading `help.`.
pub fn shared(key: &str) -> Option<String> {
    let (head, rest) = match key.strip_prefix("help.") {
        Some(rest) => ("help.", rest),
        None => ("", key),
    };
    ["arg", "arg_long"].iter().find_map(|kind| {
        let (_, id) = rest.split_once(&format!(".{kind}."))?;
        Some(format!("{head}{kind}.{id}"))
    })
}

/// Every help key the tree `cmd` needs: one for each English text clap would show. The root's
/// texts are under `help.<name>`, a subcommand's under its path without the root. For the tests
/// that every such key is in the catalogue.
#[cfg(test)]
pub fn needed_keys(cmd: &Command) -> Vec<String> {
    let mut out = Vec::new();
    needed(cmd, cmd.get_name(), true, &mut out);
    out
}

#[cfg(test)]
fn needed(cmd: &Command, path: &str, root: bool, out: &mut Vec<String>) {
    let mut need = |has: bool, k: String| {
        if has {
            out.push(format!("help.{k}"));
        }
    };
    need(cmd.get_about().is_some(), format!("{path}.about"));
    need(cmd.get_long_about().is_some(), format!("{path}.long_about"));
    need(cmd.get_after_help().is_some(), format!("{path}.after_help"));
    need(
        cmd.get_after_long_help().is_some(),
        format!("{path}.after_long_help"),
    );
    for a in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        let id = a.get_id();
        need(a.get_help().is_some(), format!("{path}.arg.{id}"));
        need(a.get_long_help().is_some(), format!("{path}.arg_long.{id}"));
    }
    for s in cmd.get_subcommands() {
        let sub = if root {
            s.get_name().to_string()
        } else {
            format!("{path}.{}", s.get_name())
        };
        needed(s, &sub, false, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small tree shaped like idvault's: the real one is checked by the binary's own test
    /// (`cli::tests`), which can see `Cli`.
    fn tree() -> Command {
        Command::new("idvault")
            .about("root about")
            .arg(Arg::new("json").long("json").help("json help"))
            .subcommand(
                Command::new("scan")
                    .about("scan about")
                    .arg(Arg::new("paths").help("paths help").long_help("paths long")),
            )
    }

    #[test]
    fn keys_follow_the_command_path() {
        assert_eq!(
            needed_keys(&tree()),
            [
                "help.idvault.about",
                "help.idvault.arg.json",
                "help.scan.about",
                "help.scan.arg.paths",
                "help.scan.arg_long.paths",
            ]
        );
    }

    #[test]
    fn arguments_share_keys_across_commands() {
        assert_eq!(
            shared("help.secure.arg.vault").as_deref(),
            Some("help.arg.vault")
        );
        assert_eq!(
            shared("help.vault.add.arg_long.remove_originals").as_deref(),
            Some("help.arg_long.remove_originals")
        );
        assert_eq!(shared("help.scan.about"), None);
    }

    #[test]
    fn chinese_help_replaces_the_english() {
        let mut cmd = localize(
            Command::new("idvault").subcommand(Command::new("scan").about("English")),
            Lang::ZhCn,
        );
        let help = cmd
            .find_subcommand_mut("scan")
            .unwrap()
            .render_help()
            .to_string();
        assert!(!help.contains("English"), "{help}");
        assert!(help.contains("用法"), "{help}");
        let c = Catalog::get_or_load();
        assert!(
            help.contains(&c.get(Lang::ZhCn, "help.scan.about", &[])),
            "{help}"
        );
    }
}
