//! The dispatcher's driver bookkeeping, as Spark 3.5.6's `MesosClusterScheduler` keeps it:
//! pure, no I/O, no clock (callers pass the time).
//!
//! A driver is queued on submission, launched when an offer fits (`crate::launch` calls
//! [`DriverQueue::mark_launched`]), then either finishes or, when supervised and failed, waits
//! in the retry list. The REST replies read these states.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The queue name a driver without `spark.mesos.dispatcher.queue` goes to; priority 0.
pub const DEFAULT_QUEUE: &str = "default";

/// A submission id, `driver-<yyyyMMddHHmmss>-<NNNN>` when this dispatcher made it. Ids taken
/// from request paths are any string: lookups of those simply find nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubmissionId(String);

impl SubmissionId {
    /// Wraps an id read from a request path.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SubmissionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The dispatcher settings the queue obeys.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueConfig {
    /// `spark.mesos.maxDrivers` (200): submissions are refused while this many drivers are
    /// launched. Spark counts launched drivers only, not queued ones.
    pub max_drivers: usize,
    /// `spark.mesos.retainedDrivers` (200): finished drivers remembered for status replies.
    pub retained_drivers: usize,
    /// `spark.mesos.dispatcher.queue.<name>` = priority; higher launches first.
    pub queues: BTreeMap<String, f32>,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self { max_drivers: 200, retained_drivers: 200, queues: BTreeMap::new() }
    }
}

/// A queued driver: what the launch path needs from the create request.
#[derive(Debug, Clone, PartialEq)]
pub struct DriverDescription {
    /// The submission id.
    pub submission_id: SubmissionId,
    /// `spark.app.name`, or the main class without one.
    pub name: String,
    /// The application jar.
    pub app_resource: String,
    /// The main class.
    pub main_class: String,
    /// The application's arguments.
    pub app_args: Vec<String>,
    /// The request's environment variables.
    pub environment: BTreeMap<String, String>,
    /// The request's Spark properties.
    pub spark_properties: BTreeMap<String, String>,
    /// Container memory in MiB: driver memory plus overhead.
    pub mem_mb: i64,
    /// Driver cores.
    pub cores: f64,
    /// `spark.driver.supervise`: relaunch on failure.
    pub supervise: bool,
    /// When it was submitted.
    pub submitted: SystemTime,
}

impl DriverDescription {
    /// The queue named by `spark.mesos.dispatcher.queue`, or [`DEFAULT_QUEUE`].
    pub fn queue_name(&self) -> &str {
        self.spark_properties
            .get("spark.mesos.dispatcher.queue")
            .map_or(DEFAULT_QUEUE, String::as_str)
    }
}

/// The reply to a submission, as `MesosClusterScheduler.submitDriver` decides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// Queued.
    Queued(SubmissionId),
    /// Not registered with Mesos yet: "Scheduler is not ready to take requests".
    NotReady,
    /// `maxDrivers` drivers are launched: "Already reached maximum submission size".
    Full,
    /// The driver names a queue the dispatcher does not declare (Spark fails with an internal
    /// error once another driver is queued).
    UndeclaredQueue(String),
}

/// The reply to a kill, as `MesosClusterScheduler.killDriver` decides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KillOutcome {
    /// Launched: the launch path must kill its task. "Killing running driver".
    KillingRunning,
    /// Was queued, now removed. "Removed driver while it's still pending".
    RemovedPending,
    /// Was waiting for a retry, now removed. "Removed driver while it's being retried".
    RemovedRetrying,
    /// Finished already. "Driver already terminated".
    AlreadyTerminated,
    /// Unknown. "Cannot find driver".
    NotFound,
    /// Not registered yet. "Scheduler is not ready to take requests".
    NotReady,
}

impl KillOutcome {
    /// Whether Spark reports success.
    pub fn success(&self) -> bool {
        matches!(self, Self::KillingRunning | Self::RemovedPending | Self::RemovedRetrying)
    }

    /// Spark's message.
    pub fn message(&self) -> &'static str {
        match self {
            Self::KillingRunning => "Killing running driver",
            Self::RemovedPending => "Removed driver while it's still pending",
            Self::RemovedRetrying => "Removed driver while it's being retried",
            Self::AlreadyTerminated => "Driver already terminated",
            Self::NotFound => "Cannot find driver",
            Self::NotReady => NOT_READY,
        }
    }
}

