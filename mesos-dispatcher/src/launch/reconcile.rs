//! Spark's `pendingRecover`: the launched drivers' tasks whose state Mesos must confirm after
//! the dispatcher (re)subscribed, and which reconciliation answers therefore count.
//!
//! Spark fills it from the persisted launched drivers at start-up and asks the master for
//! their states when it registers (explicit reconciliation). An update with
//! `REASON_RECONCILIATION` then counts only for a pending task: a task Mesos does not know
//! comes back LOST, and the driver is relaunched (supervised) or finished like any lost task.
//! Other reconciliation answers (for tasks whose state already came in an ordinary update) are
//! stale and ignored.

use std::collections::HashSet;
use std::time::SystemTime;

use mesos::proto::{task_status, AgentId, TaskId, TaskStatus};

use super::{apply_status, submission_id_of_task, LaunchConf, StatusOutcome};
use crate::queue::DriverQueue;

/// The tasks whose reconciliation answers are awaited.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciliation {
    pending: HashSet<String>,
}

impl Reconciliation {
    /// A subscription started: every launched driver's task is pending (Spark's
    /// `recoverState`; here also after a reconnection, when updates may have been missed).
    /// Returns the tasks with their agents for the explicit RECONCILE call, sorted by task id.
    pub fn start(&mut self, queue: &DriverQueue) -> Vec<(TaskId, Option<AgentId>)> {
        let mut tasks: Vec<(TaskId, Option<AgentId>)> = queue
            .launched()
            .map(|l| &l.task)
            .map(|t| {
                let agent = (!t.agent_id.is_empty()).then(|| AgentId { value: t.agent_id.clone() });
                (TaskId { value: t.task_id.clone() }, agent)
            })
            .collect();
        tasks.sort_by(|a, b| a.0.value.cmp(&b.0.value));
        self.pending = tasks.iter().map(|(t, _)| t.value.clone()).collect();
        tasks
    }

    /// Whether the answer for `task_id` is still awaited.
    pub fn is_pending(&self, task_id: &str) -> bool {
        self.pending.contains(task_id)
    }

    /// How many answers are awaited.
    pub fn pending_count(&self) -> usize {
        self.pending.len()
    }

