//! `SubmissionStatusResponse`: the answer to `/v1/submissions/status/<id>`.

use super::json::ObjectWriter;
use crate::SPARK_VERSION;

/// The reply to a status request. `workerId` and `workerHostPort` exist in Spark's message
/// but its Mesos dispatcher never sets them, so they are never written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionStatusResponse {
    /// `submissionId`: the id from the path.
    pub submission_id: String,
    /// `success`: false only for NOT_FOUND.
    pub success: bool,
    /// `driverState`: QUEUED, RUNNING, RETRYING, FINISHED or NOT_FOUND.
    pub driver_state: &'static str,
    /// `message`: the driver task's last status in protobuf text form, when there is one.
    pub message: Option<String>,
}

impl SubmissionStatusResponse {
    /// The message's `action`.
    pub const ACTION: &'static str = "SubmissionStatusResponse";

    /// The JSON body, as Spark writes it.
    pub fn to_json(&self) -> String {
        ObjectWriter::default()
            .str("action", Self::ACTION)
            .str("driverState", self.driver_state)
            .opt_str("message", self.message.as_deref())
            .str("serverSparkVersion", SPARK_VERSION)
            .str("submissionId", self.submission_id.as_str())
            .bool("success", self.success)
            .finish()
    }
}
