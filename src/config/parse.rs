//! The shapes every variable's value is read in (a number in a range, a boolean, a list), and
//! the error that names the variable: shared by `read.rs` and `origin.rs`.

use crate::error::{Error, Result};

pub(super) fn boolean(name: &str, value: &str) -> Result<bool> {
    match value.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(config_error(name, "true or false")),
    }
}

/// Items separated by commas and/or spaces.
pub(super) fn list(v: &str) -> impl Iterator<Item = &str> {
    v.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty())
}

pub(super) fn parse_in(name: &str, value: &str, min: u64, max: u64) -> Result<u64> {
    match value.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(config_error(name, &format!("a whole number from {min} to {max}"))),
    }
}

pub(super) fn config_error(name: &str, expected: &str) -> Error {
    Error::Misconfigured(format!("configuration variable {name} must be {expected}"))
}

/// The most any body held in memory whole may be (an original read to transform, an upload, an
/// origin's answer): twice that (the JS heap, then wasm memory) still leaves room in 128 MB.
pub(super) const MAX_BODY_MB: u64 = 48;
