//! Owned copies of what the pages show, so rendering happens after the queue's lock is
//! released (Spark's `getSchedulerState` and `getDriverState` copy under `stateLock` too).

use crate::queue::{
    DriverDescription, DriverQueue, FinishedDriver, LaunchedDriver, RetryingDriver, SubmissionId,
};

/// Every driver the dispatcher knows, by state (Spark's `MesosClusterSchedulerState`).
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Whether the dispatcher takes submissions (registered with Mesos).
    pub ready: bool,
    /// Waiting for an offer, next to launch first.
    pub queued: Vec<DriverDescription>,
    /// Launched, oldest launch first.
    pub launched: Vec<LaunchedDriver>,
    /// Waiting for a relaunch, in the order they failed.
    pub retrying: Vec<RetryingDriver>,
    /// Finished and still remembered, oldest first.
    pub finished: Vec<FinishedDriver>,
}

impl Snapshot {
    /// Copies the queue's drivers.
    pub fn of(queue: &DriverQueue) -> Self {
        let mut launched: Vec<LaunchedDriver> = queue.launched().cloned().collect();
        // The queue keeps launched drivers in a hash map; the page wants a stable order.
        launched.sort_by(|a, b| {
            (a.task.started, &a.driver.submission_id)
                .cmp(&(b.task.started, &b.driver.submission_id))
        });
        Self {
            ready: queue.is_ready(),
            queued: queue.queued().cloned().collect(),
            launched,
            retrying: queue.retrying_drivers().cloned().collect(),
            finished: queue.finished().cloned().collect(),
        }
    }
}

/// One driver in whichever state it is (Spark's `MesosDriverState`), looked up in Spark's
/// order: queued, launched, finished, retrying.
#[derive(Debug, Clone, PartialEq)]
pub enum DriverDetail {
    /// Waiting for an offer.
    Queued(DriverDescription),
    /// Launched.
    Running(LaunchedDriver),
    /// Finished.
    Finished(FinishedDriver),
    /// Waiting for a relaunch.
    Retrying(RetryingDriver),
}

impl DriverDetail {
    /// Copies driver `id`, None when the queue does not know it.
    pub fn of(queue: &DriverQueue, id: &SubmissionId) -> Option<Self> {
        if let Some(d) = queue.queued().find(|d| &d.submission_id == id) {
            return Some(Self::Queued(d.clone()));
        }
        if let Some(l) = queue.launched().find(|l| &l.driver.submission_id == id) {
            return Some(Self::Running(l.clone()));
        }
        if let Some(f) = queue.finished().find(|f| &f.driver.submission_id == id) {
            return Some(Self::Finished(f.clone()));
        }
        queue
            .retrying_drivers()
            .find(|r| &r.driver.submission_id == id)
            .cloned()
            .map(Self::Retrying)
    }

    /// The driver's description.
    pub fn driver(&self) -> &DriverDescription {
        match self {
            Self::Queued(d) => d,
            Self::Running(l) => &l.driver,
            Self::Finished(f) => &f.driver,
            Self::Retrying(r) => &r.driver,
        }
    }

    /// The state's name, as Spark's page and the REST status show it.
    pub fn state_name(&self) -> &'static str {
        match self {
            Self::Queued(_) => "QUEUED",
            Self::Running(_) => "RUNNING",
            Self::Finished(_) => "FINISHED",
            Self::Retrying(_) => "RETRYING",
        }
    }
}
