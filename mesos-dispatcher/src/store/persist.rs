//! From the queue to a store and back: [`Persistence::open`] reads the queue back at start,
//! [`Persistence::sync`] turns the queue's changes into store ops after every mutation.
//!
//! One writer task applies the ops in the order the mutations happened: `sync` runs under
//! the queue's lock, so the pending ops always describe the queue's latest state, one op per
//! key. A write that fails stays pending and is retried (1 s, doubling up to 30 s, or at the
//! next sync); the callers waiting for it get [`Error::NotStored`] meanwhile.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use tokio::sync::{watch, Notify};
use tracing::{error, info, warn};

use super::embedded::EmbeddedStore;
use super::record::{self, FRAMEWORK_ID, NEXT_DRIVER_NUMBER};
use super::zookeeper::ZooKeeperStore;
use super::{Key, Op, Section, Store, StoreConfig};
use crate::queue::{Changes, DriverEntry, DriverQueue, QueueConfig, RecoveredState, SubmissionId};
use crate::{Error, Result};

/// First wait before a failed write is retried; doubled after each failure.
const RETRY_FIRST: Duration = Duration::from_secs(1);
/// Longest wait between retries of a failed write.
const RETRY_MAX: Duration = Duration::from_secs(30);

/// The dispatcher's persistence: cheap to clone, shared by the REST server and the Mesos
/// loop. Without a store ([`StoreConfig::Memory`]) `sync` only discards the changes.
#[derive(Debug, Clone)]
pub struct Persistence {
    shared: Option<Arc<Shared>>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    wake: Arc<Notify>,
    progress: watch::Sender<Progress>,
    max_record_bytes: usize,
}

impl Drop for Shared {
    fn drop(&mut self) {
        // The writer holds only a weak reference: wake it so it sees it is done.
        self.wake.notify_one();
    }
}

#[derive(Debug, Default)]
struct State {
    /// Where each driver's record is (or is about to be): the section its last op put it in.
    locations: HashMap<SubmissionId, Section>,
    /// The ops not yet written, the latest per key (`None` deletes).
    pending: BTreeMap<Key, Option<Vec<u8>>>,
    /// The number of the latest sync that queued ops.
    generation: u64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Progress {
    /// Every sync up to this one is stored.
    written: u64,
    /// The latest sync whose write failed (it stays pending).
    failed: u64,
}

/// The end of one [`Persistence::sync`]: await [`Synced::stored`] to know the changes are
/// stored. Dropping it does not cancel the write.
#[derive(Debug)]
pub struct Synced {
    wait: Option<(watch::Receiver<Progress>, u64)>,
}

impl Synced {
    fn done() -> Self {
        Self { wait: None }
    }

    /// Completes once the changes are stored, or with [`Error::NotStored`] once a write of
    /// them failed (the writer keeps retrying).
    pub async fn stored(self) -> Result<()> {
        let Some((mut progress, generation)) = self.wait else {
            return Ok(());
        };
        loop {
            let p = *progress.borrow_and_update();
            if p.written >= generation {
                return Ok(());
            }
            if p.failed >= generation {
                return Err(Error::NotStored);
            }
            progress.changed().await.map_err(|_| Error::NotStored)?;
        }
    }
}

impl Persistence {
    /// Keeps nothing: `sync` discards the changes.
    pub fn memory() -> Self {
        Self { shared: None }
    }

    /// Opens the store `config` names and reads the queue back from it (a new queue with an
    /// empty store), before anything is served. Unreadable records are logged and skipped.
    pub async fn open(config: &StoreConfig, queue: QueueConfig) -> Result<(Self, DriverQueue)> {
        match config {
            StoreConfig::Memory => {
                warn!("spark.deploy.recoveryMode=NONE: the drivers are not kept across restarts");
                Ok((Self::memory(), DriverQueue::new(queue)))
            }
            StoreConfig::Embedded { dir } => {
                Self::start(EmbeddedStore::open(dir).await?, queue).await
            }
            StoreConfig::ZooKeeper { servers, dir } => {
                Self::start(ZooKeeperStore::connect(servers, dir).await?, queue).await
            }
        }
    }

