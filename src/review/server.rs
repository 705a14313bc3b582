//! The HTTP side of the review page (on [`super::http`]), hardened like notebook servers'
//! token-in-URL pages, with the session bound to one browser:
//!
//! - bound to 127.0.0.1 only, on a port the OS picks;
//! - every path starts with a 256-bit random token, compared in constant time; anything else
//!   gets 404;
//! - the first load of the page binds the session to that browser: it gets a second random
//!   secret in an `HttpOnly`, `SameSite=Strict` cookie scoped to the token's path, and every
//!   API call and thumbnail needs it (403 without). The address alone, copied later by another
//!   local user, gets the page's empty shell and nothing else;
//! - only requests carrying the cookie count as activity for the idle timeout;
//! - the `Host` header must name 127.0.0.1 or localhost at our port (DNS rebinding);
//! - state-changing requests are POSTs with a JSON body, an `Origin` of our own and, where the
//!   browser sends it, `Sec-Fetch-Site: same-origin` (cross-site request forgery);
//! - every response carries a strict Content-Security-Policy (no inline script, nothing from
//!   outside), `Cache-Control: no-store`, `Referrer-Policy: no-referrer`, `nosniff` and
//!   frame denial.
//!
//! Requests are answered by [`http::serve`]'s few threads; the caller's thread watches for the
//! end: the page's "Done", an idle timeout, or a signal.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::forward::ForwardPage;
use super::http::{self, Request, Response};
use super::job::{self, StartError};
use super::locked;
use super::session::{ActionError, Session};
use super::thumb;
use crate::Cancel;
use crate::i18n::{Catalog, Lang};

const INDEX_HTML: &str = include_str!("../../assets/review/index.html");
const APP_JS: &str = include_str!("../../assets/review/app.js");
const APP_CSS: &str = include_str!("../../assets/review/app.css");
const ICON_SVG: &str = include_str!("../../assets/review/icon.svg");

/// How often the watcher looks at the stop conditions.
const TICK: Duration = Duration::from_millis(200);
/// The name of the cookie that binds the session to a browser.
const COOKIE: &str = "idvault_session";

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Why the server stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The page said "Done".
    Done,
    /// No request from the page for the idle time.
    Idle,
    /// SIGINT or SIGTERM.
    Signal,
}

/// A bound, not yet running review server.
pub struct Server {
    listener: TcpListener,
    token: String,
    port: u16,
    session: Arc<Mutex<Session>>,
    /// The secret of the browser the session is bound to; `None` until the page's first load.
    cookie: Mutex<Option<Zeroizing<String>>>,
    /// The private page the browser was opened on, removed once the session is bound.
    forward: Mutex<Option<ForwardPage>>,
    /// The last request that carried the session's cookie.
    last_seen: Mutex<Instant>,
    done: AtomicBool,
}

impl Server {
    /// Binds 127.0.0.1 on a free port and draws the token.
    pub fn bind(session: Arc<Mutex<Session>>) -> std::io::Result<Server> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        Ok(Server {
            listener,
            token: crate::fsutil::random_hex(32),
            port,
            session,
            cookie: Mutex::new(None),
            forward: Mutex::new(None),
            last_seen: Mutex::new(Instant::now()),
            done: AtomicBool::new(false),
        })
    }

    /// The page's address, token included.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/{}/", self.port, self.token)
    }

    /// Keeps the private page the browser was opened on until the session is bound.
    pub fn forwarded_through(&self, page: ForwardPage) {
        *locked(&self.forward) = Some(page);
    }

    /// Serves until the page says "Done", no request from the page came for `idle`, or `cancel`
    /// is set (the binary sets it on Ctrl-C or SIGTERM). A running job is always let finish (it takes seconds per file); a second signal
    /// ends the process at once, which the pipeline is built to survive.
    pub fn run(&self, cancel: &Cancel) -> Stop {
        let idle = locked(&self.session).opts.idle;
        *locked(&self.last_seen) = Instant::now();
        let stop = AtomicBool::new(false);
        thread::scope(|s| {
            s.spawn(|| http::serve(&self.listener, &stop, &|req| self.handle(req)));
            let why = loop {
                thread::sleep(TICK);
                let running = locked(&self.session)
                    .job
                    .as_ref()
                    .is_some_and(|j| j.running);
                if running {
                    continue;
                }
                if cancel.is_cancelled() {
                    break Stop::Signal;
                }
                if self.done.load(Ordering::Relaxed) {
                    break Stop::Done;
                }
                if locked(&self.last_seen).elapsed() >= idle {
                    break Stop::Idle;
                }
            };
            stop.store(true, Ordering::Relaxed);
            why
        })
    }
}

