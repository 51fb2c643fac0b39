//! The scheduler calls other than SUBSCRIBE: decoding, Mesos's call and task validation, and
//! what each call does to the master's state.

use std::collections::{HashSet, VecDeque};
use std::time::{Duration, Instant};

use hyper::{Response, StatusCode};
use mesos::proto::scheduler::{call, Call};
use mesos::proto::{
    framework_info::capability, offer, task_status, AgentId, ExecutorId, Filters, OfferId, TaskId,
    TaskInfo, TaskState, TaskStatus,
};
use tokio::sync::oneshot;

use super::{
    master_status, now_seconds, path_component, random_uuid, remember, uuid_string, AgentSpec,
    Framework, Master, State, Task, DEFAULT_REFUSE, MAX_REFUSE,
};
use crate::agent::{self, Launch};
use crate::codec;
use crate::http::{plain, ApiBody, ApiRequest};
use crate::resources::Pool;

impl Master {
    /// Decodes and applies one call, after the transport rules.
    pub(super) fn apply(&self, request: ApiRequest) -> Response<ApiBody> {
        let call = match codec::decode_call(request.content_type, &request.body) {
            Ok(call) => call,
            Err(reason) => {
                return plain(
                    StatusCode::BAD_REQUEST,
                    format!("Failed to parse body into Call: {reason}"),
                )
            }
        };
        if let Err(reason) = validate(&call) {
            return plain(
                StatusCode::BAD_REQUEST,
                format!("Failed to validate scheduler::Call: {reason}"),
            );
        }
        if call.r#type() == call::Type::Subscribe {
            let Some(accept) = request.accept else {
                return plain(
                    StatusCode::NOT_ACCEPTABLE,
                    "Expecting 'Accept' to allow application/json or application/x-protobuf",
                );
            };
            if request.stream_id.is_some() {
                return plain(
                    StatusCode::BAD_REQUEST,
                    "Subscribe calls should not include the 'Mesos-Stream-Id' header",
                );
            }
            return self.subscribe(call, accept);
        }
        let framework_id =
            call.framework_id.as_ref().map(|id| id.value.clone()).unwrap_or_default();
        let mut st = self.state();
        let Some(fw) = st.frameworks.get(&framework_id) else {
            return plain(StatusCode::BAD_REQUEST, "Framework cannot be found");
        };
        let Some(stream) = &fw.stream else {
            return plain(StatusCode::FORBIDDEN, "Framework is not subscribed");
        };
        let Some(stream_id) = &request.stream_id else {
            return plain(
                StatusCode::BAD_REQUEST,
                "All non-subscribe calls should include the 'Mesos-Stream-Id' header",
            );
        };
        if *stream_id != stream.id {
            return plain(
                StatusCode::BAD_REQUEST,
                format!("The stream ID '{stream_id}' included in this request didn't match the stream ID currently associated with framework ID {framework_id}"),
            );
        }
        match call.r#type() {
            call::Type::Teardown => self.teardown(&mut st, &framework_id),
            call::Type::Accept => {
                let accept = call.accept.unwrap_or_default();
                self.accept(&mut st, &framework_id, accept);
            }
            call::Type::Decline => {
                let decline = call.decline.unwrap_or_default();
                decline_offers(
                    &mut st,
                    &framework_id,
                    &decline.offer_ids,
                    decline.filters.as_ref(),
                );
            }
            call::Type::Revive => {
                if let Some(fw) = st.frameworks.get_mut(&framework_id) {
                    fw.filters.clear();
                    fw.suppressed = false;
                }
            }
            call::Type::Suppress => {
                if let Some(fw) = st.frameworks.get_mut(&framework_id) {
                    fw.suppressed = true;
                }
            }
            call::Type::Kill => {
                if let Some(kill) = call.kill {
                    self.kill(&mut st, &framework_id, kill);
                }
            }
            call::Type::Shutdown => {
                // Command tasks run under an executor named after the task.
                if let Some(shutdown) = call.shutdown {
                    let kill = call::Kill {
                        task_id: TaskId { value: shutdown.executor_id.value },
                        agent_id: None,
                        kill_policy: None,
                    };
                    self.kill(&mut st, &framework_id, kill);
                }
            }
            call::Type::Acknowledge => {
                if let Some(ack) = call.acknowledge {
                    if ack.uuid.len() != 16 {
                        return plain(
                            StatusCode::BAD_REQUEST,
                            "Failed to validate scheduler::Call: 'uuid' is not a valid UUID",
                        );
                    }
                    acknowledge(&mut st, &framework_id, &ack);
                }
            }
            call::Type::Reconcile => {
                let tasks = call.reconcile.map(|r| r.tasks).unwrap_or_default();
                reconcile(&mut st, &framework_id, &tasks);
            }
            // No executors run here to receive messages; requests and inverse offers have
            // nothing to act on.
            call::Type::Message
            | call::Type::Request
            | call::Type::AcceptInverseOffers
            | call::Type::DeclineInverseOffers => {}
            other => {
                return plain(
                    StatusCode::BAD_REQUEST,
                    format!("Unsupported call type {}", other.as_str_name()),
                );
            }
        }
        drop(st);
        self.allocate_now.notify_one();
        plain(StatusCode::ACCEPTED, "")
    }

    fn accept(&self, st: &mut State, framework: &str, accept: call::Accept) {
        let mut invalid: Option<String> = None;
        let mut agent: Option<usize> = None;
        let mut offered = Pool::default();
        let mut seen = HashSet::new();
        if accept.offer_ids.is_empty() {
            invalid = Some("No offers specified".to_owned());
        }
        for offer_id in &accept.offer_ids {
            if !seen.insert(offer_id.value.clone()) {
                invalid = Some(format!("Duplicate offer {} in ACCEPT", offer_id.value));
                continue;
            }
            match st.offers.get(&offer_id.value) {
                Some(offer) if offer.framework == framework => {
                    if agent.is_some_and(|a| a != offer.agent) {
                        invalid =
                            Some("Aggregated offers must belong to the same agent".to_owned());
                    }
                    agent = Some(offer.agent);
                }
                _ => invalid = Some(format!("Offer {} is no longer valid", offer_id.value)),
            }
        }
        // Every offer named is used up by this call, valid or not.
        let mut returned: Vec<(usize, Pool)> = Vec::new();
        for offer_id in &accept.offer_ids {
            if st.offers.get(&offer_id.value).is_some_and(|o| o.framework == framework) {
                if let Some(offer) = st.offers.remove(&offer_id.value) {
                    offered.add(&offer.pool);
                    returned.push((offer.agent, offer.pool));
                }
            }
        }
        let mut tasks = Vec::new();
        let mut refused = Vec::new();
        for operation in accept.operations {
            match operation.r#type() {
                offer::operation::Type::Launch => {
                    tasks.extend(operation.launch.map(|l| l.task_infos).unwrap_or_default())
                }
                offer::operation::Type::LaunchGroup => {
                    refused.extend(
                        operation.launch_group.map(|g| g.task_group.tasks).unwrap_or_default(),
                    );
                }
                other => tracing::info!(
                    operation = other.as_str_name(),
                    "ignoring an operation mesos-local does not model"
                ),
            }
        }
        let Some(fw) = st.frameworks.get_mut(framework) else { return };
        let agent = match (invalid, agent) {
            (None, Some(agent)) => agent,
            (invalid, _) => {
                let message = invalid.unwrap_or_else(|| "No offers specified".to_owned());
                let state = if fw.has(capability::Type::PartitionAware) {
                    TaskState::TaskDropped
                } else {
                    TaskState::TaskLost
                };
                for task in tasks.iter().chain(&refused) {
                    let status = master_status(
                        &task.task_id.value,
                        state,
                        Some(&task.agent_id),
                        message.clone(),
                        task_status::Reason::InvalidOffers,
                    );
                    fw.send_update(status);
                }
                for (agent, pool) in returned {
                    if let Some(a) = st.agents.get_mut(agent) {
                        a.available.add(&pool);
                    }
                }
                return;
            }
        };
        let Some(agent_id) = st.agents.get(agent).map(|a| a.spec.id.clone()) else { return };
        for task in refused {
            let message = "LAUNCH_GROUP is not supported by mesos-local".to_owned();
            let status = master_status(
                &task.task_id.value,
                TaskState::TaskError,
                Some(&agent_id),
                message,
                task_status::Reason::TaskGroupInvalid,
            );
            fw.send_update(status);
        }
        let mut remaining = offered;
        let mut launched = HashSet::new();
        for task in tasks {
            match validate_task(fw, &task, &agent_id, &remaining, &launched) {
                Err(message) => {
                    let status = master_status(
                        &task.task_id.value,
                        TaskState::TaskError,
                        Some(&agent_id),
                        message,
                        task_status::Reason::TaskInvalid,
                    );
                    fw.send_update(status);
                    let refused = Task::refused(task, agent);
                    remember(&mut st.completed, &fw.id, &agent_id, &refused);
                }
                Ok(pool) => {
                    remaining.subtract(&pool);
                    launched.insert(task.task_id.value.clone());
                    let Some(agent_spec) = st.agents.get(agent).map(|a| a.spec.clone()) else {
                        return;
                    };
                    self.launch(fw, &agent_spec, agent, task, pool);
                }
            }
        }
        if let Some(a) = st.agents.get_mut(agent) {
            a.available.add(&remaining);
        }
        let refuse = refuse_for(accept.filters.as_ref());
        if !remaining.is_empty() && !refuse.is_zero() {
            fw.filters.insert(agent, Instant::now() + refuse);
        }
    }

    fn launch(
        &self,
        fw: &mut Framework,
        agent: &AgentSpec,
        index: usize,
        task: TaskInfo,
        pool: Pool,
    ) {
        let task_id = task.task_id.value.clone();
        let sandbox = agent
            .work_dir
            .join("frameworks")
            .join(path_component(&fw.id.value))
            .join("executors")
            .join(path_component(&task_id))
            .join("runs")
            .join(uuid_string(&random_uuid()));
        let (kill, kill_rx) = oneshot::channel();
        let command = task.command.clone().unwrap_or_default();
        let launch = Launch {
            framework_id: fw.id.value.clone(),
            task_id: task_id.clone(),
            agent_id: agent.id.value.clone(),
            sandbox: sandbox.clone(),
            command: agent::command_spec(&command),
        };
        fw.tasks.insert(
            task_id,
            Task {
                info: task,
                agent: index,
                state: TaskState::TaskStaging,
                pending: VecDeque::new(),
                last_sent: None,
                kill: Some(kill),
                pool,
                freed: false,
                sandbox,
            },
        );
        if let Some(master) = self.me.upgrade() {
            self.runners.spawn(agent::run(master, launch, kill_rx));
        }
    }

    fn kill(&self, st: &mut State, framework: &str, kill: call::Kill) {
        let Some(fw) = st.frameworks.get_mut(framework) else { return };
        let killing = fw.has(capability::Type::TaskKillingState);
        let task_id = kill.task_id.value.clone();
        let Some(task) = fw.tasks.get_mut(&task_id) else {
            reconcile(
                st,
                framework,
                &[call::reconcile::Task { task_id: kill.task_id, agent_id: kill.agent_id }],
            );
            return;
        };
        if task.state.is_terminal() {
            return;
        }
        let policy = kill.kill_policy.as_ref().or(task.info.kill_policy.as_ref());
        let grace = policy
            .and_then(|p| p.grace_period.as_ref())
            .map(|d| Duration::from_nanos(u64::try_from(d.nanoseconds).unwrap_or(0)))
            .unwrap_or(self.timing.kill_grace);
        let Some(sender) = task.kill.take() else { return };
        let _ = sender.send(grace);
        if killing && task.state != TaskState::TaskKilling {
            let agent_id = st.agents.get(task.agent).map(|a| a.spec.id.clone());
            let status = TaskStatus {
                task_id: kill.task_id.clone(),
                state: TaskState::TaskKilling as i32,
                agent_id,
                executor_id: Some(ExecutorId { value: task_id.clone() }),
                timestamp: Some(now_seconds()),
                source: Some(task_status::Source::Executor as i32),
                uuid: Some(random_uuid().to_vec()),
                ..TaskStatus::default()
            };
            if let Some(fw) = st.frameworks.get_mut(framework) {
                fw.push_update(&task_id, status);
            }
        }
    }
}

