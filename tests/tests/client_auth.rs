//! Our `shuffle-client` with `spark.authenticate` on, against our daemon (in-process,
//! [`TestServer`]) and against Spark 3.5.6's own JVM external shuffle service: SASL
//! DIGEST-MD5 (a short secret and a 64-character one, whose SASL password holds a newline)
//! and the AuthEngine with AES-CTR (and, on our daemon, AES-GCM) fetch a Spark-layout
//! shuffle byte-exact over the chunk and the stream path; a wrong secret is an `is_auth()`
//! error and yields no data.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use futures::TryStreamExt;
use shuffle_client::{
    AuthConfig, ClientConfig, CryptoCipher, Error, FetchOptions, ShuffleClient, Transfer,
};
use shuffle_server::config::Secret;
use shuffle_tests::fixture::{Shape, ShuffleFixture};
use shuffle_tests::jvm_service::{JvmShuffleService, ServiceKind};
use shuffle_tests::server::TestServer;
use shuffle_tests::{limit, require_real_spark};

const SHORT_SECRET: &str = "hunter2";
/// 64 hex characters: its SASL password (Base64 with Netty line breaks) holds a newline.
const LONG_SECRET: &str = "4f9c2a7e11d3b8056a0e9f7c3d2b1a0f8e7d6c5b4a39281706f5e4d3c2b1a098";
const WRONG_SECRET: &str = "5f9c2a7e11d3b8056a0e9f7c3d2b1a0f8e7d6c5b4a39281706f5e4d3c2b1a098";
const EXEC: &str = "1";

/// 2 maps × 12 reduces; map 0, reduce 0 is one of the fixture's 2–5 MiB blocks, so
/// encrypted bodies span many reads and GCM segments.
const SHAPE: Shape = Shape { shuffle_id: 4, maps: 2, reduces: 12, map_id_base: 0 };

fn fixture() -> ShuffleFixture {
    let fixture = ShuffleFixture::write(SHAPE, 2).unwrap_or_else(|e| panic!("fixture: {e}"));
    assert!(fixture.block_len(0, 0) >= 2 << 20, "the fixture should hold a multi-MiB block");
    fixture
}

fn all_ids(fixture: &ShuffleFixture) -> Vec<(String, Vec<u8>)> {
    fixture
        .map_ids()
        .flat_map(|m| (0..SHAPE.reduces).map(move |r| (m, r)))
        .map(|(m, r)| (format!("shuffle_{}_{m}_{r}", SHAPE.shuffle_id), fixture.block_bytes(m, r)))
        .collect()
}

fn client(auth: AuthConfig) -> ShuffleClient {
    ShuffleClient::new(ClientConfig {
        retry_wait: Duration::from_millis(100),
        auth: Some(auth),
        ..ClientConfig::default()
    })
}

/// Registers the fixture's executor for `app` and fetches every block, over chunks and over
/// streams, comparing every byte.
async fn register_and_fetch(
    client: &ShuffleClient,
    addr: SocketAddr,
    app: &str,
    fixture: &ShuffleFixture,
) {
    limit("register", client.register_executor(addr, app, EXEC, fixture.executor_info()))
        .await
        .unwrap_or_else(|e| panic!("RegisterExecutor as {app}: {e}"));
    let want = all_ids(fixture);
    let ids: Vec<String> = want.iter().map(|(id, _)| id.clone()).collect();
    for transfer in [Transfer::Chunks, Transfer::Stream] {
        let options = FetchOptions { transfer, size_hint: None };
        let got: Vec<(String, Bytes)> = limit(
            "fetch",
            client.fetch_blocks_with(addr, app, EXEC, ids.clone(), options).try_collect(),
        )
        .await
        .unwrap_or_else(|e| panic!("fetching as {app} ({transfer:?}): {e}"));
        assert_eq!(got.len(), want.len(), "{transfer:?}");
        for ((id, data), (want_id, want_data)) in got.iter().zip(&want) {
            assert_eq!(id, want_id, "{transfer:?}: chunk order");
            assert!(data[..] == want_data[..], "{id} not byte-exact ({transfer:?})");
        }
    }
}

