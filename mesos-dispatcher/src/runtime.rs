//! The dispatcher's Mesos connection: the thin I/O around the pure launch core.
//!
//! ```text
//! Settings (FrameworkInfo as Spark's dispatcher builds it) ─▶ client::subscribe ─▶ (Events, Caller)
//! loop: master event | tick ─▶ Runtime::on_event / on_tick ─▶ calls ─▶ Caller
//!   SUBSCRIBED  queue ready (REST answers from now on), RECONCILE launched tasks, then all
//!   OFFERS      launch::resource_offers ─▶ ACCEPT (LAUNCH) / DECLINE
//!   UPDATE      Reconciliation::status_update ─▶ REVIVE when a driver waits for a relaunch,
//!               then ACKNOWLEDGE
//!   tick        KILL for every kill the REST side asked for; REVIVE after a submission or
//!               when a relaunch came due
//! ```
//!
//! The REST server changes the same queue (submissions, kills); the runtime notices on its
//! tick. Every change the runtime makes goes through [`mutate`], whose [`after_change`] runs
//! after each one.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mesos::call;
use mesos::client::{self, Credentials, MasterUrl};
use mesos::event::Event;
use mesos::proto::scheduler::Call;
use mesos::proto::{AgentId, Filters, FrameworkId, FrameworkInfo, TaskId, TaskStatus};
use tracing::{debug, error, info, warn};

use crate::config::DispatcherConfig;
use crate::launch::{self, LaunchConf, Reconciliation, StatusOutcome};
use crate::queue::DriverQueue;
use crate::{Error, Result};

/// How often the runtime looks at the queue for what the REST side changed.
pub const TICK: Duration = Duration::from_millis(200);
/// The failover timeout Spark's dispatcher registers with: `Integer.MAX_VALUE` seconds, so
/// the master keeps its drivers while it is away.
pub const FAILOVER_TIMEOUT_SECS: f64 = i32::MAX as f64;
/// `spark.mesos.dispatcher.webui.url`: the framework's web UI link.
pub const DISPATCHER_WEBUI_URL: &str = "spark.mesos.dispatcher.webui.url";
/// `spark.mesos.role`: the framework's role.
pub const ROLE: &str = "spark.mesos.role";

/// Everything the runtime needs to subscribe and launch.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The Mesos master (`--master` without `mesos://`; `zk://…` works too).
    pub master: MasterUrl,
    /// What the dispatcher subscribes with; set `id` to fail over to an earlier framework.
    pub framework: FrameworkInfo,
    /// `spark.mesos.principal` / `spark.mesos.secret` (or their files and variables).
    pub credentials: Option<Credentials>,
    /// The launch core's settings; the framework id is filled in on subscription.
    pub launch: LaunchConf,
}

impl Settings {
    /// The settings Spark's `MesosClusterDispatcher` derives from its arguments, conf and
    /// environment (`env`: `SPARK_USER`, `USER`, `SPARK_PUBLIC_DNS`, `SPARK_HOME`,
    /// `SPARK_MESOS_*`).
    pub fn from_config(
        config: &DispatcherConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        let master: MasterUrl = config.master.parse().map_err(|source| Error::Mesos { source })?;
        let credentials = Credentials::from_spark_conf(|k| config.conf.get(k).cloned(), env)
            .map_err(|source| Error::Mesos { source })?;
        let framework = framework_info(config, env, credentials.as_ref());
        let launch = LaunchConf {
            spark: config.conf.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect(),
            framework_id: String::new(),
            spark_home_env: env("SPARK_HOME"),
        };
        // Every round of offers reads it: a bad value fails here, not on each round.
        mesos::rules::durations::reject_offer_duration(&launch.spark)?;
        Ok(Self { master, framework, credentials, launch })
    }
}

