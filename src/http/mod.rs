//! HTTP decisions that do not need the runtime: content types, ETags, cache keys, conditional
//! requests, ranges, and how long errors may be cached.

pub mod conditional;
pub mod hints;
pub mod range;
pub mod reply;

#[cfg(test)]
use crate::transform::Defaults;
use crate::transform::{Accepts, FormatChoice, Transform};
use sha2::{Digest, Sha256};

/// Bumped whenever the pipeline's output for the same input and options changes, so ETags
/// and persisted variants from an older pipeline are not reused.
pub const PIPELINE_VERSION: &str = "4";

/// The strong ETag of a transformed response: the original's R2 etag, the resolved transform
/// and the pipeline version. Computable without reading or decoding the image.
pub fn variant_etag(source_etag: &str, resolved: &Transform) -> String {
    derived_etag(source_etag, &resolved.canonical())
}

/// The strong ETag of bytes made from an original by `how` (a canonical transform, or
/// `svg-hush` for a sanitised SVG): changes with the original, with `how` and with the pipeline.
pub fn derived_etag(source_etag: &str, how: &str) -> String {
    let digest = Sha256::new()
        .chain_update(source_etag.as_bytes())
        .chain_update(b"\n")
        .chain_update(how.as_bytes())
        .chain_update(b"\n")
        .chain_update(PIPELINE_VERSION.as_bytes())
        .finalize();
    format!("\"{}\"", hex(&digest[..16]))
}

/// Where a persisted variant lives in R2: under its original's key (so all variants of one
/// original can be listed or deleted by prefix), then, as in the cache key, the transform as the
/// URL asked for it and, for a negotiated response, the client's class. It needs nothing from R2,
/// so the variant is read at the same time as the original's metadata; it is served only if the
/// ETag stored with it is the one this version of the original and this configuration give
/// (`fresh_hit`), and the next miss overwrites a stale one (no orphans when an original changes).
/// `None` when that key would be longer than R2 allows (an original's key near the limit): such
/// a variant is not persisted, and the Cache API still holds it.
pub fn variant_key(prefix: &str, key: &str, transform: &Transform, negotiated: Option<&str>) -> Option<String> {
    let class = negotiated.map(|c| format!(";accept={c}")).unwrap_or_default();
    let variant_key = format!("{prefix}{key}/{}{class}", transform.canonical());
    (variant_key.len() <= R2_MAX_KEY_BYTES).then_some(variant_key)
}

/// R2 refuses object keys longer than this (and answers a read of one with an error).
pub const R2_MAX_KEY_BYTES: usize = 1024;

/// The Cache API key: one URL per transform as the URL asked for it (canonical, so any alias
/// or order of options shares it) and, for a negotiated response (`format=auto`, sent with
/// `Vary: Accept`), per class of client. It needs nothing from R2, so the lookup runs at the same
/// time as the original's `head`; a hit is served only if its ETag is the one this version of
/// the original and this configuration give (`fresh_hit`), so a replaced original misses at once.
pub fn cache_key(origin: &str, key: &str, transform: &Transform, negotiated: Option<&str>) -> String {
    let path = key_path(key);
    let class = negotiated.map(|c| format!("&accept={c}")).unwrap_or_default();
    format!("{origin}/{path}?t={}{class}", transform.canonical())
}

/// The Cache API key under which a data centre remembers what R2 last said about an original
/// (`MAX_STALE_S`). Never a response's key: those all have `?t=`.
pub fn checked_key(origin: &str, key: &str) -> String {
    let path = key_path(key);
    format!("{origin}/{path}?checked")
}

/// Whether a cached response or persisted variant is the one we would make now: its ETag names
/// the original's version, the resolved transform and the pipeline version (`variant_etag`).
/// A `W/` prefix is ignored: a proxy may weaken an ETag when it re-encodes the body.
pub fn fresh_hit(cached_etag: Option<&str>, expected_etag: &str) -> bool {
    cached_etag.map(|e| e.trim_start_matches("W/")) == Some(expected_etag)
}

/// For negotiated requests, the class of client: what `Vary: Accept` stands for.
pub fn negotiated_class(transform: &Transform, accepts: Accepts) -> Option<&'static str> {
    (transform.format == Some(FormatChoice::Auto)).then_some(accepts.class())
}

