//! The launch core of Spark 3.5.6's `MesosClusterScheduler`, pure: offers and status updates
//! in, decisions out, the [`DriverQueue`] updated. No I/O and no clock (callers pass `now`).
//!
//! ```text
//! command.rs  the spark-submit line, Spark's shell escaping, environment, fetcher URIs
//! task.rs     the driver's TaskInfo, the offer test (cpus, memory, constraints)
//! status_text.rs  TaskStatus in protobuf text format, for REST status messages
//! java.rs     JVM details the line depends on (Double.toString, File, map orders)
//! reconcile.rs    which launched tasks Mesos must confirm after a (re)subscription
//! ```
//!
//! [`resource_offers`] is `resourceOffers`: drivers due for a relaunch first, then the queue
//! (priority, then submission time), each on the first offer it fits; offers left unused are
//! declined for `spark.mesos.rejectOfferDuration`. [`status_update`] is `statusUpdate`;
//! [`Reconciliation`] is its `pendingRecover` (which tasks' reconciliation answers count).

pub mod command;
pub(crate) mod java;
pub mod reconcile;
pub mod status_text;
pub mod task;

use std::time::SystemTime;

use mesos::proto::{Offer, OfferId, Resource, TaskId, TaskInfo, TaskState, TaskStatus};
use mesos::rules::conf::SparkConf;
use mesos::rules::durations;

use crate::queue::{DriverDescription, DriverQueue, KillOutcome, SubmissionId};
use crate::Result;
pub use reconcile::Reconciliation;

/// `spark.mesos.cluster.retry.wait.max`: the longest wait between relaunches, in seconds.
pub const RETRY_WAIT_MAX: &str = "spark.mesos.cluster.retry.wait.max";
/// The default of [`RETRY_WAIT_MAX`].
pub const DEFAULT_RETRY_WAIT_MAX_SECS: u64 = 60;

/// What the launch core needs of the dispatcher.
#[derive(Debug, Clone)]
pub struct LaunchConf {
    /// The dispatcher's conf (`spark.master` is the dispatcher's `host:port`).
    pub spark: SparkConf,
    /// The framework id Mesos gave the dispatcher; drivers register as `<it>-<submission>`.
    pub framework_id: String,
    /// The dispatcher's `SPARK_HOME`, the last place Spark looks for the agents' Spark.
    pub spark_home_env: Option<String>,
}

impl LaunchConf {
    /// `spark.mesos.cluster.retry.wait.max` in seconds (60 when unset or not a number).
    pub fn retry_wait_max_secs(&self) -> u64 {
        match self.spark.get_int(RETRY_WAIT_MAX) {
            Ok(Some(v)) => u64::try_from(v).unwrap_or(0),
            _ => DEFAULT_RETRY_WAIT_MAX_SECS,
        }
    }
}

/// What to tell Mesos after a round of offers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OfferDecisions {
    /// Tasks to launch, per offer, in the order the offers came (possibly none, when the
    /// driver placed on it could not be launched).
    pub launches: Vec<(OfferId, Vec<TaskInfo>)>,
    /// Offers to decline, with the filter's `refuse_seconds`.
    pub declines: Vec<(OfferId, f64)>,
    /// Drivers that could not be launched (Spark's `SparkException` path): now FINISHED.
    pub unlaunchable: Vec<(SubmissionId, String)>,
}

struct Remaining<'a> {
    offer: &'a Offer,
    resources: Vec<Resource>,
    /// Some once a driver was placed on the offer, even if building its task then failed:
    /// Spark then launches the offer with no task rather than declining it.
    tasks: Option<Vec<TaskInfo>>,
}

