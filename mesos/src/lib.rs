//! The Mesos side of Spark on Mesos: the v1 scheduler HTTP API without libmesos, and Spark
//! 3.5's Mesos rules as pure functions.
//!
//! Data flows one way through named modules:
//!
//! ```text
//! master ─▶ client/      SUBSCRIBE stream (HTTP, chunked), Mesos-Stream-Id, heartbeats,
//!                        reconnects, leader detection; calls on a second connection
//!        ─▶ recordio.rs  RecordIO framing: "<len>\n<record>", bounded
//!        ─▶ json.rs      one record ⇄ a message, when the content type is JSON
//!        ─▶ proto/       Mesos v1 messages (prost types written by us; Mesos's field numbers)
//!        ─▶ rules/       Spark's rules: pure functions of conf, offers and state
//!        ─▶ calls back out through client/
//! ```
//!
//! `zk.rs` finds the leading master in ZooKeeper for `mesos://zk://…` URLs.

pub mod client;
mod error;
pub mod json;
pub mod proto;
pub mod recordio;
pub mod rules;
pub mod zk;

pub use error::{Error, Result};
