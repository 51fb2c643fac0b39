//! Authentication against Spark 3.5.6's own client (`SparkShuffleDriver` with
//! `spark.authenticate=true`): SASL DIGEST-MD5 with short, 64-character and file-based
//! secrets fetches byte-exact; a wrong secret, no authentication, or a demand for SASL
//! encryption is refused without data.

use std::collections::BTreeMap;

use shuffle_tests::daemon::Daemon;
use shuffle_tests::fixture::{sha256_hex, Shape, ShuffleFixture, SUB_DIRS};
use shuffle_tests::require_real_spark;
use shuffle_tests::spark_driver::{FetchOutcome, SparkDriver};

/// 64 hex characters: its SASL password (Base64 with Netty line breaks) holds a newline.
const LONG_SECRET: &str = "4f9c2a7e11d3b8056a0e9f7c3d2b1a0f8e7d6c5b4a39281706f5e4d3c2b1a098";

fn small_shuffle() -> ShuffleFixture {
    let shape = Shape { shuffle_id: 2, maps: 3, reduces: 5, map_id_base: 10 };
    ShuffleFixture::write(shape, 2).expect("writing the shuffle")
}

fn all_ids(fixture: &ShuffleFixture) -> Vec<String> {
    let s = fixture.shape.shuffle_id;
    fixture
        .map_ids()
        .flat_map(|m| (0..fixture.shape.reduces).map(move |r| format!("shuffle_{s}_{m}_{r}")))
        .collect()
}

fn assert_byte_exact(fixture: &ShuffleFixture, got: &BTreeMap<String, FetchOutcome>) {
    let s = fixture.shape.shuffle_id;
    assert_eq!(got.len(), all_ids(fixture).len());
    for m in fixture.map_ids() {
        for r in 0..fixture.shape.reduces {
            let id = format!("shuffle_{s}_{m}_{r}");
            let bytes = fixture.block_bytes(m, r);
            let want = Ok((bytes.len(), sha256_hex(&bytes)));
            assert_eq!(got.get(&id), Some(&want), "{id} not byte-exact");
        }
    }
}

/// Registers executor 1 and fetches every block, by chunks and by streams.
fn register_and_fetch(spark: &mut SparkDriver, daemon: &Daemon, fixture: &ShuffleFixture) {
    assert_eq!(spark.register(daemon.port(), "1", SUB_DIRS, &fixture.local_dirs), "registered");
    let got = spark.fetch(daemon.port(), "1", "mem", &all_ids(fixture)).expect("fetch runs");
    assert_byte_exact(fixture, &got);
    let got = spark.fetch(daemon.port(), "1", "stream", &all_ids(fixture)).expect("fetch runs");
    assert_byte_exact(fixture, &got);
}

/// Registration and fetch both fail, with `why` in the message, and no block arrives.
fn assert_refused(spark: &mut SparkDriver, daemon: &Daemon, fixture: &ShuffleFixture, why: &str) {
    let registered = spark.register(daemon.port(), "2", SUB_DIRS, &fixture.local_dirs);
    assert!(registered.starts_with("error ") && registered.contains(why), "{registered}");
    match spark.fetch(daemon.port(), "1", "mem", &all_ids(fixture)) {
        Ok(got) => {
            assert!(!got.is_empty());
            for outcome in got.values() {
                assert!(matches!(outcome, Err(m) if m.contains(why)), "{outcome:?}");
            }
        }
        Err(line) => assert!(line.contains(why), "{line}"),
    }
}