/// `resourceOffers`: places the drivers due for a relaunch (whose wait ended before `now`),
/// then the queued ones, each on the first offer whose remaining resources fit it.
pub fn resource_offers(
    queue: &mut DriverQueue,
    offers: &[Offer],
    now: SystemTime,
    conf: &LaunchConf,
) -> Result<OfferDecisions> {
    // Read before the queue changes: an error must not leave drivers marked launched.
    let refuse = durations::reject_offer_duration(&conf.spark)? as f64;
    let mut remaining: Vec<Remaining<'_>> = offers
        .iter()
        .map(|offer| Remaining { offer, resources: offer.resources.clone(), tasks: None })
        .collect();
    let retries: Vec<(DriverDescription, u32)> = queue
        .retrying()
        .filter(|(_, r)| r.next_retry < now)
        .map(|(d, r)| (d.clone(), r.retries))
        .collect();
    let queued: Vec<(DriverDescription, u32)> = queue.queued().map(|d| (d.clone(), 0)).collect();
    let mut decisions = OfferDecisions::default();
    for (driver, retries) in retries.into_iter().chain(queued) {
        let props = task::driver_conf(&driver);
        let fits = remaining.iter().enumerate().find_map(|(at, r)| {
            match task::offer_fits(&driver, &props, &r.resources, &r.offer.attributes) {
                Ok(true) => Some(Ok(at)),
                Ok(false) => None,
                Err(e) => Some(Err(e)),
            }
        });
        let at = match fits {
            Some(Ok(at)) => at,
            None => continue,
            // Its constraints or memory settings do not parse: it can never launch. Spark's
            // parser throws out of resourceOffers; the other drivers go on here.
            Some(Err(e)) => {
                let id = driver.submission_id.clone();
                tracing::error!(driver = %id, error = %e, "failed to launch the driver");
                queue.mark_unlaunchable(&id, now);
                decisions.unlaunchable.push((id, e.to_string()));
                continue;
            }
        };
        let r = &mut remaining[at];
        let id = driver.submission_id.clone();
        let created =
            task::create_task_info(&driver, retries, &r.offer.agent_id, &r.resources, conf);
        let tasks = r.tasks.get_or_insert_with(Vec::new);
        match created {
            Ok((task, left)) => {
                r.resources = left;
                queue.mark_launched(
                    &id,
                    task.task_id.value.clone(),
                    r.offer.agent_id.value.clone(),
                    now,
                );
                tasks.push(task);
            }
            Err(e) => {
                tracing::error!(driver = %id, error = %e, "failed to launch the driver");
                queue.mark_unlaunchable(&id, now);
                decisions.unlaunchable.push((id, e.to_string()));
            }
        }
    }
    for r in remaining {
        match r.tasks {
            Some(tasks) => decisions.launches.push((r.offer.id.clone(), tasks)),
            None => decisions.declines.push((r.offer.id.clone(), refuse)),
        }
    }
    Ok(decisions)
}

/// `killDriver`: the queue's answer, and the task to kill when the driver is launched (it
/// stays RUNNING until Mesos reports the task's end).
pub fn kill_driver(queue: &mut DriverQueue, id: &SubmissionId) -> (KillOutcome, Option<TaskId>) {
    let outcome = queue.kill(id);
    let task = match outcome {
        KillOutcome::KillingRunning => {
            queue.launched_task(id).map(|t| TaskId { value: t.task_id.clone() })
        }
        _ => None,
    };
    (outcome, task)
}

/// What a status update changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusOutcome {
    /// The driver is still launched; its last status is recorded.
    Recorded,
    /// The supervised driver failed and waits for a relaunch: revive offers.
    Retrying,
    /// The driver reached a terminal state.
    Finished,
    /// The update is for no launched driver, an outdated task, or a reconciliation answer
    /// nobody waits for: ignored.
    Ignored,
}

/// `getSubmissionIdFromTaskId`: the task id up to its first `-retry-`.
pub fn submission_id_of_task(task_id: &str) -> SubmissionId {
    SubmissionId::new(task_id.split("-retry-").next().unwrap_or(task_id))
}

fn state_of(status: &TaskStatus) -> Option<TaskState> {
    TaskState::try_from(status.state).ok()
}

/// Whether Spark counts the state as terminal (`TaskState.isFinished(mesosToTaskState(_))`).
fn is_terminal(state: TaskState) -> bool {
    !matches!(
        state,
        TaskState::TaskStaging
            | TaskState::TaskStarting
            | TaskState::TaskRunning
            | TaskState::TaskKilling
    )
}

/// `statusUpdate` when no reconciliation is pending: records the status of a launched
/// driver; a supervised driver whose task FAILED or was LOST waits for a relaunch (1 s,
/// doubling, capped); other terminal states finish it. Reconciliation answers are ignored
/// (see [`Reconciliation::status_update`] for the runtime's path). The REST status reply then
/// shows the status in protobuf text format.
pub fn status_update(
    queue: &mut DriverQueue,
    status: &TaskStatus,
    now: SystemTime,
    conf: &LaunchConf,
) -> StatusOutcome {
    Reconciliation::default().status_update(queue, status, now, conf)
}

/// Applies an update Spark does not skip: the driver is launched, and the update is no
/// stale reconciliation answer.
fn apply_status(
    queue: &mut DriverQueue,
    status: &TaskStatus,
    now: SystemTime,
    conf: &LaunchConf,
) -> StatusOutcome {
    let task_id = status.task_id.value.as_str();
    let id = submission_id_of_task(task_id);
    let Some(launched) = queue.launched_task(&id) else {
        return StatusOutcome::Ignored;
    };
    let supervise = queue.launched_driver(&id).is_some_and(|d| d.supervise);
    let Some(state) = state_of(status) else {
        return StatusOutcome::Ignored;
    };
    let status_text = status_text::task_status_text(status);
    if supervise && matches!(state, TaskState::TaskFailed | TaskState::TaskLost) {
        if launched.task_id != task_id {
            return StatusOutcome::Ignored;
        }
        queue.mark_retrying(&id, status_text, now, conf.retry_wait_max_secs());
        StatusOutcome::Retrying
    } else if is_terminal(state) {
        queue.mark_finished(&id, Some(status_text), now);
        StatusOutcome::Finished
    } else {
        queue.record_status(&id, status_text);
        StatusOutcome::Recorded
    }
}
