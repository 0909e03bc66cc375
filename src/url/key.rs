//! Validation of R2 keys taken from URL paths: a key names one original and nothing else.

use crate::config::UrlSettings;
use crate::error::{Error, Result};
use percent_encoding::percent_decode_str;

/// R2 allows 1024 bytes per key.
const MAX_KEY_BYTES: usize = 1024;

/// Decodes a URL path into an original's key, refusing anything that could escape the
/// originals (`..`, empty segments, backslashes, control characters) or reach the variants.
pub fn decode_key(path: &str, settings: &UrlSettings) -> Result<String> {
    let raw = path.strip_prefix('/').unwrap_or(path);
    let key = percent_decode_str(raw).decode_utf8().map_err(|_| Error::bad_request("the path is not valid UTF-8"))?.into_owned();
    if key.is_empty() {
        return Err(Error::NotFound);
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(Error::bad_request(format!("keys are at most {MAX_KEY_BYTES} bytes")));
    }
    if key.chars().any(|c| c.is_control() || c == '\\') {
        return Err(Error::bad_request("keys may not contain control characters or backslashes"));
    }
    if key.split('/').any(|seg| seg.is_empty() || seg == "." || seg == "..") {
        return Err(Error::bad_request("keys may not contain empty, '.' or '..' segments"));
    }
    if key.starts_with(&settings.variant_prefix) {
        return Err(Error::bad_request("persisted variants are not addressable directly"));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(p: &str) -> Result<String> {
        decode_key(p, &UrlSettings::default())
    }

    #[test]
    fn decodes_plain_and_percent_encoded_keys() {
        assert_eq!(key("/shop/cat.jpg").unwrap(), "shop/cat.jpg");
        assert_eq!(key("/a%20b/caf%C3%A9.png").unwrap(), "a b/café.png");
    }

    #[test]
    fn refuses_keys_that_could_escape_or_confuse() {
        for bad in [
            "/a/../b.jpg",
            "/../b.jpg",
            "/a//b.jpg",
            "/a/./b.jpg",
            "/a%2F..%2Fb.jpg",
            "/a%00.jpg",
            "/a%5Cb.jpg",
            "/_variants/x.jpg",
            "/%FF.jpg",
        ] {
            assert_eq!(key(bad).unwrap_err().status(), 400, "{bad} accepted");
        }
        assert_eq!(key(&format!("/{}", "a".repeat(1025))).unwrap_err().status(), 400);
        assert_eq!(key("/").unwrap_err(), Error::NotFound);
    }
}
