//! A real PySpark job on a `local-cluster` master shuffles a million records through our
//! daemon (`tests/python/shuffle_job.py`) and must get the exact answer, and the daemon's
//! metrics must show that it registered the executors and served the blocks.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use shuffle_tests::daemon::Daemon;
use shuffle_tests::{in_ci, repo_root, require_real_spark};

const RECORDS: u64 = 1_000_000;
/// A wedged job (e.g. executors that cannot register) must fail the test, not hang CI.
const JOB_TIMEOUT: Duration = Duration::from_secs(300);

/// The venv's Python with pyspark, if set up.
fn venv_python() -> Option<PathBuf> {
    let python = repo_root().join(".venv/bin/python");
    python.exists().then_some(python)
}

/// A private `SPARK_HOME`: links to the pyspark install's contents, so that the Workers'
/// `work/` logs land in a temp dir and not in the install.
fn spark_home(python: &Path, dir: &Path) -> PathBuf {
    let out = Command::new(python)
        .args(["-c", "import os, pyspark; print(os.path.dirname(pyspark.__file__))"])
        .output()
        .expect("running python");
    assert!(out.status.success(), "pyspark is not importable");
    let pyspark = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let home = dir.join("spark-home");
    std::fs::create_dir_all(&home).expect("spark home");
    for entry in std::fs::read_dir(&pyspark).expect("pyspark dir").flatten() {
        if entry.file_name() != "work" {
            std::os::unix::fs::symlink(entry.path(), home.join(entry.file_name()))
                .expect("linking pyspark");
        }
    }
    home
}

#[test]
fn pyspark_job_shuffles_through_our_daemon() {
    if !require_real_spark() {
        return;
    }
    let Some(python) = venv_python() else {
        assert!(!in_ci(), "CI is set but .venv has no Python; run scripts/setup.sh");
        eprintln!("SKIPPED: no .venv with pyspark; run scripts/setup.sh");
        return;
    };
    let scratch = tempfile::tempdir().expect("scratch dir");
    let home = spark_home(&python, scratch.path());
    let daemon = Daemon::start(&scratch.path().join("state"), &[]);

    let mut job = Command::new(&python)
        .arg(repo_root().join("tests/python/shuffle_job.py"))
        .arg(daemon.port().to_string())
        .arg(RECORDS.to_string())
        .env("SPARK_HOME", &home)
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .env("SPARK_LOCAL_HOSTNAME", "127.0.0.1")
        .env("PYSPARK_PYTHON", &python)
        .env("TMPDIR", scratch.path())
        .current_dir(scratch.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting the PySpark job");
    let mut stdout = job.stdout.take().expect("stdout");
    let mut stderr = job.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = job.try_wait().expect("waiting for the job") {
            break Some(status);
        }
        if started.elapsed() > JOB_TIMEOUT {
            let _ = job.kill();
            let _ = job.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let out = out_reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    let tail: String = err
        .lines()
        .rev()
        .take(40)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        status.is_some_and(|s| s.success()),
        "job failed or timed out ({status:?}) after {:?}\nstdout:\n{out}\nstderr tail:\n{tail}\ndaemon log:\n{}",
        started.elapsed(),
        daemon.log()
    );
    let result = out
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or_else(|| panic!("no RESULT line in:\n{out}"));
    let n = RECORDS;
    let expected = format!(
        "{{\"groups\": 1000, \"records\": {n}, \"sum\": {}, \"min_group\": {}, \"max_group\": {}}}",
        n * (n - 1) / 2,
        n / 1000,
        n / 1000
    );
    assert_eq!(result, expected);

    let metrics = daemon.scrape();
    let value = |name| shuffle_tests::daemon::metric_value(&metrics, name).unwrap_or(0.0);
    assert!(value("registeredExecutorsSize") >= 2.0, "{metrics}");
    assert!(value("blockTransferMessageRate") > 0.0, "{metrics}");
    assert!(value("blockTransferRateBytes") > 0.0, "{metrics}");
    assert!(value("openBlockRequestLatencyMillis_count") > 0.0, "{metrics}");
    assert!(value("registerExecutorRequestLatencyMillis_count") >= 2.0, "{metrics}");
}
