//! `StreamFailure` (type 8, `NC/protocol/StreamFailure.java`): a `StreamRequest` could not be
//! served.
//!
//! `String streamId | String error`; no body.

use bytes::BufMut;

use super::{BodyKind, Message, MessageType};
use crate::codec::{put_string, string_len, Decode, Reader};
use crate::error::Result;

/// A failed stream request (matched by the client in FIFO order, not by id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamFailure {
    /// The stream requested.
    pub stream_id: String,
    /// Free-form reason.
    pub error: String,
}

impl Message for StreamFailure {
    const TYPE: MessageType = MessageType::StreamFailure;
    const BODY: BodyKind = BodyKind::None;

    fn header_len(&self) -> usize {
        string_len(&self.stream_id) + string_len(&self.error)
    }

    fn encode_header(&self, buf: &mut impl BufMut) {
        put_string(buf, &self.stream_id);
        put_string(buf, &self.error);
    }
}

impl Decode for StreamFailure {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self {
            stream_id: r.string("StreamFailure.streamId")?,
            error: r.string("StreamFailure.error")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::tests::{assert_response_wire, fixture};

    #[test]
    fn matches_spark_encoder() {
        let msg = StreamFailure { stream_id: "1000_0".into(), error: "boom".into() };
        assert_response_wire(&fixture("stream_failure"), msg, b"");
    }
}
