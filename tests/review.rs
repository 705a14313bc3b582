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
use std::os::unix::fs::PermissionsExt;
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

/// The test folder, under `<home>/tree`: the pictures of [`build_stills`] and a screen
/// recording from `tests/data`.
fn build_tree(home: &Path) -> PathBuf {
    let tree = build_stills(home);
    // A real H.264 recording from tests/data (see SOURCES.md), found by its name.
    let rec = tree.join(RECORDING);
    fs::copy(crate::util::fixture("metadata/mex__with-gps.mp4"), rec).unwrap();
    tree
}

/// The test folder without the recording (no third-party program needed): four findings, of
/// which `secure` would act on three, and one camera photo.
fn build_stills(home: &Path) -> PathBuf {
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
        let mut c = idvault(home);
        c.args(["review", "--no-open", "--no-content"]);
        Review::spawn(c, home, tree)
    }

    /// `cmd` (an `idvault review …` without its vault and folder) run on `tree`.
    fn spawn(mut cmd: Command, home: &Path, tree: &Path) -> Review {
        let mut child = cmd
            .arg("--vault")
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

    /// One request to the page: `GET route` (`POST` with a JSON `body` and our own `Origin`),
    /// with the session `cookie` if given.
    fn request(&self, route: &str, cookie: Option<&str>, body: Option<&str>) -> (u16, String) {
        let port = self.port();
        let mut head = format!("Host: 127.0.0.1:{port}\r\nConnection: close\r\n");
        if let Some(c) = cookie {
            head.push_str(&format!("Cookie: {c}\r\n"));
        }
        let path = format!("/{}/{route}", self.token());
        let raw = match body {
            None => format!("GET {path} HTTP/1.1\r\n{head}\r\n"),
            Some(b) => format!(
                "POST {path} HTTP/1.1\r\n{head}Origin: http://127.0.0.1:{port}\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
                b.len()
            ),
        };
        http(port, &raw)
    }

    /// Loads the page as the first browser would, and returns the session cookie it was given
    /// (`name=value`), checking its attributes. `None` if it set none (a server without
    /// sessions, which the tests of the session then fail on what it lets through).
    fn bind(&self) -> Option<String> {
        let (status, resp) = self.request("", None, None);
        assert_eq!(status, 200, "{resp}");
        let line = resp.lines().find_map(|l| l.strip_prefix("Set-Cookie: "))?;
        for attr in [
            "HttpOnly",
            "SameSite=Strict",
            &format!("Path=/{}/", self.token()),
        ] {
            assert!(
                line.split("; ").any(|a| a == attr),
                "{attr} missing: {line}"
            );
        }
        Some(line.split(';').next().unwrap().to_string())
    }

    /// `api/state` once the scan has finished.
    fn scanned_state(&self, cookie: Option<&str>) -> serde_json::Value {
        let start = Instant::now();
        loop {
            let (status, resp) = self.request("api/state", cookie, None);
            assert_eq!(status, 200, "{resp}");
            let state: serde_json::Value =
                serde_json::from_str(resp.split("\r\n\r\n").nth(1).unwrap()).unwrap();
            if state["scan"]["running"] != true {
                return state;
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "the scan never ended"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
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
    let resp = String::from_utf8_lossy(&http_bytes(port, request)).into_owned();
    let status = resp
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {resp:?}"));
    (status, resp)
}

/// One raw HTTP/1.1 request; returns the whole response as it came.
fn http_bytes(port: u16, request: &str) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    // A server that stopped answering fails the test rather than hanging it.
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut bytes = Vec::new();
    s.read_to_end(&mut bytes)
        .unwrap_or_else(|e| panic!("no answer from the page: {e}"));
    bytes
}

/// `GET /<token>/<path>` on the review server with the session `cookie`: the status and the
/// body.
fn get(review: &Review, path: &str, cookie: &str) -> (u16, Vec<u8>) {
    let port = review.port();
    let resp = http_bytes(
        port,
        &format!(
            "GET /{}/{path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n\
             Connection: close\r\n\r\n",
            review.token()
        ),
    );
    let end = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("no end of headers");
    let head = String::from_utf8_lossy(&resp[..end]);
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, resp[end + 4..].to_vec())
}

/// The correlation of the grey levels of two images of the same size: 1 for the same picture
/// whatever its brightness and contrast, near 0 for unrelated ones.
fn correlation(a: &image::GrayImage, b: &image::GrayImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let n = f64::from(a.width() * a.height());
    let mean = |img: &image::GrayImage| img.pixels().map(|p| f64::from(p[0])).sum::<f64>() / n;
    let (ma, mb) = (mean(a), mean(b));
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in a.pixels().zip(b.pixels()) {
        let (x, y) = (f64::from(x[0]) - ma, f64::from(y[0]) - mb);
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    ab / (aa * bb).sqrt()
}

/// Every format the scan reads has a preview made by idvault itself: HEIC, AVIF, a PDF scan and
/// recordings (MP4, MOV) from tests/data, served with no program at all on `PATH`. The specimen
/// passport in each picture format shows what its JPEG does; a PDF with text only, and a
/// recording in a codec without a decoder, say there is no preview rather than failing.
#[test]
fn previews_of_every_format_need_no_program() {
    let home = tempfile::tempdir().unwrap();
    let tree = home.path().join("tree");
    let put = |rel: &str, bytes: &[u8]| {
        let p = tree.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    };
    let read = |rel: &str| fs::read(crate::util::fixture(rel)).unwrap();
    put(
        "Downloads/passport.jpg",
        &read("detect/positive/pe__100_pass-hrv.jpg"),
    );
    put(
        "Downloads/passport.heic",
        &read("formats/pe__100_pass-hrv.heic"),
    );
    put(
        "Downloads/passport_scan.pdf",
        &crate::formats::pdf(Some(crate::formats::jpeg_xobject()), &[], false),
    );
    put(
        "Downloads/passport_text.pdf",
        &crate::formats::pdf(None, &["P<HRVSPECIMEN<<SAMPLE"], false),
    );
    put("Downloads/passport.avif", &read("metadata/pil__exif.avif"));
    put(
        "DCIM/RPReplay_Final1712345678.MP4",
        &read("metadata/mex__with-gps.mp4"),
    );
    put(
        "DCIM/RPReplay_Final1712345679.MOV",
        &read("metadata/mex__with-gps.mov"),
    );
    // MPEG-4 Part 2 video, which no decoder here reads.
    put(
        "DCIM/RPReplay_Final1712345680.3gp",
        &read("metadata/mex__sample.3gp"),
    );
    let no_programs = home.path().join("empty-bin");
    fs::create_dir_all(&no_programs).unwrap();
    let mut command = idvault(home.path());
    command
        .env("PATH", &no_programs)
        .args(["review", "--no-open", "--no-content"]);
    let review = Review::spawn(command, home.path(), &tree);
    let cookie = review.bind().expect("a session cookie");

    let state = review.scanned_state(Some(&cookie));
    let ids: BTreeMap<String, u64> = state["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let path = Path::new(c["path"].as_str().unwrap());
            let rel = path.strip_prefix(&tree).unwrap().to_string_lossy();
            assert_eq!(c["preview"], true, "{rel}: {c}");
            (rel.into_owned(), c["id"].as_u64().unwrap())
        })
        .collect();
    let thumb = |rel: &str, which: &str| {
        let id = ids
            .get(rel)
            .unwrap_or_else(|| panic!("{rel} is not on the page: {ids:?}"));
        get(&review, &format!("thumb/{id}/{which}"), &cookie)
    };
    let picture = |rel: &str, which: &str| {
        let (status, body) = thumb(rel, which);
        assert_eq!(
            status,
            200,
            "{rel} {which}: {}",
            String::from_utf8_lossy(&body)
        );
        image::load_from_memory_with_format(&body, image::ImageFormat::Jpeg)
            .unwrap_or_else(|e| panic!("{rel} {which}: not a JPEG: {e}"))
    };
    let jpeg = picture("Downloads/passport.jpg", "sharp").into_luma8();
    for rel in [
        "Downloads/passport.heic",
        "Downloads/passport.avif",
        "Downloads/passport_scan.pdf",
        "DCIM/RPReplay_Final1712345678.MP4",
        "DCIM/RPReplay_Final1712345679.MOV",
    ] {
        let blurred = picture(rel, "blurred");
        assert_eq!(blurred.width().max(blurred.height()), 16, "{rel}");
        let sharp = picture(rel, "sharp").into_luma8();
        assert_eq!(sharp.width().max(sharp.height()), 320, "{rel}");
        // A picture, not a blank: its grey levels spread.
        let (lo, hi) = sharp
            .pixels()
            .fold((255, 0), |(lo, hi), p| (p[0].min(lo), p[0].max(hi)));
        assert!(hi - lo > 64, "{rel}: grey levels {lo}..{hi} only");
        if rel.contains("passport.heic") || rel.contains("passport_scan") {
            // The same picture as the JPEG's (the HEIC's grey levels are a little brighter:
            // its decoder gives the coded luma; an unrelated or mirrored picture is below 0.5).
            let r = correlation(&sharp, &jpeg);
            assert!(
                r > 0.95,
                "{rel}: correlation with the JPEG's preview {r:.3}"
            );
        }
    }
    for rel in [
        "Downloads/passport_text.pdf",
        "DCIM/RPReplay_Final1712345680.3gp",
    ] {
        let (status, body) = thumb(rel, "blurred");
        assert_eq!(status, 404, "{rel}: {}", String::from_utf8_lossy(&body));
    }
}

#[test]
fn wrong_token_wrong_host_and_foreign_posts_are_refused() {
    let home = tempfile::tempdir().unwrap();
    let tree = build_stills(home.path());
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
    let cookie = review.bind();
    let c = cookie.as_deref().unwrap_or("none=0");
    let (_, page) = review.request("", cookie.as_deref(), None);
    for h in [
        "Content-Security-Policy: default-src 'none'; script-src 'self'",
        "Cache-Control: no-store",
        "Referrer-Policy: no-referrer",
        "X-Content-Type-Options: nosniff",
    ] {
        assert!(page.contains(h), "missing header {h}");
    }
    review.scanned_state(cookie.as_deref());
    let (status, thumb) = review.request("thumb/0/blurred", cookie.as_deref(), None);
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
    let (status, _) = http(
        port,
        &format!(
            "GET /{token}/api/state HTTP/1.1\r\nHost: attacker.example:{port}\r\nCookie: {c}\r\nConnection: close\r\n\r\n"
        ),
    );
    assert_eq!(status, 421);
    // Cross-site: loading a thumbnail from another site's page.
    let (status, _) = http(
        port,
        &format!(
            "GET /{token}/thumb/0/sharp HTTP/1.1\r\nHost: {host}\r\nCookie: {c}\r\nSec-Fetch-Site: cross-site\r\nConnection: close\r\n\r\n"
        ),
    );
    assert_eq!(status, 403);
    let post = |headers: &str| {
        http(
            port,
            &format!(
                "POST /{token}/api/done HTTP/1.1\r\nHost: {host}\r\nCookie: {c}\r\n{headers}Content-Length: 2\r\nConnection: close\r\n\r\n{{}}"
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
    // Private, as idvault requires of a passphrase file.
    fs::set_permissions(&pw, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
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
    // `extract --all` keeps each entry's folder below the one they all share (the tree).
    let mut names: Vec<String> = walk(&restored)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
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
        let stored = fs::read(restored.join(rel)).unwrap();
        let original = &before[&tree.join(rel)];
        let expected = idvault::strip::strip(original, &Default::default())
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
    let mut browser = Browser::launch();
    let mut page = browser.open(&review.url, "en");
    page.wait_for("document.querySelectorAll('article.card').length === 1");
    // The server sends the name as it is (JSON is not a terminal) ...
    let body = page.eval("fetch('api/state').then(r => r.text())");
    let body = body.as_str().unwrap();
    assert!(body.contains('\u{202e}'), "not raw: {body}");
    assert!(
        !body.contains("\\\\u{202e}"),
        "escaped for a terminal: {body}"
    );
    // ... and the page makes the override visible instead of obeying it.
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

/// A stand-in `xdg-open` that records what it was given: its arguments, its environment, and
/// the mode, folder mode and text of the file it was asked to open. Returns the folder to put
/// first on `PATH`.
fn fake_xdg_open(home: &Path) -> PathBuf {
    let bin = home.join("bin");
    fs::create_dir_all(&bin).unwrap();
    let record = home.join("opened");
    let script = format!(
        "#!/bin/sh\n\
         r='{}'\n\
         printf '%s\\n' \"$@\" > \"$r.argv.tmp\"\n\
         tr '\\0' '\\n' < /proc/$$/environ > \"$r.environ\"\n\
         stat -c %a \"$1\" > \"$r.mode\"\n\
         stat -c %a \"$(dirname \"$1\")\" > \"$r.dirmode\"\n\
         cat \"$1\" > \"$r.page\"\n\
         mv \"$r.argv.tmp\" \"$r.argv\"\n\
         sleep 3\n",
        record.display()
    );
    let path = bin.join("xdg-open");
    fs::write(&path, script).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

/// `idvault review` as a user would start it: it opens the browser (the fake `xdg-open`), with
/// its runtime folder under `home`.
fn review_opening_browser(home: &Path, tree: &Path) -> Review {
    let bin = fake_xdg_open(home);
    let run = home.join("run");
    fs::create_dir_all(&run).unwrap();
    fs::set_permissions(&run, fs::Permissions::from_mode(0o700)).unwrap();
    let mut c = idvault(home);
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![bin];
    paths.extend(std::env::split_paths(&path));
    c.env("PATH", std::env::join_paths(paths).unwrap())
        .env("XDG_RUNTIME_DIR", &run)
        .args(["review", "--no-content"]);
    Review::spawn(c, home, tree)
}

/// Waits for the fake `xdg-open` to have recorded its call, and returns the file it was given.
fn opened_file(home: &Path) -> PathBuf {
    let argv = home.join("opened.argv");
    let start = Instant::now();
    while !argv.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "xdg-open was never run"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let args = fs::read_to_string(&argv).unwrap();
    let args: Vec<&str> = args.lines().collect();
    assert_eq!(args.len(), 1, "xdg-open got {args:?}");
    PathBuf::from(args[0])
}

#[test]
fn the_token_is_in_no_process_arguments_or_environment() {
    let home = tempfile::tempdir().unwrap();
    let tree = build_stills(home.path());
    let mut review = review_opening_browser(home.path(), &tree);
    let token = review.token();
    let page = opened_file(home.path());
    // While xdg-open still runs: no process this user can see holds the token in its arguments
    // or environment (idvault, its children, everything else).
    let mut looked = 0;
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        if !entry
            .file_name()
            .to_string_lossy()
            .bytes()
            .all(|b| b.is_ascii_digit())
        {
            continue;
        }
        for part in ["cmdline", "environ"] {
            // Processes of other users, and ones gone meanwhile, cannot be read.
            if let Ok(bytes) = fs::read(entry.path().join(part)) {
                looked += 1;
                assert!(
                    !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
                    "the token is in /proc/{}/{part}",
                    entry.file_name().to_string_lossy()
                );
            }
        }
    }
    assert!(looked > 2, "no process could be read");
    let environ = fs::read_to_string(home.path().join("opened.environ")).unwrap();
    assert!(
        !environ.contains(&token),
        "xdg-open's environment holds the token"
    );
    // What it was given instead: a private file, forwarding to the address.
    assert!(
        page.starts_with(home.path().join("run/idvault")),
        "{}",
        page.display()
    );
    assert!(!page.to_string_lossy().contains(&token));
    let mode = |f: &str| fs::read_to_string(home.path().join(f)).unwrap();
    assert_eq!(mode("opened.mode").trim(), "600");
    assert_eq!(mode("opened.dirmode").trim(), "700");
    assert!(mode("opened.page").contains(&format!("url={}", review.url)));
    // The first load binds the session; the forwarding page has done its work and goes.
    review.bind();
    assert!(!page.exists(), "the forwarding page outlived the binding");
    assert_eq!(review.terminate().code(), Some(143));
}

#[test]
fn a_copied_address_without_the_browsers_cookie_gets_nothing() {
    let home = tempfile::tempdir().unwrap();
    let tree = build_stills(home.path());
    let mut review = Review::start(home.path(), &tree);
    // The owner's browser loads the page first.
    let cookie = review.bind();
    let state = review.scanned_state(cookie.as_deref());
    assert_eq!(state["cards"].as_array().unwrap().len(), 4, "{state}");
    let first = state["cards"][0]["id"].as_u64().unwrap();
    let marks = home.path().join("cache/idvault/not-documents.bin");
    let marks_before = fs::read(&marks).ok();

    // Someone who copied the address later: no cookie, or a made-up one.
    let wrong = format!("idvault_session={}", "0".repeat(64));
    for cookie in [None, Some(wrong.as_str())] {
        for route in [
            "api/state".to_string(),
            "api/messages".to_string(),
            format!("thumb/{first}/blurred"),
            format!("thumb/{first}/sharp"),
        ] {
            let (status, resp) = review.request(&route, cookie, None);
            assert_eq!(status, 403, "{route} with {cookie:?}: {resp}");
            assert!(
                !resp.contains("cards") && !resp.contains("image/jpeg"),
                "{resp}"
            );
        }
        let dismiss = format!("{{\"id\":{first},\"dismissed\":true}}");
        let secure = format!(
            "{{\"ids\":[{first}],\"passphrase\":\"{PASSPHRASE}\",\"repeat\":\"{PASSPHRASE}\"}}"
        );
        for (route, body) in [
            ("api/dismiss", dismiss.as_str()),
            ("api/secure", secure.as_str()),
            ("api/done", "{}"),
        ] {
            let (status, resp) = review.request(route, cookie, Some(body));
            assert_eq!(status, 403, "{route} with {cookie:?}: {resp}");
        }
        // The page itself is an empty shell, and loading it binds nothing more.
        let (status, resp) = review.request("", cookie, None);
        assert_eq!(status, 200);
        assert!(
            !resp.contains("Set-Cookie"),
            "a second browser was let in: {resp}"
        );
    }
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        review.child.try_wait().unwrap().is_none(),
        "a foreign Done stopped review"
    );
    assert!(
        !home.path().join("vault").exists(),
        "a foreign passphrase made a vault"
    );
    assert_eq!(
        fs::read(&marks).ok(),
        marks_before,
        "a foreign mark was saved"
    );
    for rel in [PASSPORT, ID_CARD, KYC, PLAIN_SCREENSHOT] {
        assert!(tree.join(rel).exists(), "{rel} was touched");
    }
    // The owner's browser still gets everything.
    assert!(cookie.is_some(), "the first load set no cookie");
    let (status, _) = review.request(&format!("thumb/{first}/blurred"), cookie.as_deref(), None);
    assert_eq!(status, 200);
    let (status, _) = review.request("api/done", cookie.as_deref(), Some("{}"));
    assert_eq!(status, 200);
    assert_eq!(review.wait_exit(Duration::from_secs(10)).code(), Some(0));
}

#[test]
fn the_page_is_served_at_once_and_fills_as_the_scan_goes() {
    let home = tempfile::tempdir().unwrap();
    let tree = build_stills(home.path());
    // Enough files that the scan takes a while after the address is out.
    for i in 0..3000 {
        let dir = tree.join(format!("Camera/{}", i / 100));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(format!("IMG_{i:05}.txt")), b"not a picture").unwrap();
    }
    let review = Review::start(home.path(), &tree);
    let cookie = review.bind();
    let (status, resp) = review.request("api/state", cookie.as_deref(), None);
    assert_eq!(status, 200);
    let state: serde_json::Value =
        serde_json::from_str(resp.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(
        state["scan"]["running"], true,
        "the address came only after the scan: {state}"
    );
    // Securing waits for the scan (it finishes the leftovers the scan finds).
    let state = review.scanned_state(cookie.as_deref());
    assert_eq!(state["cards"].as_array().unwrap().len(), 4, "{state}");
    assert!(state["scan"]["files"].as_u64().unwrap() >= 3004, "{state}");
}

/// The `Threads:` count of process `pid`.
fn threads(pid: u32) -> u64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Holds `n` connections to `port` open from a shell (half of them having sent part of a
/// request), as user `nobody` if `as_nobody`; ready when this returns. Dropping the child's
/// stdin ends it.
fn hold_connections(port: u16, n: usize, as_nobody: bool) -> Child {
    let script = format!(
        "ulimit -n 4096 2>/dev/null || ulimit -n $(ulimit -Hn)\n\
         for i in $(seq 1 {n}); do\n\
           exec {{fd}}<>/dev/tcp/127.0.0.1/{port} || exit 1\n\
           if [ $((i % 2)) = 0 ]; then printf 'GET / HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nX-Slow: ' >&$fd; fi\n\
         done\n\
         echo ready\n\
         read -r _\n"
    );
    let mut c = if as_nobody {
        let mut c = crate::util::tool("setpriv", "util-linux");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            "bash",
        ]);
        c
    } else {
        crate::util::tool("bash", "bash")
    };
    let mut child = c
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(
        line.trim(),
        "ready",
        "the server did not take all {n} connections (it stopped accepting)"
    );
    child
}

/// The body of [`a_thousand_idle_connections_do_not_stop_the_page`] and its as-another-user
/// twin: the page keeps answering, with a bounded number of threads, while 1,000 connections
/// sit idle or half-sent, and after they are gone. The review process has the 1,024 open files
/// of a desktop session.
fn thousand_connections(as_nobody: bool) {
    use std::os::unix::process::CommandExt;
    let home = tempfile::tempdir().unwrap();
    let tree = build_stills(home.path());
    let mut c = idvault(home.path());
    c.args(["review", "--no-open", "--no-content"]);
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        c.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: 1024,
                rlim_max: 1024,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut review = Review::spawn(c, home.path(), &tree);
    let cookie = review.bind();
    review.scanned_state(cookie.as_deref());
    let pid = review.child.id();
    let before = threads(pid);

    let attack = hold_connections(review.port(), 1000, as_nobody);
    let state = review.scanned_state(cookie.as_deref());
    assert_eq!(state["cards"].as_array().unwrap().len(), 4);
    let (status, _) = review.request("thumb/0/blurred", cookie.as_deref(), None);
    assert_eq!(status, 200);
    let during = threads(pid);
    assert!(
        during <= before + 4,
        "threads grew with the connections: {before} before, {during} during"
    );
    drop(attack);
    // Past the time a connection may take to send its request: all closed, still serving.
    std::thread::sleep(Duration::from_secs(11));
    review.scanned_state(cookie.as_deref());
    assert!(review.child.try_wait().unwrap().is_none());
    assert_eq!(review.terminate().code(), Some(143));
}

#[test]
fn a_thousand_idle_connections_do_not_stop_the_page() {
    thousand_connections(false);
}

#[test]
#[ignore = "needs root: opens the connections as user nobody"]
fn a_thousand_idle_connections_from_another_account_do_not_stop_the_page_as_root() {
    crate::util::require_root();
    thousand_connections(true);
}

#[test]
fn requests_without_the_cookie_do_not_keep_the_page_alive() {
    let home = tempfile::tempdir().unwrap();
    let tree = build_stills(home.path());
    let start = |sub: &str| {
        let h = home.path().join(sub);
        fs::create_dir_all(&h).unwrap();
        let mut c = idvault(&h);
        c.args(["review", "--no-open", "--no-content", "--idle-timeout", "1"]);
        Review::spawn(c, &h, &tree)
    };
    // Both bound to a browser at once; then one gets only requests without the cookie (the
    // address alone, a wrong cookie, no token), the other a request with it, every 20 s.
    let mut ignored = start("a");
    let mut kept = start("b");
    let kept_cookie = kept.bind();
    ignored.bind();
    let began = Instant::now();
    let wrong = format!("idvault_session={}", "0".repeat(64));
    let stopped_at = loop {
        if let Some(status) = ignored.child.try_wait().unwrap() {
            assert_eq!(status.code(), Some(0), "idle stop is a normal end");
            break began.elapsed();
        }
        assert!(
            began.elapsed() < Duration::from_secs(100),
            "requests without the cookie kept the page alive past its idle time"
        );
        if began.elapsed().as_secs() % 20 == 19 {
            let _ = ignored.request("api/state", None, None);
            let _ = ignored.request("api/state", Some(&wrong), None);
            let _ = ignored.request("", None, None);
            let _ = http(
                ignored.port(),
                &format!(
                    "GET / HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
                    ignored.port()
                ),
            );
            let (status, _) = kept.request("api/state", kept_cookie.as_deref(), None);
            assert_eq!(status, 200);
            std::thread::sleep(Duration::from_secs(1));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    // The other one, asked with its cookie, is still there past the idle time.
    while began.elapsed() < Duration::from_secs(75) {
        if began.elapsed().as_secs() % 20 == 19 {
            let (status, _) = kept.request("api/state", kept_cookie.as_deref(), None);
            assert_eq!(status, 200);
            std::thread::sleep(Duration::from_secs(1));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        kept.child.try_wait().unwrap().is_none(),
        "the page with its cookie stopped (the other stopped after {stopped_at:?})"
    );
    let (status, _) = kept.request("api/done", kept_cookie.as_deref(), Some("{}"));
    assert_eq!(status, 200);
    assert_eq!(kept.wait_exit(Duration::from_secs(10)).code(), Some(0));
}

#[test]
fn core_dumps_are_off_and_the_process_undumpable_while_it_waits_for_a_passphrase() {
    use std::os::unix::fs::MetadataExt;
    let home = tempfile::tempdir().unwrap();
    let tree = build_stills(home.path());
    let pw = home.path().join("pw");
    fs::write(&pw, format!("{PASSPHRASE}\n")).unwrap();
    fs::set_permissions(&pw, fs::Permissions::from_mode(0o600)).unwrap();
    // Not dumpable shows in /proc: a process's files there then belong to root rather than to
    // its user (proc(5)), which a root-run idvault could not tell apart: run it as nobody.
    let root = crate::util::is_root();
    if root {
        crate::util::give_to_nobody(home.path());
    }
    // The page will ask for the passphrase; or it was read from a file at the start.
    for extra in [vec![], vec!["--passphrase-file".into(), pw.clone()]] {
        let mut c = idvault(home.path());
        c.args(["review", "--no-open", "--no-content"]).args(&extra);
        let c = if root { crate::util::as_nobody(&c) } else { c };
        let mut review = Review::spawn(c, home.path(), &tree);
        let pid = review.child.id();
        let limits = fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
        let core: Vec<&str> = limits
            .lines()
            .find(|l| l.starts_with("Max core file size"))
            .unwrap()
            .split_whitespace()
            .skip(4)
            .take(2)
            .collect();
        assert_eq!(core, ["0", "0"], "core files allowed ({extra:?}): {limits}");
        let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let uid: u32 = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .unwrap()
            .split_whitespace()
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        assert_ne!(uid, 0, "idvault must run as a user other than root here");
        let owner = fs::metadata(format!("/proc/{pid}/status")).unwrap().uid();
        assert_eq!(owner, 0, "idvault (uid {uid}) is dumpable ({extra:?})");
        assert_eq!(review.terminate().code(), Some(143));
    }
}

#[test]
#[ignore = "needs chromium (chromium)"]
fn the_forwarding_page_opens_the_review_and_another_browser_gets_nothing() {
    let home = tempfile::tempdir().unwrap();
    let tree = build_stills(home.path());
    let mut review = review_opening_browser(home.path(), &tree);
    let forward = opened_file(home.path());
    let mut browser = Browser::launch();
    let mut page = browser.open(&format!("file://{}", forward.display()), "en");
    page.wait_for("document.querySelectorAll('article.card').length === 4");
    page.wait_for(
        "[...document.querySelectorAll('img[data-role=thumb]')].every(i => i.complete && i.naturalWidth > 0)",
    );
    assert!(
        !forward.exists(),
        "the forwarding page outlived the binding"
    );
    let errors = page.errors();
    assert!(errors.is_empty(), "page errors: {errors:?}");

    // Another browser given the address: the page's empty shell and why, no card, no picture.
    let mut other = Browser::launch();
    let mut copied = other.open(&review.url, "en");
    copied.wait_for("!document.getElementById('stopped').hidden");
    assert_eq!(
        copied.eval("document.querySelectorAll('article').length"),
        0
    );
    let said = copied.eval("document.getElementById('stopped-text').textContent");
    assert!(said.as_str().unwrap().contains("another browser"), "{said}");
    let img = copied.eval(
        "new Promise(r => { const i = new Image(); i.onload = () => r('loaded'); \
         i.onerror = () => r('refused'); i.src = 'thumb/0/blurred'; })",
    );
    assert_eq!(img, "refused");
    drop(copied);

    // The first browser keeps its session across a reload.
    page.goto(&review.url);
    page.wait_for("document.querySelectorAll('article.card').length === 4");
    assert_eq!(review.terminate().code(), Some(143));
}

/// A damaged archive is a note that it was not fully looked at; `review` ends with exit 1 as
/// `scan` does, and only for it (the same folder without it ends with 0).
#[test]
fn a_file_not_fully_looked_at_makes_review_exit_1() {
    for damaged in [false, true] {
        let home = tempfile::tempdir().unwrap();
        let tree = build_stills(home.path());
        if damaged {
            // A zip's local header with no central directory: it cannot be opened.
            let mut zip = b"PK\x03\x04".to_vec();
            zip.extend(crate::util::noise_bytes(28, 4096));
            fs::write(tree.join("backup.zip"), zip).unwrap();
        }
        let mut review = Review::start(home.path(), &tree);
        let cookie = review.bind();
        let state = review.scanned_state(cookie.as_deref());
        assert_eq!(state["cards"].as_array().unwrap().len(), 4, "{state}");
        let (status, _) = review.request("api/done", cookie.as_deref(), Some("{}"));
        assert_eq!(status, 200);
        let code = review.wait_exit(Duration::from_secs(10)).code();
        assert_eq!(code, Some(i32::from(damaged)), "damaged archive: {damaged}");
    }
}
