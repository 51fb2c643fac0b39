//! Cluster mode end to end: the real spark-submit 3.5.6 → our `mesos-dispatcher` → a driver
//! task on a local Mesos cluster (`mesos-local`) → the driver's executors launched by our
//! backend through the `spark-mesos://` bridge, on the same cluster. The application's answer
//! must be exact; `--status` and `--kill` go through spark-submit too; and a supervised
//! driver that exits non-zero is relaunched after the 1 s backoff. A second test drives the
//! runtime alone (no Java) through recovery, reconciliation and kills.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use mesos::proto::TaskState;
use mesos_dispatcher::config::{parse_args, Command};
use mesos_dispatcher::queue::{
    DriverDescription, DriverQueue, DriverState, KillOutcome, QueueConfig, StatusOutcome,
    SubmissionId,
};
use mesos_dispatcher::runtime::{self, Settings};
use shuffle_tests::dispatcher::{
    bridge_jar, cargo_binary, json_string, pyspark, spark_submit, submission_id, Dispatcher,
};
use shuffle_tests::{in_ci, repo_root, require_real_spark};

/// spark-submit 3.5 speaks to a Mesos master over REST only when told to.
const REST: &str = "spark.master.rest.enabled=true";

/// The longest wait for one driver to reach a state (JVMs start slowly on a loaded machine).
const DRIVER_LIMIT: Duration = Duration::from_secs(300);

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Seconds of the day of the first log line containing all of `needles`.
fn logged_at(log: &str, needles: &[&str]) -> Option<f64> {
    let line = log.lines().find(|l| needles.iter().all(|n| l.contains(n)))?;
    let time = line.split('T').nth(1)?.split('Z').next()?;
    let mut parts = time.split(':');
    let h: f64 = parts.next()?.parse().ok()?;
    let m: f64 = parts.next()?.parse().ok()?;
    let s: f64 = parts.next()?.parse().ok()?;
    Some(h * 3600.0 + m * 60.0 + s)
}

