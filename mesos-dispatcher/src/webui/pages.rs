//! The pages, as pure functions of a snapshot: Spark's `MesosClusterPage` (the drivers page)
//! and `DriverPage` (one driver), with the same tables, columns and fields, plus error pages.

use std::borrow::Cow;
use std::time::SystemTime;

use super::html::{driver_href, escape, format_date, listing_table, page, property_table};
use super::snapshot::{DriverDetail, Snapshot};
use crate::launch::java::double_to_string;
use crate::queue::{DriverDescription, FinishedDriver, LaunchedDriver, LaunchedTask};
use crate::SPARK_VERSION;

/// The drivers page's title, Spark's.
pub const DRIVERS_TITLE: &str = "Spark Drivers for Mesos cluster";

/// What Spark's `Utils.redact` puts in place of a secret value.
const REDACTED: &str = "*********(redacted)";

fn subtitle(now: SystemTime) -> String {
    format!(
        "Spark {SPARK_VERSION} Mesos cluster dispatcher &middot; {} UTC &middot; \
         <a href=\"/\">Drivers</a> &middot; <a href=\"/metrics\">Metrics</a>",
        format_date(now)
    )
}

/// `cpus: <cores>, mem: <MiB>` as Spark's tables show a driver's resources.
fn resources(d: &DriverDescription) -> String {
    format!("cpus: {}, mem: {}", double_to_string(d.cores), d.mem_mb)
}

fn id_link(d: &DriverDescription) -> String {
    let id = d.submission_id.as_str();
    format!("<a href=\"{}\">{}</a>", driver_href(id), escape(id))
}

