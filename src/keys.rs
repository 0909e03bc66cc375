//! What names a variant, computed from the request and the original's metadata alone (nothing
//! read or decoded): its ETag, its R2 key, its Cache API key, and the key under which a data
//! centre remembers an original's metadata.

#[cfg(test)]
use crate::transform::Defaults;
use crate::transform::{Accepts, FormatChoice, Transform};
use sha2::{Digest, Sha256};

/// Bumped whenever the pipeline's output for the same input and options changes, so ETags
/// and persisted variants from an older pipeline are not reused.
pub const PIPELINE_VERSION: &str = "5";

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

/// A key as a URL path (without its leading `/`): everything but S3's unreserved characters and
/// `/` escaped, so the same string is sent and signed (`ORIGIN_URL`).
pub fn key_path(key: &str) -> String {
    percent_encoding::utf8_percent_encode(key, PATH).to_string()
}

/// Characters escaped in a key used as a URL path (keeps `/`).
pub(crate) const PATH: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'/').remove(b'-').remove(b'_').remove(b'.').remove(b'~');

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
}
