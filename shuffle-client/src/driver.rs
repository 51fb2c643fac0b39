//! Driver registration with heartbeats (Spark's `MesosExternalBlockStoreClient`).
//!
//! A driver registers its application with `RegisterDriver(appId, heartbeatTimeoutMs)`;
//! the service forgets the application (and deletes its executors' files) once no
//! `ShuffleServiceHeartbeat` arrived for that long. Like Spark, the first heartbeat goes
//! out right after the registration is answered and the next ones every
//! `driver_heartbeat_interval`, as one-way messages on the registration's connection.
//! Unlike Spark, which silently loses heartbeats once that connection dies, this client
//! reconnects and registers again (a re-registration only resets the service's timer),
//! retrying every `retry_wait` until it succeeds or the registration is closed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use shuffle_protocol::codec::Encode;
use shuffle_protocol::shuffle::{BlockTransferMessage, RegisterDriver, ShuffleServiceHeartbeat};
use tokio::task::JoinHandle;
use tokio::time::{interval, timeout, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use crate::pool::{PeerAddr, Pool};
use crate::retry::with_retries;
use crate::transport::Conn;

/// Counters of a registration's background task.
#[derive(Debug, Default)]
struct Stats {
    registrations: AtomicU64,
    heartbeats: AtomicU64,
}

/// A registered driver: sends heartbeats in the background until [`close`](Self::close)d
/// or dropped.
#[derive(Debug)]
pub struct DriverRegistration {
    cancel: CancellationToken,
    task: Option<JoinHandle<()>>,
    stats: Arc<Stats>,
}

impl DriverRegistration {
    /// Stops the heartbeats and waits for the background task to end. There is no
    /// unregister message; the service expires the application after its timeout.
    pub async fn close(mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Successful `RegisterDriver` RPCs so far: 1, plus one per reconnection.
    pub fn registrations(&self) -> u64 {
        self.stats.registrations.load(Ordering::Relaxed)
    }

    /// Heartbeats written so far.
    pub fn heartbeats_sent(&self) -> u64 {
        self.stats.heartbeats.load(Ordering::Relaxed)
    }
}

impl Drop for DriverRegistration {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// What the background task needs to register again.
#[derive(Debug)]
struct Registrar {
    pool: Arc<Pool>,
    addr: PeerAddr,
    app_id: String,
    register: Bytes,
    heartbeat: Bytes,
}

impl Registrar {
    /// One `RegisterDriver` RPC, within `registration_timeout`, on a pooled connection.
    async fn register_once(&self) -> Result<Arc<Conn>> {
        let conn = self.pool.get(&self.addr, &self.app_id).await?;
        let limit = self.pool.config().registration_timeout;
        match timeout(limit, conn.rpc("RegisterDriver", self.register.clone())).await {
            Err(_) => Err(Error::Timeout { addr: self.addr.to_string(), timeout: limit }),
            // Spark ignores the (empty) body.
            Ok(reply) => reply.map(|_| conn),
        }
    }
}

/// Registers `app_id` with the service at `addr` (retrying connection errors by the client's
/// policy) and starts the heartbeats.
pub(crate) async fn register_driver(
    pool: Arc<Pool>,
    addr: PeerAddr,
    app_id: &str,
    heartbeat_timeout: Duration,
) -> Result<DriverRegistration> {
    let heartbeat_timeout_ms = i64::try_from(heartbeat_timeout.as_millis()).unwrap_or(i64::MAX);
    let register: BlockTransferMessage =
        RegisterDriver { app_id: app_id.to_owned(), heartbeat_timeout_ms }.into();
    let heartbeat: BlockTransferMessage =
        ShuffleServiceHeartbeat { app_id: app_id.to_owned() }.into();
    let registrar = Registrar {
        pool,
        addr,
        app_id: app_id.to_owned(),
        register: register.to_bytes(),
        heartbeat: heartbeat.to_bytes(),
    };
    let config = registrar.pool.config().clone();
    let conn = with_retries(&config, "RegisterDriver", || registrar.register_once()).await?;
    let stats = Arc::new(Stats::default());
    stats.registrations.store(1, Ordering::Relaxed);
    let cancel = CancellationToken::new();
    let task = tokio::spawn(heartbeats(registrar, conn, cancel.clone(), stats.clone()));
    Ok(DriverRegistration { cancel, task: Some(task), stats })
}

/// The background task: a heartbeat every interval, re-registering on a new connection
/// whenever the current one is gone.
async fn heartbeats(
    registrar: Registrar,
    conn: Arc<Conn>,
    cancel: CancellationToken,
    stats: Arc<Stats>,
) {
    let config = registrar.pool.config().clone();
    let mut ticker = interval(config.driver_heartbeat_interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut conn = Some(conn);
    loop {
        let current = match conn.take() {
            Some(current) => current,
            None => {
                // Reconnect and register again, until it works or we are closed.
                let registered = tokio::select! {
                    () = cancel.cancelled() => return,
                    registered = registrar.register_once() => registered,
                };
                match registered {
                    Ok(fresh) => {
                        stats.registrations.fetch_add(1, Ordering::Relaxed);
                        tracing::info!(addr = %registrar.addr, "driver registered again");
                        ticker.reset_immediately();
                        fresh
                    }
                    Err(e) => {
                        tracing::warn!(addr = %registrar.addr, error = %e, "re-registering driver");
                        tokio::select! {
                            () = cancel.cancelled() => return,
                            () = tokio::time::sleep(config.retry_wait) => {}
                        }
                        continue;
                    }
                }
            }
        };
        tokio::select! {
            () = cancel.cancelled() => return,
            () = current.closed() => {
                tracing::debug!(addr = %registrar.addr, "heartbeat connection closed");
            }
            _ = ticker.tick() => {
                match current.send_one_way(registrar.heartbeat.clone()).await {
                    Ok(()) => {
                        stats.heartbeats.fetch_add(1, Ordering::Relaxed);
                        conn = Some(current);
                    }
                    Err(e) => tracing::debug!(addr = %registrar.addr, error = %e, "heartbeat failed"),
                }
            }
        }
    }
}
