//! Our REST server against Spark 3.5.6's own `MesosRestServer`: every case of
//! `fixtures/rest-cases.txt` answered by ours must equal Spark's committed, normalized reply
//! (`fixtures/spark-3.5.6-rest-replies.txt`), except the cases marked `ours:`, where we refuse
//! on purpose what Spark fails on internally or accepts unbounded.
//!
//! The fixture is regenerated from Spark by
//! `GOLDEN_UPDATE=1 cargo test -p shuffle-tests --test mesos_rest_golden`.

mod support;

use support::golden::{
    cases_path, compare, fixture, parse_cases, parse_replies, run_ours, start_ours, SPARK_REPLIES,
};

#[tokio::test]
async fn replies_equal_spark_3_5_6() {
    let cases = parse_cases(&std::fs::read_to_string(cases_path()).expect("case file"));
    assert!(cases.len() >= 25, "the table needs at least 25 cases");
    let spark =
        parse_replies(&std::fs::read_to_string(fixture(SPARK_REPLIES)).expect("Spark's replies"));
    assert_eq!(
        spark.len(),
        cases.len(),
        "the fixture is stale: regenerate it (see the module doc)"
    );
    let addrs = start_ours().await;
    let ours = run_ours(&cases, &addrs).await;
    let diffs = compare(&cases, &spark, &ours);
    assert!(
        diffs.is_empty(),
        "{} of {} cases differ:\n{}",
        diffs.len(),
        cases.len(),
        diffs.join("\n")
    );
}
