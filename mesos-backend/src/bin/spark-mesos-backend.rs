//! The process a Spark driver's JVM bridge starts: bridge requests on stdin, events on stdout,
//! logs on stderr (see `docs/mesos-bridge.md`).
//!
//! It serves [`mesos_backend::bridge::runtime`] (the Mesos client and the coarse core),
//! [`mesos_backend::bridge::fine_runtime`] when the conf sets `spark.mesos.coarse=false`, or
//! [`mesos_backend::bridge::stub::Stub`] when the driver's conf sets
//! `spark.mesos.rs.stub=true`: a stand-in that registers nothing with a master.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Write};
use std::process::ExitCode;

use mesos_backend::bridge::protocol::{self, Event, Request, Start, MAX_FINE_LINE, MAX_LINE};
use mesos_backend::bridge::stub::{Stub, RECORD_KEY, STUB_KEY};
use mesos_backend::bridge::{fine_runtime, fine_translate, runtime};
use mesos_backend::Error;
use tokio::sync::mpsc;

/// Requests read ahead of the runtime; the driver sends a handful per minute.
const REQUEST_QUEUE: usize = 64;

/// Fine mode's read-ahead: its lines may be [`MAX_FINE_LINE`] long, and it answers one round
/// at a time, so a few lines bound memory.
const FINE_REQUEST_QUEUE: usize = 4;

fn main() -> ExitCode {
    match serve() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spark-mesos-backend: {e}");
            ExitCode::FAILURE
        }
    }
}

fn send(event: &Event) -> Result<(), Error> {
    let mut out = io::stdout().lock();
    out.write_all(&protocol::encode_event(event))?;
    out.flush()?;
    Ok(())
}

/// Reads requests until `start`, answering anything else with `error`.
fn read_start(input: &mut impl io::BufRead, line: &mut Vec<u8>) -> Result<Option<Start>, Error> {
    while protocol::read_line(input, MAX_LINE, line)? {
        match protocol::decode_request(line) {
            Ok(Request::Start(start)) => return Ok(Some(start)),
            Ok(other) => send(&Event::Error {
                message: Error::BridgeUnexpected { request: other.kind(), state: "before start" }
                    .to_string(),
            })?,
            Err(e) => send(&Event::Error { message: e.to_string() })?,
        }
    }
    Ok(None)
}

fn serve() -> Result<(), Error> {
    let mut input = BufReader::new(io::stdin());
    let mut line = Vec::new();
    let Some(start) = read_start(&mut input, &mut line)? else { return Ok(()) };
    let mut record = match start.conf.get(RECORD_KEY) {
        Some(path) => Some(OpenOptions::new().create(true).append(true).open(path)?),
        None => None,
    };
    write_record(&mut record, &line)?;
    if start.conf.get(STUB_KEY).map(String::as_str) == Some("true") {
        return serve_stub(start, input, record);
    }

    let fine = fine_translate::is_fine(&start);
    // Fine mode's `launchTasks` carries the serialized tasks of a whole offer round.
    let max_line = if fine { MAX_FINE_LINE } else { MAX_LINE };
    let (tx, rx) = mpsc::channel(if fine { FINE_REQUEST_QUEUE } else { REQUEST_QUEUE });
    // Blocking stdin on its own thread; the runtime sees end of input as a closed channel.
    std::thread::spawn(move || {
        let mut line = Vec::new();
        loop {
            match protocol::read_line(&mut input, max_line, &mut line) {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => {
                    eprintln!("spark-mesos-backend: {e}");
                    return;
                }
            }
            let _ = write_record(&mut record, &line);
            match protocol::decode_request(&line) {
                Ok(request) => {
                    if tx.blocking_send(request).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    eprintln!("spark-mesos-backend: {e}");
                    let _ = send(&Event::Error { message: e.to_string() });
                }
            }
        }
    });
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    if fine {
        runtime.block_on(fine_runtime::run(start, rx, send))
    } else {
        runtime.block_on(runtime::run(start, rx, send))
    }
}

fn write_record(record: &mut Option<File>, line: &[u8]) -> Result<(), Error> {
    if let Some(file) = record.as_mut() {
        file.write_all(line)?;
        file.write_all(b"\n")?;
    }
    Ok(())
}

fn serve_stub(
    start: Start,
    mut input: impl io::BufRead,
    mut record: Option<File>,
) -> Result<(), Error> {
    let mut stub = Stub::new(format!("stub-{}-0000", std::process::id()));
    let mut request = Request::Start(start);
    let mut line = Vec::new();
    loop {
        eprintln!("spark-mesos-backend: stub: {} request", request.kind());
        match stub.handle(&request) {
            Ok(reply) => {
                for event in &reply.events {
                    send(event)?;
                }
                if reply.exit {
                    return Ok(());
                }
            }
            Err(e) => {
                eprintln!("spark-mesos-backend: {e}");
                send(&Event::Error { message: e.to_string() })?;
            }
        }
        // End of input means the driver is gone: nothing is left to serve.
        loop {
            if !protocol::read_line(&mut input, MAX_LINE, &mut line)? {
                return Ok(());
            }
            write_record(&mut record, &line)?;
            match protocol::decode_request(&line) {
                Ok(next) => {
                    request = next;
                    break;
                }
                Err(e) => {
                    eprintln!("spark-mesos-backend: {e}");
                    send(&Event::Error { message: e.to_string() })?;
                }
            }
        }
    }
}
