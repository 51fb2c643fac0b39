//! An agent's side of one task: make the sandbox, fetch the URIs, run the command, and report
//! STARTING, RUNNING and the terminal state to the master, which turns them into reliable
//! status updates.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mesos::proto::{environment, task_status, CommandInfo, TaskState};
use tokio::sync::oneshot;

use crate::executor::{self, CommandSpec, Exit};
use crate::fetcher::{self, UriSpec};
use crate::master::Master;

/// What the master hands an agent to run.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The framework.
    pub framework_id: String,
    /// The task (its command executor has the same id).
    pub task_id: String,
    /// The agent.
    pub agent_id: String,
    /// The task's sandbox, created by the runner.
    pub sandbox: PathBuf,
    /// The command.
    pub command: CommandSpec,
}

/// A state change the runner reports.
#[derive(Debug, Clone)]
pub struct Report {
    /// The framework.
    pub framework_id: String,
    /// The task.
    pub task_id: String,
    /// The new state.
    pub state: TaskState,
    /// Why, in words.
    pub message: Option<String>,
    /// Why, as Mesos's reason code.
    pub reason: Option<task_status::Reason>,
    /// Who says so.
    pub source: task_status::Source,
}

/// The executor's view of a `CommandInfo`. Secret environment variables are resolved when
/// they carry their value; references to a secret store are left out (there is none here).
pub fn command_spec(command: &CommandInfo) -> CommandSpec {
    let environment = command
        .environment
        .iter()
        .flat_map(|e| &e.variables)
        .filter_map(|v| {
            let value = match environment::variable::Type::try_from(v.r#type.unwrap_or(1)) {
                Ok(environment::variable::Type::Secret) => {
                    let data = v.secret.as_ref()?.value.as_ref()?.data.clone();
                    String::from_utf8(data).ok()?
                }
                _ => v.value.clone().unwrap_or_default(),
            };
            Some((v.name.clone(), value))
        })
        .collect();
    let uris = command
        .uris
        .iter()
        .map(|u| UriSpec {
            value: u.value.clone(),
            executable: u.executable.unwrap_or(false),
            extract: u.extract.unwrap_or(true),
            output_file: u.output_file.clone(),
        })
        .collect();
    CommandSpec {
        shell: command.shell.unwrap_or(true),
        value: command.value.clone(),
        arguments: command.arguments.clone(),
        environment,
        uris,
    }
}

/// Runs one task to its end, reporting each state to `master`.
pub async fn run(master: Arc<Master>, launch: Launch, mut kill: oneshot::Receiver<Duration>) {
    let report = |state, message: Option<String>, reason, source| {
        master.agent_update(Report {
            framework_id: launch.framework_id.clone(),
            task_id: launch.task_id.clone(),
            state,
            message,
            reason,
            source,
        });
    };
    let failed_launch = |message: String| {
        let reason = Some(task_status::Reason::ContainerLaunchFailed);
        report(TaskState::TaskFailed, Some(message), reason, task_status::Source::Agent);
    };
    if let Err(e) = tokio::fs::create_dir_all(&launch.sandbox).await {
        return failed_launch(format!("Failed to create the sandbox: {e}"));
    }
    let fetched = tokio::select! {
        fetched = fetcher::fetch_all(&launch.sandbox, &launch.command.uris) => fetched,
        Ok(_) = &mut kill => {
            let reason = Some(task_status::Reason::TaskKilledDuringLaunch);
            return report(TaskState::TaskKilled, Some("Killed during launch".to_owned()), reason, task_status::Source::Agent);
        }
    };
    if let Err(e) = fetched {
        return failed_launch(format!("Failed to fetch all URIs for container: {e}"));
    }
    let sandbox = launch.sandbox.display().to_string();
    let env = [
        ("MESOS_SANDBOX", sandbox.clone()),
        ("MESOS_DIRECTORY", sandbox),
        ("MESOS_TASK_ID", launch.task_id.clone()),
        ("MESOS_EXECUTOR_ID", launch.task_id.clone()),
        ("MESOS_AGENT_ID", launch.agent_id.clone()),
        ("MESOS_SLAVE_ID", launch.agent_id.clone()),
        ("MESOS_FRAMEWORK_ID", launch.framework_id.clone()),
    ]
    .map(|(k, v)| (k.to_owned(), v));
    report(TaskState::TaskStarting, None, None, task_status::Source::Executor);
    let child = match executor::spawn(&launch.sandbox, &launch.command, &env).await {
        Ok(child) => child,
        Err(e) => return failed_launch(format!("Failed to launch the command: {e}")),
    };
    report(TaskState::TaskRunning, None, None, task_status::Source::Executor);
    let (state, message) = match executor::wait(child, kill).await {
        Exit::Finished => (TaskState::TaskFinished, "Command exited with status 0".to_owned()),
        Exit::Failed(message) => (TaskState::TaskFailed, message),
        Exit::Killed => (TaskState::TaskKilled, "Command terminated by a kill".to_owned()),
    };
    report(state, Some(message), None, task_status::Source::Executor);
}
