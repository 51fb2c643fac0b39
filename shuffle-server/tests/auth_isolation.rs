//! With `spark.authenticate` on, an authenticated connection acts only for its own
//! application: app A cannot register, open, fetch, remove, list dirs for, or read the
//! streams of app B; unauthenticated connections get nothing.

use std::collections::BTreeMap;
use std::path::Path;

use bytes::Bytes;
use shuffle_protocol::auth::SaslMessage;
use shuffle_protocol::block_id::StreamChunkId;
use shuffle_protocol::codec::Encode;
use shuffle_protocol::message::{ChunkFetchRequest, Response, RpcRequest, StreamRequest};
use shuffle_protocol::shuffle::{
    BlockTransferMessage as Btm, ExecutorShuffleInfo, FetchShuffleBlocks, GetLocalDirsForExecutors,
    OpenBlocks, RegisterExecutor, RemoveBlocks,
};
use shuffle_protocol::{ClientRole, Connection, Inbound};
use shuffle_server::auth::digest_md5;
use shuffle_server::config::Secret;
use shuffle_server::registry::Registry;
use shuffle_server::{Config, State};
use tokio::net::{TcpListener, TcpStream};

type Client = Connection<TcpStream, ClientRole>;

const SECRET_A: &str = "secret-of-a";
const SECRET_B: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const B_BLOCK: &[u8] = b"bytes only app B may read";

async fn start() -> std::net::SocketAddr {
    let app_secrets: BTreeMap<String, Secret> = [("app-a", SECRET_A), ("app-b", SECRET_B)]
        .into_iter()
        .map(|(a, s)| (a.to_owned(), Secret::new(s.to_owned())))
        .collect();
    let config = Config { authenticate: true, app_secrets, db_enabled: false, ..Config::default() };
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let state = State::new(config, Registry::in_memory());
    tokio::spawn(shuffle_server::run(listener, state, std::future::pending()));
    addr
}

async fn connect(addr: std::net::SocketAddr) -> Client {
    Connection::new(TcpStream::connect(addr).await.expect("connect"), 1 << 20)
}

async fn next(client: &mut Client) -> Option<Response> {
    match client.read().await {
        Ok(Some(Inbound::Message(m))) => Some(m),
        Ok(Some(Inbound::Body { .. })) => panic!("unexpected body piece"),
        Ok(None) | Err(_) => None,
    }
}

/// Sends an RPC; `Ok(body)` for an RpcResponse, `Err(text)` for an RpcFailure.
async fn rpc(client: &mut Client, id: i64, body: Bytes) -> Result<Bytes, String> {
    client.write_message(&RpcRequest { request_id: id, body }).await.expect("send");
    match next(client).await {
        Some(Response::RpcResponse(r)) if r.request_id == id => Ok(r.body),
        Some(Response::RpcFailure(f)) if f.request_id == id => Err(f.error_string),
        other => panic!("unexpected reply {other:?}"),
    }
}

/// Runs the SASL handshake as Spark's client does; `Err` is the server's refusal.
async fn authenticate(client: &mut Client, app: &str, secret: &str) -> Result<(), String> {
    let sasl = |payload: Vec<u8>| {
        SaslMessage { app_id: app.to_owned(), payload: Bytes::from(payload) }.to_bytes()
    };
    let challenge = rpc(client, 1, sasl(Vec::new())).await?;
    let cnonce = digest_md5::new_nonce().expect("random");
    let (token, rspauth) =
        digest_md5::client_response(&challenge, secret, &cnonce).expect("client response");
    let reply = rpc(client, 2, sasl(token)).await?;
    assert_eq!(reply, rspauth, "the server proved it knows the secret");
    Ok(())
}

fn register(app: &str, exec: &str, dir: &Path) -> Bytes {
    Btm::from(RegisterExecutor {
        app_id: app.into(),
        exec_id: exec.into(),
        executor_info: ExecutorShuffleInfo {
            local_dirs: vec![dir.to_string_lossy().into_owned()],
            sub_dirs_per_local_dir: 1,
            shuffle_manager: "org.apache.spark.shuffle.sort.SortShuffleManager".into(),
        },
    })
    .to_bytes()
}

fn fetch(app: &str) -> Bytes {
    Btm::from(FetchShuffleBlocks {
        app_id: app.into(),
        exec_id: "1".into(),
        shuffle_id: 0,
        map_ids: vec![0],
        reduce_ids: vec![vec![0]],
        batch_fetch_enabled: false,
    })
    .to_bytes()
}

/// One shuffle map output of app B: a single block, with one local dir and one sub-dir.
fn write_b_shuffle(dir: &Path) {
    let sub = dir.join("00");
    std::fs::create_dir_all(&sub).expect("mkdir");
    std::fs::write(sub.join("shuffle_0_0_0.data"), B_BLOCK).expect("data");
    let mut index = 0i64.to_be_bytes().to_vec();
    index.extend_from_slice(&(B_BLOCK.len() as i64).to_be_bytes());
    std::fs::write(sub.join("shuffle_0_0_0.index"), index).expect("index");
}

fn stream_handle(body: &Bytes) -> i64 {
    match Btm::decode(body.clone()) {
        Ok(Btm::StreamHandle(h)) => {
            assert_eq!(h.num_chunks, 1);
            h.stream_id
        }
        other => panic!("expected a StreamHandle, got {other:?}"),
    }
}

