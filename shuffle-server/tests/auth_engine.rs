//! The AuthEngine handshake and the encrypted transport after it, with a Rust client that
//! (unlike Spark 3.5.6's GCM decoder) reads every unit: both ciphers and both key
//! derivation versions, many messages per connection, bodies spanning many GCM segments and
//! pieces, chunk and stream fetches.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use bytes::Bytes;
use shuffle_protocol::auth::RpcBody;
use shuffle_protocol::block_id::StreamChunkId;
use shuffle_protocol::codec::Encode;
use shuffle_protocol::message::{ChunkFetchRequest, Outbound, Response, RpcRequest, StreamRequest};
use shuffle_protocol::shuffle::{
    BlockTransferMessage as Btm, ExecutorShuffleInfo, FetchShuffleBlocks, RegisterExecutor,
};
use shuffle_protocol::SecureRead;
use shuffle_protocol::{ClientRole, Inbound, MessageReader};
use shuffle_server::auth::cipher::Encryptor;
use shuffle_server::auth::engine::client::Handshake;
use shuffle_server::config::{CryptoCipher, Secret};
use shuffle_server::registry::Registry;
use shuffle_server::{Config, State};
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

const SECRET: &str = "engine-secret";
const GCM_PLAINTEXT_SEGMENT: usize = 32 * 1024 - 16;
/// ChunkFetchSuccess frame header: length, type, stream id, chunk index.
const CHUNK_HEADER: usize = 8 + 1 + 8 + 4;

struct Client {
    reader: MessageReader<SecureRead<OwnedReadHalf>, ClientRole>,
    writer: OwnedWriteHalf,
    encryptor: Option<Encryptor>,
}

impl Client {
    async fn send(&mut self, msg: &impl Outbound) {
        let plain = msg.to_wire_bytes();
        let wire = match &mut self.encryptor {
            Some(enc) => {
                let mut out = Vec::new();
                let mut sealer = enc.message(plain.len() as u64).expect("begin");
                sealer.seal(&plain, &mut out).expect("seal");
                out
            }
            None => plain.to_vec(),
        };
        self.writer.write_all(&wire).await.expect("write");
    }

    async fn next(&mut self) -> Inbound<Response> {
        self.reader.read().await.expect("read").expect("connection open")
    }

    async fn rpc(&mut self, request_id: i64, body: Bytes) -> Result<Bytes, String> {
        self.send(&RpcRequest { request_id, body }).await;
        match self.next().await {
            Inbound::Message(Response::RpcResponse(r)) if r.request_id == request_id => Ok(r.body),
            Inbound::Message(Response::RpcFailure(f)) if f.request_id == request_id => {
                Err(f.error_string)
            }
            other => panic!("unexpected reply {other:?}"),
        }
    }
}

