//! The HTTP side of the review page, on `tiny_http`, hardened like Jupyter's token-in-URL
//! servers:
//!
//! - bound to 127.0.0.1 only, on a port the OS picks;
//! - every path starts with a 256-bit random token, compared in constant time; anything else
//!   gets 404;
//! - the `Host` header must name 127.0.0.1 or localhost at our port (DNS rebinding);
//! - state-changing requests are POSTs with a JSON body, an `Origin` of our own and, where the
//!   browser sends it, `Sec-Fetch-Site: same-origin` (cross-site request forgery);
//! - every response carries a strict Content-Security-Policy (no inline script, nothing from
//!   outside), `Cache-Control: no-store`, `Referrer-Policy: no-referrer`, `nosniff` and
//!   frame denial.
//!
//! Requests are handled on a few threads; the caller's thread watches for the end: the page's
//! "Done", an idle timeout, or a signal.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use tiny_http::{Header, Method, Request, Response};
use zeroize::Zeroizing;

use super::job::{self, StartError};
use super::session::{ActionError, Session};
use super::thumb;
use crate::i18n::{Catalog, Lang};

const INDEX_HTML: &str = include_str!("../../assets/review/index.html");
const APP_JS: &str = include_str!("../../assets/review/app.js");
const APP_CSS: &str = include_str!("../../assets/review/app.css");
const ICON_SVG: &str = include_str!("../../assets/review/icon.svg");

/// Request bodies are a list of ids and a passphrase at most.
const MAX_BODY: u64 = 64 * 1024;
/// How often the watcher and the request threads look at the stop conditions.
const TICK: Duration = Duration::from_millis(200);

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Why the server stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The page said "Done".
    Done,
    /// No request for the idle time.
    Idle,
    /// SIGINT or SIGTERM.
    Signal,
}

/// A bound, not yet running review server.
pub struct Server {
    http: tiny_http::Server,
    token: String,
    port: u16,
    session: Arc<Mutex<Session>>,
}

/// Shared between the request threads and the watcher.
struct Shared<'a> {
    server: &'a Server,
    done: AtomicBool,
    stop: AtomicBool,
    last_request: Mutex<Instant>,
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Server {
    /// Binds 127.0.0.1 on a free port and draws the token.
    pub fn bind(session: Session) -> std::io::Result<Server> {
        let http = tiny_http::Server::http("127.0.0.1:0").map_err(std::io::Error::other)?;
        let port = http
            .server_addr()
            .to_ip()
            .map(|a| a.port())
            .ok_or_else(|| std::io::Error::other("no TCP port"))?;
        Ok(Server {
            http,
            token: crate::fsutil::random_hex(32),
            port,
            session: Arc::new(Mutex::new(session)),
        })
    }

    /// The page's address, token included.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/{}/", self.port, self.token)
    }

    /// Findings the page chose to secure that could not be secured.
    pub fn failed(&self) -> usize {
        locked(&self.session).failed()
    }

    /// Serves until the page says "Done", nothing was asked for `idle`, or `signal` is set. A
    /// running job is always let finish (it takes seconds per file); a second signal ends the
    /// process at once, which the pipeline is built to survive.
    pub fn run(&self, signal: &AtomicBool) -> Stop {
        let idle = locked(&self.session).opts.idle;
        let shared = Shared {
            server: self,
            done: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            last_request: Mutex::new(Instant::now()),
        };
        let workers = thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4));
        thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| {
                    while !shared.stop.load(Ordering::Relaxed) {
                        if let Ok(Some(req)) = self.http.recv_timeout(TICK) {
                            *locked(&shared.last_request) = Instant::now();
                            shared.handle(req);
                        }
                    }
                });
            }
            let why = loop {
                thread::sleep(TICK);
                let running = locked(&self.session)
                    .job
                    .as_ref()
                    .is_some_and(|j| j.running);
                if running {
                    continue;
                }
                if signal.load(Ordering::Relaxed) {
                    break Stop::Signal;
                }
                if shared.done.load(Ordering::Relaxed) {
                    break Stop::Done;
                }
                if locked(&shared.last_request).elapsed() >= idle {
                    break Stop::Idle;
                }
            };
            shared.stop.store(true, Ordering::Relaxed);
            why
        })
    }
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("static header is valid")
}

