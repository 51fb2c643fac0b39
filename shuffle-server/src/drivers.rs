//! Registered Mesos drivers (Spark's `MesosExternalBlockHandler.connectedApps`) and, for the
//! opt-in idle rule, when each application last made a request.
//!
//! A driver registers once per agent with `RegisterDriver(appId, heartbeatTimeoutMs)` and then
//! sends a `ShuffleServiceHeartbeat` every `spark.executor.heartbeatInterval`. An application
//! whose last heartbeat is more than its timeout ago is expired by the [`crate::cleaner`],
//! which forgets its executors and deletes their files, as Spark does.
//!
//! Unlike the JVM service, which forgets drivers on restart (so their files are never
//! cleaned), registrations are kept in the daemon's redb store, table `mesos-drivers`: key the
//! app id, value `i64 heartbeatTimeoutMs | i64 lastHeartbeatUnixMs` (big-endian). In memory
//! heartbeats are timed on the monotonic clock; the wall-clock time is only what is stored,
//! and a reloaded driver counts its age from the stored wall-clock time. Registrations are
//! written before the reply; heartbeats only in memory, and [`Drivers::flush`] (called by the
//! cleaner every interval) writes the changed heartbeat times in one transaction, so a
//! restarted daemon sees a heartbeat at most one cleaner interval older than the real one.
//!
//! Times are milliseconds on a per-[`Drivers`] monotonic clock; every operation has an `_at`
//! form taking `now` explicitly, which is what the tests drive.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use dashmap::DashMap;
use redb::{Database, ReadableTable, TableDefinition};
use tracing::{error, info, warn};

use crate::error::{Error, Result};
use crate::metrics::{gauge, REGISTERED_DRIVERS_SIZE};

/// The drivers table of the daemon's store: app id → timeout and last heartbeat.
const DRIVERS: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("mesos-drivers");

/// A registered driver as the cleaner judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Driver {
    /// The heartbeat timeout the driver asked for (`RegisterDriver.heartbeatTimeoutMs`).
    pub timeout_ms: i64,
    /// Wall-clock time of the last heartbeat (or registration), Unix milliseconds; what is
    /// persisted.
    pub last_heartbeat_unix_ms: i64,
    /// The same moment on the monotonic clock of the owning [`Drivers`]; negative for a
    /// driver reloaded with a heartbeat from before this process started.
    last_ms: i64,
    /// Heartbeat time changed since it was last written to the store.
    dirty: bool,
    /// Reloaded from the store and not heard from since: its heartbeat connection died with
    /// the previous process and Spark's client never re-registers, so requests of the
    /// app's executors count as heartbeats until the driver itself speaks again.
    reloaded: bool,
}

impl Driver {
    /// Whether the driver's last heartbeat is more than its timeout before `now_ms`
    /// (strictly, as Spark compares).
    fn expired(&self, now_ms: i64) -> bool {
        now_ms.saturating_sub(self.last_ms) > self.timeout_ms
    }
}

/// The registered drivers; a cheap-clone handle.
#[derive(Debug, Clone)]
pub struct Drivers {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Origin of the monotonic milliseconds.
    anchor: Instant,
    apps: Mutex<HashMap<String, Driver>>,
    store: Option<Store>,
    /// Orders store writes against each other and against the memory changes they mirror,
    /// so that a deleted row never belongs to a driver registered again meanwhile.
    writes: tokio::sync::Mutex<()>,
    /// Whether any driver is [`Driver::reloaded`], so executor requests skip the lock once
    /// none is.
    any_reloaded: AtomicBool,
}

#[derive(Debug)]
struct Store {
    db: Arc<Database>,
    path: PathBuf,
}

impl Store {
    /// Runs `op` on the blocking pool; failures are logged (`what` says what was lost).
    async fn write<F>(&self, what: &str, op: F)
    where
        F: FnOnce(&Database) -> Result<(), Box<redb::Error>> + Send + 'static,
    {
        let db = self.db.clone();
        let outcome = tokio::task::spawn_blocking(move || op(&db)).await;
        let outcome = match outcome {
            Ok(inner) => inner.map_err(|source| Error::Store { path: self.path.clone(), source }),
            Err(e) => Err(e.into()),
        };
        if let Err(e) = outcome {
            error!(error = %e, "could not persist {what}");
        }
    }
}

impl Default for Drivers {
    fn default() -> Self {
        Self::in_memory()
    }
}

