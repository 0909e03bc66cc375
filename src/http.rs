//! HTTP decisions that do not need the runtime: content types, ETags, cache keys.

#[cfg(test)]
use crate::transform::Defaults;
use crate::transform::{Accepts, FormatChoice, Transform};
use sha2::{Digest, Sha256};

/// Bumped whenever the pipeline's output for the same input and options changes, so ETags
/// and persisted variants from an older pipeline are not reused.
pub const PIPELINE_VERSION: &str = "1";

/// The strong ETag of a transformed response: the original's R2 etag, the resolved transform
/// and the pipeline version. Computable without reading or decoding the image.
pub fn variant_etag(source_etag: &str, resolved: &Transform) -> String {
    let digest = Sha256::new()
        .chain_update(source_etag.as_bytes())
        .chain_update(b"\n")
        .chain_update(resolved.canonical().as_bytes())
        .chain_update(b"\n")
        .chain_update(PIPELINE_VERSION.as_bytes())
        .finalize();
    format!("\"{}\"", hex(&digest[..16]))
}

/// Where a persisted variant lives in R2: grouped under its original's key (so all variants
/// of one original can be listed or deleted by prefix), then the original's etag (so replacing
/// the original makes new variants), then the resolved transform.
pub fn variant_key(prefix: &str, key: &str, source_etag: &str, resolved: &Transform) -> String {
    let ext = resolved.output_format().map(|f| f.name()).unwrap_or("bin");
    format!("{prefix}{key}/{}/{}.{ext}", sanitize_etag(source_etag), resolved.canonical())
}

/// The Cache API key: one URL per canonical request, whatever alias or order the client used.
/// A negotiated format (`format=auto`) adds what the client accepts, so one browser never
/// receives another's format (the Cache API ignores `Vary`).
pub fn cache_key(origin: &str, key: &str, transform: &Transform, accepts: Accepts) -> String {
    let path = percent_encoding::utf8_percent_encode(key, PATH).to_string();
    let mut url = format!("{origin}/{path}");
    if !transform.is_identity() {
        url.push_str(&format!("?t={}", transform.canonical()));
    }
    if let Some(class) = negotiated_class(transform, accepts) {
        url.push_str(&format!("&accept={class}"));
    }
    url
}

/// For negotiated requests, the class of client: what `Vary: Accept` stands for.
pub fn negotiated_class(transform: &Transform, accepts: Accepts) -> Option<&'static str> {
    (transform.format == Some(FormatChoice::Auto)).then_some(accepts.class())
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
pub fn server_timing(t: &crate::pipeline::Timings) -> String {
    format!("decode;dur={:.1}, resize;dur={:.1}, encode;dur={:.1}", t.decode, t.resize, t.encode)
}

fn sanitize_etag(etag: &str) -> String {
    etag.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(64).collect()
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
    fn variant_key_groups_by_original_then_etag() {
        assert_eq!(variant_key("_variants/", "shop/cat.jpg", "\"e1\"", &t(100)), "_variants/shop/cat.jpg/e1/w=100,q=80,f=jpeg.jpeg");
    }

    #[test]
    fn cache_key_is_canonical() {
        let none = Accepts::default();
        let tr = Transform { width: Some(100), quality: Some(80), ..Default::default() };
        assert_eq!(cache_key("https://x", "a b/c.jpg", &tr, none), "https://x/a%20b/c.jpg?t=w=100,q=80");
        assert_eq!(cache_key("https://x", "c.jpg", &Transform::default(), none), "https://x/c.jpg");
        let auto = Transform { width: Some(100), format: Some(FormatChoice::Auto), ..Default::default() };
        assert_eq!(
            cache_key("https://x", "c.png", &auto, Accepts { webp: true, avif: false }),
            "https://x/c.png?t=w=100,f=auto&accept=webp"
        );
        assert_eq!(
            cache_key("https://x", "c.png", &auto, Accepts { webp: true, avif: true }),
            "https://x/c.png?t=w=100,f=auto&accept=avif"
        );
        assert_eq!(cache_key("https://x", "c.png", &auto, none), "https://x/c.png?t=w=100,f=auto&accept=legacy");
    }

    #[test]
    fn content_type_from_extension() {
        assert_eq!(content_type_for_key("a/B.JPG"), "image/jpeg");
        assert_eq!(content_type_for_key("x.webp"), "image/webp");
        assert_eq!(content_type_for_key("noext"), "application/octet-stream");
        assert_eq!(content_type_for_key("a.AVIF"), "image/avif");
    }
}
