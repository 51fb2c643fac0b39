//! The server side of Spark's AuthEngine handshake fed arbitrary AuthMessages.
//!
//! Input: `[mode, rest...]`, by `mode % 4`:
//! 0. `rest` is an RpcRequest body: decoded, answered by [`engine::respond`] if it is an
//!    AuthMessage, and taken by a [`Gate`] with `spark.network.crypto.enabled` (seeded with
//!    a real client challenge for [`SECRET`]).
//! 1. `[version, app_len, salt_len, bytes...]`: an AuthMessage built field by field, so
//!    fields of any length reach the decryption.
//! 2. `[version, op, pos, value, app_id...]`: a real client challenge
//!    ([`engine::client::Handshake`]), then one edit of its encoded body (`op`: none,
//!    replace, delete, insert a byte at `pos`).
//! 3. `[version, body...]`: `body` as the server's reply to a real client challenge.
//!
//! Properties: no panic; a challenge the server accepts for [`SECRET`] is refused as a wrong
//! secret with any other (acceptance needs the secret); an accepted challenge gets a
//! well-formed reply and keys of the version's length; the real client's challenge is
//! accepted and both sides derive the same keys; every edit that changes the message is
//! refused; the client accepts no reply but the server's.

#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use shuffle_protocol::auth::{AuthMessage, RpcBody};
use shuffle_protocol::codec::Encode;
use shuffle_server::auth::engine::{self, EngineError};
use shuffle_server::auth::{Gate, Step};
use shuffle_server::config::{Config, Secret};

/// The secret the server holds.
const SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
/// Another secret.
const OTHER: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdee";

/// AuthEngine version 1 (3.5's default, AES-256 session key) or 2 (AES-128).
fn version(flags: u8) -> u8 {
    1 + (flags & 1)
}

/// Answers `msg` and checks what an answer implies.
fn respond(msg: &AuthMessage, version: u8) -> Option<engine::Accepted> {
    let accepted = engine::respond(msg, SECRET, version).ok()?;
    assert_eq!(engine::respond(msg, OTHER, version).err(), Some(EngineError::WrongSecret));
    let Ok(RpcBody::Auth(reply)) = RpcBody::decode(accepted.reply.clone()) else {
        panic!("the reply is not an AuthMessage")
    };
    assert_eq!(reply.app_id, msg.app_id);
    assert_eq!((reply.salt.len(), reply.ciphertext.len()), (16, 12 + 32 + 16));
    assert_eq!(accepted.keys.key_len(), if version == 1 { 32 } else { 16 });
    Some(accepted)
}

fn body(rest: &[u8]) {
    let [flags, body @ ..] = rest else { return };
    let body = Bytes::copy_from_slice(body);
    if let Ok(RpcBody::Auth(msg)) = RpcBody::decode(body.clone()) {
        respond(&msg, version(*flags));
    }
    let config = Config {
        authenticate: true,
        auth_secret: Some(Secret::new(SECRET.to_owned())),
        crypto_enabled: true,
        crypto_sasl_fallback: flags & 2 != 0,
        auth_engine_version: version(*flags),
        ..Config::default()
    };
    let mut gate = Gate::new(&config);
    match gate.handshake(&config, body.clone()) {
        Ok(Step::Done { keys, app_id, .. }) => {
            assert!(keys.is_some() && gate.is_open());
            let Ok(RpcBody::Auth(msg)) = RpcBody::decode(body) else {
                panic!("a non-AuthMessage body completed the handshake")
            };
            assert_eq!(msg.app_id, app_id);
        }
        Ok(Step::Continue(_)) | Err(_) => assert!(!gate.is_open()),
    }
}

fn fields(rest: &[u8]) {
    let [flags, app_len, salt_len, bytes @ ..] = rest else { return };
    let (app_id, bytes) = bytes.split_at(usize::from(*app_len).min(bytes.len()));
    let (salt, ciphertext) = bytes.split_at(usize::from(*salt_len).min(bytes.len()));
    let msg = AuthMessage {
        app_id: String::from_utf8_lossy(app_id).into_owned(),
        salt: Bytes::copy_from_slice(salt),
        ciphertext: Bytes::copy_from_slice(ciphertext),
    };
    respond(&msg, version(*flags));
}

fn edited_client(rest: &[u8]) {
    let [flags, op, pos, value, app_id @ ..] = rest else { return };
    let version = version(*flags);
    let app_id = String::from_utf8_lossy(app_id);
    let hs = engine::client::Handshake::start(&app_id, SECRET).expect("random bytes");
    let challenge = hs.challenge().clone();
    let mut wire = challenge.to_bytes().to_vec();
    let pos = usize::from(*pos) % (wire.len() + 1);
    match op % 4 {
        0 => {
            let accepted = respond(&challenge, version).expect("the real challenge is accepted");
            let Ok(RpcBody::Auth(reply)) = RpcBody::decode(accepted.reply) else {
                unreachable!("checked in respond")
            };
            let keys = hs.finish(&reply, version).expect("the client accepts the reply");
            assert_eq!(keys, accepted.keys);
            return;
        }
        1 if pos < wire.len() => wire[pos] = *value,
        1 => wire.push(*value),
        2 if pos < wire.len() => {
            wire.remove(pos);
        }
        2 => {
            wire.pop();
        }
        _ => wire.insert(pos, *value),
    }
    if let Ok(RpcBody::Auth(msg)) = RpcBody::decode(Bytes::from(wire)) {
        let accepted = respond(&msg, version).is_some();
        assert_eq!(accepted, msg == challenge, "an edited challenge was accepted");
    }
}

fn forged_reply(rest: &[u8]) {
    let [flags, body @ ..] = rest else { return };
    let Ok(RpcBody::Auth(reply)) = RpcBody::decode(Bytes::copy_from_slice(body)) else { return };
    let hs = engine::client::Handshake::start("app-1", SECRET).expect("random bytes");
    assert!(hs.finish(&reply, version(*flags)).is_err(), "the client accepted a forged reply");
}

fuzz_target!(|data: &[u8]| {
    let [mode, rest @ ..] = data else { return };
    match mode % 4 {
        0 => body(rest),
        1 => fields(rest),
        2 => edited_client(rest),
        _ => forged_reply(rest),
    }
});
