//! The REST golden cases (`tests/fixtures/rest-cases.txt`), shared by `rest_golden.rs` (ours
//! against the committed replies of Spark) and `tests/tests/mesos_rest_golden.rs` in
//! `shuffle-tests` (Spark live, through `tests/java/mesosrest/RestOracle.java`).
//!
//! Replies are kept as `=== NAME`, status, Content-Type (`-` for none), body: the format the
//! Java oracle prints. [`normalize`] then hides what legitimately differs between runs and
//! implementations: the time in submission ids, Java stack traces (Spark appends them to
//! exception messages after `\n\t`), Jackson's own parse-error texts (only the exception
//! class stays), and HTML error pages (only their title stays).

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use mesos_dispatcher::queue::{DriverQueue, QueueConfig};
use mesos_dispatcher::rest::{serve, Limits};
use mesos_dispatcher::store::Persistence;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request of the case file.
#[derive(Debug, Clone, Default)]
pub(crate) struct Case {
    /// `=== NAME`.
    pub name: String,
    /// `server: main|full|unready`.
    pub server: String,
    /// `ours: STATUS`: Spark's reply differs from ours on purpose.
    pub ours: Option<u16>,
    /// The method.
    pub method: String,
    /// The path, `{id:NAME}` unresolved.
    pub path: String,
    /// The body; None for no body.
    pub body: Option<String>,
}

/// `mesos-dispatcher/tests/fixtures/<name>`.
pub(crate) fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../mesos-dispatcher/tests/fixtures").join(name)
}

/// The case file's path.
pub(crate) fn cases_path() -> PathBuf {
    fixture("rest-cases.txt")
}

/// The committed, normalized replies of Spark 3.5.6.
pub(crate) const SPARK_REPLIES: &str = "spark-3.5.6-rest-replies.txt";

/// Parses the case file (its header explains the format).
pub(crate) fn parse_cases(text: &str) -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    let mut padding = 0usize;
    let mut empty_body = false;
    let mut body_lines: Option<Vec<&str>> = None;
    let finish = |cases: &mut Vec<Case>, lines: Option<Vec<&str>>, padding: usize, empty: bool| {
        if let Some(case) = cases.last_mut() {
            let text = lines.map(|l| l.join("\n").trim_end().to_owned()).unwrap_or_default();
            case.body = if empty {
                Some(String::new())
            } else if text.is_empty() {
                None
            } else {
                Some(text.replace("%PADDING%", &"x".repeat(padding)))
            };
        }
    };
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("=== ") {
            finish(&mut cases, body_lines.take(), padding, empty_body);
            padding = 0;
            empty_body = false;
            cases.push(Case {
                name: name.trim().to_owned(),
                server: "main".into(),
                ..Case::default()
            });
            continue;
        }
        let Some(case) = cases.last_mut() else { continue };
        if let Some(lines) = body_lines.as_mut() {
            lines.push(line);
        } else if line.starts_with('#') || line.trim().is_empty() {
            continue;
        } else if let Some(server) = line.strip_prefix("server: ") {
            case.server = server.trim().to_owned();
        } else if let Some(status) = line.strip_prefix("ours: ") {
            case.ours = Some(status.trim().parse().expect("ours: STATUS"));
        } else if let Some(n) = line.strip_prefix("padding: ") {
            padding = n.trim().parse().expect("padding: N");
        } else if line == "body: empty" {
            empty_body = true;
        } else {
            let (method, path) = line.split_once(' ').expect("METHOD PATH");
            case.method = method.to_owned();
            case.path = path.to_owned();
            body_lines = Some(Vec::new());
        }
    }
    finish(&mut cases, body_lines.take(), padding, empty_body);
    cases
}

/// One reply in the oracle's format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    /// The case.
    pub name: String,
    /// The status code.
    pub status: u16,
    /// The Content-Type, `-` for none.
    pub content_type: String,
    /// The body, normalized or not.
    pub body: String,
}

/// Splits the oracle's output into replies.
pub(crate) fn parse_replies(text: &str) -> Vec<Reply> {
    let mut out = Vec::new();
    for block in text.split("=== ").skip(1) {
        let mut parts = block.splitn(4, '\n');
        let name = parts.next().unwrap_or_default().to_owned();
        let status = parts.next().unwrap_or_default().trim().parse().unwrap_or(0);
        let content_type = parts.next().unwrap_or_default().to_owned();
        let body = parts.next().unwrap_or_default().trim_end_matches('\n').to_owned();
        out.push(Reply { name, status, content_type, body });
    }
    out
}

/// Writes replies in the oracle's format.
pub(crate) fn format_replies(replies: &[Reply]) -> String {
    replies
        .iter()
        .map(|r| format!("=== {}\n{}\n{}\n{}\n", r.name, r.status, r.content_type, r.body))
        .collect()
}

/// Hides run- and implementation-specific text (see the module doc).
pub(crate) fn normalize(reply: &Reply) -> Reply {
    let body = if reply.content_type.starts_with("text/html") {
        let title = reply
            .body
            .split_once("<title>")
            .and_then(|(_, rest)| rest.split_once("</title>"))
            .map_or("?", |(title, _)| title);
        format!("<html> {title}")
    } else {
        reply.body.lines().map(normalize_line).collect::<Vec<_>>().join("\n")
    };
    Reply { body: hide_id_times(&body), ..reply.clone() }
}

