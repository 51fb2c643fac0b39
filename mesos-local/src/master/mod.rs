//! The master: frameworks, agents, offers and tasks behind one lock; SUBSCRIBE streams,
//! heartbeats, allocation and status update retries here, the other calls in `calls.rs`.
//! Events go out on each framework's SUBSCRIBE stream as RecordIO records;
//! agents' task runners report back through [`Master::agent_update`].
//!
//! Simplifications against a real master (see `docs/mesos-local.md`): one role per framework,
//! filters per (framework, agent) rather than per resource set, status updates retried at a
//! fixed interval, no persistence across restarts.

mod calls;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use mesos::proto::scheduler::{event, Call, Event};
use mesos::proto::{
    framework_info::capability, task_status, AgentId, Attribute, CommandInfo, ContainerInfo,
    ExecutorId, FrameworkId, FrameworkInfo, MasterInfo, Offer, OfferId, TaskId, TaskInfo,
    TaskState, TaskStatus,
};
use tokio::sync::{mpsc, oneshot, Notify};
use tokio_util::task::TaskTracker;

use mesos::json::ContentType;

use crate::agent;
use crate::codec;

use crate::http::{plain, Api, ApiBody, ApiRequest, EventBody, Leadership, STREAM_ID};
use crate::resources::Pool;

/// Events queued per stream before the scheduler counts as gone (it stopped reading).
const EVENT_QUEUE: usize = 4096;
/// Finished tasks kept for [`Master::tasks`].
const COMPLETED_TASKS: usize = 1000;
/// Mesos's default and cap for `Filters.refuse_seconds`.
const DEFAULT_REFUSE: f64 = 5.0;
const MAX_REFUSE: f64 = 365.0 * 24.0 * 3600.0;
/// The least an agent must have free to be offered (Mesos's `min_allocatable_resources`).
const MIN_CPUS: f64 = 0.01;
const MIN_MEM: f64 = 32.0;

/// The master's timing knobs.
#[derive(Debug, Clone)]
pub struct Timing {
    /// Between HEARTBEAT events (`heartbeat_interval_seconds` in SUBSCRIBED).
    pub heartbeat_interval: Duration,
    /// Between resends of an unacknowledged status update.
    pub status_update_retry: Duration,
    /// Between allocation rounds (offers also go out at once on SUBSCRIBE, REVIVE, DECLINE, …).
    pub allocation_interval: Duration,
    /// Outstanding offers older than this are rescinded; `None` keeps them forever (Mesos's
    /// default).
    pub offer_timeout: Option<Duration>,
    /// SIGTERM → SIGKILL grace when neither the KILL call nor the task has a kill policy.
    pub kill_grace: Duration,
}

/// One configured agent.
#[derive(Debug, Clone)]
pub struct AgentSpec {
    /// Its id, `<master id>-S<n>`.
    pub id: AgentId,
    /// Its hostname: its loopback IP.
    pub hostname: String,
    /// What it offers.
    pub resources: Pool,
    /// Its attributes.
    pub attributes: Vec<Attribute>,
    /// `<work dir>/agents/<id>`.
    pub work_dir: PathBuf,
}

/// A task as [`Master::tasks`] reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSnapshot {
    /// The framework.
    pub framework_id: FrameworkId,
    /// The task.
    pub task_id: TaskId,
    /// The agent it was launched on.
    pub agent_id: AgentId,
    /// Its latest state.
    pub state: TaskState,
    /// The ContainerInfo it was launched with (recorded, not run).
    pub container: Option<ContainerInfo>,
    /// The command it runs.
    pub command: Option<CommandInfo>,
    /// Its sandbox directory (none for tasks refused at launch).
    pub sandbox: Option<PathBuf>,
}

/// An agent as [`Master::agents`] reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentSnapshot {
    /// Its id.
    pub id: AgentId,
    /// Its hostname (its loopback IP).
    pub hostname: String,
    /// Its total resources.
    pub resources: Vec<mesos::proto::Resource>,
    /// Its attributes.
    pub attributes: Vec<Attribute>,
    /// Whether [`Master::remove_agent`] removed it.
    pub removed: bool,
}

