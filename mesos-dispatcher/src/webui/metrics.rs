//! Prometheus text for the dispatcher's metrics, named as Spark 3.5.6's `PrometheusServlet`
//! names the gauges of `MesosClusterSchedulerSource`.
//!
//! The source is `mesos_cluster` and registers three `Gauge[Int]`s: `waitingDrivers` (queued),
//! `launchedDrivers` and `retryDrivers` (waiting for a relaunch). The registry key is
//! `mesos_cluster.<gauge>` (the dispatcher is neither a driver nor an executor, so no app or
//! executor id comes first); the servlet writes each gauge twice, as
//! `metrics_<key with every non-alphanumeric as _>_Number{type="gauges"} <value>` and `…_Value`,
//! in the registry's key order.

use std::fmt::Write;

/// The Content-Type the servlet answers with.
pub const CONTENT_TYPE: &str = "text/plain;charset=utf-8";

/// `MesosClusterSchedulerSource.sourceName`.
pub const SOURCE_NAME: &str = "mesos_cluster";

/// The gauges' values, read from the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Gauges {
    /// `waitingDrivers`: `getQueuedDriversSize`.
    pub waiting: usize,
    /// `launchedDrivers`: `getLaunchedDriversSize`.
    pub launched: usize,
    /// `retryDrivers`: `getPendingRetryDriversSize`.
    pub retry: usize,
}

/// `PrometheusServlet.normalizeKey`.
fn normalize_key(key: &str) -> String {
    let body: String =
        key.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    format!("metrics_{body}_")
}

/// The servlet's text for the source's gauges.
pub fn render(g: Gauges) -> String {
    let mut gauges =
        [("launchedDrivers", g.launched), ("retryDrivers", g.retry), ("waitingDrivers", g.waiting)];
    // The registry is a sorted map; keep its order even if the list above is edited.
    gauges.sort_by_key(|(name, _)| *name);
    let mut out = String::new();
    for (name, value) in gauges {
        let key = normalize_key(&format!("{SOURCE_NAME}.{name}"));
        let _ = writeln!(out, "{key}Number{{type=\"gauges\"}} {value}");
        let _ = writeln!(out, "{key}Value{{type=\"gauges\"}} {value}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spark_names_in_registry_order() {
        let text = render(Gauges { waiting: 2, launched: 1, retry: 0 });
        assert_eq!(
            text,
            "metrics_mesos_cluster_launchedDrivers_Number{type=\"gauges\"} 1\n\
             metrics_mesos_cluster_launchedDrivers_Value{type=\"gauges\"} 1\n\
             metrics_mesos_cluster_retryDrivers_Number{type=\"gauges\"} 0\n\
             metrics_mesos_cluster_retryDrivers_Value{type=\"gauges\"} 0\n\
             metrics_mesos_cluster_waitingDrivers_Number{type=\"gauges\"} 2\n\
             metrics_mesos_cluster_waitingDrivers_Value{type=\"gauges\"} 2\n"
        );
    }
}
