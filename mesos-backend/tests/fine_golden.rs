//! Replays the fine-grained oracle's scenarios (`mesos/tests/fixtures/spark-3.5.6-fine-*`,
//! `docs/mesos-backend-oracle.md`) through our core and compares its calls with those Spark
//! 3.5.6's own `MesosFineGrainedSchedulerBackend` made: launches byte for byte, declines with
//! their filters, revives, stops and the errors thrown.
//!
//! The fine-grained backend launches what Spark's `TaskSchedulerImpl` places, and that
//! scheduler stays in the driver's JVM. Here [`TaskScheduler`] stands in for it (and for the
//! `DAGScheduler` the oracle submits jobs to): just enough of it for the scenarios, with Spark's
//! placement (round-robin, one task per offer per pass, in offer order), task naming and ids,
//! resubmission and revives.
//!
//! The same normalization as the oracle's: `TaskInfo.data` and `ExecutorInfo.data` are cleared
//! (our tasks carry the stand-in's bytes, Spark's its Java-serialized objects). Spark's `text`
//! lines are skipped.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeSet;

use mesos::client::Credentials;
use mesos::event::{Event, Subscribed};
use mesos::proto::{AgentId, ExecutorId, FrameworkId, OfferId};
use mesos::rules::conf::SparkConf;
use mesos_backend::coarse::{DriverEnv, FrameworkEnv};
use mesos_backend::fine::{
    framework_info, Action, FineBackend, FineConfig, Input, SparkTaskState, TaskDescription,
    WorkerOffer,
};
use shuffle_tests::mesos_scenarios::{self as sc, Scenario};
use support::{
    create_driver_line, first_difference, fixture, offer, render_call, status, without_data,
};

/// Scenarios our core does not reproduce yet, with the reason. The test fails when one of
/// these starts passing (move it out) or when any other scenario fails.
const UNSUPPORTED: &[(&str, &str)] = &[];

/// One running Spark task of the stand-in scheduler.
struct Running {
    tid: i64,
    partition: usize,
    executor: String,
}

/// The part of Spark's `TaskSchedulerImpl` (and `DAGScheduler`) the scenarios exercise: one
/// job at a time, its tasks without locality preferences.
#[derive(Default)]
struct TaskScheduler {
    cpus_per_task: i32,
    next_tid: i64,
    /// The active task set: pending partitions (Spark dequeues from the end) and the next
    /// attempt number of each partition.
    task_set: Option<(Vec<usize>, Vec<u32>)>,
    /// `executorIdToRunningTaskIds`'s keys: every executor offered and not lost.
    executors: BTreeSet<String>,
    running: Vec<Running>,
}

/// What the stand-in scheduler does to the backend or throws.
enum Reaction {
    Backend(Input),
    Throw(String),
}

impl TaskScheduler {
    /// `submitJob`: the task set's tasks are added last partition first, then offers revived.
    fn submit_job(&mut self, partitions: usize) -> Vec<Reaction> {
        self.task_set = Some(((0..partitions).rev().collect(), vec![0; partitions]));
        vec![Reaction::Backend(Input::ReviveOffers)]
    }

    /// `resourceOffers`: passes over the offers in order, one task per offer with enough
    /// cores per pass, until a pass places nothing. Returned offer by offer.
    fn resource_offers(&mut self, offers: &[WorkerOffer]) -> Vec<TaskDescription> {
        self.executors.extend(offers.iter().map(|o| o.executor_id.clone()));
        let mut cores: Vec<i32> = offers.iter().map(|o| o.cores).collect();
        let mut placed: Vec<Vec<TaskDescription>> = vec![Vec::new(); offers.len()];
        let Some((pending, attempts)) = &mut self.task_set else { return Vec::new() };
        let mut launched = true;
        while launched {
            launched = false;
            for (i, offer) in offers.iter().enumerate() {
                if cores[i] < self.cpus_per_task {
                    continue;
                }
                let Some(partition) = pending.pop() else { break };
                let tid = self.next_tid;
                self.next_tid += 1;
                let attempt = attempts[partition];
                attempts[partition] += 1;
                cores[i] -= self.cpus_per_task;
                launched = true;
                self.running.push(Running { tid, partition, executor: offer.executor_id.clone() });
                placed[i].push(TaskDescription {
                    task_id: tid,
                    executor_id: offer.executor_id.clone(),
                    name: format!("task {partition}.{attempt} in stage 0.0 (TID {tid})"),
                    data: tid.to_be_bytes().to_vec(),
                });
            }
        }
        placed.into_iter().flatten().collect()
    }

    /// `removeExecutor` + `TaskSetManager.executorLost`: the executor's running tasks fail and
    /// go back to the pending list, in the order Spark's `HashMap[Long, TaskInfo]` iterates
    /// them (for the scenarios' small ids: highest first).
    fn remove_executor(&mut self, executor: &str) {
        self.executors.remove(executor);
        let (mut lost, kept): (Vec<Running>, Vec<Running>) =
            self.running.drain(..).partition(|r| r.executor == executor);
        self.running = kept;
        lost.sort_by_key(|r| std::cmp::Reverse(r.tid));
        if let Some((pending, _)) = &mut self.task_set {
            pending.extend(lost.iter().map(|r| r.partition));
        }
    }

