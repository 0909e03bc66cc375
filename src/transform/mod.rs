//! The one canonical description of what to do to an original. Every URL grammar produces a
//! `Transform`; its `canonical()` string is the cache key, the persisted variant's key and part
//! of the ETag, so URLs that mean the same thing share one of each.
//!
//! | file             | holds                                                        |
//! |------------------|--------------------------------------------------------------|
//! | `fit.rs`         | `Fit`, `Gravity`                                             |
//! | `format.rs`      | `Format`, `FormatChoice`, `Accepts` (negotiation)            |
//! | `orientation.rs` | `Turn`, `Flip`, the orientation algebra                      |
//! | `size.rs`        | `SizePreset` (`?size=L`), `SizeSpec` (`WxH`, `Nw`, `Nh`)     |
//! | `effects.rs`     | adjustments, blur/sharpen, trim, border, metadata, quality   |
//! | `names.rs`       | the one name table each option enum parses and prints with   |

mod effects;
mod fit;
mod format;
mod names;
mod orientation;
mod size;
pub mod text;

pub use effects::{Adjust, Border, Factor, Hdr, Level, Metadata, Quality, Trim, BORDER_TOLERANCE};
pub use fit::{Fit, Gravity};
pub use format::{Accepts, Format, FormatChoice};
pub use names::Names;
pub use orientation::{compose, Flip, Turn};
pub use size::{SizePreset, SizeSpec};

use image::metadata::Orientation;
use std::fmt;

/// What to do to an original. `None` and defaults mean "not asked for".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Transform {
    /// Output box in pixels, with `dpr` already multiplied in.
    pub width: Option<u32>,
    /// `width=auto`: the width comes from the client's hints (`Sec-CH-Width`, `Width`), filled
    /// in by [`Transform::with_hints`] before anything is looked up.
    pub auto_width: bool,
    pub height: Option<u32>,
    pub size: Option<SizePreset>,
    pub fit: Fit,
    pub gravity: Gravity,
    /// `zoom` (0–1) for `gravity=face`: from as much background as the box allows (0) to the
    /// faces alone (1). Dropped for any other gravity.
    pub zoom: Option<Factor>,
    /// A number or a perceptual level; [`Transform::resolved`] turns it into the encoder's number.
    pub quality: Option<Quality>,
    /// `slow-connection-quality`: replaces `quality` when the client's hints say the connection
    /// is slow (resolved by [`Transform::with_hints`]).
    pub slow_quality: Option<Quality>,
    pub format: Option<FormatChoice>,
    /// `format=baseline-jpeg`: never progressive, whatever `JPEG_PROGRESSIVE` says.
    pub baseline: bool,
    /// `compression=fast`: the quickest format to encode (JPEG, or PNG for sources that may
    /// have transparency) instead of WebP or AVIF.
    pub fast: bool,
    /// RGBA; for `pad` and for transparency flattened into JPEG. White when not given.
    pub background: Option<[u8; 4]>,
    /// Applied after EXIF orientation, before sizing: `width`/`height` refer to the turned image.
    pub turn: Turn,
    /// Cut off the upright source before anything else (`trim`).
    pub trim: Option<Trim>,
    /// Colour adjustments, blur and sharpen, on the resized pixels.
    pub adjust: Adjust,
    /// A frame around the output (`border`).
    pub border: Option<Border>,
    /// Overlays drawn on the output, in order (`draw=name`, and `OVERLAYS`' defaults).
    pub draw: Vec<Drawn>,
    /// Which EXIF a JPEG output keeps.
    pub metadata: Metadata,
    /// Whether an HDR gain map is kept (`hdr=false` drops it; `format=auto` may choose JPEG for it).
    pub hdr: Hdr,
    /// `anim=true`: keep every frame of an animated GIF (GIF out). Off: the first frame, a poster.
    pub anim: bool,
    /// `onerror=redirect`: when the transform fails, answer with the original's bytes. Not part
    /// of the canonical form: it changes only what an error answers.
    pub on_error: bool,
    /// Progressive JPEG output: not a URL option but `JPEG_PROGRESSIVE`, filled in by `resolved`
    /// so that changing the setting names new variants.
    pub progressive: bool,
}

