//! Service configuration, read from `wrangler.toml` `[vars]` through a lookup function so the core
//! never sees the `worker` crate. Every variable has a safe default.

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// R2 key prefix of persisted variants (in the originals bucket when no `VARIANTS` bucket is bound).
    pub variant_prefix: String,
    /// `Cache-Control` of transformed responses.
    pub cache_control: String,
    /// Encoder quality when the URL gives none (1..=100).
    pub default_quality: u8,
    /// Largest width and height a URL may ask for (a larger one is refused, not clamped).
    pub max_width: u32,
    pub max_height: u32,
    /// Peak memory one transform may use, in bytes (the isolate has 128 MB for everything).
    pub memory_budget: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            variant_prefix: "_variants/".into(),
            cache_control: "public, max-age=31536000".into(),
            default_quality: 80,
            max_width: 4096,
            max_height: 4096,
            memory_budget: 64 * 1024 * 1024,
        }
    }
}

impl Config {
    /// Builds the configuration from a variable lookup (`env.var(name)` in the worker).
    /// A variable that is set but invalid is an error, so a typo does not silently fall back.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config> {
        let mut c = Config::default();
        if let Some(v) = get("VARIANT_PREFIX") {
            if v.is_empty() || v.starts_with('/') || v.contains("..") {
                return Err(config_error("VARIANT_PREFIX", "a non-empty key prefix such as _variants/"));
            }
            c.variant_prefix = if v.ends_with('/') { v } else { format!("{v}/") };
        }
        if let Some(v) = get("CACHE_CONTROL") {
            c.cache_control = v;
        }
        if let Some(v) = get("DEFAULT_QUALITY") {
            c.default_quality = parse_in("DEFAULT_QUALITY", &v, 1, 100)? as u8;
        }
        if let Some(v) = get("MAX_WIDTH") {
            c.max_width = parse_in("MAX_WIDTH", &v, 1, 16384)? as u32;
        }
        if let Some(v) = get("MAX_HEIGHT") {
            c.max_height = parse_in("MAX_HEIGHT", &v, 1, 16384)? as u32;
        }
        if let Some(v) = get("MEMORY_BUDGET_MB") {
            c.memory_budget = parse_in("MEMORY_BUDGET_MB", &v, 8, 120)? * 1024 * 1024;
        }
        Ok(c)
    }
}

fn parse_in(name: &str, value: &str, min: u64, max: u64) -> Result<u64> {
    match value.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(config_error(name, &format!("a whole number from {min} to {max}"))),
    }
}

fn config_error(name: &str, expected: &str) -> Error {
    Error::Misconfigured(format!("configuration variable {name} must be {expected}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        assert_eq!(Config::from_lookup(|_| None).unwrap(), Config::default());
    }

    #[test]
    fn reads_every_variable() {
        let c = Config::from_lookup(lookup(&[
            ("VARIANT_PREFIX", "derived"),
            ("CACHE_CONTROL", "public, max-age=60"),
            ("DEFAULT_QUALITY", "70"),
            ("MAX_WIDTH", "2000"),
            ("MAX_HEIGHT", "1000"),
            ("MEMORY_BUDGET_MB", "48"),
        ]))
        .unwrap();
        assert_eq!(c.variant_prefix, "derived/");
        assert_eq!(c.cache_control, "public, max-age=60");
        assert_eq!((c.default_quality, c.max_width, c.max_height), (70, 2000, 1000));
        assert_eq!(c.memory_budget, 48 * 1024 * 1024);
    }

    #[test]
    fn rejects_invalid_values() {
        for (k, v) in [("DEFAULT_QUALITY", "0"), ("MAX_WIDTH", "wide"), ("MEMORY_BUDGET_MB", "500"), ("VARIANT_PREFIX", "../x")] {
            assert!(Config::from_lookup(lookup(&[(k, v)])).is_err(), "{k}={v} accepted");
        }
    }
}
