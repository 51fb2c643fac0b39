//! Spark's AuthEngine handshake (`spark.network.crypto.enabled`, `NC/crypto/AuthEngine.java`
//! in 3.5.6): the server side ([`respond`]) and the client side ([`client::Handshake`]). No
//! I/O.
//!
//! Each side sends an ephemeral X25519 public key encrypted under a key-encryption key
//! derived from the shared secret, so only a holder of the secret can read it or produce one
//! the other side accepts:
//!
//! ```text
//! aad = UTF8(appId) || salt || transcript
//! kek = HKDF-SHA256(ikm = UTF8(secret), salt, info = aad, 16 bytes)
//! ciphertext = IV(12) || AES-128-GCM(kek, IV, public key, aad) || tag(16)     (Tink AesGcmJce)
//! ```
//!
//! The client's message has an empty transcript, the server's the client's encoded message.
//! The session then uses the X25519 shared secret `ss` and `T = enc(client) || enc(server)`:
//! the key is `ss` itself in version 1 (3.5's default) or `HKDF(ss, T, "derivedKey", 16)` in
//! version 2, and the CTR IVs are `HKDF(ss, T, "inputIv" | "outputIv", 16)`; the client
//! encrypts with the output IV, the server with the input IV.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Nonce};
use bytes::Bytes;
use hkdf::Hkdf;
use sha2::Sha256;
use x25519_dalek::{PublicKey, StaticSecret};

use super::cipher::SessionKeys;
use super::AuthMessage;
use crate::codec::Encode;

/// Length of the random HKDF salt of each message.
const SALT_LEN: usize = 16;
/// Tink `AesGcmJce`: IV length.
const GCM_IV_LEN: usize = 12;
/// Tink `AesGcmJce`: tag length.
const GCM_TAG_LEN: usize = 16;
/// An X25519 public key.
const KEY_LEN: usize = 32;

/// Why a handshake failed. Spark answers every failure with "Authentication failed." and
/// closes; the variants are for the log only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The ciphertext is not IV, key and tag.
    #[error("malformed AuthMessage ciphertext ({0} bytes)")]
    Malformed(usize),
    /// The key does not decrypt: the client does not hold the secret (or tampered).
    #[error("AuthMessage does not decrypt with this application's secret")]
    WrongSecret,
    /// The peer's key gives an all-zero shared secret (a low-order point).
    #[error("non-contributory X25519 public key")]
    WeakKey,
    /// The server's reply is for another application than the client's challenge.
    #[error("AuthMessage reply names another application")]
    AppMismatch,
    /// No randomness.
    #[error("cannot draw random bytes: {0}")]
    Random(String),
}

/// The outcome of a successful handshake.
#[derive(Debug)]
pub struct Accepted {
    /// The server's AuthMessage, sent in plaintext as the RpcResponse body.
    pub reply: Bytes,
    /// The session keys for the transport cipher.
    pub keys: SessionKeys,
}

/// Answers the client's `challenge` for `secret`; `version` is
/// `spark.network.crypto.authEngineVersion`.
pub fn respond(
    challenge: &AuthMessage,
    secret: &str,
    version: u8,
) -> Result<Accepted, EngineError> {
    let client_transcript = challenge.to_bytes();
    let client_public = open(challenge, secret.as_bytes(), &[])?;

    let private = StaticSecret::from(random::<KEY_LEN>()?);
    let public = PublicKey::from(&private);
    let server = seal(&challenge.app_id, secret.as_bytes(), public.as_bytes(), &client_transcript)?;
    let shared = private.diffie_hellman(&PublicKey::from(client_public));
    if !shared.was_contributory() {
        return Err(EngineError::WeakKey);
    }

    let reply = server.to_bytes();
    let mut transcript = client_transcript.to_vec();
    transcript.extend_from_slice(&reply);
    let keys = session_keys(shared.as_bytes(), &transcript, version);
    Ok(Accepted { reply, keys })
}

