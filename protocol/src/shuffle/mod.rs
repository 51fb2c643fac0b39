//! `BlockTransferMessage`s: the shuffle-service messages carried in RPC bodies
//! (`NS/protocol/BlockTransferMessage.java`).
//!
//! A body is `u8 typeId | fields`; the type ids (0–19) are their own space, unrelated to the
//! transport's `Message.Type`. One file per message, named after Spark's class; each struct
//! encodes and decodes its fields only, and [`BlockTransferMessage`] adds the type byte.

mod block_push_return_code;
mod blocks_removed;
mod corruption_cause;
mod diagnose_corruption;
mod executor_shuffle_info;
mod fetch_shuffle_block_chunks;
mod fetch_shuffle_blocks;
mod finalize_shuffle_merge;
mod get_local_dirs_for_executors;
mod local_dirs_for_executors;
mod merge_statuses;
mod open_blocks;
mod push_block_stream;
mod register_driver;
mod register_executor;
mod remove_blocks;
mod remove_shuffle_merge;
mod shuffle_service_heartbeat;
mod stream_handle;
mod upload_block;
mod upload_block_stream;

use bytes::{BufMut, Bytes};

pub use block_push_return_code::{BlockPushReturnCode, ReturnCode};
pub use blocks_removed::BlocksRemoved;
pub use corruption_cause::{Cause, CorruptionCause};
pub use diagnose_corruption::DiagnoseCorruption;
pub use executor_shuffle_info::ExecutorShuffleInfo;
pub use fetch_shuffle_block_chunks::FetchShuffleBlockChunks;
pub use fetch_shuffle_blocks::FetchShuffleBlocks;
pub use finalize_shuffle_merge::FinalizeShuffleMerge;
pub use get_local_dirs_for_executors::GetLocalDirsForExecutors;
pub use local_dirs_for_executors::{ExecutorLocalDirs, LocalDirsForExecutors};
pub use merge_statuses::MergeStatuses;
pub use open_blocks::OpenBlocks;
pub use push_block_stream::PushBlockStream;
pub use register_driver::RegisterDriver;
pub use register_executor::RegisterExecutor;
pub use remove_blocks::RemoveBlocks;
pub use remove_shuffle_merge::RemoveShuffleMerge;
pub use shuffle_service_heartbeat::ShuffleServiceHeartbeat;
pub use stream_handle::StreamHandle;
pub use upload_block::UploadBlock;
pub use upload_block_stream::UploadBlockStream;

use crate::codec::{Decode, Encode, Reader};
use crate::error::{Error, Result};

/// Declares the enum and its id ↔ variant tables from one list, so they cannot drift apart.
macro_rules! block_transfer_messages {
    ($($id:literal => $name:ident,)*) => {
        /// Every `BlockTransferMessage` of Spark 3.5, one variant per type id.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum BlockTransferMessage {
            $(
                #[doc = concat!("Type id ", stringify!($id), ".")]
                $name($name),
            )*
        }

        impl BlockTransferMessage {
            /// The type byte that precedes the fields on the wire.
            pub fn type_id(&self) -> u8 {
                match self {
                    $(Self::$name(_) => $id,)*
                }
            }

            /// Spark's class name of the message, for logs and errors.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Self::$name(_) => stringify!($name),)*
                }
            }

            fn decode_fields(type_id: u8, r: &mut Reader) -> Result<Self> {
                match type_id {
                    $($id => $name::decode(r).map(Self::$name),)*
                    other => Err(Error::UnknownBlockTransferType(other)),
                }
            }
        }

        impl Encode for BlockTransferMessage {
            fn encoded_len(&self) -> usize {
                1 + match self {
                    $(Self::$name(m) => m.encoded_len(),)*
                }
            }

            fn encode(&self, buf: &mut impl BufMut) {
                buf.put_u8(self.type_id());
                match self {
                    $(Self::$name(m) => m.encode(buf),)*
                }
            }
        }

        $(
            impl From<$name> for BlockTransferMessage {
                fn from(m: $name) -> Self {
                    Self::$name(m)
                }
            }
        )*
    };
}

