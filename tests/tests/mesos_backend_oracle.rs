//! The Mesos scheduler-backend oracle: Spark 3.5.6's own `MesosCoarseGrainedSchedulerBackend`
//! (and the fine-grained one) replayed through the committed scenarios with a recording
//! `SchedulerDriver` (`tests/java/mesosoracle/`), whose calls must equal the committed
//! fixtures. Our Rust backend is later checked against the same fixtures without Java.
//!
//! To regenerate the fixtures after changing a scenario or the oracle:
//! `MESOS_ORACLE_UPDATE=1 cargo test -p shuffle-tests --test mesos_backend_oracle`.
//! Format and normalization: `docs/mesos-backend-oracle.md`.

use std::fs;
use std::path::Path;

use shuffle_tests::{repo_root, require_real_spark, spark_jvm, JavaHarness};

/// Scenario files and the call fixtures generated from them, relative to the repo root.
const COARSE_SCENARIOS: &str = "mesos/tests/fixtures/spark-3.5.6-coarse-scenarios.txt";
const COARSE_CALLS: &str = "mesos/tests/fixtures/spark-3.5.6-coarse-calls.txt";
const FINE_SCENARIOS: &str = "mesos/tests/fixtures/spark-3.5.6-fine-scenarios.txt";
const FINE_CALLS: &str = "mesos/tests/fixtures/spark-3.5.6-fine-calls.txt";

/// Scenario names in file order: the `scenario NAME` lines.
fn scenario_names(text: &str) -> Vec<&str> {
    text.lines().filter_map(|l| l.strip_prefix("scenario ")).map(str::trim).collect()
}

fn read(rel: &str) -> String {
    let path = repo_root().join(rel);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Checks without Java that a call fixture answers every scenario of its file, in order.
fn check_consistent(scenarios: &str, calls: &str, at_least: usize) {
    let scenario_text = read(scenarios);
    let call_text = read(calls);
    let names = scenario_names(&scenario_text);
    assert!(names.len() >= at_least, "{scenarios}: {} scenarios, want {at_least}", names.len());
    assert_eq!(names, scenario_names(&call_text), "{calls} is stale: regenerate it");
    let mut seen = std::collections::BTreeSet::new();
    for name in &names {
        assert!(seen.insert(name), "{scenarios}: duplicate scenario {name}");
    }
}

#[test]
fn coarse_fixture_answers_every_scenario() {
    check_consistent(COARSE_SCENARIOS, COARSE_CALLS, 25);
}

#[test]
fn fine_fixture_answers_every_scenario() {
    check_consistent(FINE_SCENARIOS, FINE_CALLS, 8);
}

/// Runs `main_class` on `scenarios` and compares its output with `calls` (or rewrites `calls`
/// when `MESOS_ORACLE_UPDATE` is set).
fn replay(main_class: &str, scenarios: &str, calls: &str) {
    if !require_real_spark() {
        return;
    }
    let harness = JavaHarness::get().expect("compiling the Java harness");
    let input = repo_root().join(scenarios);
    let actual = spark_jvm::run(harness, main_class, &[input.to_str().expect("utf-8 path")])
        .unwrap_or_else(|e| panic!("{e}"));
    let fixture = repo_root().join(calls);
    if std::env::var_os("MESOS_ORACLE_UPDATE").is_some_and(|v| !v.is_empty()) {
        fs::write(&fixture, &actual).expect("writing the fixture");
        return;
    }
    let expected = read(calls);
    if let Some(diff) = first_difference(&expected, &actual) {
        panic!(
            "{main_class} no longer reproduces {} ({diff}); if Spark's behaviour is what \
             changed, regenerate with MESOS_ORACLE_UPDATE=1",
            Path::new(calls).display()
        );
    }
}

/// The first differing line, with the scenario it belongs to.
fn first_difference(expected: &str, actual: &str) -> Option<String> {
    let (mut exp, mut act) = (expected.lines(), actual.lines());
    let mut scenario = "(header)";
    for n in 1.. {
        match (exp.next(), act.next()) {
            (None, None) => return None,
            (e, a) if e == a => {
                if let Some(name) = e.and_then(|l| l.strip_prefix("scenario ")) {
                    scenario = name;
                }
            }
            (e, a) => {
                return Some(format!(
                    "scenario {scenario}, line {n}:\n- {}\n+ {}",
                    e.unwrap_or("(end)"),
                    a.unwrap_or("(end)")
                ))
            }
        }
    }
    None
}

#[test]
fn coarse_backend_calls_match_spark() {
    replay("mesosoracle.CoarseOracle", COARSE_SCENARIOS, COARSE_CALLS);
}

#[test]
fn fine_backend_calls_match_spark() {
    replay("mesosoracle.FineOracle", FINE_SCENARIOS, FINE_CALLS);
}
