//! Codec throughput (filled in by the benchmarks issue).
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};

fn noop(_c: &mut Criterion) {}

criterion_group!(benches, noop);
criterion_main!(benches);