/// One overlay of `OVERLAYS`, and the version of its image once the flow has looked it up (the
/// first 16 hex digits of its R2 etag): part of the canonical form, so a replaced logo names new
/// variants and a new ETag, with no purge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drawn {
    pub name: String,
    pub version: Option<String>,
}

/// What the configuration decides when the URL does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Defaults {
    /// The encoder quality for each lossy output when the URL gives none: one number means
    /// different things to each encoder (`QUALITY_JPEG`, `QUALITY_WEBP`, `QUALITY_AVIF`).
    pub quality: QualityDefaults,
    pub progressive_jpeg: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QualityDefaults {
    pub jpeg: u8,
    pub webp: u8,
    pub avif: u8,
}

impl QualityDefaults {
    /// Cloudflare's default of 85 for JPEG and WebP; AVIF at 70 gives about the same look at
    /// rav1e's scale (imgproxy and Next.js also give AVIF a lower number).
    pub const STANDARD: QualityDefaults = QualityDefaults { jpeg: 85, webp: 85, avif: 70 };

    pub fn all(q: u8) -> QualityDefaults {
        QualityDefaults { jpeg: q, webp: q, avif: q }
    }

    pub fn for_format(self, format: Format) -> Option<u8> {
        match format {
            Format::Jpeg => Some(self.jpeg),
            Format::Webp => Some(self.webp),
            Format::Avif => Some(self.avif),
            _ => None,
        }
    }
}

impl Defaults {
    pub const STANDARD: Defaults = Defaults { quality: QualityDefaults::STANDARD, progressive_jpeg: false };
}

pub const WHITE: [u8; 4] = [255, 255, 255, 255];

impl Transform {
    /// True when the transform asks for nothing, so the original is served as it is.
    pub fn is_identity(&self) -> bool {
        *self == Transform { on_error: self.on_error, ..Transform::default() }
    }

    /// Drops options that cannot change the output, so they cannot fragment the cache.
    pub fn normalized(mut self) -> Transform {
        if !self.fit.crops() {
            self.gravity = Gravity::Center;
        }
        if self.gravity != Gravity::Face || self.zoom == Some(Factor(0)) {
            self.zoom = None;
        }
        if self.background == Some(WHITE) {
            self.background = None;
        }
        self.adjust = self.adjust.normalized();
        if self.trim.is_some_and(|t| t.is_nothing()) {
            self.trim = None;
        }
        if self.border.is_some_and(|b| b.is_nothing()) {
            self.border = None;
        }
        self
    }

    /// Fills in what the URL left to the source, the configuration and the client, so the
    /// result names exactly the bytes that will be produced (persisted variant key and ETag).
    pub fn resolved(&self, source: Format, defaults: Defaults, accepts: Accepts) -> Transform {
        // Only GIF and WebP can be animated; elsewhere `anim` changes nothing.
        let anim = self.anim && matches!(source, Format::Gif | Format::Webp);
        if self.is_info() || self.is_placeholder() {
            // An answer about the image, not an image: nothing to encode, nothing negotiated.
            return Transform { quality: None, anim, fast: false, baseline: false, progressive: false, ..self.clone() };
        }
        let format = match self.format {
            // Quickest to encode: JPEG, or PNG where the source may have transparency.
            _ if self.fast && !anim => match source {
                Format::Png | Format::Gif | Format::Webp => Format::Png,
                _ => Format::Jpeg,
            },
            Some(FormatChoice::Is(f)) => f,
            // An animation stays animated: as WebP where `auto` finds it accepted (several times
            // smaller than GIF), else as GIF; with no format, in its own.
            _ if anim && self.format == Some(FormatChoice::Auto) => {
                if accepts.webp {
                    Format::Webp
                } else {
                    Format::Gif
                }
            }
            _ if anim => source,
            Some(FormatChoice::Auto | FormatChoice::Json | FormatChoice::BlurHash) => accepts.negotiate(source),
            None => source.default_output(),
        };
        // Lossy outputs always have a quality; PNG only when the URL names one (PNG8, as on
        // Cloudflare); other lossless outputs ignore it, kept out of the key so it cannot fragment
        // the cache.
        let quality = match (self.quality, defaults.quality.for_format(format)) {
            (Some(q), Some(_)) => Some(q.for_format(format)),
            (Some(q), None) if format == Format::Png => Some(q.for_format(format)),
            (None, Some(default)) => Some(default),
            _ => None,
        }
        .map(Quality::Fixed);
        let progressive = format == Format::Jpeg && defaults.progressive_jpeg && !self.baseline;
        let baseline = format == Format::Jpeg && self.baseline;
        // A JPEG, AVIF or HEIC original may carry a gain map (the header says, once read): `auto`
        // then makes a JPEG, with the quality, coding and EXIF a JPEG output would have had.
        let hdr = match self.hdr {
            Hdr::Keep if self.format == Some(FormatChoice::Auto) && source.may_have_gain_map() && format != Format::Jpeg && !self.fast => {
                let quality = self.quality.map_or(defaults.quality.jpeg, |q| q.for_format(Format::Jpeg));
                Hdr::AsJpeg { quality, progressive: defaults.progressive_jpeg && !self.baseline }
            }
            other => other,
        };
        let keeps_exif = format == Format::Jpeg || matches!(hdr, Hdr::AsJpeg { .. });
        let metadata = if keeps_exif { self.metadata } else { Metadata::default() };
        Transform {
            format: Some(FormatChoice::Is(format)),
            quality,
            anim,
            progressive,
            baseline,
            fast: false,
            metadata,
            hdr,
            ..self.clone()
        }
    }

