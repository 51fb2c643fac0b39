//! The Mesos driver lifecycle against our daemon, driven by Spark 3.5.6's own
//! `MesosExternalBlockStoreClient` (`tests/java/interop/MesosDriver.java`) for the driver and
//! `ExternalBlockStoreClient` (`tests/java/interop/SparkShuffleDriver.java`) for executors:
//! a heartbeating driver keeps its application's files, a killed one loses them within
//! timeout + cleaner interval while other applications are untouched, and a registration
//! survives kill -9 of the daemon and still expires.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Stdio};
use std::time::{Duration, Instant};

use shuffle_tests::daemon::Daemon;
use shuffle_tests::fixture::{sha256_hex, Shape, ShuffleFixture, SUB_DIRS};
use shuffle_tests::spark_driver::SparkDriver;
use shuffle_tests::{require_real_spark, JavaHarness};

/// Cleaner period of the daemons here.
const CLEANER: Duration = Duration::from_secs(1);
/// Allowance for process scheduling on a loaded 2-core machine, on top of the expected times.
const SLACK: Duration = Duration::from_secs(4);

/// A JVM child with line-based stdin/stdout; killed (SIGKILL) when dropped.
struct Jvm {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Jvm {
    fn start(main_class: &str, args: &[String]) -> Self {
        let harness = JavaHarness::get().expect("compiling the Java harness");
        // One retry, quickly: failures here are expected answers, not flakiness to ride out.
        let jvm = ["-Dspark.shuffle.io.maxRetries=1", "-Dspark.shuffle.io.retryWait=100ms"];
        let mut child = harness
            .command(jvm, main_class)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting a JVM");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Self { child, stdin, stdout }
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        let n = self.stdout.read_line(&mut line).expect("reading the JVM");
        assert!(n > 0, "the JVM exited");
        line.trim_end().to_owned()
    }

    fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Jvm {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A `MesosDriver` JVM for `app` against `daemon`, just started (see [`await_registration`]).
fn mesos_driver(app: &str, daemon: &Daemon, timeout: Duration, interval: Duration) -> Jvm {
    let args = [
        app.to_owned(),
        "127.0.0.1".to_owned(),
        daemon.port().to_string(),
        timeout.as_millis().to_string(),
        interval.as_millis().to_string(),
    ];
    Jvm::start("interop.MesosDriver", &args)
}

/// Waits for the `requested` line of a `MesosDriver` and for the daemon to log that the
/// registration of `app` is stored.
fn await_registration(driver: &mut Jvm, daemon: &Daemon, app: &str) {
    assert_eq!(driver.line(), "requested");
    // Logged once the registration is in the store, just before the reply.
    let needle = format!("Driver of app {app} registered (stored).");
    poll(&format!("{app}'s driver registration"), Duration::from_secs(30), || {
        daemon.log().contains(&needle)
    });
}

/// The executor side: registers executors and fetches blocks for one application.
fn spark_client(app: &str) -> SparkDriver {
    SparkDriver::start(app, &[])
}

fn register(spark: &mut SparkDriver, daemon: &Daemon, exec: &str, dirs: &[String]) {
    assert_eq!(spark.register(daemon.port(), exec, SUB_DIRS, dirs), "registered");
}

/// Fetches `ids` of executor `exec`: each block's `Ok(sha256)` or `Err(message)`.
fn fetch(
    spark: &mut SparkDriver,
    daemon: &Daemon,
    exec: &str,
    ids: &[String],
) -> BTreeMap<String, Result<String, String>> {
    let got = spark.fetch(daemon.port(), exec, "mem", ids).expect("the fetch runs");
    got.into_iter().map(|(id, outcome)| (id, outcome.map(|(_, sha)| sha))).collect()
}

/// Polls `done` every 50 ms until it holds; panics after `limit`. Returns the time taken.
fn poll(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    start.elapsed()
}

fn block_ids(fixture: &ShuffleFixture) -> Vec<String> {
    let s = fixture.shape.shuffle_id;
    fixture
        .map_ids()
        .flat_map(|m| (0..fixture.shape.reduces).map(move |r| format!("shuffle_{s}_{m}_{r}")))
        .collect()
}

fn all_exist(dirs: &[String]) -> bool {
    dirs.iter().all(|d| Path::new(d).is_dir())
}

fn none_exist(dirs: &[String]) -> bool {
    dirs.iter().all(|d| !Path::new(d).exists())
}

/// Bytes and number of the files under `dirs`.
fn usage(dirs: &[String]) -> (u64, u64) {
    let mut stack: Vec<std::path::PathBuf> = dirs.iter().map(Into::into).collect();
    let (mut files, mut bytes) = (0, 0);
    while let Some(p) = stack.pop() {
        let meta = std::fs::symlink_metadata(&p).expect("stat");
        if meta.is_dir() {
            stack.extend(std::fs::read_dir(&p).expect("list").map(|e| e.expect("entry").path()));
        } else {
            files += 1;
            bytes += meta.len();
        }
    }
    (files, bytes)
}

#[test]
fn killed_driver_loses_its_files_and_nothing_else() {
    if !require_real_spark() {
        return;
    }
    let (timeout, interval) = (Duration::from_secs(3), Duration::from_millis(500));
    let state = tempfile::tempdir().expect("state dir");
    let daemon = Daemon::start(state.path(), &["spark.shuffle.cleaner.interval=1s"]);
    let a = ShuffleFixture::write(Shape { shuffle_id: 0, maps: 3, reduces: 4, map_id_base: 10 }, 2)
        .expect("writing app A's shuffle");
    let b = ShuffleFixture::write(Shape { shuffle_id: 0, maps: 3, reduces: 4, map_id_base: 20 }, 2)
        .expect("writing app B's shuffle");
    let (a_files, a_bytes) = usage(&a.local_dirs);

    // All four JVMs start at once; each call below then waits only for its own.
    let mut spark_a = spark_client("app-a");
    let mut spark_b = spark_client("app-b");
    let mut driver_a = mesos_driver("app-a", &daemon, timeout, interval);
    let mut driver_b = mesos_driver("app-b", &daemon, timeout, interval);
    register(&mut spark_a, &daemon, "1", &a.local_dirs);
    register(&mut spark_b, &daemon, "1", &b.local_dirs);
    await_registration(&mut driver_a, &daemon, "app-a");
    await_registration(&mut driver_b, &daemon, "app-b");
    assert_eq!(daemon.metric("registeredDriversSize"), Some(2.0));

    // While the drivers heartbeat, their apps outlive the timeout and several cleaner passes.
    std::thread::sleep(timeout + interval + CLEANER + Duration::from_millis(500));
    assert!(all_exist(&a.local_dirs) && all_exist(&b.local_dirs));
    assert_eq!(daemon.metric("registeredDriversSize"), Some(2.0));
    assert!(daemon.metric("appsCleaned").unwrap_or(0.0) == 0.0, "{}", daemon.log());

    driver_a.kill9();
    // The counters move once the deletion is done, so waiting for both sees its totals.
    let took = poll("app A cleaned", timeout + CLEANER + SLACK, || {
        none_exist(&a.local_dirs) && daemon.metric("appsCleaned") == Some(1.0)
    });
    eprintln!("app A cleaned {took:?} after its driver was killed");
    assert!(daemon.log().contains("Application app-a timed out. Removing shuffle files."));

    let ids_a = block_ids(&a);
    let got = fetch(&mut spark_a, &daemon, "1", &ids_a);
    assert_eq!(got.len(), ids_a.len());
    for (id, outcome) in &got {
        assert!(
            matches!(outcome, Err(m) if m.contains("Executor is not registered")),
            "{id}: {outcome:?}"
        );
    }
    assert!(all_exist(&b.local_dirs), "app B's files are untouched");
    let got = fetch(&mut spark_b, &daemon, "1", &block_ids(&b));
    for m in b.map_ids() {
        for r in 0..b.shape.reduces {
            let id = format!("shuffle_0_{m}_{r}");
            assert_eq!(got.get(&id), Some(&Ok(sha256_hex(&b.block_bytes(m, r)))), "{id}");
        }
    }
    assert_eq!(daemon.metric("appsCleaned"), Some(1.0));
    assert_eq!(daemon.metric("registeredDriversSize"), Some(1.0));
    assert_eq!(daemon.metric("registeredExecutorsSize"), Some(1.0));
    assert_eq!(daemon.metric("cleanedFiles"), Some(a_files as f64));
    assert_eq!(daemon.metric("cleanedBytes"), Some(a_bytes as f64));

    // A driver that stops normally closes its client: no unregister message exists, so its
    // app too expires once heartbeats stop.
    drop(driver_b.stdin.take());
    assert_eq!(driver_b.line(), "closed");
    poll("app B cleaned", timeout + CLEANER + SLACK, || {
        none_exist(&b.local_dirs) && daemon.metric("appsCleaned") == Some(2.0)
    });
    assert_eq!(daemon.metric("registeredDriversSize"), Some(0.0));
}

#[test]
fn driver_registration_survives_daemon_kill_9_and_still_expires() {
    if !require_real_spark() {
        return;
    }
    let (timeout, interval) = (Duration::from_secs(4), Duration::from_millis(500));
    let conf = ["spark.shuffle.cleaner.interval=1s"];
    let state = tempfile::tempdir().expect("state dir");
    let fixture =
        ShuffleFixture::write(Shape { shuffle_id: 1, maps: 2, reduces: 3, map_id_base: 0 }, 2)
            .expect("writing the shuffle");

    let mut daemon = Daemon::start(state.path(), &conf);
    let mut spark = spark_client("app-r");
    let mut driver = mesos_driver("app-r", &daemon, timeout, interval);
    register(&mut spark, &daemon, "1", &fixture.local_dirs);
    await_registration(&mut driver, &daemon, "app-r");
    daemon.kill9();

    // The stock client never reconnects its heartbeat connection (and the new daemon has
    // another port), so from here on no heartbeat arrives.
    let restarted = Instant::now();
    let daemon = Daemon::start(state.path(), &conf);
    let log = daemon.log();
    assert!(log.contains("registered drivers reloaded") && log.contains("drivers=1"), "{log}");
    assert_eq!(daemon.metric("registeredDriversSize"), Some(1.0));
    assert!(all_exist(&fixture.local_dirs));

    poll("the reloaded app expired", timeout + CLEANER + SLACK, || {
        none_exist(&fixture.local_dirs) && daemon.metric("appsCleaned") == Some(1.0)
    });
    eprintln!("reloaded app cleaned {:?} after the restart", restarted.elapsed());
    assert!(daemon.log().contains("Application app-r timed out. Removing shuffle files."));
    assert_eq!(daemon.metric("registeredDriversSize"), Some(0.0));
    assert_eq!(daemon.metric("registeredExecutorsSize"), Some(0.0));
}
