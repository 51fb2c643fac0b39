//! [`ClientConfig`]: the client side of Spark's `spark.shuffle.io.*` settings.

use std::collections::BTreeMap;
use std::time::Duration;

use shuffle_protocol::DEFAULT_MAX_FRAME_LEN;

use crate::error::{Error, Result};

/// How a [`ShuffleClient`](crate::ShuffleClient) connects, times out, retries and picks the
/// transfer path. Each field names the Spark key it mirrors; the defaults are Spark 3.5's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Connections kept per server address; requests go to them round-robin
    /// (`spark.shuffle.io.numConnectionsPerPeer`, 1).
    pub num_connections_per_peer: usize,
    /// Limit on making a TCP connection (`spark.shuffle.io.connectionCreationTimeout`,
    /// defaulting to the connection timeout, 120 s).
    pub connect_timeout: Duration,
    /// A connection with requests outstanding on which nothing arrives for this long is
    /// closed and its requests fail with [`Error::Timeout`]
    /// (`spark.shuffle.io.connectionTimeout`, defaulting to `spark.network.timeout`, 120 s).
    pub request_timeout: Duration,
    /// Retries of an operation after connection errors; 0 disables retrying
    /// (`spark.shuffle.io.maxRetries`, 3).
    pub max_retries: u32,
    /// Pause before each retry (`spark.shuffle.io.retryWait`, 5 s).
    pub retry_wait: Duration,
    /// A fetch whose size hint exceeds this many bytes uses the `StreamRequest` path
    /// (`spark.network.maxRemoteBlockSizeFetchToMem`, 200 MiB).
    pub max_remote_block_size_fetch_to_mem: u64,
    /// Fetch shuffle blocks with `OpenBlocks` instead of `FetchShuffleBlocks`
    /// (`spark.shuffle.useOldFetchProtocol`, false).
    pub use_old_fetch_protocol: bool,
    /// Limit on the `RegisterExecutor` and `RegisterDriver` RPCs
    /// (`spark.shuffle.registration.timeout`, 5 s).
    pub registration_timeout: Duration,
    /// Interval between a registered driver's heartbeats
    /// (`spark.executor.heartbeatInterval`, 10 s).
    pub driver_heartbeat_interval: Duration,
    /// Largest frame accepted from a server (Spark's limit, just under 2 GiB).
    pub max_frame_len: u64,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            num_connections_per_peer: 1,
            connect_timeout: Duration::from_secs(120),
            request_timeout: Duration::from_secs(120),
            max_retries: 3,
            retry_wait: Duration::from_secs(5),
            max_remote_block_size_fetch_to_mem: 200 << 20,
            use_old_fetch_protocol: false,
            registration_timeout: Duration::from_millis(5000),
            driver_heartbeat_interval: Duration::from_secs(10),
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
        }
    }
}

/// Spark keys read by [`ClientConfig::from_spark_properties`].
pub mod keys {
    /// `num_connections_per_peer`.
    pub const NUM_CONNECTIONS_PER_PEER: &str = "spark.shuffle.io.numConnectionsPerPeer";
    /// `connect_timeout`.
    pub const CONNECTION_CREATION_TIMEOUT: &str = "spark.shuffle.io.connectionCreationTimeout";
    /// `request_timeout`.
    pub const CONNECTION_TIMEOUT: &str = "spark.shuffle.io.connectionTimeout";
    /// Fallback of `request_timeout`.
    pub const NETWORK_TIMEOUT: &str = "spark.network.timeout";
    /// `max_retries`.
    pub const MAX_RETRIES: &str = "spark.shuffle.io.maxRetries";
    /// `retry_wait`.
    pub const RETRY_WAIT: &str = "spark.shuffle.io.retryWait";
    /// `max_remote_block_size_fetch_to_mem`.
    pub const MAX_REMOTE_BLOCK_SIZE_FETCH_TO_MEM: &str =
        "spark.network.maxRemoteBlockSizeFetchToMem";
    /// `use_old_fetch_protocol`.
    pub const USE_OLD_FETCH_PROTOCOL: &str = "spark.shuffle.useOldFetchProtocol";
    /// `registration_timeout`.
    pub const REGISTRATION_TIMEOUT: &str = "spark.shuffle.registration.timeout";
    /// `driver_heartbeat_interval`.
    pub const HEARTBEAT_INTERVAL: &str = "spark.executor.heartbeatInterval";
}

