//! Everything the coarse backend reads from the `SparkConf`, read once and typed, with Spark
//! 3.5.6's keys and defaults (`MesosCoarseGrainedSchedulerBackend`'s fields and the
//! `SparkContext` values it uses).

use std::time::Duration;

use mesos::proto::command_info::Uri;
use mesos::proto::{environment, ContainerInfo};
use mesos::rules::conf::{SparkConf, TimeUnit};
use mesos::rules::constraints::{parse_constraint_string, Constraint, CONSTRAINTS};
use mesos::rules::container::executor_container_info;
use mesos::rules::durations::{
    reject_offer_duration_for_reached_max_cores, reject_offer_duration_for_unmet_constraints,
};
use mesos::rules::labels::TASK_LABELS;
use mesos::rules::memory::{executor_memory, executor_memory_in_mb};
use mesos::rules::resources::non_zero_port_values_from_config;
use mesos::rules::secrets::{get_secret_env_var, SecretTask};
use mesos::rules::uris::{setup_uris, use_fetcher_cache, EXECUTOR_URI};

use super::scala_hash_map;
use crate::{Error, Result};

/// `spark.cores.max`: the most cores the application acquires (unlimited when unset).
pub const CORES_MAX: &str = "spark.cores.max";
/// `spark.executor.cores`: cores per executor (else what the offer or the max leaves).
pub const EXECUTOR_CORES: &str = "spark.executor.cores";
/// `spark.mesos.gpus.max`: the most GPUs the application acquires (default 0).
pub const MAX_GPUS: &str = "spark.mesos.gpus.max";
/// `spark.mesos.extra.cores`: cores added to `--cores` but not to the cpus resource.
pub const EXTRA_CORES_PER_EXECUTOR: &str = "spark.mesos.extra.cores";
/// `spark.shuffle.service.enabled`: register the driver with each agent's shuffle service.
pub const SHUFFLE_SERVICE_ENABLED: &str = "spark.shuffle.service.enabled";
/// `spark.shuffle.service.port` (default 7337).
pub const SHUFFLE_SERVICE_PORT: &str = "spark.shuffle.service.port";
/// `spark.storage.blockManagerHeartbeatTimeoutMs`: the registration's heartbeat timeout.
pub const HEARTBEAT_TIMEOUT: &str = "spark.storage.blockManagerHeartbeatTimeoutMs";
/// `spark.network.timeout` (default 120s): the heartbeat timeout's fallback.
pub const NETWORK_TIMEOUT: &str = "spark.network.timeout";
/// `spark.executor.heartbeatInterval` (default 10s).
pub const EXECUTOR_HEARTBEAT_INTERVAL: &str = "spark.executor.heartbeatInterval";
/// `spark.dynamicAllocation.enabled`: the executor limit starts at 0.
pub const DYN_ALLOCATION_ENABLED: &str = "spark.dynamicAllocation.enabled";
/// `spark.locality.wait` (default 3s): how long offers from unwanted hosts are passed over.
pub const LOCALITY_WAIT: &str = "spark.locality.wait";
/// `spark.executor.extraClassPath`: `SPARK_EXECUTOR_CLASSPATH`.
pub const EXECUTOR_CLASS_PATH: &str = "spark.executor.extraClassPath";
/// `spark.executor.extraJavaOptions`: `SPARK_EXECUTOR_OPTS`, with `{{APP_ID}}` and
/// `{{EXECUTOR_ID}}` substituted.
pub const EXECUTOR_JAVA_OPTIONS: &str = "spark.executor.extraJavaOptions";
/// `spark.executor.extraLibraryPath`: an `LD_LIBRARY_PATH` prefix on the command.
pub const EXECUTOR_LIBRARY_PATH: &str = "spark.executor.extraLibraryPath";
/// `spark.mesos.executor.home`: where Spark lives on the agents.
pub const EXECUTOR_HOME: &str = "spark.mesos.executor.home";
/// `spark.home`: the fallback Spark home (`sc.getSparkHome`).
pub const SPARK_HOME: &str = "spark.home";
/// `spark.mesos.network.name`: with it, executors get no `--hostname`.
pub const NETWORK_NAME: &str = "spark.mesos.network.name";
/// `spark.mesos.coarse.shutdownTimeout` (default 10s): how long `stop()` waits for
/// executors to end before stopping the framework.
pub const COARSE_SHUTDOWN_TIMEOUT: &str = "spark.mesos.coarse.shutdownTimeout";
/// `spark.app.name`: task names are `<app name> <task id>`.
pub const APP_NAME: &str = "spark.app.name";
/// `spark.driver.host`.
pub const DRIVER_HOST: &str = "spark.driver.host";
/// `spark.driver.port`.
pub const DRIVER_PORT: &str = "spark.driver.port";
/// `spark.testing`: Spark then passes the literal `driverURL`.
pub const IS_TESTING: &str = "spark.testing";
/// The prefix of `spark.executorEnv.*` keys.
pub const EXECUTOR_ENV_PREFIX: &str = "spark.executorEnv.";

