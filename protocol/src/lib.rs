//! Apache Spark 3.5 external shuffle service wire protocol.
//!
//! Pure: bytes in, bytes out. Only [`connection`] touches tokio.
//!
//! Data flows through named layers:
//! bytes → [`frame`] → [`message`] (transport `Message.Type`) → [`shuffle`]
//! (`BlockTransferMessage`, carried in RPC bodies).

pub mod auth;
pub mod bitmap;
pub mod block_id;
pub mod codec;
pub mod connection;
pub mod decoder;
pub mod error;
pub mod frame;
pub mod message;
pub mod secure_read;
pub mod shuffle;

pub use connection::{Connection, MessageCodec, MessageReader, MessageWriter};
pub use decoder::{ClientRole, Decoder, Inbound, Role, ServerRole};
pub use error::{Error, Result};
pub use frame::{Frame, DEFAULT_MAX_FRAME_LEN};
pub use message::{Message, MessageType, Outbound, Request, Response};
pub use secure_read::SecureRead;
