//! The fine-grained backend core: Spark 3.5.6's `MesosFineGrainedSchedulerBackend`
//! (`spark.mesos.coarse=false`, one Mesos task per Spark task, run by one
//! `MesosExecutorBackend` per agent) as pure functions of conf, offers and state.
//!
//! ```text
//! config.rs      the SparkConf, read once and typed (keys and defaults of Spark 3.5.6)
//! framework.rs   the FrameworkInfo to SUBSCRIBE with (the coarse one, without failover)
//! executor.rs    createExecutorInfo: the MesosExecutorBackend's ExecutorInfo
//! offers.rs      resourceOffers: constraints, usable offers, WorkerOffers for Spark's
//!                TaskScheduler, then its TaskDescriptions as Mesos tasks, launches, declines
//! status.rs      statusUpdate, executor and agent loss
//! ```
//!
//! Spark's `TaskSchedulerImpl` decides which Spark task runs where; it stays in the driver's
//! JVM. So an OFFERS event is handled in two steps: [`FineBackend::handle`] declines what Spark
//! declines up front and returns [`Action::ResourceOffers`] with the [`WorkerOffer`]s to hand
//! to `scheduler.resourceOffers`; the caller passes the [`TaskDescription`]s it returns to
//! [`FineBackend::launch_tasks`], which builds the Mesos tasks (their data is the opaque
//! serialized `TaskDescription`) and launches and declines. Status updates and losses are
//! turned into the calls to Spark's scheduler that the backend makes. No I/O here.

pub mod config;
mod executor;
pub mod framework;
mod offers;
mod status;

use std::collections::BTreeMap;

use mesos::event::Event;
use mesos::proto::scheduler::Call;
use mesos::proto::{ExecutorInfo, FrameworkId, TaskId};

pub use config::FineConfig;
pub use framework::framework_info;
pub use offers::OfferRound;

/// What drives the core: the master's events and the calls Spark's `TaskSchedulerImpl` makes
/// on its `SchedulerBackend`.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// An event of the SUBSCRIBE stream. SUBSCRIBED is Spark's `registered`; OFFERS is
    /// `resourceOffers` (continued by [`FineBackend::launch_tasks`]); UPDATE is
    /// `statusUpdate`; FAILURE is `executorLost` (with an executor) or `agentLost`; ERROR is
    /// `error`; the others change nothing, as in Spark.
    Event(Box<Event>),
    /// `reviveOffers()`.
    ReviveOffers,
    /// `killTask(taskId, …)`: kill the Mesos task of this Spark task id.
    KillTask(i64),
    /// `stop()`.
    Stop,
}

/// A `WorkerOffer` for `TaskSchedulerImpl.resourceOffers`: one per usable Mesos offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerOffer {
    /// The executor id: the agent id.
    pub executor_id: String,
    /// The agent's host name.
    pub host: String,
    /// Whole cpus for Spark tasks: the offer's cpus, less `spark.mesos.mesosExecutor.cores`
    /// while the agent has no executor yet, truncated.
    pub cores: i32,
}

/// A Spark task `TaskSchedulerImpl.resourceOffers` placed on a [`WorkerOffer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskDescription {
    /// The Spark task id (TID), which becomes the Mesos task id.
    pub task_id: i64,
    /// The executor (= agent) id of the worker offer it was placed on.
    pub executor_id: String,
    /// `task I.A in stage S.A (TID T)`, the Mesos task's name.
    pub name: String,
    /// `TaskDescription.encode(task)`, opaque here: the Mesos task's data.
    pub data: Vec<u8>,
}

/// Spark's `TaskState`, as `mesosToTaskState` maps Mesos's states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SparkTaskState {
    /// STAGING, STARTING.
    Launching,
    /// RUNNING, KILLING.
    Running,
    /// FINISHED.
    Finished,
    /// FAILED.
    Failed,
    /// KILLED.
    Killed,
    /// LOST, ERROR, DROPPED, UNREACHABLE, GONE, GONE_BY_OPERATOR, UNKNOWN.
    Lost,
}

/// Why an agent's executor is gone (Spark's `ExecutorLossReason`, and the reason string of
/// `SparkListenerExecutorRemoved`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutorLossReason {
    /// A task on it failed or was lost ("Lost executor"); Spark's scheduler learns of it from
    /// the status update itself.
    TaskFailed,
    /// The agent is gone (`agentLost`: `ExecutorProcessLost()`).
    AgentLost,
    /// The executor exited (`executorLost`: `ExecutorExited(status, exitCausedByApp = true)`).
    ExecutorExited {
        /// The exit status Mesos reported, if any.
        status: Option<i32>,
    },
}

