//! The agent flags `--resources` and `--attributes`, parsed as a Mesos agent parses them:
//! `cpus:4;mem:8192;ports:[31000-32000]` (a role in parentheses: `cpus(spark):2`) and
//! `rack:r1;zone:a` (values are scalars, `[a-b,…]` ranges, `{x,y}` sets or text).

use mesos::proto::{value as pv, Attribute};

use crate::error::{Error, Result};

/// The resources an agent offers when `--resources` is not given.
pub const DEFAULT_RESOURCES: &str = "cpus:4;mem:8192;disk:10240;ports:[31000-32000]";

/// One value in Mesos's `Value` shapes.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A number, e.g. `4` or `0.5`.
    Scalar(f64),
    /// Inclusive ranges, e.g. `[31000-32000,40000-40010]`.
    Ranges(Vec<(u64, u64)>),
    /// A set of items, e.g. `{a,b}`.
    Set(Vec<String>),
    /// Any other text (attributes only).
    Text(String),
}

/// One `--resources` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceFlag {
    /// `cpus`, `mem`, `disk`, `ports`, `gpus` or any other name.
    pub name: String,
    /// The role the resource is statically reserved for; `*` when none is given.
    pub role: String,
    /// Scalar, ranges or set; never text.
    pub value: Value,
}

/// One `--attributes` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeFlag {
    /// The attribute's name.
    pub name: String,
    /// Its value.
    pub value: Value,
}

impl AttributeFlag {
    /// The `Attribute` offers carry.
    pub fn to_proto(&self) -> Attribute {
        let mut a = Attribute { name: self.name.clone(), ..Attribute::default() };
        match &self.value {
            Value::Scalar(v) => {
                a.r#type = pv::Type::Scalar as i32;
                a.scalar = Some(pv::Scalar { value: *v });
            }
            Value::Ranges(r) => {
                a.r#type = pv::Type::Ranges as i32;
                let range = r.iter().map(|&(begin, end)| pv::Range { begin, end }).collect();
                a.ranges = Some(pv::Ranges { range });
            }
            Value::Set(items) => {
                a.r#type = pv::Type::Set as i32;
                a.set = Some(pv::Set { item: items.clone() });
            }
            Value::Text(text) => {
                a.r#type = pv::Type::Text as i32;
                a.text = Some(pv::Text { value: text.clone() });
            }
        }
        a
    }
}

/// Parses `--resources`. Entries with the same name and role are merged, as Mesos adds them.
pub fn parse_resources(text: &str) -> Result<Vec<ResourceFlag>> {
    let mut out: Vec<ResourceFlag> = Vec::new();
    for entry in text.split([';', '\n']).map(str::trim).filter(|e| !e.is_empty()) {
        let bad = |reason| Error::BadResource { entry: entry.to_owned(), reason };
        let (key, value) = entry.split_once(':').ok_or_else(|| bad("expected name:value"))?;
        let (name, role) = match key.split_once('(') {
            Some((name, rest)) => {
                let role = rest.strip_suffix(')').ok_or_else(|| bad("unclosed role"))?;
                if role.is_empty() {
                    return Err(bad("empty role"));
                }
                (name.trim(), role.trim())
            }
            None => (key.trim(), "*"),
        };
        if name.is_empty() {
            return Err(bad("empty name"));
        }
        let value = parse_value(value).map_err(bad)?;
        match &value {
            Value::Text(_) => return Err(bad("a resource is a scalar, ranges or a set")),
            Value::Scalar(v) if *v < 0.0 => return Err(bad("negative scalar")),
            _ => {}
        }
        match out.iter_mut().find(|r| r.name == name && r.role == role) {
            Some(existing) => merge(&mut existing.value, value).map_err(bad)?,
            None => out.push(ResourceFlag { name: name.to_owned(), role: role.to_owned(), value }),
        }
    }
    Ok(out)
}

/// Parses `--attributes`.
pub fn parse_attributes(text: &str) -> Result<Vec<AttributeFlag>> {
    let mut out = Vec::new();
    for entry in text.split([';', '\n']).map(str::trim).filter(|e| !e.is_empty()) {
        let bad = |reason| Error::BadAttribute { entry: entry.to_owned(), reason };
        let (name, value) = entry.split_once(':').ok_or_else(|| bad("expected name:value"))?;
        let name = name.trim();
        if name.is_empty() {
            return Err(bad("empty name"));
        }
        let value = parse_value(value).map_err(bad)?;
        out.push(AttributeFlag { name: name.to_owned(), value });
    }
    Ok(out)
}

