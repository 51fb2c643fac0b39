//! The ZooKeeper store (`spark.deploy.recoveryMode=ZOOKEEPER`): Spark's layout,
//! `<spark.deploy.zookeeper.dir>/<section>/<name>`, persistent nodes, through our own
//! `mesos::zk` client.
//!
//! The nodes hold our JSON records, not Spark's Java-serialized objects: a Spark dispatcher
//! and ours must not share a directory (Spark deletes the records it cannot deserialize).
//! A lost session is opened again at the next operation; ops are idempotent (put is
//! set-or-create, delete ignores a missing node), so the writer simply applies them again.

use std::time::Duration;

use mesos::zk::{Client, NODE_EXISTS, NO_NODE};
use tokio::sync::Mutex;

use super::{Key, Loaded, Op, Section, Store, MAX_RECORDS_PER_SECTION, MAX_RECORD_BYTES};
use crate::{Error, Result};

/// The session timeout asked for; operations fail after twice the one granted.
pub const SESSION_TIMEOUT: Duration = Duration::from_secs(20);

/// Largest record written: ZooKeeper refuses requests over its `jute.maxbuffer` (1 MiB by
/// default, path and framing included) by dropping the connection.
pub const MAX_ZOOKEEPER_RECORD_BYTES: usize = 1_000_000;

/// The ZooKeeper store.
#[derive(Debug)]
pub struct ZooKeeperStore {
    servers: String,
    dir: String,
    session: Mutex<Option<Client>>,
}

impl ZooKeeperStore {
    /// Opens a session with `servers` and creates `dir` and its sections if missing.
    pub async fn connect(servers: &str, dir: &str) -> Result<Self> {
        let store = Self {
            servers: servers.to_owned(),
            dir: dir.trim_end_matches('/').to_owned(),
            session: Mutex::new(None),
        };
        store.client().await?;
        Ok(store)
    }

    /// The node of `section`.
    pub fn section_path(&self, section: Section) -> String {
        format!("{}/{}", self.dir, section.name())
    }

    /// The node of `key`.
    pub fn path(&self, key: &Key) -> String {
        format!("{}/{}", self.section_path(key.section), key.name)
    }

    async fn client(&self) -> Result<Client> {
        let mut session = self.session.lock().await;
        if let Some(client) = &*session {
            return Ok(client.clone());
        }
        let client = Client::connect(&self.servers, SESSION_TIMEOUT)
            .await
            .map_err(|source| Error::ZooKeeperStore { path: self.servers.clone(), source })?;
        for section in Section::ALL {
            let path = self.section_path(section);
            client
                .create_all(&path)
                .await
                .map_err(|source| Error::ZooKeeperStore { path, source })?;
        }
        *session = Some(client.clone());
        Ok(client)
    }

    /// Wraps a failure of `path`, dropping the session unless the server answered (a lost,
    /// timed-out or garbled session is opened again next time).
    async fn failed(&self, path: String, source: mesos::Error) -> Error {
        if !matches!(source, mesos::Error::Zk { .. }) {
            *self.session.lock().await = None;
        }
        Error::ZooKeeperStore { path, source }
    }

    async fn put(&self, client: &Client, key: &Key, data: &[u8]) -> Result<(), mesos::Error> {
        let path = self.path(key);
        match client.set_data(&path, data, None).await {
            Err(mesos::Error::Zk { code: NO_NODE, .. }) => {}
            other => return other.map(drop),
        }
        match client.create(&path, data, false, false).await {
            Ok(_) => Ok(()),
            // Someone created it meanwhile: ours is the latest state.
            Err(mesos::Error::Zk { code: NODE_EXISTS, .. }) => {
                client.set_data(&path, data, None).await.map(drop)
            }
            // The section was deleted under us.
            Err(mesos::Error::Zk { code: NO_NODE, .. }) => {
                client.create_all(&self.section_path(key.section)).await?;
                client.create(&path, data, false, false).await.map(drop)
            }
            Err(e) => Err(e),
        }
    }

    async fn delete(client: &Client, path: &str) -> Result<(), mesos::Error> {
        match client.delete(path, None).await {
            Err(mesos::Error::Zk { code: NO_NODE, .. }) => Ok(()),
            other => other,
        }
    }
}

impl Store for ZooKeeperStore {
    fn max_record_bytes(&self) -> usize {
        MAX_ZOOKEEPER_RECORD_BYTES
    }

    async fn load(&self) -> Result<Loaded> {
        let client = self.client().await?;
        let mut loaded = Loaded::default();
        for section in Section::ALL {
            let path = self.section_path(section);
            let mut children = match client.get_children(&path).await {
                Ok(children) => children,
                Err(mesos::Error::Zk { code: NO_NODE, .. }) => Vec::new(),
                Err(source) => return Err(self.failed(path, source).await),
            };
            children.sort_unstable();
            if children.len() > MAX_RECORDS_PER_SECTION {
                let (count, max) = (children.len(), MAX_RECORDS_PER_SECTION);
                loaded.skipped.push(Error::TooManyRecords { section: section.name(), count, max });
                children.truncate(MAX_RECORDS_PER_SECTION);
            }
            for name in children {
                let key = match Key::new(section, &name) {
                    Ok(key) => key,
                    Err(e) => {
                        loaded.skipped.push(e);
                        continue;
                    }
                };
                let path = self.path(&key);
                match client.get_data(&path).await {
                    Ok((data, _)) if data.len() > MAX_RECORD_BYTES => {
                        let (len, max) = (data.len(), MAX_RECORD_BYTES);
                        loaded.skipped.push(Error::RecordTooLarge {
                            key: key.to_string(),
                            len,
                            max,
                        });
                    }
                    Ok((data, _)) => loaded.records.push((key, data.to_vec())),
                    // Deleted since it was listed.
                    Err(mesos::Error::Zk { code: NO_NODE, .. }) => {}
                    Err(source) => return Err(self.failed(path, source).await),
                }
            }
        }
        Ok(loaded)
    }

    async fn apply(&self, ops: Vec<Op>) -> Result<()> {
        let client = self.client().await?;
        for op in &ops {
            let result = match op {
                Op::Put(key, data) => self.put(&client, key, data).await,
                Op::Delete(key) => Self::delete(&client, &self.path(key)).await,
            };
            if let Err(source) = result {
                let key = match op {
                    Op::Put(key, _) | Op::Delete(key) => key,
                };
                return Err(self.failed(self.path(key), source).await);
            }
        }
        Ok(())
    }
}
