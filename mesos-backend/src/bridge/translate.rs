//! What the driver is told about Mesos: bridge events from the master's events and from the
//! calls the core sends. Pure functions.

use std::collections::HashMap;

use mesos::event::Event as MesosEvent;
use mesos::proto::scheduler::Call;
use mesos::proto::{ProtoEnum, TaskState};

use crate::bridge::protocol::Event;

/// The bridge event for one master event, if the driver needs one: SUBSCRIBED is
/// `registered`, a terminal UPDATE ends an executor, ERROR is an `error`.
pub fn from_mesos(event: &MesosEvent) -> Option<Event> {
    match event {
        MesosEvent::Subscribed(s) => {
            Some(Event::Registered { framework_id: s.framework_id.value.clone() })
        }
        MesosEvent::Update(status) => {
            let name = TaskState::name_of(status.state)?;
            let state = TaskState::from_str_name(name)?;
            if !state.is_terminal() {
                return None;
            }
            let executor_id = status.task_id.value.clone();
            let message = status.message.clone().unwrap_or_default();
            let state = name.to_owned();
            // Spark's own backend counts these as failures against the agent; the driver is
            // told the same way.
            Some(if matches!(name, "TASK_FINISHED" | "TASK_KILLED") {
                Event::ExecutorFinished { executor_id, state, message }
            } else {
                Event::ExecutorFailed { executor_id, state, message }
            })
        }
        MesosEvent::Error(message) => Some(Event::Error { message: message.clone() }),
        _ => None,
    }
}

/// Remembers each agent's host name from OFFERS, so launches can name the host.
pub fn note_hosts(event: &MesosEvent, hosts: &mut HashMap<String, String>) {
    if let MesosEvent::Offers(offers) = event {
        for offer in offers {
            hosts.insert(offer.agent_id.value.clone(), offer.hostname.clone());
        }
    }
}

/// An `executorLaunched` for every task an ACCEPT launches.
pub fn launched(call: &Call, hosts: &HashMap<String, String>) -> Vec<Event> {
    let Some(accept) = &call.accept else { return Vec::new() };
    accept
        .operations
        .iter()
        .filter_map(|op| op.launch.as_ref())
        .flat_map(|launch| &launch.task_infos)
        .map(|task| Event::ExecutorLaunched {
            executor_id: task.task_id.value.clone(),
            agent_id: task.agent_id.value.clone(),
            host: hosts.get(&task.agent_id.value).cloned().unwrap_or_default(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use mesos::event::Subscribed;
    use mesos::proto::offer::{operation, Operation};
    use mesos::proto::scheduler::call::Accept;
    use mesos::proto::{AgentId, FrameworkId, TaskId, TaskInfo, TaskStatus};

    use super::*;

    fn update(state: TaskState) -> MesosEvent {
        MesosEvent::Update(TaskStatus {
            task_id: TaskId { value: "4".into() },
            state: state as i32,
            message: Some("bye".into()),
            ..Default::default()
        })
    }

    #[test]
    fn subscribed_is_registered() {
        let event = MesosEvent::Subscribed(Subscribed {
            framework_id: FrameworkId { value: "fw-1".into() },
            heartbeat_interval: None,
            master_info: None,
        });
        assert_eq!(from_mesos(&event), Some(Event::Registered { framework_id: "fw-1".into() }));
    }

    #[test]
    fn terminal_updates_end_executors_and_others_are_silent() {
        assert_eq!(from_mesos(&update(TaskState::TaskRunning)), None);
        assert_eq!(
            from_mesos(&update(TaskState::TaskKilled)),
            Some(Event::ExecutorFinished {
                executor_id: "4".into(),
                state: "TASK_KILLED".into(),
                message: "bye".into()
            })
        );
        assert!(matches!(
            from_mesos(&update(TaskState::TaskLost)),
            Some(Event::ExecutorFailed { state, .. }) if state == "TASK_LOST"
        ));
        assert_eq!(from_mesos(&MesosEvent::Heartbeat), None);
    }

    #[test]
    fn launches_name_task_agent_and_host() {
        let task = TaskInfo {
            task_id: TaskId { value: "0".into() },
            agent_id: AgentId { value: "a1".into() },
            ..Default::default()
        };
        let call = Call {
            accept: Some(Accept {
                operations: vec![Operation {
                    launch: Some(operation::Launch { task_infos: vec![task] }),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        };
        let hosts = HashMap::from([("a1".to_owned(), "127.0.0.2".to_owned())]);
        assert_eq!(
            launched(&call, &hosts),
            vec![Event::ExecutorLaunched {
                executor_id: "0".into(),
                agent_id: "a1".into(),
                host: "127.0.0.2".into()
            }]
        );
    }
}
