//! Image formats, the `format=` option, and what a client accepts (`format=auto`).

use super::names::Names;
use crate::error::Error;

/// An encoded image format, as input or output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Jpeg,
    Png,
    Webp,
    Gif,
    Bmp,
    /// Written by rav1e, read by dav1d (`pipeline::codecs::heif`).
    Avif,
    /// Input only: read by libde265 when `HEIC=true` (`pipeline::codecs::heif`), never written.
    Heic,
    /// Input only: rendered to pixels (`pipeline::codecs::vector`), never written.
    Svg,
}

impl Format {
    /// Name (as in `format=` and the canonical form), content type, and the file extensions
    /// that name an original of that format.
    const TABLE: &'static [(Format, &'static str, &'static str, &'static [&'static str])] = &[
        (Format::Jpeg, "jpeg", "image/jpeg", &["jpg", "jpeg", "jfif"]),
        (Format::Png, "png", "image/png", &["png"]),
        (Format::Webp, "webp", "image/webp", &["webp"]),
        (Format::Gif, "gif", "image/gif", &["gif"]),
        (Format::Bmp, "bmp", "image/bmp", &["bmp"]),
        (Format::Avif, "avif", "image/avif", &["avif"]),
        (Format::Heic, "heic", "image/heic", &["heic", "heif"]),
        (Format::Svg, "svg", "image/svg+xml", &["svg"]),
    ];

    fn row(self) -> &'static (Format, &'static str, &'static str, &'static [&'static str]) {
        Format::TABLE.iter().find(|row| row.0 == self).expect("every format has a row")
    }

    pub fn name(self) -> &'static str {
        self.row().1
    }

    /// Whether an original of this format may carry an HDR gain map we read (JPEG's Ultra HDR or
    /// ISO 21496-1; AVIF's and HEIC's `tmap`).
    pub fn may_have_gain_map(self) -> bool {
        matches!(self, Format::Jpeg | Format::Avif | Format::Heic)
    }

    pub fn content_type(self) -> &'static str {
        self.row().2
    }

    /// The output format used when the URL names none: the source's own, except for formats we
    /// do not encode (GIF, BMP, SVG), which become PNG so nothing is lost (palette, transparency).
    pub fn default_output(self) -> Format {
        match self {
            Format::Gif | Format::Bmp | Format::Svg => Format::Png,
            // Every client that shows AVIF shows WebP, which keeps alpha and encodes in a fraction
            // of AVIF's time (docs/formats.md).
            Format::Avif => Format::Webp,
            // A photo from a phone, which most browsers cannot show as it is.
            Format::Heic => Format::Jpeg,
            other => other,
        }
    }

    /// The format an original claims to be, from its stored content type or else its extension.
    /// Only used to pick the default output before the bytes are read; decoding sniffs the bytes.
    pub fn of_original(content_type: Option<&str>, key: &str) -> Option<Format> {
        let from_type = content_type.and_then(|ct| match ct.split(';').next()?.trim().to_ascii_lowercase().as_str() {
            "image/jpg" | "image/pjpeg" => Some(Format::Jpeg),
            "image/x-ms-bmp" => Some(Format::Bmp),
            other => Format::TABLE.iter().find(|row| row.2 == other).map(|row| row.0),
        });
        from_type.or_else(|| Format::of_extension(key))
    }

    pub fn of_extension(key: &str) -> Option<Format> {
        let ext = key.rsplit_once('.')?.1.to_ascii_lowercase();
        Format::TABLE.iter().find(|row| row.3.contains(&ext.as_str())).map(|row| row.0)
    }

    /// Why an original whose format is not known from its metadata is refused (415).
    pub fn unknown_original(content_type: Option<&str>, key: &str) -> Error {
        let hint = format!("{} {}", content_type.unwrap_or(""), key.rsplit_once('.').map(|(_, e)| e).unwrap_or("")).to_ascii_lowercase();
        let known = [("tif", "TIFF"), ("jxl", "JPEG XL")];
        Error::Unsupported(match known.iter().find(|(needle, _)| hint.contains(needle)) {
            Some((_, name)) => format!("{name} input is not supported (JPEG, PNG, WebP, GIF, BMP, AVIF, HEIC and SVG are)"),
            None => format!("cannot tell the image type of '{key}' from its content type or extension"),
        })
    }
}

