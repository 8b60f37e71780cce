//! A provisioning file server for the tests: HTTP or HTTPS (rustls, optionally requiring a
//! client certificate) on 127.0.0.1, serving files the test sets and changes while it runs,
//! recording every request with its header fields. Runs on its own thread, stopped when dropped.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The request target (`/prov/common.toml`).
    pub path: String,
    /// The header fields, names in lower case.
    pub headers: Vec<(String, String)>,
}

impl Seen {
    /// The value of header field `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    /// Path → (status, body); a path not here is a 404.
    files: HashMap<String, (u16, String)>,
    requests: Vec<Seen>,
    /// The `Authorization` value required, if any (else 401).
    authorization: Option<String>,
}

/// The server; see the module documentation.
pub struct FileServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    tls: bool,
    state: Arc<Mutex<State>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The base path of the files.
pub const BASE: &str = "/prov/";

impl FileServer {
    /// Starts a server: plain HTTP, or HTTPS with `tls`.
    pub fn start(tls: Option<Arc<rustls::ServerConfig>>) -> FileServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let state = Arc::new(Mutex::new(State::default()));
        let (stop, stop_rx) = tokio::sync::oneshot::channel();
        let shared = state.clone();
        let is_tls = tls.is_some();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                tokio::select! {
                    _ = accept_loop(listener, tls, shared) => {}
                    _ = stop_rx => {}
                }
            });
        });
        FileServer { port, tls: is_tls, state, stop: Some(stop), thread: Some(thread) }
    }

    /// The base URL, written without its final `/` (the phone adds it).
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}{}", self.port, BASE.trim_end_matches('/'))
    }

    /// Serves `body` with 200 at `BASE` + `file`.
    pub fn put(&self, file: &str, body: &str) {
        self.set(file, 200, body);
    }

    /// Answers `status` with `body` at `BASE` + `file`.
    pub fn set(&self, file: &str, status: u16, body: &str) {
        self.state.lock().unwrap().files.insert(format!("{BASE}{file}"), (status, body.to_owned()));
    }

    /// Answers 404 at `BASE` + `file`.
    pub fn remove(&self, file: &str) {
        self.state.lock().unwrap().files.remove(&format!("{BASE}{file}"));
    }

    /// Requires this `Authorization` header value (401 without it).
    pub fn require_authorization(&self, value: &str) {
        self.state.lock().unwrap().authorization = Some(value.to_owned());
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Seen> {
        self.state.lock().unwrap().requests.clone()
    }

    /// The requests so far for `BASE` + `file`.
    pub fn requests_for(&self, file: &str) -> Vec<Seen> {
        let path = format!("{BASE}{file}");
        self.requests().into_iter().filter(|r| r.path == path).collect()
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    state: Arc<Mutex<State>>,
) {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let state = state.clone();
        match &acceptor {
            None => {
                tokio::spawn(serve(stream, state));
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if let Ok(Ok(stream)) = tokio::time::timeout(Duration::from_secs(5), acceptor.accept(stream)).await
                    {
                        serve(stream, state).await;
                    }
                });
            }
        }
    }
}

/// Reads one request and answers it, then closes.
async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, state: Arc<Mutex<State>>) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buffer.windows(4).any(|w| w == b"\r\n\r\n") && buffer.len() < 16384 {
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buffer.extend_from_slice(&chunk[..n]),
            _ => return,
        }
    }
    let text = String::from_utf8_lossy(&buffer).into_owned();
    let mut lines = text.split("\r\n");
    let path = lines.next().unwrap_or_default().split(' ').nth(1).unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let seen = Seen { path: path.clone(), headers };
    let (status, body) = {
        let mut state = state.lock().unwrap();
        let authorized = state.authorization.as_deref().is_none_or(|want| seen.header("authorization") == Some(want));
        state.requests.push(seen);
        match state.files.get(&path) {
            _ if !authorized => (401, String::new()),
            Some((status, body)) => (*status, body.clone()),
            None => (404, String::new()),
        }
    };
    let reason = match status {
        200 => "OK",
        401 => "Unauthorized",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Other",
    };
    let response =
        format!("HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}
