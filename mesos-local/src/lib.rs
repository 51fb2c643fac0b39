//! A local Mesos cluster: a master on loopback implementing the v1 scheduler API, and agents
//! on their own loopback addresses that run each task's command as a real local process.
//! A test double and a way to try the project on one machine, not a Mesos replacement.

pub mod error;
pub mod executor;
pub mod fetcher;
pub mod flags;
pub mod http;

pub use error::{Error, Result};
