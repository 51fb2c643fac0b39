//! The master's HTTP/1.1 side: the accept loop, the transport rules of
//! `/api/v1/scheduler` that need no decoded call (leader, recovery, method, content types),
//! and the never-ending chunked body that carries a SUBSCRIBE stream.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Body, Frame, Incoming};
use hyper::header::{HeaderValue, ACCEPT, CONTENT_TYPE, LOCATION};
use hyper::{Method, Request, Response, StatusCode};
use mesos::json::ContentType;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Semaphore};

/// The scheduler API's path (also served under `/master`, as Mesos does).
pub const SCHEDULER_PATH: &str = "/api/v1/scheduler";
/// The header naming a SUBSCRIBE stream.
pub const STREAM_ID: &str = "Mesos-Stream-Id";
/// `application/json`.
pub const JSON: &str = "application/json";
/// `application/x-protobuf`.
pub const PROTOBUF: &str = "application/x-protobuf";

/// Connections served at once; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 256;
/// The largest call body accepted (a LAUNCH of many tasks fits easily).
const MAX_BODY: usize = 4 << 20;
/// How long a request's headers, and then its body, may take to arrive.
const READ_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// A request to the scheduler API that passed the transport rules.
#[derive(Debug)]
pub struct ApiRequest {
    /// How the body is encoded.
    pub content_type: ContentType,
    /// The encoding the client accepts for a stream, or `None` when it accepts neither (406,
    /// but only for SUBSCRIBE).
    pub accept: Option<ContentType>,
    /// The `Mesos-Stream-Id` header.
    pub stream_id: Option<String>,
    /// The encoded call.
    pub body: Bytes,
}

/// What the master is, as far as the transport rules care.
#[derive(Debug, Clone, Copy)]
pub enum Leadership {
    /// The leading master, serving calls.
    Leading,
    /// Not the leader: redirect to this one.
    RedirectTo(SocketAddr),
    /// Recovering (or leaderless): 503.
    Unavailable,
}

/// The response body: a fixed one, or a SUBSCRIBE stream.
pub type ApiBody = http_body_util::Either<Full<Bytes>, EventBody>;

/// Handles calls that passed the transport rules.
pub trait Api: Send + Sync + 'static {
    /// The current leadership, checked before anything else.
    fn leadership(&self) -> Leadership;
    /// Decodes and applies one call.
    fn call(&self, request: ApiRequest) -> Response<ApiBody>;
}

/// A plain response with a text body, as Mesos answers errors.
pub fn plain(status: StatusCode, text: impl Into<Bytes>) -> Response<ApiBody> {
    let mut response = Response::new(http_body_util::Either::Left(Full::new(text.into())));
    *response.status_mut() = status;
    response
}

/// Serves `api` on `listener` until the returned task is aborted.
pub async fn serve(listener: TcpListener, api: Arc<dyn Api>) {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = permits.clone().acquire_owned().await else { return };
        let (stream, _peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let api = api.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let api = api.clone();
                async move { Ok::<_, Infallible>(handle(api.as_ref(), req).await) }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(READ_LIMIT);
            if let Err(e) = builder.serve_connection(io, service).await {
                tracing::debug!(error = %e, "connection ended");
            }
            drop(permit);
        });
    }
}

