//! Daemon configuration: Spark's key names, Spark's defaults and Spark's value syntax.
//!
//! Values come, lowest precedence first, from [`Config::default`], a `spark-defaults.conf`
//! style properties file, repeatable `--conf key=value` arguments and the dedicated flags
//! (`--host`, `--port`, `--state-dir`). Sizes and times follow Spark's `JavaUtils`
//! `byteStringAs`/`timeStringAs` rules (see [`byte_string_as`], [`time_string_as`]), so
//! `100m` is 100 MiB for a size and 100 minutes for a time. Keys this service does not use
//! are accepted and logged; a bad value for a key it does use stops the start with an error
//! naming the key.
//!
//! Keys of our own (no Spark equivalent) live under `spark.shuffle.service.rs.`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tracing::{info, warn};

use crate::error::{Error, Result};
use crate::tls::TlsSettings;

/// The configuration keys this service reads.
pub mod keys {
    /// Listen address (ours; Spark binds the wildcard address).
    pub const HOST: &str = "spark.shuffle.service.rs.host";
    /// Listen port.
    pub const PORT: &str = "spark.shuffle.service.port";
    /// Directory for the daemon's own state (ours).
    pub const STATE_DIR: &str = "spark.shuffle.service.rs.stateDir";
    /// Port of the Prometheus `/metrics` endpoint (ours).
    pub const METRICS_PORT: &str = "spark.shuffle.service.rs.metricsPort";
    /// Idle timeout of shuffle connections.
    pub const CONNECTION_TIMEOUT: &str = "spark.shuffle.io.connectionTimeout";
    /// Fallback for [`CONNECTION_TIMEOUT`].
    pub const NETWORK_TIMEOUT: &str = "spark.network.timeout";
    /// Limit on chunks being sent at once, daemon-wide.
    pub const MAX_CHUNKS_BEING_TRANSFERRED: &str = "spark.shuffle.maxChunksBeingTransferred";
    /// Memory for cached `.index` files.
    pub const INDEX_CACHE_SIZE: &str = "spark.shuffle.service.index.cache.size";
    /// Limit on open client connections (ours).
    pub const MAX_CONNECTIONS: &str = "spark.shuffle.service.rs.maxConnections";
    /// Limit on the length of one inbound frame (ours).
    pub const MAX_FRAME_LENGTH: &str = "spark.shuffle.service.rs.maxFrameLength";
    /// Limit on shuffle files open at once (ours).
    pub const MAX_OPEN_FILES: &str = "spark.shuffle.service.rs.maxOpenFiles";
    /// Limit on data files kept mapped without a descriptor (ours).
    pub const MAX_MAPPED_FILES: &str = "spark.shuffle.service.rs.maxMappedFiles";
    /// Period of the Mesos application cleaner.
    pub const CLEANER_INTERVAL: &str = "spark.shuffle.cleaner.interval";
    /// Whether clients must authenticate.
    pub const AUTHENTICATE: &str = "spark.authenticate";
    /// The shared authentication secret.
    pub const AUTHENTICATE_SECRET: &str = "spark.authenticate.secret";
    /// Whether executor registrations survive a restart.
    pub const DB_ENABLED: &str = "spark.shuffle.service.db.enabled";
    /// A file whose bytes, Base64-encoded, are the shared secret (Spark's k8s secret file).
    pub const AUTHENTICATE_SECRET_FILE: &str = "spark.authenticate.secret.file";
    /// Prefix of per-application secrets: `spark.shuffle.service.rs.appSecrets.<appId>` (ours).
    pub const APP_SECRETS_PREFIX: &str = "spark.shuffle.service.rs.appSecrets.";
    /// A properties file of `appId=secret` lines (ours).
    pub const APP_SECRETS_FILE: &str = "spark.shuffle.service.rs.appSecretsFile";
    /// Whether the AuthEngine protocol (and its wire encryption) is offered.
    pub const CRYPTO_ENABLED: &str = "spark.network.crypto.enabled";
    /// The AuthEngine session cipher.
    pub const CRYPTO_CIPHER: &str = "spark.network.crypto.cipher";
    /// The AuthEngine key-derivation version.
    pub const AUTH_ENGINE_VERSION: &str = "spark.network.crypto.authEngineVersion";
    /// Whether a SASL client is still accepted when the AuthEngine is on.
    pub const CRYPTO_SASL_FALLBACK: &str = "spark.network.crypto.saslFallback";
    /// Directories registered local dirs must lie under (ours).
    pub const ALLOWED_LOCAL_DIR_ROOTS: &str = "spark.shuffle.service.rs.allowedLocalDirRoots";

    /// Idle time after which an application with no registered driver is cleaned (ours).
    pub const APP_IDLE_TIMEOUT: &str = "spark.shuffle.service.rs.appIdleTimeout";
    /// Whether TLS clients are accepted on the shuffle port (ours).
    pub const TLS_ENABLED: &str = "spark.shuffle.service.rs.tls.enabled";
    /// PEM certificate chain of the daemon (ours).
    pub const TLS_CERT_FILE: &str = "spark.shuffle.service.rs.tls.certFile";
    /// PEM private key of that certificate (ours).
    pub const TLS_KEY_FILE: &str = "spark.shuffle.service.rs.tls.keyFile";
    /// PEM CA certificates client certificates must chain to; unset = no client certificates
    /// (ours).
    pub const TLS_CLIENT_CA_FILE: &str = "spark.shuffle.service.rs.tls.clientCaFile";
    /// Whether plaintext connections are refused when TLS is enabled (ours).
    pub const TLS_REQUIRED: &str = "spark.shuffle.service.rs.tls.required";

    /// Every key above, for telling known keys from ignored ones.
    pub const ALL: [&str; 29] = [
        HOST,
        PORT,
        STATE_DIR,
        METRICS_PORT,
        CONNECTION_TIMEOUT,
        NETWORK_TIMEOUT,
        MAX_CHUNKS_BEING_TRANSFERRED,
        INDEX_CACHE_SIZE,
        MAX_CONNECTIONS,
        MAX_FRAME_LENGTH,
        MAX_OPEN_FILES,
        CLEANER_INTERVAL,
        AUTHENTICATE,
        AUTHENTICATE_SECRET,
        DB_ENABLED,
        AUTHENTICATE_SECRET_FILE,
        APP_SECRETS_PREFIX,
        APP_SECRETS_FILE,
        CRYPTO_ENABLED,
        CRYPTO_CIPHER,
        AUTH_ENGINE_VERSION,
        CRYPTO_SASL_FALLBACK,
        ALLOWED_LOCAL_DIR_ROOTS,
        APP_IDLE_TIMEOUT,
        TLS_ENABLED,
        TLS_CERT_FILE,
        TLS_KEY_FILE,
        TLS_CLIENT_CA_FILE,
        TLS_REQUIRED,
    ];
}

/// Spark's shuffle service port.
pub const DEFAULT_PORT: u16 = 7337;

