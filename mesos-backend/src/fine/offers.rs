//! `resourceOffers` and `createMesosTask`.
//!
//! First half ([`resource_offers`]): offers failing the constraints are declined with the
//! unmet-constraints refusal, then offers too small for a task (and for the executor, on an
//! agent that has none yet) are declined without filters; the rest become [`WorkerOffer`]s.
//! Second half ([`launch_tasks`]): each [`TaskDescription`] becomes a Mesos task on its agent
//! (the agent's executor created with its first task), the tasks are launched per agent in
//! Scala `HashMap` order of agent ids with a 1 s refusal, and usable offers that got no task
//! are declined without filters.

use std::collections::{BTreeMap, BTreeSet};

use mesos::call;
use mesos::proto::{Filters, Offer, Resource, TaskId, TaskInfo};
use mesos::rules::constraints::matches_attribute_requirements;
use mesos::rules::resources::partition_resources;

use super::executor::create_executor_info;
use super::{Action, FineBackend, Outcome, TaskDescription, WorkerOffer};
use crate::coarse::scala_hash_map;
use crate::Error;

/// Spark's refusal for offers it launched on (`Filters.setRefuseSeconds(1)`).
const LAUNCH_REFUSE_SECONDS: f64 = 1.0;

/// The usable offers of one `resourceOffers` call, between asking Spark's scheduler about
/// them and launching what it placed.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferRound {
    pub(super) usable: Vec<Offer>,
    worker_offers: Vec<WorkerOffer>,
}

impl OfferRound {
    /// What to pass to `scheduler.resourceOffers`, in offer order.
    pub fn worker_offers(&self) -> &[WorkerOffer] {
        &self.worker_offers
    }
}

/// The sum of the scalar resources named `name` (Spark's `getResource`).
fn scalar_sum(resources: &[Resource], name: &str) -> f64 {
    resources
        .iter()
        .filter(|r| r.name == name)
        .map(|r| r.scalar.as_ref().map_or(0.0, |s| s.value))
        .sum()
}

fn decline(backend: &FineBackend, offer: &Offer, refuse_seconds: Option<f64>) -> Action {
    Action::Call(Box::new(call::decline(
        &backend.offer_framework_id(),
        vec![offer.id.clone()],
        refuse_seconds.map(|s| Filters { refuse_seconds: Some(s) }),
    )))
}

pub(super) fn resource_offers(backend: &FineBackend, offers: Vec<Offer>, out: &mut Outcome) {
    let config = &backend.config;
    let mut matched = Vec::new();
    for offer in offers {
        match matches_attribute_requirements(&config.constraints, &offer.attributes) {
            Ok(true) => matched.push(offer),
            Ok(false) => {
                let refuse = config.reject_for_unmet_constraints as f64;
                out.actions.push(decline(backend, &offer, Some(refuse)));
            }
            // As in the coarse backend: a constraint the attribute's type cannot read matches
            // nothing, and declining keeps the offer from hanging.
            Err(e) => {
                tracing::warn!(offer = %offer.id.value, error = %e, "constraint not evaluable");
                let refuse = config.reject_for_unmet_constraints as f64;
                out.actions.push(decline(backend, &offer, Some(refuse)));
            }
        }
    }
    let task_cpus = f64::from(config.cpus_per_task);
    let (usable, unusable): (Vec<Offer>, Vec<Offer>) = matched.into_iter().partition(|o| {
        let mem = scalar_sum(&o.resources, "mem");
        let cpus = scalar_sum(&o.resources, "cpus");
        let has_executor = backend.executors.contains_key(&o.agent_id.value);
        (mem >= f64::from(config.executor_memory_mib)
            && cpus >= config.mesos_executor_cores + task_cpus)
            || (has_executor && cpus >= task_cpus)
    });
    out.actions.extend(unusable.iter().map(|o| decline(backend, o, None)));
    let worker_offers = usable
        .iter()
        .map(|o| {
            let cpus = scalar_sum(&o.resources, "cpus");
            // Until the agent runs an executor, its cores are set aside from the offer.
            let cores = if backend.executors.contains_key(&o.agent_id.value) {
                cpus
            } else {
                cpus - config.mesos_executor_cores
            };
            WorkerOffer {
                executor_id: o.agent_id.value.clone(),
                host: o.hostname.clone(),
                // Scala's `Double.toInt`: truncation, saturating.
                cores: cores as i32,
            }
        })
        .collect();
    out.actions.push(Action::ResourceOffers(OfferRound { usable, worker_offers }));
}