/// A client with `auth` is refused with an `is_auth()` error, for registration and for a
/// fetch of blocks that exist, and receives no data; the error never shows the secret.
async fn assert_refused(auth: AuthConfig, addr: SocketAddr, app: &str, fixture: &ShuffleFixture) {
    let client = client(auth);
    let err = limit("register", client.register_executor(addr, app, "2", fixture.executor_info()))
        .await
        .expect_err("a wrong secret must not register");
    assert!(err.is_auth() && !err.is_retryable(), "{err:?}");
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    let ids: Vec<String> = all_ids(fixture).into_iter().map(|(id, _)| id).collect();
    let mut blocks = client.fetch_blocks(addr, app, EXEC, ids);
    let first = limit("fetch", blocks.try_next()).await;
    match first {
        Err(e) => assert!(e.is_auth(), "{e:?}"),
        Ok(block) => panic!("a wrong secret fetched {:?}", block.map(|(id, _)| id)),
    }
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains(WRONG_SECRET) && !text.contains(LONG_SECRET), "{text}");
    }
}

/// Our daemon in-process with `spark.authenticate=true`, the shared secret `secret` and
/// `configure` on top.
fn daemon(secret: &str, configure: impl FnOnce(&mut shuffle_server::Config)) -> TestServer {
    let secret = Secret::new(secret.to_owned());
    TestServer::start(|c| {
        c.authenticate = true;
        c.auth_secret = Some(secret);
        configure(c);
    })
}

