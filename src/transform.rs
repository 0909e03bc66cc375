//! The one canonical description of what to do to an original. Every URL grammar produces a
//! `Transform`; its `canonical()` string is the cache key, the persisted variant's key and part
//! of the ETag, so URLs that mean the same thing share one of each.

use std::fmt;

/// How the image is fitted into the requested box (Cloudflare's vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fit {
    /// Like `Contain`, but never enlarges.
    #[default]
    ScaleDown,
    /// Fit inside the box, keeping the aspect ratio (may enlarge).
    Contain,
    /// Fill the box, keeping the aspect ratio, cropping the overflow (centred).
    Cover,
    /// Like `Cover`, but never enlarges.
    Crop,
    /// Stretch to exactly the box, ignoring the aspect ratio.
    Squeeze,
}

impl Fit {
    pub const NAMES: &'static str = "scale-down, contain, cover, crop, squeeze";

    pub fn parse(s: &str) -> Option<Fit> {
        Some(match s {
            "scale-down" => Fit::ScaleDown,
            "contain" => Fit::Contain,
            "cover" => Fit::Cover,
            "crop" => Fit::Crop,
            "squeeze" => Fit::Squeeze,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Fit::ScaleDown => "scale-down",
            Fit::Contain => "contain",
            Fit::Cover => "cover",
            Fit::Crop => "crop",
            Fit::Squeeze => "squeeze",
        }
    }
}

/// An encoded image format, as input or output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Jpeg,
    Png,
    Webp,
    Gif,
    Bmp,
}

impl Format {
    /// Parses a `format=` value (output formats only).
    pub fn parse_output(s: &str) -> Option<Format> {
        Some(match s {
            "jpeg" | "jpg" => Format::Jpeg,
            "png" => Format::Png,
            "webp" => Format::Webp,
            _ => return None,
        })
    }

    /// The format an original claims to be, from its stored content type or else its extension.
    /// Only used to pick the default output before the bytes are read; decoding sniffs the bytes.
    pub fn of_original(content_type: Option<&str>, key: &str) -> Option<Format> {
        let from_type = content_type.and_then(|ct| match ct.split(';').next()?.trim().to_ascii_lowercase().as_str() {
            "image/jpeg" | "image/jpg" | "image/pjpeg" => Some(Format::Jpeg),
            "image/png" => Some(Format::Png),
            "image/webp" => Some(Format::Webp),
            "image/gif" => Some(Format::Gif),
            "image/bmp" | "image/x-ms-bmp" => Some(Format::Bmp),
            _ => None,
        });
        from_type.or_else(|| {
            let ext = key.rsplit_once('.')?.1.to_ascii_lowercase();
            Some(match ext.as_str() {
                "jpg" | "jpeg" | "jfif" => Format::Jpeg,
                "png" => Format::Png,
                "webp" => Format::Webp,
                "gif" => Format::Gif,
                "bmp" => Format::Bmp,
                _ => return None,
            })
        })
    }

    /// Why an original whose format is not known from its metadata is refused (415).
    pub fn unknown_original(content_type: Option<&str>, key: &str) -> crate::error::Error {
        let hint = format!("{} {}", content_type.unwrap_or(""), key.rsplit_once('.').map(|(_, e)| e).unwrap_or("")).to_ascii_lowercase();
        let known = [("avif", "AVIF"), ("heic", "HEIC"), ("heif", "HEIF"), ("tif", "TIFF"), ("svg", "SVG"), ("jxl", "JPEG XL")];
        crate::error::Error::Unsupported(match known.iter().find(|(needle, _)| hint.contains(needle)) {
            Some((_, name)) => format!("{name} input is not supported (JPEG, PNG, WebP, GIF and BMP are)"),
            None => format!("cannot tell the image type of '{key}' from its content type or extension"),
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::Webp => "webp",
            Format::Gif => "gif",
            Format::Bmp => "bmp",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
            Format::Gif => "image/gif",
            Format::Bmp => "image/bmp",
        }
    }

    /// The output format used when the URL names none: the source's own, except for formats we
    /// do not encode (GIF, BMP), which become PNG so nothing is lost (palette, transparency).
    pub fn default_output(self) -> Format {
        match self {
            Format::Gif | Format::Bmp => Format::Png,
            other => other,
        }
    }
}

/// What to do to an original. `None` means "not asked for".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Transform {
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub fit: Fit,
    pub quality: Option<u8>,
    pub format: Option<Format>,
}

