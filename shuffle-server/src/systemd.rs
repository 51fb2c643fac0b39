//! The systemd notify protocol (`Type=notify` units): `READY=1` once the daemon serves,
//! `STOPPING=1` when it starts draining, and `WATCHDOG=1` pings when the unit sets
//! `WatchdogSec`. Outside systemd (`NOTIFY_SOCKET` unset) every call is a no-op.

use std::time::Duration;

use sd_notify::NotifyState;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

/// Tells the service manager the daemon serves on `addr`.
pub fn ready(addr: &str) {
    let status = format!("serving on {addr}");
    send(&[NotifyState::Ready, NotifyState::Status(&status)]);
}

/// Tells the service manager the daemon is stopping (draining its connections).
pub fn stopping() {
    send(&[NotifyState::Stopping, NotifyState::Status("draining connections")]);
}

/// Pings the watchdog at half the interval the unit asked for until `stop` fires, when the
/// unit has `WatchdogSec` set. The pings come from a task on the daemon's runtime, so a
/// runtime whose workers are all stuck stops them and systemd restarts the daemon.
pub fn spawn_watchdog(stop: CancellationToken) {
    let Some(interval) = sd_notify::watchdog_enabled() else { return };
    let period = (interval / 2).max(Duration::from_millis(100));
    debug!(?interval, "systemd watchdog enabled");
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(period);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = ticks.tick() => send(&[NotifyState::Watchdog]),
            }
        }
    });
}

fn send(states: &[NotifyState<'_>]) {
    if let Err(e) = sd_notify::notify(states) {
        warn!(error = %e, "cannot notify systemd");
    }
}
