//! Spark 3.5's Mesos rules as pure functions of conf, offers and state.
//!
//! Each file keeps the names of the Spark code it reproduces (`MesosSchedulerUtils`,
//! `MesosSchedulerBackendUtil`, `MesosProtoUtils`, the dispatcher's REST servlet) and the
//! `spark.mesos.*` keys it reads, with Spark 3.5's defaults:
//!
//! ```text
//! conf.rs          SparkConf view: Spark's parsing of ints, booleans, times, sizes, lists
//! constraints.rs   spark.mesos.constraints: parse, match against offer attributes
//! labels.rs        task / driver / network labels with \, and \: escapes
//! volumes.rs       docker volume specs
//! port_mappings.rs docker port mappings
//! container.rs     ContainerInfo for executors and for the dispatcher's drivers
//! secrets.rs       secrets as environment variables or files, by reference or value
//! uris.rs          spark.mesos.uris and the fetcher cache
//! resources.rs     taking scalars and pinned ports out of an offer, across roles
//! memory.rs        executor and driver memory with overheads
//! durations.rs     how long declined offers stay refused
//! ```
//!
//! Results match Spark 3.5.6's own code on the table in
//! `mesos/tests/fixtures/spark-3.5.6-mesos-rules.txt`; the one intended difference (RANGES
//! constraints) is documented at [`constraints::matches_attribute_requirements`] and in
//! `docs/mesos.md`. Where Spark warns and skips a malformed item (volumes, port mappings,
//! docker parameters), these rules skip it too and log a warning.

pub mod conf;
pub mod constraints;
pub mod container;
pub mod durations;
mod java;
pub mod labels;
pub mod memory;
pub mod port_mappings;
pub mod resources;
pub mod secrets;
pub mod uris;
pub mod volumes;
