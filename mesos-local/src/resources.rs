//! Resource arithmetic for the allocator: a [`Pool`] adds, subtracts and compares resources by
//! name and role, as Mesos's `Resources` does for scalars, ranges and sets (reservation
//! details beyond the role, disks and revocable resources are not modelled).

use std::collections::{BTreeMap, BTreeSet};

use mesos::proto::{resource, value, Resource};

use crate::flags::{ResourceFlag, Value};

/// Mesos keeps three decimal digits; below this a scalar is zero.
const EPSILON: f64 = 0.0005;

/// An amount of one resource.
#[derive(Debug, Clone, PartialEq)]
enum Amount {
    Scalar(f64),
    /// Sorted, merged, inclusive.
    Ranges(Vec<(u64, u64)>),
    Set(BTreeSet<String>),
}

/// Resources keyed by (name, role).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pool {
    entries: BTreeMap<(String, String), Amount>,
}

/// A resource in a call that the master cannot account for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadResource(pub &'static str);

impl Pool {
    /// The agent's configured resources.
    pub fn from_flags(flags: &[ResourceFlag]) -> Self {
        let mut pool = Self::default();
        for flag in flags {
            let amount = match &flag.value {
                Value::Scalar(v) => Amount::Scalar(*v),
                Value::Ranges(r) => Amount::Ranges(normalize(r.clone())),
                Value::Set(s) => Amount::Set(s.iter().cloned().collect()),
                Value::Text(_) => continue,
            };
            pool.add_one(flag.name.clone(), flag.role.clone(), amount);
        }
        pool
    }

    /// Resources from a scheduler's call (peer input: every shape is checked).
    pub fn from_resources(resources: &[Resource]) -> Result<Self, BadResource> {
        let mut pool = Self::default();
        for r in resources {
            let role = match r.reservations.last() {
                Some(reservation) => reservation.role.clone().unwrap_or_else(|| "*".to_owned()),
                None => r.role.clone().unwrap_or_else(|| "*".to_owned()),
            };
            let amount = match value::Type::try_from(r.r#type) {
                Ok(value::Type::Scalar) => {
                    let v = r
                        .scalar
                        .as_ref()
                        .ok_or(BadResource("a scalar resource without a value"))?
                        .value;
                    if !v.is_finite() || v < 0.0 {
                        return Err(BadResource(
                            "a scalar resource must be finite and not negative",
                        ));
                    }
                    Amount::Scalar(v)
                }
                Ok(value::Type::Ranges) => {
                    let ranges =
                        r.ranges.as_ref().ok_or(BadResource("a ranges resource without ranges"))?;
                    if ranges.range.iter().any(|x| x.begin > x.end) {
                        return Err(BadResource("a range ends before it begins"));
                    }
                    Amount::Ranges(normalize(
                        ranges.range.iter().map(|x| (x.begin, x.end)).collect(),
                    ))
                }
                Ok(value::Type::Set) => {
                    let set = r.set.as_ref().ok_or(BadResource("a set resource without a set"))?;
                    Amount::Set(set.item.iter().cloned().collect())
                }
                _ => return Err(BadResource("a resource must be a scalar, ranges or a set")),
            };
            pool.add_one(r.name.clone(), role, amount);
        }
        Ok(pool)
    }

    /// As `Resource`s in the pre-refinement format (`role`), with `allocation_info` when the
    /// framework is multi-role.
    pub fn to_resources(&self, allocated_role: Option<&str>) -> Vec<Resource> {
        self.entries
            .iter()
            .map(|((name, role), amount)| {
                let mut r = Resource {
                    name: name.clone(),
                    role: Some(role.clone()),
                    allocation_info: allocated_role
                        .map(|role| resource::AllocationInfo { role: Some(role.to_owned()) }),
                    ..Resource::default()
                };
                match amount {
                    Amount::Scalar(v) => {
                        r.r#type = value::Type::Scalar as i32;
                        r.scalar = Some(value::Scalar { value: *v });
                    }
                    Amount::Ranges(ranges) => {
                        r.r#type = value::Type::Ranges as i32;
                        let range = ranges
                            .iter()
                            .map(|&(begin, end)| value::Range { begin, end })
                            .collect();
                        r.ranges = Some(value::Ranges { range });
                    }
                    Amount::Set(items) => {
                        r.r#type = value::Type::Set as i32;
                        r.set = Some(value::Set { item: items.iter().cloned().collect() });
                    }
                }
                r
            })
            .collect()
    }

    /// Only the unreserved resources and those reserved for `role`.
    pub fn for_role(&self, role: &str) -> Self {
        let entries = self.entries.iter().filter(|((_, r), _)| r == "*" || r == role);
        Self { entries: entries.map(|(k, v)| (k.clone(), v.clone())).collect() }
    }

    /// Whether nothing is left.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The sum of a scalar over every role.
    pub fn scalar(&self, name: &str) -> f64 {
        let amounts = self.entries.iter().filter(|((n, _), _)| n == name);
        amounts.map(|(_, a)| if let Amount::Scalar(v) = a { *v } else { 0.0 }).sum()
    }

