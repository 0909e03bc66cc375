//! The one canonical description of what to do to an original. Every URL grammar produces a
//! `Transform`; its `canonical()` string is the cache key, the persisted variant's key and part
//! of the ETag, so URLs that mean the same thing share one of each.

use crate::error::Error;
use image::metadata::Orientation;
use std::fmt;

/// How the image is fitted into the requested box (Cloudflare's vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fit {
    /// Like `Contain`, but never enlarges.
    #[default]
    ScaleDown,
    /// Fit inside the box, keeping the aspect ratio (may enlarge).
    Contain,
    /// Fill the box, keeping the aspect ratio, cropping the overflow (by gravity).
    Cover,
    /// Like `Cover`, but never enlarges.
    Crop,
    /// `Contain`, then pad to exactly the box with the background colour.
    Pad,
    /// Stretch to exactly the box, ignoring the aspect ratio.
    Squeeze,
}

impl Fit {
    pub const NAMES: &'static str = "scale-down, contain, cover, crop, pad, squeeze";

    pub fn parse(s: &str) -> Option<Fit> {
        Some(match s {
            "scale-down" => Fit::ScaleDown,
            "contain" => Fit::Contain,
            "cover" => Fit::Cover,
            "crop" => Fit::Crop,
            "pad" => Fit::Pad,
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
            Fit::Pad => "pad",
            Fit::Squeeze => "squeeze",
        }
    }

    /// Only these modes cut the image, so only they read `gravity`.
    pub fn crops(self) -> bool {
        matches!(self, Fit::Cover | Fit::Crop)
    }
}

/// Which part of the image a crop keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Gravity {
    #[default]
    Center,
    Top,
    Bottom,
    Left,
    Right,
    TopLeft,
    TopRight,
    BottomLeft,
    BottomRight,
    /// The most detailed region, chosen from the pixels (see `pipeline::saliency`).
    Auto,
    /// A focal point, in thousandths of the width and height (0..=1000).
    Focal {
        x: u16,
        y: u16,
    },
}

impl Gravity {
    pub const NAMES: &'static str =
        "center, top, bottom, left, right, top-left, top-right, bottom-left, bottom-right, auto, or XxY with X and Y in 0..1";

    pub fn parse(s: &str) -> Option<Gravity> {
        Some(match s {
            "center" | "centre" => Gravity::Center,
            "top" => Gravity::Top,
            "bottom" => Gravity::Bottom,
            "left" => Gravity::Left,
            "right" => Gravity::Right,
            "top-left" => Gravity::TopLeft,
            "top-right" => Gravity::TopRight,
            "bottom-left" => Gravity::BottomLeft,
            "bottom-right" => Gravity::BottomRight,
            "auto" => Gravity::Auto,
            focal => {
                let (x, y) = focal.split_once('x')?;
                Gravity::Focal { x: thousandths(x)?, y: thousandths(y)? }
            }
        })
    }

    pub fn name(self) -> String {
        match self {
            Gravity::Center => "center".into(),
            Gravity::Top => "top".into(),
            Gravity::Bottom => "bottom".into(),
            Gravity::Left => "left".into(),
            Gravity::Right => "right".into(),
            Gravity::TopLeft => "top-left".into(),
            Gravity::TopRight => "top-right".into(),
            Gravity::BottomLeft => "bottom-left".into(),
            Gravity::BottomRight => "bottom-right".into(),
            Gravity::Auto => "auto".into(),
            Gravity::Focal { x, y } => format!("{}x{}", decimal(x), decimal(y)),
        }
    }

