//! Spark 3.5.6's own `MesosClusterScheduler` (`tests/java/mesoslaunch/LaunchOracle.java`, with
//! a recording driver: no libmesos) runs the launch cases of
//! `mesos-dispatcher/tests/fixtures/launch-cases.txt`. Its output must equal the committed
//! fixture `spark-3.5.6-launch-calls.txt`, and our launch core must match it (except the
//! cases refused on purpose, listed in `mesos-dispatcher/tests/support/launch.rs`).
//!
//! To regenerate the fixture after changing the cases:
//! `GOLDEN_UPDATE=1 cargo test -p shuffle-tests --test mesos_launch_golden`.

#[path = "../../mesos-dispatcher/tests/support/launch.rs"]
mod launch_support;

use launch_support::{compare, launch_cases_path, run_ours, spark_launch_calls_path};
use shuffle_tests::{require_real_spark, JavaHarness};

#[test]
fn spark_cluster_scheduler_matches_fixture_and_ours() {
    if !require_real_spark() {
        return;
    }
    let harness = JavaHarness::get().expect("Java harness");
    let cases_path = launch_cases_path();
    let spark = harness
        .run("mesoslaunch.LaunchOracle", &[cases_path.to_str().expect("UTF-8 path")])
        .expect("LaunchOracle");
    assert!(!spark.contains("\nerror "), "a case failed in Spark:\n{spark}");
    let fixture = spark_launch_calls_path();
    if std::env::var_os("GOLDEN_UPDATE").is_some() {
        std::fs::write(&fixture, &spark).expect("writing the fixture");
    }
    let committed = std::fs::read_to_string(&fixture).expect("the fixture");
    assert!(committed == spark, "Spark's output differs from {}: regenerate it", fixture.display());

    let cases = std::fs::read_to_string(&cases_path).expect("case file");
    let passing = compare(&spark, &run_ours(&cases)).unwrap_or_else(|e| panic!("{e}"));
    assert!(passing >= 20, "only {passing} cases match Spark");
}
