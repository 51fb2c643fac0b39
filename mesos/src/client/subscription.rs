//! The SUBSCRIBE stream: find the leader, subscribe, read RecordIO records into events under
//! a heartbeat watchdog, and start over with backoff when anything breaks, keeping the
//! framework id until `failover_timeout` has passed.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt as _;
use hyper::StatusCode;
use tokio::sync::mpsc;
use tokio::time::{timeout, Instant};

use super::backoff::Backoff;
use super::http::{self, Connection, RequestHead};
use super::{Caller, Endpoint, MasterUrl};
use crate::event::Event;
use crate::proto::scheduler::Call;
use crate::proto::TaskStatus;
use crate::recordio::RecordDecoder;
use crate::{zk, Error, Result};

/// What Mesos uses when SUBSCRIBED names no heartbeat interval.
const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(15);

/// Updates waiting for their automatic ACKNOWLEDGE before the stream waits for them.
const ACK_QUEUE: usize = 1024;

/// ZooKeeper session timeout for a leader lookup.
const ZK_SESSION: Duration = Duration::from_secs(10);

/// How one subscription ended.
enum End {
    /// Connection-level trouble: report it, back off, subscribe again.
    Retry(Error),
    /// The master refused us for good: report it and end the stream.
    Fatal(Error),
    /// Nothing more to do: the master sent ERROR, or the receiver is gone.
    Finished,
}

/// Runs subscriptions until the stream ends. Owns the event sender; the caller is used for
/// automatic acknowledgements and to share the session with calls.
pub(super) async fn drive(caller: Caller, events: mpsc::Sender<Result<Event>>) {
    let config = &caller.shared().config;
    let acks = config.auto_acknowledge.then(|| {
        let (tx, rx) = mpsc::channel(ACK_QUEUE);
        tokio::spawn(acknowledge_all(caller.clone(), rx, events.clone()));
        tx
    });
    let mut backoff = Backoff::new(config.backoff_initial, config.backoff_max);
    let mut lost_since: Option<Instant> = None;
    let mut attempts_since_lost = 0u32;
    loop {
        let end =
            subscribe_once(&caller, &events, acks.as_ref(), &mut backoff, &mut lost_since).await;
        caller.shared().update_session(|s| s.stream = None);
        let error = match end {
            End::Finished => return,
            End::Fatal(e) => {
                let _ = events.send(Err(e)).await;
                return;
            }
            End::Retry(e) => e,
        };
        tracing::warn!(error = %error, "lost the master; subscribing again");
        if events.send(Err(error)).await.is_err() {
            return;
        }
        // The failover clock starts when a subscription is lost, not at each retry.
        let since = match lost_since {
            Some(since) => {
                attempts_since_lost += 1;
                since
            }
            None => {
                attempts_since_lost = 1;
                *lost_since.insert(Instant::now())
            }
        };
        if let Some(framework_id) = caller.framework_id() {
            let failover = failover_timeout(config.framework.failover_timeout);
            if attempts_since_lost > 1 && since.elapsed() > failover {
                let _ = events
                    .send(Err(Error::FailoverTimeoutPassed {
                        framework_id: framework_id.value,
                        failover,
                    }))
                    .await;
                return;
            }
        }
        tokio::select! {
            () = tokio::time::sleep(backoff.next_delay()) => {}
            () = events.closed() => return,
        }
    }
}

/// `FrameworkInfo.failover_timeout` as a duration (0 when unset or not a duration).
fn failover_timeout(seconds: Option<f64>) -> Duration {
    seconds.and_then(|s| Duration::try_from_secs_f64(s).ok()).unwrap_or(Duration::ZERO)
}

