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

    /// No ZooKeeper server in the list accepted a session.
    #[error("no ZooKeeper server in {servers} accepted a session")]
    ZkUnreachable {
        /// The server list tried.
        servers: String,
    },
    /// A ZooKeeper server answered an operation with an error code (`NONODE` is -101,
    /// `NODEEXISTS` -110, see `KeeperException.Code`).
    #[error("ZooKeeper {op} of {path:?} failed with code {code}")]
    Zk {
        /// The operation.
        op: &'static str,
        /// The node path.
        path: String,
        /// ZooKeeper's error code.
        code: i32,
    },
    /// A ZooKeeper packet was shorter than its own fields say.
    #[error("malformed ZooKeeper packet: {needed} bytes needed, {left} left")]
    ZkMalformed {
        /// Bytes the next field needs.
        needed: usize,
        /// Bytes left in the packet.
        left: usize,
    },
    /// A ZooKeeper packet length was negative or over the limit.
    #[error("ZooKeeper packet length {len} outside 0..={max}")]
    ZkPacketSize {
        /// The length received.
        len: i32,
        /// The largest accepted.
        max: usize,
    },
    /// A ZooKeeper string was not UTF-8.
    #[error("ZooKeeper string is not UTF-8")]
    ZkNotUtf8,
    /// The ZooKeeper session ended (connection lost, session expired or closed).
    #[error("ZooKeeper session lost")]
    ZkSessionLost,
    /// A ZooKeeper operation got no answer within twice the session timeout.
    #[error("ZooKeeper {op} timed out")]
    ZkTimeout {
        /// The operation.
        op: &'static str,
    },
    /// The master group in ZooKeeper has no `json.info_` member.
    #[error("no Mesos master has joined the group at {path}")]
    NoLeadingMaster {
        /// The group's path.
        path: String,
    },
    /// A master's group node holds no usable `MasterInfo` JSON address.
    #[error("ZooKeeper node {node} holds no usable MasterInfo")]
    BadMasterInfo {
        /// The node's path.
        node: String,
    },

    /// A master URL that is none of the accepted forms.
    #[error("bad master URL {url:?}: {reason}")]
    MasterUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Connecting to a master failed.
    #[error("cannot connect to the master at {master}")]
    Connect {
        /// `host:port` tried.
        master: String,
        /// Why.
        source: std::io::Error,
    },
    /// A master's host is not a valid TLS server name.
    #[error("{host:?} is not a valid TLS server name")]
    TlsServerName {
        /// The host.
        host: String,
    },
    /// A master is to be reached over TLS (`https://`) but no TLS configuration was given.
    #[error("TLS to the master needs a TLS configuration")]
    TlsNotConfigured,
    /// A wait ran past its bound.
    #[error("timed out waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: &'static str,
    },
    /// HTTP trouble on a master connection.
    #[error(transparent)]
    Http(#[from] hyper::Error),
    /// A header could not be built or a received one is malformed.
    #[error("bad {header} header")]
    BadHeader {
        /// The header.
        header: &'static str,
    },
    /// A SUBSCRIBE reply carries no `Mesos-Stream-Id`.
    #[error("SUBSCRIBE reply has no Mesos-Stream-Id")]
    NoStreamId,
    /// The master answered in a media type other than the one asked for.
    #[error("master answered with content type {content_type:?}")]
    UnexpectedContentType {
        /// The `Content-Type` received (at most 64 characters).
        content_type: String,
    },
    /// A 307 whose `Location` names no master.
    #[error("redirect to unusable location {location:?}")]
    BadRedirect {
        /// The `Location` received (at most 256 characters).
        location: String,
    },
    /// More redirects than allowed for one request.
    #[error("more than {max} redirects")]
    TooManyRedirects {
        /// The limit.
        max: u32,
    },
    /// A master answered with a status the API does not expect here (4xx, 5xx, or a 503
    /// that outlasted the retries).
    #[error("master answered {status}: {body}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The start of the reply body (at most 1 KiB, lossy UTF-8).
        body: String,
    },
    /// A call before the first SUBSCRIBED, or while re-subscribing.
    #[error("not subscribed")]
    NotSubscribed,
    /// No event, heartbeats included, arrived for this long: the stream is presumed dead.
    #[error("no event from the master for {waited:?}")]
    HeartbeatsMissed {
        /// How long the client waited.
        waited: std::time::Duration,
    },
    /// The master ended the SUBSCRIBE stream.
    #[error("the master closed the event stream")]
    StreamEnded,
    /// Re-subscribing kept failing past the framework's failover timeout; the master has
    /// removed the framework by now.
    #[error("framework {framework_id} could not re-subscribe within its failover timeout of {failover:?}")]
    FailoverTimeoutPassed {
        /// The framework.
        framework_id: String,
        /// `FrameworkInfo.failover_timeout`.
        failover: std::time::Duration,
    },
    /// Spark's configuration names a Mesos secret but no principal.
    #[error("a Mesos secret is configured without a principal")]
    SecretWithoutPrincipal,
    /// A `spark.mesos.principal.file` / `spark.mesos.secret.file` could not be read.
    #[error("cannot read the credential file {path}")]
    CredentialFile {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
