//! The JVM bridge under a real Spark 3.5.6 driver: the plugin jar (`scripts/build-jvm.sh`) is
//! found through `ServiceLoader` for a `spark-mesos://` master, starts our
//! `spark-mesos-backend` (the stub for now), takes the framework id as the application id,
//! forwards Spark's requests and stops the child with the context; and a PySpark job whose
//! executors our backend launches on a `mesos-local` cluster.

use std::process::{Command, Stdio};

use shuffle_tests::spark_on_mesos::{backend_binary, bridge_jar, run_pyspark_job, venv_python};
use shuffle_tests::{repo_root, require_real_spark, spark_jvm, JavaHarness, SPARK_VERSION};

const FRAMEWORK_ID: &str = "fw-bridge-test-0001";

#[test]
fn spark_driver_runs_on_the_bridge() {
    if !require_real_spark() {
        return;
    }
    let harness = JavaHarness::get().expect("compiling the Java harness");
    let binary = backend_binary();
    let jar = bridge_jar();
    let dir = tempfile::tempdir().expect("temp dir");
    let record = dir.path().join("requests.jsonl");

    let mut cmd = Command::new("java");
    cmd.args(spark_jvm::JAVA17_MODULE_OPTIONS)
        .args(["-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp"])
        .arg(format!("{}:{}", jar.display(), harness.classpath()))
        .arg("mesosbridge.BridgeDriver")
        .arg("spark-mesos://127.0.0.1:5050")
        .arg(&binary)
        .arg(&record)
        .arg(FRAMEWORK_ID)
        .env("SPARK_USER", spark_jvm::SPARK_USER)
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .env_remove("SPARK_HOME")
        .stdin(Stdio::null());
    let output = cmd.output().expect("running the bridge driver");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "driver failed: {}\n{stderr}\n{stdout}", output.status);
    assert!(!stderr.contains("Could not parse Master URL"), "{stderr}");

    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines.contains(&format!("appId {FRAMEWORK_ID}").as_str()), "{stdout}");
    assert!(
        lines.contains(&"backend org.sparkonmesos.bridge.MesosBridgeSchedulerBackend"),
        "{stdout}"
    );
    assert!(lines.contains(&"requestTotal true"), "{stdout}");
    assert!(lines.contains(&"kill true"), "{stdout}");
    assert_eq!(lines.last(), Some(&"stopped"), "{stdout}");

    let recorded = std::fs::read_to_string(&record).expect("the stub's record file");
    let requests: Vec<serde_json::Value> =
        recorded.lines().map(|l| serde_json::from_str(l).expect("a JSON request line")).collect();
    let types: Vec<&str> = requests.iter().map(|r| r["type"].as_str().expect("a type")).collect();
    assert_eq!(types.first(), Some(&"start"), "{recorded}");
    assert_eq!(types.last(), Some(&"stop"), "{recorded}");
    let start = &requests[0];
    assert_eq!(start["version"], 1);
    assert_eq!(start["appName"], "bridge-test");
    assert_eq!(start["user"], spark_jvm::SPARK_USER);
    assert_eq!(start["conf"]["spark.master"], "spark-mesos://127.0.0.1:5050");
    let driver_url = start["driverUrl"].as_str().expect("a driver URL");
    assert!(driver_url.starts_with("spark://CoarseGrainedScheduler@127.0.0.1:"), "{driver_url}");
    assert!(requests.iter().any(|r| r["type"] == "requestTotal" && r["total"] == 3), "{recorded}");
    assert!(
        requests
            .iter()
            .any(|r| r["type"] == "kill" && r["executorIds"] == serde_json::json!(["7", "8"])),
        "{recorded}"
    );
    // The stub exits on `stop`; the driver's stop() waited for it (its log says the code).
    assert!(stderr.contains("Mesos backend exited with 0"), "{stderr}");
}

/// A PySpark 3.5.6 job end to end: the bridge, the real runtime (client + coarse core), a
/// local Mesos cluster running the executors; the app id is the cluster's framework id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyspark_job_runs_on_mesos_local_through_the_bridge() {
    if !require_real_spark() {
        return;
    }
    let run = run_pyspark_job(&venv_python(), &bridge_jar()).await;
    assert_eq!(run.spark_version, SPARK_VERSION);
}