    /// The encoder quality of a resolved transform, for lossy outputs.
    pub fn encoder_quality(&self) -> Option<u8> {
        match self.quality {
            Some(Quality::Fixed(q)) => Some(q),
            _ => None,
        }
    }

    /// `format=json`: an answer about the image instead of the image.
    pub fn is_info(&self) -> bool {
        self.format == Some(FormatChoice::Json)
    }

    /// `format=blurhash`: a placeholder of the image as these options would make it.
    pub fn is_placeholder(&self) -> bool {
        self.format == Some(FormatChoice::BlurHash)
    }

    /// The concrete output format of a resolved transform.
    pub fn output_format(&self) -> Option<Format> {
        match self.format {
            Some(FormatChoice::Is(f)) => Some(f),
            _ => None,
        }
    }

    pub fn background_or_white(&self) -> [u8; 4] {
        self.background.unwrap_or(WHITE)
    }

    /// EXIF orientation, then the requested flip, then the requested rotation, as one of the
    /// eight orientations.
    pub fn orientation_after(&self, exif: Orientation) -> Orientation {
        self.turn.after(exif)
    }

    /// The canonical serialisation: fixed order, short names, defaults dropped.
    /// Safe inside a URL query or an R2 key (only `[A-Za-z0-9=,._-]`).
    pub fn canonical(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let p = &mut parts;
        p.extend(self.width.map(|w| format!("w={w}")));
        p.extend(self.auto_width.then(|| "w=auto".into()));
        p.extend(self.height.map(|h| format!("h={h}")));
        p.extend(self.size.map(|s| format!("size={}", s.name())));
        p.extend((self.fit != Fit::default()).then(|| format!("fit={}", self.fit.name())));
        p.extend((self.gravity != Gravity::default()).then(|| format!("g={}", self.gravity.name())));
        p.extend(self.zoom.map(|z| format!("zoom={}", z.name())));
        p.extend(self.quality.map(|q| format!("q={}", q.name())));
        p.extend(self.slow_quality.map(|q| format!("scq={}", q.name())));
        let baseline = self.baseline && self.format == Some(FormatChoice::Is(Format::Jpeg));
        p.extend(self.format.map(|f| if baseline { "f=baseline-jpeg".into() } else { format!("f={}", f.name()) }));
        p.extend(self.fast.then(|| "compression=fast".into()));
        p.extend(self.background.map(|c| format!("bg={}", hex(c))));
        p.extend((self.turn.quarters != 0).then(|| format!("r={}", self.turn.quarters as u32 * 90)));
        p.extend((self.turn.flip != Flip::None).then(|| format!("flip={}", self.turn.flip.name())));
        p.extend(self.trim.map(|t| format!("trim={}", t.name())));
        self.adjust.canonical(p);
        p.extend(self.border.map(|b| format!("border={}", b.name())));
        for d in &self.draw {
            p.push(match &d.version {
                Some(v) => format!("draw={}.{v}", d.name),
                None => format!("draw={}", d.name),
            });
        }
        let metadata = Metadata::NAMES.name(self.metadata).unwrap_or("none");
        p.extend((self.metadata != Metadata::default()).then(|| format!("meta={metadata}")));
        p.extend(self.anim.then(|| "anim".into()));
        p.extend(self.progressive.then(|| "progressive".into()));
        match self.hdr {
            Hdr::Keep => {}
            Hdr::Drop => p.push("hdr=false".into()),
            Hdr::AsJpeg { quality, progressive } => p.push(format!("hdr=jpeg.{quality}{}", if progressive { ".progressive" } else { "" })),
        }
        parts.join(",")
    }
}

