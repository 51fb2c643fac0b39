//! The `FrameworkInfo` the fine-grained backend subscribes with: the coarse backend's
//! (`createSchedulerDriver` is shared), except that `start()` passes no failover timeout, so
//! none is set and `spark.mesos.driver.failoverTimeout` is not read.

use mesos::client::Credentials;
use mesos::proto::FrameworkInfo;
use mesos::rules::conf::SparkConf;

use crate::coarse::framework::framework_info_with;
use crate::coarse::FrameworkEnv;
use crate::Result;

/// `start()` + `createSchedulerDriver` for the fine-grained backend: user, name, host name,
/// web UI URL, framework id, role, GPU capability and principal as
/// [`crate::coarse::framework_info`] sets them; no failover timeout, no checkpoint.
pub fn framework_info(
    conf: &SparkConf,
    env: &FrameworkEnv,
    credentials: Option<&Credentials>,
) -> Result<FrameworkInfo> {
    framework_info_with(conf, env, credentials, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_failover_timeout_even_when_configured() {
        let conf: SparkConf = [
            ("spark.app.name", "app"),
            ("spark.mesos.driver.failoverTimeout", "30"),
            ("spark.mesos.driver.frameworkId", "fw-1"),
        ]
        .into_iter()
        .collect();
        let env = FrameworkEnv { spark_user: "u".into(), ..FrameworkEnv::default() };
        let info = framework_info(&conf, &env, None).unwrap();
        assert_eq!(info.failover_timeout, None);
        assert_eq!(info.name, "app");
        assert_eq!(info.id.map(|id| id.value).as_deref(), Some("fw-1"));
        assert_eq!(info.checkpoint, None);
    }
}
