//! Our daemon against Spark 3.5.6's JVM `ExternalShuffleService`, on the same files, with
//! the same client (ours), workload by workload in alternating order.
//!
//! Per round, both services are started one after the other (start-up timed alone: process
//! start to a connect succeeding, and to the first block served), registered, and left to
//! settle for the idle RSS; then every workload runs on one and then the other, the order
//! flipping from workload to workload and round to round (A B, B A, …). The machine's
//! ceiling (a bare `sendfile(2)` loop over loopback) is measured first. Results are
//! written as JSON and as a markdown table of ours/JVM ratios.
//!
//! The layout sweep ([`CompareConfig::layouts`]) then measures what users run: Spark's own
//! client at its defaults (one client, so one connection, per executor; 32 requests of 100
//! blocks in flight) on hosts holding from a few to tens of thousands of map outputs, warm
//! and, where the machine lets us drop the page cache, cold.

use std::fmt::Write as _;
use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use shuffle_client::{ClientConfig, ShuffleClient};

use crate::layout::{Layout, Shape};
use crate::load::{self, Error, LoadConfig, Mode, Report};
use crate::procstat;
use crate::sendfile::{self, SendfileResult};

/// How to run the comparison.
#[derive(Debug, Clone)]
pub struct CompareConfig {
    /// Where `results.json` and `results.md` go.
    pub out_dir: PathBuf,
    /// Where the shuffle files are written (reused across runs).
    pub data_dir: PathBuf,
    /// Spark 3.5.6's jars (`pyspark/jars`).
    pub jars: PathBuf,
    /// The `java` to run.
    pub java: PathBuf,
    /// Our `shuffle-server` binary (a release build).
    pub server_bin: PathBuf,
    /// JVM heap (`-Xmx`), as `SPARK_DAEMON_MEMORY` sets it (Spark's default is 1g).
    pub jvm_heap: String,
    /// Measured time per run.
    pub duration: Duration,
    /// Unmeasured load before each run.
    pub warmup: Duration,
    /// Rounds (each starts both services afresh and runs every workload on both; the warm
    /// 4 KiB layout runs repeat once per round too).
    pub rounds: usize,
    /// Tiny shapes and runs, to check the machinery in seconds.
    pub quick: bool,
    /// Also drive both services with Spark's own client (`benches/java/SparkLoad.java`)
    /// for [`SPARK_CLIENT_WORKLOADS`].
    pub spark_client: bool,
    /// Map outputs on the host for the layout sweep (empty: no sweep; needs
    /// [`CompareConfig::spark_client`]).
    pub layouts: Vec<i64>,
    /// Also run the 4 KiB layouts with a cold page cache (`/proc/sys/vm/drop_caches`).
    pub cold: bool,
    /// Largest shuffle written for a 2 MiB layout, bytes; larger ones are skipped.
    pub max_layout_bytes: u64,
}

/// 4 KiB blocks of each 4 KiB layout: its reduce partitions are this divided by its maps.
const LAYOUT_SMALL_BLOCKS: i64 = 100_000;
/// 2 MiB blocks of each 2 MiB layout, at least one per map output.
const LAYOUT_LARGE_BLOCKS: i64 = 512;

/// One run of the layout sweep: Spark's client, one connection, on a host holding `maps`
/// map outputs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LayoutRun {
    /// Map outputs on the host.
    pub maps: i64,
    /// Bytes per block.
    pub block_size: usize,
    /// Whether the page cache was dropped just before (and no warm-up ran).
    pub cold: bool,
    /// Service.
    pub kind: Kind,
    /// The 1-minute load average just before the run.
    pub loadavg_before: f64,
    /// What was measured.
    pub report: Report,
}

/// Workloads also run with Spark's client when [`CompareConfig::spark_client`] is set.
pub const SPARK_CLIENT_WORKLOADS: [&str; 3] = ["small-c32", "large-c8", "batch-c8"];

/// Which client drove a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientKind {
    /// Our `ShuffleClient` (the load tool).
    #[default]
    Ours,
    /// Spark 3.5.6's `ExternalBlockStoreClient` (`SparkLoad.java`).
    Spark,
}

/// Which service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Spark 3.5.6's `org.apache.spark.deploy.ExternalShuffleService`.
    Jvm,
    /// Our `shuffle-server`.
    Ours,
}

/// Which shuffle a workload reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Data {
    /// 4 KiB blocks.
    Small,
    /// 2 MiB blocks.
    Large,
}

/// One workload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Workload {
    /// Short name (`small-c32`).
    pub name: String,
    /// The shuffle it reads.
    pub data: Data,
    /// Request shape.
    pub mode: Mode,
    /// Ids per request.
    pub ids_per_request: usize,
    /// Reduces per batch id.
    pub reduces_per_id: i32,
    /// Concurrent fetchers.
    pub concurrency: usize,
}

/// The workloads of the issue: small blocks (100 ids per request) and large blocks (4 ids,
/// 8 MiB, about Spark's `maxBytesInFlight / 5`) at 1, 8 and 32 fetchers, and batch fetch
/// of small blocks (10 maps × 100 reduces per request) at 8.
pub fn workloads() -> Vec<Workload> {
    let mut w = Vec::new();
    for (data, ids) in [(Data::Small, 100), (Data::Large, 4)] {
        for c in [1, 8, 32] {
            let prefix = if data == Data::Small { "small" } else { "large" };
            w.push(Workload {
                name: format!("{prefix}-c{c}"),
                data,
                mode: Mode::Blocks,
                ids_per_request: ids,
                reduces_per_id: 1,
                concurrency: c,
            });
        }
    }
    w.push(Workload {
        name: "batch-c8".into(),
        data: Data::Small,
        mode: Mode::Batch,
        ids_per_request: 10,
        reduces_per_id: 100,
        concurrency: 8,
    });
    w
}

