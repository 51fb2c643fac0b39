//! [`ClientConfig`]: the client side of Spark's `spark.shuffle.io.*` settings, and
//! [`AuthConfig`]: its `spark.authenticate` settings.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

pub use shuffle_protocol::auth::cipher::CryptoCipher;
use shuffle_protocol::DEFAULT_MAX_FRAME_LEN;
use subtle::ConstantTimeEq;

use crate::error::{Error, Result};
use crate::tls::TlsConfig;

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
    /// Authentication of every new connection (`spark.authenticate`, off: `None`).
    pub auth: Option<AuthConfig>,
    /// TLS around every new connection, before any authentication; only this project's
    /// daemon offers it (`spark.shuffle.service.rs.tls.enabled` with the `.caFile`,
    /// `.clientCertFile` and `.clientKeyFile` keys; off: `None`).
    pub tls: Option<TlsConfig>,
}

/// How a connection authenticates (`spark.authenticate=true`), as Spark's
/// `AuthClientBootstrap` does it: with [`AuthConfig::crypto_enabled`] Spark's AuthEngine
/// handshake, after which everything on the connection is encrypted with
/// [`AuthConfig::crypto_cipher`] in both directions; otherwise SASL DIGEST-MD5 with QOP
/// `auth` (authentication only; the traffic stays plaintext). The SASL user name is always
/// Spark's `sparkSaslUser`, as Spark's `SecurityManager` sends it.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// The shared secret (`spark.authenticate.secret`).
    pub secret: Secret,
    /// The application id each connection authenticates as, the `appId` of the SASL and
    /// AuthEngine messages (Spark: `spark.app.id`). The server binds the connection to it
    /// and refuses requests for other applications. `None`: the application of the
    /// operation that opens the connection; connections are then pooled per server address
    /// and application.
    pub app_id: Option<String>,
    /// Use the AuthEngine handshake and encrypt the connection
    /// (`spark.network.crypto.enabled`, false).
    pub crypto_enabled: bool,
    /// The transport cipher after an AuthEngine handshake (`spark.network.crypto.cipher`,
    /// `AES/CTR/NoPadding`). `AES/GCM/NoPadding` works with this project's service; Spark
    /// 3.5.6's own service decodes only the first GCM message of a connection.
    pub crypto_cipher: CryptoCipher,
    /// Retry with SASL on the same connection when the server refuses the AuthEngine
    /// handshake, as Spark does for a server with crypto off
    /// (`spark.network.crypto.saslFallback`, true). A timeout never falls back.
    pub sasl_fallback: bool,
    /// The AuthEngine key derivation version; must match the server's
    /// (`spark.network.crypto.authEngineVersion`, 1).
    pub auth_engine_version: u8,
    /// Limit on each handshake round trip (`spark.network.auth.rpcTimeout`, falling back to
    /// `spark.shuffle.sasl.timeout`, 30 s).
    pub rpc_timeout: Duration,
}

impl AuthConfig {
    /// SASL authentication with `secret` and Spark's defaults for everything else.
    pub fn new(secret: impl Into<String>) -> Self {
        Self {
            secret: Secret::new(secret),
            app_id: None,
            crypto_enabled: false,
            crypto_cipher: CryptoCipher::Ctr,
            sasl_fallback: true,
            auth_engine_version: 1,
            rpc_timeout: Duration::from_secs(30),
        }
    }

    /// The same, with the AuthEngine handshake and `cipher` (`spark.network.crypto.enabled`).
    pub fn with_crypto(mut self, cipher: CryptoCipher) -> Self {
        self.crypto_enabled = true;
        self.crypto_cipher = cipher;
        self
    }

    /// The same, authenticating as `app_id` whatever the operation's application.
    pub fn with_app_id(mut self, app_id: impl Into<String>) -> Self {
        self.app_id = Some(app_id.into());
        self
    }
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field("secret", &self.secret)
            .field("app_id", &self.app_id)
            .field("crypto_enabled", &self.crypto_enabled)
            .field("crypto_cipher", &self.crypto_cipher)
            .field("sasl_fallback", &self.sasl_fallback)
            .field("auth_engine_version", &self.auth_engine_version)
            .field("rpc_timeout", &self.rpc_timeout)
            .finish()
    }
}

