//! `GetLocalDirsForExecutors` (type 10, `NS/protocol/GetLocalDirsForExecutors.java`): ask
//! for the local dirs of executors on this host, to read their files directly.
//!
//! `String appId | String[] execIds`. Answered with `LocalDirsForExecutors`.

use bytes::BufMut;

use crate::codec::{
    put_string, put_string_array, string_array_len, string_len, Decode, Encode, Reader,
};
use crate::error::Result;

/// A request for the registered local dirs of some executors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetLocalDirsForExecutors {
    /// Application id.
    pub app_id: String,
    /// Executors asked about (`shuffle-push-merger` asks for merge dirs).
    pub exec_ids: Vec<String>,
}

impl Encode for GetLocalDirsForExecutors {
    fn encoded_len(&self) -> usize {
        string_len(&self.app_id) + string_array_len(&self.exec_ids)
    }

    fn encode(&self, buf: &mut impl BufMut) {
        put_string(buf, &self.app_id);
        put_string_array(buf, &self.exec_ids);
    }
}

impl Decode for GetLocalDirsForExecutors {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self {
            app_id: r.string("GetLocalDirsForExecutors.appId")?,
            exec_ids: r.string_array("GetLocalDirsForExecutors.execIds")?,
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
            "0a000000056170702d310000000200000001370000000138",
            GetLocalDirsForExecutors {
                app_id: "app-1".into(),
                exec_ids: vec!["7".into(), "8".into()],
            },
        );
    }
}
