//! `resourceOffers`: offers failing the constraints are declined first, then executors are
//! created round-robin over the rest (one per offer per round, while any offer can take one),
//! then each offer is launched on or declined, in offer order.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use mesos::call;
use mesos::proto::{Filters, Offer, Resource, TaskInfo};
use mesos::rules::constraints::matches_attribute_requirements;
use mesos::rules::resources::{check_ports, partition_port_resources, partition_resources};

use super::state::{Agent, MAX_AGENT_FAILURES};
use super::{task, Action, CoarseBackend, Outcome};
use crate::Error;

/// The sum of the scalar resources named `name` (Spark's `getResource`).
pub(super) fn scalar_sum(resources: &[Resource], name: &str) -> f64 {
    resources
        .iter()
        .filter(|r| r.name == name)
        .map(|r| r.scalar.as_ref().map_or(0.0, |s| s.value))
        .sum()
}

/// Scala's `Double.toInt`: truncation, saturating.
fn to_int(v: f64) -> i32 {
    v as i32
}

fn decline(backend: &CoarseBackend, offer: &Offer, refuse: Option<Duration>) -> Action {
    let framework_id = backend.state.framework_id.clone().unwrap_or_default();
    Action::Call(Box::new(call::decline(
        &framework_id,
        vec![offer.id.clone()],
        refuse.map(|d| Filters { refuse_seconds: Some(d.as_secs_f64()) }),
    )))
}

pub(super) fn resource_offers(
    backend: &mut CoarseBackend,
    offers: Vec<Offer>,
    now: Instant,
    out: &mut Outcome,
) {
    // After stop(), and while the executor limit is reached, every offer is declined without
    // filters.
    if backend.state.stopped {
        out.actions.extend(offers.iter().map(|o| decline(backend, o, None)));
        return;
    }
    if backend.state.num_executors() >= backend.state.executor_limit() {
        out.actions.extend(offers.iter().map(|o| decline(backend, o, None)));
        backend.state.launching_executors = false;
        return;
    }
    if !backend.state.launching_executors {
        backend.state.launching_executors = true;
        backend.state.locality_wait_start = now;
    }

    let mut matched = Vec::new();
    let mut unmatched = Vec::new();
    for offer in offers {
        match matches_attribute_requirements(&backend.config.constraints, &offer.attributes) {
            Ok(true) => matched.push(offer),
            Ok(false) => unmatched.push(offer),
            // A constraint value the offer's attribute type cannot read (a non-number for a
            // SCALAR or RANGES attribute) matches nothing: Spark never matches RANGES at all,
            // and declining keeps the offer from hanging until the master rescinds it.
            Err(e) => {
                tracing::warn!(offer = %offer.id.value, error = %e, "constraint not evaluable");
                unmatched.push(offer);
            }
        }
    }
    let unmet = backend.config.reject_for_unmet_constraints;
    out.actions.extend(unmatched.iter().map(|o| decline(backend, o, Some(unmet))));

    let tasks = match build_tasks(backend, &matched, now) {
        Ok(tasks) => tasks,
        Err(e) => {
            out.error = Some(e);
            return;
        }
    };
    let framework_id = backend.state.framework_id.clone().unwrap_or_default();
    for (offer, mut offer_tasks) in matched.iter().zip(tasks) {
        if !offer_tasks.is_empty() {
            // Spark prepends each new task to the offer's list.
            offer_tasks.reverse();
            out.actions.push(Action::Call(Box::new(call::accept(
                &framework_id,
                vec![offer.id.clone()],
                vec![call::launch(offer_tasks)],
                None,
            ))));
        } else if backend.state.total_cores >= backend.config.max_cores {
            let refuse = backend.config.reject_for_reached_max_cores;
            out.actions.push(decline(backend, offer, Some(refuse)));
        } else {
            out.actions.push(decline(backend, offer, None));
        }
    }
}

/// `buildMesosTasks`: the tasks for each offer (in creation order), round-robin.
fn build_tasks(
    backend: &mut CoarseBackend,
    offers: &[Offer],
    now: Instant,
) -> Result<Vec<Vec<TaskInfo>>, Error> {
    let mut tasks: Vec<Vec<TaskInfo>> = vec![Vec::new(); offers.len()];
    let mut remaining: Vec<Vec<Resource>> = offers.iter().map(|o| o.resources.clone()).collect();
    let mut launched = true;
    while launched {
        launched = false;
        for ((offer, resources), offer_tasks) in offers.iter().zip(&mut remaining).zip(&mut tasks) {
            let agent_id = offer.agent_id.value.as_str();
            if can_launch_task(backend, agent_id, &offer.hostname, resources, now)? {
                launched = true;
                let (task, left) = create_task(backend, offer, resources)?;
                offer_tasks.push(task);
                *resources = left;
            }
        }
    }
    Ok(tasks)
}

