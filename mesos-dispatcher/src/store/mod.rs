//! The dispatcher's state across restarts: the queued, launched, retrying and finished
//! drivers, the submission counter and the framework id.
//!
//! ```text
//! DriverQueue ──take_changes──▶ persist::Persistence::sync ──ops──▶ one writer task ──▶ Store
//!      ▲                                                                               │
//!      └──────────── DriverQueue::restore ◀── record::decode ◀──── Store::load ◀───────┘
//! ```
//!
//! Records follow Spark's ZooKeeper layout, `<section>/<name>`: `scheduler/frameworkId`,
//! `driverQueue/<submission>`, `launchedDrivers/<submission>`, `retryList/<submission>`;
//! ours add `scheduler/nextDriverNumber` and `finishedDrivers/<submission>`. A record is our
//! JSON (`record`), not Spark's Java serialization. Backends: [`embedded`] (a redb file, the
//! default) and [`zookeeper`].

pub mod embedded;
pub mod persist;
pub mod record;
pub mod zookeeper;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::path::PathBuf;

pub use persist::{Persistence, Synced};

use crate::{Error, Result};

/// Largest record read or written: a driver is at most a 1 MiB create body, plus its last
/// task status.
pub const MAX_RECORD_BYTES: usize = 4 << 20;
/// Most records read back per section; the rest stay stored and unread, with an error logged.
pub const MAX_RECORDS_PER_SECTION: usize = 100_000;
/// Longest record name (a submission id): ZooKeeper and file systems take it whole.
pub const MAX_NAME_BYTES: usize = 255;

/// `spark.deploy.recoveryMode`: `ZOOKEEPER` stores in ZooKeeper, `NONE` keeps nothing
/// (Spark's default); unset means our embedded store.
pub const RECOVERY_MODE: &str = "spark.deploy.recoveryMode";
/// `spark.deploy.zookeeper.url`: the ensemble, `host:port,host:port[/chroot]`.
pub const ZOOKEEPER_URL: &str = "spark.deploy.zookeeper.url";
/// `spark.deploy.zookeeper.dir`: the node under which the sections live.
pub const ZOOKEEPER_DIR: &str = "spark.deploy.zookeeper.dir";
/// Spark's default of [`ZOOKEEPER_DIR`] for the dispatcher.
pub const DEFAULT_ZOOKEEPER_DIR: &str = "/spark_mesos_dispatcher";
/// `spark.mesos.dispatcher.rs.stateDir` (ours): the embedded store's directory.
pub const STATE_DIR: &str = "spark.mesos.dispatcher.rs.stateDir";

/// A part of the store, named as Spark names its ZooKeeper nodes where Spark has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    /// `scheduler`: the framework id and the submission counter.
    Scheduler,
    /// `driverQueue`: drivers waiting for an offer.
    DriverQueue,
    /// `launchedDrivers`: drivers with a task.
    LaunchedDrivers,
    /// `retryList`: supervised drivers waiting for a relaunch.
    RetryList,
    /// `finishedDrivers` (ours; Spark forgets finished drivers on failover).
    FinishedDrivers,
}

impl Section {
    /// Every section.
    pub const ALL: [Self; 5] = [
        Self::Scheduler,
        Self::DriverQueue,
        Self::LaunchedDrivers,
        Self::RetryList,
        Self::FinishedDrivers,
    ];

    /// The node or key prefix.
    pub fn name(self) -> &'static str {
        match self {
            Self::Scheduler => "scheduler",
            Self::DriverQueue => "driverQueue",
            Self::LaunchedDrivers => "launchedDrivers",
            Self::RetryList => "retryList",
            Self::FinishedDrivers => "finishedDrivers",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// A record's address: its section and its name in it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    /// The section.
    pub section: Section,
    /// The name: a submission id, or a scheduler field.
    pub name: String,
}

impl Key {
    /// A key, if `name` is one a store can hold: 1 to 255 ASCII letters, digits, `-`, `_`
    /// and `.`, not `.` or `..` (submission ids always are).
    pub fn new(section: Section, name: &str) -> Result<Self> {
        let ok = !name.is_empty()
            && name.len() <= MAX_NAME_BYTES
            && name != "."
            && name != ".."
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !ok {
            return Err(Error::BadRecordKey { key: format!("{}/{name}", section.name()) });
        }
        Ok(Self { section, name: name.to_owned() })
    }

