//! Authentication of shuffle connections (`spark.authenticate`), as Spark's
//! `AuthServerBootstrap` sets it up: SASL DIGEST-MD5 ([`digest_md5`]) and, with
//! `spark.network.crypto.enabled`, Spark's AuthEngine protocol.
//!
//! A connection starts [`Gate::Pending`] when authentication is on. Until its handshake
//! completes it may only send handshake RPCs; everything else is refused (see
//! `conn.rs`). A completed handshake yields the application id the connection is bound to:
//! every app-scoped request must then name that application (Spark's `checkAuth`), and
//! chunks are only handed out from that application's streams.
//!
//! Secrets: an application's own secret from [`Config::app_secrets`] if it has one, else the
//! shared [`Config::auth_secret`]. Secrets never appear in logs, metrics or replies; digests
//! are compared in constant time.

// The handshakes' cryptography is pure byte logic shared with the client; it lives in the
// protocol crate and keeps its old paths here.
pub use shuffle_protocol::auth::{cipher, digest_md5, engine};

use bytes::Bytes;
use shuffle_protocol::auth::{RpcBody, SaslMessage};

use crate::config::{Config, Secret};
use cipher::SessionKeys;
use digest_md5::{DigestMd5Server, SaslError, SaslStep};
use engine::EngineError;

/// The secret `app_id` authenticates with, if it may authenticate at all.
pub fn secret_for<'a>(config: &'a Config, app_id: &str) -> Option<&'a Secret> {
    config.app_secrets.get(app_id).or(config.auth_secret.as_ref())
}

