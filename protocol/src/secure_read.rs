//! The read side of a connection, decrypting once an AuthEngine session switched it on;
//! part of the [`Connection`](crate::Connection) layer, used by servers and clients alike.
//!
//! [`SecureRead`] wraps a socket's read half under the frame reader. Until
//! [`SecureRead::enable`] it passes bytes through and counts them, so the connection can
//! check that no plaintext it has not processed sits in the frame reader's buffer when the
//! cipher starts (bytes a peer pipelined after its handshake would otherwise be taken as
//! authenticated plaintext). The write side needs no wrapper: each side seals its outbound
//! messages itself ([`Encryptor`](crate::auth::cipher::Encryptor)), a server because a file
//! body must be read and encrypted in pieces instead of going out by `sendfile`.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};

use crate::auth::cipher::Decryptor;

/// Ciphertext read from the socket per call while decrypting.
const READ_PIECE: usize = 64 * 1024;

/// A reader that decrypts after [`SecureRead::enable`].
#[derive(Debug)]
pub struct SecureRead<R> {
    inner: R,
    decryptor: Option<Decryptor>,
    /// Plaintext passed on while not decrypting.
    passed: u64,
    /// Decrypted bytes not yet handed to the caller.
    plain: Vec<u8>,
    plain_pos: usize,
    scratch: Vec<u8>,
}

impl<R> SecureRead<R> {
    /// Passes `inner` through until [`SecureRead::enable`].
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            decryptor: None,
            passed: 0,
            plain: Vec::new(),
            plain_pos: 0,
            scratch: Vec::new(),
        }
    }

    /// Bytes handed out before decryption started.
    pub fn plaintext_passed(&self) -> u64 {
        self.passed
    }

    /// Decrypts everything read from now on.
    pub fn enable(&mut self, decryptor: Decryptor) {
        self.decryptor = Some(decryptor);
    }

    /// The wrapped reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for SecureRead<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let decryptor = match &mut this.decryptor {
            None => {
                let before = buf.filled().len();
                ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
                this.passed += (buf.filled().len() - before) as u64;
                return Poll::Ready(Ok(()));
            }
            // A CTR stream decrypts in place, byte for byte, with no buffer of its own.
            Some(Decryptor::Ctr(stream)) => {
                let before = buf.filled().len();
                ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
                stream.apply(&mut buf.filled_mut()[before..]);
                return Poll::Ready(Ok(()));
            }
            Some(decryptor) => decryptor,
        };
        loop {
            if this.plain_pos < this.plain.len() {
                let n = buf.remaining().min(this.plain.len() - this.plain_pos);
                buf.put_slice(&this.plain[this.plain_pos..this.plain_pos + n]);
                this.plain_pos += n;
                return Poll::Ready(Ok(()));
            }
            this.plain.clear();
            this.plain_pos = 0;
            this.scratch.resize(READ_PIECE, 0);
            let mut piece = ReadBuf::new(&mut this.scratch);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut piece))?;
            let n = piece.filled().len();
            if n == 0 {
                if !decryptor.at_boundary() {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "connection closed inside an encrypted message",
                    )));
                }
                return Poll::Ready(Ok(()));
            }
            decryptor
                .feed(&this.scratch[..n], &mut this.plain)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::cipher::{CryptoCipher, SessionKeys};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn passes_plaintext_then_decrypts() {
        for cipher in [CryptoCipher::Ctr, CryptoCipher::Gcm] {
            let keys = SessionKeys::new(vec![7; 32], [1; 16], [2; 16]);
            let (mut client_enc, _) = keys.client(cipher);
            let (_, server_dec) = keys.server(cipher);
            let (mut peer, ours) = tokio::io::duplex(64);
            let mut reader = SecureRead::new(ours);

            peer.write_all(b"plain").await.expect("write");
            let mut got = [0u8; 5];
            reader.read_exact(&mut got).await.expect("read");
            assert_eq!(&got, b"plain");
            assert_eq!(reader.plaintext_passed(), 5);

            reader.enable(server_dec);
            let message: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
            let mut wire = Vec::new();
            let mut sealer = client_enc.message(message.len() as u64).expect("begin");
            sealer.seal(&message, &mut wire).expect("seal");
            let writer = tokio::spawn(async move {
                peer.write_all(&wire).await.expect("write");
            });
            let mut got = vec![0u8; message.len()];
            reader.read_exact(&mut got).await.expect("read");
            assert_eq!(got, message);
            writer.await.expect("writer");
            assert_eq!(reader.read(&mut [0u8; 1]).await.expect("eof"), 0);
        }
    }
}
