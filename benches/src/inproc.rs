//! Our daemon in-process on `127.0.0.1:0`, on a runtime of its own so that its scheduler
//! and the measuring client's never mix.

use std::io;
use std::net::SocketAddr;

use shuffle_server::registry::Registry;
use shuffle_server::{Config, State};
use tokio::sync::oneshot;

/// A running in-process daemon; stopped when dropped.
#[derive(Debug)]
pub struct InProcessServer {
    /// Where it serves.
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl InProcessServer {
    /// Starts a daemon with the default configuration (in-memory registry, no metrics
    /// endpoint) on `worker_threads` runtime threads.
    pub fn start(worker_threads: usize) -> io::Result<Self> {
        let config = Config {
            host: "127.0.0.1".to_owned(),
            port: 0,
            metrics_port: None,
            db_enabled: false,
            ..Config::default()
        };
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(worker_threads.max(1))
            .thread_name("bench-shuffle-server")
            .enable_all()
            .build()?;
        let state = State::new(config, Registry::in_memory());
        let (shutdown, signal) = oneshot::channel::<()>();
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        runtime.spawn(shuffle_server::run(listener, state, async {
            // A dropped sender stops the server too.
            let _ = signal.await;
        }));
        Ok(Self { addr, shutdown: Some(shutdown), runtime: Some(runtime) })
    }
}

impl Drop for InProcessServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        // Not waiting: a drop may happen inside another runtime, where blocking is refused.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
