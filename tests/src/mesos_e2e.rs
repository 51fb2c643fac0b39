//! The end-to-end Mesos setup `tests/tests/mesos_e2e.rs` (Spark 3.5.6) and
//! `tests/tests/mesos_e2e_spark4.rs` (Spark 4.0.x) share: a three-agent `mesos-local` cluster,
//! each agent with its own `shuffle-server` on port 7337 of its address (127.0.0.2, .3, .4),
//! and PySpark driver scripts (`tests/python/mesos_e2e_job.py`) of one Spark version on it.
//!
//! ```text
//! SparkInstall (python, home, jar) ─▶ Setup::start ─▶ daemons + cluster
//! Setup::driver(mode) ─▶ DriverScript ─▶ static_job (answer, executors, daemons)
//!                                     ─▶ stop_and_check_cleanup (files gone after stop)
//! ```
//!
//! The daemons bind fixed addresses, so only one [`Setup`] may run at a time: each test
//! binary holds one test function, and cargo runs test binaries one after another.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mesos_local::{ClusterConfig, LocalCluster, TaskSnapshot};

use crate::daemon::{Daemon, Options};
use crate::spark_on_mesos::{
    backend_binary, bridge_jar, bridge_jar_2_13, executor_processes, pyspark_home, venv_python,
    DriverScript, EXECUTOR_CLASS,
};
use crate::{repo_root, spark4_python, SPARK4_LINE, SPARK_VERSION};

/// The agents' hosts, as `mesos-local` names them.
pub const AGENTS: [&str; 3] = ["127.0.0.2", "127.0.0.3", "127.0.0.4"];
/// Spark's default shuffle service port, on each agent's own address.
pub const SERVICE_PORT: u16 = 7337;
/// `spark.storage.blockManagerHeartbeatTimeoutMs` in the driver script.
pub const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(10);
/// `spark.shuffle.cleaner.interval` of the daemons.
pub const CLEANER_INTERVAL: Duration = Duration::from_secs(1);
/// The driver script's shuffle job: the sum of 0..200000 over 100 keys.
pub const ANSWER: &str = "19999900000 100";
/// Longest wait for a driver step (JVM starts on a loaded two-core machine included).
pub const STEP: Duration = Duration::from_secs(240);

/// One Spark version's driver side: the interpreter whose pyspark runs the driver, the Spark
/// home the executors start from, and the bridge jar built for its Scala version.
#[derive(Debug, Clone)]
pub struct SparkInstall {
    /// A venv's interpreter; its pyspark starts its own `spark-submit`.
    pub python: PathBuf,
    /// That pyspark's folder, a Spark home (`spark.mesos.executor.home`).
    pub home: PathBuf,
    /// The bridge plugin jar for this Spark's Scala version.
    pub jar: PathBuf,
    /// What `sc.version` must start with.
    pub version: String,
}

impl SparkInstall {
    /// Spark 3.5.6: `.venv` and the Scala 2.12 jar. Call [`crate::require_real_spark`] first.
    pub fn spark3() -> Self {
        let python = venv_python();
        Self::new(python, bridge_jar(), SPARK_VERSION.to_owned())
    }

    /// Spark 4.0.x: `.venv-spark4` and the Scala 2.13 jar. Call
    /// [`crate::require_real_spark4`] first.
    pub fn spark4() -> Self {
        let python = spark4_python().expect("pyspark 4 in .venv-spark4 (require_real_spark4)");
        Self::new(python, bridge_jar_2_13(), format!("{SPARK4_LINE}."))
    }

    fn new(python: PathBuf, jar: PathBuf, version: String) -> Self {
        let home = pyspark_home(&python);
        Self { python, home, jar, version }
    }
}

/// The cluster, its daemons and what the drivers need.
#[derive(Debug)]
pub struct Setup {
    /// The three-agent cluster.
    pub cluster: LocalCluster,
    /// One daemon per agent, in [`AGENTS`] order.
    pub daemons: Vec<Daemon>,
    dir: tempfile::TempDir,
    spark: SparkInstall,
    binary: PathBuf,
}

