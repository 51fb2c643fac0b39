//! Readers for the Mesos backend oracle's fixtures (`docs/mesos-backend-oracle.md`), so a
//! Rust backend can replay the scenarios Spark 3.5.6 was run through and compare its calls.
//!
//! * [`parse_scenarios`] reads `mesos/tests/fixtures/spark-3.5.6-{coarse,fine}-scenarios.txt`
//!   into [`Scenario`]s with the configuration already resolved (defaults, then the scenario's
//!   own keys, minus its `unset` keys), exactly as `tests/java/mesosoracle/ScenarioFile.java`
//!   reads them.
//! * [`parse_calls`] splits a calls fixture into the lines each scenario produced.

use std::collections::BTreeMap;

/// One scenario: resolved Spark configuration and the steps to replay.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The scenario's name (unique within its file).
    pub name: String,
    /// Spark configuration the backend sees: file defaults, then `conf`, minus `unset`.
    pub conf: BTreeMap<String, String>,
    /// The backend's master argument (`master`, default `127.0.0.1:5050`).
    pub master: String,
    /// Framework id handed out at registration (`framework`, default `oracle-framework`).
    pub framework_id: String,
    /// True when a stand-in shuffle service records the driver's RPCs
    /// (`capture-shuffle-service`); its port replaces `spark.shuffle.service.port`.
    pub capture_shuffle_service: bool,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// One scenario step; `line` is echoed in the calls fixture as `> <line>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The step's source line, trimmed (for `offers`, just `offers`).
    pub line: String,
    /// What the step does.
    pub action: Action,
}

/// What a step asks of the backend.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// One `resourceOffers` call with these offers.
    Offers(Vec<Offer>),
    /// One `statusUpdate`.
    Status {
        /// Task id.
        task: String,
        /// Agent id.
        agent: String,
        /// Mesos task state name, e.g. `TASK_RUNNING`.
        state: String,
    },
    /// `requestTotalExecutors` for the default profile.
    RequestExecutors {
        /// Total executors wanted.
        total: u32,
        /// Host → locality-aware task count.
        hosts: Vec<(String, u32)>,
    },
    /// `doKillExecutors` with these ids (coarse), or `killTask` for each Spark task id (fine).
    Kill(Vec<String>),
    /// Submit a job of this many single-cpu tasks (fine-grained only).
    SubmitJob(u32),
    /// Let this many milliseconds pass.
    Sleep(u64),
    /// Stop the backend.
    Stop,
    /// `offerRescinded` for this offer id.
    Rescind(String),
    /// `disconnected`.
    Disconnected,
    /// `reregistered`.
    Reregistered,
    /// `slaveLost` (agent lost) for this agent id.
    AgentLost(String),
    /// `executorLost`.
    ExecutorLost {
        /// Executor id.
        executor: String,
        /// Agent id.
        agent: String,
        /// Exit status.
        status: i32,
    },
    /// `frameworkMessage` with these UTF-8 bytes as data.
    FrameworkMessage {
        /// Executor id.
        executor: String,
        /// Agent id.
        agent: String,
        /// The message (may be empty).
        data: String,
    },
    /// `error` with this message.
    Error(String),
}

/// A resource offer.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    /// Offer id.
    pub id: String,
    /// Agent id.
    pub agent: String,
    /// Agent host name.
    pub hostname: String,
    /// Resources in offer order.
    pub resources: Vec<Resource>,
    /// Attributes in offer order.
    pub attributes: Vec<Attribute>,
}

/// One offered resource (always with an explicit role, `*` by default).
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// `cpus`, `mem`, `ports`, …
    pub name: String,
    /// The role the resource is offered to.
    pub role: String,
    /// Reservation principal, when the resource is reserved with one.
    pub principal: Option<String>,
    /// Its value.
    pub value: Value,
}

/// A named attribute of the offering agent.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// Attribute name.
    pub name: String,
    /// Its value.
    pub value: Value,
}

/// A Mesos `Value` as the scenarios write it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SCALAR.
    Scalar(f64),
    /// RANGES, inclusive `(begin, end)` pairs.
    Ranges(Vec<(u64, u64)>),
    /// SET items, in written order.
    Set(Vec<String>),
    /// TEXT.
    Text(String),
}

