//! Confinement of registered local dirs: what an executor may tell the service to read
//! from (blocks), delete from (RemoveBlocks, application cleanup) and hand out (host-local
//! dirs).
//!
//! Spark's service takes `ExecutorShuffleInfo.localDirs` verbatim. Here every dir of a
//! RegisterExecutor must be absolute, free of `..` and not `/`; and when
//! `spark.shuffle.service.rs.allowedLocalDirRoots` is set, lie strictly below one of those
//! roots, both as written and, if it exists, after resolving symbolic links. A registration
//! that breaks a rule is refused whole with an RpcFailure naming the dir and the rule.
//!
//! The check runs at registration: a dir replaced by a symbolic link afterwards is not caught
//! here (run the service as a user that can read only the executors' dirs).

use std::path::{Component, Path, PathBuf};

use shuffle_protocol::shuffle::ExecutorShuffleInfo;

use crate::error::{Error, Result};

/// Checks every local dir of a registration against the rules above.
pub async fn check_local_dirs(info: &ExecutorShuffleInfo, allowed_roots: &[PathBuf]) -> Result<()> {
    for dir in &info.local_dirs {
        check_lexically(dir, allowed_roots).map_err(|rule| refused(dir, rule))?;
    }
    if allowed_roots.is_empty() {
        return Ok(());
    }
    let dirs = info.local_dirs.clone();
    let roots = allowed_roots.to_vec();
    tokio::task::spawn_blocking(move || {
        for dir in &dirs {
            check_resolved(Path::new(dir), &roots).map_err(|rule| refused(dir, rule))?;
        }
        Ok(())
    })
    .await?
}

fn refused(dir: &str, rule: &str) -> Error {
    Error::InvalidRequest(format!("Refusing to register local dir {dir:?}: {rule}"))
}

/// The rules that need no file system.
fn check_lexically(dir: &str, allowed_roots: &[PathBuf]) -> Result<(), &'static str> {
    if dir.contains('\0') {
        return Err("it contains a NUL character");
    }
    let path = Path::new(dir);
    if !path.is_absolute() {
        return Err("local dirs must be absolute paths");
    }
    if path.components().any(|c| c == Component::ParentDir) {
        return Err("local dirs must not contain '..'");
    }
    let normal = normalize(path);
    if normal.parent().is_none() {
        return Err("the root directory cannot be a local dir");
    }
    if !allowed_roots.is_empty() && !is_strictly_below(&normal, allowed_roots) {
        return Err("it is not below spark.shuffle.service.rs.allowedLocalDirRoots");
    }
    Ok(())
}

/// An existing dir must also be below a root once symbolic links are resolved (on both
/// sides: a root may itself be reached through a link).
fn check_resolved(dir: &Path, allowed_roots: &[PathBuf]) -> Result<(), &'static str> {
    let Ok(real) = std::fs::canonicalize(dir) else { return Ok(()) };
    let roots: Vec<PathBuf> = allowed_roots
        .iter()
        .map(|r| std::fs::canonicalize(r).unwrap_or_else(|_| r.clone()))
        .collect();
    if is_strictly_below(&real, &roots) {
        Ok(())
    } else {
        Err("it resolves (through a symbolic link) outside spark.shuffle.service.rs.allowedLocalDirRoots")
    }
}

/// `path` without `.` components and duplicate separators.
fn normalize(path: &Path) -> PathBuf {
    path.components().filter(|c| *c != Component::CurDir).collect()
}

fn is_strictly_below(path: &Path, roots: &[PathBuf]) -> bool {
    roots.iter().any(|root| path != normalize(root) && path.starts_with(normalize(root)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(dirs: &[&str]) -> ExecutorShuffleInfo {
        ExecutorShuffleInfo {
            local_dirs: dirs.iter().map(|d| (*d).to_owned()).collect(),
            sub_dirs_per_local_dir: 64,
            shuffle_manager: "sort".into(),
        }
    }

    async fn check(dirs: &[&str], roots: &[&str]) -> Result<(), String> {
        let roots: Vec<PathBuf> = roots.iter().map(PathBuf::from).collect();
        check_local_dirs(&info(dirs), &roots).await.map_err(|e| e.to_string())
    }

    #[tokio::test]
    async fn without_roots_any_absolute_dir_but_root_is_fine() {
        assert_eq!(check(&["/data/1/blockmgr-x", "/tmp/./b//c"], &[]).await, Ok(()));
        for bad in
            ["", "relative/blockmgr", "./x", "/", "//", "/.", "/data/../etc", "/a/b/..", "/a\0b"]
        {
            let err = check(&["/ok", bad], &[]).await.expect_err(bad);
            assert!(err.contains("Refusing to register local dir"), "{err}");
        }
    }

    #[tokio::test]
    async fn roots_confine_lexically() {
        let roots = ["/data/spark", "/mnt/ssd/"];
        assert_eq!(check(&["/data/spark/blockmgr-1", "/mnt/ssd/x/y"], &roots).await, Ok(()));
        for bad in ["/data/spark", "/data/sparkling/x", "/data", "/etc/x", "/mnt/ssd"] {
            let err = check(&[bad], &roots).await.expect_err(bad);
            assert!(err.contains("allowedLocalDirRoots"), "{bad}: {err}");
        }
    }

    #[tokio::test]
    async fn roots_confine_through_symbolic_links() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().join("root");
        let outside = tmp.path().join("outside");
        std::fs::create_dir_all(root.join("blockmgr-1")).expect("mkdir");
        std::fs::create_dir_all(&outside).expect("mkdir");
        std::os::unix::fs::symlink(&outside, root.join("escape")).expect("symlink");
        let roots = [root.to_str().expect("utf-8")];
        let inside = root.join("blockmgr-1");
        assert_eq!(check(&[inside.to_str().expect("utf-8")], &roots).await, Ok(()));
        let not_yet = root.join("blockmgr-2");
        assert_eq!(check(&[not_yet.to_str().expect("utf-8")], &roots).await, Ok(()));
        let escape = root.join("escape");
        let err = check(&[escape.to_str().expect("utf-8")], &roots).await.expect_err("escape");
        assert!(err.contains("symbolic link"), "{err}");
    }
}
