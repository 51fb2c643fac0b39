//! Hostile and broken requests over HTTP: the server answers each with a refusal and keeps
//! serving; bodies are never read past the limit. The web UI's server is held to the same
//! bounds.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mesos_dispatcher::queue::{DriverQueue, QueueConfig};
use mesos_dispatcher::rest::{serve, Limits};
use mesos_dispatcher::store::Persistence;
use mesos_dispatcher::webui;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn start(limits: Limits) -> (SocketAddr, Arc<Mutex<DriverQueue>>) {
    let mut queue = DriverQueue::new(QueueConfig::default());
    queue.mark_registered();
    let queue = Arc::new(Mutex::new(queue));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let memory = Persistence::memory();
    tokio::spawn(serve(listener, Arc::clone(&queue), memory, limits, std::future::pending()));
    (addr, queue)
}

/// Writes `request` (raw bytes) and reads until the server closes; returns the status and
/// the whole reply text.
async fn exchange(addr: SocketAddr, request: Vec<u8>) -> (u16, String) {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut rd, mut wr) = stream.into_split();
    let writer = tokio::spawn(async move {
        let _ = wr.write_all(&request).await;
        wr
    });
    let mut raw = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), rd.read_to_end(&mut raw)).await;
    assert!(read.is_ok(), "the server neither answered nor closed");
    drop(writer.await);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, text)
}

fn post(path: &str, extra_headers: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{extra_headers}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

fn valid_create(app_resource: &str, app_name: &str) -> String {
    serde_json::json!({
        "action": "CreateSubmissionRequest",
        "appArgs": ["$(reboot)", "a\nb"],
        "appResource": app_resource,
        "clientSparkVersion": "3.5.6",
        "environmentVariables": {"SPARK_X": "`id`"},
        "mainClass": "M",
        "sparkProperties": {"spark.app.name": app_name, "spark.executor.extraJavaOptions": "-Da=\"$(id)\""},
    })
    .to_string()
}

#[tokio::test]
async fn oversized_bodies_are_refused_declared_or_chunked() {
    let limits = Limits { max_body_bytes: 4096, ..Limits::default() };
    let (addr, queue) = start(limits).await;
    let big = valid_create(&"x".repeat(10_000), "n");
    let (status, text) = exchange(addr, post("/v1/submissions/create", "", big.as_bytes())).await;
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("limit of 4096 bytes"), "{text}");

    // No Content-Length: chunks are counted as they arrive.
    let mut chunked =
        b"POST /v1/submissions/create HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..10 {
        chunked.extend_from_slice(format!("{:x}\r\n{}\r\n", 1000, "y".repeat(1000)).as_bytes());
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let (status, text) = exchange(addr, chunked).await;
    assert_eq!(status, 413, "{text}");
    assert_eq!(queue.lock().expect("queue").queued().count(), 0);
}

#[tokio::test]
async fn broken_bodies_and_paths_get_error_responses() {
    let (addr, queue) = start(Limits::default()).await;
    for body in [
        &b"\xff\xfe{}"[..],
        b"{\"action\": ",
        b"{\"action\": \"CreateSubmissionRequest\", \"appArgs\": {}}",
        b"null",
    ] {
        let (status, text) = exchange(addr, post("/v1/submissions/create", "", body)).await;
        assert_eq!(status, 400, "{text}");
        assert!(text.contains("\"action\" : \"ErrorResponse\""), "{text}");
    }
    let (status, text) = exchange(addr, post("/v1/submissions/kill/%zz", "", b"")).await;
    assert_eq!(status, 400, "{text}");
    let request =
        b"GET /v1/submissions/status/%E2%82 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            .to_vec();
    let (status, _) = exchange(addr, request).await;
    assert_eq!(status, 400);
    assert_eq!(queue.lock().expect("queue").queued().count(), 0);
}

#[tokio::test]
async fn a_stalled_body_times_out() {
    let limits = Limits { body_timeout: Duration::from_millis(300), ..Limits::default() };
    let (addr, _) = start(limits).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let head = "POST /v1/submissions/create HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{";
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut raw)).await;
    assert!(read.is_ok(), "no reply to a stalled body");
    assert!(
        String::from_utf8_lossy(&raw).starts_with("HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&raw)
    );
}

