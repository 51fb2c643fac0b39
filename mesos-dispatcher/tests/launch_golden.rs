//! Our launch core against Spark 3.5.6's `MesosClusterScheduler` on the launch cases: the
//! TaskInfos we launch (serialized bytes), the offers we decline (with their filters), kill
//! answers and driver states must equal the committed output of
//! `tests/java/mesoslaunch/LaunchOracle.java` (`fixtures/spark-3.5.6-launch-calls.txt`),
//! normalised as `support/launch.rs` says. No Java needed. The cases we refuse on purpose
//! are listed, with their reasons, in `support/launch.rs`.

#[path = "support/launch.rs"]
mod launch_support;

use launch_support::{compare, launch_cases_path, run_ours, spark_launch_calls_path};

#[test]
fn launches_and_declines_match_spark() {
    let cases = std::fs::read_to_string(launch_cases_path()).expect("case file");
    let spark = std::fs::read_to_string(spark_launch_calls_path()).expect("fixture");
    let ours = run_ours(&cases);
    if let Some(path) = std::env::var_os("LAUNCH_GOLDEN_OURS") {
        let text: String = ours.iter().map(|(n, body)| format!("case {n}\n{body}")).collect();
        std::fs::write(path, text).expect("writing our output");
    }
    let passing = compare(&spark, &ours).unwrap_or_else(|e| panic!("{e}"));
    assert!(passing >= 20, "only {passing} cases match Spark");
}
