//! The `FrameworkInfo` the coarse backend subscribes with: what Spark 3.5.6 passes to
//! `createSchedulerDriver` and builds there.

use mesos::client::Credentials;
use mesos::proto::framework_info::{capability, Capability};
use mesos::proto::{FrameworkId, FrameworkInfo};
use mesos::rules::conf::SparkConf;

use super::config::{APP_NAME, DRIVER_HOST, MAX_GPUS};
use crate::Result;

/// `spark.mesos.driver.webui.url`: the framework's web UI link (else the Spark UI's URL).
pub const DRIVER_WEBUI_URL: &str = "spark.mesos.driver.webui.url";
/// `spark.mesos.driver.failoverTimeout` (seconds, default 0.0).
pub const DRIVER_FAILOVER_TIMEOUT: &str = "spark.mesos.driver.failoverTimeout";
/// `spark.mesos.driver.frameworkId`: the framework id to subscribe with.
pub const DRIVER_FRAMEWORK_ID: &str = "spark.mesos.driver.frameworkId";
/// `spark.mesos.role`.
pub const ROLE: &str = "spark.mesos.role";

/// What the driver's process knows besides the conf.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrameworkEnv {
    /// `sc.sparkUser`.
    pub spark_user: String,
    /// The Spark UI's URL, when the UI runs.
    pub ui_web_url: Option<String>,
    /// `SPARK_PUBLIC_DNS`, which wins over `spark.driver.host` as the framework's host name.
    pub public_dns: Option<String>,
}

/// `start()` + `createSchedulerDriver` for the coarse backend: user, name, host name, web UI
/// URL, failover timeout (always set), framework id, role (the single-role field), the
/// GPU_RESOURCES capability when `spark.mesos.gpus.max` > 0, and the principal of
/// `credentials` (Spark's `buildCredentials`: `mesos::client::Credentials::from_spark_conf`,
/// which reads files and so is the caller's); no checkpoint.
pub fn framework_info(
    conf: &SparkConf,
    env: &FrameworkEnv,
    credentials: Option<&Credentials>,
) -> Result<FrameworkInfo> {
    let failover_timeout = conf.get_double(DRIVER_FAILOVER_TIMEOUT)?.unwrap_or(0.0);
    framework_info_with(conf, env, credentials, Some(failover_timeout))
}

/// [`framework_info`] with the failover timeout given: the fine-grained backend passes none.
pub(crate) fn framework_info_with(
    conf: &SparkConf,
    env: &FrameworkEnv,
    credentials: Option<&Credentials>,
    failover_timeout: Option<f64>,
) -> Result<FrameworkInfo> {
    let mut info = FrameworkInfo {
        user: env.spark_user.clone(),
        name: conf.get(APP_NAME).unwrap_or_default().to_owned(),
        hostname: env.public_dns.clone().or_else(|| conf.get(DRIVER_HOST).map(str::to_owned)),
        webui_url: conf.get(DRIVER_WEBUI_URL).map(str::to_owned).or_else(|| env.ui_web_url.clone()),
        failover_timeout,
        id: conf.get(DRIVER_FRAMEWORK_ID).map(FrameworkId::from),
        role: conf.get(ROLE).map(str::to_owned),
        principal: credentials.map(|c| c.principal.clone()),
        ..FrameworkInfo::default()
    };
    if conf.get_int(MAX_GPUS)?.unwrap_or(0) > 0 {
        info.capabilities.push(Capability::of(capability::Type::GpuResources));
    }
    Ok(info)
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
        ]);
        let credentials = Credentials { principal: "alice".into(), secret: None };
        let info = framework_info(&c, &env, Some(&credentials)).unwrap();
        assert_eq!(info.user, "u");
        assert_eq!(info.name, "app");
        assert_eq!(info.hostname.as_deref(), Some("driver.example"));
        assert_eq!(info.role.as_deref(), Some("analytics"));
        assert_eq!(info.failover_timeout, Some(0.0));
        assert_eq!(info.checkpoint, None);
        assert!(info.roles.is_empty());
        assert_eq!(info.capabilities, [Capability::of(capability::Type::GpuResources)]);
        assert_eq!(info.principal.as_deref(), Some("alice"));
    }

    #[test]
    fn public_dns_and_ui_url_are_fallbacks() {
        let env = FrameworkEnv {
            public_dns: Some("public.example".into()),
            ui_web_url: Some("http://ui:4040".into()),
            ..FrameworkEnv::default()
        };
        let info = framework_info(&conf(&[(DRIVER_HOST, "d")]), &env, None).unwrap();
        assert_eq!(info.hostname.as_deref(), Some("public.example"));
        assert_eq!(info.webui_url.as_deref(), Some("http://ui:4040"));
        assert!(info.capabilities.is_empty() && info.principal.is_none());
        let set = conf(&[(DRIVER_WEBUI_URL, "http://set")]);
        assert_eq!(
            framework_info(&set, &env, None).unwrap().webui_url.as_deref(),
            Some("http://set")
        );
    }
}