/// One executor on `offer` out of `resources` (what earlier rounds left of it): the task and
/// what it leaves. Records the executor on its agent and its cores and GPUs.
fn create_task(
    backend: &mut CoarseBackend,
    offer: &Offer,
    resources: &[Resource],
) -> Result<(TaskInfo, Vec<Resource>), Error> {
    let task_id = backend.state.next_task_id.to_string();
    backend.state.next_task_id += 1;
    let offer_cpus = to_int(scalar_sum(resources, "cpus"));
    let task_gpus = (backend.config.max_gpus - backend.state.total_gpus)
        .max(0)
        .min(to_int(scalar_sum(resources, "gpus")));
    let task_cpus = executor_cores(backend, offer_cpus);
    backend
        .state
        .agents
        .entry(offer.agent_id.value.clone())
        .or_insert_with(|| Agent::new(&offer.hostname))
        .task_ids
        .insert(task_id.clone());
    let (left, used) = partition_task_resources(backend, resources, task_cpus, task_gpus)?;
    let app_id = backend.app_id().unwrap_or_default().to_owned();
    let task =
        task::executor_task_info(&backend.config, &app_id, offer, &task_id, task_cpus, used)?;
    let state = &mut backend.state;
    state.total_cores += task_cpus;
    state.cores_by_task.insert(task_id.clone(), task_cpus);
    if task_gpus > 0 {
        state.total_gpus += task_gpus;
        state.gpus_by_task.insert(task_id, task_gpus);
    }
    Ok((task, left))
}

/// `executorCores`: `spark.executor.cores`, else what the offer has up to what the max leaves.
fn executor_cores(backend: &CoarseBackend, offer_cpus: i32) -> i32 {
    backend
        .config
        .executor_cores
        .unwrap_or_else(|| offer_cpus.min(backend.config.max_cores - backend.state.total_cores))
}

/// `canLaunchTask`.
fn can_launch_task(
    backend: &CoarseBackend,
    agent_id: &str,
    hostname: &str,
    resources: &[Resource],
    now: Instant,
) -> Result<bool, Error> {
    let offer_mem = scalar_sum(resources, "mem");
    let offer_cpus = to_int(scalar_sum(resources, "cpus"));
    let cpus = executor_cores(backend, offer_cpus);
    let config = &backend.config;
    let state = &backend.state;
    let failures = state.agents.get(agent_id).map_or(0, |a| a.task_failures);
    let meets_ports = check_ports(&config.conf, resources)?;
    Ok(cpus > 0
        && cpus <= offer_cpus
        && i64::from(cpus) + i64::from(state.total_cores) <= i64::from(config.max_cores)
        && f64::from(config.executor_memory_mib) <= offer_mem
        && state.num_executors() < state.executor_limit()
        && failures < MAX_AGENT_FAILURES
        && meets_ports
        && satisfies_locality(backend, hostname, now))
}

/// `satisfiesLocality`: with dynamic allocation and locality preferences, an offer from a
/// host that is not wanted (or already has an executor) waits out `spark.locality.wait`.
fn satisfies_locality(backend: &CoarseBackend, hostname: &str, now: Instant) -> bool {
    let state = &backend.state;
    if !backend.config.dynamic_allocation || state.host_to_local_task_count.is_empty() {
        return true;
    }
    let current: BTreeSet<&str> = state
        .agents
        .values()
        .filter(|a| !a.task_ids.is_empty())
        .map(|a| a.hostname.as_str())
        .collect();
    let wanted = state
        .host_to_local_task_count
        .iter()
        .any(|(host, _)| host == hostname && !current.contains(host.as_str()));
    let waited = now.saturating_duration_since(state.locality_wait_start);
    wanted || waited > backend.config.locality_wait
}

/// `partitionTaskResources`: cpus, mem, gpus out of the offer, then the pinned ports; the
/// task's resources in the order cpus, mem, ports, gpus.
fn partition_task_resources(
    backend: &CoarseBackend,
    resources: &[Resource],
    cpus: i32,
    gpus: i32,
) -> Result<(Vec<Resource>, Vec<Resource>), Error> {
    let (after_cpus, cpus_used) = partition_resources(resources, "cpus", f64::from(cpus));
    let (after_mem, mem_used) =
        partition_resources(&after_cpus, "mem", f64::from(backend.config.executor_memory_mib));
    let (after_gpus, gpus_used) = partition_resources(&after_mem, "gpus", f64::from(gpus));
    let (left, ports_used) = partition_port_resources(&backend.config.pinned_ports, &after_gpus)?;
    let used = cpus_used.into_iter().chain(mem_used).chain(ports_used).chain(gpus_used).collect();
    Ok((left, used))
}