/// An authentication secret. Its `Debug` output never shows it, equality is checked in
/// constant time, and it is overwritten when dropped.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself, for the handshake.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        // Replacing the bytes with zeros keeps the String valid UTF-8.
        let mut bytes = std::mem::take(&mut self.0).into_bytes();
        bytes.iter_mut().for_each(|b| *b = 0);
        std::hint::black_box(&bytes);
    }
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
            auth: None,
            tls: None,
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
    /// Whether `auth` is set.
    pub const AUTHENTICATE: &str = "spark.authenticate";
    /// `AuthConfig::secret`.
    pub const AUTHENTICATE_SECRET: &str = "spark.authenticate.secret";
    /// `AuthConfig::app_id`.
    pub const APP_ID: &str = "spark.app.id";
    /// `AuthConfig::crypto_enabled`.
    pub const CRYPTO_ENABLED: &str = "spark.network.crypto.enabled";
    /// `AuthConfig::crypto_cipher`.
    pub const CRYPTO_CIPHER: &str = "spark.network.crypto.cipher";
    /// `AuthConfig::sasl_fallback`.
    pub const CRYPTO_SASL_FALLBACK: &str = "spark.network.crypto.saslFallback";
    /// `AuthConfig::auth_engine_version`.
    pub const AUTH_ENGINE_VERSION: &str = "spark.network.crypto.authEngineVersion";
    /// `AuthConfig::rpc_timeout`.
    pub const AUTH_RPC_TIMEOUT: &str = "spark.network.auth.rpcTimeout";
    /// Fallback of `AuthConfig::rpc_timeout`.
    pub const SASL_TIMEOUT: &str = "spark.shuffle.sasl.timeout";
    /// SASL encryption (QOP `auth-conf`); not supported, so `true` is refused.
    pub const SASL_ENCRYPTION: &str = "spark.authenticate.enableSaslEncryption";
    /// Whether `tls` is set (ours).
    pub const TLS_ENABLED: &str = "spark.shuffle.service.rs.tls.enabled";
    /// PEM CA certificates the server's certificate must chain to (ours).
    pub const TLS_CA_FILE: &str = "spark.shuffle.service.rs.tls.caFile";
    /// PEM certificate chain presented to the server (ours).
    pub const TLS_CLIENT_CERT_FILE: &str = "spark.shuffle.service.rs.tls.clientCertFile";
    /// PEM key of that certificate (ours).
    pub const TLS_CLIENT_KEY_FILE: &str = "spark.shuffle.service.rs.tls.clientKeyFile";
}

impl ClientConfig {
    /// Reads the [`keys`] from Spark properties (`spark-defaults.conf` style), with Spark's
    /// defaults and fallbacks for absent keys and Spark's unit rules: time strings such as
    /// `500ms`, `5s`, `2min`, `1h` (a bare number is seconds for the `io` timeouts and retry
    /// wait, milliseconds for the registration timeout and heartbeat interval), and byte
    /// strings such as `200m`, `1g`, `4096` (bare = bytes). Other keys are ignored.
    ///
    /// With `spark.authenticate=true`, `spark.authenticate.secret` is required (Spark reads
    /// it from the environment or a file in some deployments; pass it as a property here),
    /// and `spark.authenticate.enableSaslEncryption=true` is refused: SASL encryption is not
    /// implemented, and silently authenticating without it would weaken what was asked for
    /// (`spark.network.crypto.enabled` encrypts instead).
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
            auth: auth_from_spark_properties(props)?,
            tls: tls_from_spark_properties(props)?,
        };
        config.validate()?;
        Ok(config)
    }

    /// Checks the values that would make the client unusable: no connections per peer,
    /// zero timeouts or heartbeat interval; with authentication, an empty secret or
    /// application id, a zero handshake timeout, an AuthEngine version other than 1 or 2.
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
        if let Some(auth) = &self.auth {
            if auth.secret.expose().is_empty() {
                return invalid("auth.secret", String::new(), "must not be empty");
            }
            if auth.app_id.as_deref() == Some("") {
                return invalid("auth.app_id", String::new(), "must not be empty");
            }
            if auth.rpc_timeout.is_zero() {
                let value = format!("{:?}", auth.rpc_timeout);
                return invalid("auth.rpc_timeout", value, "must be positive");
            }
            if !matches!(auth.auth_engine_version, 1 | 2) {
                let value = auth.auth_engine_version.to_string();
                return invalid("auth.auth_engine_version", value, "must be 1 or 2");
            }
        }
        Ok(())
    }
}

/// The `spark.authenticate` settings of [`ClientConfig::from_spark_properties`].
/// The TLS keys; the files are read here, so a bad one is reported at configuration time.
fn tls_from_spark_properties(props: &BTreeMap<String, String>) -> Result<Option<TlsConfig>> {
    let get = |key: &'static str| props.get(key).map(|v| (key, v.as_str()));
    let enabled = match get(keys::TLS_ENABLED) {
        Some((k, v)) => parse_bool(k, v)?,
        None => false,
    };
    if !enabled {
        return Ok(None);
    }
    let Some(ca_file) = props.get(keys::TLS_CA_FILE) else {
        return Err(bad(keys::TLS_CA_FILE, "", "required when TLS is enabled"));
    };
    let client = match (get(keys::TLS_CLIENT_CERT_FILE), get(keys::TLS_CLIENT_KEY_FILE)) {
        (None, None) => None,
        (Some((_, cert)), Some((_, key))) => Some((Path::new(cert), Path::new(key))),
        (Some(_), None) => {
            return Err(bad(keys::TLS_CLIENT_KEY_FILE, "", "required with a client certificate"))
        }
        (None, Some(_)) => {
            return Err(bad(keys::TLS_CLIENT_CERT_FILE, "", "required with a client key"))
        }
    };
    TlsConfig::from_files(Path::new(ca_file), client).map(Some)
}

