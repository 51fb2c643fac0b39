//! Metrics under Spark's shuffle-service names, and a minimal Prometheus `/metrics` endpoint.
//!
//! Code records through the `metrics` crate macros (re-exported here); they are no-ops
//! until [`install`] sets the Prometheus recorder, which main does only when the endpoint is
//! enabled. The endpoint is a tiny HTTP/1.1 responder of our own so that no HTTP stack is
//! pulled in for one fixed page.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use ::metrics::Counter;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use shuffle_protocol::block_id::BlockId;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tracing::{debug, warn};

use crate::error::Result;

pub use ::metrics::{counter, gauge, histogram};

/// Histogram (ms): handling of OpenBlocks / FetchShuffleBlocks up to the StreamHandle reply.
pub const OPEN_BLOCK_REQUEST_LATENCY_MILLIS: &str = "openBlockRequestLatencyMillis";
/// Histogram (ms): handling of RegisterExecutor, including persisting it.
pub const REGISTER_EXECUTOR_REQUEST_LATENCY_MILLIS: &str = "registerExecutorRequestLatencyMillis";
/// Counter: blocks handed out (a batch chunk counts its reduce partitions), as Spark's meter.
pub const BLOCK_TRANSFER_RATE: &str = "blockTransferRate";
/// Counter: chunks handed out, as Spark's meter.
pub const BLOCK_TRANSFER_MESSAGE_RATE: &str = "blockTransferMessageRate";
/// Counter: bytes of the chunks handed out, as Spark's meter.
pub const BLOCK_TRANSFER_RATE_BYTES: &str = "blockTransferRateBytes";
/// Gauge: executors currently registered.
pub const REGISTERED_EXECUTORS_SIZE: &str = "registeredExecutorsSize";
/// Gauge: client connections currently open.
pub const NUM_ACTIVE_CONNECTIONS: &str = "numActiveConnections";
/// Counter: errors caught on connections (Spark's pipeline `exceptionCaught`).
pub const NUM_CAUGHT_EXCEPTIONS: &str = "numCaughtExceptions";
/// Gauge: connections registered with the transport server (Spark's TransportServer count).
pub const NUM_REGISTERED_CONNECTIONS: &str = "numRegisteredConnections";
/// Gauge: Mesos drivers currently registered for heartbeat expiry (ours).
pub const REGISTERED_DRIVERS_SIZE: &str = "registeredDriversSize";
/// Counter: applications whose files were cleaned after their driver went away (ours).
pub const APPS_CLEANED: &str = "appsCleaned";
/// Counter: bytes of application files deleted by cleanup (ours).
pub const CLEANED_BYTES: &str = "cleanedBytes";
/// Counter: application files deleted by cleanup (ours).
pub const CLEANED_FILES: &str = "cleanedFiles";
/// Gauge: block streams currently open (ours).
pub const ACTIVE_STREAMS: &str = "activeStreams";
/// Counter: connections closed at once because `maxConnections` were open (ours).
pub const NUM_REFUSED_CONNECTIONS: &str = "numRefusedConnections";
/// Counter: authentication handshakes refused, wrong secrets included (ours).
pub const NUM_AUTH_FAILURES: &str = "numAuthFailures";

/// Spark's per-chunk meters: blockTransferMessageRate, blockTransferRate (a batch chunk
/// counts its reduce partitions) and blockTransferRateBytes. Registered once, because
/// finding a counter by name costs more than counting, and every chunk served counts.
#[derive(Debug, Clone)]
pub struct ChunkMeters {
    messages: Counter,
    blocks: Counter,
    bytes: Counter,
}

impl ChunkMeters {
    /// The meters in the recorder installed now, or no-ops if there is none: register
    /// after [`install`].
    pub fn registered() -> Self {
        Self {
            messages: counter!(BLOCK_TRANSFER_MESSAGE_RATE),
            blocks: counter!(BLOCK_TRANSFER_RATE),
            bytes: counter!(BLOCK_TRANSFER_RATE_BYTES),
        }
    }

