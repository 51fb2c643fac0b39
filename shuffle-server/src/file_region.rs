//! A byte range of a shuffle file, sent to a socket with `sendfile(2)`, or, when small,
//! read whole and sent with its header.
//!
//! Disk reads can block for as long as the disk likes, so every file operation (open,
//! stat, read, sendfile) runs on tokio's blocking pool, never on a runtime worker. The
//! number of files open at once is bounded by [`OpenFiles`], which every file user shares.
//!
//! Linux only (`sendfile` with an offset pointer). A closed peer makes `sendfile` raise
//! SIGPIPE; Rust binaries and test harnesses ignore that signal, so it surfaces as `EPIPE`.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinError;

/// Bounds the shuffle files open at once (`spark.shuffle.service.rs.maxOpenFiles`) and runs
/// file work on the blocking pool. Cheap to clone.
#[derive(Debug, Clone)]
pub struct OpenFiles {
    permits: Arc<Semaphore>,
}

impl OpenFiles {
    /// Allows `max` files open at once.
    pub fn new(max: usize) -> Self {
        Self { permits: Arc::new(Semaphore::new(max.min(Semaphore::MAX_PERMITS))) }
    }

    /// Waits for a free file slot. The semaphore is never closed, so a slot always comes.
    async fn acquire(&self) -> Option<OwnedSemaphorePermit> {
        self.permits.clone().acquire_owned().await.ok()
    }

    /// Runs `f`, which opens at most one file and closes it before returning, on the
    /// blocking pool while holding a file slot.
    pub async fn run<T, F>(&self, f: F) -> Result<T, JoinError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permit = self.acquire().await;
        let out = tokio::task::spawn_blocking(f).await;
        drop(permit);
        out
    }
}

/// `len` bytes at `offset` of the file at `path`: one chunk of a stream, not yet opened
/// (Spark's `FileSegmentManagedBuffer`, which also opens lazily).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRegion {
    /// The file.
    pub path: PathBuf,
    /// First byte of the region.
    pub offset: u64,
    /// Length of the region in bytes.
    pub len: u64,
}

impl FileRegion {
    /// Opens the file on the blocking pool, holding one [`OpenFiles`] slot until the
    /// returned region is sent or dropped.
    ///
    /// Fails with `UnexpectedEof` if the file is shorter than `offset + len`, so that the
    /// caller can still answer with a failure message before it writes a header that
    /// promises the bytes.
    pub async fn open(&self, files: &OpenFiles) -> io::Result<OpenRegion> {
        let permit = files.acquire().await;
        let region = self.clone();
        let file = tokio::task::spawn_blocking(move || region.open_checked())
            .await
            .map_err(io::Error::other)??;
        Ok(OpenRegion { file, offset: self.offset, len: self.len, _permit: permit })
    }

    /// Opens, checks and reads the whole region in one trip to the blocking pool: for small
    /// blocks, where the trips and a `sendfile` per block cost more than the copy, and the
    /// body can then leave with its header in one write. Fails as [`FileRegion::open`] does.
    pub async fn read_all(&self, files: &OpenFiles) -> io::Result<Bytes> {
        let region = self.clone();
        files.run(move || region.read_blocking()).await.map_err(io::Error::other)?
    }

    /// [`FileRegion::read_all`] for several regions in one trip to the blocking pool (one
    /// file open at a time): the chunks a client pipelined, read together.
    pub async fn read_many(regions: Vec<Self>, files: &OpenFiles) -> Vec<io::Result<Bytes>> {
        let count = regions.len();
        if count == 0 {
            return Vec::new();
        }
        let read = files.run(move || regions.iter().map(Self::read_blocking).collect()).await;
        read.unwrap_or_else(|e| {
            let e = io::Error::other(e);
            (0..count).map(|_| Err(io::Error::new(e.kind(), e.to_string()))).collect()
        })
    }

    /// Reads the whole region (blocking).
    fn read_blocking(&self) -> io::Result<Bytes> {
        use std::os::unix::fs::FileExt;
        let len = usize::try_from(self.len).map_err(io::Error::other)?;
        let file = self.open_checked()?;
        let mut buf = vec![0u8; len];
        file.read_exact_at(&mut buf, self.offset)?;
        Ok(Bytes::from(buf))
    }

    /// Opens the file and checks that it holds the region (blocking).
    fn open_checked(&self) -> io::Result<File> {
        let file = File::open(&self.path)?;
        let file_len = file.metadata()?.len();
        if self.offset.checked_add(self.len).is_none_or(|end| end > file_len) {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "{} has {file_len} bytes; the block needs {} bytes at offset {}",
                    self.path.display(),
                    self.len,
                    self.offset
                ),
            ));
        }
        Ok(file)
    }
}