/// The master. Shared as an `Arc`; background work holds it weakly.
pub struct Master {
    info: MasterInfo,
    timing: Timing,
    me: Weak<Self>,
    state: Mutex<State>,
    allocate_now: Notify,
    runners: TaskTracker,
}

impl std::fmt::Debug for Master {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Master").field("id", &self.info.id).finish_non_exhaustive()
    }
}

#[derive(Default)]
struct State {
    agents: Vec<Agent>,
    frameworks: BTreeMap<String, Framework>,
    removed_frameworks: HashSet<String>,
    offers: HashMap<String, OutstandingOffer>,
    completed: VecDeque<TaskSnapshot>,
    next_framework: u64,
    next_offer: u64,
    redirect: Option<SocketAddr>,
    unavailable: bool,
    heartbeats_paused: bool,
}

struct Agent {
    spec: AgentSpec,
    available: Pool,
    removed: bool,
}

struct OutstandingOffer {
    framework: String,
    agent: usize,
    pool: Pool,
    created: Instant,
}

struct Stream {
    id: String,
    encoding: ContentType,
    records: mpsc::Sender<Bytes>,
}

struct Framework {
    id: FrameworkId,
    info: FrameworkInfo,
    role: String,
    stream: Option<Stream>,
    suppressed: bool,
    filters: HashMap<usize, Instant>,
    tasks: BTreeMap<String, Task>,
    /// Bumped on every (re)subscription and disconnection, so a stale failover timer is a no-op.
    generation: u64,
}

struct Task {
    info: TaskInfo,
    agent: usize,
    state: TaskState,
    /// Updates waiting for acknowledgement; only the head is sent.
    pending: VecDeque<TaskStatus>,
    last_sent: Option<Instant>,
    kill: Option<oneshot::Sender<Duration>>,
    pool: Pool,
    freed: bool,
    sandbox: PathBuf,
}

impl Framework {
    fn has(&self, cap: capability::Type) -> bool {
        self.info.capabilities.iter().any(|c| c.r#type == Some(cap as i32))
    }

    /// The state Mesos reports for a task it does not know.
    fn unknown_state(&self, agent_known: bool) -> TaskState {
        match (self.has(capability::Type::PartitionAware), agent_known) {
            (false, _) => TaskState::TaskLost,
            (true, true) => TaskState::TaskGone,
            (true, false) => TaskState::TaskUnknown,
        }
    }

    /// Queues `event` on the stream; a stream that stopped reading is dropped.
    fn send(&mut self, event: &Event) {
        let Some(stream) = &self.stream else { return };
        let record = codec::encode_event(stream.encoding, event);
        if let Err(mpsc::error::TrySendError::Full(_)) = stream.records.try_send(record) {
            tracing::warn!(framework = %self.id.value, "event queue full; closing the stream");
            self.stream = None;
            self.generation += 1;
        }
    }

    fn send_update(&mut self, status: TaskStatus) {
        self.send(&Event {
            r#type: Some(event::Type::Update as i32),
            update: Some(event::Update { status }),
            ..Event::default()
        });
    }

    /// Queues a reliable update (with a uuid) for `task`; it is sent now if nothing before
    /// it waits for an acknowledgement.
    fn push_update(&mut self, task_id: &str, status: TaskStatus) {
        let Some(task) = self.tasks.get_mut(task_id) else { return };
        task.state = status.state();
        task.pending.push_back(status.clone());
        if task.pending.len() == 1 {
            task.last_sent = Some(Instant::now());
            self.send_update(status);
        }
    }
}

impl Master {
    /// A master with these agents; call [`Master::start_background`] once it is in an `Arc`.
    pub fn new(info: MasterInfo, timing: Timing, agents: Vec<AgentSpec>) -> Arc<Self> {
        let agents = agents
            .into_iter()
            .map(|spec| Agent { available: spec.resources.clone(), spec, removed: false })
            .collect();
        Arc::new_cyclic(|me| Self {
            info,
            timing,
            me: me.clone(),
            state: Mutex::new(State { agents, ..State::default() }),
            allocate_now: Notify::new(),
            runners: TaskTracker::new(),
        })
    }