impl Drivers {
    /// Drivers kept in memory only (the daemon runs without a store).
    pub fn in_memory() -> Self {
        Self::with(HashMap::new(), None, Instant::now())
    }

    /// Drivers persisted in the store `db` (at `path`, for messages), reloading those stored
    /// there. Blocking: call it off the runtime (or before it serves).
    pub fn open(db: Arc<Database>, path: PathBuf) -> Result<Self> {
        Self::open_at(db, path, Instant::now(), SystemTime::now())
    }

    /// [`Drivers::open`] as if the monotonic clock read `now` and the wall clock `wall`.
    pub fn open_at(
        db: Arc<Database>,
        path: PathBuf,
        now: Instant,
        wall: SystemTime,
    ) -> Result<Self> {
        let store_err = |e: redb::Error| Error::Store { path: path.clone(), source: Box::new(e) };
        let rows = load(&db).map_err(store_err)?;
        let wall_ms = unix_ms(wall);
        let apps: HashMap<String, Driver> = rows
            .into_iter()
            .map(|(app_id, timeout_ms, last_heartbeat_unix_ms)| {
                // A wall clock that went backwards makes the heartbeat "now", never a
                // future that would postpone expiry.
                let age = wall_ms.saturating_sub(last_heartbeat_unix_ms).max(0);
                let last_ms = 0i64.saturating_sub(age);
                let driver = Driver {
                    timeout_ms,
                    last_heartbeat_unix_ms,
                    last_ms,
                    dirty: false,
                    reloaded: true,
                };
                (app_id, driver)
            })
            .collect();
        info!(path = %path.display(), drivers = apps.len(), "registered drivers reloaded");
        Ok(Self::with(apps, Some(Store { db, path }), now))
    }

    fn with(apps: HashMap<String, Driver>, store: Option<Store>, anchor: Instant) -> Self {
        let any_reloaded = AtomicBool::new(apps.values().any(|d| d.reloaded));
        let drivers = Self {
            inner: Arc::new(Inner {
                anchor,
                apps: Mutex::new(apps),
                store,
                writes: tokio::sync::Mutex::new(()),
                any_reloaded,
            }),
        };
        drivers.update_gauge(&drivers.lock());
        drivers
    }

    /// Registers (or re-registers) the driver of `app_id`, its heartbeat clock starting now;
    /// when this returns the registration is in the store. Returns whether the app was
    /// already registered (Spark then only logs a warning and resets the timer).
    pub async fn register(&self, app_id: &str, timeout_ms: i64) -> bool {
        let _writing = self.inner.writes.lock().await;
        let (was_registered, driver) =
            self.register_at(app_id, timeout_ms, Instant::now(), SystemTime::now());
        if let Some(store) = &self.inner.store {
            let (key, value) = (app_id.to_owned(), encode(&driver));
            store
                .write("driver registration", move |db| {
                    put_rows(db, &[(key, value)]).map_err(Box::new)
                })
                .await;
        }
        was_registered
    }

    /// The in-memory part of [`Drivers::register`], at monotonic `now` and wall clock `wall`.
    /// Returns whether the app was already registered, and the new state.
    pub fn register_at(
        &self,
        app_id: &str,
        timeout_ms: i64,
        now: Instant,
        wall: SystemTime,
    ) -> (bool, Driver) {
        let driver = Driver {
            timeout_ms,
            last_heartbeat_unix_ms: unix_ms(wall),
            last_ms: self.ms(now),
            dirty: false,
            reloaded: false,
        };
        let mut apps = self.lock();
        let was_registered = apps.insert(app_id.to_owned(), driver).is_some();
        self.update_gauge(&apps);
        (was_registered, driver)
    }

    /// Records a heartbeat of `app_id`; false if no such driver is registered.
    pub fn heartbeat(&self, app_id: &str) -> bool {
        self.heartbeat_at(app_id, Instant::now(), SystemTime::now())
    }

    /// Notes a request of one of `app_id`'s executors: a heartbeat for a driver reloaded
    /// after a restart (see [`Driver::reloaded`]), nothing for any other.
    pub fn executor_activity(&self, app_id: &str) {
        if !self.inner.any_reloaded.load(Ordering::Relaxed) {
            return;
        }
        let reloaded = self.lock().get(app_id).is_some_and(|d| d.reloaded);
        if reloaded {
            self.touch(app_id, Instant::now(), SystemTime::now(), false);
        }
    }

