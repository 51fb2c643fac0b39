//! Spark's Mesos scheduler backends in Rust.
//!
//! ```text
//! typed events (mesos::event) ─▶ coarse/  the coarse-grained core: pure decisions of conf,
//!                                          offers and state, as Spark 3.5.6 makes them
//!                               ─▶ fine/    the fine-grained core (one Mesos task per Spark
//!                                          task; Spark's TaskScheduler places the tasks)
//!                               ─▶ calls (mesos::call)
//! bridge/  the process a Spark driver's JVM bridge talks to: Spark's requests in, the
//!          Mesos client and the core underneath
//! ```

// Tests may unwrap: a panic there is a failed test, not a peer crashing us.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod bridge;
pub mod coarse;
pub mod error;
pub mod fine;

pub use error::{Error, Result};
