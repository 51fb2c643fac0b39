//! Our record encoding: a driver's [`DriverEntry`], the submission counter and the framework
//! id, as JSON with a format number.
//!
//! JSON because an operator can read it (`zkCli.sh get`, `redb` dumps) and serde bounds
//! nothing we must check by hand. Spark stores Java-serialized Scala objects instead; neither
//! side reads the other's records. Times are Unix milliseconds; cores are kept as text,
//! since a JSON float does not always come back as the same `f64`.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{Key, Section};
use crate::queue::{
    DriverDescription, DriverEntry, EntryState, LaunchedTask, RetryState, SubmissionId,
};
use crate::{Error, Result};

/// The format this build reads and writes.
pub const FORMAT: u32 = 1;

/// The scheduler record holding the framework id (Spark's name).
pub const FRAMEWORK_ID: &str = "frameworkId";
/// The scheduler record holding the submission counter (ours).
pub const NEXT_DRIVER_NUMBER: &str = "nextDriverNumber";

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    submission_id: String,
    name: String,
    app_resource: String,
    main_class: String,
    app_args: Vec<String>,
    environment: BTreeMap<String, String>,
    spark_properties: BTreeMap<String, String>,
    mem_mb: i64,
    cores: String,
    supervise: bool,
    submitted_millis: u64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Retry {
    retries: u32,
    wait_secs: u64,
    next_retry_millis: u64,
}

/// Every driver section's record; which fields are set depends on the section.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DriverRecord {
    format: u32,
    seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    driver: Option<Driver>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    task_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    agent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry: Option<Retry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    started_millis: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    finished_millis: Option<u64>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ValueRecord<T> {
    format: u32,
    value: T,
}

/// The section a driver in `state` is stored in.
pub fn section_of(state: &EntryState) -> Section {
    match state {
        EntryState::Queued(_) => Section::DriverQueue,
        EntryState::Launched { .. } => Section::LaunchedDrivers,
        EntryState::Retrying { .. } => Section::RetryList,
        EntryState::Finished { .. } => Section::FinishedDrivers,
    }
}

/// The key and bytes of `entry`.
pub fn encode_entry(entry: &DriverEntry) -> Result<(Key, Vec<u8>)> {
    let key = Key::new(section_of(&entry.state), entry.submission_id().as_str())?;
    let mut record = DriverRecord {
        format: FORMAT,
        seq: entry.seq,
        driver: None,
        task_id: None,
        agent_id: None,
        retry: None,
        started_millis: None,
        last_status: None,
        finished_millis: None,
    };
    match &entry.state {
        EntryState::Queued(driver) => record.driver = Some(to_driver(driver)),
        EntryState::Launched { driver, task, last_status } => {
            record.driver = Some(to_driver(driver));
            set_task(&mut record, task);
            record.last_status.clone_from(last_status);
        }
        EntryState::Retrying { driver, retry, last_failure } => {
            record.driver = Some(to_driver(driver));
            record.retry = Some(to_retry(*retry));
            record.last_status = Some(last_failure.clone());
        }
        EntryState::Finished { driver, task, last_status, finished } => {
            record.driver = Some(to_driver(driver));
            if let Some(task) = task {
                set_task(&mut record, task);
            }
            record.last_status.clone_from(last_status);
            record.finished_millis = Some(millis(*finished));
        }
    }
    let bytes = serde_json::to_vec(&record)
        .map_err(|source| Error::BadRecord { key: key.to_string(), source })?;
    Ok((key, bytes))
}

