//! A `TaskStatus` as the REST status reply shows it: Java protobuf's `toString` (the text
//! format) of Mesos's v0 message, so the field names are v0's (`slave_id`).
//!
//! Printed: task_id, state, data, message, slave_id, timestamp, executor_id, healthy, source,
//! reason, uuid, labels. Not printed yet: container_status, unreachable_time, check_status
//! (nested messages the driver's status rarely carries).

use std::fmt::Write;

use mesos::proto::{task_status, Labels, TaskState, TaskStatus};

use super::java;

/// Java protobuf's `TextFormat.escapeBytes`: C escapes, other bytes outside printable ASCII
/// as three octal digits.
fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x0b => out.push_str("\\v"),
            b'\\' => out.push_str("\\\\"),
            b'\'' => out.push_str("\\'"),
            b'"' => out.push_str("\\\""),
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\{:03o}", b);
            }
        }
    }
    out
}

fn string_field(out: &mut String, indent: &str, name: &str, value: &[u8]) {
    let _ = writeln!(out, "{indent}{name}: \"{}\"", escape(value));
}

fn id_field(out: &mut String, name: &str, value: &str) {
    let _ = writeln!(out, "{name} {{");
    string_field(out, "  ", "value", value.as_bytes());
    out.push_str("}\n");
}

fn labels_field(out: &mut String, labels: &Labels) {
    out.push_str("labels {\n");
    for label in &labels.labels {
        out.push_str("  labels {\n");
        string_field(out, "    ", "key", label.key.as_bytes());
        if let Some(v) = &label.value {
            string_field(out, "    ", "value", v.as_bytes());
        }
        out.push_str("  }\n");
    }
    out.push_str("}\n");
}

/// The status in protobuf text format, as `TaskStatus.toString()` prints it.
pub fn task_status_text(status: &TaskStatus) -> String {
    let mut out = String::new();
    id_field(&mut out, "task_id", &status.task_id.value);
    let state = TaskState::try_from(status.state).map_or("TASK_STAGING", TaskState::as_str_name);
    let _ = writeln!(out, "state: {state}");
    if let Some(data) = &status.data {
        string_field(&mut out, "", "data", data);
    }
    if let Some(message) = &status.message {
        string_field(&mut out, "", "message", message.as_bytes());
    }
    if let Some(agent) = &status.agent_id {
        id_field(&mut out, "slave_id", &agent.value);
    }
    if let Some(t) = status.timestamp {
        let _ = writeln!(out, "timestamp: {}", java::double_to_string(t));
    }
    if let Some(executor) = &status.executor_id {
        id_field(&mut out, "executor_id", &executor.value);
    }
    if let Some(healthy) = status.healthy {
        let _ = writeln!(out, "healthy: {healthy}");
    }
    if let Some(source) = status.source.and_then(|s| task_status::Source::try_from(s).ok()) {
        let _ = writeln!(out, "source: {}", source.as_str_name());
    }
    if let Some(reason) = status.reason.and_then(|r| task_status::Reason::try_from(r).ok()) {
        let _ = writeln!(out, "reason: {}", reason.as_str_name());
    }
    if let Some(uuid) = &status.uuid {
        string_field(&mut out, "", "uuid", uuid);
    }
    if let Some(labels) = &status.labels {
        labels_field(&mut out, labels);
    }
    out
}

#[cfg(test)]
mod tests {
    use mesos::proto::{AgentId, TaskId};

    use super::*;

    #[test]
    fn prints_like_java_protobuf() {
        let status = TaskStatus {
            task_id: TaskId { value: "driver-1".into() },
            state: TaskState::TaskFailed as i32,
            message: Some("exit \"1\"\n".into()),
            agent_id: Some(AgentId { value: "a1".into() }),
            timestamp: Some(1_764_792_896.5),
            uuid: Some(vec![0, 0xff, b'a']),
            ..TaskStatus::default()
        };
        assert_eq!(
            task_status_text(&status),
            "task_id {\n  value: \"driver-1\"\n}\nstate: TASK_FAILED\nmessage: \"exit \\\"1\\\"\\n\"\n\
             slave_id {\n  value: \"a1\"\n}\ntimestamp: 1.7647928965E9\nuuid: \"\\000\\377a\"\n"
        );
    }
}
