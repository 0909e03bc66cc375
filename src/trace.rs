//! Observability that does not need the runtime: the one JSON log line per request (visible in
//! `wrangler tail` and Workers Logs) and the `/_health` document.

use crate::pipeline::Timings;
use serde_json::json;

/// What one request did, filled in as the flow goes and logged once at the end.
#[derive(Debug, Default, Clone)]
pub struct Trace {
    pub key: Option<String>,
    /// The resolved canonical transform.
    pub transform: Option<String>,
    /// Bytes of the original (or its mezzanine) read into memory (a resize).
    pub bytes_in: Option<u64>,
    /// `"mezzanine"` when a resize read the original's mezzanine instead of the original.
    pub source: Option<&'static str>,
    pub timings: Option<Timings>,
    pub error: Option<String>,
    /// What went wrong without costing the client its answer (a failing cache or variant read).
    pub warnings: Vec<String>,
}

/// What the response says about itself.
pub struct Outcome<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub status: u16,
    pub cache: Option<String>,
    pub bytes_out: Option<u64>,
    pub total_ms: f64,
}

impl Trace {
    pub fn json(&self, o: &Outcome<'_>) -> String {
        let path: String = o.path.chars().take(512).collect();
        let timings = self.timings.map(|t| json!({ "decode": round(t.decode), "resize": round(t.resize), "encode": round(t.encode) }));
        json!({
            "method": o.method,
            "path": path,
            "status": o.status,
            "cache": o.cache,
            "key": self.key,
            "transform": self.transform,
            "bytes_in": self.bytes_in,
            "source": self.source,
            "bytes_out": o.bytes_out,
            "ms": round(o.total_ms),
            "timings": timings,
            "error": self.error,
            "warnings": self.warnings,
        })
        .to_string()
    }
}

fn round(ms: f64) -> f64 {
    (ms * 10.0).round() / 10.0
}

/// `GET /_health`: the service answers, and which build and pipeline it runs.
pub fn health(build: &str) -> String {
    json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "pipeline": crate::http::PIPELINE_VERSION,
        "build": build,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_parseable_line_with_every_field() {
        let t =
            Trace { key: Some("a \"b\".jpg".into()), transform: Some("w=100,q=80,f=jpeg".into()), bytes_in: Some(5), ..Default::default() };
        let o = Outcome { method: "GET", path: "/a?w=100", status: 200, cache: Some("MISS".into()), bytes_out: Some(3), total_ms: 12.345 };
        let line = t.json(&o);
        assert!(!line.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["key"], "a \"b\".jpg");
        assert_eq!(v["status"], 200);
        assert_eq!(v["ms"], 12.3);
        assert_eq!(v["bytes_out"], 3);
        assert!(v["error"].is_null());
    }

    #[test]
    fn health_names_version_and_build() {
        let v: serde_json::Value = serde_json::from_str(&health("abc123")).unwrap();
        assert_eq!((v["status"].as_str(), v["build"].as_str()), (Some("ok"), Some("abc123")));
        assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    }
}
