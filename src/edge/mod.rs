//! The adapter: the only code that touches the Workers runtime (R2, Cache API, responses).
//! Everything it decides is decided by the core; this module only moves bytes and headers.

pub mod cache;
pub mod respond;
pub mod store;
pub mod webp;

use crate::config::Config;
use crate::error::Error;
use crate::pipeline::in_flight::{self, InFlight};
use worker::Env;

/// Reads the configuration from `[vars]`.
pub fn config(env: &Env) -> Result<Config, Error> {
    // Secrets (`SIGNING_KEY`, `SIGNING_KEY_PREVIOUS`) are read the same way as plain variables.
    Config::from_lookup(|name| env.var(name).map(|v| v.to_string()).or_else(|_| env.secret(name).map(|s| s.to_string())).ok())
}

/// Milliseconds, for `Server-Timing`. (Deployed Workers advance the clock only across I/O, so
/// there the per-step numbers are coarse; locally they are exact.)
pub fn now_ms() -> f64 {
    worker::js_sys::Date::now()
}

/// The isolate's wasm memory: ours and the WebP encoder's. Linear memory never shrinks, so this
/// is the high-water mark since the instance started (`DEBUG_HEADERS=true` reports it).
pub fn memory_report() -> String {
    let ours = core::arch::wasm32::memory_size(0) as u64 * 65536;
    format!("wasm={ours}, webp={}", webp::memory())
}

/// The request's one JSON log line (`wrangler tail`, Workers Logs).
pub fn log(req: &worker::Request, resp: &worker::Response, trace: &crate::trace::Trace, total_ms: f64) {
    let header = |name: &str| resp.headers().get(name).ok().flatten();
    let url = req.url().ok();
    let path = url.as_ref().map(|u| match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_string(),
    });
    let method = req.method();
    let outcome = crate::trace::Outcome {
        method: method.as_ref(),
        path: path.as_deref().unwrap_or(""),
        status: resp.status_code(),
        cache: header("x-cache"),
        bytes_out: header("content-length").and_then(|v| v.parse().ok()),
        total_ms,
    };
    worker::console_log!("{}", trace.json(&outcome));
}

thread_local! {
    /// This isolate's originals in flight (one wasm instance per isolate, one thread).
    static IN_FLIGHT: std::cell::RefCell<InFlight> = std::cell::RefCell::new(InFlight::default());
}

/// A share of the isolate's in-flight budget, given back when dropped (also on errors).
pub struct Slot(u64);

impl Drop for Slot {
    fn drop(&mut self) {
        IN_FLIGHT.with(|f| f.borrow_mut().give_back(self.0));
    }
}

/// Waits up to `IN_FLIGHT_WAIT_MS` for room to read and resize an original of `size` bytes.
pub async fn take_slot(size: u64, config: &Config) -> Result<Slot, Error> {
    let deadline = now_ms() + config.in_flight_wait_ms as f64;
    loop {
        if IN_FLIGHT.with(|f| f.borrow_mut().try_take(size, config.in_flight_budget)) {
            return Ok(Slot(size));
        }
        if now_ms() >= deadline {
            return Err(in_flight::busy(IN_FLIGHT.with(|f| *f.borrow()), config.in_flight_budget));
        }
        worker::Delay::from(std::time::Duration::from_millis(25)).await;
    }
}

/// Unix seconds, for signature expiry.
pub fn now_secs() -> u64 {
    (worker::js_sys::Date::now() / 1000.0) as u64
}

/// A runtime failure (R2 or Cache API call) becomes a 502 with the runtime's message.
pub fn upstream(e: worker::Error) -> Error {
    Error::Upstream(e.to_string())
}
