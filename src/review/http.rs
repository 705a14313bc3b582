//! The review page's HTTP/1.1 server: `std::net`, `poll(2)` (rustix) and `httparse`, with every
//! wait bounded.
//!
//! Why by hand: tiny_http 0.12, used before, ends its accept loop at the first accept error, so
//! a few hundred idle connections from another account (EMFILE) stopped the page for good; it
//! also gives every connection a thread of its own, and reads with no deadline. rouille is built
//! on it; hyper or axum bring tokio and some sixty crates to build on a 2-core machine, for a
//! server with a handful of routes and one user. What the page needs is small, and is all here:
//!
//! - One thread polls the listener and every connection that has not yet sent a whole request,
//!   reading without blocking: an idle or slow client costs a buffer, never a thread.
//! - At most [`MAX_PENDING`] such connections; one more evicts the oldest. Each has
//!   [`REQUEST_TIME`] to send its request, then is closed.
//! - Accept errors never end the loop: out of descriptors (EMFILE, ENFILE), the oldest pending
//!   connection is closed to make room and accepting is tried again on the next round; any
//!   other error is retried on the next round too.
//! - Whole requests go through a bounded queue to [`WORKERS`] threads (a full queue gets 503 at
//!   once). A worker answers one request and closes the connection (`Connection: close`),
//!   writing with a timeout; a panic in the handler is a 500, not a lost worker.
//! - Request bytes (a body may hold the vault passphrase) live only in buffers zeroed on drop.

use std::collections::VecDeque;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{TrySendError, bounded};
use rustix::event::{PollFd, PollFlags, Timespec, poll};
use zeroize::Zeroizing;

/// Request bodies are a list of ids and a passphrase at most.
const MAX_BODY: usize = 64 * 1024;
/// The request line and headers.
const MAX_HEAD: usize = 8 * 1024;
const MAX_HEADERS: usize = 48;
/// Connections still sending their request; one more closes the oldest.
const MAX_PENDING: usize = 256;
/// How long a connection may take to send its whole request.
const REQUEST_TIME: Duration = Duration::from_secs(10);
/// How long writing an answer may block.
const WRITE_TIME: Duration = Duration::from_secs(10);
/// Threads answering requests (thumbnails take up to a second or two each).
const WORKERS: usize = 4;
/// Whole requests waiting for a worker.
const QUEUE: usize = 32;
/// How often the polling thread looks at the stop flag.
const TICK: Duration = Duration::from_millis(200);

/// One request, read whole.
pub struct Request {
    pub method: String,
    /// The request target as sent (`/token/route?query`).
    pub path: String,
    headers: Vec<(String, String)>,
    /// Zeroed on drop: it may hold a passphrase.
    pub body: Zeroizing<Vec<u8>>,
}

impl Request {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers_named(name).next()
    }

    /// Every header named `name` (case-insensitive), in order.
    pub fn headers_named<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + use<'a> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(&name))
            .map(|(_, v)| v.as_str())
    }
}

/// An answer; always sent with `Content-Length` and `Connection: close`.
pub struct Response {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16, body: Vec<u8>) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body,
        }
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Response {
        self.headers.push((name, value.into()));
        self
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (n, v) in &self.headers {
            out.push_str(&format!("{n}: {v}\r\n"));
        }
        out.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.body.len()
        ));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        413 => "Content Too Large",
        421 => "Misdirected Request",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// Serves `listener` (already non-blocking) with `handle` until `stop` is set; answers already
/// queued are still given.
pub fn serve(
    listener: &TcpListener,
    stop: &AtomicBool,
    handle: &(dyn Fn(Request) -> Response + Sync),
) {
    let (tx, rx) = bounded::<(TcpStream, Request)>(QUEUE);
    thread::scope(|s| {
        for _ in 0..WORKERS {
            let rx = rx.clone();
            s.spawn(move || {
                for (stream, req) in rx {
                    let resp = catch_unwind(AssertUnwindSafe(|| handle(req)))
                        .unwrap_or_else(|_| Response::new(500, b"internal error".to_vec()));
                    answer(stream, &resp);
                }
            });
        }
        // Owns the sending side: when the loop ends it is dropped, and the workers end once
        // the queue is empty.
        let mut dispatch = move |stream, req| match tx.try_send((stream, req)) {
            Ok(()) => {}
            Err(TrySendError::Full((stream, _))) => refuse(stream, 503),
            Err(TrySendError::Disconnected(_)) => {}
        };
        let mut pending = VecDeque::new();
        while !stop.load(Ordering::Relaxed) {
            round(listener, &mut pending, &mut dispatch);
        }
    });
}