/// Start-up times of one service start, milliseconds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Startup {
    /// Process start until a TCP connect to its port succeeds.
    pub listen_ms: f64,
    /// Process start until the first block (after `RegisterExecutor`) arrived.
    pub first_block_ms: f64,
    /// `VmRSS` a second after the first block, MiB.
    pub idle_rss_mib: f64,
    /// `VmHWM` when the service was stopped, at the end of the round, MiB.
    pub hwm_mib: f64,
}

/// One run of one workload on one service.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRecord {
    /// Workload name.
    pub workload: String,
    /// Service.
    pub kind: Kind,
    /// Round, from 0.
    pub round: usize,
    /// The client that drove it.
    #[serde(default)]
    pub client: ClientKind,
    /// The 1-minute load average just before the run.
    pub loadavg_before: f64,
    /// What the load tool measured.
    pub report: Report,
}

/// Everything a comparison measured.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Results {
    /// Machine notes: CPUs, memory, kernel, load averages.
    pub machine: Vec<(String, String)>,
    /// Shapes of the two shuffles.
    pub shapes: Vec<(String, Shape)>,
    /// The workloads run.
    pub workloads: Vec<Workload>,
    /// Measured seconds per run, warm-up seconds per run, rounds.
    pub duration_s: f64,
    /// Warm-up seconds per run.
    pub warmup_s: f64,
    /// Bare sendfile loops.
    pub sendfile: Vec<SendfileResult>,
    /// Start-ups of the JVM service.
    pub jvm_startups: Vec<Startup>,
    /// Start-ups of ours.
    pub ours_startups: Vec<Startup>,
    /// Every run.
    pub runs: Vec<RunRecord>,
    /// Ratios and targets.
    pub summary: Vec<SummaryRow>,
    /// The layout sweep.
    #[serde(default)]
    pub layout_runs: Vec<LayoutRun>,
    /// What the run could not do, and why (no cold cache, layouts skipped).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// A compared figure: JVM, ours (means over rounds), ours/JVM, and the target.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SummaryRow {
    /// What (`small-c32 blocks/s`).
    pub metric: String,
    /// Spark's JVM service.
    pub jvm: f64,
    /// Ours.
    pub ours: f64,
    /// ours / jvm.
    pub ratio: f64,
    /// The goal, e.g. `≥ 1.2×`, if the issue sets one.
    pub target: Option<String>,
    /// Whether the goal is met.
    pub met: Option<bool>,
}

