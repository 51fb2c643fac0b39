//! `ErrorResponse`: what Spark's REST server sends instead of the expected reply.

use super::json::ObjectWriter;
use crate::SPARK_VERSION;

/// The protocol version this server speaks, reported to clients that asked for another.
pub const PROTOCOL_VERSION: &str = "v1";

/// An error reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorResponse {
    /// `message`: what went wrong, in Spark's words.
    pub message: String,
    /// `highestProtocolVersion`: set only when the client used an unknown version.
    pub highest_protocol_version: Option<&'static str>,
}

impl ErrorResponse {
    /// The message's `action`.
    pub const ACTION: &'static str = "ErrorResponse";

    /// An error reply with `message` only.
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), highest_protocol_version: None }
    }

    /// The JSON body, as Spark writes it (no `success` field: Spark leaves it null).
    pub fn to_json(&self) -> String {
        ObjectWriter::default()
            .str("action", Self::ACTION)
            .opt_str("highestProtocolVersion", self.highest_protocol_version)
            .str("message", self.message.as_str())
            .str("serverSparkVersion", SPARK_VERSION)
            .finish()
    }
}
