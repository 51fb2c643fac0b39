//! Spark's REST submission protocol v1, as Spark 3.5.6's `MesosRestServer` answers it.
//!
//! One file per message (`create_submission_request`, `create_submission_response`,
//! `kill_submission_response`, `submission_status_response`, `error_response`), Jackson's
//! JSON forms in `json`, paths in `router`, Spark's servlet logic in `handler` and HTTP in
//! `server`.

pub mod create_submission_request;
pub mod create_submission_response;
pub mod error_response;
pub mod handler;
mod json;
pub mod kill_submission_response;
pub mod router;
pub mod server;
pub mod submission_status_response;

pub use create_submission_request::CreateSubmissionRequest;
pub use create_submission_response::CreateSubmissionResponse;
pub use error_response::ErrorResponse;
pub use handler::{handle, Reply};
pub use kill_submission_response::KillSubmissionResponse;
pub use router::Route;
pub use server::{serve, Limits};
pub use submission_status_response::SubmissionStatusResponse;
