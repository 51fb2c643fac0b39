//! The periodic application cleaner (the "shuffle-cleaner-watcher" thread of Spark's
//! `MesosExternalBlockHandler`).
//!
//! Every [`Config::cleaner_interval`](crate::Config::cleaner_interval), starting at once, one
//! pass: writes changed heartbeat times to the store, removes every application whose driver's
//! last heartbeat is more than its timeout ago, and, when
//! [`Config::app_idle_timeout`](crate::Config::app_idle_timeout) is set, every application
//! without a registered driver whose executors made no request for that long. Last it closes
//! the kept data files that executors deleted themselves
//! ([`OpenFiles::close_deleted`](crate::open_files::OpenFiles::close_deleted)).
//!
//! Removing an application (Spark's `applicationRemoved(appId, cleanupLocalDirs = true)`)
//! forgets its executors (memory and store), closes its open streams and deletes the local
//! dirs its executors registered, on the blocking pool. Deletion is more careful than
//! Spark's: a dir is deleted only if it is an absolute path without `..` whose last component
//! is `blockmgr-*` (the only kind executors create), and not if it is, contains or lies
//! inside a dir another registered application uses. Nothing is followed through a
//! symbolic link: a link inside a dir is removed, never its target, and a registered dir that
//! is itself a link loses the link only.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

use crate::metrics::{counter, APPS_CLEANED, CLEANED_BYTES, CLEANED_FILES};
use crate::state::State;

/// What a pass (or the removal of one application) did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Cleaned {
    /// The applications removed.
    pub apps: Vec<String>,
    /// Files (and symbolic links) deleted.
    pub files: u64,
    /// Bytes of the regular files deleted.
    pub bytes: u64,
    /// Registered dirs left alone because deleting them would not be safe.
    pub skipped_dirs: Vec<String>,
}

impl Cleaned {
    fn absorb(&mut self, other: Self) {
        self.apps.extend(other.apps);
        self.files += other.files;
        self.bytes += other.bytes;
        self.skipped_dirs.extend(other.skipped_dirs);
    }
}

/// Runs a cleaning pass now and then every [`Config::cleaner_interval`](crate::Config), until
/// `shutdown` is cancelled; a pass under way is finished first. Writes heartbeat times one
/// last time before returning.
pub async fn run(state: State, shutdown: CancellationToken) {
    let period = state.config().cleaner_interval.max(Duration::from_millis(1));
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        let cleaned = clean_once(&state, Instant::now()).await;
        if !cleaned.apps.is_empty() {
            debug!(apps = ?cleaned.apps, files = cleaned.files, bytes = cleaned.bytes,
                "cleaner pass done");
        }
    }
    state.drivers().flush().await;
}

/// One pass of the cleaner as of `now` (see the module docs).
pub async fn clean_once(state: &State, now: Instant) -> Cleaned {
    let drivers = state.drivers();
    drivers.flush().await;
    let mut out = Cleaned::default();
    for app_id in drivers.expire(now).await {
        info!(app_id, "Application {app_id} timed out. Removing shuffle files.");
        out.absorb(remove_app(state, &app_id).await);
    }
    if let Some(limit) = state.config().app_idle_timeout {
        let registered = state.registry().app_ids();
        let activity = state.activity();
        activity.retain(|app| registered.contains(app) || drivers.contains(app));
        for app_id in registered {
            // A registered driver's heartbeats, not requests, decide when its app ends.
            if drivers.contains(&app_id) {
                continue;
            }
            let idle = activity.idle_for(&app_id, now);
            if idle > limit {
                info!(
                    app_id,
                    ?idle,
                    "Application {app_id} made no request for {idle:?} \
                    (spark.shuffle.service.rs.appIdleTimeout). Removing shuffle files."
                );
                out.absorb(remove_app(state, &app_id).await);
            }
        }
    }
    let sweeper = state.resolver().files().clone();
    if let Err(e) = state.resolver().files().run(move || sweeper.close_deleted()).await {
        error!(error = %e, "closing deleted data files failed");
    }
    out
}

