//! The soak run (`docs/soak.md`): our daemon as a child process under mixed traffic for a
//! fixed time, killed with SIGKILL halfway and restarted on the same port and state dir.
//!
//! Traffic, all at once until the end:
//! - fetchers pull plain and batch blocks of one long-lived executor over a [`Layout`] and
//!   check every byte against its CRC;
//! - a churn loop plays short applications: RegisterDriver, RegisterExecutor over a small
//!   dir of its own, RemoveBlocks of its `rdd_*` files, then the driver stops heartbeating
//!   and the daemon's cleaner removes the application and its dir;
//! - a garbage loop connects and sends bytes that are no valid frame (or a frame too long),
//!   then closes.
//!
//! Every few seconds the daemon's RSS and open descriptors are sampled. Fetch errors while
//! the daemon is down (from the kill until it serves again, plus a grace period) are counted
//! apart from errors at other times, which must be zero, as must byte mismatches.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use serde::Serialize;
use shuffle_client::{ClientConfig, ShuffleClient};
use shuffle_protocol::block_id::non_negative_hash;
use shuffle_protocol::shuffle::ExecutorShuffleInfo;
use tokio::io::AsyncWriteExt;

use crate::layout::{Layout, Shape, SORT_SHUFFLE_MANAGER, SUB_DIRS};
use crate::procstat;

/// Errors this close to a restart are the restart's.
const RESTART_GRACE: Duration = Duration::from_secs(5);

/// What to run.
#[derive(Debug, Clone)]
pub struct SoakConfig {
    /// The `shuffle-server` binary.
    pub binary: PathBuf,
    /// Work directory: the shuffle, churn dirs, the daemon's state and log.
    pub dir: PathBuf,
    /// Total run time; the kill comes at half of it.
    pub duration: Duration,
    /// Concurrent fetchers.
    pub fetchers: usize,
    /// Time between samples.
    pub sample_every: Duration,
}

/// One sample of the daemon process.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    /// Seconds since the start.
    pub at_secs: u64,
    /// 1 before the kill, 2 after the restart.
    pub life: u8,
    /// Resident memory, KiB.
    pub rss_kib: u64,
    /// Open file descriptors.
    pub fds: usize,
    /// Blocks verified so far.
    pub blocks_verified: u64,
    /// Applications the churn loop has run so far.
    pub apps_churned: u64,
}

/// Totals of a run.
#[derive(Debug, Default, Serialize)]
pub struct Totals {
    /// Fetch requests that succeeded.
    pub fetches: u64,
    /// Blocks received and checked against their CRC.
    pub blocks_verified: u64,
    /// Bytes of those blocks.
    pub bytes_verified: u64,
    /// Blocks whose bytes were wrong (must be 0).
    pub mismatches: u64,
    /// Failed requests while the daemon was down or just back.
    pub errors_around_restart: u64,
    /// Failed requests at any other time (must be 0).
    pub errors_otherwise: u64,
    /// Short applications registered, their blocks removed, and left to the cleaner.
    pub apps_churned: u64,
    /// `rdd_*` files the daemon deleted for RemoveBlocks.
    pub blocks_removed: u64,
    /// Connections that sent garbage.
    pub garbage_connections: u64,
    /// Seconds from the SIGKILL until the restarted daemon accepted a connection.
    pub restart_secs: f64,
}

/// What a run measured.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Samples over time.
    pub samples: Vec<Sample>,
    /// Totals.
    pub totals: Totals,
    /// The first few error and mismatch descriptions.
    pub first_errors: Vec<String>,
}

#[derive(Default)]
struct Counters {
    fetches: AtomicU64,
    blocks: AtomicU64,
    bytes: AtomicU64,
    mismatches: AtomicU64,
    errors_around_restart: AtomicU64,
    errors_otherwise: AtomicU64,
    apps: AtomicU64,
    removed: AtomicU64,
    garbage: AtomicU64,
}

