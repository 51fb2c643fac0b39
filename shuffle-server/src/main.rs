//! `shuffle-server`: raises its file limit, reads the configuration, binds, and serves until
//! SIGINT or SIGTERM, telling systemd when it is ready and when it stops.

use std::process::ExitCode;

use clap::Parser;
use shuffle_server::config::Cli;
use shuffle_server::{limits, logging, metrics, run, systemd, Config, State};
use tokio::net::{TcpListener, TcpSocket};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

/// Blocking threads beyond one per open file, for stats, deletes and the store.
const EXTRA_BLOCKING_THREADS: usize = 64;

/// Pending connections the kernel queues for the listener (capped by `net.core.somaxconn`):
/// thousands of executors connecting at once must not overflow the queue and wait for a SYN
/// retransmission, as they would behind the usual 1024.
const LISTEN_BACKLOG: u32 = 65_535;

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.log_format);
    // Before the configuration: the default connection limit follows the raised limit.
    let file_limit = match limits::raise_file_limit() {
        Ok(raised) => {
            info!(
                soft = raised.now.soft,
                hard = raised.now.hard,
                soft_at_start = raised.before.soft,
                "file limit"
            );
            Some(raised.now)
        }
        Err(e) => {
            warn!(error = %e, "cannot raise the file limit");
            limits::file_limit().ok()
        }
    };
    let config = match cli.load() {
        Ok(config) => config,
        Err(e) => {
            error!("{e}");
            return ExitCode::from(2);
        }
    };
    // Only an explicit file bound can overrun the limit; the default one is sized to fit.
    if let (Some(limit), Some(max_open_files)) = (file_limit, config.max_open_files) {
        if !limits::fits(limit.soft, config.max_connections, max_open_files) {
            warn!(
                soft = limit.soft,
                max_connections = config.max_connections,
                max_open_files,
                "connections and open files may exceed the file limit; accepts and opens can fail"
            );
        }
    }
    limit_malloc_arenas();
    // Every open shuffle file is used from a blocking thread, so the pool must not be the
    // bottleneck that the open-file bound is meant to be; without that bound set, each
    // connection makes one file trip at a time.
    let file_work = config.max_open_files.unwrap_or(config.max_connections);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(file_work.saturating_add(EXTRA_BLOCKING_THREADS))
        .build();
    let result = match runtime {
        Ok(runtime) => runtime.block_on(serve(config)),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("{e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> shuffle_server::Result<()> {
    let shutdown = CancellationToken::new();
    tokio::spawn(signalled(shutdown.clone()));

    let listener = bind(&config.host, config.port).await?;
    let metrics = match config.metrics_port {
        Some(port) => {
            let handle = metrics::install()?;
            Some((TcpListener::bind((config.host.as_str(), port)).await?, handle))
        }
        None => None,
    };
    let state = State::open(config).await?;
    // The metrics endpoint answers only once the store is loaded: orchestrators take it as
    // the readiness check.
    if let Some((metrics_listener, handle)) = metrics {
        info!(addr = %metrics_listener.local_addr()?, "metrics endpoint listening");
        tokio::spawn(metrics::serve_metrics(
            metrics_listener,
            handle,
            shutdown.clone().cancelled_owned(),
        ));
    }
    let addr = listener.local_addr()?;
    info!(addr = %addr, executors = state.registry().len(), max_connections =
        state.config().max_connections, "shuffle service listening");
    systemd::ready(&addr.to_string());
    systemd::spawn_watchdog(shutdown.clone());
    let stopping = async {
        shutdown.cancelled().await;
        systemd::stopping();
    };
    run(listener, state, stopping).await;
    info!("shuffle service stopped");
    Ok(())
}

/// Binds the shuffle port on the first address `host` resolves to that accepts it, with
/// [`LISTEN_BACKLOG`].
async fn bind(host: &str, port: u16) -> std::io::Result<TcpListener> {
    let mut last = None;
    for addr in tokio::net::lookup_host((host, port)).await? {
        let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
        // A restarted daemon must get its port back while the old connections sit in
        // TIME_WAIT, as std's and tokio's own bind allow.
        socket.set_reuseaddr(true)?;
        match socket.bind(addr).and_then(|()| socket.listen(LISTEN_BACKLOG)) {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, format!("{host} has no address"))
    }))
}

/// Caps glibc's malloc arenas at one per core. By default every thread that allocates may
/// get its own arena (up to eight per core), and the blocking threads that read small
/// blocks would each keep one: measured, that nearly doubled the daemon's resident memory
/// under load (31 against 17 MiB at 32 connections) for no throughput. `MALLOC_ARENA_MAX`
/// in the environment still wins.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let arenas = libc::c_int::try_from(cores).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt only changes a malloc tunable; it is called before any other
        // thread exists.
        unsafe { libc::mallopt(libc::M_ARENA_MAX, arenas) };
    }
}

/// Cancels `shutdown` on the first SIGINT or SIGTERM.
async fn signalled(shutdown: CancellationToken) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(term) => term,
        Err(e) => {
            error!(error = %e, "cannot listen for SIGTERM; only SIGINT stops the daemon");
            let _ = tokio::signal::ctrl_c().await;
            shutdown.cancel();
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => info!("SIGINT received"),
        _ = term.recv() => info!("SIGTERM received"),
    }
    shutdown.cancel();
}