/// Everything the daemon can be told. `Default` gives Spark's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Address to listen on (`spark.shuffle.service.rs.host`, `--host`). Default `0.0.0.0`,
    /// the wildcard address Spark's service binds.
    pub host: String,
    /// Port to listen on (`spark.shuffle.service.port`, `--port`); `0` picks a free port.
    /// Default 7337.
    pub port: u16,
    /// Directory holding the registered-executor store (`spark.shuffle.service.rs.stateDir`,
    /// `--state-dir`). Default `$XDG_STATE_HOME/spark-shuffle-server`, else
    /// `$HOME/.local/state/spark-shuffle-server`, else `./shuffle-state`.
    pub state_dir: PathBuf,
    /// Port of the Prometheus `/metrics` endpoint, on [`Config::host`]
    /// (`spark.shuffle.service.rs.metricsPort`). `-1` (the default) disables it, `0` picks a
    /// free port.
    pub metrics_port: Option<u16>,
    /// A connection with no traffic either way for this long is closed
    /// (`spark.shuffle.io.connectionTimeout`, else `spark.network.timeout`, default 120s;
    /// whole seconds, as Spark reads it). `None` when the value is zero or negative, which
    /// Netty takes as "never".
    pub connection_timeout: Option<Duration>,
    /// At this many chunks being sent daemon-wide, a request for one more is answered with a
    /// ChunkFetchFailure/StreamFailure (`spark.shuffle.maxChunksBeingTransferred`, default
    /// `Long.MAX_VALUE`). Spark closes the connection instead, failing every fetch on it.
    pub max_chunks_being_transferred: u64,
    /// Bytes of `.index` files kept parsed in memory
    /// (`spark.shuffle.service.index.cache.size`, default `100m`; a bare number is bytes,
    /// because the service reads it with `byteStringAsBytes`). `0` disables the cache.
    pub index_cache_size: u64,
    /// Client connections served at once; one more is accepted and closed at once, with a
    /// log line (`spark.shuffle.service.rs.maxConnections`). The default follows the soft file
    /// limit: what it leaves after [`Config::max_open_files`] (half the limit when that is
    /// unset) and a reserve, between 16 and 65536 (see
    /// [`crate::limits::default_max_connections`]).
    pub max_connections: usize,
    /// Largest inbound frame accepted; a longer one closes the connection
    /// (`spark.shuffle.service.rs.maxFrameLength`, size, default `16m`).
    pub max_frame_len: u64,
    /// Shuffle files (data, index, checksum) open at once; more wait
    /// (`spark.shuffle.service.rs.maxOpenFiles`). Set, a quarter of them may be data files
    /// kept open between fetches; unset (the default), both follow from the file limit
    /// ([`crate::open_files::OpenFileBudget::from_limit`]). Files are opened from
    /// blocking-pool threads, so the runtime's blocking pool should be larger.
    pub max_open_files: Option<usize>,
    /// Data files kept mapped, without a descriptor, once the kept-open ones are all in use
    /// (`spark.shuffle.service.rs.maxMappedFiles`; `0` maps none). Unset (the default), as
    /// many as `vm.max_map_count` leaves room for ([`crate::mapped::budget_for`]).
    pub max_mapped_files: Option<usize>,
    /// Period of the Mesos cleaner that expires applications whose driver stopped sending
    /// heartbeats (`spark.shuffle.cleaner.interval`, default 30s; a bare number is seconds).
    pub cleaner_interval: Duration,
    /// Opt-in rule for drivers that never send RegisterDriver: an application with no
    /// registered driver whose executors made no request naming it for this long is cleaned
    /// like an expired one (`spark.shuffle.service.rs.appIdleTimeout`, a time, a bare number
    /// is seconds; default unset = off).
    pub app_idle_timeout: Option<Duration>,
    /// Whether clients must authenticate with the shared secret (`spark.authenticate`,
    /// default false).
    pub authenticate: bool,
    /// The shared secret (`spark.authenticate.secret`, else the Base64 of the bytes of
    /// `spark.authenticate.secret.file`, as Spark reads that file). It or
    /// [`Config::app_secrets`] is required when [`Config::authenticate`] is set. Never printed.
    pub auth_secret: Option<Secret>,
    /// Per-application secrets (`spark.shuffle.service.rs.appSecrets.<appId>` keys, and the
    /// `appId=secret` lines of the properties file `spark.shuffle.service.rs.appSecretsFile`;
    /// keys win). An application listed here authenticates with its own secret only; others
    /// fall back to [`Config::auth_secret`], if set.
    pub app_secrets: BTreeMap<String, Secret>,
    /// Whether clients may authenticate with Spark's AuthEngine protocol, which also encrypts
    /// the connection (`spark.network.crypto.enabled`, default false).
    pub crypto_enabled: bool,
    /// The AuthEngine session cipher; must match the clients'
    /// (`spark.network.crypto.cipher`, default `AES/CTR/NoPadding`).
    pub crypto_cipher: CryptoCipher,
    /// The AuthEngine key derivation, 1 or 2; must match the clients'
    /// (`spark.network.crypto.authEngineVersion`, default 1).
    pub auth_engine_version: u8,
    /// With [`Config::crypto_enabled`], whether SASL clients are still accepted
    /// (`spark.network.crypto.saslFallback`, default true).
    pub crypto_sasl_fallback: bool,
    /// When not empty, every local dir an executor registers must lie under one of these
    /// absolute directories (`spark.shuffle.service.rs.allowedLocalDirRoots`, comma list;
    /// default empty: any absolute dir other than `/`).
    pub allowed_local_dir_roots: Vec<PathBuf>,
    /// Whether executor registrations are persisted and reloaded after a restart
    /// (`spark.shuffle.service.db.enabled`, default true).
    pub db_enabled: bool,
    /// TLS on the shuffle port beside plaintext (`spark.shuffle.service.rs.tls.enabled`,
    /// default false, with the `.certFile`, `.keyFile`, `.clientCaFile` and `.required`
    /// keys); see [`crate::tls`].
    pub tls: Option<TlsSettings>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            host: "0.0.0.0".to_owned(),
            port: DEFAULT_PORT,
            state_dir: default_state_dir(),
            metrics_port: None,
            connection_timeout: Some(Duration::from_secs(120)),
            max_chunks_being_transferred: i64::MAX as u64,
            index_cache_size: 100 << 20,
            max_connections: crate::limits::default_max_connections(None),
            max_frame_len: 16 << 20,
            max_open_files: None,
            max_mapped_files: None,
            cleaner_interval: Duration::from_secs(30),
            app_idle_timeout: None,
            authenticate: false,
            auth_secret: None,
            app_secrets: BTreeMap::new(),
            crypto_enabled: false,
            crypto_cipher: CryptoCipher::Ctr,
            auth_engine_version: 1,
            crypto_sasl_fallback: true,
            allowed_local_dir_roots: Vec::new(),
            db_enabled: true,
            tls: None,
        }
    }
}