/// A running service, killed on drop.
struct Service {
    kind: Kind,
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
    startup: Startup,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Service {
    fn pid(&self) -> u32 {
        self.child.id()
    }
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts `kind`, times it to listening and to the first block of `probe`, and measures its
/// idle RSS.
async fn start(kind: Kind, cfg: &CompareConfig, probe: &Layout) -> Result<Service, Error> {
    let dir = tempfile::Builder::new().prefix("bench-service").tempdir()?;
    let port = free_port()?;
    let log = fs::File::create(dir.path().join("service.log"))?;
    let mut cmd = match kind {
        Kind::Jvm => {
            let mut cmd = Command::new(&cfg.java);
            cmd.arg(format!("-Xmx{}", cfg.jvm_heap))
                .arg(format!("-Djava.io.tmpdir={}", dir.path().display()))
                .arg(format!("-Dspark.shuffle.service.port={port}"))
                .arg("-Dspark.shuffle.service.db.enabled=false")
                .arg("-cp")
                .arg(cfg.jars.join("*"))
                .arg("org.apache.spark.deploy.ExternalShuffleService")
                .env("SPARK_LOCAL_DIRS", dir.path())
                .env("SPARK_LOCAL_IP", "127.0.0.1");
            cmd
        }
        Kind::Ours => {
            let mut cmd = Command::new(&cfg.server_bin);
            cmd.args(["--host", "127.0.0.1", "--port", &port.to_string(), "--state-dir"])
                .arg(dir.path().join("state"))
                .env("RUST_LOG", "warn");
            cmd
        }
    };
    cmd.stdin(Stdio::null()).stdout(Stdio::from(log.try_clone()?)).stderr(Stdio::from(log));
    let t0 = Instant::now();
    let mut child = cmd.spawn().map_err(|e| format!("starting {kind:?} service: {e}"))?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let limit = Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait()? {
            let log = fs::read_to_string(dir.path().join("service.log")).unwrap_or_default();
            return Err(format!("{kind:?} service exited with {status}:\n{log}").into());
        }
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            break;
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            return Err(format!("{kind:?} service did not listen within {limit:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let listen_ms = t0.elapsed().as_secs_f64() * 1e3;
    let mut service = Service {
        kind,
        child,
        addr,
        _dir: dir,
        startup: Startup { listen_ms, first_block_ms: 0.0, idle_rss_mib: 0.0, hwm_mib: 0.0 },
    };
    let config = ClientConfig { max_retries: 0, ..ClientConfig::default() };
    let id = probe.block_id(0, 0);
    loop {
        // A fresh client each time: a refused attempt must not leave a broken pooled connection.
        let client = ShuffleClient::new(config.clone());
        let ok = async {
            client.register_executor(addr, "app-startup", "0", probe.executor_info()).await?;
            let mut s = client.fetch_blocks(addr, "app-startup", "0", vec![id.clone()]);
            match s.next().await {
                Some(Ok((_, bytes))) => {
                    Ok::<bool, shuffle_client::Error>(probe.verify(&id, &bytes).is_ok())
                }
                Some(Err(e)) => Err(e),
                None => Ok(false),
            }
        }
        .await;
        if matches!(ok, Ok(true)) {
            break;
        }
        if t0.elapsed() > limit {
            return Err(format!("{kind:?} service served no block within {limit:?}: {ok:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    service.startup.first_block_ms = t0.elapsed().as_secs_f64() * 1e3;
    tokio::time::sleep(Duration::from_secs(1)).await;
    service.startup.idle_rss_mib =
        procstat::memory(service.pid()).map_or(0.0, |m| m.rss as f64 / 1048576.0);
    Ok(service)
}

fn loadavg() -> (f64, String) {
    let s = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let one = s.split_whitespace().next().and_then(|x| x.parse().ok()).unwrap_or(f64::NAN);
    (one, s.trim().to_owned())
}

fn machine_notes() -> Vec<(String, String)> {
    let mut notes = Vec::new();
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    notes.push(("cpus".into(), cpus.to_string()));
    if let Ok(cpuinfo) = fs::read_to_string("/proc/cpuinfo") {
        if let Some(model) = cpuinfo.lines().find(|l| l.starts_with("model name")) {
            notes.push(("cpu model".into(), model.split(':').nth(1).unwrap_or("").trim().into()));
        }
    }
    if let Ok(meminfo) = fs::read_to_string("/proc/meminfo") {
        if let Some(total) = meminfo.lines().next() {
            notes.push(("memory".into(), total.trim_start_matches("MemTotal:").trim().into()));
        }
    }
    if let Ok(kernel) = fs::read_to_string("/proc/sys/kernel/osrelease") {
        notes.push(("kernel".into(), kernel.trim().into()));
    }
    notes.push(("loadavg at start".into(), loadavg().1));
    notes
}

/// Runs the whole comparison and writes `results.json` and `results.md` to `out_dir`.
pub async fn run(cfg: &CompareConfig) -> Result<Results, Error> {
    let mut results = Results {
        machine: machine_notes(),
        workloads: workloads(),
        duration_s: cfg.duration.as_secs_f64(),
        warmup_s: cfg.warmup.as_secs_f64(),
        ..Results::default()
    };
    let (small_shape, large_shape, sendfile_mib, sendfile_time) = if cfg.quick {
        (Shape::new(10, 100, 4096), Shape::new(4, 8, 2 << 20), 16, Duration::from_millis(500))
    } else {
        (Shape::new(100, 1000, 4096), Shape::new(8, 64, 2 << 20), 256, Duration::from_secs(2))
    };
    results.shapes = vec![("small".into(), small_shape), ("large".into(), large_shape)];
    fs::create_dir_all(&cfg.data_dir)?;
    fs::create_dir_all(&cfg.out_dir)?;
    eprintln!("compare: writing shuffles under {}", cfg.data_dir.display());
    let small = Arc::new(Layout::create(&cfg.data_dir.join("small"), small_shape)?);
    let large = Arc::new(Layout::create(&cfg.data_dir.join("large"), large_shape)?);
    small.warm()?;
    large.warm()?;

    let file = cfg.data_dir.join("sendfile.bin");
    let size = sendfile_mib << 20;
    if fs::metadata(&file).map_or(true, |m| m.len() != size as u64) {
        sendfile::write_file(&file, size)?;
    }
    for (connections, checksum) in [(1, false), (8, false), (1, true), (8, true)] {
        // A ceiling is the best the machine can do: the better of two tries, so that a
        // burst of other work on a shared host does not lower it.
        let mut best: Option<SendfileResult> = None;
        for _ in 0..2 {
            let file = file.clone();
            let r = tokio::task::spawn_blocking(move || {
                sendfile::measure(&file, sendfile_time, connections, checksum)
            })
            .await??;
            if best.as_ref().is_none_or(|b| r.gb_per_s > b.gb_per_s) {
                best = Some(r);
            }
        }
        let r = best.ok_or("no sendfile measurement")?;
        eprintln!(
            "compare: sendfile loop, {connections} connection(s){}: {:.2} GB/s, sender {:.3} \
             CPU-s/GB",
            if checksum { ", client CRC-32" } else { "" },
            r.gb_per_s,
            r.sender_cpu_s_per_gb
        );
        results.sendfile.push(r);
    }

    for round in 0..cfg.rounds {
        eprintln!("compare: round {}: starting the JVM service, then ours", round + 1);
        let jvm = start(Kind::Jvm, cfg, &small).await?;
        let ours = start(Kind::Ours, cfg, &small).await?;
        for s in [&jvm, &ours] {
            eprintln!(
                "compare:   {:?}: listening after {:.0} ms, first block after {:.0} ms, idle RSS {:.1} MiB",
                s.kind, s.startup.listen_ms, s.startup.first_block_ms, s.startup.idle_rss_mib
            );
        }
        for (i, w) in results.workloads.clone().iter().enumerate() {
            let order = if (round + i) % 2 == 0 { [&jvm, &ours] } else { [&ours, &jvm] };
            for service in order {
                let layout = if w.data == Data::Small { &small } else { &large };
                let mut lc = LoadConfig::new(service.addr.to_string());
                lc.exec_id = format!("{:?}", w.data).to_lowercase();
                lc.mode = w.mode;
                lc.ids_per_request = w.ids_per_request;
                lc.reduces_per_id = w.reduces_per_id;
                lc.concurrency = w.concurrency;
                lc.warmup = cfg.warmup;
                lc.duration = Some(cfg.duration);
                lc.server_pid = Some(service.pid());
                let loadavg_before = loadavg().0;
                let report = load::run(&lc, layout.clone()).await?;
                record(
                    &mut results,
                    RunRecord {
                        workload: w.name.clone(),
                        kind: service.kind,
                        round,
                        client: ClientKind::Ours,
                        loadavg_before,
                        report,
                    },
                )?;
            }
        }
        for mut s in [jvm, ours] {
            s.startup.hwm_mib = procstat::memory(s.pid()).map_or(0.0, |m| m.hwm as f64 / 1048576.0);
            match s.kind {
                Kind::Jvm => results.jvm_startups.push(s.startup.clone()),
                Kind::Ours => results.ours_startups.push(s.startup.clone()),
            }
        }
    }
    if cfg.spark_client {
        spark_client_runs(cfg, &mut results, &small, &large).await?;
        layout_runs(cfg, &mut results).await?;
    } else if !cfg.layouts.is_empty() {
        results.notes.push("no layout sweep: it needs Spark's client".into());
    }
    results.machine.push(("loadavg at end".into(), loadavg().1));
    results.summary = summarize(&results);
    fs::write(cfg.out_dir.join("results.json"), serde_json::to_string_pretty(&results)?)?;
    fs::write(cfg.out_dir.join("results.md"), markdown(&results))?;
    Ok(results)
}

fn mean(xs: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = xs.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 {
        f64::NAN
    } else {
        sum / n as f64
    }
}

/// Mean over rounds of `f` of workload `name` on `kind`, driven by our client.
fn metric(r: &Results, name: &str, kind: Kind, f: impl Fn(&Report) -> f64) -> f64 {
    metric_with(r, name, kind, ClientKind::Ours, f)
}

fn metric_with(
    r: &Results,
    name: &str,
    kind: Kind,
    client: ClientKind,
    f: impl Fn(&Report) -> f64,
) -> f64 {
    mean(
        r.runs
            .iter()
            .filter(|x| x.workload == name && x.kind == kind && x.client == client)
            .map(|x| f(&x.report)),
    )
}

/// Runs [`SPARK_CLIENT_WORKLOADS`] with Spark's client against fresh instances of both
/// services, one round.
async fn spark_client_runs(
    cfg: &CompareConfig,
    results: &mut Results,
    small: &Arc<Layout>,
    large: &Arc<Layout>,
) -> Result<(), Error> {
    let classes = compile_spark_load(cfg)?;
    eprintln!("compare: Spark's client: starting the JVM service, then ours");
    let jvm = start(Kind::Jvm, cfg, small).await?;
    let ours = start(Kind::Ours, cfg, small).await?;
    for (i, w) in results.workloads.clone().iter().enumerate() {
        if !SPARK_CLIENT_WORKLOADS.contains(&w.name.as_str()) {
            continue;
        }
        let order = if i % 2 == 0 { [&jvm, &ours] } else { [&ours, &jvm] };
        for service in order {
            let layout = if w.data == Data::Small { small.clone() } else { large.clone() };
            let args = SparkRun {
                java: cfg.java.clone(),
                classpath: format!("{}/*:{}", cfg.jars.display(), classes.display()),
                addr: service.addr,
                server_pid: service.pid(),
                exec: format!("{:?}", w.data).to_lowercase(),
                clients: w.concurrency,
                workload: w.clone(),
                layout,
                // A second JVM (the client's) to warm up as well.
                warmup: if cfg.quick { cfg.warmup } else { cfg.warmup.max(Duration::from_secs(2)) },
                duration: cfg.duration,
            };
            let loadavg_before = loadavg().0;
            let report = tokio::task::spawn_blocking(move || args.run()).await??;
            record(
                results,
                RunRecord {
                    workload: w.name.clone(),
                    kind: service.kind,
                    round: 0,
                    client: ClientKind::Spark,
                    loadavg_before,
                    report,
                },
            )?;
        }
    }
    Ok(())
}

/// The layout sweep: for 4 KiB and 2 MiB blocks and each count of map outputs in
/// [`CompareConfig::layouts`], fresh instances of both services, each driven by Spark's client
/// at its defaults (one client, one connection) with 32 requests of 100 blocks in flight
/// (2 MiB: 8 requests of 4), in alternating order; then, where the page cache can be dropped,
/// the 4 KiB layouts again from a cold cache without warm-up.
async fn layout_runs(cfg: &CompareConfig, results: &mut Results) -> Result<(), Error> {
    if cfg.layouts.is_empty() {
        return Ok(());
    }
    let classes = compile_spark_load(cfg)?;
    let (small_blocks, large_blocks) = if cfg.quick {
        (LAYOUT_SMALL_BLOCKS / 50, LAYOUT_LARGE_BLOCKS / 32)
    } else {
        (LAYOUT_SMALL_BLOCKS, LAYOUT_LARGE_BLOCKS)
    };
    let mut can_drop = cfg.cold;
    if !cfg.cold {
        results.notes.push("no cold-cache runs: not asked for (--cold)".into());
    }
    let mut step = 0;
    for (block_size, blocks, ids, concurrency) in
        [(4096, small_blocks, 100, 32), (2 << 20, large_blocks, 4, 8)]
    {
        for &maps in &cfg.layouts {
            let reduces = i32::try_from((blocks / maps).max(1))?;
            let shape = Shape::new(maps, reduces, block_size);
            if block_size > 4096 && shape.total_bytes() > cfg.max_layout_bytes {
                let note = format!(
                    "layout of {maps} map outputs × 2 MiB skipped: {:.1} GB is over \
                     --max-layout-gb",
                    shape.total_bytes() as f64 / 1e9
                );
                eprintln!("compare: {note}");
                results.notes.push(note);
                continue;
            }
            let name = format!("layout-{maps}-{}", if block_size == 4096 { "4k" } else { "2m" });
            eprintln!(
                "compare: {name}: {maps} map outputs × {reduces} reduces × {block_size} B \
                 ({:.2} GB)",
                shape.total_bytes() as f64 / 1e9
            );
            let layout = Arc::new(Layout::create(&cfg.data_dir.join(&name), shape)?);
            layout.warm()?;
            let workload = Workload {
                name: name.clone(),
                data: if block_size == 4096 { Data::Small } else { Data::Large },
                mode: Mode::Blocks,
                ids_per_request: ids,
                reduces_per_id: 1,
                concurrency,
            };
            let cold_too = block_size == 4096 && can_drop;
            let mut warm = Some((
                start(Kind::Jvm, cfg, &layout).await?,
                start(Kind::Ours, cfg, &layout).await?,
            ));
            // Warm 4 KiB runs, the headline, repeat for each round (a run on two cores moves
            // by a fifth from one to the next); the mean goes in the table.
            let warm_runs = if block_size == 4096 { cfg.rounds.max(1) } else { 1 };
            let passes: Vec<bool> =
                std::iter::repeat_n(false, warm_runs).chain(cold_too.then_some(true)).collect();
            for cold in passes {
                step += 1;
                let order =
                    if step % 2 == 0 { [Kind::Jvm, Kind::Ours] } else { [Kind::Ours, Kind::Jvm] };
                if cold {
                    // Each cold run gets a fresh service, alone: ours maps the files it read,
                    // and dropping the page cache leaves mapped pages in memory, so a service
                    // of ours still running would keep the next run's files warm.
                    warm = None;
                }
                for kind in order {
                    let fresh;
                    let service = match &warm {
                        Some((jvm, _)) if kind == Kind::Jvm => jvm,
                        Some((_, ours)) => ours,
                        None => {
                            fresh = start(kind, cfg, &layout).await?;
                            &fresh
                        }
                    };
                    if cold {
                        if let Err(e) = drop_page_cache() {
                            let note = format!(
                                "no cold-cache runs: /proc/sys/vm/drop_caches is not \
                                 writable here ({e})"
                            );
                            eprintln!("compare: {note}");
                            results.notes.push(note);
                            can_drop = false;
                            break;
                        }
                    }
                    let run = SparkRun {
                        java: cfg.java.clone(),
                        classpath: format!("{}/*:{}", cfg.jars.display(), classes.display()),
                        addr: service.addr,
                        server_pid: service.pid(),
                        exec: name.clone(),
                        clients: 1,
                        workload: workload.clone(),
                        layout: layout.clone(),
                        warmup: if cold || cfg.quick {
                            Duration::ZERO
                        } else {
                            cfg.warmup.max(Duration::from_secs(2))
                        },
                        duration: cfg.duration,
                    };
                    let loadavg_before = loadavg().0;
                    let report = tokio::task::spawn_blocking(move || run.run()).await??;
                    let label = format!("{name}{}", if cold { " cold" } else { "" });
                    print_run(&label, service.kind, " (Spark client, 1 conn)", &report);
                    if !report.verified {
                        return Err(
                            format!("{label} on {:?}: {:?}", service.kind, report.errors).into()
                        );
                    }
                    results.layout_runs.push(LayoutRun {
                        maps,
                        block_size,
                        cold,
                        kind: service.kind,
                        loadavg_before,
                        report,
                    });
                }
                if cold && !can_drop {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// Writes dirty pages back and drops the page cache, so that the next reads come from disk.
fn drop_page_cache() -> std::io::Result<()> {
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
    fs::write("/proc/sys/vm/drop_caches", b"3\n")
}

/// Prints one run's figures.
fn print_run(workload: &str, kind: Kind, client: &str, report: &Report) {
    let server = report.server.clone().unwrap_or_default();
    eprintln!(
        "compare:   {workload:<10} {kind:>4?}{client}: {:8.1} MB/s {:8.0} blocks/s p99 {:7.2} ms cpu {:.3} s/GB peak rss {:.0} MiB{}",
        report.mb_per_s,
        report.blocks_per_s,
        report.latency_ms.p99,
        server.cpu_s_per_gb,
        server.peak_rss_mib,
        if report.verified { "" } else { "  NOT VERIFIED" }
    );
}

/// Prints a run's figures and adds it to `results`; a run whose bytes did not verify fails
/// the comparison.
fn record(results: &mut Results, run: RunRecord) -> Result<(), Error> {
    let RunRecord { report, .. } = &run;
    let client = match run.client {
        ClientKind::Ours => "",
        ClientKind::Spark => " (Spark client)",
    };
    print_run(&run.workload, run.kind, client, report);
    if !report.verified {
        return Err(
            format!("{} on {:?}{client}: {:?}", run.workload, run.kind, report.errors).into()
        );
    }
    results.runs.push(run);
    Ok(())
}

/// Compiles `benches/java/SparkLoad.java` against the jars into `<data_dir>/spark-load`.
fn compile_spark_load(cfg: &CompareConfig) -> Result<PathBuf, Error> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("java").join("SparkLoad.java");
    let out = std::path::absolute(cfg.data_dir.join("spark-load"))?;
    fs::create_dir_all(&out)?;
    let javac = match cfg.java.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => dir.join("javac"),
        None => PathBuf::from("javac"),
    };
    let status = Command::new(javac)
        .arg("-cp")
        .arg(cfg.jars.join("*"))
        .arg("-d")
        .arg(&out)
        .arg(&source)
        .status()
        .map_err(|e| format!("running javac: {e}"))?;
    if !status.success() {
        return Err(format!("javac {} failed: {status}", source.display()).into());
    }
    Ok(out)
}

/// One run of `SparkLoad`.
struct SparkRun {
    java: PathBuf,
    classpath: String,
    addr: SocketAddr,
    server_pid: u32,
    /// The executor id the layout is registered as.
    exec: String,
    /// Clients the fetching threads share: 1 is one executor, one connection.
    clients: usize,
    workload: Workload,
    layout: Arc<Layout>,
    warmup: Duration,
    duration: Duration,
}

impl SparkRun {
    /// Runs the driver; measures the server from its "WARM" line to its "DONE" line.
    fn run(self) -> Result<Report, Error> {
        use std::io::BufRead;
        let shape = self.layout.shape;
        let w = &self.workload;
        let mut child = Command::new(&self.java)
            .arg("-cp")
            .arg(&self.classpath)
            .arg("SparkLoad")
            .arg(self.addr.ip().to_string())
            .arg(self.addr.port().to_string())
            .arg("app-spark-client")
            .arg(&self.exec)
            .arg(self.layout.local_dir.as_os_str())
            .arg(shape.maps.to_string())
            .arg(shape.reduces.to_string())
            .arg(shape.block_size.to_string())
            .arg(if w.mode == Mode::Batch { "batch" } else { "blocks" })
            .arg(w.ids_per_request.to_string())
            .arg(w.reduces_per_id.to_string())
            .arg(w.concurrency.to_string())
            .arg(self.warmup.as_secs_f64().to_string())
            .arg(self.duration.as_secs_f64().to_string())
            .arg(self.clients.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting SparkLoad: {e}"))?;
        let client_pid = child.id();
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = std::io::BufReader::new(stdout).lines();
        let mut start = None;
        let mut sampler = None;
        let mut done = None;
        for line in lines.by_ref() {
            let line = line?;
            if line == "WARM" {
                start = Some((
                    procstat::memory(self.server_pid),
                    procstat::cpu_seconds(self.server_pid),
                    procstat::cpu_seconds(client_pid),
                ));
                sampler =
                    Some(procstat::RssSampler::start(self.server_pid, Duration::from_millis(20)));
            } else if let Some(json) = line.strip_prefix("DONE ") {
                done = Some((
                    json.to_owned(),
                    procstat::cpu_seconds(self.server_pid),
                    procstat::cpu_seconds(client_pid),
                ));
                break;
            }
        }
        let peak = sampler.map(procstat::RssSampler::finish).unwrap_or(0);
        let _ = child.wait();
        let (Some((mem0, cpu0, client0)), Some((json, cpu1, client1))) = (start, done) else {
            return Err("SparkLoad ended without a result".into());
        };
        let v: serde_json::Value = serde_json::from_str(&json)?;
        let f = |k: &str| v.get(k).and_then(serde_json::Value::as_f64).unwrap_or(f64::NAN);
        let bytes = f("bytes") as u64;
        let seconds = f("seconds");
        let cpu_s = cpu1.zip(cpu0).map_or(f64::NAN, |(b, a)| b - a);
        let errors = f("errors") as u64;
        let mut error_list = Vec::new();
        if errors > 0 {
            error_list.push(v.get("first_error").map(|e| e.to_string()).unwrap_or_default());
        }
        Ok(Report {
            mode: Some(w.mode),
            block_size: shape.block_size,
            ids_per_request: w.ids_per_request,
            reduces_per_id: (w.mode == Mode::Batch).then_some(w.reduces_per_id),
            concurrency: w.concurrency,
            seconds,
            requests: f("requests") as u64,
            blocks: f("blocks") as u64,
            bytes,
            mb_per_s: bytes as f64 / 1e6 / seconds,
            blocks_per_s: f("blocks") / seconds,
            latency_ms: load::Latency {
                p50: f("p50"),
                p99: f("p99"),
                p999: f("p999"),
                max: f("max"),
                mean: f("mean"),
            },
            server: Some(load::ServerUsage {
                pid: self.server_pid,
                rss_before_mib: mem0.map_or(0.0, |m| m.rss as f64 / 1048576.0),
                peak_rss_mib: peak as f64 / 1048576.0,
                hwm_mib: procstat::memory(self.server_pid)
                    .map_or(0.0, |m| m.hwm as f64 / 1048576.0),
                cpu_s,
                cpu_s_per_gb: cpu_s / (bytes as f64 / 1e9),
            }),
            client_cpu_s: client1.zip(client0).map_or(f64::NAN, |(b, a)| b - a),
            verified: errors == 0 && bytes > 0,
            errors: error_list,
        })
    }
}

/// The ratio table, with the goals where it sets them.
pub fn summarize(r: &Results) -> Vec<SummaryRow> {
    type Get = fn(&Report) -> f64;
    let cpu: Get = |x| x.server.as_ref().map_or(f64::NAN, |s| s.cpu_s_per_gb);
    let peak: Get = |x| x.server.as_ref().map_or(f64::NAN, |s| s.peak_rss_mib);
    let mut rows = Vec::new();
    let mut row = |metric: String, jvm: f64, ours: f64, target: Option<(&str, bool)>| {
        rows.push(SummaryRow {
            metric,
            jvm,
            ours,
            ratio: ours / jvm,
            target: target.map(|t| t.0.to_owned()),
            met: target.map(|t| t.1),
        });
    };
    let mut extra = Vec::new();
    for w in &r.workloads {
        let n = w.name.as_str();
        let get = |f: Get| (metric(r, n, Kind::Jvm, f), metric(r, n, Kind::Ours, f));
        let (j, o) = get(|x| x.mb_per_s);
        row(format!("{n} MB/s"), j, o, None);
        let (j, o) = get(|x| x.blocks_per_s);
        let t = (n == "small-c32").then_some(("≥ 1.2×", o / j >= 1.2));
        row(format!("{n} blocks/s"), j, o, t);
        let (j, o) = get(|x| x.latency_ms.p50);
        row(format!("{n} p50 ms"), j, o, None);
        let (j, o) = get(|x| x.latency_ms.p99);
        let t = w.name.starts_with("small").then_some(("≤ 0.3×", o / j <= 0.3));
        row(format!("{n} p99 ms"), j, o, t);
        let (j, o) = get(|x| x.latency_ms.p999);
        row(format!("{n} p999 ms"), j, o, None);
        let (j, o) = get(cpu);
        let t = match n {
            "small-c32" => Some(("≤ 0.2×", o / j <= 0.2)),
            "large-c8" => Some(("≤ 0.5×", o / j <= 0.5)),
            _ => None,
        };
        row(format!("{n} server CPU-s/GB"), j, o, t);
        let (j, o) = get(peak);
        row(format!("{n} server peak RSS MiB"), j, o, None);
    }
    // The ceiling: one connection, a client that only reads.
    let sendfile_loop = |connections: usize, checksum: bool| {
        r.sendfile.iter().find(|s| s.connections == connections && s.checksum == checksum)
    };
    let ceiling = |connections: usize, checksum: bool| {
        sendfile_loop(connections, checksum).map_or(f64::NAN, |s| s.gb_per_s * 1e3)
    };
    let large = metric(r, "large-c8", Kind::Ours, |x| x.mb_per_s);
    let large_jvm = metric(r, "large-c8", Kind::Jvm, |x| x.mb_per_s);
    let plain = ceiling(1, false);
    extra.push(SummaryRow {
        metric: "large-c8 MB/s ÷ sendfile loop (1 connection, client discards)".into(),
        jvm: large_jvm / plain,
        ours: large / plain,
        ratio: large / large_jvm,
        target: Some("ours ≥ 0.95".into()),
        met: Some(large / plain >= 0.95),
    });
    let same_work = ceiling(8, true);
    extra.push(SummaryRow {
        metric: "large-c8 MB/s ÷ sendfile loop (8 connections, client CRC-32)".into(),
        jvm: large_jvm / same_work,
        ours: large / same_work,
        ratio: large / large_jvm,
        target: None,
        met: None,
    });
    // What sendfile itself costs the sender on this machine, for the large-block CPU goal.
    let floor = sendfile_loop(8, true).map_or(f64::NAN, |s| s.sender_cpu_s_per_gb);
    let (large_cpu_jvm, large_cpu) =
        (metric(r, "large-c8", Kind::Jvm, cpu), metric(r, "large-c8", Kind::Ours, cpu));
    extra.push(SummaryRow {
        metric: "large-c8 server CPU-s/GB ÷ sendfile loop's sender CPU-s/GB (8 connections, \
                 client CRC-32)"
            .into(),
        jvm: large_cpu_jvm / floor,
        ours: large_cpu / floor,
        ratio: large_cpu / large_cpu_jvm,
        target: None,
        met: None,
    });
    let spark = |n: &str, kind: Kind, f: Get| metric_with(r, n, kind, ClientKind::Spark, f);
    for n in SPARK_CLIENT_WORKLOADS {
        if !r.runs.iter().any(|x| x.workload == n && x.client == ClientKind::Spark) {
            continue;
        }
        let server_cpu: Get = |x| x.server.as_ref().map_or(f64::NAN, |s| s.cpu_s_per_gb);
        let p99: Get = |x| x.latency_ms.p99;
        let mbs: Get = |x| x.mb_per_s;
        for (what, f) in [("MB/s", mbs), ("p99 ms", p99), ("server CPU-s/GB", server_cpu)] {
            let base = spark(n, Kind::Jvm, f);
            let ours_ours = metric(r, n, Kind::Ours, f);
            let spark_ours = spark(n, Kind::Ours, f);
            extra.push(SummaryRow {
                metric: format!(
                    "{n} {what}: JVM = Spark client + JVM service, ours = our client + our daemon"
                ),
                jvm: base,
                ours: ours_ours,
                ratio: ours_ours / base,
                target: None,
                met: None,
            });
            extra.push(SummaryRow {
                metric: format!("{n} {what}: JVM = Spark client + JVM service, ours = Spark client + our daemon"),
                jvm: base,
                ours: spark_ours,
                ratio: spark_ours / base,
                target: None,
                met: None,
            });
        }
    }
    let client: Get = |x| x.client_cpu_s / (x.bytes as f64 / 1e9);
    for n in ["small-c32", "large-c8"] {
        let (j, o) = (metric(r, n, Kind::Jvm, client), metric(r, n, Kind::Ours, client));
        extra.push(SummaryRow {
            metric: format!("{n} load-tool (client) CPU-s/GB"),
            jvm: j,
            ours: o,
            ratio: o / j,
            target: None,
            met: None,
        });
    }
    let all_peak = |kind: Kind| {
        r.runs
            .iter()
            .filter(|x| x.kind == kind && x.client == ClientKind::Ours)
            .filter_map(|x| x.report.server.as_ref().map(|s| s.peak_rss_mib))
            .fold(f64::NAN, f64::max)
    };
    let (j, o) = (all_peak(Kind::Jvm), all_peak(Kind::Ours));
    row("peak RSS under load, MiB (all runs)".into(), j, o, Some(("≤ 0.1×", o / j <= 0.1)));
    let idle = |s: &[Startup]| mean(s.iter().map(|x| x.idle_rss_mib));
    let (j, o) = (idle(&r.jvm_startups), idle(&r.ours_startups));
    row("idle RSS, MiB".into(), j, o, None);
    let listen = |s: &[Startup]| mean(s.iter().map(|x| x.listen_ms));
    let (j, o) = (listen(&r.jvm_startups), listen(&r.ours_startups));
    row("start to listening, ms".into(), j, o, Some(("≤ 0.05×", o / j <= 0.05)));
    let first = |s: &[Startup]| mean(s.iter().map(|x| x.first_block_ms));
    let (j, o) = (first(&r.jvm_startups), first(&r.ours_startups));
    row("start to first block served, ms".into(), j, o, None);
    rows.extend(extra);
    rows
}

fn fmt_num(x: f64) -> String {
    if !x.is_finite() {
        "–".into()
    } else if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

/// The summary and the sendfile ceiling as markdown tables.
pub fn markdown(r: &Results) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "| metric | JVM | ours | ours/JVM | target | met |");
    let _ = writeln!(s, "|---|---:|---:|---:|---|---|");
    for row in &r.summary {
        let met = match row.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "",
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {}× | {} | {met} |",
            row.metric,
            fmt_num(row.jvm),
            fmt_num(row.ours),
            fmt_num(row.ratio),
            row.target.as_deref().unwrap_or("")
        );
    }
    let _ = writeln!(s, "\n| sendfile loop over loopback | GB/s | sender CPU-s/GB |");
    let _ = writeln!(s, "|---|---:|---:|");
    for x in &r.sendfile {
        let _ = writeln!(
            s,
            "| {} connection(s){} | {:.2} | {:.3} |",
            x.connections,
            if x.checksum { ", client takes CRC-32" } else { "" },
            x.gb_per_s,
            x.sender_cpu_s_per_gb
        );
    }
    layout_markdown(r, &mut s);
    let _ = writeln!(s, "\nMachine:");
    for (k, v) in &r.machine {
        let _ = writeln!(s, "- {k}: {v}");
    }
    for note in &r.notes {
        let _ = writeln!(s, "- note: {note}");
    }
    s
}

/// The layout sweep as tables, one per block size and cache state, and the goals of the
/// warm 4 KiB one: at every layout blocks/s ≥ 2× the JVM's and CPU/GB ≤ 0.3×; no layout
/// worse than 1.5× the best on either.
fn layout_markdown(r: &Results, s: &mut String) {
    let cpu = |x: &LayoutRun| x.report.server.as_ref().map_or(f64::NAN, |s| s.cpu_s_per_gb);
    let mut groups: Vec<(usize, bool)> =
        r.layout_runs.iter().map(|x| (x.block_size, x.cold)).collect();
    groups.dedup();
    groups.sort_unstable();
    groups.dedup();
    for (block_size, cold) in groups {
        let runs: Vec<&LayoutRun> =
            r.layout_runs.iter().filter(|x| x.block_size == block_size && x.cold == cold).collect();
        let mut maps: Vec<i64> = runs.iter().map(|x| x.maps).collect();
        maps.sort_unstable();
        maps.dedup();
        let _ = writeln!(
            s,
            "\nSpark's client, one connection, {} blocks, {} page cache:\n",
            if block_size == 4096 { "4 KiB" } else { "2 MiB" },
            if cold { "cold" } else { "warm" }
        );
        let _ = writeln!(
            s,
            "| map outputs | blocks/s JVM | blocks/s ours | ratio | CPU-s/GB JVM | CPU-s/GB ours | ratio |"
        );
        let _ = writeln!(s, "|---:|---:|---:|---:|---:|---:|---:|");
        let mut ours_rates = Vec::new();
        let mut ours_cpus = Vec::new();
        let mut met = true;
        for m in maps {
            let get = |kind: Kind, f: &dyn Fn(&LayoutRun) -> f64| {
                mean(runs.iter().filter(|x| x.maps == m && x.kind == kind).map(|x| f(x)))
            };
            let rate = |x: &LayoutRun| x.report.blocks_per_s;
            let (jr, or) = (get(Kind::Jvm, &rate), get(Kind::Ours, &rate));
            let (jc, oc) = (get(Kind::Jvm, &cpu), get(Kind::Ours, &cpu));
            met &= or / jr >= 2.0 && oc / jc <= 0.3;
            ours_rates.push(or);
            ours_cpus.push(oc);
            let _ = writeln!(
                s,
                "| {m} | {} | {} | {}× | {} | {} | {}× |",
                fmt_num(jr),
                fmt_num(or),
                fmt_num(or / jr),
                fmt_num(jc),
                fmt_num(oc),
                fmt_num(oc / jc)
            );
        }
        let spread = |xs: &[f64]| {
            let max = xs.iter().copied().fold(f64::NAN, f64::max);
            let min = xs.iter().copied().fold(f64::NAN, f64::min);
            max / min
        };
        let (rate_spread, cpu_spread) = (spread(&ours_rates), spread(&ours_cpus));
        let _ = writeln!(
            s,
            "\nOurs, best layout over worst: blocks/s {}×, CPU-s/GB {}×.",
            fmt_num(rate_spread),
            fmt_num(cpu_spread)
        );
        if block_size == 4096 && !cold {
            let all = met && rate_spread <= 1.5 && cpu_spread <= 1.5;
            let _ = writeln!(
                s,
                "Goal (every layout ≥ 2× blocks/s and ≤ 0.3× CPU/GB of the JVM's, no layout \
                 worse than 1.5× the best): {}.",
                if all { "met" } else { "**not met**" }
            );
        }
    }
}

/// `<repo>/.venv/lib/python*/site-packages/pyspark/jars`, or `$SPARK_JARS_DIR`.
pub fn default_jars(repo: &Path) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("SPARK_JARS_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let lib = repo.join(".venv").join("lib");
    let mut found: Vec<PathBuf> = fs::read_dir(lib)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("site-packages").join("pyspark").join("jars"))
        .filter(|p| p.is_dir())
        .collect();
    found.sort();
    found.pop()
}