    /// Reads the queue back from `store` and starts its writer.
    pub async fn start<S: Store>(store: S, config: QueueConfig) -> Result<(Self, DriverQueue)> {
        let loaded = store.load().await?;
        for e in &loaded.skipped {
            error!(error = %e, "skipping a stored record; it stays in the store");
        }
        let mut state = RecoveredState::default();
        let mut found: BTreeMap<SubmissionId, (Section, DriverEntry)> = BTreeMap::new();
        let mut stale = Vec::new();
        for (key, bytes) in loaded.records {
            let decoded = match (key.section, key.name.as_str()) {
                (Section::Scheduler, FRAMEWORK_ID) => record::decode_framework_id(&key, &bytes)
                    .map(|id| state.framework_id = Some(id)),
                (Section::Scheduler, NEXT_DRIVER_NUMBER) => {
                    record::decode_next_number(&key, &bytes).map(|n| state.next_number = n)
                }
                (Section::Scheduler, _) => Err(Error::BadRecordKey { key: key.to_string() }),
                (section, _) => record::decode_entry(&key, &bytes).map(|entry| {
                    let id = entry.submission_id().clone();
                    match found.get(&id) {
                        // A crash between a move's put and its delete leaves two copies.
                        Some((_, kept)) if kept.seq >= entry.seq => stale.push(key.clone()),
                        _ => {
                            if let Some((old, _)) = found.insert(id.clone(), (section, entry)) {
                                stale.push(Key { section: old, name: id.to_string() });
                            }
                        }
                    }
                }),
            };
            if let Err(e) = decoded {
                error!(error = %e, "skipping a stored record; it stays in the store");
            }
        }
        // Ids must stay unique even if the counter's record was lost.
        let highest = found.keys().filter_map(|id| id.as_str().rsplit('-').next()?.parse().ok());
        state.next_number = highest.fold(state.next_number, u64::max);
        let locations = found.iter().map(|(id, (section, _))| (id.clone(), *section)).collect();
        state.drivers = found.into_values().map(|(_, entry)| entry).collect();
        let mut queue = DriverQueue::restore(config, state);
        info!(
            queued = queue.queued().count(),
            launched = queue.launched_count(),
            retrying = queue.retrying().count(),
            framework_id = queue.framework_id().unwrap_or("none"),
            "restored the dispatcher's state"
        );

        let wake = Arc::new(Notify::new());
        let (progress, _) = watch::channel(Progress::default());
        let mut pending = BTreeMap::new();
        for key in stale {
            pending.insert(key, None);
        }
        let shared = Arc::new(Shared {
            state: Mutex::new(State { locations, pending, generation: 0 }),
            wake: Arc::clone(&wake),
            progress,
            max_record_bytes: store.max_record_bytes(),
        });
        tokio::spawn(write_loop(store, Arc::downgrade(&shared), Arc::clone(&wake)));
        // Stale copies found by the restore are deleted right away.
        wake.notify_one();
        let persistence = Self { shared: Some(shared) };
        // Finished drivers over `retainedDrivers` were dropped by the restore.
        drop(persistence.sync(&mut queue));
        Ok((persistence, queue))
    }

