//! Real Spark drivers on our Mesos backend: the bridge jars and backend binary built fresh,
//! the PySpark install's Spark home, and a PySpark job (`tests/python/mesos_bridge_job.py`)
//! whose executors our backend launches on an in-process `mesos-local` cluster. The same job
//! serves Spark 3.5 (`.venv`, the Scala 2.12 jar) and Spark 4 (`.venv-spark4`, the 2.13 jar).
//!
//! These helpers are for tests: they panic, with the output that explains it, when a build or
//! the job fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use mesos_local::{ClusterConfig, LocalCluster, TaskSnapshot};

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
