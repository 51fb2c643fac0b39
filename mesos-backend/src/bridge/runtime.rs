//! The real backend behind the bridge: the Mesos scheduler client underneath, the coarse core
//! deciding, and bridge events for the driver. The only I/O of the bridge besides the pipes.
//!
//! ```text
//! Start ─▶ CoarseConfig + FrameworkInfo ─▶ client::subscribe ─▶ (Events, Caller)
//! loop: master event | driver request | stop deadline | shuffle registration failed
//!       ─▶ CoarseBackend::handle ─▶ calls, shuffle::register (spawned)
//!       translate::from_mesos / launched ─▶ bridge events
//! ```
//! Ends after TEARDOWN (the core sends it once stopped and its executors are gone or the
//! shutdown timeout passed), or when the master's stream ends for good.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use mesos::client::{self, Caller, Credentials, MasterUrl};
use mesos::proto::scheduler::call::Type as CallType;
use mesos::proto::FrameworkInfo;
use mesos::rules::conf::SparkConf;
use tokio::sync::mpsc;

use crate::bridge::protocol::{Event, Request, Start};
use crate::bridge::shuffle::ShuffleRegistrations;
use crate::bridge::translate;
use crate::coarse::{
    framework_info, Action, CoarseBackend, CoarseConfig, DriverEnv, FrameworkEnv, Input, Outcome,
};
use crate::Error;

/// The master URL scheme the bridge's driver uses; Mesos's client takes the rest.
pub const SCHEME: &str = "spark-mesos://";

/// Serves one driver: subscribes as `start` says, then turns `requests` and the master's
/// events into calls, and reports to `send`.
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
    let config = CoarseConfig::new(&conf, &driver_env)?;
    let mut shuffle = if config.shuffle_service_enabled {
        let interval = millis(config.shuffle_heartbeat_interval_ms);
        Some(ShuffleRegistrations::new(&start.conf, interval)?)
    } else {
        None
    };
    let (mut events, caller) = subscribe(&start, &conf, framework_info)?;

    let mut backend = CoarseBackend::new(config, Instant::now());
    let mut hosts = HashMap::new();
    let mut requests_open = true;
    let result: Result<(), Error> = async {
        loop {
            let deadline = backend.next_deadline();
            let input = tokio::select! {
                event = events.recv() => match event {
                    Some(Ok(event)) => {
                        translate::note_hosts(&event, &mut hosts);
                        if let Some(out) = translate::from_mesos(&event) {
                            send(&out)?;
                        }
                        Input::Event(Box::new(event))
                    }
                    Some(Err(e)) => {
                        eprintln!("spark-mesos-backend: Mesos stream: {e}");
                        continue;
                    }
                    // The master refused us, or the failover timeout passed: nothing to serve.
                    None => return Ok(()),
                },
                request = requests.recv(), if requests_open => match request {
                    Some(Request::RequestTotal(r)) => Input::RequestTotalExecutors {
                        total: r.total,
                        host_to_local_task_count: Vec::new(),
                    },
                    Some(Request::Kill(k)) => Input::KillExecutors(k.executor_ids),
                    Some(Request::Stop) => Input::Stop,
                    Some(Request::Start(_)) => {
                        send(&Event::Error { message: "start after start".to_owned() })?;
                        continue;
                    }
                    Some(
                        other @ (Request::ReviveOffers
                        | Request::KillTask { .. }
                        | Request::LaunchTasks(_)),
                    ) => {
                        let e = Error::BridgeUnexpected {
                            request: other.kind(),
                            state: "in coarse mode",
                        };
                        send(&Event::Error { message: e.to_string() })?;
                        continue;
                    }
                    // The driver is gone: stop as if it had said so.
                    None => {
                        requests_open = false;
                        Input::Stop
                    }
                },
                () = sleep_until(deadline) => Input::Tick,
                (agent_id, e) = next_failure(&mut shuffle) => {
                    eprintln!(
                        "spark-mesos-backend: registering with the shuffle service of agent \
                         {agent_id} failed: {e}"
                    );
                    backend.shuffle_registration_failed(&agent_id);
                    continue;
                }
            };
            let outcome = backend.handle(input, Instant::now());
            if apply(outcome, &caller, &mut backend, &mut shuffle, &hosts, &mut send).await? {
                return Ok(());
            }
        }
    }
    .await;
    // Heartbeats stop with the backend, as Spark closes its shuffle client in `stop()`; the
    // services then delete the application's files after their timeout.
    if let Some(shuffle) = shuffle {
        shuffle.close().await;
    }
    result
}