#[test]
fn spark_submit_runs_drivers_through_our_dispatcher() {
    if !require_real_spark() {
        return;
    }
    let Some((python, home)) = pyspark() else {
        assert!(!in_ci(), "CI is set but .venv has no pyspark; run scripts/setup.sh");
        eprintln!("SKIPPED: no .venv with pyspark; run scripts/setup.sh");
        return;
    };
    let dispatcher_bin = cargo_binary("mesos-dispatcher", "mesos-dispatcher");
    let backend = cargo_binary("mesos-backend", "spark-mesos-backend");
    let jar = bridge_jar();
    let dir = tempfile::tempdir().expect("temp dir");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let cluster = runtime
        .block_on(mesos_local::LocalCluster::start(mesos_local::ClusterConfig {
            resources: "cpus:6;mem:12288;disk:10240;ports:[31000-32000]".into(),
            work_dir: dir.path().join("mesos"),
            ..Default::default()
        }))
        .expect("starting mesos-local");
    let dispatcher = Dispatcher::start(
        &dispatcher_bin,
        &cluster.master_addr().to_string(),
        &[
            ("spark.mesos.dispatcher.rs.driverMasterScheme", "spark-mesos"),
            ("spark.mesos.cluster.retry.wait.max", "4"),
        ],
    );
    dispatcher.wait_registered(Duration::from_secs(60));
    let url = dispatcher.url();

    let path = |p: &Path| p.display().to_string();
    let (jar, backend, home_s, python_s) = (path(&jar), path(&backend), path(&home), path(&python));
    let submit = |name: &str, script: &str, extra: &[&str]| -> String {
        let script = path(&repo_root().join("tests/python").join(script));
        let confs = [
            format!("spark.driver.extraClassPath={jar}"),
            format!("spark.mesos.rs.backend.path={backend}"),
            format!("spark.mesos.executor.home={home_s}"),
            format!("spark.executorEnv.PYSPARK_PYTHON={python_s}"),
            format!("spark.mesos.driverEnv.PYSPARK_PYTHON={python_s}"),
            "spark.cores.max=2".to_owned(),
            "spark.executor.cores=1".to_owned(),
            "spark.executor.memory=512m".to_owned(),
            "spark.driver.host=127.0.0.1".to_owned(),
            "spark.ui.enabled=false".to_owned(),
        ];
        let mut args =
            vec!["--master", &url, "--deploy-mode", "cluster", "--conf", REST, "--name", name];
        for conf in &confs {
            args.extend(["--conf", conf.as_str()]);
        }
        args.extend(extra);
        args.push(&script);
        let output = spark_submit(&home, &args);
        assert!(output.status.success(), "spark-submit {name} failed:\n{}", stderr(&output));
        submission_id(&output).unwrap_or_else(|| panic!("no submission id:\n{}", stderr(&output)))
    };

    // Both at once: the job's driver and the supervised one share the cluster.
    let job = submit("dispatcher-e2e", "dispatcher_job.py", &[]);
    let supervised = submit("dispatcher-supervised", "dispatcher_supervised.py", &["--supervise"]);

    // The job: FINISHED with the task's own final status, the exact answer in its sandbox,
    // and executors launched by our backend under the driver's framework.
    let state = dispatcher.wait_state(&job, DRIVER_LIMIT, |s| s == "FINISHED");
    let reply = dispatcher.status_reply(&job);
    let tasks = cluster.tasks();
    let driver_task = tasks.iter().find(|t| t.task_id.value == job);
    let sandbox_out = driver_task
        .and_then(|t| t.sandbox.as_ref())
        .map(|s| {
            let read = |f: &str| std::fs::read_to_string(s.join(f)).unwrap_or_default();
            (read("stdout"), read("stderr"))
        })
        .unwrap_or_default();
    let tail: String = {
        let lines: Vec<&str> = sandbox_out.1.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    };
    assert_eq!(
        state,
        "FINISHED",
        "{reply}\ndriver stdout:\n{}\ndriver stderr tail:\n{tail}\ndispatcher:\n{}",
        sandbox_out.0,
        dispatcher.log()
    );
    let message = json_string(&reply, "message").unwrap_or_default();
    assert!(message.contains("state: TASK_FINISHED"), "{reply}");
    assert_eq!(driver_task.map(|t| t.state), Some(TaskState::TaskFinished));
    let lines: Vec<&str> = sandbox_out.0.lines().collect();
    assert!(lines.contains(&"sum 999000"), "driver stdout:\n{}\n{tail}", sandbox_out.0);
    assert_eq!(lines.last(), Some(&"stopped"), "{}", sandbox_out.0);
    // Spark's dispatcher names the driver's framework `<dispatcher framework>-<submission>`.
    let app_id = lines.iter().find_map(|l| l.strip_prefix("appId ")).expect("an app id");
    assert!(app_id.ends_with(&format!("-{job}")), "{app_id}");
    let executors = tasks.iter().filter(|t| t.framework_id.value == app_id).count();
    assert!(executors >= 1, "no executor of {app_id} on the cluster: {tasks:?}");

    // spark-submit logs a successful reply at INFO, which `--status` does not show; a failed
    // one (NOT_FOUND, or no reply) is an ERROR line.
    let status = spark_submit(&home, &["--master", &url, "--conf", REST, "--status", &job]);
    assert!(status.status.success(), "{}", stderr(&status));
    assert!(!stderr(&status).contains("ERROR"), "{}", stderr(&status));
    let unknown = spark_submit(&home, &["--master", &url, "--conf", REST, "--status", "driver-x"]);
    assert!(stderr(&unknown).contains("ERROR RestSubmissionClient"), "{}", stderr(&unknown));

    // The supervised driver: its first attempt exits 3 (TASK_FAILED), and after the 1 s wait
    // it runs again as `-retry-1`.
    let retry = format!("{supervised}-retry-1");
    let started = std::time::Instant::now();
    let relaunched = loop {
        let running = cluster
            .tasks()
            .into_iter()
            .any(|t| t.task_id.value == retry && t.state == TaskState::TaskRunning);
        if running || started.elapsed() > DRIVER_LIMIT {
            break running;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    assert!(relaunched, "{retry} never ran: {:?}\n{}", cluster.tasks(), dispatcher.log());
    let first = cluster.tasks().into_iter().find(|t| t.task_id.value == supervised);
    assert_eq!(first.map(|t| t.state), Some(TaskState::TaskFailed));
    let log = dispatcher.log();
    let failed = logged_at(&log, &["Received status update", &supervised, "TaskFailed"]);
    let launched = logged_at(&log, &["launching driver", &retry]);
    let waited = launched.zip(failed).map(|(l, f)| l - f);
    assert!(waited.is_some_and(|w| w >= 1.0), "relaunch after {waited:?} s:\n{log}");
    assert_eq!(dispatcher.driver_state(&supervised).as_deref(), Some("RUNNING"));

    // Killing it is a KILL of the running task: FINISHED as TASK_KILLED, not relaunched.
    let kill = spark_submit(&home, &["--master", &url, "--conf", REST, "--kill", &supervised]);
    assert!(kill.status.success(), "{}", stderr(&kill));
    assert!(!stderr(&kill).contains("ERROR"), "{}", stderr(&kill));
    let state = dispatcher.wait_state(&supervised, DRIVER_LIMIT, |s| s == "FINISHED");
    let reply = dispatcher.status_reply(&supervised);
    assert_eq!(state, "FINISHED", "{reply}\n{}", dispatcher.log());
    assert!(reply.contains("state: TASK_KILLED"), "{reply}");

    drop(dispatcher);
    runtime.block_on(cluster.shutdown());
}

/// The agents' "Spark": a `bin/spark-submit` that acts on the driver's last argument:
/// `exit0`, `sleep`, or `fail-once` (exit 3 unless this is a relaunch, then sleep).
const FAKE_SPARK_SUBMIT: &str = r#"#!/bin/sh
for last in "$@"; do :; done
case "$last" in
  exit0) exit 0 ;;
  sleep) exec sleep 600 ;;
  fail-once)
    case "$MESOS_TASK_ID" in
      *-retry-*) exec sleep 600 ;;
      *) exit 3 ;;
    esac ;;
