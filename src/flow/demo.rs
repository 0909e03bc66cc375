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
/// transform.
async fn list<S: Store, C: super::ports::Cache>(config: &Config, originals: &S) -> Result<ReplyOf<S, C>> {
    let keys = originals.list("", 1000).await?;
    let images: Vec<String> = keys
        .into_iter()
        .filter(|k| !k.starts_with(&config.url.variant_prefix) && Format::of_extension(k).is_some())
        .take(MAX_IMAGES)
        .collect();
    let json = serde_json::to_string(&Listed { images }).map_err(|e| crate::error::Error::Internal(e.to_string()))?;
    Ok(Reply::json(json))
}