/// The `FrameworkInfo` of `MesosClusterScheduler.start`: user (`Utils.getCurrentUserName`),
/// name (`--name`), host name (`SPARK_PUBLIC_DNS`, else `spark.driver.host`), web UI URL
/// (`spark.mesos.dispatcher.webui.url`, else `http://<SPARK_PUBLIC_DNS or --host>:<--webui-port>`),
/// checkpointing on, failover timeout `Integer.MAX_VALUE`, `spark.mesos.role`, and the
/// principal of `credentials`. No id: the client keeps the one Mesos gives.
pub fn framework_info(
    config: &DispatcherConfig,
    env: &dyn Fn(&str) -> Option<String>,
    credentials: Option<&Credentials>,
) -> FrameworkInfo {
    let public_dns = env("SPARK_PUBLIC_DNS");
    let public_address = public_dns.clone().unwrap_or_else(|| config.host.clone());
    let webui_url = config
        .conf
        .get(DISPATCHER_WEBUI_URL)
        .cloned()
        .unwrap_or_else(|| format!("http://{public_address}:{}", config.webui_port));
    FrameworkInfo {
        user: env("SPARK_USER").or_else(|| env("USER")).unwrap_or_default(),
        name: config.name.clone(),
        hostname: public_dns.or_else(|| config.conf.get("spark.driver.host").cloned()),
        webui_url: Some(webui_url),
        checkpoint: Some(true),
        failover_timeout: Some(FAILOVER_TIMEOUT_SECS),
        role: config.conf.get(ROLE).cloned(),
        principal: credentials.map(|c| c.principal.clone()),
        ..FrameworkInfo::default()
    }
}

/// Runs `f` on the queue, then [`after_change`]: the one way the runtime changes the queue.
pub fn mutate<R>(queue: &Mutex<DriverQueue>, f: impl FnOnce(&mut DriverQueue) -> R) -> R {
    let mut queue = queue.lock().unwrap_or_else(PoisonError::into_inner);
    let result = f(&mut queue);
    after_change(&queue);
    result
}

/// Runs after every change the runtime makes to the queue (persistence hooks in here).
pub fn after_change(queue: &DriverQueue) {
    debug!(
        queued = queue.queued().count(),
        launched = queue.launched_count(),
        retrying = queue.retrying().count(),
        "driver queue"
    );
}

/// The runtime's state between events: the framework id, the pending reconciliation, and
/// when offers were last revived.
#[derive(Debug)]
pub struct Runtime {
    queue: Arc<Mutex<DriverQueue>>,
    launch: LaunchConf,
    framework_id: Option<FrameworkId>,
    reconciliation: Reconciliation,
    /// The newest submission time seen queued: a newer one needs a REVIVE.
    newest_submission: SystemTime,
    /// The latest relaunch time seen come due: a later one needs a REVIVE.
    newest_due_retry: SystemTime,
}

impl Runtime {
    /// A runtime for `queue`, not subscribed yet.
    pub fn new(queue: Arc<Mutex<DriverQueue>>, launch: LaunchConf) -> Self {
        Self {
            queue,
            launch,
            framework_id: None,
            reconciliation: Reconciliation::default(),
            newest_submission: UNIX_EPOCH,
            newest_due_retry: UNIX_EPOCH,
        }
    }

    /// The framework id, once subscribed.
    pub fn framework_id(&self) -> Option<&FrameworkId> {
        self.framework_id.as_ref()
    }

    /// The calls an event asks for.
    pub fn on_event(&mut self, event: Event, now: SystemTime) -> Vec<Call> {
        match event {
            Event::Subscribed(subscribed) => self.subscribed(subscribed.framework_id, now),
            Event::Offers(offers) => self.offers(&offers, now),
            Event::Update(status) => self.update(&status, now),
            Event::Error(message) => {
                error!(%message, "Error received");
                Vec::new()
            }
            Event::Rescind(_) | Event::Heartbeat => Vec::new(),
            other => {
                debug!(event = ?other, "ignored");
                Vec::new()
            }
        }
    }