/// Where state goes when nothing says otherwise, following the XDG base-directory rules so
/// that an unprivileged user can run the daemon without any setup.
fn default_state_dir() -> PathBuf {
    let absolute = |var| std::env::var_os(var).map(PathBuf::from).filter(|p| p.is_absolute());
    absolute("XDG_STATE_HOME")
        .or_else(|| absolute("HOME").map(|home| home.join(".local").join("state")))
        .map_or_else(|| PathBuf::from("shuffle-state"), |base| base.join("spark-shuffle-server"))
}

impl Config {
    /// Builds a configuration from Spark properties over the defaults. Keys this service
    /// does not read are logged and ignored.
    pub fn from_properties(props: &BTreeMap<String, String>) -> Result<Self> {
        let mut c = Self::default();
        let get = |key: &'static str| props.get(key).map(|v| (key, v.as_str()));

        if let Some((key, v)) = get(keys::HOST) {
            let host = v.trim();
            if host.is_empty() || host.contains(char::is_whitespace) {
                return Err(invalid(key, v, ValueError::Syntax("a host name or IP address")));
            }
            c.host = host.to_owned();
        }
        if let Some((key, v)) = get(keys::PORT) {
            c.port = int_in(key, v, 0, u16::MAX.into())? as u16;
        }
        if let Some((key, v)) = get(keys::STATE_DIR) {
            if v.trim().is_empty() {
                return Err(invalid(key, v, ValueError::Syntax("a directory path")));
            }
            c.state_dir = PathBuf::from(v.trim());
        }
        if let Some((key, v)) = get(keys::METRICS_PORT) {
            c.metrics_port = u16::try_from(int_in(key, v, -1, u16::MAX.into())?).ok();
        }
        // Spark parses spark.network.timeout even when the specific key overrides it, so a bad
        // fallback value is refused either way.
        let network_secs = match get(keys::NETWORK_TIMEOUT) {
            Some((key, v)) => time(key, v, TimeUnit::Seconds)?,
            None => 120,
        };
        let secs = match get(keys::CONNECTION_TIMEOUT) {
            Some((key, v)) => time(key, v, TimeUnit::Seconds)?,
            None => network_secs,
        };
        c.connection_timeout = u64::try_from(secs).ok().filter(|&s| s > 0).map(Duration::from_secs);
        if let Some((key, v)) = get(keys::MAX_CHUNKS_BEING_TRANSFERRED) {
            // Zero or less would refuse every chunk.
            c.max_chunks_being_transferred = int_in(key, v, 1, i64::MAX)? as u64;
        }
        if let Some((key, v)) = get(keys::INDEX_CACHE_SIZE) {
            c.index_cache_size = size(key, v, ByteUnit::Byte)? as u64;
        }
        if let Some((key, v)) = get(keys::MAX_CONNECTIONS) {
            c.max_connections = int_in(key, v, 1, i32::MAX.into())? as usize;
        }
        if let Some((key, v)) = get(keys::MAX_FRAME_LENGTH) {
            let len = size(key, v, ByteUnit::Byte)?;
            // Spark's frame decoder never takes more than Integer.MAX_VALUE either; below 1 KiB
            // ordinary requests would no longer fit.
            if !(1024..=i64::from(i32::MAX)).contains(&len) {
                let range = ValueError::OutOfRange { min: 1024, max: i32::MAX.into() };
                return Err(invalid(key, v, range));
            }
            c.max_frame_len = len as u64;
        }
        if let Some((key, v)) = get(keys::MAX_OPEN_FILES) {
            c.max_open_files = Some(int_in(key, v, 1, i32::MAX.into())? as usize);
        }
        if let Some((key, v)) = get(keys::MAX_MAPPED_FILES) {
            c.max_mapped_files = Some(int_in(key, v, 0, i32::MAX.into())? as usize);
        }
        // The connection limit's default depends on the open-file bound, whichever key set it.
        if get(keys::MAX_CONNECTIONS).is_none() {
            c.max_connections = crate::limits::default_max_connections(c.max_open_files);
        }
        if let Some((key, v)) = get(keys::CLEANER_INTERVAL) {
            let secs = time(key, v, TimeUnit::Seconds)?;
            if secs <= 0 {
                return Err(invalid(key, v, ValueError::OutOfRange { min: 1, max: i64::MAX }));
            }
            c.cleaner_interval = Duration::from_secs(secs as u64);
        }
        if let Some((key, v)) = get(keys::APP_IDLE_TIMEOUT) {
            let secs = time(key, v, TimeUnit::Seconds)?;
            if secs <= 0 {
                return Err(invalid(key, v, ValueError::OutOfRange { min: 1, max: i64::MAX }));
            }
            c.app_idle_timeout = Some(Duration::from_secs(secs as u64));
        }
        read_security(props, &mut c)?;
        if let Some((key, v)) = get(keys::DB_ENABLED) {
            c.db_enabled = boolean(key, v)?;
        }

        let ignored: Vec<&str> = props
            .keys()
            .map(String::as_str)
            .filter(|k| !keys::ALL.contains(k) && !k.starts_with(keys::APP_SECRETS_PREFIX))
            .collect();
        if !ignored.is_empty() {
            info!(keys = ?ignored, "ignoring configuration keys this service does not use");
        }
        Ok(c)
    }
}

