//! Real Spark drivers on our Mesos backend: the bridge jars and backend binary built fresh,
//! the PySpark install's Spark home, a PySpark job (`tests/python/mesos_bridge_job.py`) whose
//! executors our backend launches on an in-process `mesos-local` cluster (the same job serves
//! Spark 3.5 with `.venv` and the Scala 2.12 jar, Spark 4 with `.venv-spark4` and the 2.13
//! jar), a driver script spoken to line by line, and the executor JVMs found among the
//! machine's processes.
//!
//! ```text
//! backend_binary, bridge_jar ─▶ driver script (DriverScript: stdin commands, stdout lines)
//!                                   └─▶ spark-mesos-backend ─▶ mesos-local ─▶ executor JVMs
//! executor_processes(app id) ◀── /proc/*/cmdline
//! ```
//!
//! These helpers are for tests: they panic, with the output that explains it, when a build or
//! the job fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use mesos_local::{ClusterConfig, LocalCluster, TaskSnapshot};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};

use crate::{limit, repo_root, target_dir};

/// Spark's executor main class, as the backend's command line starts it.
pub const EXECUTOR_CLASS: &str = "org.apache.spark.executor.CoarseGrainedExecutorBackend";

/// The `spark-mesos-backend` binary of this build profile, built so a test never runs a
/// stale one.
pub fn backend_binary() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let profile_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent()?.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| target_dir().join("debug"));
    let mut build = Command::new(cargo);
    build.args(["build", "-q", "-p", "mesos-backend", "--bin", "spark-mesos-backend"]);
    if profile_dir == target_dir().join("release") {
        build.arg("--release");
    }
    let status = build.status().expect("running cargo build for spark-mesos-backend");
    assert!(status.success(), "building spark-mesos-backend failed: {status}");
    profile_dir.join("spark-mesos-backend")
}

/// The Scala 2.12 plugin jar (Spark 3.5), (re)built by `scripts/build-jvm.sh`.
pub fn bridge_jar() -> PathBuf {
    build_jar("2.12")
}

/// The Scala 2.13 plugin jar (Spark 4), (re)built by `scripts/build-jvm.sh`.
pub fn bridge_jar_2_13() -> PathBuf {
    build_jar("2.13")
}

fn build_jar(scala: &str) -> PathBuf {
    let output = Command::new(repo_root().join("scripts/build-jvm.sh"))
        .arg(scala)
        .stderr(Stdio::inherit())
        .output()
        .expect("running scripts/build-jvm.sh");
    assert!(output.status.success(), "scripts/build-jvm.sh {scala} failed: {}", output.status);
    let jar = target_dir().join(format!("jvm/spark-mesos-bridge_{scala}.jar"));
    assert!(jar.is_file(), "{} missing after the build", jar.display());
    jar
}

/// The `.venv` Python that has pyspark 3.5.6.
pub fn venv_python() -> PathBuf {
    repo_root().join(".venv/bin/python")
}

/// The directory of `python`'s pyspark package, a Spark home executors can run from.
pub fn pyspark_home(python: &Path) -> PathBuf {
    let out = Command::new(python)
        .args(["-c", "import os, pyspark; print(os.path.dirname(pyspark.__file__))"])
        .output()
        .expect("running python");
    assert!(out.status.success(), "pyspark is not importable by {}", python.display());
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// What a finished [`run_pyspark_job`] leaves to check.
#[derive(Debug)]
pub struct JobRun {
    /// `sc.version` as the driver reported it.
    pub spark_version: String,
    /// The Spark home the executors ran from (the interpreter's `pyspark` folder).
    pub spark_home: PathBuf,
}

/// Runs the job with `python` (a venv's interpreter, whose pyspark starts its own
/// `spark-submit`) and the plugin `jar` against a fresh one-agent `mesos-local` cluster, and
/// checks what every bridge version must do: the job succeeds with the exact sum, the app id
/// is the framework id, the executors were Mesos tasks of that framework running
/// `CoarseGrainedExecutorBackend` from the interpreter's own Spark home, and killing one
/// executor from the driver reached the backend as a `kill` request.
pub async fn run_pyspark_job(python: &Path, jar: &Path) -> JobRun {
    let binary = backend_binary();
    let dir = tempfile::tempdir().expect("temp dir");
    let cluster = LocalCluster::start(ClusterConfig {
        resources: "cpus:2;mem:4096;disk:10240;ports:[31000-32000]".into(),
        work_dir: dir.path().join("mesos"),
        ..Default::default()
    })
    .await
    .expect("starting mesos-local");
    let spark_home = pyspark_home(python);
    let record = dir.path().join("requests.jsonl");

    let mut cmd = tokio::process::Command::new(python);
    cmd.arg(repo_root().join("tests/python/mesos_bridge_job.py"))
        .arg(cluster.master_addr().to_string())
        .arg(jar)
        .arg(&binary)
        .arg(&spark_home)
        .arg(python)
        .arg(&record)
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .env_remove("SPARK_HOME")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let output = limit("the PySpark job", cmd.output()).await.expect("running python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "job failed: {}\n{stderr}\n{stdout}", output.status);
    let lines: Vec<&str> = stdout.lines().collect();
    let field = |name: &str| {
        lines
            .iter()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no `{name}` line\n{stdout}"))
            .to_owned()
    };
    let spark_version = field("version");
    let app_id = field("appId");
    assert_eq!(field("sum"), "999000", "{stdout}");
    let kill = field("kill");
    let (victim, killed) = kill.split_once(' ').unwrap_or((&kill, ""));
    assert_eq!(killed, "true", "{stdout}");
    assert_eq!(lines.last(), Some(&"stopped"), "{stdout}");
    // The kill crossed to the backend as a protocol line (Jackson's compact form).
    let requests = std::fs::read_to_string(&record).expect("the backend's record file");
    let kill_line = format!("{{\"type\":\"kill\",\"executorIds\":[\"{victim}\"]}}");
    assert!(requests.lines().any(|l| l == kill_line), "no `{kill_line}` in\n{requests}");

    let tasks: Vec<TaskSnapshot> =
        cluster.tasks().into_iter().filter(|t| t.framework_id.value == app_id).collect();
    assert!(!tasks.is_empty(), "no task of framework {app_id} on the cluster\n{stderr}");
    let spark_class = format!("\"{}/./bin/spark-class\"", spark_home.display());
    for task in &tasks {
        let command = task.command.as_ref().and_then(|c| c.value.as_deref()).unwrap_or("");
        assert!(
            command.contains(&spark_class) && command.contains(EXECUTOR_CLASS),
            "task {} does not run this Spark's executor: {command}",
            task.task_id.value
        );
    }
    cluster.shutdown().await;
    JobRun { spark_version, spark_home }
}

/// An executor JVM of an application, as its command line names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutorProcess {
    /// The JVM's process id.
    pub pid: u32,
    /// `--executor-id`.
    pub executor_id: String,
    /// `--hostname`: the agent's host.
    pub hostname: String,
}

/// The running `CoarseGrainedExecutorBackend` JVMs of application `app_id` (`--app-id`).
/// Shells and launchers whose command line merely mentions the class are left out.
pub fn executor_processes(app_id: &str) -> Vec<ExecutorProcess> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else { continue };
        let args: Vec<String> =
            cmdline.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
        let is_java = args.first().is_some_and(|a| a == "java" || a.ends_with("/java"));
        let value =
            |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
        if is_java
            && args.iter().any(|a| a == EXECUTOR_CLASS)
            && value("--app-id").as_deref() == Some(app_id)
        {
            found.push(ExecutorProcess {
                pid,
                executor_id: value("--executor-id").unwrap_or_default(),
                hostname: value("--hostname").unwrap_or_default(),
            });
        }
    }
    found
}

