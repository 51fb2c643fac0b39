//! The committed Spark-rules fixture (`mesos/tests/fixtures/spark-3.5.6-mesos-rules.txt`)
//! against Spark itself: `tests/java/mesosrules/MesosRulesOracle.java` runs Spark 3.5.6's own
//! Mesos rules over its case table now, and the output must equal the fixture that
//! `mesos/tests/rules_golden.rs` checks our rules against.
//!
//! To regenerate the fixture after changing the case table:
//! `GOLDEN_UPDATE=1 cargo test -p shuffle-tests --test mesos_rules_golden`.

use std::fs;
use std::process::Stdio;

use shuffle_tests::{repo_root, require_real_spark, JavaHarness};

/// The fixture, relative to the repository root.
const FIXTURE: &str = "mesos/tests/fixtures/spark-3.5.6-mesos-rules.txt";

/// The oracle's main class.
const ORACLE_MAIN: &str = "mesosrules.MesosRulesOracle";

#[test]
fn live_spark_rules_match_fixture() {
    if !require_real_spark() {
        return;
    }
    let harness =
        JavaHarness::get().unwrap_or_else(|e| panic!("cannot build the Java harness: {e}"));
    // Spark encodes VALUE secrets in the JVM's default charset, which follows the locale on
    // Java 17; the fixture is made with UTF-8.
    let output = harness
        .command(["-Dfile.encoding=UTF-8"], ORACLE_MAIN)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running {ORACLE_MAIN}: {e}"));
    assert!(
        output.status.success(),
        "{ORACLE_MAIN} exited with {}:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let live = String::from_utf8(output.stdout).expect("the oracle prints ASCII");
    let path = repo_root().join(FIXTURE);
    if std::env::var_os("GOLDEN_UPDATE").is_some_and(|v| !v.is_empty()) {
        // Written aside and renamed, so a concurrently running test never reads half a file.
        let tmp = path.with_extension("txt.tmp");
        fs::write(&tmp, &live)
            .and_then(|()| fs::rename(&tmp, &path))
            .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        eprintln!("GOLDEN_UPDATE: rewrote {}", path.display());
        return;
    }
    let committed =
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let differing: Vec<String> = committed
        .lines()
        .zip(live.lines())
        .filter(|(c, l)| c != l)
        .map(|(c, l)| format!("- {c}\n+ {l}"))
        .collect();
    assert!(
        differing.is_empty() && committed.lines().count() == live.lines().count(),
        "Spark's live results differ from {FIXTURE} ({} vs {} lines; - committed, + live):\n{}\n\
         If the case table changed on purpose, regenerate with GOLDEN_UPDATE=1.",
        committed.lines().count(),
        live.lines().count(),
        differing.join("\n")
    );
}
