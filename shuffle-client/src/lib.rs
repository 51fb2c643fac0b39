//! Async client for Apache Spark 3.5's external shuffle service (and this project's
//! replacement): what an executor or driver does with it, over the same wire protocol.
//!
//! - [`ShuffleClient::register_executor`], [`ShuffleClient::remove_blocks`],
//!   [`ShuffleClient::get_local_dirs_for_executors`],
//!   [`ShuffleClient::diagnose_corruption`]: one RPC each.
//! - [`ShuffleClient::fetch_blocks`] and its variants: open a stream of blocks
//!   (`FetchShuffleBlocks`, `FetchShuffleBlockChunks` or `OpenBlocks`) and receive them as a
//!   [`BlockStream`], over pipelined `ChunkFetchRequest`s or `StreamRequest`s, in memory or
//!   into writers/files, retrying connection errors without yielding any block twice.
//! - [`ShuffleClient::register_driver`]: Mesos-style driver registration with a background
//!   heartbeat ([`DriverRegistration`]).
//!
//! Settings mirror Spark's `spark.shuffle.io.*` keys ([`ClientConfig`], optionally read
//! from Spark properties). Errors are one [`Error`] type with predicates
//! ([`Error::is_retryable`], [`Error::is_block_failure`], [`Error::is_auth`], …).
//!
//! # Authentication
//!
//! With [`ClientConfig::auth`] set ([`AuthConfig`]; from Spark properties:
//! `spark.authenticate`, `spark.authenticate.secret`, `spark.app.id`,
//! `spark.network.crypto.*`), every new pooled connection authenticates before its first
//! request, as Spark's `AuthClientBootstrap` does:
//!
//! - `spark.network.crypto.enabled=false` (default): SASL DIGEST-MD5 with QOP `auth`, as
//!   the user `sparkSaslUser`. Authenticates both sides (the server proves it holds the
//!   secret too); the traffic stays **plaintext**. SASL encryption (`auth-conf`,
//!   `spark.authenticate.enableSaslEncryption`) is not implemented and refused.
//! - `spark.network.crypto.enabled=true`: Spark's AuthEngine (X25519, HKDF-SHA256, AuthEngine
//!   version 1 or 2), then everything in both directions through AES-CTR (default, no
//!   integrity) or AES-GCM (`spark.network.crypto.cipher=AES/GCM/NoPadding`; Spark 3.5.6's
//!   own service reads only the first GCM message of a connection, so use GCM only with this
//!   project's service). If the server refuses the AuthEngine and
//!   `spark.network.crypto.saslFallback` is true (default), SASL follows on the same
//!   connection, as in Spark: set it to false to be sure a connection is encrypted.
//!
//! A connection authenticates as [`AuthConfig::app_id`] (Spark's `spark.app.id`) or, if
//! unset, as the application of the operation that opens it; the server then refuses
//! requests for other applications on it, so connections are pooled per address and
//! application. A refused handshake is an [`Error::Auth`] ([`Error::is_auth`]) and is never
//! retried; the secret appears in no log line, error or `Debug` output.
//!
//! # TLS
//!
//! With [`ClientConfig::tls`] ([`TlsConfig`]), every new connection runs a TLS handshake
//! (rustls) before anything else, authentication included. Only this project's daemon
//! offers TLS (`spark.shuffle.service.rs.tls.enabled`, on the shuffle port beside
//! plaintext); Spark 3.5's service has none. A failed handshake is an [`Error::Tls`],
//! which counts as [`Error::is_auth`] and is never retried.
//!
//! Modules, in the order data flows: [`client`] (operations) → `fetcher` (request planning,
//! chunk order, retries of fetches) → `pool` (connections per address) → `transport` (one
//! connection: a writer task, and a reader task dispatching responses by request id, by
//! stream chunk id, and first-in first-out for streams) → the `shuffle-protocol` codec.
//!
//! # Example
//!
//! Register an executor, then fetch two blocks of its map output 5 (a tiny in-process fake
//! server stands in for the service here):
//!
//! ```
//! # use shuffle_protocol::{Inbound, Request, ServerRole, Connection, DEFAULT_MAX_FRAME_LEN};
//! # use shuffle_protocol::message::{ChunkFetchSuccess, RpcResponse};
//! # use shuffle_protocol::shuffle::{BlockTransferMessage, StreamHandle};
//! # use shuffle_protocol::codec::Encode;
//! # async fn fake_server(listener: tokio::net::TcpListener) -> shuffle_protocol::Result<()> {
//! #     let (socket, _) = listener.accept().await?;
//! #     let mut conn = Connection::<_, ServerRole>::new(socket, DEFAULT_MAX_FRAME_LEN);
//! #     while let Some(Inbound::Message(request)) = conn.read().await? {
//! #         match request {
//! #             Request::RpcRequest(rpc) => {
//! #                 let body = match BlockTransferMessage::decode(rpc.body)? {
//! #                     BlockTransferMessage::FetchShuffleBlocks(_) => {
//! #                         BlockTransferMessage::from(StreamHandle { stream_id: 1, num_chunks: 2 }).to_bytes()
//! #                     }
//! #                     _ => bytes::Bytes::new(),
//! #                 };
//! #                 conn.write_message(&RpcResponse { request_id: rpc.request_id, body }).await?;
//! #             }
//! #             Request::ChunkFetchRequest(req) => {
//! #                 let body = format!("block {}", req.stream_chunk_id.chunk_index).into();
//! #                 conn.write_message(&ChunkFetchSuccess { stream_chunk_id: req.stream_chunk_id, body }).await?;
//! #             }
//! #             _ => {}
//! #         }
//! #     }
//! #     Ok(())
//! # }
//! use futures::TryStreamExt;
//! use shuffle_client::{ClientConfig, ShuffleClient};
//! use shuffle_protocol::shuffle::ExecutorShuffleInfo;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), shuffle_client::Error> {
//! # let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| shuffle_client::Error::Connect { addr: String::new(), source: e.into() })?;
//! # let addr = listener.local_addr().map_err(|e| shuffle_client::Error::Connect { addr: String::new(), source: e.into() })?;
//! # tokio::spawn(fake_server(listener));
//! let client = ShuffleClient::new(ClientConfig::default());
//! let info = ExecutorShuffleInfo {
//!     local_dirs: vec!["/tmp/blockmgr-0001".into()],
//!     sub_dirs_per_local_dir: 64,
//!     shuffle_manager: "org.apache.spark.shuffle.sort.SortShuffleManager".into(),
//! };
//! client.register_executor(addr, "app-1", "7", info).await?;
//!
//! let ids = vec!["shuffle_0_5_0".to_owned(), "shuffle_0_5_1".to_owned()];
//! let blocks: Vec<_> = client.fetch_blocks(addr, "app-1", "7", ids).try_collect().await?;
//! assert_eq!(blocks[0].0, "shuffle_0_5_0");
//! assert_eq!(&blocks[1].1[..], b"block 1");
//! # Ok(())
//! # }
//! ```

mod auth;
pub mod client;
pub mod config;
mod driver;
pub mod error;
mod fetcher;
mod pool;
mod retry;
pub mod tls;
mod transport;

pub use client::{FetchOptions, ShuffleClient, Transfer};
pub use config::{AuthConfig, ClientConfig, CryptoCipher, Secret};
pub use driver::DriverRegistration;
pub use error::{AuthFailure, AuthMechanism, Error, Result};
pub use fetcher::{BlockStream, Downloaded};
pub use pool::PeerAddr;
pub use tls::TlsConfig;