    /// **The call after every mutation of the queue**, made while the queue is still locked:
    /// takes the queue's changes and queues their ops for the writer, in mutation order.
    /// Await the returned [`Synced::stored`] after releasing the lock to reply only once
    /// the change is stored (or drop it: the write still happens).
    pub fn sync(&self, queue: &mut DriverQueue) -> Synced {
        let changes = queue.take_changes();
        let Some(shared) = &self.shared else {
            return Synced::done();
        };
        if changes.is_empty() {
            return Synced::done();
        }
        let mut state = lock(&shared.state);
        let ops = ops_for(&mut state.locations, queue, &changes, shared.max_record_bytes);
        if ops.is_empty() {
            return Synced::done();
        }
        for (key, op) in ops {
            state.pending.insert(key, op);
        }
        state.generation += 1;
        let generation = state.generation;
        drop(state);
        shared.wake.notify_one();
        Synced { wait: Some((shared.progress.subscribe(), generation)) }
    }
}

impl Persistence {
    /// Locks `queue`, runs `f` on it and [`Persistence::sync`]s, without waiting for the
    /// store: the way a loop that must not block on the store changes the queue.
    pub fn mutate<R>(
        &self,
        queue: &Mutex<DriverQueue>,
        f: impl FnOnce(&mut DriverQueue) -> R,
    ) -> R {
        let mut queue = match queue.lock() {
            Ok(queue) => queue,
            Err(poisoned) => poisoned.into_inner(),
        };
        let result = f(&mut queue);
        drop(self.sync(&mut queue));
        result
    }
}

/// The ops that bring the store to the queue's state for `changes`.
fn ops_for(
    locations: &mut HashMap<SubmissionId, Section>,
    queue: &DriverQueue,
    changes: &Changes,
    max_record_bytes: usize,
) -> Vec<(Key, Option<Vec<u8>>)> {
    let mut ops = Vec::new();
    let scheduler_key = |name| Key { section: Section::Scheduler, name: String::from(name) };
    if changes.framework_id {
        if let Some(id) = queue.framework_id() {
            ops.push((scheduler_key(FRAMEWORK_ID), Some(record::encode_framework_id(id))));
        }
    }
    if changes.next_number {
        let bytes = record::encode_next_number(queue.next_number());
        ops.push((scheduler_key(NEXT_DRIVER_NUMBER), Some(bytes)));
    }
    for id in &changes.drivers {
        let old = locations.remove(id);
        let put = queue.entry(id).and_then(|entry| match record::encode_entry(&entry) {
            Ok((key, bytes)) if bytes.len() <= max_record_bytes => Some((key, bytes)),
            Ok((key, bytes)) => {
                let (len, max) = (bytes.len(), max_record_bytes);
                error!(error = %Error::RecordTooLarge { key: key.to_string(), len, max }, "driver kept in memory only");
                None
            }
            Err(e) => {
                error!(error = %e, "driver kept in memory only");
                None
            }
        });
        let new = put.as_ref().map(|(key, _)| key.section);
        if let Some((key, bytes)) = put {
            locations.insert(id.clone(), key.section);
            ops.push((key, Some(bytes)));
        }
        if let Some(old) = old.filter(|old| Some(*old) != new) {
            ops.push((Key { section: old, name: id.to_string() }, None));
        }
    }
    ops
}

async fn write_loop<S: Store>(store: S, shared: Weak<Shared>, wake: Arc<Notify>) {
    let mut retry_in: Option<Duration> = None;
    loop {
        match retry_in {
            None => wake.notified().await,
            Some(wait) => {
                tokio::select! {
                    () = wake.notified() => {}
                    () = tokio::time::sleep(wait) => {}
                }
            }
        }
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let (pending, generation) = {
            let mut state = lock(&shared.state);
            (std::mem::take(&mut state.pending), state.generation)
        };
        if pending.is_empty() {
            continue;
        }
        // Puts before deletes: a crash in between leaves a moved driver twice (the restore
        // keeps the later copy), never nowhere.
        let (puts, deletes): (Vec<_>, Vec<_>) = pending.iter().partition(|(_, op)| op.is_some());
        let ops = puts
            .into_iter()
            .chain(deletes)
            .map(|(key, op)| match op {
                Some(bytes) => Op::Put(key.clone(), bytes.clone()),
                None => Op::Delete(key.clone()),
            })
            .collect();
        match store.apply(ops).await {
            Ok(()) => {
                retry_in = None;
                shared.progress.send_modify(|p| p.written = p.written.max(generation));
            }
            Err(e) => {
                let wait = retry_in.map_or(RETRY_FIRST, |w| (w * 2).min(RETRY_MAX));
                error!(error = %e, retry_in = ?wait, "writing the dispatcher's state failed");
                let mut state = lock(&shared.state);
                for (key, op) in pending {
                    // Newer ops for the same key, queued meanwhile, win.
                    state.pending.entry(key).or_insert(op);
                }
                drop(state);
                shared.progress.send_modify(|p| p.failed = p.failed.max(generation));
                retry_in = Some(wait);
            }
        }
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    match state.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeSet;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, UNIX_EPOCH};

    use super::super::{Loaded, MAX_RECORD_BYTES};
    use super::*;
    use crate::queue::{DriverDescription, DriverState, StatusOutcome, SubmitOutcome};

    /// A store in memory, shared by clones, that can be told to fail.
    #[derive(Debug, Clone, Default)]
    pub(crate) struct MemoryStore {
        pub(crate) records: Arc<Mutex<BTreeMap<Key, Vec<u8>>>>,
        pub(crate) failing: Arc<AtomicBool>,
    }

    impl Store for MemoryStore {
        fn max_record_bytes(&self) -> usize {
            MAX_RECORD_BYTES
        }

        async fn load(&self) -> Result<Loaded> {
            let records = self.records.lock().unwrap().clone().into_iter().collect();
            Ok(Loaded { records, skipped: Vec::new() })
        }

        async fn apply(&self, ops: Vec<Op>) -> Result<()> {
            if self.failing.load(Ordering::SeqCst) {
                return Err(Error::NotStored);
            }
            let mut records = self.records.lock().unwrap();
            for op in ops {
                match op {
                    Op::Put(key, bytes) => records.insert(key, bytes),
                    Op::Delete(key) => records.remove(&key),
                };
            }
            Ok(())
        }
    }

    fn description(q: &mut DriverQueue, supervise: bool) -> DriverDescription {
        let submitted = UNIX_EPOCH + Duration::from_secs(1_764_792_896);
        DriverDescription {
            submission_id: q.next_submission_id(submitted),
            name: "n".into(),
            app_resource: "a.jar".into(),
            main_class: "M".into(),
            app_args: vec![],
            environment: BTreeMap::new(),
            spark_properties: BTreeMap::new(),
            mem_mb: 1408,
            cores: 1.5,
            supervise,
            submitted,
        }
    }

    fn keys(store: &MemoryStore) -> BTreeSet<String> {
        store.records.lock().unwrap().keys().map(Key::to_string).collect()
    }

    fn statuses(q: &DriverQueue, ids: &[SubmissionId]) -> Vec<StatusOutcome> {
        ids.iter().map(|id| q.status(id)).collect()
    }

    #[tokio::test]
    async fn every_state_survives_a_restart() {
        let store = MemoryStore::default();
        let config = QueueConfig { retained_drivers: 2, ..QueueConfig::default() };
        let (p, mut q) = Persistence::start(store.clone(), config.clone()).await.unwrap();
        q.mark_registered();
        let mut ids = Vec::new();
        for i in 0..6 {
            let d = description(&mut q, i == 2);
            ids.push(d.submission_id.clone());
            assert!(matches!(q.submit(d), SubmitOutcome::Queued(_)));
            p.sync(&mut q).stored().await.unwrap();
        }
        q.set_framework_id("fw-7".into());
        q.mark_launched(&ids[1], ids[1].to_string(), "agent-1".into(), UNIX_EPOCH);
        q.record_status(&ids[1], "state: TASK_RUNNING".into());
        q.mark_launched(&ids[2], ids[2].to_string(), "agent-2".into(), UNIX_EPOCH);
        q.mark_retrying(&ids[2], "state: TASK_FAILED".into(), UNIX_EPOCH, 60);
        for id in &ids[3..6] {
            q.mark_launched(id, id.to_string(), "agent-3".into(), UNIX_EPOCH);
            q.mark_finished(id, Some("state: TASK_FINISHED".into()), UNIX_EPOCH);
        }
        p.sync(&mut q).stored().await.unwrap();
        assert_eq!(
            keys(&store),
            [
                "driverQueue/driver-20251203201456-0001",
                "finishedDrivers/driver-20251203201456-0005",
                "finishedDrivers/driver-20251203201456-0006",
                "launchedDrivers/driver-20251203201456-0002",
                "retryList/driver-20251203201456-0003",
                "scheduler/frameworkId",
                "scheduler/nextDriverNumber",
            ]
            .map(String::from)
            .into()
        );

        let (_, mut back) = Persistence::start(store.clone(), config).await.unwrap();
        back.mark_registered();
        assert_eq!(statuses(&back, &ids), statuses(&q, &ids));
        assert_eq!(back.framework_id(), Some("fw-7"));
        assert_eq!(back.launched_task(&ids[1]), q.launched_task(&ids[1]));
        assert_eq!(back.retrying().next(), q.retrying().next());
        assert_eq!(back.queued().next(), q.queued().next());
        let next = back.next_submission_id(UNIX_EPOCH);
        assert!(next.as_str().ends_with("-0007"), "{next}");
        assert_eq!(back.status(&ids[3]), StatusOutcome::State(DriverState::NotFound, None));
    }

    #[tokio::test]
    async fn mutate_syncs_without_waiting() {
        let store = MemoryStore::default();
        let (p, mut q) = Persistence::start(store.clone(), QueueConfig::default()).await.unwrap();
        q.mark_registered();
        let queue = Mutex::new(q);
        p.mutate(&queue, |q| q.set_framework_id("fw-1".into()));
        // A later sync that is waited for comes after it.
        let synced = {
            let mut q = queue.lock().unwrap();
            let d = description(&mut q, false);
            q.submit(d);
            p.sync(&mut q)
        };
        synced.stored().await.unwrap();
        assert!(keys(&store).contains("scheduler/frameworkId"), "{:?}", keys(&store));
    }

    #[tokio::test]
    async fn kills_remove_records_and_failed_writes_are_retried() {
        let store = MemoryStore::default();
        let (p, mut q) = Persistence::start(store.clone(), QueueConfig::default()).await.unwrap();
        q.mark_registered();
        let d = description(&mut q, false);
        let id = d.submission_id.clone();
        q.submit(d);
        p.sync(&mut q).stored().await.unwrap();
        assert!(keys(&store).contains(&format!("driverQueue/{id}")));

        store.failing.store(true, Ordering::SeqCst);
        q.kill(&id);
        assert!(matches!(p.sync(&mut q).stored().await, Err(Error::NotStored)));
        assert!(keys(&store).contains(&format!("driverQueue/{id}")));
        store.failing.store(false, Ordering::SeqCst);
        // The next sync carries the failed op too.
        let e = description(&mut q, false);
        q.submit(e);
        p.sync(&mut q).stored().await.unwrap();
        assert!(!keys(&store).contains(&format!("driverQueue/{id}")));
        assert_eq!(keys(&store).len(), 2, "{:?}", keys(&store));
    }

    #[tokio::test]
    async fn a_corrupt_record_is_skipped_and_duplicates_keep_the_later_copy() {
        let store = MemoryStore::default();
        let (p, mut q) = Persistence::start(store.clone(), QueueConfig::default()).await.unwrap();
        q.mark_registered();
        let mut ids = Vec::new();
        for _ in 0..3 {
            let d = description(&mut q, false);
            ids.push(d.submission_id.clone());
            q.submit(d);
        }
        p.sync(&mut q).stored().await.unwrap();
        let queued_copy = {
            let records = store.records.lock().unwrap();
            records[&Key::new(Section::DriverQueue, ids[2].as_str()).unwrap()].clone()
        };
        q.mark_launched(&ids[2], "t".into(), "a".into(), UNIX_EPOCH);
        p.sync(&mut q).stored().await.unwrap();
        {
            let mut records = store.records.lock().unwrap();
            records.insert(Key::new(Section::DriverQueue, ids[0].as_str()).unwrap(), b"{".to_vec());
            // As if killed between the launch's put and its delete.
            records.insert(Key::new(Section::DriverQueue, ids[2].as_str()).unwrap(), queued_copy);
        }
        let (p2, mut back) =
            Persistence::start(store.clone(), QueueConfig::default()).await.unwrap();
        back.mark_registered();
        assert_eq!(back.status(&ids[0]), StatusOutcome::State(DriverState::NotFound, None));
        assert_eq!(back.status(&ids[1]), StatusOutcome::State(DriverState::Queued, None));
        assert_eq!(back.status(&ids[2]), StatusOutcome::State(DriverState::Running, None));
        // The stale copy goes with the next write; the corrupt record stays for inspection.
        back.set_framework_id("fw".into());
        p2.sync(&mut back).stored().await.unwrap();
        let keys = keys(&store);
        assert!(!keys.contains(&format!("driverQueue/{}", ids[2])), "{keys:?}");
        assert!(keys.contains(&format!("driverQueue/{}", ids[0])), "{keys:?}");
    }
}