/// Spark's message for every request before the scheduler registered.
pub const NOT_READY: &str = "Scheduler is not ready to take requests";

/// A driver's state as status replies report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriverState {
    /// Waiting for an offer.
    Queued,
    /// Launched (its task may still be staging).
    Running,
    /// Failed while supervised; waiting to be relaunched.
    Retrying,
    /// Terminal (finished, failed, killed or lost without supervision).
    Finished,
    /// Unknown to the dispatcher.
    NotFound,
}

impl DriverState {
    /// The `driverState` text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "QUEUED",
            Self::Running => "RUNNING",
            Self::Retrying => "RETRYING",
            Self::Finished => "FINISHED",
            Self::NotFound => "NOT_FOUND",
        }
    }
}

/// The reply to a status request, as `MesosClusterScheduler.getDriverStatus` decides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusOutcome {
    /// Not registered yet.
    NotReady,
    /// The state, and the driver task's last status in protobuf text form when there is one.
    State(DriverState, Option<String>),
}

/// A supervised driver's relaunch schedule (`MesosClusterRetryState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryState {
    /// How many times it was relaunched (its task id ends `-retry-<retries>`).
    pub retries: u32,
    /// The wait before this relaunch, in seconds.
    pub wait_secs: u64,
    /// The relaunch waits for an offer after this time.
    pub next_retry: SystemTime,
}

/// A launched driver's task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchedTask {
    /// The task id.
    pub task_id: String,
    /// The agent it runs on.
    pub agent_id: String,
    /// Its relaunch schedule when it is a relaunch.
    pub retry: Option<RetryState>,
    /// When it was launched (Spark's `startDate`).
    pub started: SystemTime,
}

/// A launched driver (Spark's `MesosClusterSubmissionState` while in `launchedDrivers`).
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchedDriver {
    /// What was submitted.
    pub driver: DriverDescription,
    /// Its task.
    pub task: LaunchedTask,
    /// Its task's last status in protobuf text form, once Mesos sent one.
    pub last_status: Option<String>,
}

/// A supervised driver waiting for a relaunch (Spark's `pendingRetryDrivers`).
#[derive(Debug, Clone, PartialEq)]
pub struct RetryingDriver {
    /// What was submitted.
    pub driver: DriverDescription,
    /// Its relaunch schedule.
    pub retry: RetryState,
    /// The failed task's status in protobuf text form.
    pub last_failure: String,
}

/// A driver that reached a terminal state (Spark's `finishedDrivers`).
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedDriver {
    /// What was submitted.
    pub driver: DriverDescription,
    /// Its last task; None when it could not be launched.
    pub task: Option<LaunchedTask>,
    /// Its task's last status in protobuf text form.
    pub last_status: Option<String>,
    /// When it finished.
    pub finished: SystemTime,
}

/// The drivers a dispatcher knows, by state.
#[derive(Debug)]
pub struct DriverQueue {
    config: QueueConfig,
    ready: bool,
    next_number: u64,
    /// Sorted: highest priority first, then oldest submission, then lowest id number.
    queued: Vec<(f32, u64, DriverDescription)>,
    launched: HashMap<SubmissionId, LaunchedDriver>,
    retrying: Vec<RetryingDriver>,
    finished: VecDeque<FinishedDriver>,
    /// Tasks of launched drivers a kill asked for, until the runtime sends their KILL calls
    /// (at most one entry per launched driver).
    kill_requests: Vec<LaunchedTask>,
}

impl DriverQueue {
    /// An empty queue, not ready until [`DriverQueue::mark_registered`].
    pub fn new(config: QueueConfig) -> Self {
        Self {
            config,
            ready: false,
            next_number: 0,
            queued: Vec::new(),
            launched: HashMap::new(),
            retrying: Vec::new(),
            finished: VecDeque::new(),
            kill_requests: Vec::new(),
        }
    }

    /// The scheduler registered with Mesos: requests are answered from now on.
    pub fn mark_registered(&mut self) {
        self.ready = true;
    }

    /// Whether requests are answered.
    pub fn is_ready(&self) -> bool {
        self.ready
    }

    /// A new submission id for a request received at `now`. Spark takes one for every
    /// well-formed create request, even one then refused as not ready or full.
    pub fn next_submission_id(&mut self, now: SystemTime) -> SubmissionId {
        self.next_number += 1;
        SubmissionId(format!("driver-{}-{:04}", format_timestamp(now), self.next_number))
    }