/// A text-format string's contents with its escapes undone (C escapes, octal bytes), as
/// Java's getters return it; bytes that are not UTF-8 become U+FFFD.
fn unescape(quoted: &str) -> String {
    let bytes = quoted.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        i += 1;
        if b != b'\\' || i == bytes.len() {
            out.push(b);
            continue;
        }
        let e = bytes[i];
        i += 1;
        let plain = match e {
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'a' => 0x07,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'v' => 0x0b,
            b'0'..=b'7' => {
                let mut value = u32::from(e - b'0');
                for _ in 0..2 {
                    match bytes.get(i) {
                        Some(d @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                u8::try_from(value).unwrap_or(b'?')
            }
            other => other,
        };
        out.push(plain);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The top-level `name: value` fields of a status in protobuf text form (nested messages
/// skipped), string values unquoted and unescaped.
fn status_fields(text: &str) -> impl Iterator<Item = (&str, Cow<'_, str>)> {
    let mut depth = 0usize;
    text.lines().filter_map(move |line| {
        let trimmed = line.trim();
        if trimmed.ends_with('{') {
            depth += 1;
            return None;
        }
        if trimmed == "}" {
            depth = depth.saturating_sub(1);
            return None;
        }
        if depth > 0 {
            return None;
        }
        let (name, value) = trimmed.split_once(": ")?;
        let value = match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            Some(quoted) => Cow::Owned(unescape(quoted)),
            None => Cow::Borrowed(value),
        };
        Some((name, value))
    })
}

/// The task state named in a status text (`TASK_RUNNING`, …).
pub fn task_state(status_text: &str) -> Option<String> {
    status_fields(status_text).find(|(name, _)| *name == "state").map(|(_, v)| v.into_owned())
}

/// Spark's `stateString`: `State: …, Message: …, Healthy: …, Source: …, Reason: …, Time: …`,
/// from a status in protobuf text form.
pub fn status_summary(status_text: &str) -> String {
    let mut parts = Vec::new();
    for (field, label) in [
        ("state", "State"),
        ("message", "Message"),
        ("healthy", "Healthy"),
        ("source", "Source"),
        ("reason", "Reason"),
        ("timestamp", "Time"),
    ] {
        if let Some((_, v)) = status_fields(status_text).find(|(name, _)| *name == field) {
            parts.push(format!("{label}: {v}"));
        }
    }
    parts.join(", ")
}

fn state_badge(state: &str, failed: bool) -> String {
    let extra = if failed { " failed" } else { "" };
    format!("<span class=\"state {state}{extra}\">{state}</span>")
}

/// Whether a terminal task state means the driver did not succeed.
fn failed_state(state: Option<String>) -> bool {
    state.is_some_and(|s| s != "TASK_FINISHED")
}

fn status_cell(status: Option<&str>) -> String {
    status.map(|s| escape(&status_summary(s))).unwrap_or_default()
}

fn queued_row(d: &DriverDescription) -> Vec<String> {
    vec![id_link(d), escape(&d.name), format_date(d.submitted), escape(&d.main_class), resources(d)]
}

fn task_row(
    d: &DriverDescription,
    task: Option<&LaunchedTask>,
    status: Option<&str>,
) -> Vec<String> {
    vec![
        id_link(d),
        escape(&d.name),
        format_date(d.submitted),
        escape(&d.main_class),
        resources(d),
        task.map(|t| format_date(t.started)).unwrap_or_default(),
        task.map(|t| escape(&t.agent_id)).unwrap_or_default(),
        status_cell(status),
    ]
}

fn launched_row(l: &LaunchedDriver) -> Vec<String> {
    task_row(&l.driver, Some(&l.task), l.last_status.as_deref())
}

fn finished_row(f: &FinishedDriver) -> Vec<String> {
    task_row(&f.driver, f.task.as_ref(), f.last_status.as_deref())
}

fn section(id: &str, title: &str, count: usize, table: &str) -> String {
    format!(
        "<section id=\"{id}\">\n<h2>{} <span class=\"count\">({count})</span></h2>\n{table}</section>\n",
        escape(title)
    )
}

/// The drivers page (Spark's `MesosClusterPage`): queued, launched, finished and retrying
/// drivers with Spark's columns (plus each driver's name), newest state at `now`.
pub fn drivers_page(s: &Snapshot, now: SystemTime) -> String {
    const TASK_HEADERS: [&str; 8] = [
        "Driver ID",
        "Name",
        "Submit Date",
        "Main Class",
        "Driver Resources",
        "Start Date",
        "Mesos Slave ID",
        "State",
    ];
    let mut body = String::new();
    if !s.ready {
        body.push_str(
            "<p class=\"empty\">Not registered with Mesos yet: submissions are refused.</p>\n",
        );
    }
    body.push_str("<nav class=\"summary\">");
    for (anchor, label, count) in [
        ("queued", "Queued", s.queued.len()),
        ("launched", "Launched", s.launched.len()),
        ("finished", "Finished", s.finished.len()),
        ("retrying", "Retrying", s.retrying.len()),
    ] {
        body.push_str(&format!("<a href=\"#{anchor}\"><b>{count}</b>{label}</a>"));
    }
    body.push_str("</nav>\n");

    let queued: Vec<Vec<String>> = s.queued.iter().map(queued_row).collect();
    body.push_str(&section(
        "queued",
        "Queued Drivers",
        queued.len(),
        &listing_table(
            &["Driver ID", "Name", "Submit Date", "Main Class", "Driver Resources"],
            &queued,
            "No queued drivers.",
        ),
    ));
    let launched: Vec<Vec<String>> = s.launched.iter().map(launched_row).collect();
    body.push_str(&section(
        "launched",
        "Launched Drivers",
        launched.len(),
        &listing_table(&TASK_HEADERS, &launched, "No launched drivers."),
    ));
    let finished: Vec<Vec<String>> = s.finished.iter().map(finished_row).collect();
    body.push_str(&section(
        "finished",
        "Finished Drivers",
        finished.len(),
        &listing_table(&TASK_HEADERS, &finished, "No finished drivers."),
    ));
    let retrying: Vec<Vec<String>> = s
        .retrying
        .iter()
        .map(|r| {
            vec![
                id_link(&r.driver),
                format_date(r.driver.submitted),
                escape(&r.driver.main_class),
                escape(&status_summary(&r.last_failure)),
                format_date(r.retry.next_retry),
                r.retry.retries.to_string(),
            ]
        })
        .collect();
    body.push_str(&section(
        "retrying",
        "Supervise drivers waiting for retry",
        retrying.len(),
        &listing_table(
            &[
                "Driver ID",
                "Submit Date",
                "Description",
                "Last Failed Status",
                "Next Retry Time",
                "Attempt Count",
            ],
            &retrying,
            "No drivers waiting for retry.",
        ),
    ));
    page(DRIVERS_TITLE, &subtitle(now), &body)
}

/// Whether Spark's default `spark.redaction.regex`, `(?i)secret|password|token|access[.]?key`,
/// matches `key`.
fn is_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["secret", "password", "token", "accesskey", "access.key"].iter().any(|w| key.contains(w))
}

fn redact<'a>(key: &str, value: &'a str) -> Cow<'a, str> {
    if is_secret(key) {
        Cow::Borrowed(REDACTED)
    } else {
        Cow::Borrowed(value)
    }
}

fn text_rows(rows: &[(&str, String)]) -> Vec<(String, String)> {
    rows.iter().map(|(k, v)| ((*k).to_owned(), escape(v))).collect()
}

fn pre(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("<pre>{}</pre>", escape(text))
    }
}