    /// Counts one chunk of `block`, `bytes` long, handed out.
    pub fn mark(&self, block: &BlockId, bytes: u64) {
        let blocks = match *block {
            BlockId::ShuffleBatch { start_reduce_id, end_reduce_id, .. } => {
                u64::try_from(i64::from(end_reduce_id) - i64::from(start_reduce_id)).unwrap_or(0)
            }
            _ => 1,
        };
        self.messages.increment(1);
        self.blocks.increment(blocks);
        self.bytes.increment(bytes);
    }
}

/// Installs the Prometheus recorder as the process-wide one and describes every metric.
/// Call once, before anything records.
pub fn install() -> Result<PrometheusHandle> {
    let handle = PrometheusBuilder::new().install_recorder()?;
    describe();
    Ok(handle)
}

/// Gives every metric its help text and unit, shown as `# HELP` in the scrape.
fn describe() {
    use ::metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_histogram!(
        OPEN_BLOCK_REQUEST_LATENCY_MILLIS,
        Unit::Milliseconds,
        "Time to handle an open-blocks request"
    );
    describe_histogram!(
        REGISTER_EXECUTOR_REQUEST_LATENCY_MILLIS,
        Unit::Milliseconds,
        "Time to handle an executor registration"
    );
    describe_counter!(BLOCK_TRANSFER_RATE, Unit::Count, "Blocks handed out");
    describe_counter!(BLOCK_TRANSFER_MESSAGE_RATE, Unit::Count, "Chunks handed out");
    describe_counter!(BLOCK_TRANSFER_RATE_BYTES, Unit::Bytes, "Bytes of chunks handed out");
    describe_gauge!(REGISTERED_EXECUTORS_SIZE, Unit::Count, "Registered executors");
    describe_gauge!(NUM_ACTIVE_CONNECTIONS, Unit::Count, "Open client connections");
    describe_counter!(NUM_CAUGHT_EXCEPTIONS, Unit::Count, "Errors caught on connections");
    describe_gauge!(NUM_REGISTERED_CONNECTIONS, Unit::Count, "Registered connections");
    describe_gauge!(REGISTERED_DRIVERS_SIZE, Unit::Count, "Registered Mesos drivers");
    describe_counter!(APPS_CLEANED, Unit::Count, "Applications cleaned up");
    describe_counter!(CLEANED_BYTES, Unit::Bytes, "Bytes deleted by application cleanup");
    describe_counter!(CLEANED_FILES, Unit::Count, "Files deleted by application cleanup");
    describe_gauge!(ACTIVE_STREAMS, Unit::Count, "Open block streams");
    describe_counter!(NUM_AUTH_FAILURES, Unit::Count, "Authentication handshakes refused");
    describe_counter!(NUM_REFUSED_CONNECTIONS, Unit::Count, "Connections closed at the limit");
}

