//! The HTTP/1.1 side: hyper connections, bounded in number, time and body size, each request
//! decoded, routed and answered by [`super::handler`].

use std::convert::Infallible;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tracing::{debug, warn};

use super::handler::{handle, Method, Reply};
use super::router::{decode_path, route, Route};
use crate::queue::DriverQueue;
use crate::store::Persistence;

/// The server's bounds.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest create body read; larger ones are refused with 413 before being read.
    pub max_body_bytes: usize,
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// Time allowed for a request's headers, and idle time between keep-alive requests.
    pub header_timeout: Duration,
    /// Time a reply waits for its change to be stored before it goes out anyway (spark-submit
    /// gives up after 10 s).
    pub store_wait: Duration,
    /// Time allowed for reading a create body.
    pub body_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            // spark-submit posts a few KiB (its whole SparkConf); 1 MiB leaves ample room.
            max_body_bytes: 1 << 20,
            max_connections: 64,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            store_wait: Duration::from_secs(5),
        }
    }
}

/// Serves the REST API on `listener` until `shutdown` completes. Every reply that changed the
/// queue is sent once `persistence` stored the change.
pub async fn serve(
    listener: TcpListener,
    queue: Arc<Mutex<DriverQueue>>,
    persistence: Persistence,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let limits = Arc::new(limits);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => return Ok(()),
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => return Ok(()),
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors and the like: back off instead of spinning.
                    warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let queue = Arc::clone(&queue);
        let persistence = persistence.clone();
        let limits = Arc::clone(&limits);
        let header_timeout = limits.header_timeout;
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                answer(Arc::clone(&queue), persistence.clone(), Arc::clone(&limits), req)
            });
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .max_buf_size(64 * 1024)
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = conn.await {
                debug!(%peer, error = %e, "connection ended");
            }
            drop(permit);
        });
    }
}

async fn answer(
    queue: Arc<Mutex<DriverQueue>>,
    persistence: Persistence,
    limits: Arc<Limits>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let reply = reply(&queue, &persistence, &limits, req).await;
    Ok(to_response(reply))
}

async fn reply(
    queue: &Mutex<DriverQueue>,
    persistence: &Persistence,
    limits: &Limits,
    req: Request<Incoming>,
) -> Reply {
    let Some(path) = decode_path(req.uri().path()) else {
        return Reply::error(
            400,
            "Malformed request: the path has a malformed percent-escape or is not UTF-8",
        );
    };
    let method_name = req.method().as_str().to_owned();
    let method = match *req.method() {
        hyper::Method::GET => Method::Get,
        hyper::Method::HEAD => Method::Head,
        hyper::Method::POST => Method::Post,
        _ => Method::Other(&method_name),
    };
    let route = route(&path);
    let body = if route == Route::Create && method == Method::Post {
        match read_body(req, limits).await {
            Ok(body) => body,
            Err(reply) => return reply,
        }
    } else {
        // Kill and status ignore bodies, as Spark's servlets do.
        Bytes::new()
    };
    let (reply, synced) = {
        let mut queue = match queue.lock() {
            Ok(queue) => queue,
            Err(poisoned) => poisoned.into_inner(),
        };
        let reply = handle(&mut queue, route, method, &path, &body, SystemTime::now());
        (reply, persistence.sync(&mut queue))
    };
    // The client learns of a submission or kill only once it survives a restart. If the
    // store fails or hangs, the reply still goes out: the change lives in memory, and the
    // writer logs the failure and retries.
    match tokio::time::timeout(limits.store_wait, synced.stored()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => warn!(error = %e, "replying before the change is stored"),
        Err(_) => warn!(wait = ?limits.store_wait, "replying before the change is stored"),
    }
    reply
}

fn too_large(limit: usize) -> Reply {
    Reply::error(
        413,
        format!("Malformed request: the request body is larger than this dispatcher's limit of {limit} bytes"),
    )
}

async fn read_body(req: Request<Incoming>, limits: &Limits) -> Result<Bytes, Reply> {
    let limit = limits.max_body_bytes;
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    let collect = Limited::new(req.into_body(), limit).collect();
    match tokio::time::timeout(limits.body_timeout, collect).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
            Err(too_large(limit))
        }
        Ok(Err(e)) => {
            Err(Reply::error(400, format!("Malformed request: reading the body failed: {e}")))
        }
        Err(_) => Err(Reply::error(
            408,
            format!(
                "Malformed request: the body did not arrive within {} s",
                limits.body_timeout.as_secs()
            ),
        )),
    }
}

fn to_response(reply: Reply) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(reply.body)));
    *response.status_mut() = hyper::StatusCode::from_u16(reply.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(content_type) = reply.content_type {
        response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    response
}
