//! The bridge runtime wired to an agent's shuffle service, without a JVM: a local Mesos
//! cluster, our `shuffle-server` on the agent's address, and executors that only sleep (a
//! stand-in `spark-class`). The first RUNNING registers the driver with the daemon under the
//! framework id; after `stop` the heartbeats end and the daemon expires the application.

#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mesos_backend::bridge::protocol::{Event, Request, Start};
use mesos_backend::bridge::runtime;
use mesos_local::{ClusterConfig, LocalCluster};
use shuffle_tests::daemon::{Daemon, Options};
use tokio::sync::mpsc;

/// Polls `check` every 100 ms, failing with `what` after 60 s.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check() {
        assert!(Instant::now() < deadline, "{what} did not happen");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runtime_registers_with_the_agents_shuffle_service_until_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = LocalCluster::start(ClusterConfig {
        work_dir: dir.path().join("mesos"),
        ..Default::default()
    })
    .await
    .unwrap();
    let host = cluster.agents()[0].hostname.clone();
    let options = Options {
        host: Some(&host),
        conf: &["spark.shuffle.cleaner.interval=1s"],
        ..Options::default()
    };
    let daemon = Daemon::start_with(&dir.path().join("state"), &options);
    // Executors that stay RUNNING until killed.
    let home = dir.path().join("spark");
    std::fs::create_dir_all(home.join("bin")).unwrap();
    let script = home.join("bin/spark-class");
    std::fs::write(&script, "#!/bin/sh\nexec sleep 120\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();

    let conf = [
        ("spark.master", format!("spark-mesos://{}", cluster.master_addr())),
        ("spark.app.name", "shuffle-wiring".to_owned()),
        ("spark.driver.host", "127.0.0.1".to_owned()),
        ("spark.mesos.executor.home", home.display().to_string()),
        ("spark.cores.max", "1".to_owned()),
        ("spark.executor.memory", "512m".to_owned()),
        ("spark.shuffle.service.enabled", "true".to_owned()),
        ("spark.shuffle.service.port", daemon.port().to_string()),
        ("spark.executor.heartbeatInterval", "200ms".to_owned()),
        ("spark.storage.blockManagerHeartbeatTimeoutMs", "2000".to_owned()),
    ];
    let start = Start {
        version: 1,
        app_name: "shuffle-wiring".to_owned(),
        driver_url: "spark://CoarseGrainedScheduler@127.0.0.1:7077".to_owned(),
        user: "tester".to_owned(),
        spark_home: None,
        conf: conf.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        executor_env: Vec::new(),
        exec_arg: None,
    };
    let events = Arc::new(Mutex::new(Vec::new()));
    let sent = events.clone();
    let (requests, rx) = mpsc::channel(8);
    let run = tokio::spawn(runtime::run(start, rx, move |e: &Event| {
        sent.lock().unwrap().push(e.clone());
        Ok(())
    }));

    eventually("the driver's registration at the agent's daemon", || {
        daemon.metric("registeredDriversSize") == Some(1.0)
    })
    .await;
    let framework_id = events.lock().unwrap().iter().find_map(|e| match e {
        Event::Registered { framework_id } => Some(framework_id.clone()),
        _ => None,
    });
    let framework_id = framework_id.expect("registered before the executor ran");
    let registered = format!("Driver of app {framework_id} registered");
    assert!(
        daemon.log().contains(&registered),
        "the daemon knows the app as the framework id {framework_id}:\n{}",
        daemon.log()
    );
    // Past the 2 s timeout and a cleaner pass, the heartbeats keep the application alive.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(daemon.metric("registeredDriversSize"), Some(1.0), "{}", daemon.log());
    assert_eq!(daemon.metric("appsCleaned").unwrap_or(0.0), 0.0, "{}", daemon.log());

    requests.send(Request::Stop).await.unwrap();
    tokio::time::timeout(Duration::from_secs(60), run).await.unwrap().unwrap().unwrap();
    eventually("the daemon's expiry of the stopped driver", || {
        daemon.metric("registeredDriversSize") == Some(0.0)
            && daemon.metric("appsCleaned") == Some(1.0)
    })
    .await;
    cluster.shutdown().await;
}
