//! The SUBSCRIBE stream's decode path: RecordIO framing, then an OFFERS event of a
//! 100-agent cluster as protobuf and as JSON, to a typed event; and the encodings back.
//!
//! `cargo bench -p mesos --bench codec`
// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mesos::event::Event;
use mesos::json::ContentType;
use mesos::proto::scheduler::{self, event};
use mesos::proto::{resource, value, Attribute, Offer, Resource};
use mesos::recordio::{self, RecordDecoder};
use prost::Message;

fn scalar(name: &str, amount: f64) -> Resource {
    Resource {
        name: name.to_owned(),
        r#type: value::Type::Scalar as i32,
        scalar: Some(value::Scalar { value: amount }),
        role: Some("*".to_owned()),
        allocation_info: Some(resource::AllocationInfo { role: Some("*".to_owned()) }),
        ..Default::default()
    }
}

/// An offer like a Spark-sized agent's: cpus, mem, disk, ports and two attributes.
fn offer(i: usize) -> Offer {
    let ports = Resource {
        name: "ports".to_owned(),
        r#type: value::Type::Ranges as i32,
        ranges: Some(value::Ranges { range: vec![value::Range { begin: 31000, end: 32000 }] }),
        ..scalar("ports", 0.0)
    };
    let text = |name: &str, v: &str| Attribute {
        name: name.to_owned(),
        r#type: value::Type::Text as i32,
        text: Some(value::Text { value: v.to_owned() }),
        ..Default::default()
    };
    Offer {
        id: format!("5f0c4c8e-2b2a-4d6f-9a49-3f3c2b0f6d1e-O{i}").into(),
        framework_id: "5f0c4c8e-2b2a-4d6f-9a49-3f3c2b0f6d1e-0001".into(),
        agent_id: format!("5f0c4c8e-2b2a-4d6f-9a49-3f3c2b0f6d1e-S{i}").into(),
        hostname: format!("agent-{i}.cluster.local"),
        resources: vec![
            scalar("cpus", 16.0),
            scalar("mem", 63_000.0),
            scalar("disk", 900_000.0),
            ports,
        ],
        attributes: vec![text("rack", "r1"), text("zone", "us-east-1a")],
        ..Default::default()
    }
}

fn offers_event(n: usize) -> scheduler::Event {
    scheduler::Event {
        r#type: Some(event::Type::Offers as i32),
        offers: Some(event::Offers { offers: (0..n).map(offer).collect() }),
        ..Default::default()
    }
}

fn decode(c: &mut Criterion) {
    let raw = offers_event(100);
    for ct in [ContentType::Protobuf, ContentType::Json] {
        let bytes = ct.encode(&raw);
        let mut group = c.benchmark_group(format!("offers_100/{ct:?}"));
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function("decode_typed", |b| {
            b.iter(|| Event::from_record(ct, black_box(&bytes)).map(|_| ()))
        });
        group.bench_function("encode", |b| b.iter(|| ct.encode(black_box(&raw))));
        group.finish();
    }
}

fn framing(c: &mut Criterion) {
    let record = offers_event(1).encode_to_vec();
    let mut stream = BytesMut::new();
    for _ in 0..1000 {
        recordio::encode(&record, &mut stream);
    }
    let stream = stream.freeze();
    let mut group = c.benchmark_group("recordio");
    group.throughput(Throughput::Bytes(stream.len() as u64));
    group.bench_function("split_1000_records", |b| {
        let decoder = RecordDecoder::default();
        b.iter(|| {
            let mut buf = BytesMut::from(&stream[..]);
            let mut n = 0;
            while let Ok(Some(r)) = decoder.decode(&mut buf) {
                n += r.len();
            }
            n
        })
    });
    group.finish();
}

criterion_group!(benches, decode, framing);
criterion_main!(benches);