/// Reads a scenario file. Errors name the line.
pub fn parse_scenarios(text: &str) -> Result<Vec<Scenario>, String> {
    let mut defaults = BTreeMap::new();
    let mut raw: Vec<(Scenario, BTreeMap<String, String>, Vec<String>)> = Vec::new();
    let mut batch_open = false;
    for (i, line) in text.lines().enumerate() {
        let at = |e: String| format!("line {}: {e}", i + 1);
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (verb, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let rest = rest.trim();
        if verb != "offer" {
            batch_open = false;
        }
        if verb == "default" {
            let (k, v) = key_value(rest).map_err(at)?;
            defaults.insert(k, v);
            continue;
        }
        if verb == "scenario" {
            raw.push((
                Scenario {
                    name: rest.to_owned(),
                    conf: BTreeMap::new(),
                    master: "127.0.0.1:5050".to_owned(),
                    framework_id: "oracle-framework".to_owned(),
                    capture_shuffle_service: false,
                    steps: Vec::new(),
                },
                BTreeMap::new(),
                Vec::new(),
            ));
            continue;
        }
        let Some((scenario, conf, unset)) = raw.last_mut() else {
            return Err(at(format!("`{verb}` before the first `scenario`")));
        };
        let words: Vec<&str> = rest.split_whitespace().collect();
        let action = match verb {
            "conf" => {
                let (k, v) = key_value(rest).map_err(at)?;
                conf.insert(k, v);
                continue;
            }
            "unset" => {
                unset.push(rest.to_owned());
                continue;
            }
            "master" => {
                scenario.master = rest.to_owned();
                continue;
            }
            "framework" => {
                scenario.framework_id = rest.to_owned();
                continue;
            }
            "capture-shuffle-service" => {
                scenario.capture_shuffle_service = true;
                continue;
            }
            "offer" => {
                let offer = parse_offer(&words).map_err(at)?;
                match scenario.steps.last_mut() {
                    Some(Step { action: Action::Offers(offers), .. }) if batch_open => {
                        offers.push(offer);
                    }
                    _ => return Err(at("`offer` outside an `offers` batch".to_owned())),
                }
                continue;
            }
            "offers" => {
                batch_open = true;
                Action::Offers(Vec::new())
            }
            "status" => match words[..] {
                [task, agent, state] => Action::Status {
                    task: task.to_owned(),
                    agent: agent.to_owned(),
                    state: state.to_owned(),
                },
                _ => return Err(at("status needs TASK AGENT STATE".to_owned())),
            },
            "request-executors" => {
                let total =
                    words.first().ok_or("request-executors needs N").map_err(|e| at(e.into()))?;
                let total = number(total).map_err(at)?;
                let hosts = words[1..]
                    .iter()
                    .map(|w| {
                        let (h, c) = w.split_once('=').ok_or(format!("bad HOST=COUNT: {w}"))?;
                        Ok((h.to_owned(), number(c)?))
                    })
                    .collect::<Result<_, String>>()
                    .map_err(at)?;
                Action::RequestExecutors { total, hosts }
            }
            "kill" => Action::Kill(words.iter().map(|w| (*w).to_owned()).collect()),
            "submit-job" => Action::SubmitJob(number(rest).map_err(at)?),
            "sleep" => Action::Sleep(rest.parse().map_err(|_| at(format!("bad sleep: {rest}")))?),
            "stop" => Action::Stop,
            "rescind" => Action::Rescind(rest.to_owned()),
            "disconnected" => Action::Disconnected,
            "reregistered" => Action::Reregistered,
            "agent-lost" => Action::AgentLost(rest.to_owned()),
            "executor-lost" => match words[..] {
                [executor, agent, status] => Action::ExecutorLost {
                    executor: executor.to_owned(),
                    agent: agent.to_owned(),
                    status: status.parse().map_err(|_| at(format!("bad status: {status}")))?,
                },
                _ => return Err(at("executor-lost needs EXECUTOR AGENT STATUS".to_owned())),
            },
            "framework-message" => match words[..] {
                [executor, agent, ref data @ ..] if data.len() <= 1 => Action::FrameworkMessage {
                    executor: executor.to_owned(),
                    agent: agent.to_owned(),
                    data: data.first().map(|d| (*d).to_owned()).unwrap_or_default(),
                },
                _ => return Err(at("framework-message needs EXECUTOR AGENT [TEXT]".to_owned())),
            },
            "error" => Action::Error(rest.to_owned()),
            other => return Err(at(format!("unknown directive `{other}`"))),
        };
        scenario.steps.push(Step { line: line.to_owned(), action });
    }
    Ok(raw
        .into_iter()
        .map(|(mut scenario, conf, unset)| {
            scenario.conf = defaults.clone();
            scenario.conf.extend(conf);
            for key in unset {
                scenario.conf.remove(&key);
            }
            scenario
        })
        .collect())
}

fn key_value(kv: &str) -> Result<(String, String), String> {
    match kv.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("expected KEY=VALUE: {kv}")),
    }
}

