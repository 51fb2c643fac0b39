//! HTTP/1.1 to a master: one connection per [`Connection`], plain or TLS, the scheduler
//! endpoint's request shape, and bounded reads of reply bodies.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST, LOCATION};
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio::time::timeout;
use tokio_rustls::rustls;

use super::url::Endpoint;
use super::ContentType;
use crate::{Error, Result};

/// The scheduler API's path on every master.
pub(crate) const SCHEDULER_PATH: &str = "/api/v1/scheduler";

/// The header naming the SUBSCRIBE stream that other calls must quote.
pub(crate) const STREAM_ID: &str = "Mesos-Stream-Id";

/// Longest `Mesos-Stream-Id` accepted (Mesos's are 36-character UUIDs; it allows 128).
const MAX_STREAM_ID: usize = 128;

/// Most bytes of an error reply kept for [`Error::Status`].
const MAX_ERROR_BODY: usize = 1024;

/// One HTTP/1.1 connection to a master. Dropping it closes the connection.
#[derive(Debug)]
pub(crate) struct Connection {
    sender: http1::SendRequest<Full<Bytes>>,
    driver: JoinHandle<()>,
    /// Where it goes.
    pub(crate) endpoint: Endpoint,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

impl Connection {
    /// Connects (TCP, then TLS when the endpoint wants it), all within `limit`.
    pub(crate) async fn open(
        endpoint: &Endpoint,
        tls: Option<&Arc<rustls::ClientConfig>>,
        limit: Duration,
    ) -> Result<Self> {
        let authority = endpoint.authority();
        let connect = async {
            let tcp = TcpStream::connect((endpoint.host.as_str(), endpoint.port)).await?;
            tcp.set_nodelay(true)?;
            if !endpoint.tls {
                return Self::handshake(tcp, endpoint).await;
            }
            let config = tls.cloned().ok_or(Error::TlsNotConfigured)?;
            let name = rustls::pki_types::ServerName::try_from(endpoint.host.clone())
                .map_err(|_| Error::TlsServerName { host: endpoint.host.clone() })?;
            let stream = tokio_rustls::TlsConnector::from(config).connect(name, tcp).await?;
            Self::handshake(stream, endpoint).await
        };
        match timeout(limit, connect).await {
            Ok(Ok(conn)) => Ok(conn),
            Ok(Err(Error::Io(source))) => Err(Error::Connect { master: authority, source }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(Error::Timeout { what: "connecting to the master" }),
        }
    }

    async fn handshake<S>(io: S, endpoint: &Endpoint) -> Result<Self>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
    {
        let (sender, conn) = http1::handshake(TokioIo::new(io)).await?;
        let driver = tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "master connection ended");
            }
        });
        Ok(Self { sender, driver, endpoint: endpoint.clone() })
    }

    /// Whether the connection can take another request.
    pub(crate) fn is_open(&self) -> bool {
        !self.sender.is_closed()
    }

    /// POSTs `body` to the scheduler endpoint and waits at most `limit` for the reply's
    /// head (the body is left to the caller).
    pub(crate) async fn post(
        &mut self,
        head: &RequestHead<'_>,
        body: Bytes,
        limit: Duration,
    ) -> Result<Response<Incoming>> {
        let request = head.build(&self.endpoint, body)?;
        let send = async {
            self.sender.ready().await?;
            Ok::<_, Error>(self.sender.send_request(request).await?)
        };
        timeout(limit, send)
            .await
            .map_err(|_| Error::Timeout { what: "a reply from the master" })?
    }
}

/// What every request to the scheduler endpoint carries besides the body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestHead<'a> {
    /// Body and `Accept` type.
    pub(crate) content_type: ContentType,
    /// `Authorization` value, if any.
    pub(crate) authorization: Option<&'a HeaderValue>,
    /// `Mesos-Stream-Id`, on every call but SUBSCRIBE.
    pub(crate) stream_id: Option<&'a str>,
}

impl RequestHead<'_> {
    fn build(&self, endpoint: &Endpoint, body: Bytes) -> Result<Request<Full<Bytes>>> {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(SCHEDULER_PATH)
            .header(HOST, endpoint.authority())
            .header(CONTENT_TYPE, self.content_type.mime())
            .header(ACCEPT, self.content_type.mime());
        if let Some(auth) = self.authorization {
            request = request.header(AUTHORIZATION, auth);
        }
        if let Some(id) = self.stream_id {
            request = request.header(STREAM_ID, id);
        }
        request.body(Full::new(body)).map_err(|_| Error::BadHeader { header: "request" })
    }
}

/// `Authorization: Basic base64(principal:secret)`, marked sensitive so it is never logged.
pub(crate) fn basic_auth(principal: &str, secret: &str) -> Result<HeaderValue> {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{principal}:{secret}"));
    let mut value = HeaderValue::try_from(format!("Basic {token}"))
        .map_err(|_| Error::BadHeader { header: "Authorization" })?;
    value.set_sensitive(true);
    Ok(value)
}

/// The `Mesos-Stream-Id` of a SUBSCRIBE reply.
pub(crate) fn stream_id(response: &Response<Incoming>) -> Result<String> {
    let id = response.headers().get(STREAM_ID).ok_or(Error::NoStreamId)?;
    let id = id.to_str().map_err(|_| Error::BadHeader { header: STREAM_ID })?;
    if id.is_empty() || id.len() > MAX_STREAM_ID {
        return Err(Error::BadHeader { header: STREAM_ID });
    }
    Ok(id.to_owned())
}

/// The `Content-Type` of a reply, checked to be `want`.
pub(crate) fn check_content_type(response: &Response<Incoming>, want: ContentType) -> Result<()> {
    let got = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if ContentType::from_mime(got) == Some(want) {
        Ok(())
    } else {
        Err(Error::UnexpectedContentType { content_type: got.chars().take(64).collect() })
    }
}

/// Where a 307 points, as an endpoint.
pub(crate) fn redirect_target(response: &Response<Incoming>, tls: bool) -> Result<Endpoint> {
    let location = response.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("");
    Endpoint::from_location(location, tls)
        .ok_or_else(|| Error::BadRedirect { location: location.chars().take(256).collect() })
}

/// Turns an unexpected reply into [`Error::Status`] with the start of its body (read for at
/// most `limit`, at most 1 KiB kept).
pub(crate) async fn status_error(response: Response<Incoming>, limit: Duration) -> Error {
    let status = response.status().as_u16();
    let mut body = response.into_body();
    let mut kept = BytesMut::new();
    let read = async {
        while kept.len() < MAX_ERROR_BODY {
            match body.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        let room = MAX_ERROR_BODY - kept.len();
                        kept.extend_from_slice(&data[..data.len().min(room)]);
                    }
                }
                _ => break,
            }
        }
    };
    let _ = timeout(limit, read).await;
    Error::Status { status, body: String::from_utf8_lossy(&kept).into_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_is_rfc7617() {
        let v = basic_auth("principal", "secret");
        assert!(v.as_ref().is_ok_and(|v| v.as_bytes() == b"Basic cHJpbmNpcGFsOnNlY3JldA=="));
        assert!(v.is_ok_and(|v| v.is_sensitive()));
    }
}
