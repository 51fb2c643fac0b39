//! The committed golden vectors (`protocol/tests/fixtures/spark-3.5.6-vectors.txt`) against
//! Spark itself: `tests/java/golden/GoldenVectors.java` re-encodes every vector live with the
//! Spark 3.5.6 classes, and Spark's decoders must accept every committed vector.
//!
//! To regenerate the fixture after changing the Java program:
//! `GOLDEN_UPDATE=1 cargo test -p shuffle-tests --test golden_vectors`.

use std::fs;

use shuffle_tests::{
    golden, repo_root, require_real_spark, JavaHarness, GOLDEN_FIXTURE, GOLDEN_MAIN,
};

/// Every vector name the fixture must carry (a contract with the protocol crate's tests).
const EXPECTED_NAMES: &[&str] = &[
    // Transport messages: complete wire bytes.
    "chunk_fetch_request",
    "chunk_fetch_success",
    "chunk_fetch_failure",
    "rpc_request",
    "rpc_response",
    "rpc_failure",
    "stream_request",
    "stream_response",
    "stream_failure",
    "one_way_message",
    "upload_stream",
    "merged_block_meta_request",
    "merged_block_meta_success",
    "rpc_register_executor",
    "rpc_fetch_shuffle_blocks",
    "rpc_stream_handle",
    "rpc_register_driver",
    // BlockTransferMessages: toByteBuffer().
    "open_blocks",
    "upload_block",
    "register_executor",
    "stream_handle",
    "register_driver",
    "shuffle_service_heartbeat",
    "upload_block_stream",
    "remove_blocks",
    "blocks_removed",
    "fetch_shuffle_blocks",
    "fetch_shuffle_blocks_batch",
    "get_local_dirs_for_executors",
    "local_dirs_for_executors",
    "push_block_stream",
    "finalize_shuffle_merge",
    "merge_statuses",
    "fetch_shuffle_block_chunks",
    "diagnose_corruption",
    "corruption_cause_0",
    "corruption_cause_1",
    "corruption_cause_2",
    "corruption_cause_3",
    "corruption_cause_4",
    "block_push_return_code",
    "remove_shuffle_merge",
    // Auth RPC bodies.
    "sasl_message",
    "sasl_message_empty",
    "auth_message",
];

fn committed_text() -> String {
    let path = repo_root().join(GOLDEN_FIXTURE);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn committed() -> Vec<golden::Vector> {
    golden::parse(&committed_text()).unwrap_or_else(|e| panic!("{GOLDEN_FIXTURE}: {e}"))
}

fn harness() -> &'static JavaHarness {
    JavaHarness::get().unwrap_or_else(|e| panic!("cannot build the Java harness: {e}"))
}

/// Runs without Java: the fixture parses, names exactly the expected vectors, says which
/// Spark made it, and a few vectors hold the bytes spelled out in the protocol document.
#[test]
fn fixture_is_well_formed() {
    let text = committed_text();
    assert!(
        text.lines().any(|l| l.starts_with("# spark-version: 3.5.6")),
        "{GOLDEN_FIXTURE} lacks a `# spark-version: 3.5.6` line"
    );
    let vectors = committed();
    let names: Vec<&str> = vectors.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, EXPECTED_NAMES, "vector names or order changed");
    let get = |name: &str| {
        vectors.iter().find(|v| v.name == name).map(|v| v.hex.clone()).unwrap_or_default()
    };
    // docs spark-shuffle-protocol.md §2.2 and §6.1.
    assert_eq!(get("rpc_response"), "000000000000001504000000000000000100000000");
    assert_eq!(
        get("stream_response"),
        "000000000000001b0700000006313030305f300000000000000003616263"
    );
    assert_eq!(get("one_way_message"), "0000000000000017090000000a05000000056170702d31");
    assert_eq!(get("sasl_message_empty"), "ea000000056170702d3100000000");
}

/// Spark's encoders, run now, produce exactly the committed bytes.
#[test]
fn live_spark_encoding_matches_fixture() {
    if !require_real_spark() {
        return;
    }
    let live_text = harness()
        .run(GOLDEN_MAIN, &[])
        .unwrap_or_else(|e| panic!("running the golden-vector generator: {e}"));
    if std::env::var_os("GOLDEN_UPDATE").is_some_and(|v| !v.is_empty()) {
        let path = repo_root().join(GOLDEN_FIXTURE);
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
    let diff = golden::diff(&committed(), &live);
    assert!(
        diff.is_empty(),
        "Spark's live encoding differs from {GOLDEN_FIXTURE} (- committed, + live Spark):\n{}\n\
         If the change is intended, regenerate with GOLDEN_UPDATE=1.",
        diff.join("\n")
    );
}

/// Spark's decoders accept every committed vector and re-encode it to the same bytes.
#[test]
fn spark_decodes_every_fixture_vector() {
    if !require_real_spark() {
        return;
    }
    let vectors = committed();
    let out = harness()
        .run_with_stdin(GOLDEN_MAIN, &["decode"], &committed_text())
        .unwrap_or_else(|e| panic!("decode mode failed: {e}"));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), vectors.len(), "one decode line per vector expected:\n{out}");
    for (v, line) in vectors.iter().zip(&lines) {
        let mut fields = line.splitn(3, ' ');
        assert_eq!(fields.next(), Some(v.name.as_str()), "decode output out of order:\n{out}");
        assert_eq!(fields.next(), Some("ok"), "Spark did not round-trip `{}`: {line}", v.name);
    }
}
