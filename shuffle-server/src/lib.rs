//! The per-agent shuffle daemon: serves sort-shuffle blocks to stock Spark executors.

pub mod config;
pub mod error;
pub mod file_region;
pub mod index;
pub mod metrics;
pub mod registry;
pub mod resolver;

pub use error::{Error, Result};
