//! The option vocabulary shared by the query (`?width=400&fit=cover`) and Cloudflare path
//! (`/cdn-cgi/image/width=400,fit=cover/…`) grammars: Cloudflare's names and short aliases.
//! Strict on purpose: an unknown, repeated or out-of-range option is a 400 naming the option,
//! because silently ignoring it would create cache entries nobody asked for.

use crate::config::UrlSettings;
use crate::error::{Error, Result};
use crate::transform::{
    Border, Drawn, Factor, Fit, Flip, Format, FormatChoice, Gravity, Metadata, Names, Quality, SizePreset, SizeSpec, Transform, Trim,
    BORDER_TOLERANCE,
};

/// Bounds the work spent on hostile URLs (thousands of parameters); the whole vocabulary fits.
pub const MAX_OPTIONS: usize = 32;

/// The largest trim in pixels (a side of the largest source we would decode).
const MAX_TRIM: u32 = 65_535;

/// Which option families a grammar accepts.
#[derive(Debug, Clone, Copy)]
pub struct Vocabulary {
    /// Cloudflare's options: width, height, fit, gravity, quality, format, … (see [`Opt`]).
    pub transform: bool,
    /// size, to_webp (the orientation-aware preset query).
    pub presets: bool,
}

/// Every option a URL may name. Its canonical name (the first in [`Opt::NAMES`]) is what error
/// messages say; the short aliases are Cloudflare's and imgproxy's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opt {
    Width,
    Height,
    Quality,
    SlowQuality,
    Format,
    Gravity,
    Zoom,
    Fit,
    Dpr,
    Background,
    Rotate,
    Flip,
    Anim,
    Blur,
    Sharpen,
    Brightness,
    Contrast,
    Gamma,
    Saturation,
    Trim,
    TrimTop,
    TrimRight,
    TrimBottom,
    TrimLeft,
    TrimWidth,
    TrimHeight,
    TrimColor,
    TrimTolerance,
    TrimKeep,
    Border,
    Draw,
    Metadata,
    OnError,
    Compression,
    Segment,
    Upscale,
    Size,
    ToWebp,
}

impl Opt {
    const NAMES: Names<Opt> = Names {
        table: &[
            ("width", Opt::Width),
            ("w", Opt::Width),
            ("height", Opt::Height),
            ("h", Opt::Height),
            ("fit", Opt::Fit),
            ("gravity", Opt::Gravity),
            ("g", Opt::Gravity),
            ("zoom", Opt::Zoom),
            ("face-zoom", Opt::Zoom),
            ("quality", Opt::Quality),
            ("q", Opt::Quality),
            ("slow-connection-quality", Opt::SlowQuality),
            ("scq", Opt::SlowQuality),
            ("format", Opt::Format),
            ("f", Opt::Format),
            ("dpr", Opt::Dpr),
            ("background", Opt::Background),
            ("rotate", Opt::Rotate),
            ("flip", Opt::Flip),
            ("anim", Opt::Anim),
            ("blur", Opt::Blur),
            ("sharpen", Opt::Sharpen),
            ("brightness", Opt::Brightness),
            ("contrast", Opt::Contrast),
            ("gamma", Opt::Gamma),
            ("saturation", Opt::Saturation),
            ("trim", Opt::Trim),
            ("trim.top", Opt::TrimTop),
            ("trim.right", Opt::TrimRight),
            ("trim.bottom", Opt::TrimBottom),
            ("trim.left", Opt::TrimLeft),
            ("trim.width", Opt::TrimWidth),
            ("trim.height", Opt::TrimHeight),
            ("trim.border.color", Opt::TrimColor),
            ("trim.color", Opt::TrimColor),
            ("trim.border.tolerance", Opt::TrimTolerance),
            ("trim.tolerance", Opt::TrimTolerance),
            ("trim.border.keep", Opt::TrimKeep),
            ("trim.keep", Opt::TrimKeep),
            ("border", Opt::Border),
            ("draw", Opt::Draw),
            ("metadata", Opt::Metadata),
            ("onerror", Opt::OnError),
            ("compression", Opt::Compression),
            ("segment", Opt::Segment),
            ("upscale", Opt::Upscale),
            ("size", Opt::Size),
            ("to_webp", Opt::ToWebp),
        ],
    };