impl Setup {
    /// Starts the daemons and the cluster for drivers of `spark`.
    pub async fn start(spark: SparkInstall) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let local = dir.path().join("local");
        std::fs::create_dir_all(&local).expect("local dir root");
        let conf = [
            format!("spark.shuffle.cleaner.interval={}s", CLEANER_INTERVAL.as_secs()),
            format!("spark.shuffle.service.rs.allowedLocalDirRoots={}", local.display()),
        ];
        let conf: Vec<&str> = conf.iter().map(String::as_str).collect();
        let daemons = AGENTS
            .iter()
            .map(|host| {
                let options = Options {
                    host: Some(host),
                    port: SERVICE_PORT,
                    conf: &conf,
                    ..Options::default()
                };
                Daemon::start_with(&dir.path().join(format!("state-{host}")), &options)
            })
            .collect();
        let cluster = LocalCluster::start(ClusterConfig {
            agents: AGENTS.len(),
            // One executor per agent: the failed agent's replacement has nowhere else to go.
            resources: "cpus:1;mem:4096;disk:10240;ports:[31000-32000]".into(),
            work_dir: dir.path().join("mesos"),
            ..Default::default()
        })
        .await
        .expect("starting mesos-local");
        let hosts: Vec<String> = cluster.agents().into_iter().map(|a| a.hostname).collect();
        assert_eq!(hosts, AGENTS, "mesos-local's agent addresses");
        Self { cluster, daemons, dir, spark, binary: backend_binary() }
    }

    /// Starts the driver script in `mode`, its executors' local dirs under `local/<mode>`.
    pub fn driver(&self, mode: &str) -> DriverScript {
        let local = self.local(mode);
        std::fs::create_dir_all(&local).expect("local dir");
        let mut cmd = tokio::process::Command::new(&self.spark.python);
        cmd.arg(repo_root().join("tests/python/mesos_e2e_job.py"))
            .arg(mode)
            .arg(self.cluster.master_addr().to_string())
            .arg(&self.spark.jar)
            .arg(&self.binary)
            .arg(&self.spark.home)
            .arg(&self.spark.python)
            .arg(&local)
            .arg(SERVICE_PORT.to_string())
            .env("SPARK_LOCAL_IP", "127.0.0.1")
            .env_remove("SPARK_HOME");
        DriverScript::start(cmd, &self.dir.path().join(format!("driver-{mode}.log")))
    }

    /// The root of the `mode` driver's and its executors' local dirs.
    pub fn local(&self, mode: &str) -> PathBuf {
        self.dir.path().join("local").join(mode)
    }

    /// The framework's tasks.
    pub fn tasks(&self, app_id: &str) -> Vec<TaskSnapshot> {
        self.cluster.tasks().into_iter().filter(|t| t.framework_id.value == app_id).collect()
    }

    /// The agent id of `host`.
    pub fn agent_id(&self, host: &str) -> String {
        let agent = self.cluster.agents().into_iter().find(|a| a.hostname == host);
        agent.expect("an agent on that host").id.value
    }

    /// The sum of a metric over the daemons.
    pub fn metric_sum(&self, name: &str) -> f64 {
        self.daemons.iter().map(|d| d.metric(name).unwrap_or(0.0)).sum()
    }
}

