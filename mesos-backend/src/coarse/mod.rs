//! The coarse-grained backend core: Spark 3.5.6's `MesosCoarseGrainedSchedulerBackend`
//! decisions as pure functions of conf, offers and state.
//!
//! ```text
//! config.rs      the SparkConf, read once and typed (keys and defaults of Spark 3.5.6)
//! framework.rs   the FrameworkInfo to SUBSCRIBE with
//! scala_hash_map.rs  Scala 2.12 `mutable.HashMap` order, for `sc.executorEnvs`
//! state.rs       agents, cores and GPUs acquired, executor limit, locality wait, stop
//! offers.rs      resourceOffers: constraints, round-robin evaluation, launches and declines
//! task.rs        the executor TaskInfo: command, environment, URIs, resources, container
//! status.rs      statusUpdate: shuffle-service registration, failures, revives
//! ```
//!
//! [`CoarseBackend::handle`] takes one [`Input`] (a Mesos event or a request from Spark) and
//! the current time, and returns the [`Action`]s Spark's backend would take, in Spark's order:
//! calls to send to the master, and the driver's registration with an agent's external
//! shuffle service, which the runtime performs (through `shuffle-client`). No I/O here.

pub mod config;
pub mod framework;
mod offers;
pub(crate) mod scala_hash_map;
mod state;
mod status;
pub(crate) mod task;

use std::time::Instant;

use mesos::event::Event;
use mesos::proto::scheduler::Call;
use mesos::proto::{FrameworkId, TaskId};

pub use config::{spark_context_executor_envs, CoarseConfig, DriverEnv};
pub use framework::{framework_info, FrameworkEnv};

use crate::Error;
use state::State;

/// What drives the core: the master's events and Spark's requests.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// An event of the SUBSCRIBE stream. SUBSCRIBED is Spark's `registered` (it sets the
    /// application id); OFFERS is `resourceOffers`; UPDATE is `statusUpdate`; ERROR is
    /// `error`; the others change nothing, as in Spark.
    Event(Box<Event>),
    /// `doRequestTotalExecutors` for the default resource profile, with the host → local task
    /// count map `requestTotalExecutors` records for it.
    RequestTotalExecutors {
        /// The executor limit.
        total: u32,
        /// Hosts the pending tasks prefer, and how many tasks prefer each.
        host_to_local_task_count: Vec<(String, u32)>,
    },
    /// `doKillExecutors`: kill these executors (= Mesos task ids).
    KillExecutors(Vec<String>),
    /// `stop()`.
    Stop,
    /// Time has passed: send it at [`CoarseBackend::next_deadline`] (the end of `stop()`'s
    /// wait for executors).
    Tick,
}

/// One thing the backend does, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Send this call to the master.
    Call(Box<Call>),
    /// Register the driver with the external shuffle service of an agent
    /// (`MesosExternalBlockStoreClient.registerDriverWithShuffleService`): connect to
    /// `host:port`, send `RegisterDriver(app_id, heartbeat_timeout_ms)`, then heartbeat every
    /// `heartbeat_interval_ms`. When it fails, report it with
    /// [`CoarseBackend::shuffle_registration_failed`] so the next RUNNING retries (Spark
    /// marks the agent only after a successful call).
    RegisterWithShuffleService {
        /// The agent whose shuffle service this is.
        agent_id: String,
        /// The agent's host name (from its first offer).
        host: String,
        /// `spark.shuffle.service.port`.
        port: i32,
        /// The application (framework) id.
        app_id: String,
        /// `spark.storage.blockManagerHeartbeatTimeoutMs`, else `spark.network.timeout`.
        heartbeat_timeout_ms: i64,
        /// `spark.executor.heartbeatInterval`.
        heartbeat_interval_ms: i64,
    },
}

/// The result of one input: the actions taken, and the error Spark would throw out of the
/// callback after taking them (Spark keeps running after such an error).
#[derive(Debug, Default)]
pub struct Outcome {
    /// Actions in order.
    pub actions: Vec<Action>,
    /// What Spark's callback throws, if anything.
    pub error: Option<Error>,
}

/// Spark 3.5.6's `MesosCoarseGrainedSchedulerBackend` as a state machine.
#[derive(Debug)]
pub struct CoarseBackend {
    config: CoarseConfig,
    state: State,
}

impl CoarseBackend {
    /// A backend that has not subscribed yet; `now` starts the locality wait, as Spark's
    /// constructor does.
    pub fn new(config: CoarseConfig, now: Instant) -> Self {
        let state = State::new(&config, now);
        Self { config, state }
    }