    fn name(self) -> &'static str {
        Opt::NAMES.name(self).unwrap_or("?")
    }

    /// `size` and `to_webp` belong to the preset query; everything else to the transform vocabulary.
    fn is_preset(self) -> bool {
        matches!(self, Opt::Size | Opt::ToWebp)
    }

    fn allowed(self, v: Vocabulary) -> bool {
        if self.is_preset() {
            v.presets
        } else {
            v.transform
        }
    }

    /// The canonical names a vocabulary knows, for the "unknown option" message.
    fn known(v: Vocabulary) -> String {
        let names = Opt::NAMES.list();
        names.split(", ").filter(|n| Opt::NAMES.parse(n).is_some_and(|o| o.allowed(v))).collect::<Vec<_>>().join(", ")
    }
}

/// The pieces of `trim`, checked together in [`Builder::finish`].
#[derive(Debug, Default)]
struct TrimParts {
    /// `trim=top;right;bottom;left` and `trim.top` … `trim.left`.
    sides: [Option<u32>; 4],
    width: Option<u32>,
    height: Option<u32>,
    border: bool,
    color: Option<[u8; 4]>,
    tolerance: Option<u8>,
    keep: Option<u32>,
}

/// Collects options, then checks them as a whole in [`Builder::finish`].
pub struct Builder<'c> {
    settings: &'c UrlSettings,
    t: Transform,
    dpr: Option<f64>,
    trim: TrimParts,
    border: Option<Border>,
    seen: Vec<Opt>,
    /// The size came from the path (`cat-200x200.jpg`); the options may not set it again.
    size_from_path: bool,
}

impl<'c> Builder<'c> {
    pub fn new(settings: &'c UrlSettings) -> Self {
        Builder {
            settings,
            t: Transform::default(),
            dpr: None,
            trim: TrimParts::default(),
            border: None,
            seen: Vec::new(),
            size_from_path: false,
        }
    }

    /// Cloudflare's `/cdn-cgi/image/` path, whose `anim` is on unless the URL says `anim=false`.
    pub fn cloudflare(settings: &'c UrlSettings) -> Self {
        let mut b = Builder::new(settings);
        b.t.anim = true;
        b
    }

    /// Starts from a size given by a path grammar.
    pub fn with_path_size(settings: &'c UrlSettings, size: SizeSpec) -> Self {
        let mut b = Builder::new(settings);
        size.apply_to(&mut b.t);
        b.size_from_path = true;
        b
    }

