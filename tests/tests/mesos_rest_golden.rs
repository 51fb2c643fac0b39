//! Spark 3.5.6's own `MesosRestServer` (`tests/java/mesosrest/RestOracle.java`, on a
//! `MesosClusterScheduler` with a recording driver: no libmesos) answers the REST golden cases
//! of `mesos-dispatcher/tests/fixtures/rest-cases.txt`. Its normalized replies must equal the
//! committed fixture `spark-3.5.6-rest-replies.txt`, and ours must equal them.
//!
//! To regenerate the fixture after changing the cases:
//! `GOLDEN_UPDATE=1 cargo test -p shuffle-tests --test mesos_rest_golden`.

#[path = "../../mesos-dispatcher/tests/support/golden.rs"]
mod golden;

use golden::{
    cases_path, compare, fixture, format_replies, normalize, parse_cases, parse_replies, run_ours,
    start_ours, SPARK_REPLIES,
};
use shuffle_tests::{require_real_spark, JavaHarness};

#[tokio::test]
async fn spark_rest_server_matches_fixture_and_ours() {
    if !require_real_spark() {
        return;
    }
    let harness = JavaHarness::get().expect("Java harness");
    let cases_file = cases_path();
    let raw = harness
        .run("mesosrest.RestOracle", &[cases_file.to_str().expect("UTF-8 path")])
        .expect("RestOracle");
    let spark: Vec<_> = parse_replies(&raw).iter().map(normalize).collect();
    let cases = parse_cases(&std::fs::read_to_string(&cases_file).expect("case file"));
    assert_eq!(spark.len(), cases.len(), "RestOracle answered every case");

    let fixture_path = fixture(SPARK_REPLIES);
    let text = format_replies(&spark);
    if std::env::var_os("GOLDEN_UPDATE").is_some() {
        std::fs::write(&fixture_path, &text).expect("writing the fixture");
    }
    let committed = std::fs::read_to_string(&fixture_path).expect("the fixture");
    assert!(
        committed == text,
        "Spark's replies differ from {}: regenerate it",
        fixture_path.display()
    );

    let ours = run_ours(&cases, &start_ours().await).await;
    let diffs = compare(&cases, &spark, &ours);
    assert!(diffs.is_empty(), "{} cases differ from Spark:\n{}", diffs.len(), diffs.join("\n"));
}

/// The real spark-submit 3.5.6 (`org.apache.spark.deploy.SparkSubmit`, cluster mode over
/// REST) submits to our dispatcher, which queues the driver exactly as asked; then
/// `--kill` removes it.
#[tokio::test]
async fn spark_submit_queues_and_kills_on_ours() {
    use std::sync::{Arc, Mutex};

    use mesos_dispatcher::queue::{DriverQueue, QueueConfig};
    use mesos_dispatcher::rest::{serve, Limits};
    use mesos_dispatcher::store::Persistence;

    if !require_real_spark() {
        return;
    }
    let harness = JavaHarness::get().expect("Java harness");
    let mut queue = DriverQueue::new(QueueConfig::default());
    queue.mark_registered();
    let queue = Arc::new(Mutex::new(queue));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let master = format!("mesos://{}", listener.local_addr().expect("addr"));
    tokio::spawn(serve(
        listener,
        Arc::clone(&queue),
        Persistence::memory(),
        Limits::default(),
        std::future::pending(),
    ));

    let evil = "a\"b $(id) `id`\nnext";
    let submit = {
        let mut cmd =
            harness.command(std::iter::empty::<&str>(), "org.apache.spark.deploy.SparkSubmit");
        cmd.args([
            "--master",
            &master,
            "--conf",
            "spark.master.rest.enabled=true",
            "--deploy-mode",
            "cluster",
            "--supervise",
            "--driver-memory",
            "2g",
        ])
        .args(["--conf", &format!("spark.evil={evil}"), "--class", "org.example.Main"])
        .args(["http://h/x.jar", "arg1", "arg 2"]);
        cmd
    };
    let output = tokio::task::spawn_blocking(move || { submit }.output())
        .await
        .expect("join")
        .expect("spark-submit");
    assert!(
        output.status.success(),
        "spark-submit failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let id = {
        let queue = queue.lock().expect("queue");
        let drivers: Vec<_> = queue.queued().collect();
        assert_eq!(drivers.len(), 1);
        let d = drivers[0];
        assert_eq!(
            (d.app_resource.as_str(), d.main_class.as_str()),
            ("http://h/x.jar", "org.example.Main")
        );
        assert_eq!(d.app_args, ["arg1", "arg 2"]);
        assert!(d.supervise);
        assert_eq!(d.mem_mb, 2048 + 384);
        assert_eq!(d.spark_properties.get("spark.evil").map(String::as_str), Some(evil));
        d.submission_id.to_string()
    };

    let mut kill =
        harness.command(std::iter::empty::<&str>(), "org.apache.spark.deploy.SparkSubmit");
    kill.args(["--master", &master, "--conf", "spark.master.rest.enabled=true", "--kill", &id]);
    let output = tokio::task::spawn_blocking(move || kill.output())
        .await
        .expect("join")
        .expect("spark-submit --kill");
    assert!(
        output.status.success(),
        "spark-submit --kill failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(queue.lock().expect("queue").queued().count(), 0);
}