    /// The calls the queue's changes since the last tick ask for: KILLs of launched drivers
    /// the REST side killed, and a REVIVE when a driver was submitted or a relaunch came due
    /// since the last one. While the connection is down (`connected` false) nothing is taken
    /// from the queue: the kills wait, and the next SUBSCRIBED revives for what waits.
    pub fn on_tick(&mut self, now: SystemTime, connected: bool) -> Vec<Call> {
        let Some(fw) = self.framework_id.clone().filter(|_| connected) else {
            return Vec::new();
        };
        let (seen_submission, seen_retry) = (self.newest_submission, self.newest_due_retry);
        let (kills, newest_submission, newest_due_retry) = mutate(&self.queue, |q| {
            let submission = q.queued().map(|d| d.submitted).max();
            let due = q.retrying().map(|(_, r)| r.next_retry).filter(|t| *t <= now).max();
            (q.take_kill_requests(), submission, due)
        });
        let submitted = newest_submission.is_some_and(|t| t > seen_submission);
        let due = newest_due_retry.is_some_and(|t| t > seen_retry);
        self.newest_submission =
            self.newest_submission.max(newest_submission.unwrap_or(UNIX_EPOCH));
        self.newest_due_retry = self.newest_due_retry.max(newest_due_retry.unwrap_or(UNIX_EPOCH));
        let revive = submitted || due;
        let mut calls: Vec<Call> = kills
            .into_iter()
            .map(|t| {
                info!(task = %t.task_id, "killing the driver's task");
                let agent = (!t.agent_id.is_empty()).then_some(AgentId { value: t.agent_id });
                call::kill(&fw, TaskId { value: t.task_id }, agent, None)
            })
            .collect();
        if revive {
            calls.push(Self::revive(&fw));
        }
        calls
    }

    fn revive(fw: &FrameworkId) -> Call {
        info!("Reviving Offers.");
        call::revive(fw, Vec::new())
    }

    /// `registered`: the queue takes requests; launched drivers' tasks are reconciled
    /// (explicitly, then every task of the framework).
    fn subscribed(&mut self, fw: FrameworkId, now: SystemTime) -> Vec<Call> {
        info!("Registered as framework ID {}", fw.value);
        self.launch.framework_id = fw.value.clone();
        self.framework_id = Some(fw.clone());
        let reconciliation = &mut self.reconciliation;
        let (tasks, submission, due, waiting) = mutate(&self.queue, |q| {
            q.mark_registered();
            let submission = q.queued().map(|d| d.submitted).max();
            let due = q.retrying().map(|(_, r)| r.next_retry).filter(|t| *t <= now).max();
            let waiting = submission.is_some() || q.retrying().next().is_some();
            (reconciliation.start(q), submission, due, waiting)
        });
        // What waits now is revived for here, not again on the next tick.
        self.newest_submission = self.newest_submission.max(submission.unwrap_or(UNIX_EPOCH));
        self.newest_due_retry = self.newest_due_retry.max(due.unwrap_or(UNIX_EPOCH));
        let mut calls = Vec::new();
        if !tasks.is_empty() {
            info!(tasks = tasks.len(), "reconciling the launched drivers' tasks");
            calls.push(call::reconcile(&fw, tasks));
        }
        calls.push(call::reconcile_all(&fw));
        // Filters from before a reconnection would hold back drivers that wait.
        if waiting {
            calls.push(Self::revive(&fw));
        }
        calls
    }

    /// `resourceOffers`: each offer with drivers placed on it is accepted with their tasks,
    /// the others declined for `spark.mesos.rejectOfferDuration`.
    fn offers(&mut self, offers: &[mesos::proto::Offer], now: SystemTime) -> Vec<Call> {
        let Some(fw) = self.framework_id.clone() else {
            return Vec::new();
        };
        let launch = &self.launch;
        let decisions =
            match mutate(&self.queue, |q| launch::resource_offers(q, offers, now, launch)) {
                Ok(decisions) => decisions,
                // Only a bad `spark.mesos.rejectOfferDuration`, refused at start-up already.
                Err(e) => {
                    error!(error = %e, "placing drivers on offers failed; declining them");
                    let ids = offers.iter().map(|o| o.id.clone()).collect();
                    return vec![call::decline(&fw, ids, None)];
                }
            };
        let mut calls = Vec::new();
        for (offer, tasks) in decisions.launches {
            if tasks.is_empty() {
                // Spark launches no task on it, which declines it with the default filter.
                calls.push(call::decline(&fw, vec![offer], None));
                continue;
            }
            for task in &tasks {
                info!(task = %task.task_id.value, offer = %offer.value, "launching driver");
            }
            calls.push(call::accept(&fw, vec![offer], vec![call::launch(tasks)], None));
        }
        for (offer, refuse_seconds) in decisions.declines {
            let filters = Filters { refuse_seconds: Some(refuse_seconds) };
            calls.push(call::decline(&fw, vec![offer], Some(filters)));
        }
        calls
    }

