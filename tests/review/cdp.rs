//! A headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`:
//! commands on fd 3, replies on fd 4, each message ended by a NUL byte).
//!
//! Written against the protocol directly rather than through a driver crate: the pipe needs no
//! port, no WebSocket and no chromedriver of a matching version, and the few commands the tests
//! use (evaluate, mouse and key input, screenshots, request log) fit in this file. The
//! well-known crates (`headless_chrome`, `fantoccini`) pull in a WebSocket or HTTP client stack
//! of several dozen crates for the same result.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long any one wait may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(30);

/// The browser binary: `$CHROMIUM`, else `chromium` on PATH. A missing browser fails the test
/// with the package to install; it never passes silently.
fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return PathBuf::from(p);
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("chromium"))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!("these tests need a headless Chromium: apt-get install chromium (or set CHROMIUM)")
    })
}

type Pending = Arc<Mutex<HashMap<u64, Sender<Value>>>>;

/// A running browser.
pub struct Browser {
    child: Child,
    to_browser: std::fs::File,
    next_id: u64,
    pending: Pending,
    events: Arc<Mutex<Vec<Value>>>,
    _profile: tempfile::TempDir,
}

/// One tab, attached with a flat session.
pub struct Page<'b> {
    browser: &'b mut Browser,
    session: String,
}

