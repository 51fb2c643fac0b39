//! The client's authentication against a fake service on `127.0.0.1:0` that runs the server
//! side of the protocol crate's SASL and AuthEngine code: every new connection
//! authenticates; the AuthEngine encrypts both directions (CTR and GCM, both key
//! versions, bodies spanning many GCM segments); a wrong secret is an `is_auth()` error and
//! is not retried; the SASL fallback follows Spark; a server that does not hold the secret
//! is caught; handshake timeouts and plaintext after the handshake are errors; connections
//! are pooled per authenticated application.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::TryStreamExt;
use shuffle_client::{
    AuthConfig, AuthFailure, AuthMechanism, ClientConfig, CryptoCipher, Error, ShuffleClient,
};
use shuffle_protocol::auth::cipher::{Decryptor, Encryptor};
use shuffle_protocol::auth::digest_md5::{self, DigestMd5Server, SaslStep};
use shuffle_protocol::auth::{engine, RpcBody};
use shuffle_protocol::codec::Encode;
use shuffle_protocol::message::{ChunkFetchSuccess, Outbound, RpcFailure, RpcResponse};
use shuffle_protocol::shuffle::{BlockTransferMessage, ExecutorShuffleInfo, StreamHandle};
use shuffle_protocol::{Decoder, Inbound, Request, ServerRole, DEFAULT_MAX_FRAME_LEN};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SECRET: &str = "client-test-secret";
const APP: &str = "app-auth";

/// How the fake authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// SASL only: an AuthMessage is refused with an RpcFailure and the connection stays
    /// open (Spark's `SaslRpcHandler`, and a service with crypto off).
    Sasl,
    /// The AuthEngine with this cipher and key version; SASL too (Spark's fallback).
    Engine(CryptoCipher, u8),
    /// SASL, but the fake does not know the secret: it takes any response and answers a
    /// made-up `rspauth`.
    SaslImpostor,
    /// The AuthEngine, but the fake does not know the secret: it echoes the challenge.
    EngineImpostor,
    /// The AuthEngine, with plaintext bytes glued to the reply.
    EngineTrailing,
    /// Never answers.
    Silent,
}

#[derive(Debug, Default)]
struct Log {
    connections: AtomicUsize,
    /// Applications connections authenticated as, in order.
    authenticated: Mutex<Vec<String>>,
    /// RPCs served after authentication.
    served: AtomicUsize,
}

struct Fake {
    addr: SocketAddr,
    log: Arc<Log>,
}

impl Fake {
    async fn start(mode: Mode) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let log = Arc::new(Log::default());
        let conn_log = log.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                conn_log.connections.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(socket, mode, conn_log.clone()));
            }
        });
        Self { addr, log }
    }

    fn connections(&self) -> usize {
        self.log.connections.load(Ordering::SeqCst)
    }

    fn authenticated(&self) -> Vec<String> {
        self.log.authenticated.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn served(&self) -> usize {
        self.log.served.load(Ordering::SeqCst)
    }
}

/// Block `rdd_1_<n>`: `n` × 10 007 bytes, so `rdd_1_10` spans several GCM segments.
fn block(id: &str) -> Bytes {
    let n: usize = id.rsplit('_').next().and_then(|n| n.parse().ok()).unwrap_or(0);
    (0..n * 10_007).map(|i| (i * 31 + n) as u8).collect()
}

/// One connection of the fake: plaintext until a handshake completes, then, after an
/// AuthEngine handshake, everything through the session's ciphers.
struct Session {
    socket: TcpStream,
    mode: Mode,
    log: Arc<Log>,
    sasl: Option<DigestMd5Server>,
    app: Option<String>,
    /// Block ids of the last OpenBlocks, by chunk index.
    opened: Vec<String>,
    encryptor: Option<Encryptor>,
    decryptor: Option<Decryptor>,
}

impl Session {
    async fn send(&mut self, msg: &impl Outbound) -> std::io::Result<()> {
        let plain = msg.to_wire_bytes();
        let wire = match &mut self.encryptor {
            None => plain.to_vec(),
            Some(enc) => {
                let mut out = Vec::new();
                let mut sealer = enc.message(plain.len() as u64).unwrap_or_else(|e| panic!("{e}"));
                sealer.seal(&plain, &mut out).unwrap_or_else(|e| panic!("{e}"));
                out
            }
        };
        self.socket.write_all(&wire).await
    }

    async fn fail(&mut self, request_id: i64, why: &str) -> std::io::Result<()> {
        self.send(&RpcFailure { request_id, error_string: why.to_owned() }).await
    }