/// A [`FileRegion`] whose file is open and long enough, ready to be sent.
#[derive(Debug)]
pub struct OpenRegion {
    file: File,
    offset: u64,
    len: u64,
    _permit: Option<OwnedSemaphorePermit>,
}

/// How long one `poll(2)` waits before the copy loop looks at its cancel flag again.
const POLL_SLICE_MS: libc::c_int = 100;

/// Largest count Linux transfers in one `sendfile` call.
const MAX_SENDFILE: u64 = 0x7fff_f000;

impl OpenRegion {
    /// Length of the region in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the region is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Reads `len` bytes starting `pos` bytes into the region, on the blocking pool, and
    /// hands the region back with them: for bodies that must pass through user space (an
    /// encrypted connection) instead of `sendfile`. Fails with `UnexpectedEof` if the file
    /// shrank since it was opened.
    pub async fn read_piece(self, pos: u64, len: usize) -> io::Result<(Self, Vec<u8>)> {
        let end = pos.checked_add(len as u64).filter(|&end| end <= self.len);
        if end.is_none() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "read past the region"));
        }
        tokio::task::spawn_blocking(move || {
            use std::os::unix::fs::FileExt;
            let mut buf = vec![0u8; len];
            self.file.read_exact_at(&mut buf, self.offset + pos)?;
            Ok((self, buf))
        })
        .await
        .map_err(io::Error::other)?
    }

    /// Copies the region to `socket` with `sendfile(2)`, file to socket in the kernel.
    ///
    /// The whole copy runs on the blocking pool on a duplicate of the socket's descriptor;
    /// when the socket is full it waits with `poll(2)` there. It fails with `TimedOut` once no
    /// byte could be sent for `stall_timeout`, and with `UnexpectedEof` if the file shrank
    /// since it was opened; after an error part of the region may have been sent, so the
    /// connection must be closed. Dropping the future stops the copy within a tenth of a
    /// second of its next wait. The caller must not write to the socket until this returns.
    pub async fn send_to(
        self,
        socket: &TcpStream,
        stall_timeout: Option<Duration>,
    ) -> io::Result<()> {
        if self.len == 0 {
            return Ok(());
        }
        // A duplicate shares the socket's open file description (and its O_NONBLOCK), and
        // can move to the blocking thread without borrowing the stream.
        let sock = socket.as_fd().try_clone_to_owned()?;
        let cancel = CancelOnDrop(Arc::new(AtomicBool::new(false)));
        let flag = cancel.0.clone();
        tokio::task::spawn_blocking(move || self.copy(&sock, &flag, stall_timeout))
            .await
            .map_err(io::Error::other)?
    }

    fn copy(&self, sock: &OwnedFd, cancel: &AtomicBool, stall: Option<Duration>) -> io::Result<()> {
        let (mut offset, end) = (self.offset, self.offset + self.len);
        let mut last_progress = Instant::now();
        while offset < end {
            let mut off = libc::off_t::try_from(offset).map_err(io::Error::other)?;
            let count = (end - offset).min(MAX_SENDFILE) as usize;
            // SAFETY: both descriptors are open for the duration of the call (owned by `self`
            // and `sock`), and `off` is a valid, exclusively borrowed off_t.
            let n =
                unsafe { libc::sendfile(sock.as_raw_fd(), self.file.as_raw_fd(), &mut off, count) };
            match n {
                n if n > 0 => {
                    offset += n as u64;
                    last_progress = Instant::now();
                }
                0 => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("file ended at byte {offset}, before the end of its block ({end})"),
                    ));
                }
                _ => {
                    let err = io::Error::last_os_error();
                    match err.kind() {
                        io::ErrorKind::Interrupted => {}
                        io::ErrorKind::WouldBlock => {
                            wait_writable(sock.as_raw_fd(), cancel, stall, last_progress)?;
                        }
                        _ => return Err(err),
                    }
                }
            }
        }
        Ok(())
    }
}

/// Blocks until `fd` is writable (or in error, which the next write reports), the future
/// that owns the copy is dropped, or nothing was sent for `stall`.
fn wait_writable(
    fd: RawFd,
    cancel: &AtomicBool,
    stall: Option<Duration>,
    last_progress: Instant,
) -> io::Result<()> {
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(io::Error::new(io::ErrorKind::ConnectionAborted, "transfer cancelled"));
        }
        if stall.is_some_and(|stall| last_progress.elapsed() >= stall) {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "peer stopped reading"));
        }
        let mut pfd = libc::pollfd { fd, events: libc::POLLOUT, revents: 0 };
        // SAFETY: `pfd` is one valid pollfd and the count says one.
        let rc = unsafe { libc::poll(&mut pfd, 1, POLL_SLICE_MS) };
        if rc > 0 {
            return Ok(());
        }
        if rc < 0 {
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err);
            }
        }
    }
}