/// `body` with the headers every response carries.
fn send(status: u16, content_type: &str, body: Vec<u8>) -> Response {
    let mut resp = Response::new(status, body);
    for (n, v) in [
        ("Content-Type", content_type),
        ("Content-Security-Policy", CSP),
        ("Cache-Control", "no-store"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ] {
        resp = resp.with_header(n, v);
    }
    resp
}

fn send_json(status: u16, value: &impl Serialize) -> Response {
    send(
        status,
        "application/json",
        serde_json::to_vec(value).unwrap_or_default(),
    )
}

/// The body of every refused request: `{"error": "…"}`.
#[derive(Serialize)]
struct ErrorJson<'a> {
    error: &'a str,
}

fn send_error(status: u16, message: &str) -> Response {
    send_json(status, &ErrorJson { error: message })
}

/// What a request without the session's cookie is told (the page shows its own sentence).
const NOT_THIS_BROWSER: &str = "this review is open in another browser";

#[derive(Deserialize)]
struct DismissBody {
    id: usize,
    dismissed: bool,
}

#[derive(Deserialize)]
struct SecureBody {
    ids: Vec<usize>,
    #[serde(default, deserialize_with = "secret")]
    passphrase: Option<SecretString>,
    #[serde(default, deserialize_with = "secret")]
    repeat: Option<SecretString>,
}

/// A passphrase straight into a `SecretString` (secrecy's serde support covers sized types
/// only). The request body it came from is zeroed when the request is dropped.
fn secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    Ok(s.map(SecretString::from))
}

impl Server {
    fn handle(&self, req: Request) -> Response {
        if !self.host_ok(&req) {
            return send_error(421, "wrong host");
        }
        let path = req.path.split(['?', '#']).next().unwrap_or_default();
        let Some(rest) = path.strip_prefix('/') else {
            return send_error(404, "not found");
        };
        let (token, route) = rest.split_once('/').unwrap_or((rest, ""));
        let token_ok: bool = token.as_bytes().ct_eq(self.token.as_bytes()).into();
        if !token_ok {
            return send_error(404, "not found");
        }
        if !path.ends_with('/') && route.is_empty() {
            return Response::new(308, Vec::new())
                .with_header("Location", format!("/{}/", self.token));
        }
        let page = req.method == "GET" && route.is_empty();
        // A page elsewhere must not load or embed our resources, even knowing the token. Opening
        // the page itself is allowed from anywhere: the forwarding page is a file, which
        // browsers count as another site, and the page alone holds no data.
        let navigation = page && req.header("Sec-Fetch-Mode") == Some("navigate");
        if let Some(site) = req.header("Sec-Fetch-Site")
            && site != "same-origin"
            && site != "none"
            && !navigation
        {
            return send_error(403, "cross-site request refused");
        }
        let mut authed = self.cookie_ok(&req);
        let mut set_cookie = None;
        if page && !authed {
            set_cookie = self.bind_browser();
            authed = set_cookie.is_some();
        }
        if authed {
            *locked(&self.last_seen) = Instant::now();
        }
        match (req.method.as_str(), route) {
            ("GET", "") => {
                let resp = send(200, "text/html; charset=utf-8", INDEX_HTML.into());
                match set_cookie {
                    Some(c) => resp.with_header("Set-Cookie", c.as_str()),
                    None => resp,
                }
            }
            // The page's own code, the same for everyone (it is in the binary).
            ("GET", "app.js") => send(200, "text/javascript; charset=utf-8", APP_JS.into()),
            ("GET", "icon.svg") => send(200, "image/svg+xml", ICON_SVG.into()),
            ("GET", "app.css") => send(200, "text/css; charset=utf-8", APP_CSS.into()),
            _ if !authed => send_error(403, NOT_THIS_BROWSER),
            ("GET", "api/state") => {
                let lang = Lang::negotiate(req.header("Accept-Language").unwrap_or(""));
                send_json(200, &locked(&self.session).state(lang.tag()))
            }
            ("GET", "api/messages") => {
                let c = Catalog::get_or_load();
                let all: BTreeMap<&str, _> = Lang::ALL
                    .iter()
                    .map(|&l| (l.tag(), c.messages(l)))
                    .collect();
                send_json(200, &all)
            }
            ("GET", r) if r.starts_with("thumb/") => self.thumbnail(r),
            ("POST", r) => {
                if !self.post_ok(&req) {
                    return send_error(403, "cross-origin request refused");
                }
                self.post(r, &req.body)
            }
            _ => send_error(404, "not found"),
        }
    }