    /// A handshake RPC before authentication.
    async fn handshake(&mut self, request_id: i64, body: Bytes) -> std::io::Result<()> {
        let reply = |body: Bytes| RpcResponse { request_id, body };
        match RpcBody::decode(body) {
            Ok(RpcBody::Sasl(msg)) => {
                let server = self.sasl.get_or_insert_with(|| {
                    let nonce = digest_md5::new_nonce().unwrap_or_else(|e| panic!("{e}"));
                    DigestMd5Server::new(SECRET, nonce)
                });
                if self.mode == Mode::SaslImpostor {
                    let token = if msg.payload.is_empty() {
                        match server.step(b"") {
                            Ok(SaslStep::Challenge(c)) => c,
                            other => panic!("{other:?}"),
                        }
                    } else {
                        b"rspauth=0123456789abcdef0123456789abcdef".to_vec()
                    };
                    return self.send(&reply(Bytes::from(token))).await;
                }
                match server.step(&msg.payload) {
                    Ok(SaslStep::Challenge(token)) => self.send(&reply(Bytes::from(token))).await,
                    Ok(SaslStep::Complete(token)) => {
                        self.app = Some(msg.app_id.clone());
                        self.log
                            .authenticated
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(msg.app_id);
                        self.send(&reply(Bytes::from(token))).await
                    }
                    Err(e) => self.fail(request_id, &format!("SaslException: {e}")).await,
                }
            }
            Ok(RpcBody::Auth(challenge)) => {
                let (cipher, version) = match self.mode {
                    Mode::Engine(cipher, version) => (cipher, version),
                    Mode::EngineTrailing => (CryptoCipher::Ctr, 1),
                    Mode::EngineImpostor => return self.send(&reply(challenge.to_bytes())).await,
                    _ => {
                        let why = "Expected SaslMessage, received AuthMessage";
                        return self.fail(request_id, why).await;
                    }
                };
                let accepted = match engine::respond(&challenge, SECRET, version) {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Spark's AuthRpcHandler: fail, then close.
                        self.fail(request_id, &format!("Authentication failed: {e}")).await?;
                        return Err(std::io::Error::other("authentication failed"));
                    }
                };
                let mut wire = reply(accepted.reply).to_wire_bytes().to_vec();
                if self.mode == Mode::EngineTrailing {
                    wire.extend_from_slice(b"injected");
                }
                self.socket.write_all(&wire).await?;
                let (enc, dec) = accepted.keys.server(cipher);
                self.encryptor = Some(enc);
                self.decryptor = Some(dec);
                self.app = Some(challenge.app_id.clone());
                self.log
                    .authenticated
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(challenge.app_id);
                Ok(())
            }
            _ => self.fail(request_id, "Unauthenticated request").await,
        }
    }

    /// A request after authentication: RegisterExecutor, OpenBlocks, chunks.
    async fn serve(&mut self, request: Request) -> std::io::Result<()> {
        match request {
            Request::RpcRequest(rpc) => {
                let Ok(msg) = BlockTransferMessage::decode(rpc.body) else {
                    return self.fail(rpc.request_id, "not a shuffle message").await;
                };
                let app = match &msg {
                    BlockTransferMessage::RegisterExecutor(m) => m.app_id.clone(),
                    BlockTransferMessage::OpenBlocks(m) => m.app_id.clone(),
                    _ => String::new(),
                };
                if Some(&app) != self.app.as_ref() {
                    let why = format!("java.lang.SecurityException: not authorized for {app}");
                    return self.fail(rpc.request_id, &why).await;
                }
                self.log.served.fetch_add(1, Ordering::SeqCst);
                let body = match msg {
                    BlockTransferMessage::OpenBlocks(open) => {
                        let num_chunks = open.block_ids.len() as i32;
                        self.opened = open.block_ids;
                        BlockTransferMessage::from(StreamHandle { stream_id: 7, num_chunks })
                            .to_bytes()
                    }
                    _ => Bytes::new(),
                };
                self.send(&RpcResponse { request_id: rpc.request_id, body }).await
            }
            Request::ChunkFetchRequest(req) => {
                let index = req.stream_chunk_id.chunk_index as usize;
                let body = self.opened.get(index).map(|id| block(id)).unwrap_or_default();
                self.send(&ChunkFetchSuccess { stream_chunk_id: req.stream_chunk_id, body }).await
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

async fn serve(socket: TcpStream, mode: Mode, log: Arc<Log>) {
    let mut session = Session {
        socket,
        mode,
        log,
        sasl: None,
        app: None,
        opened: Vec::new(),
        encryptor: None,
        decryptor: None,
    };
    let mut decoder = Decoder::<ServerRole>::new(DEFAULT_MAX_FRAME_LEN);
    let mut plain = BytesMut::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        loop {
            let unit = match decoder.decode(&mut plain) {
                Ok(Some(unit)) => unit,
                Ok(None) => break,
                Err(e) => panic!("the fake cannot decode the client's bytes: {e}"),
            };
            let Inbound::Message(request) = unit else { panic!("unexpected body") };
            let outcome = match (session.app.is_some(), request) {
                (false, Request::RpcRequest(rpc)) => {
                    session.handshake(rpc.request_id, rpc.body).await
                }
                (false, other) => panic!("a request before authentication: {other:?}"),
                (true, request) => session.serve(request).await,
            };
            if outcome.is_err() {
                return;
            }
        }
        let n = match session.socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if mode == Mode::Silent {
            continue;
        }
        match &mut session.decryptor {
            None => plain.extend_from_slice(&buf[..n]),
            Some(dec) => {
                let mut out = Vec::new();
                dec.feed(&buf[..n], &mut out).unwrap_or_else(|e| panic!("{e}"));
                plain.extend_from_slice(&out);
            }
        }
    }
}

fn auth_client(auth: AuthConfig) -> ShuffleClient {
    ShuffleClient::new(ClientConfig {
        retry_wait: Duration::from_millis(10),
        auth: Some(auth),
        ..ClientConfig::default()
    })
}

fn info() -> ExecutorShuffleInfo {
    ExecutorShuffleInfo {
        local_dirs: vec!["/tmp/blockmgr-1".into()],
        sub_dirs_per_local_dir: 64,
        shuffle_manager: "org.apache.spark.shuffle.sort.SortShuffleManager".into(),
    }
}

async fn limit<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), f).await.unwrap_or_else(|_| panic!("timed out"))
}

