//! Our Spark rules against Spark 3.5.6's own results.
//!
//! `fixtures/spark-3.5.6-mesos-rules.txt` is the output of `tests/java/mesosrules/
//! MesosRulesOracle.java`: one JSON line per case with the rule, its input and Spark's result.
//! This test reads the inputs from the same lines, runs our rule and formats the result the way
//! the oracle does (protobuf messages as hex of their encoding). Errors match when our error is
//! the one Spark's exception class stands for. The Java-backed test
//! `tests/tests/mesos_rules_golden.rs` checks the fixture is still what Spark says.

// The fixture is ours: a malformed line is a failed test, not a peer crashing us.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::fmt::Write as _;

use mesos::proto::{resource, value, Attribute, CommandInfo, Label, Labels, Resource};
use mesos::rules::conf::{ConfType, SparkConf};
use mesos::rules::secrets::SecretTask;
use mesos::rules::{
    constraints, container, durations, labels, memory, port_mappings, resources, secrets, uris,
    volumes,
};
use mesos::Error;
use prost::Message;
use serde_json::Value as Json;

const FIXTURE: &str = include_str!("fixtures/spark-3.5.6-mesos-rules.txt");

/// Cases where we differ from Spark on purpose, with our result (see `docs/mesos.md`).
const INTENDED_DIFFERENCES: &[(&str, &str)] = &[
    // Spark never matches a RANGES attribute against values (it tests for `Value.Range`
    // where the offer holds `Value.Ranges`); we check the value against the ranges.
    ("match_ranges_value_inside", "ok true"),
    // ... and so never reads the values; we reject one that is not an integer, as for SCALAR.
    ("match_ranges_not_numeric", "err NumberFormatException: (ours)"),
];

struct Case {
    name: String,
    rule: String,
    input: Json,
    spark: String,
}

fn cases() -> Vec<Case> {
    FIXTURE
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let v: Json = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            Case {
                name: v["case"].as_str().unwrap().to_owned(),
                rule: v["rule"].as_str().unwrap().to_owned(),
                input: v["input"].clone(),
                spark: v["spark"].as_str().unwrap().to_owned(),
            }
        })
        .collect()
}

/// The Java exception class Spark throws where we return `e`.
fn spark_class(e: &Error) -> &'static str {
    match e {
        Error::ConfValue { expected, .. } => match expected {
            ConfType::Int
            | ConfType::Double
            | ConfType::PositiveDouble
            | ConfType::Boolean
            | ConfType::OneOf(_)
            | ConfType::SizeInRange => "IllegalArgumentException",
            ConfType::PlainInt
            | ConfType::PlainDouble
            | ConfType::Long
            | ConfType::Time
            | ConfType::Size => "NumberFormatException",
        },
        Error::BadConstraintString { .. } => "IllegalArgumentException",
        Error::ConstraintNotNumeric { .. } | Error::PortMappingNotNumeric { .. } => {
            "NumberFormatException"
        }
        Error::MalformedLabel { .. }
        | Error::SecretKindsMixed { .. }
        | Error::SecretTargetCount { .. } => "SparkException",
        Error::PortNotOffered { .. } => "NoSuchElementException",
        other => panic!("no Spark counterpart for {other:?}"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn proto(m: &impl Message) -> String {
    format!("ok {}", hex(&m.encode_to_vec()))
}

fn list<M: Message>(items: &[M]) -> String {
    let parts: Vec<String> = items.iter().map(|m| hex(&m.encode_to_vec())).collect();
    format!("[{}]", parts.join(","))
}

fn conf(input: &Json, field: &str) -> SparkConf {
    input[field]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect())
        .unwrap_or_default()
}

fn arg(input: &Json) -> &str {
    input["arg"].as_str().unwrap()
}

fn task(input: &Json) -> SecretTask {
    match input["task"].as_str().unwrap() {
        "driver" => SecretTask::Driver,
        _ => SecretTask::Executor,
    }
}

fn ranges(v: &Json) -> value::Ranges {
    value::Ranges {
        range: v
            .as_array()
            .unwrap()
            .iter()
            .map(|r| value::Range { begin: r[0].as_u64().unwrap(), end: r[1].as_u64().unwrap() })
            .collect(),
    }
}

fn attribute(a: &Json) -> Attribute {
    let kind = value::Type::from_str_name(a["type"].as_str().unwrap()).unwrap();
    Attribute {
        name: a["name"].as_str().unwrap().to_owned(),
        r#type: kind as i32,
        scalar: a["scalar"].as_f64().map(|value| value::Scalar { value }),
        ranges: (!a["ranges"].is_null()).then(|| ranges(&a["ranges"])),
        text: a["text"].as_str().map(|t| value::Text { value: t.to_owned() }),
        set: a["set"].as_array().map(|items| value::Set {
            item: items.iter().map(|i| i.as_str().unwrap().to_owned()).collect(),
        }),
    }
}

fn resource(r: &Json) -> Resource {
    let mut res = Resource { name: r["name"].as_str().unwrap().to_owned(), ..Resource::default() };
    match r["scalar"].as_f64() {
        Some(value) => {
            res.r#type = value::Type::Scalar as i32;
            res.scalar = Some(value::Scalar { value });
        }
        None => {
            res.r#type = value::Type::Ranges as i32;
            res.ranges = Some(ranges(&r["ranges"]));
        }
    }
    res.role = r["role"].as_str().map(str::to_owned);
    if let Some(info) = r["reservation"].as_object() {
        res.reservation = Some(resource::ReservationInfo {
            principal: info.get("principal").and_then(Json::as_str).map(str::to_owned),
            role: info.get("role").and_then(Json::as_str).map(str::to_owned),
            labels: info.get("labels").map(|ls| Labels {
                labels: ls
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|kv| Label {
                        key: kv[0].as_str().unwrap().to_owned(),
                        value: kv[1].as_str().map(str::to_owned),
                    })
                    .collect(),
            }),
            ..resource::ReservationInfo::default()
        });
    }
    res
}

