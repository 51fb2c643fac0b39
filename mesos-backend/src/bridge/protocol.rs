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

/// The newest protocol version, which adds fine-grained mode's messages; the plugin puts its
/// version in `start`.
pub const PROTOCOL_VERSION: u32 = 2;

/// The oldest version still served: 1, coarse mode only (its messages are unchanged in 2).
pub const MIN_PROTOCOL_VERSION: u32 = 1;

/// The longest line accepted, newline excluded. A `start` carries the whole SparkConf, which
/// is a few KiB in practice; 1 MiB leaves room for large `spark.executor.extraJavaOptions`.
pub const MAX_LINE: usize = 1 << 20;

/// The longest line in fine-grained mode. `launchTasks` carries every task Spark placed in a
/// round, each with its serialized `TaskDescription` (which holds the partition, so a
/// `parallelize` slice travels inside it; Spark only warns above 1000 KiB per task), and a
/// `statusUpdate` carries a direct task result (`spark.task.maxDirectResultSize`, 1 MiB),
/// all in base64.
pub const MAX_FINE_LINE: usize = 16 << 20;

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
    /// Fine mode: Spark's scheduler wants offers again (`reviveOffers`).
    ReviveOffers,
    /// Fine mode: kill the Mesos task of a Spark task (`killTask`).
    #[serde(rename_all = "camelCase")]
    KillTask {
        /// The Spark task id (TID).
        task_id: i64,
    },
    /// Fine mode: what `scheduler.resourceOffers` placed on one `resourceOffers` round.
    LaunchTasks(LaunchTasks),
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
            Self::ReviveOffers => "reviveOffers",
            Self::KillTask { .. } => "killTask",
            Self::LaunchTasks(_) => "launchTasks",
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
    /// Fine mode (version 2): base64 of Spark's `createExecArg()`, the serialized Spark
    /// properties every `MesosExecutorBackend` gets as its `ExecutorInfo.data`.
    #[serde(default)]
    pub exec_arg: Option<String>,
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

/// The `launchTasks` request: the answer to the `resourceOffers` event of the same round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LaunchTasks {
    /// The round answered.
    pub round: u64,
    /// The tasks placed, offer by offer in the round's order.
    pub tasks: Vec<LaunchTask>,
}

/// One Spark task of a `launchTasks` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LaunchTask {
    /// The Spark task id (TID), which becomes the Mesos task id.
    pub task_id: i64,
    /// The worker offer's executor id (the agent id) it was placed on.
    pub executor_id: String,
    /// The task's name (`task 0.0 in stage 0.0 (TID 0)`).
    pub name: String,
    /// Base64 of `TaskDescription.encode(task)`.
    pub data: String,
}

/// One worker offer of a `resourceOffers` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerOffer {
    /// The executor id: the agent id.
    pub executor_id: String,
    /// The agent's host name.
    pub host: String,
    /// Whole cores for Spark tasks.
    pub cores: i32,
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
    /// Fine mode: offers for Spark's scheduler; the plugin answers `launchTasks` with this
    /// round.
    #[serde(rename_all = "camelCase")]
    ResourceOffers {
        /// Numbers rounds so a late answer cannot launch on offers already declined.
        round: u64,
        /// `WorkerOffer`s for `scheduler.resourceOffers`, in offer order.
        worker_offers: Vec<WorkerOffer>,
    },
    /// Fine mode: `scheduler.statusUpdate(taskId, state, data)`.
    #[serde(rename_all = "camelCase")]
    StatusUpdate {
        /// The Spark task id.
        task_id: i64,
        /// Spark's `TaskState` name (`LAUNCHING`, `RUNNING`, `FINISHED`, `FAILED`, `KILLED`,
        /// `LOST`).
        state: String,
        /// Base64 of the status's data (a serialized task result or failure reason).
        data: String,
    },
    /// Fine mode: `SparkListenerExecutorAdded`, at every launch on an agent.
    #[serde(rename_all = "camelCase")]
    ExecutorAdded {
        /// The executor id: the agent id.
        executor_id: String,
        /// The agent's host.
        host: String,
        /// The worker offer's cores.
        cores: i32,
    },
    /// Fine mode: `SparkListenerExecutorRemoved`.
    #[serde(rename_all = "camelCase")]
    ExecutorRemoved {
        /// The executor id: the agent id.
        executor_id: String,
        /// `taskFailed`, `agentLost` or `executorExited`.
        reason: String,
        /// The exit status, for `executorExited` when Mesos reported one.
        exit_status: Option<i32>,
    },
    /// Fine mode: `scheduler.executorLost(executorId, reason)`.
    #[serde(rename_all = "camelCase")]
    ExecutorLost {
        /// The executor id: the agent id.
        executor_id: String,
        /// `agentLost` (`ExecutorProcessLost`) or `executorExited` (`ExecutorExited`).
        reason: String,
        /// The exit status, for `executorExited` when Mesos reported one.
        exit_status: Option<i32>,
    },
    /// Fine mode: `scheduler.error(message)` (the master's ERROR event).
    SchedulerError {
        /// The master's message.
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
        if !(MIN_PROTOCOL_VERSION..=PROTOCOL_VERSION).contains(&start.version) {
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
        assert_eq!(decode_request(br#"{"type":"reviveOffers"}"#).unwrap(), Request::ReviveOffers);
        assert_eq!(
            decode_request(br#"{"type":"killTask","taskId":12}"#).unwrap(),
            Request::KillTask { task_id: 12 }
        );
        let line = br#"{"type":"launchTasks","round":3,"tasks":[{"taskId":0,"executorId":"a1","name":"task 0.0 in stage 0.0 (TID 0)","data":"AAE="}]}"#;
        let Request::LaunchTasks(launch) = decode_request(line).unwrap() else { panic!() };
        assert_eq!(launch.round, 3);
        assert_eq!(launch.tasks[0].executor_id, "a1");
        assert_eq!(launch.tasks[0].data, "AAE=");
    }

    #[test]
    fn fine_events_encode_in_camel_case() {
        let line = encode_event(&Event::ResourceOffers {
            round: 1,
            worker_offers: vec![WorkerOffer {
                executor_id: "a".into(),
                host: "h".into(),
                cores: 2,
            }],
        });
        assert_eq!(
            line,
            b"{\"type\":\"resourceOffers\",\"round\":1,\"workerOffers\":[{\"executorId\":\"a\",\"host\":\"h\",\"cores\":2}]}\n"
        );
        let line = encode_event(&Event::ExecutorLost {
            executor_id: "a".into(),
            reason: "executorExited".into(),
            exit_status: Some(1),
        });
        assert_eq!(
            line,
            b"{\"type\":\"executorLost\",\"executorId\":\"a\",\"reason\":\"executorExited\",\"exitStatus\":1}\n"
        );
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
            br#"{"type":"start","version":3,"appName":"a","driverUrl":"d","user":"u","conf":{}}"#;
        assert!(matches!(
            decode_request(line),
            Err(Error::BridgeVersion { got: 3, supported: PROTOCOL_VERSION })
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