impl ClientConfig {
    /// Reads the [`keys`] from Spark properties (`spark-defaults.conf` style), with Spark's
    /// defaults and fallbacks for absent keys and Spark's unit rules: time strings such as
    /// `500ms`, `5s`, `2min`, `1h` (a bare number is seconds for the `io` timeouts and retry
    /// wait, milliseconds for the registration timeout and heartbeat interval), and byte
    /// strings such as `200m`, `1g`, `4096` (bare = bytes). Other keys are ignored.
    pub fn from_spark_properties(props: &BTreeMap<String, String>) -> Result<Self> {
        let defaults = Self::default();
        let get = |key: &'static str| props.get(key).map(|v| (key, v.as_str()));
        let network_timeout = match get(keys::NETWORK_TIMEOUT) {
            Some((k, v)) => parse_time(k, v, TimeUnit::Seconds)?,
            None => defaults.request_timeout,
        };
        let request_timeout = match get(keys::CONNECTION_TIMEOUT) {
            Some((k, v)) => parse_time(k, v, TimeUnit::Seconds)?,
            None => network_timeout,
        };
        let config = Self {
            num_connections_per_peer: match get(keys::NUM_CONNECTIONS_PER_PEER) {
                Some((k, v)) => parse_number(k, v)?,
                None => defaults.num_connections_per_peer,
            },
            connect_timeout: match get(keys::CONNECTION_CREATION_TIMEOUT) {
                Some((k, v)) => parse_time(k, v, TimeUnit::Seconds)?,
                None => request_timeout,
            },
            request_timeout,
            max_retries: match get(keys::MAX_RETRIES) {
                Some((k, v)) => parse_number(k, v)?,
                None => defaults.max_retries,
            },
            retry_wait: match get(keys::RETRY_WAIT) {
                Some((k, v)) => parse_time(k, v, TimeUnit::Seconds)?,
                None => defaults.retry_wait,
            },
            max_remote_block_size_fetch_to_mem: match get(keys::MAX_REMOTE_BLOCK_SIZE_FETCH_TO_MEM)
            {
                Some((k, v)) => parse_bytes(k, v)?,
                None => defaults.max_remote_block_size_fetch_to_mem,
            },
            use_old_fetch_protocol: match get(keys::USE_OLD_FETCH_PROTOCOL) {
                Some((k, v)) => parse_bool(k, v)?,
                None => defaults.use_old_fetch_protocol,
            },
            registration_timeout: match get(keys::REGISTRATION_TIMEOUT) {
                Some((k, v)) => parse_time(k, v, TimeUnit::Millis)?,
                None => defaults.registration_timeout,
            },
            driver_heartbeat_interval: match get(keys::HEARTBEAT_INTERVAL) {
                Some((k, v)) => parse_time(k, v, TimeUnit::Millis)?,
                None => defaults.driver_heartbeat_interval,
            },
            max_frame_len: defaults.max_frame_len,
        };
        config.validate()?;
        Ok(config)
    }

    /// Checks the values that would make the client unusable: no connections per peer,
    /// zero timeouts or heartbeat interval.
    pub fn validate(&self) -> Result<()> {
        let invalid = |key: &str, value: String, reason| {
            Err(Error::Config { key: key.to_owned(), value, reason })
        };
        if self.num_connections_per_peer == 0 {
            return invalid("num_connections_per_peer", "0".into(), "must be at least 1");
        }
        for (key, value) in [
            ("connect_timeout", self.connect_timeout),
            ("request_timeout", self.request_timeout),
            ("registration_timeout", self.registration_timeout),
            ("driver_heartbeat_interval", self.driver_heartbeat_interval),
        ] {
            if value.is_zero() {
                return invalid(key, format!("{value:?}"), "must be positive");
            }
        }
        Ok(())
    }
}

/// The unit of a bare number in a Spark time string.
#[derive(Debug, Clone, Copy)]
enum TimeUnit {
    Millis,
    Seconds,
}

fn bad(key: &str, value: &str, reason: &'static str) -> Error {
    Error::Config { key: key.to_owned(), value: value.to_owned(), reason }
}

