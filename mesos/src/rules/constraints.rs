//! Attribute constraints on offers (`spark.mesos.constraints` for executors,
//! `spark.mesos.driver.constraints` for the dispatcher's drivers): Spark's
//! `parseConstraintString` and `matchesAttributeRequirements`.

use std::collections::BTreeSet;

use super::java;
use crate::proto::{value, Attribute};
use crate::{Error, Result};

/// `spark.mesos.constraints`: executors launch only on offers matching it (default "").
pub const CONSTRAINTS: &str = "spark.mesos.constraints";
/// `spark.mesos.driver.constraints`: the dispatcher launches drivers only on offers matching
/// it (default "").
pub const DRIVER_CONSTRAINTS: &str = "spark.mesos.driver.constraints";

/// One `attribute:v1,v2` entry of a constraint string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    /// The attribute the offer must carry (exactly as written: Spark trims whole entries,
    /// not the parts around `:`).
    pub attribute: String,
    /// The values it accepts; empty means "present with any value".
    pub values: BTreeSet<String>,
}

/// `parseConstraintString`: `attr:v1,v2;attr2:...`, entries split on `;` and trimmed, each
/// split on its one `:`, values split on `,` (empty pieces inside the list are kept, trailing
/// ones dropped, as Java's `split` does).
///
/// An entry without exactly one `:`, an empty entry (so a trailing `;`) or a repeated
/// attribute makes the whole string a [`Error::BadConstraintString`]. The constraints come
/// back in the order written.
pub fn parse_constraint_string(constraints: &str) -> Result<Vec<Constraint>> {
    if constraints.is_empty() {
        return Ok(Vec::new());
    }
    let bad = || Error::BadConstraintString { constraints: constraints.to_owned() };
    let mut parsed: Vec<Constraint> = Vec::new();
    for entry in constraints.split(';').map(java::trim) {
        let (attribute, values) = entry.split_once(':').ok_or_else(bad)?;
        if values.contains(':') || parsed.iter().any(|c| c.attribute == attribute) {
            return Err(bad());
        }
        let values = if values.is_empty() {
            BTreeSet::new()
        } else {
            java::split(values, b',').into_iter().map(str::to_owned).collect()
        };
        parsed.push(Constraint { attribute: attribute.to_owned(), values });
    }
    Ok(parsed)
}

/// `matchesAttributeRequirements(constraints, toAttributeMap(attributes))`: every constraint
/// names an attribute of the offer (the last one of that name counts) and, when it lists
/// values:
///
/// * SCALAR: some value, read as a number, is at most the offered scalar;
/// * SET: all values are in the offered set;
/// * TEXT: the offered text is one of the values;
/// * RANGES: some value, read as an integer, lies in an offered range.
///
/// A value that is not a number under a SCALAR or RANGES attribute is an
/// [`Error::ConstraintNotNumeric`]. Constraints are checked in order and checking stops at the
/// first that fails, so a malformed value after a failing constraint goes unnoticed (as in
/// Spark for up to four constraints, whose map keeps their order).
///
/// Spark 3.5.6 never matches RANGES attributes with values: its code tests for a single
/// `Value.Range` while the offer holds `Value.Ranges`. No configuration can rely on a
/// constraint that never matches, so this rule does what Spark's code means to do instead.
pub fn matches_attribute_requirements(
    constraints: &[Constraint],
    attributes: &[Attribute],
) -> Result<bool> {
    for constraint in constraints {
        let Some(offered) = attributes.iter().rev().find(|a| a.name == constraint.attribute) else {
            return Ok(false);
        };
        if !constraint.values.is_empty() && !matches(constraint, offered)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn matches(constraint: &Constraint, offered: &Attribute) -> Result<bool> {
    let not_numeric = |value: &String| Error::ConstraintNotNumeric {
        attribute: constraint.attribute.clone(),
        value: value.clone(),
    };
    Ok(match offered.r#type() {
        value::Type::Scalar => {
            let offered = offered.scalar.as_ref().map_or(0.0, |s| s.value);
            let wanted = constraint
                .values
                .iter()
                .map(|v| java::parse_double(v).ok_or_else(|| not_numeric(v)))
                .collect::<Result<Vec<f64>>>()?;
            wanted.iter().any(|w| *w <= offered)
        }
        value::Type::Ranges => {
            let wanted = constraint
                .values
                .iter()
                .map(|v| java::parse_long(v).ok_or_else(|| not_numeric(v)))
                .collect::<Result<Vec<i64>>>()?;
            let ranges = offered.ranges.as_ref().map(|r| r.range.as_slice()).unwrap_or_default();
            wanted.iter().any(|w| {
                u64::try_from(*w).is_ok_and(|w| ranges.iter().any(|r| r.begin <= w && w <= r.end))
            })
        }
        value::Type::Set => {
            let items = offered.set.as_ref().map(|s| s.item.as_slice()).unwrap_or_default();
            constraint.values.iter().all(|v| items.contains(v))
        }
        value::Type::Text => {
            let text = offered.text.as_ref().map_or("", |t| t.value.as_str());
            constraint.values.contains(text)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::value::{Range, Ranges};

    fn slots() -> Attribute {
        Attribute {
            name: "slots".to_owned(),
            r#type: value::Type::Ranges as i32,
            ranges: Some(Ranges {
                range: vec![Range { begin: 1, end: 5 }, Range { begin: 10, end: 20 }],
            }),
            ..Attribute::default()
        }
    }

    fn check(constraints: &str) -> Result<bool> {
        matches_attribute_requirements(&parse_constraint_string(constraints)?, &[slots()])
    }

    /// Spark 3.5.6 says false to all of these but the presence check (its RANGES bug).
    #[test]
    fn ranges_constraints_check_the_ranges() {
        assert!(check("slots:3").unwrap());
        assert!(check("slots:7,20").unwrap());
        assert!(!check("slots:7").unwrap());
        assert!(!check("slots:-1").unwrap());
        assert!(check("slots:").unwrap());
        assert!(matches!(check("slots:x"), Err(Error::ConstraintNotNumeric { .. })));
    }

    #[test]
    fn checking_stops_at_the_first_failure() {
        assert!(!check("gpu:;slots:x").unwrap());
        assert!(check("slots:x;gpu:").is_err());
    }
}
