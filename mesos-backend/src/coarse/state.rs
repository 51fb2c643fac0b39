//! What the backend remembers between inputs (Spark's mutable fields, under its `stateLock`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use mesos::proto::FrameworkId;

use super::config::CoarseConfig;

/// An agent is excluded after this many failed executors (Spark's `MAX_AGENT_FAILURES`).
pub(super) const MAX_AGENT_FAILURES: u32 = 2;

/// What Spark's `Agent` holds. Agents are never forgotten: failures and the shuffle
/// registration outlive their executors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Agent {
    /// The host name of the first offer that launched on it.
    pub(super) hostname: String,
    /// Executors (task ids) launched and not yet terminal.
    pub(super) task_ids: BTreeSet<String>,
    /// Executors that ended FAILED or LOST.
    pub(super) task_failures: u32,
    /// The driver registered with this agent's shuffle service.
    pub(super) shuffle_registered: bool,
}

impl Agent {
    pub(super) fn new(hostname: &str) -> Self {
        Self {
            hostname: hostname.to_owned(),
            task_ids: BTreeSet::new(),
            task_failures: 0,
            shuffle_registered: false,
        }
    }
}

/// The backend's state.
#[derive(Debug)]
pub(super) struct State {
    pub(super) framework_id: Option<FrameworkId>,
    pub(super) stopped: bool,
    /// When `stop()` stops waiting for executors; `None` once the framework is stopped.
    pub(super) stop_deadline: Option<Instant>,
    pub(super) next_task_id: u64,
    pub(super) agents: BTreeMap<String, Agent>,
    pub(super) cores_by_task: BTreeMap<String, i32>,
    pub(super) gpus_by_task: BTreeMap<String, i32>,
    pub(super) total_cores: i32,
    pub(super) total_gpus: i32,
    /// `None` without dynamic allocation (no limit).
    pub(super) executor_limit: Option<u32>,
    pub(super) host_to_local_task_count: Vec<(String, u32)>,
    pub(super) locality_wait_start: Instant,
    pub(super) launching_executors: bool,
}

impl State {
    pub(super) fn new(config: &CoarseConfig, now: Instant) -> Self {
        Self {
            framework_id: None,
            stopped: false,
            stop_deadline: None,
            next_task_id: 0,
            agents: BTreeMap::new(),
            cores_by_task: BTreeMap::new(),
            gpus_by_task: BTreeMap::new(),
            total_cores: 0,
            total_gpus: 0,
            executor_limit: config.dynamic_allocation.then_some(0),
            host_to_local_task_count: Vec::new(),
            locality_wait_start: now,
            launching_executors: false,
        }
    }

    pub(super) fn num_executors(&self) -> usize {
        self.agents.values().map(|a| a.task_ids.len()).sum()
    }

    pub(super) fn executor_limit(&self) -> usize {
        self.executor_limit.map_or(usize::MAX, |l| l as usize)
    }
}
