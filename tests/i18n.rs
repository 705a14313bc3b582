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

/// Lines of human output that still hold an English sentence: three or more English words in
/// a row, once the parts that are not sentences are set aside (paths under `root`, commands
/// and flags in backticks, the stock age command line, an archive reader's own words, which the
/// catalogue cannot translate).
fn english_sentences(shown: &str, root: &std::path::Path) -> Vec<String> {
    let root = root.display().to_string();
    shown
        .lines()
        .filter_map(|line| {
            let mut line = line.replace(&root, "");
            // A third-party reader's message after the catalogue's own words.
            if let Some(i) = line.find("归档已损坏：") {
                line.truncate(i);
            }
            let mut kept = String::new();
            for (i, part) in line.split('`').enumerate() {
                if i % 2 == 0 {
                    kept += part;
                }
            }
            let kept = kept.replace("age -d -i identity.age", "");
            let words: Vec<&str> = kept.split(|c: char| !c.is_ascii_alphabetic()).collect();
            // Three ASCII words separated by single spaces only.
            let run = kept
                .split(|c: char| !(c.is_ascii_alphabetic() || c == ' '))
                .any(|piece| piece.split(' ').filter(|w| w.len() > 1).count() >= 3);
            (run && words.iter().any(|w| w.len() > 2)).then(|| line.to_string())
        })
        .collect()
}

#[test]
fn vault_commands_and_a_damaged_archive_speak_chinese() {
    use crate::util::vault::{secret_file, vault_cmd};
    let t = TestDir::new();
    let vault = t.path().join("vault");
    let pw = secret_file(&t, "pw", b"a long passphrase for the chinese test\n");
    let dir = one_passport(&t);
    let zh = |args: &[&OsStr]| {
        let mut cmd = vault_cmd(&vault);
        for var in ["LC_ALL", "LC_MESSAGES", "LANGUAGE"] {
            cmd.env_remove(var);
        }
        cmd.env("LANG", "zh_CN.UTF-8").args(args).output().unwrap()
    };
    let pass = [os("--passphrase-file"), pw.as_os_str()];
    let mut all = String::new();
    let mut expect = |out: Output, code: i32, wanted: &[&str]| {
        let shown = text(&out);
        assert_eq!(out.status.code(), Some(code), "{shown}");
        for w in wanted {
            assert!(shown.contains(w), "{w:?} missing from:\n{shown}");
        }
        all += &shown;
    };
    expect(
        zh(&[&[os("init")][..], &pass].concat()),
        0,
        &["已创建保险库", "保险库公钥：", "请妥善保管密码"],
    );
    expect(
        zh(&[os("init"), os("--passphrase-file"), pw.as_os_str()]),
        2,
        &["idvault: 错误: ", "已经是保险库"],
    );
    // A dry run of adding with removal: the plan and its summary.
    expect(
        zh(&[os("add"), os("--remove-originals"), dir.as_os_str()]),
        0,
        &["将添加并移除", "演练：1 个文件"],
    );
    expect(
        zh(&[
            &[os("add")][..],
            &pass,
            &[dir.as_os_str(), t.path().join("gone.jpg").as_os_str()],
        ]
        .concat()),
        1,
        &[
            "已添加",
            "已清除元数据",
            "无法添加：",
            "添加了 1 个文件",
            "1 个条目已与其元数据核对并封印",
        ],
    );
    expect(
        zh(&[&[os("add")][..], &pass, &[dir.as_os_str()]].concat()),
        0,
        &["已存在", "已在保险库中；未重复添加", "1 个已在保险库中"],
    );
    expect(
        zh(&[&[os("list")][..], &pass].concat()),
        0,
        &["护照", "1 个条目"],
    );
    expect(
        zh(&[&[os("verify")][..], &pass].concat()),
        0,
        &["正常", "校验了 1 个条目", "0 个问题"],
    );
    let out = t.path().join("out");
    expect(
        zh(&[
            &[os("extract"), os("--all"), os("--to"), out.as_os_str()][..],
            &pass,
        ]
        .concat()),
        0,
        &["已取出", "取出了 1 个", "0 个失败"],
    );
    expect(
        zh(&[
            &[os("extract"), os("--to"), out.as_os_str(), os("nosuch")][..],
            &pass,
        ]
        .concat()),
        1,
        &["没有这个条目"],
    );
    expect(
        zh(&[&[os("repair")][..], &pass].concat()),
        0,
        &["清单已重建，含 1 个条目"],
    );
    let wrong = secret_file(&t, "wrong", b"not the passphrase at all\n");
    expect(
        zh(&[os("list"), os("--passphrase-file"), wrong.as_os_str()]),
        2,
        &["密码错误：无法解密保险库身份"],
    );

    // A damaged archive's note in a scan.
    let good = {
        let mut zip = b"PK\x03\x04".to_vec();
        zip.extend(crate::util::noise_bytes(3, 2048));
        zip
    };
    t.write("archives/takeout-001.zip", &good);
    let scan = run(
        ZH,
        &[
            os("scan"),
            os("--no-content"),
            t.path().join("archives").as_os_str(),
        ],
    );
    expect(
        scan,
        1,
        &["提示", "zip 归档：归档已损坏：", "1 个未能完整检查"],
    );

    let left = english_sentences(&all, t.path());
    assert!(
        left.is_empty(),
        "English left in the Chinese output:\n{}",
        left.join("\n")
    );
}
