//! Spark's servlet logic over the pure queue: a decoded request in, a [`Reply`] out.
//!
//! Messages that Spark builds from a Java exception (`Malformed request: <exception>` plus a
//! stack trace) keep Spark's first line, exception class included, since clients show it;
//! where Spark prints stack frames after `\n\t`, we print the cause instead.

use std::time::SystemTime;

use serde_json::Value;

use super::create_submission_request::{
    memory_string_to_mb, parse_java_boolean, parse_java_double, parse_java_int,
    CreateSubmissionRequest, RequestError, ACTION as CREATE_REQUEST,
};
use super::create_submission_response::CreateSubmissionResponse;
use super::error_response::ErrorResponse;
use super::json::{parse_document, Document, ParseError};
use super::kill_submission_response::KillSubmissionResponse;
use super::router::Route;
use super::submission_status_response::SubmissionStatusResponse;
use crate::queue::{
    DriverDescription, DriverQueue, DriverState, KillOutcome, StatusOutcome, SubmitOutcome,
    NOT_READY,
};

/// The content type of every JSON reply, as Jetty writes it for Spark.
pub const JSON_CONTENT_TYPE: &str = "application/json;charset=utf-8";
/// The content type of Jetty's error pages.
pub const HTML_CONTENT_TYPE: &str = "text/html;charset=iso-8859-1";

const PROTOCOL_EXCEPTION: &str = "org.apache.spark.deploy.rest.SubmitRestProtocolException";
const MISSING_FIELD_EXCEPTION: &str =
    "org.apache.spark.deploy.rest.SubmitRestMissingFieldException";

/// An HTTP reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The Content-Type, None for an empty body.
    pub content_type: Option<&'static str>,
    /// The body.
    pub body: String,
}

impl Reply {
    fn json(status: u16, body: String) -> Self {
        Self { status, content_type: Some(JSON_CONTENT_TYPE), body }
    }

    /// An `ErrorResponse` with `status`.
    pub fn error(status: u16, message: impl Into<String>) -> Self {
        Self::json(status, ErrorResponse::new(message).to_json())
    }
}

/// HTTP methods as far as the servlets tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method<'a> {
    /// GET.
    Get,
    /// HEAD: GET without a body.
    Head,
    /// POST.
    Post,
    /// Any other method, by name.
    Other(&'a str),
}

impl Method<'_> {
    fn name(&self) -> &str {
        match self {
            Self::Get => "GET",
            Self::Head => "HEAD",
            Self::Post => "POST",
            Self::Other(name) => name,
        }
    }
}

/// Answers one request. `path` is the decoded path (for error pages), `body` the whole
/// request body (only create reads it), `now` the time a submission gets.
pub fn handle(
    queue: &mut DriverQueue,
    route: Route,
    method: Method<'_>,
    path: &str,
    body: &[u8],
    now: SystemTime,
) -> Reply {
    match (route, method) {
        (Route::Create, Method::Post) => create(queue, body, now),
        (Route::Kill(id), Method::Post) => match id {
            None => Reply::error(400, "Submission ID is missing in kill request."),
            Some(id) => {
                let outcome = queue.kill(&id);
                if outcome == KillOutcome::NotReady {
                    return invalid_response(KillSubmissionResponse::ACTION);
                }
                let reply = KillSubmissionResponse {
                    submission_id: id.to_string(),
                    success: outcome.success(),
                    message: outcome.message().to_owned(),
                };
                Reply::json(200, reply.to_json())
            }
        },
        (Route::Status(id), Method::Get | Method::Head) => match id {
            None => Reply::error(400, "Submission ID is missing in status request."),
            Some(id) => match queue.status(&id) {
                StatusOutcome::NotReady => invalid_response(SubmissionStatusResponse::ACTION),
                StatusOutcome::State(state, message) => {
                    let reply = SubmissionStatusResponse {
                        submission_id: id.to_string(),
                        success: state != DriverState::NotFound,
                        driver_state: state.as_str(),
                        message,
                    };
                    Reply::json(200, reply.to_json())
                }
            },
        },
        (Route::Error(error), _) => {
            let status = if error.highest_protocol_version.is_some() { 468 } else { 400 };
            Reply::json(status, error.to_json())
        }
        (_, method) => method_not_allowed(method, path),
    }
}