impl Browser {
    pub fn launch() -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let (cmd_read, cmd_write) = std::io::pipe().unwrap();
        let (reply_read, reply_write) = std::io::pipe().unwrap();
        let cmd_read: OwnedFd = cmd_read.into();
        let reply_write: OwnedFd = reply_write.into();
        let (r, w) = (cmd_read.as_raw_fd(), reply_write.as_raw_fd());
        let mut command = Command::new(chromium());
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--remote-debugging-pipe",
                "--window-size=1280,900",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: only async-signal-safe calls (fcntl, dup2) between fork and exec. Both ends
        // are first copied above fd 9, so that neither can be clobbered by (or already be) its
        // target; dup2 then leaves fds 3 and 4 open across exec.
        unsafe {
            command.pre_exec(move || {
                let r2 = libc::fcntl(r, libc::F_DUPFD_CLOEXEC, 10);
                let w2 = libc::fcntl(w, libc::F_DUPFD_CLOEXEC, 10);
                if r2 < 0 || w2 < 0 || libc::dup2(r2, 3) < 0 || libc::dup2(w2, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().expect("start chromium");
        drop(cmd_read);
        drop(reply_write);
        let pending: Pending = Arc::default();
        let events: Arc<Mutex<Vec<Value>>> = Arc::default();
        let (p, e) = (Arc::clone(&pending), Arc::clone(&events));
        thread::spawn(move || {
            let mut reader = BufReader::new(reply_read);
            let mut buf = Vec::new();
            while reader.read_until(0, &mut buf).is_ok_and(|n| n > 0) {
                buf.pop_if(|b| *b == 0);
                if let Ok(msg) = serde_json::from_slice::<Value>(&buf) {
                    match msg["id"].as_u64() {
                        Some(id) => {
                            if let Some(tx) = p.lock().unwrap().remove(&id) {
                                let _ = tx.send(msg);
                            }
                        }
                        None => e.lock().unwrap().push(msg),
                    }
                }
                buf.clear();
            }
        });
        Browser {
            child,
            to_browser: std::fs::File::from(OwnedFd::from(cmd_write)),
            next_id: 0,
            pending,
            events,
            _profile: profile,
        }
    }

    fn send(&mut self, session: Option<&str>, method: &str, params: Value) -> Receiver<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let (tx, rx) = channel();
        self.pending.lock().unwrap().insert(id, tx);
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            msg["sessionId"] = s.into();
        }
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        self.to_browser
            .write_all(&bytes)
            .expect("write to chromium");
        rx
    }

    /// Sends a command and waits for its result; a protocol error fails the test.
    pub fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        let rx = self.send(session, method, params);
        let reply = rx
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("chromium did not answer {method}"));
        if let Some(err) = reply.get("error") {
            panic!("{method} failed: {err}");
        }
        reply["result"].clone()
    }

    /// Opens a new tab at `url`, sending `accept_language` with every request.
    pub fn open(&mut self, url: &str, accept_language: &str) -> Page<'_> {
        let target = self.call(None, "Target.createTarget", json!({ "url": "about:blank" }));
        let attached = self.call(
            None,
            "Target.attachToTarget",
            json!({ "targetId": target["targetId"], "flatten": true }),
        );
        let session = attached["sessionId"].as_str().unwrap().to_string();
        let mut page = Page {
            browser: self,
            session,
        };
        for domain in ["Page", "Runtime", "Network", "Log"] {
            page.call(&format!("{domain}.enable"), json!({}));
        }
        let version = page.browser.call(None, "Browser.getVersion", json!({}));
        page.call(
            "Emulation.setUserAgentOverride",
            json!({ "userAgent": version["userAgent"], "acceptLanguage": accept_language }),
        );
        page.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false }),
        );
        page.goto(url);
        page
    }

    /// Every event received so far (requests, console messages, exceptions).
    pub fn events(&self) -> Vec<Value> {
        self.events.lock().unwrap().clone()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Page<'_> {
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.browser.call(Some(&session), method, params)
    }

    pub fn goto(&mut self, url: &str) {
        self.call("Page.navigate", json!({ "url": url }));
        self.wait_for("document.readyState === 'complete'");
    }

    /// Evaluates `js` (awaiting a promise) and returns its value; an exception fails the test.
    pub fn eval(&mut self, js: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({ "expression": js, "awaitPromise": true, "returnByValue": true }),
        );
        if let Some(ex) = r.get("exceptionDetails") {
            panic!("page script failed: {js}\n{ex}");
        }
        r["result"]["value"].clone()
    }

    /// Waits until `js` is truthy.
    pub fn wait_for(&mut self, js: &str) {
        let start = Instant::now();
        loop {
            let v = self.eval(&format!("!!({js})"));
            if v == Value::Bool(true) {
                return;
            }
            if start.elapsed() >= WAIT {
                // What the page holds, to tell a slow server from a broken page.
                let thumbs = self.eval(
                    "[...document.querySelectorAll('.thumb')].map(t => t.innerHTML.slice(0, 160) + \
                     ' complete=' + (t.querySelector('img') || {}).complete + ' w=' + \
                     (t.querySelector('img') || {}).naturalWidth)",
                );
                panic!("timed out waiting for: {js}\nthumbnails: {thumbs:#}");
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// The centre of the first element matching `selector`, scrolled into view.
    fn centre(&mut self, selector: &str) -> (f64, f64) {
        let sel = serde_json::to_string(selector).unwrap();
        let v = self.eval(&format!(
            "(() => {{ const e = document.querySelector({sel}); if (!e) return null;
               e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect();
               return [r.x + r.width / 2, r.y + r.height / 2]; }})()"
        ));
        let xy = v
            .as_array()
            .unwrap_or_else(|| panic!("no element matches {selector}"));
        (xy[0].as_f64().unwrap(), xy[1].as_f64().unwrap())
    }

    fn mouse(&mut self, kind: &str, (x, y): (f64, f64)) {
        self.call(
            "Input.dispatchMouseEvent",
            json!({ "type": kind, "x": x, "y": y, "button": "left", "clickCount": 1 }),
        );
    }

    /// Presses the mouse on the element (and keeps it pressed).
    pub fn press(&mut self, selector: &str) -> (f64, f64) {
        let at = self.centre(selector);
        self.mouse("mouseMoved", at);
        self.mouse("mousePressed", at);
        at
    }

    pub fn release(&mut self, at: (f64, f64)) {
        self.mouse("mouseReleased", at);
    }

    /// A real mouse click on the element, as a user makes it.
    pub fn click(&mut self, selector: &str) {
        let at = self.press(selector);
        self.release(at);
    }

    /// Focuses the element and types `text` into it.
    pub fn type_into(&mut self, selector: &str, text: &str) {
        self.click(selector);
        self.call("Input.insertText", json!({ "text": text }));
    }

    /// A PNG of what the window shows.
    pub fn screenshot(&mut self, to: &Path) {
        let shot = self.call("Page.captureScreenshot", json!({ "format": "png" }));
        use base64::Engine;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        std::fs::write(to, png).unwrap();
    }

    /// URLs the page requested so far.
    pub fn requested(&self) -> Vec<String> {
        self.browser
            .events()
            .iter()
            .filter(|e| e["method"] == "Network.requestWillBeSent")
            .filter_map(|e| e["params"]["request"]["url"].as_str().map(String::from))
            .collect()
    }

    /// Script exceptions and console/browser errors (CSP violations among them).
    pub fn errors(&self) -> Vec<String> {
        self.browser
            .events()
            .iter()
            .filter_map(|e| match e["method"].as_str()? {
                "Runtime.exceptionThrown" => Some(e["params"]["exceptionDetails"].to_string()),
                "Log.entryAdded" if e["params"]["entry"]["level"] == "error" => {
                    Some(e["params"]["entry"]["text"].to_string())
                }
                _ => None,
            })
            .collect()
    }
}
