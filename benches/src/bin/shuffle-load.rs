//! `shuffle-load`: drives a shuffle service (ours or Spark's) with concurrent fetchers over a
//! generated Spark-layout shuffle (`run`), or compares our daemon with Spark's JVM service
//! (`compare`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use shuffle_benches::compare::{self, CompareConfig};
use shuffle_benches::layout::{Layout, Shape};
use shuffle_benches::load::{self, Error, LoadConfig, Mode};

#[derive(Debug, Parser)]
#[command(name = "shuffle-load", about = "Load tool for Spark 3.5 external shuffle services")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Write a shuffle into --dir, register it with the service at --addr, fetch with
    /// --concurrency fetchers, verify every byte, report.
    Run(RunArgs),
    /// Start Spark 3.5.6's JVM ExternalShuffleService and our daemon, run the same
    /// workloads on both alternately, write results.json and results.md.
    Compare(CompareArgs),
}

#[derive(Debug, Args)]
struct RunArgs {
    /// The service, host:port.
    #[arg(long, default_value = "127.0.0.1:7337")]
    addr: String,
    /// Directory for the shuffle files (reused if it already holds the same shape).
    #[arg(long)]
    dir: PathBuf,
    /// Map outputs.
    #[arg(long, default_value_t = 100)]
    maps: i64,
    /// Reduce partitions (blocks) per map output.
    #[arg(long, default_value_t = 1000)]
    reduces: i32,
    /// Bytes per block.
    #[arg(long, default_value_t = 4096)]
    block_size: usize,
    /// Request shape.
    #[arg(long, value_enum, default_value_t = Mode::Blocks)]
    mode: Mode,
    /// Block ids per FetchShuffleBlocks request (batch mode: maps per request).
    #[arg(long, short = 'k', default_value_t = 100)]
    ids_per_request: usize,
    /// Batch mode: consecutive reduces per batch block id.
    #[arg(long, default_value_t = 100)]
    reduces_per_id: i32,
    /// Concurrent fetchers, one connection each.
    #[arg(long, short = 'c', default_value_t = 1)]
    concurrency: usize,
    /// Measure for this many seconds, cycling through the shuffle (default: one pass).
    #[arg(long)]
    duration: Option<f64>,
    /// Unmeasured seconds of the same load first.
    #[arg(long, default_value_t = 0.0)]
    warmup: f64,
    /// Server process whose RSS (/proc/PID/status) and CPU time (/proc/PID/stat) to report.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Application id to register under.
    #[arg(long, default_value = "app-20260101000000-0001")]
    app_id: String,
    /// Executor id to register under.
    #[arg(long, default_value = "1")]
    exec_id: String,
    /// Do not send RegisterExecutor (the executor is already registered).
    #[arg(long)]
    no_register: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(Debug, Args)]
struct CompareArgs {
    /// Where results.json and results.md go.
    #[arg(long, default_value = "docs/benchmarks")]
    out_dir: PathBuf,
    /// Where the shuffle files go (about 1.5 GB; reused between runs).
    #[arg(long, default_value = "target/bench-data")]
    data_dir: PathBuf,
    /// Spark 3.5.6 jars (default: $SPARK_JARS_DIR or .venv's pyspark/jars).
    #[arg(long)]
    jars: Option<PathBuf>,
    /// The java binary (default: $JAVA_HOME/bin/java or java).
    #[arg(long)]
    java: Option<PathBuf>,
    /// Our shuffle-server binary (default: next to this binary).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// JVM heap, -Xmx (Spark's SPARK_DAEMON_MEMORY default).
    #[arg(long, default_value = "1g")]
    jvm_heap: String,
    /// Measured seconds per run.
    #[arg(long, default_value_t = 6.0)]
    duration: f64,
    /// Unmeasured warm-up seconds before each run.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Rounds; each restarts both services and runs every workload on both (the warm 4 KiB
    /// layout runs repeat once per round).
    #[arg(long, default_value_t = 2)]
    rounds: usize,
    /// Tiny shapes and short runs: checks the machinery in well under a minute.
    #[arg(long)]
    quick: bool,
    /// Skip the runs with Spark's own client (benches/java/SparkLoad.java, needs javac).
    #[arg(long)]
    no_spark_client: bool,
    /// Map outputs on the host for the layout sweep (Spark's client, one connection);
    /// empty for none. Quick mode: 10,50.
    #[arg(long, value_delimiter = ',', default_value = "10,500,5000,50000")]
    layouts: Vec<i64>,
    /// Also run the 4 KiB layouts from a cold page cache (drops it: needs root).
    #[arg(long)]
    cold: bool,
    /// Largest shuffle written for a 2 MiB layout, GB (10^9 B).
    #[arg(long, default_value_t = 12.0)]
    max_layout_gb: f64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("shuffle-load: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Cmd::Run(args) => run(args).await,
            Cmd::Compare(args) => compare(args).await,
        }
    });
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(3),
        Err(e) => {
            eprintln!("shuffle-load: {e}");
            ExitCode::FAILURE
        }
    }
}