/// One thing the backend does, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Send this call to the master.
    Call(Box<Call>),
    /// Call `scheduler.resourceOffers(round.worker_offers())` and pass what it returns to
    /// [`FineBackend::launch_tasks`] with this round.
    ResourceOffers(OfferRound),
    /// `scheduler.statusUpdate(tid, state, data)`.
    StatusUpdate {
        /// The Spark task id.
        task_id: i64,
        /// Its state.
        state: SparkTaskState,
        /// The status's data (the serialized task result, from the executor).
        data: Vec<u8>,
    },
    /// `scheduler.executorLost(agentId, reason)`.
    ExecutorLost {
        /// The executor (= agent) id.
        executor_id: String,
        /// Why.
        reason: ExecutorLossReason,
    },
    /// `scheduler.error(message)`: Spark's scheduler aborts every task set, or throws
    /// `SparkException("Exiting due to error from cluster scheduler: …")` when there is none.
    Error(String),
    /// `SparkListenerExecutorAdded` on the listener bus: posted at every launch on an agent.
    ExecutorAdded {
        /// The executor (= agent) id.
        executor_id: String,
        /// The agent's host.
        host: String,
        /// The worker offer's cores.
        cores: i32,
    },
    /// `SparkListenerExecutorRemoved` on the listener bus.
    ExecutorRemoved {
        /// The executor (= agent) id.
        executor_id: String,
        /// Why.
        reason: ExecutorLossReason,
    },
}

/// The result of one input: the actions taken, and the error Spark would throw out of the
/// callback after taking them (Spark keeps running after such an error).
#[derive(Debug, Default)]
pub struct Outcome {
    /// Actions in order.
    pub actions: Vec<Action>,
    /// What Spark's callback throws, if anything.
    pub error: Option<crate::Error>,
}

/// Spark 3.5.6's `MesosFineGrainedSchedulerBackend` as a state machine.
#[derive(Debug)]
pub struct FineBackend {
    config: FineConfig,
    /// `createExecArg()`: the serialized Spark properties every ExecutorInfo carries.
    exec_arg: Vec<u8>,
    framework_id: Option<FrameworkId>,
    /// `agentIdToExecutorInfo`: the agents with an executor, and its info (reused as is).
    executors: BTreeMap<String, ExecutorInfo>,
    /// `taskIdToAgentId`: the agent of each launched task until it ends.
    task_agents: BTreeMap<i64, String>,
    stopped: bool,
}

impl FineBackend {
    /// A backend that has not subscribed yet. `exec_arg` is the `ExecutorInfo.data` Spark
    /// sends each executor (`Utils.serialize` of the Spark properties), which only the
    /// driver's JVM can produce.
    pub fn new(config: FineConfig, exec_arg: Vec<u8>) -> Self {
        Self {
            config,
            exec_arg,
            framework_id: None,
            executors: BTreeMap::new(),
            task_agents: BTreeMap::new(),
            stopped: false,
        }
    }

    /// The configuration this backend runs with.
    pub fn config(&self) -> &FineConfig {
        &self.config
    }

    /// The application id: the framework id given at subscription.
    pub fn app_id(&self) -> Option<&str> {
        self.framework_id.as_ref().map(|id| id.value.as_str())
    }

    /// Whether `stop()` was called.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// The agents that have an executor, in id order.
    pub fn executor_agents(&self) -> impl Iterator<Item = &str> {
        self.executors.keys().map(String::as_str)
    }

    /// Handles one input.
    pub fn handle(&mut self, input: Input) -> Outcome {
        let mut out = Outcome::default();
        match input {
            Input::Event(event) => self.on_event(*event, &mut out),
            Input::ReviveOffers => {
                if let Some(framework_id) = &self.framework_id {
                    let revive = mesos::call::revive(framework_id, Vec::new());
                    out.actions.push(Action::Call(Box::new(revive)));
                }
            }
            Input::KillTask(task_id) => {
                if let Some(framework_id) = &self.framework_id {
                    let kill = mesos::call::kill(
                        framework_id,
                        TaskId::from(task_id.to_string()),
                        None,
                        None,
                    );
                    out.actions.push(Action::Call(Box::new(kill)));
                }
            }
            Input::Stop => self.stop(&mut out),
        }
        out
    }

