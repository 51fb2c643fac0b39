//! Calls other than SUBSCRIBE: one keep-alive connection, the current stream id and
//! framework id, 307s followed, 503s retried with backoff, other statuses as errors.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper::StatusCode;
use tokio::time::timeout;

use super::backoff::Backoff;
use super::http::{self, Connection, RequestHead};
use super::Shared;
use crate::proto::scheduler::Call;
use crate::proto::{FrameworkId, TaskStatus};
use crate::{Error, Result};

/// Most bytes of a successful call's reply read (and discarded) so the connection can be
/// reused; a longer reply closes the connection instead.
const MAX_REPLY_DRAINED: usize = 64 << 10;

/// Sends calls to the master the stream is subscribed to. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Caller {
    shared: Arc<Shared>,
}

impl Caller {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    pub(super) fn shared(&self) -> &Shared {
        &self.shared
    }

    /// The framework id, once a SUBSCRIBED has arrived.
    pub fn framework_id(&self) -> Option<FrameworkId> {
        self.shared.session().framework_id
    }

    /// Whether a subscription is live (calls can go out now).
    pub fn is_subscribed(&self) -> bool {
        self.shared.session().stream.is_some()
    }

    /// Sends `call`, filling in the framework id when it has none. `Ok` means the master
    /// accepted it (202, or 200 for the calls that answer with a body).
    pub async fn call(&self, mut call: Call) -> Result<()> {
        let session = self.shared.session();
        let (Some(framework_id), Some((stream_id, mut endpoint))) =
            (session.framework_id, session.stream)
        else {
            return Err(Error::NotSubscribed);
        };
        call.framework_id.get_or_insert(framework_id);
        let config = &self.shared.config;
        let body = Bytes::from(config.content_type.encode(&call));
        let head = RequestHead {
            content_type: config.content_type,
            authorization: self.shared.authorization.as_ref(),
            stream_id: Some(&stream_id),
        };
        let mut backoff = Backoff::new(config.backoff_initial, config.backoff_max);
        let (mut redirects, mut unavailable) = (0, 0);
        let mut slot = self.shared.calls.lock().await;
        loop {
            let reused = matches!(&*slot, Some(c) if c.endpoint == endpoint && c.is_open());
            if !reused {
                *slot = None;
                *slot = Some(
                    Connection::open(&endpoint, config.tls.as_ref(), config.request_timeout)
                        .await?,
                );
            }
            let Some(conn) = slot.as_mut() else { continue };
            let response = match conn.post(&head, body.clone(), config.request_timeout).await {
                Ok(response) => response,
                // A kept-alive connection the master closed meanwhile: once more on a new one.
                Err(Error::Http(_)) if reused => {
                    *slot = None;
                    continue;
                }
                Err(e) => {
                    *slot = None;
                    return Err(e);
                }
            };
            match response.status() {
                StatusCode::ACCEPTED | StatusCode::OK => {
                    if !drain(response.into_body(), config.request_timeout).await {
                        *slot = None;
                    }
                    return Ok(());
                }
                StatusCode::TEMPORARY_REDIRECT => {
                    *slot = None;
                    redirects += 1;
                    if redirects > config.max_redirects {
                        return Err(Error::TooManyRedirects { max: config.max_redirects });
                    }
                    endpoint = http::redirect_target(&response, endpoint.tls)?;
                    tracing::info!(%endpoint, "call redirected to the leading master");
                }
                StatusCode::SERVICE_UNAVAILABLE if unavailable < config.max_unavailable_retries => {
                    *slot = None;
                    unavailable += 1;
                    tokio::time::sleep(backoff.next_delay()).await;
                }
                _ => {
                    *slot = None;
                    return Err(http::status_error(response, config.request_timeout).await);
                }
            }
        }
    }

    /// ACKNOWLEDGEs `status` if it carries a uuid and an agent id; returns whether a call
    /// was sent. Other updates (the master's own) must not be acknowledged: skipped.
    pub async fn acknowledge(&self, status: &TaskStatus) -> Result<bool> {
        let framework_id = self.framework_id().ok_or(Error::NotSubscribed)?;
        match crate::call::acknowledge(&framework_id, status) {
            Some(ack) => self.call(ack).await.map(|()| true),
            None => Ok(false),
        }
    }
}

/// Reads a reply body to its end, for at most `limit` and [`MAX_REPLY_DRAINED`] bytes;
/// false if it did not end in time (the connection is then not reusable).
async fn drain(mut body: Incoming, limit: std::time::Duration) -> bool {
    let read = async {
        let mut seen = 0;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { return false };
            seen += frame.data_ref().map_or(0, Bytes::len);
            if seen > MAX_REPLY_DRAINED {
                return false;
            }
        }
        true
    };
    timeout(limit, read).await.unwrap_or(false)
}
