//! The committed Mesos protobuf vectors (`mesos/tests/fixtures/mesos-1.4.3-v1-vectors.txt`)
//! against Mesos itself: `tests/java/mesosproto/MesosProtoVectors.java` re-encodes every
//! vector live with Mesos 1.4.3's generated Java classes (`mesos-1.4.3-shaded-protobuf.jar`,
//! shipped with Spark), and the result must equal the fixture. `mesos/tests/golden.rs` checks
//! the same fixture against our prost types without Java.
//!
//! To regenerate the fixture after changing the Java program:
//! `GOLDEN_UPDATE=1 cargo test -p shuffle-tests --test mesos_proto_golden`.

use std::fs;

use shuffle_tests::{golden, repo_root, require_real_spark, JavaHarness};

/// The committed fixture, relative to the repository root.
const FIXTURE: &str = "mesos/tests/fixtures/mesos-1.4.3-v1-vectors.txt";

/// Main class of the generator.
const MAIN: &str = "mesosproto.MesosProtoVectors";

fn committed_text() -> String {
    let path = repo_root().join(FIXTURE);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Runs without Java: the fixture parses and says which Mesos made it.
#[test]
fn fixture_is_well_formed() {
    let text = committed_text();
    assert!(text.lines().any(|l| l.starts_with("# mesos-version: 1.4.3")), "{FIXTURE}: no version");
    let vectors = golden::parse(&text).unwrap_or_else(|e| panic!("{FIXTURE}: {e}"));
    assert!(vectors.len() >= 100, "{FIXTURE}: only {} vectors", vectors.len());
}

/// Mesos's generated classes, run now, produce exactly the committed bytes.
#[test]
fn live_mesos_encoding_matches_fixture() {
    if !require_real_spark() {
        return;
    }
    let harness =
        JavaHarness::get().unwrap_or_else(|e| panic!("cannot build the Java harness: {e}"));
    let live_text = harness
        .run(MAIN, &[])
        .unwrap_or_else(|e| panic!("running the Mesos vector generator: {e}"));
    if std::env::var_os("GOLDEN_UPDATE").is_some_and(|v| !v.is_empty()) {
        let path = repo_root().join(FIXTURE);
        // Written aside and renamed, so a concurrently running test never reads half a file.
        let tmp = path.with_extension("txt.tmp");
        fs::write(&tmp, &live_text)
            .and_then(|()| fs::rename(&tmp, &path))
            .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        eprintln!("GOLDEN_UPDATE: rewrote {}", path.display());
        return;
    }
    let live = golden::parse(&live_text)
        .unwrap_or_else(|e| panic!("generator output does not parse: {e}\n{live_text}"));
    let committed = golden::parse(&committed_text()).unwrap_or_else(|e| panic!("{FIXTURE}: {e}"));
    let diff = golden::diff(&committed, &live);
    assert!(
        diff.is_empty(),
        "Mesos's live encoding differs from {FIXTURE} (- committed, + live Mesos):\n{}\n\
         If the change is intended, regenerate with GOLDEN_UPDATE=1.",
        diff.join("\n")
    );
}
