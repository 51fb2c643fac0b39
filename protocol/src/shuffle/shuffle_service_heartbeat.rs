//! `ShuffleServiceHeartbeat` (type 5, `NS/protocol/mesos/ShuffleServiceHeartbeat.java`): a
//! Mesos driver's periodic liveness message.
//!
//! `String appId`. Sent as a OneWayMessage; never answered.

use bytes::BufMut;

use crate::codec::{put_string, string_len, Decode, Encode, Reader};
use crate::error::Result;

/// A Mesos driver heartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShuffleServiceHeartbeat {
    /// Application id.
    pub app_id: String,
}

impl Encode for ShuffleServiceHeartbeat {
    fn encoded_len(&self) -> usize {
        string_len(&self.app_id)
    }

    fn encode(&self, buf: &mut impl BufMut) {
        put_string(buf, &self.app_id);
    }
}

impl Decode for ShuffleServiceHeartbeat {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self { app_id: r.string("ShuffleServiceHeartbeat.appId")? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shuffle::tests::assert_wire;

    #[test]
    fn matches_spark_encoder() {
        assert_wire("05000000056170702d31", ShuffleServiceHeartbeat { app_id: "app-1".into() });
    }
}
