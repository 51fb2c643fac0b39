//! Raw HTTP against the local master: one-shot calls, and a SUBSCRIBE stream read record by
//! record.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::HeaderMap;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use mesos::event::Event;
use mesos::json::ContentType;
use mesos::proto::scheduler::Call;
use mesos::proto::{
    command_info, value, CommandInfo, FrameworkId, FrameworkInfo, Offer, Resource, TaskId,
    TaskInfo, TaskState, TaskStatus,
};
use mesos::recordio::RecordDecoder;
use mesos_local::{ClusterConfig, LocalCluster};

/// Generous bound for anything the tests wait for.
pub(crate) const WAIT: Duration = Duration::from_secs(10);

pub(crate) const PROTOBUF: &str = "application/x-protobuf";
pub(crate) const JSON: &str = "application/json";

/// A cluster with fast retries and allocation, in its own temporary work dir.
pub(crate) async fn cluster(
    agents: usize,
    tweak: impl FnOnce(&mut ClusterConfig),
) -> (LocalCluster, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = ClusterConfig {
        agents,
        resources: "cpus:2;mem:1024;ports:[31000-31010]".into(),
        attributes: "rack:r1;zone:a".into(),
        work_dir: dir.path().to_owned(),
        status_update_retry: Duration::from_millis(300),
        allocation_interval: Duration::from_millis(50),
        kill_grace: Duration::from_millis(500),
        ..ClusterConfig::default()
    };
    tweak(&mut config);
    (LocalCluster::start(config).await.expect("cluster starts"), dir)
}

/// A POST with explicit headers; returns status, headers and the whole body.
pub(crate) async fn post(
    addr: SocketAddr,
    method: &str,
    content_type: Option<&str>,
    stream_id: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, HeaderMap, Bytes) {
    let mut sender = connect(addr).await;
    let mut req =
        Request::builder().method(method).uri("/api/v1/scheduler").header("Host", addr.to_string());
    if let Some(ct) = content_type {
        req = req.header("Content-Type", ct);
    }
    if let Some(id) = stream_id {
        req = req.header("Mesos-Stream-Id", id);
    }
    let response = sender
        .send_request(req.body(Full::new(Bytes::from(body))).expect("request"))
        .await
        .expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.expect("body").to_bytes();
    (status, headers, body)
}

/// A protobuf POST with an `Accept` header.
pub(crate) async fn post_accepting(
    addr: SocketAddr,
    accept: &str,
    body: Vec<u8>,
) -> (StatusCode, HeaderMap, Bytes) {
    let mut sender = connect(addr).await;
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/scheduler")
        .header("Host", addr.to_string())
        .header("Content-Type", PROTOBUF)
        .header("Accept", accept)
        .body(Full::new(Bytes::from(body)))
        .expect("request");
    let response = sender.send_request(req).await.expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.into_body().collect().await.expect("body").to_bytes())
}

async fn connect(addr: SocketAddr) -> hyper::client::conn::http1::SendRequest<Full<Bytes>> {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (sender, conn) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("handshake");
    tokio::spawn(conn);
    sender
}

/// A framework's SUBSCRIBE stream plus what calls need to carry.
pub(crate) struct Scheduler {
    pub(crate) addr: SocketAddr,
    pub(crate) stream_id: String,
    pub(crate) framework_id: FrameworkId,
    pub(crate) encoding: &'static str,
    body: Incoming,
    buf: BytesMut,
    decoder: RecordDecoder,
    /// Events read while looking for another one.
    pub(crate) seen: Vec<Event>,
}

pub(crate) fn framework_info(id: Option<FrameworkId>, failover_timeout: f64) -> FrameworkInfo {
    FrameworkInfo {
        user: "tester".into(),
        name: "mesos-local test".into(),
        id,
        failover_timeout: Some(failover_timeout),
        ..FrameworkInfo::default()
    }
}

/// Opens a SUBSCRIBE stream with `content_type` (the stream answers in the same type) and
/// waits for SUBSCRIBED.
pub(crate) async fn subscribe(
    addr: SocketAddr,
    info: FrameworkInfo,
    encoding: &'static str,
) -> Scheduler {
    let mut sched = subscribe_raw(addr, info, encoding).await;
    let event = sched.next().await.expect("an event");
    let Event::Subscribed(subscribed) = event else { panic!("expected SUBSCRIBED, got {event:?}") };
    sched.framework_id = subscribed.framework_id;
    sched
}

/// Opens a SUBSCRIBE stream without waiting for any event.
pub(crate) async fn subscribe_raw(
    addr: SocketAddr,
    info: FrameworkInfo,
    encoding: &'static str,
) -> Scheduler {
    let call = mesos::call::subscribe(info);
    let mut sender = connect(addr).await;
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/scheduler")
        .header("Host", addr.to_string())
        .header("Content-Type", encoding)
        .header("Accept", encoding)
        .body(Full::new(Bytes::from(encode_call(encoding, &call))))
        .expect("request");
    let response = sender.send_request(req).await.expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers().get("Content-Type").expect("content type");
    assert_eq!(content_type, encoding);
    let stream_id = response
        .headers()
        .get("Mesos-Stream-Id")
        .expect("stream id")
        .to_str()
        .expect("ascii")
        .to_owned();
    Scheduler {
        addr,
        stream_id,
        framework_id: FrameworkId::default(),
        encoding,
        body: response.into_body(),
        buf: BytesMut::new(),
        decoder: RecordDecoder::default(),
        seen: Vec::new(),
    }
}