    /// [`Drivers::heartbeat`] at monotonic `now` and wall clock `wall`.
    pub fn heartbeat_at(&self, app_id: &str, now: Instant, wall: SystemTime) -> bool {
        self.touch(app_id, now, wall, true)
    }

    fn touch(&self, app_id: &str, now: Instant, wall: SystemTime, by_driver: bool) -> bool {
        let now_ms = self.ms(now);
        let mut apps = self.lock();
        let Some(driver) = apps.get_mut(app_id) else { return false };
        driver.reloaded &= !by_driver;
        // Heartbeats handled out of order never move the clock back.
        if now_ms >= driver.last_ms {
            driver.last_ms = now_ms;
            driver.last_heartbeat_unix_ms = unix_ms(wall);
            driver.dirty = true;
        }
        true
    }

    /// Removes every driver whose last heartbeat is more than its timeout before `now`, in
    /// memory and in the store, and returns their app ids (sorted).
    pub async fn expire(&self, now: Instant) -> Vec<String> {
        let _writing = self.inner.writes.lock().await;
        let expired = self.expire_at(now);
        if let (Some(store), false) = (&self.inner.store, expired.is_empty()) {
            // A driver may have registered again since expire_at: keep its row.
            let gone: Vec<String> = {
                let apps = self.lock();
                expired.iter().filter(|app| !apps.contains_key(*app)).cloned().collect()
            };
            store.write("driver removal", move |db| delete_rows(db, &gone).map_err(Box::new)).await;
        }
        expired
    }

    /// The in-memory part of [`Drivers::expire`].
    pub fn expire_at(&self, now: Instant) -> Vec<String> {
        let now_ms = self.ms(now);
        let mut apps = self.lock();
        let mut expired: Vec<String> =
            apps.iter().filter(|(_, d)| d.expired(now_ms)).map(|(app, _)| app.clone()).collect();
        for app in &expired {
            apps.remove(app);
        }
        self.update_gauge(&apps);
        expired.sort();
        expired
    }

    /// Writes the heartbeat times that changed since the last flush to the store, in one
    /// transaction. Without a store, does nothing.
    pub async fn flush(&self) {
        let Some(store) = &self.inner.store else { return };
        let _writing = self.inner.writes.lock().await;
        let rows: Vec<(String, [u8; 16])> = {
            let mut apps = self.lock();
            apps.iter_mut()
                .filter(|(_, d)| d.dirty)
                .map(|(app, d)| {
                    d.dirty = false;
                    (app.clone(), encode(d))
                })
                .collect()
        };
        if !rows.is_empty() {
            store
                .write("driver heartbeat times", move |db| put_rows(db, &rows).map_err(Box::new))
                .await;
        }
    }

    /// The registered driver of `app_id`, if any.
    pub fn get(&self, app_id: &str) -> Option<Driver> {
        self.lock().get(app_id).copied()
    }

    /// Whether a driver is registered for `app_id`.
    pub fn contains(&self, app_id: &str) -> bool {
        self.lock().contains_key(app_id)
    }

    /// How long before `now` the last heartbeat of `app_id` was, if it is registered.
    pub fn since_heartbeat(&self, app_id: &str, now: Instant) -> Option<Duration> {
        let now_ms = self.ms(now);
        let last = self.lock().get(app_id)?.last_ms;
        Some(Duration::from_millis(now_ms.saturating_sub(last).max(0) as u64))
    }

    /// Number of registered drivers.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no driver is registered.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn ms(&self, now: Instant) -> i64 {
        i64::try_from(now.saturating_duration_since(self.inner.anchor).as_millis())
            .unwrap_or(i64::MAX)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Driver>> {
        // Critical sections cannot panic half-way, so a poisoned map is still consistent.
        self.inner.apps.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn update_gauge(&self, apps: &HashMap<String, Driver>) {
        gauge!(REGISTERED_DRIVERS_SIZE).set(apps.len() as f64);
    }
}

fn unix_ms(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(before) => 0i64.saturating_sub_unsigned(before.duration().as_millis() as u64),
    }
}

fn encode(d: &Driver) -> [u8; 16] {
    let mut v = [0u8; 16];
    v[..8].copy_from_slice(&d.timeout_ms.to_be_bytes());
    v[8..].copy_from_slice(&d.last_heartbeat_unix_ms.to_be_bytes());
    v
}

