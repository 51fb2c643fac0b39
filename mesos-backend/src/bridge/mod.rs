//! The bridge between a Spark driver's JVM plugin and this backend: its protocol and the process that serves it.
//!
//! ```text
//! JVM plugin ─stdin─▶ protocol::read_line ─▶ protocol::decode_request ─▶ stub::Stub::handle
//!            ◀stdout─ protocol::encode_event ◀──────────────────────────── events
//! ```
//!
//! The wire format is described in `docs/mesos-bridge.md`.

pub mod protocol;
pub mod runtime;
pub mod stub;
pub mod translate;