/// Registers, then fetches four blocks (one of 100 KiB, an empty one) and checks every byte.
async fn register_and_fetch(client: &ShuffleClient, addr: SocketAddr, app: &str) {
    limit(client.register_executor(addr, app, "1", info())).await.unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<String> = ["rdd_1_10", "rdd_1_0", "rdd_1_1", "rdd_1_4"].map(String::from).into();
    let got: Vec<(String, Bytes)> =
        limit(client.fetch_blocks(addr, app, "1", ids.clone()).try_collect())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(), ids);
    for (id, data) in got {
        assert!(data == block(&id), "{id}: {} bytes", data.len());
    }
}

#[tokio::test]
async fn sasl_authenticates_every_new_connection() {
    let fake = Fake::start(Mode::Sasl).await;
    let client = ShuffleClient::new(ClientConfig {
        num_connections_per_peer: 2,
        auth: Some(AuthConfig::new(SECRET)),
        ..ClientConfig::default()
    });
    register_and_fetch(&client, fake.addr, APP).await;
    assert_eq!(fake.connections(), 2);
    assert_eq!(fake.authenticated(), vec![APP, APP]);
    assert_eq!(fake.served(), 2);
}

#[tokio::test]
async fn auth_engine_encrypts_both_directions() {
    for cipher in [CryptoCipher::Ctr, CryptoCipher::Gcm] {
        for version in [1, 2] {
            let fake = Fake::start(Mode::Engine(cipher, version)).await;
            let mut auth = AuthConfig::new(SECRET).with_crypto(cipher);
            auth.auth_engine_version = version;
            auth.sasl_fallback = false;
            let client = auth_client(auth);
            register_and_fetch(&client, fake.addr, APP).await;
            // Twice over the same connection: GCM units and CTR streams go on.
            register_and_fetch(&client, fake.addr, APP).await;
            assert_eq!(fake.connections(), 1, "{cipher:?} v{version}");
            assert_eq!(fake.authenticated(), vec![APP]);
        }
    }
}

#[tokio::test]
async fn a_wrong_secret_is_an_auth_error_and_is_not_retried() {
    for (mode, auth) in [
        (Mode::Sasl, AuthConfig::new("wrong-secret")),
        (
            Mode::Engine(CryptoCipher::Ctr, 1),
            AuthConfig::new("wrong-secret").with_crypto(CryptoCipher::Ctr),
        ),
    ] {
        let fake = Fake::start(mode).await;
        let client = auth_client(auth);
        let err = limit(client.register_executor(fake.addr, APP, "1", info()))
            .await
            .expect_err("a wrong secret must not authenticate");
        assert!(err.is_auth() && !err.is_retryable(), "{mode:?}: {err}");
        assert!(matches!(err, Error::Auth { reason: AuthFailure::Refused(_), .. }), "{err:?}");
        assert!(
            !err.to_string().contains("wrong-secret")
                && !format!("{err:?}").contains("wrong-secret")
        );
        let fetched: Result<Vec<_>, _> =
            limit(client.fetch_blocks(fake.addr, APP, "1", vec!["rdd_1_1".into()]).try_collect())
                .await;
        assert!(fetched.is_err_and(|e| e.is_auth()));
        // One connection per operation, no retries, nothing served.
        assert_eq!(fake.connections(), 2, "{mode:?}");
        assert!(fake.authenticated().is_empty());
        assert_eq!(fake.served(), 0);
    }
}

