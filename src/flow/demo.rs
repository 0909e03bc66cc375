//! The demo page (`DEMO=true`): `/` is a gallery of the bucket's images through our own URLs
//! (`srcset`/`sizes`), a form to try options (the result with its bytes, size and
//! `Server-Timing`) and an upload box; `/_demo/images.json` lists the bucket's first images.
//! Off unless configured: it lists the bucket, which a production site rarely wants.

use super::ports::Store;
use super::ReplyOf;
use crate::config::Config;
use crate::error::Result;
use crate::http::reply::Reply;
use crate::transform::Format;
use serde::Serialize;

const PAGE: &str = include_str!("demo/index.html");
const SCRIPT: &str = include_str!("demo/demo.js");

/// The page's script comes from our own origin only; images may be blobs (results of the form).
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Keys listed at most (the gallery is a demo, not a browser for a large bucket).
const MAX_IMAGES: usize = 200;
/// Keys read from R2 for each of the two ranges (one list call each).
const KEYS_PER_LIST: usize = 1000;

#[derive(Serialize)]
struct Listed {
    images: Vec<String>,
}

/// The demo's answer for `path`, or `None` when the path is not the demo's (or it is off).
pub(super) async fn serve<S: Store, C: super::ports::Cache>(path: &str, config: &Config, originals: &S) -> Option<Result<ReplyOf<S, C>>> {
    if !config.http.demo {
        return None;
    }
    Some(match path {
        "/" | "/_demo" => Ok(page(PAGE, "text/html; charset=utf-8")),
        "/_demo/demo.js" => Ok(page(SCRIPT, "text/javascript; charset=utf-8")),
        "/_demo/images.json" => list::<S, C>(config, originals).await,
        _ => return None,
    })
}

fn page<B, E>(text: &str, content_type: &str) -> Reply<B, E> {
    Reply::page(text, content_type).with_header("content-security-policy", POLICY)
}

/// The first images in the bucket: keys outside the variant prefix whose extension is one we
/// transform. Variants sort between the keys before their prefix and those after it (`_` comes
/// before lower-case letters), so both ranges are listed: thousands of variants hide nothing.
async fn list<S: Store, C: super::ports::Cache>(config: &Config, originals: &S) -> Result<ReplyOf<S, C>> {
    let prefix = config.url.variant_prefix.as_str();
    let image = |k: &String| !k.starts_with(prefix) && Format::of_extension(k).is_some();
    let mut images: Vec<String> = originals.list("", None, KEYS_PER_LIST).await?.into_iter().filter(image).take(MAX_IMAGES).collect();
    if images.len() < MAX_IMAGES && !prefix.is_empty() {
        // Past every key under the prefix: the prefix followed by the highest character.
        let past = format!("{prefix}\u{10FFFF}");
        images.extend(originals.list("", Some(&past), KEYS_PER_LIST).await?.into_iter().filter(image).take(MAX_IMAGES - images.len()));
        images.sort();
        images.dedup();
    }
    let json = serde_json::to_string(&Listed { images }).map_err(|e| crate::error::Error::Internal(e.to_string()))?;
    Ok(Reply::json(json))
}