/// Longest request head accepted; a scrape request is a few hundred bytes.
const MAX_REQUEST: usize = 8 * 1024;
/// Scrapes served at once; more wait for a slot.
const MAX_SCRAPES: usize = 8;
/// Time a client gets to send its request and read the answer.
const SCRAPE_DEADLINE: Duration = Duration::from_secs(10);
/// How often histograms are drained, so they stay bounded even if nobody scrapes.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// Serves `GET /metrics` (Prometheus text format) on `listener` until `shutdown` completes;
/// any other path is 404, any other method 405. Each connection gets one answer and is
/// closed. Also runs the recorder's periodic upkeep.
pub async fn serve_metrics(
    listener: TcpListener,
    handle: PrometheusHandle,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(MAX_SCRAPES));
    let mut upkeep = tokio::time::interval(UPKEEP_INTERVAL);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => return,
            _ = upkeep.tick() => handle.run_upkeep(),
            accepted = listener.accept() => match accepted {
                Ok((socket, peer)) => {
                    let Ok(slot) = slots.clone().acquire_owned().await else { return };
                    let handle = handle.clone();
                    tokio::spawn(async move {
                        let answered = answer(socket, &handle);
                        let answered = tokio::time::timeout(SCRAPE_DEADLINE, answered).await;
                        if let Err(e) = answered.unwrap_or_else(|elapsed| Err(elapsed.into())) {
                            debug!(%peer, error = %e, "metrics request failed");
                        }
                        drop(slot);
                    });
                }
                Err(e) => {
                    // Out of descriptors and the like: back off instead of spinning.
                    warn!(error = %e, "metrics accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
}

/// Reads one request head and writes the matching response.
async fn answer(mut socket: TcpStream, handle: &PrometheusHandle) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(512);
    let head_len = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break Some(end);
        }
        if buf.len() >= MAX_REQUEST {
            break None;
        }
        let mut chunk = [0u8; 1024];
        let n = socket.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let response = match head_len {
        None => reply("431 Request Header Fields Too Large", "request too large\n", true),
        Some(end) => {
            let head = String::from_utf8_lossy(&buf[..end]);
            let mut parts = head.lines().next().unwrap_or_default().split_whitespace();
            let (method, target) = (parts.next().unwrap_or_default(), parts.next());
            let path = target.map(|t| t.split('?').next().unwrap_or_default());
            match (method, path) {
                (_, None) => reply("400 Bad Request", "bad request\n", true),
                ("GET" | "HEAD", Some("/metrics")) => {
                    reply("200 OK", &handle.render(), method == "GET")
                }
                ("GET" | "HEAD", Some(_)) => reply("404 Not Found", "not found\n", method == "GET"),
                _ => reply("405 Method Not Allowed", "method not allowed\n", true),
            }
        }
    };
    socket.write_all(&response).await?;
    socket.shutdown().await?;
    // Closing with unread input would reset the connection and could destroy the response
    // before the client reads it, so read what the client still sends, within a bound.
    let mut sink = [0u8; 1024];
    let mut drained = 0;
    while drained < 8 * MAX_REQUEST {
        match socket.read(&mut sink).await? {
            0 => break,
            n => drained += n,
        }
    }
    Ok(())
}

fn reply(status: &str, body: &str, with_body: bool) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if with_body {
        out.extend_from_slice(body.as_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(addr: std::net::SocketAddr, request: &str) -> String {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        s.write_all(request.as_bytes()).await.expect("write");
        let mut out = String::new();
        s.read_to_string(&mut out).await.expect("read");
        out
    }

    #[test]
    fn chunk_meters_count_into_the_recorder_they_were_registered_with() {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        let meters = ::metrics::with_local_recorder(&recorder, ChunkMeters::registered);
        let batch = BlockId::ShuffleBatch {
            shuffle_id: 0,
            map_id: 1,
            start_reduce_id: 2,
            end_reduce_id: 5,
        };
        meters.mark(&batch, 100);
        meters.mark(&BlockId::Shuffle { shuffle_id: 0, map_id: 1, reduce_id: 7 }, 5);
        let page = handle.render();
        assert!(page.contains("\nblockTransferMessageRate 2\n"), "{page}");
        assert!(page.contains("\nblockTransferRate 4\n"), "{page}");
        assert!(page.contains("\nblockTransferRateBytes 105\n"), "{page}");
    }

    #[tokio::test]
    async fn endpoint_renders_counters_and_refuses_other_paths() {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        ::metrics::with_local_recorder(&recorder, || {
            counter!(BLOCK_TRANSFER_RATE_BYTES).increment(42);
            gauge!(NUM_ACTIVE_CONNECTIONS).set(3.0);
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let stop = tokio_util::sync::CancellationToken::new();
        let server = tokio::spawn(serve_metrics(listener, handle, stop.clone().cancelled_owned()));

        let ok = get(addr, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
        assert!(ok.contains("\nblockTransferRateBytes 42\n"), "{ok}");
        assert!(ok.contains("\nnumActiveConnections 3\n"), "{ok}");

        let missing = get(addr, "GET /other HTTP/1.1\r\n\r\n").await;
        assert!(missing.starts_with("HTTP/1.1 404 "), "{missing}");
        let post = get(addr, "POST /metrics HTTP/1.1\r\n\r\n").await;
        assert!(post.starts_with("HTTP/1.1 405 "), "{post}");
        let huge = format!("GET /metrics HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(2 * MAX_REQUEST));
        assert!(get(addr, &huge).await.starts_with("HTTP/1.1 431 "));

        stop.cancel();
        server.await.expect("server stops");
    }
}
