//! The load driver: N concurrent fetchers, each with a client (and so a connection) of its
//! own, like the reducers of N executors, pulling requests from one shared plan over a
//! [`Layout`]; every byte is checked; throughput, request latency and the server process's
//! memory and CPU time are reported.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use shuffle_client::{ClientConfig, ShuffleClient};

use crate::layout::Layout;
use crate::procstat::{self, RssSampler};

/// How blocks are asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// `FetchShuffleBlocks` with `ids_per_request` plain ids, one reduce partition of
    /// consecutive map outputs (what a reducer asks one executor for).
    Blocks,
    /// Batch fetch: `FetchShuffleBlocks` with `batchFetchEnabled`, `ids_per_request` maps
    /// each giving `reduces_per_id` consecutive reduces as one block (AQE's coalesced reads).
    Batch,
}

/// What to run.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// `host:port` of the shuffle service.
    pub addr: String,
    /// Application id the executor registers under.
    pub app_id: String,
    /// Executor id.
    pub exec_id: String,
    /// Send `RegisterExecutor` with the layout's dir first.
    pub register: bool,
    /// Request shape.
    pub mode: Mode,
    /// Block ids per request.
    pub ids_per_request: usize,
    /// Reduces per batch id ([`Mode::Batch`]).
    pub reduces_per_id: i32,
    /// Concurrent fetchers, each with its own connection.
    pub concurrency: usize,
    /// Unmeasured load before measuring (JIT, caches, connections).
    pub warmup: Duration,
    /// Measure for this long, cycling through the plan; `None`: one pass over the plan.
    pub duration: Option<Duration>,
    /// Server process to watch (`/proc/<pid>`).
    pub server_pid: Option<u32>,
    /// Print a progress line on stderr (only if it is a terminal).
    pub progress: bool,
}

impl LoadConfig {
    /// Defaults for `addr`: one registered executor, 100 ids per request, one fetcher,
    /// one pass, no warm-up.
    pub fn new(addr: impl Into<String>) -> Self {
        Self {
            addr: addr.into(),
            app_id: "app-20260101000000-0001".to_owned(),
            exec_id: "1".to_owned(),
            register: true,
            mode: Mode::Blocks,
            ids_per_request: 100,
            reduces_per_id: 100,
            concurrency: 1,
            warmup: Duration::ZERO,
            duration: None,
            server_pid: None,
            progress: false,
        }
    }
}

/// Request latency percentiles, milliseconds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Slowest.
    pub max: f64,
    /// Mean.
    pub mean: f64,
}

/// What the server process used during the measured phase.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ServerUsage {
    /// Its pid.
    pub pid: u32,
    /// `VmRSS` before the measured phase, MiB.
    pub rss_before_mib: f64,
    /// Largest `VmRSS` sampled (every 20 ms) during the measured phase, MiB.
    pub peak_rss_mib: f64,
    /// `VmHWM` (peak RSS since start) after the phase, MiB.
    pub hwm_mib: f64,
    /// User + system CPU seconds during the phase.
    pub cpu_s: f64,
    /// `cpu_s` per 10^9 bytes served.
    pub cpu_s_per_gb: f64,
}

/// The outcome of a run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Report {
    /// Request shape.
    pub mode: Option<Mode>,
    /// Bytes per block.
    pub block_size: usize,
    /// Block ids per request.
    pub ids_per_request: usize,
    /// Reduces per batch id (batch mode).
    pub reduces_per_id: Option<i32>,
    /// Concurrent fetchers.
    pub concurrency: usize,
    /// Measured wall time, seconds.
    pub seconds: f64,
    /// Requests completed.
    pub requests: u64,
    /// Blocks of `block_size` received (a batch id counts each reduce it covers).
    pub blocks: u64,
    /// Bytes received.
    pub bytes: u64,
    /// 10^6 bytes per second.
    pub mb_per_s: f64,
    /// Blocks per second.
    pub blocks_per_s: f64,
    /// Per-request latency: open the stream to last block received.
    pub latency_ms: Latency,
    /// The server's memory and CPU, if its pid was given.
    pub server: Option<ServerUsage>,
    /// CPU seconds of this (client) process during the phase.
    pub client_cpu_s: f64,
    /// Every block arrived, with the bytes that were written.
    pub verified: bool,
    /// The first errors (failed requests, mismatched bytes), at most 10.
    pub errors: Vec<String>,
}