/// Session key and IVs from the shared secret and the handshake transcript.
fn session_keys(shared: &[u8; 32], transcript: &[u8], version: u8) -> SessionKeys {
    let hkdf = Hkdf::<Sha256>::new(Some(transcript), shared);
    let derive = |info: &[u8]| {
        let mut out = [0u8; 16];
        // 16 bytes is far below HKDF-SHA256's limit of 255 × 32.
        let _ = hkdf.expand(info, &mut out);
        out
    };
    // Version 1 (3.5's default) skips the final HKDF and uses the raw secret as an
    // AES-256 key; version 2 derives an AES-128 key.
    let key = if version == 1 { shared.to_vec() } else { derive(b"derivedKey").to_vec() };
    SessionKeys::new(key, derive(b"outputIv"), derive(b"inputIv"))
}

/// `UTF8(appId) || salt || transcript`.
fn aad(app_id: &str, salt: &[u8], transcript: &[u8]) -> Vec<u8> {
    [app_id.as_bytes(), salt, transcript].concat()
}

fn kek(secret: &[u8], salt: &[u8], aad: &[u8]) -> Aes128Gcm {
    let mut key = [0u8; 16];
    let _ = Hkdf::<Sha256>::new(Some(salt), secret).expand(aad, &mut key);
    Aes128Gcm::new(&key.into())
}

/// Decrypts the public key a message carries.
fn open(msg: &AuthMessage, secret: &[u8], transcript: &[u8]) -> Result<[u8; KEY_LEN], EngineError> {
    let ct = &msg.ciphertext[..];
    if ct.len() != GCM_IV_LEN + KEY_LEN + GCM_TAG_LEN {
        return Err(EngineError::Malformed(ct.len()));
    }
    let aad = aad(&msg.app_id, &msg.salt, transcript);
    let (iv, sealed) = ct.split_at(GCM_IV_LEN);
    let plain = kek(secret, &msg.salt, &aad)
        .decrypt(Nonce::from_slice(iv), Payload { msg: sealed, aad: &aad })
        .map_err(|_| EngineError::WrongSecret)?;
    plain.try_into().map_err(|_| EngineError::Malformed(ct.len()))
}

/// Encrypts `public` into a message with a fresh salt and IV.
fn seal(
    app_id: &str,
    secret: &[u8],
    public: &[u8],
    transcript: &[u8],
) -> Result<AuthMessage, EngineError> {
    let salt = random::<SALT_LEN>()?;
    let iv = random::<GCM_IV_LEN>()?;
    let aad = aad(app_id, &salt, transcript);
    let sealed = kek(secret, &salt, &aad)
        .encrypt(Nonce::from_slice(&iv), Payload { msg: public, aad: &aad })
        .map_err(|_| EngineError::Malformed(public.len()))?;
    let mut ciphertext = iv.to_vec();
    ciphertext.extend_from_slice(&sealed);
    Ok(AuthMessage {
        app_id: app_id.to_owned(),
        salt: Bytes::copy_from_slice(&salt),
        ciphertext: Bytes::from(ciphertext),
    })
}

fn random<const N: usize>() -> Result<[u8; N], EngineError> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| EngineError::Random(e.to_string()))?;
    Ok(out)
}

/// The client side (Spark's `AuthClientBootstrap`): a challenge, and the completion that
/// checks the server's reply and yields the client's session keys.
pub mod client {
    use super::*;

    /// A client handshake in progress. Dropping it forgets the secret.
    pub struct Handshake {
        private: StaticSecret,
        challenge: AuthMessage,
        secret: Vec<u8>,
    }

