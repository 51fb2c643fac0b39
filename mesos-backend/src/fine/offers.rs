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
    usable: Vec<Offer>,
    worker_offers: Vec<WorkerOffer>,
}

impl OfferRound {
    /// What to pass to `scheduler.resourceOffers`, in offer order.
    pub fn worker_offers(&self) -> &[WorkerOffer] {
        &self.worker_offers
    }

    /// The usable Mesos offers the worker offers stand for, in the same order (for logs).
    pub fn offers(&self) -> &[Offer] {
        &self.usable
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

#[cfg(test)]
mod tests {
    use mesos::event::{Event, Subscribed};
    use mesos::proto::scheduler::call as v1;
    use mesos::proto::{value, AgentId, Attribute, FrameworkId, OfferId};
    use mesos::rules::conf::SparkConf;

    use super::*;
    use crate::coarse::DriverEnv;
    use crate::fine::{FineConfig, Input};

    fn backend(pairs: &[(&str, &str)]) -> FineBackend {
        let mut conf: SparkConf = pairs.iter().copied().collect();
        conf.set("spark.mesos.executor.home", "/s");
        let env = DriverEnv { spark_user: "u".into(), ..DriverEnv::default() };
        let mut b = FineBackend::new(FineConfig::new(&conf, &env).unwrap(), Vec::new());
        let subscribed = Subscribed {
            framework_id: FrameworkId::from("fw"),
            heartbeat_interval: None,
            master_info: None,
        };
        b.handle(Input::Event(Box::new(Event::Subscribed(subscribed))));
        b
    }

    fn scalar(name: &str, v: f64) -> Resource {
        Resource {
            name: name.into(),
            r#type: value::Type::Scalar as i32,
            scalar: Some(value::Scalar { value: v }),
            role: Some("*".into()),
            ..Resource::default()
        }
    }

    fn offer(id: &str, agent: &str, cpus: f64, mem: f64, zone: &str) -> Offer {
        Offer {
            id: OfferId::from(id),
            agent_id: AgentId::from(agent),
            hostname: format!("h-{agent}"),
            resources: vec![scalar("cpus", cpus), scalar("mem", mem)],
            attributes: vec![Attribute {
                name: "zone".into(),
                r#type: value::Type::Text as i32,
                text: Some(value::Text { value: zone.into() }),
                ..Attribute::default()
            }],
            ..Offer::default()
        }
    }

    /// Declines as `offer-id:refuse` (`-` for none) and the worker offers as `agent:cores`.
    fn evaluate(b: &mut FineBackend, offers: Vec<Offer>) -> (Vec<String>, Vec<String>) {
        let out = b.handle(Input::Event(Box::new(Event::Offers(offers))));
        let mut declines = Vec::new();
        let mut workers = Vec::new();
        for action in out.actions {
            match action {
                Action::Call(c) => {
                    let d = c.decline.unwrap();
                    let refuse = d.filters.and_then(|f| f.refuse_seconds);
                    declines.push(format!(
                        "{}:{}",
                        d.offer_ids[0].value,
                        refuse.map_or("-".into(), |r| r.to_string())
                    ));
                }
                Action::ResourceOffers(round) => workers.extend(
                    round.worker_offers().iter().map(|w| format!("{}:{}", w.executor_id, w.cores)),
                ),
                other => panic!("{other:?}"),
            }
        }
        (declines, workers)
    }

    #[test]
    fn which_offers_are_usable() {
        // (conf, offer cpus, mem, zone, decline, worker cores)
        type Case = (&'static [(&'static str, &'static str)], f64, f64, &'static str);
        let cases: &[(Case, Option<&str>, Option<i32>)] = &[
            ((&[], 2.0, 1408.0, "a"), None, Some(1)),
            ((&[], 1.9, 4096.0, "a"), Some("-"), None),
            ((&[], 2.0, 1407.0, "a"), Some("-"), None),
            ((&[("spark.task.cpus", "2")], 2.0, 4096.0, "a"), Some("-"), None),
            ((&[("spark.task.cpus", "2")], 3.0, 4096.0, "a"), None, Some(2)),
            ((&[("spark.mesos.mesosExecutor.cores", "0.5")], 2.0, 4096.0, "a"), None, Some(1)),
            ((&[("spark.mesos.mesosExecutor.cores", "0.5")], 2.6, 4096.0, "a"), None, Some(2)),
            ((&[("spark.executor.memory", "2g")], 4.0, 2431.0, "a"), Some("-"), None),
            ((&[("spark.mesos.constraints", "zone:b")], 4.0, 4096.0, "a"), Some("120"), None),
            ((&[("spark.mesos.constraints", "zone:a")], 4.0, 4096.0, "a"), None, Some(3)),
        ];
        for ((conf, cpus, mem, zone), decline, cores) in cases {
            let mut b = backend(conf);
            let (declines, workers) = evaluate(&mut b, vec![offer("o", "a1", *cpus, *mem, zone)]);
            let want_declines: Vec<String> = decline.iter().map(|d| format!("o:{d}")).collect();
            let want_workers: Vec<String> = cores.iter().map(|c| format!("a1:{c}")).collect();
            assert_eq!((declines, workers), (want_declines, want_workers), "{conf:?} {cpus} {mem}");
        }
    }

    #[test]
    fn an_agent_with_an_executor_needs_only_task_cpus() {
        let mut b = backend(&[]);
        let out = b.handle(Input::Event(Box::new(Event::Offers(vec![offer(
            "o1", "a1", 2.0, 4096.0, "a",
        )]))));
        let Some(Action::ResourceOffers(round)) = out.actions.into_iter().last() else {
            panic!("no round")
        };
        let task = TaskDescription {
            task_id: 0,
            executor_id: "a1".into(),
            name: "t".into(),
            data: Vec::new(),
        };
        b.launch_tasks(round, vec![task]);
        let (declines, workers) = evaluate(&mut b, vec![offer("o2", "a1", 1.0, 10.0, "a")]);
        assert_eq!((declines, workers), (vec![], vec!["a1:1".to_owned()]));
        let (declines, _) = evaluate(&mut b, vec![offer("o3", "a1", 0.9, 4096.0, "a")]);
        assert_eq!(declines, ["o3:-"]);
    }

    fn kinds(out: &Outcome) -> Vec<String> {
        out.actions
            .iter()
            .filter_map(|a| match a {
                Action::Call(c) => {
                    let kind = c.r#type.and_then(|t| v1::Type::try_from(t).ok()).unwrap();
                    let offers = match (&c.accept, &c.decline) {
                        (Some(a), _) => &a.offer_ids,
                        (_, Some(d)) => &d.offer_ids,
                        _ => return None,
                    };
                    Some(format!("{kind:?} {}", offers[0].value))
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn launches_in_hash_map_order_then_declines_what_got_nothing() {
        let mut b = backend(&[]);
        let offers = vec![
            offer("o1", "a1", 2.0, 4096.0, "a"),
            offer("o2", "a2", 2.0, 4096.0, "a"),
            offer("o3", "a3", 2.0, 4096.0, "a"),
        ];
        let out = b.handle(Input::Event(Box::new(Event::Offers(offers))));
        let Some(Action::ResourceOffers(round)) = out.actions.into_iter().last() else {
            panic!("no round")
        };
        let task = |tid: i64, agent: &str| TaskDescription {
            task_id: tid,
            executor_id: agent.into(),
            name: format!("t{tid}"),
            data: vec![1],
        };
        let out = b.launch_tasks(round, vec![task(0, "a1"), task(1, "a3")]);
        assert_eq!(kinds(&out), ["Accept o1", "Accept o3", "Decline o2"]);
        let Action::Call(accept) = &out.actions[1] else { panic!() };
        let accept = accept.accept.as_ref().unwrap();
        assert_eq!(accept.filters.as_ref().unwrap().refuse_seconds, Some(1.0));
        let info = &accept.operations[0].launch.as_ref().unwrap().task_infos[0];
        assert_eq!((info.task_id.value.as_str(), info.data.as_deref()), ("0", Some(&[1u8][..])));
        assert_eq!(info.executor.as_ref().unwrap().executor_id.value, "a1");
    }

    #[test]
    fn a_task_on_an_agent_not_offered_stops_the_launch() {
        let mut b = backend(&[]);
        let out = b.handle(Input::Event(Box::new(Event::Offers(vec![offer(
            "o1", "a1", 2.0, 4096.0, "a",
        )]))));
        let Some(Action::ResourceOffers(round)) = out.actions.into_iter().last() else {
            panic!("no round")
        };
        let task = TaskDescription {
            task_id: 3,
            executor_id: "a9".into(),
            name: "t".into(),
            data: Vec::new(),
        };
        let out = b.launch_tasks(round, vec![task]);
        assert!(out.actions.is_empty());
        assert!(matches!(out.error, Some(Error::TaskForUnofferedAgent { task_id: 3, .. })));
    }
}