    /// The MasterInfo sent in SUBSCRIBED.
    pub fn info(&self) -> &MasterInfo {
        &self.info
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere must not wedge the master: the state is still consistent
        // enough for a test double.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Allocation rounds, offer timeouts and status update retries, until the task is
    /// aborted. A round runs every tick, and at once after calls that change what can be
    /// offered.
    pub async fn run_background(self: Arc<Self>) {
        let tick = self.timing.allocation_interval.min(self.timing.status_update_retry / 4);
        let tick = tick.max(Duration::from_millis(10));
        loop {
            tokio::select! {
                () = self.allocate_now.notified() => {}
                () = tokio::time::sleep(tick) => {}
            }
            self.rescind_expired();
            self.allocate();
            self.resend_due();
        }
    }

    /// Test control: answer 307 to `leader` (or serve again with `None`).
    pub fn redirect_to(&self, leader: Option<SocketAddr>) {
        self.state().redirect = leader;
    }

    /// Test control: answer 503, as a recovering master does.
    pub fn set_unavailable(&self, unavailable: bool) {
        self.state().unavailable = unavailable;
    }

    /// Test control: stop or resume HEARTBEAT events.
    pub fn pause_heartbeats(&self, paused: bool) {
        self.state().heartbeats_paused = paused;
    }

    /// Test control: drops every SUBSCRIBE stream, as a master restart would, keeping each
    /// framework and its tasks for its re-subscription (no failover timer starts).
    pub fn close_streams(&self) {
        let mut st = self.state();
        let ids: Vec<String> = st.frameworks.keys().cloned().collect();
        for id in ids {
            remove_offers_of(&mut st, &id);
            if let Some(fw) = st.frameworks.get_mut(&id) {
                fw.stream = None;
                fw.generation += 1;
            }
        }
    }

    /// Test control: removes agent `index`: rescinds its offers, reports its tasks lost
    /// (unreachable for partition-aware frameworks), kills their processes and sends FAILURE.
    pub fn remove_agent(&self, index: usize) -> bool {
        let mut st = self.state();
        let Some(agent) = st.agents.get_mut(index) else { return false };
        if agent.removed {
            return false;
        }
        agent.removed = true;
        let agent_id = agent.spec.id.clone();
        let offer_ids: Vec<String> =
            st.offers.iter().filter(|(_, o)| o.agent == index).map(|(id, _)| id.clone()).collect();
        for offer_id in offer_ids {
            if let Some(offer) = st.offers.remove(&offer_id) {
                if let Some(fw) = st.frameworks.get_mut(&offer.framework) {
                    fw.send(&rescind(&offer_id));
                }
            }
        }
        let State { frameworks, completed, .. } = &mut *st;
        for fw in frameworks.values_mut() {
            let lost: Vec<String> = fw
                .tasks
                .iter()
                .filter(|(_, t)| t.agent == index)
                .map(|(id, _)| id.clone())
                .collect();
            let state = if fw.has(capability::Type::PartitionAware) {
                TaskState::TaskUnreachable
            } else {
                TaskState::TaskLost
            };
            for task_id in lost {
                let Some(mut task) = fw.tasks.remove(&task_id) else { continue };
                if let Some(kill) = task.kill.take() {
                    let _ = kill.send(Duration::ZERO);
                }
                if task.state.is_terminal() {
                    continue;
                }
                let message = format!("Agent {} removed", agent_id.value);
                let status = master_status(
                    &task_id,
                    state,
                    Some(&agent_id),
                    message,
                    task_status::Reason::AgentRemoved,
                );
                fw.send_update(status);
                task.state = state;
                remember(completed, &fw.id, &agent_id, &task);
            }
            fw.send(&Event {
                r#type: Some(event::Type::Failure as i32),
                failure: Some(event::Failure {
                    agent_id: Some(agent_id.clone()),
                    executor_id: None,
                    status: None,
                }),
                ..Event::default()
            });
        }
        true
    }

    /// The agents, in the order they were configured.
    pub fn agents(&self) -> Vec<AgentSnapshot> {
        let st = self.state();
        st.agents
            .iter()
            .map(|a| AgentSnapshot {
                id: a.spec.id.clone(),
                hostname: a.spec.hostname.clone(),
                resources: a.spec.resources.to_resources(None),
                attributes: a.spec.attributes.clone(),
                removed: a.removed,
            })
            .collect()
    }

    /// Every task the master knows, then the most recent finished ones.
    pub fn tasks(&self) -> Vec<TaskSnapshot> {
        let st = self.state();
        let mut out: Vec<TaskSnapshot> = Vec::new();
        for fw in st.frameworks.values() {
            for task in fw.tasks.values() {
                let agent_id =
                    st.agents.get(task.agent).map(|a| a.spec.id.clone()).unwrap_or_default();
                out.push(snapshot(&fw.id, &agent_id, task));
            }
        }
        out.extend(st.completed.iter().cloned());
        out
    }

    /// Kills every task's process and waits (a few seconds at most) for them to exit.
    pub async fn kill_all(&self) {
        {
            let mut st = self.state();
            for fw in st.frameworks.values_mut() {
                for task in fw.tasks.values_mut() {
                    if let Some(kill) = task.kill.take() {
                        let _ = kill.send(Duration::ZERO);
                    }
                }
            }
            close_all_streams(&mut st);
        }
        self.runners.close();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.runners.wait()).await;
    }