/// What the driver's environment adds to the conf (`SparkContext` reads these from the JVM's
/// environment and system properties).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DriverEnv {
    /// `sc.sparkUser` (`SPARK_USER`, else the OS user).
    pub spark_user: String,
    /// `SPARK_HOME`, the Spark home fallback after `spark.home`.
    pub spark_home: Option<String>,
    /// `SPARK_EXECUTOR_URI`, the fallback of `spark.executor.uri`.
    pub executor_uri: Option<String>,
    /// `sc.executorEnvs` in the order Spark iterates it, when the caller has it (a JVM bridge
    /// does); `None` rebuilds it from the conf like `SparkContext` does.
    pub executor_envs: Option<Vec<(String, String)>>,
}

/// The coarse backend's configuration, read once from a `SparkConf`.
#[derive(Debug, Clone, PartialEq)]
pub struct CoarseConfig {
    /// The conf itself, for the rules that read it per offer (`checkPorts`).
    pub conf: SparkConf,
    /// `spark.app.name`.
    pub app_name: String,
    /// `spark.cores.max` as set.
    pub max_cores_option: Option<i32>,
    /// `spark.executor.cores` as set.
    pub executor_cores: Option<i32>,
    /// `spark.cores.max` rounded down to a multiple of `spark.executor.cores`.
    pub max_cores: i32,
    /// `spark.mesos.gpus.max`.
    pub max_gpus: i32,
    /// `spark.mesos.extra.cores`.
    pub extra_cores: i32,
    /// The executor task's `mem`: heap plus overhead, MiB.
    pub executor_memory_mib: i32,
    /// `spark.mesos.constraints`, parsed.
    pub constraints: Vec<Constraint>,
    /// Refusal for offers failing the constraints.
    pub reject_for_unmet_constraints: Duration,
    /// Refusal for offers left once `spark.cores.max` is reached.
    pub reject_for_reached_max_cores: Duration,
    /// `spark.mesos.task.labels` as written: Spark parses it for each task, so a malformed
    /// string fails each launch, not the constructor.
    pub task_labels: String,
    /// The executor container (image, volumes, network, secret files).
    pub container: ContainerInfo,
    /// Secret environment variables, after `sc.executorEnvs`.
    pub secret_env: Vec<environment::Variable>,
    /// `spark.mesos.uris` with the fetcher-cache flag.
    pub uris: Vec<Uri>,
    /// `spark.executor.uri` (or `SPARK_EXECUTOR_URI`).
    pub executor_uri: Option<String>,
    /// `spark.mesos.fetcherCache.enable`.
    pub fetcher_cache: bool,
    /// The Spark home on agents, when no executor URI is set.
    pub executor_home: Option<String>,
    /// `spark.executor.extraClassPath`.
    pub extra_class_path: Option<String>,
    /// `spark.executor.extraJavaOptions` (before substitution).
    pub extra_java_options: Option<String>,
    /// `spark.executor.extraLibraryPath`.
    pub extra_library_path: Option<String>,
    /// `sc.executorEnvs` in Spark's iteration order.
    pub executor_envs: Vec<(String, String)>,
    /// `spark.mesos.network.name` is set.
    pub network_name_set: bool,
    /// `spark://CoarseGrainedScheduler@host:port`.
    pub driver_url: String,
    /// The pinned ports (`spark.blockManager.port` when non-zero).
    pub pinned_ports: Vec<u64>,
    /// `spark.shuffle.service.enabled`.
    pub shuffle_service_enabled: bool,
    /// `spark.shuffle.service.port`.
    pub shuffle_service_port: i32,
    /// The heartbeat timeout sent with `RegisterDriver`, ms.
    pub shuffle_heartbeat_timeout_ms: i64,
    /// `spark.executor.heartbeatInterval`, ms.
    pub shuffle_heartbeat_interval_ms: i64,
    /// Dynamic allocation is on (the executor limit starts at 0).
    pub dynamic_allocation: bool,
    /// `spark.locality.wait`.
    pub locality_wait: Duration,
    /// `spark.mesos.coarse.shutdownTimeout`.
    pub shutdown_timeout: Duration,
}