/// The `format=` option: a fixed format, `auto` (negotiated from the request's `Accept`), or
/// `json` (Cloudflare's information answer instead of an image).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatChoice {
    Auto,
    Is(Format),
    Json,
    /// `format=blurhash`: a placeholder for lazy loading (ours; Netlify's `fm=blurhash`).
    BlurHash,
}

impl FormatChoice {
    pub const NAMES: Names<FormatChoice> = Names {
        table: &[
            ("auto", FormatChoice::Auto),
            ("jpeg", FormatChoice::Is(Format::Jpeg)),
            ("jpg", FormatChoice::Is(Format::Jpeg)),
            ("png", FormatChoice::Is(Format::Png)),
            ("webp", FormatChoice::Is(Format::Webp)),
            ("avif", FormatChoice::Is(Format::Avif)),
            ("json", FormatChoice::Json),
            ("blurhash", FormatChoice::BlurHash),
        ],
    };

    pub fn parse(s: &str) -> Option<FormatChoice> {
        FormatChoice::NAMES.parse(s)
    }

    pub fn name(self) -> &'static str {
        match self {
            FormatChoice::Auto => "auto",
            FormatChoice::Json => "json",
            FormatChoice::BlurHash => "blurhash",
            FormatChoice::Is(f) => f.name(),
        }
    }
}

/// What the client accepts, for `format=auto`. Part of the cache key of negotiated requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Accepts {
    pub webp: bool,
    /// Only when the operator allows AVIF for `auto` (`AUTO_AVIF`): it costs far more CPU.
    pub avif: bool,
}

impl Accepts {
    pub fn from_header(accept: Option<&str>, auto_avif: bool) -> Accepts {
        let accept = accept.unwrap_or("").to_ascii_lowercase();
        Accepts { webp: accept.contains("image/webp"), avif: auto_avif && accept.contains("image/avif") }
    }

    /// The class of client, as the cache key records it.
    pub fn class(self) -> &'static str {
        if self.avif {
            "avif"
        } else if self.webp {
            "webp"
        } else {
            "legacy"
        }
    }

    /// `format=auto`: the best format we encode that the client accepts: AVIF (when allowed),
    /// WebP (lossy libwebp, with alpha), else the source's own format.
    pub fn negotiate(self, source: Format) -> Format {
        if self.avif {
            Format::Avif
        } else if self.webp {
            Format::Webp
        } else {
            source.default_output()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn original_format_from_type_then_extension() {
        assert_eq!(Format::of_original(Some("image/png"), "a.jpg"), Some(Format::Png));
        assert_eq!(Format::of_original(Some("image/pjpeg"), "a"), Some(Format::Jpeg));
        assert_eq!(Format::of_original(Some("application/octet-stream"), "a.JPG"), Some(Format::Jpeg));
        assert_eq!(Format::of_original(None, "dir.v2/a"), None);
        assert_eq!(Format::of_original(Some("image/avif"), "a"), Some(Format::Avif));
        assert_eq!(Format::of_original(None, "a.AVIF"), Some(Format::Avif));
        assert_eq!(Format::Avif.default_output(), Format::Webp);
        assert_eq!(Format::of_original(Some("image/heic"), "a"), Some(Format::Heic));
        assert_eq!(Format::Heic.default_output(), Format::Jpeg);
        assert!(Format::unknown_original(Some("image/tiff"), "a.tif").message().contains("TIFF input is not supported"));
        assert!(Format::unknown_original(None, "scan.TIFF").message().contains("TIFF"));
        assert!(Format::unknown_original(None, "blob").message().contains("cannot tell"));
        assert_eq!(Format::of_original(Some("image/svg+xml"), "logo"), Some(Format::Svg));
        assert_eq!(Format::of_original(None, "icons/a.SVG"), Some(Format::Svg));
        assert_eq!(Format::Svg.default_output(), Format::Png);
    }

    #[test]
    fn every_format_has_a_name_and_type_and_choices_parse_back() {
        for f in [Format::Jpeg, Format::Png, Format::Webp, Format::Gif, Format::Bmp, Format::Avif, Format::Heic, Format::Svg] {
            assert!(f.content_type().trim_end_matches("+xml").ends_with(f.name()), "{f:?}");
        }
        assert_eq!(FormatChoice::NAMES.list(), "auto, jpeg, png, webp, avif, json, blurhash");
        assert_eq!(FormatChoice::parse("jpg"), Some(FormatChoice::Is(Format::Jpeg)));
    }
}
