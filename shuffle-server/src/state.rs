//! What every connection shares: configuration, registered executors, the block resolver,
//! open streams, the count of chunks being sent, registered Mesos drivers, per-app request
//! times and the per-chunk meters.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tracing::{info, warn};

use crate::config::Config;
use crate::drivers::{Activity, Drivers};
use crate::error::Result;
use crate::limits::soft_file_limit;
use crate::metrics::ChunkMeters;
use crate::open_files::{OpenFileBudget, OpenFiles};
use crate::registry::{Registry, DB_FILE};
use crate::resolver::BlockResolver;
use crate::stream::StreamManager;

/// The daemon's shared state; cheap to clone.
#[derive(Debug, Clone)]
pub struct State {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    resolver: BlockResolver,
    streams: StreamManager,
    chunks_in_flight: Arc<AtomicU64>,
    drivers: Drivers,
    activity: Activity,
    chunk_meters: ChunkMeters,
}

impl State {
    /// Opens the state `config` describes: the registered-executor store in
    /// [`Config::state_dir`] (created if missing) when [`Config::db_enabled`], else an
    /// in-memory registry. Registered Mesos drivers live in the same store.
    pub async fn open(config: Config) -> Result<Self> {
        let registry = if config.db_enabled {
            tokio::fs::create_dir_all(&config.state_dir).await?;
            Registry::open(config.state_dir.join(DB_FILE)).await?
        } else {
            Registry::in_memory()
        };
        let drivers = match registry.store() {
            Some((db, path)) => {
                tokio::task::spawn_blocking(move || Drivers::open(db, path)).await??
            }
            None => Drivers::in_memory(),
        };
        Ok(Self::with_drivers(config, registry, drivers))
    }

    /// State over an already opened registry, with Mesos driver registrations kept in memory
    /// only (see [`State::with_drivers`] for persisted ones).
    pub fn new(config: Config, registry: Registry) -> Self {
        Self::with_drivers(config, registry, Drivers::in_memory())
    }

    /// State over an already opened registry and set of registered drivers.
    pub fn with_drivers(config: Config, registry: Registry, drivers: Drivers) -> Self {
        let activity = Activity::new(config.app_idle_timeout.is_some());
        let budget = OpenFileBudget::for_daemon(
            config.max_open_files,
            config.max_mapped_files,
            config.max_connections,
        );
        if budget.mapped == 0 && config.max_mapped_files != Some(0) {
            warn!(
                "no data files will be mapped: the kernel refuses process_vm_readv here (a \
                 seccomp policy?) or vm.max_map_count is too low; files beyond those kept \
                 open are opened for each read"
            );
        }
        info!(
            slots = budget.slots,
            kept = budget.kept,
            mapped = budget.mapped,
            file_limit = soft_file_limit(),
            explicit = config.max_open_files.is_some(),
            "shuffle files open at once"
        );
        let files = OpenFiles::with_budget(budget);
        let resolver = BlockResolver::new(registry, config.index_cache_size, files);
        Self {
            inner: Arc::new(Inner {
                config,
                resolver,
                streams: StreamManager::new(),
                chunks_in_flight: Arc::new(AtomicU64::new(0)),
                drivers,
                activity,
                chunk_meters: ChunkMeters::registered(),
            }),
        }
    }

    /// The configuration the daemon runs with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Block lookup over the registered executors.
    pub fn resolver(&self) -> &BlockResolver {
        &self.inner.resolver
    }

    /// The registered executors.
    pub fn registry(&self) -> &Registry {
        self.inner.resolver.registry()
    }

    /// Open block streams.
    pub fn streams(&self) -> &StreamManager {
        &self.inner.streams
    }

    /// Registered Mesos drivers and their heartbeats.
    pub fn drivers(&self) -> &Drivers {
        &self.inner.drivers
    }

    /// When each application last made a request (tracked only for the idle rule).
    pub fn activity(&self) -> &Activity {
        &self.inner.activity
    }

    /// Spark's per-chunk meters, in the metrics recorder installed when this state was
    /// built.
    pub fn chunk_meters(&self) -> &ChunkMeters {
        &self.inner.chunk_meters
    }

    /// Counts one more chunk being sent, unless `spark.shuffle.maxChunksBeingTransferred`
    /// are already; the chunk stops counting when the guard drops.
    pub fn begin_chunk(&self) -> Option<ChunkInFlight> {
        let limit = self.inner.config.max_chunks_being_transferred;
        let counter = &self.inner.chunks_in_flight;
        counter
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < limit).then_some(n + 1))
            .ok()?;
        Some(ChunkInFlight(counter.clone()))
    }

    /// Chunks being sent right now, daemon-wide.
    pub fn chunks_in_flight(&self) -> u64 {
        self.inner.chunks_in_flight.load(Ordering::Acquire)
    }
}

/// One chunk counted against `spark.shuffle.maxChunksBeingTransferred` until dropped.
#[derive(Debug)]
pub struct ChunkInFlight(Arc<AtomicU64>);

impl Drop for ChunkInFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_in_flight_are_bounded_and_released() {
        let config = Config { max_chunks_being_transferred: 2, ..Config::default() };
        let state = State::new(config, Registry::in_memory());
        let a = state.begin_chunk();
        let b = state.begin_chunk();
        assert!(a.is_some() && b.is_some());
        assert!(state.begin_chunk().is_none());
        drop(a);
        assert_eq!(state.chunks_in_flight(), 1);
        assert!(state.begin_chunk().is_some());
    }
}