/// One subscription, from finding the master to the stream breaking.
async fn subscribe_once(
    caller: &Caller,
    events: &mpsc::Sender<Result<Event>>,
    acks: Option<&mpsc::Sender<TaskStatus>>,
    backoff: &mut Backoff,
    lost_since: &mut Option<Instant>,
) -> End {
    let shared = caller.shared();
    let config = &shared.config;
    let mut endpoint = match leader(&config.master, config.tls.is_some()).await {
        Ok(endpoint) => endpoint,
        Err(e) => return End::Retry(e),
    };
    let body = Bytes::from(config.content_type.encode(&subscribe_call(caller)));
    let head = RequestHead {
        content_type: config.content_type,
        authorization: shared.authorization.as_ref(),
        stream_id: None,
    };
    let mut redirects = 0;
    let (_conn, response) = loop {
        let opened = Connection::open(&endpoint, config.tls.as_ref(), config.request_timeout).await;
        let mut conn = match opened {
            Ok(conn) => conn,
            Err(e) => return End::Retry(e),
        };
        let response = match conn.post(&head, body.clone(), config.subscribe_timeout).await {
            Ok(response) => response,
            Err(e) => return End::Retry(e),
        };
        match response.status() {
            StatusCode::OK => break (conn, response),
            StatusCode::TEMPORARY_REDIRECT => {
                redirects += 1;
                if redirects > config.max_redirects {
                    return End::Retry(Error::TooManyRedirects { max: config.max_redirects });
                }
                endpoint = match http::redirect_target(&response, endpoint.tls) {
                    Ok(next) => next,
                    Err(e) => return End::Retry(e),
                };
                tracing::info!(%endpoint, "SUBSCRIBE redirected to the leading master");
            }
            status => {
                let error = http::status_error(response, config.request_timeout).await;
                return if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
                    End::Retry(error)
                } else {
                    End::Fatal(error)
                };
            }
        }
    };
    let stream_id = match http::stream_id(&response) {
        Ok(id) => id,
        Err(e) => return End::Retry(e),
    };
    if let Err(e) = http::check_content_type(&response, config.content_type) {
        return End::Fatal(e);
    }
    let mut body = response.into_body();
    let decoder = RecordDecoder::new(config.max_record_len);
    let mut buf = BytesMut::new();
    // Until SUBSCRIBED says how often heartbeats come, the subscribe timeout guards.
    let mut watchdog = config.subscribe_timeout;
    let mut subscribed = false;
    loop {
        loop {
            let record = match decoder.decode(&mut buf) {
                Ok(Some(record)) => record,
                Ok(None) => break,
                // The framing is lost: nothing after this can be trusted.
                Err(e) => return End::Retry(e),
            };
            let event = match Event::from_record(config.content_type, &record) {
                Ok(event) => event,
                // A well-framed record we cannot read: report it, keep the stream.
                Err(e) => {
                    if events.send(Err(e)).await.is_err() {
                        return End::Finished;
                    }
                    continue;
                }
            };
            match &event {
                Event::Subscribed(s) => {
                    let every = s.heartbeat_interval.unwrap_or(DEFAULT_HEARTBEAT);
                    watchdog = every.saturating_mul(config.missed_heartbeats.max(1));
                    subscribed = true;
                    shared.update_session(|session| {
                        session.framework_id = Some(s.framework_id.clone());
                        session.stream = Some((stream_id.clone(), endpoint.clone()));
                    });
                    backoff.reset();
                    *lost_since = None;
                    tracing::info!(framework_id = %s.framework_id.value, %endpoint, "subscribed");
                }
                Event::Update(status) if status.uuid.is_some() => {
                    if let Some(acks) = acks {
                        if acks.send(status.clone()).await.is_err() {
                            return End::Finished;
                        }
                    }
                }
                _ => {}
            }
            let refused = matches!(event, Event::Error(_));
            if events.send(Ok(event)).await.is_err() || refused {
                return End::Finished;
            }
        }
        match timeout(watchdog, body.frame()).await {
            Err(_) if subscribed => {
                return End::Retry(Error::HeartbeatsMissed { waited: watchdog })
            }
            Err(_) => return End::Retry(Error::Timeout { what: "SUBSCRIBED" }),
            Ok(None) => return End::Retry(Error::StreamEnded),
            Ok(Some(Err(e))) => return End::Retry(e.into()),
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    buf.extend_from_slice(&data);
                }
            }
        }
    }
}

/// The SUBSCRIBE call: the configured framework, with the id learnt so far and the
/// principal of the credentials when the framework names none.
fn subscribe_call(caller: &Caller) -> Call {
    let config = &caller.shared().config;
    let mut framework_info = config.framework.clone();
    if let Some(id) = caller.framework_id() {
        framework_info.id = Some(id);
    }
    if framework_info.principal.is_none() {
        framework_info.principal = config.credentials.as_ref().map(|c| c.principal.clone());
    }
    crate::call::subscribe(framework_info)
}

/// Where to subscribe now: the URL's master, or the leader ZooKeeper names.
async fn leader(master: &MasterUrl, tls: bool) -> Result<Endpoint> {
    match master {
        MasterUrl::Direct(endpoint) => {
            Ok(Endpoint { tls: endpoint.tls || tls, ..endpoint.clone() })
        }
        MasterUrl::ZooKeeper { servers, path, digest } => {
            let client = zk::Client::connect(servers, ZK_SESSION).await?;
            let found = async {
                if let Some(digest) = digest {
                    client.add_auth("digest", digest.as_bytes()).await?;
                }
                client.leading_master(path).await
            }
            .await;
            let _ = client.close().await;
            let found = found?;
            tracing::debug!(node = %found.node, host = %found.host, port = found.port, "leader in ZooKeeper");
            Ok(Endpoint { host: found.host, port: found.port, tls })
        }
    }
}

/// Sends the ACKNOWLEDGE of every update queued, in order; failures go to the event stream.
async fn acknowledge_all(
    caller: Caller,
    mut updates: mpsc::Receiver<TaskStatus>,
    events: mpsc::Sender<Result<Event>>,
) {
    while let Some(status) = updates.recv().await {
        if let Err(e) = caller.acknowledge(&status).await {
            tracing::warn!(task_id = %status.task_id.value, error = %e, "acknowledgement failed");
            if events.send(Err(e)).await.is_err() {
                return;
            }
        }
    }
}
