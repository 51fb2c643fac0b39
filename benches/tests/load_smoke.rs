//! The load tool end to end on a tiny shape against our daemon in-process: every request
//! shape completes and every byte verifies (a smoke test; no figure is asserted).
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use shuffle_benches::inproc::InProcessServer;
use shuffle_benches::layout::{Layout, Shape};
use shuffle_benches::load::{self, LoadConfig, Mode};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_tool_fetches_and_verifies_every_shape() -> Result<(), load::Error> {
    let server = InProcessServer::start(2)?;
    let dir = tempfile::tempdir()?;
    let layout = Arc::new(Layout::create(dir.path(), Shape::new(4, 20, 1000))?);
    let pid = std::process::id();
    for (mode, k, conc) in [(Mode::Blocks, 7, 1), (Mode::Blocks, 10, 4), (Mode::Batch, 4, 3)] {
        let mut cfg = LoadConfig::new(server.addr.to_string());
        cfg.mode = mode;
        cfg.ids_per_request = k;
        cfg.reduces_per_id = 5;
        cfg.concurrency = conc;
        cfg.server_pid = Some(pid);
        let report = tokio::time::timeout(Duration::from_secs(20), load::run(&cfg, layout.clone()))
            .await??;
        assert!(report.verified, "{mode:?}: {:?}", report.errors);
        assert_eq!(report.blocks, 80, "{mode:?}: one pass covers every block once");
        assert_eq!(report.bytes, 80_000);
        assert!(report.server.as_ref().is_some_and(|s| s.peak_rss_mib > 0.0));
        assert!(report.to_text().contains("verified"));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_that_changed_on_disk_fails_verification() -> Result<(), load::Error> {
    let server = InProcessServer::start(1)?;
    let dir = tempfile::tempdir()?;
    let shape = Shape::new(1, 4, 100);
    let layout = Arc::new(Layout::create(dir.path(), shape)?);
    // Flip one byte of the data file behind the layout's back.
    let data = find(dir.path(), ".data").ok_or("no data file")?;
    let mut bytes = std::fs::read(&data)?;
    bytes[250] ^= 1;
    std::fs::write(&data, bytes)?;
    let mut cfg = LoadConfig::new(server.addr.to_string());
    cfg.ids_per_request = 4;
    let report = load::run(&cfg, layout).await?;
    assert!(!report.verified);
    assert!(report.errors.iter().any(|e| e.contains("reduce 2")), "{:?}", report.errors);
    Ok(())
}

fn find(dir: &std::path::Path, suffix: &str) -> Option<std::path::PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = find(&path, suffix) {
                return Some(found);
            }
        } else if path.to_string_lossy().ends_with(suffix) {
            return Some(path);
        }
    }
    None
}
