//! Request paths and queries to pages: `/` (drivers), `/driver?id=<id>` (Spark's link form),
//! `/metrics` and `/metrics/prometheus` (Spark's usual servlet path).

use crate::queue::SubmissionId;
use crate::rest::router::decode_path;

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/`: the drivers page.
    Drivers,
    /// `/driver[/]?id=<id>`; None when the query names no id.
    Driver(Option<SubmissionId>),
    /// `/metrics`, `/metrics/prometheus`: Prometheus text.
    Metrics,
    /// Anything else.
    NotFound,
}

/// The route of a raw (still percent-encoded) path and query.
pub fn route(raw_path: &str, raw_query: Option<&str>) -> Route {
    match raw_path {
        "/" | "" => Route::Drivers,
        "/driver" | "/driver/" => Route::Driver(
            raw_query
                .and_then(|q| query_param(q, "id"))
                .filter(|id| !id.is_empty())
                .map(SubmissionId::new),
        ),
        "/metrics" | "/metrics/" | "/metrics/prometheus" | "/metrics/prometheus/" => Route::Metrics,
        _ => Route::NotFound,
    }
}

/// The first value of `name` in a form-encoded query (`+` is a space), None when absent or
/// not decodable.
fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if decode_path(&key.replace('+', " "))? != name {
            return None;
        }
        decode_path(&value.replace('+', " "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route("/", None), Route::Drivers);
        assert_eq!(route("/metrics", Some("x=1")), Route::Metrics);
        assert_eq!(route("/metrics/prometheus", None), Route::Metrics);
        assert_eq!(route("/nope", None), Route::NotFound);
        assert_eq!(route("/driver", None), Route::Driver(None));
        assert_eq!(route("/driver/", Some("id=")), Route::Driver(None));
        assert_eq!(
            route("/driver", Some("a=b&id=driver-1%3Cx%3E+y&id=z")),
            Route::Driver(Some(SubmissionId::new("driver-1<x> y")))
        );
        assert_eq!(route("/driver", Some("id=%zz")), Route::Driver(None));
    }
}
