//! Spark 4 on Mesos through the JVM bridge: the PySpark job of `mesos_bridge.rs`, run by
//! pyspark 4.0.x's own interpreter and `spark-submit` (`.venv-spark4`, installed by
//! `scripts/setup.sh`) with the Scala 2.13 plugin jar, master `spark-mesos://…` on a
//! `mesos-local` cluster; its executors are Mesos tasks our backend launched from that Spark 4
//! home. Skips locally without Spark 4, fails in CI.

use shuffle_tests::spark_on_mesos::{bridge_jar_2_13, run_pyspark_job};
use shuffle_tests::{repo_root, require_real_spark4, spark4_python, SPARK4_LINE};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyspark4_job_runs_on_mesos_local_through_the_2_13_bridge() {
    if !require_real_spark4() {
        return;
    }
    let python = spark4_python().expect("checked by require_real_spark4");
    let run = run_pyspark_job(&python, &bridge_jar_2_13()).await;
    assert!(
        run.spark_version.starts_with(&format!("{SPARK4_LINE}.")),
        "the driver ran Spark {}, not {SPARK4_LINE}.x",
        run.spark_version
    );
    let venv = repo_root().join(".venv-spark4").canonicalize().expect("the Spark 4 venv");
    let home = run.spark_home.canonicalize().expect("the executors' Spark home");
    assert!(home.starts_with(&venv), "executors ran from {}", home.display());
}
