//! The dispatcher keeps every submission across a kill -9: the `mesos-dispatcher` binary
//! takes drivers over REST (Spark's JSON), is killed with SIGKILL and started again, and every
//! submission answers with the state it had, with the embedded store and with a real
//! ZooKeeper 3.6 (the wheel's jar). The ZooKeeper store is also checked on its own: Spark's
//! layout, removal, and a corrupt node skipped without losing the others.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, UNIX_EPOCH};

use mesos_dispatcher::queue::{DriverDescription, DriverEntry, EntryState, SubmissionId};
use mesos_dispatcher::store::record::encode_entry;
use mesos_dispatcher::store::zookeeper::ZooKeeperStore;
use mesos_dispatcher::store::{Key, Op, Section, Store};
use shuffle_tests::zookeeper::ZooKeeperServer;
use shuffle_tests::{limit, require_real_spark, target_dir};

/// How long a dispatcher may take to log its bound address.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The `mesos-dispatcher` binary of this build profile, built once so the test never runs a
/// stale one. It is built together with this test so that cargo unifies features as for the
/// test: built alone, its dependencies get other features, and every run would rebuild them
/// (and the next `cargo test` again).
fn binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let profile_dir = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent()?.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| target_dir().join("debug"));
        let mut build = Command::new(cargo);
        build.args(["build", "-q", "-p", "mesos-dispatcher", "--bin", "mesos-dispatcher"]);
        build.args(["-p", "shuffle-tests", "--test", "dispatcher_recovery"]);
        // Cargo gives this test its package's variables; build scripts that watch the
        // environment would take them for a change and rebuild.
        for (key, _) in std::env::vars_os() {
            let key_text = key.to_string_lossy();
            let ours = key_text.starts_with("CARGO_PKG_")
                || ["CARGO_MANIFEST_DIR", "CARGO_MANIFEST_PATH", "CARGO_CRATE_NAME"]
                    .contains(&key_text.as_ref())
                || key_text == "CARGO_PRIMARY_PACKAGE"
                || key_text == "CARGO_TARGET_TMPDIR";
            if ours {
                build.env_remove(&key);
            }
        }
        if profile_dir == target_dir().join("release") {
            build.arg("--release");
        }
        let status = build.status().expect("running cargo build for mesos-dispatcher");
        assert!(status.success(), "building mesos-dispatcher failed: {status}");
        profile_dir.join("mesos-dispatcher")
    })
}

/// A running dispatcher; killed when dropped, its log printed if the test fails.
struct Dispatcher {
    child: Child,
    addr: String,
    log: Arc<Mutex<String>>,
}

/// A Mesos master with no agents: the dispatcher registers (REST answers only then), and its
/// drivers stay queued.
fn master() -> (tokio::runtime::Runtime, mesos_local::LocalCluster) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let work_dir = std::env::temp_dir().join(format!("dispatcher-recovery-{}", std::process::id()));
    let config = mesos_local::ClusterConfig { agents: 0, work_dir, ..Default::default() };
    let cluster = runtime.block_on(mesos_local::LocalCluster::start(config)).expect("mesos-local");
    (runtime, cluster)
}