    /// Where the crop window sits along each axis, 0 (start) ..= 1 (end), as a focal point.
    /// `None` for `Auto`, which the pixels decide.
    pub fn focus(self) -> Option<(f64, f64)> {
        Some(match self {
            Gravity::Center => (0.5, 0.5),
            Gravity::Top => (0.5, 0.0),
            Gravity::Bottom => (0.5, 1.0),
            Gravity::Left => (0.0, 0.5),
            Gravity::Right => (1.0, 0.5),
            Gravity::TopLeft => (0.0, 0.0),
            Gravity::TopRight => (1.0, 0.0),
            Gravity::BottomLeft => (0.0, 1.0),
            Gravity::BottomRight => (1.0, 1.0),
            Gravity::Auto => return None,
            Gravity::Focal { x, y } => (x as f64 / 1000.0, y as f64 / 1000.0),
        })
    }
}

/// "0.25" → 250; values outside 0..=1 or with garbage are refused.
fn thousandths(s: &str) -> Option<u16> {
    let v: f64 = s.parse().ok()?;
    ((0.0..=1.0).contains(&v) && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')).then(|| (v * 1000.0).round() as u16)
}

fn decimal(thousandths: u16) -> String {
    let s = format!("{:.3}", thousandths as f64 / 1000.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// An encoded image format, as input or output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Jpeg,
    Png,
    Webp,
    Gif,
    Bmp,
    /// Output only, and not available yet (answered with 415).
    Avif,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::Webp => "webp",
            Format::Gif => "gif",
            Format::Bmp => "bmp",
            Format::Avif => "avif",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
            Format::Gif => "image/gif",
            Format::Bmp => "image/bmp",
            Format::Avif => "image/avif",
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
        from_type.or_else(|| Format::of_extension(key))
    }

    pub fn of_extension(key: &str) -> Option<Format> {
        let ext = key.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "jpg" | "jpeg" | "jfif" => Format::Jpeg,
            "png" => Format::Png,
            "webp" => Format::Webp,
            "gif" => Format::Gif,
            "bmp" => Format::Bmp,
            _ => return None,
        })
    }

    /// Why an original whose format is not known from its metadata is refused (415).
    pub fn unknown_original(content_type: Option<&str>, key: &str) -> Error {
        let hint = format!("{} {}", content_type.unwrap_or(""), key.rsplit_once('.').map(|(_, e)| e).unwrap_or("")).to_ascii_lowercase();
        let known = [("avif", "AVIF"), ("heic", "HEIC"), ("heif", "HEIF"), ("tif", "TIFF"), ("svg", "SVG"), ("jxl", "JPEG XL")];
        Error::Unsupported(match known.iter().find(|(needle, _)| hint.contains(needle)) {
            Some((_, name)) => format!("{name} input is not supported (JPEG, PNG, WebP, GIF and BMP are)"),
            None => format!("cannot tell the image type of '{key}' from its content type or extension"),
        })
    }
}

/// The `format=` option: a fixed format, or `auto` (negotiated from the request's `Accept`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatChoice {
    Auto,
    Is(Format),
}

impl FormatChoice {
    pub const NAMES: &'static str = "auto, jpeg, png, webp, avif";

