//! The process a Spark driver's JVM bridge starts: bridge requests on stdin, events on stdout,
//! logs on stderr (see `docs/mesos-bridge.md`).
//!
//! For now it serves [`mesos_backend::bridge::stub::Stub`]: it registers no framework with a
//! Mesos master and launches no executor.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Write};
use std::process::ExitCode;

use mesos_backend::bridge::protocol::{self, Event, Request, MAX_LINE};
use mesos_backend::bridge::stub::{Stub, RECORD_KEY};
use mesos_backend::Error;

fn main() -> ExitCode {
    match serve() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spark-mesos-backend: {e}");
            ExitCode::FAILURE
        }
    }
}

fn send(out: &mut impl Write, event: &Event) -> Result<(), Error> {
    out.write_all(&protocol::encode_event(event))?;
    out.flush()?;
    Ok(())
}

fn serve() -> Result<(), Error> {
    let mut input = BufReader::new(io::stdin().lock());
    let mut out = io::stdout().lock();
    let mut stub = Stub::new(format!("stub-{}-0000", std::process::id()));
    let mut record: Option<File> = None;
    let mut line = Vec::new();
    // End of input means the driver is gone: nothing is left to serve.
    while protocol::read_line(&mut input, MAX_LINE, &mut line)? {
        let request = match protocol::decode_request(&line) {
            Ok(request) => request,
            Err(e) => {
                eprintln!("spark-mesos-backend: {e}");
                send(&mut out, &Event::Error { message: e.to_string() })?;
                continue;
            }
        };
        eprintln!("spark-mesos-backend: {} request", request.kind());
        if let Request::Start(start) = &request {
            if let Some(path) = start.conf.get(RECORD_KEY) {
                record = Some(OpenOptions::new().create(true).append(true).open(path)?);
            }
        }
        if let Some(file) = record.as_mut() {
            file.write_all(&line)?;
            file.write_all(b"\n")?;
        }
        match stub.handle(&request) {
            Ok(reply) => {
                for event in &reply.events {
                    send(&mut out, event)?;
                }
                if reply.exit {
                    return Ok(());
                }
            }
            Err(e) => {
                eprintln!("spark-mesos-backend: {e}");
                send(&mut out, &Event::Error { message: e.to_string() })?;
            }
        }
    }
    Ok(())
}
