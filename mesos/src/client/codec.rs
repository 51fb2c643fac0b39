//! Bodies on the wire: a [`Call`] out and an [`Event`] in, as protobuf or as Mesos's JSON.

use bytes::Bytes;
use prost::Message as _;

use crate::event::Event;
use crate::proto::scheduler::Call;
use crate::Result;

/// The media type of requests and of the SUBSCRIBE stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContentType {
    /// `application/x-protobuf` (the default: smaller, and what libmesos speaks).
    #[default]
    Protobuf,
}

impl ContentType {
    /// The MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Protobuf => "application/x-protobuf",
        }
    }
}

/// A call's request body.
pub(crate) fn encode_call(content_type: ContentType, call: &Call) -> Result<Bytes> {
    match content_type {
        ContentType::Protobuf => Ok(call.encode_to_vec().into()),
    }
}

/// One RecordIO record of the stream as an event.
pub(crate) fn decode_event(content_type: ContentType, record: &[u8]) -> Result<Event> {
    match content_type {
        ContentType::Protobuf => Event::decode(record),
    }
}