/// The driver stored under `key` (a driver section).
pub fn decode_entry(key: &Key, bytes: &[u8]) -> Result<DriverEntry> {
    let record: DriverRecord = serde_json::from_slice(bytes)
        .map_err(|source| Error::BadRecord { key: key.to_string(), source })?;
    check_format(key, record.format)?;
    let field = |field| Error::BadRecordField { key: key.to_string(), field };
    let id = SubmissionId::new(key.name.clone());
    let driver = match record.driver {
        Some(d) => {
            let d = from_driver(key, d)?;
            if d.submission_id != id {
                return Err(field("driver.submissionId"));
            }
            Some(d)
        }
        None => None,
    };
    let state = match key.section {
        Section::DriverQueue => EntryState::Queued(driver.ok_or_else(|| field("driver"))?),
        Section::LaunchedDrivers => EntryState::Launched {
            driver: driver.ok_or_else(|| field("driver"))?,
            task: LaunchedTask {
                task_id: record.task_id.ok_or_else(|| field("taskId"))?,
                agent_id: record.agent_id.ok_or_else(|| field("agentId"))?,
                retry: record.retry.map(from_retry),
                started: time(record.started_millis.ok_or_else(|| field("startedMillis"))?),
            },
            last_status: record.last_status,
        },
        Section::RetryList => EntryState::Retrying {
            driver: driver.ok_or_else(|| field("driver"))?,
            retry: from_retry(record.retry.ok_or_else(|| field("retry"))?),
            last_failure: record.last_status.ok_or_else(|| field("lastStatus"))?,
        },
        Section::FinishedDrivers => {
            // A driver that never launched has no task.
            let task = match record.task_id {
                Some(task_id) => Some(LaunchedTask {
                    task_id,
                    agent_id: record.agent_id.ok_or_else(|| field("agentId"))?,
                    retry: record.retry.map(from_retry),
                    started: time(record.started_millis.ok_or_else(|| field("startedMillis"))?),
                }),
                None => None,
            };
            EntryState::Finished {
                driver: driver.ok_or_else(|| field("driver"))?,
                task,
                last_status: record.last_status,
                finished: time(record.finished_millis.ok_or_else(|| field("finishedMillis"))?),
            }
        }
        Section::Scheduler => return Err(Error::BadRecordKey { key: key.to_string() }),
    };
    Ok(DriverEntry { seq: record.seq, state })
}

/// The framework id's record.
pub fn encode_framework_id(id: &str) -> Vec<u8> {
    encode_value(id)
}

/// The framework id stored under `key`.
pub fn decode_framework_id(key: &Key, bytes: &[u8]) -> Result<String> {
    decode_value(key, bytes)
}

/// The submission counter's record.
pub fn encode_next_number(n: u64) -> Vec<u8> {
    encode_value(n)
}

/// The submission counter stored under `key`.
pub fn decode_next_number(key: &Key, bytes: &[u8]) -> Result<u64> {
    decode_value(key, bytes)
}

fn encode_value<T: Serialize>(value: T) -> Vec<u8> {
    // A string or a number always serializes.
    serde_json::to_vec(&ValueRecord { format: FORMAT, value }).unwrap_or_default()
}

fn decode_value<T: for<'de> Deserialize<'de>>(key: &Key, bytes: &[u8]) -> Result<T> {
    let record: ValueRecord<T> = serde_json::from_slice(bytes)
        .map_err(|source| Error::BadRecord { key: key.to_string(), source })?;
    check_format(key, record.format)?;
    Ok(record.value)
}

fn check_format(key: &Key, format: u32) -> Result<()> {
    if format != FORMAT {
        return Err(Error::RecordFormat { key: key.to_string(), format, supported: FORMAT });
    }
    Ok(())
}

fn to_driver(d: &DriverDescription) -> Driver {
    Driver {
        submission_id: d.submission_id.to_string(),
        name: d.name.clone(),
        app_resource: d.app_resource.clone(),
        main_class: d.main_class.clone(),
        app_args: d.app_args.clone(),
        environment: d.environment.clone(),
        spark_properties: d.spark_properties.clone(),
        mem_mb: d.mem_mb,
        cores: d.cores.to_string(),
        supervise: d.supervise,
        submitted_millis: millis(d.submitted),
    }
}

fn from_driver(key: &Key, d: Driver) -> Result<DriverDescription> {
    let cores = d
        .cores
        .parse::<f64>()
        .ok()
        .filter(|c| c.is_finite())
        .ok_or_else(|| Error::BadRecordField { key: key.to_string(), field: "driver.cores" })?;
    Ok(DriverDescription {
        submission_id: SubmissionId::new(d.submission_id),
        name: d.name,
        app_resource: d.app_resource,
        main_class: d.main_class,
        app_args: d.app_args,
        environment: d.environment,
        spark_properties: d.spark_properties,
        mem_mb: d.mem_mb,
        cores,
        supervise: d.supervise,
        submitted: time(d.submitted_millis),
    })
}

fn set_task(record: &mut DriverRecord, task: &LaunchedTask) {
    record.task_id = Some(task.task_id.clone());
    record.agent_id = Some(task.agent_id.clone());
    record.retry = task.retry.map(to_retry);
    record.started_millis = Some(millis(task.started));
}

fn to_retry(r: RetryState) -> Retry {
    Retry { retries: r.retries, wait_secs: r.wait_secs, next_retry_millis: millis(r.next_retry) }
}