// redb's error is large, but it only travels from these helpers to a log line or into a
// boxed `Error::Store`.
#[allow(clippy::result_large_err)]
fn put_rows(db: &Database, rows: &[(String, [u8; 16])]) -> Result<(), redb::Error> {
    let txn = db.begin_write()?;
    {
        let mut table = txn.open_table(DRIVERS)?;
        for (app, value) in rows {
            table.insert(app.as_str(), value.as_slice())?;
        }
    }
    txn.commit()?;
    Ok(())
}

#[allow(clippy::result_large_err)]
fn delete_rows(db: &Database, apps: &[String]) -> Result<(), redb::Error> {
    let txn = db.begin_write()?;
    {
        let mut table = txn.open_table(DRIVERS)?;
        for app in apps {
            table.remove(app.as_str())?;
        }
    }
    txn.commit()?;
    Ok(())
}

/// Every stored driver as (app id, timeout ms, last heartbeat Unix ms); creates the table in
/// a store that has none. Rows that do not decode are logged and skipped.
#[allow(clippy::result_large_err)]
fn load(db: &Database) -> Result<Vec<(String, i64, i64)>, redb::Error> {
    let txn = db.begin_write()?;
    txn.open_table(DRIVERS)?;
    txn.commit()?;
    let read = db.begin_read()?;
    let table = read.open_table(DRIVERS)?;
    let mut rows = Vec::new();
    for entry in table.iter()? {
        let (key, value) = entry?;
        let (app, value) = (key.value().to_owned(), value.value());
        match <[u8; 16]>::try_from(value) {
            Ok(v) => {
                let word = |at: usize| {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(&v[at..at + 8]);
                    i64::from_be_bytes(b)
                };
                rows.push((app, word(0), word(8)));
            }
            Err(_) => warn!(app_id = %app, len = value.len(), "skipping corrupt driver entry"),
        }
    }
    Ok(rows)
}

/// When each application last made a request naming it, for the opt-in idle rule
/// (`spark.shuffle.service.rs.appIdleTimeout`). Does nothing when the rule is off; cheap to
/// clone.
#[derive(Debug, Clone)]
pub struct Activity {
    inner: Option<Arc<ActivityInner>>,
}

#[derive(Debug)]
struct ActivityInner {
    anchor: Instant,
    last_ms: DashMap<String, AtomicI64>,
}

impl Activity {
    /// Tracking that is on only if `enabled`.
    pub fn new(enabled: bool) -> Self {
        let inner = enabled
            .then(|| Arc::new(ActivityInner { anchor: Instant::now(), last_ms: DashMap::new() }));
        Self { inner }
    }

    /// Whether requests are being tracked.
    pub fn is_enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// Notes a request of `app_id` now.
    pub fn touch(&self, app_id: &str) {
        if self.inner.is_some() {
            self.touch_at(app_id, Instant::now());
        }
    }

    /// Notes a request of `app_id` at `now`.
    pub fn touch_at(&self, app_id: &str, now: Instant) {
        let Some(inner) = &self.inner else { return };
        let ms = inner.ms(now);
        // The common case (a known app) takes only a shard read lock.
        if let Some(last) = inner.last_ms.get(app_id) {
            last.fetch_max(ms, Ordering::Relaxed);
            return;
        }
        inner.last_ms.entry(app_id.to_owned()).or_insert_with(|| AtomicI64::new(ms));
    }

    /// How long before `now` `app_id` last made a request. An app never seen starts being
    /// timed now (so an application reloaded after a restart gets the whole idle timeout).
    pub fn idle_for(&self, app_id: &str, now: Instant) -> Duration {
        let Some(inner) = &self.inner else { return Duration::ZERO };
        let now_ms = inner.ms(now);
        let last = match inner.last_ms.get(app_id) {
            Some(last) => last.load(Ordering::Relaxed),
            None => {
                inner.last_ms.entry(app_id.to_owned()).or_insert_with(|| AtomicI64::new(now_ms));
                now_ms
            }
        };
        Duration::from_millis(now_ms.saturating_sub(last).max(0) as u64)
    }

    /// Forgets `app_id` (it was removed).
    pub fn forget(&self, app_id: &str) {
        if let Some(inner) = &self.inner {
            inner.last_ms.remove(app_id);
        }
    }

