//! Benchmarks and load tools for the shuffle service (unpublished).
//!
//! - [`layout`]: a Spark-layout shuffle of uniform blocks, with a CRC-32 per block.
//! - [`load`]: N concurrent fetchers with our client against any service (ours or Spark's),
//!   checking every byte and reporting throughput, latency, server RSS and CPU time.
//! - [`compare`]: our daemon against Spark 3.5.6's JVM service on identical workloads.
//! - [`sendfile`]: the loopback ceiling, a bare `sendfile(2)` loop.
//! - [`procstat`]: memory and CPU time of a process from `/proc`.
//! - [`inproc`]: our daemon in-process, for criterion benches and the smoke test.
//! - [`soak`]: our daemon under mixed traffic for a long run, killed and restarted halfway.
//!
//! Binaries: `shuffle-load` (`run`, `compare`), `shuffle-soak` and `sendfile-loop`.

pub mod compare;
pub mod inproc;
pub mod layout;
pub mod load;
pub mod procstat;
pub mod sendfile;
pub mod soak;
