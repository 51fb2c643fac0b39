//! The agent's command executor: runs a task's `CommandInfo` as a local process in its sandbox
//! (in a process group of its own, so a kill reaches the shell's children too), and turns
//! its exit into a task state. No container is started; the agent only records the
//! `ContainerInfo` it was asked for.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};
use tokio::sync::oneshot;

use crate::error::{Error, Result};
use crate::fetcher::UriSpec;

/// A task's `CommandInfo`, as the executor needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandSpec {
    /// `sh -c value` when true; `value` is the program and `arguments` its argv otherwise.
    pub shell: bool,
    /// The shell command line, or the program to run.
    pub value: Option<String>,
    /// argv (including argv\[0\]) in the non-shell form.
    pub arguments: Vec<String>,
    /// Environment variables set on top of the agent's own and the `MESOS_*` ones.
    pub environment: Vec<(String, String)>,
    /// URIs fetched into the sandbox first.
    pub uris: Vec<UriSpec>,
}

/// How a task's process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// Exit status 0.
    Finished,
    /// A non-zero exit status or a signal not sent by a kill; the message says which.
    Failed(String),
    /// Ended by a kill request.
    Killed,
}

/// Starts the command in `sandbox` with `stdout` and `stderr` files there.
pub async fn spawn(sandbox: &Path, spec: &CommandSpec, env: &[(String, String)]) -> Result<Child> {
    let mut command = if spec.shell {
        let value = spec.value.as_deref().ok_or(Error::NoCommand)?;
        let mut c = Command::new("sh");
        c.arg("-c").arg(value);
        c
    } else {
        let program = spec.value.as_deref().or(spec.arguments.first().map(String::as_str));
        let mut c = Command::new(program.ok_or(Error::NoCommand)?);
        if let Some((argv0, rest)) = spec.arguments.split_first() {
            c.arg0(argv0).args(rest);
        }
        c
    };
    let stdout = tokio::fs::File::create(sandbox.join("stdout")).await?.into_std().await;
    let stderr = tokio::fs::File::create(sandbox.join("stderr")).await?.into_std().await;
    command
        .current_dir(sandbox)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .envs(spec.environment.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .process_group(0)
        .kill_on_drop(true);
    Ok(command.spawn()?)
}

/// Waits for the process to exit, or kills it when `kill` delivers a grace period: SIGTERM to
/// its process group, then SIGKILL once the grace period is over. Whatever is left of the
/// group afterwards is killed too, as a container's cgroup would be.
pub async fn wait(mut child: Child, kill: oneshot::Receiver<Duration>) -> Exit {
    let pid = child.id();
    // Also when this future is dropped (the cluster goes away mid-task).
    let _group = GroupGuard(pid);
    let exit = tokio::select! {
        status = child.wait() => match status {
            Ok(status) => exit_of(status),
            Err(e) => Exit::Failed(format!("Failed to wait for the command: {e}")),
        },
        Ok(grace) = kill => {
            signal_group(pid, libc::SIGTERM);
            if tokio::time::timeout(grace, child.wait()).await.is_err() {
                signal_group(pid, libc::SIGKILL);
                // The group's leader is our child: reaping it cannot block for long after SIGKILL.
                let _ = child.wait().await;
            }
            Exit::Killed
        }
    };
    exit
}

/// Kills whatever is left of the task's process group when dropped.
struct GroupGuard(Option<u32>);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        signal_group(self.0, libc::SIGKILL);
    }
}

fn exit_of(status: std::process::ExitStatus) -> Exit {
    match (status.code(), status.signal()) {
        (Some(0), _) => Exit::Finished,
        (Some(code), _) => Exit::Failed(format!("Command exited with status {code}")),
        (None, Some(signal)) => Exit::Failed(format!("Command terminated with signal {signal}")),
        (None, None) => Exit::Failed("Command ended without a status".to_owned()),
    }
}

fn signal_group(pid: Option<u32>, signal: libc::c_int) {
    let Some(pid) = pid.and_then(|p| libc::pid_t::try_from(p).ok()) else { return };
    // SAFETY: kill(2) takes plain integers; a negative pid addresses the process group our
    // child leads (it was spawned with process_group(0)), so no other process is signalled.
    unsafe {
        libc::kill(-pid, signal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell(value: &str) -> CommandSpec {
        CommandSpec { shell: true, value: Some(value.into()), ..CommandSpec::default() }
    }

    async fn run(spec: &CommandSpec) -> (Exit, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("test");
        let env = [("MESOS_SANDBOX".to_owned(), dir.path().display().to_string())];
        let child = spawn(dir.path(), spec, &env).await.expect("test");
        let (_tx, rx) = oneshot::channel();
        (wait(child, rx).await, dir)
    }

    #[tokio::test]
    async fn shell_form_sees_env_and_writes_stdout() {
        let mut spec = shell("echo \"$GREETING $MESOS_SANDBOX\"; echo err >&2");
        spec.environment.push(("GREETING".into(), "hi".into()));
        let (exit, dir) = run(&spec).await;
        assert_eq!(exit, Exit::Finished);
        let out = std::fs::read_to_string(dir.path().join("stdout")).expect("test");
        assert_eq!(out, format!("hi {}\n", dir.path().display()));
        assert_eq!(std::fs::read_to_string(dir.path().join("stderr")).expect("test"), "err\n");
    }

    #[tokio::test]
    async fn argv_form_and_failures() {
        let spec = CommandSpec {
            shell: false,
            value: Some("/bin/sh".into()),
            arguments: vec!["sh".into(), "-c".into(), "exit 3".into()],
            ..CommandSpec::default()
        };
        let (exit, _dir) = run(&spec).await;
        assert_eq!(exit, Exit::Failed("Command exited with status 3".into()));
        let (exit, _dir) = run(&shell("kill -9 $$")).await;
        assert_eq!(exit, Exit::Failed("Command terminated with signal 9".into()));
    }

    #[tokio::test]
    async fn kill_ends_a_sleeping_task_and_its_children() {
        let dir = tempfile::tempdir().expect("test");
        let child =
            spawn(dir.path(), &shell("sleep 30 & sleep 30; wait"), &[]).await.expect("test");
        let (tx, rx) = oneshot::channel();
        tx.send(Duration::from_millis(200)).expect("test");
        assert_eq!(wait(child, rx).await, Exit::Killed);
    }

    #[tokio::test]
    async fn trapped_sigterm_gets_sigkill_after_grace() {
        let dir = tempfile::tempdir().expect("test");
        let spec = shell("trap '' TERM; sleep 30");
        let child = spawn(dir.path(), &spec, &[]).await.expect("test");
        let (tx, rx) = oneshot::channel();
        tx.send(Duration::from_millis(100)).expect("test");
        assert_eq!(wait(child, rx).await, Exit::Killed);
    }
}
