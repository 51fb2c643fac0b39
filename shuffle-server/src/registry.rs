//! Registered executors: where each executor keeps its files (Spark's `executors` map of
//! `ExternalShuffleBlockResolver`), persisted so that registrations survive a restart.
//!
//! The store is a redb file. Keys are the Spark wire encoding of `appId` then `execId` (two
//! length-prefixed strings, so one application's keys form one contiguous range); values are
//! the wire encoding of `ExecutorShuffleInfo`. A `meta` table holds the store version, and a
//! store with another major version is refused, as Spark refuses an incompatible LevelDB.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use dashmap::DashMap;
use redb::{Database, ReadableTable, TableDefinition};
use shuffle_protocol::block_id::AppExecId;
use shuffle_protocol::codec::{put_string, Decode, Encode, Reader};
use shuffle_protocol::shuffle::{ExecutorLocalDirs, ExecutorShuffleInfo};
use tracing::{error, info, warn};

use crate::error::{Error, Result};
use crate::metrics::{gauge, REGISTERED_EXECUTORS_SIZE};

/// File name of the store inside the state directory.
pub const DB_FILE: &str = "registered-executors.redb";

const EXECUTORS: TableDefinition<'_, &[u8], &[u8]> = TableDefinition::new("executors");
const META: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("meta");
const VERSION_KEY: &str = "StoreVersion";
const VERSION: (u32, u32) = (1, 0);

/// All registered executors; a cheap-clone handle.
#[derive(Debug, Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    executors: DashMap<AppExecId, Arc<ExecutorShuffleInfo>>,
    /// Bumped after every change to `executors` (see [`Registry::generation`]).
    generation: AtomicU64,
    store: Option<Store>,
    /// Serializes store-then-map updates so that the map and the store never disagree about
    /// an executor registered and removed at the same time.
    writes: tokio::sync::Mutex<()>,
}

#[derive(Debug)]
struct Store {
    db: Arc<Database>,
    path: PathBuf,
}

impl Store {
    /// The outcome of a store operation run on the blocking pool, as this crate's error.
    fn flatten<T>(
        &self,
        outcome: Result<Result<T, Box<redb::Error>>, tokio::task::JoinError>,
    ) -> Result<T> {
        outcome?.map_err(|source| Error::Store { path: self.path.clone(), source })
    }
}

impl Registry {
    /// A registry that forgets everything on restart (`spark.shuffle.service.db.enabled`
    /// false).
    pub fn in_memory() -> Self {
        Self::with(DashMap::new(), None)
    }

    /// Opens (or creates) the store at `path` and reloads every registration in it. Entries
    /// that cannot be decoded are logged and skipped; a store that cannot be opened at all,
    /// or has an incompatible version, is an error.
    pub async fn open(path: PathBuf) -> Result<Self> {
        let (executors, store) = tokio::task::spawn_blocking(move || open_store(path)).await??;
        info!(path = %store.path.display(), executors = executors.len(),
            "registered executors reloaded");
        Ok(Self::with(executors, Some(store)))
    }

    fn with(executors: DashMap<AppExecId, Arc<ExecutorShuffleInfo>>, store: Option<Store>) -> Self {
        let registry = Self {
            inner: Arc::new(Inner {
                executors,
                generation: AtomicU64::new(0),
                store,
                writes: tokio::sync::Mutex::new(()),
            }),
        };
        registry.update_gauge();
        registry
    }

    /// Registers (or re-registers) an executor; when this returns, the registration is in
    /// the store, so the caller may reply.
    ///
    /// As in Spark, a failure to persist is logged and the registration still takes effect
    /// in memory: refusing it would fail the executor, which is worse than losing the
    /// registration at the next restart.
    pub async fn register(&self, id: AppExecId, info: ExecutorShuffleInfo) {
        let _writing = self.inner.writes.lock().await;
        let info = Arc::new(info);
        if let Some(store) = &self.inner.store {
            let (db, key, value) =
                (store.db.clone(), key_of(&id.app_id, &id.exec_id), info.to_bytes());
            let persisted =
                tokio::task::spawn_blocking(move || persist(&db, &key, &value).map_err(Box::new))
                    .await;
            if let Err(e) = store.flatten(persisted) {
                error!(app_id = %id.app_id, exec_id = %id.exec_id, error = %e,
                    "could not persist executor registration");
            }
        }
        info!(app_id = %id.app_id, exec_id = %id.exec_id, local_dirs = ?info.local_dirs,
            sub_dirs = info.sub_dirs_per_local_dir, "registered executor");
        self.inner.executors.insert(id, info);
        self.changed();
    }