/// A driver's page (Spark's `DriverPage`): its state, description, command, environment,
/// properties, launch and retry state. Values of secret-looking keys are redacted.
pub fn driver_page(detail: &DriverDetail, now: SystemTime) -> String {
    let d = detail.driver();
    let id = d.submission_id.as_str();
    let prop = |key: &str| d.spark_properties.get(key).cloned().unwrap_or_default();
    let failed = match detail {
        DriverDetail::Finished(f) => failed_state(f.last_status.as_deref().and_then(task_state)),
        _ => false,
    };
    let mut body = format!(
        "<p><a href=\"/\">&larr; Back to Drivers</a></p>\n<h2>Driver state: {}</h2>\n",
        state_badge(detail.state_name(), failed)
    );

    body.push_str("<h2>Driver properties</h2>\n");
    let driver_rows = text_rows(&[
        ("Name", d.name.clone()),
        ("Id", id.to_owned()),
        ("Cores", double_to_string(d.cores)),
        ("Memory", d.mem_mb.to_string()),
        ("Submitted", format_date(d.submitted)),
        ("Supervise", d.supervise.to_string()),
        ("Queue", d.queue_name().to_owned()),
        ("App resource", d.app_resource.clone()),
    ]);
    body.push_str(&property_table(["Driver property", "Value"], &driver_rows, ""));

    body.push_str("<h2>Driver command</h2>\n");
    let command_rows = text_rows(&[
        ("Main class", d.main_class.clone()),
        ("Arguments", d.app_args.join(" ")),
        ("Class path entries", prop("spark.driver.extraClassPath")),
        ("Java options", prop("spark.driver.extraJavaOptions")),
        ("Library path entries", prop("spark.driver.extraLibraryPath")),
    ]);
    body.push_str(&property_table(["Command property", "Value"], &command_rows, ""));

    body.push_str("<h2>Driver command environment</h2>\n");
    let env: Vec<(String, String)> =
        d.environment.iter().map(|(k, v)| (k.clone(), escape(&redact(k, v)))).collect();
    body.push_str(&property_table(
        ["Command environment variable", "Value"],
        &env,
        "No environment variables.",
    ));

    body.push_str("<h2>Scheduler properties</h2>\n");
    let conf: Vec<(String, String)> =
        d.spark_properties.iter().map(|(k, v)| (k.clone(), escape(&redact(k, v)))).collect();
    body.push_str(&property_table(["Scheduler property", "Value"], &conf, "No properties."));

    body.push_str("<h2>Launched state</h2>\n");
    let launched = match detail {
        DriverDetail::Running(l) => Some((Some(&l.task), l.last_status.as_deref(), None)),
        DriverDetail::Finished(f) => {
            Some((f.task.as_ref(), f.last_status.as_deref(), Some(f.finished)))
        }
        DriverDetail::Queued(_) | DriverDetail::Retrying(_) => None,
    };
    let launched_rows = match launched {
        Some((task, status, finished)) => vec![
            ("Mesos Slave ID".to_owned(), task.map(|t| escape(&t.agent_id)).unwrap_or_default()),
            ("Mesos Task ID".to_owned(), task.map(|t| escape(&t.task_id)).unwrap_or_default()),
            ("Launch Time".to_owned(), task.map(|t| format_date(t.started)).unwrap_or_default()),
            ("Finish Time".to_owned(), finished.map(format_date).unwrap_or_default()),
            ("Last Task Status".to_owned(), pre(status.unwrap_or(""))),
        ],
        None => Vec::new(),
    };
    body.push_str(&property_table(["Launched property", "Value"], &launched_rows, "Not launched."));

    body.push_str("<h2>Retry state</h2>\n");
    let retry = match detail {
        DriverDetail::Retrying(r) => Some((r.retry, Some(r.last_failure.as_str()))),
        DriverDetail::Running(l) => l.task.retry.map(|r| (r, None)),
        _ => None,
    };
    let retry_rows = match retry {
        Some((r, failure)) => vec![
            ("Last failed status".to_owned(), pre(failure.unwrap_or(""))),
            ("Next retry time".to_owned(), format_date(r.next_retry)),
            ("Retry count".to_owned(), r.retries.to_string()),
        ],
        None => Vec::new(),
    };
    body.push_str(&property_table(["Retry property", "Value"], &retry_rows, "No retries."));

    page(&format!("Details for Job {id}"), &subtitle(now), &body)
}