    /// Parses `<section>/<name>`.
    pub fn parse(key: &str) -> Result<Self> {
        let bad = || Error::BadRecordKey { key: key.to_owned() };
        let (section, name) = key.split_once('/').ok_or_else(bad)?;
        let section = Section::from_name(section).ok_or_else(bad)?;
        Self::new(section, name)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.section.name(), self.name)
    }
}

/// One change to a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Creates or replaces a record.
    Put(Key, Vec<u8>),
    /// Removes a record; removing a missing one is no error.
    Delete(Key),
}

/// What a store read back: the records, and what it skipped (each already a clear error).
#[derive(Debug, Default)]
pub struct Loaded {
    /// Records by key.
    pub records: Vec<(Key, Vec<u8>)>,
    /// Records that could not be read, and sections with more than
    /// [`MAX_RECORDS_PER_SECTION`] records. The records stay stored.
    pub skipped: Vec<Error>,
}

/// A place that keeps records across restarts.
pub trait Store: Send + Sync + 'static {
    /// Largest record it takes.
    fn max_record_bytes(&self) -> usize;

    /// Every record, bounded in size and count.
    fn load(&self) -> impl Future<Output = Result<Loaded>> + Send;

    /// Applies `ops` in order. On an error some may have been applied: every op is
    /// idempotent, so the writer applies them all again.
    fn apply(&self, ops: Vec<Op>) -> impl Future<Output = Result<()>> + Send;
}

/// Where the dispatcher keeps its state, chosen by its conf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// The embedded store in this directory.
    Embedded {
        /// [`STATE_DIR`].
        dir: PathBuf,
    },
    /// ZooKeeper.
    ZooKeeper {
        /// The ensemble, without its chroot.
        servers: String,
        /// The parent node of the sections, chroot included.
        dir: String,
    },
    /// Nothing is kept (`spark.deploy.recoveryMode=NONE`).
    Memory,
}

impl StoreConfig {
    /// Reads the recovery keys. `env` looks up environment variables (for the default
    /// state directory).
    pub fn from_conf(
        conf: &BTreeMap<String, String>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        // Spark upper-cases the mode before it looks at it.
        let mode = conf.get(RECOVERY_MODE).map(|m| m.trim().to_ascii_uppercase());
        match mode.as_deref() {
            None => {
                let dir = match conf.get(STATE_DIR).map(|d| d.trim()) {
                    Some("") => {
                        return Err(Error::BadConfValue {
                            key: STATE_DIR.into(),
                            expected: "a directory",
                            value: String::new(),
                        })
                    }
                    Some(dir) => PathBuf::from(dir),
                    None => default_state_dir(env),
                };
                Ok(Self::Embedded { dir })
            }
            Some("NONE") => Ok(Self::Memory),
            Some("ZOOKEEPER") => {
                let url = conf.get(ZOOKEEPER_URL).map(|u| u.trim()).unwrap_or_default();
                if url.is_empty() {
                    return Err(Error::MissingZooKeeperUrl);
                }
                let (servers, chroot) = match url.find('/') {
                    Some(at) => (&url[..at], url[at..].trim_end_matches('/')),
                    None => (url, ""),
                };
                let dir = conf.get(ZOOKEEPER_DIR).map_or(DEFAULT_ZOOKEEPER_DIR, |d| d.trim());
                let dir = format!("{chroot}/{}", dir.trim_matches('/'));
                let valid = dir.len() > 1
                    && dir
                        .split('/')
                        .skip(1)
                        .all(|part| !part.is_empty() && part != "." && part != "..");
                if !valid {
                    return Err(Error::BadConfValue {
                        key: ZOOKEEPER_DIR.into(),
                        expected: "a ZooKeeper path such as /spark_mesos_dispatcher",
                        value: dir,
                    });
                }
                Ok(Self::ZooKeeper { servers: servers.to_owned(), dir })
            }
            Some(_) => Err(Error::BadConfValue {
                key: RECOVERY_MODE.into(),
                expected: "ZOOKEEPER or NONE (unset: the embedded store)",
                value: conf.get(RECOVERY_MODE).cloned().unwrap_or_default(),
            }),
        }
    }
}

