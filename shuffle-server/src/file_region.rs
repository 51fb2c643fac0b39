//! A byte range of a shuffle file, sent to a socket with `sendfile(2)`, or, when small,
//! read into the reply buffer right behind its header.
//!
//! Disk reads can block for as long as the disk likes, so file operations that may wait for
//! the disk (open, stat, sendfile, and reads of pages not in memory) run on tokio's blocking
//! pool, never on a runtime worker. A small read of a kept file ([`OpenFiles`]) is first
//! tried on the worker with `RWF_NOWAIT`, which the kernel answers only from the page cache
//! and otherwise refuses at once; that spares the common case, a block read moments after it
//! was written, a trip to another thread.
//!
//! Linux only (`sendfile` with an offset pointer, `preadv2`). A closed peer makes `sendfile`
//! raise SIGPIPE; Rust binaries and test harnesses ignore that signal, so it surfaces as
//! `EPIPE`.

use std::io;
use std::ops::Range;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;

use crate::mapped::{self, MappedFile};
use crate::open_files::{DataFile, FilePath, OpenFiles};

/// `len` bytes at `offset` of the file at `path`: one chunk of a stream, not yet opened
/// (Spark's `FileSegmentManagedBuffer`, which also opens lazily).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRegion {
    /// The file.
    pub path: FilePath,
    /// First byte of the region.
    pub offset: u64,
    /// Length of the region in bytes.
    pub len: u64,
}

impl FileRegion {
    /// Opens the file (on the blocking pool unless it is kept open), holding one
    /// [`OpenFiles`] slot until the returned region is sent or dropped: the kept file's own
    /// (also when this open is what keeps it), or one taken now.
    ///
    /// Fails with `UnexpectedEof` if the file is shorter than `offset + len`, so that the
    /// caller can still answer with a failure message before it writes a header that
    /// promises the bytes.
    pub async fn open(&self, files: &OpenFiles) -> io::Result<OpenRegion> {
        let (file, permit) = match files.kept(&self.path) {
            Some(file) => (file, None),
            None => {
                let permit = files.acquire().await;
                let (opener, path) = (files.clone(), self.path.clone());
                let file = files
                    .spawn(move || opener.open_data(&path))
                    .await
                    .map_err(io::Error::other)??;
                // A file kept from now on holds a slot of its own: one descriptor, one slot.
                let permit = if file.holds_slot() { None } else { permit };
                (file, permit)
            }
        };
        self.check_len(&file)?;
        Ok(OpenRegion { file, offset: self.offset, len: self.len, _permit: permit })
    }