/// Spark answers kill and status before registration with a reply that lacks its
/// `submissionId`, which its own validation then turns into an internal error.
fn invalid_response(action: &str) -> Reply {
    Reply::error(
        500,
        format!(
            "Internal server error: {PROTOCOL_EXCEPTION}: Validation of message {action} failed!\n\t\
             Field 'submissionId' is missing in message {action}. ({NOT_READY})"
        ),
    )
}

/// The servlet container's 405 page: HTML for GET, POST and HEAD, an empty body otherwise
/// (Jetty writes error pages for those three methods only).
fn method_not_allowed(method: Method<'_>, path: &str) -> Reply {
    let what = format!("HTTP method {} is not supported by this URL", method.name());
    if !matches!(method, Method::Get | Method::Post | Method::Head) {
        return Reply { status: 405, content_type: None, body: String::new() };
    }
    let body = format!(
        "<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html;charset=ISO-8859-1\"/>\n\
         <title>Error 405 {what}</title>\n</head>\n<body><h2>HTTP ERROR 405 {what}</h2>\n<table>\n\
         <tr><th>URI:</th><td>{}</td></tr>\n<tr><th>STATUS:</th><td>405</td></tr>\n\
         <tr><th>MESSAGE:</th><td>{what}</td></tr>\n</table>\n\n</body>\n</html>\n",
        html_escape(path)
    );
    Reply { status: 405, content_type: Some(HTML_CONTENT_TYPE), body }
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

fn malformed(exception: &str, message: &str, cause: &str) -> Reply {
    Reply::error(400, format!("Malformed request: {exception}: {message}\n\t{cause}"))
}

fn create(queue: &mut DriverQueue, body: &[u8], now: SystemTime) -> Reply {
    let Ok(json) = std::str::from_utf8(body) else {
        return malformed(
            "java.nio.charset.MalformedInputException",
            "Input is not UTF-8",
            "the request body is not UTF-8",
        );
    };
    let fields = match parse_document(json) {
        Ok(Document::Object(fields)) => fields,
        Ok(Document::Other) => return action_not_found(json, "the body is not a JSON object"),
        Err(ParseError::NoContent) => {
            return Reply::error(
                400,
                "Malformed request: com.fasterxml.jackson.databind.exc.MismatchedInputException: No content to map due \
                 to end-of-input",
            )
        }
        Err(ParseError::Syntax(detail)) => {
            return Reply::error(400, format!("Malformed request: com.fasterxml.jackson.core.JsonParseException: {detail}"))
        }
    };
    // Spark's parseAction takes the first `action` key and needs a string.
    let action = match fields.iter().find(|(k, _)| k == "action") {
        Some((_, Value::String(action))) => action.clone(),
        Some(_) => return action_not_found(json, "'action' is not a string"),
        None => return action_not_found(json, "the object has no 'action'"),
    };
    if action != CREATE_REQUEST {
        return other_message(&action, &fields);
    }
    let (request, unknown) = match CreateSubmissionRequest::from_fields(&fields) {
        Ok(parsed) => parsed,
        Err(e) => return request_error(e),
    };
    let driver = match describe(queue, request, now) {
        Ok(driver) => driver,
        Err(e) => return request_error(e),
    };
    let mut reply = CreateSubmissionResponse {
        submission_id: None,
        success: false,
        message: None,
        unknown_fields: (!unknown.is_empty()).then_some(unknown),
    };
    match queue.submit(driver) {
        SubmitOutcome::Queued(id) => {
            reply.submission_id = Some(id.to_string());
            reply.success = true;
        }
        SubmitOutcome::NotReady => reply.message = Some(NOT_READY.to_owned()),
        SubmitOutcome::Full => reply.message = Some("Already reached maximum submission size".to_owned()),
        SubmitOutcome::UndeclaredQueue(name) => {
            return request_error(RequestError::Refused {
                detail: format!(
                    "queue '{name}' is not declared (spark.mesos.dispatcher.queue.{name} is not set on the dispatcher)"
                ),
            })
        }
    }
    Reply::json(200, reply.to_json())
}

fn action_not_found(json: &str, cause: &str) -> Reply {
    malformed(MISSING_FIELD_EXCEPTION, &format!("Action field not found in JSON:\n{json}"), cause)
}

/// A message other than a create request: Spark binds it to its class and validates it,
/// then refuses it as unexpected. Actions naming no message class make Spark fail with an
/// internal error (`ClassNotFoundException`); we refuse them as malformed.
fn other_message(action: &str, fields: &[(String, Value)]) -> Reply {
    let required: &[&str] = match action {
        "CreateSubmissionResponse" => &["serverSparkVersion", "success"],
        "KillSubmissionResponse" | "SubmissionStatusResponse" => {
            &["serverSparkVersion", "submissionId", "success"]
        }
        "ErrorResponse" => &["serverSparkVersion", "message"],
        _ => {
            return malformed(
                "java.lang.ClassNotFoundException",
                &format!("org.apache.spark.deploy.rest.{action}"),
                "no message of the REST protocol has this action",
            )
        }
    };
    let present =
        |key: &str| fields.iter().rev().find(|(k, _)| k == key).is_some_and(|(_, v)| !v.is_null());
    if let Some(field) = required.iter().find(|f| !present(f)) {
        return malformed(
            PROTOCOL_EXCEPTION,
            &format!("Validation of message {action} failed!"),
            &format!("Field '{field}' is missing in message {action}."),
        );
    }
    Reply::error(400, format!("Received message of unexpected type {action}."))
}

fn request_error(e: RequestError) -> Reply {
    match e {
        RequestError::Bind { failure, field, detail } => Reply::error(
            400,
            format!("Malformed request: {}: field '{field}': {detail}", failure.java_class()),
        ),
        RequestError::Validation { detail } => malformed(
            PROTOCOL_EXCEPTION,
            &format!("Validation of message {CREATE_REQUEST} failed!"),
            &detail,
        ),
        RequestError::MissingMainClass => malformed(
            MISSING_FIELD_EXCEPTION,
            "Main class 'mainClass' is missing.",
            "Mesos cluster mode runs JVM applications only",
        ),
        RequestError::Refused { detail } => {
            Reply::error(400, format!("Malformed request: {detail}"))
        }
    }
}

/// Spark's `buildDriverDescription`: the driver's name, memory, cores and supervision, and a
/// new submission id (taken only once the request is known good).
fn describe(
    queue: &mut DriverQueue,
    r: CreateSubmissionRequest,
    now: SystemTime,
) -> Result<DriverDescription, RequestError> {
    let prop = |key: &str| r.spark_properties.get(key).map(String::as_str);
    let refused = |key: &str, kind: &str, value: &str| RequestError::Refused {
        detail: format!("Property '{key}' expected {kind} value: actual was '{value}'."),
    };
    // Validation already checked these three.
    let supervise = prop("spark.driver.supervise").and_then(parse_java_boolean).unwrap_or(false);
    let memory = prop("spark.driver.memory").and_then(memory_string_to_mb).unwrap_or(1024);
    let cores = prop("spark.driver.cores").and_then(parse_java_double).unwrap_or(1.0);
    // These two are not validated by Spark, which fails on them with an internal error.
    let factor = match prop("spark.driver.memoryOverheadFactor") {
        Some(v) => parse_java_double(v)
            .ok_or_else(|| refused("spark.driver.memoryOverheadFactor", "numeric", v))?,
        None => 0.10,
    };
    let overhead = match prop("spark.driver.memoryOverhead") {
        Some(v) => {
            parse_java_int(v).ok_or_else(|| refused("spark.driver.memoryOverhead", "integer", v))?
        }
        // Scala's Double.toInt saturates, like Rust's `as`.
        None => ((factor * f64::from(memory)) as i32).max(384),
    };
    let name = prop("spark.app.name").unwrap_or(&r.main_class).to_owned();
    Ok(DriverDescription {
        submission_id: queue.next_submission_id(now),
        name,
        app_resource: r.app_resource,
        main_class: r.main_class,
        app_args: r.app_args,
        environment: r.environment_variables,
        spark_properties: r.spark_properties,
        mem_mb: i64::from(memory) + i64::from(overhead),
        cores,
        supervise,
        submitted: now,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::queue::QueueConfig;

    fn ready_queue() -> DriverQueue {
        let mut q = DriverQueue::new(QueueConfig::default());
        q.mark_registered();
        q
    }

    proptest! {
        /// Any body and path get an answer, never a panic, and a JSON reply is always an
        /// object Spark's client can read.
        #[test]
        fn never_panics(body in proptest::collection::vec(any::<u8>(), 0..256), path in "[ -~]{0,40}") {
            let mut q = ready_queue();
            let route = super::super::router::route(&path);
            let reply = handle(&mut q, route, Method::Post, &path, &body, SystemTime::now());
            if reply.content_type == Some(JSON_CONTENT_TYPE) {
                prop_assert!(serde_json::from_str::<serde_json::Value>(&reply.body).is_ok_and(|v| v.is_object()));
            }
            let reply = handle(&mut q, Route::Create, Method::Post, "/", &body, SystemTime::now());
            prop_assert!(reply.status == 200 || reply.status == 400, "{}", reply.status);
        }

        /// Structurally valid requests with arbitrary strings are accepted as they are.
        #[test]
        fn arbitrary_strings_round_trip(resource in "\\PC{0,30}", arg in "\\PC{0,30}", name in "\\PC{1,30}") {
            let mut q = ready_queue();
            let body = serde_json::json!({
                "action": "CreateSubmissionRequest", "appArgs": [arg], "appResource": resource,
                "clientSparkVersion": "3.5.6", "environmentVariables": {}, "mainClass": "M",
                "sparkProperties": {"spark.app.name": name},
            }).to_string();
            let reply = handle(&mut q, Route::Create, Method::Post, "/", body.as_bytes(), SystemTime::now());
            prop_assert_eq!(reply.status, 200, "{}", reply.body);
            let d = q.queued().next().cloned();
            prop_assert!(d.is_some());
            let d = d.unwrap_or_else(|| unreachable!());
            prop_assert_eq!(&d.app_resource, &resource);
            prop_assert_eq!(&d.app_args, &vec![arg]);
            prop_assert_eq!(&d.name, &name);
        }
    }

    #[test]
    fn sparks_memory_and_overhead_rules() {
        let mut q = ready_queue();
        let body = |props: &str| {
            format!(
                r#"{{"action":"CreateSubmissionRequest","appArgs":[],"appResource":"a","clientSparkVersion":"3.5.6",
                "environmentVariables":{{}},"mainClass":"M","sparkProperties":{{"spark.app.name":"n"{props}}}}}"#
            )
        };
        for (props, mem) in [
            ("", 1024 + 384),
            (r#","spark.driver.memory":"8g""#, 8192 + 819),
            (r#","spark.driver.memory":"2g","spark.driver.memoryOverhead":"100""#, 2048 + 100),
            (r#","spark.driver.memoryOverheadFactor":"0.5""#, 1024 + 512),
        ] {
            let reply = handle(
                &mut q,
                Route::Create,
                Method::Post,
                "/",
                body(props).as_bytes(),
                SystemTime::now(),
            );
            assert_eq!(reply.status, 200, "{}", reply.body);
            let last = q.queued().last().map(|d| d.mem_mb);
            assert_eq!(last, Some(mem), "{props}");
        }
    }
}
