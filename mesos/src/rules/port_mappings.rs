//! Docker port mappings (`spark.mesos.executor.docker.portmaps`):
//! `MesosSchedulerBackendUtil.parsePortMappingsSpec`.

use super::java;
use crate::proto::container_info::docker_info::PortMapping;
use crate::{Error, Result};

/// `spark.mesos.executor.docker.portmaps`: `host_port:container_port[:protocol]`, comma-separated.
pub const EXECUTOR_DOCKER_PORT_MAPS: &str = "spark.mesos.executor.docker.portmaps";

/// `parsePortMappingsSpec` over the items of the config list: `host:container` (protocol
/// `tcp`) or `host:container:protocol`. Items of another arity are skipped with a warning; a
/// port that is not a 32-bit integer is an [`Error::PortMappingNotNumeric`]. As in Spark, a
/// negative port is kept as its two's-complement `uint32` (`-1` is 4294967295), which Mesos
/// then refuses.
pub fn parse_port_mappings_spec(items: &[String]) -> Result<Vec<PortMapping>> {
    let mut mappings = Vec::new();
    for item in items {
        let (host, container, protocol) = match java::split(item, b':').as_slice() {
            [h, c] => (*h, *c, "tcp"),
            [h, c, p] => (*h, *c, *p),
            _ => {
                tracing::warn!(
                    port_mapping = %item,
                    "skipping a port mapping not of the form host_port:container_port[:udp|:tcp]"
                );
                continue;
            }
        };
        let port = |p: &str| {
            java::parse_int(p)
                .map(|p| p as u32)
                .ok_or_else(|| Error::PortMappingNotNumeric { port: p.to_owned() })
        };
        mappings.push(PortMapping {
            host_port: port(host)?,
            container_port: port(container)?,
            protocol: Some(protocol.to_owned()),
        });
    }
    Ok(mappings)
}