#[tokio::test]
async fn an_authenticated_app_cannot_act_for_another() {
    let addr = start().await;
    let tmp = tempfile::tempdir().expect("tempdir");
    let b_dir = tmp.path().join("blockmgr-b");
    write_b_shuffle(&b_dir);

    // B registers its executor and opens a stream, but does not read it yet.
    let mut b = connect(addr).await;
    authenticate(&mut b, "app-b", SECRET_B).await.expect("B authenticates");
    rpc(&mut b, 10, register("app-b", "1", &b_dir)).await.expect("B registers");
    let b_stream = stream_handle(&rpc(&mut b, 11, fetch("app-b")).await.expect("B opens"));

    let mut a = connect(addr).await;
    authenticate(&mut a, "app-a", SECRET_A).await.expect("A authenticates");
    let not_authorized = |r: Result<Bytes, String>| match r {
        Err(e) => assert!(e.contains("not authorized for application app-b"), "{e}"),
        Ok(body) => panic!("A acted for B: {body:?}"),
    };
    not_authorized(rpc(&mut a, 20, register("app-b", "2", tmp.path())).await);
    not_authorized(rpc(&mut a, 21, fetch("app-b")).await);
    let open = OpenBlocks {
        app_id: "app-b".into(),
        exec_id: "1".into(),
        block_ids: vec!["shuffle_0_0_0".into()],
    };
    not_authorized(rpc(&mut a, 22, Btm::from(open).to_bytes()).await);
    let remove = RemoveBlocks {
        app_id: "app-b".into(),
        exec_id: "1".into(),
        block_ids: vec!["shuffle_0_0_0.data".into()],
    };
    not_authorized(rpc(&mut a, 23, Btm::from(remove).to_bytes()).await);
    let dirs = GetLocalDirsForExecutors { app_id: "app-b".into(), exec_ids: vec!["1".into()] };
    not_authorized(rpc(&mut a, 24, Btm::from(dirs).to_bytes()).await);
    assert!(b_dir.join("00").join("shuffle_0_0_0.data").exists());

    // B's stream, asked for over A's connection, both ways.
    let chunk = StreamChunkId { stream_id: b_stream, chunk_index: 0 };
    a.write_message(&ChunkFetchRequest { stream_chunk_id: chunk }).await.expect("send");
    match next(&mut a).await {
        Some(Response::ChunkFetchFailure(f)) => assert_eq!(f.stream_chunk_id, chunk),
        other => panic!("A read B's chunk: {other:?}"),
    }
    a.write_message(&StreamRequest { stream_id: format!("{b_stream}_0") }).await.expect("send");
    assert!(matches!(next(&mut a).await, Some(Response::StreamFailure(_))));

    // A still acts for itself.
    rpc(&mut a, 25, register("app-a", "1", tmp.path())).await.expect("A registers itself");

    // B's stream is intact and serves B the bytes.
    b.write_message(&ChunkFetchRequest { stream_chunk_id: chunk }).await.expect("send");
    match next(&mut b).await {
        Some(Response::ChunkFetchSuccess(s)) => assert_eq!(&s.body[..], B_BLOCK),
        other => panic!("B could not read its chunk: {other:?}"),
    }
}

#[tokio::test]
async fn unauthenticated_and_wrongly_authenticated_connections_get_nothing() {
    let addr = start().await;
    let tmp = tempfile::tempdir().expect("tempdir");
    let b_dir = tmp.path().join("blockmgr-b");
    write_b_shuffle(&b_dir);
    let mut b = connect(addr).await;
    authenticate(&mut b, "app-b", SECRET_B).await.expect("B authenticates");
    rpc(&mut b, 10, register("app-b", "1", &b_dir)).await.expect("B registers");
    let b_stream = stream_handle(&rpc(&mut b, 11, fetch("app-b")).await.expect("B opens"));

    // No handshake: chunk requests fail, an RPC fails and closes the connection.
    let mut anon = connect(addr).await;
    let chunk = StreamChunkId { stream_id: b_stream, chunk_index: 0 };
    anon.write_message(&ChunkFetchRequest { stream_chunk_id: chunk }).await.expect("send");
    assert!(matches!(next(&mut anon).await, Some(Response::ChunkFetchFailure(_))));
    let refused = rpc(&mut anon, 1, fetch("app-b")).await.expect_err("refused");
    assert!(refused.contains("Unauthenticated"), "{refused}");
    assert!(next(&mut anon).await.is_none(), "connection closed after the refusal");

    // A's secret does not open B; B's does not open an app without a secret.
    let mut wrong = connect(addr).await;
    let err = authenticate(&mut wrong, "app-b", SECRET_A).await.expect_err("wrong secret");
    assert!(err.contains("Mismatched response") && !err.contains(SECRET_B), "{err}");
    assert!(next(&mut wrong).await.is_none(), "connection closed after a failed handshake");
    let mut unknown = connect(addr).await;
    let err = authenticate(&mut unknown, "app-c", SECRET_B).await.expect_err("no secret");
    assert!(err.contains("non-registered app app-c"), "{err}");

    // Nothing of the above disturbed B.
    b.write_message(&ChunkFetchRequest { stream_chunk_id: chunk }).await.expect("send");
    assert!(matches!(next(&mut b).await, Some(Response::ChunkFetchSuccess(_))));
}
