//! `idvault review` end to end: the real binary serves a generated folder, a real headless
//! Chromium (driven over the DevTools protocol, see `cdp`) looks, holds, clicks and types, and
//! the tests check the page and then the files on disk, the vault and later scans.
//!
//! Set `IDVAULT_UPDATE_SCREENSHOTS=1` to rewrite docs/review-en.png and docs/review-zh-CN.png.

mod cdp;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use image::{Rgb, RgbImage};

use crate::util::json_lines;
use crate::util::vault::walk_files as walk;
use cdp::{Browser, Page};

const PASSPHRASE: &str = "review test passphrase";

/// Found by name alone (`--no-content`), with the kind the scanner gives them.
const PASSPORT: &str = "Downloads/passport_front.jpg";
const ID_CARD: &str = "Downloads/身份证.jpg";
const KYC: &str = "Screenshots/Screenshot_20240301-102201_实名认证.png";
const RECORDING: &str = "DCIM/RPReplay_Final1712345678.MP4";
/// Found, but as a plain screenshot, which `secure` leaves alone.
const PLAIN_SCREENSHOT: &str = "Screenshots/Screenshot_20240302-111111.png";
/// Not found at all.
const PHOTO: &str = "DCIM/IMG_0001.jpg";

/// A picture with the layout of an ID card: a coloured band, a photo box and lines of "text".
fn card_picture(w: u32, h: u32, hue: [u8; 3]) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        if fy < 0.18 {
            Rgb(hue)
        } else if (0.06..0.32).contains(&fx) && (0.28..0.85).contains(&fy) {
            Rgb([150, 150, 160])
        } else if fx > 0.38 && fx < 0.92 && ((fy * 20.0) as u32).is_multiple_of(3) && fy > 0.3 {
            Rgb([40, 40, 50])
        } else {
            Rgb([236, 238, 242])
        }
    })
}

/// The test folder, under `<home>/tree`.
fn build_tree(home: &Path) -> PathBuf {
    let tree = home.join("tree");
    let save = |rel: &str, img: RgbImage| {
        let p = tree.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        img.save(&p).unwrap();
    };
    save(PASSPORT, card_picture(640, 450, [30, 60, 120]));
    save(ID_CARD, card_picture(640, 404, [60, 130, 170]));
    save(KYC, card_picture(360, 720, [200, 60, 40]));
    save(PLAIN_SCREENSHOT, card_picture(360, 720, [90, 90, 90]));
    save(PHOTO, card_picture(500, 375, [40, 140, 60]));
    // A real H.264 recording from tests/data (see SOURCES.md), found by its name.
    let rec = tree.join(RECORDING);
    fs::copy(crate::util::fixture("metadata/mex__with-gps.mp4"), rec).unwrap();
    tree
}

/// The real binary with the test's own home, cache and data folders.
fn idvault(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_idvault"));
    c.env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("NO_COLOR", "1")
        .env("IDVAULT_NO_CACHE", "1")
        .env_remove("IDVAULT_VAULT")
        .env_remove("IDVAULT_PASSPHRASE_FILE")
        .env_remove("IDVAULT_FORCE_PROGRESS");
    c
}

/// Paths of the findings `scan --json --no-content` reports now.
fn scanned(home: &Path, tree: &Path) -> BTreeSet<String> {
    let out = idvault(home)
        .args(["scan", "--json", "--no-content"])
        .arg(tree)
        .output()
        .unwrap();
    json_lines(&out)
        .into_iter()
        .filter(|(t, _)| t == "finding")
        .map(|(_, d)| d["path"]["text"].as_str().unwrap().to_string())
        .collect()
}

/// A running `idvault review --no-open`.
struct Review {
    child: Child,
    url: String,
}

