//! The `FrameworkInfo` the coarse backend subscribes with, and its credential: what Spark
//! 3.5.6 passes to `createSchedulerDriver` and builds there (`buildCredentials`).

use mesos::proto::framework_info::{capability, Capability};
use mesos::proto::{Credential, FrameworkId, FrameworkInfo};
use mesos::rules::conf::SparkConf;

use super::config::{APP_NAME, DRIVER_HOST, MAX_GPUS};
use crate::{Error, Result};

/// `spark.mesos.driver.webui.url`: the framework's web UI link (else the Spark UI's URL).
pub const DRIVER_WEBUI_URL: &str = "spark.mesos.driver.webui.url";
/// `spark.mesos.driver.failoverTimeout` (seconds, default 0.0).
pub const DRIVER_FAILOVER_TIMEOUT: &str = "spark.mesos.driver.failoverTimeout";
/// `spark.mesos.driver.frameworkId`: the framework id to subscribe with.
pub const DRIVER_FRAMEWORK_ID: &str = "spark.mesos.driver.frameworkId";
/// `spark.mesos.role`.
pub const ROLE: &str = "spark.mesos.role";
/// `spark.mesos.principal`.
pub const PRINCIPAL: &str = "spark.mesos.principal";
/// `spark.mesos.secret`.
pub const SECRET: &str = "spark.mesos.secret";

/// What the driver's process knows besides the conf. Spark also reads
/// `spark.mesos.{principal,secret}.file` and the `SPARK_MESOS_{PRINCIPAL,SECRET}[_FILE]`
/// variables; the caller resolves those (files are I/O) into the two fallbacks below.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrameworkEnv {
    /// `sc.sparkUser`.
    pub spark_user: String,
    /// The Spark UI's URL, when the UI runs.
    pub ui_web_url: Option<String>,
    /// `SPARK_PUBLIC_DNS`, which wins over `spark.driver.host` as the framework's host name.
    pub public_dns: Option<String>,
    /// The principal from `SPARK_MESOS_PRINCIPAL`, `spark.mesos.principal.file` or
    /// `SPARK_MESOS_PRINCIPAL_FILE`, in Spark's order, when `spark.mesos.principal` is unset.
    pub principal_fallback: Option<String>,
    /// The secret likewise (`SPARK_MESOS_SECRET`, `spark.mesos.secret.file`, ...).
    pub secret_fallback: Option<String>,
}

/// The framework to subscribe with and the credential to authenticate with.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameworkRegistration {
    /// The `FrameworkInfo`.
    pub info: FrameworkInfo,
    /// The credential, when a principal is configured.
    pub credential: Option<Credential>,
}

/// `start()` + `createSchedulerDriver` for the coarse backend: user, name, host name, web UI
/// URL, failover timeout (always set), framework id, role, GPU capability, principal; no
/// checkpoint. A secret without a principal is [`Error::SecretWithoutPrincipal`].
pub fn framework_info(conf: &SparkConf, env: &FrameworkEnv) -> Result<FrameworkRegistration> {
    let mut info = FrameworkInfo {
        user: env.spark_user.clone(),
        name: conf.get(APP_NAME).unwrap_or_default().to_owned(),
        hostname: env.public_dns.clone().or_else(|| conf.get(DRIVER_HOST).map(str::to_owned)),
        webui_url: conf.get(DRIVER_WEBUI_URL).map(str::to_owned).or_else(|| env.ui_web_url.clone()),
        failover_timeout: Some(conf.get_double(DRIVER_FAILOVER_TIMEOUT)?.unwrap_or(0.0)),
        id: conf.get(DRIVER_FRAMEWORK_ID).map(FrameworkId::from),
        role: conf.get(ROLE).map(str::to_owned),
        ..FrameworkInfo::default()
    };
    if conf.get_int(MAX_GPUS)?.unwrap_or(0) > 0 {
        info.capabilities.push(Capability::of(capability::Type::GpuResources));
    }
    let principal =
        conf.get(PRINCIPAL).map(str::to_owned).or_else(|| env.principal_fallback.clone());
    let secret = conf.get(SECRET).map(str::to_owned).or_else(|| env.secret_fallback.clone());
    let credential = match (principal, secret) {
        (Some(principal), secret) => {
            info.principal = Some(principal.clone());
            Some(Credential { principal, secret })
        }
        (None, Some(_)) => return Err(Error::SecretWithoutPrincipal),
        (None, None) => None,
    };
    Ok(FrameworkRegistration { info, credential })
}