impl Report {
    /// A human-readable summary.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let mode = match self.mode {
            Some(Mode::Batch) => format!(
                "batch, {} ids x {} reduces",
                self.ids_per_request,
                self.reduces_per_id.unwrap_or(0)
            ),
            _ => format!("{} ids/request", self.ids_per_request),
        };
        let _ = writeln!(
            s,
            "{} B blocks, {mode}, concurrency {}: {} requests in {:.2} s",
            self.block_size, self.concurrency, self.requests, self.seconds
        );
        let _ = writeln!(
            s,
            "  throughput   {:.1} MB/s, {:.0} blocks/s",
            self.mb_per_s, self.blocks_per_s
        );
        let l = &self.latency_ms;
        let _ = writeln!(
            s,
            "  latency ms   p50 {:.2}  p99 {:.2}  p999 {:.2}  max {:.2}",
            l.p50, l.p99, l.p999, l.max
        );
        if let Some(u) = &self.server {
            let _ = writeln!(
                s,
                "  server {}   rss {:.1} MiB before, peak {:.1} MiB (hwm {:.1}); cpu {:.2} s = {:.3} s/GB",
                u.pid, u.rss_before_mib, u.peak_rss_mib, u.hwm_mib, u.cpu_s, u.cpu_s_per_gb
            );
        }
        let _ = writeln!(s, "  client cpu   {:.2} s", self.client_cpu_s);
        if self.verified {
            let _ = writeln!(s, "  verified     every byte of {} blocks", self.blocks);
        } else {
            let _ = writeln!(s, "  NOT VERIFIED: {}", self.errors.join("; "));
        }
        s
    }
}

/// Errors of the load tool: messages for a person.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The requests of one pass over `layout`, in order.
pub fn plan(layout: &Layout, cfg: &LoadConfig) -> Result<Vec<Vec<String>>, Error> {
    let shape = layout.shape;
    let k = cfg.ids_per_request.max(1);
    let ids: Vec<String> = match cfg.mode {
        Mode::Blocks => (0..shape.reduces)
            .flat_map(|r| (0..shape.maps).map(move |m| (m, r)))
            .map(|(m, r)| layout.block_id(m, r))
            .collect(),
        Mode::Batch => {
            let per = cfg.reduces_per_id;
            if per <= 0 || shape.reduces % per != 0 {
                return Err(format!(
                    "reduces ({}) must be a multiple of reduces-per-id ({per})",
                    shape.reduces
                )
                .into());
            }
            if k as i64 > shape.maps {
                return Err(
                    "batch mode: ids per request must not exceed maps (one id per map)".into()
                );
            }
            (0..shape.reduces / per)
                .flat_map(|i| (0..shape.maps).map(move |m| (m, i * per)))
                .map(|(m, start)| layout.batch_id(m, start, start + per))
                .collect()
        }
    };
    let mut requests: Vec<Vec<String>> = ids.chunks(k).map(<[String]>::to_vec).collect();
    if cfg.mode == Mode::Batch {
        // A request may span two ranges; it must still name each map once.
        for r in &mut requests {
            let mut maps: Vec<&str> =
                r.iter().map(|id| id.rsplitn(3, '_').nth(2).unwrap_or("")).collect();
            maps.sort_unstable();
            maps.dedup();
            if maps.len() != r.len() {
                return Err("batch mode: maps must be a multiple of ids per request".into());
            }
        }
    }
    Ok(requests)
}