fn secs(s: f64) -> Result<Duration, Error> {
    Duration::try_from_secs_f64(s).map_err(|e| format!("{s} s: {e}").into())
}

async fn run(a: RunArgs) -> Result<bool, Error> {
    let shape = Shape::new(a.maps, a.reduces, a.block_size);
    eprintln!(
        "shuffle-load: {} maps x {} reduces x {} B = {:.1} MB in {}",
        a.maps,
        a.reduces,
        a.block_size,
        shape.total_bytes() as f64 / 1e6,
        a.dir.display()
    );
    let layout = Arc::new(Layout::create(&a.dir, shape)?);
    layout.warm()?;
    let mut cfg = LoadConfig::new(a.addr);
    cfg.app_id = a.app_id;
    cfg.exec_id = a.exec_id;
    cfg.register = !a.no_register;
    cfg.mode = a.mode;
    cfg.ids_per_request = a.ids_per_request;
    cfg.reduces_per_id = a.reduces_per_id;
    cfg.concurrency = a.concurrency;
    cfg.warmup = secs(a.warmup)?;
    cfg.duration = a.duration.map(secs).transpose()?;
    cfg.server_pid = a.server_pid;
    cfg.progress = !a.quiet;
    let report = load::run(&cfg, layout).await?;
    print!("{}", report.to_text());
    if let Some(path) = a.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    Ok(report.verified)
}

async fn compare(a: CompareArgs) -> Result<bool, Error> {
    let repo =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().map(PathBuf::from).unwrap_or_default();
    let jars = a
        .jars
        .or_else(|| compare::default_jars(&repo))
        .ok_or("no Spark jars: pass --jars or run scripts/setup.sh")?;
    let java = a.java.unwrap_or_else(|| match std::env::var_os("JAVA_HOME") {
        Some(home) if !home.is_empty() => PathBuf::from(home).join("bin").join("java"),
        _ => PathBuf::from("java"),
    });
    let server_bin = match a.server_bin {
        Some(p) => p,
        None => std::env::current_exe()?
            .parent()
            .ok_or("no directory of this binary")?
            .join("shuffle-server"),
    };
    if !server_bin.is_file() {
        return Err(format!(
            "{} not found: cargo build --release -p shuffle-server",
            server_bin.display()
        )
        .into());
    }
    let cfg = CompareConfig {
        out_dir: a.out_dir,
        data_dir: a.data_dir,
        jars,
        java,
        server_bin,
        jvm_heap: a.jvm_heap,
        duration: secs(if a.quick { a.duration.min(1.0) } else { a.duration })?,
        warmup: secs(if a.quick { a.warmup.min(0.2) } else { a.warmup })?,
        rounds: if a.quick { 1 } else { a.rounds.max(1) },
        quick: a.quick,
        spark_client: !a.no_spark_client,
        layouts: if a.quick {
            vec![10, 50]
        } else {
            a.layouts.into_iter().filter(|&m| m > 0).collect()
        },
        cold: a.cold,
        max_layout_bytes: (a.max_layout_gb * 1e9) as u64,
    };
    let results = compare::run(&cfg).await?;
    print!("{}", compare::markdown(&results));
    eprintln!("shuffle-load: wrote {}/results.{{json,md}}", cfg.out_dir.display());
    Ok(true)
}