    pub fn set(&mut self, name: &str, value: &str, vocabulary: Vocabulary) -> Result<()> {
        let option = Opt::NAMES.parse(name).filter(|o| o.allowed(vocabulary)).ok_or_else(|| unknown(name, vocabulary))?;
        let label = option.name();
        if self.seen.contains(&option) {
            return Err(Error::bad_request(format!("option '{label}' is given more than once")));
        }
        if self.seen.len() >= MAX_OPTIONS {
            return Err(Error::bad_request(format!("at most {MAX_OPTIONS} options")));
        }
        self.seen.push(option);
        if self.size_from_path && matches!(option, Opt::Width | Opt::Height | Opt::Size) {
            return Err(Error::bad_request(format!("'{label}' conflicts with the size already given in the path")));
        }
        let s = self.settings;
        let t = &mut self.t;
        let trim = &mut self.trim;
        match option {
            Opt::Width if value == "auto" => t.auto_width = true,
            Opt::Width => t.width = Some(whole(label, value, 1, s.max_width)?),
            Opt::Height => t.height = Some(whole(label, value, 1, s.max_height)?),
            Opt::Quality => t.quality = Some(quality(label, value)?),
            Opt::SlowQuality => t.slow_quality = Some(quality(label, value)?),
            Opt::Fit => t.fit = Fit::parse(value).ok_or_else(|| one_of(label, &Fit::NAMES.list()))?,
            Opt::Gravity => t.gravity = Gravity::parse(value).ok_or_else(|| one_of(label, &Gravity::expected()))?,
            // Only meaningful with face detection, which falls back to `auto` here: checked, then unused.
            Opt::Zoom => drop(factor(label, value, 1.0)?),
            Opt::Format if value == "baseline-jpeg" => {
                t.format = Some(FormatChoice::Is(Format::Jpeg));
                t.baseline = true;
            }
            Opt::Format => {
                let names = format!("{}, baseline-jpeg", FormatChoice::NAMES.list());
                t.format = Some(FormatChoice::parse(value).ok_or_else(|| one_of(label, &names))?);
            }
            Opt::Dpr => self.dpr = Some(dpr(value)?),
            Opt::Background => t.background = Some(colour(label, value)?),
            Opt::Rotate => {
                let degrees = whole(label, value, 0, 270).ok().filter(|d| d % 90 == 0).ok_or_else(|| one_of(label, "0, 90, 180, 270"))?;
                t.turn.quarters = (degrees / 90) as u8;
            }
            Opt::Flip => t.turn.flip = Flip::parse(value).ok_or_else(|| one_of(label, "h, v, hv"))?,
            Opt::Anim => t.anim = flag(label, value)?,
            Opt::Blur => t.adjust.blur = whole(label, value, 0, 250)? as u8,
            Opt::Sharpen => t.adjust.sharpen = factor(label, value, 10.0)?,
            Opt::Brightness => t.adjust.brightness = factor(label, value, 10.0)?,
            Opt::Contrast => t.adjust.contrast = factor(label, value, 10.0)?,
            Opt::Gamma => t.adjust.gamma = factor(label, value, 10.0)?,
            Opt::Saturation => t.adjust.saturation = factor(label, value, 10.0)?,
            Opt::Trim if value == "border" => trim.border = true,
            Opt::Trim => {
                let sides: Vec<&str> = value.split(';').collect();
                if sides.len() != 4 {
                    return Err(Error::bad_request("trim must be border or four numbers top;right;bottom;left"));
                }
                for (slot, side) in trim.sides.iter_mut().zip(sides) {
                    *slot = Some(whole(label, side, 0, MAX_TRIM)?);
                }
            }
            Opt::TrimTop => set_side(&mut trim.sides[0], label, value)?,
            Opt::TrimRight => set_side(&mut trim.sides[1], label, value)?,
            Opt::TrimBottom => set_side(&mut trim.sides[2], label, value)?,
            Opt::TrimLeft => set_side(&mut trim.sides[3], label, value)?,
            Opt::TrimWidth => trim.width = Some(whole(label, value, 1, MAX_TRIM)?),
            Opt::TrimHeight => trim.height = Some(whole(label, value, 1, MAX_TRIM)?),
            Opt::TrimColor => trim.color = Some(colour(label, value)?),
            Opt::TrimTolerance => trim.tolerance = Some(whole(label, value, 0, 255)? as u8),
            Opt::TrimKeep => trim.keep = Some(whole(label, value, 0, MAX_TRIM)?),
            Opt::Border => self.border = Some(border(value)?),
            Opt::Draw => {
                for name in value.split(';') {
                    if !s.overlay_names.iter().any(|n| n == name) {
                        let names =
                            if s.overlay_names.is_empty() { "none are configured (OVERLAYS)".into() } else { s.overlay_names.join(", ") };
                        return Err(Error::bad_request(format!("draw must name overlays from OVERLAYS: {names}")));
                    }
                    if !t.draw.iter().any(|d| d.name == name) {
                        t.draw.push(Drawn { name: name.to_string(), version: None });
                    }
                }
            }
            Opt::Metadata => t.metadata = Metadata::NAMES.parse(value).ok_or_else(|| one_of(label, &Metadata::NAMES.list()))?,
            Opt::OnError => match value {
                "redirect" => t.on_error = true,
                _ => return Err(one_of(label, "redirect")),
            },
            Opt::Compression => match value {
                "fast" => t.fast = true,
                _ => return Err(one_of(label, "fast")),
            },
            Opt::Segment => return Err(not_here(label, value, "needs a segmentation model (Cloudflare runs BiRefNet on Workers AI)")),
            Opt::Upscale => match value {
                "interpolate" => {}
                "generate" => return Err(not_here(label, value, "needs an upscaling model (Cloudflare runs ESRGAN on a GPU)")),
                _ => return Err(one_of(label, "interpolate, generate")),
            },
            Opt::Size => t.size = Some(SizePreset::parse(value).ok_or_else(|| one_of(label, &SizePreset::NAMES.list()))?),
            Opt::ToWebp => match value {
                "1" | "true" => {
                    if t.format.is_some_and(|f| f != FormatChoice::Is(Format::Webp)) {
                        return Err(Error::bad_request("to_webp conflicts with format"));
                    }
                    t.format = Some(FormatChoice::Is(Format::Webp));
                }
                "0" | "false" => {}
                _ => return Err(one_of(label, "1 or 0")),
            },
        }
        if option == Opt::Format && self.seen.contains(&Opt::ToWebp) && self.t.format != Some(FormatChoice::Is(Format::Webp)) {
            return Err(Error::bad_request("to_webp conflicts with format"));
        }
        Ok(())
    }