pub(super) fn launch_tasks(
    backend: &mut FineBackend,
    round: OfferRound,
    tasks: Vec<TaskDescription>,
    out: &mut Outcome,
) {
    // Spark keys these maps by agent: with two offers from one agent, the later one wins
    // (Spark assumes one offer per agent and batch).
    let mut offer_of: BTreeMap<&str, &Offer> = BTreeMap::new();
    let mut worker_of: BTreeMap<&str, &WorkerOffer> = BTreeMap::new();
    let mut resources: BTreeMap<String, Vec<Resource>> = BTreeMap::new();
    for (offer, worker) in round.usable.iter().zip(&round.worker_offers) {
        offer_of.insert(&offer.agent_id.value, offer);
        worker_of.insert(&worker.executor_id, worker);
        resources.insert(offer.agent_id.value.clone(), offer.resources.clone());
    }
    // Agents in the order they got their first task, for the HashMap order below.
    let mut mesos_tasks: Vec<(String, Vec<TaskInfo>)> = Vec::new();
    let mut accepted: BTreeSet<String> = BTreeSet::new();
    for task in tasks {
        let agent_id = task.executor_id.clone();
        let Some(available) = resources.get(&agent_id) else {
            // Spark throws here (`NoSuchElementException`), before launching or declining
            // anything more.
            out.error = Some(Error::TaskForUnofferedAgent { task_id: task.task_id, agent_id });
            return;
        };
        accepted.insert(agent_id.clone());
        backend.task_agents.insert(task.task_id, agent_id.clone());
        let (info, left) = match create_mesos_task(backend, task, available) {
            Ok(created) => created,
            Err(e) => {
                out.error = Some(e);
                return;
            }
        };
        resources.insert(agent_id.clone(), left);
        match mesos_tasks.iter_mut().find(|(a, _)| *a == agent_id) {
            Some((_, list)) => list.push(info),
            None => mesos_tasks.push((agent_id, vec![info])),
        }
    }

    let framework_id = backend.offer_framework_id();
    let agents: Vec<&str> = mesos_tasks.iter().map(|(a, _)| a.as_str()).collect();
    for agent_id in scala_hash_map::iteration_order(&agents) {
        let Some((_, infos)) = mesos_tasks.iter().find(|(a, _)| a == agent_id) else { continue };
        let (Some(offer), Some(worker)) = (offer_of.get(agent_id), worker_of.get(agent_id)) else {
            continue;
        };
        out.actions.push(Action::ExecutorAdded {
            executor_id: agent_id.to_owned(),
            host: worker.host.clone(),
            cores: worker.cores,
        });
        out.actions.push(Action::Call(Box::new(call::accept(
            &framework_id,
            vec![offer.id.clone()],
            vec![call::launch(infos.clone())],
            Some(Filters { refuse_seconds: Some(LAUNCH_REFUSE_SECONDS) }),
        ))));
    }
    for offer in &round.usable {
        if !accepted.contains(&offer.agent_id.value) {
            out.actions.push(decline(backend, offer, None));
        }
    }
}

/// `createMesosTask`: the task's `spark.task.cpus` cpus come from what is left of the offer
/// after its agent's executor (created now if the agent has none). Returns the task and what
/// it leaves.
fn create_mesos_task(
    backend: &mut FineBackend,
    task: TaskDescription,
    available: &[Resource],
) -> Result<(TaskInfo, Vec<Resource>), Error> {
    let agent_id = task.executor_id;
    let (executor, remaining) = match backend.executors.get(&agent_id) {
        Some(executor) => (executor.clone(), available.to_vec()),
        None => {
            let app_id = backend.app_id().unwrap_or_default().to_owned();
            create_executor_info(&backend.config, &app_id, &backend.exec_arg, available, &agent_id)?
        }
    };
    backend.executors.insert(agent_id.clone(), executor.clone());
    let (left, cpus) =
        partition_resources(&remaining, "cpus", f64::from(backend.config.cpus_per_task));
    let info = TaskInfo {
        name: task.name,
        task_id: TaskId::from(task.task_id.to_string()),
        agent_id: mesos::proto::AgentId::from(agent_id),
        resources: cpus,
        executor: Some(executor),
        data: Some(task.data),
        ..TaskInfo::default()
    };
    Ok((info, left))
}
