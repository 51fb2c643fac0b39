//! Data files kept as memory mappings, which hold no descriptor.
//!
//! The file limit bounds the data files kept open ([`crate::open_files`]), and a host can
//! hold more map outputs than that: 20,000 descriptors keep about 8,800 files, and a wave
//! over 50,000 map outputs then opened, read and closed four files in five, at three times
//! the cost of a read of a kept one. A mapping keeps a file without a descriptor; mappings
//! are bounded by `vm.max_map_count` instead (65,530 by default, and operators raise it for
//! other servers that map many files).
//!
//! The daemon never loads a byte of a mapping itself: a file cut short under its mapping
//! raises SIGBUS on such a load, which would take the daemon down with every connection.
//! The kernel copies the bytes instead, with `process_vm_readv` from the daemon's own
//! memory, which answers a page past the file's end with `EFAULT`; the caller then reads
//! the file the usual way, which says what is wrong with it. A copy of a whole batch of
//! mapped blocks is one system call, where a kept file costs one read per block.
//!
//! Linux only. Where `process_vm_readv` is refused (an old seccomp policy), nothing is
//! mapped ([`copies_work`]).

use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::OnceLock;

/// A whole data file mapped read-only, unmapped when dropped.
#[derive(Debug)]
pub struct MappedFile {
    /// Where the mapping starts; an address, never dereferenced by the daemon.
    addr: usize,
    len: usize,
    /// Device and inode the mapping was made of, to tell whether its path still names it.
    dev: u64,
    ino: u64,
}

impl MappedFile {
    /// Maps all of `file`; `None` if it is empty (nothing to map).
    pub fn map(file: &File) -> io::Result<Option<Self>> {
        let meta = file.metadata()?;
        let len = usize::try_from(meta.len()).map_err(io::Error::other)?;
        if len == 0 {
            return Ok(None);
        }
        // SAFETY: a new shared read-only mapping of an open file at an address the kernel
        // picks; it aliases no Rust object, and nothing reads it but the kernel.
        let addr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        if addr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Some(Self { addr: addr as usize, len, dev: meta.dev(), ino: meta.ino() }))
    }

    /// Bytes mapped: the file's length when it was mapped.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is mapped (never: empty files are not mapped).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether `path` still names the file that was mapped (blocking: a `stat`).
    pub fn is_at(&self, path: &Path) -> bool {
        std::fs::metadata(path).is_ok_and(|meta| meta.dev() == self.dev && meta.ino() == self.ino)
    }

    /// Fills `dst` with the bytes from `offset`, copied by the kernel (blocking: a page not
    /// in memory is read from disk). Fails if the region is not all mapped, or the file no
    /// longer holds it.
    pub fn copy_into(&self, offset: u64, dst: &mut [u8]) -> io::Result<()> {
        copy_all(dst, &[(self, offset, 0..dst.len())])
    }
}

/// Regions of mappings to copy, each `(mapping, offset in its file, destination range)`.
pub type Copies<'a> = [(&'a MappedFile, u64, Range<usize>)];

/// Fills each destination range of `buf` with its mapping's bytes from its offset, the
/// kernel copying them all in one system call (or one per [`MAX_IOVECS`] regions): a
/// batch of 4 KiB blocks costs about two thirds of a call per block. Fails if a region is
/// not all mapped or a file no longer holds it; some other ranges may then be filled.
pub fn copy_all(buf: &mut [u8], copies: &Copies<'_>) -> io::Result<()> {
    for group in copies.chunks(MAX_IOVECS) {
        let mut local = Vec::with_capacity(group.len());
        let mut remote = Vec::with_capacity(group.len());
        let mut total = 0usize;
        for (map, offset, range) in group {
            let start = usize::try_from(*offset).map_err(io::Error::other)?;
            let Some(dst) = buf.get_mut(range.clone()) else {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, "outside the buffer"));
            };
            let len = dst.len();
            if start.checked_add(len).is_none_or(|end| end > map.len) {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "past the mapped length"));
            }
            local.push(libc::iovec { iov_base: dst.as_mut_ptr().cast(), iov_len: len });
            remote.push(libc::iovec {
                iov_base: (map.addr + start) as *mut libc::c_void,
                iov_len: len,
            });
            total += len;
        }
        // SAFETY: each local iovec describes a range of `buf`, exclusively borrowed for the
        // call; each remote one lies within a mapping that `copies` keeps alive. The kernel
        // checks both and fails with EFAULT rather than fault.
        let copied = unsafe {
            libc::process_vm_readv(
                own_pid(),
                local.as_ptr(),
                local.len() as libc::c_ulong,
                remote.as_ptr(),
                remote.len() as libc::c_ulong,
                0,
            )
        };
        if copied < 0 {
            return Err(io::Error::last_os_error());
        }
        if copied as usize != total {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("the files hold {copied} of the {total} mapped bytes"),
            ));
        }
    }
    Ok(())
}

/// Regions copied in one `process_vm_readv` at most (the kernel's `IOV_MAX`).
const MAX_IOVECS: usize = 1024;

impl Drop for MappedFile {
    fn drop(&mut self) {
        // SAFETY: the mapping was made by `map` with this address and length, and nothing
        // refers to it once `self` goes.
        unsafe { libc::munmap(self.addr as *mut libc::c_void, self.len) };
    }
}