/// Shared by the traffic loops.
struct Shared {
    addr: SocketAddr,
    client: ShuffleClient,
    layout: Layout,
    churn_root: PathBuf,
    counters: Counters,
    /// Set while the daemon is down; cleared [`RESTART_GRACE`] after it is back.
    restarting: AtomicBool,
    stop: AtomicBool,
    errors: Mutex<Vec<String>>,
}

impl Shared {
    fn failed(&self, what: &str, e: &dyn std::fmt::Display) {
        if self.restarting.load(Ordering::Relaxed) {
            self.counters.errors_around_restart.fetch_add(1, Ordering::Relaxed);
        } else {
            self.counters.errors_otherwise.fetch_add(1, Ordering::Relaxed);
            self.note(format!("{what}: {e}"));
        }
    }

    fn note(&self, error: String) {
        if let Ok(mut errors) = self.errors.lock() {
            if errors.len() < 20 {
                errors.push(error);
            }
        }
    }
}

/// Runs the soak and returns its report.
pub async fn run(config: &SoakConfig) -> io::Result<Report> {
    fs::create_dir_all(&config.dir)?;
    let layout = Layout::create(&config.dir.join("shuffle"), Shape::new(32, 64, 8 * 1024))?;
    // Registered dirs must be absolute; the work dir may be given relative.
    let churn_root = std::path::absolute(&config.dir)?.join("churn");
    fs::create_dir_all(&churn_root)?;
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut daemon = Daemon::start(config, port)?;
    wait_listening(addr).await?;

    let client = ShuffleClient::new(ClientConfig {
        retry_wait: Duration::from_millis(200),
        max_retries: 2,
        driver_heartbeat_interval: Duration::from_millis(500),
        ..ClientConfig::default()
    });
    client
        .register_executor(addr, "soak-app", "1", layout.executor_info())
        .await
        .map_err(io::Error::other)?;
    let shared = Arc::new(Shared {
        addr,
        client,
        layout,
        churn_root,
        counters: Counters::default(),
        restarting: AtomicBool::new(false),
        stop: AtomicBool::new(false),
        errors: Mutex::new(Vec::new()),
    });
    let mut tasks = Vec::new();
    for seed in 0..config.fetchers {
        tasks.push(tokio::spawn(fetch_loop(shared.clone(), seed as u64 + 1)));
    }
    tasks.push(tokio::spawn(churn_loop(shared.clone())));
    tasks.push(tokio::spawn(garbage_loop(shared.clone())));

    let started = Instant::now();
    let kill_at = config.duration / 2;
    let mut samples = Vec::new();
    let mut life = 1;
    let mut restart_secs = 0.0;
    while started.elapsed() < config.duration {
        tokio::time::sleep(config.sample_every).await;
        if life == 1 && started.elapsed() >= kill_at {
            shared.restarting.store(true, Ordering::Relaxed);
            let killed = Instant::now();
            daemon.kill9();
            daemon = Daemon::start(config, port)?;
            wait_listening(addr).await?;
            restart_secs = killed.elapsed().as_secs_f64();
            life = 2;
            let flag = shared.clone();
            tokio::spawn(async move {
                tokio::time::sleep(RESTART_GRACE).await;
                flag.restarting.store(false, Ordering::Relaxed);
            });
        }
        let pid = daemon.child.id();
        let sample = Sample {
            at_secs: started.elapsed().as_secs(),
            life,
            rss_kib: procstat::memory(pid).map_or(0, |m| m.rss / 1024),
            fds: fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count),
            blocks_verified: shared.counters.blocks.load(Ordering::Relaxed),
            apps_churned: shared.counters.apps.load(Ordering::Relaxed),
        };
        eprintln!("{}", serde_json::to_string(&sample).map_err(io::Error::other)?);
        samples.push(sample);
    }
    shared.stop.store(true, Ordering::Relaxed);
    for task in tasks {
        let _ = task.await;
    }
    daemon.terminate();

    let c = &shared.counters;
    let totals = Totals {
        fetches: c.fetches.load(Ordering::Relaxed),
        blocks_verified: c.blocks.load(Ordering::Relaxed),
        bytes_verified: c.bytes.load(Ordering::Relaxed),
        mismatches: c.mismatches.load(Ordering::Relaxed),
        errors_around_restart: c.errors_around_restart.load(Ordering::Relaxed),
        errors_otherwise: c.errors_otherwise.load(Ordering::Relaxed),
        apps_churned: c.apps.load(Ordering::Relaxed),
        blocks_removed: c.removed.load(Ordering::Relaxed),
        garbage_connections: c.garbage.load(Ordering::Relaxed),
        restart_secs,
    };
    let first_errors = shared.errors.lock().map(|e| e.clone()).unwrap_or_default();
    Ok(Report { samples, totals, first_errors })
}