    /// A number that changes whenever an executor is registered or removed. A [`get`] made
    /// after reading generation `g` still holds while the generation is `g`, so a caller
    /// may keep its answer that long instead of looking again.
    ///
    /// [`get`]: Self::get
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// Publishes a change to the map: after it, so that whoever sees the new generation
    /// sees the change.
    fn changed(&self) {
        self.inner.generation.fetch_add(1, Ordering::Release);
        self.update_gauge();
    }

    /// Where executor `id` keeps its files.
    pub fn get(&self, id: &AppExecId) -> Result<Arc<ExecutorShuffleInfo>> {
        self.inner.executors.get(id).map(|e| e.value().clone()).ok_or_else(|| {
            Error::UnknownExecutor { app_id: id.app_id.clone(), exec_id: id.exec_id.clone() }
        })
    }

    /// The local dirs of each of `exec_ids` of application `app_id`, in first-appearance
    /// order without duplicates: the body of the LocalDirsForExecutors reply. Any unknown
    /// executor fails the whole lookup, as in Spark.
    pub fn local_dirs(&self, app_id: &str, exec_ids: &[String]) -> Result<Vec<ExecutorLocalDirs>> {
        let mut out: Vec<ExecutorLocalDirs> = Vec::with_capacity(exec_ids.len());
        for exec_id in exec_ids {
            if out.iter().any(|seen| &seen.exec_id == exec_id) {
                continue;
            }
            let local_dirs =
                self.get(&AppExecId::new(app_id, exec_id.as_str()))?.local_dirs.clone();
            out.push(ExecutorLocalDirs { exec_id: exec_id.clone(), local_dirs });
        }
        Ok(out)
    }

    /// Forgets every executor of `app_id`, in memory and in the store, and returns what they
    /// had registered (so their directories can be cleaned). Store failures are logged.
    pub async fn remove_app(&self, app_id: &str) -> Vec<(AppExecId, Arc<ExecutorShuffleInfo>)> {
        let _writing = self.inner.writes.lock().await;
        let mut removed = Vec::new();
        self.inner.executors.retain(|id, info| {
            let keep = id.app_id != app_id;
            if !keep {
                removed.push((id.clone(), info.clone()));
            }
            keep
        });
        self.changed();
        if let Some(store) = &self.inner.store {
            let (db, prefix) = (store.db.clone(), app_prefix(app_id));
            let deleted =
                tokio::task::spawn_blocking(move || delete_prefix(&db, &prefix).map_err(Box::new))
                    .await;
            if let Err(e) = store.flatten(deleted) {
                error!(app_id, error = %e, "could not remove application from the store");
            }
        }
        info!(app_id, executors = removed.len(), "application removed");
        removed
    }

    /// Every registered executor, as of now.
    pub fn executors(&self) -> Vec<(AppExecId, Arc<ExecutorShuffleInfo>)> {
        self.inner.executors.iter().map(|e| (e.key().clone(), e.value().clone())).collect()
    }

    /// The applications with at least one registered executor.
    pub fn app_ids(&self) -> std::collections::BTreeSet<String> {
        self.inner.executors.iter().map(|e| e.key().app_id.clone()).collect()
    }

    /// The store this registry persists to, if any, so that other daemon state can share the
    /// file (redb opens a file only once per process).
    pub fn store(&self) -> Option<(Arc<Database>, PathBuf)> {
        self.inner.store.as_ref().map(|s| (s.db.clone(), s.path.clone()))
    }

    /// Number of registered executors.
    pub fn len(&self) -> usize {
        self.inner.executors.len()
    }

    /// Whether no executor is registered.
    pub fn is_empty(&self) -> bool {
        self.inner.executors.is_empty()
    }

    fn update_gauge(&self) {
        gauge!(REGISTERED_EXECUTORS_SIZE).set(self.inner.executors.len() as f64);
    }
}

fn key_of(app_id: &str, exec_id: &str) -> Vec<u8> {
    let mut key = app_prefix(app_id);
    put_string(&mut key, exec_id);
    key
}

fn app_prefix(app_id: &str) -> Vec<u8> {
    let mut prefix = Vec::with_capacity(4 + app_id.len());
    put_string(&mut prefix, app_id);
    prefix
}

fn decode_entry(
    key: &[u8],
    value: &[u8],
) -> shuffle_protocol::Result<(AppExecId, ExecutorShuffleInfo)> {
    let mut k = Reader::new(Bytes::copy_from_slice(key));
    let id = AppExecId { app_id: k.string("appId")?, exec_id: k.string("execId")? };
    k.finish("registry key")?;
    let mut v = Reader::new(Bytes::copy_from_slice(value));
    let info = ExecutorShuffleInfo::decode(&mut v)?;
    v.finish("ExecutorShuffleInfo")?;
    Ok((id, info))
}