    /// Checks the options together, folds `dpr` into the box, the trim and the border, and
    /// drops what changes nothing.
    pub fn finish(self) -> Result<Transform> {
        let mut t = self.t;
        if t.size.is_some() && (t.width.is_some() || t.height.is_some() || t.auto_width) {
            return Err(Error::bad_request("size= cannot be combined with width or height"));
        }
        // Sizes from the path (`cat-99999x99999.jpg`) are held to the same maximum as options.
        let (max_w, max_h) = (self.settings.max_width, self.settings.max_height);
        if t.width.is_some_and(|w| w > max_w) || t.height.is_some_and(|h| h > max_h) {
            return Err(Error::bad_request(format!("the size is over the maximum of {max_w}×{max_h}")));
        }
        let dpr = self.dpr.unwrap_or(1.0);
        if self.dpr.is_some() {
            t.width = scaled("width", t.width, dpr, max_w)?;
            t.height = scaled("height", t.height, dpr, max_h)?;
        }
        t.trim = self.trim.finish(dpr)?;
        if let Some(b) = self.border {
            let px = |v: u32| (v as f64 * dpr).round() as u32;
            t.border = Some(Border { top: px(b.top), right: px(b.right), bottom: px(b.bottom), left: px(b.left), ..b });
        }
        // `AUTO_FORMAT`: a transform that names no format negotiates one. Plain originals stay originals.
        if self.settings.auto_format && t.format.is_none() && !t.is_identity() {
            t.format = Some(FormatChoice::Auto);
        }
        Ok(t.normalized())
    }
}

impl TrimParts {
    fn finish(self, dpr: f64) -> Result<Option<Trim>> {
        let px = |v: u32| (v as f64 * dpr).round() as u32;
        let any_edge = self.sides.iter().any(Option::is_some) || self.width.is_some() || self.height.is_some();
        let any_border = self.color.is_some() || self.tolerance.is_some() || self.keep.is_some();
        if self.border {
            if any_edge {
                return Err(Error::bad_request("trim=border cannot be combined with trims in pixels"));
            }
            let (tolerance, keep) = (self.tolerance.unwrap_or(BORDER_TOLERANCE), px(self.keep.unwrap_or(0)));
            return Ok(Some(Trim::Border { color: self.color, tolerance, keep }));
        }
        if any_border {
            return Err(Error::bad_request("trim.border.color, .tolerance and .keep need trim=border"));
        }
        if !any_edge {
            return Ok(None);
        }
        let [top, right, bottom, left] = self.sides.map(|s| px(s.unwrap_or(0)));
        Ok(Some(Trim::Edges { top, right, bottom, left, width: self.width.map(px), height: self.height.map(px) }))
    }
}

fn set_side(slot: &mut Option<u32>, label: &str, value: &str) -> Result<()> {
    if slot.is_some() {
        return Err(Error::bad_request(format!("{label} conflicts with trim=top;right;bottom;left")));
    }
    *slot = Some(whole(label, value, 0, MAX_TRIM)?);
    Ok(())
}

/// `border=color;width` or `border=color;top;right;bottom;left` (`,` also separates, as in
/// `border=red,10`). Cloudflare offers `border` to Workers only; this is its URL form here.
/// The widths are read from the right, so a colour may hold commas (`rgb(0,0,0);4`).
fn border(value: &str) -> Result<Border> {
    let usage = || Error::bad_request("border must be color;width or color;top;right;bottom;left, widths 0 to 100");
    let (mut rest, mut widths) = (value, Vec::new());
    while widths.len() < 4 {
        let Some((head, tail)) = rest.rsplit_once([';', ',']) else { break };
        let Ok(w) = whole("border", tail, 0, 100) else { break };
        widths.push(w);
        rest = head;
    }
    let [top, right, bottom, left] = match widths[..] {
        [w] => [w; 4],
        [l, b, r, t] => [t, r, b, l],
        _ => return Err(usage()),
    };
    Ok(Border { color: colour("border", rest)?, top, right, bottom, left })
}