fn merge(into: &mut Value, more: Value) -> Result<(), &'static str> {
    match (into, more) {
        (Value::Scalar(a), Value::Scalar(b)) => *a += b,
        (Value::Ranges(a), Value::Ranges(b)) => a.extend(b),
        (Value::Set(a), Value::Set(b)) => a.extend(b),
        _ => return Err("the same resource with two value types"),
    }
    Ok(())
}

/// Mesos's `values::parse`: spaces are dropped, `[…]` is ranges, `{…}` a set, a number a
/// scalar, anything else text.
fn parse_value(text: &str) -> Result<Value, &'static str> {
    let text: String = text.chars().filter(|c| *c != ' ').collect();
    if text.is_empty() {
        return Err("empty value");
    }
    if let Some(inner) = text.strip_prefix('[') {
        let inner = inner.strip_suffix(']').ok_or("unclosed '['")?;
        let mut ranges = Vec::new();
        for piece in inner.split(',').filter(|p| !p.is_empty()) {
            let (begin, end) = piece.split_once('-').ok_or("a range is begin-end")?;
            let begin: u64 = begin.parse().map_err(|_| "a range bound is not a number")?;
            let end: u64 = end.parse().map_err(|_| "a range bound is not a number")?;
            if begin > end {
                return Err("a range ends before it begins");
            }
            ranges.push((begin, end));
        }
        return Ok(Value::Ranges(ranges));
    }
    if let Some(inner) = text.strip_prefix('{') {
        let inner = inner.strip_suffix('}').ok_or("unclosed '{'")?;
        let items = inner.split(',').filter(|p| !p.is_empty()).map(str::to_owned).collect();
        return Ok(Value::Set(items));
    }
    if text.contains(['[', ']', '{', '}', '(', ')']) {
        return Err("unexpected bracket");
    }
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Value::Scalar(v)),
        Ok(_) => Err("a scalar must be finite"),
        Err(_) => Ok(Value::Text(text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_in_agent_syntax() {
        let r = parse_resources("cpus:4;mem:8192;ports:[31000-32000,40000-40010];cpus(spark):2")
            .expect("test");
        assert_eq!(r.len(), 4);
        assert_eq!(
            r[0],
            ResourceFlag { name: "cpus".into(), role: "*".into(), value: Value::Scalar(4.0) }
        );
        assert_eq!(r[2].value, Value::Ranges(vec![(31000, 32000), (40000, 40010)]));
        assert_eq!(r[3].role, "spark");
    }

    #[test]
    fn same_resource_twice_adds_up() {
        let r = parse_resources("cpus:1;cpus:2.5").expect("test");
        assert_eq!(
            r,
            vec![ResourceFlag { name: "cpus".into(), role: "*".into(), value: Value::Scalar(3.5) }]
        );
    }

    #[test]
    fn bad_resources_are_errors() {
        for bad in ["cpus", "cpus:abc", "cpus:-1", "ports:[5-1]", "ports:[1-2", "cpus():1", ":3"] {
            assert!(parse_resources(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_or_errs_without_panicking(text in ".{0,64}") {
            let _ = parse_resources(&text);
            let _ = parse_attributes(&text);
        }

        #[test]
        fn agent_shaped_text_round_trips(cpus in 0u32..64, lo in 0u64..60000, len in 0u64..5000) {
            let text = format!("cpus:{cpus};ports:[{lo}-{}]", lo + len);
            let parsed = parse_resources(&text).expect("valid");
            proptest::prop_assert_eq!(parsed[0].value.clone(), Value::Scalar(f64::from(cpus)));
            proptest::prop_assert_eq!(parsed[1].value.clone(), Value::Ranges(vec![(lo, lo + len)]));
        }
    }

    #[test]
    fn attributes_of_every_type() {
        let a = parse_attributes("rack:r1;zone:a;level:3;ids:[1-4];tags:{x,y}").expect("test");
        let values: Vec<_> = a.iter().map(|a| a.value.clone()).collect();
        assert_eq!(
            values,
            vec![
                Value::Text("r1".into()),
                Value::Text("a".into()),
                Value::Scalar(3.0),
                Value::Ranges(vec![(1, 4)]),
                Value::Set(vec!["x".into(), "y".into()]),
            ]
        );
        assert!(parse_attributes("rack").is_err());
        assert!(parse_attributes("").expect("test").is_empty());
    }
}
