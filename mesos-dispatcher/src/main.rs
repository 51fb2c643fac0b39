//! `mesos-dispatcher`: Spark 3.5.6's `MesosClusterDispatcher`: the REST submission API and the
//! Mesos framework launching the submitted drivers, sharing one in-memory queue.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use mesos_dispatcher::config::{parse_args, Command, USAGE};
use mesos_dispatcher::queue::DriverQueue;
use mesos_dispatcher::rest::{serve, Limits};
use mesos_dispatcher::runtime::Settings;
use mesos_dispatcher::{webui, Error};
use tracing::info;

fn main() -> ExitCode {
    let env = |key: &str| std::env::var(key).ok();
    let config = match parse_args(std::env::args().skip(1), &env) {
        Ok(Command::Run(config)) => config,
        Ok(Command::Help) => {
            eprint!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{e}");
            eprint!("{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    let filter = if config.verbose { "debug" } else { "info" };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    let queue_config = match config.queue_config() {
        Ok(q) => q,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime =
        match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
            Ok(runtime) => runtime,
            Err(e) => {
                eprintln!("starting the runtime: {e}");
                return ExitCode::FAILURE;
            }
        };
    let settings = match Settings::from_config(&config, &env) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        let addr = format!("{}:{}", config.host, config.port);
        let listener = tokio::net::TcpListener::bind(&addr).await.map_err(|source| Error::Serve { addr: addr.clone(), source })?;
        let bound = listener.local_addr().map_err(|source| Error::Serve { addr: addr.clone(), source })?;
        // Not ready until the framework registers: REST refuses requests until then, as Spark.
        let queue = Arc::new(Mutex::new(DriverQueue::new(queue_config)));
        info!(%bound, master = %config.master, name = %config.name, "Started REST server for submitting applications");
        let webui_addr = format!("{}:{}", config.host, config.webui_port);
        let webui = tokio::net::TcpListener::bind(&webui_addr)
            .await
            .map_err(|source| Error::WebUi { addr: webui_addr.clone(), source })?;
        let webui_bound = webui.local_addr().map_err(|source| Error::WebUi { addr: webui_addr, source })?;
        info!(webui = %webui_bound, "Started web UI");
        tokio::spawn(webui::serve(webui, Arc::clone(&queue), webui::Limits::default(), std::future::pending()));
        tokio::select! {
            served = serve(listener, Arc::clone(&queue), Limits::default(), shutdown_signal()) => {
                served.map_err(|source| Error::Serve { addr, source })
            }
            ran = mesos_dispatcher::runtime::run(settings, queue) => ran,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM (how service managers stop it).
async fn shutdown_signal() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
    info!("stopping");
}