/// Why a handshake message was refused. The display text goes into the RpcFailure; it
/// names no secret.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// A request other than a handshake message on a connection that has not authenticated.
    #[error(
        "Unauthenticated request: this shuffle service requires authentication \
         (spark.authenticate=true); expected a SASL handshake message"
    )]
    Unauthenticated,
    /// A handshake for an application that has no secret here.
    #[error("Trying to authenticate non-registered app {0}.")]
    UnknownApp(String),
    /// A SASL step for another application than the handshake started with.
    #[error("SASL handshake for {started} continued as {got}")]
    AppChanged {
        /// The application of the first step.
        started: String,
        /// The application of this step.
        got: String,
    },
    /// An AuthEngine message while `spark.network.crypto.enabled` is off here (the client
    /// falls back to SASL on the same connection when it may).
    #[error(
        "Expected SaslMessage, received AuthMessage: spark.network.crypto.enabled is false on \
         this shuffle service"
    )]
    CryptoDisabled,
    /// A SASL message while the AuthEngine is on and `spark.network.crypto.saslFallback` off.
    #[error("SASL authentication is disabled (spark.network.crypto.saslFallback=false)")]
    SaslDisabled,
    /// The SASL exchange failed.
    #[error(transparent)]
    Sasl(#[from] SaslError),
    /// The AuthEngine handshake failed (Spark: "Authentication failed.").
    #[error("Authentication failed: {0}")]
    Engine(#[from] EngineError),
    /// The handshake message does not decode.
    #[error(transparent)]
    Protocol(#[from] shuffle_protocol::Error),
    /// No randomness for a nonce or key.
    #[error("cannot draw random bytes: {0}")]
    Random(#[from] std::io::Error),
}

impl AuthError {
    /// Whether the connection should be closed after the RpcFailure. A failed or garbled
    /// handshake cannot be resumed; an AuthEngine message when only SASL is served leaves
    /// the connection open, because Spark's client then falls back to SASL on it.
    pub fn closes_connection(&self) -> bool {
        !matches!(self, Self::CryptoDisabled)
    }
}

/// What an accepted handshake message produced.
#[derive(Debug)]
pub enum Step {
    /// Reply with this RpcResponse body; the handshake goes on.
    Continue(Bytes),
    /// Reply with this body; the connection is now authenticated as `app_id`.
    Done {
        /// The RpcResponse body, sent in plaintext.
        reply: Bytes,
        /// The application the connection is bound to from now on.
        app_id: String,
        /// With the AuthEngine: the keys everything after the reply is encrypted with.
        keys: Option<SessionKeys>,
    },
}

/// The authentication state of one connection.
#[derive(Debug)]
pub enum Gate {
    /// Authentication is off: every request is served, no application binding.
    Open,
    /// Authentication is on and has not completed.
    Pending(Option<SaslSession>),
    /// Authenticated as this application.
    Authenticated(String),
}

/// A SASL exchange in progress.
#[derive(Debug)]
pub struct SaslSession {
    app_id: String,
    server: DigestMd5Server,
}

impl Gate {
    /// The state a new connection starts in.
    pub fn new(config: &Config) -> Self {
        if config.authenticate {
            Self::Pending(None)
        } else {
            Self::Open
        }
    }

    /// Whether requests other than handshakes may be served.
    pub fn is_open(&self) -> bool {
        !matches!(self, Self::Pending(_))
    }

    /// Takes one RpcRequest body on a connection still [`Gate::Pending`].
    pub fn handshake(&mut self, config: &Config, body: Bytes) -> Result<Step, AuthError> {
        let Self::Pending(session) = self else {
            // Callers route here only while pending.
            return Err(AuthError::Unauthenticated);
        };
        let msg = match RpcBody::decode(body) {
            Ok(RpcBody::Sasl(msg)) => msg,
            Ok(RpcBody::Auth(challenge)) if config.crypto_enabled => {
                let secret = secret_for(config, &challenge.app_id)
                    .ok_or_else(|| AuthError::UnknownApp(challenge.app_id.clone()))?;
                let accepted =
                    engine::respond(&challenge, secret.expose(), config.auth_engine_version)?;
                *self = Self::Authenticated(challenge.app_id.clone());
                return Ok(Step::Done {
                    reply: accepted.reply,
                    app_id: challenge.app_id,
                    keys: Some(accepted.keys),
                });
            }
            Ok(RpcBody::Auth(_)) => return Err(AuthError::CryptoDisabled),
            Ok(RpcBody::Shuffle(_)) => return Err(AuthError::Unauthenticated),
            Err(e) => return Err(e.into()),
        };
        if config.crypto_enabled && !config.crypto_sasl_fallback {
            return Err(AuthError::SaslDisabled);
        }
        let step = sasl_step(config, session, msg)?;
        if let Step::Done { app_id, .. } = &step {
            *self = Self::Authenticated(app_id.clone());
        }
        Ok(step)
    }
}

fn sasl_step(
    config: &Config,
    session: &mut Option<SaslSession>,
    msg: SaslMessage,
) -> Result<Step, AuthError> {
    let SaslMessage { app_id, payload } = msg;
    let session = match session {
        Some(s) if s.app_id != app_id => {
            return Err(AuthError::AppChanged { started: s.app_id.clone(), got: app_id });
        }
        Some(s) => s,
        None => {
            let secret =
                secret_for(config, &app_id).ok_or_else(|| AuthError::UnknownApp(app_id.clone()))?;
            let server = DigestMd5Server::new(secret.expose(), digest_md5::new_nonce()?);
            session.insert(SaslSession { app_id, server })
        }
    };
    match session.server.step(&payload)? {
        SaslStep::Challenge(token) => Ok(Step::Continue(Bytes::from(token))),
        SaslStep::Complete(token) => {
            Ok(Step::Done { reply: Bytes::from(token), app_id: session.app_id.clone(), keys: None })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shuffle_protocol::codec::Encode;
    use std::collections::BTreeMap;

    fn config(shared: Option<&str>, apps: &[(&str, &str)]) -> Config {
        Config {
            authenticate: true,
            auth_secret: shared.map(|s| Secret::new(s.to_owned())),
            app_secrets: apps
                .iter()
                .map(|(a, s)| ((*a).to_owned(), Secret::new((*s).to_owned())))
                .collect::<BTreeMap<_, _>>(),
            ..Config::default()
        }
    }

    fn sasl(app_id: &str, token: &[u8]) -> Bytes {
        SaslMessage { app_id: app_id.into(), payload: Bytes::copy_from_slice(token) }.to_bytes()
    }

    #[test]
    fn per_app_secrets_win_over_the_shared_one() {
        let c = config(Some("shared"), &[("a", "mine")]);
        assert_eq!(secret_for(&c, "a").map(Secret::expose), Some("mine"));
        assert_eq!(secret_for(&c, "b").map(Secret::expose), Some("shared"));
        let only_apps = config(None, &[("a", "mine")]);
        assert!(secret_for(&only_apps, "b").is_none());
    }

    #[test]
    fn gate_refuses_everything_but_sasl_before_auth() {
        let c = config(None, &[("a", "s")]);
        let mut gate = Gate::new(&c);
        assert!(!gate.is_open());
        let shuffle = shuffle_protocol::shuffle::BlockTransferMessage::from(
            shuffle_protocol::shuffle::StreamHandle { stream_id: 1, num_chunks: 1 },
        )
        .to_bytes();
        let err = gate.handshake(&c, shuffle).expect_err("refused");
        assert!(matches!(err, AuthError::Unauthenticated) && err.closes_connection());
        let err = gate.handshake(&c, sasl("b", b"")).expect_err("unknown app");
        assert!(matches!(err, AuthError::UnknownApp(_)));
        let auth = shuffle_protocol::auth::AuthMessage {
            app_id: "a".into(),
            salt: Bytes::new(),
            ciphertext: Bytes::new(),
        };
        let err = gate.handshake(&c, auth.to_bytes()).expect_err("no crypto");
        assert!(!err.closes_connection());

        let Step::Continue(challenge) = gate.handshake(&c, sasl("a", b"")).expect("challenge")
        else {
            panic!("expected a challenge")
        };
        assert!(challenge.starts_with(b"realm=\"default\",nonce=\""));
        let err = gate.handshake(&c, sasl("other", b"x")).expect_err("app changed");
        assert!(matches!(err, AuthError::AppChanged { .. }));
        assert!(!gate.is_open());
    }

    #[test]
    fn auth_off_is_open() {
        assert!(Gate::new(&Config::default()).is_open());
    }
}