/// The process id, taken once: glibc no longer caches it, and a copy asks for it.
fn own_pid() -> libc::pid_t {
    static PID: OnceLock<libc::pid_t> = OnceLock::new();
    // SAFETY: getpid takes no arguments and cannot fail.
    *PID.get_or_init(|| unsafe { libc::getpid() })
}

/// Whether the kernel copies from this process's own memory (`process_vm_readv` may be
/// refused by a seccomp policy); tried once.
pub fn copies_work() -> bool {
    static WORKS: OnceLock<bool> = OnceLock::new();
    *WORKS.get_or_init(|| {
        let from = [7u8; 8];
        let mut to = [0u8; 8];
        let local = libc::iovec { iov_base: to.as_mut_ptr().cast(), iov_len: to.len() };
        let remote = libc::iovec { iov_base: from.as_ptr() as *mut libc::c_void, iov_len: 8 };
        // SAFETY: both iovecs describe live local arrays of 8 bytes; `to` is written only.
        let copied = unsafe { libc::process_vm_readv(own_pid(), &local, 1, &remote, 1, 0) };
        copied == 8 && to == from
    })
}

/// Mappings set aside for everything but data files (the allocator, thread stacks, shared
/// libraries), at least; an eighth of `vm.max_map_count` if that is more.
const OTHER_MAPPINGS: usize = 4096;

/// How many data files may be mapped at once: what `vm.max_map_count` (`max_map_count`)
/// leaves once [`OTHER_MAPPINGS`] or an eighth of it are set aside.
pub fn budget_for(max_map_count: usize) -> usize {
    max_map_count.saturating_sub(OTHER_MAPPINGS.max(max_map_count / 8))
}

/// `vm.max_map_count` as it is now, if it can be read.
pub fn max_map_count() -> Option<usize> {
    std::fs::read_to_string("/proc/sys/vm/max_map_count").ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_what_the_file_holds_and_fails_past_its_end() {
        assert!(copies_work(), "process_vm_readv on our own memory");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("shuffle_0_1_0.data");
        let bytes: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).expect("write");
        let map = MappedFile::map(&File::open(&path).expect("open")).expect("map").expect("some");
        assert_eq!(map.len(), 20_000);
        assert!(map.is_at(&path));
        let mut out = vec![0; 10_000];
        map.copy_into(5_000, &mut out).expect("copy");
        assert_eq!(out, &bytes[5_000..15_000]);
        let err = map.copy_into(15_000, &mut vec![0; 5_001]).expect_err("past the end");
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn a_batch_copies_many_regions_of_many_files_in_place() {
        let dir = tempfile::tempdir().expect("tempdir");
        let maps: Vec<(Vec<u8>, MappedFile)> = (0..3u8)
            .map(|i| {
                let path = dir.path().join(format!("shuffle_0_{i}_0.data"));
                let bytes = vec![i + 1; 9_000];
                std::fs::write(&path, &bytes).expect("write");
                let file = File::open(&path).expect("open");
                (bytes, MappedFile::map(&file).expect("map").expect("some"))
            })
            .collect();
        // Header bytes between the bodies stay as they are.
        let mut buf = vec![0xee; 3 * 4_100];
        let copies: Vec<(&MappedFile, u64, Range<usize>)> = (0..3)
            .map(|i| (&maps[2 - i].1, 100 * i as u64, i * 4_100 + 4..i * 4_100 + 4_100))
            .collect();
        copy_all(&mut buf, &copies).expect("copy");
        for i in 0..3 {
            assert_eq!(&buf[i * 4_100..i * 4_100 + 4], &[0xee; 4]);
            assert_eq!(&buf[i * 4_100 + 4..(i + 1) * 4_100], &maps[2 - i].0[..4_096]);
        }
        let past = [(&maps[0].1, 8_000, 0..4_096)];
        assert!(copy_all(&mut buf, &past).is_err(), "past the file's end");
        let outside = [(&maps[0].1, 0, buf.len() - 1..buf.len() + 1)];
        assert!(copy_all(&mut buf, &outside).is_err(), "past the buffer's end");
    }

    #[test]
    fn a_file_cut_short_under_its_mapping_fails_the_copy_without_a_signal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("shuffle_0_2_0.data");
        std::fs::write(&path, vec![1u8; 64 << 10]).expect("write");
        let map = MappedFile::map(&File::open(&path).expect("open")).expect("map").expect("some");
        std::fs::OpenOptions::new().write(true).open(&path).expect("open").set_len(0).expect("cut");
        assert!(map.copy_into(32 << 10, &mut [0; 4096]).is_err(), "EFAULT, not SIGBUS");
    }

    #[test]
    fn empty_files_are_not_mapped_and_a_replaced_path_is_told() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("empty");
        std::fs::write(&path, b"").expect("write");
        assert!(MappedFile::map(&File::open(&path).expect("open")).expect("map").is_none());
        std::fs::write(&path, b"bytes").expect("write");
        let map = MappedFile::map(&File::open(&path).expect("open")).expect("map").expect("some");
        std::fs::remove_file(&path).expect("remove");
        assert!(!map.is_at(&path), "deleted");
        std::fs::write(&path, b"other").expect("write");
        assert!(!map.is_at(&path), "another file at the path");
    }

    #[test]
    fn the_budget_leaves_room_for_other_mappings() {
        assert_eq!(budget_for(65_530), 65_530 - 8_191);
        assert_eq!(budget_for(8_000), 3_904);
        assert_eq!(budget_for(100), 0);
        assert_eq!(budget_for(1 << 20), (1 << 20) - (1 << 17));
    }
}