    /// `statusUpdate`: a reconciliation answer for a task that is not pending is ignored;
    /// any other update of a launched driver is applied (see [`super::status_update`]), and its
    /// task is no longer pending.
    pub fn status_update(
        &mut self,
        queue: &mut DriverQueue,
        status: &TaskStatus,
        now: SystemTime,
        conf: &LaunchConf,
    ) -> StatusOutcome {
        let task_id = status.task_id.value.as_str();
        if queue.launched_task(&submission_id_of_task(task_id)).is_none() {
            return StatusOutcome::Ignored;
        }
        let pending = self.pending.remove(task_id);
        if status.reason == Some(task_status::Reason::Reconciliation as i32) && !pending {
            return StatusOutcome::Ignored;
        }
        apply_status(queue, status, now, conf)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::{Duration, UNIX_EPOCH};

    use mesos::proto::TaskState;

    use super::*;
    use crate::queue::{DriverDescription, DriverState, QueueConfig, StatusOutcome as Status};

    fn queue_with(supervise: &[bool]) -> (DriverQueue, Vec<String>) {
        let mut q = DriverQueue::new(QueueConfig::default());
        q.mark_registered();
        let mut ids = Vec::new();
        for (i, supervise) in supervise.iter().enumerate() {
            let submitted = UNIX_EPOCH + Duration::from_secs(i as u64);
            let d = DriverDescription {
                submission_id: q.next_submission_id(submitted),
                name: "n".into(),
                app_resource: "a.jar".into(),
                main_class: "M".into(),
                app_args: vec![],
                environment: BTreeMap::new(),
                spark_properties: BTreeMap::new(),
                mem_mb: 1408,
                cores: 1.0,
                supervise: *supervise,
                submitted,
            };
            let id = d.submission_id.clone();
            q.submit(d);
            assert!(q.mark_launched(&id, id.to_string(), format!("agent-{i}"), submitted));
            ids.push(id.to_string());
        }
        (q, ids)
    }

    fn update(task: &str, state: TaskState, reconciliation: bool) -> TaskStatus {
        TaskStatus {
            task_id: TaskId { value: task.into() },
            state: state as i32,
            reason: reconciliation.then_some(task_status::Reason::Reconciliation as i32),
            ..TaskStatus::default()
        }
    }

    fn conf() -> LaunchConf {
        LaunchConf {
            spark: std::iter::empty::<(&str, &str)>().collect(),
            framework_id: "fw".into(),
            spark_home_env: None,
        }
    }

    fn state(q: &DriverQueue, id: &str) -> DriverState {
        match q.status(&crate::queue::SubmissionId::new(id)) {
            Status::State(s, _) => s,
            Status::NotReady => DriverState::NotFound,
        }
    }

    #[test]
    fn start_lists_launched_tasks_with_their_agents() {
        let (q, ids) = queue_with(&[false, true]);
        let mut r = Reconciliation::default();
        let tasks = r.start(&q);
        let listed: Vec<(&str, Option<&str>)> = tasks
            .iter()
            .map(|(t, a)| (t.value.as_str(), a.as_ref().map(|a| a.value.as_str())))
            .collect();
        assert_eq!(
            listed,
            [(ids[0].as_str(), Some("agent-0")), (ids[1].as_str(), Some("agent-1"))]
        );
        assert!(r.is_pending(&ids[0]) && r.is_pending(&ids[1]));
    }

    #[test]
    fn pending_answers_count_once_then_reconciliation_is_stale() {
        let (mut q, ids) = queue_with(&[false, true, false]);
        let mut r = Reconciliation::default();
        r.start(&q);
        let now = UNIX_EPOCH + Duration::from_secs(100);
        // Unknown to the master: LOST. Unsupervised finishes, supervised waits for a relaunch.
        let lost = update(&ids[0], TaskState::TaskLost, true);
        assert_eq!(r.status_update(&mut q, &lost, now, &conf()), StatusOutcome::Finished);
        assert_eq!(state(&q, &ids[0]), DriverState::Finished);
        let lost = update(&ids[1], TaskState::TaskLost, true);
        assert_eq!(r.status_update(&mut q, &lost, now, &conf()), StatusOutcome::Retrying);
        assert_eq!(state(&q, &ids[1]), DriverState::Retrying);
        // Still running: recorded; the implicit round's repeat of it is stale.
        let running = update(&ids[2], TaskState::TaskRunning, true);
        assert_eq!(r.status_update(&mut q, &running, now, &conf()), StatusOutcome::Recorded);
        let lost = update(&ids[2], TaskState::TaskLost, true);
        assert_eq!(r.status_update(&mut q, &lost, now, &conf()), StatusOutcome::Ignored);
        assert_eq!(state(&q, &ids[2]), DriverState::Running);
        assert_eq!(r.pending_count(), 0);
    }

    #[test]
    fn an_ordinary_update_settles_a_pending_task() {
        let (mut q, ids) = queue_with(&[false]);
        let mut r = Reconciliation::default();
        r.start(&q);
        let now = UNIX_EPOCH;
        let running = update(&ids[0], TaskState::TaskRunning, false);
        assert_eq!(r.status_update(&mut q, &running, now, &conf()), StatusOutcome::Recorded);
        assert!(!r.is_pending(&ids[0]));
        let stale = update(&ids[0], TaskState::TaskLost, true);
        assert_eq!(r.status_update(&mut q, &stale, now, &conf()), StatusOutcome::Ignored);
        // Without a pending reconciliation (the golden path) every answer is ignored.
        assert_eq!(
            super::super::status_update(&mut q, &stale, now, &conf()),
            StatusOutcome::Ignored
        );
        let finished = update(&ids[0], TaskState::TaskFinished, false);
        assert_eq!(
            super::super::status_update(&mut q, &finished, now, &conf()),
            StatusOutcome::Finished
        );
    }
}
