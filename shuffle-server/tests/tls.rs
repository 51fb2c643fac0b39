//! TLS on the shuffle port: TLS and plaintext clients share it, `tls.required` closes
//! plaintext connections, a client CA makes client certificates mandatory, and bad TLS
//! settings stop the start with the key named.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedKey, ExtendedKeyUsagePurpose, IsCa, KeyPair,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use shuffle_protocol::block_id::StreamChunkId;
use shuffle_protocol::codec::Encode;
use shuffle_protocol::message::{ChunkFetchRequest, Response, RpcRequest};
use shuffle_protocol::shuffle::{
    BlockTransferMessage as Btm, ExecutorShuffleInfo, OpenBlocks, RegisterExecutor,
};
use shuffle_protocol::{ClientRole, Connection, Inbound};
use shuffle_server::config::keys;
use shuffle_server::registry::Registry;
use shuffle_server::tls::TlsSettings;
use shuffle_server::{Config, Error, State};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsConnector;

const MAX_FRAME: u64 = 64 << 20;

/// A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files.
struct Pki {
    dir: tempfile::TempDir,
    ca: CertifiedKey,
}

impl Pki {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let key_pair = KeyPair::generate().expect("ca key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key_pair).expect("ca cert");
        let pki = Self { dir, ca: CertifiedKey { cert, key_pair } };
        std::fs::write(pki.path("ca.pem"), pki.ca.cert.pem()).expect("write ca");
        pki.issue("server", "127.0.0.1", ExtendedKeyUsagePurpose::ServerAuth);
        pki.issue("client", "executor-1", ExtendedKeyUsagePurpose::ClientAuth);
        pki
    }

    fn issue(&self, name: &str, subject: &str, usage: ExtendedKeyUsagePurpose) {
        let key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::new(vec![subject.to_owned()]).expect("params");
        params.extended_key_usages = vec![usage];
        let cert = params.signed_by(&key, &self.ca.cert, &self.ca.key_pair).expect("sign");
        std::fs::write(self.path(&format!("{name}.pem")), cert.pem()).expect("write cert");
        std::fs::write(self.path(&format!("{name}.key")), key.serialize_pem()).expect("key");
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn settings(&self, client_ca: bool, required: bool) -> TlsSettings {
        let ca = client_ca.then(|| self.path("ca.pem"));
        TlsSettings::load(
            &self.path("server.pem"),
            &self.path("server.key"),
            ca.as_deref(),
            required,
        )
        .expect("tls settings")
    }

    /// A connector trusting the CA, presenting the client certificate if `with_cert`.
    fn connector(&self, with_cert: bool) -> TlsConnector {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.ca.cert.der().clone()).expect("root");
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots);
        let config = if with_cert {
            let certs: Vec<CertificateDer<'static>> =
                CertificateDer::pem_file_iter(self.path("client.pem"))
                    .expect("client cert")
                    .collect::<Result<_, _>>()
                    .expect("client cert");
            let key = PrivateKeyDer::from_pem_file(self.path("client.key")).expect("client key");
            builder.with_client_auth_cert(certs, key).expect("client auth")
        } else {
            builder.with_no_client_auth()
        };
        TlsConnector::from(Arc::new(config))
    }
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
    let (addr, state) = start(pki.settings(false, false), root.path()).await;

    let mut tls = tls_connect(addr, &pki.connector(false)).await;
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
    let (addr, state) = start(pki.settings(false, true), root.path()).await;

    let mut plain = plain_connect(addr).await;
    assert!(rpc(&mut plain, 1, register(root.path())).await.is_err(), "plaintext was served");
    assert_eq!(state.registry().len(), 0, "a refused connection registered an executor");

    let mut tls = tls_connect(addr, &pki.connector(false)).await;
    assert_eq!(register_and_fetch(&mut tls, root.path()).await.len(), 2);
}

#[tokio::test]
async fn a_client_ca_makes_client_certificates_mandatory() {
    let pki = Pki::new();
    let root = tempfile::tempdir().expect("tempdir");
    let (addr, state) = start(pki.settings(true, false), root.path()).await;

    // Under TLS 1.3 the client finishes its handshake before the server has checked the
    // client's (missing) certificate, so the refusal shows on the first exchange.
    let socket = TcpStream::connect(addr).await.expect("connect");
    let name = ServerName::try_from("127.0.0.1").expect("server name");
    if let Ok(stream) = pki.connector(false).connect(name, socket).await {
        let mut anonymous = Connection::<_, ClientRole>::new(stream, MAX_FRAME);
        assert!(rpc(&mut anonymous, 1, register(root.path())).await.is_err());
    }
    assert_eq!(state.registry().len(), 0, "a client without a certificate registered");

    let mut tls = tls_connect(addr, &pki.connector(true)).await;
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
    assert_eq!(config.tls, Some(pki.settings(true, true)));
    // Disabled, the files are not even read.
    let off = [(keys::TLS_CERT_FILE, path("absent.pem"))];
    assert_eq!(Config::from_properties(&props(&off)).expect("tls off").tls, None);
}