/// The transport rules in the order Mesos's master checks them.
async fn handle(api: &dyn Api, req: Request<Incoming>) -> Response<ApiBody> {
    let path = req.uri().path();
    if path != SCHEDULER_PATH && path.strip_prefix("/master") != Some(SCHEDULER_PATH) {
        return plain(StatusCode::NOT_FOUND, "");
    }
    match api.leadership() {
        Leadership::Leading => {}
        Leadership::RedirectTo(leader) => {
            let mut response = plain(StatusCode::TEMPORARY_REDIRECT, "");
            // Mesos answers with a protocol-relative URL to the leader.
            if let Ok(location) = HeaderValue::from_str(&format!("//{leader}{SCHEDULER_PATH}")) {
                response.headers_mut().insert(LOCATION, location);
            }
            return response;
        }
        Leadership::Unavailable => {
            return plain(StatusCode::SERVICE_UNAVAILABLE, "Master has not finished recovery");
        }
    }
    if req.method() != Method::POST {
        let mut response = plain(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("Expecting one of {{ 'POST' }}, but received '{}'", req.method()),
        );
        response.headers_mut().insert(hyper::header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let Some(content_type) = req.headers().get(CONTENT_TYPE) else {
        return plain(StatusCode::BAD_REQUEST, "Expecting 'Content-Type' to be present");
    };
    let content_type = match content_type.to_str().ok().and_then(ContentType::from_mime) {
        Some(content_type) => content_type,
        None => {
            return plain(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("Expecting 'Content-Type' of {JSON} or {PROTOBUF}"),
            )
        }
    };
    let accept = negotiate(req.headers().get_all(ACCEPT).iter().map(HeaderValue::as_bytes));
    let stream_id =
        req.headers().get(STREAM_ID).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let body = Limited::new(req.into_body(), MAX_BODY).collect();
    let body = match tokio::time::timeout(READ_LIMIT, body).await {
        Ok(Ok(body)) => body.to_bytes(),
        Ok(Err(_)) => {
            return plain(StatusCode::PAYLOAD_TOO_LARGE, "The request body is too large or broken")
        }
        Err(_) => {
            return plain(StatusCode::REQUEST_TIMEOUT, "The request body did not arrive in time")
        }
    };
    api.call(ApiRequest { content_type, accept, stream_id, body })
}

/// JSON unless only protobuf is acceptable; no `Accept` header accepts everything.
fn negotiate<'a>(values: impl Iterator<Item = &'a [u8]>) -> Option<ContentType> {
    let mut any_header = false;
    let (mut json, mut protobuf) = (false, false);
    for value in values {
        any_header = true;
        let Ok(value) = std::str::from_utf8(value) else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let refused = parts.any(|p| matches!(p.trim().split_once('='), Some(("q", q)) if q.trim().parse::<f32>() == Ok(0.0)));
            if refused {
                continue;
            }
            match media.as_str() {
                "*/*" | "application/*" => (json, protobuf) = (true, true),
                JSON => json = true,
                PROTOBUF => protobuf = true,
                _ => {}
            }
        }
    }
    if !any_header || json {
        Some(ContentType::Json)
    } else if protobuf {
        Some(ContentType::Protobuf)
    } else {
        None
    }
}

/// The body of a SUBSCRIBE response: RecordIO records as the master queues them. Unless it
/// is `finite`, it ends abruptly (an error, so no final chunk) when the master drops the
/// sending side, as a master that goes away would; dropping it tells the master the
/// scheduler disconnected.
pub struct EventBody {
    records: mpsc::Receiver<Bytes>,
    finite: bool,
    on_drop: Option<Box<dyn FnOnce() + Send + Sync>>,
}

impl EventBody {
    /// A body fed by `records`; `on_drop` runs once when hyper lets go of it.
    pub fn new(records: mpsc::Receiver<Bytes>, on_drop: Box<dyn FnOnce() + Send + Sync>) -> Self {
        Self { records, finite: false, on_drop: Some(on_drop) }
    }

    /// A body that ends cleanly after the records already queued (an ERROR event).
    pub fn finite(records: mpsc::Receiver<Bytes>) -> Self {
        Self { records, finite: true, on_drop: None }
    }
}

impl std::fmt::Debug for EventBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventBody").finish_non_exhaustive()
    }
}

impl Drop for EventBody {
    fn drop(&mut self) {
        if let Some(on_drop) = self.on_drop.take() {
            on_drop();
        }
    }
}

/// The stream was closed by the master.
#[derive(Debug, thiserror::Error)]
#[error("the master closed the event stream")]
pub struct StreamClosed;

impl Body for EventBody {
    type Data = Bytes;
    type Error = StreamClosed;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, StreamClosed>>> {
        match self.records.poll_recv(cx) {
            Poll::Ready(Some(record)) => Poll::Ready(Some(Ok(Frame::data(record)))),
            Poll::Ready(None) if self.finite => Poll::Ready(None),
            Poll::Ready(None) => Poll::Ready(Some(Err(StreamClosed))),
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_prefers_json() {
        let n = |v: &[&str]| negotiate(v.iter().map(|s| s.as_bytes()));
        assert_eq!(n(&[]), Some(ContentType::Json));
        assert_eq!(n(&["application/x-protobuf"]), Some(ContentType::Protobuf));
        assert_eq!(n(&["application/x-protobuf, application/json"]), Some(ContentType::Json));
        assert_eq!(n(&["*/*"]), Some(ContentType::Json));
        assert_eq!(
            n(&["application/json;q=0, application/x-protobuf"]),
            Some(ContentType::Protobuf)
        );
        assert_eq!(n(&["text/html"]), None);
    }
}