    /// Whether every resource in `other` is in `self`.
    pub fn contains(&self, other: &Self) -> bool {
        other.entries.iter().all(|(key, want)| match (self.entries.get(key), want) {
            (Some(Amount::Scalar(have)), Amount::Scalar(want)) => have + EPSILON >= *want,
            (Some(Amount::Ranges(have)), Amount::Ranges(want)) => {
                want.iter().all(|w| have.iter().any(|h| h.0 <= w.0 && w.1 <= h.1))
            }
            (Some(Amount::Set(have)), Amount::Set(want)) => want.is_subset(have),
            (None, Amount::Scalar(want)) => *want < EPSILON,
            (None, Amount::Ranges(want)) => want.is_empty(),
            (None, Amount::Set(want)) => want.is_empty(),
            _ => false,
        })
    }

    /// Adds `other` to `self`.
    pub fn add(&mut self, other: &Self) {
        for ((name, role), amount) in &other.entries {
            self.add_one(name.clone(), role.clone(), amount.clone());
        }
    }

    /// Takes `other` out of `self` (what `self` lacks is ignored).
    pub fn subtract(&mut self, other: &Self) {
        for (key, take) in &other.entries {
            let Some(have) = self.entries.get_mut(key) else { continue };
            let empty = match (have, take) {
                (Amount::Scalar(h), Amount::Scalar(t)) => {
                    *h -= t;
                    *h < EPSILON
                }
                (Amount::Ranges(h), Amount::Ranges(t)) => {
                    *h = subtract_ranges(h, t);
                    h.is_empty()
                }
                (Amount::Set(h), Amount::Set(t)) => {
                    h.retain(|item| !t.contains(item));
                    h.is_empty()
                }
                _ => false,
            };
            if empty {
                self.entries.remove(key);
            }
        }
    }

    fn add_one(&mut self, name: String, role: String, amount: Amount) {
        let empty = match &amount {
            Amount::Scalar(v) => *v < EPSILON,
            Amount::Ranges(r) => r.is_empty(),
            Amount::Set(s) => s.is_empty(),
        };
        if empty {
            return;
        }
        match self.entries.get_mut(&(name.clone(), role.clone())) {
            None => {
                self.entries.insert((name, role), amount);
            }
            Some(have) => match (have, amount) {
                (Amount::Scalar(h), Amount::Scalar(a)) => *h += a,
                (Amount::Ranges(h), Amount::Ranges(a)) => {
                    h.extend(a);
                    *h = normalize(std::mem::take(h));
                }
                (Amount::Set(h), Amount::Set(a)) => h.extend(a),
                // One name with two types: the first one wins, as the agent's flags define it.
                _ => {}
            },
        }
    }
}

fn normalize(mut ranges: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    ranges.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for (begin, end) in ranges {
        match out.last_mut() {
            Some(last) if begin <= last.1.saturating_add(1) => last.1 = last.1.max(end),
            _ => out.push((begin, end)),
        }
    }
    out
}

fn subtract_ranges(have: &[(u64, u64)], take: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut out = have.to_vec();
    for &(tb, te) in take {
        out = out
            .into_iter()
            .flat_map(|(b, e)| {
                if te < b || tb > e {
                    return vec![(b, e)];
                }
                let mut pieces = Vec::new();
                if tb > b {
                    pieces.push((b, tb - 1));
                }
                if te < e {
                    pieces.push((te + 1, e));
                }
                pieces
            })
            .collect();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::parse_resources;

    fn pool(text: &str) -> Pool {
        Pool::from_flags(&parse_resources(text).expect("flags"))
    }

    #[test]
    fn subtract_and_add_back() {
        let mut agent = pool("cpus:4;mem:1024;ports:[31000-31010]");
        let task = pool("cpus:1.5;mem:512;ports:[31005-31005]");
        assert!(agent.contains(&task));
        agent.subtract(&task);
        assert_eq!(agent, pool("cpus:2.5;mem:512;ports:[31000-31004,31006-31010]"));
        agent.add(&task);
        assert_eq!(agent, pool("cpus:4;mem:1024;ports:[31000-31010]"));
    }

    #[test]
    fn contains_checks_every_kind() {
        let agent = pool("cpus:1;ports:[1-10];disk(spark):5");
        assert!(!agent.contains(&pool("cpus:1.5")));
        assert!(!agent.contains(&pool("ports:[10-11]")));
        assert!(!agent.contains(&pool("disk:1")));
        assert!(agent.contains(&pool("disk(spark):5")));
        assert_eq!(agent.for_role("*"), pool("cpus:1;ports:[1-10]"));
    }

    #[test]
    fn round_trips_through_protos() {
        let agent = pool("cpus:2;mem:10;ports:[1-2,4-5];tags:{a,b};gpus(r):1");
        let back = Pool::from_resources(&agent.to_resources(None)).expect("valid");
        assert_eq!(back, agent);
        let bad = Resource {
            name: "cpus".into(),
            r#type: value::Type::Scalar as i32,
            ..Resource::default()
        };
        assert!(Pool::from_resources(&[bad]).is_err());
    }
}