/// A connection still sending its request.
struct Conn {
    stream: TcpStream,
    buf: Zeroizing<Vec<u8>>,
    since: Instant,
}

/// What reading a connection came to.
enum Got {
    More,
    Done(Request),
    Closed,
    Refuse(u16),
}

/// One poll of the listener and the pending connections.
fn round(
    listener: &TcpListener,
    pending: &mut VecDeque<Conn>,
    dispatch: &mut dyn FnMut(TcpStream, Request),
) {
    let (listener_ready, ready) = {
        let mut fds = Vec::with_capacity(pending.len() + 1);
        fds.push(PollFd::new(listener, PollFlags::IN));
        fds.extend(
            pending
                .iter()
                .map(|c| PollFd::new(&c.stream, PollFlags::IN)),
        );
        let timeout = Timespec {
            tv_sec: 0,
            tv_nsec: TICK.as_nanos() as _,
        };
        if poll(&mut fds, Some(&timeout)).is_err() {
            // EINTR, or ENOMEM: nothing is lost by trying again shortly.
            thread::sleep(Duration::from_millis(20));
            return;
        }
        let ready: Vec<bool> = fds[1..].iter().map(|f| !f.revents().is_empty()).collect();
        (!fds[0].revents().is_empty(), ready)
    };
    let now = Instant::now();
    let mut kept = VecDeque::with_capacity(pending.len());
    for (mut conn, ready) in pending.drain(..).zip(ready) {
        if !ready {
            if now.duration_since(conn.since) < REQUEST_TIME {
                kept.push_back(conn);
            }
            continue;
        }
        match conn.read() {
            Got::More if now.duration_since(conn.since) < REQUEST_TIME => kept.push_back(conn),
            Got::More | Got::Closed => {}
            Got::Done(req) => dispatch(conn.stream, req),
            Got::Refuse(status) => refuse(conn.stream, status),
        }
    }
    *pending = kept;
    if listener_ready {
        accept_all(listener, pending, now);
    }
}

/// Accepts every waiting connection. Never gives up: errors are retried on the next round.
fn accept_all(listener: &TcpListener, pending: &mut VecDeque<Conn>, now: Instant) {
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                if stream.set_nonblocking(true).is_err() {
                    continue;
                }
                if pending.len() >= MAX_PENDING {
                    pending.pop_front();
                }
                pending.push_back(Conn {
                    stream,
                    buf: Zeroizing::new(Vec::with_capacity(MAX_HEAD)),
                    since: now,
                });
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                let out_of_fds = matches!(
                    e.raw_os_error(),
                    Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
                );
                // Make room by closing the oldest client still sending; with none to close,
                // wait a little rather than spin on a listener that stays readable.
                if !(out_of_fds && pending.pop_front().is_some()) {
                    thread::sleep(Duration::from_millis(50));
                }
                return;
            }
        }
    }
}

impl Conn {
    /// Reads what has arrived, without blocking.
    fn read(&mut self) -> Got {
        loop {
            let len = self.buf.len();
            if len == self.buf.capacity() {
                return Got::Refuse(431);
            }
            let cap = self.buf.capacity();
            // Within capacity: no reallocation leaves a copy behind.
            self.buf.resize(cap, 0);
            let got = self.stream.read(&mut self.buf[len..]);
            self.buf.truncate(len + *got.as_ref().unwrap_or(&0));
            match got {
                Ok(0) => return Got::Closed,
                Ok(_) => match self.parse() {
                    Got::More => {}
                    other => return other,
                },
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Got::More,
                Err(_) => return Got::Closed,
            }
        }
    }

