//! Everything the fine-grained backend reads from the `SparkConf`, read once and typed, with
//! Spark 3.5.6's keys and defaults (`MesosFineGrainedSchedulerBackend`'s fields, what its
//! `createExecutorInfo` reads, and `TaskSchedulerImpl.CPUS_PER_TASK`).

use mesos::proto::command_info::Uri;
use mesos::proto::ContainerInfo;
use mesos::rules::conf::SparkConf;
use mesos::rules::constraints::{parse_constraint_string, Constraint, CONSTRAINTS};
use mesos::rules::container::build_container_info;
use mesos::rules::durations::reject_offer_duration_for_unmet_constraints;
use mesos::rules::memory::executor_memory;
use mesos::rules::uris::{uri, EXECUTOR_URI, URIS_TO_DOWNLOAD};

use crate::coarse::config::{
    EXECUTOR_CLASS_PATH, EXECUTOR_HOME, EXECUTOR_JAVA_OPTIONS, EXECUTOR_LIBRARY_PATH, SPARK_HOME,
};
use crate::coarse::{spark_context_executor_envs, DriverEnv};
use crate::{Error, Result};

/// `spark.mesos.mesosExecutor.cores` (default 1.0): the cpus each agent's
/// `MesosExecutorBackend` holds besides its tasks'.
pub const MESOS_EXECUTOR_CORES: &str = "spark.mesos.mesosExecutor.cores";
/// `spark.task.cpus` (default 1): the cpus of each Spark task, and so of each Mesos task.
pub const CPUS_PER_TASK: &str = "spark.task.cpus";

/// The fine-grained backend's configuration, read once from a `SparkConf`.
#[derive(Debug, Clone, PartialEq)]
pub struct FineConfig {
    /// `spark.mesos.mesosExecutor.cores`.
    pub mesos_executor_cores: f64,
    /// `spark.task.cpus` (`scheduler.CPUS_PER_TASK`).
    pub cpus_per_task: i32,
    /// The executor's `mem`: heap plus overhead, MiB (`executorMemory(sc)`).
    pub executor_memory_mib: i32,
    /// `spark.mesos.constraints`, parsed.
    pub constraints: Vec<Constraint>,
    /// Refusal for offers failing the constraints, seconds.
    pub reject_for_unmet_constraints: i64,
    /// The executor's container (`buildContainerInfo`: no secret volumes here, unlike the
    /// coarse backend).
    pub container: ContainerInfo,
    /// `spark.mesos.uris`, each with `cache: false`: this backend ignores
    /// `spark.mesos.fetcherCache.enable`.
    pub uris: Vec<Uri>,
    /// `spark.executor.uri` (or `SPARK_EXECUTOR_URI`).
    pub executor_uri: Option<String>,
    /// The Spark home on agents (`spark.mesos.executor.home`, else the driver's Spark home).
    pub executor_home: Option<String>,
    /// `spark.executor.extraClassPath`.
    pub extra_class_path: Option<String>,
    /// `spark.executor.extraJavaOptions` (before substitution).
    pub extra_java_options: Option<String>,
    /// `spark.executor.extraLibraryPath`.
    pub extra_library_path: Option<String>,
    /// `sc.executorEnvs` in Spark's iteration order.
    pub executor_envs: Vec<(String, String)>,
}

impl FineConfig {
    /// Reads `conf` as the backend's constructor (and `createExecutorInfo`) does; what fails
    /// in the constructor (a bad constraint string, a malformed number) fails here.
    pub fn new(conf: &SparkConf, env: &DriverEnv) -> Result<Self> {
        let cpus_per_task = conf.get_int(CPUS_PER_TASK)?.unwrap_or(1);
        if cpus_per_task < 1 {
            return Err(Error::TaskCpusNotPositive { value: cpus_per_task });
        }
        let executor_envs = match &env.executor_envs {
            Some(envs) => envs.clone(),
            None => spark_context_executor_envs(conf, &env.spark_user)?,
        };
        Ok(Self {
            mesos_executor_cores: conf.get_double(MESOS_EXECUTOR_CORES)?.unwrap_or(1.0),
            cpus_per_task,
            executor_memory_mib: executor_memory(conf)?,
            constraints: parse_constraint_string(conf.get(CONSTRAINTS).unwrap_or(""))?,
            reject_for_unmet_constraints: reject_offer_duration_for_unmet_constraints(conf)?,
            container: build_container_info(conf)?,
            uris: conf
                .get_seq(URIS_TO_DOWNLOAD)
                .unwrap_or_default()
                .iter()
                .map(|u| uri(u, false))
                .collect(),
            executor_uri: conf
                .get(EXECUTOR_URI)
                .map(str::to_owned)
                .or_else(|| env.executor_uri.clone()),
            executor_home: conf
                .get(EXECUTOR_HOME)
                .or_else(|| conf.get(SPARK_HOME))
                .map(str::to_owned)
                .or_else(|| env.spark_home.clone()),
            extra_class_path: conf.get(EXECUTOR_CLASS_PATH).map(str::to_owned),
            extra_java_options: conf.get(EXECUTOR_JAVA_OPTIONS).map(str::to_owned),
            extra_library_path: conf.get(EXECUTOR_LIBRARY_PATH).map(str::to_owned),
            executor_envs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<FineConfig> {
        let conf: SparkConf = pairs.iter().copied().collect();
        FineConfig::new(&conf, &DriverEnv { spark_user: "u".into(), ..DriverEnv::default() })
    }

    #[test]
    fn defaults_and_keys_as_spark_reads_them() {
        let c = config(&[]).unwrap();
        assert_eq!(
            (c.mesos_executor_cores, c.cpus_per_task, c.executor_memory_mib),
            (1.0, 1, 1408)
        );
        let c = config(&[
            (MESOS_EXECUTOR_CORES, "0.5"),
            (CPUS_PER_TASK, "2"),
            ("spark.mesos.uris", "a, b"),
            ("spark.mesos.fetcherCache.enable", "true"),
        ])
        .unwrap();
        assert_eq!((c.mesos_executor_cores, c.cpus_per_task), (0.5, 2));
        let uris: Vec<_> = c.uris.iter().map(|u| (u.value.as_str(), u.cache)).collect();
        assert_eq!(uris, [("a", Some(false)), ("b", Some(false))]);
        assert!(matches!(
            config(&[(CPUS_PER_TASK, "0")]),
            Err(Error::TaskCpusNotPositive { value: 0 })
        ));
        assert!(config(&[("spark.mesos.constraints", "zone:a;zone:b")]).is_err());
    }
}
