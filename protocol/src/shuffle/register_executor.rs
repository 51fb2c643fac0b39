//! `RegisterExecutor` (type 2, `NS/protocol/RegisterExecutor.java`): an executor tells the
//! service where its shuffle files are.
//!
//! `String appId | String execId | ExecutorShuffleInfo`. Answered with an empty RpcResponse.

use bytes::BufMut;

use super::ExecutorShuffleInfo;
use crate::codec::{put_string, string_len, Decode, Encode, Reader};
use crate::error::Result;

/// Registration of one executor's directory layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterExecutor {
    /// Application id.
    pub app_id: String,
    /// Executor id.
    pub exec_id: String,
    /// Where the executor's files are.
    pub executor_info: ExecutorShuffleInfo,
}

impl Encode for RegisterExecutor {
    fn encoded_len(&self) -> usize {
        string_len(&self.app_id) + string_len(&self.exec_id) + self.executor_info.encoded_len()
    }

    fn encode(&self, buf: &mut impl BufMut) {
        put_string(buf, &self.app_id);
        put_string(buf, &self.exec_id);
        self.executor_info.encode(buf);
    }
}

impl Decode for RegisterExecutor {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self {
            app_id: r.string("RegisterExecutor.appId")?,
            exec_id: r.string("RegisterExecutor.execId")?,
            executor_info: ExecutorShuffleInfo::decode(r)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shuffle::tests::assert_wire;

    #[test]
    fn matches_spark_encoder() {
        // The body of the protocol doc's §2.2 "RpcRequest id=1" vector.
        assert_wire(
            "02000000056170702d31000000013700000001000000022f64000000400000000153",
            RegisterExecutor {
                app_id: "app-1".into(),
                exec_id: "7".into(),
                executor_info: ExecutorShuffleInfo {
                    local_dirs: vec!["/d".into()],
                    sub_dirs_per_local_dir: 64,
                    shuffle_manager: "S".into(),
                },
            },
        );
    }
}
