//! The real backend behind the bridge in fine-grained mode (`spark.mesos.coarse=false`): the
//! Mesos scheduler client underneath, the fine core deciding, and Spark's `TaskSchedulerImpl`
//! in the driver placing tasks on the worker offers this loop sends it.
//!
//! ```text
//! Start ─▶ FineConfig + FrameworkInfo ─▶ client::subscribe ─▶ (Events, Caller)
//! loop: master event | driver request | round deadline ─▶ FineBackend ─▶ calls, events
//!   OFFERS ─▶ resourceOffers {round} ─▶ (driver) launchTasks {round} ─▶ launch_tasks ─▶ ACCEPT
//! ```
//! Rounds are answered in order. One unanswered for [`ROUND_TIMEOUT`] is declined without
//! filters (Spark holds its lock across the call, so it never has this case), and a later
//! answer to it is ignored. Ends after TEARDOWN (`stop`, or end of stdin), or when the
//! master's stream ends for good.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use mesos::call;
use mesos::client::Caller;
use mesos::event::Event as MesosEvent;
use mesos::proto::scheduler::call::Type as CallType;
use mesos::proto::FrameworkId;
use mesos::rules::conf::SparkConf;
use tokio::sync::mpsc;

use crate::bridge::fine_translate;
use crate::bridge::protocol::{Event, Request, Start};
use crate::bridge::runtime::subscribe;
use crate::coarse::DriverEnv;
use crate::fine::{framework_info, Action, FineBackend, FineConfig, Input, OfferRound, Outcome};
use crate::Error;

/// How long the driver may take to answer a `resourceOffers` round before its offers are
/// declined. Placing tasks takes milliseconds; this covers a driver stalled in GC.
pub const ROUND_TIMEOUT: Duration = Duration::from_secs(30);

/// An offer round sent to the driver and not answered yet.
#[derive(Debug)]
struct Pending<R> {
    number: u64,
    round: R,
    deadline: Instant,
}

/// The rounds awaiting the driver, oldest first. Pure bookkeeping: the rounds it gives back
/// are the caller's to decline.
#[derive(Debug)]
struct Rounds<R> {
    pending: VecDeque<Pending<R>>,
    next: u64,
}

impl<R> Rounds<R> {
    fn new() -> Self {
        Self { pending: VecDeque::new(), next: 0 }
    }

    /// Numbers a new round, answerable until `now + ROUND_TIMEOUT`.
    fn open(&mut self, round: R, now: Instant) -> u64 {
        let number = self.next;
        self.next += 1;
        self.pending.push_back(Pending { number, round, deadline: now + ROUND_TIMEOUT });
        number
    }

    /// The round `number` answers (`None` when it is no longer pending), and the older ones
    /// it skips.
    fn answer(&mut self, number: u64) -> (Option<R>, Vec<R>) {
        let mut skipped = Vec::new();
        while self.pending.front().is_some_and(|p| p.number <= number) {
            let Some(pending) = self.pending.pop_front() else { break };
            if pending.number == number {
                return (Some(pending.round), skipped);
            }
            skipped.push(pending.round);
        }
        (None, skipped)
    }

    /// The rounds past their deadline at `now`, removed.
    fn expire(&mut self, now: Instant) -> Vec<(u64, R)> {
        let mut expired = Vec::new();
        while self.pending.front().is_some_and(|p| p.deadline <= now) {
            let Some(pending) = self.pending.pop_front() else { break };
            expired.push((pending.number, pending.round));
        }
        expired
    }

    /// When the oldest round expires.
    fn next_deadline(&self) -> Option<Instant> {
        self.pending.front().map(|p| p.deadline)
    }
}

