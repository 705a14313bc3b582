//! The message catalog: every user-facing string of the review page and of the command line, in
//! English and Simplified Chinese, kept in `locales/*.toml` and embedded in the binary. The page
//! receives the whole catalog of its language; the command line looks strings up by key in the
//! language chosen once at start ([`set_lang`], from `--lang` or the locale: [`Lang::from_env`])
//! with [`t`] and [`tn`] (counts, with English plurals).
//!
//! A small keyed table rather than Fluent: the page needs plain `{name}` substitution only, the
//! same files must be readable by the page's script, and TOML is already a dependency. A unit
//! test checks that both languages have exactly the same keys and placeholders. The one
//! exception is `help.*`: `--help`'s English is clap's, from the doc comments in `cli.rs`, and
//! only zh-CN has those keys; [`help`]'s test checks that every help text has its translation.

#[cfg(feature = "cli")]
pub mod help;

use std::collections::BTreeMap;
use std::sync::OnceLock;
#[cfg(feature = "cli")]
use std::sync::atomic::{AtomicU8, Ordering};

/// A language the catalog has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    ZhCn,
}

impl Lang {
    /// Every language, the fallback first.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];

    /// The BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// The language for a tag (`zh`, `zh-CN`, `zh-Hans`, `en-GB`, …); `None` for others.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            // Traditional-script Chinese readers can read Simplified better than English.
            "zh" => Some(Lang::ZhCn),
            _ => None,
        }
    }

    /// The first language of an `Accept-Language` header that the catalog has, by weight;
    /// English when none is.
    pub fn negotiate(accept_language: &str) -> Lang {
        let mut ranked: Vec<(f32, usize, Lang)> = accept_language
            .split(',')
            .enumerate()
            .filter_map(|(i, part)| {
                let mut it = part.split(';');
                let lang = Lang::from_tag(it.next()?)?;
                let q = it
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse().ok())
                    .unwrap_or(1.0);
                (q > 0.0).then_some((q, i, lang))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked.first().map_or(Lang::En, |r| r.2)
    }

    /// The language of a POSIX locale value (`zh_CN.UTF-8`, `zh_SG`, `zh_Hans`, `en_US`, `C`):
    /// Simplified Chinese for zh with a Simplified-script territory or script (or none), English
    /// for everything else, Traditional-script Chinese included (its catalogue is not written).
    pub fn from_locale(value: &str) -> Lang {
        // `language[_territory][.codeset][@modifier]`; `zh-CN` spelled as a tag is taken too.
        let name = value.split(['.', '@']).next().unwrap_or("");
        let mut parts = name.split(['_', '-']);
        if !parts.next().is_some_and(|l| l.eq_ignore_ascii_case("zh")) {
            return Lang::En;
        }
        match parts.next().map(str::to_ascii_lowercase).as_deref() {
            None | Some("cn" | "sg" | "my" | "hans") => Lang::ZhCn,
            Some(_) => Lang::En,
        }
    }

    /// The language the environment asks for: the first of `LC_ALL`, `LC_MESSAGES` and `LANG`
    /// that is set and not empty (POSIX precedence), else English.
    pub fn from_env() -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .find(|v| !v.is_empty())
            .map_or(Lang::En, |v| Lang::from_locale(&v))
    }

    /// The language a `--lang` value names: `en` or `zh-CN` (also `zh`, `zh_CN`, `zh-Hans`).
    pub fn from_flag(value: &str) -> Option<Lang> {
        match value.to_ascii_lowercase().replace('_', "-").as_str() {
            "en" => Some(Lang::En),
            "zh" | "zh-cn" | "zh-hans" => Some(Lang::ZhCn),
            _ => None,
        }
    }

    fn source(self) -> &'static str {
        match self {
            Lang::En => include_str!("../../locales/en.toml"),
            Lang::ZhCn => include_str!("../../locales/zh-CN.toml"),
        }
    }
}

/// One language's messages, by dotted key (`secure.button`).
pub type Messages = BTreeMap<String, String>;

/// Both languages' messages, parsed once.
pub struct Catalog {
    en: Messages,
    zh_cn: Messages,
}

impl Catalog {
    /// The embedded catalog.
    pub fn get_or_load() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| Catalog {
            en: parse(Lang::En.source()),
            zh_cn: parse(Lang::ZhCn.source()),
        })
    }

    /// All messages of `lang`.
    pub fn messages(&self, lang: Lang) -> &Messages {
        match lang {
            Lang::En => &self.en,
            Lang::ZhCn => &self.zh_cn,
        }
    }

    /// The message `key` in `lang` with `{name}` placeholders filled from `args`; the key
    /// itself when it is missing (the unit test keeps that from happening).
    pub fn get(&self, lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
        let Some(text) = self.messages(lang).get(key) else {
            return key.to_string();
        };
        args.iter().fold(text.clone(), |s, (name, value)| {
            s.replace(&format!("{{{name}}}"), value)
        })
    }
}

