//! `sendfile-loop`: the machine's ceiling for serving a file over loopback, with no
//! protocol: sendfile(2) of a page-cached file to clients that read and discard it.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use shuffle_benches::sendfile;

#[derive(Debug, Parser)]
#[command(name = "sendfile-loop", about = "sendfile(2) over loopback: the serving ceiling")]
struct Cli {
    /// File to send; created with --size-mib pseudo-random bytes if missing.
    #[arg(long, default_value = "target/sendfile-loop.bin")]
    file: PathBuf,
    /// Size of the file created when missing, MiB.
    #[arg(long, default_value_t = 256)]
    size_mib: usize,
    /// Seconds to send for.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Parallel connections.
    #[arg(long, short = 'c', default_value_t = 1)]
    connections: usize,
    /// The client takes a CRC-32 of everything it reads (as the load tool verifies).
    #[arg(long)]
    checksum: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let run = || -> Result<String, Box<dyn std::error::Error>> {
        if !cli.file.is_file() {
            sendfile::write_file(&cli.file, cli.size_mib << 20)?;
        }
        let r = sendfile::measure(
            &cli.file,
            Duration::try_from_secs_f64(cli.seconds)?,
            cli.connections,
            cli.checksum,
        )?;
        Ok(if cli.json {
            serde_json::to_string_pretty(&r)?
        } else {
            format!(
                "{:.2} GB/s, sender {:.3} CPU-s/GB ({} bytes in {:.2} s over {} connection(s){})",
                r.gb_per_s,
                r.sender_cpu_s_per_gb,
                r.bytes,
                r.seconds,
                r.connections,
                if r.checksum { ", client CRC-32" } else { "" }
            )
        })
    };
    match run() {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sendfile-loop: {e}");
            ExitCode::FAILURE
        }
    }
}
