//! The coarse-grained backend core: Spark 3.5.6's `MesosCoarseGrainedSchedulerBackend`
//! decisions as pure functions of conf, offers and state.
//!
//! ```text
//! config.rs      the SparkConf, read once and typed (keys and defaults of Spark 3.5.6)
//! framework.rs   the FrameworkInfo (and credential) to SUBSCRIBE with
//! state.rs       agents, cores and GPUs acquired, executor limit, locality wait
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
mod scala_hash_map;
mod state;
mod status;
mod task;

use std::time::Instant;

use mesos::event::Event;
use mesos::proto::scheduler::Call;
use mesos::proto::{FrameworkId, TaskId};

pub use config::{spark_context_executor_envs, CoarseConfig, DriverEnv};
pub use framework::{framework_info, FrameworkEnv, FrameworkRegistration};

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
