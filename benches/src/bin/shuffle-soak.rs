//! `shuffle-soak`: runs our daemon under mixed traffic (fetches, registrations, removals,
//! garbage) for a fixed time, kills it with SIGKILL halfway and restarts it, sampling its
//! memory and descriptors (`docs/soak.md`). Samples go to stderr as JSON lines; the report
//! to stdout as Markdown and to `<dir>/report.json`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use shuffle_benches::soak::{self, SoakConfig};

#[derive(Debug, Parser)]
#[command(name = "shuffle-soak", about = "Soak run of the shuffle-server daemon")]
struct Cli {
    /// The shuffle-server binary (build it with --release first).
    #[arg(long, default_value = "target/release/shuffle-server")]
    binary: PathBuf,
    /// Work directory (shuffle files, churn dirs, daemon state and log).
    #[arg(long, default_value = "target/soak")]
    dir: PathBuf,
    /// Run time in seconds; the daemon is killed and restarted at half of it.
    #[arg(long, default_value_t = 1800)]
    seconds: u64,
    /// Concurrent fetchers.
    #[arg(long, default_value_t = 8)]
    fetchers: usize,
    /// Seconds between samples.
    #[arg(long, default_value_t = 5)]
    sample_every: u64,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = SoakConfig {
        binary: cli.binary,
        dir: cli.dir,
        duration: Duration::from_secs(cli.seconds),
        fetchers: cli.fetchers,
        sample_every: Duration::from_secs(cli.sample_every),
    };
    let report = match soak::run(&config).await {
        Ok(report) => report,
        Err(e) => {
            eprintln!("shuffle-soak: {e}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", soak::markdown(&report));
    for error in &report.first_errors {
        println!("error: {error}");
    }
    match serde_json::to_vec_pretty(&report) {
        Ok(json) => {
            if let Err(e) = std::fs::write(config.dir.join("report.json"), json) {
                eprintln!("shuffle-soak: writing report.json: {e}");
            }
        }
        Err(e) => eprintln!("shuffle-soak: {e}"),
    }
    let t = &report.totals;
    if t.mismatches == 0 && t.errors_otherwise == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
