//! Real PySpark 3.5.6 drivers on our Mesos backend (through the JVM bridge) on a three-agent
//! `mesos-local` cluster, each agent with its own `shuffle-server` on port 7337 of its
//! address (127.0.0.2, .3, .4), `spark.shuffle.service.enabled=true`:
//!
//! * a static application: the exact answer of a shuffle; the executors are Mesos tasks of
//!   the application's framework and real `CoarseGrainedExecutorBackend` JVMs, one per
//!   agent; every daemon served blocks and holds the driver's registration; an executor
//!   killed with `kill -9` mid-job is FAILED and the job still finishes; the agent whose
//!   executors failed twice gets no more; after the application stops, every daemon deletes
//!   its files within the heartbeat timeout plus the cleaner interval;
//! * a dynamic-allocation application on the same cluster: executors are launched for the
//!   load and killed when idle, and the shuffle files they leave stay served (a later job
//!   reading them gets the exact answer).
//!
//! One cluster and one set of daemons serve both applications, one after the other: the
//! daemons hold the fixed addresses, and two drivers at once would overload two cores.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mesos::proto::TaskState;
use mesos_local::{ClusterConfig, LocalCluster, TaskSnapshot};
use shuffle_tests::daemon::{Daemon, Options};
use shuffle_tests::spark_on_mesos::{
    backend_binary, bridge_jar, executor_processes, kill9, pyspark_home, venv_python, DriverScript,
};
use shuffle_tests::{repo_root, require_real_spark};

/// The agents' hosts, as `mesos-local` names them.
const AGENTS: [&str; 3] = ["127.0.0.2", "127.0.0.3", "127.0.0.4"];
/// Spark's default shuffle service port, on each agent's own address.
const SERVICE_PORT: u16 = 7337;
/// `spark.storage.blockManagerHeartbeatTimeoutMs` in the driver script.
const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(10);
/// `spark.shuffle.cleaner.interval` of the daemons.
const CLEANER_INTERVAL: Duration = Duration::from_secs(1);
/// The driver script's shuffle job: the sum of 0..200000 over 100 keys.
const ANSWER: &str = "19999900000 100";
/// Longest wait for a driver step (JVM starts on a loaded two-core machine included).
const STEP: Duration = Duration::from_secs(240);

/// The cluster, its daemons and what the drivers need.
struct Setup {
    cluster: LocalCluster,
    daemons: Vec<Daemon>,
    dir: tempfile::TempDir,
    python: PathBuf,
    jar: PathBuf,
    binary: PathBuf,
    home: PathBuf,
}

impl Setup {
    async fn start() -> Self {
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
        let python = venv_python();
        let home = pyspark_home(&python);
        Self { cluster, daemons, dir, python, jar: bridge_jar(), binary: backend_binary(), home }
    }

    /// Starts the driver script in `mode`, its executors' local dirs under `local/<mode>`.
    fn driver(&self, mode: &str) -> DriverScript {
        let local = self.local(mode);
        std::fs::create_dir_all(&local).expect("local dir");
        let mut cmd = tokio::process::Command::new(&self.python);
        cmd.arg(repo_root().join("tests/python/mesos_e2e_job.py"))
            .arg(mode)
            .arg(self.cluster.master_addr().to_string())
            .arg(&self.jar)
            .arg(&self.binary)
            .arg(&self.home)
            .arg(&self.python)
            .arg(&local)
            .arg(SERVICE_PORT.to_string())
            .env("SPARK_LOCAL_IP", "127.0.0.1")
            .env_remove("SPARK_HOME");
        DriverScript::start(cmd, &self.dir.path().join(format!("driver-{mode}.log")))
    }

    fn local(&self, mode: &str) -> PathBuf {
        self.dir.path().join("local").join(mode)
    }

    /// The framework's tasks.
    fn tasks(&self, app_id: &str) -> Vec<TaskSnapshot> {
        self.cluster.tasks().into_iter().filter(|t| t.framework_id.value == app_id).collect()
    }

    /// The agent id of `host`.
    fn agent_id(&self, host: &str) -> String {
        let agent = self.cluster.agents().into_iter().find(|a| a.hostname == host);
        agent.expect("an agent on that host").id.value
    }

    /// The sum of a metric over the daemons.
    fn metric_sum(&self, name: &str) -> f64 {
        self.daemons.iter().map(|d| d.metric(name).unwrap_or(0.0)).sum()
    }
}