    /// The second half of `resourceOffers`: `tasks` are what `scheduler.resourceOffers`
    /// returned for `round`'s worker offers, flattened in its order (offer by offer).
    pub fn launch_tasks(&mut self, round: OfferRound, tasks: Vec<TaskDescription>) -> Outcome {
        let mut out = Outcome::default();
        offers::launch_tasks(self, round, tasks, &mut out);
        out
    }

    fn on_event(&mut self, event: Event, out: &mut Outcome) {
        match event {
            Event::Subscribed(subscribed) => self.framework_id = Some(subscribed.framework_id),
            Event::Offers(offers) => offers::resource_offers(self, offers, out),
            Event::Update(status) => {
                status::status_update(self, &status, out);
                // libmesos acknowledges every update after the callback (implicit
                // acknowledgements); a v1 framework must do it itself.
                if let Some(framework_id) = &self.framework_id {
                    if let Some(ack) = mesos::call::acknowledge(framework_id, &status) {
                        out.actions.push(Action::Call(Box::new(ack)));
                    }
                }
            }
            Event::Failure { agent_id: Some(agent_id), executor_id, status } => {
                let reason = match executor_id {
                    Some(_) => ExecutorLossReason::ExecutorExited { status },
                    None => ExecutorLossReason::AgentLost,
                };
                status::agent_lost(self, &agent_id.value, reason, out);
            }
            Event::Error(message) => out.actions.push(Action::Error(message)),
            Event::Failure { agent_id: None, .. }
            | Event::Rescind(_)
            | Event::Message { .. }
            | Event::Heartbeat
            | Event::InverseOffers(_)
            | Event::RescindInverseOffer(_)
            | Event::UpdateOperationStatus => {}
        }
    }