/// Reads the authentication, encryption and local-dir confinement keys.
fn read_security(props: &BTreeMap<String, String>, c: &mut Config) -> Result<()> {
    let get = |key: &'static str| props.get(key).map(|v| (key, v.as_str()));
    if let Some((key, v)) = get(keys::AUTHENTICATE) {
        c.authenticate = boolean(key, v)?;
    }
    // As Spark's SecurityManager: the secret itself wins over the secret file, whose bytes
    // are Base64-encoded to form the secret.
    c.auth_secret = match (get(keys::AUTHENTICATE_SECRET), get(keys::AUTHENTICATE_SECRET_FILE)) {
        (Some((_, v)), _) => Some(Secret(v.to_owned())),
        (None, Some((_, path))) => {
            use base64::Engine;
            let path = PathBuf::from(path.trim());
            let bytes = std::fs::read(&path)
                .map_err(|source| Error::ConfigFile { path: path.clone(), source })?;
            Some(Secret(base64::engine::general_purpose::STANDARD.encode(bytes)))
        }
        (None, None) => None,
    };
    if let Some((_, path)) = get(keys::APP_SECRETS_FILE) {
        let path = PathBuf::from(path.trim());
        for (app_id, secret) in read_properties_file(&path)? {
            c.app_secrets.insert(app_id, Secret(secret));
        }
    }
    for (key, secret) in props.range(keys::APP_SECRETS_PREFIX.to_owned()..) {
        let Some(app_id) = key.strip_prefix(keys::APP_SECRETS_PREFIX) else { break };
        c.app_secrets.insert(app_id.to_owned(), Secret(secret.clone()));
    }
    if let Some(app_id) = c.app_secrets.iter().find_map(|(a, s)| s.0.is_empty().then_some(a)) {
        // The value is a secret, so the error shows neither it nor any other value.
        let key = format!("{}{app_id}", keys::APP_SECRETS_PREFIX);
        return Err(invalid(&key, "<redacted>", ValueError::Syntax("a non-empty secret")));
    }
    if c.auth_secret.as_ref().is_some_and(|s| s.0.is_empty()) {
        let key = keys::AUTHENTICATE_SECRET;
        return Err(invalid(key, "<redacted>", ValueError::Syntax("a non-empty secret")));
    }
    if c.authenticate && c.auth_secret.is_none() && c.app_secrets.is_empty() {
        return Err(Error::MissingConfig {
            key: keys::AUTHENTICATE_SECRET,
            reason: "spark.authenticate is true",
        });
    }
    if let Some((key, v)) = get(keys::CRYPTO_ENABLED) {
        c.crypto_enabled = boolean(key, v)?;
    }
    if let Some((key, v)) = get(keys::CRYPTO_CIPHER) {
        c.crypto_cipher = match v.trim() {
            "AES/CTR/NoPadding" => CryptoCipher::Ctr,
            "AES/GCM/NoPadding" => CryptoCipher::Gcm,
            _ => {
                let expected = ValueError::Syntax("AES/CTR/NoPadding or AES/GCM/NoPadding");
                return Err(invalid(key, v, expected));
            }
        };
    }
    if let Some((key, v)) = get(keys::AUTH_ENGINE_VERSION) {
        c.auth_engine_version = int_in(key, v, 1, 2)? as u8;
    }
    if let Some((key, v)) = get(keys::CRYPTO_SASL_FALLBACK) {
        c.crypto_sasl_fallback = boolean(key, v)?;
    }
    if let Some((key, v)) = get(keys::ALLOWED_LOCAL_DIR_ROOTS) {
        for root in v.split(',').map(str::trim).filter(|r| !r.is_empty()) {
            let root = PathBuf::from(root);
            if !root.is_absolute() {
                return Err(invalid(key, v, ValueError::Syntax("a comma list of absolute paths")));
            }
            c.allowed_local_dir_roots.push(root);
        }
    }
    read_tls(props, c)
}

/// Reads the TLS keys and loads the files they name, so a bad certificate stops the start.
fn read_tls(props: &BTreeMap<String, String>, c: &mut Config) -> Result<()> {
    let get = |key: &'static str| props.get(key).map(|v| (key, v.as_str()));
    let enabled = match get(keys::TLS_ENABLED) {
        Some((key, v)) => boolean(key, v)?,
        None => false,
    };
    let required = match get(keys::TLS_REQUIRED) {
        Some((key, v)) => boolean(key, v)?,
        None => false,
    };
    if !enabled {
        return Ok(());
    }
    let path = |key: &'static str| -> Result<Option<PathBuf>> {
        match get(key) {
            Some((_, v)) if !v.trim().is_empty() => Ok(Some(PathBuf::from(v.trim()))),
            Some((_, v)) => Err(invalid(key, v, ValueError::Syntax("a file path"))),
            None => Ok(None),
        }
    };
    let reason = "spark.shuffle.service.rs.tls.enabled is true";
    let cert = path(keys::TLS_CERT_FILE)?
        .ok_or(Error::MissingConfig { key: keys::TLS_CERT_FILE, reason })?;
    let key = path(keys::TLS_KEY_FILE)?
        .ok_or(Error::MissingConfig { key: keys::TLS_KEY_FILE, reason })?;
    let client_ca = path(keys::TLS_CLIENT_CA_FILE)?;
    c.tls = Some(TlsSettings::load(&cert, &key, client_ca.as_deref(), required)?);
    Ok(())
}

/// The cipher of an AuthEngine session (`spark.network.crypto.cipher`), shared with the
/// client through the protocol crate.
pub use shuffle_protocol::auth::cipher::CryptoCipher;

/// The shared authentication secret; its `Debug` output never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The secret itself, for the authentication code only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Why a configuration value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueError {
    /// The value does not have the expected form; says what was expected.
    Syntax(&'static str),
    /// A size or time with a unit suffix Spark does not know.
    InvalidSuffix {
        /// The suffix as given (lower-cased).
        suffix: String,
        /// The suffixes that are allowed.
        allowed: &'static str,
    },
    /// A size with a fraction (`1.5g`); Spark refuses these.
    Fractional,
    /// The number does not fit in a signed 64-bit integer in the key's unit.
    Overflow,
    /// The number is outside what the key accepts.
    OutOfRange {
        /// Smallest accepted value.
        min: i64,
        /// Largest accepted value.
        max: i64,
    },
    /// Not `true` or `false`.
    NotBoolean,
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax(expected) => write!(f, "expected {expected}"),
            Self::InvalidSuffix { suffix, allowed } => {
                write!(f, "invalid suffix {suffix:?}; allowed: {allowed}")
            }
            Self::Fractional => f.write_str("fractional values are not supported"),
            Self::Overflow => f.write_str("value is too large"),
            Self::OutOfRange { min, max } => write!(f, "must be between {min} and {max}"),
            Self::NotBoolean => f.write_str("must be true or false"),
        }
    }
}

/// Units a size can be given or read in (Spark's `ByteUnit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteUnit {
    /// Bytes (`b`).
    Byte,
    /// 2^10 bytes (`k`, `kb`).
    KiB,
    /// 2^20 bytes (`m`, `mb`).
    MiB,
    /// 2^30 bytes (`g`, `gb`).
    GiB,
    /// 2^40 bytes (`t`, `tb`).
    TiB,
    /// 2^50 bytes (`p`, `pb`).
    PiB,
}

impl ByteUnit {
    fn multiplier(self) -> i64 {
        1 << (10 * self as u32)
    }

    fn from_suffix(suffix: &str) -> Option<Self> {
        Some(match suffix {
            "b" => Self::Byte,
            "k" | "kb" => Self::KiB,
            "m" | "mb" => Self::MiB,
            "g" | "gb" => Self::GiB,
            "t" | "tb" => Self::TiB,
            "p" | "pb" => Self::PiB,
            _ => return None,
        })
    }
}

/// Units a time can be given or read in (the suffixes of Spark's `timeStringAs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// Microseconds (`us`).
    Micros,
    /// Milliseconds (`ms`).
    Millis,
    /// Seconds (`s`).
    Seconds,
    /// Minutes (`m`, `min`).
    Minutes,
    /// Hours (`h`).
    Hours,
    /// Days (`d`).
    Days,
}

impl TimeUnit {
    fn micros(self) -> i64 {
        match self {
            Self::Micros => 1,
            Self::Millis => 1_000,
            Self::Seconds => 1_000_000,
            Self::Minutes => 60_000_000,
            Self::Hours => 3_600_000_000,
            Self::Days => 86_400_000_000,
        }
    }

    fn from_suffix(suffix: &str) -> Option<Self> {
        Some(match suffix {
            "us" => Self::Micros,
            "ms" => Self::Millis,
            "s" => Self::Seconds,
            "m" | "min" => Self::Minutes,
            "h" => Self::Hours,
            "d" => Self::Days,
            _ => return None,
        })
    }
}

