//! `SaslMessage` (`NC/sasl/SaslMessage.java`): one client step of the SASL DIGEST-MD5
//! handshake, sent as an RpcRequest body.
//!
//! `u8 0xEA | String appId | i32 n | n bytes token`. Server replies are raw tokens, not
//! wrapped in this message.

use bytes::{BufMut, Bytes};

use crate::codec::{put_byte_array, put_string, string_len, Decode, Encode, Reader};
use crate::error::{Error, Result};

/// A SASL token from the client, tagged with the application it authenticates as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaslMessage {
    /// Application id; the server looks up the secret by it and binds the connection to it.
    pub app_id: String,
    /// The SASL token (empty in the first step).
    pub payload: Bytes,
}

impl SaslMessage {
    /// The tag byte that distinguishes it from other RPC bodies.
    pub const TAG: u8 = 0xEA;
}

impl Encode for SaslMessage {
    fn encoded_len(&self) -> usize {
        1 + string_len(&self.app_id) + 4 + self.payload.len()
    }

    fn encode(&self, buf: &mut impl BufMut) {
        buf.put_u8(Self::TAG);
        put_string(buf, &self.app_id);
        put_byte_array(buf, &self.payload);
    }
}

impl Decode for SaslMessage {
    /// Spark reads the `i32` but takes the rest of the body as the token (the count is kept
    /// only for compatibility with old RpcRequests). We read exactly `n` bytes; with the
    /// whole-body check in [`RpcBody::decode`](super::RpcBody::decode), a count that
    /// disagrees with the body is an error instead of silently ignored.
    fn decode(r: &mut Reader) -> Result<Self> {
        let tag = r.u8("SaslMessage tag")?;
        if tag != Self::TAG {
            return Err(Error::InvalidEnum { what: "SaslMessage tag", value: tag.into() });
        }
        Ok(Self {
            app_id: r.string("SaslMessage.appId")?,
            payload: r.byte_array("SaslMessage.payload")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::tests::assert_wire;

    #[test]
    fn matches_spark_encoder() {
        // The doc's §6.1 first step, and a two-byte token; both from Spark 3.5.6's encoder.
        assert_wire(
            "ea000000056170702d3100000000",
            SaslMessage { app_id: "app-1".into(), payload: Bytes::new() },
        );
        assert_wire(
            "ea000000056170702d31000000026162",
            SaslMessage { app_id: "app-1".into(), payload: Bytes::from_static(b"ab") },
        );
    }

    #[test]
    fn wrong_tag_and_short_input_are_errors() {
        let mut r = Reader::new(Bytes::from_static(&[0xfb, 0, 0, 0, 0, 0, 0, 0, 0]));
        assert!(matches!(SaslMessage::decode(&mut r), Err(Error::InvalidEnum { value: 0xfb, .. })));
        let mut r = Reader::new(Bytes::from_static(&[0xea, 0, 0, 0, 1, b'a', 0, 0, 0, 2, b'x']));
        assert!(matches!(SaslMessage::decode(&mut r), Err(Error::LengthTooLarge { .. })));
    }
}
