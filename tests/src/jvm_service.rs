//! Spark's own JVM external shuffle service, started for a test and killed on drop.
//!
//! Runs `java -cp '<jars>/*' <main class>` with `spark.*` system properties, on a free
//! port picked by binding `127.0.0.1:0` and releasing it (the JVM service logs its port
//! before binding and has no way to report an ephemeral one). Its registered-executor DB is
//! off and its local dirs and temporary files live in a private directory, so nothing is
//! left behind. Output goes to a log file that is printed if the test panics.

use std::fs;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{jdk_tool, spark_jars};

/// Which JVM service to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceKind {
    /// `org.apache.spark.deploy.ExternalShuffleService` (standalone).
    Standalone,
    /// `org.apache.spark.deploy.mesos.MesosExternalShuffleService` (adds RegisterDriver and
    /// heartbeats; needs no Mesos native library).
    Mesos,
}

impl ServiceKind {
    /// The main class.
    pub fn main_class(self) -> &'static str {
        match self {
            Self::Standalone => "org.apache.spark.deploy.ExternalShuffleService",
            Self::Mesos => "org.apache.spark.deploy.mesos.MesosExternalShuffleService",
        }
    }
}

/// How long the JVM may take to accept connections (it takes 2–5 s on two cores).
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// A running JVM shuffle service.
#[derive(Debug)]
pub struct JvmShuffleService {
    child: Child,
    port: u16,
    log: PathBuf,
    // Dropped last: holds the log, local dirs and the JVM's temporary files.
    dir: tempfile::TempDir,
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl JvmShuffleService {
    /// Starts a service of `kind` with extra `spark.*` properties (`("spark.key", "value")`)
    /// and waits until its port accepts connections.
    ///
    /// Errors if the JDK or jars are missing (call [`crate::require_real_spark`] first), or
    /// the JVM exits or does not come up within 90 s (with its log in the message).
    pub fn start(kind: ServiceKind, props: &[(&str, &str)]) -> Result<Self, String> {
        let jars = spark_jars().ok_or("Spark jars not found (see spark_jars())")?;
        let dir = tempfile::Builder::new()
            .prefix("jvm-shuffle-service")
            .tempdir()
            .map_err(|e| format!("creating a temporary directory: {e}"))?;
        let log = dir.path().join("service.log");
        let log_file =
            fs::File::create(&log).map_err(|e| format!("creating {}: {e}", log.display()))?;
        let log_err = log_file.try_clone().map_err(|e| format!("cloning the log handle: {e}"))?;
        let port = free_port().map_err(|e| format!("finding a free port: {e}"))?;

        let mut cmd = Command::new(jdk_tool("java"));
        cmd.args(["-Xmx512m", "-XX:+UseSerialGC"])
            .arg(format!("-Djava.io.tmpdir={}", dir.path().display()))
            .arg(format!("-Dspark.shuffle.service.port={port}"))
            .arg("-Dspark.shuffle.service.db.enabled=false");
        for (key, value) in props {
            cmd.arg(format!("-D{key}={value}"));
        }
        cmd.arg("-cp")
            .arg(jars.join("*"))
            .arg(kind.main_class())
            .env("SPARK_LOCAL_DIRS", dir.path())
            .env("SPARK_LOCAL_IP", "127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log_file))
            .stderr(Stdio::from(log_err));
        let child = cmd.spawn().map_err(|e| format!("starting java {}: {e}", kind.main_class()))?;
        let mut service = Self { child, port, log, dir };
        service.wait_until_listening()?;
        Ok(service)
    }

    fn wait_until_listening(&mut self) -> Result<(), String> {
        let started = Instant::now();
        let addr = self.addr();
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    return Err(format!(
                        "the JVM shuffle service exited with {status}:\n{}",
                        self.log()
                    ))
                }
                Ok(None) => {}
                Err(e) => return Err(format!("waiting for the JVM shuffle service: {e}")),
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(format!(
                    "the JVM shuffle service did not listen on {addr} within {START_TIMEOUT:?}:\n{}",
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The port it listens on (all interfaces; connect to 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:port`.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The service's private directory (its `SPARK_LOCAL_DIRS` and `java.io.tmpdir`).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Everything the JVM printed so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_else(|e| format!("(no log: {e})"))
    }
}

impl Drop for JvmShuffleService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- JVM shuffle service log (port {}) ---\n{}", self.port, self.log());
        }
    }
}