/// Polls `check` every 250 ms until it holds, failing with `what` (and `driver`'s output)
/// after `within`.
async fn eventually(
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
fn block_manager_dirs(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else { return Vec::new() };
    entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("blockmgr-"))
        .map(|e| e.path())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyspark_on_mesos_with_agent_shuffle_services() {
    if !require_real_spark() {
        return;
    }
    let setup = Setup::start().await;
    static_application(&setup).await;
    dynamic_application(&setup).await;
    setup.cluster.shutdown().await;
}

async fn static_application(setup: &Setup) {
    let mut driver = setup.driver("static");
    let app_id = driver.expect("appId", STEP).await;
    assert_eq!(driver.expect("answer", STEP).await, ANSWER);

    // Our backend launched one executor task per agent, each a real executor JVM.
    let tasks = setup.tasks(&app_id);
    let agents: BTreeSet<&str> = tasks.iter().map(|t| t.agent_id.value.as_str()).collect();
    assert_eq!((tasks.len(), agents.len()), (3, 3), "{tasks:#?}");
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

    // kill -9 the executor on the first agent mid-job: FAILED, and the job finishes.
    let failing = AGENTS[0];
    let failing_agent = setup.agent_id(failing);
    driver.send("slow").await;
    assert_eq!(driver.expect("slow", STEP).await, "started");
    tokio::time::sleep(Duration::from_secs(3)).await;
    kill_executor_on(setup, &driver, &app_id, failing, &failing_agent, 1).await;
    assert_eq!(driver.expect("slow", STEP).await, "276");

    // Its replacement lands on the same agent (the only free cpu); killed too, the agent has
    // failed twice and gets no more executors.
    kill_executor_on(setup, &driver, &app_id, failing, &failing_agent, 2).await;
    driver.send("final").await;
    assert_eq!(driver.expect("answer", STEP).await, ANSWER);
    let on_failing: Vec<TaskState> = setup
        .tasks(&app_id)
        .iter()
        .filter(|t| t.agent_id.value == failing_agent)
        .map(|t| t.state)
        .collect();
    assert_eq!(on_failing, [TaskState::TaskFailed, TaskState::TaskFailed]);

    let stores = block_manager_dirs(&setup.local("static"));
    assert!(stores.len() >= 5, "5 executors' block stores expected: {stores:?}");
    driver.send("stop").await;
    assert_eq!(driver.expect("stopped", STEP).await, "");
    driver.finish(STEP).await;
    let stopped = Instant::now();

    // The heartbeats stopped with the backend: every daemon expires the application and
    // deletes its executors' files.
    let bound = HEARTBEAT_TIMEOUT + CLEANER_INTERVAL;
    eventually(&driver, "the daemons' cleanup", bound + Duration::from_secs(20), || {
        setup.daemons.iter().all(|d| {
            d.metric("registeredDriversSize") == Some(0.0)
                && d.metric("appsCleaned").is_some_and(|n| n >= 1.0)
        }) && block_manager_dirs(&setup.local("static")).is_empty()
    })
    .await;
    eprintln!(
        "mesos_e2e: files cleaned {:?} after the driver stopped (bound {bound:?})",
        stopped.elapsed()
    );
}

/// Waits for the `nth` executor task on `agent_id`, kills its JVM with SIGKILL, and checks
/// the task ends FAILED and the driver hears of it.
async fn kill_executor_on(
    setup: &Setup,
    driver: &DriverScript,
    app_id: &str,
    host: &str,
    agent_id: &str,
    nth: usize,
) {
    let on_agent = || -> Vec<TaskSnapshot> {
        setup.tasks(app_id).into_iter().filter(|t| t.agent_id.value == agent_id).collect()
    };
    let mut victim = None;
    eventually(driver, &format!("executor #{nth} on {host}"), STEP, || {
        let tasks = on_agent();
        let live = tasks.iter().find(|t| t.state == TaskState::TaskRunning);
        let Some(task) = live.filter(|_| tasks.len() == nth) else {
            return false;
        };
        victim = executor_processes(app_id)
            .into_iter()
            .find(|p| p.hostname == host && p.executor_id == task.task_id.value);
        victim.is_some()
    })
    .await;
    let victim = victim.expect("found above");
    kill9(victim.pid);
    eventually(driver, &format!("executor {} FAILED", victim.executor_id), STEP, || {
        on_agent()
            .iter()
            .any(|t| t.task_id.value == victim.executor_id && t.state == TaskState::TaskFailed)
    })
    .await;
}

async fn dynamic_application(setup: &Setup) {
    let mut driver = setup.driver("dynamic");
    let app_id = driver.expect("appId", STEP).await;
    assert_eq!(driver.expect("answer", STEP).await, ANSWER);
    let launched = setup.tasks(&app_id).len();
    assert!(launched >= 1, "executors were requested and launched");

    // Idle executors are killed through the backend; their shuffle files stay.
    assert_eq!(driver.expect("idle", STEP).await, "0");
    eventually(&driver, "idle executors' tasks KILLED", STEP, || {
        setup.tasks(&app_id).iter().all(|t| t.state == TaskState::TaskKilled)
    })
    .await;
    let served = setup.metric_sum("blockTransferRate");

    // Reading the first job's shuffle again needs new executors, and blocks of the removed
    // ones, served by the daemons.
    assert_eq!(driver.expect("reread", STEP).await, ANSWER);
    assert!(setup.tasks(&app_id).len() > launched, "new executors for the second job");
    assert!(setup.metric_sum("blockTransferRate") > served, "the daemons served the old files");
    driver.send("stop").await;
    assert_eq!(driver.expect("stopped", STEP).await, "");
    driver.finish(STEP).await;
}
