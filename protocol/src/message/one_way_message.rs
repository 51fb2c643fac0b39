//! `OneWayMessage` (type 9, `NC/protocol/OneWayMessage.java`): an RPC that is never answered
//! (Mesos heartbeats, `RemoveShuffleMerge`).
//!
//! `i32 bodyLen`; the body is in the frame and, as in Spark, decoded as the rest of the frame.

use bytes::{BufMut, Bytes};

use super::{body_len_i32, BodyKind, Message, MessageType};
use crate::codec::{Decode, Reader};
use crate::error::Result;

/// A fire-and-forget message with an opaque body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneWayMessage {
    /// Usually a `BlockTransferMessage`.
    pub body: Bytes,
}

impl Message for OneWayMessage {
    const TYPE: MessageType = MessageType::OneWayMessage;
    const BODY: BodyKind = BodyKind::InFrame;

    fn header_len(&self) -> usize {
        4
    }

    fn encode_header(&self, buf: &mut impl BufMut) {
        buf.put_i32(body_len_i32(&self.body));
    }

    fn body(&self) -> &[u8] {
        &self.body
    }
}

impl Decode for OneWayMessage {
    fn decode(r: &mut Reader) -> Result<Self> {
        r.i32("OneWayMessage.bodyLen")?;
        Ok(Self { body: r.rest() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::FRAME_PREFIX_LEN;
    use crate::message::tests::{assert_request_wire, fixture};

    #[test]
    fn matches_spark_encoder() {
        let wire = fixture("one_way_message");
        let body = Bytes::copy_from_slice(&wire[FRAME_PREFIX_LEN + 4..]);
        assert_request_wire(&wire, OneWayMessage { body }, b"");
    }
}
