//! Jute, ZooKeeper's wire encoding: big-endian integers, strings and buffers as an `i32`
//! length (`-1` for null) then the bytes, vectors as an `i32` count then the items. Every
//! packet travels behind a big-endian `i32` length.
//!
//! Pure: encoders append to a `BytesMut`, [`Reader`] walks a received packet and checks
//! every length against what is left before it takes anything.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::{Error, Result};

/// Largest packet accepted from a server. ZooKeeper's own `jute.maxbuffer` is 1 MiB (plus
/// headers); anything bigger is a broken or hostile peer.
pub(super) const MAX_PACKET: usize = 4 << 20;

/// Operation codes (`ZooDefs.OpCode`).
pub(super) mod op {
    pub(crate) const CREATE: i32 = 1;
    pub(crate) const DELETE: i32 = 2;
    pub(crate) const EXISTS: i32 = 3;
    pub(crate) const GET_DATA: i32 = 4;
    pub(crate) const SET_DATA: i32 = 5;
    pub(crate) const GET_CHILDREN: i32 = 8;
    pub(crate) const PING: i32 = 11;
    pub(crate) const CLOSE_SESSION: i32 = -11;
    pub(crate) const AUTH: i32 = 100;
}

/// Reserved transaction ids.
pub(super) mod xid {
    /// A watch notification.
    pub(crate) const NOTIFICATION: i32 = -1;
    /// A ping and its reply.
    pub(crate) const PING: i32 = -2;
    /// An authentication packet and its reply.
    pub(crate) const AUTH: i32 = -4;
}

/// `CreateMode` flags.
pub(super) const EPHEMERAL: i32 = 1;
/// `CreateMode` flags.
pub(super) const SEQUENTIAL: i32 = 2;

/// Error code of a missing node (`KeeperException.Code.NONODE`).
pub const NO_NODE: i32 = -101;
/// Error code of a node that already exists (`NODEEXISTS`).
pub const NODE_EXISTS: i32 = -110;

/// Appends a jute string.
pub(super) fn put_str(buf: &mut BytesMut, s: &str) {
    put_buffer(buf, s.as_bytes());
}

/// Appends a jute buffer.
pub(super) fn put_buffer(buf: &mut BytesMut, b: &[u8]) {
    // Paths and node data are bounded by MAX_PACKET long before i32::MAX.
    buf.put_i32(i32::try_from(b.len()).unwrap_or(i32::MAX));
    buf.put_slice(b);
}

/// Appends the world-readable, world-writable ACL (`ZooDefs.Ids.OPEN_ACL_UNSAFE`).
pub(super) fn put_open_acl(buf: &mut BytesMut) {
    buf.put_i32(1);
    buf.put_i32(0x1f);
    put_str(buf, "world");
    put_str(buf, "anyone");
}

/// The `ConnectRequest` of a new session, length prefix included.
pub(super) fn connect_request(timeout_ms: i32) -> BytesMut {
    let mut body = BytesMut::with_capacity(48);
    body.put_i32(0); // protocolVersion
    body.put_i64(0); // lastZxidSeen
    body.put_i32(timeout_ms);
    body.put_i64(0); // sessionId: a new session
    put_buffer(&mut body, &[0; 16]); // passwd
    body.put_u8(0); // readOnly: false
    framed(&body)
}

/// `body` behind its length prefix.
pub(super) fn framed(body: &[u8]) -> BytesMut {
    let mut out = BytesMut::with_capacity(4 + body.len());
    put_buffer(&mut out, body);
    out
}

/// What a server answered to `ConnectRequest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ConnectResponse {
    /// The negotiated session timeout; 0 or less means the session is already expired.
    pub(super) timeout_ms: i32,
    /// The session id.
    pub(super) session_id: i64,
}

impl ConnectResponse {
    /// Decodes the packet (without its length prefix).
    pub(super) fn decode(packet: Bytes) -> Result<Self> {
        let mut r = Reader(packet);
        let _protocol_version = r.i32()?;
        let timeout_ms = r.i32()?;
        let session_id = r.i64()?;
        let _passwd = r.buffer()?;
        Ok(Self { timeout_ms, session_id })
    }
}