/// The page for an id the dispatcher does not know (answered with 404).
pub fn driver_not_found_page(id: &str, now: SystemTime) -> String {
    let body = format!(
        "<p>Cannot find driver {}</p>\n<p><a href=\"/\">&larr; Back to Drivers</a></p>\n",
        escape(id)
    );
    page(&format!("Details for Job {id}"), &subtitle(now), &body)
}

/// An error page: `title` and `message` are plain text.
pub fn error_page(title: &str, message: &str, now: SystemTime) -> String {
    let body =
        format!("<p>{}</p>\n<p><a href=\"/\">&larr; Back to Drivers</a></p>\n", escape(message));
    page(title, &subtitle(now), &body)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::queue::{DriverQueue, QueueConfig, SubmissionId};

    const HOSTILE: &str = "<script>alert(1)</script>";

    fn driver(q: &mut DriverQueue, name: &str, secs: u64) -> DriverDescription {
        let submitted = UNIX_EPOCH + Duration::from_secs(1_764_792_896 + secs);
        let mut spark_properties = BTreeMap::new();
        spark_properties.insert("spark.app.name".to_owned(), name.to_owned());
        spark_properties.insert("spark.evil".to_owned(), HOSTILE.to_owned());
        spark_properties.insert("spark.mesos.driver.secret.values".to_owned(), "hunter2".into());
        let mut environment = BTreeMap::new();
        environment.insert("MY_TOKEN".to_owned(), "abc".to_owned());
        environment.insert("PLAIN".to_owned(), "\"quoted\" & <b>".to_owned());
        DriverDescription {
            submission_id: q.next_submission_id(submitted),
            name: name.to_owned(),
            app_resource: "http://h/app.jar".into(),
            main_class: "org.example.Main".into(),
            app_args: vec!["a".into(), "<b>".into()],
            environment,
            spark_properties,
            mem_mb: 1408,
            cores: 1.0,
            supervise: true,
            submitted,
        }
    }

    fn queue() -> (DriverQueue, Vec<SubmissionId>) {
        let mut q = DriverQueue::new(QueueConfig::default());
        q.mark_registered();
        let mut ids = Vec::new();
        for (i, name) in ["queued-app", HOSTILE, "done-app", "retry-app"].iter().enumerate() {
            let d = driver(&mut q, name, i as u64);
            ids.push(d.submission_id.clone());
            q.submit(d);
        }
        let t = UNIX_EPOCH + Duration::from_secs(1_764_800_000);
        assert!(q.mark_launched(&ids[1], ids[1].to_string(), "agent<1>".into(), t));
        assert!(q.record_status(&ids[1], "state: TASK_RUNNING\nmessage: \"<img src=x>\"\n".into()));
        assert!(q.mark_launched(&ids[2], ids[2].to_string(), "agent-2".into(), t));
        assert!(q.mark_finished(&ids[2], Some("state: TASK_FAILED\n".into()), t));
        assert!(q.mark_launched(&ids[3], ids[3].to_string(), "agent-3".into(), t));
        assert!(q.mark_retrying(&ids[3], "state: TASK_LOST\n".into(), t, 60));
        (q, ids)
    }

    #[test]
    fn drivers_page_lists_every_state_escaped() {
        let (q, ids) = queue();
        let html = drivers_page(&Snapshot::of(&q), UNIX_EPOCH);
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("agent&lt;1&gt;"));
        assert!(html.contains("State: TASK_RUNNING, Message: &lt;img src=x&gt;"));
        assert!(html.contains("State: TASK_FAILED"));
        assert!(html.contains("State: TASK_LOST"));
        assert!(html.contains("cpus: 1.0, mem: 1408"));
        assert!(html.contains("2025/12/03 20:14:56"));
        for id in &ids {
            assert!(html.contains(&format!("href=\"driver?id={id}\"")));
        }
        assert_eq!(html.matches("(1)</span></h2>").count(), 4);
    }

    #[test]
    fn driver_page_escapes_and_redacts() {
        let (q, ids) = queue();
        for id in &ids {
            let detail = DriverDetail::of(&q, id).expect("known");
            let html = driver_page(&detail, UNIX_EPOCH);
            assert!(!html.contains("<script>"), "{html}");
            assert!(!html.contains("<b>"), "{html}");
            assert!(!html.contains("hunter2"));
            assert!(html.contains(REDACTED));
            assert!(html.contains("&quot;quoted&quot; &amp; &lt;b&gt;"));
            assert!(html.contains(&format!(">{}</span>", detail.state_name())));
        }
        let running = driver_page(&DriverDetail::of(&q, &ids[1]).expect("running"), UNIX_EPOCH);
        assert!(running.contains("<title>Details for Job driver-"));
        assert!(running.contains("agent&lt;1&gt;"));
        let retrying = driver_page(&DriverDetail::of(&q, &ids[3]).expect("retrying"), UNIX_EPOCH);
        assert!(retrying.contains("<pre>state: TASK_LOST\n</pre>"));
        assert!(DriverDetail::of(&q, &SubmissionId::new("nope")).is_none());
        let missing = driver_not_found_page("<x>", UNIX_EPOCH);
        assert!(missing.contains("Cannot find driver &lt;x&gt;"));
    }

    #[test]
    fn status_summary_reads_top_level_fields_only() {
        let text = "task_id {\n  value: \"d\"\n}\nstate: TASK_FAILED\nmessage: \"boom\"\n\
                    slave_id {\n  value: \"s\"\n}\ntimestamp: 1.5E9\nsource: SOURCE_EXECUTOR\n\
                    reason: REASON_COMMAND_EXECUTOR_FAILED\n";
        assert_eq!(
            status_summary(text),
            "State: TASK_FAILED, Message: boom, Source: SOURCE_EXECUTOR, \
             Reason: REASON_COMMAND_EXECUTOR_FAILED, Time: 1.5E9"
        );
        assert_eq!(task_state(text).as_deref(), Some("TASK_FAILED"));
        assert_eq!(
            status_summary("state: TASK_FAILED\nmessage: \"it\\'s \\\"x\\\"\\n\\303\\251\\377\"\n"),
            "State: TASK_FAILED, Message: it's \"x\"\né\u{fffd}"
        );
        assert_eq!(status_summary(""), "");
    }
}