    /// Appends the region's bytes to `out` if its file is kept open and they are in the
    /// page cache: no I/O wait, so safe on a runtime worker. `None` if that would wait (the
    /// file is not kept, or the bytes are not in memory); on error `out` is as it was. A
    /// use of the file, for [`OpenFiles::kept`]: call it once per block.
    pub fn read_kept(&self, files: &OpenFiles, out: &mut Vec<u8>) -> Option<io::Result<()>> {
        let file = files.kept(&self.path)?;
        match self.read_into(&file, out, Wait::No) {
            Err(e)
                if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Unsupported) =>
            {
                None
            }
            done => Some(done),
        }
    }

    /// Appends the region's bytes to `out`: read on this thread if the file is kept open
    /// and the bytes are in the page cache, else on the blocking pool. On error `out` is
    /// as it was; fails as [`FileRegion::open`] does.
    pub async fn read_to(&self, files: &OpenFiles, out: &mut Vec<u8>) -> io::Result<()> {
        if let Some(done) = self.read_kept(files, out) {
            return done;
        }
        let (region, opener) = (self.clone(), files.clone());
        let read = files.run(move || {
            let file = opener.open_data(&region.path)?;
            let mut buf = Vec::new();
            region.read_into(&file, &mut buf, Wait::Yes).map(|()| buf)
        });
        out.extend_from_slice(&read.await.map_err(io::Error::other)??);
        Ok(())
    }

    /// The region's bytes, read as [`FileRegion::read_to`] does.
    pub async fn read_all(&self, files: &OpenFiles) -> io::Result<Bytes> {
        let mut buf = Vec::new();
        self.read_to(files, &mut buf).await?;
        Ok(Bytes::from(buf))
    }

    /// Appends the region's bytes from `file` to `out`; with [`Wait::No`], fails with
    /// `WouldBlock` instead of waiting for the disk (`Unsupported` where the filesystem
    /// cannot tell). On error `out` is as it was.
    fn read_into(&self, file: &DataFile, out: &mut Vec<u8>, wait: Wait) -> io::Result<()> {
        // A small read finds a short file by its end, without a `statx` for the length.
        if self.len > TRUST_READ_END {
            self.check_len(file)?;
        }
        let len = usize::try_from(self.len).map_err(io::Error::other)?;
        append_exact_at(file, out, len, self.offset, wait)
    }

    /// If the region's file is mapped and the mapping holds the region, makes room for its
    /// bytes at the end of `out`, behind its header of `header_len` bytes, to be copied
    /// there by [`copy_mapped`]; what that needs to know of queued read `read`.
    fn mapped_body(
        &self,
        files: &OpenFiles,
        read: usize,
        header_len: usize,
        out: &mut Vec<u8>,
    ) -> Option<MappedBody> {
        let map = files.mapped(&self.path)?;
        let len = usize::try_from(self.len).ok()?;
        if self.offset.checked_add(self.len).is_none_or(|end| end > map.len() as u64) {
            return None;
        }
        let start = out.len();
        // Zeroed, as a Vec holds no uninitialised bytes; 4 KiB of zeros cost far less than
        // a read of its own.
        out.resize(start + len, 0);
        Some(MappedBody { read, map, header: start - header_len, body: start..start + len })
    }

    /// Fails with `UnexpectedEof` unless `file` holds the region.
    fn check_len(&self, file: &DataFile) -> io::Result<()> {
        let file_len = file.length()?;
        if self.offset.checked_add(self.len).is_none_or(|end| end > file_len) {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "{} has {} bytes; the block needs {} bytes at offset {}",
                    self.path.display(),
                    file_len,
                    self.len,
                    self.offset
                ),
            ));
        }
        Ok(())
    }
}

/// A small region to be read into a connection's output with the others of its batch (see
/// [`read_queued`]): its bytes could not be read on the runtime worker.
#[derive(Debug)]
pub struct QueuedRead {
    /// Where its reply starts in the output: the header, whose end is `at`.
    pub reply: usize,
    /// Where its bytes go in the output: they are not there yet.
    pub at: usize,
    /// The region.
    pub region: FileRegion,
}

