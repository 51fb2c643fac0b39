//! A real ZooKeeper 3.6 server (the `zookeeper` jar in the pyspark wheel), started for a test
//! and killed on drop.
//!
//! Runs `java -cp '<jars>/*' org.apache.zookeeper.server.ZooKeeperServerMain <config>` with
//! a config binding `127.0.0.1` on a port that was free a moment ago (the server cannot
//! report an ephemeral one), and waits until it answers `srvr`. Its data and log live in a private directory; the log is
//! printed if the test panics.

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::jvm_service::free_port;
use crate::{jdk_tool, spark_jars};

/// How long the JVM may take to listen (2–3 s alone, more on two busy cores).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running single-node ZooKeeper.
#[derive(Debug)]
pub struct ZooKeeperServer {
    child: Child,
    port: u16,
    log: PathBuf,
    // Dropped last: holds the config, data directory and log.
    _dir: tempfile::TempDir,
}

impl ZooKeeperServer {
    /// Starts a server and waits until it accepts connections.
    ///
    /// Errors if the JDK or jars are missing (call [`crate::require_real_spark`] first), or
    /// the JVM exits or does not listen within a minute (with its log in the message).
    pub fn start() -> Result<Self, String> {
        let jars = spark_jars().ok_or("Spark jars not found (see spark_jars())")?;
        let dir = tempfile::Builder::new()
            .prefix("zookeeper")
            .tempdir()
            .map_err(|e| format!("creating a temporary directory: {e}"))?;
        let port = free_port().map_err(|e| format!("finding a free port: {e}"))?;
        let config = dir.path().join("zoo.cfg");
        let data = dir.path().join("data");
        fs::write(
            &config,
            format!(
                "tickTime=500\nminSessionTimeout=1000\ndataDir={}\nclientPort={port}\n\
                 clientPortAddress=127.0.0.1\nadmin.enableServer=false\n\
                 4lw.commands.whitelist=srvr\n",
                data.display()
            ),
        )
        .map_err(|e| format!("writing {}: {e}", config.display()))?;
        let log = dir.path().join("zookeeper.log");
        let log_file =
            fs::File::create(&log).map_err(|e| format!("creating {}: {e}", log.display()))?;
        let log_err = log_file.try_clone().map_err(|e| format!("cloning the log handle: {e}"))?;
        let child = Command::new(jdk_tool("java"))
            .args(["-Xmx128m", "-XX:+UseSerialGC", "-Dzookeeper.jmx.log4j.disable=true"])
            .arg("-cp")
            .arg(jars.join("*"))
            .arg("org.apache.zookeeper.server.ZooKeeperServerMain")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log_file))
            .stderr(Stdio::from(log_err))
            .spawn()
            .map_err(|e| format!("starting java ZooKeeperServerMain: {e}"))?;
        let mut server = Self { child, port, log, _dir: dir };
        server.wait_until_listening()?;
        Ok(server)
    }

    fn wait_until_listening(&mut self) -> Result<(), String> {
        let started = Instant::now();
        let addr = self.addr();
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    return Err(format!("ZooKeeper exited with {status}:\n{}", self.log()))
                }
                Ok(None) => {}
                Err(e) => return Err(format!("waiting for ZooKeeper: {e}")),
            }
            if serving(addr) {
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(format!(
                    "ZooKeeper did not listen on {addr} within {START_TIMEOUT:?}:\n{}",
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `127.0.0.1:port`.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The connect string, `127.0.0.1:port`.
    pub fn connect_string(&self) -> String {
        self.addr().to_string()
    }

    /// Everything the server printed so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_else(|e| format!("(no log: {e})"))
    }
}

/// True once the server answers `srvr` with its version: it opens its port before it
/// serves, and closes sessions opened in between.
fn serving(addr: SocketAddr) -> bool {
    let Ok(mut conn) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let mut reply = String::new();
    let _ = conn.set_read_timeout(Some(Duration::from_secs(1)));
    conn.write_all(b"srvr").is_ok()
        && conn.read_to_string(&mut reply).is_ok()
        && reply.starts_with("Zookeeper version")
}

impl Drop for ZooKeeperServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- ZooKeeper log (port {}) ---\n{}", self.port, self.log());
        }
    }
}
