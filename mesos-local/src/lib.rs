//! A local Mesos cluster: a master on loopback implementing the v1 scheduler API, and agents
//! on their own loopback addresses that run each task's command as a real local process.
//! A test double and a way to try the project on one machine, not a Mesos replacement.
//!
//! Data flows one way:
//!
//! ```text
//! scheduler ─HTTP─▶ http.rs      transport rules (leader, 503, 405, 415, 400, 406)
//!           ─▶ codec.rs          Call from JSON or protobuf
//!           ─▶ master/           frameworks, offers (resources.rs), tasks, acknowledgements
//!           ─▶ agent.rs          one runner per task: fetcher.rs, then executor.rs
//!           ─▶ master/           reports become status updates
//!           ─▶ codec.rs ─▶ http.rs   events as RecordIO records on the SUBSCRIBE stream
//! ```
//!
//! [`LocalCluster`] starts it all in-process; the `mesos-local` binary wraps it with flags.

pub mod agent;
mod cluster;
pub mod codec;
pub mod error;
pub mod executor;
pub mod fetcher;
pub mod flags;
pub mod http;
pub mod master;
pub mod resources;

pub use cluster::{ClusterConfig, LocalCluster};
pub use error::{Error, Result};
pub use master::{AgentSnapshot, TaskSnapshot};
