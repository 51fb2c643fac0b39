//! A running `SparkShuffleDriver` (`tests/java/interop/SparkShuffleDriver.java`): Spark
//! 3.5.6's own `ExternalBlockStoreClient`, scripted one command per line.
//!
//! JVM arguments carry the client's configuration, e.g. `-Dspark.authenticate=true` and
//! `-Dspark.authenticate.secret=...` to make it authenticate. Set `SPARK_DRIVER_STDERR=1`
//! to see the JVM's log.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Stdio};

use crate::JavaHarness;

/// Main class of the driver.
pub const DRIVER: &str = "interop.SparkShuffleDriver";

/// What a fetch gave for one block: `Ok((length, sha256 hex))` or `Err(message)`.
pub type FetchOutcome = Result<(usize, String), String>;

/// One driver process; killed when dropped.
#[derive(Debug)]
pub struct SparkDriver {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl SparkDriver {
    /// Starts the driver for application `app_id` with extra JVM arguments. Fetch retries
    /// are one, quickly: failures in these tests are answers, not flakiness to ride out.
    pub fn start(app_id: &str, jvm_args: &[&str]) -> Self {
        let harness = JavaHarness::get().expect("compiling the Java harness");
        let mut jvm = vec!["-Dspark.shuffle.io.maxRetries=1", "-Dspark.shuffle.io.retryWait=100ms"];
        jvm.extend_from_slice(jvm_args);
        let stderr = if std::env::var_os("SPARK_DRIVER_STDERR").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        };
        let mut child = harness
            .command(jvm, DRIVER)
            .arg(app_id)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("starting the Spark driver");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Self { child, stdin, stdout }
    }

    /// The next output line.
    pub fn line(&mut self) -> String {
        let mut line = String::new();
        let n = self.stdout.read_line(&mut line).expect("reading the Spark driver");
        assert!(n > 0, "the Spark driver exited");
        line.trim_end().to_owned()
    }

    /// Sends one command.
    pub fn send(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").expect("writing to the Spark driver");
        self.stdin.flush().expect("flushing");
    }

    /// Runs a command that answers with exactly one line.
    pub fn one(&mut self, command: &str) -> String {
        self.send(command);
        self.line()
    }

    /// Replaces the client with a fresh one (new connections) for `app_id`, with `settings`
    /// (`spark.key=value`) over the JVM's; e.g. `spark.authenticate.secret=…`.
    pub fn client(&mut self, app_id: &str, settings: &[&str]) {
        let answer = self.one(&format!("client {app_id} {}", settings.join(" ")));
        assert_eq!(answer, format!("client {app_id}"));
    }

    /// Registers executor `exec` with `dirs` at `127.0.0.1:port`; returns the driver's
    /// answer (`registered` or `error …`).
    pub fn register(&mut self, port: u16, exec: &str, sub_dirs: i32, dirs: &[String]) -> String {
        self.one(&format!("register 127.0.0.1 {port} {exec} {sub_dirs} {}", dirs.join(",")))
    }

    /// Fetches `ids` (`mode` is `mem` or `stream`); returns each block's outcome, or the
    /// driver's `error …` line if the fetch could not run at all.
    pub fn fetch(
        &mut self,
        port: u16,
        exec: &str,
        mode: &str,
        ids: &[String],
    ) -> Result<BTreeMap<String, FetchOutcome>, String> {
        self.send(&format!("fetch 127.0.0.1 {port} {exec} {mode} {}", ids.join(",")));
        let mut out = BTreeMap::new();
        loop {
            let line = self.line();
            let mut f = line.splitn(4, ' ');
            match (f.next(), f.next(), f.next(), f.next()) {
                (Some("block"), Some(id), Some(len), Some(sha)) => {
                    let len = len.parse().expect("length");
                    out.insert(id.to_owned(), Ok((len, sha.to_owned())));
                }
                (Some("fail"), Some(id), rest, more) => {
                    let msg = [rest, more].iter().flatten().copied().collect::<Vec<_>>().join(" ");
                    out.insert(id.to_owned(), Err(msg));
                }
                (Some("fetched"), Some(n), None, None) => {
                    assert_eq!(n.parse::<usize>().ok(), Some(out.len()), "{line}");
                    return Ok(out);
                }
                (Some("error"), ..) => return Err(line),
                _ => panic!("unexpected driver output: {line}"),
            }
        }
    }
}

impl Drop for SparkDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
