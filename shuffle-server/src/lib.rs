//! The per-agent shuffle daemon: serves sort-shuffle blocks to stock Spark executors.
//!
//! Data flows one way: [`server`] accepts a socket → [`conn`] reads requests with the
//! protocol crate → [`handler`] acts on each BlockTransferMessage → [`stream`] hands out the
//! chunks of opened streams → [`resolver`] maps a block to a [`file_region`] through the
//! [`index`] cache and the [`registry`] of executors → the region goes to the socket,
//! read into the reply when small, by sendfile otherwise, from files [`open_files`] bounds
//! and keeps open, or [`mapped`] when there are more than descriptors. [`state`] holds what connections share; [`config`] reads Spark's keys.
//! [`drivers`] keeps registered Mesos drivers and their heartbeats, and the [`cleaner`]
//! removes the applications whose driver went away. [`tls`] lets TLS clients share the
//! shuffle port with plaintext ones. Around them, for running it as a service: [`limits`]
//! (the file limit), [`logging`] (text or Spark-style JSON lines) and [`systemd`] (readiness
//! and watchdog notifications).

pub mod auth;
mod cache;
pub mod cleaner;
pub mod config;
pub mod confine;
pub mod conn;
pub mod drivers;
pub mod error;
pub mod file_region;
pub mod handler;
pub mod index;
pub mod limits;
pub mod logging;
pub mod mapped;
pub mod metrics;
pub mod open_files;
mod prehashed;
pub mod registry;
pub mod resolver;
pub mod server;
pub mod state;
pub mod stream;
pub mod systemd;
pub mod tls;

pub use config::Config;
pub use error::{Error, Result};
pub use server::run;
pub use state::State;