/// Reads the bytes of every queued region into `out` in one trip to the blocking pool,
/// holding one file slot: each copied from its file's mapping if it is mapped, else the
/// file opened (unless kept; kept if it may be), read, mapped if it may be, and closed in
/// turn, a file shared by consecutive regions opened once. `out` holds the replies
/// in order without the queued bodies; returns it with each body in its place (in a new
/// buffer), and whether each read succeeded. A failed read's header is taken out again and
/// `failed(i, &region, error, &mut out)` writes what replaces it.
pub async fn read_queued<F>(
    files: &OpenFiles,
    out: Vec<u8>,
    reads: Vec<QueuedRead>,
    mut failed: F,
) -> io::Result<(Vec<u8>, Vec<bool>)>
where
    F: FnMut(usize, &FileRegion, io::Error, &mut Vec<u8>) + Send + 'static,
{
    if reads.windows(2).any(|w| w[0].at > w[1].reply)
        || reads.iter().any(|r| r.reply > r.at || r.at > out.len())
    {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "queued reads out of order"));
    }
    let opener = files.clone();
    files
        .run(move || {
            let bodies: u64 = reads.iter().map(|r| r.region.len).sum();
            let mut filled = Vec::with_capacity(out.len() + bodies as usize);
            let mut done = Vec::with_capacity(reads.len());
            let mut sent = 0;
            let mut open: Option<(FilePath, Arc<DataFile>)> = None;
            // Bodies of mapped files, each given its place now and copied at the end, all in
            // one system call.
            let mut mapped: Vec<MappedBody> = Vec::new();
            // Whether a read of this trip would have waited for the disk (or could not
            // tell): from the first that would, the rest of the batch is read ahead.
            let mut disk_seen = false;
            for (i, QueuedRead { reply, at, region }) in reads.iter().enumerate() {
                filled.extend_from_slice(&out[sent..*at]);
                sent = *at;
                let file = match open.take() {
                    Some((path, file)) if path == region.path => Ok(file),
                    _ => match region.mapped_body(&opener, i, at - reply, &mut filled) {
                        Some(body) => {
                            mapped.push(body);
                            done.push(true);
                            continue;
                        }
                        // The file before is closed (unless kept) before the next one opens.
                        None => opener.open_data(&region.path),
                    },
                };
                let read = file.and_then(|mut file| {
                    let wait = if disk_seen { Wait::Yes } else { Wait::No };
                    let mut read = region.read_into(&file, &mut filled, wait);
                    let kind = read.as_ref().err().map(io::Error::kind);
                    if kind == Some(io::ErrorKind::WouldBlock) {
                        // The trip holds one slot: this file closes (unless kept) while the
                        // others are opened one by one.
                        drop(file);
                        read_ahead(&opener, &reads[i..]);
                        file = opener.open_data(&region.path)?;
                    }
                    if matches!(kind, Some(io::ErrorKind::WouldBlock | io::ErrorKind::Unsupported))
                    {
                        disk_seen = true;
                        read = region.read_into(&file, &mut filled, Wait::Yes);
                    }
                    if read.is_ok() {
                        opener.map(&region.path, &file);
                    }
                    open = Some((region.path.clone(), file));
                    read
                });
                done.push(read.is_ok());
                if let Err(e) = read {
                    filled.truncate(filled.len() - (at - reply));
                    failed(i, region, e, &mut filled);
                }
            }
            drop(open);
            copy_mapped(&opener, &reads, &mapped, &mut filled, &mut done, &mut failed);
            filled.extend_from_slice(&out[sent..]);
            (filled, done)
        })
        .await
        .map_err(io::Error::other)
}

/// Least length [`read_ahead`] asks for: Linux's default read-ahead window, which is what a
/// read that waits would have brought in. Reducers take a map output's partitions in turn,
/// so the blocks after this one are the next to be fetched from its file.
const READ_AHEAD_MIN: u64 = 128 * 1024;

/// Starts reading the regions of `reads` into the page cache, each file once, all without
/// waiting: for a batch whose first read would wait for the disk, so that the disk works on
/// all of them at once rather than on one after the other.
fn read_ahead(files: &OpenFiles, reads: &[QueuedRead]) {
    let mut last: Option<&FilePath> = None;
    for QueuedRead { region, .. } in reads {
        if last != Some(&region.path) {
            files.will_need(&region.path, region.offset, region.len.max(READ_AHEAD_MIN));
        }
        last = Some(&region.path);
    }
}

/// The body of queued read `read`, whose file is mapped, in its place in the output.
struct MappedBody {
    read: usize,
    map: Arc<MappedFile>,
    /// Where its reply's header starts in the output.
    header: usize,
    /// Where its body goes.
    body: Range<usize>,
}