    pub fn parse(s: &str) -> Option<FormatChoice> {
        Some(match s {
            "auto" => FormatChoice::Auto,
            "jpeg" | "jpg" => FormatChoice::Is(Format::Jpeg),
            "png" => FormatChoice::Is(Format::Png),
            "webp" => FormatChoice::Is(Format::Webp),
            "avif" => FormatChoice::Is(Format::Avif),
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            FormatChoice::Auto => "auto",
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
}

/// A turn clockwise, in quarter turns, and an optional mirror: any of the 8 orientations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Turn {
    pub quarters: u8,
    pub flip: Flip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flip {
    #[default]
    None,
    Horizontal,
    Vertical,
    Both,
}

impl Flip {
    pub fn parse(s: &str) -> Option<Flip> {
        Some(match s {
            "h" => Flip::Horizontal,
            "v" => Flip::Vertical,
            "hv" | "vh" => Flip::Both,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Flip::None => "",
            Flip::Horizontal => "h",
            Flip::Vertical => "v",
            Flip::Both => "hv",
        }
    }
}

/// Orientation-aware size presets (`?size=L`): the box depends on whether the original is wide
/// or tall, and the image fits inside it without enlarging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizePreset {
    L,
    M,
    S,
    XS,
    SL,
    SM,
    SS,
    SXS,
}

impl SizePreset {
    pub const NAMES: &'static str = "L, M, S, XS, SL, SM, SS, SXS";

    pub fn parse(s: &str) -> Option<SizePreset> {
        Some(match s.to_ascii_uppercase().as_str() {
            "L" => SizePreset::L,
            "M" => SizePreset::M,
            "S" => SizePreset::S,
            "XS" => SizePreset::XS,
            "SL" => SizePreset::SL,
            "SM" => SizePreset::SM,
            "SS" => SizePreset::SS,
            "SXS" => SizePreset::SXS,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            SizePreset::L => "L",
            SizePreset::M => "M",
            SizePreset::S => "S",
            SizePreset::XS => "XS",
            SizePreset::SL => "SL",
            SizePreset::SM => "SM",
            SizePreset::SS => "SS",
            SizePreset::SXS => "SXS",
        }
    }

    /// The box for a `w`×`h` (displayed) original: landscape boxes for wide images, the same
    /// boxes turned for tall ones; the square presets are square.
    pub fn box_for(self, w: u32, h: u32) -> (u32, u32) {
        let (long, short) = match self {
            SizePreset::L => (1280, 720),
            SizePreset::M => (1200, 628),
            SizePreset::S => (854, 480),
            SizePreset::XS => (427, 240),
            SizePreset::SL => (1080, 1080),
            SizePreset::SM => (540, 540),
            SizePreset::SS => (360, 360),
            SizePreset::SXS => (180, 180),
        };
        if h > w {
            (short, long)
        } else {
            (long, short)
        }
    }
}

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
            Some(FormatChoice::Auto) => negotiate(source, accepts),
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

    /// The canonical serialisation: fixed order, short names, defaults dropped.
    /// Safe inside a URL query or an R2 key (only `[A-Za-z0-9=,.-]`).
    pub fn canonical(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(w) = self.width {
            parts.push(format!("w={w}"));
        }
        if let Some(h) = self.height {
            parts.push(format!("h={h}"));
        }
        if let Some(s) = self.size {
            parts.push(format!("size={}", s.name()));
        }
        if self.fit != Fit::default() {
            parts.push(format!("fit={}", self.fit.name()));
        }
        if self.gravity != Gravity::default() {
            parts.push(format!("g={}", self.gravity.name()));
        }
        if let Some(q) = self.quality {
            parts.push(format!("q={q}"));
        }
        if let Some(f) = self.format {
            parts.push(format!("f={}", f.name()));
        }
        if let Some([r, g, b, a]) = self.background {
            let alpha = if a == 255 { String::new() } else { format!("{a:02x}") };
            parts.push(format!("bg={r:02x}{g:02x}{b:02x}{alpha}"));
        }
        if self.turn.quarters != 0 {
            parts.push(format!("r={}", self.turn.quarters as u32 * 90));
        }
        if self.turn.flip != Flip::None {
            parts.push(format!("flip={}", self.turn.flip.name()));
        }
        if self.anim {
            parts.push("anim".into());
        }
        if self.progressive {
            parts.push("progressive".into());
        }
        parts.join(",")
    }

    /// EXIF orientation, then the requested rotation, then the requested flip, as one of the
    /// eight orientations (they form a group, so any sequence is one of them).
    pub fn orientation_after(&self, exif: Orientation) -> Orientation {
        let rotate = Orientation::from_exif(match self.turn.quarters % 4 {
            0 => 1,
            1 => 6,
            2 => 3,
            _ => 8,
        })
        .expect("valid EXIF values");
        let flip = match self.turn.flip {
            Flip::None => Orientation::NoTransforms,
            Flip::Horizontal => Orientation::FlipHorizontal,
            Flip::Vertical => Orientation::FlipVertical,
            Flip::Both => Orientation::Rotate180,
        };
        compose(compose(exif, rotate), flip)
    }
}

pub const WHITE: [u8; 4] = [255, 255, 255, 255];

/// `format=auto`: the best format we encode that the client accepts: AVIF (when allowed), WebP
/// (lossy libwebp, with alpha), else the source's own format.
fn negotiate(source: Format, accepts: Accepts) -> Format {
    if accepts.avif {
        Format::Avif
    } else if accepts.webp {
        Format::Webp
    } else {
        source.default_output()
    }
}

/// An orientation as "turn `k` quarter turns clockwise, then mirror left-right if `m`".
fn as_turn(o: Orientation) -> (u8, bool) {
    match o {
        Orientation::NoTransforms => (0, false),
        Orientation::Rotate90 => (1, false),
        Orientation::Rotate180 => (2, false),
        Orientation::Rotate270 => (3, false),
        Orientation::FlipHorizontal => (0, true),
        Orientation::Rotate90FlipH => (1, true),
        Orientation::FlipVertical => (2, true),
        Orientation::Rotate270FlipH => (3, true),
    }
}

fn from_turn(k: u8, m: bool) -> Orientation {
    match (k % 4, m) {
        (0, false) => Orientation::NoTransforms,
        (1, false) => Orientation::Rotate90,
        (2, false) => Orientation::Rotate180,
        (3, false) => Orientation::Rotate270,
        (0, true) => Orientation::FlipHorizontal,
        (1, true) => Orientation::Rotate90FlipH,
        (2, true) => Orientation::FlipVertical,
        _ => Orientation::Rotate270FlipH,
    }
}

/// `a` then `b`. A mirror followed by a turn equals the opposite turn followed by the mirror.
pub fn compose(a: Orientation, b: Orientation) -> Orientation {
    let ((ka, ma), (kb, mb)) = (as_turn(a), as_turn(b));
    let k = if ma { ka + 4 - kb } else { ka + kb };
    from_turn(k, ma ^ mb)
}

impl fmt::Display for Transform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{DynamicImage, Rgb, RgbImage};

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
    fn gravity_parses_compass_points_and_focal_points() {
        assert_eq!(Gravity::parse("top-left"), Some(Gravity::TopLeft));
        assert_eq!(Gravity::parse("0.5x0.25"), Some(Gravity::Focal { x: 500, y: 250 }));
        assert_eq!(Gravity::parse("1x0"), Some(Gravity::Focal { x: 1000, y: 0 }));
        for bad in ["1.5x0", "-0.1x0.5", "0.5", "x", "0x0x0", "nan", "1e-1x0", "north"] {
            assert_eq!(Gravity::parse(bad), None, "{bad}");
        }
        assert_eq!(Gravity::Focal { x: 500, y: 250 }.name(), "0.5x0.25");
    }

    #[test]
    fn size_presets_turn_with_the_original() {
        assert_eq!(SizePreset::L.box_for(4000, 3000), (1280, 720));
        assert_eq!(SizePreset::L.box_for(3000, 4000), (720, 1280));
        assert_eq!(SizePreset::SM.box_for(3000, 4000), (540, 540));
    }

    /// The composed orientation must equal applying the steps one by one with `image`.
    #[test]
    fn orientation_composition_matches_applying_each_step() {
        let all = [1u8, 2, 3, 4, 5, 6, 7, 8].map(|v| Orientation::from_exif(v).unwrap());
        let src = RgbImage::from_fn(3, 2, |x, y| Rgb([x as u8 * 80, y as u8 * 120, 7]));
        for a in all {
            for b in all {
                let mut stepwise = DynamicImage::ImageRgb8(src.clone());
                stepwise.apply_orientation(a);
                stepwise.apply_orientation(b);
                let mut at_once = DynamicImage::ImageRgb8(src.clone());
                at_once.apply_orientation(compose(a, b));
                assert_eq!(stepwise, at_once, "{a:?} then {b:?}");
            }
        }
    }
}
