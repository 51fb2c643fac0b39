//! TLS on the shuffle port (ours; Spark 3.5 has none): TLS and plaintext clients share it,
//! `tls.required` closes plaintext connections, a client CA makes client certificates
//! mandatory, bad TLS settings stop the start with the key named; our `shuffle-client`
//! fetches byte-exact over TLS (alone and with SASL inside) and refuses an untrusted
//! server; Spark 3.5.6's own client keeps working on a TLS-enabled daemon's port.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::TryStreamExt;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use shuffle_client::{AuthConfig, ClientConfig, FetchOptions, ShuffleClient, TlsConfig, Transfer};
use shuffle_protocol::block_id::StreamChunkId;
use shuffle_protocol::codec::Encode;
use shuffle_protocol::message::{ChunkFetchRequest, Response, RpcRequest};
use shuffle_protocol::shuffle::{
    BlockTransferMessage as Btm, ExecutorShuffleInfo, OpenBlocks, RegisterExecutor,
};
use shuffle_protocol::{ClientRole, Connection, Inbound};
use shuffle_server::config::{keys, Secret};
use shuffle_server::registry::Registry;
use shuffle_server::tls::TlsSettings;
use shuffle_server::{Config, Error, State};
use shuffle_tests::daemon::Daemon;
use shuffle_tests::fixture::{sha256_hex, Shape, ShuffleFixture, SUB_DIRS};
use shuffle_tests::pki::Pki;
use shuffle_tests::server::TestServer;
use shuffle_tests::spark_driver::SparkDriver;
use shuffle_tests::{limit, require_real_spark};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsConnector;

const MAX_FRAME: u64 = 64 << 20;

/// A raw-protocol connector trusting `pki`'s CA, presenting its client certificate if
/// `with_cert`.
fn connector(pki: &Pki, with_cert: bool) -> TlsConnector {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(pki.path("ca.pem")).expect("ca.pem") {
        roots.add(cert.expect("CA certificate")).expect("root");
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots);
    let config = if with_cert {
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(pki.path("client.pem"))
                .expect("client cert")
                .collect::<Result<_, _>>()
                .expect("client cert");
        let key = PrivateKeyDer::from_pem_file(pki.path("client.key")).expect("client key");
        builder.with_client_auth_cert(certs, key).expect("client auth")
    } else {
        builder.with_no_client_auth()
    };
    TlsConnector::from(Arc::new(config))
}

/// A daemon serving `tls` on port 0, and an executor of `app-1` with one shuffle map output
/// (partition 0: `small`; partition 1: `large`) under `root`.
async fn start(tls: TlsSettings, root: &Path) -> (SocketAddr, State) {
    let config = Config { db_enabled: false, tls: Some(tls), ..Config::default() };
    let state = State::new(config, Registry::in_memory());
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(shuffle_server::run(listener, state.clone(), std::future::pending()));
    let sub_dir = root.join("blockmgr-1").join("00");
    std::fs::create_dir_all(&sub_dir).expect("mkdir");
    let (small, large) = blocks();
    let mut index = Vec::new();
    for offset in [0, small.len(), small.len() + large.len()] {
        index.extend_from_slice(&(offset as i64).to_be_bytes());
    }
    std::fs::write(sub_dir.join("shuffle_0_0_0.index"), index).expect("index");
    std::fs::write(sub_dir.join("shuffle_0_0_0.data"), [small, large].concat()).expect("data");
    (addr, state)
}

fn blocks() -> (Vec<u8>, Vec<u8>) {
    let small = b"a small block".to_vec();
    // Several of the daemon's read pieces, and not a multiple of any of them.
    let large = (0..3_000_017u32).map(|i| (i % 251) as u8).collect();
    (small, large)
}

async fn tls_connect(
    addr: SocketAddr,
    connector: &TlsConnector,
) -> Connection<impl AsyncRead + AsyncWrite + Unpin, ClientRole> {
    let socket = TcpStream::connect(addr).await.expect("connect");
    let name = ServerName::try_from("127.0.0.1").expect("server name");
    let stream = connector.connect(name, socket).await.expect("TLS handshake");
    Connection::new(stream, MAX_FRAME)
}

async fn plain_connect(addr: SocketAddr) -> Connection<TcpStream, ClientRole> {
    Connection::new(TcpStream::connect(addr).await.expect("connect"), MAX_FRAME)
}

async fn rpc<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut Connection<S, ClientRole>,
    request_id: i64,
    body: Bytes,
) -> std::io::Result<Response> {
    conn.write_message(&RpcRequest { request_id, body }).await.map_err(std::io::Error::other)?;
    flush(conn).await?;
    next(conn).await
}

