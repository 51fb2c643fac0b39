//! The scheduler client against a scripted master: a raw HTTP/1.1 server that answers each
//! request as the test says, so bad input (malformed RecordIO, oversized records, unknown
//! events, truncated protobuf, error statuses) and the retry rules (307, 503, lost streams,
//! missed heartbeats) are each checked without a real master.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use mesos::client::{self, Config, Credentials, Endpoint, Events, MasterUrl};
use mesos::event::Event;
use mesos::json::ContentType;
use mesos::proto::scheduler::{self, call, event, Call};
use mesos::proto::{FrameworkInfo, TaskState, TaskStatus};
use mesos::{json, recordio, Error};
use prost::Message as _;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::timeout;
use tokio_rustls::rustls;

/// Longest any single step may take before the test fails.
const STEP: Duration = Duration::from_secs(10);

/// What the mock saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    call: Call,
    content_type: ContentType,
    stream_id: Option<String>,
    authorization: Option<String>,
}

impl Seen {
    fn kind(&self) -> call::Type {
        call::Type::try_from(self.call.r#type.unwrap_or(0)).unwrap_or(call::Type::Unknown)
    }
}

/// How the mock answers.
enum Reply {
    /// A status with a body and extra headers.
    Status(u16, &'static str, Vec<(&'static str, String)>),
    /// A 200 SUBSCRIBE stream: these bytes (each one chunk), then hold or close.
    Stream { chunks: Vec<Vec<u8>>, close: bool },
}

type Script = Arc<dyn Fn(&Seen, usize) -> Reply + Send + Sync>;

/// A scripted master on 127.0.0.1:0. The script gets the request and how many requests
/// came before it.
struct Mock {
    addr: SocketAddr,
    seen: mpsc::UnboundedReceiver<Seen>,
}

impl Mock {
    async fn start(script: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> Self {
        Self::start_with(script, None).await
    }

    /// A mock speaking TLS with `config` on every connection.
    async fn start_with(
        script: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, seen) = mpsc::unbounded_channel();
        let script: Script = Arc::new(script);
        let count = Arc::new(AtomicUsize::new(0));
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let (script, tx, count) = (script.clone(), tx.clone(), count.clone());
                match tls.clone() {
                    None => drop(tokio::spawn(serve(conn, script, tx, count))),
                    Some(config) => drop(tokio::spawn(async move {
                        let acceptor = tokio_rustls::TlsAcceptor::from(config);
                        if let Ok(conn) = acceptor.accept(conn).await {
                            serve(conn, script, tx, count).await;
                        }
                    })),
                }
            }
        });
        Self { addr, seen }
    }

    fn url(&self) -> MasterUrl {
        MasterUrl::Direct(Endpoint { host: "127.0.0.1".into(), port: self.addr.port(), tls: false })
    }

    async fn next(&mut self) -> Seen {
        timeout(STEP, self.seen.recv()).await.expect("a request in time").expect("mock alive")
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut conn: S,
    script: Script,
    tx: mpsc::UnboundedSender<Seen>,
    count: Arc<AtomicUsize>,
) {
    let mut buf = Vec::new();
    loop {
        let Some(seen) = read_request(&mut conn, &mut buf).await else { return };
        let n = count.fetch_add(1, Ordering::SeqCst);
        let reply = script(&seen, n);
        let content_type = seen.content_type;
        let _ = tx.send(seen);
        match reply {
            Reply::Status(code, body, headers) => {
                let mut head = format!("HTTP/1.1 {code} X\r\nContent-Length: {}\r\n", body.len());
                for (k, v) in headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                head.push_str(body);
                if conn.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
            }
            Reply::Stream { chunks, close } => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nMesos-Stream-Id: stream-1\r\n\
                     Transfer-Encoding: chunked\r\n\r\n",
                    content_type.mime()
                );
                if conn.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                for chunk in chunks {
                    let mut out = format!("{:x}\r\n", chunk.len()).into_bytes();
                    out.extend_from_slice(&chunk);
                    out.extend_from_slice(b"\r\n");
                    if conn.write_all(&out).await.is_err() {
                        return;
                    }
                }
                if close {
                    let _ = conn.write_all(b"0\r\n\r\n").await;
                    return;
                }
                // Hold the stream open until the client goes away.
                let mut sink = [0u8; 256];
                while matches!(conn.read(&mut sink).await, Ok(n) if n > 0) {}
                return;
            }
        }
    }
}