fn engine(secret: &str, cipher: CryptoCipher) -> AuthConfig {
    // No SASL fallback: the fetch must have gone through the AuthEngine and the cipher.
    AuthConfig { sasl_fallback: false, ..AuthConfig::new(secret).with_crypto(cipher) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sasl_against_our_daemon_with_short_and_64_character_secrets() {
    let fixture = fixture();
    let server = daemon(SHORT_SECRET, |c| {
        c.app_secrets.insert("app-long".into(), Secret::new(LONG_SECRET.to_owned()));
    });
    register_and_fetch(&client(AuthConfig::new(SHORT_SECRET)), server.addr, "app-short", &fixture)
        .await;
    register_and_fetch(&client(AuthConfig::new(LONG_SECRET)), server.addr, "app-long", &fixture)
        .await;
    // The connection is bound to the application it authenticated as.
    let fixed = client(AuthConfig::new(SHORT_SECRET).with_app_id("app-short"));
    let err = limit(
        "register",
        fixed.register_executor(server.addr, "app-x", "9", fixture.executor_info()),
    )
    .await
    .expect_err("another application");
    assert!(err.is_auth(), "{err:?}");
    assert_eq!(server.state.registry().len(), 2);
    server.assert_no_panics();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_engine_ctr_against_our_daemon() {
    let fixture = fixture();
    let server = daemon(LONG_SECRET, |c| c.crypto_enabled = true);
    let client = client(engine(LONG_SECRET, CryptoCipher::Ctr));
    register_and_fetch(&client, server.addr, "app-ctr", &fixture).await;
    server.assert_no_panics();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_engine_gcm_against_our_daemon() {
    let fixture = fixture();
    let server = daemon(LONG_SECRET, |c| {
        c.crypto_enabled = true;
        c.crypto_cipher = CryptoCipher::Gcm;
    });
    let client = client(engine(LONG_SECRET, CryptoCipher::Gcm));
    register_and_fetch(&client, server.addr, "app-gcm", &fixture).await;
    server.assert_no_panics();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_secret_against_our_daemon_is_refused_without_data() {
    let fixture = fixture();
    for crypto in [false, true] {
        let server = daemon(LONG_SECRET, |c| c.crypto_enabled = crypto);
        // The executor exists: the refusal is about the caller.
        let right = if crypto {
            engine(LONG_SECRET, CryptoCipher::Ctr)
        } else {
            AuthConfig::new(LONG_SECRET)
        };
        limit(
            "register",
            client(right).register_executor(server.addr, "app", EXEC, fixture.executor_info()),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert_refused(AuthConfig::new(WRONG_SECRET), server.addr, "app", &fixture).await;
        let wrong_engine = AuthConfig::new(WRONG_SECRET).with_crypto(CryptoCipher::Ctr);
        assert_refused(wrong_engine, server.addr, "app", &fixture).await;
        assert_eq!(server.state.registry().len(), 1);
        assert_eq!(server.state.streams().len(), 0);
        server.assert_no_panics();
    }
}

/// The JVM service with `spark.authenticate=true` and the 64-character secret, plus `props`.
fn jvm_service(props: &[(&str, &str)]) -> JvmShuffleService {
    let mut all = vec![("spark.authenticate", "true"), ("spark.authenticate.secret", LONG_SECRET)];
    all.extend_from_slice(props);
    tokio::task::block_in_place(|| JvmShuffleService::start(ServiceKind::Standalone, &all))
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sasl_against_the_jvm_service() {
    if !require_real_spark() {
        return;
    }
    let fixture = fixture();
    let service = jvm_service(&[]);
    register_and_fetch(&client(AuthConfig::new(LONG_SECRET)), service.addr(), "app-sasl", &fixture)
        .await;
    // With crypto on and the service's crypto off, the AuthEngine is refused and the client
    // falls back to SASL on the same connection (saslFallback defaults to true), as Spark's.
    let fallback = client(AuthConfig::new(LONG_SECRET).with_crypto(CryptoCipher::Ctr));
    register_and_fetch(&fallback, service.addr(), "app-fallback", &fixture).await;
    assert_refused(AuthConfig::new(WRONG_SECRET), service.addr(), "app-sasl", &fixture).await;
    let strict = engine(LONG_SECRET, CryptoCipher::Ctr);
    let err = limit(
        "register",
        client(strict).register_executor(service.addr(), "app-x", "3", fixture.executor_info()),
    )
    .await
    .expect_err("no fallback");
    assert!(err.is_auth(), "{err:?}\n{}", service.log());
    assert!(!service.log().contains(LONG_SECRET));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_engine_ctr_against_the_jvm_service() {
    if !require_real_spark() {
        return;
    }
    let fixture = fixture();
    let service = jvm_service(&[("spark.network.crypto.enabled", "true")]);
    let ctr = client(engine(LONG_SECRET, CryptoCipher::Ctr));
    register_and_fetch(&ctr, service.addr(), "app-ctr", &fixture).await;
    // The JVM answers a wrong secret with "Authentication failed." and closes; the SASL
    // fallback then finds the connection closed, and the refusal is what is reported.
    let wrong = AuthConfig::new(WRONG_SECRET).with_crypto(CryptoCipher::Ctr);
    assert_refused(wrong, service.addr(), "app-ctr", &fixture).await;
    // A SASL client is still served (the service's saslFallback defaults to true).
    register_and_fetch(&client(AuthConfig::new(LONG_SECRET)), service.addr(), "app-sasl", &fixture)
        .await;
}

/// Spark 3.5.6's `GcmTransportCipher` decrypts only the first message per connection and
/// direction (its `DecryptionHandler` never resets after a unit; see `auth_interop.rs`), so
/// against the JVM service GCM gets exactly one request through: the registration works,
/// and the fetch's open request, the second message, is never read, so the fetch times out
/// without data. Our daemon reads every unit (`auth_engine_gcm_against_our_daemon`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_engine_gcm_against_the_jvm_service_matches_its_3_5_6_bug() {
    if !require_real_spark() {
        return;
    }
    let fixture = fixture();
    let service = jvm_service(&[
        ("spark.network.crypto.enabled", "true"),
        ("spark.network.crypto.cipher", "AES/GCM/NoPadding"),
    ]);
    let gcm = ShuffleClient::new(ClientConfig {
        request_timeout: Duration::from_secs(3),
        max_retries: 0,
        auth: Some(engine(LONG_SECRET, CryptoCipher::Gcm)),
        ..ClientConfig::default()
    });
    limit(
        "register",
        gcm.register_executor(service.addr(), "app-gcm", EXEC, fixture.executor_info()),
    )
    .await
    .unwrap_or_else(|e| panic!("the first GCM message should get through: {e}"));
    let ids: Vec<String> = all_ids(&fixture).into_iter().take(2).map(|(id, _)| id).collect();
    let got =
        limit("fetch", gcm.fetch_blocks(service.addr(), "app-gcm", EXEC, ids).try_next()).await;
    match got {
        Err(e) => assert!(e.is_timeout(), "{e:?}"),
        Ok(block) => panic!("Spark 3.5.6 decoded a second GCM unit: {:?}", block.map(|b| b.0)),
    }
}
