//! The agent's fetcher: copies a task's URIs into its sandbox before the command starts.
//! Only local paths and `file://` URIs are fetched (there is no network here); archives are
//! extracted with the system's `tar` and `unzip`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// One `CommandInfo.URI`, as the fetcher needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UriSpec {
    /// A local path or `file://` URI.
    pub value: String,
    /// Make the fetched file executable (and do not extract it).
    pub executable: bool,
    /// Extract `.tar`, `.tar.gz`, `.tgz`, `.tar.bz2`, `.txz`, `.tar.xz` and `.zip` archives.
    pub extract: bool,
    /// The name to give the file in the sandbox instead of the URI's basename.
    pub output_file: Option<String>,
}

/// Fetches every URI into `sandbox`, in order; the first failure stops the launch.
pub async fn fetch_all(sandbox: &Path, uris: &[UriSpec]) -> Result<()> {
    for uri in uris {
        fetch(sandbox, uri).await?;
    }
    Ok(())
}

async fn fetch(sandbox: &Path, uri: &UriSpec) -> Result<()> {
    let source = local_path(&uri.value)?;
    let name = match &uri.output_file {
        Some(name) => relative_inside(name).ok_or_else(|| unsupported(&uri.value))?,
        None => PathBuf::from(source.file_name().ok_or_else(|| unsupported(&uri.value))?),
    };
    let dest = sandbox.join(&name);
    if let Some(parent) = dest.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    tokio::fs::copy(&source, &dest)
        .await
        .map_err(|source_err| Error::Fetch { path: source.clone(), source: source_err })?;
    if uri.executable {
        tokio::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o755)).await?;
    } else if uri.extract {
        extract(sandbox, &dest).await?;
    }
    Ok(())
}

fn unsupported(uri: &str) -> Error {
    Error::UnsupportedUri { uri: uri.to_owned() }
}

/// `file:///a/b` and `/a/b` are local; every other scheme is refused.
fn local_path(uri: &str) -> Result<PathBuf> {
    let path = match uri.strip_prefix("file://") {
        Some(rest) => rest,
        None if uri.contains("://") => return Err(unsupported(uri)),
        None => uri,
    };
    if path.is_empty() {
        return Err(unsupported(uri));
    }
    Ok(PathBuf::from(path))
}

/// A scheduler-chosen name must stay inside the sandbox.
fn relative_inside(name: &str) -> Option<PathBuf> {
    let path = PathBuf::from(name);
    let plain = path.components().all(|c| matches!(c, Component::Normal(_)));
    (plain && !name.is_empty()).then_some(path)
}

async fn extract(sandbox: &Path, archive: &Path) -> Result<()> {
    let name = archive.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let tar = [".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz"];
    let mut command = if tar.iter().any(|ext| name.ends_with(ext)) {
        let mut c = tokio::process::Command::new("tar");
        c.arg("-xf").arg(archive).arg("-C").arg(sandbox);
        c
    } else if name.ends_with(".zip") {
        let mut c = tokio::process::Command::new("unzip");
        c.arg("-o").arg("-q").arg(archive).arg("-d").arg(sandbox);
        c
    } else {
        return Ok(());
    };
    let status = command.stdin(std::process::Stdio::null()).status().await?;
    if !status.success() {
        return Err(Error::Extract { path: archive.to_owned(), status });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(value: &str) -> UriSpec {
        UriSpec { value: value.into(), executable: false, extract: true, output_file: None }
    }

    #[tokio::test]
    async fn copies_local_paths_and_file_uris() {
        let dir = tempfile::tempdir().expect("test");
        let src = dir.path().join("in.txt");
        std::fs::write(&src, b"hello").expect("test");
        let sandbox = dir.path().join("sandbox");
        std::fs::create_dir(&sandbox).expect("test");
        let mut named = uri(&format!("file://{}", src.display()));
        named.output_file = Some("sub/renamed.txt".into());
        named.executable = true;
        fetch_all(&sandbox, &[uri(src.to_str().expect("test")), named]).await.expect("test");
        assert_eq!(std::fs::read(sandbox.join("in.txt")).expect("test"), b"hello");
        let meta = std::fs::metadata(sandbox.join("sub/renamed.txt")).expect("test");
        assert_eq!(meta.permissions().mode() & 0o111, 0o111);
    }

    #[tokio::test]
    async fn extracts_tarballs() {
        let dir = tempfile::tempdir().expect("test");
        std::fs::create_dir(dir.path().join("pkg")).expect("test");
        std::fs::write(dir.path().join("pkg/run.sh"), b"echo hi").expect("test");
        let tgz = dir.path().join("pkg.tgz");
        let ok = std::process::Command::new("tar")
            .arg("-czf")
            .arg(&tgz)
            .arg("-C")
            .arg(dir.path())
            .arg("pkg")
            .status()
            .expect("test");
        assert!(ok.success());
        let sandbox = dir.path().join("sandbox");
        std::fs::create_dir(&sandbox).expect("test");
        fetch_all(&sandbox, &[uri(tgz.to_str().expect("test"))]).await.expect("test");
        assert!(sandbox.join("pkg/run.sh").exists());
    }

    #[tokio::test]
    async fn refuses_remote_uris_and_escaping_names() {
        let dir = tempfile::tempdir().expect("test");
        let err =
            fetch_all(dir.path(), &[uri("http://example.invalid/x")]).await.expect_err("must fail");
        assert!(matches!(err, Error::UnsupportedUri { .. }));
        let mut escaping = uri("/etc/hostname");
        escaping.output_file = Some("../x".into());
        assert!(fetch_all(dir.path(), &[escaping]).await.is_err());
    }
}
