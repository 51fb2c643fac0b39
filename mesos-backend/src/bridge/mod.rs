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
//! With `spark.mesos.coarse=false`, `fine_runtime` serves instead of `runtime`, with the fine
//! core, and `fine_translate` maps its messages (an offer round trip through Spark's
//! `TaskSchedulerImpl`, status updates and losses addressed to it).
//!
//! `stub` stands in for the runtime when the driver asks for it (no master needed). The wire
//! format is described in `docs/mesos-bridge.md`.

pub mod fine_runtime;
pub mod fine_translate;
pub mod protocol;
pub mod runtime;
pub mod shuffle;
pub mod stub;
pub mod translate;
