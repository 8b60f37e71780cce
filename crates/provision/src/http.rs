//! The HTTP edge: listeners, TLS handshakes, an axum router that turns requests into
//! [`service::Request`]s for the [`Provisioner`], and its [`Reply`]s into responses.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::routing::any;
use axum::{Extension, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;
use tracing::{debug, info, warn};

use crate::config::ServerConfig;
use crate::error::ProvisionError;
use crate::mac::Mac;
use crate::service::{self, Provisioner, Reply, Target};
use crate::tls::{certificate_macs, server_config};

/// Longest a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest a connection may stay open (a phone fetches three small files).
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(60);
/// Connections served at once; more wait in the listen queue.
const MAX_CONNECTIONS: usize = 1024;

/// A running server: its listeners' addresses; dropping it stops accepting.
pub struct Running {
    https: Vec<SocketAddr>,
    http: Vec<SocketAddr>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// Where HTTPS is served (the actual ports when 0 was asked for).
    pub fn https_addrs(&self) -> &[SocketAddr] {
        &self.https
    }

    /// Where plain HTTP is served.
    pub fn http_addrs(&self) -> &[SocketAddr] {
        &self.http
    }

    /// Runs until a listener fails for good (never, normally).
    pub async fn wait(mut self) {
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// The details of one connection, handed to every request on it.
#[derive(Debug, Clone)]
struct Connection {
    client: SocketAddr,
    certificate_macs: Arc<[Mac]>,
}

/// Loads everything, opens the listeners and serves on the current tokio runtime.
pub async fn start(config: &ServerConfig) -> Result<Running, ProvisionError> {
    let provisioner = Arc::new(Provisioner::new(config, Instant::now())?);
    let server = &config.server;
    let acceptor = match (server.https.is_empty(), &server.tls_cert, &server.tls_key) {
        (false, Some(cert), Some(key)) => {
            Some(TlsAcceptor::from(server_config(cert, key, server.client_ca.as_deref())?))
        }
        _ => None,
    };
    let router = router(Arc::clone(&provisioner), &server.path_prefix);
    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut running = Running { https: Vec::new(), http: Vec::new(), tasks: Vec::new() };
    let listeners =
        server.https.iter().map(|address| (address, acceptor.clone())).chain(server.http.iter().map(|a| (a, None)));
    for (address, tls) in listeners {
        let listener =
            TcpListener::bind(address).await.map_err(|source| ProvisionError::Listen { address: *address, source })?;
        let bound = listener.local_addr().map_err(|source| ProvisionError::Listen { address: *address, source })?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        info!("serving {scheme}://{bound}{}", server.path_prefix);
        if tls.is_some() {
            running.https.push(bound);
        } else {
            running.http.push(bound);
        }
        let task = accept_loop(listener, tls, router.clone(), Arc::clone(&connections));
        running.tasks.push(tokio::spawn(task));
    }
    running.tasks.push(tokio::spawn(provisioner.persist_check_ins()));
    Ok(running)
}

/// The routes, under `prefix` (`/` or `/prov/`).
fn router(provisioner: Arc<Provisioner>, prefix: &str) -> Router {
    let routes = Router::new()
        .route("/common.toml", any(common))
        .route("/model/{file}", any(model))
        .route("/status", any(status_page))
        .route("/status.json", any(status_json))
        .route("/{file}", any(phone_file));
    let routes = if prefix == "/" { routes } else { Router::new().nest(prefix.trim_end_matches('/'), routes) };
    routes.fallback(unknown).with_state(provisioner)
}

type App = State<Arc<Provisioner>>;
type Conn = Extension<Connection>;

async fn common(State(app): App, Extension(conn): Conn, method: Method, headers: HeaderMap) -> Response {
    answer(&app, &conn, &method, &headers, Target::Common).await
}

async fn model(
    State(app): App,
    Extension(conn): Conn,
    method: Method,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Response {
    answer(&app, &conn, &method, &headers, Target::Model(file)).await
}

async fn phone_file(
    State(app): App,
    Extension(conn): Conn,
    method: Method,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Response {
    answer(&app, &conn, &method, &headers, Target::PhoneFile(file)).await
}

async fn status_page(State(app): App, Extension(conn): Conn, method: Method, headers: HeaderMap) -> Response {
    answer(&app, &conn, &method, &headers, Target::StatusPage).await
}

async fn status_json(State(app): App, Extension(conn): Conn, method: Method, headers: HeaderMap) -> Response {
    answer(&app, &conn, &method, &headers, Target::StatusJson).await
}

async fn unknown(State(app): App, Extension(conn): Conn, method: Method, headers: HeaderMap) -> Response {
    answer(&app, &conn, &method, &headers, Target::Unknown).await
}

async fn answer(
    app: &Provisioner,
    conn: &Connection,
    method: &Method,
    headers: &HeaderMap,
    target: Target,
) -> Response {
    // Other methods are answered by the provisioner too, so that they count for the rate limit.
    let target = if method == Method::GET || method == Method::HEAD { target } else { Target::OtherMethod };
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let request = service::Request {
        target,
        client: conn.client,
        authorization: header("authorization"),
        certificate_macs: &conn.certificate_macs,
        user_agent: header("user-agent"),
        config_hash: header("x-hardphone-config-hash"),
    };
    let unix_now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs());
    into_response(app.handle(request, Instant::now(), unix_now).await)
}

fn into_response(reply: Reply) -> Response {
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(reply.content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for (name, value) in reply.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    response
}

async fn accept_loop(listener: TcpListener, tls: Option<TlsAcceptor>, router: Router, connections: Arc<Semaphore>) {
    loop {
        let Ok(permit) = Arc::clone(&connections).acquire_owned().await else {
            return;
        };
        let (stream, client) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(problem) => {
                // Out of file descriptors, say: wait rather than spin.
                warn!(%problem, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let (tls, router) = (tls.clone(), router.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let Some(acceptor) = tls else {
                let connection = Connection { client, certificate_macs: Arc::from([]) };
                return serve_connection(stream, connection, router).await;
            };
            let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(problem)) => return debug!(%client, %problem, "TLS handshake failed"),
                Err(_) => return debug!(%client, "TLS handshake timed out"),
            };
            let peer = stream.get_ref().1.peer_certificates().and_then(|chain| chain.first());
            let macs = peer.map(certificate_macs).unwrap_or_default();
            let connection = Connection { client, certificate_macs: macs.into() };
            serve_connection(stream, connection, router).await;
        });
    }
}

async fn serve_connection<S>(stream: S, connection: Connection, router: Router)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let client = connection.client;
    let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(connection.clone());
        router.clone().oneshot(request)
    });
    let serving = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HANDSHAKE_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service);
    match tokio::time::timeout(CONNECTION_TIMEOUT, serving).await {
        Ok(Ok(())) => {}
        Ok(Err(problem)) => debug!(%client, %problem, "connection ended with an error"),
        Err(_) => debug!(%client, "connection closed after {CONNECTION_TIMEOUT:?}"),
    }
}