// redb's error is large, but it only travels from these helpers to a log line or into a
// boxed `Error::Store`.
#[allow(clippy::result_large_err)]
fn persist(db: &Database, key: &[u8], value: &[u8]) -> Result<(), redb::Error> {
    let txn = db.begin_write()?;
    txn.open_table(EXECUTORS)?.insert(key, value)?;
    txn.commit()?;
    Ok(())
}

/// Deletes every entry whose key starts with `prefix`; returns how many.
#[allow(clippy::result_large_err)]
fn delete_prefix(db: &Database, prefix: &[u8]) -> Result<usize, redb::Error> {
    let txn = db.begin_write()?;
    let mut table = txn.open_table(EXECUTORS)?;
    let mut keys = Vec::new();
    for entry in table.range(prefix..)? {
        let key = entry?.0.value().to_vec();
        if !key.starts_with(prefix) {
            break;
        }
        keys.push(key);
    }
    for key in &keys {
        table.remove(key.as_slice())?;
    }
    drop(table);
    txn.commit()?;
    Ok(keys.len())
}

type Loaded = (DashMap<AppExecId, Arc<ExecutorShuffleInfo>>, Store);

/// Opens the store, checks its version and reads every entry (on the blocking pool).
fn open_store(path: PathBuf) -> Result<Loaded> {
    let store_err = |e: redb::Error| Error::Store { path: path.clone(), source: Box::new(e) };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let db = Database::create(&path).map_err(|e| store_err(e.into()))?;
    if let Some((major, minor)) = check_version(&db, &path).map_err(store_err)? {
        return Err(Error::StoreVersion { path: path.clone(), major, minor });
    }
    let executors = DashMap::new();
    let read = db.begin_read().map_err(|e| store_err(e.into()))?;
    let table = read.open_table(EXECUTORS).map_err(|e| store_err(e.into()))?;
    for entry in table.iter().map_err(|e| store_err(e.into()))? {
        let (key, value) = match entry {
            Ok(entry) => entry,
            Err(e) => {
                // The rest of the table cannot be trusted to iterate; keep what was read.
                warn!(path = %path.display(), error = %e, "store unreadable past this point");
                break;
            }
        };
        match decode_entry(key.value(), value.value()) {
            Ok((id, info)) => {
                executors.insert(id, Arc::new(info));
            }
            Err(e) => warn!(path = %path.display(), error = %e, "skipping corrupt registration"),
        }
    }
    drop(table);
    drop(read);
    Ok((executors, Store { db: Arc::new(db), path }))
}

