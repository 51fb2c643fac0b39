//! The bridge protocol: one JSON object per `\n`-terminated line, tagged by `type`.
//!
//! Requests travel from the JVM plugin to this process on its stdin, events back on its stdout;
//! stderr is free-form logging. Field names are camelCase as the Java side writes them. Every
//! line is bounded by [`MAX_LINE`] before it is parsed, so a runaway peer costs at most that
//! much memory.

use std::collections::BTreeMap;
use std::io::BufRead;

use serde::{Deserialize, Serialize};

use crate::Error;

/// The protocol version both sides put in / expect in `start`.
pub const PROTOCOL_VERSION: u32 = 1;

/// The longest line accepted, newline excluded. A `start` carries the whole SparkConf, which
/// is a few KiB in practice; 1 MiB leaves room for large `spark.executor.extraJavaOptions`.
pub const MAX_LINE: usize = 1 << 20;

/// A message from the JVM plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum Request {
    /// The driver is up: register a framework and start launching executors.
    Start(Start),
    /// Spark's target number of executors (`doRequestTotalExecutors`).
    RequestTotal(RequestTotal),
    /// Executors Spark wants gone (`doKillExecutors`).
    Kill(Kill),
    /// The driver is stopping: tear the framework down and exit.
    Stop,
}

impl Request {
    /// The message's `type`, for logs and errors.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Start(_) => "start",
            Self::RequestTotal(_) => "requestTotal",
            Self::Kill(_) => "kill",
            Self::Stop => "stop",
        }
    }
}

/// The `start` request: everything the Mesos backend reads from the driver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Start {
    /// [`PROTOCOL_VERSION`] as the plugin knows it.
    pub version: u32,
    /// `spark.app.name`.
    pub app_name: String,
    /// The executors' `--driver-url` (`spark://CoarseGrainedScheduler@host:port`).
    pub driver_url: String,
    /// `sc.sparkUser`, the Mesos framework's user.
    pub user: String,
    /// `SPARK_HOME` of the driver, when set; executors run from it without an executor URI.
    #[serde(default)]
    pub spark_home: Option<String>,
    /// The whole SparkConf.
    pub conf: BTreeMap<String, String>,
    /// `sc.executorEnvs` as `[name, value]` pairs in Spark's iteration order, which the
    /// executors' command line keeps.
    #[serde(default)]
    pub executor_env: Vec<(String, String)>,
}

/// The `requestTotal` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestTotal {
    /// The resource profile the total is for; the plugin sends the default profile (0) only.
    pub resource_profile_id: u32,
    /// The total number of executors wanted.
    pub total: u32,
}

/// The `kill` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Kill {
    /// Spark executor ids (the Mesos task ids of the executors).
    pub executor_ids: Vec<String>,
}

/// A message to the JVM plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Event {
    /// The framework is registered; its id becomes the Spark application id.
    #[serde(rename_all = "camelCase")]
    Registered {
        /// The Mesos framework id.
        framework_id: String,
    },
    /// An executor task was launched on an agent.
    #[serde(rename_all = "camelCase")]
    ExecutorLaunched {
        /// Spark executor id (the task id).
        executor_id: String,
        /// The Mesos agent it runs on.
        agent_id: String,
        /// The agent's host name.
        host: String,
    },
    /// An executor task ended normally (`TASK_FINISHED`, `TASK_KILLED`).
    #[serde(rename_all = "camelCase")]
    ExecutorFinished {
        /// Spark executor id.
        executor_id: String,
        /// The Mesos task state's name.
        state: String,
        /// The status message, if Mesos gave one.
        message: String,
    },
    /// An executor task failed or was lost; the driver removes the executor.
    #[serde(rename_all = "camelCase")]
    ExecutorFailed {
        /// Spark executor id.
        executor_id: String,
        /// The Mesos task state's name.
        state: String,
        /// The status message, if Mesos gave one.
        message: String,
    },
    /// Something failed in this process; fatal before `registered`, logged after.
    Error {
        /// What failed.
        message: String,
    },
}

/// Reads one line of at most `max` bytes (newline excluded) into `buf`, without the newline.
/// Returns `false` at a clean end of stream; a final line without a newline still counts.
///
/// Bytes are taken from the reader's buffer as they come, so memory stays within `max` plus
/// one buffer whatever the peer sends.
pub fn read_line(reader: &mut impl BufRead, max: usize, buf: &mut Vec<u8>) -> Result<bool, Error> {
    buf.clear();
    let mut seen_any = false;
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok(seen_any);
        }
        seen_any = true;
        let (part, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (&chunk[..i], Some(i + 1)),
            None => (chunk, None),
        };
        if buf.len() + part.len() > max {
            return Err(Error::BridgeLineTooLong { max });
        }
        buf.extend_from_slice(part);
        let used = done.unwrap_or(part.len());
        reader.consume(used);
        if done.is_some() {
            return Ok(true);
        }
    }
}