/// Tells the blocking copy to stop when the future awaiting it goes away.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    async fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (client, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
        (accepted.expect("accept").0, client.expect("connect"))
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    #[tokio::test]
    async fn sends_exactly_the_region() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("shuffle_0_0_0.data");
        // Larger than the socket buffers, so the copy has to wait for the reader.
        let data = pattern(24 << 20);
        std::fs::write(&path, &data).expect("write");
        let files = OpenFiles::new(2);
        let (server, mut client) = pair().await;

        let region = FileRegion { path, offset: 1000, len: data.len() as u64 - 3000 };
        let open = region.open(&files).await.expect("open");
        assert_eq!(open.len(), region.len);
        let reader = tokio::spawn(async move {
            let mut got = vec![0u8; region.len as usize];
            client.read_exact(&mut got).await.map(|_| got)
        });
        open.send_to(&server, Some(Duration::from_secs(10))).await.expect("send");
        let got = reader.await.expect("join").expect("read");
        assert!(got == data[1000..data.len() - 2000], "bytes differ");
    }

    #[tokio::test]
    async fn empty_region_sends_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("empty");
        std::fs::write(&path, b"").expect("write");
        let (server, mut client) = pair().await;
        let open =
            FileRegion { path, offset: 0, len: 0 }.open(&OpenFiles::new(1)).await.expect("open");
        open.send_to(&server, None).await.expect("send");
        drop(server);
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).await.expect("read");
        assert!(rest.is_empty());
    }

    #[tokio::test]
    async fn read_all_reads_exactly_the_region_or_refuses_a_short_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("shuffle_0_0_0.data");
        let data = pattern(10_000);
        std::fs::write(&path, &data).expect("write");
        let files = OpenFiles::new(1);
        let region = FileRegion { path: path.clone(), offset: 123, len: 4096 };
        assert_eq!(region.read_all(&files).await.expect("read"), data[123..123 + 4096]);
        let empty = FileRegion { path: path.clone(), offset: 10_000, len: 0 };
        assert!(empty.read_all(&files).await.expect("read").is_empty());
        let short = FileRegion { path: path.clone(), offset: 9_000, len: 1_001 };
        let err = short.read_all(&files).await.expect_err("too short");
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);

        let missing = FileRegion { path: dir.path().join("none"), offset: 0, len: 1 };
        let many = vec![region.clone(), missing, short, FileRegion { offset: 0, ..region }];
        let got = FileRegion::read_many(many, &files).await;
        assert_eq!(got[0].as_ref().expect("first"), &data[123..123 + 4096]);
        assert_eq!(got[1].as_ref().expect_err("missing").kind(), io::ErrorKind::NotFound);
        assert_eq!(got[2].as_ref().expect_err("short").kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(got[3].as_ref().expect("last"), &data[..4096]);
    }

    #[tokio::test]
    async fn short_file_is_refused_at_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("short");
        std::fs::write(&path, [1u8; 10]).expect("write");
        let err = FileRegion { path: path.clone(), offset: 4, len: 7 }
            .open(&OpenFiles::new(1))
            .await
            .expect_err("too short");
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        let missing = FileRegion { path: dir.path().join("none"), offset: 0, len: 1 };
        let err = missing.open(&OpenFiles::new(1)).await.expect_err("missing");
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn file_shrinking_after_open_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("shrinks");
        std::fs::write(&path, pattern(1000)).expect("write");
        let open = FileRegion { path: path.clone(), offset: 0, len: 1000 }
            .open(&OpenFiles::new(1))
            .await
            .expect("open");
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("reopen")
            .set_len(600)
            .expect("truncate");
        let (server, mut client) = pair().await;
        let err = open.send_to(&server, None).await.expect_err("short");
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        drop(server);
        let mut got = Vec::new();
        client.read_to_end(&mut got).await.expect("read");
        assert_eq!(got.len(), 600);
    }

    #[tokio::test]
    async fn a_peer_that_stops_reading_times_out() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big");
        // Sparse: cheap to create, and far more than loopback buffers hold.
        File::create(&path).expect("create").set_len(256 << 20).expect("set_len");
        let (server, _client) = pair().await;
        let open = FileRegion { path, offset: 0, len: 256 << 20 }
            .open(&OpenFiles::new(1))
            .await
            .expect("open");
        let err = open.send_to(&server, Some(Duration::from_millis(300))).await.expect_err("stall");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test]
    async fn open_files_are_bounded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        std::fs::write(&path, b"abc").expect("write");
        let files = OpenFiles::new(1);
        let region = FileRegion { path, offset: 0, len: 3 };
        let first = region.open(&files).await.expect("open");
        let second = tokio::time::timeout(Duration::from_millis(50), region.open(&files)).await;
        assert!(second.is_err(), "second open must wait for the slot");
        drop(first);
        assert!(region.open(&files).await.is_ok());
    }
}