/// `Content-Disposition` for an image: shown inline, saved under the original's file name with
/// the extension of what is sent (`shop/cat.jpg` as WebP → `cat.webp`).
pub fn content_disposition(key: &str, extension: Option<&str>) -> String {
    let base = key.rsplit('/').next().unwrap_or(key);
    let name = match (extension, base.rsplit_once('.')) {
        (Some(ext), Some((stem, _))) => format!("{stem}.{ext}"),
        (Some(ext), None) => format!("{base}.{ext}"),
        (None, _) => base.to_string(),
    };
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' && c != '%' || c == ' ' { c } else { '_' }).collect();
    if ascii == name {
        format!("inline; filename=\"{name}\"")
    } else {
        let encoded = percent_encoding::utf8_percent_encode(&name, PATH);
        format!("inline; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
    }
}

/// `Cache-Control` of an error: brief for a missing original (it may be uploaded soon), the
/// configured time for answers that only change with the URL or the configuration, never for
/// signatures (they expire), methods, or our own and R2's failures.
pub fn error_cache_control(status: u16, not_found_ttl: u32, error_ttl: u32) -> String {
    match status {
        404 if not_found_ttl > 0 => format!("public, max-age={not_found_ttl}"),
        400 | 413 | 415 | 422 if error_ttl > 0 => format!("public, max-age={error_ttl}"),
        _ => "no-store".into(),
    }
}

/// A key as a URL path (without its leading `/`): everything but S3's unreserved characters and
/// `/` escaped, so the same string is sent and signed (`ORIGIN_URL`).
pub fn key_path(key: &str) -> String {
    percent_encoding::utf8_percent_encode(key, PATH).to_string()
}

/// Characters escaped in a key used as a URL path (keeps `/`).
const PATH: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'/').remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// The content type of an original without stored metadata, from its extension: the formats we
/// read (`Format::of_extension`), plus the image types we only pass through.
pub fn content_type_for_key(key: &str) -> &'static str {
    if let Some(format) = crate::transform::Format::of_extension(key) {
        return format.content_type();
    }
    match key.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).as_deref() {
        Some("avif") => "image/avif",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// The `Server-Timing` header value for a transformed response.
/// `r2` is the wait for R2 (metadata, variant lookup, reading the original), `total` the whole
/// request in the worker, all in milliseconds. Deployed Workers advance their clock only across
/// I/O (a Spectre mitigation, Cloudflare's "Performance and timers"), so there the pipeline's
/// steps all read 0 and `total` counts the waits only: the steps are then left out rather than
/// reported as 0. Locally (`wrangler dev`, Miniflare, benches) the clock runs and they are sent.
pub fn server_timing(t: &crate::pipeline::Timings, r2: f64, total: f64) -> String {
    if t.decode + t.resize + t.encode <= 0.0 {
        return format!("r2;dur={r2:.1}, total;dur={total:.1}");
    }
    format!("r2;dur={r2:.1}, decode;dur={:.1}, resize;dur={:.1}, encode;dur={:.1}, total;dur={total:.1}", t.decode, t.resize, t.encode)
}

/// The `Server-Timing` header value for a response that was stored, not resized now: `source` is
/// `cache` (a hit: waiting for the cache and the original's metadata) or `r2` (reading the persisted
/// variant). A hit must not repeat the timings of the miss that filled the cache.
pub fn server_timing_stored(source: &str, wait: f64, total: f64) -> String {
    format!("{source};dur={wait:.1}, total;dur={total:.1}")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::transform::Format;

    fn t(w: u32) -> Transform {
        Transform { width: Some(w), ..Default::default() }.resolved(Format::Jpeg, Defaults::STANDARD, Accepts::default())
    }

    #[test]
    fn etag_changes_with_source_transform_and_nothing_else() {
        let a = variant_etag("abc", &t(100));
        assert_eq!(a, variant_etag("abc", &t(100)));
        assert_ne!(a, variant_etag("abd", &t(100)));
        assert_ne!(a, variant_etag("abc", &t(101)));
        assert!(a.starts_with('"') && a.ends_with('"') && a.len() == 34);
    }

    #[test]
    fn variant_key_groups_by_original_then_the_asked_transform_and_client_class() {
        let asked = Transform { width: Some(100), ..Default::default() };
        assert_eq!(variant_key("_variants/", "shop/cat.jpg", &asked, None).unwrap(), "_variants/shop/cat.jpg/w=100");
        assert_eq!(variant_key("_variants/", "c.jpg", &asked, Some("webp")).unwrap(), "_variants/c.jpg/w=100;accept=webp");
        // An original's key may use nearly all of R2's 1,024 bytes; its variants are not persisted.
        assert_eq!(variant_key("_variants/", &format!("{}.jpg", "k".repeat(1006)), &asked, None), None);
        assert_eq!(variant_key("_/", &"k".repeat(1016), &asked, None).map(|k| k.len()), Some(R2_MAX_KEY_BYTES));
    }

    #[test]
    fn cache_key_names_the_asked_transform_and_the_client_class() {
        let asked = Transform { width: Some(100), ..Default::default() };
        assert_eq!(cache_key("https://x", "a b/c.jpg", &asked, None), "https://x/a%20b/c.jpg?t=w=100");
        assert_eq!(cache_key("https://x", "c.jpg", &asked, Some("webp")), "https://x/c.jpg?t=w=100&accept=webp");
        assert_ne!(cache_key("https://x", "c.jpg", &asked, Some("webp")), cache_key("https://x", "c.jpg", &asked, Some("legacy")));
    }

    #[test]
    fn a_hit_is_fresh_only_with_the_etag_of_this_version() {
        let now = variant_etag("e2", &t(100));
        assert!(fresh_hit(Some(&now), &now));
        assert!(fresh_hit(Some(&format!("W/{now}")), &now));
        assert!(!fresh_hit(Some(&variant_etag("e1", &t(100))), &now), "the original was replaced");
        assert!(!fresh_hit(None, &now));
    }

    #[test]
    fn only_format_auto_is_negotiated() {
        let auto = Transform { width: Some(100), format: Some(FormatChoice::Auto), ..Default::default() };
        assert_eq!(negotiated_class(&auto, Accepts { webp: true, avif: false }), Some("webp"));
        assert_eq!(negotiated_class(&t(100), Accepts { webp: true, avif: false }), None);
    }

    #[test]
    fn content_disposition_is_inline_with_the_sent_extension() {
        assert_eq!(content_disposition("shop/cat.jpg", Some("webp")), "inline; filename=\"cat.webp\"");
        assert_eq!(content_disposition("shop/cat.jpg", None), "inline; filename=\"cat.jpg\"");
        assert_eq!(content_disposition("README", Some("png")), "inline; filename=\"README.png\"");
        assert_eq!(content_disposition("a/\"x\".jpg", None), "inline; filename=\"_x_.jpg\"; filename*=UTF-8''%22x%22.jpg");
        assert_eq!(content_disposition("café.jpg", None), "inline; filename=\"caf_.jpg\"; filename*=UTF-8''caf%C3%A9.jpg");
    }

    #[test]
    fn errors_are_cached_by_kind() {
        assert_eq!(error_cache_control(404, 60, 300), "public, max-age=60");
        assert_eq!(error_cache_control(422, 60, 300), "public, max-age=300");
        assert_eq!(error_cache_control(400, 60, 0), "no-store");
        for status in [403, 405, 500, 502, 503] {
            assert_eq!(error_cache_control(status, 60, 300), "no-store");
        }
    }

    #[test]
    fn server_timing_leaves_out_steps_a_frozen_clock_cannot_measure() {
        use crate::pipeline::Timings;
        let ran = Timings { decode: 12.0, resize: 3.0, encode: 4.5 };
        assert_eq!(server_timing(&ran, 20.0, 45.0), "r2;dur=20.0, decode;dur=12.0, resize;dur=3.0, encode;dur=4.5, total;dur=45.0");
        assert_eq!(server_timing(&Timings::default(), 20.0, 21.0), "r2;dur=20.0, total;dur=21.0", "deployed: the clock stood still");
    }

    #[test]
    fn content_type_from_extension() {
        assert_eq!(content_type_for_key("a/B.JPG"), "image/jpeg");
        assert_eq!(content_type_for_key("x.webp"), "image/webp");
        assert_eq!(content_type_for_key("noext"), "application/octet-stream");
        assert_eq!(content_type_for_key("a.AVIF"), "image/avif");
    }
}