    /// A task runner's report: queues a reliable status update for the framework.
    pub fn agent_update(&self, report: agent::Report) {
        let mut st = self.state();
        let State { frameworks, agents, .. } = &mut *st;
        let Some(fw) = frameworks.get_mut(&report.framework_id) else { return };
        let Some(task) = fw.tasks.get_mut(&report.task_id) else { return };
        if task.state.is_terminal() {
            return;
        }
        let Some(agent) = agents.get_mut(task.agent) else { return };
        let terminal = report.state.is_terminal();
        if terminal {
            task.kill = None;
            if !task.freed {
                task.freed = true;
                agent.available.add(&task.pool);
            }
        }
        let status = TaskStatus {
            task_id: task.info.task_id.clone(),
            state: report.state as i32,
            message: report.message,
            agent_id: Some(agent.spec.id.clone()),
            executor_id: Some(ExecutorId { value: report.task_id.clone() }),
            timestamp: Some(now_seconds()),
            source: Some(report.source as i32),
            reason: report.reason.map(|r| r as i32),
            uuid: Some(random_uuid().to_vec()),
            ..TaskStatus::default()
        };
        fw.push_update(&report.task_id, status);
        drop(st);
        if terminal {
            self.allocate_now.notify_one();
        }
    }

    /// A heartbeat for stream `stream_id`; false once that stream is no longer current.
    fn heartbeat(&self, framework: &str, stream_id: &str) -> bool {
        let mut st = self.state();
        let paused = st.heartbeats_paused;
        let Some(fw) = st.frameworks.get_mut(framework) else { return false };
        if fw.stream.as_ref().map(|s| s.id.as_str()) != Some(stream_id) {
            return false;
        }
        if !paused {
            fw.send(&Event { r#type: Some(event::Type::Heartbeat as i32), ..Event::default() });
        }
        true
    }

    /// The scheduler's connection for `stream_id` went away.
    fn disconnected(&self, framework: &str, stream_id: &str) {
        let mut st = self.state();
        let Some(fw) = st.frameworks.get_mut(framework) else { return };
        if fw.stream.as_ref().map(|s| s.id.as_str()) != Some(stream_id) {
            return;
        }
        fw.stream = None;
        fw.generation += 1;
        let generation = fw.generation;
        let timeout = fw.info.failover_timeout.unwrap_or(0.0);
        remove_offers_of(&mut st, framework);
        if timeout.is_nan() || timeout <= 0.0 {
            tracing::info!(
                framework,
                "scheduler disconnected with failover_timeout 0; tearing down"
            );
            self.teardown(&mut st, framework);
            return;
        }
        let wait = Duration::try_from_secs_f64(timeout.min(MAX_REFUSE)).unwrap_or(Duration::MAX);
        let me = self.me.clone();
        let framework = framework.to_owned();
        tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            let Some(master) = me.upgrade() else { return };
            let mut st = master.state();
            let stale = st.frameworks.get(&framework).is_none_or(|fw| fw.generation != generation);
            if !stale {
                master.teardown(&mut st, &framework);
            }
        });
    }

