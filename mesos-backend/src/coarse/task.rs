//! The executor `TaskInfo` as Spark 3.5.6 builds it (`buildMesosTasks`, `createCommand`,
//! `buildExecutorCommand`): no `ExecutorInfo`, a command running `CoarseGrainedExecutorBackend`,
//! the container always set, labels always set (maybe empty).

use mesos::proto::command_info::Uri;
use mesos::proto::{environment, CommandInfo, Environment, Offer, Resource, TaskId, TaskInfo};
use mesos::rules::labels::mesos_labels;

use super::config::CoarseConfig;
use crate::{Error, Result};

const EXECUTOR_BACKEND: &str = "org.apache.spark.executor.CoarseGrainedExecutorBackend";

/// The task for executor `task_id` on `offer`, with `cpus` cores and the resources `used`.
pub(super) fn executor_task_info(
    config: &CoarseConfig,
    app_id: &str,
    offer: &Offer,
    task_id: &str,
    cpus: i32,
    used: Vec<Resource>,
) -> Result<TaskInfo> {
    Ok(TaskInfo {
        name: format!("{} {task_id}", config.app_name),
        task_id: TaskId::from(task_id),
        agent_id: offer.agent_id.clone(),
        resources: used,
        command: Some(command(config, app_id, offer, task_id, cpus + config.extra_cores)?),
        container: Some(config.container.clone()),
        labels: Some(mesos_labels(&config.task_labels)?),
        ..TaskInfo::default()
    })
}

pub(crate) fn variable(name: &str, value: &str) -> environment::Variable {
    environment::Variable {
        name: name.to_owned(),
        value: Some(value.to_owned()),
        ..environment::Variable::default()
    }
}

/// `Utils.substituteAppNExecIds`.
pub(crate) fn substitute_ids(options: &str, app_id: &str, executor_id: &str) -> String {
    options.replace("{{APP_ID}}", app_id).replace("{{EXECUTOR_ID}}", executor_id)
}

/// `createCommand`.
fn command(
    config: &CoarseConfig,
    app_id: &str,
    offer: &Offer,
    task_id: &str,
    cores: i32,
) -> Result<CommandInfo> {
    let mut variables = Vec::new();
    if let Some(cp) = &config.extra_class_path {
        variables.push(variable("SPARK_EXECUTOR_CLASSPATH", cp));
    }
    let options = config
        .extra_java_options
        .as_deref()
        .map(|o| substitute_ids(o, app_id, task_id))
        .unwrap_or_default();
    variables.push(variable("SPARK_EXECUTOR_OPTS", &options));
    variables.extend(config.executor_envs.iter().map(|(k, v)| variable(k, v)));
    variables.extend(config.secret_env.iter().cloned());

    // `Utils.libraryPathEnvPrefix` appends to the agent's own value.
    let prefix = config
        .extra_library_path
        .as_deref()
        .map(|p| format!("LD_LIBRARY_PATH=\"{p}:$LD_LIBRARY_PATH\""))
        .unwrap_or_default();
    let mut uris = Vec::new();
    let run_script = match &config.executor_uri {
        None => {
            let home = config.executor_home.as_deref().ok_or(Error::ExecutorHomeMissing)?;
            format!("{prefix} \"{}\" {EXECUTOR_BACKEND}", java_file_path(home, "./bin/spark-class"))
        }
        Some(uri) => {
            uris.push(Uri {
                value: uri.clone(),
                cache: Some(config.fetcher_cache),
                ..Uri::default()
            });
            format!("cd {}*; {prefix} ./bin/spark-class {EXECUTOR_BACKEND}", uri_basename(uri))
        }
    };
    uris.extend(config.uris.iter().cloned());
    let mut value = format!(
        "{run_script} --driver-url {} --executor-id {task_id} --cores {cores} --app-id {app_id}",
        config.driver_url
    );
    if !config.network_name_set {
        value.push_str(" --hostname ");
        value.push_str(&offer.hostname);
    }
    Ok(CommandInfo {
        uris,
        environment: Some(Environment { variables }),
        value: Some(value),
        ..CommandInfo::default()
    })
}

/// `new File(parent, child).getPath` on Unix: one `/` between them, trailing slashes of the
/// parent and doubled slashes collapsed.
pub(crate) fn java_file_path(parent: &str, child: &str) -> String {
    let mut joined = String::new();
    for c in format!("{parent}/{child}").chars() {
        if c == '/' && joined.ends_with('/') {
            continue;
        }
        joined.push(c);
    }
    joined
}

/// Everything of the URI's last path segment before its first `.`, which Spark globs with
/// `*` to find the unpacked distribution.
pub(crate) fn uri_basename(uri: &str) -> &str {
    let last = uri.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    last.split('.').next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_basenames_as_spark_makes_them() {
        assert_eq!(
            java_file_path("/opt/spark", "./bin/spark-class"),
            "/opt/spark/./bin/spark-class"
        );
        assert_eq!(
            java_file_path("/opt/spark/", "./bin/spark-class"),
            "/opt/spark/./bin/spark-class"
        );
        assert_eq!(uri_basename("http://repo.example/spark-3.5.6-bin-hadoop3.tgz"), "spark-3");
        assert_eq!(substitute_ids("-Da={{APP_ID}} -De={{EXECUTOR_ID}}", "fw", "3"), "-Da=fw -De=3");
    }
}
