//! Authenticating a new connection before anything else is sent on it, as Spark's
//! `AuthClientBootstrap` and `SaslClientBootstrap` do (`spark.authenticate=true`).
//!
//! Each step is an ordinary `RpcRequest` answered by an `RpcResponse` (or `RpcFailure`),
//! exchanged here before the connection's reader and writer tasks start, each within
//! `AuthConfig::rpc_timeout`:
//!
//! - crypto off: SASL DIGEST-MD5, QOP `auth` ([`digest_md5`]): an empty first token, the
//!   server's challenge, the client's digest response, the server's `rspauth`, which must
//!   prove the server holds the secret too. The traffic stays plaintext.
//! - crypto on: the AuthEngine exchange ([`engine`]), one round trip, after which both
//!   directions are encrypted with the session keys. If the server refuses it (an
//!   `RpcFailure`, or a reply that is not an AuthMessage) and `sasl_fallback` is on, SASL
//!   follows on the same connection, as in Spark; a timeout or a reply that does not
//!   decrypt does not fall back.
//!
//! The secret goes into no message, log line or error.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use shuffle_protocol::auth::cipher::{Decryptor, Encryptor};
use shuffle_protocol::auth::{digest_md5, engine, RpcBody, SaslMessage};
use shuffle_protocol::codec::Encode;
use shuffle_protocol::message::{Outbound, RpcRequest};
use shuffle_protocol::{ClientRole, Inbound, MessageReader, MessageWriter, Response};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::timeout;

use crate::config::AuthConfig;
use crate::error::{AuthFailure, AuthMechanism, Error, Result};

/// The two halves of an encrypted session: what the client writes with and reads with.
pub(crate) type Session = (Encryptor, Decryptor);

/// One handshake over a connection's reader and writer.
pub(crate) struct Handshake<'a, R, W> {
    /// The connection's reader (still plaintext).
    pub(crate) reader: &'a mut MessageReader<R, ClientRole>,
    /// The connection's writer (still plaintext).
    pub(crate) writer: &'a mut MessageWriter<W>,
    /// The peer, for errors.
    pub(crate) addr: &'a str,
    /// The settings.
    pub(crate) config: &'a AuthConfig,
    /// The application the connection authenticates as.
    pub(crate) app_id: &'a str,
    /// The connection's request ids.
    pub(crate) request_ids: &'a AtomicI64,
}

/// How an AuthEngine attempt ended, when it did not give a session.
enum EngineOutcome {
    /// The server does not take the AuthEngine: SASL may follow.
    Refused(Error),
    /// Anything else: final.
    Failed(Error),
}

