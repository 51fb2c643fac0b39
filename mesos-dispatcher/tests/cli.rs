//! The `mesos-dispatcher` binary: Spark's usage and exit codes, and a running server.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_mesos-dispatcher");

#[test]
fn help_and_bad_arguments_exit_as_spark() {
    let help = Command::new(BIN).arg("--help").output().expect("run");
    assert!(help.status.success());
    let usage = String::from_utf8_lossy(&help.stderr);
    assert!(usage.starts_with("Usage: MesosClusterDispatcher [options]"), "{usage}");
    assert!(usage.contains("not built yet"), "the help says what is not built yet");

    for (args, message) in [
        (&[][..], "--master is required"),
        (&["--master", "m:5050"][..], "only supports mesos"),
        (&["--master", "mesos://m:5050", "--bogus"][..], "Unrecognized option: '--bogus'"),
        (&["--master", "mesos://m:5050", "--conf", "novalue"][..], "Spark config without '='"),
    ] {
        let out = Command::new(BIN).args(args).output().expect("run");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(message), "{args:?}");
    }
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

#[test]
fn serves_rest_and_web_ui_and_refuses_submissions_until_registered() {
    let mut child = Command::new(BIN)
        .args(["--master", "mesos://127.0.0.1:5050", "--host", "127.0.0.1", "--port", "0"])
        .args(["--webui-port", "0"])
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let mut logged = |key: &str| {
        lines
            .by_ref()
            .map_while(Result::ok)
            .map(|l| plain(&l))
            .find_map(|l| {
                l.split(key).nth(1).and_then(|a| a.split_whitespace().next()).map(str::to_owned)
            })
            .expect("the bound address is logged")
    };
    let addr = logged("bound=");
    let webui = logged("webui=");

    let get = |addr: &str, path: &str| {
        let mut stream = TcpStream::connect(addr).expect("connect");
        let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).expect("write");
        let mut reply = String::new();
        stream.read_to_string(&mut reply).expect("read");
        reply
    };
    let status = get(&addr, "/v1/submissions/status/driver-1");
    let page = get(&webui, "/");
    let _ = child.kill();
    let _ = child.wait();
    // No master answers there: the framework never registers, and Spark then fails its own
    // reply's validation.
    assert!(status.starts_with("HTTP/1.1 500"), "{status}");
    assert!(status.contains("Validation of message SubmissionStatusResponse failed"), "{status}");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("<title>Spark Drivers for Mesos cluster</title>"), "{page}");
}
