//! Constructors for every call a scheduler sends. Pure: they build [`Call`]s, the client
//! sends them. Each sets `type` and exactly the matching body, as the master requires.

use std::time::Duration;

use prost::Message as _;

use crate::error::Result;
use crate::json::ContentType;
use crate::proto::scheduler::{call, Call};
use crate::proto::{
    offer, AgentId, ExecutorId, Filters, FrameworkId, FrameworkInfo, KillPolicy, OfferId, TaskId,
    TaskInfo, TaskStatus,
};

fn base(framework_id: Option<&FrameworkId>, kind: call::Type) -> Call {
    Call { framework_id: framework_id.cloned(), r#type: Some(kind as i32), ..Default::default() }
}

/// SUBSCRIBE. When `framework_info.id` is set (re-subscribing after a failover) the call
/// carries it too, as the master requires.
pub fn subscribe(framework_info: FrameworkInfo) -> Call {
    let framework_id = framework_info.id.clone();
    Call {
        framework_id,
        subscribe: Some(call::Subscribe { framework_info, suppressed_roles: Vec::new() }),
        ..base(None, call::Type::Subscribe)
    }
}

/// TEARDOWN: kill every task and remove the framework.
pub fn teardown(framework_id: &FrameworkId) -> Call {
    base(Some(framework_id), call::Type::Teardown)
}

/// ACCEPT `offer_ids` (all from one agent) with `operations`; what they leave unused is
/// declined with `filters`.
pub fn accept(
    framework_id: &FrameworkId,
    offer_ids: Vec<OfferId>,
    operations: Vec<offer::Operation>,
    filters: Option<Filters>,
) -> Call {
    Call {
        accept: Some(call::Accept { offer_ids, operations, filters }),
        ..base(Some(framework_id), call::Type::Accept)
    }
}

/// A LAUNCH operation for [`accept`].
pub fn launch(task_infos: Vec<TaskInfo>) -> offer::Operation {
    offer::Operation {
        r#type: Some(offer::operation::Type::Launch as i32),
        launch: Some(offer::operation::Launch { task_infos }),
        ..Default::default()
    }
}

/// DECLINE `offer_ids`.
pub fn decline(
    framework_id: &FrameworkId,
    offer_ids: Vec<OfferId>,
    filters: Option<Filters>,
) -> Call {
    Call {
        decline: Some(call::Decline { offer_ids, filters }),
        ..base(Some(framework_id), call::Type::Decline)
    }
}

/// Filters refusing the same resources for `refuse`.
pub fn filters(refuse: Duration) -> Filters {
    Filters { refuse_seconds: Some(refuse.as_secs_f64()) }
}

/// REVIVE: clear filters and resume offers for `roles` (every role when empty).
pub fn revive(framework_id: &FrameworkId, roles: Vec<String>) -> Call {
    Call { revive: Some(call::Revive { roles }), ..base(Some(framework_id), call::Type::Revive) }
}

/// SUPPRESS: stop offers for `roles` (every role when empty).
pub fn suppress(framework_id: &FrameworkId, roles: Vec<String>) -> Call {
    Call {
        suppress: Some(call::Suppress { roles }),
        ..base(Some(framework_id), call::Type::Suppress)
    }
}

/// KILL a task, optionally overriding its kill policy.
pub fn kill(
    framework_id: &FrameworkId,
    task_id: TaskId,
    agent_id: Option<AgentId>,
    kill_policy: Option<KillPolicy>,
) -> Call {
    Call {
        kill: Some(call::Kill { task_id, agent_id, kill_policy }),
        ..base(Some(framework_id), call::Type::Kill)
    }
}

/// SHUTDOWN an executor.
pub fn shutdown(framework_id: &FrameworkId, executor_id: ExecutorId, agent_id: AgentId) -> Call {
    Call {
        shutdown: Some(call::Shutdown { executor_id, agent_id }),
        ..base(Some(framework_id), call::Type::Shutdown)
    }
}

/// ACKNOWLEDGE a status update, or `None` when it must not be acknowledged: only updates
/// carrying a (non-empty) `uuid` and an `agent_id` are acknowledged; the master's own
/// updates (reconciliation, lost agents) carry none, and acknowledging them is an error.
pub fn acknowledge(framework_id: &FrameworkId, status: &TaskStatus) -> Option<Call> {
    let uuid = status.uuid.as_ref().filter(|u| !u.is_empty())?;
    let agent_id = status.agent_id.as_ref()?;
    Some(Call {
        acknowledge: Some(call::Acknowledge {
            agent_id: agent_id.clone(),
            task_id: status.task_id.clone(),
            uuid: uuid.clone(),
        }),
        ..base(Some(framework_id), call::Type::Acknowledge)
    })
}

/// RECONCILE the given tasks (explicit reconciliation): the master answers with an UPDATE
/// for each.
pub fn reconcile(framework_id: &FrameworkId, tasks: Vec<(TaskId, Option<AgentId>)>) -> Call {
    let tasks =
        tasks.into_iter().map(|(task_id, agent_id)| call::reconcile::Task { task_id, agent_id });
    Call {
        reconcile: Some(call::Reconcile { tasks: tasks.collect() }),
        ..base(Some(framework_id), call::Type::Reconcile)
    }
}

/// RECONCILE with no tasks (implicit reconciliation): an UPDATE for every task the master
/// knows of.
pub fn reconcile_all(framework_id: &FrameworkId) -> Call {
    reconcile(framework_id, Vec::new())
}

/// MESSAGE: send `data` to an executor.
pub fn message(
    framework_id: &FrameworkId,
    agent_id: AgentId,
    executor_id: ExecutorId,
    data: Vec<u8>,
) -> Call {
    Call {
        message: Some(call::Message { agent_id, executor_id, data }),
        ..base(Some(framework_id), call::Type::Message)
    }
}

/// Encodes a call in either content type.
pub fn encode_as(content_type: ContentType, call: &Call) -> Vec<u8> {
    content_type.encode(call)
}

/// Decodes a call in either content type (what a master receives).
pub fn decode_as(content_type: ContentType, body: &[u8]) -> Result<Call> {
    content_type.decode(body)
}

/// Encodes a call as `application/x-protobuf`.
pub fn encode(call: &Call) -> Vec<u8> {
    call.encode_to_vec()
}

/// Decodes an `application/x-protobuf` call (what a master receives).
pub fn decode(body: &[u8]) -> Result<Call> {
    Ok(Call::decode(body)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::proto::{DurationInfo, TaskState};

    fn fw() -> FrameworkId {
        "fw-1".into()
    }

    fn status(uuid: Option<Vec<u8>>, agent: Option<&str>) -> TaskStatus {
        TaskStatus {
            task_id: "t1".into(),
            state: TaskState::TaskRunning as i32,
            uuid,
            agent_id: agent.map(AgentId::from),
            ..Default::default()
        }
    }

    fn kind(call: &Call) -> call::Type {
        call.r#type()
    }

    #[test]
    fn acknowledge_only_updates_with_a_uuid_and_agent() {
        assert!(acknowledge(&fw(), &status(None, Some("a"))).is_none());
        assert!(acknowledge(&fw(), &status(Some(Vec::new()), Some("a"))).is_none());
        assert!(acknowledge(&fw(), &status(Some(vec![1; 16]), None)).is_none());
        let ack = acknowledge(&fw(), &status(Some(vec![7; 16]), Some("a"))).unwrap();
        assert_eq!(kind(&ack), call::Type::Acknowledge);
        assert_eq!(
            ack.acknowledge,
            Some(call::Acknowledge {
                agent_id: "a".into(),
                task_id: "t1".into(),
                uuid: vec![7; 16]
            })
        );
        assert_eq!(ack.framework_id, Some(fw()));
    }

    #[test]
    fn subscribe_carries_the_id_only_when_resubscribing() {
        let info = FrameworkInfo { user: "u".into(), name: "n".into(), ..Default::default() };
        let first = subscribe(info.clone());
        assert_eq!((kind(&first), first.framework_id), (call::Type::Subscribe, None));
        let again = subscribe(FrameworkInfo { id: Some(fw()), ..info });
        assert_eq!(again.framework_id, Some(fw()));
    }

    #[test]
    fn each_call_sets_its_type_and_only_its_body() {
        let calls = [
            teardown(&fw()),
            accept(
                &fw(),
                vec!["o".into()],
                vec![launch(Vec::new())],
                Some(filters(Duration::from_secs(2))),
            ),
            decline(&fw(), vec!["o".into()], None),
            revive(&fw(), vec!["spark".into()]),
            suppress(&fw(), Vec::new()),
            kill(
                &fw(),
                "t".into(),
                None,
                Some(KillPolicy { grace_period: Some(DurationInfo { nanoseconds: 1 }) }),
            ),
            shutdown(&fw(), "e".into(), "a".into()),
            reconcile(&fw(), vec![("t".into(), Some("a".into()))]),
            reconcile_all(&fw()),
            message(&fw(), "a".into(), "e".into(), b"hi".to_vec()),
        ];
        let expected = [
            call::Type::Teardown,
            call::Type::Accept,
            call::Type::Decline,
            call::Type::Revive,
            call::Type::Suppress,
            call::Type::Kill,
            call::Type::Shutdown,
            call::Type::Reconcile,
            call::Type::Reconcile,
            call::Type::Message,
        ];
        for (c, want) in calls.iter().zip(expected) {
            assert_eq!(kind(c), want);
            assert_eq!(c.framework_id, Some(fw()));
            let bodies = [
                c.subscribe.is_some(),
                c.accept.is_some(),
                c.decline.is_some(),
                c.kill.is_some(),
                c.shutdown.is_some(),
                c.acknowledge.is_some(),
                c.reconcile.is_some(),
                c.message.is_some(),
                c.revive.is_some(),
                c.suppress.is_some(),
            ];
            let count = bodies.iter().filter(|b| **b).count();
            assert_eq!(count, usize::from(want != call::Type::Teardown), "{want:?}");
            assert_eq!(decode(&encode(c)).unwrap(), *c);
        }
        assert_eq!(
            calls[1].accept.as_ref().unwrap().filters,
            Some(Filters { refuse_seconds: Some(2.0) })
        );
        assert!(calls[8].reconcile.as_ref().unwrap().tasks.is_empty());
    }

    #[test]
    fn truncated_calls_are_a_protobuf_error() {
        let bytes = encode(&kill(&fw(), "task".into(), Some("agent".into()), None));
        // A cut between fields leaves a shorter valid message; these all cut into one.
        let framework_id_field = 2 + "fw-1".len() + 2;
        for n in (1..framework_id_field).chain([bytes.len() - 1]) {
            assert!(matches!(decode(&bytes[..n]), Err(Error::Protobuf(_))), "{n}");
        }
    }
}