/// The command line's language (0 English, 1 Simplified Chinese), set once by `main`.
#[cfg(feature = "cli")]
static CLI_LANG: AtomicU8 = AtomicU8::new(0);

/// Sets the language of the command line's text.
#[cfg(feature = "cli")]
pub fn set_lang(lang: Lang) {
    CLI_LANG.store(lang as u8, Ordering::Relaxed);
}

/// The language of the command line's text (English until [`set_lang`]).
#[cfg(feature = "cli")]
pub fn lang() -> Lang {
    match CLI_LANG.load(Ordering::Relaxed) {
        1 => Lang::ZhCn,
        _ => Lang::En,
    }
}

/// The message `key` in the command line's language, `{name}` placeholders filled from `args`.
#[cfg(feature = "cli")]
pub fn t(key: &str, args: &[(&str, &str)]) -> String {
    Catalog::get_or_load().get(lang(), key, args)
}

/// A message about `n` things: `key.one` when `n` is 1, else `key.other` (Chinese has one form,
/// written twice so that the keys match), with `{n}` and `args` filled in.
#[cfg(feature = "cli")]
pub fn tn(key: &str, n: u64, args: &[(&str, &str)]) -> String {
    let form = if n == 1 { "one" } else { "other" };
    let n = n.to_string();
    let mut all = vec![("n", n.as_str())];
    all.extend_from_slice(args);
    t(&format!("{key}.{form}"), &all)
}

/// An operating-system error in `lang`: the common kinds (a missing file, no permission, a full
/// or read-only disk…) from the catalogue (`os_error.*`) with the error number, any other as
/// the system words it (English).
pub fn os_error(e: &std::io::Error, lang: Lang) -> String {
    use std::io::ErrorKind as K;
    let key = match e.kind() {
        K::NotFound => "not_found",
        K::PermissionDenied => "permission_denied",
        K::AlreadyExists => "already_exists",
        K::ReadOnlyFilesystem => "read_only_filesystem",
        K::StorageFull => "storage_full",
        K::IsADirectory => "is_a_directory",
        K::NotADirectory => "not_a_directory",
        K::DirectoryNotEmpty => "directory_not_empty",
        _ => return e.to_string(),
    };
    let Some(code) = e.raw_os_error() else {
        return e.to_string();
    };
    Catalog::get_or_load().get(
        lang,
        &format!("os_error.{key}"),
        &[("code", &code.to_string())],
    )
}

