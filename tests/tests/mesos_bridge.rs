//! The JVM bridge under a real Spark 3.5.6 driver: the plugin jar (`scripts/build-jvm.sh`) is
//! found through `ServiceLoader` for a `spark-mesos://` master, starts our
//! `spark-mesos-backend` (the stub for now), takes the framework id as the application id,
//! forwards Spark's requests and stops the child with the context; and a PySpark job whose
//! executors our backend launches on a `mesos-local` cluster.

use std::process::{Command, Stdio};

use shuffle_tests::spark_on_mesos::{backend_binary, bridge_jar, pyspark_home};
use shuffle_tests::{repo_root, require_real_spark, spark_jvm, JavaHarness};

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
    let python = repo_root().join(".venv/bin/python");
    let binary = backend_binary();
    let jar = bridge_jar();
    let dir = tempfile::tempdir().expect("temp dir");
    let cluster = mesos_local::LocalCluster::start(mesos_local::ClusterConfig {
        resources: "cpus:2;mem:4096;disk:10240;ports:[31000-32000]".into(),
        work_dir: dir.path().join("mesos"),
        ..Default::default()
    })
    .await
    .expect("starting mesos-local");
    let home = pyspark_home(&python);

    let mut cmd = tokio::process::Command::new(&python);
    cmd.arg(repo_root().join("tests/python/mesos_bridge_job.py"))
        .arg(cluster.master_addr().to_string())
        .arg(&jar)
        .arg(&binary)
        .arg(&home)
        .arg(&python)
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
    let app_id = lines.iter().find_map(|l| l.strip_prefix("appId ")).expect("an app id");
    assert!(
        cluster.tasks().iter().any(|t| t.framework_id.value == app_id),
        "no task of framework {app_id} on the cluster\n{stderr}"
    );
    assert!(lines.contains(&"sum 999000"), "{stdout}");
    assert_eq!(lines.last(), Some(&"stopped"), "{stdout}");
    cluster.shutdown().await;
}