    /// Keeps only the apps `keep` accepts, so requests naming unknown apps cannot grow the
    /// map without bound.
    pub fn retain(&self, mut keep: impl FnMut(&str) -> bool) {
        if let Some(inner) = &self.inner {
            inner.last_ms.retain(|app, _| keep(app));
        }
    }

    /// Number of applications tracked.
    pub fn len(&self) -> usize {
        self.inner.as_ref().map_or(0, |i| i.last_ms.len())
    }

    /// Whether no application is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ActivityInner {
    fn ms(&self, now: Instant) -> i64 {
        i64::try_from(now.saturating_duration_since(self.anchor).as_millis()).unwrap_or(i64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn open(path: &std::path::Path, now: Instant, wall: SystemTime) -> Drivers {
        let db = Arc::new(Database::create(path).expect("db"));
        Drivers::open_at(db, path.to_owned(), now, wall).expect("open")
    }

    #[test]
    fn expires_strictly_after_the_timeout() {
        let d = Drivers::in_memory();
        let t0 = Instant::now();
        let wall = SystemTime::now();
        assert!(!d.register_at("a", 3000, t0, wall).0);
        d.register_at("b", 10_000, t0, wall);
        assert!(d.expire_at(t0 + 3000 * MS).is_empty(), "exactly the timeout is not over it");
        assert_eq!(d.expire_at(t0 + 3001 * MS), vec!["a".to_owned()]);
        assert!(!d.contains("a") && d.contains("b"));
        assert!(!d.heartbeat_at("a", t0 + 3002 * MS, wall), "expired app is unknown");
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn a_late_heartbeat_within_the_timeout_keeps_the_app() {
        let d = Drivers::in_memory();
        let t0 = Instant::now();
        let wall = SystemTime::now();
        d.register_at("app", 3000, t0, wall);
        // Heartbeats are due every 500 ms; this one comes 2.9 s late but inside the timeout.
        assert!(d.heartbeat_at("app", t0 + 2900 * MS, wall));
        assert!(d.expire_at(t0 + 5900 * MS).is_empty());
        assert_eq!(d.since_heartbeat("app", t0 + 5900 * MS), Some(3000 * MS));
        // An older heartbeat handled late never moves the clock back.
        assert!(d.heartbeat_at("app", t0 + 100 * MS, wall));
        assert!(d.expire_at(t0 + 5900 * MS).is_empty());
        assert_eq!(d.expire_at(t0 + 5901 * MS), vec!["app".to_owned()]);
    }

    #[test]
    fn reregistration_resets_the_timer_and_takes_the_new_timeout() {
        let d = Drivers::in_memory();
        let t0 = Instant::now();
        let wall = SystemTime::now();
        d.register_at("app", 1000, t0, wall);
        let (again, driver) = d.register_at("app", 5000, t0 + 900 * MS, wall);
        assert!(again);
        assert_eq!(driver.timeout_ms, 5000);
        assert!(d.expire_at(t0 + 5900 * MS).is_empty());
        assert_eq!(d.expire_at(t0 + 5901 * MS), vec!["app".to_owned()]);
    }

    #[test]
    fn negative_timeout_expires_at_the_next_check() {
        let d = Drivers::in_memory();
        let t0 = Instant::now();
        d.register_at("app", -1, t0, SystemTime::now());
        assert_eq!(d.expire_at(t0), vec!["app".to_owned()]);
    }

    #[tokio::test]
    async fn registrations_and_heartbeat_times_survive_a_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.redb");
        let wall0 = SystemTime::now();
        let d = open(&path, Instant::now(), wall0);
        assert!(d.is_empty());
        assert!(!d.register("app-1", 3000).await);
        assert!(!d.register("app-2", 60_000).await);
        assert!(d.register("app-2", 60_000).await, "second registration is reported");
        let stored = d.get("app-1").expect("registered").last_heartbeat_unix_ms;
        // A heartbeat is only in memory until flushed.
        assert!(d.heartbeat_at("app-2", Instant::now(), wall0 + Duration::from_secs(10)));
        d.flush().await;
        assert_eq!(d.expire(Instant::now() + Duration::from_secs(4)).await, vec!["app-1"]);
        drop(d);

        // Reopened 2 s (wall clock) after app-2's stored heartbeat.
        let wall_later = wall0 + Duration::from_secs(12);
        let t1 = Instant::now();
        let d = open(&path, t1, wall_later);
        assert_eq!(d.len(), 1, "the expired driver's row was deleted");
        let driver = d.get("app-2").expect("reloaded");
        assert_eq!(driver.timeout_ms, 60_000);
        assert_eq!(driver.last_heartbeat_unix_ms, unix_ms(wall0 + Duration::from_secs(10)));
        assert_eq!(d.since_heartbeat("app-2", t1), Some(Duration::from_secs(2)));
        assert!(d.expire_at(t1 + Duration::from_secs(58)).is_empty());
        assert_eq!(d.expire_at(t1 + Duration::from_secs(58) + MS), vec!["app-2".to_owned()]);
        assert!(stored > 0);
    }

    #[tokio::test]
    async fn executor_requests_keep_only_a_reloaded_driver_alive() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.redb");
        let d = open(&path, Instant::now(), SystemTime::now());
        d.register("reloaded", 3000).await;
        drop(d);
        let d = open(&path, Instant::now(), SystemTime::now());
        d.register("live", 3000).await;
        let before = d.get("reloaded").expect("reloaded").last_heartbeat_unix_ms;
        std::thread::sleep(Duration::from_millis(5));
        d.executor_activity("reloaded");
        d.executor_activity("live");
        assert!(d.get("reloaded").expect("reloaded").last_heartbeat_unix_ms > before);
        assert!(!d.get("live").expect("live").dirty, "a live driver heartbeats for itself");
        // Once the driver itself speaks, its executors no longer stand in for it.
        assert!(d.heartbeat("reloaded"));
        let after = d.get("reloaded").expect("reloaded").last_heartbeat_unix_ms;
        std::thread::sleep(Duration::from_millis(5));
        d.executor_activity("reloaded");
        assert_eq!(d.get("reloaded").expect("reloaded").last_heartbeat_unix_ms, after);
    }

    #[tokio::test]
    async fn reload_counts_age_from_stored_wall_time_and_ignores_clock_going_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.redb");
        let d = open(&path, Instant::now(), SystemTime::now());
        d.register("app", 3000).await;
        let stored = d.get("app").expect("registered").last_heartbeat_unix_ms;
        drop(d);
        let at = |ms: i64| UNIX_EPOCH + Duration::from_millis(ms as u64);

        // Down for longer than the timeout: expired at the first check.
        let t = Instant::now();
        let d = open(&path, t, at(stored + 3500));
        assert_eq!(d.expire_at(t), vec!["app".to_owned()]);
        drop(d);

        // The wall clock is now before the stored heartbeat: counted as a heartbeat now.
        let t = Instant::now();
        let d = open(&path, t, at(stored - 60_000));
        assert!(d.expire_at(t + 3000 * MS).is_empty());
        assert_eq!(d.expire_at(t + 3001 * MS), vec!["app".to_owned()]);
    }