fn number(s: &str) -> Result<u32, String> {
    s.parse().map_err(|_| format!("not a count: {s}"))
}

fn parse_offer(words: &[&str]) -> Result<Offer, String> {
    let [id, agent, hostname, items @ ..] = words else {
        return Err("offer needs OFFER AGENT HOST".to_owned());
    };
    let mut offer = Offer {
        id: (*id).to_owned(),
        agent: (*agent).to_owned(),
        hostname: (*hostname).to_owned(),
        resources: Vec::new(),
        attributes: Vec::new(),
    };
    for item in items {
        if let Some(attr) = item.strip_prefix("attr:") {
            let (name, value) = attr.split_once('=').ok_or(format!("bad attribute: {item}"))?;
            offer.attributes.push(Attribute { name: name.to_owned(), value: attribute(value)? });
            continue;
        }
        let (head, value) = item.split_once('=').ok_or(format!("bad resource: {item}"))?;
        let (name, role, principal) = match head.split_once('(') {
            None => (head, "*", None),
            Some((name, inner)) => {
                let inner = inner.strip_suffix(')').ok_or(format!("bad role: {item}"))?;
                match inner.split_once(',') {
                    Some((role, principal)) => (name, role, Some(principal.to_owned())),
                    None => (name, inner, None),
                }
            }
        };
        let value = if value.starts_with('[') {
            Value::Ranges(ranges(value)?)
        } else {
            Value::Scalar(value.parse().map_err(|_| format!("bad scalar: {item}"))?)
        };
        offer.resources.push(Resource {
            name: name.to_owned(),
            role: role.to_owned(),
            principal,
            value,
        });
    }
    Ok(offer)
}

fn ranges(value: &str) -> Result<Vec<(u64, u64)>, String> {
    let body = value
        .strip_prefix('[')
        .and_then(|v| v.strip_suffix(']'))
        .ok_or(format!("bad ranges: {value}"))?;
    if body.is_empty() {
        return Ok(Vec::new());
    }
    body.split(',')
        .map(|r| {
            let (b, e) = r.split_once('-').unwrap_or((r, r));
            let parse = |s: &str| s.parse::<u64>().map_err(|_| format!("bad range: {r}"));
            Ok((parse(b)?, parse(e)?))
        })
        .collect()
}

fn attribute(value: &str) -> Result<Value, String> {
    if value.starts_with('[') {
        return Ok(Value::Ranges(ranges(value)?));
    }
    if let Some(body) = value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
        let items = body.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect();
        return Ok(Value::Set(items));
    }
    let numeric = {
        let digits = value.strip_prefix('-').unwrap_or(value);
        let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
        !int.is_empty()
            && !frac.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit())
    };
    match value.parse::<f64>() {
        Ok(v) if numeric => Ok(Value::Scalar(v)),
        _ => Ok(Value::Text(value.to_owned())),
    }
}

/// A calls fixture split up: the header's baseline executor environment, then each scenario's
/// output lines (everything after its `scenario NAME` line, blank separator lines dropped).
#[derive(Debug, Clone, PartialEq)]
pub struct Calls {
    /// `base-executor-env K=V` lines of the header, as pairs.
    pub base_executor_env: Vec<(String, String)>,
    /// Scenario name → its lines, in file order.
    pub scenarios: Vec<(String, Vec<String>)>,
}

