//! What a signature vouches for and what it must not give away: the log line never carries a
//! `sig=` (or an upload token), and a signed `width=auto` URL is not a licence for every width.

use super::memory::UNIX_START_MS;
use super::world::{request, World};
use super::{world, KEY};
use crate::config::Config;
use crate::flow::{Method, Request};
use crate::http::hints::Hints;
use crate::trace::{Outcome, Trace};
use std::collections::BTreeSet;

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

/// With `SIGNING_KEY` and neither `WIDTH_STEPS` nor a size policy, `width=auto` cannot turn
/// one signed URL into a render per hinted width: the hint is not honoured there (the signed
/// URL fixes no width, so the original's is served, as without a hint), and nothing varies on it.
#[tokio::test(start_paused = true)]
async fn a_signed_width_auto_url_does_not_give_every_width() {
    let w = world(signed_config(&[("RENDER_BUDGET", "0")]));
    let url = signed("/photo.jpg?width=auto");
    let mut transforms = BTreeSet::new();
    let vary = crate::http::hints::WIDTH_HINTS.join(", ");
    for width in 1..=2000 {
        let req = Request { hints: Hints { width: Some(width), ..Hints::default() }, ..request(&url) };
        let (res, trace) = w.send(req).await;
        assert_eq!(res.status, 200, "Sec-CH-Width: {width}");
        assert_eq!(res.header("vary"), Some(vary.as_str()));
        transforms.insert(trace.transform.unwrap_or_default());
    }
    let widths: BTreeSet<String> = transforms.iter().map(|t| t.split(',').next().unwrap_or_default().to_string()).collect();
    assert_eq!(widths.into_iter().collect::<Vec<_>>(), ["w=1200", "w=320", "w=768", "w=960"], "Cloudflare's four widths: {transforms:?}");
    assert_eq!(transforms.len(), 4);
    let variants = w.store.keys("_variants/photo.jpg/");
    assert!(variants.len() <= 4, "{variants:?}");
    assert_eq!(super::size(&w.get(&url).await.0.body), (600, 400), "no hint: a desktop's 960, no wider than the original");
}

/// With `WIDTH_STEPS`, the same storm gets the steps and no more, and the hint is honoured.
#[tokio::test(start_paused = true)]
async fn a_signed_width_auto_url_is_held_to_the_width_steps() {
    let w = world(signed_config(&[("RENDER_BUDGET", "0"), ("WIDTH_STEPS", "160,320,480")]));
    let url = signed("/photo.jpg?width=auto");
    let mut widths = BTreeSet::new();
    for width in (1..=2000).step_by(7) {
        let req = Request { hints: Hints { width: Some(width), ..Hints::default() }, ..request(&url) };
        let (res, _) = w.send(req).await;
        assert_eq!(
            (res.status, res.header("vary")),
            (200, Some(crate::http::hints::WIDTH_HINTS.join(", ").as_str())),
            "Sec-CH-Width: {width}"
        );
        widths.insert(super::size(&res.body).0);
    }
    assert_eq!(widths.into_iter().collect::<Vec<_>>(), [160, 320, 480]);
    assert_eq!(w.store.keys("_variants/photo.jpg/").len(), 3);
}