    fn parse(&mut self) -> Got {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut headers);
        let head = match req.parse(&self.buf) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) if self.buf.len() < MAX_HEAD => return Got::More,
            Ok(httparse::Status::Partial) => return Got::Refuse(431),
            Err(_) => return Got::Refuse(400),
        };
        let header = |name: &str| {
            req.headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| h.value)
        };
        if header("Transfer-Encoding").is_some() {
            return Got::Refuse(501);
        }
        let body_len = match header("Content-Length") {
            None => 0,
            Some(v) => match std::str::from_utf8(v)
                .ok()
                .and_then(|v| v.trim().parse().ok())
            {
                Some(n) if n <= MAX_BODY => n,
                Some(_) => return Got::Refuse(413),
                None => return Got::Refuse(400),
            },
        };
        let whole = head + body_len;
        if self.buf.len() < whole {
            if self.buf.capacity() < whole {
                // Grown into a new zeroed-on-drop buffer; the old one is zeroed as it goes.
                let mut bigger = Zeroizing::new(Vec::with_capacity(whole));
                bigger.extend_from_slice(&self.buf);
                self.buf = bigger;
            }
            return Got::More;
        }
        let mut body = Zeroizing::new(Vec::with_capacity(body_len));
        body.extend_from_slice(&self.buf[head..whole]);
        Got::Done(Request {
            method: req.method.unwrap_or_default().to_string(),
            path: req.path.unwrap_or_default().to_string(),
            headers: req
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.to_string(),
                        String::from_utf8_lossy(h.value).into_owned(),
                    )
                })
                .collect(),
            body,
        })
    }
}

/// Writes `resp` and closes the connection.
fn answer(stream: TcpStream, resp: &Response) {
    let sent = (|| -> io::Result<()> {
        stream.set_nonblocking(false)?;
        stream.set_write_timeout(Some(WRITE_TIME))?;
        (&stream).write_all(&resp.to_bytes())?;
        stream.shutdown(Shutdown::Write)
    })();
    // The client may have gone; nothing to do about it.
    drop(sent);
}

/// A bodiless error answer from the polling thread, never blocking it: what the socket takes
/// at once is all that is sent.
fn refuse(stream: TcpStream, status: u16) {
    let _ = (&stream).write(&Response::new(status, Vec::new()).to_bytes());
    let _ = stream.shutdown(Shutdown::Write);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;
    use std::sync::atomic::AtomicUsize;

    fn start(handled: &AtomicUsize) -> (SocketAddr, impl Fn(Request) -> Response + Sync + '_) {
        let handler = move |req: Request| {
            handled.fetch_add(1, Ordering::Relaxed);
            Response::new(
                200,
                format!("{} {} {}", req.method, req.path, req.body.len()).into_bytes(),
            )
        };
        (SocketAddr::from(([127, 0, 0, 1], 0)), handler)
    }

    fn get(addr: SocketAddr, raw: &[u8]) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(raw).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn requests_in_pieces_oversized_and_malformed_ones_get_the_right_answer() {
        let handled = AtomicUsize::new(0);
        let (addr, handler) = start(&handled);
        let listener = TcpListener::bind(addr).unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = AtomicBool::new(false);
        thread::scope(|s| {
            s.spawn(|| serve(&listener, &stop, &handler));
            // Sent in two pieces, with a body.
            let mut c = TcpStream::connect(addr).unwrap();
            c.write_all(b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Le")
                .unwrap();
            thread::sleep(Duration::from_millis(300));
            c.write_all(b"ngth: 5\r\n\r\nhel").unwrap();
            thread::sleep(Duration::from_millis(300));
            c.write_all(b"lo").unwrap();
            let mut out = String::new();
            c.read_to_string(&mut out).unwrap();
            assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
            assert!(out.contains("Connection: close\r\n"), "{out}");
            assert!(out.ends_with("POST /a 5"), "{out}");

            let big = format!(
                "POST /b HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
                MAX_BODY + 1
            );
            assert!(get(addr, big.as_bytes()).starts_with("HTTP/1.1 413"));
            let long = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(MAX_HEAD));
            assert!(get(addr, long.as_bytes()).starts_with("HTTP/1.1 431"));
            assert!(get(addr, b"\x00\x01 nonsense\r\n\r\n").starts_with("HTTP/1.1 400"));
            let chunked = b"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
            assert!(get(addr, chunked).starts_with("HTTP/1.1 501"));
            stop.store(true, Ordering::Relaxed);
        });
        assert_eq!(handled.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_request_is_served_past_more_idle_connections_than_are_kept() {
        let handled = AtomicUsize::new(0);
        let (addr, handler) = start(&handled);
        let listener = TcpListener::bind(addr).unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = AtomicBool::new(false);
        thread::scope(|s| {
            s.spawn(|| serve(&listener, &stop, &handler));
            let idle: Vec<TcpStream> = (0..MAX_PENDING + 50)
                .map(|_| TcpStream::connect(addr).unwrap())
                .collect();
            let out = get(addr, b"GET /real HTTP/1.1\r\n\r\n");
            assert!(out.ends_with("GET /real 0"), "{out}");
            drop(idle);
            stop.store(true, Ordering::Relaxed);
        });
    }
}
