//! The `ContainerInfo` of executor and driver tasks: `MesosSchedulerBackendUtil.buildContainerInfo`
//! plus the task kind's secret volumes (the coarse backend's and the dispatcher's
//! `getContainerInfo`).

use super::conf::SparkConf;
use super::java;
use super::labels::mesos_labels;
use super::port_mappings::{parse_port_mappings_spec, EXECUTOR_DOCKER_PORT_MAPS};
use super::secrets::{get_secret_volume, SecretTask};
use super::volumes::{parse_volumes_spec, EXECUTOR_DOCKER_VOLUMES};
use crate::proto::container_info::{docker_info, DockerInfo, MesosInfo};
use crate::proto::{container_info, image, ContainerInfo, Image, NetworkInfo, Parameter};
use crate::Result;

/// `spark.mesos.executor.docker.image`: the image executors (and, through the dispatcher,
/// drivers) run in.
pub const EXECUTOR_DOCKER_IMAGE: &str = "spark.mesos.executor.docker.image";
/// `spark.mesos.executor.docker.forcePullImage`: pull the image even when cached.
pub const EXECUTOR_DOCKER_FORCE_PULL_IMAGE: &str = "spark.mesos.executor.docker.forcePullImage";
/// `spark.mesos.executor.docker.parameters`: `key=value` pairs for `docker run`.
pub const EXECUTOR_DOCKER_PARAMETERS: &str = "spark.mesos.executor.docker.parameters";
/// `spark.mesos.containerizer`: `docker` (default) or `mesos`.
pub const CONTAINERIZER: &str = "spark.mesos.containerizer";
/// `spark.mesos.network.name`: the named (CNI) network containers join.
pub const NETWORK_NAME: &str = "spark.mesos.network.name";
/// `spark.mesos.network.labels`: labels for that network, `key:value,...`.
pub const NETWORK_LABELS: &str = "spark.mesos.network.labels";

const CONTAINERIZERS: &[&str] = &["docker", "mesos"];

/// `buildContainerInfo(conf)`.
///
/// The type is DOCKER when an image is set and the containerizer is `docker`, else MESOS.
/// With an image: a DockerInfo {image, force_pull_image, port mappings, parameters, and with a
/// network name network USER plus the parameter `net=<name>`} or a MesosInfo {a DOCKER image,
/// cached = !forcePull}, then the `docker.volumes`. The docker keys, the containerizer
/// included, are only read when an image is set. With a network name: one NetworkInfo {name,
/// labels} (the labels always present, maybe empty).
pub fn build_container_info(conf: &SparkConf) -> Result<ContainerInfo> {
    let image = conf.get(EXECUTOR_DOCKER_IMAGE);
    let docker = match image {
        Some(_) => conf.get_one_of(CONTAINERIZER, CONTAINERIZERS)?.unwrap_or("docker") == "docker",
        None => false,
    };
    let kind = if docker { container_info::Type::Docker } else { container_info::Type::Mesos };
    let mut info = ContainerInfo { r#type: kind as i32, ..ContainerInfo::default() };
    let network_name = conf.get(NETWORK_NAME);

    if let Some(image) = image {
        let force_pull = conf.get_bool(EXECUTOR_DOCKER_FORCE_PULL_IMAGE)? == Some(true);
        let port_mappings =
            parse_port_mappings_spec(&conf.get_seq(EXECUTOR_DOCKER_PORT_MAPS).unwrap_or_default())?;
        let parameters =
            parse_params_spec(&conf.get_seq(EXECUTOR_DOCKER_PARAMETERS).unwrap_or_default());
        if docker {
            info.docker =
                Some(docker_info(image, force_pull, port_mappings, parameters, network_name));
        } else {
            info.mesos = Some(MesosInfo {
                image: Some(Image {
                    r#type: image::Type::Docker as i32,
                    docker: Some(image::Docker {
                        name: image.to_owned(),
                        ..image::Docker::default()
                    }),
                    cached: Some(!force_pull),
                    ..Image::default()
                }),
            });
        }
        info.volumes =
            parse_volumes_spec(&conf.get_seq(EXECUTOR_DOCKER_VOLUMES).unwrap_or_default());
    }

    if let Some(name) = network_name {
        info.network_infos.push(NetworkInfo {
            name: Some(name.to_owned()),
            labels: Some(mesos_labels(conf.get(NETWORK_LABELS).unwrap_or(""))?),
            ..NetworkInfo::default()
        });
    }
    Ok(info)
}

/// The executor task's container: [`build_container_info`] plus the
/// `spark.mesos.executor.secret.*` file volumes.
pub fn executor_container_info(conf: &SparkConf) -> Result<ContainerInfo> {
    with_secret_volumes(conf, SecretTask::Executor)
}

/// The dispatcher's driver task container, from the submission's properties:
/// [`build_container_info`] plus the `spark.mesos.driver.secret.*` file volumes.
pub fn driver_container_info(properties: &SparkConf) -> Result<ContainerInfo> {
    with_secret_volumes(properties, SecretTask::Driver)
}

fn with_secret_volumes(conf: &SparkConf, task: SecretTask) -> Result<ContainerInfo> {
    let mut info = build_container_info(conf)?;
    info.volumes.extend(get_secret_volume(conf, task)?);
    Ok(info)
}

fn docker_info(
    image: &str,
    force_pull: bool,
    port_mappings: Vec<docker_info::PortMapping>,
    mut parameters: Vec<Parameter>,
    network_name: Option<&str>,
) -> DockerInfo {
    let network = network_name.map(|name| {
        parameters.push(Parameter { key: "net".to_owned(), value: name.to_owned() });
        docker_info::Network::User as i32
    });
    DockerInfo {
        image: image.to_owned(),
        network,
        port_mappings,
        parameters,
        force_pull_image: Some(force_pull),
        ..DockerInfo::default()
    }
}

/// `parseParamsSpec`: `key=value` items split at the first `=` (empty keys and values
/// allowed); items without `=` are skipped with a warning.
fn parse_params_spec(items: &[String]) -> Vec<Parameter> {
    items
        .iter()
        .filter_map(|item| match java::split_once_kept(item, '=').as_slice() {
            [key, value] => Some(Parameter { key: (*key).to_owned(), value: (*value).to_owned() }),
            _ => {
                tracing::warn!(parameter = %item, "skipping a docker parameter not of the form key=value");
                None
            }
        })
        .collect()
}
