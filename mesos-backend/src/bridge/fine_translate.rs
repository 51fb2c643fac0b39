//! Fine mode's bridge messages from and to the fine core's types: worker offers and placed
//! tasks for the `resourceOffers` round trip, and the core's calls to Spark's scheduler as
//! events. Pure functions; binary payloads cross the pipe as base64.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use mesos::proto::scheduler::Call;

use crate::bridge::protocol::{Event, LaunchTask, Start, WorkerOffer};
use crate::fine::{Action, ExecutorLossReason, OfferRound, SparkTaskState, TaskDescription};
use crate::Error;

/// The conf key choosing the mode; Spark's `conf.getBoolean`, so any case of `false`.
pub const COARSE_KEY: &str = "spark.mesos.coarse";

/// Whether `start` asks for fine-grained mode (`spark.mesos.coarse=false`).
pub fn is_fine(start: &Start) -> bool {
    start.conf.get(COARSE_KEY).is_some_and(|v| v.eq_ignore_ascii_case("false"))
}

/// `createExecArg()`'s bytes from `start`.
pub fn exec_arg(start: &Start) -> Result<Vec<u8>, Error> {
    let encoded = start.exec_arg.as_deref().ok_or(Error::BridgeNoExecArg)?;
    STANDARD.decode(encoded).map_err(|_| Error::BridgeNoExecArg)
}

/// The `resourceOffers` event for a round.
pub fn resource_offers(round_number: u64, round: &OfferRound) -> Event {
    Event::ResourceOffers {
        round: round_number,
        worker_offers: round
            .worker_offers()
            .iter()
            .map(|w| WorkerOffer {
                executor_id: w.executor_id.clone(),
                host: w.host.clone(),
                cores: w.cores,
            })
            .collect(),
    }
}

/// The tasks of a `launchTasks` request, their data decoded.
pub fn tasks(tasks: Vec<LaunchTask>) -> Result<Vec<TaskDescription>, Error> {
    tasks
        .into_iter()
        .map(|t| {
            let data = STANDARD
                .decode(&t.data)
                .map_err(|_| Error::BridgeTaskData { task_id: t.task_id })?;
            Ok(TaskDescription {
                task_id: t.task_id,
                executor_id: t.executor_id,
                name: t.name,
                data,
            })
        })
        .collect()
}

/// Spark's `TaskState` name.
fn state_name(state: SparkTaskState) -> &'static str {
    match state {
        SparkTaskState::Launching => "LAUNCHING",
        SparkTaskState::Running => "RUNNING",
        SparkTaskState::Finished => "FINISHED",
        SparkTaskState::Failed => "FAILED",
        SparkTaskState::Killed => "KILLED",
        SparkTaskState::Lost => "LOST",
    }
}

/// The reason's wire name and exit status.
fn reason(reason: ExecutorLossReason) -> (String, Option<i32>) {
    match reason {
        ExecutorLossReason::TaskFailed => ("taskFailed".to_owned(), None),
        ExecutorLossReason::AgentLost => ("agentLost".to_owned(), None),
        ExecutorLossReason::ExecutorExited { status } => ("executorExited".to_owned(), status),
    }
}

/// The event for an action addressed to Spark's scheduler or listener bus; `None` for the
/// calls and rounds the runtime handles itself.
pub fn event_of(action: &Action) -> Option<Event> {
    Some(match action {
        Action::Call(_) | Action::ResourceOffers(_) => return None,
        Action::StatusUpdate { task_id, state, data } => Event::StatusUpdate {
            task_id: *task_id,
            state: state_name(*state).to_owned(),
            data: STANDARD.encode(data),
        },
        Action::ExecutorLost { executor_id, reason: r } => {
            let (reason, exit_status) = reason(*r);
            Event::ExecutorLost { executor_id: executor_id.clone(), reason, exit_status }
        }
        Action::ExecutorRemoved { executor_id, reason: r } => {
            let (reason, exit_status) = reason(*r);
            Event::ExecutorRemoved { executor_id: executor_id.clone(), reason, exit_status }
        }
        Action::ExecutorAdded { executor_id, host, cores } => Event::ExecutorAdded {
            executor_id: executor_id.clone(),
            host: host.clone(),
            cores: *cores,
        },
        Action::Error(message) => Event::SchedulerError { message: message.clone() },
    })
}

/// One log line per task an ACCEPT launches: task, agent, and the executor's command, so an
/// operator (and the bridge test) can see what each agent is asked to run.
pub fn launch_log(call: &Call) -> Vec<String> {
    let Some(accept) = &call.accept else { return Vec::new() };
    accept
        .operations
        .iter()
        .filter_map(|op| op.launch.as_ref())
        .flat_map(|launch| &launch.task_infos)
        .map(|task| {
            let executor = task.executor.as_ref();
            let command = executor
                .and_then(|e| e.command.as_ref())
                .and_then(|c| c.value.as_deref())
                .unwrap_or_default();
            format!(
                "launching task {} ({} bytes of task data) on agent {} in executor {}: {}",
                task.task_id.value,
                task.data.as_ref().map_or(0, Vec::len),
                task.agent_id.value,
                executor.map_or("", |e| e.executor_id.value.as_str()),
                command
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placed_tasks_decode_and_bad_data_is_a_typed_error() {
        let placed = vec![LaunchTask {
            task_id: 4,
            executor_id: "a1".into(),
            name: "t".into(),
            data: "AAEC".into(),
        }];
        let decoded = tasks(placed.clone()).unwrap();
        assert_eq!(decoded[0].data, [0, 1, 2]);
        assert_eq!(decoded[0].task_id, 4);
        let bad = vec![LaunchTask { data: "not base64!".into(), ..placed[0].clone() }];
        assert!(matches!(tasks(bad), Err(Error::BridgeTaskData { task_id: 4 })));
    }

    #[test]
    fn scheduler_actions_become_events() {
        let update =
            Action::StatusUpdate { task_id: 3, state: SparkTaskState::Lost, data: vec![255] };
        assert_eq!(
            event_of(&update),
            Some(Event::StatusUpdate { task_id: 3, state: "LOST".into(), data: "/w==".into() })
        );
        let lost = Action::ExecutorLost {
            executor_id: "a1".into(),
            reason: ExecutorLossReason::ExecutorExited { status: Some(137) },
        };
        assert_eq!(
            event_of(&lost),
            Some(Event::ExecutorLost {
                executor_id: "a1".into(),
                reason: "executorExited".into(),
                exit_status: Some(137)
            })
        );
        assert_eq!(
            event_of(&Action::Error("x".into())),
            Some(Event::SchedulerError { message: "x".into() })
        );
    }

    #[test]
    fn fine_mode_is_any_case_of_false() {
        let start = |v: &str| Start {
            version: 2,
            app_name: "a".into(),
            driver_url: "d".into(),
            user: "u".into(),
            spark_home: None,
            conf: [(COARSE_KEY.to_owned(), v.to_owned())].into_iter().collect(),
            executor_env: Vec::new(),
            exec_arg: Some("cHJvcHM=".into()),
        };
        assert!(is_fine(&start("FALSE")));
        assert!(!is_fine(&start("true")));
        assert_eq!(exec_arg(&start("false")).unwrap(), b"props");
    }
}
