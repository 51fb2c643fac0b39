//! `CreateSubmissionRequest`: what `spark-submit --deploy-mode cluster` posts to
//! `/v1/submissions/create`, read and validated as Spark 3.5.6's `MesosRestServer` does.

use std::collections::BTreeMap;

use serde_json::Value;

use super::json::{scalar, Scalar};

/// The message's `action`.
pub const ACTION: &str = "CreateSubmissionRequest";

/// The keys Spark's server writes back when it re-serializes the request; any other key of
/// the client's JSON (or a known key set to null, which the server omits) is reported in
/// `unknownFields`.
const KNOWN_FIELDS: &[&str] = &[
    "action",
    "appArgs",
    "appResource",
    "clientSparkVersion",
    "environmentVariables",
    "mainClass",
    "message",
    "sparkProperties",
];

/// A create request that passed Spark's checks.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateSubmissionRequest {
    /// `clientSparkVersion`: the submitting spark-submit's version.
    pub client_spark_version: String,
    /// `appResource`: the application jar (any string; the launch path escapes it).
    pub app_resource: String,
    /// `mainClass`: required by the Mesos server (no Python in Mesos cluster mode).
    pub main_class: String,
    /// `appArgs`: the application's arguments.
    pub app_args: Vec<String>,
    /// `sparkProperties`: the submitter's whole SparkConf.
    pub spark_properties: BTreeMap<String, String>,
    /// `environmentVariables`: the submitter's `SPARK_*` and `MESOS_*` variables.
    pub environment_variables: BTreeMap<String, String>,
    /// `message`: optional, unused by the server.
    pub message: Option<String>,
}

/// How Jackson names the failure to bind a JSON value to a field; Spark shows the class name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindFailure {
    /// `com.fasterxml.jackson.databind.exc.MismatchedInputException`: wrong JSON type.
    MismatchedInput,
    /// `com.fasterxml.jackson.databind.exc.InvalidDefinitionException`: what Jackson's Scala
    /// module raises for a string given where `appArgs` wants an array.
    InvalidDefinition,
}

impl BindFailure {
    /// The Jackson exception class Spark's message names.
    pub fn java_class(self) -> &'static str {
        match self {
            Self::MismatchedInput => "com.fasterxml.jackson.databind.exc.MismatchedInputException",
            Self::InvalidDefinition => {
                "com.fasterxml.jackson.databind.exc.InvalidDefinitionException"
            }
        }
    }
}

/// Why a create request is refused, in the order Spark checks.
#[derive(Debug, Clone, PartialEq)]
pub enum RequestError {
    /// A field's JSON type does not bind (Spark: a Jackson exception).
    Bind {
        /// The Jackson exception Spark would raise.
        failure: BindFailure,
        /// The field.
        field: String,
        /// What was wrong.
        detail: &'static str,
    },
    /// `CreateSubmissionRequest.validate()` failed; `detail` is Spark's inner message.
    Validation {
        /// The failed assertion, as Spark words it.
        detail: String,
    },
    /// `mainClass` is missing (checked after validation, as Spark does).
    MissingMainClass,
    /// Refused by us where Spark fails later with an internal error (a 500 and an HTML page).
    Refused {
        /// Why.
        detail: String,
    },
}

/// A JSON object of strings as bound, null values kept.
type Entries = Vec<(String, Option<String>)>;

#[derive(Default)]
struct Bound {
    client_spark_version: Option<String>,
    app_resource: Option<String>,
    main_class: Option<String>,
    app_args: Option<Vec<Option<String>>>,
    spark_properties: Option<Entries>,
    environment_variables: Option<Entries>,
    message: Option<String>,
}

fn bind_string(field: &str, value: &Value) -> Result<Option<String>, RequestError> {
    match scalar(value) {
        Scalar::Null => Ok(None),
        Scalar::Text(s) => Ok(Some(s)),
        Scalar::Mismatch => Err(RequestError::Bind {
            failure: BindFailure::MismatchedInput,
            field: field.to_owned(),
            detail: "expected a string",
        }),
    }
}

fn bind_array(field: &str, value: &Value) -> Result<Option<Vec<Option<String>>>, RequestError> {
    let items = match value {
        Value::Null => return Ok(None),
        Value::Array(items) => items,
        Value::String(_) => {
            return Err(RequestError::Bind {
                failure: BindFailure::InvalidDefinition,
                field: field.to_owned(),
                detail: "expected an array of strings, got a string",
            })
        }
        _ => {
            return Err(RequestError::Bind {
                failure: BindFailure::MismatchedInput,
                field: field.to_owned(),
                detail: "expected an array of strings",
            })
        }
    };
    items.iter().map(|item| bind_string(field, item)).collect::<Result<Vec<_>, _>>().map(Some)
}