/// Subscribes to the master `spark.master` names (without the bridge's scheme), with the
/// credentials of Spark's keys and the `FrameworkInfo` that `framework_info` builds; the
/// core acknowledges updates itself, after handling them, as Spark does.
pub(crate) fn subscribe(
    start: &Start,
    conf: &SparkConf,
    framework_info: fn(
        &SparkConf,
        &FrameworkEnv,
        Option<&Credentials>,
    ) -> Result<FrameworkInfo, Error>,
) -> Result<(client::Events, Caller), Error> {
    let env = |name: &str| std::env::var(name).ok();
    let credentials = Credentials::from_spark_conf(|k| conf.get(k).map(str::to_owned), env)?;
    let info = framework_info(
        conf,
        &FrameworkEnv {
            spark_user: start.user.clone(),
            ui_web_url: None,
            public_dns: env("SPARK_PUBLIC_DNS"),
        },
        credentials.as_ref(),
    )?;
    let master = conf.get("spark.master").unwrap_or_default();
    let master: MasterUrl = master.strip_prefix(SCHEME).unwrap_or(master).parse()?;
    let mut client_config = client::Config::new(master, info);
    client_config.credentials = credentials;
    client_config.auto_acknowledge = false;
    Ok(client::subscribe(client_config)?)
}

/// The next failed shuffle registration; never, without a shuffle service.
async fn next_failure(
    shuffle: &mut Option<ShuffleRegistrations>,
) -> (String, shuffle_client::Error) {
    match shuffle {
        Some(shuffle) => shuffle.next_failure().await,
        None => std::future::pending().await,
    }
}

/// Spark's millisecond settings as a duration (negative ones as zero).
fn millis(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep(at.saturating_duration_since(Instant::now())).await,
        None => std::future::pending().await,
    }
}

/// Performs the core's actions; `true` once TEARDOWN went out.
async fn apply(
    outcome: Outcome,
    caller: &Caller,
    backend: &mut CoarseBackend,
    shuffle: &mut Option<ShuffleRegistrations>,
    hosts: &HashMap<String, String>,
    send: &mut impl FnMut(&Event) -> Result<(), Error>,
) -> Result<bool, Error> {
    if let Some(e) = outcome.error {
        eprintln!("spark-mesos-backend: {e}");
    }
    let mut torn_down = false;
    for action in outcome.actions {
        match action {
            Action::Call(call) => {
                for event in translate::launched(&call, hosts) {
                    send(&event)?;
                }
                let teardown = call.r#type == Some(CallType::Teardown as i32);
                if let Err(e) = caller.call(*call).await {
                    eprintln!("spark-mesos-backend: call failed: {e}");
                }
                torn_down |= teardown;
            }
            Action::RegisterWithShuffleService {
                agent_id,
                host,
                port,
                app_id,
                heartbeat_timeout_ms,
                heartbeat_interval_ms: _,
            } => match shuffle {
                // The interval is the same for every agent; the client was built with it.
                Some(shuffle) => {
                    shuffle.register(agent_id, &host, port, app_id, millis(heartbeat_timeout_ms));
                }
                None => backend.shuffle_registration_failed(&agent_id),
            },
        }
    }
    // Give the master a moment to take TEARDOWN before the connection closes with us.
    if torn_down {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(torn_down)
}