/// Sends SIGKILL to `pid`, as `kill -9` does.
pub fn kill9(pid: u32) {
    let status =
        Command::new("kill").args(["-KILL", &pid.to_string()]).status().expect("running kill");
    assert!(status.success(), "kill -9 {pid} failed");
}

/// A driver script run as a child: commands go to its stdin one per line, and it answers
/// with stdout lines `<word> <value>`. Its stderr (Spark's log) goes to a file, shown when
/// an expected line does not come. Killed when dropped.
#[derive(Debug)]
pub struct DriverScript {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Lines<BufReader<ChildStdout>>,
    log: PathBuf,
    seen: Vec<String>,
}

impl DriverScript {
    /// Starts `command`, logging its stderr to `log`.
    pub fn start(mut command: tokio::process::Command, log: &Path) -> Self {
        let stderr = std::fs::File::create(log).expect("creating the driver's log file");
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .expect("starting the driver script");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("the driver's stdout");
        Self {
            child,
            stdin,
            lines: BufReader::new(stdout).lines(),
            log: log.to_path_buf(),
            seen: Vec::new(),
        }
    }

    /// Waits (at most `within`) for the next line that is `word` or starts with `word `,
    /// skipping others, and returns the rest of it. Fails the test, with the script's
    /// output, when the line does not come.
    pub async fn expect(&mut self, word: &str, within: Duration) -> String {
        let wait = async {
            while let Ok(Some(line)) = self.lines.next_line().await {
                self.seen.push(line.clone());
                let rest = line.strip_prefix(word).filter(|r| r.is_empty() || r.starts_with(' '));
                if let Some(rest) = rest {
                    return Some(rest.trim_start().to_owned());
                }
            }
            None
        };
        match tokio::time::timeout(within, wait).await {
            Ok(Some(rest)) => rest,
            Ok(None) => self.fail(&format!("the driver ended before `{word}`")),
            Err(_) => self.fail(&format!("no `{word}` from the driver within {within:?}")),
        }
    }

    /// Sends one command line.
    pub async fn send(&mut self, command: &str) {
        let stdin = self.stdin.as_mut().expect("the driver's stdin is open");
        stdin.write_all(format!("{command}\n").as_bytes()).await.expect("writing to the driver");
        stdin.flush().await.expect("flushing the driver's stdin");
    }

    /// Waits (at most `within`) for the script to exit, and checks it succeeded.
    pub async fn finish(&mut self, within: Duration) {
        self.stdin = None;
        match tokio::time::timeout(within, self.child.wait()).await {
            Ok(Ok(status)) if status.success() => {}
            Ok(status) => self.fail(&format!("the driver exited with {status:?}")),
            Err(_) => self.fail(&format!("the driver did not exit within {within:?}")),
        }
    }

    /// The driver's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Fails the test with `why`, the lines seen and the end of the driver's log.
    pub fn fail(&self, why: &str) -> ! {
        let log = self.log();
        let tail: Vec<&str> = log.lines().rev().take(150).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        panic!(
            "{why}\n--- driver stdout ---\n{}\n--- end of driver log ({}) ---\n{}",
            self.seen.join("\n"),
            self.log.display(),
            tail.join("\n")
        );
    }
}
