//! What a signature vouches for and what it must not give away: the log line never carries a
//! `sig=` (or an upload token).

use super::memory::UNIX_START_MS;
use super::world::{request, World};
use super::{world, KEY};
use crate::config::Config;
use crate::flow::{Method, Request};
use crate::trace::{Outcome, Trace};

const TOKEN: &str = "a-local-upload-token";

fn signed_config(extra: &[(&str, &str)]) -> Config {
    Config::from_lookup(|name| match name {
        "SIGNING_KEY" => Some(KEY.to_string()),
        "UPLOAD_TOKEN" => Some(TOKEN.to_string()),
        _ => extra.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string()),
    })
    .unwrap()
}

/// `url` (a path and query) with its `sig=` appended.
fn signed(url: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}sig={}", crate::policy::sign(url, KEY.as_bytes()))
}

/// The request's log line, as the adapter writes it (`edge::log`): the path and query as sent.
async fn log_line(w: &World, req: Request) -> (u16, String) {
    let path = match &req.query {
        Some(q) => format!("{}?{q}", req.path),
        None => req.path.clone(),
    };
    let method = format!("{:?}", req.method).to_ascii_uppercase();
    let (res, trace): (_, Trace) = w.send(req).await;
    let outcome = Outcome { method: &method, path: &path, status: res.status, cache: None, bytes_out: None, total_ms: 1.0 };
    (res.status, trace.json(&outcome))
}

/// No 8-character run of `secret` appears in `line`.
fn leaks(line: &str, secret: &str) -> Option<String> {
    let chars: Vec<char> = secret.chars().collect();
    chars.windows(8).map(|w| w.iter().collect::<String>()).find(|part| line.contains(part.as_str()))
}

/// Every place a signature can be put in a URL, valid or not, answered with whatever status:
/// the one JSON log line per request holds no part of it. Nor of the upload token.
#[tokio::test(start_paused = true)]
async fn the_log_line_never_carries_a_signature_or_an_upload_token() {
    let w = world(signed_config(&[]));
    let exp = (UNIX_START_MS / 1000.0) as u64 + 60;
    let good = signed("/photo.jpg?w=100");
    let sig = good.rsplit_once("sig=").unwrap().1.to_string();
    let cases: Vec<(String, u16)> = vec![
        (good.clone(), 200),
        (signed(&format!("/photo.jpg?w=90&exp={exp}")), 200),
        (signed("/cdn-cgi/image/width=80/photo.jpg"), 200),
        (signed("/photo-md.jpg"), 200),
        // Refused, but a log reader could still replay the value on the URL it signs.
        (good.replace("w=100", "w=101"), 403),
        (format!("/photo.jpg?w=100&%73ig={sig}"), 403),
        (format!("{good}&sig={sig}"), 400),
        (format!("/photo.jpg?w=100&SIG={sig}"), 400),
        (format!("/cdn-cgi/image/width=100,sig={sig}/photo.jpg"), 400),
        (format!("/cdn-cgi/image/width=100/https://images.example.com/a.jpg?sig={sig}"), 403),
    ];
    for (url, status) in cases {
        let (got, line) = log_line(&w, request(&url)).await;
        assert_eq!(got, status, "{url}: {line}");
        assert_eq!(leaks(&line, &sig), None, "{url}: {line}");
        assert!(line.contains("=REDACTED"), "{url}: the log still says one was sent: {line}");
        assert!(serde_json::from_str::<serde_json::Value>(&line).is_ok(), "{line}");
    }
    // Uploads: the token rides in a header, and neither a right nor a wrong one is written down.
    for token in [TOKEN, "a-local-upload-tokeN"] {
        let req = Request { method: Method::Delete, authorization: Some(format!("Bearer {token}")), ..request("/alpha.png") };
        let (_, line) = log_line(&w, req).await;
        assert_eq!(leaks(&line, TOKEN), None, "{line}");
    }
}