fn bind_map(field: &str, value: &Value) -> Result<Option<Entries>, RequestError> {
    let entries = match value {
        Value::Null => return Ok(None),
        Value::Object(entries) => entries,
        _ => {
            return Err(RequestError::Bind {
                failure: BindFailure::MismatchedInput,
                field: field.to_owned(),
                detail: "expected an object of strings",
            })
        }
    };
    entries
        .iter()
        .map(|(k, v)| bind_string(field, v).map(|v| (k.clone(), v)))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn missing(name: &str) -> RequestError {
    RequestError::Validation { detail: format!("Field '{name}' is missing in message {ACTION}.") }
}

fn property_check(
    props: &[(String, Option<String>)],
    key: &str,
    kind: &str,
    ok: fn(&str) -> bool,
) -> Result<(), RequestError> {
    // Scala's Map keeps the last of duplicate keys.
    match props.iter().rev().find(|(k, _)| k == key) {
        Some((_, Some(v))) if !ok(v) => Err(RequestError::Validation {
            detail: format!("Property '{key}' expected {kind} value: actual was '{v}'."),
        }),
        Some((_, None)) => Err(RequestError::Validation {
            detail: format!("Property '{key}' expected {kind} value: actual was 'null'."),
        }),
        _ => Ok(()),
    }
}

fn no_nulls(
    field: &str,
    entries: Vec<(String, Option<String>)>,
) -> Result<BTreeMap<String, String>, RequestError> {
    entries
        .into_iter()
        .map(|(k, v)| match v {
            Some(v) => Ok((k, v)),
            None => Err(RequestError::Refused { detail: format!("{field} '{k}' is null") }),
        })
        .collect()
}

impl CreateSubmissionRequest {
    /// Binds and validates the fields of a request whose `action` named this message,
    /// returning it with the keys Spark would report as unknown (in the client's order).
    pub fn from_fields(fields: &[(String, Value)]) -> Result<(Self, Vec<String>), RequestError> {
        let mut bound = Bound::default();
        // Jackson binds in document order, the last duplicate winning; the first type error
        // stops it.
        for (key, value) in fields {
            match key.as_str() {
                "clientSparkVersion" => bound.client_spark_version = bind_string(key, value)?,
                "appResource" => bound.app_resource = bind_string(key, value)?,
                "mainClass" => bound.main_class = bind_string(key, value)?,
                "message" => bound.message = bind_string(key, value)?,
                "appArgs" => bound.app_args = bind_array(key, value)?,
                "sparkProperties" => bound.spark_properties = bind_map(key, value)?,
                "environmentVariables" => bound.environment_variables = bind_map(key, value)?,
                _ => {}
            }
        }

        // CreateSubmissionRequest.doValidate, in Spark's order.
        let client_spark_version =
            bound.client_spark_version.ok_or_else(|| missing("clientSparkVersion"))?;
        let props = bound.spark_properties.ok_or_else(|| RequestError::Validation {
            detail: "No Spark properties set!".to_owned(),
        })?;
        let app_resource = bound.app_resource.ok_or_else(|| missing("appResource"))?;
        let app_args = bound.app_args.ok_or_else(|| missing("appArgs"))?;
        let env = bound.environment_variables.ok_or_else(|| missing("environmentVariables"))?;
        if !props
            .iter()
            .rev()
            .find(|(k, _)| k == "spark.app.name")
            .is_some_and(|(_, v)| v.is_some())
        {
            return Err(missing("spark.app.name"));
        }
        property_check(&props, "spark.driver.supervise", "boolean", |v| {
            parse_java_boolean(v).is_some()
        })?;
        property_check(&props, "spark.driver.cores", "numeric", |v| {
            parse_java_double(v).is_some()
        })?;
        property_check(&props, "spark.cores.max", "numeric", |v| parse_java_double(v).is_some())?;
        property_check(&props, "spark.driver.memory", "memory", |v| {
            memory_string_to_mb(v).is_some()
        })?;
        property_check(&props, "spark.executor.memory", "memory", |v| {
            memory_string_to_mb(v).is_some()
        })?;

        // MesosSubmitRequestServlet.buildDriverDescription.
        let main_class = bound.main_class.ok_or(RequestError::MissingMainClass)?;
        let app_args = app_args
            .into_iter()
            .enumerate()
            .map(|(i, a)| {
                a.ok_or_else(|| RequestError::Refused { detail: format!("appArgs[{i}] is null") })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let spark_properties = no_nulls("sparkProperties", props)?;
        let environment_variables = no_nulls("environmentVariables", env)?;

        let mut unknown: Vec<String> = Vec::new();
        for (key, value) in fields {
            let is_unknown = !KNOWN_FIELDS.contains(&key.as_str()) || value.is_null();
            if is_unknown && !unknown.contains(key) {
                unknown.push(key.clone());
            }
        }
        let request = Self {
            client_spark_version,
            app_resource,
            main_class,
            app_args,
            spark_properties,
            environment_variables,
            message: bound.message,
        };
        Ok((request, unknown))
    }
}

/// Scala's `String.toBoolean`: "true" or "false" in any case, nothing else.
pub fn parse_java_boolean(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Java's `Double.parseDouble` for the forms Spark's users write: surrounding control and
/// space characters trimmed, an optional `d`/`f` suffix, `NaN` and `Infinity` with a sign.
/// Hexadecimal floating-point literals are not accepted (Java accepts them).
pub fn parse_java_double(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    if unsigned == "NaN" {
        return Some(f64::NAN);
    }
    if unsigned == "Infinity" {
        return Some(if t.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY });
    }
    let body = t.strip_suffix(['d', 'D', 'f', 'F']).unwrap_or(t);
    // Rust also reads "inf" and "nan" spellings that Java refuses.
    if body.is_empty() || body.bytes().any(|b| !(b.is_ascii_digit() || b"+-.eE".contains(&b))) {
        return None;
    }
    body.parse().ok()
}

/// Java's `Integer.parseInt`: an optional sign and decimal digits within `i32`.
pub fn parse_java_int(s: &str) -> Option<i32> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Spark's `Utils.memoryStringToMb`: a byte count with an optional unit (`b`, `k`, `kb`, `m`,
/// `mb`, `g`, `gb`, `t`, `tb`, `p`, `pb`, any case; none means bytes), in MiB, truncated to
/// Java's `int`. None where Spark throws: fractions, unknown units, overflow of a `long`.
pub fn memory_string_to_mb(s: &str) -> Option<i32> {
    let lower = s.trim().to_ascii_lowercase();
    let split = lower.find(|c: char| !c.is_ascii_digit()).unwrap_or(lower.len());
    let (digits, unit) = lower.split_at(split);
    if digits.is_empty() {
        return None;
    }
    let shift = match unit {
        "" | "b" => 0,
        "k" | "kb" => 10,
        "m" | "mb" => 20,
        "g" | "gb" => 30,
        "t" | "tb" => 40,
        "p" | "pb" => 50,
        _ => return None,
    };
    let value: i64 = digits.parse().ok()?;
    let bytes = value.checked_mul(1i64 << shift)?;
    // `(bytes / 1024 / 1024).toInt`: Java's long-to-int conversion keeps the low 32 bits.
    Some((bytes >> 20) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(json: &str) -> Vec<(String, Value)> {
        match super::super::json::parse_document(json) {
            Ok(super::super::json::Document::Object(f)) => f,
            other => panic!("{other:?}"),
        }
    }

    const VALID: &str = r#"{"action":"CreateSubmissionRequest","appArgs":["1"],"appResource":"a.jar",
        "clientSparkVersion":"3.5.6","environmentVariables":{},"mainClass":"M",
        "sparkProperties":{"spark.app.name":"n"},"zzz":1,"message":null}"#;

    #[test]
    fn valid_request_reports_unknown_fields_in_client_order() {
        let (req, unknown) =
            CreateSubmissionRequest::from_fields(&fields(VALID)).expect("must succeed");
        assert_eq!(req.main_class, "M");
        assert_eq!(unknown, ["zzz", "message"]);
    }

    #[test]
    fn validation_follows_spark_order() {
        let json = VALID
            .replace(r#""appResource":"a.jar","#, "")
            .replace(r#""clientSparkVersion":"3.5.6","#, "");
        let err = CreateSubmissionRequest::from_fields(&fields(&json)).expect_err("must fail");
        assert_eq!(err, missing("clientSparkVersion"));
        let json = VALID
            .replace(r#""spark.app.name":"n""#, r#""spark.app.name":"n","spark.driver.cores":"x""#);
        let err = CreateSubmissionRequest::from_fields(&fields(&json)).expect_err("must fail");
        assert!(
            matches!(err, RequestError::Validation { detail } if detail.contains("spark.driver.cores"))
        );
    }

    #[test]
    fn java_number_forms() {
        assert_eq!(parse_java_double(" 2.5 "), Some(2.5));
        assert_eq!(parse_java_double("1e3d"), Some(1000.0));
        assert_eq!(parse_java_double("inf"), None);
        assert_eq!(parse_java_double("two"), None);
        assert_eq!(parse_java_boolean("TRUE"), Some(true));
        assert_eq!(parse_java_boolean("yes"), None);
        assert_eq!(parse_java_int("+512"), Some(512));
        assert_eq!(parse_java_int("1g"), None);
    }

    #[test]
    fn memory_strings() {
        assert_eq!(memory_string_to_mb("2g"), Some(2048));
        assert_eq!(memory_string_to_mb("512M"), Some(512));
        assert_eq!(memory_string_to_mb("1048576"), Some(1));
        assert_eq!(memory_string_to_mb("1.5g"), None);
        assert_eq!(memory_string_to_mb("lots"), None);
        assert_eq!(memory_string_to_mb("99999999999p"), None);
    }
}
