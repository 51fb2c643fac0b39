//! Calls in and events out, in either content type; events framed as RecordIO records.

use bytes::{Bytes, BytesMut};
use mesos::json::ContentType;
use mesos::proto::scheduler::{Call, Event};

/// Decodes one call; the error says why, for a 400's body.
pub fn decode_call(content_type: ContentType, body: &[u8]) -> Result<Call, mesos::Error> {
    content_type.decode(body)
}

/// One event as a RecordIO record in the stream's content type.
pub fn encode_event(content_type: ContentType, event: &Event) -> Bytes {
    let payload = content_type.encode(event);
    let mut record = BytesMut::with_capacity(payload.len() + 21);
    mesos::recordio::encode(&payload, &mut record);
    record.freeze()
}