    /// The priority of `queue`, None if the dispatcher does not declare it.
    pub fn priority(&self, queue: &str) -> Option<f32> {
        if queue == DEFAULT_QUEUE {
            return Some(0.0);
        }
        self.config.queues.get(queue).copied()
    }

    /// Queues `driver` unless the scheduler is not ready or full.
    pub fn submit(&mut self, driver: DriverDescription) -> SubmitOutcome {
        if !self.ready {
            return SubmitOutcome::NotReady;
        }
        if self.launched.len() >= self.config.max_drivers {
            return SubmitOutcome::Full;
        }
        let Some(priority) = self.priority(driver.queue_name()) else {
            return SubmitOutcome::UndeclaredQueue(driver.queue_name().to_owned());
        };
        let id = driver.submission_id.clone();
        let millis = millis_since_epoch(driver.submitted);
        let key = (priority, millis);
        let at = self.queued.partition_point(|(p, m, _)| {
            // Ties keep submission order (Spark's TreeSet would drop a same-millisecond twin).
            *p > key.0 || (*p == key.0 && *m <= key.1)
        });
        self.queued.insert(at, (priority, millis, driver));
        SubmitOutcome::Queued(id)
    }

    /// Kills or forgets the driver `id`.
    pub fn kill(&mut self, id: &SubmissionId) -> KillOutcome {
        if !self.ready {
            return KillOutcome::NotReady;
        }
        if let Some(l) = self.launched.get(id) {
            // Spark asks Mesos to kill the task on every such request; repeats before the
            // runtime sent the call add nothing.
            if !self.kill_requests.iter().any(|t| t.task_id == l.task.task_id) {
                self.kill_requests.push(l.task.clone());
            }
            return KillOutcome::KillingRunning;
        }
        if let Some(at) = self.queued.iter().position(|(_, _, d)| &d.submission_id == id) {
            self.queued.remove(at);
            return KillOutcome::RemovedPending;
        }
        if let Some(at) = self.retrying.iter().position(|r| &r.driver.submission_id == id) {
            self.retrying.remove(at);
            return KillOutcome::RemovedRetrying;
        }
        if self.finished.iter().any(|f| &f.driver.submission_id == id) {
            return KillOutcome::AlreadyTerminated;
        }
        KillOutcome::NotFound
    }

    /// The state of driver `id`, checked in Spark's order.
    pub fn status(&self, id: &SubmissionId) -> StatusOutcome {
        if !self.ready {
            return StatusOutcome::NotReady;
        }
        let state = if self.queued.iter().any(|(_, _, d)| &d.submission_id == id) {
            (DriverState::Queued, None)
        } else if let Some(l) = self.launched.get(id) {
            (DriverState::Running, l.last_status.clone())
        } else if let Some(f) = self.finished.iter().find(|f| &f.driver.submission_id == id) {
            (DriverState::Finished, f.last_status.clone())
        } else if let Some(r) = self.retrying.iter().find(|r| &r.driver.submission_id == id) {
            (DriverState::Retrying, Some(r.last_failure.clone()))
        } else {
            (DriverState::NotFound, None)
        };
        StatusOutcome::State(state.0, state.1)
    }

    /// The queued drivers, next to launch first.
    pub fn queued(&self) -> impl Iterator<Item = &DriverDescription> {
        self.queued.iter().map(|(_, _, d)| d)
    }

    /// How many drivers are launched.
    pub fn launched_count(&self) -> usize {
        self.launched.len()
    }

    /// The supervised drivers waiting for a relaunch, in the order they failed, with their
    /// schedules.
    pub fn retrying(&self) -> impl Iterator<Item = (&DriverDescription, RetryState)> {
        self.retrying.iter().map(|r| (&r.driver, r.retry))
    }

    /// The launched drivers, in no particular order.
    pub fn launched(&self) -> impl Iterator<Item = &LaunchedDriver> {
        self.launched.values()
    }

    /// The supervised drivers waiting for a relaunch, in the order they failed.
    pub fn retrying_drivers(&self) -> impl Iterator<Item = &RetryingDriver> {
        self.retrying.iter()
    }

    /// The finished drivers still remembered, oldest first.
    pub fn finished(&self) -> impl Iterator<Item = &FinishedDriver> {
        self.finished.iter()
    }