async fn flush<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut Connection<S, ClientRole>,
) -> std::io::Result<()> {
    tokio::io::AsyncWriteExt::flush(conn.get_mut()).await
}

async fn next<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut Connection<S, ClientRole>,
) -> std::io::Result<Response> {
    match conn.read().await {
        Ok(Some(Inbound::Message(m))) => Ok(m),
        Ok(other) => Err(std::io::Error::other(format!("no reply: {other:?}"))),
        Err(e) => Err(std::io::Error::other(e)),
    }
}

fn register(root: &Path) -> Bytes {
    Btm::from(RegisterExecutor {
        app_id: "app-1".into(),
        exec_id: "1".into(),
        executor_info: ExecutorShuffleInfo {
            local_dirs: vec![root.join("blockmgr-1").to_string_lossy().into_owned()],
            sub_dirs_per_local_dir: 1,
            shuffle_manager: "org.apache.spark.shuffle.sort.SortShuffleManager".into(),
        },
    })
    .to_bytes()
}

/// Registers the executor, opens both blocks and fetches them; returns their bytes.
async fn register_and_fetch<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut Connection<S, ClientRole>,
    root: &Path,
) -> Vec<Bytes> {
    match rpc(conn, 1, register(root)).await.expect("register") {
        Response::RpcResponse(r) => assert!(r.body.is_empty()),
        other => panic!("registration refused: {other:?}"),
    }
    let open = Btm::from(OpenBlocks {
        app_id: "app-1".into(),
        exec_id: "1".into(),
        block_ids: vec!["shuffle_0_0_0".into(), "shuffle_0_0_1".into()],
    })
    .to_bytes();
    let handle = match rpc(conn, 2, open).await.expect("open") {
        Response::RpcResponse(r) => match Btm::decode(r.body).expect("stream handle") {
            Btm::StreamHandle(h) => h,
            other => panic!("not a stream handle: {other:?}"),
        },
        other => panic!("open refused: {other:?}"),
    };
    let mut bodies = Vec::new();
    for chunk_index in 0..handle.num_chunks {
        let stream_chunk_id = StreamChunkId { stream_id: handle.stream_id, chunk_index };
        conn.write_message(&ChunkFetchRequest { stream_chunk_id }).await.expect("request");
        flush(conn).await.expect("flush");
        match next(conn).await.expect("chunk") {
            Response::ChunkFetchSuccess(m) => bodies.push(m.body),
            other => panic!("chunk {chunk_index} failed: {other:?}"),
        }
    }
    bodies
}

#[tokio::test]
async fn tls_and_plaintext_clients_share_the_port() {
    let pki = Pki::new();
    let root = tempfile::tempdir().expect("tempdir");
    let (addr, state) = start(pki.server_settings(false, false), root.path()).await;

    let mut tls = tls_connect(addr, &connector(&pki, false)).await;
    let bodies = register_and_fetch(&mut tls, root.path()).await;
    let (small, large) = blocks();
    assert_eq!(bodies, [Bytes::from(small.clone()), Bytes::from(large.clone())]);

    // A stock Spark client speaks plaintext on the same port.
    let mut plain = plain_connect(addr).await;
    assert_eq!(register_and_fetch(&mut plain, root.path()).await, [small, large]);
    assert_eq!(state.registry().len(), 1);
}

#[tokio::test]
async fn required_tls_closes_plaintext_connections() {
    let pki = Pki::new();
    let root = tempfile::tempdir().expect("tempdir");
    let (addr, state) = start(pki.server_settings(false, true), root.path()).await;

    let mut plain = plain_connect(addr).await;
    assert!(rpc(&mut plain, 1, register(root.path())).await.is_err(), "plaintext was served");
    assert_eq!(state.registry().len(), 0, "a refused connection registered an executor");

    let mut tls = tls_connect(addr, &connector(&pki, false)).await;
    assert_eq!(register_and_fetch(&mut tls, root.path()).await.len(), 2);
}

#[tokio::test]
async fn a_client_ca_makes_client_certificates_mandatory() {
    let pki = Pki::new();
    let root = tempfile::tempdir().expect("tempdir");
    let (addr, state) = start(pki.server_settings(true, false), root.path()).await;

    // Under TLS 1.3 the client finishes its handshake before the server has checked the
    // client's (missing) certificate, so the refusal shows on the first exchange.
    let socket = TcpStream::connect(addr).await.expect("connect");
    let name = ServerName::try_from("127.0.0.1").expect("server name");
    if let Ok(stream) = connector(&pki, false).connect(name, socket).await {
        let mut anonymous = Connection::<_, ClientRole>::new(stream, MAX_FRAME);
        assert!(rpc(&mut anonymous, 1, register(root.path())).await.is_err());
    }
    assert_eq!(state.registry().len(), 0, "a client without a certificate registered");

    let mut tls = tls_connect(addr, &connector(&pki, true)).await;
    assert_eq!(register_and_fetch(&mut tls, root.path()).await.len(), 2);
}

