//! The command line's language: Simplified Chinese under a zh_CN (or zh_SG, zh_Hans) locale or
//! with `--lang zh-CN`, English otherwise; LC_ALL over LC_MESSAGES over LANG; JSON the same in
//! every language.

use std::ffi::OsStr;
use std::fs;
use std::process::Output;

use serde_json::Value;

use crate::util::{TestDir, idvault, media, tool};

/// `idvault ARGS` with exactly the locale variables `env` set.
fn run(env: &[(&str, &str)], args: &[&OsStr]) -> Output {
    let mut cmd = idvault();
    for var in ["LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE"] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied()).args(args).output().unwrap()
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

const ZH: &[(&str, &str)] = &[("LANG", "zh_CN.UTF-8")];
const C: &[(&str, &str)] = &[("LANG", "C")];

/// A folder with one passport photo, found by its name.
fn one_passport(t: &TestDir) -> std::path::PathBuf {
    t.copy_fixture("metadata/exs-jpg-gps__DSCN0010.jpg", "d/passport_front.jpg");
    t.path().join("d")
}

#[test]
fn a_chinese_locale_gets_chinese_summaries_errors_and_help() {
    let t = TestDir::new();
    let dir = one_passport(&t);
    let scan = run(ZH, &[os("scan"), os("--no-content"), dir.as_os_str()]);
    assert!(scan.status.success(), "{scan:?}");
    let shown = text(&scan);
    assert!(shown.contains("已扫描 1 个文件"), "{shown}");
    assert!(shown.contains("发现 1 个"), "{shown}");
    assert!(shown.contains("原因："), "{shown}");

    let err = run(ZH, &[os("scan"), t.path().join("missing").as_os_str()]);
    assert_eq!(err.status.code(), Some(2));
    let shown = text(&err);
    assert!(shown.contains("idvault: 错误: 无法扫描"), "{shown}");

    // The refusal to act without a terminal is an error too.
    let f = t.write("w/a.jpg", b"x");
    let refused = run(ZH, &[os("wipe"), os("--apply"), f.as_os_str()]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused).contains("未经确认不会擦除文件"),
        "{}",
        text(&refused)
    );

    for args in [
        &["--help"][..],
        &["scan", "--help"],
        &["vault", "add", "-h"],
    ] {
        let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
        let help = run(ZH, &args);
        assert!(help.status.success());
        let shown = text(&help);
        assert!(shown.contains("用法："), "{shown}");
        assert!(shown.contains("显示帮助"), "{shown}");
        assert!(!shown.contains("Print help"), "{shown}");
    }
    let help = text(&run(ZH, &[os("scan"), os("--help")]));
    assert!(help.contains("查找身份证件、身份验证截图和录屏"), "{help}");
    assert!(help.contains("只根据名称和元数据判断"), "{help}");
}

#[test]
fn a_chinese_locale_gets_a_chinese_question_on_a_terminal() {
    let t = TestDir::new();
    let f = t.write("a.jpg", b"a document");
    let typed = t.write("typed", b"n\n");
    let line = format!(
        "'{}' wipe --apply '{}'",
        env!("CARGO_BIN_EXE_idvault"),
        f.display()
    );
    let out = tool("script", "bsdutils")
        .args(["-qec", &line, "/dev/null"])
        .env("NO_COLOR", "1")
        .env("LANG", "zh_CN.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .stdin(fs::File::open(typed).unwrap())
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(screen.contains("擦除 1 个文件"), "{screen}");
    assert!(screen.contains("此操作无法撤销。 [y/N]"), "{screen}");
    assert!(screen.contains("没有擦除任何文件"), "{screen}");
    assert!(f.exists());
}

#[test]
fn other_locales_stay_english() {
    let t = TestDir::new();
    let dir = one_passport(&t);
    for env in [
        C,
        &[("LANG", "en_US.UTF-8")][..],
        &[("LANG", "zh_TW.UTF-8")],
        &[("LANG", "de_DE.UTF-8")],
        // LC_ALL wins over LANG, LC_MESSAGES over LANG.
        &[("LC_ALL", "C"), ("LANG", "zh_CN.UTF-8")],
        &[("LC_MESSAGES", "C.UTF-8"), ("LANG", "zh_CN.UTF-8")],
        &[],
    ] {
        let scan = text(&run(
            env,
            &[os("scan"), os("--no-content"), dir.as_os_str()],
        ));
        assert!(scan.contains("1 file scanned in"), "{env:?}: {scan}");
        assert!(scan.contains("why:"), "{env:?}: {scan}");
        let err = text(&run(
            env,
            &[os("scan"), t.path().join("missing").as_os_str()],
        ));
        assert!(
            err.contains("idvault: error: cannot scan"),
            "{env:?}: {err}"
        );
        let help = text(&run(env, &[os("--help")]));
        assert!(
            help.contains("Usage:") && help.contains("Print help"),
            "{env:?}"
        );
    }
    let zh = text(&run(
        &[("LC_MESSAGES", "zh_CN.UTF-8"), ("LANG", "C")],
        &[os("scan"), os("--no-content"), dir.as_os_str()],
    ));
    assert!(zh.contains("已扫描 1 个文件"), "{zh}");
}

#[test]
fn lang_flag_wins_over_the_locale() {
    let t = TestDir::new();
    let dir = one_passport(&t);
    let zh = text(&run(
        C,
        &[
            os("--lang"),
            os("zh-CN"),
            os("scan"),
            os("--no-content"),
            dir.as_os_str(),
        ],
    ));
    assert!(zh.contains("已扫描 1 个文件"), "{zh}");
    let en = text(&run(
        ZH,
        &[
            os("scan"),
            os("--lang=en"),
            os("--no-content"),
            dir.as_os_str(),
        ],
    ));
    assert!(en.contains("1 file scanned in"), "{en}");
    let help = text(&run(
        C,
        &[os("--lang"), os("zh-CN"), os("wipe"), os("--help")],
    ));
    assert!(help.contains("安全删除文件"), "{help}");
    let bad = run(C, &[os("--lang"), os("fr"), os("scan"), dir.as_os_str()]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn json_is_the_same_in_every_language() {
    let t = TestDir::new();
    let dir = one_passport(&t);
    t.write("d/Screenshot_20240302-111111.png", &media::png(30, 40, &[]));
    let lines = |env| -> Vec<Value> {
        let out = run(
            env,
            &[
                os("scan"),
                os("--json"),
                os("--no-content"),
                dir.as_os_str(),
            ],
        );
        assert!(out.status.success());
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let mut v: Value = serde_json::from_str(l).unwrap();
                if let Some(d) = v["data"].as_object_mut() {
                    d.remove("elapsed");
                }
                v
            })
            .collect()
    };
    let mut en = lines(C);
    let mut zh = lines(ZH);
    // Findings arrive in completion order.
    en.sort_by_key(ToString::to_string);
    zh.sort_by_key(ToString::to_string);
    assert_eq!(en, zh);
    assert!(en.len() >= 4, "{en:?}");
}