/// Spark's `JavaUtils.timeStringAs`: a non-negative integer with an optional suffix
/// (`us`, `ms`, `s`, `m`/`min`, `h`, `d`).
fn parse_time(key: &str, value: &str, bare: TimeUnit) -> Result<Duration> {
    let v = value.trim().to_ascii_lowercase();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (digits, suffix) = v.split_at(split);
    let n: u64 = digits.parse().map_err(|_| bad(key, value, "not a time string"))?;
    let duration = match suffix.trim() {
        "" => match bare {
            TimeUnit::Millis => Duration::from_millis(n),
            TimeUnit::Seconds => Duration::from_secs(n),
        },
        "us" => Duration::from_micros(n),
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" | "min" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        "d" => Duration::from_secs(n.saturating_mul(86_400)),
        _ => return Err(bad(key, value, "unknown time unit")),
    };
    Ok(duration)
}

/// Spark's `JavaUtils.byteStringAs` with bytes as the bare unit: `b`, `k`/`kb`, `m`/`mb`,
/// `g`/`gb`, `t`/`tb`, `p`/`pb`, powers of 1024.
fn parse_bytes(key: &str, value: &str) -> Result<u64> {
    let v = value.trim().to_ascii_lowercase();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (digits, suffix) = v.split_at(split);
    let n: u64 = digits.parse().map_err(|_| bad(key, value, "not a byte string"))?;
    let shift = match suffix.trim() {
        "" | "b" => 0,
        "k" | "kb" => 10,
        "m" | "mb" => 20,
        "g" | "gb" => 30,
        "t" | "tb" => 40,
        "p" | "pb" => 50,
        _ => return Err(bad(key, value, "unknown byte unit")),
    };
    n.checked_mul(1 << shift).ok_or_else(|| bad(key, value, "too large"))
}

fn parse_number<T: std::str::FromStr>(key: &str, value: &str) -> Result<T> {
    value.trim().parse().map_err(|_| bad(key, value, "not a non-negative integer"))
}

fn parse_bool(key: &str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad(key, value, "not true or false")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn empty_properties_give_spark_defaults() {
        let config = ClientConfig::from_spark_properties(&BTreeMap::new());
        assert_eq!(config.ok(), Some(ClientConfig::default()));
    }

    #[test]
    fn reads_keys_with_spark_units_and_fallbacks() {
        let config = ClientConfig::from_spark_properties(&props(&[
            ("spark.network.timeout", "60"),
            ("spark.shuffle.io.numConnectionsPerPeer", "2"),
            ("spark.shuffle.io.maxRetries", "0"),
            ("spark.shuffle.io.retryWait", "500ms"),
            ("spark.network.maxRemoteBlockSizeFetchToMem", "1g"),
            ("spark.shuffle.useOldFetchProtocol", "TRUE"),
            ("spark.shuffle.registration.timeout", "2000"),
            ("spark.executor.heartbeatInterval", "2min"),
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.request_timeout, Duration::from_secs(60));
        assert_eq!(config.connect_timeout, Duration::from_secs(60));
        assert_eq!(config.num_connections_per_peer, 2);
        assert_eq!(config.max_retries, 0);
        assert_eq!(config.retry_wait, Duration::from_millis(500));
        assert_eq!(config.max_remote_block_size_fetch_to_mem, 1 << 30);
        assert!(config.use_old_fetch_protocol);
        assert_eq!(config.registration_timeout, Duration::from_secs(2));
        assert_eq!(config.driver_heartbeat_interval, Duration::from_secs(120));
    }

    #[test]
    fn refuses_bad_values() {
        for (k, v) in [
            ("spark.shuffle.io.retryWait", "soon"),
            ("spark.shuffle.io.retryWait", "5 fortnights"),
            ("spark.network.maxRemoteBlockSizeFetchToMem", "-1"),
            ("spark.shuffle.io.numConnectionsPerPeer", "0"),
            ("spark.shuffle.useOldFetchProtocol", "yes"),
            ("spark.shuffle.io.connectionTimeout", "0"),
        ] {
            let got = ClientConfig::from_spark_properties(&props(&[(k, v)]));
            assert!(matches!(got, Err(Error::Config { .. })), "{k}={v}: {got:?}");
        }
    }
}