    #[tokio::test]
    async fn corrupt_rows_are_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.redb");
        {
            let db = Database::create(&path).expect("db");
            let txn = db.begin_write().expect("txn");
            {
                let mut t = txn.open_table(DRIVERS).expect("table");
                t.insert("bad", [1u8, 2, 3].as_slice()).expect("insert");
                let good = encode(&Driver {
                    timeout_ms: 5,
                    last_heartbeat_unix_ms: 7,
                    last_ms: 0,
                    dirty: false,
                    reloaded: false,
                });
                t.insert("good", good.as_slice()).expect("insert");
            }
            txn.commit().expect("commit");
        }
        let d = open(&path, Instant::now(), SystemTime::now());
        assert_eq!(d.len(), 1);
        assert_eq!(d.get("good").map(|g| (g.timeout_ms, g.last_heartbeat_unix_ms)), Some((5, 7)));
    }

    #[test]
    fn activity_is_timed_per_app_and_off_by_default() {
        let off = Activity::new(false);
        off.touch("app");
        assert!(off.is_empty() && !off.is_enabled());

        let a = Activity::new(true);
        let t0 = Instant::now();
        a.touch_at("app", t0);
        a.touch_at("app", t0 + 1000 * MS);
        a.touch_at("app", t0 + 500 * MS);
        assert_eq!(a.idle_for("app", t0 + 1500 * MS), 500 * MS);
        assert_eq!(a.idle_for("new", t0 + 9000 * MS), Duration::ZERO, "first seen now");
        assert_eq!(a.idle_for("new", t0 + 9500 * MS), 500 * MS);
        a.retain(|app| app != "new");
        a.forget("app");
        assert!(a.is_empty());
    }
}