fn not_here(option: &str, value: &str, why: &str) -> Error {
    Error::bad_request(format!("{option}={value} is not supported here: it {why}"))
}

fn quality(option: &str, value: &str) -> Result<Quality> {
    Quality::parse(value)
        .ok_or_else(|| Error::bad_request(format!("{option} must be a whole number from 1 to 100, or one of {}", Quality::LEVELS.list())))
}

fn factor(option: &str, value: &str, max: f64) -> Result<Factor> {
    Factor::parse(value, max).ok_or_else(|| Error::bad_request(format!("{option} must be a number from 0 to {max}")))
}

fn unknown(name: &str, v: Vocabulary) -> Error {
    let short: String = name.chars().take(32).collect();
    let known = Opt::known(v);
    if known.is_empty() {
        Error::bad_request(format!("unknown option '{short}': options are switched off here"))
    } else {
        Error::bad_request(format!("unknown option '{short}' (known: {known})"))
    }
}

fn one_of(option: &str, names: &str) -> Error {
    Error::bad_request(format!("{option} must be one of {names}"))
}

fn whole(option: &str, value: &str, min: u32, max: u32) -> Result<u32> {
    let digits = !value.is_empty() && value.len() <= 6 && value.bytes().all(|b| b.is_ascii_digit());
    match value.parse::<u32>() {
        Ok(n) if digits && (min..=max).contains(&n) => Ok(n),
        _ => Err(Error::bad_request(format!("{option} must be a whole number from {min} to {max}"))),
    }
}

fn flag(option: &str, value: &str) -> Result<bool> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(one_of(option, "true or false")),
    }
}

/// Device pixel ratio 1..=3 (Cloudflare allows up to 2; retina phones go to 3).
fn dpr(value: &str) -> Result<f64> {
    let plain = !value.is_empty() && value.len() <= 5 && value.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    match value.parse::<f64>() {
        Ok(d) if plain && (1.0..=3.0).contains(&d) => Ok(d),
        _ => Err(Error::bad_request("dpr must be a number from 1 to 3")),
    }
}

fn scaled(option: &str, side: Option<u32>, dpr: f64, max: u32) -> Result<Option<u32>> {
    let Some(side) = side else { return Ok(None) };
    let px = (side as f64 * dpr).round() as u32;
    if px > max {
        return Err(Error::bad_request(format!("{option} × dpr is {px}, over the maximum of {max}")));
    }
    Ok(Some(px))
}

