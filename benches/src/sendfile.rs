//! The machine's ceiling for serving a file over loopback: a server thread `sendfile(2)`s a
//! page-cached file again and again to a client thread that reads and discards (or only
//! checksums) it; no protocol, no framing. The senders' CPU time per GB is what `sendfile`
//! itself costs, the floor for a server's CPU on large blocks.

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// One measurement.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendfileResult {
    /// Parallel connections (a server and a client thread each).
    pub connections: usize,
    /// Whether the client took a CRC-32 of everything it read, as the load tool does.
    pub checksum: bool,
    /// Bytes received by all clients.
    pub bytes: u64,
    /// Wall time, seconds.
    pub seconds: f64,
    /// 10^9 bytes per second.
    pub gb_per_s: f64,
    /// CPU seconds the sending threads used per 10^9 bytes: the kernel's cost of `sendfile`
    /// over loopback (including the loopback delivery it runs on the sender's CPU time),
    /// below which no server that uses it can go.
    pub sender_cpu_s_per_gb: f64,
}

/// Writes a `size`-byte file of pseudo-random bytes to `path` (it stays in the page cache).
pub fn write_file(path: &Path, size: usize) -> io::Result<()> {
    let mut file = File::create(path)?;
    let mut block = vec![0u8; 1 << 20];
    let mut left = size;
    let mut i = 0;
    while left > 0 {
        crate::layout::fill_block(i, 0, &mut block);
        let n = left.min(block.len());
        file.write_all(&block[..n])?;
        left -= n;
        i += 1;
    }
    file.sync_all()
}

/// Sends `path` over `connections` loopback connections for about `duration`.
pub fn measure(
    path: &Path,
    duration: Duration,
    connections: usize,
    checksum: bool,
) -> io::Result<SendfileResult> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let len = File::open(path)?.metadata()?.len();
    let connections = connections.max(1);
    let started = Instant::now();
    let deadline = started + duration;
    let mut servers = Vec::new();
    let mut clients = Vec::new();
    for _ in 0..connections {
        let client = TcpStream::connect(addr)?;
        let (server, _) = listener.accept()?;
        let file = File::open(path)?;
        servers.push(std::thread::spawn(move || serve(server, &file, len, deadline)));
        clients.push(std::thread::spawn(move || drain(client, checksum)));
    }
    let mut bytes = 0;
    for client in clients {
        bytes += client.join().map_err(|_| io::Error::other("client thread panicked"))??;
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut sender_cpu = 0.0;
    for server in servers {
        sender_cpu += server.join().map_err(|_| io::Error::other("server thread panicked"))??;
    }
    Ok(SendfileResult {
        connections,
        checksum,
        bytes,
        seconds,
        gb_per_s: bytes as f64 / 1e9 / seconds,
        sender_cpu_s_per_gb: sender_cpu / (bytes as f64 / 1e9),
    })
}

/// Sends the file again and again until `deadline`; returns the thread's CPU seconds.
fn serve(socket: TcpStream, file: &File, len: u64, deadline: Instant) -> io::Result<f64> {
    while Instant::now() < deadline {
        let mut offset: libc::off_t = 0;
        while (offset as u64) < len {
            let left = (len - offset as u64) as usize;
            // SAFETY: both descriptors are open for the duration of the call and `offset`
            // is a valid pointer to an off_t.
            let n =
                unsafe { libc::sendfile(socket.as_raw_fd(), file.as_raw_fd(), &mut offset, left) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            if n == 0 {
                break;
            }
        }
    }
    let cpu = thread_cpu_seconds()?;
    socket.shutdown(Shutdown::Write)?;
    Ok(cpu)
}

/// CPU time (user and system) the calling thread has used, in seconds.
fn thread_cpu_seconds() -> io::Result<f64> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, exclusively borrowed timespec.
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9)
}

fn drain(mut socket: TcpStream, checksum: bool) -> io::Result<u64> {
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    let mut crc = crc32fast::Hasher::new();
    loop {
        let n = socket.read(&mut buf)?;
        if n == 0 {
            break;
        }
        if checksum {
            crc.update(&buf[..n]);
        }
        total += n as u64;
    }
    std::hint::black_box(crc.finalize());
    Ok(total)
}