fn from_retry(r: Retry) -> RetryState {
    RetryState { retries: r.retries, wait_secs: r.wait_secs, next_retry: time(r.next_retry_millis) }
}

fn millis(t: SystemTime) -> u64 {
    let ms = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_millis();
    u64::try_from(ms).unwrap_or(u64::MAX)
}

fn time(millis: u64) -> SystemTime {
    UNIX_EPOCH.checked_add(Duration::from_millis(millis)).unwrap_or(UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn driver(id: &str) -> DriverDescription {
        DriverDescription {
            submission_id: SubmissionId::new(id),
            name: "app \"quoted\" ünïcode".into(),
            app_resource: "http://h/app.jar".into(),
            main_class: "org.example.Main".into(),
            app_args: vec!["a b".into(), "$(x)".into()],
            environment: [("SPARK_X".to_owned(), "1".to_owned())].into(),
            spark_properties: [("spark.app.name".to_owned(), "n".to_owned())].into(),
            mem_mb: 1408,
            cores: 0.1 + 0.2,
            supervise: true,
            submitted: UNIX_EPOCH + Duration::from_millis(1_764_792_896_123),
        }
    }

    #[test]
    fn every_state_round_trips() {
        let id = "driver-20251203201456-0001";
        let retry = RetryState {
            retries: 2,
            wait_secs: 4,
            next_retry: UNIX_EPOCH + Duration::from_millis(5_000),
        };
        for state in [
            EntryState::Queued(driver(id)),
            EntryState::Launched {
                driver: driver(id),
                task: LaunchedTask {
                    task_id: format!("{id}-retry-2"),
                    agent_id: "a1".into(),
                    retry: Some(retry),
                    started: UNIX_EPOCH + Duration::from_millis(6_000),
                },
                last_status: Some("state: TASK_RUNNING".into()),
            },
            EntryState::Retrying { driver: driver(id), retry, last_failure: "failed".into() },
            EntryState::Finished {
                driver: driver(id),
                task: None,
                last_status: None,
                finished: UNIX_EPOCH + Duration::from_millis(7_000),
            },
            EntryState::Finished {
                driver: driver(id),
                task: Some(LaunchedTask {
                    task_id: id.into(),
                    agent_id: "a2".into(),
                    retry: None,
                    started: UNIX_EPOCH + Duration::from_millis(8_000),
                }),
                last_status: Some("state: TASK_FINISHED".into()),
                finished: UNIX_EPOCH + Duration::from_millis(9_000),
            },
        ] {
            let entry = DriverEntry { seq: 7, state };
            let (key, bytes) = encode_entry(&entry).unwrap();
            assert_eq!(key.name, id);
            assert_eq!(decode_entry(&key, &bytes).unwrap(), entry);
        }
        let key = Key::new(Section::Scheduler, FRAMEWORK_ID).unwrap();
        assert_eq!(decode_framework_id(&key, &encode_framework_id("fw-1")).unwrap(), "fw-1");
        let key = Key::new(Section::Scheduler, NEXT_DRIVER_NUMBER).unwrap();
        assert_eq!(decode_next_number(&key, &encode_next_number(42)).unwrap(), 42);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            for section in Section::ALL {
                let key = Key::new(section, "driver-1").unwrap();
                let _ = decode_entry(&key, &bytes);
                let _ = decode_next_number(&key, &bytes);
                let _ = decode_framework_id(&key, &bytes);
            }
        }
    }

    #[test]
    fn bad_records_are_clear_errors() {
        let id = "driver-1";
        let entry = DriverEntry { seq: 1, state: EntryState::Queued(driver(id)) };
        let (key, bytes) = encode_entry(&entry).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (bytes[..bytes.len() / 2].to_vec(), "does not decode"),
            (b"\xff\x00garbage".to_vec(), "does not decode"),
            (text.replace("\"format\":1", "\"format\":9").into_bytes(), "format 9"),
            (
                text.replace("\"cores\":\"0.30000000000000004\"", "\"cores\":\"x\"").into_bytes(),
                "driver.cores",
            ),
            (text.replace(id, "driver-2").into_bytes(), "driver.submissionId"),
            (br#"{"format":1,"seq":1}"#.to_vec(), "field driver"),
        ];
        for (bytes, want) in cases {
            let e = decode_entry(&key, &bytes).unwrap_err().to_string();
            assert!(e.contains(want) && e.contains("driverQueue/driver-1"), "{e}");
        }
    }
}
