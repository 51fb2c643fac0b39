//! SASL DIGEST-MD5 (RFC 2831) as the JDK runs it for Spark's `SparkSaslServer` and
//! `SparkSaslClient`, QOP `auth` only: the server side ([`DigestMd5Server`]) and the client's
//! response ([`client_response`]). No I/O: tokens in, tokens out.
//!
//! Spark's parameters: protocol `null` and server name `default`, so the realm is `default`
//! and the client's digest-uri `null/default`; the password is the Base64 of the secret with
//! Netty's line breaks ([`spark_password`]). The user name is whatever the client sends (the
//! JDK server computes the digest with it; Spark's clients send Base64 of `sparkSaslUser`).
//!
//! Two round trips: an (empty) initial token is answered with the challenge, the client's
//! digest response with `rspauth`, after which the client is authenticated.

use std::fmt::Write as _;

use base64::Engine;
use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

/// The realm Spark's SASL server is created with (`SparkSaslServer.DEFAULT_REALM`).
pub const REALM: &str = "default";

/// The digest-uri Spark's clients send: protocol `null`, server name [`REALM`].
pub const DIGEST_URI: &str = "null/default";

/// The SASL user name of Spark's `SecurityManager`, before Base64.
pub const SPARK_SASL_USER: &str = "sparkSaslUser";

/// Longest accepted client response; the JVM client's is about 300 bytes.
const MAX_RESPONSE_LEN: usize = 4096;

/// Why a step failed; the text goes into an RpcFailure, so it never holds the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaslError {
    /// The client's response is malformed or does not match the challenge.
    #[error("DIGEST-MD5: digest response format violation. {0}")]
    Format(String),
    /// The response digest is wrong: the client does not hold the secret.
    #[error("DIGEST-MD5: digest response format violation. Mismatched response.")]
    WrongSecret,
    /// The client negotiated a protection layer (SASL encryption), which this service does
    /// not implement.
    #[error(
        "SASL QOP {0:?} is not supported by this shuffle service (client has \
         spark.authenticate.enableSaslEncryption=true). Use spark.network.crypto.enabled=true \
         for an encrypted connection, or turn SASL encryption off"
    )]
    ProtectionUnsupported(String),
    /// The server's `rspauth` does not match: it does not hold the secret (client side).
    #[error("DIGEST-MD5: the server's rspauth does not match; it does not hold the secret")]
    ServerNotAuthenticated,
    /// A token after the exchange ended or failed.
    #[error("DIGEST-MD5: server at illegal state")]
    IllegalState,
}

/// What a step produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaslStep {
    /// A token to send; the exchange goes on.
    Challenge(Vec<u8>),
    /// The last token to send (`rspauth=…`); the client is authenticated.
    Complete(Vec<u8>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Initial,
    Challenged,
    Finished,
    Failed,
}

/// One DIGEST-MD5 exchange. Dropping it forgets the password.
pub struct DigestMd5Server {
    password: Vec<u8>,
    nonce: String,
    phase: Phase,
}

impl std::fmt::Debug for DigestMd5Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DigestMd5Server").field("phase", &self.phase).finish_non_exhaustive()
    }
}

impl Drop for DigestMd5Server {
    fn drop(&mut self) {
        self.password.iter_mut().for_each(|b| *b = 0);
    }
}

impl DigestMd5Server {
    /// An exchange for `secret` (the application's `spark.authenticate.secret`) with `nonce`,
    /// which must be fresh and unpredictable (see [`new_nonce`]).
    pub fn new(secret: &str, nonce: String) -> Self {
        Self { password: spark_password(secret).into_bytes(), nonce, phase: Phase::Initial }
    }

    /// Whether the client has been authenticated.
    pub fn is_complete(&self) -> bool {
        self.phase == Phase::Finished
    }

    /// Takes the client's next token. Any error ends the exchange.
    pub fn step(&mut self, token: &[u8]) -> Result<SaslStep, SaslError> {
        match self.phase {
            // DIGEST-MD5 has no initial response; like the JDK, ignore one if sent.
            Phase::Initial => {
                self.phase = Phase::Challenged;
                Ok(SaslStep::Challenge(self.challenge().into_bytes()))
            }
            Phase::Challenged => {
                let outcome = self.verify(token);
                // One response only: a failed exchange cannot be retried with another guess.
                self.phase = if outcome.is_ok() { Phase::Finished } else { Phase::Failed };
                outcome.map(SaslStep::Complete)
            }
            Phase::Finished | Phase::Failed => Err(SaslError::IllegalState),
        }
    }

