//! The retry policy shared by every operation (Spark's `RetryingBlockTransferor` rules).
//!
//! Only [`Error::is_retryable`] errors are retried, at most `max_retries` times per
//! operation (the count is not reset by progress, as in Spark), each after `retry_wait`.
//! Fetches apply the same rules to the blocks they have not yielded yet
//! ([`crate::fetcher`]).

use std::future::Future;

use crate::config::ClientConfig;
use crate::error::{Error, Result};

/// Runs `op` until it succeeds, fails with a final error, or retries run out.
pub(crate) async fn with_retries<T, F, Fut>(
    config: &ClientConfig,
    what: &str,
    mut op: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut retries = 0;
    loop {
        match op().await {
            Err(e) if should_retry(&e, retries, config) => {
                retries += 1;
                tracing::warn!(
                    error = %e, retry = retries, max = config.max_retries,
                    "retrying {what} after {:?}", config.retry_wait,
                );
                tokio::time::sleep(config.retry_wait).await;
            }
            result => return result,
        }
    }
}

/// Whether an operation that already retried `retries` times should try again after `e`.
pub(crate) fn should_retry(e: &Error, retries: u32, config: &ClientConfig) -> bool {
    e.is_retryable() && retries < config.max_retries
}
