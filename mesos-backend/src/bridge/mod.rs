//! The bridge between a Spark driver's JVM plugin and this backend: its protocol and the process that serves it.
//!
//! ```text
//! stdin ─▶ protocol::read_line ─▶ protocol::decode_request ─▶ runtime::run ─▶ coarse core
//!                                                                │   ▲
//!                                               mesos::client ◀──┘   └── master events
//! stdout ◀─ protocol::encode_event ◀─ translate (registered, executor launched / ended)
//! runtime::run ─▶ shuffle (RegisterDriver + heartbeats to each agent's shuffle service)
//! ```
//!
//! `stub` stands in for the runtime when the driver asks for it (no master needed). The wire
//! format is described in `docs/mesos-bridge.md`.

pub mod protocol;
pub mod runtime;
pub mod shuffle;
pub mod stub;
pub mod translate;