esac
exit 4
"#;

fn driver(q: &mut DriverQueue, app: &Path, arg: &str, supervise: bool) -> DriverDescription {
    let now = std::time::SystemTime::now();
    DriverDescription {
        submission_id: q.next_submission_id(now),
        name: arg.to_owned(),
        app_resource: app.display().to_string(),
        main_class: "Main".into(),
        app_args: vec![arg.to_owned()],
        environment: Default::default(),
        spark_properties: [("spark.app.name".to_owned(), arg.to_owned())].into(),
        mem_mb: 512,
        cores: 0.5,
        supervise,
        submitted: now,
    }
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let started = std::time::Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(60), "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The runtime alone (no Java): a driver recovered as launched but unknown to the master is
/// reconciled to LOST and, being supervised, relaunched after the backoff; a submission runs
/// and finishes; a kill is a KILL; after the master drops the connection, the runtime
/// re-subscribes and reconciles the running driver (its status then carries
/// `REASON_RECONCILIATION`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runtime_launches_kills_relaunches_and_reconciles_on_mesos_local() {
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("spark");
    std::fs::create_dir_all(home.join("bin")).expect("fake Spark home");
    let submit_script = home.join("bin/spark-submit");
    std::fs::write(&submit_script, FAKE_SPARK_SUBMIT).expect("fake spark-submit");
    std::fs::set_permissions(&submit_script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let app = dir.path().join("app.jar");
    std::fs::write(&app, b"not really a jar").expect("app");
    let cluster = mesos_local::LocalCluster::start(mesos_local::ClusterConfig {
        work_dir: dir.path().join("mesos"),
        kill_grace: Duration::from_millis(500),
        ..Default::default()
    })
    .await
    .expect("starting mesos-local");

    let args = [
        "--master".to_owned(),
        format!("mesos://{}", cluster.master_addr()),
        "--conf".to_owned(),
        format!("spark.home={}", home.display()),
    ];
    let no_env = |_: &str| None;
    let Ok(Command::Run(config)) = parse_args(args, &no_env) else { panic!("arguments") };
    let settings = Settings::from_config(&config, &no_env).expect("settings");
    let queue = Arc::new(Mutex::new(DriverQueue::new(QueueConfig::default())));
    // A driver an earlier dispatcher launched (as a store would recover it): its task never
    // reached this master.
    let recovered = {
        let mut q = queue.lock().unwrap();
        q.mark_registered();
        let d = driver(&mut q, &app, "fail-once", true);
        let id = d.submission_id.clone();
        q.submit(d);
        q.mark_launched(&id, id.to_string(), "agent-of-a-lost-master".into(), SystemTime::now());
        id
    };
    let runtime = tokio::spawn(runtime::run(settings, Arc::clone(&queue)));
    let state = |id: &SubmissionId| match queue.lock().unwrap().status(id) {
        StatusOutcome::State(s, m) => (s, m.unwrap_or_default()),
        StatusOutcome::NotReady => (DriverState::NotFound, String::new()),
    };
    let task_state =
        |task: &str| cluster.tasks().into_iter().find(|t| t.task_id.value == task).map(|t| t.state);

    let retry = format!("{recovered}-retry-1");
    wait_for("the recovered driver's relaunch", || {
        task_state(&retry) == Some(TaskState::TaskRunning)
    })
    .await;
    assert_eq!(state(&recovered).0, DriverState::Running);

    let finishing = {
        let mut q = queue.lock().unwrap();
        let d = driver(&mut q, &app, "exit0", false);
        let id = d.submission_id.clone();
        q.submit(d);
        id
    };
    wait_for("the submission to finish", || state(&finishing).0 == DriverState::Finished).await;
    assert!(state(&finishing).1.contains("state: TASK_FINISHED"), "{:?}", state(&finishing));

    let long = {
        let mut q = queue.lock().unwrap();
        let d = driver(&mut q, &app, "sleep", false);
        let id = d.submission_id.clone();
        q.submit(d);
        id
    };
    wait_for("the long driver to run", || state(&long).1.contains("state: TASK_RUNNING")).await;
    cluster.close_streams();
    wait_for("reconciliation after re-subscribing", || {
        state(&long).1.contains("reason: REASON_RECONCILIATION")
    })
    .await;
    assert_eq!(state(&long).0, DriverState::Running);

    for id in [&recovered, &long] {
        assert_eq!(queue.lock().unwrap().kill(id), KillOutcome::KillingRunning);
    }
    wait_for("the kills", || {
        [&recovered, &long].iter().all(|id| state(id).0 == DriverState::Finished)
    })
    .await;
    assert!(state(&long).1.contains("state: TASK_KILLED"), "{:?}", state(&long));
    assert_eq!(task_state(&retry), Some(TaskState::TaskKilled));

    runtime.abort();
    cluster.shutdown().await;
}
