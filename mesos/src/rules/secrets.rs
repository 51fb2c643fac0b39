//! Secrets for driver and executor tasks, as environment variables or files, by reference or by
//! value (`spark.mesos.{driver,executor}.secret.*`): `MesosSchedulerBackendUtil.getSecretEnvVar`
//! and `getSecretVolume`.

use std::fmt;

use super::conf::SparkConf;
use crate::proto::{environment, secret, volume, Secret, Volume};
use crate::{Error, Result};

/// Whose secrets: the keys are `spark.mesos.<task>.secret.{names,values,envkeys,filenames}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretTask {
    /// `spark.mesos.driver.secret.*`, read by the dispatcher for drivers.
    Driver,
    /// `spark.mesos.executor.secret.*`, read by the coarse backend for executors.
    Executor,
}

impl SecretTask {
    fn name(self) -> &'static str {
        match self {
            Self::Driver => "driver",
            Self::Executor => "executor",
        }
    }

    fn key(self, field: &str) -> String {
        format!("spark.mesos.{}.secret.{field}", self.name())
    }
}

impl fmt::Display for SecretTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where secrets go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretTarget {
    /// `secret.envkeys`: environment variables.
    Env,
    /// `secret.filenames`: files in the sandbox.
    File,
}

impl fmt::Display for SecretTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Env => "environment key",
            Self::File => "file path",
        })
    }
}

/// `getSecrets`: REFERENCE secrets from `secret.names`, else VALUE secrets from
/// `secret.values` (the string's UTF-8 bytes; Spark takes the JVM's default charset, UTF-8 on
/// any usual setup); both set is an [`Error::SecretKindsMixed`].
fn secrets(conf: &SparkConf, task: SecretTask) -> Result<Vec<Secret>> {
    let names = conf.get_seq(&task.key("names")).unwrap_or_default();
    let values = conf.get_seq(&task.key("values")).unwrap_or_default();
    if !names.is_empty() && !values.is_empty() {
        return Err(Error::SecretKindsMixed { task });
    }
    Ok(if !names.is_empty() {
        names
            .into_iter()
            .map(|name| Secret {
                r#type: Some(secret::Type::Reference as i32),
                reference: Some(secret::Reference { name, key: None }),
                value: None,
            })
            .collect()
    } else {
        values
            .into_iter()
            .map(|data| Secret {
                r#type: Some(secret::Type::Value as i32),
                reference: None,
                value: Some(secret::Value { data: data.into_bytes() }),
            })
            .collect()
    })
}

/// The secrets paired with their targets (`secret.envkeys` or `secret.filenames`): targets,
/// when given, must match the secrets in number; no targets means no secrets go there.
fn paired(
    conf: &SparkConf,
    task: SecretTask,
    target: SecretTarget,
) -> Result<Vec<(Secret, String)>> {
    let secrets = secrets(conf, task)?;
    let field = match target {
        SecretTarget::Env => "envkeys",
        SecretTarget::File => "filenames",
    };
    let targets = conf.get_seq(&task.key(field)).unwrap_or_default();
    if !targets.is_empty() && targets.len() != secrets.len() {
        return Err(Error::SecretTargetCount {
            task,
            target,
            secrets: secrets.len(),
            targets: targets.len(),
        });
    }
    Ok(secrets.into_iter().zip(targets).collect())
}

/// `getSecretEnvVar`: one SECRET-typed variable per `secret.envkeys` entry.
pub fn get_secret_env_var(
    conf: &SparkConf,
    task: SecretTask,
) -> Result<Vec<environment::Variable>> {
    Ok(paired(conf, task, SecretTarget::Env)?
        .into_iter()
        .map(|(secret, name)| environment::Variable {
            name,
            value: None,
            r#type: Some(environment::variable::Type::Secret as i32),
            secret: Some(secret),
        })
        .collect())
}

/// `getSecretVolume`: one read-only SECRET volume per `secret.filenames` entry.
pub fn get_secret_volume(conf: &SparkConf, task: SecretTask) -> Result<Vec<Volume>> {
    Ok(paired(conf, task, SecretTarget::File)?
        .into_iter()
        .map(|(secret, path)| Volume {
            container_path: path,
            mode: volume::Mode::Ro as i32,
            source: Some(volume::Source {
                r#type: Some(volume::source::Type::Secret as i32),
                secret: Some(secret),
                ..volume::Source::default()
            }),
            ..Volume::default()
        })
        .collect())
}