/// Copies the mapped bodies into their places in `filled`, in one system call. If a copy
/// fails (a file cut short), each is copied again alone, and a file that still fails is
/// unmapped and read the usual way: its body is read into its place, or its reply is
/// replaced by what `failed` writes.
fn copy_mapped<F>(
    files: &OpenFiles,
    reads: &[QueuedRead],
    mapped: &[MappedBody],
    filled: &mut Vec<u8>,
    done: &mut [bool],
    failed: &mut F,
) where
    F: FnMut(usize, &FileRegion, io::Error, &mut Vec<u8>),
{
    let offset = |body: &MappedBody| reads.get(body.read).map_or(0, |r| r.region.offset);
    let copies: Vec<_> =
        mapped.iter().map(|body| (&*body.map, offset(body), body.body.clone())).collect();
    if mapped.is_empty() || mapped::copy_all(filled, &copies).is_ok() {
        return;
    }
    // From the last, so that a reply replaced by one of another length moves none of those
    // still to do.
    for body in mapped.iter().rev() {
        let Some(QueuedRead { region, .. }) = reads.get(body.read) else { continue };
        let Some(dst) = filled.get_mut(body.body.clone()) else { continue };
        if body.map.copy_into(region.offset, dst).is_ok() {
            continue;
        }
        files.unmap(&region.path);
        let mut bytes = Vec::new();
        let read = files
            .open_data(&region.path)
            .and_then(|file| region.read_into(&file, &mut bytes, Wait::Yes));
        match read {
            Ok(()) if bytes.len() == dst.len() => dst.copy_from_slice(&bytes),
            outcome => {
                let e = outcome.err().unwrap_or_else(|| io::Error::other("read a wrong length"));
                let mut failure = Vec::new();
                failed(body.read, region, e, &mut failure);
                filled.splice(body.header..body.body.end, failure);
                if let Some(ok) = done.get_mut(body.read) {
                    *ok = false;
                }
            }
        }
    }
}

/// Reads up to this length go ahead without checking the file's length first: a file too
/// short fails the read at its end just the same, and the buffer is reserved for no more.
const TRUST_READ_END: u64 = 1 << 20;

/// Whether a read may wait for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    Yes,
    No,
}

/// Appends `len` bytes of `file` from `offset` to `out` with `preadv2`; [`Wait::No`] passes
/// `RWF_NOWAIT`, so pages not in memory fail the read with `WouldBlock` instead of blocking,
/// and a filesystem without that flag fails it with `Unsupported`. On error `out` is as it
/// was.
///
/// The kernel writes straight into `out`'s spare capacity, which is never zeroed: that
/// would be one more pass over every byte of every small block.
fn append_exact_at(
    file: &DataFile,
    out: &mut Vec<u8>,
    len: usize,
    offset: u64,
    wait: Wait,
) -> io::Result<()> {
    let flags = match wait {
        Wait::Yes => 0,
        Wait::No => libc::RWF_NOWAIT,
    };
    out.reserve(len);
    let spare = &mut out.spare_capacity_mut()[..len];
    let mut done = 0;
    while done < len {
        let rest = &mut spare[done..];
        let iov = libc::iovec { iov_base: rest.as_mut_ptr().cast(), iov_len: rest.len() };
        let at = libc::off_t::try_from(offset + done as u64).map_err(io::Error::other)?;
        // SAFETY: the iovec describes `rest`, memory owned by `out` and exclusively
        // borrowed for the call (the kernel only writes it), and the descriptor is open for
        // as long as `file` lives.
        let n = unsafe { libc::preadv2(file.file().as_raw_fd(), &iov, 1, at, flags) };
        match n {
            n if n > 0 => done += n as usize,
            0 => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    // A read at the file's end returns 0: that offset is its length.
                    format!(
                        "has {} bytes; the block needs {len} bytes at offset {offset}",
                        offset + done as u64
                    ),
                ));
            }
            _ => {
                let err = io::Error::last_os_error();
                match err.raw_os_error() {
                    Some(libc::EINTR) => {}
                    Some(libc::EOPNOTSUPP) if wait == Wait::No => {
                        return Err(io::ErrorKind::Unsupported.into());
                    }
                    _ => return Err(err),
                }
            }
        }
    }
    // SAFETY: the loop ends only once `preadv2` has written all `len` bytes after the old
    // end, within the capacity reserved above.
    unsafe { out.set_len(out.len() + len) };
    Ok(())
}