/// `String.toInt` as Scala's `getOption(key).map(_.toInt)` applies it.
fn plain_int(conf: &SparkConf, key: &'static str) -> Result<Option<i32>> {
    conf.get(key)
        .map(|v| {
            v.parse::<i32>().map_err(|_| Error::ConfNotNumber {
                key,
                value: v.to_owned(),
                expected: "int",
            })
        })
        .transpose()
}

fn seconds(s: i64) -> Duration {
    Duration::from_secs(s.max(0) as u64)
}

impl CoarseConfig {
    /// Reads `conf` as the backend's constructor does; what fails there (a bad constraint
    /// string, a malformed number) fails here.
    pub fn new(conf: &SparkConf, env: &DriverEnv) -> Result<Self> {
        let max_cores_option = conf.get_int(CORES_MAX)?;
        let executor_cores = plain_int(conf, EXECUTOR_CORES)?;
        let min_cores = executor_cores.unwrap_or(1);
        let cores = max_cores_option.unwrap_or(i32::MAX);
        let max_cores = if min_cores == 0 { cores } else { cores - cores % min_cores };
        let executor_uri =
            conf.get(EXECUTOR_URI).map(str::to_owned).or_else(|| env.executor_uri.clone());
        let executor_home = conf
            .get(EXECUTOR_HOME)
            .or_else(|| conf.get(SPARK_HOME))
            .map(str::to_owned)
            .or_else(|| env.spark_home.clone());
        let driver_url = if conf.contains(IS_TESTING) {
            "driverURL".to_owned()
        } else {
            format!(
                "spark://CoarseGrainedScheduler@{}:{}",
                conf.get(DRIVER_HOST).unwrap_or_default(),
                conf.get_int(DRIVER_PORT)?.unwrap_or(0)
            )
        };
        let heartbeat_timeout = match conf.get_time(HEARTBEAT_TIMEOUT, TimeUnit::Millis)? {
            Some(ms) => ms,
            None => conf.get_time(NETWORK_TIMEOUT, TimeUnit::Seconds)?.unwrap_or(120) * 1000,
        };
        let executor_envs = match &env.executor_envs {
            Some(envs) => envs.clone(),
            None => spark_context_executor_envs(conf, &env.spark_user)?,
        };
        Ok(Self {
            conf: conf.clone(),
            app_name: conf.get(APP_NAME).unwrap_or_default().to_owned(),
            max_cores_option,
            executor_cores,
            max_cores,
            max_gpus: conf.get_int(MAX_GPUS)?.unwrap_or(0),
            extra_cores: conf.get_int(EXTRA_CORES_PER_EXECUTOR)?.unwrap_or(0),
            executor_memory_mib: executor_memory(conf)?,
            constraints: parse_constraint_string(conf.get(CONSTRAINTS).unwrap_or(""))?,
            reject_for_unmet_constraints: seconds(reject_offer_duration_for_unmet_constraints(
                conf,
            )?),
            reject_for_reached_max_cores: seconds(reject_offer_duration_for_reached_max_cores(
                conf,
            )?),
            task_labels: conf.get(TASK_LABELS).unwrap_or("").to_owned(),
            container: executor_container_info(conf)?,
            secret_env: get_secret_env_var(conf, SecretTask::Executor)?,
            uris: setup_uris(conf)?,
            executor_uri,
            fetcher_cache: use_fetcher_cache(conf)?,
            executor_home,
            extra_class_path: conf.get(EXECUTOR_CLASS_PATH).map(str::to_owned),
            extra_java_options: conf.get(EXECUTOR_JAVA_OPTIONS).map(str::to_owned),
            extra_library_path: conf.get(EXECUTOR_LIBRARY_PATH).map(str::to_owned),
            executor_envs,
            network_name_set: conf.contains(NETWORK_NAME),
            driver_url,
            pinned_ports: non_zero_port_values_from_config(conf)?,
            shuffle_service_enabled: conf.get_bool(SHUFFLE_SERVICE_ENABLED)?.unwrap_or(false),
            shuffle_service_port: conf.get_int(SHUFFLE_SERVICE_PORT)?.unwrap_or(7337),
            shuffle_heartbeat_timeout_ms: heartbeat_timeout,
            shuffle_heartbeat_interval_ms: conf
                .get_time(EXECUTOR_HEARTBEAT_INTERVAL, TimeUnit::Millis)?
                .unwrap_or(10_000),
            dynamic_allocation: conf.get_bool(DYN_ALLOCATION_ENABLED)?.unwrap_or(false),
            locality_wait: Duration::from_millis(
                conf.get_time(LOCALITY_WAIT, TimeUnit::Millis)?.unwrap_or(3_000).max(0) as u64,
            ),
            shutdown_timeout: Duration::from_millis(
                conf.get_time(COARSE_SHUTDOWN_TIMEOUT, TimeUnit::Millis)?.unwrap_or(10_000).max(0)
                    as u64,
            ),
        })
    }
}

