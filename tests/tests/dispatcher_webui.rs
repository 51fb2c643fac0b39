//! The web UI in a real browser: headless Chromium (Debian's `chromium`, installed by
//! `scripts/setup.sh`) loads the pages from the server on port 0 over a queue holding queued,
//! running, finished and retrying drivers, takes screenshots at desktop and phone widths and
//! dumps the DOM it built, whose content is then checked. Submissions carry markup in names,
//! arguments, conf and environment values: it must come out as text, never as elements.
//!
//! Without `chromium` the test prints SKIPPED, unless `CI` is set: then it fails.
//! `cargo test -p shuffle-tests --test dispatcher_webui`.
//! `DISPATCHER_WEBUI_SHOTS=<dir>` keeps the screenshots there (docs/ holds one).
//!
//! Spark 3.5.6's own `PrometheusServlet`, over its `MesosClusterScheduler`'s metrics system
//! (`tests/java/mesoswebui/MetricsOracle.java`), must write what our `/metrics` writes.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mesos::proto::{task_status, AgentId, TaskId, TaskState, TaskStatus};
use mesos_dispatcher::launch::status_text::task_status_text;
use mesos_dispatcher::queue::{DriverDescription, DriverQueue, QueueConfig, SubmissionId};
use mesos_dispatcher::webui::{serve, Limits};
use shuffle_tests::{require_command, require_real_spark, JavaHarness};

const HOSTILE: &str = "<script>document.title='pwned'</script>";
const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(90);

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_764_792_896 + secs)
}

fn driver(q: &mut DriverQueue, name: &str, main_class: &str, secs: u64) -> DriverDescription {
    let submitted = at(secs);
    let mut spark_properties = BTreeMap::new();
    spark_properties.insert("spark.app.name".to_owned(), name.to_owned());
    spark_properties.insert("spark.driver.memory".to_owned(), "1g".to_owned());
    spark_properties.insert("spark.executor.extraJavaOptions".to_owned(), HOSTILE.to_owned());
    spark_properties.insert("spark.mesos.driver.secret.values".to_owned(), "hunter2".to_owned());
    let mut environment = BTreeMap::new();
    environment.insert("SPARK_ENV_LOADED".to_owned(), "1".to_owned());
    environment.insert("NOTE".to_owned(), format!("\"{HOSTILE}\" & more"));
    DriverDescription {
        submission_id: q.next_submission_id(submitted),
        name: name.to_owned(),
        app_resource: "http://repo.example/jars/app.jar".to_owned(),
        main_class: main_class.to_owned(),
        app_args: vec!["--input".to_owned(), "hdfs://data/<day>".to_owned()],
        environment,
        spark_properties,
        mem_mb: 1408,
        cores: 1.0,
        supervise: name.contains("supervised"),
        submitted,
    }
}

fn status(id: &SubmissionId, state: TaskState, message: &str, agent: &str) -> String {
    task_status_text(&TaskStatus {
        task_id: TaskId { value: id.to_string() },
        state: state as i32,
        message: (!message.is_empty()).then(|| message.to_owned()),
        agent_id: Some(AgentId { value: agent.to_owned() }),
        timestamp: Some(1_764_800_000.25),
        source: Some(task_status::Source::Executor as i32),
        ..TaskStatus::default()
    })
}

/// Two queued, two running, two finished (one failed), one waiting for a retry; built through
/// the queue's own transitions.
fn queue() -> (DriverQueue, Vec<SubmissionId>) {
    let mut q = DriverQueue::new(QueueConfig::default());
    q.mark_registered();
    let apps = [
        ("nightly-etl", "org.example.etl.Nightly"),
        ("reporting", "org.example.Report"),
        (HOSTILE, "org.example.Evil"),
        ("streaming-supervised", "org.example.Stream"),
        ("pi", "org.apache.spark.examples.SparkPi"),
        ("broken-job", "org.example.Broken"),
        ("ingest-supervised", "org.example.Ingest"),
    ];
    let ids: Vec<SubmissionId> = apps
        .iter()
        .enumerate()
        .map(|(i, (name, class))| {
            let d = driver(&mut q, name, class, i as u64 * 61);
            let id = d.submission_id.clone();
            q.submit(d);
            id
        })
        .collect();
    for (i, id) in ids.iter().enumerate().skip(2) {
        let agent = format!("agent-{}-S{i}", ["a", "b", "c"][i % 3]);
        assert!(q.mark_launched(id, id.to_string(), agent.clone(), at(600 + i as u64)));
        let text = status(id, TaskState::TaskRunning, "", &agent);
        assert!(q.record_status(id, text));
    }
    let running_text = status(&ids[2], TaskState::TaskRunning, HOSTILE, "agent-c-S2");
    assert!(q.record_status(&ids[2], running_text));
    let done = status(&ids[4], TaskState::TaskFinished, "Command exited with status 0", "x");
    assert!(q.mark_finished(&ids[4], Some(done), at(900)));
    let failed = status(&ids[5], TaskState::TaskFailed, "Command exited with status 1", "y");
    assert!(q.mark_finished(&ids[5], Some(failed), at(950)));
    let lost = status(&ids[6], TaskState::TaskLost, "agent lost", "z");
    assert!(q.mark_retrying(&ids[6], lost, at(960), 60));
    (q, ids)
}