    /// `statusUpdate`, then the acknowledgement (after handling, as libmesos sends it).
    fn update(&mut self, status: &TaskStatus, now: SystemTime) -> Vec<Call> {
        info!(
            task = %status.task_id.value,
            state = ?mesos::proto::TaskState::try_from(status.state).ok(),
            message = status.message.as_deref().unwrap_or(""),
            reason = ?status.reason.and_then(|r| mesos::proto::task_status::Reason::try_from(r).ok()),
            "Received status update"
        );
        let launch = &self.launch;
        let reconciliation = &mut self.reconciliation;
        let outcome = mutate(&self.queue, |q| reconciliation.status_update(q, status, now, launch));
        let Some(fw) = self.framework_id.clone() else {
            return Vec::new();
        };
        let mut calls = Vec::new();
        match outcome {
            StatusOutcome::Retrying => calls.push(Self::revive(&fw)),
            StatusOutcome::Ignored => {
                debug!(task = %status.task_id.value, "update for no launched driver, or stale")
            }
            StatusOutcome::Recorded | StatusOutcome::Finished => {}
        }
        calls.extend(call::acknowledge(&fw, status));
        calls
    }
}

/// Subscribes as `settings` say and serves the queue until the master's stream ends for good
/// (an error: the master refused the framework, or the failover timeout passed). Drop the
/// future to stop: the framework is left registered, its drivers running, as Spark's
/// `stop()` (a failover) leaves them.
pub async fn run(settings: Settings, queue: Arc<Mutex<DriverQueue>>) -> Result<()> {
    let mut client_config = client::Config::new(settings.master, settings.framework);
    client_config.credentials = settings.credentials;
    // Updates are acknowledged after the queue took them, as Spark's driver does.
    client_config.auto_acknowledge = false;
    let (mut events, caller) =
        client::subscribe(client_config).map_err(|source| Error::Mesos { source })?;
    let mut runtime = Runtime::new(queue, settings.launch);
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let calls = tokio::select! {
            event = events.recv() => match event {
                Some(Ok(event)) => runtime.on_event(event, SystemTime::now()),
                Some(Err(e)) => {
                    warn!(error = %e, "Mesos event stream");
                    continue;
                }
                None => return Err(Error::MesosStreamEnded),
            },
            _ = tick.tick() => runtime.on_tick(SystemTime::now(), caller.is_subscribed()),
        };
        for call in calls {
            let kind = call.r#type;
            if let Err(e) = caller.call(call).await {
                warn!(error = %e, call = ?kind, "call to the master failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use mesos::event::Subscribed;
    use mesos::proto::scheduler::call::Type;
    use mesos::proto::{value, AgentId, Offer, OfferId, Resource, TaskState, TaskStatus};

    use super::*;
    use crate::queue::SubmissionId;
    use crate::queue::{DriverDescription, DriverState, QueueConfig, StatusOutcome as Status};

    fn config(conf: &[(&str, &str)]) -> DispatcherConfig {
        DispatcherConfig {
            host: "10.0.0.5".into(),
            port: 7077,
            webui_port: 8081,
            master: "127.0.0.1:5050".into(),
            zk: None,
            name: "Spark Cluster".into(),
            properties_file: None,
            verbose: false,
            conf: conf.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        }
    }

    fn runtime(conf: &[(&str, &str)]) -> (Runtime, Arc<Mutex<DriverQueue>>) {
        let queue = Arc::new(Mutex::new(DriverQueue::new(QueueConfig::default())));
        let env = |k: &str| (k == "SPARK_HOME").then(|| "/opt/spark".to_owned());
        let settings = Settings::from_config(&config(conf), &env).unwrap();
        (Runtime::new(Arc::clone(&queue), settings.launch), queue)
    }

    fn subscribed(id: &str) -> Event {
        Event::Subscribed(Subscribed {
            framework_id: FrameworkId { value: id.into() },
            heartbeat_interval: None,
            master_info: None,
        })
    }

    fn submit(queue: &Mutex<DriverQueue>, supervise: bool, at: SystemTime) -> SubmissionId {
        let mut q = queue.lock().unwrap();
        let id = q.next_submission_id(at);
        let driver = DriverDescription {
            submission_id: id.clone(),
            name: "app".into(),
            app_resource: "http://h/app.jar".into(),
            main_class: "Main".into(),
            app_args: vec![],
            environment: BTreeMap::new(),
            spark_properties: [("spark.app.name".to_owned(), "app".to_owned())].into(),
            mem_mb: 1408,
            cores: 1.0,
            supervise,
            submitted: at,
        };
        q.submit(driver);
        id
    }

    fn scalar(name: &str, v: f64) -> Resource {
        Resource {
            name: name.into(),
            r#type: value::Type::Scalar as i32,
            scalar: Some(value::Scalar { value: v }),
            ..Resource::default()
        }
    }

    fn offer(id: &str) -> Offer {
        Offer {
            id: OfferId { value: id.into() },
            framework_id: FrameworkId { value: "fw".into() },
            agent_id: AgentId { value: "agent".into() },
            hostname: "h".into(),
            resources: vec![scalar("cpus", 4.0), scalar("mem", 8192.0)],
            ..Offer::default()
        }
    }

    fn status(task: &str, state: TaskState) -> TaskStatus {
        TaskStatus {
            task_id: TaskId { value: task.into() },
            state: state as i32,
            agent_id: Some(AgentId { value: "agent".into() }),
            uuid: Some(vec![1, 2, 3]),
            ..TaskStatus::default()
        }
    }

    fn kinds(calls: &[Call]) -> Vec<Type> {
        calls.iter().map(|c| Type::try_from(c.r#type.unwrap_or(0)).unwrap()).collect()
    }

    fn state(queue: &Mutex<DriverQueue>, id: &SubmissionId) -> DriverState {
        match queue.lock().unwrap().status(id) {
            Status::State(s, _) => s,
            Status::NotReady => panic!("not ready"),
        }
    }

    #[test]
    fn framework_info_is_the_dispatchers() {
        let env = |k: &str| match k {
            "USER" => Some("alice".to_owned()),
            _ => None,
        };
        let credentials = Credentials { principal: "p".into(), secret: Some("s".into()) };
        let info = framework_info(&config(&[(ROLE, "drivers")]), &env, Some(&credentials));
        assert_eq!(info.user, "alice");
        assert_eq!(info.name, "Spark Cluster");
        assert_eq!(info.webui_url.as_deref(), Some("http://10.0.0.5:8081"));
        assert_eq!(info.checkpoint, Some(true));
        assert_eq!(info.failover_timeout, Some(2_147_483_647.0));
        assert_eq!(info.role.as_deref(), Some("drivers"));
        assert_eq!(info.principal.as_deref(), Some("p"));
        assert!(info.id.is_none() && info.hostname.is_none());
        let env = |k: &str| (k == "SPARK_PUBLIC_DNS").then(|| "pub.example".to_owned());
        let set = config(&[(DISPATCHER_WEBUI_URL, "http://ui")]);
        let info = framework_info(&set, &env, None);
        assert_eq!(info.webui_url.as_deref(), Some("http://ui"));
        assert_eq!(info.hostname.as_deref(), Some("pub.example"));
    }

    #[test]
    fn registration_readies_the_queue_and_reconciles() {
        let (mut rt, queue) = runtime(&[]);
        assert!(!queue.lock().unwrap().is_ready());
        assert!(rt.on_tick(UNIX_EPOCH, true).is_empty(), "nothing before registration");
        let calls = rt.on_event(subscribed("fw"), UNIX_EPOCH);
        assert!(queue.lock().unwrap().is_ready());
        assert_eq!(kinds(&calls), [Type::Reconcile]);
        assert!(calls[0].reconcile.as_ref().is_some_and(|r| r.tasks.is_empty()));

        // A launched driver, then a reconnection: its task is reconciled explicitly first.
        let t0 = UNIX_EPOCH + Duration::from_secs(10);
        let id = submit(&queue, false, t0);
        rt.on_tick(t0, true);
        rt.on_event(Event::Offers(vec![offer("o1")]), t0);
        let calls = rt.on_event(subscribed("fw"), t0);
        assert_eq!(kinds(&calls), [Type::Reconcile, Type::Reconcile]);
        let explicit = calls[0].reconcile.as_ref().unwrap();
        assert_eq!(explicit.tasks.len(), 1);
        assert_eq!(explicit.tasks[0].task_id.value, id.as_str());
        assert_eq!(explicit.tasks[0].agent_id.as_ref().unwrap().value, "agent");
        // The master does not know it: LOST, reason reconciliation, no uuid to acknowledge.
        let mut lost = status(id.as_str(), TaskState::TaskLost);
        lost.reason = Some(mesos::proto::task_status::Reason::Reconciliation as i32);
        lost.uuid = None;
        assert!(rt.on_event(Event::Update(lost.clone()), t0).is_empty());
        assert_eq!(state(&queue, &id), DriverState::Finished);
    }

    #[test]
    fn submissions_revive_offers_launch_and_updates_are_acknowledged() {
        let (mut rt, queue) = runtime(&[("spark.mesos.rejectOfferDuration", "7s")]);
        rt.on_event(subscribed("fw"), UNIX_EPOCH);
        let t0 = UNIX_EPOCH + Duration::from_secs(10);
        assert!(rt.on_tick(t0, true).is_empty(), "nothing waits");
        let id = submit(&queue, false, t0);
        assert_eq!(kinds(&rt.on_tick(t0, true)), [Type::Revive]);
        assert!(rt.on_tick(t0 + TICK, true).is_empty(), "one REVIVE per submission");

        let calls = rt.on_event(Event::Offers(vec![offer("o1"), offer("o2")]), t0);
        assert_eq!(kinds(&calls), [Type::Accept, Type::Decline]);
        let accept = calls[0].accept.as_ref().unwrap();
        assert_eq!(accept.offer_ids[0].value, "o1");
        let task = &accept.operations[0].launch.as_ref().unwrap().task_infos[0];
        assert_eq!(task.task_id.value, id.as_str());
        let decline = calls[1].decline.as_ref().unwrap();
        assert_eq!(decline.filters.as_ref().unwrap().refuse_seconds, Some(7.0));
        assert_eq!(state(&queue, &id), DriverState::Running);

        let calls = rt.on_event(Event::Update(status(id.as_str(), TaskState::TaskRunning)), t0);
        assert_eq!(kinds(&calls), [Type::Acknowledge]);
        let calls = rt.on_event(Event::Update(status(id.as_str(), TaskState::TaskFinished)), t0);
        assert_eq!(kinds(&calls), [Type::Acknowledge]);
        assert_eq!(state(&queue, &id), DriverState::Finished);
    }

    #[test]
    fn supervised_failures_relaunch_after_the_backoff() {
        let (mut rt, queue) = runtime(&[]);
        rt.on_event(subscribed("fw"), UNIX_EPOCH);
        let t0 = UNIX_EPOCH + Duration::from_secs(10);
        let id = submit(&queue, true, t0);
        rt.on_tick(t0, true);
        rt.on_event(Event::Offers(vec![offer("o1")]), t0);
        let calls = rt.on_event(Event::Update(status(id.as_str(), TaskState::TaskFailed)), t0);
        assert_eq!(kinds(&calls), [Type::Revive, Type::Acknowledge]);
        assert_eq!(state(&queue, &id), DriverState::Retrying);

        // Offers before the 1 s wait ends are declined; the REVIVE comes when it ends.
        let early = t0 + Duration::from_millis(500);
        assert_eq!(kinds(&rt.on_event(Event::Offers(vec![offer("o2")]), early)), [Type::Decline]);
        assert!(rt.on_tick(early, true).is_empty());
        let due = t0 + Duration::from_millis(1200);
        assert_eq!(kinds(&rt.on_tick(due, true)), [Type::Revive]);
        assert!(rt.on_tick(due + TICK, true).is_empty());
        let calls = rt.on_event(Event::Offers(vec![offer("o3")]), due);
        let accept = calls[0].accept.as_ref().unwrap();
        let task = &accept.operations[0].launch.as_ref().unwrap().task_infos[0];
        assert_eq!(task.task_id.value, format!("{id}-retry-1"));

        // The second failure waits twice as long.
        let t1 = due + Duration::from_secs(1);
        rt.on_event(Event::Update(status(&format!("{id}-retry-1"), TaskState::TaskFailed)), t1);
        assert!(rt.on_tick(t1 + Duration::from_millis(1500), true).is_empty());
        assert_eq!(kinds(&rt.on_tick(t1 + Duration::from_millis(2100), true)), [Type::Revive]);
    }

    #[test]
    fn a_driver_that_can_never_launch_does_not_hold_back_the_others() {
        let (mut rt, queue) = runtime(&[]);
        rt.on_event(subscribed("fw"), UNIX_EPOCH);
        let t0 = UNIX_EPOCH + Duration::from_secs(10);
        let bad = submit(&queue, false, t0);
        let good = submit(&queue, false, t0 + Duration::from_secs(1));
        {
            let mut q = queue.lock().unwrap();
            let mut d = q.queued().next().unwrap().clone();
            assert_eq!(q.kill(&bad), crate::queue::KillOutcome::RemovedPending);
            d.spark_properties.insert("spark.mesos.driver.constraints".into(), "zone:a:b".into());
            q.submit(d);
        }
        let calls = rt.on_event(Event::Offers(vec![offer("o1")]), t0 + Duration::from_secs(2));
        assert_eq!(kinds(&calls), [Type::Accept]);
        assert_eq!(state(&queue, &bad), DriverState::Finished);
        assert_eq!(state(&queue, &good), DriverState::Running);
        let bad_duration = [("spark.mesos.rejectOfferDuration", "soon")];
        let env = |_: &str| None;
        assert!(Settings::from_config(&config(&bad_duration), &env).is_err());
    }

    #[test]
    fn kills_of_launched_drivers_become_kill_calls() {
        let (mut rt, queue) = runtime(&[]);
        rt.on_event(subscribed("fw"), UNIX_EPOCH);
        let t0 = UNIX_EPOCH + Duration::from_secs(10);
        let id = submit(&queue, false, t0);
        rt.on_tick(t0, true);
        rt.on_event(Event::Offers(vec![offer("o1")]), t0);
        queue.lock().unwrap().kill(&id);
        assert!(rt.on_tick(t0 + TICK, false).is_empty(), "kills wait for the connection");
        let calls = rt.on_tick(t0 + TICK, true);
        assert_eq!(kinds(&calls), [Type::Kill]);
        let kill = calls[0].kill.as_ref().unwrap();
        assert_eq!(kill.task_id.value, id.as_str());
        assert_eq!(kill.agent_id.as_ref().unwrap().value, "agent");
        assert_eq!(state(&queue, &id), DriverState::Running, "until Mesos reports the end");
        let mut killed = status(id.as_str(), TaskState::TaskKilled);
        killed.uuid = None;
        assert!(rt.on_event(Event::Update(killed), t0).is_empty());
        assert_eq!(state(&queue, &id), DriverState::Finished);
    }
}