/// Node metadata (`org.apache.zookeeper.data.Stat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stat {
    /// Zxid of the change that created the node.
    pub czxid: i64,
    /// Zxid of the last change to the node's data.
    pub mzxid: i64,
    /// Creation time, ms since the epoch.
    pub ctime: i64,
    /// Last modification time, ms since the epoch.
    pub mtime: i64,
    /// Number of changes to the data; the version `set_data`/`delete` can check.
    pub version: i32,
    /// Number of changes to the children.
    pub cversion: i32,
    /// Number of changes to the ACL.
    pub aversion: i32,
    /// Session owning the node if it is ephemeral, else 0.
    pub ephemeral_owner: i64,
    /// Length of the data.
    pub data_length: i32,
    /// Number of children.
    pub num_children: i32,
    /// Zxid of the last change to the children.
    pub pzxid: i64,
}

/// A cursor over one received packet; every read checks what is left first.
#[derive(Debug)]
pub(super) struct Reader(pub(super) Bytes);

impl Reader {
    fn need(&self, n: usize) -> Result<()> {
        if self.0.remaining() < n {
            return Err(Error::ZkMalformed { needed: n, left: self.0.remaining() });
        }
        Ok(())
    }

    /// A big-endian `i32`.
    pub(super) fn i32(&mut self) -> Result<i32> {
        self.need(4)?;
        Ok(self.0.get_i32())
    }

    /// A big-endian `i64`.
    pub(super) fn i64(&mut self) -> Result<i64> {
        self.need(8)?;
        Ok(self.0.get_i64())
    }

    /// A buffer; null reads as empty.
    pub(super) fn buffer(&mut self) -> Result<Bytes> {
        let len = self.i32()?;
        let Ok(len) = usize::try_from(len) else {
            return Ok(Bytes::new());
        };
        self.need(len)?;
        Ok(self.0.split_to(len))
    }

    /// A UTF-8 string; null reads as empty.
    pub(super) fn string(&mut self) -> Result<String> {
        let b = self.buffer()?;
        String::from_utf8(b.to_vec()).map_err(|_| Error::ZkNotUtf8)
    }

    /// A vector of strings; null reads as empty. The count is checked against the bytes
    /// left (every item takes at least 4) before anything is reserved.
    pub(super) fn strings(&mut self) -> Result<Vec<String>> {
        let n = self.i32()?;
        let Ok(n) = usize::try_from(n) else {
            return Ok(Vec::new());
        };
        self.need(n.saturating_mul(4))?;
        (0..n).map(|_| self.string()).collect()
    }

    /// A `Stat`.
    pub(super) fn stat(&mut self) -> Result<Stat> {
        Ok(Stat {
            czxid: self.i64()?,
            mzxid: self.i64()?,
            ctime: self.i64()?,
            mtime: self.i64()?,
            version: self.i32()?,
            cversion: self.i32()?,
            aversion: self.i32()?,
            ephemeral_owner: self.i64()?,
            data_length: self.i32()?,
            num_children: self.i32()?,
            pzxid: self.i64()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_request_layout() {
        let req = connect_request(10_000);
        // length, protocolVersion, lastZxid, timeout, sessionId, passwd(4+16), readOnly
        assert_eq!(req.len(), 4 + 4 + 8 + 4 + 8 + 4 + 16 + 1);
        assert_eq!(&req[..4], &(req.len() as i32 - 4).to_be_bytes());
        assert_eq!(&req[16..20], &10_000i32.to_be_bytes());
    }

    #[test]
    fn strings_round_trip() {
        let mut b = BytesMut::new();
        b.put_i32(2);
        put_str(&mut b, "json.info_0000000001");
        put_str(&mut b, "log_replicas");
        let mut r = Reader(b.freeze());
        assert_eq!(
            r.strings().ok(),
            Some(vec!["json.info_0000000001".to_owned(), "log_replicas".to_owned()])
        );
    }

    #[test]
    fn lengths_past_the_packet_are_errors() {
        let mut b = BytesMut::new();
        b.put_i32(i32::MAX);
        assert!(matches!(Reader(b.clone().freeze()).buffer(), Err(Error::ZkMalformed { .. })));
        assert!(matches!(Reader(b.freeze()).strings(), Err(Error::ZkMalformed { .. })));
        assert!(matches!(
            Reader(Bytes::from_static(&[0, 0])).i32(),
            Err(Error::ZkMalformed { .. })
        ));
    }

    #[test]
    fn null_buffer_is_empty() {
        let mut r = Reader(Bytes::from_static(&[0xff, 0xff, 0xff, 0xff]));
        assert!(r.buffer().is_ok_and(|b| b.is_empty()));
    }
}
