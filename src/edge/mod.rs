//! The adapter: the only code that touches the Workers runtime (R2, Cache API, responses).
//! Everything it decides is decided by the core; this module only moves bytes and headers.

pub mod cache;
pub mod respond;
pub mod store;
pub mod webp;

use crate::config::Config;
use crate::error::Error;
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

/// Unix seconds, for signature expiry.
pub fn now_secs() -> u64 {
    (worker::js_sys::Date::now() / 1000.0) as u64
}

/// A runtime failure (R2 or Cache API call) becomes a 502 with the runtime's message.
pub fn upstream(e: worker::Error) -> Error {
    Error::Upstream(e.to_string())
}