    /// The tasks kills asked for since the last call, for the runtime's KILL calls.
    pub fn take_kill_requests(&mut self) -> Vec<LaunchedTask> {
        std::mem::take(&mut self.kill_requests)
    }

    /// The description of the launched driver `id`.
    pub fn launched_driver(&self, id: &SubmissionId) -> Option<&DriverDescription> {
        self.launched.get(id).map(|l| &l.driver)
    }

    /// The task of the launched driver `id`.
    pub fn launched_task(&self, id: &SubmissionId) -> Option<&LaunchedTask> {
        self.launched.get(id).map(|l| &l.task)
    }

    /// The launch path started driver `id` (queued or retrying) as task `task_id` on
    /// `agent_id` at `now`: it is RUNNING from now on. Returns false if no such driver waits.
    pub fn mark_launched(
        &mut self,
        id: &SubmissionId,
        task_id: String,
        agent_id: String,
        now: SystemTime,
    ) -> bool {
        let (driver, retry) = if let Some(at) =
            self.queued.iter().position(|(_, _, d)| &d.submission_id == id)
        {
            (self.queued.remove(at).2, None)
        } else if let Some(at) = self.retrying.iter().position(|r| &r.driver.submission_id == id) {
            let r = self.retrying.remove(at);
            (r.driver, Some(r.retry))
        } else {
            return false;
        };
        let task = LaunchedTask { task_id, agent_id, retry, started: now };
        self.launched.insert(id.clone(), LaunchedDriver { driver, task, last_status: None });
        true
    }

    /// The driver `id` could not be launched (its command or container is invalid): it is
    /// FINISHED at `now` without a task, as Spark retires a driver whose `createTaskInfo` fails.
    pub fn mark_unlaunchable(&mut self, id: &SubmissionId, now: SystemTime) -> bool {
        let driver = if let Some(at) =
            self.queued.iter().position(|(_, _, d)| &d.submission_id == id)
        {
            self.queued.remove(at).2
        } else if let Some(at) = self.retrying.iter().position(|r| &r.driver.submission_id == id) {
            self.retrying.remove(at).driver
        } else {
            return false;
        };
        self.retire(FinishedDriver { driver, task: None, last_status: None, finished: now });
        true
    }

    /// A status update for the launched driver `id`, in protobuf text form.
    pub fn record_status(&mut self, id: &SubmissionId, status_text: String) -> bool {
        match self.launched.get_mut(id) {
            Some(l) => {
                l.last_status = Some(status_text);
                true
            }
            None => false,
        }
    }

    /// The supervised driver `id` failed at `now`: it waits for a relaunch, RETRYING with the
    /// failure. The first relaunch waits 1 s, each next one twice as long, at most
    /// `max_wait_secs` (`spark.mesos.cluster.retry.wait.max`).
    pub fn mark_retrying(
        &mut self,
        id: &SubmissionId,
        failure_text: String,
        now: SystemTime,
        max_wait_secs: u64,
    ) -> bool {
        let Some(l) = self.launched.remove(id) else {
            return false;
        };
        let (retries, wait_secs) = match l.task.retry {
            Some(r) => {
                (r.retries.saturating_add(1), max_wait_secs.min(r.wait_secs.saturating_mul(2)))
            }
            None => (1, 1),
        };
        let next_retry = now + Duration::from_secs(wait_secs);
        let retry = RetryState { retries, wait_secs, next_retry };
        self.retrying.push(RetryingDriver { driver: l.driver, retry, last_failure: failure_text });
        true
    }

    /// The driver `id` reached a terminal state at `now`. Keeps at most `retainedDrivers`
    /// finished drivers: when full, the oldest tenth (at least one) is forgotten, as Spark does.
    pub fn mark_finished(
        &mut self,
        id: &SubmissionId,
        status_text: Option<String>,
        now: SystemTime,
    ) -> bool {
        let Some(l) = self.launched.remove(id) else {
            return false;
        };
        self.retire(FinishedDriver {
            driver: l.driver,
            task: Some(l.task),
            last_status: status_text.or(l.last_status),
            finished: now,
        });
        true
    }

    fn retire(&mut self, finished: FinishedDriver) {
        let retained = self.config.retained_drivers;
        if retained > 0 && self.finished.len() >= retained {
            let drop = (retained / 10).max(1);
            self.finished.drain(..drop.min(self.finished.len()));
        }
        self.finished.push_back(finished);
    }
}