/// Removes application `app_id`: forgets its executors, closes its streams and deletes its
/// executors' local dirs (safely, see the module docs). Counted in `appsCleaned`,
/// `cleanedFiles` and `cleanedBytes`.
pub async fn remove_app(state: &State, app_id: &str) -> Cleaned {
    let removed = state.registry().remove_app(app_id).await;
    state.streams().app_removed(app_id);
    state.activity().forget(app_id);
    let mut dirs: Vec<String> =
        removed.iter().flat_map(|(_, info)| info.local_dirs.iter().cloned()).collect();
    dirs.sort();
    dirs.dedup();
    // Whoever is registered now, including anyone who registered since the removal.
    let others: Vec<String> = state
        .registry()
        .executors()
        .into_iter()
        .flat_map(|(_, info)| info.local_dirs.clone())
        .collect();
    let deleted = if dirs.is_empty() {
        Deleted::default()
    } else {
        let resolver = state.resolver().clone();
        let delete = move || {
            let deleted = delete_dirs(&dirs, &others);
            for file in &deleted.shuffle_files {
                resolver.forget_deleted(file);
            }
            deleted
        };
        match tokio::task::spawn_blocking(delete).await {
            Ok(deleted) => deleted,
            Err(e) => {
                error!(app_id, error = %e, "deleting application dirs failed");
                Deleted::default()
            }
        }
    };
    counter!(APPS_CLEANED).increment(1);
    counter!(CLEANED_FILES).increment(deleted.files);
    counter!(CLEANED_BYTES).increment(deleted.bytes);
    info!(
        app_id,
        executors = removed.len(),
        files = deleted.files,
        bytes = deleted.bytes,
        "application removed and its local dirs deleted"
    );
    Cleaned {
        apps: vec![app_id.to_owned()],
        files: deleted.files,
        bytes: deleted.bytes,
        skipped_dirs: deleted.skipped,
    }
}

/// What [`delete_dirs`] did.
#[derive(Debug, Default)]
struct Deleted {
    files: u64,
    bytes: u64,
    /// Deleted `.index` and `.data` files, whose cached parses and kept descriptors must go.
    shuffle_files: Vec<PathBuf>,
    skipped: Vec<String>,
}

/// Deletes each of `dirs` that is safe to delete given the dirs `others` in use by other
/// applications. Blocking.
fn delete_dirs(dirs: &[String], others: &[String]) -> Deleted {
    let mut in_use: Vec<PathBuf> = Vec::with_capacity(others.len() * 2);
    for other in others.iter().filter_map(|o| lexical(o)) {
        if let Ok(canonical) = fs::canonicalize(&other) {
            in_use.push(canonical);
        }
        in_use.push(other);
    }
    let mut out = Deleted::default();
    for dir in dirs {
        let Some(path) = deletable(dir) else {
            warn!(
                dir,
                "not deleting a registered local dir that is not an absolute \
                .../blockmgr-* path"
            );
            out.skipped.push(dir.clone());
            continue;
        };
        let meta = match fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => {
                warn!(dir, error = %e, "cannot inspect local dir; not deleting it");
                out.skipped.push(dir.clone());
                continue;
            }
        };
        let canonical = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        let overlaps = |used: &PathBuf| {
            [&path, &canonical].iter().any(|p| p.starts_with(used) || used.starts_with(p))
        };
        if let Some(used) = in_use.iter().find(|u| overlaps(u)) {
            warn!(dir, other = %used.display(),
                "not deleting a local dir shared with another application's registered dir");
            out.skipped.push(dir.clone());
            continue;
        }
        let before = tally(&path);
        let result = if meta.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
        let gone = match result {
            Ok(()) => before,
            Err(e) => {
                warn!(dir, error = %e, "could not delete all of a local dir");
                before.minus(&tally(&path))
            }
        };
        debug!(dir, files = gone.files, bytes = gone.bytes, "deleted local dir");
        out.files += gone.files;
        out.bytes += gone.bytes;
        out.shuffle_files.extend(gone.shuffle_files);
    }
    out
}

/// `dir` as a path if the cleaner may delete it: absolute, no `..`, last component
/// `blockmgr-*`. Repeated separators and `.` components are dropped.
fn deletable(dir: &str) -> Option<PathBuf> {
    let path = lexical(dir)?;
    let name = path.file_name()?.to_str()?;
    name.starts_with("blockmgr-").then_some(path)
}

/// `dir` normalized without touching the file system, if absolute and free of `..`.
fn lexical(dir: &str) -> Option<PathBuf> {
    let path = Path::new(dir);
    if !path.is_absolute() || path.components().any(|c| c == Component::ParentDir) {
        return None;
    }
    Some(path.components().collect())
}

/// Files under a path, counted without following links.
#[derive(Debug, Default)]
struct Tally {
    files: u64,
    bytes: u64,
    shuffle_files: Vec<PathBuf>,
}