/// The checks Mesos's `validation::scheduler::call::validate` makes before anything else.
fn validate(call: &Call) -> Result<(), &'static str> {
    let t = call::Type::try_from(call.r#type.unwrap_or(0)).map_err(|_| "unknown 'type'")?;
    if t == call::Type::Unknown {
        return Err("Expecting 'type' to be present");
    }
    if t != call::Type::Subscribe && call.framework_id.is_none() {
        return Err("Expecting 'framework_id' to be present");
    }
    let body_present = match t {
        call::Type::Subscribe => call.subscribe.is_some(),
        call::Type::Accept => call.accept.is_some(),
        call::Type::Decline => call.decline.is_some(),
        call::Type::Kill => call.kill.is_some(),
        call::Type::Shutdown => call.shutdown.is_some(),
        call::Type::Acknowledge => call.acknowledge.is_some(),
        call::Type::Reconcile => call.reconcile.is_some(),
        call::Type::Message => call.message.is_some(),
        call::Type::Request => call.request.is_some(),
        _ => true,
    };
    if body_present {
        Ok(())
    } else {
        Err("Expecting the call's body for its 'type' to be present")
    }
}

/// Mesos's task checks that matter here; `Ok` carries the resources the task takes.
fn validate_task(
    fw: &Framework,
    task: &TaskInfo,
    agent_id: &AgentId,
    remaining: &Pool,
    launched: &HashSet<String>,
) -> Result<Pool, String> {
    let id = &task.task_id.value;
    if id.is_empty()
        || id == "."
        || id == ".."
        || id.contains('/')
        || id.chars().any(char::is_control)
    {
        return Err(format!("Task ID '{id}' is invalid"));
    }
    if fw.tasks.contains_key(id) || launched.contains(id) {
        return Err(format!("Task has duplicate ID: {id}"));
    }
    if task.agent_id != *agent_id {
        return Err(format!("Task uses invalid agent: {}", task.agent_id.value));
    }
    match (&task.command, &task.executor) {
        (Some(_), None) => {}
        (None, Some(_)) => {
            return Err("Task has an ExecutorInfo: mesos-local runs only command tasks".to_owned())
        }
        _ => return Err(
            "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present"
                .to_owned(),
        ),
    }
    if task
        .command
        .as_ref()
        .is_some_and(|c| c.value.is_none() && (c.shell.unwrap_or(true) || c.arguments.is_empty()))
    {
        return Err("Task's CommandInfo has no value".to_owned());
    }
    let pool = Pool::from_resources(&task.resources)
        .map_err(|e| format!("Task uses invalid resources: {}", e.0))?;
    if pool.is_empty() {
        return Err("Task uses no resources".to_owned());
    }
    if !remaining.contains(&pool) {
        return Err("Task uses more resources than available in the offers".to_owned());
    }
    Ok(pool)
}