impl<R: AsyncRead + Unpin, W: AsyncWrite + Unpin> Handshake<'_, R, W> {
    /// Runs the handshake; `Some` session if the connection is to be encrypted from now on.
    pub(crate) async fn run(mut self) -> Result<Option<Session>> {
        if !self.config.crypto_enabled {
            self.sasl().await?;
            return Ok(None);
        }
        match self.auth_engine().await {
            Ok(session) => Ok(Some(session)),
            Err(EngineOutcome::Refused(refusal)) if self.config.sasl_fallback => {
                tracing::debug!(addr = self.addr, error = %refusal, "AuthEngine refused, trying SASL");
                match self.sasl().await {
                    Ok(()) => Ok(None),
                    // A server that refused the AuthEngine for a wrong secret closes the
                    // connection (Spark's `AuthRpcHandler`); its refusal is the real reason.
                    Err(e) if e.is_retryable() && !e.is_timeout() => Err(refusal),
                    Err(e) => Err(e),
                }
            }
            Err(EngineOutcome::Refused(e) | EngineOutcome::Failed(e)) => Err(e),
        }
    }

    fn failure(&self, mechanism: AuthMechanism, reason: AuthFailure) -> Error {
        Error::Auth { addr: self.addr.to_owned(), mechanism, reason }
    }

    /// The AuthEngine exchange: challenge, reply, session keys.
    async fn auth_engine(&mut self) -> Result<Session, EngineOutcome> {
        let mechanism = AuthMechanism::AuthEngine;
        let secret = self.config.secret.expose();
        let handshake = engine::client::Handshake::start(self.app_id, secret)
            .map_err(|e| EngineOutcome::Failed(self.failure(mechanism, e.into())))?;
        let reply = match self.rpc(handshake.challenge().to_bytes()).await {
            Ok(Ok(body)) => body,
            Ok(Err(text)) => {
                return Err(EngineOutcome::Refused(
                    self.failure(mechanism, AuthFailure::Refused(text)),
                ))
            }
            Err(e) => return Err(EngineOutcome::Failed(e)),
        };
        // Spark's client falls back on a reply it cannot decode, too.
        let reply = match RpcBody::decode(reply) {
            Ok(RpcBody::Auth(reply)) => reply,
            Ok(_) => {
                let e = shuffle_protocol::Error::Malformed {
                    what: "AuthEngine reply",
                    reason: "not an AuthMessage",
                };
                let reason = AuthFailure::Malformed(Arc::new(e));
                return Err(EngineOutcome::Refused(self.failure(mechanism, reason)));
            }
            Err(e) => {
                let reason = AuthFailure::Malformed(Arc::new(e));
                return Err(EngineOutcome::Refused(self.failure(mechanism, reason)));
            }
        };
        let keys = handshake
            .finish(&reply, self.config.auth_engine_version)
            .map_err(|e| EngineOutcome::Failed(self.failure(mechanism, e.into())))?;
        Ok(keys.client(self.config.crypto_cipher))
    }

    /// SASL DIGEST-MD5 with QOP `auth`: two round trips, the server proving itself last.
    async fn sasl(&mut self) -> Result<()> {
        let mechanism = AuthMechanism::Sasl;
        let challenge = self.sasl_step(Bytes::new()).await?;
        let cnonce = digest_md5::new_nonce()
            .map_err(|e| Error::Io { addr: self.addr.to_owned(), source: Arc::new(e) })?;
        let secret = self.config.secret.expose();
        let (response, rspauth) = digest_md5::client_response(&challenge, secret, &cnonce)
            .map_err(|e| self.failure(mechanism, e.into()))?;
        let reply = self.sasl_step(Bytes::from(response)).await?;
        digest_md5::verify_rspauth(&rspauth, &reply).map_err(|e| self.failure(mechanism, e.into()))
    }

    /// One SASL round trip: the server's token, or its refusal as an [`Error::Auth`].
    async fn sasl_step(&mut self, token: Bytes) -> Result<Bytes> {
        let msg = SaslMessage { app_id: self.app_id.to_owned(), payload: token };
        match self.rpc(msg.to_bytes()).await? {
            Ok(reply) => Ok(reply),
            Err(text) => Err(self.failure(AuthMechanism::Sasl, AuthFailure::Refused(text))),
        }
    }

    /// Sends one handshake RPC and waits for its answer: the `RpcResponse` body, or the
    /// `RpcFailure` text. Nothing else may arrive before it.
    async fn rpc(&mut self, body: Bytes) -> Result<Result<Bytes, String>> {
        let request_id = self.request_ids.fetch_add(1, Ordering::Relaxed);
        let addr = self.addr;
        let (reader, writer) = (&mut *self.reader, &mut *self.writer);
        let exchange = async move {
            let wire = RpcRequest { request_id, body }.to_wire_bytes();
            writer.write_raw(&wire).await.map_err(|e| crate::transport::io_error(addr, e))?;
            // Under TLS the request's last record waits in rustls until flushed.
            writer.flush().await.map_err(|e| crate::transport::io_error(addr, e))?;
            match reader.read().await {
                Ok(Some(Inbound::Message(Response::RpcResponse(r))))
                    if r.request_id == request_id =>
                {
                    Ok(Ok(r.body))
                }
                Ok(Some(Inbound::Message(Response::RpcFailure(f))))
                    if f.request_id == request_id =>
                {
                    Ok(Err(f.error_string))
                }
                Ok(Some(Inbound::Message(other))) => Err(Error::UnexpectedResponse {
                    addr: addr.to_owned(),
                    expected: "the handshake reply",
                    got: other.message_type().name(),
                }),
                Ok(Some(Inbound::Body { .. })) => Err(Error::UnexpectedResponse {
                    addr: addr.to_owned(),
                    expected: "the handshake reply",
                    got: "a stream body",
                }),
                Ok(None) => Err(Error::ConnectionClosed { addr: addr.to_owned() }),
                Err(e) => Err(crate::transport::io_error(addr, e)),
            }
        };
        let limit = self.config.rpc_timeout;
        timeout(limit, exchange)
            .await
            .unwrap_or_else(|_| Err(Error::Timeout { addr: addr.to_owned(), timeout: limit }))
    }
}
