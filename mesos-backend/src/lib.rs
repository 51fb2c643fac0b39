//! Spark's Mesos scheduler backends in Rust.
//!
//! ```text
//! typed events (mesos::event) ─▶ coarse/  the coarse-grained core: pure decisions of conf,
//!                                          offers and state, as Spark 3.5.6 makes them
//!                               ─▶ calls (mesos::call)
//! bridge/  the process a Spark driver's JVM bridge talks to: Spark's requests in, the
//!          Mesos client and the core underneath
//! ```

pub mod bridge;
pub mod coarse;
