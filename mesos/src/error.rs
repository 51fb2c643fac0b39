//! The crate's one error type.

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O error on a connection or file.
    #[error(transparent)]
    Io(#[from] std::io::Error),

    /// A RecordIO length line holds something other than ASCII digits before its `\n`.
    #[error("RecordIO length has non-digit byte {byte:#04x} at offset {offset}")]
    RecordLengthNotDecimal {
        /// The offending byte.
        byte: u8,
        /// Its offset in the length line.
        offset: usize,
    },
    /// A RecordIO length line is just `\n`.
    #[error("RecordIO length is empty")]
    RecordLengthEmpty,
    /// A RecordIO length has more digits than any `u64` needs.
    #[error("RecordIO length has more than {max_digits} digits")]
    RecordLengthTooManyDigits {
        /// The most digits accepted.
        max_digits: usize,
    },
    /// A RecordIO length does not fit a `u64`.
    #[error("RecordIO length overflows u64")]
    RecordLengthOverflow,
    /// A RecordIO length is zero, which Mesos never writes.
    #[error("RecordIO length is zero")]
    RecordLengthZero,
    /// A RecordIO record is longer than the decoder's limit.
    #[error("RecordIO record of {len} bytes exceeds the limit of {max}")]
    RecordTooLarge {
        /// The length the stream claims.
        len: u64,
        /// The limit.
        max: usize,
    },

    /// A Spark configuration value does not parse as its key's type (Spark's
    /// `ConfigEntry`/`SparkConf` accessors reject it too).
    #[error("{key} should be {expected}, but was {value:?}")]
    ConfValue {
        /// The configuration key.
        key: String,
        /// The value as configured.
        value: String,
        /// What Spark expects there.
        expected: crate::rules::conf::ConfType,
    },
    /// `spark.mesos.constraints` (or `spark.mesos.driver.constraints`) is not
    /// `attr:v1,v2;attr2:...` with distinct attributes (Spark's "Bad constraint string").
    #[error("bad constraint string: {constraints:?}")]
    BadConstraintString {
        /// The whole constraint string.
        constraints: String,
    },
    /// A constraint on a SCALAR or RANGES attribute holds a value that is not a number.
    #[error("constraint on attribute {attribute:?} has non-numeric value {value:?}")]
    ConstraintNotNumeric {
        /// The attribute.
        attribute: String,
        /// The offending value.
        value: String,
    },
    /// A `key:value` item of a Mesos label string does not have exactly one unescaped `:`.
    #[error("malformed label: {label:?}")]
    MalformedLabel {
        /// The item, escapes still in it.
        label: String,
    },
    /// A port in `spark.mesos.executor.docker.portmaps` is not a 32-bit integer.
    #[error("port mapping has non-numeric port {port:?}")]
    PortMappingNotNumeric {
        /// The offending port text.
        port: String,
    },
    /// Both `secret.names` and `secret.values` are set for one task kind.
    #[error("cannot specify both value-type and reference-type secrets ({task})")]
    SecretKindsMixed {
        /// Driver or executor secrets.
        task: crate::rules::secrets::SecretTask,
    },
    /// `secret.envkeys` or `secret.filenames` lists a different number of targets than there
    /// are secrets.
    #[error("{targets} secret {target}s given for {secrets} {task} secrets")]
    SecretTargetCount {
        /// Driver or executor secrets.
        task: crate::rules::secrets::SecretTask,
        /// Environment variables or files.
        target: crate::rules::secrets::SecretTarget,
        /// How many secrets are configured.
        secrets: usize,
        /// How many targets are configured.
        targets: usize,
    },
    /// A port the executor needs (`spark.blockManager.port`) lies in no offered `ports` range.
    #[error("port {port} is in no offered ports range")]
    PortNotOffered {
        /// The port.
        port: u64,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
