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
