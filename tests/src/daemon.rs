//! Our `shuffle-server` binary as a child process: started on 127.0.0.1 (port 0, or a given
//! port to restart on) with its metrics endpoint on, stopped with SIGTERM or SIGKILL, scraped
//! for metrics. [`Options`] adds flags, environment variables and a soft file limit to start
//! under, for the tests of how it runs as a service.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// How long a daemon may take to print that it listens.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Path of the `shuffle-server` binary of this build profile, built once per test process
/// so that `cargo test -p shuffle-tests` never runs a stale daemon.
pub fn binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let release = crate::target_dir().join("release");
        let profile_dir = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent()?.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| crate::target_dir().join("debug"));
        let mut build = Command::new(cargo);
        build.args(["build", "-q", "-p", "shuffle-server", "--bin", "shuffle-server"]);
        if profile_dir == release {
            build.arg("--release");
        }
        let status = build.status().expect("running cargo build for shuffle-server");
        assert!(status.success(), "building shuffle-server failed: {status}");
        profile_dir.join("shuffle-server")
    })
}

/// How to start a daemon beyond its state dir.
#[derive(Debug, Default, Clone, Copy)]
pub struct Options<'a> {
    /// Address to listen on (shuffle port and metrics); `None`: 127.0.0.1.
    pub host: Option<&'a str>,
    /// Shuffle port; `0` picks a free one.
    pub port: u16,
    /// `--conf KEY=VALUE` settings.
    pub conf: &'a [&'a str],
    /// Further command-line arguments, e.g. `--log-format json`.
    pub args: &'a [&'a str],
    /// Environment variables, e.g. `NOTIFY_SOCKET`.
    pub env: &'a [(&'a str, &'a OsStr)],
    /// Soft `RLIMIT_NOFILE` the daemon starts with (set by `sh -c 'ulimit -Sn N; exec …'`).
    pub soft_file_limit: Option<u64>,
}

/// A running daemon; killed when dropped.
#[derive(Debug)]
pub struct Daemon {
    child: Child,
    /// Where it serves shuffle blocks.
    pub addr: SocketAddr,
    /// Where it serves `/metrics`.
    pub metrics_addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

impl Daemon {
    /// Starts a daemon keeping its state in `state_dir`, with extra `--conf KEY=VALUE`
    /// settings, and waits until it listens.
    pub fn start(state_dir: &Path, conf: &[&str]) -> Self {
        Self::start_on(state_dir, 0, conf)
    }

    /// Like [`Daemon::start`], on shuffle port `port` (`0` picks a free one), e.g. to restart
    /// a killed daemon where its clients will look for it. The metrics endpoint still gets a
    /// free port.
    pub fn start_on(state_dir: &Path, port: u16, conf: &[&str]) -> Self {
        Self::start_with(state_dir, &Options { port, conf, ..Options::default() })
    }

    /// Starts a daemon as `options` say and waits until it listens.
    pub fn start_with(state_dir: &Path, options: &Options<'_>) -> Self {
        let mut cmd = match options.soft_file_limit {
            Some(limit) => {
                let mut sh = Command::new("sh");
                sh.args(["-c", &format!("ulimit -Sn {limit} && exec \"$0\" \"$@\"")]).arg(binary());
                sh
            }
            None => Command::new(binary()),
        };
        cmd.args([
            "--host",
            options.host.unwrap_or("127.0.0.1"),
            "--port",
            &options.port.to_string(),
            "--state-dir",
        ])
        .arg(state_dir);
        cmd.args(["--conf", "spark.shuffle.service.rs.metricsPort=0"]);
        for c in options.conf {
            cmd.args(["--conf", c]);
        }
        cmd.args(options.args);
        cmd.envs(options.env.iter().copied());
        Self::spawn(cmd)
    }

    fn spawn(mut cmd: Command) -> Self {
        cmd.env("RUST_LOG", "info,shuffle_server=debug")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("starting shuffle-server");
        let stderr = child.stderr.take().expect("stderr pipe");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("listening") {
                    let _ = tx.send(line.clone());
                }
                if let Ok(mut l) = lines.lock() {
                    l.push(line);
                }
            }
        });
        let mut addr = None;
        let mut metrics_addr = None;
        while addr.is_none() || metrics_addr.is_none() {
            let Ok(line) = rx.recv_timeout(START_TIMEOUT) else {
                let _ = child.kill();
                let log = log.lock().map(|l| l.join("\n")).unwrap_or_default();
                panic!("shuffle-server did not report its addresses; log:\n{log}");
            };
            let found = field(&line, "addr=").and_then(|a| a.parse::<SocketAddr>().ok());
            if line.contains("metrics endpoint listening") {
                metrics_addr = found;
            } else if line.contains("shuffle service listening") {
                addr = found;
            }
        }
        let (Some(addr), Some(metrics_addr)) = (addr, metrics_addr) else {
            unreachable!("loop exits only with both addresses")
        };
        Self { child, addr, metrics_addr, log }
    }

    /// The port shuffle blocks are served on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the daemon with SIGKILL and reaps it: no chance to clean up anything.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(&mut self) -> ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("running kill");
        assert!(status.success(), "kill -TERM failed");
        self.child.wait().expect("waiting for shuffle-server")
    }

    /// Whether the process still runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Everything the daemon logged so far.
    pub fn log(&self) -> String {
        self.log.lock().map(|l| l.join("\n")).unwrap_or_default()
    }

    /// The log once it holds `needle` (the daemon accepts before it logs that it listens),
    /// failing after 10 s.
    pub fn log_with(&self, needle: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.log();
            if log.contains(needle) {
                return log;
            }
            assert!(std::time::Instant::now() < deadline, "{needle:?} never logged:\n{log}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The Prometheus text of `/metrics`.
    pub fn scrape(&self) -> String {
        let mut s = TcpStream::connect(self.metrics_addr).expect("connecting to /metrics");
        s.set_read_timeout(Some(Duration::from_secs(10))).expect("read timeout");
        s.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .expect("sending scrape");
        let mut text = String::new();
        s.read_to_string(&mut text).expect("reading scrape");
        text
    }

    /// The value of an unlabelled metric (a counter, gauge, or a histogram's `_count` when
    /// `name` ends so), if the scrape has it.
    pub fn metric(&self, name: &str) -> Option<f64> {
        metric_value(&self.scrape(), name)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of sample `name` (no labels) in Prometheus text.
pub fn metric_value(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// The value after `key` (`name=`) in a log line, up to the next space; in a JSON line
/// (`--log-format json`), the string value of `"name"`.
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    if let Some(at) = line.find(key) {
        return line[at + key.len()..].split_whitespace().next();
    }
    let json_key = format!("\"{}\":\"", key.trim_end_matches('='));
    let start = line.find(&json_key)? + json_key.len();
    line[start..].split('"').next()
}