/// Splits a calls fixture by scenario.
pub fn parse_calls(text: &str) -> Result<Calls, String> {
    let mut calls = Calls { base_executor_env: Vec::new(), scenarios: Vec::new() };
    for (i, line) in text.lines().enumerate() {
        if let Some(name) = line.strip_prefix("scenario ") {
            calls.scenarios.push((name.to_owned(), Vec::new()));
        } else if let Some((_, lines)) = calls.scenarios.last_mut() {
            if !line.is_empty() {
                lines.push(line.to_owned());
            }
        } else if let Some(kv) = line.strip_prefix("base-executor-env ") {
            calls
                .base_executor_env
                .push(key_value(kv).map_err(|e| format!("line {}: {e}", i + 1))?);
        } else if !line.is_empty() && !line.starts_with('#') {
            return Err(format!("line {}: unexpected header line: {line}", i + 1));
        }
    }
    Ok(calls)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo_root;

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(repo_root().join("mesos/tests/fixtures").join(name))
            .expect("reading a fixture")
    }

    fn named<'a>(scenarios: &'a [Scenario], name: &str) -> &'a Scenario {
        scenarios.iter().find(|s| s.name == name).expect("scenario present")
    }

    #[test]
    fn reads_the_committed_coarse_scenarios() {
        let scenarios =
            parse_scenarios(&fixture("spark-3.5.6-coarse-scenarios.txt")).expect("parses");
        assert!(scenarios.len() >= 25);
        let constraints = named(&scenarios, "constraints-text-set-scalar");
        assert_eq!(constraints.conf["spark.mesos.rejectOfferDurationForUnmetConstraints"], "22s");
        let Action::Offers(offers) = &constraints.steps[0].action else { panic!("offers") };
        assert_eq!(offers.len(), 6);
        assert_eq!(
            offers[0].attributes[1].value,
            Value::Set(vec!["ssd".into(), "fast".into(), "big".into()])
        );
        assert_eq!(offers[0].attributes[2].value, Value::Scalar(4.0));
        let fallback = named(&scenarios, "reject-durations-fall-back");
        assert!(!fallback.conf.contains_key("spark.mesos.rejectOfferDurationForReachedMaxCores"));
        let roles = named(&scenarios, "block-manager-port-with-role");
        let Action::Offers(offers) = &roles.steps[0].action else { panic!("offers") };
        let ports = &offers[0].resources[2];
        assert_eq!((ports.role.as_str(), ports.principal.as_deref()), ("spark", Some("alice")));
        assert_eq!(ports.value, Value::Ranges(vec![(31000, 31001)]));
    }

    #[test]
    fn reads_the_committed_fine_scenarios_and_both_call_files() {
        let fine = parse_scenarios(&fixture("spark-3.5.6-fine-scenarios.txt")).expect("parses");
        assert!(fine.len() >= 8);
        assert!(fine.iter().all(|s| s.conf["spark.mesos.coarse"] == "false"));
        for (scenarios, calls) in [
            ("spark-3.5.6-coarse-scenarios.txt", "spark-3.5.6-coarse-calls.txt"),
            ("spark-3.5.6-fine-scenarios.txt", "spark-3.5.6-fine-calls.txt"),
        ] {
            let scenarios = parse_scenarios(&fixture(scenarios)).expect("parses");
            let calls = parse_calls(&fixture(calls)).expect("parses");
            assert!(calls
                .base_executor_env
                .iter()
                .any(|(k, v)| k == "SPARK_USER" && v == "oracle"));
            let names: Vec<&str> = calls.scenarios.iter().map(|(n, _)| n.as_str()).collect();
            let expected: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
            assert_eq!(names, expected);
            for (scenario, (_, lines)) in scenarios.iter().zip(&calls.scenarios) {
                let echoed: Vec<&str> = lines.iter().filter_map(|l| l.strip_prefix("> ")).collect();
                let steps: Vec<&str> = scenario.steps.iter().map(|s| s.line.as_str()).collect();
                assert!(
                    echoed.starts_with(&steps) || lines.iter().any(|l| l.contains("-error ")),
                    "{}: steps echoed {echoed:?}",
                    scenario.name
                );
            }
        }
    }

    #[test]
    fn rejects_malformed_lines() {
        assert!(parse_scenarios("conf a=b").is_err());
        assert!(parse_scenarios("scenario s\noffer o a h").is_err());
        assert!(parse_scenarios("scenario s\noffers\noffer o a").is_err());
        assert!(parse_scenarios("scenario s\nstatus 1 a").is_err());
        assert!(parse_scenarios("scenario s\nfly").is_err());
        assert!(parse_scenarios("scenario s\noffers\noffer o a h cpus=x").is_err());
    }
}
