//! The bridge between a Spark driver's JVM plugin and this backend: its protocol and the process that serves it.