#[test]
fn sasl_with_the_right_secret_fetches_byte_exact() {
    if !require_real_spark() {
        return;
    }
    let fixture = small_shuffle();
    let state = tempfile::tempdir().expect("state dir");
    // A shared secret from a file (Spark's semantics: the secret is the Base64 of its bytes)
    // and a per-application 64-character secret.
    let secret_file = state.path().join("secret");
    std::fs::write(&secret_file, b"hunter2\n").expect("writing the secret file");
    let file_conf = format!("spark.authenticate.secret.file={}", secret_file.display());
    let app_conf = format!("spark.shuffle.service.rs.appSecrets.app-long={LONG_SECRET}");
    let daemon = Daemon::start(
        &state.path().join("db"),
        &["spark.authenticate=true", &file_conf, &app_conf],
    );

    let mut spark = SparkDriver::start(
        "app-file",
        &["-Dspark.authenticate=true", "-Dspark.authenticate.secret=aHVudGVyMgo="],
    );
    register_and_fetch(&mut spark, &daemon, &fixture);
    spark.client("app-long", &[&format!("spark.authenticate.secret={LONG_SECRET}")]);
    register_and_fetch(&mut spark, &daemon, &fixture);

    let log = daemon.log();
    assert!(log.matches("connection authenticated").count() >= 4, "{log}");
    assert!(
        !log.contains(LONG_SECRET) && !log.contains("aHVudGVyMgo=") && !log.contains("hunter2")
    );
    assert!(!daemon.scrape().contains(LONG_SECRET));
}

#[test]
fn wrong_secret_missing_auth_and_sasl_encryption_are_refused() {
    if !require_real_spark() {
        return;
    }
    let fixture = small_shuffle();
    let state = tempfile::tempdir().expect("state dir");
    let shared = format!("spark.authenticate.secret={LONG_SECRET}");
    let daemon = Daemon::start(state.path(), &["spark.authenticate=true", &shared]);
    // An executor registered by a legitimate client, so refusals are about the caller.
    let long = format!("-Dspark.authenticate.secret={LONG_SECRET}");
    let mut spark = SparkDriver::start("app-1", &["-Dspark.authenticate=true", &long]);
    assert_eq!(spark.register(daemon.port(), "1", SUB_DIRS, &fixture.local_dirs), "registered");

    let wrong = format!("spark.authenticate.secret={}", LONG_SECRET.replace('4', "5"));
    spark.client("app-1", &[&wrong]);
    assert_refused(&mut spark, &daemon, &fixture, "Mismatched response");
    spark.client("app-1", &["spark.authenticate=false"]);
    assert_refused(&mut spark, &daemon, &fixture, "Unauthenticated request");
    spark.client("app-1", &["spark.authenticate.enableSaslEncryption=true"]);
    assert_refused(&mut spark, &daemon, &fixture, "spark.network.crypto.enabled=true");

    // Only the legitimate registration happened.
    assert_eq!(daemon.metric("registeredExecutorsSize"), Some(1.0));
    assert!(daemon.metric("numAuthFailures").is_some_and(|n| n >= 3.0), "{}", daemon.scrape());
    assert!(!daemon.log().contains(LONG_SECRET));
}

/// A shuffle with a multi-MiB block, so encrypted bodies span many pieces and segments.
fn shuffle_with_large_blocks() -> ShuffleFixture {
    // Map 0, reduce 0 is one of `block_len`'s 2–5 MiB blocks.
    let shape = Shape { shuffle_id: 4, maps: 2, reduces: 12, map_id_base: 0 };
    let fixture = ShuffleFixture::write(shape, 2).expect("writing the shuffle");
    let largest = fixture
        .map_ids()
        .flat_map(|m| (0..shape.reduces).map(move |r| (m, r)))
        .map(|(m, r)| fixture.block_len(m, r))
        .max()
        .unwrap_or(0);
    assert!(largest >= 2 << 20, "the fixture should hold a multi-MiB block");
    fixture
}

