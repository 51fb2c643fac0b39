//! Shared helpers for the benchmarks (unpublished).
