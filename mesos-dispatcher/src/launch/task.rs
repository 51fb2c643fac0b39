//! The driver's `TaskInfo` (`createTaskInfo`) and the offer test of `scheduleTasks`.

use mesos::proto::{Attribute, ContainerInfo, Resource, TaskId, TaskInfo};
use mesos::rules::conf::SparkConf;
use mesos::rules::constraints::{matches_attribute_requirements, parse_constraint_string};
use mesos::rules::{container, labels, memory, resources};

use super::command::build_driver_command;
use super::LaunchConf;
use crate::queue::DriverDescription;
use crate::Result;

/// `spark.mesos.driver.constraints`: attributes an agent must offer to run the driver.
const DRIVER_CONSTRAINTS: &str = "spark.mesos.driver.constraints";
/// `spark.mesos.driver.labels`: labels of the driver's task.
const DRIVER_LABELS: &str = "spark.mesos.driver.labels";

/// The submission's properties as the `SparkConf` Spark builds from them.
pub fn driver_conf(driver: &DriverDescription) -> SparkConf {
    driver.spark_properties.iter().collect()
}

/// `getDriverTaskId`: the submission id, `-retry-N` on the N-th relaunch.
pub fn driver_task_id(driver: &DriverDescription, retries: u32) -> String {
    match retries {
        0 => driver.submission_id.to_string(),
        n => format!("{}-retry-{n}", driver.submission_id),
    }
}

/// The sum of the offer's scalar resources called `name` (`getResource`).
pub fn resource_amount(resources: &[Resource], name: &str) -> f64 {
    resources
        .iter()
        .filter(|r| r.name == name)
        .filter_map(|r| r.scalar.as_ref())
        .map(|s| s.value)
        .sum()
}

/// The task's memory: the description's plus the overhead once more (`driverContainerMemory`).
pub fn container_memory(driver: &DriverDescription, props: &SparkConf) -> Result<f64> {
    let desc = i32::try_from(driver.mem_mb).unwrap_or(i32::MAX);
    Ok(f64::from(memory::driver_container_memory(props, desc)?))
}

/// Whether what is left of an offer can take the driver: enough cpus and memory, and its
/// attributes meet `spark.mesos.driver.constraints`.
pub fn offer_fits(
    driver: &DriverDescription,
    props: &SparkConf,
    remaining: &[Resource],
    attributes: &[Attribute],
) -> Result<bool> {
    let constraints = parse_constraint_string(props.get(DRIVER_CONSTRAINTS).unwrap_or(""))?;
    Ok(resource_amount(remaining, "cpus") >= driver.cores
        && resource_amount(remaining, "mem") >= container_memory(driver, props)?
        && matches_attribute_requirements(&constraints, attributes)?)
}

/// `createTaskInfo`: the task, and what is left of the offer's resources after it.
pub fn create_task_info(
    driver: &DriverDescription,
    retries: u32,
    agent_id: &mesos::proto::AgentId,
    remaining: &[Resource],
    conf: &LaunchConf,
) -> Result<(TaskInfo, Vec<Resource>)> {
    let props = driver_conf(driver);
    let command = build_driver_command(driver, &props, conf, retries)?;
    let container: ContainerInfo = container::driver_container_info(&props)?;
    let task_labels = labels::mesos_labels(props.get(DRIVER_LABELS).unwrap_or(""))?;
    let (left, mut used) = resources::partition_resources(remaining, "cpus", driver.cores);
    let (left, mem) =
        resources::partition_resources(&left, "mem", container_memory(driver, &props)?);
    used.extend(mem);
    let app_name = props.get("spark.app.name").unwrap_or_default();
    let task = TaskInfo {
        name: format!("Driver for {app_name}"),
        task_id: TaskId { value: driver_task_id(driver, retries) },
        agent_id: agent_id.clone(),
        resources: used,
        command: Some(command),
        container: Some(container),
        labels: Some(task_labels),
        ..TaskInfo::default()
    };
    Ok((task, left))
}