impl Transform {
    /// True when the transform asks for nothing, so the original is served as it is.
    pub fn is_identity(&self) -> bool {
        *self == Transform::default()
    }

    /// Fills in what the URL left to the source and the configuration, so the result names
    /// exactly the bytes that will be produced (used for the persisted variant key and ETag).
    pub fn resolved(&self, source: Format, default_quality: u8) -> Transform {
        let format = self.format.unwrap_or(source.default_output());
        let quality = match format {
            Format::Jpeg | Format::Webp => Some(self.quality.unwrap_or(default_quality)),
            // Lossless outputs ignore quality: keep it out of the key so it cannot fragment the cache.
            _ => None,
        };
        Transform { format: Some(format), quality, ..self.clone() }
    }

    /// The canonical serialisation: fixed order, short names, defaults dropped.
    /// Safe to use inside a URL query or an R2 key (only `[a-z0-9=,-]`).
    pub fn canonical(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(w) = self.width {
            parts.push(format!("w={w}"));
        }
        if let Some(h) = self.height {
            parts.push(format!("h={h}"));
        }
        if self.fit != Fit::default() {
            parts.push(format!("fit={}", self.fit.name()));
        }
        if let Some(q) = self.quality {
            parts.push(format!("q={q}"));
        }
        if let Some(f) = self.format {
            parts.push(format!("f={}", f.name()));
        }
        parts.join(",")
    }
}

impl fmt::Display for Transform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_has_fixed_order_and_drops_defaults() {
        let t = Transform { width: Some(400), height: Some(300), fit: Fit::ScaleDown, quality: Some(75), format: Some(Format::Webp) };
        assert_eq!(t.canonical(), "w=400,h=300,q=75,f=webp");
        let t = Transform { fit: Fit::Cover, height: Some(10), ..Default::default() };
        assert_eq!(t.canonical(), "h=10,fit=cover");
        assert_eq!(Transform::default().canonical(), "");
    }

    #[test]
    fn original_format_from_type_then_extension() {
        assert_eq!(Format::of_original(Some("image/png"), "a.jpg"), Some(Format::Png));
        assert_eq!(Format::of_original(Some("application/octet-stream"), "a.JPG"), Some(Format::Jpeg));
        assert_eq!(Format::of_original(None, "dir.v2/a"), None);
        assert_eq!(Format::of_original(Some("image/avif"), "a.avif"), None);
        assert!(Format::unknown_original(Some("image/avif"), "a.avif").message().contains("AVIF input is not supported"));
        assert!(Format::unknown_original(None, "scan.TIFF").message().contains("TIFF"));
        assert!(Format::unknown_original(None, "blob").message().contains("cannot tell"));
    }

    #[test]
    fn resolution_fills_format_and_quality_from_source_and_config() {
        let t = Transform { width: Some(100), ..Default::default() };
        assert_eq!(t.resolved(Format::Jpeg, 80).canonical(), "w=100,q=80,f=jpeg");
        assert_eq!(t.resolved(Format::Png, 80).canonical(), "w=100,f=png");
        assert_eq!(t.resolved(Format::Gif, 80).canonical(), "w=100,f=png");
        let q = Transform { quality: Some(50), format: Some(Format::Png), ..Default::default() };
        assert_eq!(q.resolved(Format::Jpeg, 80).canonical(), "f=png", "quality is meaningless for PNG");
    }
}