/// One request: head up to `\r\n\r\n`, then `Content-Length` bytes of protobuf Call.
async fn read_request<S: AsyncRead + Unpin>(conn: &mut S, buf: &mut Vec<u8>) -> Option<Seen> {
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = conn.read(&mut chunk).await.ok().filter(|&n| n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    };
    let len: usize = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    while buf.len() < head_end + len {
        let mut chunk = [0u8; 4096];
        let n = conn.read(&mut chunk).await.ok().filter(|&n| n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    }
    let content_type = ContentType::from_mime(&header("content-type")?)?;
    let call = content_type.decode::<Call>(&buf[head_end..head_end + len]).ok()?;
    let seen = Seen {
        call,
        content_type,
        stream_id: header("mesos-stream-id"),
        authorization: header("authorization"),
    };
    buf.drain(..head_end + len);
    Some(seen)
}

fn record(event: &scheduler::Event) -> Vec<u8> {
    let mut out = Vec::new();
    recordio::encode(&event.encode_to_vec(), &mut out);
    out
}

fn subscribed(heartbeat_seconds: f64) -> Vec<u8> {
    record(&scheduler::Event {
        r#type: Some(event::Type::Subscribed as i32),
        subscribed: Some(event::Subscribed {
            framework_id: "fw-1".into(),
            heartbeat_interval_seconds: Some(heartbeat_seconds),
            master_info: None,
        }),
        ..Default::default()
    })
}

fn heartbeat() -> Vec<u8> {
    record(&scheduler::Event { r#type: Some(event::Type::Heartbeat as i32), ..Default::default() })
}

fn update(task: &str, uuid: Option<Vec<u8>>) -> Vec<u8> {
    record(&scheduler::Event {
        r#type: Some(event::Type::Update as i32),
        update: Some(event::Update {
            status: TaskStatus {
                task_id: task.into(),
                state: TaskState::TaskRunning as i32,
                agent_id: Some("agent-1".into()),
                uuid,
                ..Default::default()
            },
        }),
        ..Default::default()
    })
}

fn config(url: MasterUrl) -> Config {
    let framework = FrameworkInfo {
        user: "test".into(),
        name: "client-test".into(),
        failover_timeout: Some(60.0),
        ..Default::default()
    };
    let mut config = Config::new(url, framework);
    config.backoff_initial = Duration::from_millis(10);
    config.backoff_max = Duration::from_millis(50);
    config.subscribe_timeout = Duration::from_secs(5);
    config.request_timeout = Duration::from_secs(5);
    config
}

async fn next(events: &mut Events) -> mesos::Result<Event> {
    timeout(STEP, events.recv()).await.expect("an event in time").expect("stream open")
}

async fn expect_subscribed(events: &mut Events) {
    match next(events).await {
        Ok(Event::Subscribed(s)) => assert_eq!(s.framework_id.value, "fw-1"),
        other => panic!("wanted SUBSCRIBED, got {other:?}"),
    }
}

/// A master that answers SUBSCRIBE with `chunks` (after SUBSCRIBED) and 202 to the rest.
async fn streaming(chunks: Vec<Vec<u8>>) -> Mock {
    Mock::start(move |seen, _| match seen.kind() {
        call::Type::Subscribe => {
            let mut all = vec![subscribed(15.0)];
            all.extend(chunks.iter().cloned());
            Reply::Stream { chunks: all, close: false }
        }
        _ => Reply::Status(202, "", vec![]),
    })
    .await
}

#[tokio::test]
async fn subscribes_then_calls_carry_stream_and_framework_ids_and_auth() {
    let mut mock = streaming(vec![heartbeat()]).await;
    let mut config = config(mock.url());
    config.credentials = Some(Credentials { principal: "p".into(), secret: Some("s".into()) });
    let (mut events, caller) = client::subscribe(config).expect("client");
    expect_subscribed(&mut events).await;
    assert!(matches!(next(&mut events).await, Ok(Event::Heartbeat)));
    let sub = mock.next().await;
    assert_eq!(sub.kind(), call::Type::Subscribe);
    assert_eq!(sub.stream_id, None);
    assert_eq!(sub.authorization.as_deref(), Some("Basic cDpz"));
    let info = &sub.call.subscribe.as_ref().expect("body").framework_info;
    assert_eq!(info.principal.as_deref(), Some("p"));
    assert_eq!(info.id, None);

    let framework_id = caller.framework_id().expect("learnt");
    caller.call(mesos::call::revive(&framework_id, vec![])).await.expect("accepted");
    let revive = mock.next().await;
    assert_eq!(revive.kind(), call::Type::Revive);
    assert_eq!(revive.stream_id.as_deref(), Some("stream-1"));
    assert_eq!(revive.call.framework_id.as_ref().map(|f| f.value.as_str()), Some("fw-1"));
    assert_eq!(revive.authorization.as_deref(), Some("Basic cDpz"));
    // The second call reuses the kept-alive connection.
    caller.clone().call(mesos::call::suppress(&framework_id, vec![])).await.expect("accepted");
    assert_eq!(mock.next().await.kind(), call::Type::Suppress);
}

#[tokio::test]
async fn calls_before_subscribed_are_refused() {
    // Nothing listens here.
    let url = MasterUrl::Direct(Endpoint { host: "127.0.0.1".into(), port: 9, tls: false });
    let (_events, caller) = client::subscribe(config(url)).expect("client");
    let call = Call { r#type: Some(call::Type::Revive as i32), ..Default::default() };
    assert!(matches!(caller.call(call).await, Err(Error::NotSubscribed)));
}

#[tokio::test]
async fn updates_with_a_uuid_are_acknowledged_others_not() {
    let mut mock = streaming(vec![update("t1", None), update("t2", Some(vec![1; 16]))]).await;
    let (mut events, _caller) = client::subscribe(config(mock.url())).expect("client");
    expect_subscribed(&mut events).await;
    assert!(matches!(next(&mut events).await, Ok(Event::Update(s)) if s.task_id.value == "t1"));
    assert!(matches!(next(&mut events).await, Ok(Event::Update(s)) if s.task_id.value == "t2"));
    assert_eq!(mock.next().await.kind(), call::Type::Subscribe);
    let ack = mock.next().await;
    let body = ack.call.acknowledge.expect("ACKNOWLEDGE");
    assert_eq!((body.task_id.value.as_str(), body.uuid), ("t2", vec![1; 16]));
    // Exactly one acknowledgement: nothing else arrives.
    assert!(timeout(Duration::from_millis(300), mock.seen.recv()).await.is_err());
}

#[tokio::test]
async fn malformed_record_length_is_an_error_then_resubscribes_with_the_id() {
    let mut mock = streaming(vec![b"12x\n".to_vec()]).await;
    let (mut events, _caller) = client::subscribe(config(mock.url())).expect("client");
    expect_subscribed(&mut events).await;
    let err = next(&mut events).await.expect_err("bad length");
    assert!(matches!(err, Error::RecordLengthNotDecimal { byte: b'x', offset: 2 }), "{err:?}");
    expect_subscribed(&mut events).await;
    assert_eq!(mock.next().await.call.subscribe.expect("sub").framework_info.id, None);
    let again = mock.next().await.call.subscribe.expect("sub").framework_info;
    assert_eq!(again.id.map(|id| id.value), Some("fw-1".to_owned()));
}

#[tokio::test]
async fn oversized_record_is_refused_before_it_is_buffered() {
    let mock = streaming(vec![b"999999999\n".to_vec(), vec![0; 4096]]).await;
    let mut config = config(mock.url());
    config.max_record_len = 1024;
    let (mut events, _caller) = client::subscribe(config).expect("client");
    expect_subscribed(&mut events).await;
    let err = next(&mut events).await.expect_err("too large");
    assert!(matches!(err, Error::RecordTooLarge { len: 999_999_999, max: 1024 }), "{err:?}");
}

#[tokio::test]
async fn unknown_event_type_and_truncated_protobuf_are_errors_and_the_stream_goes_on() {
    let unknown = record(&scheduler::Event { r#type: Some(99), ..Default::default() });
    let full = scheduler::Event {
        r#type: Some(event::Type::Error as i32),
        error: Some(event::Error { message: "x".repeat(40) }),
        ..Default::default()
    }
    .encode_to_vec();
    let mut truncated = Vec::new();
    recordio::encode(&full[..full.len() - 10], &mut truncated);
    let mock = streaming(vec![unknown, truncated, heartbeat()]).await;
    let (mut events, _caller) = client::subscribe(config(mock.url())).expect("client");
    expect_subscribed(&mut events).await;
    let err = next(&mut events).await.expect_err("unknown type");
    assert!(matches!(err, Error::EventTypeUnknown { value: 99 }), "{err:?}");
    let err = next(&mut events).await.expect_err("truncated");
    assert!(matches!(err, Error::Protobuf(_)), "{err:?}");
    assert!(matches!(next(&mut events).await, Ok(Event::Heartbeat)));
}

#[tokio::test]
async fn subscribe_refusals_are_typed_and_final() {
    for code in [400u16, 401, 403, 404] {
        let mock = Mock::start(move |_, _| Reply::Status(code, "refused", vec![])).await;
        let (mut events, _caller) = client::subscribe(config(mock.url())).expect("client");
        match next(&mut events).await {
            Err(Error::Status { status, body }) => {
                assert_eq!((status, body.as_str()), (code, "refused"))
            }
            other => panic!("{code}: {other:?}"),
        }
        assert!(timeout(STEP, events.recv()).await.expect("ends").is_none(), "{code}");
    }
}

#[tokio::test]
async fn subscribe_server_errors_are_retried() {
    let mock = Mock::start(|seen, n| match (seen.kind(), n) {
        (call::Type::Subscribe, 0) => Reply::Status(500, "boom", vec![]),
        (call::Type::Subscribe, 1) => Reply::Status(503, "recovering", vec![]),
        _ => Reply::Stream { chunks: vec![subscribed(15.0)], close: false },
    })
    .await;
    let (mut events, _caller) = client::subscribe(config(mock.url())).expect("client");
    assert!(matches!(next(&mut events).await, Err(Error::Status { status: 500, .. })));
    assert!(matches!(next(&mut events).await, Err(Error::Status { status: 503, .. })));
    expect_subscribed(&mut events).await;
}

#[tokio::test]
async fn subscribe_and_calls_follow_307_to_the_leader() {
    let mut leader = streaming(vec![]).await;
    let location = format!("//127.0.0.1:{}/master/api/v1/scheduler", leader.addr.port());
    let mut follower =
        Mock::start(move |_, _| Reply::Status(307, "", vec![("Location", location.clone())])).await;
    let (mut events, caller) = client::subscribe(config(follower.url())).expect("client");
    expect_subscribed(&mut events).await;
    assert_eq!(follower.next().await.kind(), call::Type::Subscribe);
    assert_eq!(leader.next().await.kind(), call::Type::Subscribe);
    let id = caller.framework_id().expect("id");
    caller.call(mesos::call::reconcile_all(&id)).await.expect("accepted");
    assert_eq!(leader.next().await.kind(), call::Type::Reconcile);
}

#[tokio::test]
async fn call_statuses_are_typed_errors_and_503_is_retried() {
    let mut mock = Mock::start(|seen, n| match seen.kind() {
        call::Type::Subscribe => Reply::Stream { chunks: vec![subscribed(15.0)], close: false },
        call::Type::Kill => {
            let task = seen.call.kill.as_ref().map(|k| k.task_id.value.clone()).unwrap_or_default();
            match task.as_str() {
                "503-then-202" if n < 8 => Reply::Status(503, "", vec![]),
                "503-then-202" => Reply::Status(202, "", vec![]),
                "503" => Reply::Status(503, "still recovering", vec![]),
                code => Reply::Status(code.parse().unwrap_or(500), "no", vec![]),
            }
        }
        _ => Reply::Status(202, "", vec![]),
    })
    .await;
    let mut config = config(mock.url());
    config.max_unavailable_retries = 3;
    let (mut events, caller) = client::subscribe(config).expect("client");
    expect_subscribed(&mut events).await;
    let id = caller.framework_id().expect("id");
    let kill = |task: &str| mesos::call::kill(&id, task.into(), None, None);
    for code in [400u16, 401, 403, 404, 500] {
        match caller.call(kill(&code.to_string())).await {
            Err(Error::Status { status, body }) => {
                assert_eq!((status, body.as_str()), (code, "no"))
            }
            other => panic!("{code}: {other:?}"),
        }
    }
    // Requests 0..=5 so far: SUBSCRIBE and five calls; 6 and 7 get 503, 8 gets 202.
    caller.call(kill("503-then-202")).await.expect("retried until 202");
    let mut seen = 0;
    while mock.seen.try_recv().is_ok() {
        seen += 1;
    }
    assert_eq!(seen, 9);
    match caller.call(kill("503")).await {
        Err(Error::Status { status: 503, body }) => assert_eq!(body, "still recovering"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn master_closing_the_stream_leads_to_resubscription_with_the_id() {
    let mut mock = Mock::start(|seen, _| match seen.kind() {
        call::Type::Subscribe => Reply::Stream { chunks: vec![subscribed(15.0)], close: true },
        _ => Reply::Status(202, "", vec![]),
    })
    .await;
    let (mut events, _caller) = client::subscribe(config(mock.url())).expect("client");
    expect_subscribed(&mut events).await;
    assert!(matches!(next(&mut events).await, Err(Error::StreamEnded)));
    expect_subscribed(&mut events).await;
    assert_eq!(mock.next().await.call.framework_id, None);
    assert_eq!(mock.next().await.call.framework_id.map(|f| f.value), Some("fw-1".to_owned()));
}

#[tokio::test]
async fn missed_heartbeats_drop_the_stream_and_resubscribe() {
    let mock = Mock::start(|seen, _| match seen.kind() {
        call::Type::Subscribe => Reply::Stream { chunks: vec![subscribed(0.1)], close: false },
        _ => Reply::Status(202, "", vec![]),
    })
    .await;
    let mut config = config(mock.url());
    config.missed_heartbeats = 3;
    let (mut events, _caller) = client::subscribe(config).expect("client");
    expect_subscribed(&mut events).await;
    match next(&mut events).await {
        Err(Error::HeartbeatsMissed { waited }) => {
            assert_eq!(waited, Duration::from_millis(300))
        }
        other => panic!("{other:?}"),
    }
    expect_subscribed(&mut events).await;
}

#[tokio::test]
async fn failover_timeout_ends_the_stream() {
    let mock = Mock::start(|seen, n| match (seen.kind(), n) {
        (call::Type::Subscribe, 0) => Reply::Stream { chunks: vec![subscribed(15.0)], close: true },
        _ => Reply::Status(503, "", vec![]),
    })
    .await;
    let mut config = config(mock.url());
    config.framework.failover_timeout = Some(0.2);
    let (mut events, _caller) = client::subscribe(config).expect("client");
    expect_subscribed(&mut events).await;
    loop {
        match next(&mut events).await {
            Err(Error::FailoverTimeoutPassed { framework_id, .. }) => {
                assert_eq!(framework_id, "fw-1");
                break;
            }
            Err(Error::StreamEnded | Error::Status { status: 503, .. }) => {}
            other => panic!("{other:?}"),
        }
    }
    assert!(timeout(STEP, events.recv()).await.expect("ends").is_none());
}

#[tokio::test]
async fn master_error_event_ends_the_stream() {
    let error = record(&scheduler::Event {
        r#type: Some(event::Type::Error as i32),
        error: Some(event::Error { message: "Framework has been removed".into() }),
        ..Default::default()
    });
    let mock = streaming(vec![error]).await;
    let (mut events, _caller) = client::subscribe(config(mock.url())).expect("client");
    expect_subscribed(&mut events).await;
    assert!(matches!(next(&mut events).await, Ok(Event::Error(m)) if m.contains("removed")));
    assert!(timeout(STEP, events.recv()).await.expect("ends").is_none());
}

#[tokio::test]
async fn speaks_json_as_mesos_writes_it() {
    let json_record = |event: &scheduler::Event| {
        let mut out = Vec::new();
        recordio::encode(&json::to_vec(event), &mut out);
        out
    };
    let subscribed = json_record(&scheduler::Event {
        r#type: Some(event::Type::Subscribed as i32),
        subscribed: Some(event::Subscribed {
            framework_id: "fw-1".into(),
            heartbeat_interval_seconds: Some(15.0),
            master_info: None,
        }),
        ..Default::default()
    });
    let unknown = br#"{"type":"SOMETHING_NEW"}"#;
    let mut unknown_record = Vec::new();
    recordio::encode(unknown, &mut unknown_record);
    let chunks = vec![subscribed, unknown_record, b"6\n{\"ty".to_vec(), b"p}".to_vec()];
    let mut mock = Mock::start(move |seen, _| match seen.kind() {
        call::Type::Subscribe => Reply::Stream { chunks: chunks.clone(), close: false },
        _ => Reply::Status(202, "", vec![]),
    })
    .await;
    let mut config = config(mock.url());
    config.content_type = ContentType::Json;
    let (mut events, caller) = client::subscribe(config).expect("client");
    expect_subscribed(&mut events).await;
    // An unknown enum name in the optional `type` is dropped, as Mesos does: no type.
    assert!(matches!(next(&mut events).await, Err(Error::EventTypeMissing)));
    // Well-framed JSON (split across chunks) that does not parse.
    assert!(matches!(next(&mut events).await, Err(Error::Json(_))));
    assert_eq!(mock.next().await.content_type, ContentType::Json);
    let id = caller.framework_id().expect("id");
    caller.call(mesos::call::revive(&id, vec![])).await.expect("accepted");
    let revive = mock.next().await;
    assert_eq!((revive.content_type, revive.kind()), (ContentType::Json, call::Type::Revive));
}

#[tokio::test]
async fn speaks_tls_to_a_master_it_trusts_and_refuses_one_it_does_not() {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).expect("cert");
    let cert = certified.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.key_pair.serialize_der().into());
    let server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .expect("server config");
    let mut mock = Mock::start_with(
        |seen, _| match seen.kind() {
            call::Type::Subscribe => Reply::Stream { chunks: vec![subscribed(15.0)], close: false },
            _ => Reply::Status(202, "", vec![]),
        },
        Some(Arc::new(server)),
    )
    .await;
    let client_config = |roots: rustls::RootCertStore| {
        Arc::new(
            rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .expect("versions")
                .with_root_certificates(roots)
                .with_no_client_auth(),
        )
    };
    let mut trusted = rustls::RootCertStore::empty();
    trusted.add(cert).expect("root");

    let url: MasterUrl = format!("https://127.0.0.1:{}", mock.addr.port()).parse().expect("url");
    let mut config = config(url.clone());
    config.tls = Some(client_config(trusted));
    let (mut events, caller) = client::subscribe(config).expect("client");
    expect_subscribed(&mut events).await;
    let id = caller.framework_id().expect("id");
    caller.call(mesos::call::revive(&id, vec![])).await.expect("accepted");
    assert_eq!(mock.next().await.kind(), call::Type::Subscribe);
    assert_eq!(mock.next().await.kind(), call::Type::Revive);

    // An https URL without a TLS configuration, and a master whose certificate is not
    // trusted, are errors (and retried, as the master may be fixed).
    let (mut events, _caller) = client::subscribe(config_for(url.clone(), None)).expect("client");
    assert!(matches!(next(&mut events).await, Err(Error::TlsNotConfigured)));
    let untrusted = Some(client_config(rustls::RootCertStore::empty()));
    let (mut events, _caller) = client::subscribe(config_for(url, untrusted)).expect("client");
    let err = next(&mut events).await.expect_err("untrusted");
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
}

fn config_for(url: MasterUrl, tls: Option<Arc<rustls::ClientConfig>>) -> Config {
    Config { tls, ..config(url) }
}