    /// The JDK server's challenge when offering `auth-conf,auth` (Spark's default): the
    /// privacy offer lets a client that insists on SASL encryption be refused with a clear
    /// reason instead of failing on its side with "no common protection layer".
    fn challenge(&self) -> String {
        format!(
            "realm=\"{REALM}\",nonce=\"{}\",qop=\"auth-conf,auth\",charset=utf-8,\
             cipher=\"3des,rc4,des,rc4-56,rc4-40\",algorithm=md5-sess",
            self.nonce
        )
    }

    fn verify(&self, token: &[u8]) -> Result<Vec<u8>, SaslError> {
        if token.len() > MAX_RESPONSE_LEN {
            return Err(format_error("response too long"));
        }
        let d = Directives::parse(token)?;
        if let Some(charset) = d.get("charset") {
            if charset != b"utf-8" {
                return Err(format_error("Incompatible charset value"));
            }
        }
        let username = d.require("username")?;
        let realm = d.get("realm").unwrap_or_default();
        if realm != REALM.as_bytes() {
            return Err(format_error("Nonexistent realm"));
        }
        if d.require("nonce")? != self.nonce.as_bytes() {
            return Err(format_error("Mismatched nonce."));
        }
        let cnonce = d.require("cnonce")?;
        if let Some(nc) = d.get("nc") {
            let nc = std::str::from_utf8(nc).ok().and_then(|s| u32::from_str_radix(s, 16).ok());
            if nc != Some(1) {
                return Err(format_error("Nonce count does not match"));
            }
        }
        let qop = d.get("qop").unwrap_or(b"auth");
        match qop {
            b"auth" => {}
            b"auth-conf" | b"auth-int" => {
                return Err(SaslError::ProtectionUnsupported(
                    String::from_utf8_lossy(qop).into_owned(),
                ));
            }
            _ => return Err(format_error("Invalid QOP")),
        }
        let uri = d.get("digest-uri").unwrap_or_default();
        if !uri.eq_ignore_ascii_case(DIGEST_URI.as_bytes()) {
            return Err(format_error(&format!(
                "Mismatched URI: {}; expecting: {DIGEST_URI}",
                String::from_utf8_lossy(uri)
            )));
        }
        let response = d.require("response")?;
        let authzid = d.get("authzid");
        // Spark's AuthorizeCallback allows only acting as oneself.
        if authzid.is_some_and(|a| a != username) {
            return Err(format_error("authorization id differs from the user name"));
        }

        let inputs = DigestInputs {
            username,
            realm,
            password: &self.password,
            nonce: self.nonce.as_bytes(),
            cnonce,
            qop,
            digest_uri: uri,
            authzid,
        };
        let expected = inputs.response_value(b"AUTHENTICATE");
        if !bool::from(expected.as_bytes().ct_eq(response)) {
            return Err(SaslError::WrongSecret);
        }
        let mut reply = b"rspauth=".to_vec();
        reply.extend_from_slice(inputs.response_value(b"").as_bytes());
        Ok(reply)
    }
}

/// The client side, as Spark's `SparkSaslClient` answers a challenge (QOP `auth`): the
/// response token for `challenge`, and the `rspauth` token the server must send back (check
/// it with [`verify_rspauth`]). `cnonce` must be fresh and unpredictable ([`new_nonce`]).
pub fn client_response(
    challenge: &[u8],
    secret: &str,
    cnonce: &str,
) -> Result<(Vec<u8>, Vec<u8>), SaslError> {
    let d = Directives::parse(challenge)?;
    let nonce = d.require("nonce")?;
    let offers_auth = d.get("qop").unwrap_or(b"auth").split(|&b| b == b',').any(|q| q == b"auth");
    if !offers_auth {
        return Err(format_error("server does not offer qop auth"));
    }
    let user = spark_user();
    let password = spark_password(secret);
    let inputs = DigestInputs {
        username: user.as_bytes(),
        realm: REALM.as_bytes(),
        password: password.as_bytes(),
        nonce,
        cnonce: cnonce.as_bytes(),
        qop: b"auth",
        digest_uri: DIGEST_URI.as_bytes(),
        authzid: None,
    };
    let mut token =
        format!("charset=utf-8,username=\"{user}\",realm=\"{REALM}\",nonce=\"").into_bytes();
    token.extend_from_slice(nonce);
    token.extend_from_slice(
        format!(
            "\",nc=00000001,cnonce=\"{cnonce}\",digest-uri=\"{DIGEST_URI}\",maxbuf=65536,\
             response={},qop=auth",
            inputs.response_value(b"AUTHENTICATE")
        )
        .as_bytes(),
    );
    let rspauth = format!("rspauth={}", inputs.response_value(b"")).into_bytes();
    Ok((token, rspauth))
}