impl Dispatcher {
    /// Starts against `master` and waits until it registered as a framework.
    fn start(master: &str, args: &[String]) -> Self {
        let mut child = Command::new(binary())
            .args(["--master", &format!("mesos://{master}"), "--host", "127.0.0.1", "--port", "0"])
            .args(["--webui-port", "0"])
            .args(args)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawning mesos-dispatcher");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (bound, addr) = mpsc::channel();
        {
            let log = Arc::clone(&log);
            // Drains stderr for the whole run so the child never blocks on a full pipe.
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Some(a) = line.split("bound=").nth(1) {
                        let _ = bound.send(a.split_whitespace().next().unwrap_or("").to_owned());
                    }
                    if line.contains("Registered as framework ID") {
                        let _ = bound.send(String::new());
                    }
                    let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
                    log.push_str(&line);
                    log.push('\n');
                }
            });
        }
        let mut wait = |what: &str| {
            addr.recv_timeout(START_TIMEOUT).unwrap_or_else(|_| {
                let _ = child.kill();
                let _ = child.wait();
                let log = log.lock().unwrap_or_else(|p| p.into_inner());
                panic!("no {what} logged:\n{log}")
            })
        };
        let addr = wait("bound address");
        // REST refuses requests until the framework registered, as Spark's does.
        wait("registration");
        Self { child, addr, log }
    }

    /// SIGKILL, as a crash: nothing gets to flush.
    fn kill9(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    fn post(&self, path: &str, body: &str) -> String {
        http(&self.addr, "POST", path, body)
    }

    fn create(&self, n: usize) -> String {
        let body = format!(
            r#"{{"action":"CreateSubmissionRequest","appArgs":["{n}","a b"],
            "appResource":"http://127.0.0.1/app-{n}.jar","clientSparkVersion":"3.5.6",
            "environmentVariables":{{"SPARK_USER":"u"}},"mainClass":"org.example.Main",
            "sparkProperties":{{"spark.app.name":"recovery-{n}","spark.driver.memory":"512m",
            "spark.driver.supervise":"{}"}}}}"#,
            n < 3
        );
        let reply = self.post("/v1/submissions/create", &body);
        assert!(reply.contains("\"success\" : true"), "{reply}");
        field(&reply, "submissionId")
    }

    fn state(&self, id: &str) -> String {
        field(&http(&self.addr, "GET", &format!("/v1/submissions/status/{id}"), ""), "driverState")
    }
}

impl Drop for Dispatcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = self.log.lock().unwrap_or_else(|p| p.into_inner());
            eprintln!("--- dispatcher log ({}) ---\n{log}", self.addr);
        }
    }
}

/// One HTTP/1.1 request; the reply's body.
fn http(addr: &str, method: &str, path: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read");
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    reply.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default()
}

/// A string field of a Spark JSON reply.
fn field(reply: &str, name: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(reply).expect("JSON reply");
    value[name].as_str().unwrap_or_else(|| panic!("no {name} in {reply}")).to_owned()
}

fn number(id: &str) -> u64 {
    id.rsplit('-').next().and_then(|n| n.parse().ok()).expect("numbered id")
}

/// Submits, kills one, kill -9s, restarts: every driver answers as before, and the counter
/// goes on; then once more, to show the restored dispatcher stores too.
fn every_submission_survives(master: &str, args: &[String]) {
    let first = Dispatcher::start(master, args);
    let ids: Vec<String> = (0..5).map(|n| first.create(n)).collect();
    let killed = first.post(&format!("/v1/submissions/kill/{}", ids[1]), "");
    assert!(killed.contains("Removed driver while it's still pending"), "{killed}");
    first.kill9();

    let second = Dispatcher::start(master, args);
    for (n, id) in ids.iter().enumerate() {
        let want = if n == 1 { "NOT_FOUND" } else { "QUEUED" };
        assert_eq!(second.state(id), want, "{id} after a kill -9");
    }
    let later = second.create(5);
    assert_eq!(number(&later), number(&ids[4]) + 1, "the counter survives: {later}");
    second.kill9();

    let third = Dispatcher::start(master, args);
    assert_eq!(third.state(&later), "QUEUED");
    for (n, id) in ids.iter().enumerate() {
        let want = if n == 1 { "NOT_FOUND" } else { "QUEUED" };
        assert_eq!(third.state(id), want, "{id} after a second kill -9");
    }
}

#[test]
fn the_embedded_store_keeps_every_submission() {
    let state = tempfile::tempdir().expect("state dir");
    let args = vec![
        "--conf".to_owned(),
        format!("spark.mesos.dispatcher.rs.stateDir={}", state.path().display()),
    ];
    let (_runtime, cluster) = master();
    let master = cluster.master_addr().to_string();
    every_submission_survives(&master, &args);

    // The store is locked: a second dispatcher on it refuses to start.
    let _running = Dispatcher::start(&master, &args);
    let second = Command::new(binary())
        .args(["--master", &format!("mesos://{master}"), "--host", "127.0.0.1", "--port", "0"])
        .args(&args)
        .output()
        .expect("run a second dispatcher");
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("state store"), "{stderr}");
}