fn auth_from_spark_properties(props: &BTreeMap<String, String>) -> Result<Option<AuthConfig>> {
    let get = |key: &'static str| props.get(key).map(|v| (key, v.as_str()));
    let enabled = match get(keys::AUTHENTICATE) {
        Some((k, v)) => parse_bool(k, v)?,
        None => false,
    };
    if !enabled {
        return Ok(None);
    }
    let Some(secret) = props.get(keys::AUTHENTICATE_SECRET) else {
        return Err(bad(keys::AUTHENTICATE_SECRET, "", "required when spark.authenticate is true"));
    };
    if let Some((k, v)) = get(keys::SASL_ENCRYPTION) {
        if parse_bool(k, v)? {
            return Err(bad(
                k,
                v,
                "SASL encryption is not supported; use spark.network.crypto.enabled=true",
            ));
        }
    }
    let mut auth = AuthConfig::new(secret.clone());
    auth.app_id = props.get(keys::APP_ID).cloned();
    if let Some((k, v)) = get(keys::CRYPTO_ENABLED) {
        auth.crypto_enabled = parse_bool(k, v)?;
    }
    if let Some((k, v)) = get(keys::CRYPTO_CIPHER) {
        auth.crypto_cipher = CryptoCipher::from_spark_name(v)
            .ok_or_else(|| bad(k, v, "not AES/CTR/NoPadding or AES/GCM/NoPadding"))?;
    }
    if let Some((k, v)) = get(keys::CRYPTO_SASL_FALLBACK) {
        auth.sasl_fallback = parse_bool(k, v)?;
    }
    if let Some((k, v)) = get(keys::AUTH_ENGINE_VERSION) {
        auth.auth_engine_version = parse_number(k, v)?;
    }
    if let Some((k, v)) = get(keys::AUTH_RPC_TIMEOUT).or_else(|| get(keys::SASL_TIMEOUT)) {
        auth.rpc_timeout = parse_time(k, v, TimeUnit::Seconds)?;
    }
    Ok(Some(auth))
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
    fn reads_authentication_keys() {
        let none = ClientConfig::from_spark_properties(&props(&[
            ("spark.authenticate", "false"),
            ("spark.authenticate.secret", "s"),
        ]));
        assert_eq!(none.ok().and_then(|c| c.auth), None);

        let sasl = ClientConfig::from_spark_properties(&props(&[
            ("spark.authenticate", "true"),
            ("spark.authenticate.secret", "s3cret"),
            ("spark.shuffle.sasl.timeout", "7"),
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            sasl.auth,
            Some(AuthConfig { rpc_timeout: Duration::from_secs(7), ..AuthConfig::new("s3cret") })
        );

        let engine = ClientConfig::from_spark_properties(&props(&[
            ("spark.authenticate", "true"),
            ("spark.authenticate.secret", "s3cret"),
            ("spark.app.id", "app-20240101-0001"),
            ("spark.network.crypto.enabled", "true"),
            ("spark.network.crypto.cipher", "AES/GCM/NoPadding"),
            ("spark.network.crypto.saslFallback", "false"),
            ("spark.network.crypto.authEngineVersion", "2"),
            ("spark.network.auth.rpcTimeout", "5s"),
            ("spark.shuffle.sasl.timeout", "7"),
        ]))
        .unwrap_or_else(|e| panic!("{e}"))
        .auth
        .unwrap_or_else(|| panic!("auth is on"));
        assert_eq!(engine.app_id.as_deref(), Some("app-20240101-0001"));
        assert!(engine.crypto_enabled && !engine.sasl_fallback);
        assert_eq!(engine.crypto_cipher, CryptoCipher::Gcm);
        assert_eq!(engine.auth_engine_version, 2);
        assert_eq!(engine.rpc_timeout, Duration::from_secs(5));
        assert!(!format!("{engine:?}").contains("s3cret"), "{engine:?}");
    }

    #[test]
    fn refuses_bad_authentication_settings_without_echoing_the_secret() {
        let on = ("spark.authenticate", "true");
        let secret = ("spark.authenticate.secret", "s3cret");
        for pairs in [
            vec![on],
            vec![on, ("spark.authenticate.secret", "")],
            vec![on, secret, ("spark.authenticate.enableSaslEncryption", "true")],
            vec![on, secret, ("spark.network.crypto.cipher", "AES/CBC/PKCS5Padding")],
            vec![on, secret, ("spark.network.crypto.authEngineVersion", "3")],
            vec![on, secret, ("spark.network.auth.rpcTimeout", "0")],
            vec![on, secret, ("spark.app.id", "")],
        ] {
            let got = ClientConfig::from_spark_properties(&props(&pairs));
            assert!(matches!(got, Err(Error::Config { .. })), "{pairs:?}: {got:?}");
            let text = got.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(!text.contains("s3cret"), "{text}");
        }
        assert_eq!(Secret::new("a"), Secret::new("a"));
        assert_ne!(Secret::new("a"), Secret::new("b"));
        assert_ne!(Secret::new("a"), Secret::new("ab"));
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