/// Polls `check` every 250 ms until it holds, failing with `what` (and `driver`'s output)
/// after `within`.
pub async fn eventually(
    driver: &DriverScript,
    what: &str,
    within: Duration,
    mut check: impl FnMut() -> bool,
) {
    let deadline = Instant::now() + within;
    while !check() {
        if Instant::now() > deadline {
            driver.fail(&format!("{what}: not within {within:?}"));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// `blockmgr-*` directories (executors' and the driver's block stores) under `root`.
pub fn block_manager_dirs(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else { return Vec::new() };
    entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("blockmgr-"))
        .map(|e| e.path())
        .collect()
}

/// Starts the static application and checks its first job: the driver runs this Spark, the
/// shuffle's answer is exact, the executors are one Mesos task of the framework per agent,
/// each started from this Spark's home and a real executor JVM, and every daemon holds the
/// driver's registration, one executor's, and served blocks. Returns the driver, still
/// obeying commands, and the application id.
pub async fn static_job(setup: &Setup) -> (DriverScript, String) {
    let mut driver = setup.driver("static");
    let version = driver.expect("version", STEP).await;
    if !version.starts_with(&setup.spark.version) {
        driver.fail(&format!("the driver ran Spark {version}, not {}", setup.spark.version));
    }
    let app_id = driver.expect("appId", STEP).await;
    assert_eq!(driver.expect("answer", STEP).await, ANSWER);

    // Our backend launched one executor task per agent, each a real executor JVM of this
    // Spark.
    let tasks = setup.tasks(&app_id);
    let agents: BTreeSet<&str> = tasks.iter().map(|t| t.agent_id.value.as_str()).collect();
    assert_eq!((tasks.len(), agents.len()), (3, 3), "{tasks:#?}");
    let spark_class = format!("\"{}/./bin/spark-class\"", setup.spark.home.display());
    for task in &tasks {
        let command = task.command.as_ref().and_then(|c| c.value.as_deref()).unwrap_or("");
        assert!(
            command.contains(&spark_class) && command.contains(EXECUTOR_CLASS),
            "task {} does not run this Spark's executor: {command}",
            task.task_id.value
        );
    }
    let processes = executor_processes(&app_id);
    let hosts: BTreeSet<&str> = processes.iter().map(|p| p.hostname.as_str()).collect();
    assert_eq!(hosts, BTreeSet::from(AGENTS), "{processes:#?}");
    let ids: BTreeSet<&str> = processes.iter().map(|p| p.executor_id.as_str()).collect();
    let task_ids: BTreeSet<&str> = tasks.iter().map(|t| t.task_id.value.as_str()).collect();
    assert_eq!(ids, task_ids, "executor ids are the Mesos task ids");

    // Every daemon holds the driver's registration, its executors', and served blocks.
    for (host, daemon) in AGENTS.iter().zip(&setup.daemons) {
        eventually(&driver, &format!("the driver registered at {host}"), STEP, || {
            daemon.metric("registeredDriversSize") == Some(1.0)
        })
        .await;
        assert_eq!(daemon.metric("registeredExecutorsSize"), Some(1.0), "{host}");
        let blocks = daemon.metric("blockTransferRate").unwrap_or(0.0);
        assert!(blocks > 0.0, "{host} served no blocks:\n{}", daemon.scrape());
    }
    (driver, app_id)
}

/// Stops the static application, whose `executors` executors each left a block store, and
/// checks that every daemon expires it and deletes its files within the heartbeat timeout
/// plus the cleaner interval (the heartbeats stop with the backend).
pub async fn stop_and_check_cleanup(setup: &Setup, mut driver: DriverScript, executors: usize) {
    let stores = block_manager_dirs(&setup.local("static"));
    assert!(stores.len() >= executors, "{executors} executors' block stores expected: {stores:?}");
    driver.send("stop").await;
    assert_eq!(driver.expect("stopped", STEP).await, "");
    driver.finish(STEP).await;
    let stopped = Instant::now();

    let bound = HEARTBEAT_TIMEOUT + CLEANER_INTERVAL;
    eventually(&driver, "the daemons' cleanup", bound + Duration::from_secs(20), || {
        setup.daemons.iter().all(|d| {
            d.metric("registeredDriversSize") == Some(0.0)
                && d.metric("appsCleaned").is_some_and(|n| n >= 1.0)
        }) && block_manager_dirs(&setup.local("static")).is_empty()
    })
    .await;
    let cleaned = stopped.elapsed();
    eprintln!("mesos_e2e: files cleaned {cleaned:?} after the driver stopped (bound {bound:?})");
}
