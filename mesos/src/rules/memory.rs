//! Container memory for executors and dispatcher-launched drivers, in MiB, as Spark 3.5.6
//! computes it (`MesosSchedulerUtils.executorMemory`, `driverContainerMemory`, and the
//! dispatcher's `MesosSubmitRequestServlet.buildDriverDescription`).
//!
//! Sizes read by `Utils.memoryStringToMb` take a bare number as *bytes* (`512` is 0 MiB), unlike
//! `bytesConf(MiB)` keys; the JVM's `int` arithmetic (saturating `Double.toInt`, wrapping
//! sums) is kept.

use super::conf::{ByteUnit, SparkConf};
use super::java;
use crate::Result;

/// `spark.executor.memory`.
pub const EXECUTOR_MEMORY: &str = "spark.executor.memory";
/// `spark.mesos.executor.memoryOverhead` (MiB, `intConf`).
pub const EXECUTOR_MEMORY_OVERHEAD: &str = "spark.mesos.executor.memoryOverhead";
/// `spark.executor.memoryOverheadFactor` (0.10, must be > 0).
pub const EXECUTOR_MEMORY_OVERHEAD_FACTOR: &str = "spark.executor.memoryOverheadFactor";
/// `spark.driver.memory`.
pub const DRIVER_MEMORY: &str = "spark.driver.memory";
/// `spark.driver.memoryOverhead`: read (as a plain int) by the dispatcher's REST servlet.
pub const DRIVER_MEMORY_OVERHEAD: &str = "spark.driver.memoryOverhead";
/// `spark.mesos.driver.memoryOverhead` (MiB, `intConf`): read when sizing the driver's task.
pub const MESOS_DRIVER_MEMORY_OVERHEAD: &str = "spark.mesos.driver.memoryOverhead";
/// `spark.driver.memoryOverheadFactor` (0.10, must be > 0).
pub const DRIVER_MEMORY_OVERHEAD_FACTOR: &str = "spark.driver.memoryOverheadFactor";

/// Spark's default heap for executors and drivers, in MiB.
pub const DEFAULT_MEMORY_MIB: i32 = 1024;
/// The least overhead Spark adds, in MiB (copied by Spark from YARN).
pub const MEMORY_OVERHEAD_MINIMUM_MIB: i32 = 384;
/// The default overhead factor.
pub const MEMORY_OVERHEAD_FACTOR: f64 = 0.10;

/// `Utils.memoryStringToMb`: bytes (bare numbers are bytes) divided down to whole MiB, then
/// truncated to `int` as Scala's `Long.toInt` does.
fn memory_string_to_mb(conf: &SparkConf, key: &str) -> Result<Option<i32>> {
    Ok(conf.get_size(key, ByteUnit::Byte)?.map(|bytes| (bytes / 1024 / 1024) as i32))
}

/// `SparkContext.executorMemoryInMb`: `spark.executor.memory` in MiB, 1024 when unset. (Spark
/// also falls back to the `SPARK_EXECUTOR_MEMORY` and `SPARK_MEM` environment variables; a
/// caller that honours them sets `spark.executor.memory` from them.)
pub fn executor_memory_in_mb(conf: &SparkConf) -> Result<i32> {
    Ok(memory_string_to_mb(conf, EXECUTOR_MEMORY)?.unwrap_or(DEFAULT_MEMORY_MIB))
}

/// `executorMemory(sc)`: the `mem` an executor task asks for, heap plus overhead, where the
/// overhead is `spark.mesos.executor.memoryOverhead` or max(factor × heap, 384).
pub fn executor_memory(conf: &SparkConf) -> Result<i32> {
    let heap = executor_memory_in_mb(conf)?;
    let factor = conf
        .get_positive_double(EXECUTOR_MEMORY_OVERHEAD_FACTOR)?
        .unwrap_or(MEMORY_OVERHEAD_FACTOR);
    let overhead = match conf.get_int(EXECUTOR_MEMORY_OVERHEAD)? {
        Some(overhead) => overhead,
        None => java::double_to_int(
            (factor * f64::from(heap)).max(f64::from(MEMORY_OVERHEAD_MINIMUM_MIB)),
        ),
    };
    Ok(overhead.wrapping_add(heap))
}

/// The `mem` of the driver description the dispatcher builds from a submission's
/// `sparkProperties` (`buildDriverDescription`): `spark.driver.memory` (1024 MiB) plus
/// `spark.driver.memoryOverhead` or max(factor × memory, 384). This number is also what the
/// driver's `--driver-memory` says.
pub fn driver_description_memory(properties: &SparkConf) -> Result<i32> {
    let memory = memory_string_to_mb(properties, DRIVER_MEMORY)?.unwrap_or(DEFAULT_MEMORY_MIB);
    let factor = properties
        .get_plain_double(DRIVER_MEMORY_OVERHEAD_FACTOR)?
        .unwrap_or(MEMORY_OVERHEAD_FACTOR);
    let overhead = match properties.get_plain_int(DRIVER_MEMORY_OVERHEAD)? {
        Some(overhead) => overhead,
        None => java::double_to_int(factor * f64::from(memory)).max(MEMORY_OVERHEAD_MINIMUM_MIB),
    };
    Ok(memory.wrapping_add(overhead))
}

/// `driverContainerMemory(desc)`: the `mem` of the driver's task, the description's memory
/// plus, once more, `spark.mesos.driver.memoryOverhead` or max(factor × that memory, 384).
///
/// The overhead is counted twice (once in [`driver_description_memory`], once here): a
/// default submission asks for 1792 MiB, not 1408. Spark 3.5.6 does this and operators size
/// their agents by what it asks, so the quirk is kept.
pub fn driver_container_memory(properties: &SparkConf, description_memory: i32) -> Result<i32> {
    let factor = properties
        .get_positive_double(DRIVER_MEMORY_OVERHEAD_FACTOR)?
        .unwrap_or(MEMORY_OVERHEAD_FACTOR);
    let default_overhead =
        (factor * f64::from(description_memory)).max(f64::from(MEMORY_OVERHEAD_MINIMUM_MIB));
    let overhead = match properties.get_int(MESOS_DRIVER_MEMORY_OVERHEAD)? {
        Some(overhead) => overhead,
        None => java::double_to_int(default_overhead),
    };
    Ok(overhead.wrapping_add(description_memory))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_spark() {
        let conf = SparkConf::new();
        assert_eq!(executor_memory(&conf).unwrap(), 1408);
        let desc = driver_description_memory(&conf).unwrap();
        assert_eq!(desc, 1408);
        assert_eq!(driver_container_memory(&conf, desc).unwrap(), 1792);
    }
}
