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
//! `mesos_e2e_spark4.rs` runs the static application's first job and cleanup with Spark 4;
//! the setup and those checks are `shuffle_tests::mesos_e2e`.

use std::time::Duration;

use mesos::proto::TaskState;
use mesos_local::TaskSnapshot;
use shuffle_tests::mesos_e2e::{
    eventually, static_job, stop_and_check_cleanup, Setup, SparkInstall, AGENTS, ANSWER, STEP,
};
use shuffle_tests::require_real_spark;
use shuffle_tests::spark_on_mesos::{executor_processes, kill9, DriverScript};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyspark_on_mesos_with_agent_shuffle_services() {
    if !require_real_spark() {
        return;
    }
    let setup = Setup::start(SparkInstall::spark3()).await;
    static_application(&setup).await;
    dynamic_application(&setup).await;
    setup.cluster.shutdown().await;
}

async fn static_application(setup: &Setup) {
    let (mut driver, app_id) = static_job(setup).await;

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

    // Three executors and the two replacements.
    stop_and_check_cleanup(setup, driver, 5).await;
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