/// Parses one request line (without its newline).
pub fn decode_request(line: &[u8]) -> Result<Request, Error> {
    let request: Request = serde_json::from_slice(line).map_err(Error::BridgeBadMessage)?;
    if let Request::Start(start) = &request {
        if start.version != PROTOCOL_VERSION {
            return Err(Error::BridgeVersion { got: start.version, supported: PROTOCOL_VERSION });
        }
    }
    Ok(request)
}

/// One event as a line, newline included.
pub fn encode_event(event: &Event) -> Vec<u8> {
    // Serializing these plain structs of strings cannot fail; fall back to an empty object
    // rather than panic so the writer never needs an error path for it.
    let mut line = serde_json::to_vec(event).unwrap_or_else(|_| b"{}".to_vec());
    line.push(b'\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize) -> Vec<Result<Vec<u8>, String>> {
        let mut reader = std::io::BufReader::with_capacity(4, input);
        let mut out = Vec::new();
        let mut buf = Vec::new();
        loop {
            match read_line(&mut reader, max, &mut buf) {
                Ok(true) => out.push(Ok(buf.clone())),
                Ok(false) => return out,
                Err(e) => {
                    out.push(Err(e.to_string()));
                    return out;
                }
            }
        }
    }

    #[test]
    fn lines_split_across_small_buffers() {
        let got = lines(b"{\"a\":1}\n\nxyz", 16);
        assert_eq!(got, vec![Ok(b"{\"a\":1}".to_vec()), Ok(Vec::new()), Ok(b"xyz".to_vec())]);
    }

    #[test]
    fn a_line_over_the_limit_is_an_error_not_an_allocation() {
        let got = lines(b"12345678\n", 7);
        assert!(matches!(got.as_slice(), [Err(_)]), "{got:?}");
        assert_eq!(lines(b"1234567\n", 7), vec![Ok(b"1234567".to_vec())]);
    }

    #[test]
    fn start_round_trips_in_camel_case() {
        let line = br#"{"type":"start","version":1,"appName":"pi","driverUrl":"spark://CoarseGrainedScheduler@127.0.0.1:4040","user":"me","sparkHome":null,"conf":{"spark.cores.max":"2"},"executorEnv":[["PYSPARK_PYTHON","python3"]]}"#;
        let Request::Start(start) = decode_request(line).unwrap() else { panic!("not start") };
        assert_eq!(start.app_name, "pi");
        assert_eq!(start.conf["spark.cores.max"], "2");
        assert_eq!(start.executor_env, vec![("PYSPARK_PYTHON".to_owned(), "python3".to_owned())]);
        assert_eq!(start.spark_home, None);
    }

    #[test]
    fn requests_decode() {
        assert_eq!(
            decode_request(br#"{"type":"requestTotal","resourceProfileId":0,"total":3}"#).unwrap(),
            Request::RequestTotal(RequestTotal { resource_profile_id: 0, total: 3 })
        );
        assert_eq!(
            decode_request(br#"{"type":"kill","executorIds":["1","2"]}"#).unwrap(),
            Request::Kill(Kill { executor_ids: vec!["1".into(), "2".into()] })
        );
        assert_eq!(decode_request(br#"{"type":"stop"}"#).unwrap(), Request::Stop);
    }

    #[test]
    fn bad_lines_are_typed_errors() {
        for line in [
            &b""[..],
            b"not json",
            b"{}",
            b"[]",
            br#"{"type":"launch"}"#,
            br#"{"type":"kill"}"#,
            br#"{"type":"kill","executorIds":[1]}"#,
            br#"{"type":"requestTotal","resourceProfileId":0,"total":-1}"#,
            b"\xff\xfe",
        ] {
            assert!(
                matches!(decode_request(line), Err(Error::BridgeBadMessage(_))),
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn other_versions_are_refused() {
        let line =
            br#"{"type":"start","version":2,"appName":"a","driverUrl":"d","user":"u","conf":{}}"#;
        assert!(matches!(
            decode_request(line),
            Err(Error::BridgeVersion { got: 2, supported: PROTOCOL_VERSION })
        ));
    }

    #[test]
    fn events_encode_as_one_camel_case_line() {
        let line = encode_event(&Event::Registered { framework_id: "fw-1".into() });
        assert_eq!(line, b"{\"type\":\"registered\",\"frameworkId\":\"fw-1\"}\n");
        let line = encode_event(&Event::ExecutorFailed {
            executor_id: "3".into(),
            state: "TASK_LOST".into(),
            message: "a\nb".into(),
        });
        assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
        assert!(line.starts_with(b"{\"type\":\"executorFailed\",\"executorId\":\"3\""));
    }
}