#[test]
fn bad_tls_settings_stop_the_start_naming_the_key() {
    let pki = Pki::new();
    let props = |pairs: &[(&str, String)]| -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
    };
    let path = |name| pki.path(name).to_string_lossy().into_owned();
    let enabled = (keys::TLS_ENABLED, "true".to_owned());

    match Config::from_properties(&props(std::slice::from_ref(&enabled))) {
        Err(Error::MissingConfig { key, .. }) => assert_eq!(key, keys::TLS_CERT_FILE),
        other => panic!("expected a missing cert file, got {other:?}"),
    }
    let missing_key = [
        enabled.clone(),
        (keys::TLS_CERT_FILE, path("server.pem")),
        (keys::TLS_KEY_FILE, path("absent.key")),
    ];
    match Config::from_properties(&props(&missing_key)) {
        Err(e @ Error::TlsConfig { key, .. }) => {
            assert_eq!(key, keys::TLS_KEY_FILE);
            assert!(e.to_string().contains("absent.key"), "{e}");
        }
        other => panic!("expected an unreadable key, got {other:?}"),
    }
    let key_as_cert = [
        enabled.clone(),
        (keys::TLS_CERT_FILE, path("server.key")),
        (keys::TLS_KEY_FILE, path("server.key")),
    ];
    match Config::from_properties(&props(&key_as_cert)) {
        Err(Error::TlsConfig { key, .. }) => assert_eq!(key, keys::TLS_CERT_FILE),
        other => panic!("expected no certificate, got {other:?}"),
    }
    let good = [
        enabled,
        (keys::TLS_CERT_FILE, path("server.pem")),
        (keys::TLS_KEY_FILE, path("server.key")),
        (keys::TLS_CLIENT_CA_FILE, path("ca.pem")),
        (keys::TLS_REQUIRED, "true".to_owned()),
    ];
    let config = Config::from_properties(&props(&good)).expect("valid TLS settings");
    assert_eq!(config.tls, Some(pki.server_settings(true, true)));
    // Disabled, the files are not even read.
    let off = [(keys::TLS_CERT_FILE, path("absent.pem"))];
    assert_eq!(Config::from_properties(&props(&off)).expect("tls off").tls, None);
}

/// 2 maps × 8 reduces with a multi-MiB block, so TLS bodies span many records.
const SHAPE: Shape = Shape { shuffle_id: 6, maps: 2, reduces: 8, map_id_base: 0 };

fn shuffle() -> ShuffleFixture {
    ShuffleFixture::write(SHAPE, 2).unwrap_or_else(|e| panic!("fixture: {e}"))
}

fn ids_and_bytes(fixture: &ShuffleFixture) -> Vec<(String, Vec<u8>)> {
    fixture
        .map_ids()
        .flat_map(|m| (0..SHAPE.reduces).map(move |r| (m, r)))
        .map(|(m, r)| (format!("shuffle_{}_{m}_{r}", SHAPE.shuffle_id), fixture.block_bytes(m, r)))
        .collect()
}

fn tls_client(tls: TlsConfig, auth: Option<AuthConfig>) -> ShuffleClient {
    ShuffleClient::new(ClientConfig {
        retry_wait: Duration::from_millis(100),
        max_retries: 1,
        tls: Some(tls),
        auth,
        ..ClientConfig::default()
    })
}