/// Registers (if asked), warms up, then measures `cfg` against `layout`.
pub async fn run(cfg: &LoadConfig, layout: Arc<Layout>) -> Result<Report, Error> {
    if cfg.register {
        ShuffleClient::new(client_config())
            .register_executor(cfg.addr.as_str(), &cfg.app_id, &cfg.exec_id, layout.executor_info())
            .await?;
    }
    let plan = Arc::new(plan(&layout, cfg)?);
    if plan.is_empty() {
        return Err("nothing to fetch".into());
    }
    if !cfg.warmup.is_zero() {
        drive(cfg, &layout, &plan, Some(cfg.warmup), false).await;
    }
    let before = cfg.server_pid.map(|pid| (pid, procstat::memory(pid), procstat::cpu_seconds(pid)));
    let sampler = cfg.server_pid.map(|pid| RssSampler::start(pid, Duration::from_millis(20)));
    let client_cpu0 = procstat::own_cpu_seconds();
    let stats = drive(cfg, &layout, &plan, cfg.duration, cfg.progress).await;
    let client_cpu_s = procstat::own_cpu_seconds() - client_cpu0;
    let peak = sampler.map(RssSampler::finish);
    let server = before.map(|(pid, mem0, cpu0)| {
        let cpu_s = match (cpu0, procstat::cpu_seconds(pid)) {
            (Some(a), Some(b)) => b - a,
            _ => f64::NAN,
        };
        let hwm = procstat::memory(pid).map_or(0, |m| m.hwm);
        ServerUsage {
            pid,
            rss_before_mib: mib(mem0.map_or(0, |m| m.rss)),
            peak_rss_mib: mib(peak.unwrap_or(0)),
            hwm_mib: mib(hwm),
            cpu_s,
            cpu_s_per_gb: cpu_s / (stats.bytes as f64 / 1e9),
        }
    });
    let seconds = stats.elapsed.as_secs_f64();
    let mut latencies = stats.latencies;
    latencies.sort_unstable();
    let pct = |q: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let i = ((q * latencies.len() as f64).ceil() as usize).clamp(1, latencies.len()) - 1;
        ms(latencies[i])
    };
    let mean = if latencies.is_empty() {
        0.0
    } else {
        latencies.iter().map(|d| ms(*d)).sum::<f64>() / latencies.len() as f64
    };
    Ok(Report {
        mode: Some(cfg.mode),
        block_size: layout.shape.block_size,
        ids_per_request: cfg.ids_per_request,
        reduces_per_id: (cfg.mode == Mode::Batch).then_some(cfg.reduces_per_id),
        concurrency: cfg.concurrency,
        seconds,
        requests: latencies.len() as u64,
        blocks: stats.blocks,
        bytes: stats.bytes,
        mb_per_s: stats.bytes as f64 / 1e6 / seconds,
        blocks_per_s: stats.blocks as f64 / seconds,
        latency_ms: Latency {
            p50: pct(0.5),
            p99: pct(0.99),
            p999: pct(0.999),
            max: latencies.last().map_or(0.0, |d| ms(*d)),
            mean,
        },
        server,
        client_cpu_s,
        verified: stats.errors.is_empty() && stats.blocks > 0,
        errors: stats.errors,
    })
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The client settings of every fetcher: no retries, so that a failure is seen, not hidden.
fn client_config() -> ClientConfig {
    ClientConfig {
        max_retries: 0,
        request_timeout: Duration::from_secs(60),
        connect_timeout: Duration::from_secs(10),
        ..ClientConfig::default()
    }
}

#[derive(Debug, Default)]
struct Stats {
    elapsed: Duration,
    latencies: Vec<Duration>,
    blocks: u64,
    bytes: u64,
    errors: Vec<String>,
}

/// Shared between the fetchers of one phase.
#[derive(Debug, Default)]
struct Progress {
    next: AtomicUsize,
    blocks: AtomicU64,
    bytes: AtomicU64,
    failed: AtomicBool,
    errors: Mutex<Vec<String>>,
}

