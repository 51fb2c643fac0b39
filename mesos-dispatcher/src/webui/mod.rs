//! The web UI on `--webui-port`: Spark's dispatcher pages (`MesosClusterPage`, `DriverPage`)
//! and Prometheus metrics named as Spark's `PrometheusServlet` names `MesosClusterSchedulerSource`.
//!
//! ```text
//! server.rs    HTTP/1.1, bounded like the REST server; GET and HEAD only, bodies never read
//! router.rs    path and query to a Route
//! snapshot.rs  owned copies of the queue, taken under its lock and rendered after
//! html.rs      escaping, the page frame and its stylesheet (no JavaScript)
//! pages.rs     the drivers page, a driver's page, error pages
//! metrics.rs   the Prometheus text
//! ```
//!
//! Every string a submission carries is hostile: it reaches the page only through
//! [`html::escape`] (or [`html::url_component`] inside links).

pub mod html;
pub mod metrics;
pub mod pages;
pub mod router;
pub mod server;
pub mod snapshot;

pub use router::{route, Route};
pub use server::{serve, Limits};
pub use snapshot::{DriverDetail, Snapshot};
