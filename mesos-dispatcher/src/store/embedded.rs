//! The default store: one redb file, `<stateDir>/dispatcher.redb`, a table keyed
//! `<section>/<name>` as ZooKeeper paths are.
//!
//! redb commits each batch of ops as one fsynced transaction, so a kill -9 leaves either the
//! whole batch or none of it (a move between sections is never half done), and it locks the
//! file, so a second dispatcher on the same directory fails to start instead of mixing its
//! state in. Its I/O blocks, so it runs on tokio's blocking pool.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use redb::{Database, ReadableTable, TableDefinition};

use super::{Key, Loaded, Op, Section, Store, MAX_RECORDS_PER_SECTION, MAX_RECORD_BYTES};
use crate::{Error, Result};

/// The store's file in the state directory.
pub const FILE_NAME: &str = "dispatcher.redb";

const RECORDS: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("records");

/// The embedded store.
#[derive(Debug, Clone)]
pub struct EmbeddedStore {
    db: Arc<Database>,
    path: PathBuf,
}

impl EmbeddedStore {
    /// Opens (or creates) the store in `dir`, creating the directory if needed.
    pub async fn open(dir: &Path) -> Result<Self> {
        let dir = dir.to_path_buf();
        let path = dir.join(FILE_NAME);
        let opened = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || open(&dir, &path)).await
        };
        opened
            .map_err(|e| Error::StateDir { path: path.clone(), source: std::io::Error::other(e) })?
    }

    /// The store's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn blocking<T: Send + 'static>(
        &self,
        op: impl FnOnce(&Database) -> Result<T, Box<redb::Error>> + Send + 'static,
    ) -> Result<T> {
        let db = Arc::clone(&self.db);
        let store_err = |source| Error::EmbeddedStore { path: self.path.clone(), source };
        match tokio::task::spawn_blocking(move || op(&db)).await {
            Ok(result) => result.map_err(store_err),
            Err(e) => {
                Err(Error::StateDir { path: self.path.clone(), source: std::io::Error::other(e) })
            }
        }
    }
}

fn open(dir: &Path, path: &Path) -> Result<EmbeddedStore> {
    std::fs::create_dir_all(dir)
        .map_err(|source| Error::StateDir { path: dir.to_path_buf(), source })?;
    let store_err =
        |e: redb::Error| Error::EmbeddedStore { path: path.to_path_buf(), source: Box::new(e) };
    let db = Database::create(path).map_err(|e| store_err(e.into()))?;
    create_table(&db).map_err(store_err)?;
    Ok(EmbeddedStore { db: Arc::new(db), path: path.to_path_buf() })
}

// redb's error is large, but it only travels from these helpers into a boxed
// `Error::EmbeddedStore`.
#[allow(clippy::result_large_err)]
fn create_table(db: &Database) -> Result<(), redb::Error> {
    let txn = db.begin_write()?;
    txn.open_table(RECORDS)?;
    txn.commit()?;
    Ok(())
}

#[allow(clippy::result_large_err)]
fn apply(db: &Database, ops: &[Op]) -> Result<(), redb::Error> {
    let txn = db.begin_write()?;
    {
        let mut table = txn.open_table(RECORDS)?;
        for op in ops {
            match op {
                Op::Put(key, bytes) => {
                    table.insert(key.to_string().as_str(), bytes.as_slice())?;
                }
                Op::Delete(key) => {
                    table.remove(key.to_string().as_str())?;
                }
            }
        }
    }
    txn.commit()?;
    Ok(())
}

#[allow(clippy::result_large_err)]
fn load(db: &Database) -> Result<Loaded, redb::Error> {
    let read = db.begin_read()?;
    let table = read.open_table(RECORDS)?;
    let mut loaded = Loaded::default();
    let mut counts = [0usize; Section::ALL.len()];
    for entry in table.iter()? {
        let (key, value) = entry?;
        let key = match Key::parse(key.value()) {
            Ok(key) => key,
            Err(e) => {
                loaded.skipped.push(e);
                continue;
            }
        };
        let count = &mut counts[key.section as usize];
        *count += 1;
        if *count > MAX_RECORDS_PER_SECTION {
            continue;
        }
        let value = value.value();
        if value.len() > MAX_RECORD_BYTES {
            let (len, max) = (value.len(), MAX_RECORD_BYTES);
            loaded.skipped.push(Error::RecordTooLarge { key: key.to_string(), len, max });
            continue;
        }
        loaded.records.push((key, value.to_vec()));
    }
    for (section, count) in Section::ALL.into_iter().zip(counts) {
        if count > MAX_RECORDS_PER_SECTION {
            let max = MAX_RECORDS_PER_SECTION;
            loaded.skipped.push(Error::TooManyRecords { section: section.name(), count, max });
        }
    }
    Ok(loaded)
}