/// Splits a lower-cased, trimmed value into its number and its `[a-z]+` suffix, the way the
/// regular expressions in Spark's `JavaUtils` do; `None` if it does not match.
fn split_number(s: &str, allow_minus: bool) -> Option<(&str, &str)> {
    let unsigned = if allow_minus { s.strip_prefix('-').unwrap_or(s) } else { s };
    let digits = unsigned.bytes().take_while(u8::is_ascii_digit).count();
    let suffix = &unsigned[digits..];
    if digits == 0 || !suffix.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    Some((&s[..s.len() - suffix.len()], suffix))
}

/// Java's `String.trim`: strips every char up to and including U+0020 at both ends.
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c| c <= ' ')
}

/// Spark's `JavaUtils.byteStringAs`: a non-negative integer with an optional suffix
/// (`b`, `k`/`kb`, `m`/`mb`, `g`/`gb`, `t`/`tb`, `p`/`pb`, case-insensitive, binary
/// multiples), converted to `unit`, which is also the unit of a bare number. Converting to a
/// larger unit truncates, as Spark does.
pub fn byte_string_as(s: &str, unit: ByteUnit) -> Result<i64, ValueError> {
    let lower = s.to_lowercase();
    let lower = java_trim(&lower);
    let Some((number, suffix)) = split_number(lower, false) else {
        if is_fraction(lower) {
            return Err(ValueError::Fractional);
        }
        return Err(ValueError::Syntax("a size such as 50b, 100k or 250m"));
    };
    let value: i64 = number.parse().map_err(|_| ValueError::Overflow)?;
    let from = if suffix.is_empty() {
        unit
    } else {
        ByteUnit::from_suffix(suffix).ok_or_else(|| ValueError::InvalidSuffix {
            suffix: suffix.to_owned(),
            allowed: "b, k, kb, m, mb, g, gb, t, tb, p, pb",
        })?
    };
    if from.multiplier() > unit.multiplier() {
        value.checked_mul(from.multiplier() / unit.multiplier()).ok_or(ValueError::Overflow)
    } else {
        Ok(value / (unit.multiplier() / from.multiplier()))
    }
}

/// Whether `s` is `[0-9]+\.[0-9]+[a-z]*`, the form Spark reports as a fractional size.
fn is_fraction(s: &str) -> bool {
    let Some((int, rest)) = s.split_once('.') else { return false };
    let frac = rest.bytes().take_while(u8::is_ascii_digit).count();
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac > 0
        && rest[frac..].bytes().all(|b| b.is_ascii_lowercase())
}

/// Spark's `JavaUtils.timeStringAs`: an integer (negative allowed) with an optional suffix
/// (`us`, `ms`, `s`, `m`/`min`, `h`, `d`, case-insensitive), converted to `unit`, which is
/// also the unit of a bare number. Like Java's `TimeUnit.convert`, converting to a larger
/// unit truncates toward zero and converting to a smaller one saturates.
pub fn time_string_as(s: &str, unit: TimeUnit) -> Result<i64, ValueError> {
    let lower = s.to_lowercase();
    let lower = java_trim(&lower);
    let Some((number, suffix)) = split_number(lower, true) else {
        return Err(ValueError::Syntax("a time such as 50s, 100ms or 250us"));
    };
    let value: i64 = number.parse().map_err(|_| ValueError::Overflow)?;
    let from = if suffix.is_empty() {
        unit
    } else {
        TimeUnit::from_suffix(suffix).ok_or_else(|| ValueError::InvalidSuffix {
            suffix: suffix.to_owned(),
            allowed: "us, ms, s, m, min, h, d",
        })?
    };
    let (from, to) = (from.micros(), unit.micros());
    Ok(if from >= to {
        let ratio = from / to;
        value.checked_mul(ratio).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
    } else {
        value / (to / from)
    })
}

fn invalid(key: &str, value: &str, reason: ValueError) -> Error {
    Error::InvalidConfig { key: key.to_owned(), value: value.to_owned(), reason }
}

fn size(key: &str, v: &str, unit: ByteUnit) -> Result<i64> {
    byte_string_as(v, unit).map_err(|reason| invalid(key, v, reason))
}

fn time(key: &str, v: &str, unit: TimeUnit) -> Result<i64> {
    time_string_as(v, unit).map_err(|reason| invalid(key, v, reason))
}

/// An integer in `min..=max`, parsed like Spark's `intConf`/`longConf` (trimmed, optional
/// sign, no suffix).
fn int_in(key: &str, v: &str, min: i64, max: i64) -> Result<i64> {
    let n: i64 = v.trim().parse().map_err(|_| invalid(key, v, ValueError::Syntax("an integer")))?;
    if !(min..=max).contains(&n) {
        return Err(invalid(key, v, ValueError::OutOfRange { min, max }));
    }
    Ok(n)
}

/// Scala's `toBoolean` on the trimmed value: `true` or `false`, any case.
fn boolean(key: &str, v: &str) -> Result<bool> {
    match v.trim() {
        t if t.eq_ignore_ascii_case("true") => Ok(true),
        f if f.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(invalid(key, v, ValueError::NotBoolean)),
    }
}

/// Parses `java.util.Properties` text, the format of `spark-defaults.conf`: `key value`,
/// `key=value` or `key:value` per logical line, `#`/`!` comment lines, backslash line
/// continuation and escapes (`\t`, `\n`, `\uXXXX`, …). Values are trimmed as Spark trims
/// them. On a malformed `\u` escape, returns the 1-based line it starts on.
pub fn parse_properties(text: &str) -> Result<Vec<(String, String)>, (usize, &'static str)> {
    let mut out = Vec::new();
    let mut logical = String::new();
    let mut start_line = 0;
    let mut continuing = false;
    // Java ends natural lines at \n, \r or \r\n.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    for (i, natural) in text.split('\n').enumerate() {
        let line = natural.trim_start_matches([' ', '\t', '\x0c']);
        if !continuing {
            if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
                continue;
            }
            start_line = i + 1;
        }
        let trailing = line.bytes().rev().take_while(|&b| b == b'\\').count();
        if trailing % 2 == 1 {
            logical.push_str(&line[..line.len() - 1]);
            continuing = true;
            continue;
        }
        logical.push_str(line);
        continuing = false;
        out.push(split_entry(&logical).map_err(|reason| (start_line, reason))?);
        logical.clear();
    }
    if continuing && !logical.is_empty() {
        out.push(split_entry(&logical).map_err(|reason| (start_line, reason))?);
    }
    Ok(out)
}

