//! Docker volume specs (`spark.mesos.executor.docker.volumes`):
//! `MesosSchedulerBackendUtil.parseVolumesSpec`.

use super::java;
use crate::proto::{volume, Volume};

/// `spark.mesos.executor.docker.volumes`: `[host_path:]container_path[:ro|:rw]`, comma-separated.
pub const EXECUTOR_DOCKER_VOLUMES: &str = "spark.mesos.executor.docker.volumes";

/// `parseVolumesSpec` over the items of the config list (already split on `,`, trimmed, empty
/// items dropped). Each item is split on `:` Java's way (trailing empty pieces vanish, so
/// `/h:` is a container path) and read as `c`, `c:rw`, `c:ro`, `h:c`, `h:c:rw` or `h:c:ro`;
/// the mode defaults to RW. Any other item is skipped with a warning, as Spark does.
pub fn parse_volumes_spec(items: &[String]) -> Vec<Volume> {
    items
        .iter()
        .filter_map(|item| {
            let (host, container, mode) = match java::split(item, b':').as_slice() {
                [c] => (None, *c, volume::Mode::Rw),
                [c, "rw"] => (None, *c, volume::Mode::Rw),
                [c, "ro"] => (None, *c, volume::Mode::Ro),
                [h, c] => (Some(*h), *c, volume::Mode::Rw),
                [h, c, "rw"] => (Some(*h), *c, volume::Mode::Rw),
                [h, c, "ro"] => (Some(*h), *c, volume::Mode::Ro),
                _ => {
                    tracing::warn!(
                        volume = %item,
                        "skipping a volume spec not of the form [host-dir:]container-dir[:rw|:ro]"
                    );
                    return None;
                }
            };
            Some(Volume {
                container_path: container.to_owned(),
                host_path: host.map(str::to_owned),
                mode: mode as i32,
                ..Volume::default()
            })
        })
        .collect()
}