fn request_header<'r>(req: &'r Request, name: &'static str) -> Option<&'r str> {
    req.headers()
        .iter()
        .find(|h| h.field.equiv(name))
        .map(|h| h.value.as_str())
}

/// Sends `body` with the headers every response carries.
fn send(req: Request, status: u16, content_type: &str, body: Vec<u8>) {
    let mut resp = Response::from_data(body).with_status_code(status);
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
        resp.add_header(header(n, v));
    }
    // The client may have gone; nothing to do about it.
    let _ = req.respond(resp);
}

fn send_json(req: Request, status: u16, value: &impl Serialize) {
    send(
        req,
        status,
        "application/json",
        serde_json::to_vec(value).unwrap_or_default(),
    );
}

/// The body of every refused request: `{"error": "…"}`.
#[derive(Serialize)]
struct ErrorJson<'a> {
    error: &'a str,
}

fn send_error(req: Request, status: u16, message: &str) {
    send_json(req, status, &ErrorJson { error: message });
}

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
/// only). The request body it came from is zeroed after parsing.
fn secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    Ok(s.map(SecretString::from))
}

impl Shared<'_> {
    fn handle(&self, mut req: Request) {
        let server = self.server;
        if !self.host_ok(&req) {
            return send_error(req, 421, "wrong host");
        }
        let url = req.url().to_string();
        let path = url.split(['?', '#']).next().unwrap_or_default();
        let Some(rest) = path.strip_prefix('/') else {
            return send_error(req, 404, "not found");
        };
        let (token, route) = rest.split_once('/').unwrap_or((rest, ""));
        let token_ok: bool = token.as_bytes().ct_eq(server.token.as_bytes()).into();
        if !token_ok {
            return send_error(req, 404, "not found");
        }
        if !path.ends_with('/') && route.is_empty() {
            let mut resp = Response::empty(308);
            resp.add_header(header("Location", &format!("/{}/", server.token)));
            let _ = req.respond(resp);
            return;
        }
        // A page elsewhere must not load or embed our resources, even knowing the token.
        if let Some(site) = request_header(&req, "Sec-Fetch-Site")
            && site != "same-origin"
            && site != "none"
        {
            return send_error(req, 403, "cross-site request refused");
        }
        match (req.method().clone(), route) {
            (Method::Get, "") => send(req, 200, "text/html; charset=utf-8", INDEX_HTML.into()),
            (Method::Get, "app.js") => {
                send(req, 200, "text/javascript; charset=utf-8", APP_JS.into())
            }
            (Method::Get, "icon.svg") => send(req, 200, "image/svg+xml", ICON_SVG.into()),
            (Method::Get, "app.css") => send(req, 200, "text/css; charset=utf-8", APP_CSS.into()),
            (Method::Get, "api/state") => {
                let lang = Lang::negotiate(request_header(&req, "Accept-Language").unwrap_or(""));
                send_json(req, 200, &locked(&server.session).state(lang.tag()));
            }
            (Method::Get, "api/messages") => {
                let c = Catalog::get_or_load();
                let all: BTreeMap<&str, _> = Lang::ALL
                    .iter()
                    .map(|&l| (l.tag(), c.messages(l)))
                    .collect();
                send_json(req, 200, &all);
            }
            (Method::Get, r) if r.starts_with("thumb/") => self.thumbnail(req, r),
            (Method::Post, r) => {
                if !self.post_ok(&req) {
                    return send_error(req, 403, "cross-origin request refused");
                }
                let mut body = Zeroizing::new(Vec::new());
                if req
                    .as_reader()
                    .take(MAX_BODY)
                    .read_to_end(&mut body)
                    .is_err()
                {
                    return send_error(req, 400, "unreadable body");
                }
                self.post(req, r, &body);
            }
            _ => send_error(req, 404, "not found"),
        }
    }

    /// `Host` names our own loopback address and port (a rebound DNS name does not).
    fn host_ok(&self, req: &Request) -> bool {
        let port = self.server.port;
        request_header(req, "Host")
            .is_some_and(|h| h == format!("127.0.0.1:{port}") || h == format!("localhost:{port}"))
    }

    /// A POST comes from our own page: its `Origin` is ours and its body is JSON (which a
    /// cross-origin form cannot send without a preflight we never answer).
    fn post_ok(&self, req: &Request) -> bool {
        let port = self.server.port;
        let origin_ok = request_header(req, "Origin").is_some_and(|o| {
            o == format!("http://127.0.0.1:{port}") || o == format!("http://localhost:{port}")
        });
        let json = request_header(req, "Content-Type")
            .is_some_and(|c| c.split(';').next() == Some("application/json"));
        origin_ok && json
    }

    fn post(&self, req: Request, route: &str, body: &[u8]) {
        let session = &self.server.session;
        match route {
            "api/dismiss" => {
                let Ok(b) = serde_json::from_slice::<DismissBody>(body) else {
                    return send_error(req, 400, "bad request");
                };
                match locked(session).set_dismissed(b.id, b.dismissed) {
                    Ok(()) => send_json(req, 200, &serde_json::json!({})),
                    Err(e @ ActionError::NoSuchCard) => send_error(req, 404, &e.to_string()),
                    Err(e) => send_error(req, 409, &e.to_string()),
                }
            }
            "api/secure" => {
                let Ok(b) = serde_json::from_slice::<SecureBody>(body) else {
                    return send_error(req, 400, "bad request");
                };
                let request = job::Request {
                    ids: b.ids,
                    passphrase: b.passphrase,
                    repeat: b.repeat,
                };
                match job::start(session, request) {
                    Ok(()) => send_json(req, 202, &serde_json::json!({})),
                    Err(e @ StartError::Choice(ActionError::NoSuchCard)) => {
                        send_error(req, 404, &e.to_string())
                    }
                    Err(e) => send_error(req, 409, &e.to_string()),
                }
            }
            "api/done" => {
                if locked(session).job.as_ref().is_some_and(|j| j.running) {
                    return send_error(req, 409, &StartError::Busy.to_string());
                }
                self.done.store(true, Ordering::Relaxed);
                send_json(req, 200, &serde_json::json!({}));
            }
            _ => send_error(req, 404, "not found"),
        }
    }

    /// `thumb/<id>/blurred` or `thumb/<id>/sharp`.
    fn thumbnail(&self, req: Request, route: &str) {
        let mut parts = route.split('/').skip(1);
        let (Some(Ok(id)), Some(which), None) = (
            parts.next().map(str::parse::<usize>),
            parts.next(),
            parts.next(),
        ) else {
            return send_error(req, 404, "not found");
        };
        let sharp = match which {
            "sharp" => true,
            "blurred" => false,
            _ => return send_error(req, 404, "not found"),
        };
        let found = {
            let s = locked(&self.server.session);
            s.cards.get(id).filter(|c| c.securable()).map(|c| {
                (
                    c.thumbs.clone(),
                    c.finding.path.clone(),
                    c.finding.file_type,
                )
            })
        };
        let Some((cached, path, file_type)) = found else {
            return send_error(req, 404, "not found");
        };
        let thumbs = match cached {
            Some(t) => t,
            None => match crate::isolate::per_file(|| thumb::make(&path, file_type)) {
                Ok(Ok(t)) => {
                    let t = Arc::new(t);
                    if let Some(c) = locked(&self.server.session).cards.get_mut(id) {
                        c.thumbs = Some(Arc::clone(&t));
                    }
                    t
                }
                Ok(Err(e)) => return send_error(req, 404, &e.to_string()),
                Err(_) => return send_error(req, 500, "the preview failed on this file"),
            },
        };
        let bytes = if sharp {
            &thumbs.sharp
        } else {
            &thumbs.blurred
        };
        send(req, 200, "image/jpeg", bytes.clone());
    }
}