    /// The request carries the cookie of the browser the session is bound to.
    fn cookie_ok(&self, req: &Request) -> bool {
        let bound = locked(&self.cookie);
        let Some(secret) = bound.as_ref() else {
            return false;
        };
        req.headers_named("Cookie")
            .flat_map(|h| h.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .any(|(name, value)| {
                name == COOKIE && bool::from(value.as_bytes().ct_eq(secret.as_bytes()))
            })
    }

    /// Binds the session to the browser loading the page now, unless one already holds it:
    /// draws the cookie's secret and returns the `Set-Cookie` value. The forwarding page has
    /// done its work and is removed.
    fn bind_browser(&self) -> Option<Zeroizing<String>> {
        let mut bound = locked(&self.cookie);
        if bound.is_some() {
            return None;
        }
        let secret = Zeroizing::new(crate::fsutil::random_hex(32));
        let header = Zeroizing::new(format!(
            "{COOKIE}={}; Path=/{}/; HttpOnly; SameSite=Strict",
            secret.as_str(),
            self.token
        ));
        *bound = Some(secret);
        drop(locked(&self.forward).take());
        Some(header)
    }

    /// `Host` names our own loopback address and port (a rebound DNS name does not).
    fn host_ok(&self, req: &Request) -> bool {
        let port = self.port;
        req.header("Host")
            .is_some_and(|h| h == format!("127.0.0.1:{port}") || h == format!("localhost:{port}"))
    }

    /// A POST comes from our own page: its `Origin` is ours and its body is JSON (which a
    /// cross-origin form cannot send without a preflight we never answer).
    fn post_ok(&self, req: &Request) -> bool {
        let port = self.port;
        let origin_ok = req.header("Origin").is_some_and(|o| {
            o == format!("http://127.0.0.1:{port}") || o == format!("http://localhost:{port}")
        });
        let json = req
            .header("Content-Type")
            .is_some_and(|c| c.split(';').next() == Some("application/json"));
        origin_ok && json
    }

    fn post(&self, route: &str, body: &[u8]) -> Response {
        let session = &self.session;
        match route {
            "api/dismiss" => {
                let Ok(b) = serde_json::from_slice::<DismissBody>(body) else {
                    return send_error(400, "bad request");
                };
                match locked(session).set_dismissed(b.id, b.dismissed) {
                    Ok(()) => send_json(200, &serde_json::json!({})),
                    Err(e @ ActionError::NoSuchCard) => send_error(404, &e.to_string()),
                    Err(e) => send_error(409, &e.to_string()),
                }
            }
            "api/secure" => {
                let Ok(b) = serde_json::from_slice::<SecureBody>(body) else {
                    return send_error(400, "bad request");
                };
                let request = job::Request {
                    ids: b.ids,
                    passphrase: b.passphrase,
                    repeat: b.repeat,
                };
                match job::start(session, request) {
                    Ok(()) => send_json(202, &serde_json::json!({})),
                    Err(e @ StartError::Choice(ActionError::NoSuchCard)) => {
                        send_error(404, &e.to_string())
                    }
                    Err(e) => send_error(409, &e.to_string()),
                }
            }
            "api/done" => {
                if locked(session).job.as_ref().is_some_and(|j| j.running) {
                    return send_error(409, &StartError::Busy.to_string());
                }
                self.done.store(true, Ordering::Relaxed);
                send_json(200, &serde_json::json!({}))
            }
            _ => send_error(404, "not found"),
        }
    }

    /// `thumb/<id>/blurred` or `thumb/<id>/sharp`.
    fn thumbnail(&self, route: &str) -> Response {
        let mut parts = route.split('/').skip(1);
        let (Some(Ok(id)), Some(which), None) = (
            parts.next().map(str::parse::<usize>),
            parts.next(),
            parts.next(),
        ) else {
            return send_error(404, "not found");
        };
        let sharp = match which {
            "sharp" => true,
            "blurred" => false,
            _ => return send_error(404, "not found"),
        };
        let found = {
            let s = locked(&self.session);
            s.cards.get(id).filter(|c| c.securable()).map(|c| {
                (
                    c.thumbs.clone(),
                    c.finding.path.clone(),
                    c.finding.file_type,
                )
            })
        };
        let Some((cached, path, file_type)) = found else {
            return send_error(404, "not found");
        };
        let thumbs = match cached {
            Some(t) => t,
            None => match crate::isolate::per_file(|| thumb::make(&path, file_type)) {
                Ok(Ok(t)) => {
                    let t = Arc::new(t);
                    if let Some(c) = locked(&self.session).cards.get_mut(id) {
                        c.thumbs = Some(Arc::clone(&t));
                    }
                    t
                }
                Ok(Err(e)) => return send_error(404, &e.to_string()),
                Err(_) => return send_error(500, "the preview failed on this file"),
            },
        };
        let bytes = if sharp {
            &thumbs.sharp
        } else {
            &thumbs.blurred
        };
        send(200, "image/jpeg", bytes.clone())
    }
}
