//! The driver's registrations with the agents' external shuffle services, as Spark 3.5.6's
//! `MesosExternalBlockStoreClient` makes them: `RegisterDriver(framework id, timeout)`, then a
//! `ShuffleServiceHeartbeat` every interval on the same connection, authenticated as the
//! framework id when `spark.authenticate` is on. The service deletes the application's files
//! once the heartbeats stop, which is how a Mesos application's shuffle files get cleaned.
//!
//! ```text
//! Action::RegisterWithShuffleService ─▶ register (spawned) ─▶ outcomes ─▶ next_failure
//!                                                                 └─▶ live (heartbeating)
//! ```
//! Registering never blocks the event loop: each one runs in its own task, and the loop
//! learns of failures through [`ShuffleRegistrations::next_failure`].

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use shuffle_client::{ClientConfig, DriverRegistration, ShuffleClient};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::Error;

/// Registrations in flight whose outcomes the loop has not taken yet. One per agent at most
/// (the core asks once per agent until a failure is reported), so this only bounds a burst.
const OUTCOMES: usize = 64;

/// The outcome of one registration: the agent, and the live registration or the error.
type Registered = (String, Result<DriverRegistration, shuffle_client::Error>);

/// Every registration of one driver, keyed by agent id.
#[derive(Debug)]
pub struct ShuffleRegistrations {
    client: ShuffleClient,
    pending: JoinSet<()>,
    outcomes_tx: mpsc::Sender<Registered>,
    outcomes: mpsc::Receiver<Registered>,
    live: HashMap<String, DriverRegistration>,
}

impl ShuffleRegistrations {
    /// A client configured from the driver's SparkConf (Spark's `spark.shuffle.io.*`,
    /// `spark.shuffle.registration.timeout` and `spark.authenticate*` keys), sending
    /// heartbeats every `heartbeat_interval`.
    pub fn new(
        conf: &BTreeMap<String, String>,
        heartbeat_interval: Duration,
    ) -> Result<Self, Error> {
        let mut config = ClientConfig::from_spark_properties(conf)?;
        config.driver_heartbeat_interval = heartbeat_interval;
        if let Some(auth) = config.auth.as_mut() {
            // Spark's client authenticates as the id it was initialised with, the framework
            // id, not `spark.app.id` (which the driver sets only after the backend started).
            auth.app_id = None;
        }
        let (outcomes_tx, outcomes) = mpsc::channel(OUTCOMES);
        Ok(Self {
            client: ShuffleClient::new(config),
            pending: JoinSet::new(),
            outcomes_tx,
            outcomes,
            live: HashMap::new(),
        })
    }

    /// Starts registering `app_id` with the service at `host:port` for `agent_id`, in the
    /// background.
    pub fn register(
        &mut self,
        agent_id: String,
        host: &str,
        port: i32,
        app_id: String,
        heartbeat_timeout: Duration,
    ) {
        let client = self.client.clone();
        let addr = format!("{host}:{port}");
        let outcomes = self.outcomes_tx.clone();
        self.pending.spawn(async move {
            let result = client.register_driver(addr, &app_id, heartbeat_timeout).await;
            // The receiver lives as long as `self`, which aborts this task when dropped.
            let _ = outcomes.send((agent_id, result)).await;
        });
    }

    /// The next agent whose registration failed, with the error; successful registrations
    /// are kept on the way. Never returns while no registration fails.
    pub async fn next_failure(&mut self) -> (String, shuffle_client::Error) {
        loop {
            // `self` holds a sender, so the channel never closes.
            let Some((agent_id, result)) = self.outcomes.recv().await else {
                return std::future::pending().await;
            };
            // Reap the finished task so the set does not grow with the agents seen.
            while self.pending.try_join_next().is_some() {}
            match result {
                Ok(registration) => {
                    tracing::info!(agent_id, "driver registered with the shuffle service");
                    self.live.insert(agent_id, registration);
                }
                Err(e) => return (agent_id, e),
            }
        }
    }

    /// Agents whose service holds our registration (heartbeats running).
    pub fn registered(&self) -> usize {
        self.live.len()
    }

    /// Stops every heartbeat and registration in flight, as Spark closes its client when the
    /// backend stops; each service then expires the application after its timeout.
    pub async fn close(mut self) {
        self.pending.shutdown().await;
        for (_, registration) in self.live.drain() {
            registration.close().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shuffle_tests::server::TestServer;

    fn conf(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    /// Waits (bounded) until `done` holds.
    async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
        for _ in 0..300 {
            if done() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("{what} did not happen");
    }

    #[tokio::test]
    async fn registers_heartbeats_and_stops() {
        let server = TestServer::start(|_| {});
        let mut regs = ShuffleRegistrations::new(&conf(&[]), Duration::from_millis(50)).unwrap();
        let port = i32::from(server.addr.port());
        regs.register("a1".into(), "127.0.0.1", port, "fw-1".into(), Duration::from_secs(60));
        let failure = tokio::time::timeout(Duration::from_millis(500), regs.next_failure()).await;
        assert!(failure.is_err(), "no failure expected: {failure:?}");
        assert_eq!(regs.registered(), 1);
        eventually("the driver's registration", || server.state.drivers().contains("fw-1")).await;
        eventually("two heartbeats", || regs.live["a1"].heartbeats_sent() >= 2).await;
        regs.close().await;
        // Closed: no heartbeat resets the service's clock any more (it ticked every 50 ms).
        tokio::time::sleep(Duration::from_millis(300)).await;
        let quiet = server.state.drivers().since_heartbeat("fw-1", std::time::Instant::now());
        assert!(quiet.is_some_and(|q| q >= Duration::from_millis(250)), "{quiet:?}");
        server.stop().await;
    }

    #[tokio::test]
    async fn a_refused_connection_is_reported_for_its_agent() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = i32::from(closed.local_addr().unwrap().port());
        drop(closed);
        let mut regs = ShuffleRegistrations::new(
            &conf(&[("spark.shuffle.io.maxRetries", "0")]),
            Duration::from_secs(10),
        )
        .unwrap();
        regs.register("a7".into(), "127.0.0.1", port, "fw-1".into(), Duration::from_secs(60));
        let (agent, _) = regs.next_failure().await;
        assert_eq!(agent, "a7");
        assert_eq!(regs.registered(), 0);
    }

    #[tokio::test]
    async fn authenticates_as_the_framework_id() {
        let server = TestServer::start(|c| {
            c.authenticate = true;
            c.auth_secret = Some(shuffle_server::config::Secret::new("s3cret".to_owned()));
        });
        let mut regs = ShuffleRegistrations::new(
            &conf(&[
                ("spark.authenticate", "true"),
                ("spark.authenticate.secret", "s3cret"),
                ("spark.app.id", "not-the-framework"),
            ]),
            Duration::from_secs(10),
        )
        .unwrap();
        let port = i32::from(server.addr.port());
        regs.register("a1".into(), "127.0.0.1", port, "fw-2".into(), Duration::from_secs(60));
        let failure = tokio::time::timeout(Duration::from_millis(800), regs.next_failure()).await;
        assert!(failure.is_err(), "no failure expected: {failure:?}");
        eventually("the driver's registration", || server.state.drivers().contains("fw-2")).await;
        regs.close().await;
        server.stop().await;
    }
}