fn resources_of(input: &Json) -> Vec<Resource> {
    input["resources"].as_array().unwrap().iter().map(resource).collect()
}

fn split((left, used): (Vec<Resource>, Vec<Resource>)) -> String {
    format!("ok remaining={} used={}", list(&left), list(&used))
}

fn config_list(key: &str, value: &str) -> Vec<String> {
    let mut conf = SparkConf::new();
    conf.set(key, value);
    conf.get_seq(key).unwrap_or_default()
}

/// Runs our rule for one case and formats the result as the oracle does.
fn ours(rule: &str, input: &Json) -> Result<String, Error> {
    Ok(match rule {
        "parseConstraintString" => {
            let mut parsed = constraints::parse_constraint_string(arg(input))?;
            parsed.sort_by(|a, b| a.attribute.cmp(&b.attribute));
            let entries: Vec<String> = parsed
                .iter()
                .map(|c| {
                    let values: Vec<&str> = c.values.iter().map(String::as_str).collect();
                    format!("{}=[{}]", c.attribute, values.join(","))
                })
                .collect();
            format!("ok {}", entries.join(";"))
        }
        "matchesAttributeRequirements" => {
            let attributes: Vec<Attribute> =
                input["attributes"].as_array().unwrap().iter().map(attribute).collect();
            let wanted = constraints::parse_constraint_string(arg(input))?;
            format!("ok {}", constraints::matches_attribute_requirements(&wanted, &attributes)?)
        }
        "mesosLabels" => proto(&labels::mesos_labels(arg(input))?),
        "parseVolumesSpec" => {
            let items = config_list(volumes::EXECUTOR_DOCKER_VOLUMES, arg(input));
            format!("ok {}", list(&volumes::parse_volumes_spec(&items)))
        }
        "parsePortMappingsSpec" => {
            let items = config_list(port_mappings::EXECUTOR_DOCKER_PORT_MAPS, arg(input));
            format!("ok {}", list(&port_mappings::parse_port_mappings_spec(&items)?))
        }
        "containerInfo" => {
            let conf = conf(input, "conf");
            proto(&match task(input) {
                SecretTask::Driver => container::driver_container_info(&conf)?,
                SecretTask::Executor => container::executor_container_info(&conf)?,
            })
        }
        "getSecretEnvVar" => {
            format!("ok {}", list(&secrets::get_secret_env_var(&conf(input, "conf"), task(input))?))
        }
        "getSecretVolume" => {
            format!("ok {}", list(&secrets::get_secret_volume(&conf(input, "conf"), task(input))?))
        }
        "setupUris" => proto(&CommandInfo {
            uris: uris::setup_uris(&conf(input, "conf"))?,
            ..CommandInfo::default()
        }),
        "driverUris" => format!(
            "ok {}",
            list(&uris::driver_uris(
                &conf(input, "conf"),
                &conf(input, "props"),
                input["jar"].as_str().unwrap(),
                input["env_executor_uri"].as_str(),
            )?)
        ),
        "partitionResources" => split(resources::partition_resources(
            &resources_of(input),
            input["name"].as_str().unwrap(),
            input["amount"].as_f64().unwrap(),
        )),
        "checkPorts" => {
            format!("ok {}", resources::check_ports(&conf(input, "conf"), &resources_of(input))?)
        }
        "partitionPortResources" => {
            let ports = resources::non_zero_port_values_from_config(&conf(input, "conf"))?;
            split(resources::partition_port_resources(&ports, &resources_of(input))?)
        }
        "executorMemory" => format!("ok {}", memory::executor_memory(&conf(input, "conf"))?),
        "driverMemory" => {
            let props = conf(input, "props");
            let desc = memory::driver_description_memory(&props)?;
            format!("ok desc={desc} container={}", memory::driver_container_memory(&props, desc)?)
        }
        "getRejectOfferDuration" => {
            format!("ok {}", durations::reject_offer_duration(&conf(input, "conf"))?)
        }
        "getRejectOfferDurationForUnmetConstraints" => format!(
            "ok {}",
            durations::reject_offer_duration_for_unmet_constraints(&conf(input, "conf"))?
        ),
        "getRejectOfferDurationForReachedMaxCores" => format!(
            "ok {}",
            durations::reject_offer_duration_for_reached_max_cores(&conf(input, "conf"))?
        ),
        other => panic!("the fixture names a rule this test does not know: {other}"),
    })
}

