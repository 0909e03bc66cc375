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
    /// The log line. Every text in it passes through [`redact`] first: a URL's `sig=` is a
    /// credential for that URL (whoever reads the logs could serve it, or replay it until `exp`),
    /// so it never reaches the logs, whichever field would carry it.
    pub fn json(&self, o: &Outcome<'_>) -> String {
        let path: String = redact(o.path).chars().take(512).collect();
        let text = |s: &Option<String>| s.as_deref().map(redact);
        let timings = self.timings.map(|t| json!({ "decode": round(t.decode), "resize": round(t.resize), "encode": round(t.encode) }));
        json!({
            "method": o.method,
            "path": path,
            "status": o.status,
            "cache": o.cache,
            "key": text(&self.key),
            "transform": text(&self.transform),
            "bytes_in": self.bytes_in,
            "source": self.source,
            "bytes_out": o.bytes_out,
            "ms": round(o.total_ms),
            "timings": timings,
            "error": text(&self.error),
            "warnings": self.warnings.iter().map(|w| redact(w)).collect::<Vec<_>>(),
        })
        .to_string()
    }
}

/// What a log may say of a signature's value.
pub const REDACTED: &str = "REDACTED";

/// `text` with the value of every `sig=` parameter replaced by [`REDACTED`]: in a query
/// (`?sig=`, `&sig=`), in Cloudflare's options segment (`/cdn-cgi/image/width=100,sig=…/`, where
/// it is refused, but a client may still put one), after `;` or a space, with the name in any
/// case or percent-encoded (`%73ig` is read as `sig` by the query parser). A value runs to the
/// next delimiter of any of these forms.
pub fn redact(text: &str) -> String {
    const DELIMITERS: &[char] = &['?', '&', ',', '/', ';', '#', ' ', '\t', '\'', '"'];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let end = rest.find(DELIMITERS).unwrap_or(rest.len());
        let (part, tail) = rest.split_at(end);
        match part.split_once('=') {
            Some((name, _)) if is_sig(name) => {
                out.push_str(name);
                out.push('=');
                out.push_str(REDACTED);
            }
            _ => out.push_str(part),
        }
        let mut chars = tail.chars();
        match chars.next() {
            Some(delimiter) => out.push(delimiter),
            None => return out,
        }
        rest = chars.as_str();
    }
}

fn is_sig(name: &str) -> bool {
    percent_encoding::percent_decode_str(name).decode_utf8_lossy().eq_ignore_ascii_case("sig")
}

fn round(ms: f64) -> f64 {
    (ms * 10.0).round() / 10.0
}

/// `GET /_health`: the service answers, and which build and pipeline it runs.
pub fn health(build: &str) -> String {
    json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "pipeline": crate::keys::PIPELINE_VERSION,
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
    fn signatures_are_redacted_in_every_form() {
        for (text, expected) in [
            ("/a.jpg?w=100&sig=abc_-DEF", "/a.jpg?w=100&sig=REDACTED"),
            ("/a.jpg?sig=abc&w=100", "/a.jpg?sig=REDACTED&w=100"),
            ("/a.jpg?exp=1&SIG=abc=", "/a.jpg?exp=1&SIG=REDACTED"),
            ("/a.jpg?w=1&%73ig=abc&s%69g=def", "/a.jpg?w=1&%73ig=REDACTED&s%69g=REDACTED"),
            ("/cdn-cgi/image/width=100,sig=abc/a.jpg", "/cdn-cgi/image/width=100,sig=REDACTED/a.jpg"),
            ("/cdn-cgi/image/sig=abc/https://x.example/a.jpg?sig=def", "/cdn-cgi/image/sig=REDACTED/https://x.example/a.jpg?sig=REDACTED"),
            ("bad 'sig=abc' here", "bad 'sig=REDACTED' here"),
            // Not signatures: left as they are.
            ("/design=1/sigma.jpg?signature=x&xsig=y&sig", "/design=1/sigma.jpg?signature=x&xsig=y&sig"),
            ("option 'sig' is given more than once", "option 'sig' is given more than once"),
            ("", ""),
        ] {
            assert_eq!(redact(text), expected, "{text}");
        }
    }

    #[test]
    fn health_names_version_and_build() {
        let v: serde_json::Value = serde_json::from_str(&health("abc123")).unwrap();
        assert_eq!((v["status"].as_str(), v["build"].as_str()), (Some("ok"), Some("abc123")));
        assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    }
}
