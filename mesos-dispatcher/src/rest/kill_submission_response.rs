//! `KillSubmissionResponse`: the answer to `/v1/submissions/kill/<id>`.

use super::json::ObjectWriter;
use crate::SPARK_VERSION;

/// The reply to a kill request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KillSubmissionResponse {
    /// `submissionId`: the id from the path.
    pub submission_id: String,
    /// `success`: whether the driver was (or is being) killed.
    pub success: bool,
    /// `message`: what happened, in Spark's words.
    pub message: String,
}

impl KillSubmissionResponse {
    /// The message's `action`.
    pub const ACTION: &'static str = "KillSubmissionResponse";

    /// The JSON body, as Spark writes it.
    pub fn to_json(&self) -> String {
        ObjectWriter::default()
            .str("action", Self::ACTION)
            .str("message", self.message.as_str())
            .str("serverSparkVersion", SPARK_VERSION)
            .str("submissionId", self.submission_id.as_str())
            .bool("success", self.success)
            .finish()
    }
}
