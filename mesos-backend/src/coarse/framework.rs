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

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(pairs: &[(&str, &str)]) -> SparkConf {
        pairs.iter().copied().collect()
    }

    #[test]
    fn fields_spark_sets_inside_its_driver_factory() {
        let env = FrameworkEnv { spark_user: "u".into(), ..FrameworkEnv::default() };
        let c = conf(&[
            (APP_NAME, "app"),
            (DRIVER_HOST, "driver.example"),
            (ROLE, "analytics"),
            (MAX_GPUS, "1"),
            (PRINCIPAL, "alice"),
        ]);
        let r = framework_info(&c, &env).unwrap();
        assert_eq!(r.info.user, "u");
        assert_eq!(r.info.name, "app");
        assert_eq!(r.info.hostname.as_deref(), Some("driver.example"));
        assert_eq!(r.info.role.as_deref(), Some("analytics"));
        assert_eq!(r.info.failover_timeout, Some(0.0));
        assert_eq!(r.info.checkpoint, None);
        assert!(r.info.roles.is_empty());
        assert_eq!(r.info.capabilities, [Capability::of(capability::Type::GpuResources)]);
        assert_eq!(r.info.principal.as_deref(), Some("alice"));
        assert_eq!(r.credential, Some(Credential { principal: "alice".into(), secret: None }));
    }

    #[test]
    fn public_dns_and_ui_url_and_secret_rules() {
        let env = FrameworkEnv {
            public_dns: Some("public.example".into()),
            ui_web_url: Some("http://ui:4040".into()),
            ..FrameworkEnv::default()
        };
        let r = framework_info(&conf(&[(DRIVER_HOST, "d")]), &env).unwrap();
        assert_eq!(r.info.hostname.as_deref(), Some("public.example"));
        assert_eq!(r.info.webui_url.as_deref(), Some("http://ui:4040"));
        assert!(r.info.capabilities.is_empty() && r.credential.is_none());
        let secret_only = conf(&[(SECRET, "s")]);
        assert!(matches!(framework_info(&secret_only, &env), Err(Error::SecretWithoutPrincipal)));
        let fallback = FrameworkEnv { principal_fallback: Some("p".into()), ..env };
        assert!(framework_info(&secret_only, &fallback).unwrap().credential.is_some());
    }
}
