//! The server side of SASL DIGEST-MD5, and the connection's auth gate, fed arbitrary client
//! input.
//!
//! Input: `[mode, rest...]`, by `mode % 4`:
//! 0. `rest` is the client's response to a challenge with a fixed nonce (seeded with Spark's
//!    captured response, whose secret is [`SECRET`]).
//! 1. `[op, pos_hi, pos_lo, value, cnonce...]`: the real client's response
//!    ([`digest_md5::client_response`]) for that challenge, then one edit (`op`: none,
//!    replace, delete, insert a byte at `pos`).
//! 2. `rest` is a challenge the client side answers.
//! 3. `[flags, (u16 len, body)*]`: RpcRequest bodies into [`Gate::handshake`] until the gate
//!    opens or a refusal closes the connection.
//!
//! Properties: no panic; a step completes only once and never after a failure; a response
//! that completes for [`SECRET`] fails as a wrong secret for any other secret (completion
//! depends on the response digest, not on the rest of the token); the real client's
//! unedited response always completes with the `rspauth` the client expects; through the
//! gate (random nonce), SASL never completes.

#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use shuffle_server::auth::digest_md5::{self, DigestMd5Server, SaslError, SaslStep};
use shuffle_server::auth::{Gate, Step};
use shuffle_server::config::{Config, Secret};

/// The secret of Spark's captured exchange (`0123456789abcdef` four times).
const SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
/// [`SECRET`] with its last character changed.
const OTHER: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdee";
/// The nonce of Spark's captured exchange.
const NONCE: &str = "1WiXFIsJognCAN+nJB13z4xXtbm2rHOOomUK8SmN";

/// A server for `secret` past its challenge, and that challenge.
fn challenged(secret: &str) -> (DigestMd5Server, Vec<u8>) {
    let mut server = DigestMd5Server::new(secret, NONCE.to_owned());
    match server.step(b"ignored initial response") {
        Ok(SaslStep::Challenge(challenge)) => (server, challenge),
        other => panic!("first step is not a challenge: {other:?}"),
    }
}

/// The outcome of answering the challenge with `token`; checks the state machine around it.
fn exchange(secret: &str, token: &[u8]) -> Result<SaslStep, SaslError> {
    let (mut server, _) = challenged(secret);
    assert!(!server.is_complete());
    let outcome = server.step(token);
    assert!(!matches!(outcome, Ok(SaslStep::Challenge(_))), "second challenge");
    assert_eq!(server.is_complete(), outcome.is_ok());
    // One response only, whatever it was.
    assert_eq!(server.step(token), Err(SaslError::IllegalState));
    assert_eq!(server.step(b""), Err(SaslError::IllegalState));
    outcome
}

/// `token` as a response: if it authenticates, it does so because of the secret.
fn check_response(token: &[u8]) {
    if let Ok(step) = exchange(SECRET, token) {
        let SaslStep::Complete(rspauth) = step else { unreachable!("checked in exchange") };
        assert!(rspauth.starts_with(b"rspauth=") && rspauth.len() == 8 + 32, "{rspauth:?}");
        assert_eq!(exchange(OTHER, token), Err(SaslError::WrongSecret));
    }
}

/// A cnonce in the Base64 alphabet (what the JDK client sends), never empty.
fn cnonce(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let s: String =
        bytes.iter().take(64).map(|b| char::from(ALPHABET[usize::from(b % 64)])).collect();
    if s.is_empty() {
        "A".to_owned()
    } else {
        s
    }
}

fn edited_client(rest: &[u8]) {
    let [op, hi, lo, value, cnonce_bytes @ ..] = rest else { return };
    let (_, challenge) = challenged(SECRET);
    let (mut token, rspauth) =
        digest_md5::client_response(&challenge, SECRET, &cnonce(cnonce_bytes))
            .expect("the client answers the server's challenge");
    let pos = usize::from(u16::from_be_bytes([*hi, *lo])) % (token.len() + 1);
    match op % 4 {
        0 => {
            assert_eq!(exchange(SECRET, &token), Ok(SaslStep::Complete(rspauth)));
            return;
        }
        1 if pos < token.len() => token[pos] = *value,
        1 => token.push(*value),
        2 if pos < token.len() => {
            token.remove(pos);
        }
        2 => {
            token.pop();
        }
        _ => token.insert(pos, *value),
    }
    check_response(&token);
}

/// Spark's shuffle-service settings with the handshake choices from `flags`.
fn config(flags: u8) -> Config {
    let secret = Secret::new(SECRET.to_owned());
    let mut config = Config {
        authenticate: true,
        crypto_enabled: flags & 1 != 0,
        crypto_sasl_fallback: flags & 2 != 0,
        auth_engine_version: 1 + (flags >> 2 & 1),
        ..Config::default()
    };
    if flags & 8 == 0 {
        config.auth_secret = Some(secret);
    } else {
        config.app_secrets.insert("app-1".to_owned(), secret);
    }
    config
}

fn gate(input: &[u8]) {
    let [flags, bodies @ ..] = input else { return };
    let mut rest = bodies;
    let config = config(*flags);
    let mut gate = Gate::new(&config);
    while !gate.is_open() {
        let [hi, lo, tail @ ..] = rest else { return };
        let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(tail.len());
        let (body, tail) = tail.split_at(len);
        rest = tail;
        match gate.handshake(&config, Bytes::copy_from_slice(body)) {
            Ok(Step::Continue(_)) => assert!(!gate.is_open()),
            Ok(Step::Done { app_id, keys, .. }) => {
                // The nonce is random here: nobody but a holder of the secret who saw the
                // challenge can answer it, and the fuzzer sees none.
                assert!(keys.is_some(), "SASL completed without seeing the nonce");
                assert!(gate.is_open());
                assert!(matches!(&gate, Gate::Authenticated(a) if *a == app_id));
                // An AuthEngine challenge replayed from the seeds: it must need the secret.
                let mut other = config.clone();
                other.auth_secret = other.auth_secret.map(|_| Secret::new(OTHER.to_owned()));
                for s in other.app_secrets.values_mut() {
                    *s = Secret::new(OTHER.to_owned());
                }
                let mut wrong = Gate::new(&other);
                assert!(wrong.handshake(&other, Bytes::copy_from_slice(body)).is_err());
            }
            Err(e) if e.closes_connection() => return,
            Err(_) => {}
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let [mode, rest @ ..] = data else { return };
    match mode % 4 {
        0 => check_response(rest),
        1 => edited_client(rest),
        2 => {
            let _ = digest_md5::client_response(rest, SECRET, "cnonce");
        }
        _ => gate(rest),
    }
});