    /// Removes a framework: kills its tasks, returns its resources, closes its stream.
    fn teardown(&self, st: &mut State, framework: &str) {
        remove_offers_of(st, framework);
        let Some(mut fw) = st.frameworks.remove(framework) else { return };
        for (_, mut task) in std::mem::take(&mut fw.tasks) {
            if let Some(kill) = task.kill.take() {
                let _ = kill.send(self.timing.kill_grace);
            }
            if !task.freed {
                if let Some(agent) = st.agents.get_mut(task.agent) {
                    agent.available.add(&task.pool);
                }
            }
            let agent_id = st.agents.get(task.agent).map(|a| a.spec.id.clone()).unwrap_or_default();
            if !task.state.is_terminal() {
                task.state = TaskState::TaskKilled;
            }
            remember(&mut st.completed, &fw.id, &agent_id, &task);
        }
        st.removed_frameworks.insert(framework.to_owned());
        self.allocate_now.notify_one();
    }

    fn rescind_expired(&self) {
        let Some(timeout) = self.timing.offer_timeout else { return };
        let mut st = self.state();
        let expired: Vec<String> = st
            .offers
            .iter()
            .filter(|(_, o)| o.created.elapsed() >= timeout)
            .map(|(id, _)| id.clone())
            .collect();
        for offer_id in expired {
            let Some(offer) = st.offers.remove(&offer_id) else { continue };
            if let Some(agent) = st.agents.get_mut(offer.agent) {
                agent.available.add(&offer.pool);
            }
            if let Some(fw) = st.frameworks.get_mut(&offer.framework) {
                fw.send(&rescind(&offer_id));
            }
        }
    }

    /// Offers each agent's free resources to the first connected, unsuppressed framework
    /// that has not filtered it.
    fn allocate(&self) {
        let mut st = self.state();
        let now = Instant::now();
        let State { frameworks, agents, offers, next_offer, .. } = &mut *st;
        for fw in frameworks.values_mut() {
            if fw.stream.is_none() || fw.suppressed {
                continue;
            }
            fw.filters.retain(|_, until| *until > now);
            let multi_role = fw.has(capability::Type::MultiRole);
            let gpu_capable = fw.has(capability::Type::GpuResources);
            let mut batch = Vec::new();
            for (index, agent) in agents.iter_mut().enumerate() {
                if agent.removed || fw.filters.contains_key(&index) {
                    continue;
                }
                // Mesos keeps GPU agents for frameworks that declare GPU_RESOURCES.
                if agent.spec.resources.scalar("gpus") > 0.0 && !gpu_capable {
                    continue;
                }
                let pool = agent.available.for_role(&fw.role);
                if pool.scalar("cpus") < MIN_CPUS && pool.scalar("mem") < MIN_MEM {
                    continue;
                }
                agent.available.subtract(&pool);
                *next_offer += 1;
                let offer_id = format!("{}-O{}", self.info.id, next_offer);
                batch.push(Offer {
                    id: OfferId { value: offer_id.clone() },
                    framework_id: fw.id.clone(),
                    agent_id: agent.spec.id.clone(),
                    hostname: agent.spec.hostname.clone(),
                    resources: pool.to_resources(multi_role.then_some(fw.role.as_str())),
                    attributes: agent.spec.attributes.clone(),
                    allocation_info: multi_role.then(|| mesos::proto::resource::AllocationInfo {
                        role: Some(fw.role.clone()),
                    }),
                    ..Offer::default()
                });
                offers.insert(
                    offer_id,
                    OutstandingOffer {
                        framework: fw.id.value.clone(),
                        agent: index,
                        pool,
                        created: now,
                    },
                );
            }
            if !batch.is_empty() {
                fw.send(&Event {
                    r#type: Some(event::Type::Offers as i32),
                    offers: Some(event::Offers { offers: batch }),
                    ..Event::default()
                });
            }
        }
    }

    fn resend_due(&self) {
        let mut st = self.state();
        let retry = self.timing.status_update_retry;
        for fw in st.frameworks.values_mut() {
            if fw.stream.is_none() {
                continue;
            }
            let due: Vec<TaskStatus> = fw
                .tasks
                .values_mut()
                .filter(|t| t.last_sent.is_none_or(|at| at.elapsed() >= retry))
                .filter_map(|t| {
                    let head = t.pending.front()?.clone();
                    t.last_sent = Some(Instant::now());
                    Some(head)
                })
                .collect();
            for status in due {
                fw.send_update(status);
            }
        }
    }

