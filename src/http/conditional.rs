//! Conditional requests (RFC 9110 §13): `If-None-Match` against our ETag and
//! `If-Modified-Since` against the original's upload time, decided from R2 metadata alone so a
//! 304 never reads or decodes the image.

use std::time::{Duration, UNIX_EPOCH};

/// `Last-Modified` for an upload time in milliseconds since the epoch.
pub fn http_date(millis: u64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_millis(millis))
}

/// An HTTP date as milliseconds since the epoch (a cached response's `Last-Modified`).
pub fn parse_http_date(date: &str) -> Option<u64> {
    let t = httpdate::parse_http_date(date.trim()).ok()?;
    Some(t.duration_since(UNIX_EPOCH).ok()?.as_millis() as u64)
}

/// True when the client's copy is current, so the answer is 304. `If-None-Match` wins when
/// present (then `If-Modified-Since` is ignored, as the RFC says).
pub fn not_modified(if_none_match: Option<&str>, if_modified_since: Option<&str>, etag: &str, last_modified_millis: u64) -> bool {
    if let Some(list) = if_none_match {
        return etag_matches(list, etag);
    }
    match if_modified_since.and_then(|d| httpdate::parse_http_date(d.trim()).ok()) {
        // HTTP dates have whole seconds: compare at that precision.
        Some(since) => UNIX_EPOCH + Duration::from_secs(last_modified_millis / 1000) <= since,
        None => false,
    }
}

/// Weak comparison (what `If-None-Match` uses): `W/"x"` matches `"x"`; `*` matches anything.
fn etag_matches(list: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    let ours = bare(etag);
    list.split(',').map(str::trim).any(|t| t == "*" || (!t.is_empty() && bare(t) == ours))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ETAG: &str = "\"0123abcd\"";
    // 2026-04-26T10:00:00.500Z
    const UPLOADED: u64 = 1_777_197_600_500;

    #[test]
    fn last_modified_is_an_imf_fixdate() {
        assert_eq!(http_date(UPLOADED), "Sun, 26 Apr 2026 10:00:00 GMT");
    }

    #[test]
    fn if_none_match_lists_weak_tags_and_star() {
        assert!(not_modified(Some(ETAG), None, ETAG, UPLOADED));
        assert!(not_modified(Some("\"zz\", W/\"0123abcd\""), None, ETAG, UPLOADED));
        assert!(not_modified(Some("*"), None, ETAG, UPLOADED));
        assert!(!not_modified(Some("\"zz\""), None, ETAG, UPLOADED));
        assert!(!not_modified(Some(""), None, ETAG, UPLOADED));
        // A present If-None-Match that does not match wins over a date that would.
        assert!(!not_modified(Some("\"zz\""), Some("Sun, 26 Apr 2026 10:00:00 GMT"), ETAG, UPLOADED));
    }

    #[test]
    fn if_modified_since_at_whole_seconds() {
        assert!(not_modified(None, Some("Sun, 26 Apr 2026 10:00:00 GMT"), ETAG, UPLOADED));
        assert!(not_modified(None, Some("Mon, 27 Apr 2026 10:00:00 GMT"), ETAG, UPLOADED));
        assert!(!not_modified(None, Some("Sun, 26 Apr 2026 09:59:59 GMT"), ETAG, UPLOADED));
        assert!(!not_modified(None, Some("yesterday"), ETAG, UPLOADED));
        assert!(!not_modified(None, None, ETAG, UPLOADED));
    }
}