fn normalize_line(line: &str) -> String {
    const KEY: &str = "  \"message\" : \"";
    let Some(content) = line.strip_prefix(KEY) else { return line.to_owned() };
    let (content, tail) = match content.strip_suffix("\",") {
        Some(c) => (c, "\","),
        None => (content.strip_suffix('"').unwrap_or(content), "\""),
    };
    let jackson = "Malformed request: com.fasterxml.jackson.";
    let content = if let Some(after) = content.strip_prefix(jackson) {
        let class = after.split_once(": ").map_or(after, |(class, _)| class);
        format!("{jackson}{class}: <jackson detail>")
    } else if let Some(at) = content.find("\\n\\t") {
        format!("{}\\n\\t<stack trace>", &content[..at])
    } else {
        content.to_owned()
    };
    format!("{KEY}{content}{tail}")
}

/// `driver-<14 digits>-NNNN` → `driver-<time>-NNNN`.
fn hide_id_times(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("driver-") {
        let (before, after) = rest.split_at(at + "driver-".len());
        out.push_str(before);
        let b = after.as_bytes();
        if b.len() >= 19
            && b[..14].iter().all(u8::is_ascii_digit)
            && b[14] == b'-'
            && b[15..19].iter().all(u8::is_ascii_digit)
        {
            out.push_str("<time>");
            rest = &after[14..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Our three dispatchers, configured as `RestOracle` configures Spark's: `main` (queues
/// high=2.0, low=-1.5), `full` (maxDrivers 0), `unready` (never registered).
pub(crate) async fn start_ours() -> HashMap<String, SocketAddr> {
    let mut queues = QueueConfig::default();
    queues.queues.insert("high".into(), 2.0);
    queues.queues.insert("low".into(), -1.5);
    let mut addrs = HashMap::new();
    for (name, config, ready) in [
        ("main", queues.clone(), true),
        ("full", QueueConfig { max_drivers: 0, ..queues.clone() }, true),
        ("unready", queues, false),
    ] {
        let mut queue = DriverQueue::new(config);
        if ready {
            queue.mark_registered();
        }
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        addrs.insert(name.to_owned(), listener.local_addr().expect("addr"));
        let queue = Arc::new(Mutex::new(queue));
        let memory = Persistence::memory();
        tokio::spawn(serve(listener, queue, memory, Limits::default(), std::future::pending()));
    }
    addrs
}

/// Sends every case to our servers, in order, resolving `{id:NAME}` from earlier replies.
pub(crate) async fn run_ours(cases: &[Case], addrs: &HashMap<String, SocketAddr>) -> Vec<Reply> {
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut replies = Vec::new();
    for case in cases {
        let mut path = case.path.clone();
        while let Some(start) = path.find("{id:") {
            let end = path[start..].find('}').map(|e| start + e).expect("closing brace");
            let id = ids.get(&path[start + 4..end]).cloned().unwrap_or_else(|| "missing".into());
            path.replace_range(start..=end, &id);
        }
        let addr = addrs[&case.server];
        let reply = send(addr, &case.method, &path, case.body.as_deref()).await;
        if let Some(id) =
            reply.body.split("\"submissionId\" : \"").nth(1).and_then(|s| s.split('"').next())
        {
            ids.insert(case.name.clone(), id.to_owned());
        }
        replies.push(Reply { name: case.name.clone(), ..reply });
    }
    replies
}

/// One HTTP/1.1 exchange over a fresh connection. The body is written while the reply is
/// read, so a server that answers before reading all of it is seen answering.
async fn send(addr: SocketAddr, method: &str, path: &str, body: Option<&str>) -> Reply {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut rd, mut wr) = stream.into_split();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(body) = body {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    } else if method == "POST" || method == "PUT" {
        head.push_str("Content-Length: 0\r\n");
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.unwrap_or("").as_bytes());
    let writer = tokio::spawn(async move {
        let _ = wr.write_all(&bytes).await;
        wr
    });
    let mut raw = Vec::new();
    let _ = rd.read_to_end(&mut raw).await;
    drop(writer.await);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let content_type = head
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "-".into());
    Reply { name: String::new(), status, content_type, body: body.to_owned() }
}

/// Differences between Spark's normalized replies and ours: equal for every case, except
/// `ours:` cases, where ours must have that status and be an `ErrorResponse`.
pub(crate) fn compare(cases: &[Case], spark: &[Reply], ours: &[Reply]) -> Vec<String> {
    let mut diffs = Vec::new();
    let spark: HashMap<&str, &Reply> = spark.iter().map(|r| (r.name.as_str(), r)).collect();
    for (case, mine) in cases.iter().zip(ours) {
        let mine = normalize(mine);
        let Some(theirs) = spark.get(case.name.as_str()) else {
            diffs.push(format!("{}: no Spark reply", case.name));
            continue;
        };
        match case.ours {
            Some(status) => {
                if mine.status != status || !mine.body.contains("\"action\" : \"ErrorResponse\"") {
                    diffs.push(format!(
                        "{}: expected our {status} ErrorResponse, got\n{}",
                        case.name,
                        format_replies(&[mine])
                    ));
                }
            }
            None => {
                if &mine != *theirs {
                    diffs.push(format!(
                        "{}:\n--- spark\n{}--- ours\n{}",
                        case.name,
                        format_replies(&[(*theirs).clone()]),
                        format_replies(&[mine])
                    ));
                }
            }
        }
    }
    diffs
}