pub(crate) fn encode_call(encoding: &str, call: &Call) -> Vec<u8> {
    content_type(encoding).encode(call)
}

impl Scheduler {
    /// The next event, or `None` when the stream ended (or nothing came within [`WAIT`]).
    pub(crate) async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(record) = self.decoder.decode(&mut self.buf).expect("valid RecordIO") {
                let event: mesos::proto::scheduler::Event =
                    content_type(self.encoding).decode(&record).expect("a valid event");
                return Some(Event::try_from(event).expect("a known event"));
            }
            let frame = tokio::time::timeout(WAIT, self.body.frame()).await.ok()??;
            let Ok(data) = frame.map(|f| f.into_data()) else { return None };
            if let Ok(data) = data {
                self.buf.extend_from_slice(&data);
            }
        }
    }

    /// The next event that is not a HEARTBEAT and for which `pick` returns something; others
    /// are kept in `seen`.
    pub(crate) async fn wait_for<T>(&mut self, mut pick: impl FnMut(&Event) -> Option<T>) -> T {
        loop {
            let event = self.next().await.expect("the stream is open and an event comes");
            if let Some(found) = pick(&event) {
                return found;
            }
            self.seen.push(event);
        }
    }

    /// Offers, until there are `n` of them.
    pub(crate) async fn offers(&mut self, n: usize) -> Vec<Offer> {
        let mut offers = Vec::new();
        while offers.len() < n {
            offers.extend(
                self.wait_for(|e| if let Event::Offers(o) = e { Some(o.clone()) } else { None })
                    .await,
            );
        }
        offers
    }

    /// The next UPDATE.
    pub(crate) async fn update(&mut self) -> TaskStatus {
        self.wait_for(|e| if let Event::Update(s) = e { Some(s.clone()) } else { None }).await
    }

    /// The next UPDATE in `state`, acknowledging every update with a uuid on the way.
    pub(crate) async fn update_in(&mut self, state: TaskState) -> TaskStatus {
        loop {
            let status = self.update().await;
            self.ack(&status).await;
            if status.state() == state {
                return status;
            }
        }
    }

    /// Sends a call on its own connection with this stream's id; returns the status code.
    pub(crate) async fn call(&self, call: Call) -> StatusCode {
        let body = encode_call(self.encoding, &call);
        post(self.addr, "POST", Some(self.encoding), Some(&self.stream_id), body).await.0
    }

    pub(crate) async fn ack(&self, status: &TaskStatus) {
        if let Some(call) = mesos::call::acknowledge(&self.framework_id, status) {
            assert_eq!(self.call(call).await, StatusCode::ACCEPTED);
        }
    }

    /// Launches one shell command on `offer` with 1 cpu and 128 MiB.
    pub(crate) async fn launch(&self, offer: &Offer, task_id: &str, command: &str) -> StatusCode {
        let task = task(offer, task_id, shell(command));
        self.call(mesos::call::accept(
            &self.framework_id,
            vec![offer.id.clone()],
            vec![mesos::call::launch(vec![task])],
            None,
        ))
        .await
    }
}

fn content_type(mime: &str) -> ContentType {
    ContentType::from_mime(mime).expect("a scheduler API content type")
}

pub(crate) fn shell(command: &str) -> CommandInfo {
    CommandInfo { value: Some(command.into()), shell: Some(true), ..CommandInfo::default() }
}

pub(crate) fn uri(path: &str) -> command_info::Uri {
    command_info::Uri { value: path.into(), ..command_info::Uri::default() }
}

pub(crate) fn task(offer: &Offer, task_id: &str, command: CommandInfo) -> TaskInfo {
    TaskInfo {
        name: task_id.into(),
        task_id: TaskId { value: task_id.into() },
        agent_id: offer.agent_id.clone(),
        resources: vec![scalar("cpus", 1.0), scalar("mem", 128.0)],
        command: Some(command),
        ..TaskInfo::default()
    }
}

pub(crate) fn scalar(name: &str, amount: f64) -> Resource {
    Resource {
        name: name.into(),
        r#type: value::Type::Scalar as i32,
        scalar: Some(value::Scalar { value: amount }),
        ..Resource::default()
    }
}

/// The sum of a scalar resource in an offer.
pub(crate) fn offered(offer: &Offer, name: &str) -> f64 {
    offer
        .resources
        .iter()
        .filter(|r| r.name == name)
        .filter_map(|r| r.scalar.as_ref())
        .map(|s| s.value)
        .sum()
}
