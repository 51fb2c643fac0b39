//! `statusUpdate`: the first RUNNING (or KILLING) per agent registers the driver with its
//! shuffle service; a terminal state frees the executor's cores and GPUs, counts FAILED and
//! LOST against the agent, and revives offers.

use mesos::call;
use mesos::proto::{TaskState, TaskStatus};

use super::{Action, CoarseBackend, Outcome};
use crate::Error;

/// Spark's `TaskState`, as `mesosToTaskState` maps Mesos's states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SparkState {
    Launching,
    Running,
    Finished,
    Failed,
    Killed,
    Lost,
}

fn spark_state(state: TaskState) -> SparkState {
    match state {
        TaskState::TaskStaging | TaskState::TaskStarting => SparkState::Launching,
        TaskState::TaskRunning | TaskState::TaskKilling => SparkState::Running,
        TaskState::TaskFinished => SparkState::Finished,
        TaskState::TaskFailed => SparkState::Failed,
        TaskState::TaskKilled => SparkState::Killed,
        TaskState::TaskLost
        | TaskState::TaskError
        | TaskState::TaskDropped
        | TaskState::TaskUnreachable
        | TaskState::TaskGone
        | TaskState::TaskGoneByOperator
        | TaskState::TaskUnknown => SparkState::Lost,
    }
}

pub(super) fn status_update(backend: &mut CoarseBackend, status: &TaskStatus, out: &mut Outcome) {
    let task_id = status.task_id.value.as_str();
    let agent_id = status.agent_id.as_ref().map_or("", |a| a.value.as_str());
    // An unknown enum value is treated like TASK_LOST, the state Mesos reports for the unknown.
    let state = spark_state(TaskState::try_from(status.state).unwrap_or(TaskState::TaskLost));
    let app_id = backend.app_id().unwrap_or_default().to_owned();
    let config = &backend.config;
    let state_ref = &mut backend.state;
    let Some(agent) = state_ref.agents.get_mut(agent_id) else {
        out.error = Some(Error::UnknownAgent {
            task_id: task_id.to_owned(),
            agent_id: agent_id.to_owned(),
        });
        return;
    };
    if state == SparkState::Running && config.shuffle_service_enabled && !agent.shuffle_registered {
        out.actions.push(Action::RegisterWithShuffleService {
            agent_id: agent_id.to_owned(),
            host: agent.hostname.clone(),
            port: config.shuffle_service_port,
            app_id,
            heartbeat_timeout_ms: config.shuffle_heartbeat_timeout_ms,
            heartbeat_interval_ms: config.shuffle_heartbeat_interval_ms,
        });
        agent.shuffle_registered = true;
    }
    let finished = matches!(
        state,
        SparkState::Finished | SparkState::Failed | SparkState::Killed | SparkState::Lost
    );
    if !finished {
        return;
    }
    if matches!(state, SparkState::Failed | SparkState::Lost) {
        agent.task_failures += 1;
    }
    agent.task_ids.remove(task_id);
    if let Some(cores) = state_ref.cores_by_task.remove(task_id) {
        state_ref.total_cores -= cores;
    }
    if let Some(gpus) = state_ref.gpus_by_task.remove(task_id) {
        state_ref.total_gpus -= gpus;
    }
    // "In case we'd rejected everything before but have now lost a node".
    let framework_id = state_ref.framework_id.clone().unwrap_or_default();
    out.actions.push(Action::Call(Box::new(call::revive(&framework_id, Vec::new()))));
}
