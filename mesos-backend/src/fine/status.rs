//! `statusUpdate`, `executorLost` and `agentLost`: a failed or lost task takes its agent's
//! executor with it (the next task there gets a new `ExecutorInfo`); every update goes on to
//! Spark's scheduler, which decides about retries and revives.

use mesos::proto::{TaskState, TaskStatus};

use super::{Action, ExecutorLossReason, FineBackend, Outcome, SparkTaskState};
use crate::Error;

/// `mesosToTaskState`.
fn spark_state(state: TaskState) -> SparkTaskState {
    match state {
        TaskState::TaskStaging | TaskState::TaskStarting => SparkTaskState::Launching,
        TaskState::TaskRunning | TaskState::TaskKilling => SparkTaskState::Running,
        TaskState::TaskFinished => SparkTaskState::Finished,
        TaskState::TaskFailed => SparkTaskState::Failed,
        TaskState::TaskKilled => SparkTaskState::Killed,
        TaskState::TaskLost
        | TaskState::TaskError
        | TaskState::TaskDropped
        | TaskState::TaskUnreachable
        | TaskState::TaskGone
        | TaskState::TaskGoneByOperator
        | TaskState::TaskUnknown => SparkTaskState::Lost,
    }
}

pub(super) fn status_update(backend: &mut FineBackend, status: &TaskStatus, out: &mut Outcome) {
    // Spark's `toLong` throws on anything else, before doing anything.
    let Ok(task_id) = status.task_id.value.parse::<i64>() else {
        out.error = Some(Error::TaskIdNotNumber { task_id: status.task_id.value.clone() });
        return;
    };
    // An unknown enum value is treated like TASK_LOST, the state Mesos reports for the unknown.
    let state = spark_state(TaskState::try_from(status.state).unwrap_or(TaskState::TaskLost));
    // `TaskState.isFailed`: the agent's executor is taken to be gone.
    if matches!(state, SparkTaskState::Failed | SparkTaskState::Lost) {
        if let Some(agent_id) = backend.task_agents.get(&task_id).cloned() {
            remove_executor(backend, &agent_id, ExecutorLossReason::TaskFailed, out);
        }
    }
    // `TaskState.isFinished`.
    if matches!(
        state,
        SparkTaskState::Finished
            | SparkTaskState::Failed
            | SparkTaskState::Killed
            | SparkTaskState::Lost
    ) {
        backend.task_agents.remove(&task_id);
    }
    out.actions.push(Action::StatusUpdate {
        task_id,
        state,
        data: status.data.clone().unwrap_or_default(),
    });
}

/// `recordAgentLost`: the agent's executor is removed and Spark's scheduler told.
pub(super) fn agent_lost(
    backend: &mut FineBackend,
    agent_id: &str,
    reason: ExecutorLossReason,
    out: &mut Outcome,
) {
    remove_executor(backend, agent_id, reason, out);
    out.actions.push(Action::ExecutorLost { executor_id: agent_id.to_owned(), reason });
}

/// `removeExecutor`: posted to the listener bus even when the agent had no executor.
fn remove_executor(
    backend: &mut FineBackend,
    agent_id: &str,
    reason: ExecutorLossReason,
    out: &mut Outcome,
) {
    out.actions.push(Action::ExecutorRemoved { executor_id: agent_id.to_owned(), reason });
    backend.executors.remove(agent_id);
}
