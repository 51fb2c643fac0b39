//! The per-agent shuffle daemon: serves sort-shuffle blocks to stock Spark executors.