fn millis_since_epoch(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis()
        .try_into()
        .unwrap_or(u64::MAX)
}

/// `yyyyMMddHHmmss` of `t` in UTC (Spark uses the JVM's default time zone).
pub fn format_timestamp(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_secs();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}{m:02}{d:02}{:02}{:02}{:02}", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn driver(q: &mut DriverQueue, queue: Option<&str>, millis: u64) -> DriverDescription {
        let submitted = UNIX_EPOCH + Duration::from_millis(millis);
        let mut spark_properties = BTreeMap::new();
        if let Some(queue) = queue {
            spark_properties.insert("spark.mesos.dispatcher.queue".to_owned(), queue.to_owned());
        }
        DriverDescription {
            submission_id: q.next_submission_id(submitted),
            name: "n".into(),
            app_resource: "a.jar".into(),
            main_class: "M".into(),
            app_args: vec![],
            environment: BTreeMap::new(),
            spark_properties,
            mem_mb: 1408,
            cores: 1.0,
            supervise: false,
            submitted,
        }
    }

    fn ready(config: QueueConfig) -> DriverQueue {
        let mut q = DriverQueue::new(config);
        q.mark_registered();
        q
    }

    fn queues() -> QueueConfig {
        let mut config = QueueConfig::default();
        config.queues.insert("high".into(), 2.0);
        config.queues.insert("low".into(), -1.5);
        config
    }

    #[test]
    fn ids_count_per_dispatcher_and_format_utc() {
        let mut q = ready(QueueConfig::default());
        let t = UNIX_EPOCH + Duration::from_secs(1_764_792_896);
        assert_eq!(q.next_submission_id(t).as_str(), "driver-20251203201456-0001");
        assert_eq!(q.next_submission_id(t).as_str(), "driver-20251203201456-0002");
        assert_eq!(format_timestamp(UNIX_EPOCH), "19700101000000");
        assert_eq!(
            format_timestamp(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "20000229000000"
        );
    }

    #[test]
    fn queue_orders_by_priority_then_submission_time() {
        let mut q = ready(queues());
        let a = driver(&mut q, None, 10);
        let b = driver(&mut q, Some("low"), 5);
        let c = driver(&mut q, Some("high"), 30);
        let d = driver(&mut q, Some("high"), 20);
        let e = driver(&mut q, None, 10);
        for x in [&a, &b, &c, &d, &e] {
            assert_eq!(q.submit(x.clone()), SubmitOutcome::Queued(x.submission_id.clone()));
        }
        let order: Vec<&str> = q.queued().map(|d| d.submission_id.as_str()).collect();
        let want: Vec<&str> =
            [&d, &c, &a, &e, &b].iter().map(|d| d.submission_id.as_str()).collect();
        assert_eq!(order, want);
    }

    #[test]
    fn undeclared_queue_is_refused() {
        let mut q = ready(queues());
        let x = driver(&mut q, Some("nope"), 1);
        assert_eq!(q.submit(x), SubmitOutcome::UndeclaredQueue("nope".into()));
        let x = driver(&mut q, Some(DEFAULT_QUEUE), 1);
        assert!(matches!(q.submit(x), SubmitOutcome::Queued(_)));
    }

    #[test]
    fn not_ready_refuses_everything() {
        let mut q = DriverQueue::new(QueueConfig::default());
        let x = driver(&mut q, None, 1);
        let id = x.submission_id.clone();
        assert_eq!(q.submit(x), SubmitOutcome::NotReady);
        assert_eq!(q.kill(&id), KillOutcome::NotReady);
        assert_eq!(q.status(&id), StatusOutcome::NotReady);
    }

    #[test]
    fn max_drivers_counts_launched_drivers() {
        let mut q = ready(QueueConfig { max_drivers: 1, ..QueueConfig::default() });
        let a = driver(&mut q, None, 1);
        let b = driver(&mut q, None, 2);
        let a_id = a.submission_id.clone();
        assert!(matches!(q.submit(a), SubmitOutcome::Queued(_)));
        assert!(matches!(q.submit(b.clone()), SubmitOutcome::Queued(_)));
        assert!(q.mark_launched(&a_id, a_id.to_string(), "s".into(), UNIX_EPOCH));
        assert_eq!(q.submit(b), SubmitOutcome::Full);
    }

    #[test]
    fn kill_and_status_in_every_state() {
        let mut q = ready(QueueConfig::default());
        let ids: Vec<SubmissionId> = (0..4)
            .map(|i| {
                let d = driver(&mut q, None, i);
                let id = d.submission_id.clone();
                q.submit(d);
                id
            })
            .collect();
        let unknown = SubmissionId::new("driver-x");
        assert_eq!(q.status(&ids[0]), StatusOutcome::State(DriverState::Queued, None));
        assert_eq!(q.status(&unknown), StatusOutcome::State(DriverState::NotFound, None));

        assert!(q.mark_launched(&ids[1], ids[1].to_string(), "s".into(), UNIX_EPOCH));
        assert!(q.record_status(&ids[1], "state: TASK_RUNNING".into()));
        assert_eq!(
            q.status(&ids[1]),
            StatusOutcome::State(DriverState::Running, Some("state: TASK_RUNNING".into()))
        );
        assert_eq!(q.kill(&ids[1]), KillOutcome::KillingRunning);
        assert_eq!(q.kill(&ids[1]), KillOutcome::KillingRunning);
        let kills = q.take_kill_requests();
        assert_eq!(kills.len(), 1, "one KILL per driver until sent");
        assert_eq!((kills[0].task_id.as_str(), kills[0].agent_id.as_str()), (ids[1].as_str(), "s"));
        assert!(q.take_kill_requests().is_empty());

        assert!(q.mark_launched(&ids[2], ids[2].to_string(), "s".into(), UNIX_EPOCH));
        assert!(q.mark_retrying(&ids[2], "state: TASK_FAILED".into(), UNIX_EPOCH, 60));
        assert_eq!(
            q.status(&ids[2]),
            StatusOutcome::State(DriverState::Retrying, Some("state: TASK_FAILED".into()))
        );
        assert_eq!(q.kill(&ids[2]), KillOutcome::RemovedRetrying);

        assert!(q.mark_launched(&ids[3], ids[3].to_string(), "s".into(), UNIX_EPOCH));
        assert!(q.mark_finished(&ids[3], Some("state: TASK_FINISHED".into()), UNIX_EPOCH));
        assert_eq!(
            q.status(&ids[3]),
            StatusOutcome::State(DriverState::Finished, Some("state: TASK_FINISHED".into()))
        );
        assert_eq!(q.kill(&ids[3]), KillOutcome::AlreadyTerminated);

        assert_eq!(q.kill(&ids[0]), KillOutcome::RemovedPending);
        assert_eq!(q.kill(&ids[0]), KillOutcome::NotFound);
        assert_eq!(q.status(&ids[0]), StatusOutcome::State(DriverState::NotFound, None));
    }

    #[test]
    fn retries_wait_one_second_then_double_up_to_the_cap() {
        let mut q = ready(QueueConfig::default());
        let d = driver(&mut q, None, 1);
        let id = d.submission_id.clone();
        q.submit(d);
        let mut waits = Vec::new();
        for round in 0..4u32 {
            let task = if round == 0 { id.to_string() } else { format!("{id}-retry-{round}") };
            assert!(q.mark_launched(&id, task, "a".into(), UNIX_EPOCH));
            assert!(q.mark_retrying(&id, "failed".into(), UNIX_EPOCH, 3));
            let (_, retry) = q.retrying().next().expect("retrying");
            assert_eq!(retry.retries, round + 1);
            assert_eq!(retry.next_retry, UNIX_EPOCH + Duration::from_secs(retry.wait_secs));
            waits.push(retry.wait_secs);
        }
        assert_eq!(waits, [1, 2, 3, 3]);
    }

    #[test]
    fn finished_drivers_are_bounded() {
        let mut q = ready(QueueConfig { retained_drivers: 10, ..QueueConfig::default() });
        let mut ids = Vec::new();
        for i in 0..11 {
            let d = driver(&mut q, None, i);
            let id = d.submission_id.clone();
            q.submit(d);
            q.mark_launched(&id, id.to_string(), "s".into(), UNIX_EPOCH);
            q.mark_finished(&id, None, UNIX_EPOCH);
            ids.push(id);
        }
        assert_eq!(q.status(&ids[0]), StatusOutcome::State(DriverState::NotFound, None));
        assert_eq!(q.status(&ids[10]), StatusOutcome::State(DriverState::Finished, None));
    }
}