block_transfer_messages! {
    0 => OpenBlocks,
    1 => UploadBlock,
    2 => RegisterExecutor,
    3 => StreamHandle,
    4 => RegisterDriver,
    5 => ShuffleServiceHeartbeat,
    6 => UploadBlockStream,
    7 => RemoveBlocks,
    8 => BlocksRemoved,
    9 => FetchShuffleBlocks,
    10 => GetLocalDirsForExecutors,
    11 => LocalDirsForExecutors,
    12 => PushBlockStream,
    13 => FinalizeShuffleMerge,
    14 => MergeStatuses,
    15 => FetchShuffleBlockChunks,
    16 => DiagnoseCorruption,
    17 => CorruptionCause,
    18 => BlockPushReturnCode,
    19 => RemoveShuffleMerge,
}

impl BlockTransferMessage {
    /// Decodes a whole RPC body (or UploadStream meta): type byte, then that message's
    /// fields, and nothing after them.
    ///
    /// Spark's `Decoder.fromByteBuffer` ignores bytes left after the fields. Its encoder never
    /// leaves any (`toByteBuffer` asserts an exact fit), so leftovers mean a peer speaking
    /// something else, and we fail the RPC with [`Error::TrailingBytes`] rather than act on a
    /// message that was probably misread.
    pub fn decode(body: Bytes) -> Result<Self> {
        let mut r = Reader::new(body);
        let type_id = r.u8("BlockTransferMessage type")?;
        let msg = Self::decode_fields(type_id, &mut r)?;
        r.finish(msg.name())?;
        Ok(msg)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::bitmap::RoaringBitmap;
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;

    pub(crate) fn unhex(s: &str) -> Bytes {
        let clean: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
        assert!(clean.len() % 2 == 0, "odd hex: {s}");
        clean
            .chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap_or("zz"), 16).unwrap_or(0))
            .collect()
    }

    pub(crate) fn decode_hex(hex: &str) -> Result<BlockTransferMessage> {
        BlockTransferMessage::decode(unhex(hex))
    }

    /// `msg` (with its type byte) encodes to exactly `hex`, and `hex` decodes back to `msg`.
    pub(crate) fn assert_wire(hex: &str, msg: impl Into<BlockTransferMessage>) {
        let msg = msg.into();
        let wire = unhex(hex);
        assert_eq!(msg.encoded_len(), wire.len(), "{}: encoded_len", msg.name());
        assert_eq!(msg.to_bytes(), wire, "{}: encoding", msg.name());
        match BlockTransferMessage::decode(wire) {
            Ok(back) => assert_eq!(back, msg),
            Err(e) => panic!("{}: {e}", msg.name()),
        }
    }

    /// The protocol doc's §2.2 frames whose body is a BlockTransferMessage: the whole frame
    /// as captured, with the body taken after the 8 + 1 + header bytes.
    #[test]
    fn protocol_doc_vectors() {
        let frames: [(&str, usize, BlockTransferMessage); 5] = [
            (
                // RpcRequest id=1, RegisterExecutor.
                "0000000000000037 03 0000000000000001 00000022
                 02 00000005 6170702d31 00000001 37 00000001 00000002 2f64 00000040 00000001 53",
                8 + 1 + 12,
                RegisterExecutor {
                    app_id: "app-1".into(),
                    exec_id: "7".into(),
                    executor_info: ExecutorShuffleInfo {
                        local_dirs: vec!["/d".into()],
                        sub_dirs_per_local_dir: 64,
                        shuffle_manager: "S".into(),
                    },
                }
                .into(),
            ),
            (
                // RpcRequest id=2, FetchShuffleBlocks.
                "0000000000000045 03 0000000000000002 00000030
                 09 00000005 6170702d31 00000001 37 00000000 00000001 0000000000000005
                 00000001 00000002 00000000 00000001 00",
                8 + 1 + 12,
                FetchShuffleBlocks {
                    app_id: "app-1".into(),
                    exec_id: "7".into(),
                    shuffle_id: 0,
                    map_ids: vec![5],
                    reduce_ids: vec![vec![0, 1]],
                    batch_fetch_enabled: false,
                }
                .into(),
            ),
            (
                // RpcResponse id=2, StreamHandle.
                "0000000000000022 04 0000000000000002 0000000d 03 00000000000003e8 00000002",
                8 + 1 + 12,
                StreamHandle { stream_id: 1000, num_chunks: 2 }.into(),
            ),
            (
                // OneWayMessage, ShuffleServiceHeartbeat.
                "0000000000000017 09 0000000a 05 00000005 6170702d31",
                8 + 1 + 4,
                ShuffleServiceHeartbeat { app_id: "app-1".into() }.into(),
            ),
            (
                // RpcRequest id=4, RegisterDriver.
                "0000000000000027 03 0000000000000004 00000012
                 04 00000005 6170702d31 000000000001d4c0",
                8 + 1 + 12,
                RegisterDriver { app_id: "app-1".into(), heartbeat_timeout_ms: 120_000 }.into(),
            ),
        ];
        for (frame, header, msg) in frames {
            let frame = unhex(frame);
            let body = frame.slice(header..);
            // The frame's i32 body length (just before the body) agrees with the body.
            let declared = frame
                .get(header - 4..header)
                .map(|b| b.iter().fold(0usize, |n, &x| n << 8 | usize::from(x)));
            assert_eq!(declared, Some(body.len()), "{}", msg.name());
            assert_eq!(msg.to_bytes(), body, "{}", msg.name());
            assert_eq!(BlockTransferMessage::decode(body).ok(), Some(msg));
        }
    }

    #[test]
    fn unknown_type_ids_are_refused() {
        for id in [20u8, 21, 0x7f, 0xea, 0xfb, 0xff] {
            let body = Bytes::from(vec![id, 0, 0, 0, 0]);
            let got = BlockTransferMessage::decode(body);
            assert!(matches!(got, Err(Error::UnknownBlockTransferType(t)) if t == id), "{id}");
        }
        assert!(matches!(BlockTransferMessage::decode(Bytes::new()), Err(Error::Truncated { .. })));
    }

    #[test]
    fn trailing_bytes_are_refused() {
        assert!(matches!(
            decode_hex("0800000002 00"),
            Err(Error::TrailingBytes { what: "BlocksRemoved", count: 1 })
        ));
    }

    #[test]
    fn negative_and_huge_counts_are_typed_errors() {
        // OpenBlocks with blockIds count -1, then i32::MAX.
        assert!(matches!(
            decode_hex("00 00000001 61 00000001 37 ffffffff"),
            Err(Error::NegativeLength { len: -1, .. })
        ));
        assert!(matches!(
            decode_hex("00 00000001 61 00000001 37 7fffffff 00000000"),
            Err(Error::LengthTooLarge { .. })
        ));
        // A string length larger than the body.
        assert!(matches!(decode_hex("05 7fffffff 61"), Err(Error::LengthTooLarge { .. })));
        // Invalid UTF-8 in appId.
        assert!(matches!(decode_hex("05 00000001 ff"), Err(Error::InvalidUtf8 { .. })));
    }

    #[test]
    fn every_truncation_is_an_error() {
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let mut seen = [false; 20];
        for _ in 0..400 {
            let msg = match any_message().new_tree(&mut runner) {
                Ok(tree) => tree.current(),
                Err(e) => panic!("{e}"),
            };
            if let Some(slot) = seen.get_mut(usize::from(msg.type_id())) {
                *slot = true;
            }
            let wire = msg.to_bytes();
            for cut in 0..wire.len() {
                assert!(
                    BlockTransferMessage::decode(wire.slice(..cut)).is_err(),
                    "{} cut at {cut} of {}",
                    msg.name(),
                    wire.len()
                );
            }
        }
        // The strategy covers every message type.
        assert_eq!(seen, [true; 20]);
    }

    fn text() -> impl Strategy<Value = String> {
        "\\PC{0,10}"
    }

    fn texts() -> impl Strategy<Value = Vec<String>> {
        proptest::collection::vec(text(), 0..4)
    }

    fn blob() -> impl Strategy<Value = Bytes> {
        proptest::collection::vec(any::<u8>(), 0..16).prop_map(Bytes::from)
    }

    fn ints() -> impl Strategy<Value = Vec<i32>> {
        proptest::collection::vec(any::<i32>(), 0..5)
    }

    fn bitmap() -> impl Strategy<Value = RoaringBitmap> {
        let run = (any::<u32>(), 0u32..200)
            .prop_map(|(start, len)| (start..start.saturating_add(len)).collect::<Vec<_>>());
        (proptest::collection::vec(any::<u32>(), 0..20), proptest::collection::vec(run, 0..3))
            .prop_map(|(values, runs)| {
                values.into_iter().chain(runs.into_iter().flatten()).collect()
            })
    }

    fn cause() -> impl Strategy<Value = Cause> {
        prop_oneof![
            Just(Cause::DiskIssue),
            Just(Cause::NetworkIssue),
            Just(Cause::UnknownIssue),
            Just(Cause::ChecksumVerifyPass),
            Just(Cause::UnsupportedChecksumAlgorithm),
        ]
    }

    fn return_code() -> impl Strategy<Value = ReturnCode> {
        prop_oneof![
            Just(ReturnCode::Success),
            Just(ReturnCode::TooLateBlockPush),
            Just(ReturnCode::BlockAppendCollisionDetected),
            Just(ReturnCode::StaleBlockPush),
            Just(ReturnCode::TooOldAttemptPush),
        ]
    }

    /// Map ids with one reduce-id list each (the decoder insists on equal lengths).
    fn map_reduce_ids() -> impl Strategy<Value = (Vec<i64>, Vec<Vec<i32>>)> {
        proptest::collection::vec((any::<i64>(), ints()), 0..4).prop_map(|v| v.into_iter().unzip())
    }

    fn reduce_chunk_ids() -> impl Strategy<Value = (Vec<i32>, Vec<Vec<i32>>)> {
        proptest::collection::vec((any::<i32>(), ints()), 0..4).prop_map(|v| v.into_iter().unzip())
    }

    pub(crate) fn any_message() -> impl Strategy<Value = BlockTransferMessage> {
        prop_oneof![
            (text(), text(), texts()).prop_map(|(app_id, exec_id, block_ids)| {
                OpenBlocks { app_id, exec_id, block_ids }.into()
            }),
            (text(), text(), text(), blob(), blob()).prop_map(|(a, e, b, metadata, block_data)| {
                UploadBlock { app_id: a, exec_id: e, block_id: b, metadata, block_data }.into()
            }),
            (text(), text(), texts(), any::<i32>(), text()).prop_map(|(a, e, dirs, sub, mgr)| {
                RegisterExecutor {
                    app_id: a,
                    exec_id: e,
                    executor_info: ExecutorShuffleInfo {
                        local_dirs: dirs,
                        sub_dirs_per_local_dir: sub,
                        shuffle_manager: mgr,
                    },
                }
                .into()
            }),
            (any::<i64>(), any::<i32>()).prop_map(|(stream_id, num_chunks)| StreamHandle {
                stream_id,
                num_chunks
            }
            .into()),
            (text(), any::<i64>()).prop_map(|(app_id, heartbeat_timeout_ms)| {
                RegisterDriver { app_id, heartbeat_timeout_ms }.into()
            }),
            text().prop_map(|app_id| ShuffleServiceHeartbeat { app_id }.into()),
            (text(), blob()).prop_map(|(block_id, metadata)| UploadBlockStream {
                block_id,
                metadata
            }
            .into()),
            (text(), text(), texts()).prop_map(|(app_id, exec_id, block_ids)| {
                RemoveBlocks { app_id, exec_id, block_ids }.into()
            }),
            any::<i32>().prop_map(|num_removed_blocks| BlocksRemoved { num_removed_blocks }.into()),
            (text(), text(), any::<i32>(), map_reduce_ids(), any::<bool>()).prop_map(
                |(app_id, exec_id, shuffle_id, (map_ids, reduce_ids), batch_fetch_enabled)| {
                    FetchShuffleBlocks {
                        app_id,
                        exec_id,
                        shuffle_id,
                        map_ids,
                        reduce_ids,
                        batch_fetch_enabled,
                    }
                    .into()
                }
            ),
            (text(), texts()).prop_map(|(app_id, exec_ids)| GetLocalDirsForExecutors {
                app_id,
                exec_ids
            }
            .into()),
            proptest::collection::vec((text(), texts()), 0..4).prop_map(|v| {
                let executors = v
                    .into_iter()
                    .map(|(exec_id, local_dirs)| ExecutorLocalDirs { exec_id, local_dirs })
                    .collect();
                LocalDirsForExecutors { executors }.into()
            }),
            (text(), any::<[i32; 6]>()).prop_map(|(app_id, [a, s, m, i, r, x])| {
                PushBlockStream {
                    app_id,
                    app_attempt_id: a,
                    shuffle_id: s,
                    shuffle_merge_id: m,
                    map_index: i,
                    reduce_id: r,
                    index: x,
                }
                .into()
            }),
            (text(), any::<[i32; 3]>()).prop_map(|(app_id, [a, s, m])| {
                FinalizeShuffleMerge {
                    app_id,
                    app_attempt_id: a,
                    shuffle_id: s,
                    shuffle_merge_id: m,
                }
                .into()
            }),
            (
                any::<[i32; 2]>(),
                proptest::collection::vec(bitmap(), 0..3),
                ints(),
                proptest::collection::vec(any::<i64>(), 0..4)
            )
                .prop_map(
                    |([shuffle_id, shuffle_merge_id], bitmaps, reduce_ids, sizes)| {
                        MergeStatuses { shuffle_id, shuffle_merge_id, bitmaps, reduce_ids, sizes }
                            .into()
                    }
                ),
            (text(), text(), any::<[i32; 2]>(), reduce_chunk_ids()).prop_map(
                |(app_id, exec_id, [shuffle_id, shuffle_merge_id], (reduce_ids, chunk_ids))| {
                    FetchShuffleBlockChunks {
                        app_id,
                        exec_id,
                        shuffle_id,
                        shuffle_merge_id,
                        reduce_ids,
                        chunk_ids,
                    }
                    .into()
                }
            ),
            (text(), text(), any::<(i32, i64, i32, i64)>(), text()).prop_map(
                |(app_id, exec_id, (shuffle_id, map_id, reduce_id, checksum), algorithm)| {
                    DiagnoseCorruption {
                        app_id,
                        exec_id,
                        shuffle_id,
                        map_id,
                        reduce_id,
                        checksum,
                        algorithm,
                    }
                    .into()
                }
            ),
            cause().prop_map(|cause| CorruptionCause { cause }.into()),
            (return_code(), text()).prop_map(|(return_code, failure_block_id)| {
                BlockPushReturnCode { return_code, failure_block_id }.into()
            }),
            (text(), any::<[i32; 3]>()).prop_map(|(app_id, [a, s, m])| {
                RemoveShuffleMerge { app_id, app_attempt_id: a, shuffle_id: s, shuffle_merge_id: m }
                    .into()
            }),
        ]
    }

    proptest! {
        #[test]
        fn round_trip(msg in any_message()) {
            let wire = msg.to_bytes();
            prop_assert_eq!(wire.len(), msg.encoded_len());
            prop_assert_eq!(wire.first().copied(), Some(msg.type_id()));
            prop_assert_eq!(BlockTransferMessage::decode(wire).ok(), Some(msg));
        }

        #[test]
        fn arbitrary_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = BlockTransferMessage::decode(Bytes::from(body));
        }

        #[test]
        fn arbitrary_fields_after_a_valid_type_never_panic(
            id in 0u8..20,
            body in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let mut bytes = vec![id];
            bytes.extend(body);
            let _ = BlockTransferMessage::decode(Bytes::from(bytes));
        }
    }
}
