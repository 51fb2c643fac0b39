//! `AuthMessage` (`NC/crypto/AuthMessage.java`): both halves of the AuthEngine handshake
//! (`spark.network.crypto.enabled`), as RpcRequest and RpcResponse bodies.
//!
//! `u8 0xFB | String appId | byte[] salt | byte[] ciphertext`.

use bytes::{BufMut, Bytes};

use crate::codec::{
    byte_array_len, put_byte_array, put_string, string_len, Decode, Encode, Reader,
};
use crate::error::{Error, Result};

/// An AuthEngine message: the sender's X25519 public key, encrypted under a key derived
/// from the shared secret and `salt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthMessage {
    /// Application id (selects the secret; part of the AAD).
    pub app_id: String,
    /// Random HKDF salt (16 bytes from Spark).
    pub salt: Bytes,
    /// AES-GCM output: IV, encrypted public key, tag.
    pub ciphertext: Bytes,
}

impl AuthMessage {
    /// The tag byte that distinguishes it from other RPC bodies.
    pub const TAG: u8 = 0xFB;
}

impl Encode for AuthMessage {
    fn encoded_len(&self) -> usize {
        1 + string_len(&self.app_id) + byte_array_len(&self.salt) + byte_array_len(&self.ciphertext)
    }

    fn encode(&self, buf: &mut impl BufMut) {
        buf.put_u8(Self::TAG);
        put_string(buf, &self.app_id);
        put_byte_array(buf, &self.salt);
        put_byte_array(buf, &self.ciphertext);
    }
}

impl Decode for AuthMessage {
    fn decode(r: &mut Reader) -> Result<Self> {
        let tag = r.u8("AuthMessage tag")?;
        if tag != Self::TAG {
            return Err(Error::InvalidEnum { what: "AuthMessage tag", value: tag.into() });
        }
        Ok(Self {
            app_id: r.string("AuthMessage.appId")?,
            salt: r.byte_array("AuthMessage.salt")?,
            ciphertext: r.byte_array("AuthMessage.ciphertext")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::tests::assert_wire;

    #[test]
    fn matches_spark_encoder() {
        assert_wire(
            "fb000000056170702d3100000003010203000000020405",
            AuthMessage {
                app_id: "app-1".into(),
                salt: Bytes::from_static(&[1, 2, 3]),
                ciphertext: Bytes::from_static(&[4, 5]),
            },
        );
    }

    #[test]
    fn wrong_tag_is_an_error() {
        let mut r = Reader::new(Bytes::from_static(&[0xea, 0, 0, 0, 0]));
        assert!(matches!(AuthMessage::decode(&mut r), Err(Error::InvalidEnum { value: 0xea, .. })));
    }
}
