//! End-to-end fetch throughput in-process: our daemon (`shuffle_server::run` on its own
//! runtime, 127.0.0.1 port 0) serving a Spark-layout shuffle to our client, for small
//! (4 KiB, 100 per request) and large (2 MiB, 4 per request) blocks, every byte checked.
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use futures::StreamExt;
use shuffle_benches::inproc::InProcessServer;
use shuffle_benches::layout::{Layout, Shape};
use shuffle_client::{ClientConfig, ShuffleClient};

const APP: &str = "app-bench";

struct Case {
    name: &'static str,
    shape: Shape,
    ids_per_request: usize,
}

fn fetch(c: &mut Criterion) {
    let server = InProcessServer::start(2).expect("starting the in-process server");
    let addr = server.addr;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("client runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = [
        Case { name: "small_4KiB_x100", shape: Shape::new(20, 100, 4096), ids_per_request: 100 },
        Case { name: "large_2MiB_x4", shape: Shape::new(4, 8, 2 << 20), ids_per_request: 4 },
    ];
    let client = ShuffleClient::new(ClientConfig { max_retries: 0, ..ClientConfig::default() });
    let mut g = c.benchmark_group("fetch");
    g.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    for case in cases {
        let layout = Arc::new(
            Layout::create(&dir.path().join(case.name), case.shape).expect("writing the shuffle"),
        );
        let exec = case.name;
        rt.block_on(client.register_executor(addr, APP, exec, layout.executor_info()))
            .expect("RegisterExecutor");
        // Requests cycle over the shuffle: one reduce partition of consecutive maps each.
        let shape = case.shape;
        let ids: Vec<String> = (0..shape.reduces)
            .flat_map(|r| (0..shape.maps).map(move |m| (m, r)))
            .map(|(m, r)| layout.block_id(m, r))
            .collect();
        let requests: Vec<Vec<String>> =
            ids.chunks(case.ids_per_request).map(<[String]>::to_vec).collect();
        g.throughput(Throughput::Bytes((case.ids_per_request * shape.block_size) as u64));
        let mut next = 0;
        g.bench_function(case.name, |b| {
            b.iter(|| {
                let request = requests[next % requests.len()].clone();
                next += 1;
                rt.block_on(async {
                    let mut blocks = client.fetch_blocks(addr, APP, exec, request);
                    while let Some(block) = blocks.next().await {
                        let (id, bytes) = block.expect("block");
                        layout.verify(&id, &bytes).expect("verified");
                    }
                })
            })
        });
    }
    g.finish();
    drop(server);
}

criterion_group!(benches, fetch);
criterion_main!(benches);