/// Splits one logical properties line into an unescaped key and value.
fn split_entry(line: &str) -> Result<(String, String), &'static str> {
    let is_space = |c: char| matches!(c, ' ' | '\t' | '\x0c');
    let mut key_end = line.len();
    let mut value_start = line.len();
    let mut has_sep = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if !escaped && (c == '=' || c == ':') {
            (key_end, value_start, has_sep) = (i, i + 1, true);
            break;
        }
        if !escaped && is_space(c) {
            (key_end, value_start) = (i, i + 1);
            break;
        }
        escaped = c == '\\' && !escaped;
    }
    let mut rest = &line[value_start..];
    loop {
        rest = rest.trim_start_matches(is_space);
        match rest.strip_prefix(['=', ':']) {
            Some(after) if !has_sep => {
                has_sep = true;
                rest = after;
            }
            _ => break,
        }
    }
    let value = unescape(rest)?;
    Ok((unescape(&line[..key_end])?, java_trim(&value).to_owned()))
}

/// Java's `Properties.loadConvert`.
fn unescape(s: &str) -> Result<String, &'static str> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\x0c'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let unit = (hex.len() == 4)
                    .then(|| u32::from_str_radix(&hex, 16).ok())
                    .flatten()
                    .ok_or("malformed \\uxxxx encoding")?;
                // A lone surrogate half cannot be a Rust char; Spark keys and values never
                // contain one, so it is replaced rather than refused.
                out.push(char::from_u32(unit).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    Ok(out)
}

/// Command line of the `shuffle-server` binary.
#[derive(Debug, Clone, Default, clap::Parser)]
#[command(
    name = "shuffle-server",
    version,
    about = "Apache Spark 3.5 compatible external shuffle service.",
    long_about = "Apache Spark 3.5 compatible external shuffle service.\n\n\
        Serves the shuffle files and disk-persisted RDD blocks that executors leave on this \
        host. Settings use Spark's key names and value syntax; flags override --conf, which \
        overrides --properties-file.",
    after_help = "Keys read (all others are ignored):\n  \
        spark.shuffle.service.port (7337), spark.shuffle.io.connectionTimeout \
        (spark.network.timeout, 120s),\n  spark.shuffle.maxChunksBeingTransferred, \
        spark.shuffle.service.index.cache.size (100m),\n  spark.shuffle.cleaner.interval \
        (30s), spark.authenticate (false), spark.authenticate.secret,\n  \
        spark.authenticate.secret.file, spark.shuffle.service.rs.appSecrets.<appId>,\n  \
        spark.shuffle.service.rs.appSecretsFile, spark.network.crypto.enabled (false),\n  \
        spark.network.crypto.cipher (AES/CTR/NoPadding), \
        spark.network.crypto.authEngineVersion (1),\n  \
        spark.network.crypto.saslFallback (true), spark.shuffle.service.rs.allowedLocalDirRoots,\n  \
        spark.shuffle.service.db.enabled (true), spark.shuffle.service.rs.host (0.0.0.0),\n  \
        spark.shuffle.service.rs.stateDir, spark.shuffle.service.rs.metricsPort (-1 = off),\n  \
        spark.shuffle.service.rs.maxConnections (from the file limit; more are closed), \
        spark.shuffle.service.rs.maxFrameLength (16m),\n  \
        spark.shuffle.service.rs.maxOpenFiles (from the file limit; set, a quarter kept open),\n  \
        spark.shuffle.service.rs.maxMappedFiles (from vm.max_map_count; 0 maps none),\n  \
        spark.shuffle.service.rs.appIdleTimeout (unset = off; cleans apps without a Mesos \
        driver after no requests for this long),\n  \
        spark.shuffle.service.rs.tls.enabled (false; TLS clients on the shuffle port), \
        spark.shuffle.service.rs.tls.certFile,\n  spark.shuffle.service.rs.tls.keyFile, \
        spark.shuffle.service.rs.tls.clientCaFile (unset = no client certificates),\n  \
        spark.shuffle.service.rs.tls.required (false; true closes plaintext connections)"
)]
pub struct Cli {
    /// Address to listen on [default: 0.0.0.0]
    #[arg(long, value_name = "ADDR")]
    pub host: Option<String>,
    /// Port to listen on; 0 picks a free port and logs it [default: 7337]
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,
    /// Directory for the daemon's state (registered executors)
    /// [default: $XDG_STATE_HOME/spark-shuffle-server]
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Spark properties file (spark-defaults.conf syntax) to read settings from
    #[arg(long, value_name = "FILE")]
    pub properties_file: Option<PathBuf>,
    /// Sets a Spark property, e.g. --conf spark.shuffle.io.connectionTimeout=60s (repeatable)
    #[arg(long = "conf", short = 'c', value_name = "KEY=VALUE")]
    pub conf: Vec<String>,
    /// Log line format on stderr: text, or json (one object per line with Spark 4's
    /// structured-logging keys ts, level, msg, context, logger)
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t)]
    pub log_format: crate::logging::LogFormat,
}

impl Cli {
    /// Merges the properties file, `--conf` pairs and flags into a [`Config`].
    ///
    /// Reads the properties file synchronously: call it before the runtime starts serving.
    pub fn load(&self) -> Result<Config> {
        let mut props = BTreeMap::new();
        if let Some(path) = &self.properties_file {
            for (key, value) in read_properties_file(path)? {
                insert_spark_property(&mut props, key, value);
            }
        }
        for arg in &self.conf {
            let (key, value) = arg.split_once('=').ok_or_else(|| Error::ConfArg(arg.clone()))?;
            insert_spark_property(&mut props, key.to_owned(), value.to_owned());
        }
        if let Some(host) = &self.host {
            props.insert(keys::HOST.to_owned(), host.clone());
        }
        if let Some(port) = self.port {
            props.insert(keys::PORT.to_owned(), port.to_string());
        }
        if let Some(dir) = &self.state_dir {
            props.insert(keys::STATE_DIR.to_owned(), dir.to_string_lossy().into_owned());
        }
        Config::from_properties(&props)
    }
}

fn read_properties_file(path: &Path) -> Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| Error::ConfigFile { path: path.to_owned(), source })?;
    parse_properties(&text).map_err(|(line, reason)| Error::PropertiesSyntax {
        path: path.to_owned(),
        line,
        reason,
    })
}

