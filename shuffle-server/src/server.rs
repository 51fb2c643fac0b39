//! The listener: accepts connections within the connection limit and spawns one task each;
//! on shutdown stops accepting and gives in-flight transfers a deadline to finish.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

use crate::state::State;
use crate::{cleaner, conn};

/// How long in-flight transfers may run on after the shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves `listener` until `shutdown` completes, then drains connections for at most
/// [`SHUTDOWN_GRACE`] and returns. The application [`cleaner`] runs alongside and stops
/// with it.
pub async fn run(listener: TcpListener, state: State, shutdown: impl Future<Output = ()>) {
    let token = CancellationToken::new();
    let tracker = TaskTracker::new();
    tracker.spawn(cleaner::run(state.clone(), token.clone()));
    let limit = Arc::new(Semaphore::new(state.config().max_connections));
    let next_conn = AtomicU64::new(1);

    let accept_loop = async {
        let mut backoff = Duration::from_millis(1);
        loop {
            // The permit comes before accept so a full daemon leaves new peers in the
            // kernel backlog instead of accepting and dropping them.
            let Ok(permit) = limit.clone().acquire_owned().await else { return };
            match listener.accept().await {
                Ok((socket, peer)) => {
                    backoff = Duration::from_millis(1);
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
