//! The option vocabulary shared by the query (`?width=400&fit=cover`) and Cloudflare path
//! (`/cdn-cgi/image/width=400,fit=cover/…`) grammars: Cloudflare's names and short aliases.
//! Strict on purpose: an unknown, repeated or out-of-range option is a 400 naming the option,
//! because silently ignoring it would create cache entries nobody asked for. The value parsers
//! (numbers, colours, borders, their 400s) are in `values.rs`, the table of names in
//! `names.rs`, the tests in `tests.rs`.

mod names;
mod values;

use crate::config::UrlSettings;
use crate::error::{Error, Result};
use crate::transform::{
    Border, Drawn, Fit, Flip, Format, FormatChoice, Gravity, Hdr, Metadata, SizePreset, SizeSpec, Transform, Trim, BORDER_TOLERANCE,
};
use names::Opt;
use values::{border, colour, dpr, factor, flag, not_here, one_of, quality, scaled, set_side, whole};

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
    /// `gravity.mode=remainder`: the focal point read as where the overflow goes.
    remainder: Option<bool>,
    /// `format=png-force`: no quality may make a lossy palette of the PNG.
    png_force: bool,
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
            remainder: None,
            png_force: false,
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
            Opt::GravityMode => {
                self.remainder = Some(match value {
                    "remainder" => true,
                    "box-center" => false,
                    _ => return Err(one_of(label, "remainder, box-center")),
                })
            }
            Opt::Zoom => t.zoom = Some(factor(label, value, 1.0)?),
            Opt::Format if value == "baseline-jpeg" => {
                t.format = Some(FormatChoice::Is(Format::Jpeg));
                t.baseline = true;
            }
            // PNG, lossless whatever else asks otherwise: never the lossy palette a `quality` makes
            // of `format=png` (Cloudflare lists the name and documents nothing).
            Opt::Format if value == "png-force" => {
                t.format = Some(FormatChoice::Is(Format::Png));
                self.png_force = true;
            }
            Opt::Format => {
                let names = format!("{}, baseline-jpeg, png-force", FormatChoice::NAMES.list());
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
            Opt::Hdr => t.hdr = if flag(label, value)? { Hdr::Keep } else { Hdr::Drop },
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
        if self.png_force {
            (t.quality, t.slow_quality) = (None, None);
        }
        match (self.remainder, t.gravity) {
            (None, _) | (Some(false), Gravity::Focal { .. }) => {}
            (Some(true), Gravity::Focal { x, y }) => t.gravity = Gravity::Remainder { x, y },
            (Some(_), _) => return Err(Error::bad_request("gravity.mode needs a focal point gravity=XxY")),
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

fn unknown(name: &str, v: Vocabulary) -> Error {
    let short: String = name.chars().take(32).collect();
    let known = Opt::known(v);
    if known.is_empty() {
        Error::bad_request(format!("unknown option '{short}': options are switched off here"))
    } else {
        Error::bad_request(format!("unknown option '{short}' (known: {known})"))
    }
}

#[cfg(test)]
mod tests;