#[test]
fn table_is_large_and_covers_every_rule() {
    let cases = cases();
    assert!(cases.len() >= 60, "only {} cases", cases.len());
    let names: BTreeSet<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), cases.len(), "case names repeat");
    let rules: BTreeSet<&str> = cases.iter().map(|c| c.rule.as_str()).collect();
    for rule in [
        "parseConstraintString",
        "matchesAttributeRequirements",
        "mesosLabels",
        "parseVolumesSpec",
        "parsePortMappingsSpec",
        "containerInfo",
        "getSecretEnvVar",
        "getSecretVolume",
        "setupUris",
        "driverUris",
        "partitionResources",
        "checkPorts",
        "partitionPortResources",
        "executorMemory",
        "driverMemory",
        "getRejectOfferDuration",
        "getRejectOfferDurationForUnmetConstraints",
        "getRejectOfferDurationForReachedMaxCores",
    ] {
        assert!(rules.contains(rule), "no case for {rule}");
        let of_rule = cases.iter().filter(|c| c.rule == rule);
        let (errors, oks): (Vec<_>, Vec<_>) = of_rule.partition(|c| c.spark.starts_with("err "));
        assert!(!oks.is_empty(), "no valid input for {rule}");
        // Spark skips malformed volume specs, and partitionResources has no malformed input.
        let never_fails = ["parseVolumesSpec", "partitionResources"];
        assert!(!errors.is_empty() || never_fails.contains(&rule), "no invalid input for {rule}");
    }
}

#[test]
fn every_rule_gives_sparks_result() {
    let mut mismatches = Vec::new();
    for case in cases() {
        let intended = INTENDED_DIFFERENCES.iter().find(|(name, _)| *name == case.name);
        let expected = intended.map_or(case.spark.as_str(), |(_, ours)| ours);
        let agrees = match ours(&case.rule, &case.input) {
            Ok(result) => {
                let same = result == expected;
                if !same {
                    mismatches
                        .push(format!("{}: ours {result:?}, expected {expected:?}", case.name));
                }
                same
            }
            Err(e) => {
                let class = spark_class(&e);
                let same = expected.starts_with(&format!("err {class}:"));
                if !same {
                    mismatches.push(format!(
                        "{}: ours err {class} ({e}), expected {expected:?}",
                        case.name
                    ));
                }
                same
            }
        };
        if intended.is_some() && agrees {
            assert_ne!(case.spark, expected, "{}: Spark no longer differs; drop it", case.name);
        }
    }
    assert!(mismatches.is_empty(), "{} mismatches:\n{}", mismatches.len(), mismatches.join("\n"));
}
