//! Our launch core against Spark 3.5.6's `MesosClusterScheduler` on the launch cases: the
//! TaskInfos we launch (serialized bytes), the offers we decline (with their filters), kill
//! answers and driver states must equal the committed output of
//! `tests/java/mesoslaunch/LaunchOracle.java` (`fixtures/spark-3.5.6-launch-calls.txt`),
//! normalised as `support/launch.rs` says. No Java needed.

#[path = "support/launch.rs"]
mod launch_support;

use launch_support::{launch_cases_path, run_ours, spark_launch_calls_path, split_calls};

/// Cases where we differ from Spark on purpose, with the reason. The test fails if one of
/// them starts to match, or if a case not listed differs.
const DIFFERENT_ON_PURPOSE: &[(&str, &str)] = &[
    ("unsafe-app-arg", "Spark pastes app arguments into the shell line unescaped; we refuse to launch"),
    ("unsafe-quoted-conf", "Spark leaves a quote-wrapped value alone, so the shell runs what is between the quotes; we refuse"),
    ("unsafe-newline-conf", "Spark's escaping regex does not cross a newline, which the shell then reads as a command separator; we refuse"),
    ("unsafe-app-resource", "Spark pastes the app resource's last path segment into the line unescaped; we refuse"),
];

#[test]
fn launches_and_declines_match_spark() {
    let cases = std::fs::read_to_string(launch_cases_path()).expect("case file");
    let spark = split_calls(&std::fs::read_to_string(spark_launch_calls_path()).expect("fixture"));
    let ours = run_ours(&cases);
    if let Some(path) = std::env::var_os("LAUNCH_GOLDEN_OURS") {
        let text: String = ours.iter().map(|(n, body)| format!("case {n}\n{body}")).collect();
        std::fs::write(path, text).expect("writing our output");
    }
    assert_eq!(
        spark.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        ours.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        "the fixture answers every case, in order"
    );
    let mut failures = Vec::new();
    let mut passing = 0;
    for ((name, theirs), (_, mine)) in spark.iter().zip(&ours) {
        let listed = DIFFERENT_ON_PURPOSE.iter().any(|(n, _)| n == name);
        match (theirs == mine, listed) {
            (true, false) => passing += 1,
            (false, true) => {}
            (true, true) => {
                failures.push(format!("{name}: listed as different but now matches Spark"))
            }
            (false, false) => {
                failures.push(format!("{name} differs:\n--- spark\n{theirs}--- ours\n{mine}"))
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n{}",
        failures.len(),
        spark.len(),
        failures.join("\n")
    );
    assert!(passing >= 20, "only {passing} cases match Spark");
}
