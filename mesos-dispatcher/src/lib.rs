//! A replacement for Spark 3.5.6's `MesosClusterDispatcher`.
//!
//! Data flows one way: `rest::server` (HTTP, bounded bodies) → `rest::router` (path and method
//! to a [`rest::Route`]) → `rest::handler` (parses the JSON messages in `rest::message`, asks
//! the pure [`queue::DriverQueue`]) → a `rest::Reply` written back as Spark writes it.
//! [`config`] turns the command line and properties file into a [`config::DispatcherConfig`].
//!
//! [`launch`] is the pure launch core of Spark's `MesosClusterScheduler`: offers and status
//! updates in, driver TaskInfos, declines and queue states out. [`runtime`] is the Mesos
//! connection that feeds it and sends its calls.
//!
//! [`webui`] serves Spark's dispatcher pages and Prometheus metrics on `--webui-port`, from
//! copies of the same queue.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod config;
pub mod error;
pub mod launch;
pub mod queue;
pub mod rest;
pub mod runtime;
pub mod webui;

pub use error::{Error, Result};

/// The Spark version this dispatcher speaks for, as `serverSparkVersion` reports it.
pub const SPARK_VERSION: &str = "3.5.6";