    /// `statusUpdate`. A LOST task takes its executor with it (one revive), and the failed
    /// task's handling revives again; FAILED and KILLED only resubmit (one revive).
    fn status_update(&mut self, tid: i64, state: SparkTaskState) -> Vec<Reaction> {
        let Some(at) = self.running.iter().position(|r| r.tid == tid) else { return Vec::new() };
        let revive = || Reaction::Backend(Input::ReviveOffers);
        match state {
            SparkTaskState::Launching | SparkTaskState::Running => Vec::new(),
            SparkTaskState::Finished => {
                self.running.remove(at);
                Vec::new()
            }
            SparkTaskState::Lost => {
                let executor = self.running[at].executor.clone();
                self.remove_executor(&executor);
                vec![revive(), revive()]
            }
            SparkTaskState::Failed | SparkTaskState::Killed => {
                let task = self.running.remove(at);
                if let Some((pending, _)) = &mut self.task_set {
                    pending.push(task.partition);
                }
                vec![revive()]
            }
        }
    }

    /// `executorLost`: only an executor still known is removed (and offers revived).
    fn executor_lost(&mut self, executor: &str) -> Vec<Reaction> {
        if !self.executors.contains(executor) {
            return Vec::new();
        }
        self.remove_executor(executor);
        vec![Reaction::Backend(Input::ReviveOffers)]
    }

    /// `error`: aborts the active task set, whose job's failure kills its running tasks, or
    /// throws when there is none.
    fn error(&mut self, message: &str) -> Vec<Reaction> {
        if self.task_set.take().is_some() {
            return self
                .running
                .iter()
                .map(|r| Reaction::Backend(Input::KillTask(r.tid)))
                .collect();
        }
        vec![Reaction::Throw(format!(
            "org.apache.spark.SparkException: Exiting due to error from cluster scheduler: {message}"
        ))]
    }
}

/// Spark's exception class and message for our errors.
fn spark_error(e: &mesos_backend::Error) -> String {
    use mesos_backend::Error as E;
    match e {
        E::Mesos(mesos::Error::BadConstraintString { constraints }) => {
            format!("java.lang.IllegalArgumentException: Bad constraint string: {constraints}")
        }
        // Spark 3.5.6 prints the ConfigEntry where it means its key.
        E::ExecutorHomeMissing => "org.apache.spark.SparkException: Executor Spark home \
            `ConfigEntry(key=spark.mesos.executor.home, defaultValue=<undefined>, doc=Set the \
            directory in which Spark is installed on the executors in Mesos. By default, the \
            executors will simply use the driver's Spark home directory, which may not be \
            visible to them. Note that this is only relevant if a Spark binary package is not \
            specified through `spark.executor.uri`., public=true, version=1.1.1)` is not set!"
            .to_owned(),
        E::TaskIdNotNumber { task_id } => {
            format!("java.lang.NumberFormatException: For input string: \"{task_id}\"")
        }
        other => format!("(unmapped) {other}"),
    }
}

/// Runs `input` through the backend, the stand-in scheduler answering what the backend asks of
/// Spark's, and renders the calls and errors in the oracle's format.
fn run(
    backend: &mut FineBackend,
    scheduler: &mut TaskScheduler,
    input: Input,
    lines: &mut Vec<String>,
) {
    let outcome = backend.handle(input);
    let mut reactions = Vec::new();
    for action in outcome.actions {
        match action {
            Action::Call(call) => render_call(&call, without_data, lines),
            Action::ResourceOffers(round) => {
                let tasks = scheduler.resource_offers(round.worker_offers());
                let launched = backend.launch_tasks(round, tasks);
                for action in &launched.actions {
                    if let Action::Call(call) = action {
                        render_call(call, without_data, lines);
                    }
                }
                if let Some(e) = &launched.error {
                    lines.push(format!("error {}", spark_error(e)));
                }
            }
            Action::StatusUpdate { task_id, state, .. } => {
                reactions.extend(scheduler.status_update(task_id, state));
            }
            Action::ExecutorLost { executor_id, .. } => {
                reactions.extend(scheduler.executor_lost(&executor_id));
            }
            Action::Error(message) => reactions.extend(scheduler.error(&message)),
            Action::ExecutorAdded { .. } | Action::ExecutorRemoved { .. } => {}
        }
    }
    if let Some(e) = &outcome.error {
        lines.push(format!("error {}", spark_error(e)));
    }
    react(backend, scheduler, reactions, lines);
}

fn react(
    backend: &mut FineBackend,
    scheduler: &mut TaskScheduler,
    reactions: Vec<Reaction>,
    lines: &mut Vec<String>,
) {
    for reaction in reactions {
        match reaction {
            Reaction::Backend(input) => run(backend, scheduler, input, lines),
            Reaction::Throw(error) => lines.push(format!("error {error}")),
        }
    }
}

