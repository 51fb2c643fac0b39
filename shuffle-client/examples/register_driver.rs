//! Registers a driver with a (Mesos) shuffle service and keeps it alive with heartbeats
//! until Ctrl-C or for a given number of seconds.
//!
//! ```text
//! cargo run -p shuffle-client --example register_driver -- HOST:PORT APP_ID \
//!     [HEARTBEAT_TIMEOUT_SECS (120)] [INTERVAL_SECS (10)] [RUN_SECS (forever)]
//! ```
//!
//! The service forgets the application (and deletes its executors' shuffle files) once no
//! heartbeat arrived for the timeout, so stopping this program is how an application ends.

use std::process::ExitCode;
use std::time::Duration;

use shuffle_client::{ClientConfig, ShuffleClient};

const USAGE: &str = "usage: register_driver HOST:PORT APP_ID [HEARTBEAT_TIMEOUT_SECS] \
                     [INTERVAL_SECS] [RUN_SECS]";

/// The optional numeric argument at `index`, or `default`; `None` if it does not parse.
fn seconds(args: &[String], index: usize, default: Option<u64>) -> Option<Option<u64>> {
    match args.get(index) {
        None => Some(default),
        Some(arg) => arg.parse().ok().map(Some),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = (|| {
        let addr = args.first()?.clone();
        let app_id = args.get(1)?.clone();
        let timeout = seconds(&args, 2, Some(120))?.unwrap_or(120);
        let interval = seconds(&args, 3, Some(10))?.unwrap_or(10).max(1);
        let run_for = seconds(&args, 4, None)?;
        Some((addr, app_id, timeout, interval, run_for))
    })();
    let Some((addr, app_id, timeout, interval, run_for)) = parsed else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };

    let config = ClientConfig {
        driver_heartbeat_interval: Duration::from_secs(interval),
        ..ClientConfig::default()
    };
    let client = ShuffleClient::new(config);
    let registration =
        match client.register_driver(&addr, &app_id, Duration::from_secs(timeout)).await {
            Ok(registration) => registration,
            Err(e) => {
                eprintln!("registering driver of {app_id} with {addr}: {e}");
                return ExitCode::FAILURE;
            }
        };
    println!("registered {app_id} with {addr} (timeout {timeout} s, heartbeat every {interval} s)");

    let mut report = tokio::time::interval(Duration::from_secs(interval));
    let stop = async {
        match run_for {
            Some(secs) => tokio::time::sleep(Duration::from_secs(secs)).await,
            None => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    };
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => break,
            _ = report.tick() => println!(
                "heartbeats sent: {}, registrations: {}",
                registration.heartbeats_sent(),
                registration.registrations()
            ),
        }
    }
    let sent = registration.heartbeats_sent();
    registration.close().await;
    println!("stopped after {sent} heartbeats");
    ExitCode::SUCCESS
}
