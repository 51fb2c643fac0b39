//! The listener: accepts connections and spawns one task each while under the connection
//! limit, and closes the ones over it at once; on shutdown stops accepting and gives
//! in-flight transfers a deadline to finish.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

use crate::metrics::{self, counter};
use crate::state::State;
use crate::{cleaner, conn};

/// How long in-flight transfers may run on after the shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Least time between two log lines about connections closed at the limit.
const REFUSAL_LOG_PERIOD: Duration = Duration::from_secs(1);

/// Serves `listener` until `shutdown` completes, then drains connections for at most
/// [`SHUTDOWN_GRACE`] and returns. The application [`cleaner`] runs alongside and stops
/// with it.
pub async fn run(listener: TcpListener, state: State, shutdown: impl Future<Output = ()>) {
    let token = CancellationToken::new();
    let tracker = TaskTracker::new();
    tracker.spawn(cleaner::run(state.clone(), token.clone()));
    let max_connections = state.config().max_connections;
    let limit = Arc::new(Semaphore::new(max_connections));
    let next_conn = AtomicU64::new(1);

    let accept_loop = async {
        let mut backoff = Duration::from_millis(1);
        let mut refusals = Refusals::default();
        loop {
            match listener.accept().await {
                Ok((socket, peer)) => {
                    backoff = Duration::from_millis(1);
                    // Over the limit, a peer is told at once by the close, where waiting in
                    // the kernel backlog it would hang until its own connect timeout.
                    let Ok(permit) = limit.clone().try_acquire_owned() else {
                        drop(socket);
                        refusals.refused(peer, max_connections);
                        continue;
                    };
                    let id = next_conn.fetch_add(1, Ordering::Relaxed);
                    let state = state.clone();
                    let token = token.child_token();
                    tracker.spawn(async move {
                        conn::serve(socket, peer, id, state, token).await;
                        drop(permit);
                    });
                }
                Err(e) => {
                    // Out of file descriptors and similar: wait instead of spinning.
                    warn!(error = %e, ?backoff, "accept failed");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
            }
        }
    };

    tokio::select! {
        () = accept_loop => {}
        () = shutdown => info!("shutdown requested; no longer accepting connections"),
    }
    drop(listener);
    token.cancel();
    tracker.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, tracker.wait()).await.is_err() {
        warn!(open = tracker.len(), "shutdown grace period over; dropping connections");
    }
}

/// Connections closed at the limit, logged at most once per [`REFUSAL_LOG_PERIOD`] so a
/// flood of them cannot flood the log.
#[derive(Debug, Default)]
struct Refusals {
    last_logged: Option<Instant>,
    unlogged: u64,
}

impl Refusals {
    fn refused(&mut self, peer: SocketAddr, limit: usize) {
        counter!(metrics::NUM_REFUSED_CONNECTIONS).increment(1);
        self.unlogged += 1;
        let now = Instant::now();
        if self.last_logged.is_some_and(|at| now.duration_since(at) < REFUSAL_LOG_PERIOD) {
            return;
        }
        warn!(%peer, limit, closed = self.unlogged,
            "connection limit reached; closing new connections");
        self.last_logged = Some(now);
        self.unlogged = 0;
    }
}