/// Flattens the embedded TOML into dotted keys. The files are part of the source: a syntax
/// error is a build defect, caught by the unit tests.
fn parse(source: &str) -> Messages {
    fn walk(prefix: &str, table: &toml::Table, out: &mut Messages) {
        for (k, v) in table {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                toml::Value::Table(t) => walk(&key, t, out),
                toml::Value::String(s) => {
                    out.insert(key, s.clone());
                }
                _ => {}
            }
        }
    }
    let table: toml::Table = source.parse().unwrap_or_default();
    let mut out = Messages::new();
    walk("", &table, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn placeholders(s: &str) -> BTreeSet<String> {
        s.split('{')
            .skip(1)
            .filter_map(|p| p.split_once('}').map(|(name, _)| name.to_string()))
            .collect()
    }

    #[test]
    fn every_key_exists_in_every_language_with_the_same_placeholders() {
        for lang in Lang::ALL {
            assert!(
                lang.source().parse::<toml::Table>().is_ok(),
                "{} does not parse",
                lang.tag()
            );
        }
        let c = Catalog::get_or_load();
        let en = c.messages(Lang::En);
        let zh = c.messages(Lang::ZhCn);
        assert!(en.len() > 50, "catalog too small: {}", en.len());
        // `help.*` is zh-CN only (English help is clap's): `help`'s own test covers it.
        let en_keys: BTreeSet<_> = en.keys().filter(|k| !k.starts_with("help.")).collect();
        let zh_keys: BTreeSet<_> = zh.keys().filter(|k| !k.starts_with("help.")).collect();
        assert_eq!(
            en_keys.symmetric_difference(&zh_keys).collect::<Vec<_>>(),
            Vec::<&&String>::new(),
            "keys missing from one language"
        );
        for (k, v) in en {
            assert_eq!(placeholders(v), placeholders(&zh[k]), "placeholders of {k}");
            assert!(!zh[k].trim().is_empty(), "{k} is empty in zh-CN");
        }
    }

    #[test]
    fn every_kind_and_risk_has_a_name() {
        use crate::scan::finding::{Kind, Risk};
        let c = Catalog::get_or_load();
        for k in Kind::ALL {
            assert!(c.messages(Lang::ZhCn).contains_key(&format!("kind.{k}")));
        }
        for r in [Risk::Gps, Risk::CloudSync, Risk::ChatApp, Risk::Trash] {
            let name = serde_json::to_value(r).unwrap();
            let key = format!("risk.{}", name.as_str().unwrap());
            assert!(c.messages(Lang::En).contains_key(&key), "{key}");
        }
    }

    #[test]
    fn every_signal_in_the_docs_has_a_sentence() {
        let docs = include_str!("../../docs/signals.md");
        let c = Catalog::get_or_load();
        let mut n = 0;
        for code in docs
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|w| {
                w.contains('.')
                    && !w.contains(' ')
                    && w.chars()
                        .all(|ch| ch.is_ascii_lowercase() || ch == '.' || ch == '_')
            })
            .filter(|w| {
                ["name.", "meta.", "combined.", "content."]
                    .iter()
                    .any(|p| w.starts_with(p))
            })
        {
            n += 1;
            assert!(
                c.messages(Lang::ZhCn)
                    .contains_key(&format!("signal.{code}")),
                "signal.{code}"
            );
        }
        assert!(n > 30, "only {n} signals found in docs/signals.md");
    }

    #[test]
    fn languages_are_negotiated_by_weight() {
        assert_eq!(Lang::negotiate("zh-CN,zh;q=0.9,en;q=0.8"), Lang::ZhCn);
        assert_eq!(Lang::negotiate("en-US,en;q=0.9"), Lang::En);
        assert_eq!(Lang::negotiate("fr, zh-Hans;q=0.5"), Lang::ZhCn);
        assert_eq!(Lang::negotiate("de"), Lang::En);
        assert_eq!(Lang::negotiate("en;q=0.2, zh-TW;q=0.7"), Lang::ZhCn);
        assert_eq!(Lang::negotiate(""), Lang::En);
    }

    /// Every `"cli.…"` key written whole in the source exists (a count's key as `.one` and
    /// `.other`), so a message added without its catalogue entry fails here, not on a screen.
    #[test]
    fn every_key_the_source_names_is_in_the_catalog() {
        fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    sources(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(p);
                }
            }
        }
        let mut files = Vec::new();
        sources(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let en = Catalog::get_or_load().messages(Lang::En);
        let mut named = 0;
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for piece in text.split("\"cli.").skip(1) {
                let Some((rest, _)) = piece.split_once('"') else {
                    continue;
                };
                // Keys put together at run time (`format!("cli.action.{}", …)`) are left out.
                if rest.is_empty()
                    || rest.contains('{')
                    || !rest
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_')
                {
                    continue;
                }
                named += 1;
                let key = format!("cli.{rest}");
                assert!(
                    en.contains_key(&key)
                        || (en.contains_key(&format!("{key}.one"))
                            && en.contains_key(&format!("{key}.other"))),
                    "{key} (named in {}) is not in the catalog",
                    file.display()
                );
            }
        }
        assert!(named > 80, "only {named} keys found in the source");
    }

    #[test]
    fn plural_forms_come_in_pairs() {
        let c = Catalog::get_or_load();
        for lang in Lang::ALL {
            let m = c.messages(lang);
            for k in m.keys() {
                if let Some(stem) = k.strip_suffix(".one") {
                    assert!(
                        m.contains_key(&format!("{stem}.other")),
                        "{k} without .other"
                    );
                }
                if let Some(stem) = k.strip_suffix(".other") {
                    assert!(m.contains_key(&format!("{stem}.one")), "{k} without .one");
                }
            }
        }
    }

    #[test]
    fn locales_choose_the_language() {
        for zh in [
            "zh_CN.UTF-8",
            "zh_SG",
            "zh_Hans",
            "zh_Hans_CN.utf8",
            "zh",
            "zh-CN",
        ] {
            assert_eq!(Lang::from_locale(zh), Lang::ZhCn, "{zh}");
        }
        for en in [
            "C",
            "POSIX",
            "C.UTF-8",
            "en_US.UTF-8",
            "zh_TW.UTF-8",
            "zh_HK",
            "de_DE",
            "",
        ] {
            assert_eq!(Lang::from_locale(en), Lang::En, "{en}");
        }
        assert_eq!(Lang::from_flag("zh-CN"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_flag("en"), Some(Lang::En));
        assert_eq!(Lang::from_flag("fr"), None);
    }

    #[test]
    fn common_os_errors_are_worded_like_the_system() {
        for code in [
            libc::ENOENT,
            libc::EACCES,
            libc::EEXIST,
            libc::EROFS,
            libc::ENOSPC,
            libc::EISDIR,
            libc::ENOTDIR,
            libc::ENOTEMPTY,
        ] {
            let e = std::io::Error::from_raw_os_error(code);
            // English is the system's own wording.
            assert_eq!(os_error(&e, Lang::En), e.to_string());
            assert!(!os_error(&e, Lang::ZhCn).contains("os_error"), "{e}");
        }
        let other = std::io::Error::other("x");
        assert_eq!(os_error(&other, Lang::ZhCn), "x");
    }

    #[test]
    fn placeholders_are_filled() {
        let c = Catalog::get_or_load();
        assert_eq!(c.get(Lang::En, "page.found", &[("count", "3")]), "3 found");
        assert_eq!(
            c.get(Lang::ZhCn, "page.found", &[("count", "3")]),
            "共找到 3 个"
        );
    }
}