/// A colour as hex digits, alpha only when not opaque (`ff0000`, `00000080`).
pub fn hex([r, g, b, a]: [u8; 4]) -> String {
    let alpha = if a == 255 { String::new() } else { format!("{a:02x}") };
    format!("{r:02x}{g:02x}{b:02x}{alpha}")
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
        let t = Transform {
            width: Some(400),
            height: Some(300),
            fit: Fit::Cover,
            gravity: Gravity::Focal { x: 250, y: 750 },
            quality: Some(Quality::Fixed(75)),
            format: Some(FormatChoice::Is(Format::Webp)),
            background: Some([255, 0, 0, 128]),
            turn: Turn { quarters: 1, flip: Flip::Horizontal },
            anim: true,
            ..Default::default()
        };
        assert_eq!(t.canonical(), "w=400,h=300,fit=cover,g=0.25x0.75,q=75,f=webp,bg=ff000080,r=90,flip=h,anim");
        assert_eq!(Transform::default().canonical(), "");
        let meaningless = Transform { gravity: Gravity::Top, background: Some(WHITE), width: Some(5), ..Default::default() };
        assert_eq!(meaningless.normalized().canonical(), "w=5", "gravity without a crop and white background change nothing");
    }

    #[test]
    fn resolution_fills_format_and_quality_from_source_config_and_client() {
        let t = Transform { width: Some(100), ..Default::default() };
        let none = Accepts::default();
        assert_eq!(t.resolved(Format::Jpeg, Defaults::STANDARD, none).canonical(), "w=100,q=85,f=jpeg");
        assert_eq!(t.resolved(Format::Png, Defaults::STANDARD, none).canonical(), "w=100,f=png");
        assert_eq!(t.resolved(Format::Gif, Defaults::STANDARD, none).canonical(), "w=100,f=png");
        let q = Transform { quality: Some(Quality::Fixed(50)), format: Some(FormatChoice::Is(Format::Png)), ..Default::default() };
        assert_eq!(q.resolved(Format::Jpeg, Defaults::STANDARD, none).canonical(), "q=50,f=png", "PNG8 when a quality is named");
        assert_eq!(t.resolved(Format::Png, Defaults::STANDARD, none).canonical(), "w=100,f=png", "plain PNG without");
        let auto = Transform { format: Some(FormatChoice::Auto), ..Default::default() };
        let webp = Accepts { webp: true, avif: false };
        let avif = Accepts::from_header(Some("image/avif,image/webp,*/*"), true);
        assert_eq!(auto.resolved(Format::Jpeg, Defaults::STANDARD, avif).output_format(), Some(Format::Avif));
        assert_eq!(Accepts::from_header(Some("image/avif,image/webp"), false), webp, "AVIF only when AUTO_AVIF");
        assert_eq!(auto.resolved(Format::Png, Defaults::STANDARD, webp).output_format(), Some(Format::Webp));
        assert_eq!(auto.resolved(Format::Png, Defaults::STANDARD, none).output_format(), Some(Format::Png));
        assert_eq!(auto.resolved(Format::Jpeg, Defaults::STANDARD, webp).output_format(), Some(Format::Webp));
        assert_eq!(auto.resolved(Format::Jpeg, Defaults::STANDARD, none).output_format(), Some(Format::Jpeg));
        assert_eq!(auto.resolved(Format::Gif, Defaults::STANDARD, none).output_format(), Some(Format::Png));
    }
}