impl Tally {
    /// What is in `self` but no longer in `left` (after a partial delete).
    fn minus(self, left: &Self) -> Self {
        let shuffle_files =
            self.shuffle_files.into_iter().filter(|p| !left.shuffle_files.contains(p)).collect();
        Self {
            files: self.files.saturating_sub(left.files),
            bytes: self.bytes.saturating_sub(left.bytes),
            shuffle_files,
        }
    }
}

/// Counts the non-directory entries at and under `root` (a link counts as one entry of no
/// bytes and is not followed). Only counts; a race with a writer miscounts, nothing more.
fn tally(root: &Path) -> Tally {
    let mut t = Tally::default();
    let mut stack = vec![root.to_path_buf()];
    while let Some(path) = stack.pop() {
        let Ok(meta) = fs::symlink_metadata(&path) else { continue };
        if meta.is_dir() {
            if let Ok(entries) = fs::read_dir(&path) {
                stack.extend(entries.filter_map(|e| e.ok().map(|e| e.path())));
            }
            continue;
        }
        t.files += 1;
        if meta.is_file() {
            t.bytes += meta.len();
            if path.extension().is_some_and(|e| e == "index" || e == "data") {
                t.shuffle_files.push(path);
            }
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use bytes::Bytes;
    use shuffle_protocol::block_id::{AppExecId, StreamChunkId};
    use shuffle_protocol::codec::Encode;
    use shuffle_protocol::message::{ChunkFetchRequest, OneWayMessage, RpcRequest};
    use shuffle_protocol::shuffle::{
        BlockTransferMessage as Btm, ExecutorShuffleInfo, FetchShuffleBlocks, RegisterDriver,
        RegisterExecutor, ShuffleServiceHeartbeat,
    };
    use shuffle_protocol::{ClientRole, Connection, Inbound, Response};
    use tokio::net::{TcpListener, TcpStream};

    use super::*;
    use crate::registry::Registry;
    use crate::resolver::file_path;
    use crate::Config;

    fn info(dirs: &[&Path]) -> ExecutorShuffleInfo {
        ExecutorShuffleInfo {
            local_dirs: dirs.iter().map(|d| d.to_string_lossy().into_owned()).collect(),
            sub_dirs_per_local_dir: 64,
            shuffle_manager: "org.apache.spark.shuffle.sort.SortShuffleManager".into(),
        }
    }

    fn write(path: &Path, bytes: &[u8]) {
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, bytes).expect("write");
    }

    #[tokio::test]
    async fn removal_deletes_only_the_apps_own_dirs() {
        let root = tempfile::tempdir().expect("tempdir");
        let r = root.path();
        // App A: a normal dir with shuffle files and links pointing outside, and a registered
        // dir that is itself a link.
        let a1 = r.join("a").join("blockmgr-a1");
        write(&a1.join("0c").join("shuffle_0_1_0.data"), &[7; 100]);
        write(&a1.join("0c").join("shuffle_0_1_0.index"), &[0; 16]);
        write(&r.join("outside").join("secret.txt"), b"keep");
        write(&r.join("outside").join("dir").join("inner.txt"), b"keep");
        write(&r.join("outside").join("target").join("linked.txt"), b"keep");
        symlink(r.join("outside").join("secret.txt"), a1.join("0c").join("link-out"))
            .expect("symlink");
        symlink(r.join("outside").join("dir"), a1.join("0d")).expect("symlink");
        let a2 = r.join("a").join("blockmgr-a2");
        symlink(r.join("outside").join("target"), &a2).expect("symlink");
        write(&r.join("a").join("keep.txt"), b"sibling");
        // Dirs A registers but must not lose: B's dir, a non-blockmgr dir, a `..` path, a
        // relative path, and a parent of B's dir.
        let b1 = r.join("b").join("blockmgr-b1");
        write(&b1.join("11").join("shuffle_0_2_0.data"), b"b data");
        let plain = r.join("plain");
        write(&plain.join("file"), b"keep");
        let dotdot = r.join("a").join("..").join("b").join("blockmgr-b1");
        let b_parent = r.join("b");
        let outer = r.join("blockmgr-outer");
        let inner = outer.join("blockmgr-inner");
        write(&inner.join("00").join("f"), b"keep");

        let state = State::new(Config::default(), Registry::in_memory());
        let reg = state.registry();
        reg.register(AppExecId::new("A", "1"), info(&[&a1, &a2, &plain])).await;
        reg.register(AppExecId::new("A", "2"), info(&[&a1, &b1, &dotdot, &b_parent])).await;
        let mut relative = info(&[]);
        relative.local_dirs.push("blockmgr-rel".into());
        reg.register(AppExecId::new("A", "3"), relative).await;
        reg.register(AppExecId::new("A", "4"), info(&[&outer])).await;
        reg.register(AppExecId::new("B", "1"), info(&[&b1])).await;
        reg.register(AppExecId::new("B", "2"), info(&[&inner])).await;

        let data = a1.join("0c").join("shuffle_0_1_0.data");
        state.resolver().files().open_data(&data.as_path().into()).expect("kept open");
        assert_eq!(state.resolver().files().kept_count(), 1);

        let cleaned = remove_app(&state, "A").await;
        assert_eq!(cleaned.apps, vec!["A".to_owned()]);
        assert_eq!(state.resolver().files().kept_count(), 0, "deleted files are closed");
        assert!(!a1.exists() && fs::symlink_metadata(&a2).is_err(), "A's dirs are gone");
        // data + index + two links inside a1 + the a2 link itself.
        assert_eq!((cleaned.files, cleaned.bytes), (5, 116));
        for kept in [
            r.join("outside").join("secret.txt"),
            r.join("outside").join("dir").join("inner.txt"),
            r.join("outside").join("target").join("linked.txt"),
            r.join("a").join("keep.txt"),
            b1.join("11").join("shuffle_0_2_0.data"),
            plain.join("file"),
            inner.join("00").join("f"),
        ] {
            assert!(kept.is_file(), "{} must survive", kept.display());
        }
        let mut skipped = cleaned.skipped_dirs.clone();
        skipped.sort();
        assert_eq!(skipped.len(), 6, "{skipped:?}");
        assert!(reg.get(&AppExecId::new("A", "1")).is_err());
        assert!(reg.get(&AppExecId::new("B", "1")).is_ok());
    }

    /// A client connection to an in-process daemon.
    struct Client {
        conn: Connection<TcpStream, ClientRole>,
        next_id: i64,
    }

    impl Client {
        async fn rpc(&mut self, msg: Btm) -> Response {
            self.next_id += 1;
            let req = RpcRequest { request_id: self.next_id, body: msg.to_bytes() };
            self.conn.write_message(&req).await.expect("send");
            self.read().await
        }

        async fn one_way(&mut self, msg: Btm) {
            let req = OneWayMessage { body: msg.to_bytes() };
            self.conn.write_message(&req).await.expect("send");
        }

        async fn chunk(&mut self, stream_id: i64, chunk_index: i32) -> Response {
            let req =
                ChunkFetchRequest { stream_chunk_id: StreamChunkId { stream_id, chunk_index } };
            self.conn.write_message(&req).await.expect("send");
            self.read().await
        }

        async fn read(&mut self) -> Response {
            let read = tokio::time::timeout(Duration::from_secs(10), self.conn.read()).await;
            match read.expect("reply in time").expect("decodes") {
                Some(Inbound::Message(m)) => m,
                other => panic!("unexpected {other:?}"),
            }
        }

        async fn open(&mut self, app: &str) -> i64 {
            let fetch = FetchShuffleBlocks {
                app_id: app.into(),
                exec_id: "1".into(),
                shuffle_id: 0,
                map_ids: vec![5],
                reduce_ids: vec![vec![0, 1]],
                batch_fetch_enabled: false,
            };
            match self.rpc(fetch.into()).await {
                Response::RpcResponse(r) => match Btm::decode(r.body).expect("decodes") {
                    Btm::StreamHandle(h) => {
                        assert_eq!(h.num_chunks, 2);
                        h.stream_id
                    }
                    other => panic!("expected StreamHandle, got {other:?}"),
                },
                other => panic!("expected RpcResponse, got {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn expired_app_is_removed_by_the_running_cleaner_and_fetches_fail_cleanly() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("blockmgr-x");
        let exec = info(&[&dir]);
        let index: Vec<u8> = [0i64, 3, 6].iter().flat_map(|o| o.to_be_bytes()).collect();
        write(&file_path(&exec, "shuffle_0_5_0.index").expect("path"), &index);
        write(&file_path(&exec, "shuffle_0_5_0.data").expect("path"), b"abcdef");

        let config = Config { cleaner_interval: Duration::from_millis(100), ..Config::default() };
        let state = State::new(config, Registry::in_memory());
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let stop = CancellationToken::new();
        let server =
            tokio::spawn(crate::run(listener, state.clone(), stop.clone().cancelled_owned()));
        let socket = TcpStream::connect(addr).await.expect("connect");
        let mut c = Client { conn: Connection::new(socket, 1 << 20), next_id: 0 };

        let register =
            RegisterExecutor { app_id: "x".into(), exec_id: "1".into(), executor_info: exec };
        assert!(
            matches!(c.rpc(register.into()).await, Response::RpcResponse(r) if r.body.is_empty())
        );
        // Registering twice is accepted (Spark warns and resets the timer); the reply is an
        // empty RpcResponse both times.
        for _ in 0..2 {
            let reg = RegisterDriver { app_id: "x".into(), heartbeat_timeout_ms: 60_000 };
            let reply = c.rpc(reg.into()).await;
            assert!(matches!(&reply, Response::RpcResponse(r) if r.body.is_empty()), "{reply:?}");
        }
        assert_eq!(state.drivers().len(), 1);
        c.one_way(ShuffleServiceHeartbeat { app_id: "x".into() }.into()).await;
        c.one_way(ShuffleServiceHeartbeat { app_id: "unknown".into() }.into()).await;

        let stream = c.open("x").await;
        match c.chunk(stream, 0).await {
            Response::ChunkFetchSuccess(m) => assert_eq!(m.body, Bytes::from_static(b"abc")),
            other => panic!("expected the first chunk, got {other:?}"),
        }

        // Registering again with a tiny timeout and no more heartbeats: the running cleaner
        // removes the app within timeout + interval.
        let reg = RegisterDriver { app_id: "x".into(), heartbeat_timeout_ms: 1 };
        assert!(matches!(c.rpc(reg.into()).await, Response::RpcResponse(_)));
        let deadline = Instant::now() + Duration::from_secs(10);
        while dir.exists() || !state.drivers().is_empty() {
            assert!(Instant::now() < deadline, "app not cleaned in time");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(state.registry().is_empty());

        // The chunk still in flight fails with a ChunkFetchFailure, and so does a new fetch.
        match c.chunk(stream, 1).await {
            Response::ChunkFetchFailure(m) => assert!(m.error_string.contains("closed"), "{m:?}"),
            other => panic!("expected a failure, got {other:?}"),
        }
        let stream = c.open("x").await;
        match c.chunk(stream, 0).await {
            Response::ChunkFetchFailure(m) => {
                assert!(m.error_string.contains("Executor is not registered"), "{m:?}");
            }
            other => panic!("expected a failure, got {other:?}"),
        }
        // The late heartbeat of a removed app is only logged; the connection serves on.
        c.one_way(ShuffleServiceHeartbeat { app_id: "x".into() }.into()).await;
        let reg = RegisterDriver { app_id: "x".into(), heartbeat_timeout_ms: 60_000 };
        assert!(matches!(c.rpc(reg.into()).await, Response::RpcResponse(_)));

        stop.cancel();
        server.await.expect("server stops with its cleaner");
    }

    #[tokio::test]
    async fn idle_rule_cleans_apps_without_a_driver_only() {
        let root = tempfile::tempdir().expect("tempdir");
        let dirs: Vec<PathBuf> = ["idle", "busy", "driven"]
            .iter()
            .map(|a| root.path().join(format!("blockmgr-{a}")))
            .collect();
        for d in &dirs {
            write(&d.join("00").join("f"), b"x");
        }
        let config =
            Config { app_idle_timeout: Some(Duration::from_secs(60)), ..Config::default() };
        let state = State::new(config, Registry::in_memory());
        for (app, dir) in ["idle", "busy", "driven"].iter().zip(&dirs) {
            state.registry().register(AppExecId::new(*app, "1"), info(&[dir])).await;
        }
        let t0 = Instant::now();
        state.drivers().register_at("driven", 3_600_000, t0, std::time::SystemTime::now());
        assert!(clean_once(&state, t0).await.apps.is_empty(), "first seen now");
        state.activity().touch_at("busy", t0 + Duration::from_secs(30));
        let cleaned = clean_once(&state, t0 + Duration::from_secs(61)).await;
        assert_eq!(cleaned.apps, vec!["idle".to_owned()]);
        assert!(!dirs[0].exists() && dirs[1].exists() && dirs[2].exists());
        let cleaned = clean_once(&state, t0 + Duration::from_secs(91)).await;
        assert_eq!(cleaned.apps, vec!["busy".to_owned()]);
        assert!(dirs[2].exists(), "an app with a driver is governed by its heartbeats");

        // Off by default: nothing is tracked or cleaned for idleness.
        let state = State::new(Config::default(), Registry::in_memory());
        state.registry().register(AppExecId::new("idle", "1"), info(&[&dirs[2]])).await;
        state.activity().touch("idle");
        assert!(state.activity().is_empty());
        assert!(clean_once(&state, t0 + Duration::from_secs(86_400)).await.apps.is_empty());
    }
}