#[tokio::test]
async fn auth_engine_falls_back_to_sasl_only_when_allowed() {
    let fake = Fake::start(Mode::Sasl).await;
    let client = auth_client(AuthConfig::new(SECRET).with_crypto(CryptoCipher::Ctr));
    register_and_fetch(&client, fake.addr, APP).await;
    assert_eq!((fake.connections(), fake.authenticated()), (1, vec![APP.to_owned()]));

    let mut strict = AuthConfig::new(SECRET).with_crypto(CryptoCipher::Ctr);
    strict.sasl_fallback = false;
    let err = limit(auth_client(strict).register_executor(fake.addr, APP, "1", info()))
        .await
        .expect_err("no fallback");
    assert!(
        matches!(&err, Error::Auth { mechanism: AuthMechanism::AuthEngine, reason: AuthFailure::Refused(m), .. } if m.contains("received AuthMessage")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_server_without_the_secret_is_caught() {
    let fake = Fake::start(Mode::SaslImpostor).await;
    let err =
        limit(auth_client(AuthConfig::new(SECRET)).register_executor(fake.addr, APP, "1", info()))
            .await
            .expect_err("impostor");
    assert!(
        matches!(err, Error::Auth { reason: AuthFailure::Sasl(_), .. }) && err.is_auth(),
        "{err:?}"
    );

    let fake = Fake::start(Mode::EngineImpostor).await;
    let auth = AuthConfig::new(SECRET).with_crypto(CryptoCipher::Ctr);
    let err = limit(auth_client(auth).register_executor(fake.addr, APP, "1", info()))
        .await
        .expect_err("impostor");
    assert!(matches!(err, Error::Auth { reason: AuthFailure::Engine(_), .. }), "{err:?}");
    assert_eq!(fake.served(), 0);
}

#[tokio::test]
async fn plaintext_after_the_auth_engine_reply_is_refused() {
    let fake = Fake::start(Mode::EngineTrailing).await;
    let auth = AuthConfig::new(SECRET).with_crypto(CryptoCipher::Ctr);
    let err = limit(auth_client(auth).register_executor(fake.addr, APP, "1", info()))
        .await
        .expect_err("trailing plaintext");
    assert!(
        matches!(err, Error::Auth { reason: AuthFailure::TrailingPlaintext(8), .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_silent_server_times_the_handshake_out() {
    let fake = Fake::start(Mode::Silent).await;
    let mut auth = AuthConfig::new(SECRET);
    auth.rpc_timeout = Duration::from_millis(200);
    let client = ShuffleClient::new(ClientConfig {
        max_retries: 1,
        retry_wait: Duration::from_millis(10),
        auth: Some(auth),
        ..ClientConfig::default()
    });
    let err =
        limit(client.register_executor(fake.addr, APP, "1", info())).await.expect_err("timeout");
    assert!(err.is_timeout() && !err.is_auth(), "{err:?}");
    // A timeout is transient: retried once.
    assert_eq!(fake.connections(), 2);
}

#[tokio::test]
async fn connections_are_pooled_per_authenticated_application() {
    let fake = Fake::start(Mode::Sasl).await;
    let client = auth_client(AuthConfig::new(SECRET));
    register_and_fetch(&client, fake.addr, "app-a").await;
    register_and_fetch(&client, fake.addr, "app-b").await;
    register_and_fetch(&client, fake.addr, "app-a").await;
    assert_eq!(fake.authenticated(), vec!["app-a", "app-b"]);

    // A fixed application id: one connection, and the server refuses other applications.
    let fake = Fake::start(Mode::Sasl).await;
    let client = auth_client(AuthConfig::new(SECRET).with_app_id("app-a"));
    register_and_fetch(&client, fake.addr, "app-a").await;
    let err = limit(client.register_executor(fake.addr, "app-b", "1", info()))
        .await
        .expect_err("bound to app-a");
    assert!(err.is_auth() && !matches!(err, Error::Auth { .. }), "{err:?}");
    assert_eq!(fake.authenticated(), vec!["app-a"]);
}
