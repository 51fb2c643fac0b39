//! The process's file limit: raised to the hard limit at start, as operators expect of a
//! server, and the default connection limit derived from it.
//!
//! Every connection and every open shuffle file is a file descriptor. A soft limit of 1024
//! (most shells' and containers' default) would make the daemon fail accepts and opens long
//! before its own bounds; the hard limit is what the operator (systemd's `LimitNOFILE`,
//! Kubernetes' runtime, `ulimit -Hn`) allows, and any process may raise its soft limit to it.

use std::io;

/// File descriptors kept back from connections and shuffle files, for listeners, the
/// registration store, the runtime's own descriptors, `/metrics` scrapes, and the socket
/// a connection over the limit is accepted on before it is closed.
pub const RESERVED_FDS: u64 = 64;

/// Fewest connections the default allows, however low the file limit.
pub const MIN_DEFAULT_CONNECTIONS: usize = 16;

/// Most connections the default allows, however high the file limit: a million idle
/// connections would hold gigabytes (see `docs/operations.md` for the per-connection figure).
pub const MAX_DEFAULT_CONNECTIONS: usize = 65_536;

/// Used for the limit when `RLIMIT_NOFILE` cannot be read.
const ASSUMED_SOFT_LIMIT: u64 = 1024;

/// The soft and hard `RLIMIT_NOFILE` of a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLimit {
    /// Files the process may have open now.
    pub soft: u64,
    /// Ceiling the soft limit may be raised to without privileges.
    pub hard: u64,
}

/// The limit before and after [`raise_file_limit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raised {
    /// As the process was started.
    pub before: FileLimit,
    /// In effect now.
    pub now: FileLimit,
}

/// The process's current file limit.
pub fn file_limit() -> io::Result<FileLimit> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes one rlimit into the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(FileLimit { soft: limit.rlim_cur, hard: limit.rlim_max })
}

/// Raises the soft file limit to the hard one. An unlimited hard limit is not a valid soft
/// `RLIMIT_NOFILE` on Linux (it is capped by `fs.nr_open`), so the soft limit then goes to
/// `fs.nr_open`.
pub fn raise_file_limit() -> io::Result<Raised> {
    let before = file_limit()?;
    let target = if before.hard == libc::RLIM_INFINITY { nr_open() } else { before.hard };
    if before.soft >= target {
        return Ok(Raised { before, now: before });
    }
    let limit = libc::rlimit { rlim_cur: target, rlim_max: before.hard };
    // SAFETY: setrlimit only reads the struct it is given.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Raised { before, now: file_limit()? })
}

/// The kernel's ceiling on a process's file limit.
fn nr_open() -> u64 {
    std::fs::read_to_string("/proc/sys/fs/nr_open")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1 << 20)
}

/// The default connection limit under a soft file limit of `soft` with `max_open_files`
/// shuffle files allowed open: what is left after those and [`RESERVED_FDS`], within
/// [`MIN_DEFAULT_CONNECTIONS`]..=[`MAX_DEFAULT_CONNECTIONS`].
pub fn connections_for(soft: u64, max_open_files: usize) -> usize {
    let files = u64::try_from(max_open_files).unwrap_or(u64::MAX);
    let left = soft.saturating_sub(files.saturating_add(RESERVED_FDS));
    usize::try_from(left)
        .unwrap_or(usize::MAX)
        .clamp(MIN_DEFAULT_CONNECTIONS, MAX_DEFAULT_CONNECTIONS)
}

/// The soft file limit in effect now (1024 if it cannot be read).
pub fn soft_file_limit() -> u64 {
    file_limit().map_or(ASSUMED_SOFT_LIMIT, |l| l.soft)
}

/// [`connections_for`] the soft limit in effect now. With `maxOpenFiles` unset, shuffle files
/// are sized from the limit after connections (`OpenFileBudget::from_limit`), so connections
/// get what half the limit leaves; that keeps the two defaults from depending on each other.
/// The daemon raises its limit before reading its configuration, so the default follows the
/// raised one.
pub fn default_max_connections(max_open_files: Option<usize>) -> usize {
    let soft = soft_file_limit();
    let files = max_open_files.unwrap_or(usize::try_from(soft / 2).unwrap_or(usize::MAX));
    connections_for(soft, files)
}

/// Whether `max_connections` connections and `max_open_files` shuffle files fit the soft
/// limit `soft` with [`RESERVED_FDS`] to spare; when not, accepts and opens can fail with
/// "too many open files" before the daemon's own bounds apply.
pub fn fits(soft: u64, max_connections: usize, max_open_files: usize) -> bool {
    let wanted = u64::try_from(max_connections.saturating_add(max_open_files))
        .unwrap_or(u64::MAX)
        .saturating_add(RESERVED_FDS);
    wanted <= soft
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_connections_follow_the_file_limit() {
        assert_eq!(connections_for(20_000, 1024), 20_000 - 1024 - 64);
        assert_eq!(connections_for(1 << 20, 1024), MAX_DEFAULT_CONNECTIONS);
        assert_eq!(connections_for(1024, 1024), MIN_DEFAULT_CONNECTIONS);
        assert_eq!(connections_for(0, usize::MAX), MIN_DEFAULT_CONNECTIONS);
        assert!(fits(20_000, connections_for(20_000, 1024), 1024));
        assert!(!fits(1024, 4096, 1024));
    }

    #[test]
    fn raising_reaches_the_hard_limit() {
        let raised = raise_file_limit().expect("raise");
        assert!(raised.now.soft >= raised.before.soft);
        assert_eq!(raised.now.hard, raised.before.hard);
        if raised.before.hard != libc::RLIM_INFINITY {
            assert_eq!(raised.now.soft, raised.now.hard);
        }
        assert_eq!(file_limit().expect("read"), raised.now);
    }
}
