//! Splitting an offer's resources between a task and what is left: `partitionResources` for
//! scalars, `partitionPortResources`, `checkPorts` and `nonZeroPortValuesFromConfig` for the
//! ports Spark pins (`spark.blockManager.port`).

use super::conf::SparkConf;
use crate::proto::{resource, value, Resource};
use crate::{Error, Result};

/// `spark.blockManager.port`: when non-zero, every executor needs exactly this port, so an
/// offer must carry it (in practice one executor per agent).
pub const BLOCK_MANAGER_PORT: &str = "spark.blockManager.port";

/// The role of unreserved resources.
const ANY_ROLE: &str = "*";

fn is_scalar(r: &Resource) -> bool {
    r.r#type == value::Type::Scalar as i32
}

fn is_port_ranges(r: &Resource) -> bool {
    r.r#type == value::Type::Ranges as i32 && r.name == "ports"
}

fn scalar_value(r: &Resource) -> f64 {
    r.scalar.as_ref().map_or(0.0, |s| s.value)
}

/// The role a resource carries (Mesos's default `*` when unset).
fn role(r: &Resource) -> String {
    r.role.clone().unwrap_or_else(|| ANY_ROLE.to_owned())
}

/// A new resource of `role`, keeping `reservation` unless the role is `*` (`setReservationInfo`).
fn with_role(
    mut r: Resource,
    role: String,
    reservation: Option<&resource::ReservationInfo>,
) -> Resource {
    if role != ANY_ROLE {
        r.reservation = reservation.cloned();
    }
    r.role = Some(role);
    r
}

/// `createResource`: a scalar with only name, value, role and reservation.
fn scalar(
    name: &str,
    amount: f64,
    role: String,
    reservation: Option<&resource::ReservationInfo>,
) -> Resource {
    let r = Resource {
        name: name.to_owned(),
        r#type: value::Type::Scalar as i32,
        scalar: Some(value::Scalar { value: amount }),
        ..Resource::default()
    };
    with_role(r, role, reservation)
}

/// `partitionResources(resources, name, amount)`: takes `amount` of the scalar resource
/// `name` from the entries in offer order, each piece keeping its entry's role and reservation.
/// Returns (what is left, what the task uses). Entries taken from are rebuilt with only name,
/// value, role and reservation; depleted scalars (value ≤ 0, any name) are dropped from what
/// is left; everything else is passed through unchanged.
pub fn partition_resources(
    resources: &[Resource],
    name: &str,
    amount: f64,
) -> (Vec<Resource>, Vec<Resource>) {
    let mut remain = amount;
    let mut used = Vec::new();
    let mut left = Vec::new();
    for r in resources {
        let offered = scalar_value(r);
        if remain > 0.0 && is_scalar(r) && offered > 0.0 && r.name == name {
            let usage = remain.min(offered);
            used.push(scalar(name, usage, role(r), r.reservation.as_ref()));
            remain -= usage;
            left.push(scalar(name, offered - usage, role(r), r.reservation.as_ref()));
        } else {
            left.push(r.clone());
        }
    }
    left.retain(|r| !is_scalar(r) || scalar_value(r) > 0.0);
    (left, used)
}

/// `nonZeroPortValuesFromConfig`: the ports Spark pins, i.e. `spark.blockManager.port` unless
/// it is 0 (the default).
pub fn non_zero_port_values_from_config(conf: &SparkConf) -> Result<Vec<u64>> {
    Ok(conf
        .get_long(BLOCK_MANAGER_PORT)?
        .filter(|p| *p != 0)
        .map(|p| p as u64)
        .into_iter()
        .collect())
}

/// `checkPorts(conf, getRangeResource(offered, "ports"))`: every pinned port lies in some
/// range of the entries named `ports`, and those ranges hold at least as many ports as are
/// pinned.
pub fn check_ports(conf: &SparkConf, offered: &[Resource]) -> Result<bool> {
    let wanted = non_zero_port_values_from_config(conf)?;
    let ranges: Vec<(u64, u64)> = offered
        .iter()
        .filter(|r| r.name == "ports")
        .flat_map(|r| r.ranges.iter().flat_map(|rs| rs.range.iter().map(|x| (x.begin, x.end))))
        .collect();
    let within = wanted.iter().all(|p| ranges.iter().any(|(b, e)| b <= p && p <= e));
    // Spark sums `end - begin + 1` in a signed 64-bit long.
    let count = ranges.iter().fold(0i64, |n, (b, e)| {
        n.wrapping_add((*e as i64).wrapping_sub(*b as i64).wrapping_add(1))
    });
    Ok(within && count >= wanted.len() as i64)
}

/// `partitionPortResources(requested, offered)`: with no requested port, everything is left
/// and nothing used. Otherwise every `ports` RANGES entry leaves the offer (unused ports are
/// declined implicitly) and each requested port becomes a one-port range carrying the role and
/// reservation of the first entry that holds it. Returns (what is left, what the task uses).
///
/// A requested port in no entry is an [`Error::PortNotOffered`] (Spark fails with
/// `None.get`); [`check_ports`] rules it out first.
pub fn partition_port_resources(
    requested: &[u64],
    offered: &[Resource],
) -> Result<(Vec<Resource>, Vec<Resource>)> {
    if requested.is_empty() {
        return Ok((offered.to_vec(), Vec::new()));
    }
    let (ports, left): (Vec<&Resource>, Vec<&Resource>) =
        offered.iter().partition(|r| is_port_ranges(r));
    let used = requested
        .iter()
        .map(|&port| {
            let holder = ports
                .iter()
                .find(|r| {
                    r.ranges
                        .iter()
                        .flat_map(|rs| rs.range.iter())
                        .any(|x| x.begin <= port && port <= x.end)
                })
                .ok_or(Error::PortNotOffered { port })?;
            let r = Resource {
                name: "ports".to_owned(),
                r#type: value::Type::Ranges as i32,
                ranges: Some(value::Ranges {
                    range: vec![value::Range { begin: port, end: port }],
                }),
                ..Resource::default()
            };
            Ok(with_role(r, role(holder), holder.reservation.as_ref()))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((left.into_iter().cloned().collect(), used))
}