/// A [`FileRegion`] whose file is open and long enough, ready to be sent.
#[derive(Debug)]
pub struct OpenRegion {
    file: Arc<DataFile>,
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
            let mut buf = Vec::new();
            append_exact_at(&self.file, &mut buf, len, self.offset + pos, Wait::Yes)?;
            Ok((self, buf))
        })
        .await
        .map_err(io::Error::other)?
    }

    /// Whether the region holds an [`OpenFiles`] slot besides its file's (its file is not
    /// kept), which it gives back only once sent or dropped.
    pub fn holds_slot(&self) -> bool {
        self._permit.is_some()
    }

    /// Sends the region on the blocking thread, stamping `last_progress` as bytes go.
    fn copy(
        &self,
        sock: &OwnedFd,
        cancel: &AtomicBool,
        stall: Option<Duration>,
        last_progress: &mut Instant,
    ) -> io::Result<()> {
        let (mut offset, end) = (self.offset, self.offset + self.len);
        while offset < end {
            let mut off = libc::off_t::try_from(offset).map_err(io::Error::other)?;
            let count = (end - offset).min(MAX_SENDFILE) as usize;
            // SAFETY: both descriptors are open for the duration of the call (owned by `self`
            // and `sock`), and `off` is a valid, exclusively borrowed off_t.
            let n = unsafe {
                libc::sendfile(sock.as_raw_fd(), self.file.file().as_raw_fd(), &mut off, count)
            };
            match n {
                n if n > 0 => {
                    offset += n as u64;
                    *last_progress = Instant::now();
                }
                0 => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("file ended at byte {offset}, before the end of its block ({end})"),
                    ));
                }
                _ => {
                    let err = io::Error::last_os_error();
                    retry_when_writable(err, sock.as_raw_fd(), cancel, stall, *last_progress)?;
                }
            }
        }
        Ok(())
    }
}

/// A file body to send in the middle of queued bytes.
#[derive(Debug)]
pub struct Splice {
    /// Offset in the bytes where the body goes: the bytes before it are sent first.
    pub at: usize,
    /// The body.
    pub region: OpenRegion,
}

/// Writes `bytes` to `socket` with each body of `splices` (in order of `at`) sent between
/// them by `sendfile(2)`, file to socket in the kernel; hands `bytes` back emptied, for reuse.
///
/// Everything runs in one trip to the blocking pool, on a duplicate of the socket's
/// descriptor; when the socket is full it waits with `poll(2)` there. Bytes before a body are
/// sent with `MSG_MORE`, so a header leaves in its body's first segment rather than alone. It
/// fails with `TimedOut` once no byte could be sent for `stall_timeout`, and with
/// `UnexpectedEof` if a file shrank since it was opened; after an error part of the output may
/// have been sent, so the connection must be closed. Dropping the future stops the copy
/// within a tenth of a second of its next wait. The caller must not write to the socket until
/// this returns.
pub async fn send_spliced(
    socket: &TcpStream,
    bytes: Vec<u8>,
    splices: Vec<Splice>,
    stall_timeout: Option<Duration>,
) -> io::Result<Vec<u8>> {
    if splices.windows(2).any(|w| w[0].at > w[1].at)
        || splices.last().is_some_and(|s| s.at > bytes.len())
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "splice offsets out of order or past the bytes",
        ));
    }
    // A duplicate shares the socket's open file description (and its O_NONBLOCK), and can
    // move to the blocking thread without borrowing the stream.
    let sock = socket.as_fd().try_clone_to_owned()?;
    let cancel = CancelOnDrop(Arc::new(AtomicBool::new(false)));
    let flag = cancel.0.clone();
    tokio::task::spawn_blocking(move || {
        let mut progress = Instant::now();
        let mut sent = 0;
        for Splice { at, region } in &splices {
            let more = !region.is_empty();
            send_bytes(&sock, &bytes[sent..*at], more, &flag, stall_timeout, &mut progress)?;
            region.copy(&sock, &flag, stall_timeout, &mut progress)?;
            sent = *at;
        }
        send_bytes(&sock, &bytes[sent..], false, &flag, stall_timeout, &mut progress)?;
        let mut bytes = bytes;
        bytes.clear();
        Ok(bytes)
    })
    .await
    .map_err(io::Error::other)?
}

