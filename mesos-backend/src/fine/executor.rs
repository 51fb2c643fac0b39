//! `createExecutorInfo`: the `ExecutorInfo` of the `MesosExecutorBackend` that runs an agent's
//! Spark tasks. Its id is the agent id; it takes `spark.mesos.mesosExecutor.cores` cpus and the
//! executor memory out of the offer (split across roles like any Spark task), and carries the
//! command, environment, URIs and container.

use mesos::proto::command_info::Uri;
use mesos::proto::{CommandInfo, Environment, ExecutorId, ExecutorInfo, Resource};
use mesos::rules::resources::partition_resources;

use super::config::FineConfig;
use crate::coarse::task::{java_file_path, substitute_ids, uri_basename, variable};
use crate::{Error, Result};

const EXECUTOR_BACKEND: &str = "org.apache.spark.executor.MesosExecutorBackend";

/// The executor for `agent_id` out of `available`, and what it leaves of them. `exec_arg` is
/// Spark's `createExecArg()` (the serialized Spark properties), which only the JVM can make.
pub(super) fn create_executor_info(
    config: &FineConfig,
    app_id: &str,
    exec_arg: &[u8],
    available: &[Resource],
    agent_id: &str,
) -> Result<(ExecutorInfo, Vec<Resource>)> {
    let command = command(config, app_id, agent_id)?;
    let (after_cpus, cpus_used) =
        partition_resources(available, "cpus", config.mesos_executor_cores);
    let (after_mem, mem_used) =
        partition_resources(&after_cpus, "mem", f64::from(config.executor_memory_mib));
    let info = ExecutorInfo {
        executor_id: ExecutorId::from(agent_id),
        data: Some(exec_arg.to_vec()),
        resources: cpus_used.into_iter().chain(mem_used).collect(),
        command: Some(command),
        container: Some(config.container.clone()),
        ..ExecutorInfo::default()
    };
    Ok((info, after_mem))
}

/// The command: `SPARK_EXECUTOR_CLASSPATH`, `SPARK_EXECUTOR_OPTS` (ids substituted), then
/// `sc.executorEnvs`; `<home>/bin/spark-class MesosExecutorBackend` (unquoted, unlike the
/// coarse backend's), or `cd <dist>*; ./bin/spark-class …` with the executor URI (no `cache`
/// field) first among the URIs.
fn command(config: &FineConfig, app_id: &str, agent_id: &str) -> Result<CommandInfo> {
    let mut variables = Vec::new();
    if let Some(cp) = &config.extra_class_path {
        variables.push(variable("SPARK_EXECUTOR_CLASSPATH", cp));
    }
    let options = config
        .extra_java_options
        .as_deref()
        .map(|o| substitute_ids(o, app_id, agent_id))
        .unwrap_or_default();
    variables.push(variable("SPARK_EXECUTOR_OPTS", &options));
    variables.extend(config.executor_envs.iter().map(|(k, v)| variable(k, v)));

    let prefix = config
        .extra_library_path
        .as_deref()
        .map(|p| format!("LD_LIBRARY_PATH=\"{p}:$LD_LIBRARY_PATH\""))
        .unwrap_or_default();
    let mut uris = Vec::new();
    let value = match &config.executor_uri {
        None => {
            // Spark builds the command first and fails here only when a home is needed.
            let home = config.executor_home.as_deref().ok_or(Error::ExecutorHomeMissing)?;
            format!("{prefix} {} {EXECUTOR_BACKEND}", java_file_path(home, "/bin/spark-class"))
        }
        Some(uri) => {
            uris.push(Uri { value: uri.clone(), ..Uri::default() });
            format!("cd {}*; {prefix} ./bin/spark-class {EXECUTOR_BACKEND}", uri_basename(uri))
        }
    };
    uris.extend(config.uris.iter().cloned());
    Ok(CommandInfo {
        uris,
        environment: Some(Environment { variables }),
        value: Some(value),
        ..CommandInfo::default()
    })
}

#[cfg(test)]
mod tests {
    use mesos::proto::value;
    use mesos::rules::conf::SparkConf;

    use super::*;
    use crate::coarse::DriverEnv;

    fn config(pairs: &[(&str, &str)]) -> FineConfig {
        let conf: SparkConf = pairs.iter().copied().collect();
        let env = DriverEnv { spark_user: "u".into(), ..DriverEnv::default() };
        FineConfig::new(&conf, &env).unwrap()
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

    #[test]
    fn command_lines_as_spark_builds_them() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("spark.mesos.executor.home", "/opt/spark/")],
                " /opt/spark/bin/spark-class org.apache.spark.executor.MesosExecutorBackend",
            ),
            (
                &[("spark.home", "/s"), ("spark.executor.extraLibraryPath", "/n")],
                "LD_LIBRARY_PATH=\"/n:$LD_LIBRARY_PATH\" /s/bin/spark-class \
                 org.apache.spark.executor.MesosExecutorBackend",
            ),
            (
                &[("spark.executor.uri", "http://r/spark-3.5.6.tgz")],
                "cd spark-3*;  ./bin/spark-class org.apache.spark.executor.MesosExecutorBackend",
            ),
        ];
        for (pairs, want) in cases {
            let c = command(&config(pairs), "fw", "a1").unwrap();
            assert_eq!(c.value.as_deref(), Some(*want), "{pairs:?}");
        }
        assert!(matches!(command(&config(&[]), "fw", "a1"), Err(Error::ExecutorHomeMissing)));
    }

    #[test]
    fn executor_takes_its_cores_and_memory_and_leaves_the_rest() {
        let c = config(&[
            ("spark.mesos.executor.home", "/s"),
            ("spark.mesos.mesosExecutor.cores", "0.5"),
            ("spark.executor.extraJavaOptions", "-Da={{APP_ID}} -De={{EXECUTOR_ID}}"),
        ]);
        let offered = [scalar("cpus", 2.0), scalar("mem", 4096.0), scalar("disk", 10.0)];
        let (info, left) = create_executor_info(&c, "fw", b"props", &offered, "a1").unwrap();
        assert_eq!(info.executor_id.value, "a1");
        assert_eq!(info.data.as_deref(), Some(&b"props"[..]));
        let used: Vec<_> = info
            .resources
            .iter()
            .map(|r| (r.name.as_str(), r.scalar.as_ref().unwrap().value))
            .collect();
        assert_eq!(used, [("cpus", 0.5), ("mem", 1408.0)]);
        let rest: Vec<_> =
            left.iter().map(|r| (r.name.as_str(), r.scalar.as_ref().unwrap().value)).collect();
        assert_eq!(rest, [("cpus", 1.5), ("mem", 2688.0), ("disk", 10.0)]);
        let env = info.command.unwrap().environment.unwrap().variables;
        assert_eq!(env[0].name, "SPARK_EXECUTOR_OPTS");
        assert_eq!(env[0].value.as_deref(), Some("-Da=fw -De=a1"));
    }
}
