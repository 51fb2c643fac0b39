//! `RegisterDriver` (type 4, `NS/protocol/mesos/RegisterDriver.java`): a Mesos driver
//! registers for heartbeat-based cleanup.
//!
//! `String appId | i64 heartbeatTimeoutMs`. Answered with an empty RpcResponse.

use bytes::BufMut;

use crate::codec::{put_string, string_len, Decode, Encode, Reader};
use crate::error::Result;

/// A Mesos driver's registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterDriver {
    /// Application id.
    pub app_id: String,
    /// How long without a heartbeat before the service cleans the application up.
    pub heartbeat_timeout_ms: i64,
}

impl Encode for RegisterDriver {
    fn encoded_len(&self) -> usize {
        string_len(&self.app_id) + 8
    }

    fn encode(&self, buf: &mut impl BufMut) {
        put_string(buf, &self.app_id);
        buf.put_i64(self.heartbeat_timeout_ms);
    }
}

impl Decode for RegisterDriver {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self {
            app_id: r.string("RegisterDriver.appId")?,
            heartbeat_timeout_ms: r.i64("RegisterDriver.heartbeatTimeoutMs")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shuffle::tests::assert_wire;

    #[test]
    fn matches_spark_encoder() {
        assert_wire(
            "04000000056170702d31000000000001d4c0",
            RegisterDriver { app_id: "app-1".into(), heartbeat_timeout_ms: 120_000 },
        );
    }
}