#[tokio::test]
async fn huge_headers_are_refused() {
    let (addr, _) = start(Limits::default()).await;
    let request = format!(
        "GET /v1/submissions/status/x HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
        "h".repeat(200_000)
    );
    let (status, _) = exchange(addr, request.into_bytes()).await;
    assert!(status == 431 || status == 0 || status == 400, "status {status}");
    // Still serving.
    let request =
        b"GET /v1/submissions/status/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec();
    assert_eq!(exchange(addr, request).await.0, 200);
}

/// Quotes, `$()`, backticks and newlines are data at the REST level: stored verbatim for the
/// launch path, which escapes them for the shell as Spark does.
#[tokio::test]
async fn shell_metacharacters_are_stored_verbatim() {
    let (addr, queue) = start(Limits::default()).await;
    let resource = "http://h/x.jar\"; $(touch /tmp/pwned) `id`\nnext";
    let name = "name $(id) \"q\" 'q'\nnl";
    let body = valid_create(resource, name);
    let (status, text) = exchange(addr, post("/v1/submissions/create", "", body.as_bytes())).await;
    assert_eq!(status, 200, "{text}");
    let queue = queue.lock().expect("queue");
    let d = queue.queued().next().expect("queued");
    assert_eq!(d.app_resource, resource);
    assert_eq!(d.name, name);
    assert_eq!(d.app_args, ["$(reboot)", "a\nb"]);
    assert_eq!(d.environment.get("SPARK_X").map(String::as_str), Some("`id`"));
}

#[tokio::test]
async fn silent_and_idle_connections_are_closed() {
    let limits = Limits { header_timeout: Duration::from_millis(300), ..Limits::default() };
    let (addr, _) = start(limits).await;
    // Nothing sent at all.
    let mut silent = TcpStream::connect(addr).await.expect("connect");
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), silent.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "a silent connection stays open");

    // Idle after one keep-alive request.
    let mut idle = TcpStream::connect(addr).await.expect("connect");
    idle.write_all(b"GET /v1/submissions/status/x HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), idle.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "an idle keep-alive connection stays open");
    assert!(String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 200"));
}

async fn start_webui(limits: webui::Limits) -> SocketAddr {
    let mut queue = DriverQueue::new(QueueConfig::default());
    queue.mark_registered();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let queue = Arc::new(Mutex::new(queue));
    tokio::spawn(webui::serve(listener, queue, limits, std::future::pending()));
    addr
}

const WEBUI_GET: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

#[tokio::test]
async fn webui_refuses_other_methods_and_huge_headers() {
    let addr = start_webui(webui::Limits::default()).await;
    let (status, text) = exchange(addr, post("/", "", b"x")).await;
    assert_eq!(status, 405, "{text}");
    assert!(text.to_ascii_lowercase().contains("allow: get, head"), "{text}");
    let request = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
        "h".repeat(200_000)
    );
    let (status, _) = exchange(addr, request.into_bytes()).await;
    assert!(status == 431 || status == 0 || status == 400, "status {status}");
    // A GET declaring a huge body is answered without reading it.
    let request =
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\nConnection: close\r\n\r\n";
    assert_eq!(exchange(addr, request.to_vec()).await.0, 200);
    let (status, text) =
        exchange(addr, b"HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec()).await;
    assert_eq!(status, 200);
    assert!(text.ends_with("\r\n\r\n"), "HEAD has no body: {text}");
    let (status, text) = exchange(addr, WEBUI_GET.to_vec()).await;
    assert_eq!(status, 200);
    let head = text.to_ascii_lowercase();
    assert!(head.contains("content-security-policy: default-src 'none';"), "{text}");
    assert!(head.contains("x-content-type-options: nosniff"), "{text}");
}

#[tokio::test]
async fn webui_closes_idle_connections_and_bounds_their_number() {
    let limits = webui::Limits {
        header_timeout: Duration::from_millis(300),
        max_connections: 1,
        ..webui::Limits::default()
    };
    let addr = start_webui(limits).await;
    // The only slot is taken by a silent connection until its header time runs out; the next
    // request waits in the backlog and is then served.
    let mut silent = TcpStream::connect(addr).await.expect("connect");
    let (status, _) = exchange(addr, WEBUI_GET.to_vec()).await;
    assert_eq!(status, 200);
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), silent.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "a silent connection stays open");

    let mut idle = TcpStream::connect(addr).await.expect("connect");
    idle.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("write");
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), idle.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "an idle keep-alive connection stays open");
    assert!(String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 200"));
}