/// The embedded store's directory when nothing says otherwise, following the XDG
/// base-directory rules as the shuffle service does.
fn default_state_dir(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    let absolute = |var| env(var).map(PathBuf::from).filter(|p| p.is_absolute());
    absolute("XDG_STATE_HOME")
        .or_else(|| absolute("HOME").map(|home| home.join(".local").join("state")))
        .map_or_else(
            || PathBuf::from("spark-mesos-dispatcher-state"),
            |base| base.join("spark-mesos-dispatcher"),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn recovery_mode_picks_the_store() {
        let home = |k: &str| (k == "HOME").then(|| "/home/u".to_owned());
        assert_eq!(
            StoreConfig::from_conf(&conf(&[]), &home).unwrap(),
            StoreConfig::Embedded { dir: "/home/u/.local/state/spark-mesos-dispatcher".into() }
        );
        assert_eq!(
            StoreConfig::from_conf(&conf(&[(STATE_DIR, "/var/lib/d")]), &home).unwrap(),
            StoreConfig::Embedded { dir: "/var/lib/d".into() }
        );
        assert_eq!(
            StoreConfig::from_conf(&conf(&[(RECOVERY_MODE, "NONE")]), &home).unwrap(),
            StoreConfig::Memory
        );
        let zk = conf(&[(RECOVERY_MODE, "zookeeper"), (ZOOKEEPER_URL, "a:2181,b:2181")]);
        assert_eq!(
            StoreConfig::from_conf(&zk, &home).unwrap(),
            StoreConfig::ZooKeeper {
                servers: "a:2181,b:2181".into(),
                dir: "/spark_mesos_dispatcher".into()
            }
        );
        let chroot = conf(&[
            (RECOVERY_MODE, "ZOOKEEPER"),
            (ZOOKEEPER_URL, "a:2181/mesos/"),
            (ZOOKEEPER_DIR, "/d/x/"),
        ]);
        assert_eq!(
            StoreConfig::from_conf(&chroot, &home).unwrap(),
            StoreConfig::ZooKeeper { servers: "a:2181".into(), dir: "/mesos/d/x".into() }
        );
    }

    #[test]
    fn bad_recovery_settings_are_refused() {
        let none = |_: &str| None;
        for c in [
            conf(&[(RECOVERY_MODE, "ZOOKEEPER")]),
            conf(&[(RECOVERY_MODE, "FILESYSTEM")]),
            conf(&[(RECOVERY_MODE, "ZOOKEEPER"), (ZOOKEEPER_URL, "a:1"), (ZOOKEEPER_DIR, "/")]),
            conf(&[(RECOVERY_MODE, "ZOOKEEPER"), (ZOOKEEPER_URL, "a:1"), (ZOOKEEPER_DIR, "a//b")]),
            conf(&[(STATE_DIR, " ")]),
        ] {
            assert!(StoreConfig::from_conf(&c, &none).is_err(), "{c:?}");
        }
    }

    #[test]
    fn keys_hold_submission_ids_only() {
        let key = Key::new(Section::DriverQueue, "driver-20251203201456-0001").unwrap();
        assert_eq!(key.to_string(), "driverQueue/driver-20251203201456-0001");
        assert_eq!(Key::parse(&key.to_string()).unwrap(), key);
        for bad in ["", ".", "..", "a/b", "a b", "x\0", &"a".repeat(256)] {
            assert!(Key::new(Section::RetryList, bad).is_err(), "{bad:?}");
        }
        for bad in ["nosection", "other/x", "driverQueue/"] {
            assert!(Key::parse(bad).is_err(), "{bad:?}");
        }
    }
}
