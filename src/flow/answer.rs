//! What every answer for one transform of one version of an original shares: the resolved
//! transform, its type, ETag and validators, decided from the original's metadata alone.

use super::ports::Meta;
use crate::config::Config;
use crate::error::Result;
use crate::http;
use crate::http::conditional::http_date;
use crate::http::reply::{ImageHeaders, Served};
use crate::keys;
use crate::transform::{Accepts, Format, Transform};

pub(super) struct Answer<'a> {
    config: &'a Config,
    /// What will be produced: the transform with the format, quality and animation filled in.
    pub resolved: Transform,
    pub content_type: &'static str,
    pub etag: String,
    pub last_modified: String,
    pub disposition: String,
    pub vary_accept: bool,
}

impl<'a> Answer<'a> {
    /// A 415 when the original's format is not known from its metadata.
    pub fn new(config: &'a Config, key: &str, transform: &Transform, accepts: Accepts, original: &Meta) -> Result<Answer<'a>> {
        let stored_type = original.content_type.as_deref();
        let source_format = Format::of_original(stored_type, key).ok_or_else(|| Format::unknown_original(stored_type, key))?;
        if source_format == Format::Svg && config.http.svg == crate::svg::Mode::Refuse {
            return Err(crate::error::Error::Unsupported("SVG originals are not served here".into()));
        }
        let resolved = transform.resolved(source_format, config.pipeline.output_defaults(), accepts);
        let output_format = resolved.output_format().unwrap_or(source_format);
        let (content_type, extension) = if resolved.is_info() || resolved.is_placeholder() {
            ("application/json", "json")
        } else {
            (output_format.content_type(), output_format.name())
        };
        Ok(Answer {
            config,
            content_type,
            etag: etag(&original.etag, &resolved, output_format, config),
            last_modified: http_date(original.uploaded_ms),
            disposition: http::content_disposition(key, Some(extension)),
            vary_accept: keys::negotiated_class(transform, accepts).is_some(),
            resolved,
        })
    }

    /// The same answer for bytes of another format (an animation served unchanged, an AVIF made
    /// as WebP past `AVIF_MAX_SIDE`): its type and its file name's extension.
    pub fn typed_as(self, format: crate::transform::Format, key: &str) -> Answer<'a> {
        Answer { content_type: format.content_type(), disposition: http::content_disposition(key, Some(format.name())), ..self }
    }

    pub fn headers(&self, content_length: u64, served: Served, server_timing: String) -> ImageHeaders<'_> {
        ImageHeaders {
            content_type: self.content_type,
            content_length,
            cache_control: &self.config.http.cache_control,
            etag: &self.etag,
            last_modified: &self.last_modified,
            disposition: &self.disposition,
            served: Some(served),
            server_timing: Some(server_timing),
            vary_accept: self.vary_accept,
            ranges: None,
            content_security_policy: None,
        }
    }
}

/// A variant's ETag. An AVIF may be served as another format when it does not fit its budgets
/// (`steps::admit::best_effort`), and its bytes depend on `AVIF_SPEED`, so those are part of its
/// ETag: the bytes of one ETag never change when an operator changes them.
fn etag(original: &str, resolved: &Transform, format: Format, config: &Config) -> String {
    match format {
        Format::Avif => {
            let l = &config.pipeline.limits;
            let how = format!(
                "{};avif-side={},avif-speed={},memory={},webp-memory={}",
                resolved.canonical(),
                l.avif_max_side,
                config.pipeline.avif_speed,
                l.memory_budget,
                l.webp_memory_budget
            );
            keys::derived_etag(original, &how)
        }
        _ => keys::variant_etag(original, resolved),
    }
}
