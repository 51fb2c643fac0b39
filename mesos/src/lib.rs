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
//!        ─▶ event.rs     a record as a typed event (type known, body present)
//!        ─▶ rules/       Spark's rules: pure functions of conf, offers and state
//!        ─▶ call.rs      the calls a scheduler sends, built by pure functions
//!        ─▶ calls back out through client/
//! ```
//!
//! `zk.rs` finds the leading master in ZooKeeper for `mesos://zk://…` URLs.
//!
//! The message layer:
//!
//! * [`recordio`]: [`recordio::RecordDecoder`] (`decode(&mut BytesMut) -> Result<Option<Bytes>>`,
//!   bounded by a configurable record size) and [`recordio::encode`].
//! * [`proto`]: `mesos.v1` messages flat in [`proto`] (`proto::FrameworkInfo`, `proto::Offer`,
//!   `proto::TaskInfo`, `proto::TaskStatus`, ...), one file per family (`ids`, `common`,
//!   `master`, `framework`, `resources`, `offers`, `task`, `container`, `status`), and
//!   `mesos.v1.scheduler` in [`proto::scheduler`] (`Call`, `Event` and their nested types in
//!   `proto::scheduler::{call, event}`).
//! * [`event`]: [`event::Event`], the typed form of a stream record
//!   (`Event::from_record(ContentType, &[u8])`, `Event::decode` for protobuf,
//!   `Event::try_from(proto::scheduler::Event)`); a missing type or body is an [`Error`],
//!   never a panic.
//! * [`call`]: one constructor per call a scheduler sends (`call::subscribe`, `accept` with
//!   `launch` operations, `decline`, `revive`, `suppress`, `kill`, `shutdown`,
//!   `acknowledge` (an `Option`: only updates with a uuid), `reconcile`, `reconcile_all`,
//!   `message`, `teardown`), `call::encode` / `call::decode` (protobuf),
//!   `call::encode_as` / `call::decode_as` (either content type).
//! * [`json`]: Mesos's JSON for every message above ([`json::JsonMessage`],
//!   `json::to_vec`, `json::from_slice`), and [`json::ContentType`] (`mime`, `from_mime`,
//!   `encode`, `decode`) choosing between the two encodings.

// Tests may unwrap: a panic there is a failed test, not a peer crashing us.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod call;
pub mod client;
mod error;
pub mod event;
pub mod json;
pub mod proto;
pub mod recordio;
pub mod rules;
pub mod zk;

pub use error::{Error, Result};
