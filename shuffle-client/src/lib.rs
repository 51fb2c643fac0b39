//! Async client for Spark's external shuffle service.