#[test]
fn auth_engine_with_aes_ctr_fetches_byte_exact() {
    if !require_real_spark() {
        return;
    }
    let fixture = shuffle_with_large_blocks();
    let state = tempfile::tempdir().expect("state dir");
    let shared = format!("spark.authenticate.secret={LONG_SECRET}");
    let daemon = Daemon::start(
        state.path(),
        &["spark.authenticate=true", &shared, "spark.network.crypto.enabled=true"],
    );
    let long = format!("-Dspark.authenticate.secret={LONG_SECRET}");
    let mut spark = SparkDriver::start(
        "app-ctr",
        &["-Dspark.authenticate=true", &long, "-Dspark.network.crypto.enabled=true"],
    );
    register_and_fetch(&mut spark, &daemon, &fixture);
    assert!(daemon.log().contains("encrypted=true"), "{}", daemon.log());

    // A SASL-only client is still served (spark.network.crypto.saslFallback defaults to true).
    spark.client("app-sasl", &["spark.network.crypto.enabled=false"]);
    register_and_fetch(&mut spark, &daemon, &fixture);
    // A wrong secret fails the AuthEngine and the SASL fallback alike.
    let wrong = format!("spark.authenticate.secret={}", LONG_SECRET.replace('4', "5"));
    spark.client("app-wrong", &[&wrong, "spark.network.crypto.saslFallback=false"]);
    assert_refused(&mut spark, &daemon, &fixture, "Authentication failed");
    assert!(!daemon.log().contains(LONG_SECRET));
}

#[test]
fn auth_engine_client_falls_back_to_sasl_when_crypto_is_off() {
    if !require_real_spark() {
        return;
    }
    let fixture = small_shuffle();
    let state = tempfile::tempdir().expect("state dir");
    let shared = format!("spark.authenticate.secret={LONG_SECRET}");
    let daemon = Daemon::start(state.path(), &["spark.authenticate=true", &shared]);
    let long = format!("-Dspark.authenticate.secret={LONG_SECRET}");
    let mut spark = SparkDriver::start(
        "app-fallback",
        &["-Dspark.authenticate=true", &long, "-Dspark.network.crypto.enabled=true"],
    );
    register_and_fetch(&mut spark, &daemon, &fixture);
    assert!(daemon.log().contains("encrypted=false"), "{}", daemon.log());
}

/// Spark 3.5.6's `GcmTransportCipher` decrypts only the first message per connection and
/// direction (its `DecryptionHandler` never resets after a unit), so with Spark's own
/// service as well, a registration (one request, one reply) works and a fetch stalls after
/// the StreamHandle. Our daemon matches it byte for byte: the registration succeeds, the
/// fetch fails the same way; `shuffle-server/tests/auth_engine.rs` fetches through GCM with
/// a client that reads every unit.
#[test]
fn auth_engine_with_aes_gcm_matches_spark_3_5_6() {
    if !require_real_spark() {
        return;
    }
    let fixture = small_shuffle();
    let state = tempfile::tempdir().expect("state dir");
    let shared = format!("spark.authenticate.secret={LONG_SECRET}");
    let gcm = "spark.network.crypto.cipher=AES/GCM/NoPadding";
    let daemon = Daemon::start(
        state.path(),
        &["spark.authenticate=true", &shared, "spark.network.crypto.enabled=true", gcm],
    );
    let long = format!("-Dspark.authenticate.secret={LONG_SECRET}");
    let jvm_gcm = format!("-D{gcm}");
    let mut spark = SparkDriver::start(
        "app-gcm",
        &[
            "-Dspark.authenticate=true",
            &long,
            "-Dspark.network.crypto.enabled=true",
            &jvm_gcm,
            "-Dspark.shuffle.io.connectionTimeout=2s",
            "-Dspark.shuffle.io.maxRetries=0",
        ],
    );
    assert_eq!(spark.register(daemon.port(), "1", SUB_DIRS, &fixture.local_dirs), "registered");
    assert!(daemon.log().contains("encrypted=true"), "{}", daemon.log());
    assert_eq!(daemon.metric("registeredExecutorsSize"), Some(1.0));
    let ids = &all_ids(&fixture)[..2];
    spark.send(&format!("fetch 127.0.0.1 {} 1 mem {}", daemon.port(), ids.join(",")));
    loop {
        let line = spark.line();
        assert!(!line.starts_with("block "), "Spark 3.5.6 decoded a second GCM unit: {line}");
        if line.starts_with("fetched ") || line.starts_with("error ") {
            break;
        }
    }
}
