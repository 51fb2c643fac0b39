//! RegisterExecutor with local dirs outside what the service may touch is refused with an
//! RpcFailure, and nothing is registered.

use bytes::Bytes;
use shuffle_protocol::codec::Encode;
use shuffle_protocol::message::{Response, RpcRequest};
use shuffle_protocol::shuffle::{
    BlockTransferMessage as Btm, ExecutorShuffleInfo, RegisterExecutor,
};
use shuffle_protocol::{ClientRole, Connection, Inbound};
use shuffle_server::registry::Registry;
use shuffle_server::{Config, State};
use tokio::net::{TcpListener, TcpStream};

fn register(exec: &str, dirs: &[String]) -> Bytes {
    Btm::from(RegisterExecutor {
        app_id: "app-1".into(),
        exec_id: exec.into(),
        executor_info: ExecutorShuffleInfo {
            local_dirs: dirs.to_vec(),
            sub_dirs_per_local_dir: 64,
            shuffle_manager: "org.apache.spark.shuffle.sort.SortShuffleManager".into(),
        },
    })
    .to_bytes()
}

#[tokio::test]
async fn registrations_outside_the_allowed_roots_are_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("spark-local");
    std::fs::create_dir_all(&root).expect("mkdir");
    let config = Config {
        db_enabled: false,
        allowed_local_dir_roots: vec![root.clone()],
        ..Config::default()
    };
    let state = State::new(config, Registry::in_memory());
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(shuffle_server::run(listener, state.clone(), std::future::pending()));
    let socket = TcpStream::connect(addr).await.expect("connect");
    let mut client = Connection::<_, ClientRole>::new(socket, 1 << 20);

    let inside = root.join("blockmgr-1").to_string_lossy().into_owned();
    let cases: [(Vec<String>, Option<&str>); 5] = [
        (vec![inside.clone()], None),
        (vec![inside.clone(), "/etc".into()], Some("allowedLocalDirRoots")),
        (vec![format!("{inside}/../../..")], Some("'..'")),
        (vec!["blockmgr-relative".into()], Some("absolute")),
        (vec!["/".into()], Some("root directory")),
    ];
    for (i, (dirs, refusal)) in cases.iter().enumerate() {
        let request_id = i as i64;
        let body = register(&format!("exec-{i}"), dirs);
        client.write_message(&RpcRequest { request_id, body }).await.expect("send");
        let reply = match client.read().await {
            Ok(Some(Inbound::Message(m))) => m,
            other => panic!("no reply: {other:?}"),
        };
        match (refusal, reply) {
            (None, Response::RpcResponse(r)) => assert!(r.body.is_empty()),
            (Some(why), Response::RpcFailure(f)) => {
                assert!(f.error_string.contains(why), "{dirs:?}: {}", f.error_string);
                assert!(f.error_string.contains("Refusing to register local dir"));
            }
            (_, other) => panic!("{dirs:?}: unexpected reply {other:?}"),
        }
    }
    assert_eq!(state.registry().len(), 1, "only the confined registration was kept");
}
