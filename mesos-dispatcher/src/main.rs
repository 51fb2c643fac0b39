//! `mesos-dispatcher`: Spark 3.5.6's `MesosClusterDispatcher` command line, serving the REST
//! submission API with an in-memory queue (launching on Mesos comes with the Mesos half).

use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use mesos_dispatcher::config::{parse_args, Command, USAGE};
use mesos_dispatcher::queue::DriverQueue;
use mesos_dispatcher::rest::{serve, Limits};
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
    let result = runtime.block_on(async move {
        let addr = format!("{}:{}", config.host, config.port);
        let listener = tokio::net::TcpListener::bind(&addr).await.map_err(|source| Error::Serve { addr: addr.clone(), source })?;
        let bound = listener.local_addr().map_err(|source| Error::Serve { addr: addr.clone(), source })?;
        let mut queue = DriverQueue::new(queue_config);
        // No Mesos connection yet: the queue takes submissions from the start. With the Mesos
        // half, registration with the master will mark it ready instead.
        queue.mark_registered();
        info!(%bound, master = %config.master, name = %config.name, "Started REST server for submitting applications");
        let shutdown = async {
            // SIGTERM is how service managers stop it; SIGINT is Ctrl-C.
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
        };
        let queue = Arc::new(Mutex::new(queue));
        let webui_addr = format!("{}:{}", config.host, config.webui_port);
        let webui = tokio::net::TcpListener::bind(&webui_addr)
            .await
            .map_err(|source| Error::WebUi { addr: webui_addr.clone(), source })?;
        let webui_bound = webui.local_addr().map_err(|source| Error::WebUi { addr: webui_addr, source })?;
        info!(webui = %webui_bound, "Started web UI");
        tokio::spawn(webui::serve(webui, Arc::clone(&queue), webui::Limits::default(), std::future::pending()));
        serve(listener, queue, Limits::default(), shutdown)
            .await
            .map_err(|source| Error::Serve { addr, source })
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