/// Serves one driver in fine mode: subscribes as `start` says, then turns `requests` and the
/// master's events into calls and events for Spark's scheduler.
pub async fn run(
    start: Start,
    mut requests: mpsc::Receiver<Request>,
    mut send: impl FnMut(&Event) -> Result<(), Error>,
) -> Result<(), Error> {
    let conf: SparkConf = start.conf.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let env = |name: &str| std::env::var(name).ok();
    let driver_env = DriverEnv {
        spark_user: start.user.clone(),
        spark_home: start.spark_home.clone(),
        executor_uri: env("SPARK_EXECUTOR_URI"),
        executor_envs: Some(start.executor_env.clone()),
    };
    let config = FineConfig::new(&conf, &driver_env)?;
    let exec_arg = fine_translate::exec_arg(&start)?;
    let (mut events, caller) = subscribe(&start, &conf, framework_info)?;

    let mut backend = FineBackend::new(config, exec_arg);
    let mut rounds = Rounds::new();
    let mut requests_open = true;
    loop {
        let deadline = rounds.next_deadline();
        let outcome = tokio::select! {
            event = events.recv() => match event {
                Some(Ok(event)) => {
                    if let MesosEvent::Subscribed(s) = &event {
                        send(&Event::Registered { framework_id: s.framework_id.value.clone() })?;
                    }
                    backend.handle(Input::Event(Box::new(event)))
                }
                Some(Err(e)) => {
                    eprintln!("spark-mesos-backend: Mesos stream: {e}");
                    continue;
                }
                // The master refused us: nothing to serve.
                None => return Ok(()),
            },
            request = requests.recv(), if requests_open => match request {
                Some(Request::ReviveOffers) => backend.handle(Input::ReviveOffers),
                Some(Request::KillTask { task_id }) => backend.handle(Input::KillTask(task_id)),
                Some(Request::LaunchTasks(launch)) => {
                    let (answered, skipped) = rounds.answer(launch.round);
                    for round in &skipped {
                        decline(&backend, &caller, round).await;
                    }
                    let Some(round) = answered else {
                        eprintln!(
                            "spark-mesos-backend: launchTasks for round {} came after its \
                             offers were declined",
                            launch.round
                        );
                        continue;
                    };
                    match fine_translate::tasks(launch.tasks) {
                        Ok(tasks) => backend.launch_tasks(round, tasks),
                        // Declining keeps the offers from hanging; Spark's scheduler hears of
                        // the tasks no more, so they are lost with their stage.
                        Err(e) => {
                            decline(&backend, &caller, &round).await;
                            Outcome { actions: Vec::new(), error: Some(e) }
                        }
                    }
                }
                Some(Request::Stop) => backend.handle(Input::Stop),
                Some(other) => {
                    let e = Error::BridgeUnexpected { request: other.kind(), state: "in fine mode" };
                    send(&Event::Error { message: e.to_string() })?;
                    continue;
                }
                // The driver is gone: stop as if it had said so.
                None => {
                    requests_open = false;
                    backend.handle(Input::Stop)
                }
            },
            () = sleep_until(deadline) => {
                for (number, round) in rounds.expire(Instant::now()) {
                    eprintln!(
                        "spark-mesos-backend: the driver did not answer offer round {number} in \
                         {ROUND_TIMEOUT:?}; declining its offers"
                    );
                    decline(&backend, &caller, &round).await;
                }
                continue;
            }
        };
        if apply(outcome, &caller, &mut rounds, &mut send).await? {
            return Ok(());
        }
    }
}

/// Performs the core's actions; `true` once TEARDOWN went out.
async fn apply(
    outcome: Outcome,
    caller: &Caller,
    rounds: &mut Rounds<OfferRound>,
    send: &mut impl FnMut(&Event) -> Result<(), Error>,
) -> Result<bool, Error> {
    if let Some(e) = outcome.error {
        eprintln!("spark-mesos-backend: {e}");
    }
    let mut torn_down = false;
    for action in outcome.actions {
        match action {
            Action::Call(call) => {
                for line in fine_translate::launch_log(&call) {
                    eprintln!("spark-mesos-backend: {line}");
                }
                let teardown = call.r#type == Some(CallType::Teardown as i32);
                if let Err(e) = caller.call(*call).await {
                    eprintln!("spark-mesos-backend: call failed: {e}");
                }
                torn_down |= teardown;
            }
            Action::ResourceOffers(round) => {
                let event = fine_translate::resource_offers(rounds.next, &round);
                rounds.open(round, Instant::now());
                send(&event)?;
            }
            other => {
                if let Some(event) = fine_translate::event_of(&other) {
                    send(&event)?;
                }
            }
        }
    }
    // Give the master a moment to take TEARDOWN before the connection closes with us.
    if torn_down {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(torn_down)
}

/// Declines a round's offers without filters, so they come back at once.
async fn decline(backend: &FineBackend, caller: &Caller, round: &OfferRound) {
    let ids: Vec<_> = round.offers().iter().map(|o| o.id.clone()).collect();
    if ids.is_empty() {
        return;
    }
    let framework_id = FrameworkId::from(backend.app_id().unwrap_or_default());
    if let Err(e) = caller.call(call::decline(&framework_id, ids, None)).await {
        eprintln!("spark-mesos-backend: call failed: {e}");
    }
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep(at.saturating_duration_since(Instant::now())).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_are_answered_in_order_and_skipped_ones_are_given_back() {
        let now = Instant::now();
        let mut rounds = Rounds::new();
        assert_eq!(
            [rounds.open("a", now), rounds.open("b", now), rounds.open("c", now)],
            [0, 1, 2]
        );
        assert_eq!(rounds.answer(1), (Some("b"), vec!["a"]));
        // Round 0 was declined when 1 was answered: a late answer finds nothing.
        assert_eq!(rounds.answer(0), (None, vec![]));
        assert_eq!(rounds.answer(2), (Some("c"), vec![]));
        assert_eq!(rounds.next_deadline(), None);
    }

    #[test]
    fn unanswered_rounds_expire_oldest_first() {
        let now = Instant::now();
        let mut rounds = Rounds::new();
        rounds.open("a", now);
        rounds.open("b", now + Duration::from_secs(5));
        assert_eq!(rounds.next_deadline(), Some(now + ROUND_TIMEOUT));
        assert!(rounds.expire(now).is_empty());
        assert_eq!(rounds.expire(now + ROUND_TIMEOUT), vec![(0, "a")]);
        assert_eq!(rounds.answer(0), (None, vec![]));
        assert_eq!(rounds.expire(now + ROUND_TIMEOUT * 2), vec![(1, "b")]);
    }
}
