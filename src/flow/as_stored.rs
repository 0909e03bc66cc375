//! Step 5: the original as stored, streamed from the store (one byte range on request),
//! answered 304 when the client's copy is current. An SVG original is a document that could run
//! scripts on our origin: it is served sanitised (whole, under its own ETag), or refused.

use super::ports::{Meta, Store};
use super::{ReplyOf, Request};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::conditional::{http_date, not_modified};
use crate::http::range::{self, Ranged};
use crate::http::reply::{Body, ImageHeaders, Reply};
use crate::http::{content_disposition, content_type_for_key};
use crate::keys::derived_etag;
use crate::svg;

/// `warning` says why it was not transformed (`ON_ERROR=original`).
pub(super) async fn serve<S: Store, C: super::ports::Cache>(
    req: &Request,
    config: &Config,
    originals: &S,
    key: &str,
    warning: Option<&str>,
) -> Result<ReplyOf<S, C>> {
    // A fallback should not stick: the transform may work once the format is supported.
    // Someone else's picture (a remote source) is trusted for what we trust it for, not a year:
    // the origin may change or withdraw it (`REMOTE_MIN_TTL_S`, after which we revalidate).
    let remote = format!("public, max-age={}", config.origin.remote_min_ttl_s);
    let cache_control = match (warning, crate::url::remote::is_remote(key)) {
        (Some(_), _) => "public, max-age=300",
        (None, true) => &remote,
        (None, false) => &config.http.cache_control,
    };
    let current = |etag: &str, uploaded: u64| {
        not_modified(req.if_none_match.as_deref(), req.if_modified_since.as_deref(), etag, uploaded)
            .then(|| Reply::not_modified(etag, &http_date(uploaded), cache_control, false))
    };
    // A range is planned on the object it is cut from (`Store::get_part`: R2's metadata, or the
    // origin's one fetch of the bytes). Anything else is one `get`: validators are checked on the
    // object it returns, and a 304 drops the body unread. An SVG is sent whole.
    let (stored, ranged) = match req.range.as_deref() {
        Some(header) => {
            let plan = |meta: &Meta| match svg::is_svg(meta.content_type.as_deref(), key) {
                true => Ranged::Whole,
                false => range::parse(Some(header), meta.size),
            };
            originals.get_part(key, &plan).await?.ok_or(Error::NotFound)?
        }
        None => (originals.get(key, Ranged::Whole).await?.ok_or(Error::NotFound)?, Ranged::Whole),
    };
    let meta = &stored.meta;
    let svg = svg_served(meta, key, config)?;
    let etag = etag_of(meta, svg);
    if let Some(reply) = current(&etag, meta.uploaded_ms) {
        return Ok(reply);
    }
    if ranged == Ranged::Unsatisfiable {
        return Ok(Reply::unsatisfiable(range::content_range(ranged, meta.size)));
    }
    let (last_modified, disposition) = (http_date(meta.uploaded_ms), content_disposition(key, None));
    let mut headers = ImageHeaders {
        content_type: "",
        content_length: meta.size,
        cache_control,
        etag: &etag,
        last_modified: &last_modified,
        disposition: &disposition,
        served: None,
        server_timing: None,
        vary_accept: false,
        ranges: None,
        content_security_policy: Some(svg::CONTENT_SECURITY_POLICY),
    };
    if svg {
        if meta.size > svg::MAX_BYTES {
            return Err(Error::TooLarge(format!("SVG originals are served up to {} MB", svg::MAX_BYTES >> 20)));
        }
        let clean = svg::sanitize(&originals.read(stored.body).await?)?;
        headers.content_type = "image/svg+xml";
        headers.content_length = clean.len() as u64;
        return Ok(warned(Reply::image(Body::Bytes(clean), headers), warning));
    }
    let content_type = served_type(meta.content_type.as_deref(), key);
    // A remote original is proxied through memory (it may not be fetched yet).
    if crate::url::remote::is_remote(key) {
        // (The store cut the range.)
        let bytes = originals.read(stored.body).await?;
        headers.content_type = &content_type;
        headers.ranges = Some(matches!(ranged, Ranged::Part { .. }).then(|| range::content_range(ranged, meta.size)));
        headers.content_length = bytes.len() as u64;
        return Ok(warned(Reply::image(Body::Bytes(bytes), headers), warning));
    }
    headers.content_type = &content_type;
    headers.ranges = Some(match ranged {
        Ranged::Part { length, .. } => {
            headers.content_length = length;
            Some(range::content_range(ranged, meta.size))
        }
        _ => None,
    });
    Ok(warned(Reply::image(Body::Stored(stored.body), headers), warning))
}

/// With `onerror=redirect` or `ON_ERROR=original`, why the original was served instead of the transform.
fn warned<S, C>(reply: Reply<S, C>, warning: Option<&str>) -> Reply<S, C> {
    match warning {
        // Header values are ASCII: "4096×4096" becomes "4096x4096".
        Some(why) => reply.with_header(
            "x-resize-error",
            why.chars()
                .map(|c| {
                    if c == '×' {
                        'x'
                    } else if c.is_ascii() && !c.is_ascii_control() {
                        c
                    } else {
                        '?'
                    }
                })
                .collect::<String>(),
        ),
        None => reply,
    }
}

/// The stored type when it is one well-formed media type (image, video or audio, and not XML):
/// a list (which a browser reads by its last member), a document type (`text/html`,
/// `application/xhtml+xml`, `image/foo+xml`) or anything malformed gets the key's type, which
/// names no document. (An SVG is sanitised before this; the CSP sandbox stays as a second wall.)
fn served_type(stored: Option<&str>, key: &str) -> String {
    let single = |ct: &str| {
        let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        let token = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b));
        let media = |t: &str, s: &str| matches!(t, "image" | "video" | "audio") && !s.ends_with("+xml") && !s.ends_with("xml");
        !ct.contains(',') && essence.split_once('/').is_some_and(|(t, s)| token(t) && token(s) && media(t, s))
    };
    match stored.map(str::trim) {
        Some(ct) if single(ct) => ct.to_string(),
        _ => content_type_for_key(key).into(),
    }
}

/// Whether this original is an SVG to sanitise; a 415 when SVGs are refused here.
fn svg_served(meta: &Meta, key: &str, config: &Config) -> Result<bool> {
    if !svg::is_svg(meta.content_type.as_deref(), key) {
        return Ok(false);
    }
    match config.http.svg {
        svg::Mode::Sanitize => Ok(true),
        // A `.svg` key was drawn as a PNG before this; one stored under another name is refused,
        // so the document is never sent.
        svg::Mode::Rasterize => {
            Err(Error::Unsupported("SVG documents are not served here (SVG=rasterize): ask for a transform, e.g. ?format=png".into()))
        }
        svg::Mode::Refuse => Err(Error::Unsupported("SVG originals are not served here".into())),
    }
}

/// A sanitised SVG is not the stored bytes, so it has an ETag of its own.
fn etag_of(meta: &Meta, svg: bool) -> String {
    if svg {
        derived_etag(&meta.etag, "svg-hush")
    } else {
        meta.http_etag.clone()
    }
}