    /// `stop()`: stops the driver, which for a v1 framework that does not fail over is a
    /// TEARDOWN. Spark waits for nothing here (unlike the coarse backend).
    fn stop(&mut self, out: &mut Outcome) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        if let Some(framework_id) = &self.framework_id {
            out.actions.push(Action::Call(Box::new(mesos::call::teardown(framework_id))));
        }
    }

    fn offer_framework_id(&self) -> FrameworkId {
        self.framework_id.clone().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use mesos::event::Subscribed;
    use mesos::proto::scheduler::call;
    use mesos::proto::{value, AgentId, Offer, OfferId, Resource, TaskState, TaskStatus};
    use mesos::rules::conf::SparkConf;

    use super::*;
    use crate::coarse::DriverEnv;

    fn backend() -> FineBackend {
        let conf: SparkConf = [("spark.mesos.executor.home", "/s")].into_iter().collect();
        let env = DriverEnv { spark_user: "u".into(), ..DriverEnv::default() };
        let mut b = FineBackend::new(FineConfig::new(&conf, &env).unwrap(), b"props".to_vec());
        let subscribed = Subscribed {
            framework_id: FrameworkId::from("fw"),
            heartbeat_interval: None,
            master_info: None,
        };
        b.handle(Input::Event(Box::new(Event::Subscribed(subscribed))));
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

    fn offers(list: &[(&str, &str, f64)]) -> Input {
        Input::Event(Box::new(Event::Offers(
            list.iter()
                .map(|&(id, agent, cpus)| Offer {
                    id: OfferId::from(id),
                    agent_id: AgentId::from(agent),
                    hostname: format!("h-{agent}"),
                    resources: vec![scalar("cpus", cpus), scalar("mem", 4096.0)],
                    ..Offer::default()
                })
                .collect(),
        )))
    }

    fn task(tid: i64, agent: &str) -> TaskDescription {
        TaskDescription {
            task_id: tid,
            executor_id: agent.into(),
            name: format!("t{tid}"),
            data: vec![tid as u8],
        }
    }

    fn update(tid: &str, state: TaskState) -> Input {
        Input::Event(Box::new(Event::Update(TaskStatus {
            task_id: TaskId::from(tid),
            state: state as i32,
            agent_id: Some(AgentId::from("a1")),
            uuid: Some(b"u".to_vec()),
            ..TaskStatus::default()
        })))
    }

    fn kinds(actions: &[Action]) -> Vec<String> {
        actions
            .iter()
            .map(|a| match a {
                Action::Call(c) => {
                    format!("{:?}", c.r#type.and_then(|t| call::Type::try_from(t).ok()).unwrap())
                }
                Action::ResourceOffers(_) => "ResourceOffers".into(),
                Action::StatusUpdate { state, .. } => format!("StatusUpdate({state:?})"),
                Action::ExecutorLost { .. } => "ExecutorLost".into(),
                Action::Error(_) => "Error".into(),
                Action::ExecutorAdded { .. } => "ExecutorAdded".into(),
                Action::ExecutorRemoved { .. } => "ExecutorRemoved".into(),
            })
            .collect()
    }

    fn round(out: Outcome) -> OfferRound {
        match out.actions.into_iter().last() {
            Some(Action::ResourceOffers(round)) => round,
            other => panic!("no round: {other:?}"),
        }
    }

    #[test]
    fn a_failed_task_removes_its_agents_executor_and_is_acknowledged() {
        let mut b = backend();
        let r = round(b.handle(offers(&[("o1", "a1", 3.0)])));
        assert_eq!(r.worker_offers()[0].cores, 2);
        b.launch_tasks(r, vec![task(0, "a1"), task(1, "a1")]);
        assert_eq!(b.executor_agents().collect::<Vec<_>>(), ["a1"]);
        let out = b.handle(update("0", TaskState::TaskRunning));
        assert_eq!(kinds(&out.actions), ["StatusUpdate(Running)", "Acknowledge"]);
        let out = b.handle(update("0", TaskState::TaskFailed));
        assert_eq!(kinds(&out.actions), ["ExecutorRemoved", "StatusUpdate(Failed)", "Acknowledge"]);
        assert_eq!(b.executor_agents().count(), 0);
        // Task 0 has ended: a second failure for it no longer removes anything.
        let r = round(b.handle(offers(&[("o2", "a1", 3.0)])));
        b.launch_tasks(r, vec![task(2, "a1")]);
        let out = b.handle(update("0", TaskState::TaskLost));
        assert_eq!(kinds(&out.actions), ["StatusUpdate(Lost)", "Acknowledge"]);
    }

    #[test]
    fn a_task_id_that_is_not_a_number_is_an_error_and_still_acknowledged() {
        let mut b = backend();
        let out = b.handle(update("x", TaskState::TaskRunning));
        assert_eq!(kinds(&out.actions), ["Acknowledge"]);
        assert!(matches!(out.error, Some(crate::Error::TaskIdNotNumber { .. })));
    }

    #[test]
    fn revive_kill_error_and_stop() {
        let mut b = backend();
        assert_eq!(kinds(&b.handle(Input::ReviveOffers).actions), ["Revive"]);
        let out = b.handle(Input::KillTask(7));
        assert_eq!(kinds(&out.actions), ["Kill"]);
        let Action::Call(kill) = &out.actions[0] else { unreachable!() };
        assert_eq!(kill.kill.as_ref().unwrap().task_id.value, "7");
        let out = b.handle(Input::Event(Box::new(Event::Error("gone".into()))));
        assert_eq!(out.actions, [Action::Error("gone".into())]);
        assert_eq!(kinds(&b.handle(Input::Stop).actions), ["Teardown"]);
        assert!(b.handle(Input::Stop).actions.is_empty());
        assert!(b.is_stopped());
    }

    #[test]
    fn agent_and_executor_loss_remove_the_executor_and_tell_the_scheduler() {
        let mut b = backend();
        let r = round(b.handle(offers(&[("o1", "a1", 2.0)])));
        b.launch_tasks(r, vec![task(0, "a1")]);
        let lost = Event::Failure {
            agent_id: Some(AgentId::from("a1")),
            executor_id: Some(mesos::proto::ExecutorId::from("a1")),
            status: Some(1),
        };
        let out = b.handle(Input::Event(Box::new(lost)));
        let reason = ExecutorLossReason::ExecutorExited { status: Some(1) };
        assert_eq!(
            out.actions,
            [
                Action::ExecutorRemoved { executor_id: "a1".into(), reason },
                Action::ExecutorLost { executor_id: "a1".into(), reason },
            ]
        );
        assert_eq!(b.executor_agents().count(), 0);
        let gone = Event::Failure { agent_id: None, executor_id: None, status: None };
        assert!(b.handle(Input::Event(Box::new(gone))).actions.is_empty());
    }
}