/// A CSS colour (`red`, `#ff0000`, `rgb(255 0 0 / 50%)`, …), or bare hex digits (`ff0000`),
/// since `#` must be escaped in URLs.
fn colour(option: &str, value: &str) -> Result<[u8; 4]> {
    let bare_hex = matches!(value.len(), 3 | 4 | 6 | 8) && value.bytes().all(|b| b.is_ascii_hexdigit());
    let css = if bare_hex { format!("#{value}") } else { value.to_string() };
    if value.len() > 64 {
        return Err(Error::bad_request(format!("{option} is too long")));
    }
    csscolorparser::parse(&css)
        .map(|c| c.to_rgba8())
        .map_err(|_| Error::bad_request(format!("{option} must be a CSS colour, e.g. white, ff0000 or rgb(0 0 0 / 50%)")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: Vocabulary = Vocabulary { transform: true, presets: true };

    fn build(pairs: &[(&str, &str)]) -> Result<Transform> {
        let config = UrlSettings::default();
        let mut b = Builder::new(&config);
        for (n, v) in pairs {
            b.set(n, v, ALL)?;
        }
        b.finish()
    }

    #[test]
    fn every_option_parses_into_the_canonical_form() {
        let t = build(&[
            ("w", "400"),
            ("h", "300"),
            ("fit", "cover"),
            ("g", "top"),
            ("q", "75"),
            ("f", "webp"),
            ("background", "red"),
            ("rotate", "90"),
            ("flip", "h"),
        ])
        .unwrap();
        assert_eq!(t.canonical(), "w=400,h=300,fit=cover,g=top,q=75,f=webp,bg=ff0000,r=90,flip=h");
        assert_eq!(build(&[("size", "l"), ("to_webp", "1")]).unwrap().canonical(), "size=L,f=webp");
        assert_eq!(build(&[("background", "%23fff".replace("%23", "#").as_str())]).unwrap().canonical(), "", "white is the default");
        assert_eq!(build(&[("background", "00000080")]).unwrap().canonical(), "bg=00000080");
    }

    #[test]
    fn cloudflares_whole_vocabulary_parses_into_the_canonical_form() {
        let t = build(&[
            ("blur", "10"),
            ("sharpen", "1.5"),
            ("brightness", "1.2"),
            ("contrast", "0.8"),
            ("gamma", "2"),
            ("saturation", "0"),
            ("metadata", "keep"),
            ("quality", "medium-low"),
            ("scq", "low"),
            ("compression", "fast"),
            ("w", "auto"),
        ])
        .unwrap();
        assert_eq!(t.canonical(), "w=auto,q=medium-low,scq=low,compression=fast,blur=10,sharpen=1.5,bri=1.2,con=0.8,gam=2,sat=0,meta=keep");
        let neutral =
            build(&[("brightness", "1"), ("contrast", "0"), ("gamma", "1.0"), ("saturation", "1"), ("sharpen", "0"), ("blur", "0")]);
        assert_eq!(neutral.unwrap().canonical(), "", "neutral adjustments and Cloudflare's ignored 0 change nothing");
        assert_eq!(build(&[("metadata", "copyright")]).unwrap().canonical(), "", "copyright is the default");
        assert_eq!(build(&[("format", "baseline-jpeg")]).unwrap().canonical(), "f=baseline-jpeg");
        assert_eq!(build(&[("format", "json")]).unwrap().canonical(), "f=json");
        assert_eq!(
            build(&[("gravity", "face"), ("zoom", "0.5"), ("fit", "cover"), ("w", "5"), ("h", "5")]).unwrap().canonical(),
            "w=5,h=5,fit=cover,g=face"
        );
        assert_eq!(build(&[("upscale", "interpolate")]).unwrap().canonical(), "", "bicubic-or-better is what we do anyway");
        let onerror = build(&[("onerror", "redirect"), ("w", "5")]).unwrap();
        assert!(onerror.on_error);
        assert_eq!(onerror.canonical(), "w=5", "onerror changes only what an error answers");
    }

    #[test]
    fn trims_and_borders_take_dpr_into_account() {
        assert_eq!(build(&[("trim", "1;2;3;4"), ("dpr", "2")]).unwrap().canonical(), "trim=2_4_6_8");
        assert_eq!(build(&[("trim.left", "5"), ("trim.width", "100")]).unwrap().canonical(), "trim=0_0_0_5_w100");
        assert_eq!(build(&[("trim", "0;0;0;0")]).unwrap().canonical(), "", "a trim of nothing");
        assert_eq!(build(&[("trim", "border")]).unwrap().canonical(), "trim=border");
        let full =
            build(&[("trim", "border"), ("trim.border.color", "white"), ("trim.border.tolerance", "200"), ("trim.border.keep", "3")]);
        assert_eq!(full.unwrap().canonical(), "trim=border_ffffff_t200_k3");
        assert_eq!(build(&[("border", "red;4"), ("dpr", "1.5")]).unwrap().canonical(), "border=ff0000_6_6_6_6");
        assert_eq!(build(&[("border", "rgb(0,0,255),1,2,3,4")]).unwrap().canonical(), "border=0000ff_1_2_3_4");
        assert_eq!(build(&[("border", "red;0")]).unwrap().canonical(), "", "a border of nothing");
    }

    #[test]
    fn dpr_is_folded_into_the_box_and_checked_against_the_maximum() {
        assert_eq!(build(&[("w", "400"), ("dpr", "2")]).unwrap().canonical(), build(&[("w", "800")]).unwrap().canonical());
        assert_eq!(build(&[("w", "101"), ("h", "50"), ("dpr", "1.5")]).unwrap().canonical(), "w=152,h=75");
        assert_eq!(build(&[("dpr", "2")]).unwrap().canonical(), "", "dpr alone changes nothing");
        let e = build(&[("w", "3000"), ("dpr", "2")]).unwrap_err();
        assert!(e.message().contains("over the maximum of 4096"), "{e}");
    }

    #[test]
    fn rejects_bad_values_naming_the_option() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("w", "0")], "width"),
            (&[("w", "4097")], "width"),
            (&[("w", "+5")], "width"),
            (&[("w", " 5")], "width"),
            (&[("q", "101")], "quality"),
            (&[("fit", "fill")], "fit"),
            (&[("g", "north")], "gravity"),
            (&[("format", "tiff")], "format"),
            (&[("dpr", "4")], "dpr"),
            (&[("dpr", "NaN")], "dpr"),
            (&[("rotate", "45")], "rotate"),
            (&[("flip", "x")], "flip"),
            (&[("background", "notacolour")], "background"),
            (&[("size", "XXL")], "size"),
            (&[("to_webp", "yes")], "to_webp"),
            (&[("blur", "251")], "blur"),
            (&[("sharpen", "10.5")], "sharpen"),
            (&[("brightness", "-1")], "brightness"),
            (&[("saturation", "x")], "saturation"),
            (&[("trim", "1;2;3")], "trim"),
            (&[("trim", "border"), ("trim.left", "3")], "trim=border"),
            (&[("trim.border.keep", "3")], "trim=border"),
            (&[("trim", "1;2;3;4"), ("trim.top", "3")], "trim.top"),
            (&[("trim.border.tolerance", "256"), ("trim", "border")], "trim.border.tolerance"),
            (&[("border", "red")], "border"),
            (&[("border", "red;1;2")], "border"),
            (&[("border", "nocolour;4")], "border"),
            (&[("metadata", "all")], "metadata"),
            (&[("onerror", "retry")], "onerror"),
            (&[("compression", "slow")], "compression"),
            (&[("quality", "best")], "quality"),
            (&[("scq", "0")], "slow-connection-quality"),
            (&[("zoom", "2")], "zoom"),
            (&[("segment", "foreground")], "not supported here"),
            (&[("upscale", "generate")], "not supported here"),
            (&[("upscale", "x")], "upscale"),
            (&[("width", "auto"), ("size", "L")], "size"),
            (&[("frobnicate", "1")], "frobnicate"),
            (&[("w", "1"), ("width", "2")], "width"),
            (&[("size", "L"), ("w", "100")], "size"),
            (&[("to_webp", "1"), ("format", "png")], "to_webp"),
            (&[("format", "png"), ("to_webp", "1")], "to_webp"),
        ];
        for (pairs, named) in cases {
            let e = build(pairs).unwrap_err();
            assert_eq!(e.status(), 400, "{pairs:?}");
            assert!(e.message().contains(named), "{pairs:?}: {e}");
        }
    }

    #[test]
    fn auto_format_negotiates_transforms_that_name_no_format() {
        let config = UrlSettings { auto_format: true, ..UrlSettings::default() };
        let finish = |pairs: &[(&str, &str)]| {
            let mut b = Builder::new(&config);
            pairs.iter().for_each(|(n, v)| b.set(n, v, ALL).unwrap());
            b.finish().unwrap().canonical()
        };
        assert_eq!(finish(&[("w", "100")]), "w=100,f=auto");
        assert_eq!(finish(&[("w", "100"), ("f", "png")]), "w=100,f=png");
        assert_eq!(finish(&[]), "", "an original stays an original");
    }

    #[test]
    fn a_path_size_cannot_be_set_again() {
        let config = UrlSettings::default();
        let mut b = Builder::with_path_size(&config, SizeSpec::parse("200x200", false).unwrap());
        b.set("format", "webp", ALL).unwrap();
        assert_eq!(b.finish().unwrap().canonical(), "w=200,h=200,fit=cover,f=webp");
        let big = Builder::with_path_size(&config, SizeSpec::parse("99999x10", false).unwrap());
        assert_eq!(big.finish().unwrap_err().status(), 400, "a path size over the maximum");
        let mut b = Builder::with_path_size(&config, SizeSpec::parse("640w", false).unwrap());
        assert!(b.set("w", "100", ALL).unwrap_err().message().contains("conflicts"));
    }

    #[test]
    fn switched_off_vocabularies_are_unknown() {
        let config = UrlSettings::default();
        let mut b = Builder::new(&config);
        let e = b.set("size", "L", Vocabulary { transform: true, presets: false }).unwrap_err();
        assert!(e.message().contains("unknown option 'size'"), "{e}");
    }
}
