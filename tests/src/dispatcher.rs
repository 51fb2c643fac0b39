//! Our `mesos-dispatcher` as a process, and the real spark-submit 3.5.6 of the venv's pyspark
//! talking to it, for the end-to-end tests of cluster mode.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::{repo_root, target_dir};

/// The binary `bin` of workspace package `package`, built for the running test's profile so a
/// test never runs a stale one.
pub fn cargo_binary(package: &str, bin: &str) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let profile_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent()?.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| target_dir().join("debug"));
    let mut build = Command::new(cargo);
    build.args(["build", "-q", "-p", package, "--bin", bin]);
    if profile_dir == target_dir().join("release") {
        build.arg("--release");
    }
    let status = build.status().expect("running cargo build");
    assert!(status.success(), "building {bin} failed: {status}");
    profile_dir.join(bin)
}

/// The Scala 2.12 bridge jar, (re)built by `scripts/build-jvm.sh`.
pub fn bridge_jar() -> PathBuf {
    let output = Command::new(repo_root().join("scripts/build-jvm.sh"))
        .stderr(Stdio::inherit())
        .output()
        .expect("running scripts/build-jvm.sh");
    assert!(output.status.success(), "scripts/build-jvm.sh failed: {}", output.status);
    let jar = target_dir().join("jvm/spark-mesos-bridge_2.12.jar");
    assert!(jar.is_file(), "{} missing after the build", jar.display());
    jar
}

/// The venv's Python, and the directory of its pyspark install (a Spark home with `bin/`).
pub fn pyspark() -> Option<(PathBuf, PathBuf)> {
    let python = repo_root().join(".venv/bin/python");
    let out = Command::new(&python)
        .args(["-c", "import os, pyspark; print(os.path.dirname(pyspark.__file__))"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| (python, PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())))
}

/// Strips ANSI colour sequences from a log line.
fn plain(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A running `mesos-dispatcher` with its REST port on 127.0.0.1; killed when dropped.
#[derive(Debug)]
pub struct Dispatcher {
    child: Child,
    rest: String,
    log: Arc<Mutex<String>>,
}

impl Dispatcher {
    /// Starts `binary` against the Mesos master `master` (`host:port`) with `--conf`s, and
    /// waits until it logs its REST address.
    pub fn start(binary: &Path, master: &str, confs: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(binary);
        cmd.args(["--master", &format!("mesos://{master}"), "--host", "127.0.0.1", "--port", "0"]);
        // Port 0 for the web UI too: a fixed one would collide between tests and runs.
        cmd.args(["--webui-port", "0"]);
        for (k, v) in confs {
            cmd.args(["--conf", &format!("{k}={v}")]);
        }
        let mut child = cmd
            .env("NO_COLOR", "1")
            .env_remove("SPARK_HOME")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting mesos-dispatcher");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let line = plain(&line);
                if let Some(addr) =
                    line.split("bound=").nth(1).and_then(|a| a.split_whitespace().next())
                {
                    let _ = tx.send(addr.to_owned());
                }
                let mut log = sink.lock().unwrap_or_else(PoisonError::into_inner);
                log.push_str(&line);
                log.push('\n');
            }
        });
        let rest = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("mesos-dispatcher did not log its REST address")
        });
        Self { child, rest, log }
    }

    /// The master URL spark-submit takes: `mesos://127.0.0.1:<REST port>`.
    pub fn url(&self) -> String {
        format!("mesos://{}", self.rest)
    }

    /// Everything it logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The raw reply (head and body) to `GET /v1/submissions/status/<id>`.
    pub fn status_reply(&self, id: &str) -> String {
        let mut stream = TcpStream::connect(&self.rest).expect("connecting to the dispatcher");
        let request = format!(
            "GET /v1/submissions/status/{id} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.rest
        );
        stream.write_all(request.as_bytes()).expect("writing the status request");
        let mut reply = String::new();
        stream.read_to_string(&mut reply).expect("reading the status reply");
        reply
    }

    /// The `driverState` of `id`, if the reply has one (none before registration).
    pub fn driver_state(&self, id: &str) -> Option<String> {
        json_string(&self.status_reply(id), "driverState")
    }

    /// Waits up to `limit` until the framework registered (status requests get a state).
    pub fn wait_registered(&self, limit: Duration) {
        let started = Instant::now();
        while self.driver_state("driver-none").is_none() {
            assert!(
                started.elapsed() < limit,
                "the dispatcher did not register within {limit:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Polls the state of `id` until `done` accepts it or `limit` passes; returns the last.
    pub fn wait_state(&self, id: &str, limit: Duration, done: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let state = self.driver_state(id).unwrap_or_default();
            if done(&state) || started.elapsed() > limit {
                return state;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for Dispatcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The string value of `"key" : "…"` in Jackson's pretty output (escapes kept as sent).
pub fn json_string(text: &str, key: &str) -> Option<String> {
    let rest = text.split(&format!("\"{key}\" : \"")).nth(1)?;
    let mut value = String::new();
    let mut escaped = false;
    for c in rest.chars() {
        match c {
            '"' if !escaped => return Some(value),
            '\\' if !escaped => escaped = true,
            _ => {
                escaped = false;
                value.push(c);
            }
        }
    }
    None
}

/// Runs pyspark's own `bin/spark-submit` (from `spark_home`) with `args`; stdout and stderr
/// are collected. Spark's submission client logs its replies on stderr.
pub fn spark_submit(spark_home: &Path, args: &[&str]) -> Output {
    Command::new(spark_home.join("bin/spark-submit"))
        .args(args)
        .env("SPARK_HOME", spark_home)
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .stdin(Stdio::null())
        .output()
        .expect("running spark-submit")
}

/// The submission id spark-submit reports having created, from its log.
pub fn submission_id(output: &Output) -> Option<String> {
    let log = String::from_utf8_lossy(&output.stderr);
    let at = log.find("Submission successfully created as ")?;
    let rest = &log[at + "Submission successfully created as ".len()..];
    Some(rest.split(|c: char| c == '.' || c.is_whitespace()).next()?.to_owned())
}
