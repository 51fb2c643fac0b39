//! The non-shuffle RPC bodies: authentication handshakes, and [`RpcBody`], which routes an
//! RpcRequest body by its first byte; and the handshakes' cryptography, shared by the server
//! and the client, as pure byte logic: [`digest_md5`] (SASL DIGEST-MD5, QOP `auth`),
//! [`engine`] (Spark's AuthEngine key exchange) and [`cipher`] (the AES-CTR and AES-GCM
//! transport ciphers an AuthEngine session switches on).
//!
//! Tags `0xEA` (SASL) and `0xFB` (AuthEngine) lie outside the `BlockTransferMessage` type
//! ids (0–19), which is how Spark's auth handlers tell a handshake from a shuffle request
//! (and how the AuthEngine handler notices a SASL client and falls back).

mod auth_message;
pub mod cipher;
pub mod digest_md5;
pub mod engine;
mod sasl_message;

use bytes::{BufMut, Bytes};

pub use auth_message::AuthMessage;
pub use sasl_message::SaslMessage;

use crate::codec::{Decode, Encode, Reader};
use crate::error::Result;
use crate::shuffle::BlockTransferMessage;

/// An RpcRequest (or OneWayMessage) body, classified by its first byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RpcBody {
    /// A SASL handshake step (`0xEA`).
    Sasl(SaslMessage),
    /// An AuthEngine handshake message (`0xFB`).
    Auth(AuthMessage),
    /// Anything else: a shuffle-service message.
    Shuffle(BlockTransferMessage),
}

impl RpcBody {
    /// Decodes a whole body; like [`BlockTransferMessage::decode`], bytes left after the
    /// message are an error (Spark ignores them; its encoders never write any).
    pub fn decode(body: Bytes) -> Result<Self> {
        match body.first().copied() {
            Some(SaslMessage::TAG) => decode_whole(body, "SaslMessage").map(Self::Sasl),
            Some(AuthMessage::TAG) => decode_whole(body, "AuthMessage").map(Self::Auth),
            // Empty bodies fall through too, and fail there as a truncated type byte.
            _ => BlockTransferMessage::decode(body).map(Self::Shuffle),
        }
    }
}

impl Encode for RpcBody {
    fn encoded_len(&self) -> usize {
        match self {
            Self::Sasl(m) => m.encoded_len(),
            Self::Auth(m) => m.encoded_len(),
            Self::Shuffle(m) => m.encoded_len(),
        }
    }

    fn encode(&self, buf: &mut impl BufMut) {
        match self {
            Self::Sasl(m) => m.encode(buf),
            Self::Auth(m) => m.encode(buf),
            Self::Shuffle(m) => m.encode(buf),
        }
    }
}

impl From<SaslMessage> for RpcBody {
    fn from(m: SaslMessage) -> Self {
        Self::Sasl(m)
    }
}

impl From<AuthMessage> for RpcBody {
    fn from(m: AuthMessage) -> Self {
        Self::Auth(m)
    }
}

impl From<BlockTransferMessage> for RpcBody {
    fn from(m: BlockTransferMessage) -> Self {
        Self::Shuffle(m)
    }
}

fn decode_whole<T: Decode>(body: Bytes, what: &'static str) -> Result<T> {
    let mut r = Reader::new(body);
    let msg = T::decode(&mut r)?;
    r.finish(what)?;
    Ok(msg)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::codec::Encode;
    use crate::error::Error;
    use crate::shuffle::tests::unhex;
    use crate::shuffle::StreamHandle;
    use proptest::prelude::*;

    /// `msg` encodes to exactly `hex`, and `hex` classifies and decodes back to `msg`.
    pub(crate) fn assert_wire<T>(hex: &str, msg: T)
    where
        T: Encode + Clone + Into<RpcBody>,
    {
        let wire = unhex(hex);
        assert_eq!(msg.encoded_len(), wire.len());
        assert_eq!(msg.to_bytes(), wire);
        assert_eq!(RpcBody::decode(wire).ok(), Some(msg.into()));
    }

    #[test]
    fn routes_by_first_byte() {
        let shuffle = StreamHandle { stream_id: 1, num_chunks: 2 };
        let body = BlockTransferMessage::from(shuffle).to_bytes();
        assert_eq!(RpcBody::decode(body).ok(), Some(RpcBody::Shuffle(shuffle.into())));
        assert!(matches!(RpcBody::decode(Bytes::new()), Err(Error::Truncated { .. })));
        assert!(matches!(RpcBody::decode(unhex("14")), Err(Error::UnknownBlockTransferType(20))));
        assert!(matches!(
            RpcBody::decode(unhex("ea000000056170702d3100000000 00")),
            Err(Error::TrailingBytes { what: "SaslMessage", count: 1 })
        ));
        assert!(matches!(
            RpcBody::decode(unhex("ea000000056170702d31ffffffff")),
            Err(Error::NegativeLength { len: -1, .. })
        ));
        assert!(matches!(
            RpcBody::decode(unhex("fb00000005617070")),
            Err(Error::LengthTooLarge { .. })
        ));
    }

    fn blob() -> impl Strategy<Value = Bytes> {
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(Bytes::from)
    }

    proptest! {
        #[test]
        fn sasl_round_trip(app_id in "\\PC{0,12}", payload in blob()) {
            let msg = SaslMessage { app_id, payload };
            prop_assert_eq!(RpcBody::decode(msg.to_bytes()).ok(), Some(RpcBody::Sasl(msg)));
        }

        #[test]
        fn auth_round_trip(app_id in "\\PC{0,12}", salt in blob(), ciphertext in blob()) {
            let msg = AuthMessage { app_id, salt, ciphertext };
            prop_assert_eq!(RpcBody::decode(msg.to_bytes()).ok(), Some(RpcBody::Auth(msg)));
        }

        #[test]
        fn arbitrary_bodies_never_panic(tag in prop_oneof![Just(0xeau8), Just(0xfb), any::<u8>()],
                                        rest in proptest::collection::vec(any::<u8>(), 0..48)) {
            let mut body = vec![tag];
            body.extend(rest);
            let _ = RpcBody::decode(Bytes::from(body));
        }
    }
}
