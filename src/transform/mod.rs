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
//! | `names.rs`       | the one name table each option enum parses and prints with   |

mod fit;
mod format;
mod names;
mod orientation;
mod size;

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
    pub height: Option<u32>,
    pub size: Option<SizePreset>,
    pub fit: Fit,
    pub gravity: Gravity,
    pub quality: Option<u8>,
    pub format: Option<FormatChoice>,
    /// RGBA; for `pad` and for transparency flattened into JPEG. White when not given.
    pub background: Option<[u8; 4]>,
    /// Applied after EXIF orientation, before sizing: `width`/`height` refer to the turned image.
    pub turn: Turn,
    /// `anim=true`: keep every frame of an animated GIF (GIF out). Off: the first frame, a poster.
    pub anim: bool,
    /// Progressive JPEG output: not a URL option but `JPEG_PROGRESSIVE`, filled in by `resolved`
    /// so that changing the setting names new variants.
    pub progressive: bool,
}

/// What the configuration decides when the URL does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Defaults {
    pub quality: u8,
    pub progressive_jpeg: bool,
}

impl Defaults {
    pub const STANDARD: Defaults = Defaults { quality: 80, progressive_jpeg: false };
}

pub const WHITE: [u8; 4] = [255, 255, 255, 255];

impl Transform {
    /// True when the transform asks for nothing, so the original is served as it is.
    pub fn is_identity(&self) -> bool {
        *self == Transform::default()
    }

    /// Drops options that cannot change the output, so they cannot fragment the cache.
    pub fn normalized(mut self) -> Transform {
        if !self.fit.crops() {
            self.gravity = Gravity::Center;
        }
        if self.background == Some(WHITE) {
            self.background = None;
        }
        self
    }

    /// Fills in what the URL left to the source, the configuration and the client, so the
    /// result names exactly the bytes that will be produced (persisted variant key and ETag).
    pub fn resolved(&self, source: Format, defaults: Defaults, accepts: Accepts) -> Transform {
        // Only GIF and WebP can be animated; elsewhere `anim` changes nothing.
        let anim = self.anim && matches!(source, Format::Gif | Format::Webp);
        let format = match self.format {
            Some(FormatChoice::Is(f)) => f,
            // An animation is kept as GIF: there is no animated WebP or AVIF encoder here.
            _ if anim && source == Format::Gif => Format::Gif,
            Some(FormatChoice::Auto) => accepts.negotiate(source),
            None => source.default_output(),
        };
        let quality = match format {
            Format::Jpeg | Format::Webp | Format::Avif => Some(self.quality.unwrap_or(defaults.quality)),
            // Lossless outputs ignore quality: keep it out of the key so it cannot fragment the cache.
            _ => None,
        };
        let progressive = format == Format::Jpeg && defaults.progressive_jpeg;
        Transform { format: Some(FormatChoice::Is(format)), quality, anim, progressive, ..self.clone() }
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

    /// EXIF orientation, then the requested rotation, then the requested flip, as one of the
    /// eight orientations.
    pub fn orientation_after(&self, exif: Orientation) -> Orientation {
        self.turn.after(exif)
    }

    /// The canonical serialisation: fixed order, short names, defaults dropped.
    /// Safe inside a URL query or an R2 key (only `[A-Za-z0-9=,.-]`).
    pub fn canonical(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut push = |part: Option<String>| parts.extend(part);
        push(self.width.map(|w| format!("w={w}")));
        push(self.height.map(|h| format!("h={h}")));
        push(self.size.map(|s| format!("size={}", s.name())));
        push((self.fit != Fit::default()).then(|| format!("fit={}", self.fit.name())));
        push((self.gravity != Gravity::default()).then(|| format!("g={}", self.gravity.name())));
        push(self.quality.map(|q| format!("q={q}")));
        push(self.format.map(|f| format!("f={}", f.name())));
        push(self.background.map(|[r, g, b, a]| {
            let alpha = if a == 255 { String::new() } else { format!("{a:02x}") };
            format!("bg={r:02x}{g:02x}{b:02x}{alpha}")
        }));
        push((self.turn.quarters != 0).then(|| format!("r={}", self.turn.quarters as u32 * 90)));
        push((self.turn.flip != Flip::None).then(|| format!("flip={}", self.turn.flip.name())));
        push(self.anim.then(|| "anim".into()));
        push(self.progressive.then(|| "progressive".into()));
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
        let t = Transform {
            width: Some(400),
            height: Some(300),
            fit: Fit::Cover,
            gravity: Gravity::Focal { x: 250, y: 750 },
            quality: Some(75),
            format: Some(FormatChoice::Is(Format::Webp)),
            background: Some([255, 0, 0, 128]),
            turn: Turn { quarters: 1, flip: Flip::Horizontal },
            size: None,
            anim: true,
            progressive: false,
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
        assert_eq!(t.resolved(Format::Jpeg, Defaults::STANDARD, none).canonical(), "w=100,q=80,f=jpeg");
        assert_eq!(t.resolved(Format::Png, Defaults::STANDARD, none).canonical(), "w=100,f=png");
        assert_eq!(t.resolved(Format::Gif, Defaults::STANDARD, none).canonical(), "w=100,f=png");
        let q = Transform { quality: Some(50), format: Some(FormatChoice::Is(Format::Png)), ..Default::default() };
        assert_eq!(q.resolved(Format::Jpeg, Defaults::STANDARD, none).canonical(), "f=png", "quality is meaningless for PNG");
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