fn start(queue: DriverQueue) -> (tokio::runtime::Runtime, SocketAddr) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let listener =
        runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind port 0");
    let addr = listener.local_addr().expect("local addr");
    let queue = Arc::new(Mutex::new(queue));
    runtime.spawn(serve(listener, queue, Limits::default(), std::future::pending()));
    (runtime, addr)
}

/// A GET over a raw socket: (status line, headers and body).
fn get(addr: SocketAddr, target: &str) -> (String, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    let request = format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("write");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read");
    let status = reply.lines().next().unwrap_or("").to_owned();
    (status, reply)
}

/// Runs headless Chromium with `args` (plus a fresh profile), killing it after
/// [`CHROMIUM_TIMEOUT`]; returns its stdout.
fn run_chromium(bin: &Path, profile: &Path, args: &[String]) -> String {
    let mut child = Command::new(bin)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"])
        .args(["--disable-dev-shm-usage", "--no-first-run", "--disable-extensions"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().expect("wait for chromium") {
            break exit;
        }
        if started.elapsed() > CHROMIUM_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium {args:?} took more than {CHROMIUM_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = out.join().expect("stdout reader");
    let err = err.join().expect("stderr reader");
    assert!(exit.success(), "chromium {args:?} failed: {exit}\n{err}");
    out
}

/// Width and height from a PNG's IHDR chunk, after checking the signature.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.len() > 24 && png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert_eq!(&png[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&png[16..20]), be(&png[20..24]))
}

fn screenshot(
    bin: &Path,
    profile: &Path,
    url: &str,
    path: &Path,
    width: u32,
    height: u32,
) -> Vec<u8> {
    run_chromium(
        bin,
        profile,
        &[
            format!("--screenshot={}", path.display()),
            format!("--window-size={width},{height}"),
            url.to_owned(),
        ],
    );
    let png = std::fs::read(path).expect("the screenshot was written");
    assert_eq!(png_size(&png), (width, height), "{}", path.display());
    png
}

#[test]
fn drivers_pages_in_headless_chromium() {
    if !require_command("chromium", "chromium") {
        return;
    }
    let bin = PathBuf::from("chromium");
    let (queue, ids) = queue();
    let (_runtime, addr) = start(queue);
    let work = tempfile::tempdir().expect("temp dir");
    let profile = work.path().join("profile");
    let base = format!("http://{addr}");

    // Desktop and phone: a page of text and tables, not an empty or error screen. A blank
    // white page of the same size compresses to a few KiB; this one is several times larger.
    let desktop = work.path().join("drivers-desktop.png");
    let phone = work.path().join("drivers-phone.png");
    let blank = work.path().join("blank.png");
    let desktop_png = screenshot(&bin, &profile, &format!("{base}/"), &desktop, 1280, 1120);
    let phone_png = screenshot(&bin, &profile, &format!("{base}/"), &phone, 390, 844);
    let blank_png = screenshot(&bin, &profile, "about:blank", &blank, 390, 844);
    println!(
        "screenshots: desktop {} bytes, phone {} bytes, blank {} bytes",
        desktop_png.len(),
        phone_png.len(),
        blank_png.len()
    );
    assert!(desktop_png.len() > 4 * blank_png.len(), "the desktop screenshot looks empty");
    assert!(phone_png.len() > 4 * blank_png.len(), "the phone screenshot looks empty");

    // The DOM Chromium built from the drivers page.
    let dom = run_chromium(&bin, &profile, &["--dump-dom".to_owned(), format!("{base}/")]);
    assert!(dom.contains("<title>Spark Drivers for Mesos cluster</title>"), "{dom}");
    assert!(
        dom.contains("content=\"width=device-width, initial-scale=1\""),
        "phones get a viewport"
    );
    assert!(!dom.contains("<script"), "markup from a submission became an element:\n{dom}");
    assert!(dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"), "{dom}");
    for (section, count) in
        [("Queued Drivers", 2), ("Launched Drivers", 2), ("Finished Drivers", 2)]
    {
        assert!(
            dom.contains(&format!("{section} <span class=\"count\">({count})</span>")),
            "{section}: {dom}"
        );
    }
    assert!(dom.contains("Supervise drivers waiting for retry <span class=\"count\">(1)</span>"));
    for id in &ids {
        assert!(dom.contains(&format!("href=\"driver?id={id}\"")), "{id} is linked");
    }
    for text in [
        "org.example.etl.Nightly",
        "cpus: 1.0, mem: 1408",
        "agent-c-S2",
        "State: TASK_RUNNING, Source: SOURCE_EXECUTOR, Time: 1.76480000025E9",
        "State: TASK_FINISHED, Message: Command exited with status 0",
        "State: TASK_FAILED, Message: Command exited with status 1",
        "State: TASK_LOST, Message: agent lost",
        "2025/12/03 20:14:56",
        "Mesos Slave ID",
        "Attempt Count",
    ] {
        assert!(dom.contains(text), "{text:?} is on the page:\n{dom}");
    }

    // The hostile driver's own page, reached through its link.
    let url = format!("{base}/driver?id={}", ids[2]);
    let page_png = work.path().join("driver.png");
    screenshot(&bin, &profile, &url, &page_png, 390, 844);
    if let Some(dir) = std::env::var_os("DISPATCHER_WEBUI_SHOTS") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("shots dir");
        for (shot, name) in [
            (&desktop, "dispatcher-webui-desktop.png"),
            (&phone, "dispatcher-webui-phone.png"),
            (&page_png, "dispatcher-webui-driver-phone.png"),
        ] {
            std::fs::copy(shot, dir.join(name)).expect("copy the screenshot");
        }
    }
    let dom = run_chromium(&bin, &profile, &["--dump-dom".to_owned(), url]);
    assert!(!dom.contains("<script"), "{dom}");
    assert!(dom.contains(&format!("<title>Details for Job {}</title>", ids[2])), "{dom}");
    assert!(dom.contains(">RUNNING</span>"), "{dom}");
    assert!(dom.contains("hdfs://data/&lt;day&gt;"), "{dom}");
    assert!(dom.contains("&quot;&lt;script&gt;") || dom.contains("\"&lt;script&gt;"), "{dom}");
    assert!(!dom.contains("hunter2"), "secrets are redacted");
    assert!(dom.contains("*********(redacted)"));

    // Unknown ids and paths get 404 pages; a missing id 400; metrics count the drivers.
    let (status, body) = get(addr, "/driver?id=driver-nope%3Cb%3E");
    assert!(status.starts_with("HTTP/1.1 404"), "{status}");
    assert!(body.contains("Cannot find driver driver-nope&lt;b&gt;"), "{body}");
    assert!(get(addr, "/driver").0.starts_with("HTTP/1.1 400"));
    assert!(get(addr, "/nothing/here").0.starts_with("HTTP/1.1 404"));
    let (status, metrics) = get(addr, "/metrics");
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    for line in [
        "metrics_mesos_cluster_launchedDrivers_Value{type=\"gauges\"} 2\n",
        "metrics_mesos_cluster_retryDrivers_Value{type=\"gauges\"} 1\n",
        "metrics_mesos_cluster_waitingDrivers_Value{type=\"gauges\"} 2\n",
    ] {
        assert!(metrics.contains(line), "{line:?} in {metrics}");
    }
}

/// The real servlet and ours, over three queued drivers, byte for byte (Spark's lines for the
/// JVM's static sources aside).
#[test]
fn spark_prometheus_servlet_writes_our_metrics() {
    if !require_real_spark() {
        return;
    }
    let harness = JavaHarness::get().expect("Java harness");
    let spark = harness.run("mesoswebui.MetricsOracle", &["3"]).expect("MetricsOracle");
    let mut q = DriverQueue::new(QueueConfig::default());
    q.mark_registered();
    for i in 0..3 {
        let d = driver(&mut q, &format!("app-{i}"), "org.example.Main", i);
        q.submit(d);
    }
    let (_runtime, addr) = start(q);
    let (status, reply) = get(addr, "/metrics");
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    let body = reply.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    assert_eq!(body, spark);
    assert!(spark.contains("metrics_mesos_cluster_waitingDrivers_Value{type=\"gauges\"} 3\n"));
}