    /// The configuration this backend runs with.
    pub fn config(&self) -> &CoarseConfig {
        &self.config
    }

    /// The application id: the framework id given at subscription.
    pub fn app_id(&self) -> Option<&str> {
        self.state.framework_id.as_ref().map(|id| id.value.as_str())
    }

    /// Handles one input at time `now`.
    pub fn handle(&mut self, input: Input, now: Instant) -> Outcome {
        let mut out = Outcome::default();
        match input {
            Input::Event(event) => self.on_event(*event, now, &mut out),
            Input::RequestTotalExecutors { total, host_to_local_task_count } => {
                self.state.executor_limit = Some(total);
                self.state.host_to_local_task_count = host_to_local_task_count;
                self.state.locality_wait_start = now;
            }
            Input::KillExecutors(ids) => {
                // Before registration Spark has no driver to kill through and only warns.
                if let Some(framework_id) = &self.state.framework_id {
                    for id in ids {
                        let kill = mesos::call::kill(framework_id, TaskId::from(id), None, None);
                        out.actions.push(Action::Call(Box::new(kill)));
                    }
                }
            }
            Input::Stop => self.stop(now, &mut out),
            Input::Tick => self.stop_driver_if_due(now, &mut out),
        }
        out
    }

    /// When the core next needs an [`Input::Tick`], if ever.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.state.stop_deadline
    }

    /// The runtime could not register the driver with `agent_id`'s shuffle service: the next
    /// RUNNING update from that agent tries again.
    pub fn shuffle_registration_failed(&mut self, agent_id: &str) {
        if let Some(agent) = self.state.agents.get_mut(agent_id) {
            agent.shuffle_registered = false;
        }
    }

    /// Whether `stop()` was called.
    pub fn is_stopped(&self) -> bool {
        self.state.stopped
    }

    /// How many executors are running or launching (Spark's `numExecutors`).
    pub fn num_executors(&self) -> usize {
        self.state.num_executors()
    }

    fn on_event(&mut self, event: Event, now: Instant, out: &mut Outcome) {
        match event {
            Event::Subscribed(subscribed) => self.registered(subscribed.framework_id),
            Event::Offers(offers) => offers::resource_offers(self, offers, now, out),
            Event::Update(status) => {
                status::status_update(self, &status, out);
                self.stop_driver_if_due(now, out);
                // libmesos acknowledges every update after the callback (implicit
                // acknowledgements); a v1 framework must do it itself.
                if let Some(framework_id) = &self.state.framework_id {
                    if let Some(ack) = mesos::call::acknowledge(framework_id, &status) {
                        out.actions.push(Action::Call(Box::new(ack)));
                    }
                }
            }
            Event::Error(message) => out.error = Some(Error::ClusterError { message }),
            Event::Rescind(_)
            | Event::Message { .. }
            | Event::Failure { .. }
            | Event::Heartbeat
            | Event::InverseOffers(_)
            | Event::RescindInverseOffer(_)
            | Event::UpdateOperationStatus => {}
        }
    }

    fn registered(&mut self, framework_id: FrameworkId) {
        self.state.framework_id = Some(framework_id);
    }

    /// `stop()`: once. Offers are declined from now on; the framework itself is stopped
    /// (for a v1 framework that does not fail over: TEARDOWN) once every executor has ended
    /// or `spark.mesos.coarse.shutdownTimeout` has passed, whichever comes first.
    fn stop(&mut self, now: Instant, out: &mut Outcome) {
        if self.state.stopped {
            return;
        }
        self.state.stopped = true;
        self.state.stop_deadline = Some(now + self.config.shutdown_timeout);
        self.stop_driver_if_due(now, out);
    }

    /// Stops the framework when `stop()` is waiting and its wait is over.
    fn stop_driver_if_due(&mut self, now: Instant, out: &mut Outcome) {
        let Some(deadline) = self.state.stop_deadline else { return };
        if self.state.num_executors() > 0 && now < deadline {
            return;
        }
        self.state.stop_deadline = None;
        if let Some(framework_id) = &self.state.framework_id {
            out.actions.push(Action::Call(Box::new(mesos::call::teardown(framework_id))));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use mesos::event::Subscribed;
    use mesos::proto::scheduler::call;
    use mesos::proto::{value, AgentId, Offer, OfferId, Resource, TaskState, TaskStatus};
    use mesos::rules::conf::SparkConf;

    use super::*;

    fn backend(pairs: &[(&str, &str)], now: Instant) -> CoarseBackend {
        let conf: SparkConf = pairs.iter().copied().collect();
        let env = DriverEnv { spark_user: "u".into(), ..DriverEnv::default() };
        let mut b = CoarseBackend::new(CoarseConfig::new(&conf, &env).unwrap(), now);
        let subscribed = Subscribed {
            framework_id: FrameworkId::from("fw"),
            heartbeat_interval: None,
            master_info: None,
        };
        b.handle(Input::Event(Box::new(Event::Subscribed(subscribed))), now);
        b
    }

    fn scalar(name: &str, v: f64) -> Resource {
        Resource {
            name: name.into(),
            r#type: value::Type::Scalar as i32,
            scalar: Some(value::Scalar { value: v }),
            role: Some("*".into()),
            ..Resource::default()
        }
    }

    fn offer(id: &str, agent: &str) -> Input {
        Input::Event(Box::new(Event::Offers(vec![Offer {
            id: OfferId::from(id),
            agent_id: AgentId::from(agent),
            hostname: "h".into(),
            resources: vec![scalar("cpus", 1.0), scalar("mem", 4096.0)],
            ..Offer::default()
        }])))
    }

    fn update(task: &str, state: TaskState, uuid: Option<&[u8]>) -> Input {
        Input::Event(Box::new(Event::Update(TaskStatus {
            task_id: TaskId::from(task),
            state: state as i32,
            agent_id: Some(AgentId::from("a1")),
            uuid: uuid.map(<[u8]>::to_vec),
            ..TaskStatus::default()
        })))
    }

    fn kinds(out: &Outcome) -> Vec<call::Type> {
        out.actions
            .iter()
            .filter_map(|a| match a {
                Action::Call(c) => c.r#type.and_then(|t| call::Type::try_from(t).ok()),
                Action::RegisterWithShuffleService { .. } => None,
            })
            .collect()
    }

    #[test]
    fn stop_waits_for_executors_until_the_shutdown_timeout() {
        let t0 = Instant::now();
        let mut b = backend(&[("spark.mesos.executor.home", "/s")], t0);
        assert_eq!(kinds(&b.handle(offer("o1", "a1"), t0)), [call::Type::Accept]);
        assert!(kinds(&b.handle(Input::Stop, t0)).is_empty());
        assert_eq!(b.next_deadline(), Some(t0 + Duration::from_secs(10)));
        assert_eq!(kinds(&b.handle(offer("o2", "a1"), t0)), [call::Type::Decline]);
        let out = b.handle(update("0", TaskState::TaskKilled, None), t0);
        assert_eq!(kinds(&out), [call::Type::Revive, call::Type::Teardown]);
        assert_eq!(b.next_deadline(), None);
        assert!(kinds(&b.handle(Input::Stop, t0)).is_empty());
    }

    #[test]
    fn stop_gives_up_waiting_at_the_deadline() {
        let t0 = Instant::now();
        let mut b = backend(&[("spark.mesos.executor.home", "/s")], t0);
        b.handle(offer("o1", "a1"), t0);
        b.handle(Input::Stop, t0);
        assert!(kinds(&b.handle(Input::Tick, t0 + Duration::from_secs(9))).is_empty());
        let out = b.handle(Input::Tick, t0 + Duration::from_secs(10));
        assert_eq!(kinds(&out), [call::Type::Teardown]);
    }

    #[test]
    fn updates_with_a_uuid_are_acknowledged_after_handling() {
        let t0 = Instant::now();
        let mut b = backend(&[("spark.mesos.executor.home", "/s")], t0);
        b.handle(offer("o1", "a1"), t0);
        let out = b.handle(update("0", TaskState::TaskFailed, Some(b"id")), t0);
        assert_eq!(kinds(&out), [call::Type::Revive, call::Type::Acknowledge]);
        let out = b.handle(update("0", TaskState::TaskRunning, Some(b"id")), t0);
        assert_eq!(kinds(&out), [call::Type::Acknowledge]);
    }

    #[test]
    fn unknown_agent_is_an_error_and_nothing_else() {
        let t0 = Instant::now();
        let mut b = backend(&[], t0);
        let out = b.handle(update("0", TaskState::TaskRunning, None), t0);
        assert!(out.actions.is_empty());
        assert!(matches!(out.error, Some(Error::UnknownAgent { .. })));
    }

    #[test]
    fn kills_before_subscription_do_nothing() {
        let t0 = Instant::now();
        let conf = SparkConf::new();
        let env = DriverEnv::default();
        let mut b = CoarseBackend::new(CoarseConfig::new(&conf, &env).unwrap(), t0);
        assert!(b.handle(Input::KillExecutors(vec!["0".into()]), t0).actions.is_empty());
    }
}