/// Writes our version into a new store, or checks that an existing one has the same major
/// version, returning an incompatible one. Also creates the executors table so that a fresh
/// store can be read.
#[allow(clippy::result_large_err)]
fn check_version(db: &Database, path: &Path) -> Result<Option<(u32, u32)>, redb::Error> {
    let txn = db.begin_write()?;
    {
        let mut meta = txn.open_table(META)?;
        let found = meta.get(VERSION_KEY)?.map(|v| {
            let v = v.value();
            let word = |at: usize| {
                v.get(at..at + 4)
                    .and_then(|b| b.try_into().ok())
                    .map_or(u32::MAX, u32::from_be_bytes)
            };
            (word(0), word(4))
        });
        match found {
            Some((major, minor)) if major != VERSION.0 => return Ok(Some((major, minor))),
            Some(_) => {}
            None => {
                let mut v = [0u8; 8];
                v[..4].copy_from_slice(&VERSION.0.to_be_bytes());
                v[4..].copy_from_slice(&VERSION.1.to_be_bytes());
                meta.insert(VERSION_KEY, v.as_slice())?;
                info!(path = %path.display(), "created registered-executor store");
            }
        }
        txn.open_table(EXECUTORS)?;
    }
    txn.commit()?;
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(app: &str, exec: &str) -> AppExecId {
        AppExecId::new(app, exec)
    }

    fn info(dir: &str) -> ExecutorShuffleInfo {
        ExecutorShuffleInfo {
            local_dirs: vec![format!("/tmp/{dir}/blockmgr-1"), format!("/tmp/{dir}/blockmgr-2")],
            sub_dirs_per_local_dir: 64,
            shuffle_manager: "org.apache.spark.shuffle.sort.SortShuffleManager".into(),
        }
    }

    #[tokio::test]
    async fn registrations_survive_a_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state").join(DB_FILE);
        let reg = Registry::open(path.clone()).await.expect("open");
        reg.register(id("app-1", "7"), info("a")).await;
        reg.register(id("app-1", "8"), info("b")).await;
        reg.register(id("app-1", "7"), info("c")).await;
        assert_eq!(reg.len(), 2);
        drop(reg);

        let reg = Registry::open(path).await.expect("reopen");
        assert_eq!(reg.len(), 2);
        assert_eq!(*reg.get(&id("app-1", "7")).expect("registered"), info("c"));
        assert_eq!(*reg.get(&id("app-1", "8")).expect("registered"), info("b"));
        let err = reg.get(&id("app-1", "9")).expect_err("unknown");
        assert_eq!(err.to_string(), "Executor is not registered (appId=app-1, execId=9)");
    }

    #[tokio::test]
    async fn the_generation_moves_with_every_change() {
        let reg = Registry::in_memory();
        let g0 = reg.generation();
        reg.register(id("app", "1"), info("a")).await;
        let g1 = reg.generation();
        reg.register(id("app", "1"), info("b")).await;
        let g2 = reg.generation();
        assert!(reg.get(&id("app", "1")).is_ok(), "a lookup changes nothing");
        assert_eq!(reg.generation(), g2);
        reg.remove_app("app").await;
        let g3 = reg.generation();
        assert!(g0 < g1 && g1 < g2 && g2 < g3, "{g0} {g1} {g2} {g3}");
    }

    #[tokio::test]
    async fn remove_app_forgets_only_that_app() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(DB_FILE);
        let reg = Registry::open(path.clone()).await.expect("open");
        reg.register(id("app", "1"), info("a")).await;
        reg.register(id("app", "2"), info("b")).await;
        // Shares the first bytes of "app" but is another application.
        reg.register(id("app-2", "1"), info("c")).await;
        let mut removed = reg.remove_app("app").await;
        removed.sort_by(|a, b| a.0.exec_id.cmp(&b.0.exec_id));
        assert_eq!(removed.len(), 2);
        assert_eq!((&removed[0].0, &*removed[0].1), (&id("app", "1"), &info("a")));
        assert!(reg.get(&id("app", "1")).is_err());
        drop((reg, removed));

        let reg = Registry::open(path).await.expect("reopen");
        assert_eq!(reg.len(), 1);
        assert!(reg.get(&id("app-2", "1")).is_ok());
    }

    #[tokio::test]
    async fn corrupt_entries_are_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(DB_FILE);
        let reg = Registry::open(path.clone()).await.expect("open");
        reg.register(id("app", "1"), info("a")).await;
        drop(reg);
        {
            let db = Database::create(&path).expect("db");
            let txn = db.begin_write().expect("txn");
            {
                let mut t = txn.open_table(EXECUTORS).expect("table");
                t.insert(key_of("app", "2").as_slice(), [1u8, 2, 3].as_slice()).expect("insert");
                t.insert([0xffu8; 3].as_slice(), info("x").to_bytes().as_ref()).expect("insert");
            }
            txn.commit().expect("commit");
        }
        let reg = Registry::open(path).await.expect("reopen");
        assert_eq!(reg.len(), 1);
        assert!(reg.get(&id("app", "1")).is_ok());
    }

    #[tokio::test]
    async fn incompatible_version_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(DB_FILE);
        {
            let db = Database::create(&path).expect("db");
            let txn = db.begin_write().expect("txn");
            let v = [0u8, 0, 0, 2, 0, 0, 0, 0];
            txn.open_table(META).expect("meta").insert(VERSION_KEY, v.as_slice()).expect("insert");
            txn.commit().expect("commit");
        }
        let err = Registry::open(path).await.expect_err("refused");
        assert!(matches!(err, Error::StoreVersion { major: 2, minor: 0, .. }), "{err}");
    }

    #[tokio::test]
    async fn local_dirs_in_request_order_and_unknown_fails() {
        let reg = Registry::in_memory();
        reg.register(id("app", "1"), info("a")).await;
        reg.register(id("app", "2"), info("b")).await;
        let dirs = reg.local_dirs("app", &["2".into(), "1".into(), "2".into()]).expect("known");
        let dirs_of = |exec: &str, of: &str| ExecutorLocalDirs {
            exec_id: exec.into(),
            local_dirs: info(of).local_dirs,
        };
        assert_eq!(dirs, vec![dirs_of("2", "b"), dirs_of("1", "a")]);
        assert!(matches!(
            reg.local_dirs("app", &["1".into(), "3".into()]),
            Err(Error::UnknownExecutor { .. })
        ));
    }
}
