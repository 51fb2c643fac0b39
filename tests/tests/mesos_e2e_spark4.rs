//! The static application of `mesos_e2e.rs` with Spark 4: the same driver script, run by
//! pyspark 4.0.x's own interpreter and `spark-submit` (`.venv-spark4`) with the Scala 2.13
//! bridge jar, on a three-agent `mesos-local` cluster whose agents (127.0.0.2, .3, .4) each
//! have a `shuffle-server` on port 7337, `spark.shuffle.service.enabled=true`. Checked: the
//! driver runs Spark 4.0.x; the shuffle's answer is exact; the executors are Mesos tasks of
//! the application's framework, started from the Spark 4 home, and real
//! `CoarseGrainedExecutorBackend` JVMs, one per agent; every daemon served blocks and holds
//! the driver's registration; after the application stops, every daemon deletes its files
//! within the heartbeat timeout plus the cleaner interval.
//!
//! The `kill -9` and two-failure blacklist steps and the dynamic-allocation application stay
//! Spark 3.5-only (`mesos_e2e.rs`) to save CI time: they exercise our backend's core, which
//! does not depend on the driver's Spark version. A binary of its own, because the daemons
//! bind fixed addresses and cargo runs test binaries one after another. Skips locally without
//! Spark 4 (`SKIP_SPARK4=1` setups), fails in CI.

use shuffle_tests::mesos_e2e::{static_job, stop_and_check_cleanup, Setup, SparkInstall};
use shuffle_tests::require_real_spark4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyspark4_on_mesos_with_agent_shuffle_services() {
    if !require_real_spark4() {
        return;
    }
    let setup = Setup::start(SparkInstall::spark4()).await;
    let (driver, _app_id) = static_job(&setup).await;
    stop_and_check_cleanup(&setup, driver, 3).await;
    setup.cluster.shutdown().await;
}
