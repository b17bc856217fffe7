//! Ending a command's event loop on Ctrl-C, SIGTERM or SIGHUP (the `ctrlc`
//! crate: no unsafe code in the binary).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use corex::events::Waker;

/// A flag that SIGINT, SIGTERM and SIGHUP set, waking `waker`'s poller so
/// that its wait ends at once. Call once per process.
pub fn stop_on_signals(waker: Waker) -> Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    ctrlc::set_handler({
        let stop = stop.clone();
        move || {
            stop.store(true, Ordering::Release);
            let _ = waker.wake();
        }
    })
    .context("handling SIGINT, SIGTERM and SIGHUP")?;
    Ok(stop)
}