fn acknowledge(st: &mut State, framework: &str, ack: &call::Acknowledge) {
    let State { frameworks, agents, completed, .. } = st;
    let Some(fw) = frameworks.get_mut(framework) else { return };
    let Some(task) = fw.tasks.get_mut(&ack.task_id.value) else { return };
    if task.pending.front().and_then(|s| s.uuid.as_deref()) != Some(ack.uuid.as_slice()) {
        return;
    }
    task.pending.pop_front();
    if let Some(next) = task.pending.front().cloned() {
        task.last_sent = Some(Instant::now());
        fw.send_update(next);
    } else if task.state.is_terminal() {
        if let Some(task) = fw.tasks.remove(&ack.task_id.value) {
            let agent_id = agents.get(task.agent).map(|a| a.spec.id.clone()).unwrap_or_default();
            remember(completed, &fw.id, &agent_id, &task);
        }
    }
}

fn reconcile(st: &mut State, framework: &str, asked: &[call::reconcile::Task]) {
    let State { frameworks, agents, .. } = st;
    let Some(fw) = frameworks.get_mut(framework) else { return };
    let message = "Reconciliation: Latest task state".to_owned();
    let mut statuses = Vec::new();
    if asked.is_empty() {
        for (id, task) in &fw.tasks {
            let agent_id = agents.get(task.agent).map(|a| a.spec.id.clone());
            statuses.push(master_status(
                id,
                task.reported_state(),
                agent_id.as_ref(),
                message.clone(),
                task_status::Reason::Reconciliation,
            ));
        }
    }
    for wanted in asked {
        let id = &wanted.task_id.value;
        let status = match fw.tasks.get(id) {
            Some(task) => {
                let agent_id = agents.get(task.agent).map(|a| a.spec.id.clone());
                master_status(
                    id,
                    task.reported_state(),
                    agent_id.as_ref(),
                    message.clone(),
                    task_status::Reason::Reconciliation,
                )
            }
            None => {
                let agent_known = wanted
                    .agent_id
                    .as_ref()
                    .is_some_and(|a| agents.iter().any(|x| x.spec.id == *a && !x.removed));
                let state = fw.unknown_state(agent_known);
                let text = "Reconciliation: Task is unknown".to_owned();
                master_status(
                    id,
                    state,
                    wanted.agent_id.as_ref(),
                    text,
                    task_status::Reason::Reconciliation,
                )
            }
        };
        statuses.push(status);
    }
    for status in statuses {
        fw.send_update(status);
    }
}

fn decline_offers(
    st: &mut State,
    framework: &str,
    offer_ids: &[OfferId],
    filters: Option<&Filters>,
) {
    let refuse = refuse_for(filters);
    for offer_id in offer_ids {
        if st.offers.get(&offer_id.value).is_none_or(|o| o.framework != framework) {
            continue;
        }
        let Some(offer) = st.offers.remove(&offer_id.value) else { continue };
        if let Some(agent) = st.agents.get_mut(offer.agent) {
            agent.available.add(&offer.pool);
        }
        if let Some(fw) = st.frameworks.get_mut(framework) {
            if !refuse.is_zero() {
                fw.filters.insert(offer.agent, Instant::now() + refuse);
            }
        }
    }
}

/// `Filters.refuse_seconds`: 5 s when absent, invalid or negative; at most 365 days.
fn refuse_for(filters: Option<&Filters>) -> Duration {
    let seconds = filters.and_then(|f| f.refuse_seconds).unwrap_or(DEFAULT_REFUSE);
    let seconds = if seconds.is_finite() && seconds >= 0.0 {
        seconds.min(MAX_REFUSE)
    } else {
        DEFAULT_REFUSE
    };
    Duration::from_secs_f64(seconds)
}