/// Our backend's run of one scenario, in the fixture's format (without `text` lines).
fn replay(scenario: &Scenario) -> Vec<String> {
    let conf: SparkConf = scenario.conf.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let mut lines = Vec::new();
    let env = DriverEnv { spark_user: "oracle".to_owned(), ..DriverEnv::default() };
    let config = match FineConfig::new(&conf, &env) {
        Ok(config) => config,
        Err(e) => return vec![format!("construct-error {}", spark_error(&e))],
    };
    let framework_env = FrameworkEnv { spark_user: "oracle".to_owned(), ..FrameworkEnv::default() };
    let credentials =
        Credentials::from_spark_conf(|k| conf.get(k).map(str::to_owned), |_| None).unwrap();
    let fw = framework_info(&conf, &framework_env, credentials.as_ref()).unwrap();
    lines.push(create_driver_line(&scenario.master, &fw, credentials.as_ref()));

    // The oracle's task schedulers place tasks by the default ResourceProfile of its one
    // SparkContext, started with `spark.task.cpus=1`; the backend reads the scenario's
    // `spark.task.cpus` itself (in an application both agree).
    let mut scheduler = TaskScheduler { cpus_per_task: 1, ..TaskScheduler::default() };
    let mut backend = FineBackend::new(config, b"spark properties".to_vec());
    let subscribed = Subscribed {
        framework_id: FrameworkId::from(scenario.framework_id.as_str()),
        heartbeat_interval: None,
        master_info: None,
    };
    backend.handle(Input::Event(Box::new(Event::Subscribed(subscribed))));
    lines.push(format!("registered {}", backend.app_id().unwrap()));

    let event = |e: Event| Input::Event(Box::new(e));
    for step in &scenario.steps {
        lines.push(format!("> {}", step.line));
        let input = match &step.action {
            sc::Action::SubmitJob(n) => {
                let reactions = scheduler.submit_job(*n as usize);
                react(&mut backend, &mut scheduler, reactions, &mut lines);
                continue;
            }
            sc::Action::Offers(offers) => event(Event::Offers(offers.iter().map(offer).collect())),
            sc::Action::Status { task, agent, state } => {
                event(Event::Update(status(task, agent, state)))
            }
            sc::Action::Stop => Input::Stop,
            sc::Action::Rescind(id) => event(Event::Rescind(OfferId::from(id.as_str()))),
            // libmesos's connection callbacks: a v1 runtime sees them as a reconnect.
            sc::Action::Disconnected | sc::Action::Reregistered => continue,
            sc::Action::AgentLost(agent) => event(Event::Failure {
                agent_id: Some(AgentId::from(agent.as_str())),
                executor_id: None,
                status: None,
            }),
            sc::Action::ExecutorLost { executor, agent, status } => event(Event::Failure {
                agent_id: Some(AgentId::from(agent.as_str())),
                executor_id: Some(ExecutorId::from(executor.as_str())),
                status: Some(*status),
            }),
            sc::Action::FrameworkMessage { executor, agent, data } => event(Event::Message {
                agent_id: AgentId::from(agent.as_str()),
                executor_id: ExecutorId::from(executor.as_str()),
                data: data.as_bytes().to_vec(),
            }),
            sc::Action::Error(message) => event(Event::Error(message.clone())),
            sc::Action::Sleep(_) => continue,
            sc::Action::Kill(ids) => {
                for id in ids {
                    let input = Input::KillTask(id.parse().unwrap());
                    run(&mut backend, &mut scheduler, input, &mut lines);
                }
                continue;
            }
            sc::Action::RequestExecutors { .. } => {
                panic!("{}: coarse-grained step", scenario.name)
            }
        };
        run(&mut backend, &mut scheduler, input, &mut lines);
    }
    if !backend.is_stopped() {
        lines.push("> (end of scenario: stop)".to_owned());
        run(&mut backend, &mut scheduler, Input::Stop, &mut lines);
    }
    lines
}

#[test]
fn fine_backend_makes_the_calls_spark_makes() {
    let scenarios = sc::parse_scenarios(&fixture("spark-3.5.6-fine-scenarios.txt")).unwrap();
    let calls = sc::parse_calls(&fixture("spark-3.5.6-fine-calls.txt")).unwrap();
    assert_eq!(scenarios.len(), calls.scenarios.len());
    let mut passed = 0;
    let mut failures = Vec::new();
    for (scenario, (name, expected)) in scenarios.iter().zip(&calls.scenarios) {
        assert_eq!(&scenario.name, name);
        let expected: Vec<String> =
            expected.iter().filter(|l| !l.starts_with("text ")).cloned().collect();
        let ours = replay(scenario);
        let listed = UNSUPPORTED.iter().any(|(n, _)| n == name);
        match (ours == expected, listed) {
            (true, false) => passed += 1,
            (false, true) => {}
            (true, true) => failures.push(format!("{name}: passes now; drop it from UNSUPPORTED")),
            (false, false) => {
                failures.push(format!("{name}: {}", first_difference(&ours, &expected)));
            }
        }
    }
    println!("{passed} of {} scenarios match Spark 3.5.6", scenarios.len());
    assert!(failures.is_empty(), "{} scenarios differ:\n{}", failures.len(), failures.join("\n"));
    assert!(passed >= 8, "only {passed} scenarios pass");
}