fn queued(id: &str) -> DriverEntry {
    let driver = DriverDescription {
        submission_id: SubmissionId::new(id),
        name: "n".into(),
        app_resource: "a.jar".into(),
        main_class: "M".into(),
        app_args: vec![],
        environment: Default::default(),
        spark_properties: Default::default(),
        mem_mb: 1408,
        cores: 1.0,
        supervise: false,
        submitted: UNIX_EPOCH + Duration::from_secs(1),
    };
    DriverEntry { seq: 1, state: EntryState::Queued(driver) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zookeeper_keeps_every_submission() {
    if !require_real_spark() {
        return;
    }
    let server = ZooKeeperServer::start().expect("ZooKeeper starts");
    let servers = server.connect_string();

    // The store alone: Spark's layout, round trip, removal, a corrupt node.
    let store = limit("connect", ZooKeeperStore::connect(&servers, "/store-test")).await;
    let store = store.expect("connects");
    let (a, a_bytes) = encode_entry(&queued("driver-1")).expect("encodes");
    let (b, b_bytes) = encode_entry(&queued("driver-2")).expect("encodes");
    assert_eq!(store.path(&a), "/store-test/driverQueue/driver-1");
    let ops = vec![Op::Put(a.clone(), a_bytes.clone()), Op::Put(b.clone(), b_bytes.clone())];
    limit("put", store.apply(ops)).await.expect("stores");
    limit("put again", store.apply(vec![Op::Put(a.clone(), a_bytes.clone())])).await.expect("ok");
    limit("delete", store.apply(vec![Op::Delete(b.clone()), Op::Delete(b)])).await.expect("ok");
    let zk = mesos::zk::Client::connect(&servers, Duration::from_secs(4)).await.expect("zk");
    for section in ["scheduler", "driverQueue", "launchedDrivers", "retryList", "finishedDrivers"] {
        let path = format!("/store-test/{section}");
        assert!(zk.exists(&path).await.expect("exists").is_some(), "{path}");
    }
    zk.create("/store-test/driverQueue/driver-3", b"\x00 not ours", false, false)
        .await
        .expect("a corrupt node");
    zk.create("/store-test/retryList/bad name", b"{}", false, false).await.expect("a bad name");
    let loaded = limit("load", store.load()).await.expect("loads");
    let keys: Vec<String> = loaded.records.iter().map(|(k, _)| k.to_string()).collect();
    assert_eq!(keys, ["driverQueue/driver-1", "driverQueue/driver-3"]);
    assert_eq!(loaded.records[0].1, a_bytes);
    assert_eq!(loaded.skipped.len(), 1, "{:?}", loaded.skipped);
    let key = Key::new(Section::DriverQueue, "driver-3").expect("key");
    let err = mesos_dispatcher::store::record::decode_entry(&key, &loaded.records[1].1);
    assert!(err.is_err());

    // The dispatcher, started the way Spark's is (`--zk`), in its own directory.
    let args = vec![
        "--zk".to_owned(),
        servers.clone(),
        "--conf".to_owned(),
        "spark.deploy.zookeeper.dir=/dispatcher-test".to_owned(),
    ];
    let work_dir =
        std::env::temp_dir().join(format!("dispatcher-recovery-zk-{}", std::process::id()));
    let config = mesos_local::ClusterConfig { agents: 0, work_dir, ..Default::default() };
    let cluster = mesos_local::LocalCluster::start(config).await.expect("mesos-local");
    let master = cluster.master_addr().to_string();
    tokio::task::spawn_blocking(move || every_submission_survives(&master, &args))
        .await
        .expect("passes");
    let queued = zk.get_children("/dispatcher-test/driverQueue").await.expect("children");
    assert_eq!(queued.len(), 5, "{queued:?}");
    let counter = zk.get_data("/dispatcher-test/scheduler/nextDriverNumber").await.expect("get");
    assert!(std::str::from_utf8(&counter.0).expect("UTF-8").contains("\"value\":6"));
    drop(server);
}
