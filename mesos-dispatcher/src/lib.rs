//! A replacement for Spark 3.5.6's `MesosClusterDispatcher`: the part that needs no Mesos.
//!
//! Data flows one way: `rest::server` (HTTP, bounded bodies) → `rest::router` (path and method
//! to a [`rest::Route`]) → `rest::handler` (parses the JSON messages in `rest::message`, asks
//! the pure [`queue::DriverQueue`]) → a `rest::Reply` written back as Spark writes it.
//! [`config`] turns the command line and properties file into a [`config::DispatcherConfig`].
//!
//! Launching queued drivers on Mesos (offers, retries, the driver command) is not here yet: it
//! needs the `mesos` crate. The queue already keeps the states that path will set.

pub mod config;
pub mod error;
pub mod queue;
pub mod rest;

pub use error::{Error, Result};

/// The Spark version this dispatcher speaks for, as `serverSparkVersion` reports it.
pub const SPARK_VERSION: &str = "3.5.6";