impl Progress {
    fn error(&self, e: String) {
        self.failed.store(true, Ordering::Relaxed);
        if let Ok(mut errors) = self.errors.lock() {
            if errors.len() < 10 {
                errors.push(e);
            }
        }
    }
}

/// Runs the fetchers until `duration` has passed (or one pass if `None`) or the first error.
async fn drive(
    cfg: &LoadConfig,
    layout: &Arc<Layout>,
    plan: &Arc<Vec<Vec<String>>>,
    duration: Option<Duration>,
    show_progress: bool,
) -> Stats {
    let progress = Arc::new(Progress::default());
    let started = Instant::now();
    let deadline = duration.map(|d| started + d);
    let covered = match cfg.mode {
        Mode::Blocks => 1,
        Mode::Batch => cfg.reduces_per_id.max(1) as u64,
    };
    let mut tasks = Vec::new();
    for _ in 0..cfg.concurrency.max(1) {
        let (progress, layout, plan) = (progress.clone(), layout.clone(), plan.clone());
        let (addr, app, exec) = (cfg.addr.clone(), cfg.app_id.clone(), cfg.exec_id.clone());
        tasks.push(tokio::spawn(async move {
            let client = ShuffleClient::new(client_config());
            let mut latencies = Vec::new();
            loop {
                if progress.failed.load(Ordering::Relaxed) {
                    break;
                }
                let i = progress.next.fetch_add(1, Ordering::Relaxed);
                match deadline {
                    None if i >= plan.len() => break,
                    Some(d) if Instant::now() >= d => break,
                    _ => {}
                }
                let ids = plan[i % plan.len()].clone();
                let expected = ids.len();
                let t0 = Instant::now();
                let mut got = 0;
                let mut stream = client.fetch_blocks(addr.as_str(), &app, &exec, ids);
                while let Some(item) = stream.next().await {
                    match item {
                        Ok((id, bytes)) => {
                            if let Err(e) = layout.verify(&id, &bytes) {
                                progress.error(e);
                            }
                            got += 1;
                            progress.blocks.fetch_add(covered, Ordering::Relaxed);
                            progress.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                        }
                        Err(e) => progress.error(format!("request {i}: {e}")),
                    }
                }
                latencies.push(t0.elapsed());
                if got != expected {
                    progress.error(format!("request {i}: {got} of {expected} blocks"));
                }
            }
            latencies
        }));
    }
    let ticker = (show_progress && std::io::stderr().is_terminal()).then(|| {
        let progress = progress.clone();
        let plan_len = plan.len();
        let total = duration.map_or(plan_len as f64, |d| d.as_secs_f64());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                let secs = started.elapsed().as_secs_f64();
                let done = match duration {
                    Some(_) => secs,
                    None => progress.next.load(Ordering::Relaxed).min(plan_len) as f64,
                };
                let bytes = progress.bytes.load(Ordering::Relaxed) as f64;
                let width = 30;
                let filled = ((done / total).min(1.0) * width as f64) as usize;
                eprint!(
                    "\r[{}{}] {:5.1} s {:8.1} MB {:8.1} MB/s {:9} blocks ",
                    "#".repeat(filled),
                    " ".repeat(width - filled),
                    secs,
                    bytes / 1e6,
                    bytes / 1e6 / secs,
                    progress.blocks.load(Ordering::Relaxed)
                );
            }
        })
    });
    let mut latencies = Vec::new();
    for task in tasks {
        match task.await {
            Ok(l) => latencies.extend(l),
            Err(e) => progress.error(format!("fetcher task: {e}")),
        }
    }
    let elapsed = started.elapsed();
    if let Some(ticker) = ticker {
        ticker.abort();
        eprintln!();
    }
    let errors = progress.errors.lock().map(|e| e.clone()).unwrap_or_default();
    Stats {
        elapsed,
        latencies,
        blocks: progress.blocks.load(Ordering::Relaxed),
        bytes: progress.bytes.load(Ordering::Relaxed),
        errors,
    }
}