/// Plain and batch fetches of random blocks, every byte checked.
async fn fetch_loop(shared: Arc<Shared>, seed: u64) {
    let mut rng = XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let shape = shared.layout.shape;
    while !shared.stop.load(Ordering::Relaxed) {
        let ids: Vec<String> = if rng.below(4) == 0 {
            let m = rng.below(shape.maps as u64) as i64;
            let start = rng.below(shape.reduces as u64 - 1) as i32;
            let end = start + 1 + rng.below((shape.reduces - start) as u64) as i32;
            vec![shared.layout.batch_id(m, start, end)]
        } else {
            let r = rng.below(shape.reduces as u64) as i32;
            (0..1 + rng.below(20))
                .map(|_| shared.layout.block_id(rng.below(shape.maps as u64) as i64, r))
                .collect()
        };
        let fetched: Result<Vec<(String, bytes::Bytes)>, _> =
            shared.client.fetch_blocks(shared.addr, "soak-app", "1", ids).try_collect().await;
        match fetched {
            Ok(blocks) => {
                shared.counters.fetches.fetch_add(1, Ordering::Relaxed);
                for (id, data) in blocks {
                    match shared.layout.verify(&id, &data) {
                        Ok(()) => {
                            shared.counters.blocks.fetch_add(1, Ordering::Relaxed);
                            shared.counters.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
                        }
                        Err(e) => {
                            shared.counters.mismatches.fetch_add(1, Ordering::Relaxed);
                            shared.note(e);
                        }
                    }
                }
            }
            Err(e) => {
                shared.failed("fetch", &e);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Short applications: driver registered, executor registered over a dir of its own,
/// `rdd_*` blocks removed, driver gone; the cleaner removes the rest.
async fn churn_loop(shared: Arc<Shared>) {
    let mut n = 0u64;
    while !shared.stop.load(Ordering::Relaxed) {
        n += 1;
        let app = format!("soak-churn-{n}");
        if let Err(e) = churn_once(&shared, &app).await {
            shared.failed("churn", &e);
        } else {
            shared.counters.apps.fetch_add(1, Ordering::Relaxed);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn churn_once(shared: &Shared, app: &str) -> Result<(), String> {
    let local_dir = shared.churn_root.join(app).join("blockmgr-churn");
    let blocks: Vec<String> = (0..3).map(|p| format!("rdd_7_{p}")).collect();
    for block in &blocks {
        let sub = local_dir.join(format!("{:02x}", non_negative_hash(block) % SUB_DIRS));
        fs::create_dir_all(&sub).map_err(|e| e.to_string())?;
        fs::write(sub.join(block), b"cached partition").map_err(|e| e.to_string())?;
    }
    let driver = shared
        .client
        .register_driver(shared.addr, app, Duration::from_secs(1))
        .await
        .map_err(|e| e.to_string())?;
    let info = ExecutorShuffleInfo {
        local_dirs: vec![local_dir.to_string_lossy().into_owned()],
        sub_dirs_per_local_dir: SUB_DIRS,
        shuffle_manager: SORT_SHUFFLE_MANAGER.to_owned(),
    };
    let result = async {
        shared.client.register_executor(shared.addr, app, "1", info).await?;
        shared.client.remove_blocks(shared.addr, app, "1", blocks).await
    }
    .await;
    driver.close().await;
    let removed = result.map_err(|e| e.to_string())?;
    if removed != 3 {
        return Err(format!("{app}: RemoveBlocks removed {removed} of 3"));
    }
    shared.counters.removed.fetch_add(3, Ordering::Relaxed);
    Ok(())
}

/// Connections that send what no valid client sends, then close.
async fn garbage_loop(shared: Arc<Shared>) {
    let mut rng = XorShift(0x5EED);
    let mut junk = vec![0u8; 512];
    while !shared.stop.load(Ordering::Relaxed) {
        for b in &mut junk {
            *b = rng.below(256) as u8;
        }
        if rng.below(2) == 0 {
            // A frame header claiming far more than the daemon's frame limit.
            junk[..8].copy_from_slice(&(1u64 << 40).to_be_bytes());
        }
        if let Ok(mut socket) = tokio::net::TcpStream::connect(shared.addr).await {
            let _ = socket.write_all(&junk).await;
            let _ = socket.shutdown().await;
            shared.counters.garbage.fetch_add(1, Ordering::Relaxed);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until `addr` accepts a connection (at most a minute).
async fn wait_listening(addr: SocketAddr) -> io::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match tokio::net::TcpStream::connect(addr).await {
            Ok(_) => return Ok(()),
            Err(e) if Instant::now() > deadline => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// The daemon child, its log appended to `<dir>/daemon.log`.
struct Daemon {
    child: Child,
}

impl Daemon {
    fn start(config: &SoakConfig, port: u16) -> io::Result<Self> {
        let log =
            fs::OpenOptions::new().create(true).append(true).open(config.dir.join("daemon.log"))?;
        let child = Command::new(&config.binary)
            .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--state-dir"])
            .arg(config.dir.join("state"))
            .args(["--conf", "spark.shuffle.cleaner.interval=2s"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()?;
        Ok(Self { child })
    }

    fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn terminate(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

/// A small deterministic generator: the traffic needs variety, not statistics.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// The report as Markdown: totals, then RSS and descriptors per minute.
pub fn markdown(report: &Report) -> String {
    let t = &report.totals;
    let mut out = String::new();
    out.push_str("| total | value |\n|---|---|\n");
    for (name, value) in [
        ("fetch requests served", t.fetches.to_string()),
        ("blocks verified (CRC-32)", t.blocks_verified.to_string()),
        ("MiB verified", (t.bytes_verified >> 20).to_string()),
        ("byte mismatches", t.mismatches.to_string()),
        ("failed requests around the restart", t.errors_around_restart.to_string()),
        ("failed requests otherwise", t.errors_otherwise.to_string()),
        (
            "applications churned (driver, executor, RemoveBlocks, cleanup)",
            t.apps_churned.to_string(),
        ),
        ("rdd files removed", t.blocks_removed.to_string()),
        ("garbage connections", t.garbage_connections.to_string()),
        ("SIGKILL to serving again", format!("{:.2} s", t.restart_secs)),
    ] {
        let _ = writeln!(out, "| {name} | {value} |");
    }
    out.push_str("\n| minute | life | RSS MiB | open fds | blocks verified | apps churned |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    let mut last_minute = None;
    for s in &report.samples {
        let minute = s.at_secs / 60;
        if last_minute == Some(minute) {
            continue;
        }
        last_minute = Some(minute);
        let _ = writeln!(
            out,
            "| {minute} | {} | {:.1} | {} | {} | {} |",
            s.life,
            s.rss_kib as f64 / 1024.0,
            s.fds,
            s.blocks_verified,
            s.apps_churned
        );
    }
    out
}