/// Checks the server's last token against the `rspauth` token [`client_response`] expects,
/// in constant time: a server that does not hold the secret cannot produce it (the JDK
/// client fails the same way).
pub fn verify_rspauth(expected: &[u8], got: &[u8]) -> Result<(), SaslError> {
    if bool::from(expected.ct_eq(got)) {
        Ok(())
    } else {
        Err(SaslError::ServerNotAuthenticated)
    }
}

fn format_error(what: &str) -> SaslError {
    SaslError::Format(what.to_owned())
}

/// A fresh nonce as the JDK makes them: 30 random bytes in Base64 (40 characters).
pub fn new_nonce() -> std::io::Result<String> {
    let mut bytes = [0u8; 30];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// Spark's SASL password for `secret` (`SparkSaslServer.encodePassword`): Netty's Base64 of
/// its UTF-8 bytes, which puts a `\n` after every 76 output characters except at the very
/// end. Secrets of 58 bytes or more (a 64-character hex secret, say) therefore have one.
pub fn spark_password(secret: &str) -> String {
    base64_with_line_breaks(secret.as_bytes())
}

/// Spark's SASL user name: Base64 of [`SPARK_SASL_USER`] (`SparkSaslServer.encodeIdentifier`).
pub fn spark_user() -> String {
    base64_with_line_breaks(SPARK_SASL_USER.as_bytes())
}

/// Netty `Base64.encode(buf, breakLines = true)`: standard alphabet with padding, a newline
/// after each 57 input bytes (76 characters) that is not the last thing written.
fn base64_with_line_breaks(bytes: &[u8]) -> String {
    let engine = base64::engine::general_purpose::STANDARD;
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 4 + bytes.len() / 57);
    let mut lines = bytes.chunks(57).peekable();
    while let Some(line) = lines.next() {
        engine.encode_string(line, &mut out);
        if lines.peek().is_some() {
            out.push('\n');
        }
    }
    out
}

/// The values RFC 2831 §2.1.2.1 hashes into a response.
struct DigestInputs<'a> {
    username: &'a [u8],
    realm: &'a [u8],
    password: &'a [u8],
    nonce: &'a [u8],
    cnonce: &'a [u8],
    qop: &'a [u8],
    digest_uri: &'a [u8],
    authzid: Option<&'a [u8]>,
}

impl DigestInputs<'_> {
    /// `response-value` with `A2 = method ":" digest-uri` (method `AUTHENTICATE` for the
    /// client's response, empty for the server's `rspauth`), for QOP `auth`.
    fn response_value(&self, method: &[u8]) -> String {
        let mut a2 = Md5::new();
        a2.update(method);
        a2.update(b":");
        a2.update(self.digest_uri);
        let ha2 = hex(&a2.finalize());

        let mut secret = Md5::new();
        secret.update(latin1_if_possible(self.username));
        secret.update(b":");
        secret.update(latin1_if_possible(self.realm));
        secret.update(b":");
        secret.update(self.password);
        let mut a1 = Md5::new();
        a1.update(secret.finalize());
        a1.update(b":");
        a1.update(self.nonce);
        a1.update(b":");
        a1.update(self.cnonce);
        if let Some(authzid) = self.authzid {
            a1.update(b":");
            a1.update(authzid);
        }
        let ha1 = hex(&a1.finalize());

        let mut kd = Md5::new();
        for part in [ha1.as_bytes(), self.nonce, b"00000001", self.cnonce, self.qop] {
            kd.update(part);
            kd.update(b":");
        }
        kd.update(ha2.as_bytes());
        hex(&kd.finalize())
    }
}