/// Spark only takes `spark.*` keys from properties files and `--conf`; others are dropped
/// with a warning, as `spark-submit` does.
fn insert_spark_property(props: &mut BTreeMap<String, String>, key: String, value: String) {
    if key.starts_with("spark.") {
        props.insert(key, value);
    } else {
        warn!(key, "ignoring non-Spark configuration property");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn refused_key(pairs: &[(&str, &str)]) -> String {
        match Config::from_properties(&props(pairs)) {
            Err(Error::InvalidConfig { key, .. }) => key,
            other => panic!("expected InvalidConfig, got {other:?}"),
        }
    }

    #[test]
    fn sizes_follow_byte_string_as() {
        use ByteUnit::*;
        assert_eq!(byte_string_as("100m", Byte), Ok(100 << 20));
        assert_eq!(byte_string_as(" 100M ", Byte), Ok(100 << 20));
        assert_eq!(byte_string_as("1kb", Byte), Ok(1024));
        assert_eq!(byte_string_as("3pb", Byte), Ok(3 << 50));
        assert_eq!(byte_string_as("42", Byte), Ok(42));
        assert_eq!(byte_string_as("42", MiB), Ok(42));
        assert_eq!(byte_string_as("1023k", MiB), Ok(0));
        assert_eq!(byte_string_as("1g", KiB), Ok(1 << 20));
        assert_eq!(byte_string_as("1.5g", Byte), Err(ValueError::Fractional));
        assert!(matches!(byte_string_as("10x", Byte), Err(ValueError::InvalidSuffix { .. })));
        assert!(matches!(byte_string_as("-1", Byte), Err(ValueError::Syntax(_))));
        assert!(matches!(byte_string_as("", Byte), Err(ValueError::Syntax(_))));
        assert!(matches!(byte_string_as("1 m", Byte), Err(ValueError::Syntax(_))));
        assert_eq!(byte_string_as("8192p", Byte), Err(ValueError::Overflow));
        assert_eq!(byte_string_as("99999999999999999999", Byte), Err(ValueError::Overflow));
    }

    #[test]
    fn times_follow_time_string_as() {
        use TimeUnit::*;
        assert_eq!(time_string_as("100m", Seconds), Ok(6000));
        assert_eq!(time_string_as("2min", Millis), Ok(120_000));
        assert_eq!(time_string_as("120", Seconds), Ok(120));
        assert_eq!(time_string_as("1500ms", Seconds), Ok(1));
        assert_eq!(time_string_as("-1500ms", Seconds), Ok(-1));
        assert_eq!(time_string_as(" 1D\t", Hours), Ok(24));
        assert_eq!(time_string_as("250us", Millis), Ok(0));
        assert_eq!(time_string_as("9223372036854775807d", Micros), Ok(i64::MAX));
        assert_eq!(time_string_as("-9223372036854775807d", Micros), Ok(i64::MIN));
        assert!(matches!(time_string_as("5sec", Seconds), Err(ValueError::InvalidSuffix { .. })));
        assert!(matches!(time_string_as("1.5s", Seconds), Err(ValueError::Syntax(_))));
        assert!(matches!(time_string_as("+5s", Seconds), Err(ValueError::Syntax(_))));
    }

    #[test]
    fn defaults_are_sparks() {
        let c = Config::from_properties(&BTreeMap::new()).expect("defaults");
        assert_eq!(c.port, 7337);
        assert_eq!(c.host, "0.0.0.0");
        assert_eq!(c.connection_timeout, Some(Duration::from_secs(120)));
        assert_eq!(c.index_cache_size, 100 * 1024 * 1024);
        assert_eq!(c.max_chunks_being_transferred, i64::MAX as u64);
        assert_eq!(c.cleaner_interval, Duration::from_secs(30));
        assert!(c.db_enabled);
        assert!(!c.authenticate);
        assert_eq!(c.metrics_port, None);
    }

    #[test]
    fn connection_limit_defaults_to_the_file_limit_left() {
        let soft = crate::limits::file_limit().expect("file limit").soft;
        let c = Config::from_properties(&props(&[(keys::MAX_OPEN_FILES, "100")])).expect("ok");
        assert_eq!(c.max_connections, crate::limits::connections_for(soft, 100));
        let set = props(&[(keys::MAX_OPEN_FILES, "100"), (keys::MAX_CONNECTIONS, "7")]);
        assert_eq!(Config::from_properties(&set).expect("ok").max_connections, 7);
    }

    #[test]
    fn connection_timeout_falls_back_to_network_timeout() {
        let c = Config::from_properties(&props(&[(keys::NETWORK_TIMEOUT, "3min")])).expect("ok");
        assert_eq!(c.connection_timeout, Some(Duration::from_secs(180)));
        let both = props(&[(keys::NETWORK_TIMEOUT, "3min"), (keys::CONNECTION_TIMEOUT, "45")]);
        let c = Config::from_properties(&both).expect("ok");
        assert_eq!(c.connection_timeout, Some(Duration::from_secs(45)));
        let off = props(&[(keys::CONNECTION_TIMEOUT, "-1")]);
        assert_eq!(Config::from_properties(&off).expect("ok").connection_timeout, None);
        let bad = [(keys::NETWORK_TIMEOUT, "soon"), (keys::CONNECTION_TIMEOUT, "45")];
        assert_eq!(refused_key(&bad), keys::NETWORK_TIMEOUT);
    }

    #[test]
    fn invalid_values_name_their_key() {
        assert_eq!(refused_key(&[(keys::PORT, "70000")]), keys::PORT);
        assert_eq!(refused_key(&[(keys::PORT, "7k")]), keys::PORT);
        assert_eq!(refused_key(&[(keys::INDEX_CACHE_SIZE, "1.5g")]), keys::INDEX_CACHE_SIZE);
        assert_eq!(refused_key(&[(keys::DB_ENABLED, "yes")]), keys::DB_ENABLED);
        assert_eq!(refused_key(&[(keys::CLEANER_INTERVAL, "0s")]), keys::CLEANER_INTERVAL);
        assert_eq!(refused_key(&[(keys::MAX_FRAME_LENGTH, "10")]), keys::MAX_FRAME_LENGTH);
        assert_eq!(
            refused_key(&[(keys::MAX_CHUNKS_BEING_TRANSFERRED, "0")]),
            keys::MAX_CHUNKS_BEING_TRANSFERRED
        );
        let err = Config::from_properties(&props(&[(keys::PORT, "x")])).expect_err("refused");
        assert!(err.to_string().contains(keys::PORT), "{err}");
    }

    #[test]
    fn unknown_keys_are_accepted_and_values_parsed() {
        let c = Config::from_properties(&props(&[
            ("spark.executor.memory", "4g"),
            (keys::INDEX_CACHE_SIZE, "2048"),
            (keys::METRICS_PORT, "0"),
            (keys::CLEANER_INTERVAL, "2m"),
            (keys::DB_ENABLED, " FALSE "),
        ]))
        .expect("ok");
        assert_eq!(c.index_cache_size, 2048);
        assert_eq!(c.metrics_port, Some(0));
        assert_eq!(c.cleaner_interval, Duration::from_secs(120));
        assert!(!c.db_enabled);
        assert_eq!(c.app_idle_timeout, None);
        let idle = Config::from_properties(&props(&[(keys::APP_IDLE_TIMEOUT, "2h")])).expect("ok");
        assert_eq!(idle.app_idle_timeout, Some(Duration::from_secs(7200)));
        assert_eq!(refused_key(&[(keys::APP_IDLE_TIMEOUT, "0")]), keys::APP_IDLE_TIMEOUT);
    }

    #[test]
    fn secret_is_required_with_auth_and_never_printed() {
        let err = Config::from_properties(&props(&[(keys::AUTHENTICATE, "true")]));
        assert!(matches!(err, Err(Error::MissingConfig { key: keys::AUTHENTICATE_SECRET, .. })));
        let c = Config::from_properties(&props(&[
            (keys::AUTHENTICATE, "true"),
            (keys::AUTHENTICATE_SECRET, "hunter2"),
        ]))
        .expect("ok");
        assert_eq!(c.auth_secret.as_ref().map(Secret::expose), Some("hunter2"));
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn secrets_come_from_keys_files_and_per_app_entries() {
        let dir = tempfile::tempdir().expect("tempdir");
        let secret_file = dir.path().join("secret");
        std::fs::write(&secret_file, b"hunter2\n").expect("write");
        let apps_file = dir.path().join("apps.properties");
        std::fs::write(&apps_file, "# per-app secrets\napp-1=one\napp-2 = two\n").expect("write");
        let c = Config::from_properties(&props(&[
            (keys::AUTHENTICATE, "true"),
            (keys::AUTHENTICATE_SECRET_FILE, secret_file.to_str().expect("utf-8")),
            (keys::APP_SECRETS_FILE, apps_file.to_str().expect("utf-8")),
            ("spark.shuffle.service.rs.appSecrets.app-2", "override"),
            ("spark.shuffle.service.rs.appSecrets.app-3", "three"),
        ]))
        .expect("ok");
        // Spark's SecurityManager: the Base64 of the file's bytes.
        assert_eq!(c.auth_secret.as_ref().map(Secret::expose), Some("aHVudGVyMgo="));
        let apps: Vec<(&str, &str)> =
            c.app_secrets.iter().map(|(a, s)| (a.as_str(), s.expose())).collect();
        assert_eq!(apps, [("app-1", "one"), ("app-2", "override"), ("app-3", "three")]);
        assert!(!format!("{c:?}").contains("override"));

        // Per-app secrets alone satisfy spark.authenticate; the secret key wins over the file.
        let c = Config::from_properties(&props(&[
            (keys::AUTHENTICATE, "true"),
            ("spark.shuffle.service.rs.appSecrets.app-1", "one"),
        ]))
        .expect("ok");
        assert!(c.auth_secret.is_none());
        let c = Config::from_properties(&props(&[
            (keys::AUTHENTICATE_SECRET, "direct"),
            (keys::AUTHENTICATE_SECRET_FILE, "/nonexistent"),
        ]))
        .expect("ok");
        assert_eq!(c.auth_secret.as_ref().map(Secret::expose), Some("direct"));

        let missing = props(&[(keys::AUTHENTICATE_SECRET_FILE, "/nonexistent/secret")]);
        assert!(matches!(Config::from_properties(&missing), Err(Error::ConfigFile { .. })));
        let empty = props(&[("spark.shuffle.service.rs.appSecrets.app-1", "")]);
        let err = Config::from_properties(&empty).expect_err("empty secret");
        assert!(err.to_string().contains("appSecrets.app-1"), "{err}");
    }

    #[test]
    fn crypto_and_confinement_keys() {
        let c = Config::from_properties(&props(&[
            (keys::CRYPTO_ENABLED, "true"),
            (keys::CRYPTO_CIPHER, "AES/GCM/NoPadding"),
            (keys::AUTH_ENGINE_VERSION, "2"),
            (keys::CRYPTO_SASL_FALLBACK, "false"),
            (keys::ALLOWED_LOCAL_DIR_ROOTS, " /data/1 , /data/2/,"),
        ]))
        .expect("ok");
        assert!(c.crypto_enabled && !c.crypto_sasl_fallback);
        assert_eq!((c.crypto_cipher, c.auth_engine_version), (CryptoCipher::Gcm, 2));
        assert_eq!(
            c.allowed_local_dir_roots,
            [PathBuf::from("/data/1"), PathBuf::from("/data/2/")]
        );
        let d = Config::default();
        assert_eq!((d.crypto_cipher, d.auth_engine_version), (CryptoCipher::Ctr, 1));
        assert!(
            !d.crypto_enabled && d.crypto_sasl_fallback && d.allowed_local_dir_roots.is_empty()
        );
        assert_eq!(refused_key(&[(keys::CRYPTO_CIPHER, "DES")]), keys::CRYPTO_CIPHER);
        assert_eq!(refused_key(&[(keys::AUTH_ENGINE_VERSION, "3")]), keys::AUTH_ENGINE_VERSION);
        let relative = [(keys::ALLOWED_LOCAL_DIR_ROOTS, "/ok,data")];
        assert_eq!(refused_key(&relative), keys::ALLOWED_LOCAL_DIR_ROOTS);
    }

    #[test]
    fn properties_syntax() {
        let text = "# comment\n  ! other comment\n\nspark.a  1\nspark.b=2\nspark.c : 3 \n\
                    spark.d = multi \\\n    line\nspark.e\\u003dx = \\u0041\\t\nspark.f\n\
                    spark.g==v\r\nspark.h:\n";
        let got = parse_properties(text).expect("parses");
        let want = [
            ("spark.a", "1"),
            ("spark.b", "2"),
            ("spark.c", "3"),
            ("spark.d", "multi line"),
            ("spark.e=x", "A"),
            ("spark.f", ""),
            ("spark.g", "=v"),
            ("spark.h", ""),
        ];
        let want: Vec<(String, String)> =
            want.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        assert_eq!(got, want);
        assert_eq!(parse_properties("\n\nspark.x \\u12"), Err((3, "malformed \\uxxxx encoding")));
    }

    #[test]
    fn cli_precedence_is_flags_then_conf_then_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("spark-defaults.conf");
        std::fs::write(
            &file,
            "spark.shuffle.service.port 1000\nspark.network.timeout 10s\nother.key 1\n\
             spark.shuffle.service.rs.maxOpenFiles 7\n\
             spark.shuffle.service.rs.maxMappedFiles 0\n",
        )
        .expect("write");
        let cli = Cli::try_parse_from([
            "shuffle-server",
            "--properties-file",
            file.to_str().expect("utf-8 path"),
            "--conf",
            "spark.shuffle.service.port=2000",
            "--conf",
            "spark.network.timeout=20s",
            "--port",
            "0",
            "--state-dir",
            "/var/lib/x",
        ])
        .expect("parses");
        let c = cli.load().expect("loads");
        assert_eq!(c.port, 0);
        assert_eq!(c.connection_timeout, Some(Duration::from_secs(20)));
        assert_eq!(c.max_open_files, Some(7));
        assert_eq!(c.max_mapped_files, Some(0));
        assert_eq!(c.state_dir, PathBuf::from("/var/lib/x"));

        let bad = Cli { conf: vec!["spark.x".into()], ..Cli::default() };
        assert!(matches!(bad.load(), Err(Error::ConfArg(_))));
        let missing = Cli { properties_file: Some(dir.path().join("nope")), ..Cli::default() };
        assert!(matches!(missing.load(), Err(Error::ConfigFile { .. })));
    }

    #[test]
    fn help_documents_every_flag() {
        use clap::CommandFactory;
        let help = Cli::command().render_long_help().to_string();
        let flags =
            ["--host", "--port", "--state-dir", "--properties-file", "--conf", "--log-format"];
        for flag in flags.into_iter().chain(["--help"]) {
            assert!(help.contains(flag), "{flag} missing from --help");
        }
    }
}
