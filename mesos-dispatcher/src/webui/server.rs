//! The web UI's HTTP/1.1 side, bounded like the REST server (connections, header size,
//! header and idle time). Only GET and HEAD are served; request bodies are never read. The
//! queue's lock is held only to copy what a page shows ([`view`]); rendering ([`render`])
//! happens after.

use std::convert::Infallible;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{
    HeaderName, HeaderValue, ALLOW, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tracing::{debug, warn};

use super::metrics::{self, Gauges};
use super::pages::{driver_not_found_page, driver_page, drivers_page, error_page};
use super::router::{route, Route};
use super::snapshot::{DriverDetail, Snapshot};
use crate::queue::{DriverQueue, SubmissionId};

const HTML: &str = "text/html;charset=utf-8";

/// No scripts, no frames, no outside resources: a string that escaped escaping still could
/// not run.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; \
                   form-action 'none'; frame-ancestors 'none'";

/// The server's bounds.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// Time allowed for a request's headers, and idle time between keep-alive requests.
    pub header_timeout: Duration,
    /// Largest request head (request line and headers) buffered.
    pub max_header_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 64,
            header_timeout: Duration::from_secs(10),
            max_header_bytes: 64 * 1024,
        }
    }
}

/// A reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The status code.
    pub status: u16,
    /// The Content-Type.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
}

/// What a route shows, copied out of the queue.
#[derive(Debug, Clone, PartialEq)]
pub enum View {
    /// Every driver.
    Drivers(Snapshot),
    /// One driver, None when unknown.
    Driver(SubmissionId, Option<Box<DriverDetail>>),
    /// `/driver` without an id.
    MissingId,
    /// The metrics' values.
    Metrics(Gauges),
    /// An unknown path.
    NotFound,
}

/// Copies what `route` shows from the queue (call with the lock held, briefly).
pub fn view(queue: &DriverQueue, route: Route) -> View {
    match route {
        Route::Drivers => View::Drivers(Snapshot::of(queue)),
        Route::Driver(Some(id)) => {
            let detail = DriverDetail::of(queue, &id).map(Box::new);
            View::Driver(id, detail)
        }
        Route::Driver(None) => View::MissingId,
        Route::Metrics => View::Metrics(Gauges {
            waiting: queue.queued().count(),
            launched: queue.launched_count(),
            retry: queue.retrying_drivers().count(),
        }),
        Route::NotFound => View::NotFound,
    }
}

/// The page for a view, at `now`.
pub fn render(view: &View, now: SystemTime) -> Page {
    let html = |status, body| Page { status, content_type: HTML, body };
    match view {
        View::Drivers(s) => html(200, drivers_page(s, now)),
        View::Driver(_, Some(detail)) => html(200, driver_page(detail, now)),
        View::Driver(id, None) => html(404, driver_not_found_page(id.as_str(), now)),
        View::MissingId => html(400, error_page("Bad request", "Missing id parameter", now)),
        View::Metrics(g) => {
            Page { status: 200, content_type: metrics::CONTENT_TYPE, body: metrics::render(*g) }
        }
        View::NotFound => html(404, error_page("Not found", "There is no such page.", now)),
    }
}

/// Serves the web UI on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    queue: Arc<Mutex<DriverQueue>>,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
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
                    warn!(error = %e, "web UI accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let queue = Arc::clone(&queue);
        let limits = limits.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| answer(Arc::clone(&queue), req));
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .max_buf_size(limits.max_header_bytes.max(8192))
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = conn.await {
                debug!(%peer, error = %e, "web UI connection ended");
            }
            drop(permit);
        });
    }
}

async fn answer(
    queue: Arc<Mutex<DriverQueue>>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let now = SystemTime::now();
    if !matches!(*req.method(), hyper::Method::GET | hyper::Method::HEAD) {
        let page = Page {
            status: 405,
            content_type: HTML,
            body: error_page("Method not allowed", "Only GET and HEAD are served.", now),
        };
        let mut response = to_response(page);
        response.headers_mut().insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return Ok(response);
    }
    let route = route(req.uri().path(), req.uri().query());
    let view = {
        let queue = match queue.lock() {
            Ok(queue) => queue,
            Err(poisoned) => poisoned.into_inner(),
        };
        view(&queue, route)
    };
    Ok(to_response(render(&view, now)))
}

fn to_response(page: Page) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(page.body)));
    *response.status_mut() = hyper::StatusCode::from_u16(page.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers: [(HeaderName, &'static str); 5] = [
        (CONTENT_TYPE, page.content_type),
        (CACHE_CONTROL, "no-store"),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (X_FRAME_OPTIONS, "DENY"),
        (CONTENT_SECURITY_POLICY, CSP),
    ];
    for (name, value) in headers {
        response.headers_mut().insert(name, HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;
    use crate::queue::{DriverDescription, QueueConfig};

    proptest! {
        /// Any path and query get a page, never a panic; any driver name comes out escaped on
        /// both pages.
        #[test]
        fn never_panics_and_always_escapes(
            path in "[ -~]{0,40}",
            query in proptest::option::of("[ -~]{0,40}"),
            name in "\\PC{0,30}",
        ) {
            let mut q = DriverQueue::new(QueueConfig::default());
            q.mark_registered();
            let now = SystemTime::UNIX_EPOCH;
            let id = q.next_submission_id(now);
            q.submit(DriverDescription {
                submission_id: id.clone(),
                name: format!("<i>{name}"),
                app_resource: String::new(),
                main_class: name.clone(),
                app_args: vec![name.clone()],
                environment: BTreeMap::new(),
                spark_properties: BTreeMap::new(),
                mem_mb: 0,
                cores: f64::NAN,
                supervise: false,
                submitted: now,
            });
            let page = render(&view(&q, route(&path, query.as_deref())), now);
            prop_assert!([200, 400, 404].contains(&page.status));
            for page in [
                render(&view(&q, Route::Drivers), now),
                render(&view(&q, Route::Driver(Some(id.clone()))), now),
            ] {
                prop_assert_eq!(page.status, 200);
                prop_assert!(!page.body.contains("<i>"));
            }
        }
    }

    #[test]
    fn statuses() {
        let mut q = DriverQueue::new(QueueConfig::default());
        q.mark_registered();
        let now = SystemTime::UNIX_EPOCH;
        let page = |path: &str, query: Option<&str>| render(&view(&q, route(path, query)), now);
        assert_eq!(page("/", None).status, 200);
        assert_eq!(page("/driver", Some("id=x")).status, 404);
        assert_eq!(page("/driver", None).status, 400);
        assert_eq!(page("/x", None).status, 404);
        let metrics = page("/metrics", None);
        assert_eq!((metrics.status, metrics.content_type), (200, metrics::CONTENT_TYPE));
        assert!(metrics
            .body
            .contains("metrics_mesos_cluster_waitingDrivers_Value{type=\"gauges\"} 0\n"));
    }
}