impl Review {
    fn start(home: &Path, tree: &Path) -> Review {
        let mut child = idvault(home)
            .args(["review", "--no-open", "--no-content", "--vault"])
            .arg(home.join("vault"))
            .arg(tree)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let url = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("review printed no address")
            .trim()
            .to_string();
        assert!(
            url.starts_with("http://127.0.0.1:") && url.ends_with('/'),
            "first line is not the address: {url:?}"
        );
        Review { child, url }
    }

    fn port(&self) -> u16 {
        let rest = self.url.strip_prefix("http://127.0.0.1:").unwrap();
        rest.split('/').next().unwrap().parse().unwrap()
    }

    fn token(&self) -> String {
        self.url
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap()
            .to_string()
    }

    /// Waits for the process to end on its own.
    fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            assert!(
                start.elapsed() < within,
                "review did not stop within {within:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn terminate(&mut self) -> ExitStatus {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        self.wait_exit(Duration::from_secs(5))
    }
}

impl Drop for Review {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The card ids on the page by relative path.
fn cards(page: &mut Page, tree: &Path) -> BTreeMap<String, String> {
    let v = page.eval(
        "[...document.querySelectorAll('article.card')].map(a => \
         [a.dataset.id, a.querySelector('.path').textContent])",
    );
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let path = p[1].as_str().unwrap();
            let rel = Path::new(path).strip_prefix(tree).unwrap();
            (
                rel.to_string_lossy().into_owned(),
                p[0].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn card_sel(id: &str, inner: &str) -> String {
    format!("article[data-id=\"{id}\"] {inner}")
}

/// `img` facts of every thumbnail: [card id, natural width, natural height, still blurred].
const THUMBS: &str = "[...document.querySelectorAll('img[data-role=thumb]')].map(i => \
    [i.closest('article').dataset.id, i.naturalWidth, i.naturalHeight, \
     i.classList.contains('blurred') && getComputedStyle(i).filter.includes('blur')])";

#[test]
#[ignore = "needs chromium (chromium)"]
fn review_shows_every_finding_blurred_until_held_and_selects_what_secure_would() {
    let home = tempfile::tempdir().unwrap();
    let tree = build_tree(home.path());
    let found = scanned(home.path(), &tree);
    assert_eq!(
        found.len(),
        5,
        "the fixture must give five findings: {found:?}"
    );
    // What `secure` would act on, from its own dry run.
    let out = idvault(home.path())
        .args(["secure", "--json", "--no-content", "--vault"])
        .arg(home.path().join("vault"))
        .arg(&tree)
        .output()
        .unwrap();
    let would_secure: BTreeSet<String> = json_lines(&out)
        .into_iter()
        .filter(|(t, _)| t == "plan")
        .map(|(_, d)| d["path"]["text"].as_str().unwrap().to_string())
        .collect();
    assert!(!would_secure.is_empty() && would_secure.len() < found.len());

    let review = Review::start(home.path(), &tree);
    let mut browser = Browser::launch();
    let mut page = browser.open(&review.url, "en-US,en;q=0.9");
    page.wait_for(&format!(
        "document.querySelectorAll('article.card').length === {}",
        found.len()
    ));

    // Every finding is on the page, once.
    let on_page: BTreeSet<String> = page
        .eval("[...document.querySelectorAll('article.card .path')].map(e => e.textContent)")
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(on_page, found);
    // Selected by default: exactly what `secure` would act on.
    let checked: BTreeSet<String> = page
        .eval(
            "[...document.querySelectorAll('article.card')].filter(a => \
             a.querySelector('input[data-role=choose]').checked).map(a => \
             a.querySelector('.path').textContent)",
        )
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(checked, would_secure);

    // Every thumbnail (the recording's frame included) loads blurred, and tiny.
    page.wait_for(&format!(
        "document.querySelectorAll('img[data-role=thumb]').length === {} && \
         [...document.querySelectorAll('img[data-role=thumb]')].every(i => i.complete && i.naturalWidth > 0)",
        found.len()
    ));
    for t in page.eval(THUMBS).as_array().unwrap() {
        assert!(
            t[1].as_u64().unwrap() <= 16 && t[2].as_u64().unwrap() <= 16 && t[3] == true,
            "a thumbnail is not blurred: {t}"
        );
    }
    assert!(
        !page.requested().iter().any(|u| u.contains("/sharp")),
        "a sharp thumbnail was fetched before anyone asked"
    );

    // Holding shows the sharp picture; letting go blurs it again.
    let ids = cards(&mut page, &tree);
    let passport = ids[PASSPORT].clone();
    let hold = card_sel(&passport, "button[data-role=hold]");
    let img = card_sel(&passport, "img[data-role=thumb]");
    let at = page.press(&hold);
    page.wait_for(&format!(
        "(i => i.complete && i.naturalWidth === 320 && !i.classList.contains('blurred'))(document.querySelector('{img}'))"
    ));
    assert!(
        page.requested()
            .iter()
            .any(|u| u.ends_with(&format!("/thumb/{passport}/sharp"))),
        "the sharp thumbnail came from the server on request"
    );
    page.release(at);
    page.wait_for(&format!(
        "(i => i.complete && i.naturalWidth <= 16 && i.classList.contains('blurred'))(document.querySelector('{img}'))"
    ));

    // The page follows the language switch, and the browser's language.
    let screenshots = std::env::var_os("IDVAULT_UPDATE_SCREENSHOTS").is_some();
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    if screenshots {
        page.screenshot(&docs.join("review-en.png"));
    }
    assert_eq!(page.eval("document.documentElement.lang"), "en");
    page.click("#lang");
    page.wait_for("document.documentElement.lang === 'zh-CN'");
    assert!(
        page.eval("document.getElementById('secure').textContent")
            .as_str()
            .unwrap()
            .contains("保护"),
    );
    let errors = page.errors();
    assert!(errors.is_empty(), "page errors: {errors:?}");
    drop(page);
    let mut zh = browser.open(&review.url, "zh-CN,zh;q=0.9");
    zh.wait_for("document.documentElement.lang === 'zh-CN' && document.querySelectorAll('article.card').length === 5");
    assert!(
        zh.eval("document.getElementById('intro').textContent")
            .as_str()
            .unwrap()
            .contains("身份证件")
    );
    zh.wait_for(
        "[...document.querySelectorAll('img[data-role=thumb]')].every(i => i.complete && i.naturalWidth > 0)",
    );
    if screenshots {
        zh.screenshot(&docs.join("review-zh-CN.png"));
    }

    // A wrong token gets nothing.
    let wrong = review.url.replace(&review.token(), &"0".repeat(64));
    zh.goto(&wrong);
    assert_eq!(zh.eval("document.querySelectorAll('article').length"), 0);
    assert!(
        zh.eval("document.body.textContent")
            .as_str()
            .unwrap()
            .contains("not found")
    );
}

/// One raw HTTP/1.1 request; returns the status and the whole response.
fn http(port: u16, request: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut bytes = Vec::new();
    s.read_to_end(&mut bytes).unwrap();
    let resp = String::from_utf8_lossy(&bytes).into_owned();
    let status = resp
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {resp:?}"));
    (status, resp)
}

#[test]
fn wrong_token_wrong_host_and_foreign_posts_are_refused() {
    let home = tempfile::tempdir().unwrap();
    let tree = build_tree(home.path());
    let mut review = Review::start(home.path(), &tree);
    let (port, token) = (review.port(), review.token());
    assert!(token.len() >= 32, "token too short: {token}");
    let host = format!("127.0.0.1:{port}");
    let get = |path: &str, host: &str| {
        http(
            port,
            &format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
        )
    };
    let (status, page) = get(&format!("/{token}/"), &host);
    assert_eq!(status, 200);
    for h in [
        "Content-Security-Policy: default-src 'none'; script-src 'self'",
        "Cache-Control: no-store",
        "Referrer-Policy: no-referrer",
        "X-Content-Type-Options: nosniff",
    ] {
        assert!(page.contains(h), "missing header {h}");
    }
    let (status, thumb) = get(&format!("/{token}/thumb/0/blurred"), &host);
    assert_eq!(status, 200);
    assert!(thumb.contains("Cache-Control: no-store"));

    let mut other = token.clone().into_bytes();
    other[10] = if other[10] == b'a' { b'b' } else { b'a' };
    let other = String::from_utf8(other).unwrap();
    for path in [
        "/".to_string(),
        format!("/{other}/"),
        format!("/{other}/api/state"),
        format!("/{}/", &token[..token.len() - 1]),
        format!("/{token}x/api/state"),
        "/api/state".to_string(),
    ] {
        let (status, body) = get(&path, &host);
        assert_eq!(status, 404, "{path}: {body}");
        assert!(!body.contains("cards"), "{path} leaked state");
    }
    // DNS rebinding: a foreign name resolving to 127.0.0.1.
    let (status, _) = get(
        &format!("/{token}/api/state"),
        &format!("attacker.example:{port}"),
    );
    assert_eq!(status, 421);
    // Cross-site: loading a thumbnail from another site's page.
    let (status, _) = http(
        port,
        &format!(
            "GET /{token}/thumb/0/sharp HTTP/1.1\r\nHost: {host}\r\nSec-Fetch-Site: cross-site\r\nConnection: close\r\n\r\n"
        ),
    );
    assert_eq!(status, 403);
    let post = |headers: &str| {
        http(
            port,
            &format!(
                "POST /{token}/api/done HTTP/1.1\r\nHost: {host}\r\n{headers}Content-Length: 2\r\nConnection: close\r\n\r\n{{}}"
            ),
        )
        .0
    };
    assert_eq!(post("Content-Type: application/json\r\n"), 403, "no Origin");
    assert_eq!(
        post("Origin: http://attacker.example\r\nContent-Type: application/json\r\n"),
        403
    );
    assert_eq!(
        post(&format!(
            "Origin: http://{host}\r\nContent-Type: text/plain\r\n"
        )),
        403
    );
    assert!(
        review.child.try_wait().unwrap().is_none(),
        "a refused POST stopped the server"
    );
    // Our own page's "Done" ends the command.
    assert_eq!(
        post(&format!(
            "Origin: http://{host}\r\nContent-Type: application/json\r\n"
        )),
        200
    );
    let status = review.wait_exit(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0));
}

#[test]
#[ignore = "needs chromium (chromium)"]
fn securing_chosen_findings_vaults_and_wipes_exactly_those() {
    let home = tempfile::tempdir().unwrap();
    let tree = build_tree(home.path());
    let before: BTreeMap<PathBuf, Vec<u8>> = walk(&tree)
        .into_iter()
        .map(|p| {
            let b = fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    let mut review = Review::start(home.path(), &tree);
    let mut browser = Browser::launch();
    let mut page = browser.open(&review.url, "en");
    page.wait_for("document.querySelectorAll('article.card').length === 5");
    let ids = cards(&mut page, &tree);
    page.click("#select-none");
    page.wait_for("document.querySelectorAll('input[data-role=choose]:checked').length === 0");
    for rel in [PASSPORT, ID_CARD] {
        page.click(&card_sel(&ids[rel], "input[data-role=choose]"));
    }
    page.wait_for("document.querySelectorAll('input[data-role=choose]:checked').length === 2");
    // No vault yet: the page asks for a new passphrase twice.
    page.type_into("#pass", PASSPHRASE);
    page.type_into("#repeat", PASSPHRASE);
    page.click("#secure");
    page.wait_for("!document.getElementById('confirm').hidden");
    page.click("#confirm-yes");
    for rel in [PASSPORT, ID_CARD] {
        page.wait_for(&format!(
            "document.querySelector('article[data-id=\"{}\"]').dataset.state === 'secured'",
            ids[rel]
        ));
    }
    page.wait_for(
        "document.getElementById('status').textContent.includes('2 secured, 0 not secured')",
    );
    assert_eq!(
        page.eval("document.getElementById('pass').value"),
        "",
        "the passphrase stays in the field"
    );
    let gone_now: BTreeSet<PathBuf> = before.keys().filter(|p| !p.exists()).cloned().collect();
    assert_eq!(
        gone_now,
        BTreeSet::from([tree.join(PASSPORT), tree.join(ID_CARD)]),
        "securing two chosen files removed other originals"
    );

    // The vault exists now: a wrong passphrase secures nothing and touches nothing, and the
    // file can be secured again with the right one.
    let kyc = ids[KYC].clone();
    page.click("#select-none");
    page.click(&card_sel(&kyc, "input[data-role=choose]"));
    page.wait_for("document.getElementById('repeat').hidden");
    page.type_into("#pass", "not the passphrase");
    page.click("#secure");
    page.click("#confirm-yes");
    page.wait_for(&format!(
        "document.querySelector('article[data-id=\"{kyc}\"]').dataset.state === 'failed'"
    ));
    page.wait_for("document.getElementById('status').textContent.includes('Something went wrong')");
    assert!(fs::read(tree.join(KYC)).unwrap() == before[&tree.join(KYC)]);
    page.type_into("#pass", PASSPHRASE);
    page.click("#secure");
    page.click("#confirm-yes");
    page.wait_for(&format!(
        "document.querySelector('article[data-id=\"{kyc}\"]').dataset.state === 'secured'"
    ));
    let errors = page.errors();
    assert!(errors.is_empty(), "page errors: {errors:?}");

    // On disk: exactly the chosen files are gone, everything else is byte-identical.
    let after: BTreeMap<PathBuf, Vec<u8>> = walk(&tree)
        .into_iter()
        .map(|p| {
            let b = fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    let gone: BTreeSet<PathBuf> = before
        .keys()
        .filter(|p| !after.contains_key(*p))
        .cloned()
        .collect();
    assert_eq!(
        gone,
        BTreeSet::from([tree.join(PASSPORT), tree.join(ID_CARD), tree.join(KYC)])
    );
    for (p, b) in &after {
        assert!(before[p] == *b, "{} changed", p.display());
    }
    // In the vault: those three, as their stripped forms, readable with the passphrase.
    let pw = home.path().join("pw");
    fs::write(&pw, format!("{PASSPHRASE}\n")).unwrap();
    let restored = home.path().join("restored");
    let out = idvault(home.path())
        .args(["vault", "--vault"])
        .arg(home.path().join("vault"))
        .arg("--passphrase-file")
        .arg(&pw)
        .args(["extract", "--all", "--to"])
        .arg(&restored)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "extract: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut names: Vec<String> = fs::read_dir(&restored)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "Screenshot_20240301-102201_实名认证.png",
            "passport_front.jpg",
            "身份证.jpg"
        ]
    );
    for rel in [PASSPORT, ID_CARD, KYC] {
        let stored = fs::read(restored.join(Path::new(rel).file_name().unwrap())).unwrap();
        let original = &before[&tree.join(rel)];
        let expected = idvault::metadata::strip(original, &Default::default())
            .map(|s| s.data)
            .unwrap_or_else(|_| original.clone());
        assert!(stored == expected, "vault copy of {rel} differs");
    }

    // "Done" ends the command.
    page.click("#done");
    page.wait_for("!document.getElementById('stopped').hidden");
    assert_eq!(review.wait_exit(Duration::from_secs(10)).code(), Some(0));
}

#[test]
#[ignore = "needs chromium (chromium)"]
fn not_a_document_hides_a_finding_from_later_scans_until_undone() {
    let home = tempfile::tempdir().unwrap();
    let tree = build_tree(home.path());
    let target = tree.join(PASSPORT).to_string_lossy().into_owned();
    assert!(scanned(home.path(), &tree).contains(&target));

    let mut review = Review::start(home.path(), &tree);
    let mut browser = Browser::launch();
    {
        let mut page = browser.open(&review.url, "en");
        page.wait_for("document.querySelectorAll('article.card').length === 5");
        let id = cards(&mut page, &tree)[PASSPORT].clone();
        page.click(&card_sel(&id, "button[data-role=dismiss]"));
        page.wait_for(&format!(
            "document.querySelector('#dismissed-cards article[data-id=\"{id}\"]') !== null \
             && !document.getElementById('dismissed').hidden"
        ));
        assert_eq!(
            page.eval(&format!(
                "document.querySelector('article[data-id=\"{id}\"] input[data-role=choose]').checked"
            )),
            false,
            "a dismissed finding stays selected"
        );
    }
    // The next scan leaves it out, and only it.
    let now = scanned(home.path(), &tree);
    assert!(
        !now.contains(&target),
        "the dismissed file was proposed again"
    );
    assert_eq!(now.len(), 4);
    // The marks hold no names.
    let marks = fs::read(home.path().join("cache/idvault/not-documents.bin")).unwrap();
    assert!(!marks.windows(8).any(|w| w == b"passport"));
    // SIGTERM stops the page within seconds.
    assert_eq!(review.terminate().code(), Some(143));

    // A new review shows it apart, and undoing the mark brings it back.
    let review = Review::start(home.path(), &tree);
    {
        let mut page = browser.open(&review.url, "en");
        page.wait_for("document.querySelectorAll('article.card').length === 5");
        let id = cards(&mut page, &tree)[PASSPORT].clone();
        page.wait_for(&format!(
            "document.querySelector('#dismissed-cards article[data-id=\"{id}\"] button[data-role=undismiss]') !== null"
        ));
        page.click("#dismissed summary");
        page.click(&card_sel(&id, "button[data-role=undismiss]"));
        page.wait_for(&format!(
            "document.querySelector('#groups article[data-id=\"{id}\"]') !== null"
        ));
    }
    assert!(scanned(home.path(), &tree).contains(&target));
}

#[test]
#[ignore = "needs chromium (chromium)"]
fn hostile_names_reach_the_page_raw_and_are_shown_escaped() {
    let home = tempfile::tempdir().unwrap();
    let tree = home.path().join("tree");
    fs::create_dir_all(&tree).unwrap();
    // A right-to-left override makes `passport_<RLO>gpj.exe` look like `passport_exe.jpg`.
    let name = "passport_\u{202e}gpj.exe";
    card_picture(640, 450, [30, 60, 120])
        .save_with_format(tree.join(name), image::ImageFormat::Jpeg)
        .unwrap();
    let mut review = Review::start(home.path(), &tree);
    // The server sends the name as it is (JSON is not a terminal) ...
    let (status, body) = http(
        review.port(),
        &format!(
            "GET /{}/api/state HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            review.token(),
            review.port()
        ),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains('\u{202e}'), "not raw: {body}");
    assert!(
        !body.contains("\\\\u{202e}"),
        "escaped for a terminal: {body}"
    );
    // ... and the page makes the override visible instead of obeying it.
    let mut browser = Browser::launch();
    let mut page = browser.open(&review.url, "en");
    page.wait_for("document.querySelectorAll('article.card').length === 1");
    let shown = page.eval(
        "[document.querySelector('.path').textContent, \
          [...document.querySelectorAll('.reasons li')].map(l => l.textContent + l.title).join(' ')]",
    );
    let path = shown[0].as_str().unwrap();
    assert!(path.ends_with("passport_\\u{202e}gpj.exe"), "{path}");
    let reasons = shown[1].as_str().unwrap();
    // The name reason quotes the file name.
    assert!(reasons.contains("passport_\\u{202e}gpj"), "{reasons}");
    assert!(!reasons.contains('\u{202e}'), "{reasons}");
    assert_eq!(review.terminate().code(), Some(143));
}
