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
    /// A protobuf body is truncated or corrupt.
    #[error("bad protobuf: {0}")]
    Protobuf(#[from] prost::DecodeError),
    /// An event has no `type`.
    #[error("event has no type")]
    EventTypeMissing,
    /// An event's `type` is not one this crate knows.
    #[error("event type {value} is unknown")]
    EventTypeUnknown {
        /// The raw enum value.
        value: i32,
    },
    /// An event lacks the body its `type` calls for.
    #[error("{event} event has no body")]
    EventBodyMissing {
        /// The event type, as Mesos names it.
        event: &'static str,
    },
    /// SUBSCRIBED carries a heartbeat interval that is negative, not finite or too large.
    #[error("heartbeat interval of {seconds} s is not a duration")]
    HeartbeatInterval {
        /// The interval sent.
        seconds: f64,
    },
    /// A JSON body is not valid JSON.
    #[error("bad JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A JSON message is not a JSON object.
    #[error("{message} is not a JSON object")]
    JsonNotObject {
        /// The proto message expected.
        message: &'static str,
    },
    /// A JSON field holds the wrong kind of value (e.g. an array for a singular field).
    #[error("{message}.{field} has the wrong JSON type")]
    JsonFieldType {
        /// The proto message.
        message: &'static str,
        /// The field.
        field: &'static str,
    },
    /// A JSON number does not fit its field's type (fraction in an integer, out of range).
    #[error("{message}.{field} is out of range for its type")]
    JsonNumberRange {
        /// The proto message.
        message: &'static str,
        /// The field.
        field: &'static str,
    },
    /// A JSON `bytes` field is not base64.
    #[error("{message}.{field} is not base64")]
    JsonBase64 {
        /// The proto message.
        message: &'static str,
        /// The field.
        field: &'static str,
    },
    /// A required JSON field is absent (or null).
    #[error("{message}.{field} is required")]
    JsonFieldMissing {
        /// The proto message.
        message: &'static str,
        /// The field.
        field: &'static str,
    },
    /// A JSON enum name is not one of the enum's values.
    #[error("{message}.{field}: unknown enum value {name:?}")]
    JsonUnknownEnum {
        /// The proto message.
        message: &'static str,
        /// The field.
        field: &'static str,
        /// The name sent.
        name: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