async fn start(cipher: CryptoCipher, version: u8) -> SocketAddr {
    let app_secrets: BTreeMap<String, Secret> =
        [("app-1".to_owned(), Secret::new(SECRET.to_owned()))].into_iter().collect();
    let config = Config {
        authenticate: true,
        app_secrets,
        crypto_enabled: true,
        crypto_cipher: cipher,
        auth_engine_version: version,
        db_enabled: false,
        ..Config::default()
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let state = State::new(config, Registry::in_memory());
    tokio::spawn(shuffle_server::run(listener, state, std::future::pending()));
    addr
}

async fn connect(addr: SocketAddr) -> Client {
    let (read, writer) = TcpStream::connect(addr).await.expect("connect").into_split();
    Client { reader: MessageReader::new(SecureRead::new(read), 64 << 20), writer, encryptor: None }
}

/// The AuthEngine handshake; afterwards the client encrypts and decrypts.
async fn authenticate(client: &mut Client, secret: &str, cipher: CryptoCipher, version: u8) {
    let hs = Handshake::start("app-1", secret).expect("start");
    let reply = client.rpc(1, hs.challenge().to_bytes()).await.expect("server accepts");
    let Ok(RpcBody::Auth(reply)) = RpcBody::decode(reply) else { panic!("not an AuthMessage") };
    let keys = hs.finish(&reply, version).expect("server proved the secret");
    let (encryptor, decryptor) = keys.client(cipher);
    client.reader.get_mut().enable(decryptor);
    client.encryptor = Some(encryptor);
}

/// Blocks of one map output: a large one, one whose ChunkFetchSuccess is exactly two GCM
/// segments, an empty one and a small one.
fn blocks() -> Vec<Vec<u8>> {
    [300_000, 2 * GCM_PLAINTEXT_SEGMENT - CHUNK_HEADER, 0, 5]
        .iter()
        .enumerate()
        .map(|(i, &len)| (0..len).map(|b| (b * 31 + i * 7) as u8).collect())
        .collect()
}

fn write_shuffle(dir: &std::path::Path, blocks: &[Vec<u8>]) {
    let sub = dir.join("00");
    std::fs::create_dir_all(&sub).expect("mkdir");
    let mut data = Vec::new();
    let mut index = 0i64.to_be_bytes().to_vec();
    for b in blocks {
        data.extend_from_slice(b);
        index.extend_from_slice(&(data.len() as i64).to_be_bytes());
    }
    std::fs::write(sub.join("shuffle_0_0_0.data"), data).expect("data");
    std::fs::write(sub.join("shuffle_0_0_0.index"), index).expect("index");
}

async fn fetch_everything(cipher: CryptoCipher, version: u8) {
    let addr = start(cipher, version).await;
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("blockmgr-1");
    let blocks = blocks();
    write_shuffle(&dir, &blocks);

    let mut c = connect(addr).await;
    authenticate(&mut c, SECRET, cipher, version).await;
    let register = RegisterExecutor {
        app_id: "app-1".into(),
        exec_id: "1".into(),
        executor_info: ExecutorShuffleInfo {
            local_dirs: vec![dir.to_string_lossy().into_owned()],
            sub_dirs_per_local_dir: 1,
            shuffle_manager: "org.apache.spark.shuffle.sort.SortShuffleManager".into(),
        },
    };
    assert_eq!(c.rpc(2, Btm::from(register).to_bytes()).await, Ok(Bytes::new()));
    let fetch = FetchShuffleBlocks {
        app_id: "app-1".into(),
        exec_id: "1".into(),
        shuffle_id: 0,
        map_ids: vec![0],
        reduce_ids: vec![(0..blocks.len() as i32).collect()],
        batch_fetch_enabled: false,
    };
    let handle = c.rpc(3, Btm::from(fetch).to_bytes()).await.expect("stream handle");
    let Ok(Btm::StreamHandle(handle)) = Btm::decode(handle) else { panic!("no StreamHandle") };

    // All but the last chunk pipelined as ChunkFetchRequests, the last as a stream.
    let last = blocks.len() - 1;
    for i in 0..last {
        let id = StreamChunkId { stream_id: handle.stream_id, chunk_index: i as i32 };
        c.send(&ChunkFetchRequest { stream_chunk_id: id }).await;
    }
    c.send(&StreamRequest { stream_id: format!("{}_{last}", handle.stream_id) }).await;
    for (i, want) in blocks[..last].iter().enumerate() {
        match c.next().await {
            Inbound::Message(Response::ChunkFetchSuccess(s)) => {
                assert_eq!(s.stream_chunk_id.chunk_index, i as i32);
                assert!(&s.body[..] == want.as_slice(), "chunk {i} differs");
            }
            other => panic!("chunk {i}: {other:?}"),
        }
    }
    match c.next().await {
        Inbound::Message(Response::StreamResponse(r)) => {
            assert_eq!(r.byte_count, blocks[last].len() as u64)
        }
        other => panic!("stream: {other:?}"),
    }
    let mut body = Vec::new();
    while body.len() < blocks[last].len() {
        match c.next().await {
            Inbound::Body { data, .. } => body.extend_from_slice(&data),
            other => panic!("stream body: {other:?}"),
        }
    }
    assert_eq!(body, blocks[last]);
}

#[tokio::test]
async fn ctr_v1_fetches_everything() {
    fetch_everything(CryptoCipher::Ctr, 1).await;
}

#[tokio::test]
async fn ctr_v2_fetches_everything() {
    fetch_everything(CryptoCipher::Ctr, 2).await;
}

#[tokio::test]
async fn gcm_v1_fetches_everything() {
    fetch_everything(CryptoCipher::Gcm, 1).await;
}

#[tokio::test]
async fn gcm_v2_fetches_everything() {
    fetch_everything(CryptoCipher::Gcm, 2).await;
}

#[tokio::test]
async fn wrong_secret_fails_and_closes() {
    let addr = start(CryptoCipher::Ctr, 1).await;
    let mut c = connect(addr).await;
    let hs = Handshake::start("app-1", "not the secret").expect("start");
    let err = c.rpc(1, hs.challenge().to_bytes()).await.expect_err("refused");
    assert!(err.starts_with("Authentication failed"), "{err}");
    assert!(matches!(c.reader.read().await, Ok(None) | Err(_)), "closed");
}

#[tokio::test]
async fn plaintext_pipelined_after_the_handshake_closes_the_connection() {
    let addr = start(CryptoCipher::Ctr, 1).await;
    let mut c = connect(addr).await;
    let hs = Handshake::start("app-1", SECRET).expect("start");
    // The challenge and a plaintext request in one write: the second must not be served.
    let mut wire =
        RpcRequest { request_id: 1, body: hs.challenge().to_bytes() }.to_wire_bytes().to_vec();
    let sneaky = RpcRequest { request_id: 2, body: Bytes::from_static(b"\x0a") };
    wire.extend_from_slice(&sneaky.to_wire_bytes());
    c.writer.write_all(&wire).await.expect("write");
    assert!(matches!(c.next().await, Inbound::Message(Response::RpcResponse(_))));
    assert!(matches!(c.reader.read().await, Ok(None) | Err(_)), "closed");
}