    fn subscribe(&self, call: Call, encoding: ContentType) -> Response<ApiBody> {
        let subscribe = call.subscribe.unwrap_or_default();
        let mut info = subscribe.framework_info;
        if let Some(id) = &call.framework_id {
            if info.id.as_ref() != Some(id) {
                return plain(
                    StatusCode::BAD_REQUEST,
                    "Failed to validate scheduler::Call: 'framework_id' differs from 'subscribe.framework_info.id'",
                );
            }
        }
        let (records, rx) = mpsc::channel(EVENT_QUEUE);
        let stream_id = uuid_string(&random_uuid());
        let mut st = self.state();
        let requested = info.id.as_ref().map(|id| id.value.clone());
        if let Some(id) = requested.as_ref().filter(|id| st.removed_frameworks.contains(*id)) {
            drop(st);
            let error = Event {
                r#type: Some(event::Type::Error as i32),
                error: Some(event::Error { message: format!("Framework {id} has been removed") }),
                ..Event::default()
            };
            let _ = records.try_send(codec::encode_event(encoding, &error));
            drop(records);
            return stream_response(encoding, &stream_id, EventBody::finite(rx));
        }
        let framework_id = match requested {
            Some(id) => id,
            None => {
                st.next_framework += 1;
                format!("{}-{:04}", self.info.id, st.next_framework - 1)
            }
        };
        remove_offers_of(&mut st, &framework_id);
        let id = FrameworkId { value: framework_id.clone() };
        info.id = Some(id.clone());
        let role = info
            .roles
            .first()
            .cloned()
            .or_else(|| info.role.clone())
            .unwrap_or_else(|| "*".to_owned());
        let suppressed = subscribe.suppressed_roles.contains(&role);
        let fw = st.frameworks.entry(framework_id.clone()).or_insert_with(|| Framework {
            id: id.clone(),
            info: info.clone(),
            role: role.clone(),
            stream: None,
            suppressed,
            filters: HashMap::new(),
            tasks: BTreeMap::new(),
            generation: 0,
        });
        fw.info = info;
        fw.role = role;
        fw.suppressed = suppressed;
        fw.generation += 1;
        fw.stream = Some(Stream { id: stream_id.clone(), encoding, records });
        fw.send(&Event {
            r#type: Some(event::Type::Subscribed as i32),
            subscribed: Some(event::Subscribed {
                framework_id: id,
                heartbeat_interval_seconds: Some(self.timing.heartbeat_interval.as_secs_f64()),
                master_info: Some(self.info.clone()),
            }),
            ..Event::default()
        });
        // Updates still waiting for acknowledgement go to the new stream at once.
        let heads: Vec<TaskStatus> = fw
            .tasks
            .values_mut()
            .filter_map(|t| {
                let head = t.pending.front()?.clone();
                t.last_sent = Some(Instant::now());
                Some(head)
            })
            .collect();
        for status in heads {
            fw.send_update(status);
        }
        drop(st);
        self.spawn_heartbeats(framework_id.clone(), stream_id.clone());
        self.allocate_now.notify_one();
        let me = self.me.clone();
        let closed_stream = stream_id.clone();
        let on_drop = Box::new(move || {
            if let Some(master) = me.upgrade() {
                master.disconnected(&framework_id, &closed_stream);
            }
        });
        stream_response(encoding, &stream_id, EventBody::new(rx, on_drop))
    }

    fn spawn_heartbeats(&self, framework: String, stream_id: String) {
        let me = self.me.clone();
        let interval = self.timing.heartbeat_interval.max(Duration::from_millis(10));
        tokio::spawn(async move {
            // Like Mesos's heartbeater: one right after SUBSCRIBED, then every interval.
            let mut ticker = tokio::time::interval(interval);
            loop {
                ticker.tick().await;
                let Some(master) = me.upgrade() else { return };
                if !master.heartbeat(&framework, &stream_id) {
                    return;
                }
            }
        });
    }
}

impl Api for Master {
    fn leadership(&self) -> Leadership {
        let st = self.state();
        match (st.redirect, st.unavailable) {
            (Some(leader), _) => Leadership::RedirectTo(leader),
            (None, true) => Leadership::Unavailable,
            (None, false) => Leadership::Leading,
        }
    }