/// RFC 2831 with `charset=utf-8`: a UTF-8 string whose characters all fit in ISO 8859-1 is
/// hashed as ISO 8859-1 (the JDK's `stringToByte_8859_1`); anything else as sent.
fn latin1_if_possible(utf8: &[u8]) -> Vec<u8> {
    match std::str::from_utf8(utf8) {
        Ok(s) if s.chars().all(|c| u32::from(c) <= 0xff) => s.chars().map(|c| c as u8).collect(),
        _ => utf8.to_vec(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The `key=value` list of a digest response: keys case-insensitive, values tokens or
/// quoted strings with `\` escapes, separated by commas and optional white space.
#[derive(Debug, Default)]
struct Directives {
    entries: Vec<(String, Vec<u8>)>,
}

impl Directives {
    fn parse(input: &[u8]) -> Result<Self, SaslError> {
        let mut out = Self::default();
        let mut i = 0;
        let skip_ws = |i: &mut usize| {
            while *i < input.len() && matches!(input[*i], b' ' | b'\t' | b'\r' | b'\n') {
                *i += 1;
            }
        };
        loop {
            skip_ws(&mut i);
            while i < input.len() && input[i] == b',' {
                i += 1;
                skip_ws(&mut i);
            }
            if i >= input.len() {
                return Ok(out);
            }
            let key_start = i;
            while i < input.len() && !matches!(input[i], b'=' | b',' | b' ' | b'\t') {
                i += 1;
            }
            let key = String::from_utf8_lossy(&input[key_start..i]).to_ascii_lowercase();
            skip_ws(&mut i);
            if input.get(i) != Some(&b'=') {
                return Err(format_error("directive without a value"));
            }
            i += 1;
            skip_ws(&mut i);
            let mut value = Vec::new();
            if input.get(i) == Some(&b'"') {
                i += 1;
                loop {
                    match input.get(i) {
                        None => return Err(format_error("unterminated quoted string")),
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(b'\\') => {
                            let escaped = input
                                .get(i + 1)
                                .ok_or_else(|| format_error("unterminated quoted string"))?;
                            value.push(*escaped);
                            i += 2;
                        }
                        Some(&c) => {
                            value.push(c);
                            i += 1;
                        }
                    }
                }
            } else {
                let start = i;
                while i < input.len() && !matches!(input[i], b',' | b' ' | b'\t') {
                    i += 1;
                }
                value.extend_from_slice(&input[start..i]);
            }
            if out.entries.iter().any(|(k, _)| *k == key) {
                return Err(format_error(&format!("peer sent more than one {key} directive")));
            }
            out.entries.push((key, value));
            skip_ws(&mut i);
            match input.get(i) {
                None | Some(b',') => {}
                Some(_) => return Err(format_error("expected a comma between directives")),
            }
        }
    }

    fn get(&self, key: &str) -> Option<&[u8]> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_slice())
    }

    fn require(&self, key: &str) -> Result<&[u8], SaslError> {
        self.get(key).ok_or_else(|| format_error(&format!("Missing {key}.")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exchange captured from Spark 3.5.6's client (docs §6.1), secret
    /// `0123456789abcdef` × 4.
    const SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const NONCE: &str = "1WiXFIsJognCAN+nJB13z4xXtbm2rHOOomUK8SmN";
    const RESPONSE: &str = "charset=utf-8,username=\"c3BhcmtTYXNsVXNlcg==\",realm=\"default\",\
        nonce=\"1WiXFIsJognCAN+nJB13z4xXtbm2rHOOomUK8SmN\",nc=00000001,\
        cnonce=\"FcyqDPzl3xjl1G0XqRe5Ml3VZZdUuXo2fjDYyaos\",digest-uri=\"null/default\",\
        maxbuf=65536,response=0c85fa9cb5413dbcca5fa9d78dd2a718,qop=auth";

    fn challenged(secret: &str) -> DigestMd5Server {
        let mut server = DigestMd5Server::new(secret, NONCE.to_owned());
        let challenge = server.step(b"").expect("challenge");
        let SaslStep::Challenge(text) = challenge else { panic!("expected a challenge") };
        assert_eq!(
            String::from_utf8(text).expect("utf-8"),
            format!(
                "realm=\"default\",nonce=\"{NONCE}\",qop=\"auth-conf,auth\",charset=utf-8,\
                 cipher=\"3des,rc4,des,rc4-56,rc4-40\",algorithm=md5-sess"
            )
        );
        server
    }

    #[test]
    fn spark_capture_verifies_and_rspauth_matches() {
        let mut server = challenged(SECRET);
        let step = server.step(RESPONSE.as_bytes()).expect("authenticated");
        assert_eq!(step, SaslStep::Complete(b"rspauth=d95de2a3132b2230774231c987d16d49".to_vec()));
        assert!(server.is_complete());
        assert_eq!(server.step(b""), Err(SaslError::IllegalState));
    }

    #[test]
    fn client_side_reproduces_the_capture_and_round_trips() {
        let challenge = challenged(SECRET).challenge().into_bytes();
        let (token, rspauth) =
            client_response(&challenge, SECRET, "FcyqDPzl3xjl1G0XqRe5Ml3VZZdUuXo2fjDYyaos")
                .expect("response");
        assert_eq!(String::from_utf8(token.clone()).expect("utf-8"), RESPONSE);
        let mut server = challenged(SECRET);
        let Ok(SaslStep::Complete(reply)) = server.step(&token) else { panic!("refused") };
        assert_eq!(reply, rspauth);
        assert_eq!(verify_rspauth(&rspauth, &reply), Ok(()));
        let forged = b"rspauth=00000000000000000000000000000000";
        assert_eq!(verify_rspauth(&rspauth, forged), Err(SaslError::ServerNotAuthenticated));
        assert_eq!(verify_rspauth(&rspauth, b""), Err(SaslError::ServerNotAuthenticated));
    }

    #[test]
    fn wrong_secret_is_refused_for_good() {
        let mut server = challenged("0123456789abcdef");
        assert_eq!(server.step(RESPONSE.as_bytes()), Err(SaslError::WrongSecret));
        assert!(!server.is_complete());
        assert_eq!(server.step(RESPONSE.as_bytes()), Err(SaslError::IllegalState));
    }

    #[test]
    fn password_has_nettys_line_breaks() {
        assert_eq!(spark_user(), "c3BhcmtTYXNsVXNlcg==");
        assert_eq!(
            spark_password(SECRET),
            "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4\n\
             OWFiY2RlZg=="
        );
        // Exactly 57 bytes: one full line and no trailing newline; 114: one break only.
        assert_eq!(spark_password(&"a".repeat(57)).matches('\n').count(), 0);
        assert_eq!(spark_password(&"a".repeat(58)).matches('\n').count(), 1);
        assert_eq!(spark_password(&"a".repeat(114)).matches('\n').count(), 1);
        assert_eq!(spark_password(&"a".repeat(115)).matches('\n').count(), 2);
        assert_eq!(spark_password("abc"), "YWJj");
    }

    #[test]
    fn encryption_requests_are_refused_with_a_pointer_to_crypto() {
        let mut server = challenged(SECRET);
        let conf = RESPONSE.replace("qop=auth", "qop=auth-conf,cipher=3des");
        let err = server.step(conf.as_bytes()).expect_err("refused");
        assert!(matches!(err, SaslError::ProtectionUnsupported(_)));
        assert!(err.to_string().contains("spark.network.crypto.enabled"), "{err}");
    }

    #[test]
    fn malformed_responses_are_format_errors() {
        let cases = [
            RESPONSE.replace("null/default", "hdfs/default"),
            RESPONSE.replace("realm=\"default\"", "realm=\"other\""),
            RESPONSE.replace("nc=00000001", "nc=00000002"),
            RESPONSE.replace("1WiXFIsJognCAN", "2WiXFIsJognCAN"),
            RESPONSE.replace("qop=auth", "qop=auth,qop=auth"),
            RESPONSE.replace(",response=0c85fa9cb5413dbcca5fa9d78dd2a718", ""),
            RESPONSE.replace("username=\"c3BhcmtTYXNsVXNlcg==\",", ""),
            "username=\"unterminated".to_owned(),
            "=".to_owned(),
            "x".repeat(MAX_RESPONSE_LEN + 1),
        ];
        for case in cases {
            let mut server = challenged(SECRET);
            let got = server.step(case.as_bytes());
            assert!(matches!(got, Err(SaslError::Format(_))), "{case}: {got:?}");
        }
    }

    #[test]
    fn directive_syntax() {
        let d = Directives::parse(b" A=\"x\\\"y\" ,, b = tok ,c=\"\"").expect("parses");
        assert_eq!(d.get("a"), Some(&b"x\"y"[..]));
        assert_eq!(d.get("b"), Some(&b"tok"[..]));
        assert_eq!(d.get("c"), Some(&b""[..]));
        assert!(Directives::parse(b"a=1 b=2").is_err());
    }
}