/// Writes all of `bytes` to the non-blocking `sock`; with `more`, as `MSG_MORE` (a write
/// follows at once, so the kernel holds a short tail back for it instead of pushing it alone;
/// without a following write that tail would wait).
fn send_bytes(
    sock: &OwnedFd,
    bytes: &[u8],
    more: bool,
    cancel: &AtomicBool,
    stall: Option<Duration>,
    last_progress: &mut Instant,
) -> io::Result<()> {
    let mut done = 0;
    while done < bytes.len() {
        let rest = &bytes[done..];
        // SAFETY: `rest` is valid for `rest.len()` bytes for the call, and the descriptor is
        // open for as long as `sock` lives.
        let n = unsafe {
            libc::send(
                sock.as_raw_fd(),
                rest.as_ptr().cast(),
                rest.len(),
                if more { libc::MSG_MORE | libc::MSG_NOSIGNAL } else { libc::MSG_NOSIGNAL },
            )
        };
        if n > 0 {
            done += n as usize;
            *last_progress = Instant::now();
            continue;
        }
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        let err = io::Error::last_os_error();
        retry_when_writable(err, sock.as_raw_fd(), cancel, stall, *last_progress)?;
    }
    Ok(())
}

/// Handles `err` from a write to the non-blocking `fd`: returns at once to retry an
/// interrupted write, once `fd` is writable to retry a write into a full socket (see
/// [`wait_writable`]), and the error otherwise.
fn retry_when_writable(
    err: io::Error,
    fd: RawFd,
    cancel: &AtomicBool,
    stall: Option<Duration>,
    last_progress: Instant,
) -> io::Result<()> {
    match err.kind() {
        io::ErrorKind::Interrupted => Ok(()),
        io::ErrorKind::WouldBlock => wait_writable(fd, cancel, stall, last_progress),
        _ => Err(err),
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

    /// Truncates the file at `path` to `len` bytes, as if it shrank under the daemon.
    fn cut(path: &std::path::Path, len: u64) {
        let file = std::fs::OpenOptions::new().write(true).open(path).expect("reopen");
        file.set_len(len).expect("truncate");
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

        let region = FileRegion { path: path.into(), offset: 1000, len: data.len() as u64 - 3000 };
        let open = region.open(&files).await.expect("open");
        assert_eq!(open.len(), region.len);
        let reader = tokio::spawn(async move {
            let mut got = vec![0u8; 6 + region.len as usize];
            client.read_exact(&mut got).await.map(|_| got)
        });
        let body = vec![Splice { at: 6, region: open }];
        let stall = Some(Duration::from_secs(10));
        let back = send_spliced(&server, b"header".to_vec(), body, stall).await.expect("send");
        assert!(back.is_empty() && back.capacity() >= 6, "the bytes' buffer comes back");
        let got = reader.await.expect("join").expect("read");
        assert_eq!(&got[..6], b"header");
        assert!(got[6..] == data[1000..data.len() - 2000], "bytes differ");
    }

    #[tokio::test]
    async fn bodies_go_between_the_bytes_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = FilePath::new(dir.path().join("shuffle_0_0_0.data"));
        let data = pattern(300_000);
        std::fs::write(&path, &data).expect("write");
        let files = OpenFiles::new(8);
        let (server, mut client) = pair().await;
        let mut splices = Vec::new();
        for (at, offset, len) in [(1, 0, 100_000), (3, 100_000, 0), (3, 100_000, 200_000)] {
            let region = FileRegion { path: path.clone(), offset, len };
            splices.push(Splice { at, region: region.open(&files).await.expect("open") });
        }
        send_spliced(&server, b"abcd".to_vec(), splices, None).await.expect("send");
        // Nothing follows the last byte, so it must not be held back for more.
        let mut got = vec![0u8; 4 + data.len()];
        tokio::time::timeout(Duration::from_secs(5), client.read_exact(&mut got))
            .await
            .expect("all pushed")
            .expect("read");
        let want = [&b"a"[..], &data[..100_000], b"bc", &data[100_000..], b"d"].concat();
        assert!(got == want, "bytes differ");
    }

    #[tokio::test]
    async fn splices_out_of_order_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = FilePath::new(dir.path().join("f"));
        std::fs::write(&path, b"abc").expect("write");
        let files = OpenFiles::new(8);
        let (server, _client) = pair().await;
        for ats in [[2, 1], [1, 9]] {
            let mut splices = Vec::new();
            for at in ats {
                let region = FileRegion { path: path.clone(), offset: 0, len: 3 };
                splices.push(Splice { at, region: region.open(&files).await.expect("open") });
            }
            let err = send_spliced(&server, b"xyz".to_vec(), splices, None).await;
            assert_eq!(err.expect_err("bad offsets").kind(), io::ErrorKind::InvalidInput);
        }
    }

    #[tokio::test]
    async fn read_to_appends_exactly_the_region_or_leaves_the_buffer_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = FilePath::new(dir.path().join("shuffle_0_0_0.data"));
        let data = pattern(10_000);
        std::fs::write(&path, &data).expect("write");
        // Eight slots keep two files open; one slot keeps none, so every read opens.
        for files in [OpenFiles::new(8), OpenFiles::new(1)] {
            let region = FileRegion { path: path.clone(), offset: 123, len: 4096 };
            let mut out = b"header".to_vec();
            // The first read opens the file; the second finds it kept, when it can be.
            for _ in 0..2 {
                out.truncate(6);
                region.read_to(&files, &mut out).await.expect("read");
                assert_eq!(&out[..6], b"header");
                assert!(out[6..] == data[123..123 + 4096], "bytes differ");
            }
            let empty = FileRegion { path: path.clone(), offset: 10_000, len: 0 };
            assert!(empty.read_all(&files).await.expect("read").is_empty());
            let short = FileRegion { path: path.clone(), offset: 9_000, len: 1_001 };
            let err = short.read_to(&files, &mut out).await.expect_err("too short");
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
            let missing = FileRegion { path: dir.path().join("none").into(), offset: 0, len: 1 };
            let err = missing.read_to(&files, &mut out).await.expect_err("missing");
            assert_eq!(err.kind(), io::ErrorKind::NotFound);
            assert_eq!(out.len(), 6 + 4096, "failed reads leave the buffer as it was");
        }
    }

    #[test]
    fn a_kept_file_cut_short_fails_the_read_without_waiting() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = FilePath::new(dir.path().join("shrinks"));
        std::fs::write(&path, pattern(1000)).expect("write");
        let files = OpenFiles::new(8);
        let file = files.open_data(&path).expect("open");
        cut(&path, 600);
        let region = FileRegion { path, offset: 500, len: 500 };
        let mut out = Vec::new();
        let err = region.read_into(&file, &mut out, Wait::No).expect_err("short");
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(out.is_empty());
    }

    #[tokio::test]
    async fn short_file_is_refused_at_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("short");
        std::fs::write(&path, [1u8; 10]).expect("write");
        let err = FileRegion { path: path.into(), offset: 4, len: 7 }
            .open(&OpenFiles::new(1))
            .await
            .expect_err("too short");
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        let missing = FileRegion { path: dir.path().join("none").into(), offset: 0, len: 1 };
        let err = missing.open(&OpenFiles::new(1)).await.expect_err("missing");
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn file_shrinking_after_open_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("shrinks");
        std::fs::write(&path, pattern(1000)).expect("write");
        let open = FileRegion { path: path.clone().into(), offset: 0, len: 1000 }
            .open(&OpenFiles::new(1))
            .await
            .expect("open");
        cut(&path, 600);
        let (server, mut client) = pair().await;
        let body = vec![Splice { at: 0, region: open }];
        let err = send_spliced(&server, Vec::new(), body, None).await.expect_err("short");
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
        std::fs::File::create(&path).expect("create").set_len(256 << 20).expect("set_len");
        let (server, _client) = pair().await;
        let open = FileRegion { path: path.into(), offset: 0, len: 256 << 20 }
            .open(&OpenFiles::new(1))
            .await
            .expect("open");
        let stall = Some(Duration::from_millis(300));
        let body = vec![Splice { at: 0, region: open }];
        let err = send_spliced(&server, Vec::new(), body, stall).await.expect_err("stall");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test]
    async fn open_files_are_bounded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        std::fs::write(&path, b"abc").expect("write");
        let files = OpenFiles::new(1);
        let region = FileRegion { path: path.into(), offset: 0, len: 3 };
        let first = region.open(&files).await.expect("open");
        let second = tokio::time::timeout(Duration::from_millis(50), region.open(&files)).await;
        assert!(second.is_err(), "second open must wait for the slot");
        drop(first);
        assert!(region.open(&files).await.is_ok());
    }

    #[tokio::test]
    async fn a_region_of_a_kept_file_takes_no_second_slot() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = FilePath::new(dir.path().join("f"));
        std::fs::write(&path, b"abc").expect("write");
        // Four slots keep one file open; one slot keeps none.
        let region = FileRegion { path, offset: 0, len: 3 };
        let keeping = OpenFiles::new(4);
        let opened = region.open(&keeping).await.expect("open, now kept");
        let again = region.open(&keeping).await.expect("open the kept file");
        assert!(!opened.holds_slot() && !again.holds_slot());
        let not_keeping = OpenFiles::new(1);
        assert!(region.open(&not_keeping).await.expect("open").holds_slot());
    }

    /// Drops the clean pages of `path` from the page cache; whether a read of them would now
    /// wait for the disk.
    fn evict(path: &std::path::Path) -> bool {
        let file = std::fs::File::open(path).expect("open");
        file.sync_all().expect("sync");
        // SAFETY: the descriptor is open for the call; the advice only reads it.
        unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        drop(file);
        let file = OpenFiles::new(1).open_data(&FilePath::new(path)).expect("reopen");
        let read = append_exact_at(&file, &mut Vec::new(), 4096, 0, Wait::No);
        read.is_err_and(|e| e.kind() == io::ErrorKind::WouldBlock)
    }

    #[tokio::test]
    async fn a_batch_out_of_the_page_cache_is_read_ahead_in_its_one_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = pattern(3 * 4096);
        let paths: Vec<_> = (0..8)
            .map(|i| {
                let path = dir.path().join(format!("shuffle_0_{i}_0.data"));
                std::fs::write(&path, &data).expect("write");
                assert!(evict(&path), "this filesystem keeps {} in memory", path.display());
                path
            })
            .collect();
        let files = OpenFiles::new(8);
        // Each reply a 3-byte header, then the middle 4 KiB of its map output.
        let mut out = Vec::new();
        let mut want = Vec::new();
        let mut reads = Vec::new();
        for (i, path) in paths.iter().enumerate() {
            let header = [b'h', b'0' + i as u8, b':'];
            let reply = out.len();
            out.extend_from_slice(&header);
            want.extend_from_slice(&header);
            want.extend_from_slice(&data[4096..8192]);
            let region = FileRegion { path: path.clone().into(), offset: 4096, len: 4096 };
            reads.push(QueuedRead { reply, at: out.len(), region });
        }
        let before = files.blocking_trips();
        let (filled, done) =
            read_queued(&files, out, reads, |i, _, e, _| panic!("read {i} failed: {e}"))
                .await
                .expect("read");
        assert_eq!(files.blocking_trips() - before, 1);
        assert!(done.iter().all(|&ok| ok), "{done:?}");
        assert!(filled == want, "the bodies differ");
    }
}
