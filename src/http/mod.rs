//! HTTP decisions that do not need the runtime: content types, conditional requests, ranges,
//! client hints, and how long errors may be cached. (What names a variant, its ETag and keys, is
//! `crate::keys`.)

pub mod conditional;
pub mod hints;
pub mod range;
pub mod reply;

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
        let encoded = percent_encoding::utf8_percent_encode(&name, crate::keys::PATH);
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

#[cfg(test)]
mod tests {
    use super::*;

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