    fn call(&self, request: ApiRequest) -> Response<ApiBody> {
        self.apply(request)
    }
}

impl Task {
    /// The state reconciliation reports: that of the update the scheduler is being told
    /// about (the unacknowledged head), so it never runs ahead of the update stream, as
    /// Mesos's `status_update_state`.
    fn reported_state(&self) -> TaskState {
        self.pending.front().map_or(self.state, TaskStatus::state)
    }

    /// A task refused at launch, kept only for [`Master::tasks`].
    fn refused(info: TaskInfo, agent: usize) -> Self {
        Self {
            info,
            agent,
            state: TaskState::TaskError,
            pending: VecDeque::new(),
            last_sent: None,
            kill: None,
            pool: Pool::default(),
            freed: true,
            sandbox: PathBuf::new(),
        }
    }
}

fn remove_offers_of(st: &mut State, framework: &str) {
    let ids: Vec<String> = st
        .offers
        .iter()
        .filter(|(_, o)| o.framework == framework)
        .map(|(id, _)| id.clone())
        .collect();
    for id in ids {
        if let Some(offer) = st.offers.remove(&id) {
            if let Some(agent) = st.agents.get_mut(offer.agent) {
                agent.available.add(&offer.pool);
            }
        }
    }
}

fn close_all_streams(st: &mut State) {
    for fw in st.frameworks.values_mut() {
        fw.stream = None;
        fw.generation += 1;
    }
}

fn stream_response(encoding: ContentType, stream_id: &str, body: EventBody) -> Response<ApiBody> {
    let mut response = Response::new(http_body_util::Either::Right(body));
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(encoding.mime()));
    if let Ok(value) = HeaderValue::from_str(stream_id) {
        response.headers_mut().insert(STREAM_ID, value);
    }
    response
}

fn rescind(offer_id: &str) -> Event {
    Event {
        r#type: Some(event::Type::Rescind as i32),
        rescind: Some(event::Rescind { offer_id: OfferId { value: offer_id.to_owned() } }),
        ..Event::default()
    }
}

/// An update the master makes itself: no uuid, so nothing to acknowledge.
fn master_status(
    task_id: &str,
    state: TaskState,
    agent_id: Option<&AgentId>,
    message: String,
    reason: task_status::Reason,
) -> TaskStatus {
    TaskStatus {
        task_id: TaskId { value: task_id.to_owned() },
        state: state as i32,
        message: Some(message),
        agent_id: agent_id.cloned(),
        timestamp: Some(now_seconds()),
        source: Some(task_status::Source::Master as i32),
        reason: Some(reason as i32),
        ..TaskStatus::default()
    }
}

fn snapshot(framework: &FrameworkId, agent_id: &AgentId, task: &Task) -> TaskSnapshot {
    TaskSnapshot {
        framework_id: framework.clone(),
        task_id: task.info.task_id.clone(),
        agent_id: agent_id.clone(),
        state: task.state,
        container: task.info.container.clone(),
        command: task.info.command.clone(),
        sandbox: (!task.sandbox.as_os_str().is_empty()).then(|| task.sandbox.clone()),
    }
}

fn remember(
    completed: &mut VecDeque<TaskSnapshot>,
    framework: &FrameworkId,
    agent_id: &AgentId,
    task: &Task,
) {
    if completed.len() == COMPLETED_TASKS {
        completed.pop_front();
    }
    completed.push_back(snapshot(framework, agent_id, task));
}

/// Ids become directory names: anything but `[A-Za-z0-9._-]` turns into `_`.
fn path_component(id: &str) -> String {
    let clean: String = id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' })
        .collect();
    if clean.is_empty() || clean == "." || clean == ".." {
        "_".to_owned()
    } else {
        clean
    }
}

fn now_seconds() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

/// 16 random bytes shaped as a version 4 UUID.
pub fn random_uuid() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // The OS refused randomness: time and a counter still keep ids unique in-process.
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        bytes[..8].copy_from_slice(&(nanos as u64).to_le_bytes());
        bytes[8..].copy_from_slice(&n.to_le_bytes());
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    bytes
}

/// The canonical text form of a UUID.
pub fn uuid_string(bytes: &[u8; 16]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}
