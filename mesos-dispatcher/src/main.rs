//! `mesos-dispatcher`: Spark 3.5.6's `MesosClusterDispatcher` command line, serving the REST
//! submission API with an in-memory queue (launching on Mesos comes with the Mesos half).

use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use mesos_dispatcher::config::{parse_args, Command, USAGE};
use mesos_dispatcher::rest::{serve, Limits};
use mesos_dispatcher::store::{Persistence, StoreConfig};
use mesos_dispatcher::Error;
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
    let (queue_config, store_config) = match config
        .queue_config()
        .and_then(|q| Ok((q, StoreConfig::from_conf(&config.conf, &env)?)))
    {
        Ok(configs) => configs,
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
        // The state is back before the first request is accepted.
        let (persistence, mut queue) = Persistence::open(&store_config, queue_config).await?;
        let addr = format!("{}:{}", config.host, config.port);
        let listener = tokio::net::TcpListener::bind(&addr).await.map_err(|source| Error::Serve { addr: addr.clone(), source })?;
        let bound = listener.local_addr().map_err(|source| Error::Serve { addr: addr.clone(), source })?;
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
        serve(listener, Arc::new(Mutex::new(queue)), persistence, Limits::default(), shutdown)
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
