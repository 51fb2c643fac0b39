//! `CreateSubmissionResponse`: the answer to `/v1/submissions/create`.

use super::json::ObjectWriter;
use crate::SPARK_VERSION;

/// The reply to a create request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateSubmissionResponse {
    /// `submissionId`: set when the driver was queued.
    pub submission_id: Option<String>,
    /// `success`.
    pub success: bool,
    /// `message`: why a submission was not taken.
    pub message: Option<String>,
    /// `unknownFields`: request keys the server does not know, when there are any.
    pub unknown_fields: Option<Vec<String>>,
}

impl CreateSubmissionResponse {
    /// The message's `action`.
    pub const ACTION: &'static str = "CreateSubmissionResponse";

    /// The JSON body, as Spark writes it.
    pub fn to_json(&self) -> String {
        ObjectWriter::default()
            .str("action", Self::ACTION)
            .opt_str("message", self.message.as_deref())
            .str("serverSparkVersion", SPARK_VERSION)
            .opt_str("submissionId", self.submission_id.as_deref())
            .bool("success", self.success)
            .opt_str_array("unknownFields", self.unknown_fields.as_deref())
            .finish()
    }
}