/// `sc.executorEnvs` as `SparkContext` builds it, in Scala `HashMap` iteration order:
/// `SPARK_EXECUTOR_MEMORY` (`<heap>m`), then `SPARK_USER`, `OMP_NUM_THREADS=1` (unless
/// `spark.executorEnv.OMP_NUM_THREADS` is set), then every `spark.executorEnv.*` key.
pub fn spark_context_executor_envs(
    conf: &SparkConf,
    spark_user: &str,
) -> Result<Vec<(String, String)>> {
    let mut entries: Vec<(String, String)> = vec![
        ("SPARK_EXECUTOR_MEMORY".to_owned(), format!("{}m", executor_memory_in_mb(conf)?)),
        ("SPARK_USER".to_owned(), spark_user.to_owned()),
        ("OMP_NUM_THREADS".to_owned(), "1".to_owned()),
    ];
    for (key, value) in conf.iter() {
        let Some(name) = key.strip_prefix(EXECUTOR_ENV_PREFIX) else { continue };
        match entries.iter_mut().find(|(k, _)| k == name) {
            Some(entry) => entry.1 = value.to_owned(),
            None => entries.push((name.to_owned(), value.to_owned())),
        }
    }
    let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
    Ok(scala_hash_map::iteration_order(&keys)
        .into_iter()
        .filter_map(|k| entries.iter().find(|(key, _)| key == k).cloned())
        .collect())
}
