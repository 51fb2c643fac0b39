//! Request paths to Spark's servlets: `/v1/submissions/create/*`, `/v1/submissions/kill/*`,
//! `/v1/submissions/status/*`, and the error servlet for everything else.

use super::error_response::{ErrorResponse, PROTOCOL_VERSION};
use crate::queue::SubmissionId;

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/v1/submissions/create[/…]`.
    Create,
    /// `/v1/submissions/kill[/<id>[/…]]`; None when the path names no id.
    Kill(Option<SubmissionId>),
    /// `/v1/submissions/status[/<id>[/…]]`; None when the path names no id.
    Status(Option<SubmissionId>),
    /// Any other path: Spark's error servlet answers, 400, or 468 for an unknown version
    /// (then `highest_protocol_version` is set).
    Error(ErrorResponse),
}

/// The route of a decoded request path (no query string).
pub fn route(path: &str) -> Route {
    let base = format!("/{PROTOCOL_VERSION}/submissions/");
    if let Some(rest) = path.strip_prefix(&base) {
        for (action, make) in [
            ("create", (|_| Route::Create) as fn(Option<SubmissionId>) -> Route),
            ("kill", Route::Kill),
            ("status", Route::Status),
        ] {
            if let Some(info) = rest.strip_prefix(action) {
                if info.is_empty() || info.starts_with('/') {
                    return make(submission_id(info));
                }
            }
        }
    }
    Route::Error(error_servlet(path))
}

/// Spark's `parseSubmissionId`: the first segment of the path after the servlet's prefix.
fn submission_id(path_info: &str) -> Option<SubmissionId> {
    let rest = path_info.strip_prefix('/').unwrap_or(path_info);
    let first = rest.split('/').next().unwrap_or("");
    (!first.is_empty()).then(|| SubmissionId::new(first))
}

/// Spark's `ErrorServlet`: what is missing from the path, in its words.
fn error_servlet(path: &str) -> ErrorResponse {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let mut mismatch = false;
    let what = match parts.as_slice() {
        [] => "Missing protocol version.".to_owned(),
        [v] if *v == PROTOCOL_VERSION => "Missing the /submissions prefix.".to_owned(),
        [v, "submissions", ..] if *v == PROTOCOL_VERSION => {
            "Missing an action: please specify one of /create, /kill, or /status.".to_owned()
        }
        [unknown, ..] => {
            mismatch = true;
            format!("Unknown protocol version '{unknown}'.")
        }
    };
    let message = format!(
        "{what} Please submit requests through http://[host]:[port]/{PROTOCOL_VERSION}/submissions/..."
    );
    ErrorResponse { message, highest_protocol_version: mismatch.then_some(PROTOCOL_VERSION) }
}

/// Percent-decodes a request path as UTF-8, as Jetty does before matching servlets; None if
/// an escape is malformed or the bytes are not UTF-8.
pub fn decode_path(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> Option<SubmissionId> {
        Some(SubmissionId::new(s))
    }

    #[test]
    fn servlet_paths() {
        assert_eq!(route("/v1/submissions/create"), Route::Create);
        assert_eq!(route("/v1/submissions/create/x"), Route::Create);
        assert_eq!(route("/v1/submissions/status/d-1/extra"), Route::Status(id("d-1")));
        assert_eq!(route("/v1/submissions/status"), Route::Status(None));
        assert_eq!(route("/v1/submissions/kill/"), Route::Kill(None));
        assert_eq!(route("/v1/submissions/kill//x"), Route::Kill(None));
    }

    #[test]
    fn error_servlet_messages() {
        let Route::Error(e) = route("/v1/submissions/createx") else { panic!() };
        assert!(e.message.starts_with("Missing an action"));
        let Route::Error(e) = route("/v2/submissions/create") else { panic!() };
        assert_eq!(e.highest_protocol_version, Some("v1"));
        assert!(e.message.starts_with("Unknown protocol version 'v2'."));
        let Route::Error(e) = route("/") else { panic!() };
        assert!(e.message.starts_with("Missing protocol version."));
    }

    #[test]
    fn decodes_like_jetty() {
        assert_eq!(decode_path("/a%20b%22").as_deref(), Some("/a b\""));
        assert_eq!(decode_path("/a%2"), None);
        assert_eq!(decode_path("/a%ff"), None);
    }
}