    impl std::fmt::Debug for Handshake {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Handshake").field("app_id", &self.challenge.app_id).finish()
        }
    }

    impl Drop for Handshake {
        fn drop(&mut self) {
            self.secret.iter_mut().for_each(|b| *b = 0);
        }
    }

    impl Handshake {
        /// A fresh key pair and the challenge to send for `app_id`.
        pub fn start(app_id: &str, secret: &str) -> Result<Self, EngineError> {
            let private = StaticSecret::from(random::<KEY_LEN>()?);
            let public = PublicKey::from(&private);
            let challenge = seal(app_id, secret.as_bytes(), public.as_bytes(), &[])?;
            Ok(Self { private, challenge, secret: secret.as_bytes().to_vec() })
        }

        /// The RpcRequest body to send.
        pub fn challenge(&self) -> &AuthMessage {
            &self.challenge
        }

        /// Checks the server's reply: it must be for this application and decrypt with the
        /// secret (proving the server holds it). The keys' `client_to_server` IV is the one
        /// to encrypt with ([`SessionKeys::client`]).
        pub fn finish(self, reply: &AuthMessage, version: u8) -> Result<SessionKeys, EngineError> {
            if reply.app_id != self.challenge.app_id {
                return Err(EngineError::AppMismatch);
            }
            let transcript = self.challenge.to_bytes();
            let server_public = open(reply, &self.secret, &transcript)?;
            let shared = self.private.diffie_hellman(&PublicKey::from(server_public));
            if !shared.was_contributory() {
                return Err(EngineError::WeakKey);
            }
            let mut full = transcript.to_vec();
            full.extend_from_slice(&reply.to_bytes());
            Ok(session_keys(shared.as_bytes(), &full, version))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_agree_on_keys_for_both_versions() {
        for version in [1, 2] {
            let hs = client::Handshake::start("app-1", "secret").expect("start");
            let accepted = respond(hs.challenge(), "secret", version).expect("accepted");
            let reply = match crate::auth::RpcBody::decode(accepted.reply.clone()) {
                Ok(crate::auth::RpcBody::Auth(m)) => m,
                other => panic!("reply is not an AuthMessage: {other:?}"),
            };
            assert_eq!(reply.app_id, "app-1");
            assert_eq!(reply.salt.len(), SALT_LEN);
            let keys = hs.finish(&reply, version).expect("client accepts");
            assert_eq!(keys, accepted.keys);
            assert_eq!(keys.key_len(), if version == 1 { 32 } else { 16 });
        }
    }

    #[test]
    fn wrong_secret_or_tampering_is_refused() {
        let hs = client::Handshake::start("app-1", "secret").expect("start");
        assert_eq!(respond(hs.challenge(), "other", 1).err(), Some(EngineError::WrongSecret));
        let mut other_app = hs.challenge().clone();
        other_app.app_id = "app-2".into();
        assert_eq!(respond(&other_app, "secret", 1).err(), Some(EngineError::WrongSecret));
        let mut short = hs.challenge().clone();
        short.ciphertext = short.ciphertext.slice(1..);
        assert_eq!(respond(&short, "secret", 1).err(), Some(EngineError::Malformed(59)));
    }

    #[test]
    fn low_order_keys_are_refused() {
        // The all-zero point, sealed correctly: decrypts, but gives a zero shared secret.
        let msg = seal("app-1", b"secret", &[0u8; 32], &[]).expect("seal");
        assert_eq!(respond(&msg, "secret", 1).err(), Some(EngineError::WeakKey));
        // The same from a server, to a client.
        let hs = client::Handshake::start("app-1", "secret").expect("start");
        let transcript = hs.challenge().to_bytes();
        let reply = seal("app-1", b"secret", &[0u8; 32], &transcript).expect("seal");
        assert_eq!(hs.finish(&reply, 1).err(), Some(EngineError::WeakKey));
    }

    #[test]
    fn client_refuses_a_server_without_the_secret_or_for_another_app() {
        let hs = client::Handshake::start("app-1", "secret").expect("start");
        let forged = respond(hs.challenge(), "secret", 1).expect("accepted");
        let Ok(crate::auth::RpcBody::Auth(mut reply)) = crate::auth::RpcBody::decode(forged.reply)
        else {
            panic!("reply is not an AuthMessage")
        };
        reply.app_id = "app-2".into();
        assert_eq!(hs.finish(&reply, 1).err(), Some(EngineError::AppMismatch));

        let hs = client::Handshake::start("app-1", "secret").expect("start");
        // A server answering with another secret: decrypts the challenge with neither, but
        // even a well-formed reply sealed with the wrong secret does not open.
        let transcript = hs.challenge().to_bytes();
        let reply = seal("app-1", b"other", &[9u8; 32], &transcript).expect("seal");
        assert_eq!(hs.finish(&reply, 1).err(), Some(EngineError::WrongSecret));
    }
}