impl Store for EmbeddedStore {
    fn max_record_bytes(&self) -> usize {
        MAX_RECORD_BYTES
    }

    async fn load(&self) -> Result<Loaded> {
        self.blocking(|db| load(db).map_err(Box::new)).await
    }

    async fn apply(&self, ops: Vec<Op>) -> Result<()> {
        self.blocking(move |db| apply(db, &ops).map_err(Box::new)).await
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::super::record::{decode_entry, encode_entry};
    use super::*;
    use crate::queue::{DriverDescription, DriverEntry, EntryState, SubmissionId};

    fn entry(id: &str) -> (Key, Vec<u8>) {
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
        encode_entry(&DriverEntry { seq: 1, state: EntryState::Queued(driver) }).unwrap()
    }

    #[tokio::test]
    async fn round_trip_removal_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(&dir.path().join("state")).await.unwrap();
        assert!(store.load().await.unwrap().records.is_empty());
        let (a, a_bytes) = entry("driver-1");
        let (b, b_bytes) = entry("driver-2");
        store
            .apply(vec![Op::Put(a.clone(), a_bytes.clone()), Op::Put(b.clone(), b_bytes)])
            .await
            .unwrap();
        store.apply(vec![Op::Delete(b.clone()), Op::Delete(b)]).await.unwrap();
        drop(store);

        let store = EmbeddedStore::open(&dir.path().join("state")).await.unwrap();
        let loaded = store.load().await.unwrap();
        assert!(loaded.skipped.is_empty());
        assert_eq!(loaded.records, vec![(a.clone(), a_bytes)]);
        decode_entry(&a, &loaded.records[0].1).unwrap();
    }

    #[tokio::test]
    async fn a_second_dispatcher_cannot_open_the_same_store() {
        let dir = tempfile::tempdir().unwrap();
        let _first = EmbeddedStore::open(dir.path()).await.unwrap();
        let second = EmbeddedStore::open(dir.path()).await.unwrap_err();
        assert!(matches!(second, Error::EmbeddedStore { .. }), "{second}");
    }

    #[allow(clippy::result_large_err)]
    fn insert_foreign(db: &Database) -> Result<(), redb::Error> {
        let txn = db.begin_write()?;
        txn.open_table(RECORDS)?.insert("nosuchsection/x", b"{}".as_slice())?;
        txn.commit()?;
        Ok(())
    }

    #[tokio::test]
    async fn corrupt_and_oversized_records_are_skipped_not_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(dir.path()).await.unwrap();
        let (a, a_bytes) = entry("driver-1");
        let big = Key::new(Section::DriverQueue, "driver-2").unwrap();
        let corrupt = Key::new(Section::DriverQueue, "driver-3").unwrap();
        store
            .apply(vec![
                Op::Put(a.clone(), a_bytes),
                Op::Put(big, vec![b' '; MAX_RECORD_BYTES + 1]),
                Op::Put(corrupt.clone(), b"\x00not json".to_vec()),
            ])
            .await
            .unwrap();
        store.blocking(|db| insert_foreign(db).map_err(Box::new)).await.unwrap();
        let loaded = store.load().await.unwrap();
        let keys: Vec<String> = loaded.records.iter().map(|(k, _)| k.to_string()).collect();
        assert_eq!(keys, ["driverQueue/driver-1", "driverQueue/driver-3"]);
        let skipped: Vec<String> = loaded.skipped.iter().map(ToString::to_string).collect();
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        assert!(skipped[0].contains("driver-2") && skipped[0].contains("over the store's limit"));
        assert!(skipped[1].contains("nosuchsection/x"));
        let e = decode_entry(&corrupt, &loaded.records[1].1).unwrap_err();
        assert!(matches!(e, Error::BadRecord { .. }), "{e}");
    }
}
