//! Apache Spark 3.5 external shuffle service wire protocol.
//!
//! Pure: bytes in, bytes out. Only [`connection`] touches tokio.
//!
//! Data flows through named layers:
//! bytes → [`frame`] → [`message`] (transport `Message.Type`) → [`shuffle`]
//! (`BlockTransferMessage`, carried in RPC bodies).

pub mod codec;
pub mod error;

pub use error::{Error, Result};
