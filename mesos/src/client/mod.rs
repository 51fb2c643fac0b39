//! The scheduler client: SUBSCRIBE stream, calls, heartbeat watchdog, reconnects, leader detection.