/// Registers the fixture's executor and fetches every block by chunks and by streams.
async fn client_register_and_fetch(
    client: &ShuffleClient,
    addr: SocketAddr,
    fixture: &ShuffleFixture,
) -> Result<(), shuffle_client::Error> {
    let info = fixture.executor_info();
    limit("register", client.register_executor(addr, "app-tls", "1", info)).await?;
    let want = ids_and_bytes(fixture);
    let ids: Vec<String> = want.iter().map(|(id, _)| id.clone()).collect();
    for transfer in [Transfer::Chunks, Transfer::Stream] {
        let options = FetchOptions { transfer, size_hint: None };
        let fetch = client.fetch_blocks_with(addr, "app-tls", "1", ids.clone(), options);
        let got: Vec<(String, Bytes)> = limit("fetch", fetch.try_collect()).await?;
        assert_eq!(got.len(), want.len(), "{transfer:?}");
        for ((id, data), (want_id, want_data)) in got.iter().zip(&want) {
            assert_eq!(id, want_id, "{transfer:?}: order");
            assert!(data[..] == want_data[..], "{id} not byte-exact over TLS ({transfer:?})");
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_fetches_byte_exact_over_tls_alone_and_with_sasl_inside() {
    let pki = Pki::new();
    let fixture = shuffle();
    let trust = TlsConfig::from_ca_file(&pki.path("ca.pem")).expect("client TLS");

    let server = TestServer::start(|c| c.tls = Some(pki.server_settings(false, true)));
    client_register_and_fetch(&tls_client(trust.clone(), None), server.addr, &fixture)
        .await
        .unwrap_or_else(|e| panic!("TLS fetch: {e}"));
    server.assert_no_panics();

    let server = TestServer::start(|c| {
        c.tls = Some(pki.server_settings(false, true));
        c.authenticate = true;
        c.auth_secret = Some(Secret::new("hunter2".to_owned()));
    });
    let client = tls_client(trust, Some(AuthConfig::new("hunter2")));
    client_register_and_fetch(&client, server.addr, &fixture)
        .await
        .unwrap_or_else(|e| panic!("TLS + SASL fetch: {e}"));
    assert_eq!(server.state.registry().len(), 1);
    server.assert_no_panics();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_refuses_an_untrusted_server_and_needs_its_certificate_for_a_client_ca() {
    let pki = Pki::new();
    let fixture = shuffle();
    let server = TestServer::start(|c| c.tls = Some(pki.server_settings(true, true)));

    // A CA that did not issue the server's certificate.
    let stranger = Pki::new();
    let untrusting = TlsConfig::from_ca_file(&stranger.path("ca.pem")).expect("client TLS");
    let err = client_register_and_fetch(&tls_client(untrusting, None), server.addr, &fixture)
        .await
        .expect_err("an untrusted server was used");
    assert!(matches!(err, shuffle_client::Error::Tls { .. }) && err.is_auth(), "{err:?}");
    assert!(!err.is_retryable());

    // Trusting the server but without a client certificate: the server ends the connection.
    let anonymous = TlsConfig::from_ca_file(&pki.path("ca.pem")).expect("client TLS");
    client_register_and_fetch(&tls_client(anonymous, None), server.addr, &fixture)
        .await
        .expect_err("a client without a certificate was served");
    assert_eq!(server.state.registry().len(), 0);

    // The same settings a Spark-style properties file would carry.
    let path = |name| pki.path(name).to_string_lossy().into_owned();
    let props: BTreeMap<String, String> = [
        ("spark.shuffle.service.rs.tls.enabled", "true".to_owned()),
        ("spark.shuffle.service.rs.tls.caFile", path("ca.pem")),
        ("spark.shuffle.service.rs.tls.clientCertFile", path("client.pem")),
        ("spark.shuffle.service.rs.tls.clientKeyFile", path("client.key")),
        ("spark.shuffle.io.retryWait", "100ms".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let config = ClientConfig::from_spark_properties(&props).expect("client properties");
    client_register_and_fetch(&ShuffleClient::new(config), server.addr, &fixture)
        .await
        .unwrap_or_else(|e| panic!("fetch with a client certificate: {e}"));
    server.assert_no_panics();
}

#[test]
fn spark_clients_keep_plaintext_on_a_tls_enabled_port() {
    if !require_real_spark() {
        return;
    }
    let pki = Pki::new();
    let fixture = shuffle();
    let state = tempfile::tempdir().expect("state dir");
    let conf = |key: &str, name: &str| format!("{key}={}", pki.path(name).display());
    let (cert, key) =
        (conf(keys::TLS_CERT_FILE, "server.pem"), conf(keys::TLS_KEY_FILE, "server.key"));
    let daemon = Daemon::start(
        &state.path().join("db"),
        &[&format!("{}=true", keys::TLS_ENABLED), &cert, &key],
    );

    let mut spark = SparkDriver::start("app-tls", &[]);
    let port = daemon.port();
    assert_eq!(spark.register(port, "1", SUB_DIRS, &fixture.local_dirs), "registered");
    let want = ids_and_bytes(&fixture);
    let ids: Vec<String> = want.iter().map(|(id, _)| id.clone()).collect();
    for mode in ["mem", "stream"] {
        let got = spark.fetch(port, "1", mode, &ids).expect("fetch runs");
        for (id, bytes) in &want {
            let expected = Ok((bytes.len(), sha256_hex(bytes)));
            assert_eq!(got.get(id), Some(&expected), "{id} over {mode}");
        }
    }

    // And a TLS client on the very same port.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let trust = TlsConfig::from_ca_file(&pki.path("ca.pem")).expect("client TLS");
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    runtime
        .block_on(client_register_and_fetch(&tls_client(trust, None), addr, &fixture))
        .unwrap_or_else(|e| panic!("TLS fetch beside Spark: {e}"));
}
