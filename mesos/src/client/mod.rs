//! The scheduler client: the SUBSCRIBE stream in, calls out, over the v1 scheduler HTTP API
//! (no libmesos), against any Mesos ≥ 1.0 master.
//!
//! ```text
//! subscribe(Config) ─▶ (Events, Caller)
//!   Events  one task owns the SUBSCRIBE connection: RecordIO → Event, heartbeat watchdog,
//!           re-SUBSCRIBE with the framework id (backoff, within failover_timeout),
//!           leader lookup (ZooKeeper or 307), optional automatic ACKNOWLEDGE
//!   Caller  cheap clone; every other call on a second keep-alive connection, with the
//!           current Mesos-Stream-Id and framework id; 307 followed, 503 retried
//! ```
//!
//! `Events::recv` yields `Ok(Event)`s, and `Err`s for what went wrong on the way: a record
//! that did not decode (the stream goes on), or a lost connection (the client reconnects
//! and the next event is a fresh [`Event::Subscribed`]). The stream ends (`None`) after an
//! [`Event::Error`] from the master, a fatal error (a 4xx refusal, the failover timeout
//! passed), or when [`Events`] is dropped.

mod backoff;
mod caller;
mod credentials;
mod http;
mod subscription;
mod url;

use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::header::HeaderValue;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::rustls;

pub use crate::json::ContentType;
pub use caller::Caller;
pub use credentials::Credentials;
pub use url::{Endpoint, MasterUrl, DEFAULT_MASTER_PORT};

use crate::event::Event;
use crate::proto::{FrameworkId, FrameworkInfo};
use crate::recordio::DEFAULT_MAX_RECORD_LEN;
use crate::Result;

/// How the client reaches and talks to the master, and its limits.
#[derive(Clone)]
pub struct Config {
    /// Where the leading master is (Spark's `spark.master` without the `mesos://` being
    /// required).
    pub master: MasterUrl,
    /// The framework to subscribe. Its `id` is used on the first SUBSCRIBE if set (Spark's
    /// `spark.mesos.driver.frameworkId`); `failover_timeout` bounds how long the client keeps
    /// re-subscribing after losing the master (at least one attempt is always made).
    pub framework: FrameworkInfo,
    /// Body and `Accept` type of every request.
    pub content_type: ContentType,
    /// HTTP basic authentication (Spark's `spark.mesos.principal` / `spark.mesos.secret`,
    /// see [`Credentials::from_spark_conf`]). The principal also fills
    /// `FrameworkInfo.principal` when that is unset.
    pub credentials: Option<Credentials>,
    /// TLS to the master; `Some` makes every master connection TLS (an `https://` URL needs
    /// it). Roots and client certificates are the caller's choice.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// ACKNOWLEDGE every update that carries a uuid as soon as it arrives, as libmesos
    /// (and so Spark) does. Off: call [`Caller::acknowledge`] yourself.
    pub auto_acknowledge: bool,
    /// Heartbeat intervals without any event after which the stream is dropped and
    /// re-subscribed (Mesos suggests 5).
    pub missed_heartbeats: u32,
    /// Longest wait for a master to answer SUBSCRIBE and send SUBSCRIBED.
    pub subscribe_timeout: Duration,
    /// Longest wait for connecting, and for the reply to a call.
    pub request_timeout: Duration,
    /// First delay between reconnects and 503 retries; doubles from there.
    pub backoff_initial: Duration,
    /// Largest delay between reconnects and 503 retries.
    pub backoff_max: Duration,
    /// Largest RecordIO record (one event) accepted.
    pub max_record_len: usize,
    /// Most 307 redirects followed for one request.
    pub max_redirects: u32,
    /// Most 503 replies retried for one call.
    pub max_unavailable_retries: u32,
    /// Events buffered before the stream stops reading from the master.
    pub event_queue: usize,
}

impl Config {
    /// Defaults: protobuf, automatic acknowledgements, 5 missed heartbeats, 30 s to
    /// subscribe, 30 s per call, backoff 1 s doubling to 15 s, 8 MiB records, 5 redirects,
    /// 5 retries of a 503, 256 events queued.
    pub fn new(master: MasterUrl, framework: FrameworkInfo) -> Self {
        Self {
            master,
            framework,
            content_type: ContentType::Protobuf,
            credentials: None,
            tls: None,
            auto_acknowledge: true,
            missed_heartbeats: 5,
            subscribe_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(15),
            max_record_len: DEFAULT_MAX_RECORD_LEN,
            max_redirects: 5,
            max_unavailable_retries: 5,
            event_queue: 256,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("master", &self.master)
            .field("framework", &self.framework)
            .field("content_type", &self.content_type)
            .field("credentials", &self.credentials)
            .field("tls", &self.tls.is_some())
            .field("auto_acknowledge", &self.auto_acknowledge)
            .finish_non_exhaustive()
    }
}

/// Starts the client: the returned [`Events`] subscribes (and re-subscribes) in the
/// background; the [`Caller`] sends calls once the first SUBSCRIBED has arrived.
///
/// Must be called inside a tokio runtime.
pub fn subscribe(config: Config) -> Result<(Events, Caller)> {
    let authorization = config
        .credentials
        .as_ref()
        .and_then(|c| Some(http::basic_auth(&c.principal, c.secret.as_ref()?)))
        .transpose()?;
    let (tx, rx) = mpsc::channel(config.event_queue.max(1));
    let shared = Arc::new(Shared {
        config,
        authorization,
        session: Mutex::new(Session::default()),
        calls: tokio::sync::Mutex::new(None),
    });
    let caller = Caller::new(Arc::clone(&shared));
    let driver = tokio::spawn(subscription::drive(caller.clone(), tx));
    Ok((Events { rx, driver }, caller))
}

/// The event stream: `recv` (or the [`futures::Stream`] impl) until `None`. Dropping it
/// closes the subscription.
#[derive(Debug)]
pub struct Events {
    rx: mpsc::Receiver<Result<Event>>,
    driver: JoinHandle<()>,
}

impl Events {
    /// The next event or error; `None` when the stream has ended for good.
    pub async fn recv(&mut self) -> Option<Result<Event>> {
        self.rx.recv().await
    }
}

impl futures::Stream for Events {
    type Item = Result<Event>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// What the stream and the calls share.
#[derive(Debug)]
struct Shared {
    config: Config,
    authorization: Option<HeaderValue>,
    session: Mutex<Session>,
    /// The calls' keep-alive connection; calls go one at a time.
    calls: tokio::sync::Mutex<Option<http::Connection>>,
}

/// The current subscription, as calls need it.
#[derive(Debug, Default, Clone)]
struct Session {
    /// Learnt from the first SUBSCRIBED and kept across reconnects.
    framework_id: Option<FrameworkId>,
    /// The live stream's id and master; `None` between subscriptions.
    stream: Option<(String, Endpoint)>,
}

impl Shared {
    fn session(&self) -> Session {
        self.session.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn update_session(&self, f: impl FnOnce(&mut Session)) {
        f(&mut self.session.lock().unwrap_or_else(PoisonError::into_inner));
    }
}