/// Fine-grained mode (`spark.mesos.coarse=false`) with a PySpark 3.5.6 driver on a
/// `mesos-local` cluster: Spark's `TaskSchedulerImpl` places its tasks on the worker offers our
/// backend sends, and each becomes a Mesos task carrying Spark's `MesosExecutorBackend`
/// `ExecutorInfo` and the serialized `TaskDescription`. `mesos-local` runs no libmesos
/// executors, so it fails each such task (TASK_ERROR); those failures must reach Spark's
/// scheduler, which retries the task. Spark never counts a loss before RUNNING against the
/// task, so the script cancels the job once Spark's status store shows 4 failed attempts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fine_mode_tasks_reach_mesos_and_their_failures_reach_spark() {
    if !require_real_spark() {
        return;
    }
    let python = venv_python();
    let binary = backend_binary();
    let jar = bridge_jar();
    let dir = tempfile::tempdir().expect("temp dir");
    let record = dir.path().join("requests.jsonl");
    let cluster = mesos_local::LocalCluster::start(mesos_local::ClusterConfig {
        resources: "cpus:2;mem:4096;disk:10240;ports:[31000-32000]".into(),
        work_dir: dir.path().join("mesos"),
        ..Default::default()
    })
    .await
    .expect("starting mesos-local");

    let mut cmd = tokio::process::Command::new(&python);
    cmd.arg(repo_root().join("tests/python/mesos_bridge_fine_job.py"))
        .arg(cluster.master_addr().to_string())
        .arg(&jar)
        .arg(&binary)
        .arg("/opt/spark-home")
        .arg(&record)
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .env_remove("SPARK_HOME")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let output =
        shuffle_tests::limit("the PySpark job", cmd.output()).await.expect("running python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "job failed: {}\n{stderr}\n{stdout}", output.status);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines.contains(&"backend org.sparkonmesos.bridge.MesosBridgeFineBackend"),
        "{stdout}\n{stderr}"
    );
    let app_id = lines.iter().find_map(|l| l.strip_prefix("appId ")).expect("an app id");
    let attempts: usize = lines
        .iter()
        .find_map(|l| l.strip_prefix("failedAttempts "))
        .and_then(|n| n.parse().ok())
        .expect("failed attempts");
    assert!(attempts >= 4, "{stdout}\n{stderr}");
    let failed = lines.iter().find_map(|l| l.strip_prefix("failed ")).expect("the job to fail");
    assert!(failed.contains("Job 0 cancelled as part of cancellation of all jobs"), "{failed}");
    assert_eq!(lines.last(), Some(&"stopped"), "{stdout}");

    // The master saw Spark's tasks, as Mesos tasks with an ExecutorInfo, and refused them.
    let errored: Vec<_> = cluster
        .tasks()
        .into_iter()
        .filter(|t| t.framework_id.value == app_id)
        .filter(|t| t.state == mesos::proto::TaskState::TaskError)
        .collect();
    assert!(errored.len() >= 4, "{errored:?}\n{stderr}");
    // The backend logs each launch: the executor is Spark's MesosExecutorBackend run from the
    // executor home, and the task carries the serialized TaskDescription.
    let launches: Vec<&str> = stderr.lines().filter(|l| l.contains("launching task")).collect();
    assert!(launches.len() >= 4, "{stderr}");
    assert!(
        launches.iter().all(|l| l.ends_with(
            "/opt/spark-home/bin/spark-class org.apache.spark.executor.MesosExecutorBackend"
        )),
        "{launches:?}"
    );

    // The driver's side of the round trips: every launchTasks answers a round, and the task
    // data is Spark's TaskDescription (it names the task).
    let recorded = std::fs::read_to_string(&record).expect("the request record");
    let requests: Vec<serde_json::Value> =
        recorded.lines().map(|l| serde_json::from_str(l).expect("a JSON request")).collect();
    let start = &requests[0];
    assert_eq!(start["type"], "start");
    assert_eq!(start["version"], 2);
    assert!(start["execArg"].as_str().is_some_and(|s| !s.is_empty()), "{start}");
    let tasks: Vec<&serde_json::Value> = requests
        .iter()
        .filter(|r| r["type"] == "launchTasks")
        .flat_map(|r| r["tasks"].as_array().expect("tasks").iter())
        .collect();
    assert_eq!(tasks.len(), launches.len(), "{recorded}");
    for (attempt, task) in tasks.iter().enumerate() {
        assert_eq!(task["taskId"], attempt);
        let name = task["name"].as_str().expect("a task name");
        assert!(name.starts_with(&format!("task 0.{attempt} in stage 0.0")), "{name}");
        let data = base64_decode(task["data"].as_str().expect("data"));
        assert!(data.windows(name.len()).any(|w| w == name.as_bytes()), "{name} not in its data");
    }
    assert!(requests.iter().any(|r| r["type"] == "reviveOffers"), "{recorded}");
    assert_eq!(requests.last().map(|r| &r["type"]), Some(&"stop".into()));
    cluster.shutdown().await;
}

/// Standard base64, as the bridge writes it.
fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).expect("base64 task data")
}
