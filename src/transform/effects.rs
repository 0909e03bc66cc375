//! The options beyond size and format, in Cloudflare's vocabulary: colour adjustments, blur and
//! sharpen, trim, border, metadata and perceptual quality. Each is a small value type with one
//! canonical spelling, so URLs that mean the same thing share a cache entry.

use super::names::Names;
use super::Format;

/// A multiplier such as `brightness=1.2`, kept in hundredths so transforms compare exactly and
/// `1.2`, `1.20` and `1.201` name one variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Factor(pub u16);

impl Factor {
    pub const ONE: Factor = Factor(100);

    pub fn parse(s: &str, max: f64) -> Option<Factor> {
        let plain = !s.is_empty() && s.len() <= 8 && s.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        let v: f64 = s.parse().ok().filter(|_| plain)?;
        (0.0..=max).contains(&v).then(|| Factor((v * 100.0).round() as u16))
    }

    pub fn value(self) -> f32 {
        self.0 as f32 / 100.0
    }

    pub fn name(self) -> String {
        let s = format!("{:.2}", self.value());
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Colour adjustments, blur and sharpen. Neutral values mean "not asked for".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Adjust {
    /// Blur radius 0..=250 output pixels (Gaussian, sigma = radius / 2).
    pub blur: u8,
    /// Unsharp-mask strength 0..=10.
    pub sharpen: Factor,
    pub brightness: Factor,
    pub contrast: Factor,
    pub gamma: Factor,
    /// 0 = greyscale.
    pub saturation: Factor,
}

impl Default for Adjust {
    fn default() -> Self {
        Adjust { blur: 0, sharpen: Factor(0), brightness: Factor::ONE, contrast: Factor::ONE, gamma: Factor::ONE, saturation: Factor::ONE }
    }
}

impl Adjust {
    pub fn is_neutral(&self) -> bool {
        *self == Adjust::default()
    }

    /// Whether any per-pixel colour change is asked for (not blur or sharpen).
    pub fn changes_colour(&self) -> bool {
        self.brightness != Factor::ONE || self.contrast != Factor::ONE || self.gamma != Factor::ONE || self.saturation != Factor::ONE
    }

    /// Cloudflare ignores `0` for brightness, contrast and gamma: it becomes "unchanged".
    pub fn normalized(mut self) -> Adjust {
        for f in [&mut self.brightness, &mut self.contrast, &mut self.gamma] {
            if f.0 == 0 {
                *f = Factor::ONE;
            }
        }
        self
    }

    pub fn canonical(&self, parts: &mut Vec<String>) {
        if self.blur > 0 {
            parts.push(format!("blur={}", self.blur));
        }
        if self.sharpen.0 > 0 {
            parts.push(format!("sharpen={}", self.sharpen.name()));
        }
        let factors = [("bri", self.brightness), ("con", self.contrast), ("gam", self.gamma), ("sat", self.saturation)];
        for (name, f) in factors {
            if f != Factor::ONE {
                parts.push(format!("{name}={}", f.name()));
            }
        }
    }
}

/// `trim`: what to cut off the upright image before anything else (rotation, resize).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trim {
    /// Pixels from each side (`trim=top;right;bottom;left`, `trim.left`, `trim.top`), and at most
    /// `width`×`height` of what is left (`trim.width`, `trim.height`), all with `dpr` applied.
    Edges { top: u32, right: u32, bottom: u32, left: u32, width: Option<u32>, height: Option<u32> },
    /// `trim=border`: remove a uniform border, found in the pixels.
    Border {
        /// The border's colour; `None`: the top-left pixel's.
        color: Option<[u8; 4]>,
        /// How closely a pixel must match: 0 (anything matches) ..= 255 (exactly).
        tolerance: u8,
        /// Pixels of the border to leave on each side.
        keep: u32,
    },
}

/// The default `trim.border.tolerance`: a difference of at most 10 per channel counts as border
/// (sharp's default trim threshold), so JPEG noise around a white background is still removed.
pub const BORDER_TOLERANCE: u8 = 245;

impl Trim {
    pub fn name(&self) -> String {
        match *self {
            Trim::Edges { top, right, bottom, left, width, height } => {
                let mut s = format!("{top}_{right}_{bottom}_{left}");
                if let Some(w) = width {
                    s += &format!("_w{w}");
                }
                if let Some(h) = height {
                    s += &format!("_h{h}");
                }
                s
            }
            Trim::Border { color, tolerance, keep } => {
                let mut s = "border".to_string();
                if let Some(c) = color {
                    s += &format!("_{}", super::hex(c));
                }
                if tolerance != BORDER_TOLERANCE {
                    s += &format!("_t{tolerance}");
                }
                if keep > 0 {
                    s += &format!("_k{keep}");
                }
                s
            }
        }
    }

    /// An `Edges` trim that cuts nothing.
    pub fn is_nothing(&self) -> bool {
        matches!(self, Trim::Edges { top: 0, right: 0, bottom: 0, left: 0, width: None, height: None })
    }
}

/// `border`: a frame added around the output, after resizing (widths with `dpr` applied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Border {
    pub color: [u8; 4],
    pub top: u32,
    pub right: u32,
    pub bottom: u32,
    pub left: u32,
}

impl Border {
    pub fn name(&self) -> String {
        let Border { color, top, right, bottom, left } = *self;
        format!("{}_{top}_{right}_{bottom}_{left}", super::hex(color))
    }

    pub fn is_nothing(&self) -> bool {
        self.top == 0 && self.right == 0 && self.bottom == 0 && self.left == 0
    }
}

/// `metadata`: which EXIF a JPEG output keeps. Other outputs never carry EXIF (as Cloudflare's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Metadata {
    /// Only the copyright and artist tags (Cloudflare's default).
    #[default]
    Copyright,
    /// All of it, with the orientation tag set to 1 because the pixels are already upright.
    Keep,
    None,
}

impl Metadata {
    pub const NAMES: Names<Metadata> =
        Names { table: &[("copyright", Metadata::Copyright), ("keep", Metadata::Keep), ("none", Metadata::None)] };
}

/// What happens to an HDR gain map (Ultra HDR, ISO 21496-1) the original carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Hdr {
    /// Kept where the output format carries one browsers read (JPEG).
    #[default]
    Keep,
    /// `hdr=false`: the SDR base alone.
    Drop,
    /// Filled in by `Transform::resolved` for `format=auto` on a JPEG original: should the original
    /// have a gain map, it is made as a JPEG with this quality and coding (the only format whose
    /// gain map browsers read), not as the format negotiated.
    AsJpeg { quality: u8, progressive: bool },
}

/// Cloudflare's perceptual quality levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    High,
    MediumHigh,
    MediumLow,
    Low,
}

/// `quality=`: a number, or a level whose number depends on the encoder (one number means
/// different things to libjpeg-style JPEG, libwebp and AV1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quality {
    Fixed(u8),
    Perceptual(Level),
}

impl Quality {
    pub const LEVELS: Names<Level> = Names {
        table: &[("high", Level::High), ("medium-high", Level::MediumHigh), ("medium-low", Level::MediumLow), ("low", Level::Low)],
    };

    pub fn parse(s: &str) -> Option<Quality> {
        if let Some(level) = Quality::LEVELS.parse(s) {
            return Some(Quality::Perceptual(level));
        }
        let plain = !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit());
        s.parse::<u8>().ok().filter(|q| plain && (1..=100).contains(q)).map(Quality::Fixed)
    }

    pub fn name(self) -> String {
        match self {
            Quality::Fixed(q) => q.to_string(),
            Quality::Perceptual(level) => Quality::LEVELS.name(level).unwrap_or("high").to_string(),
        }
    }

    /// The encoder setting for `format`. The levels are ours (Cloudflare publishes none): JPEG
    /// and WebP 90 / 82 / 72 / 60, AVIF 80 / 68 / 55 / 45, AV1 holding up at lower numbers.
    pub fn for_format(self, format: Format) -> u8 {
        let level = match self {
            Quality::Fixed(q) => return q,
            Quality::Perceptual(level) => level,
        };
        let row = match level {
            Level::High => [90, 80],
            Level::MediumHigh => [82, 68],
            Level::MediumLow => [72, 55],
            Level::Low => [60, 45],
        };
        if format == Format::Avif {
            row[1]
        } else {
            row[0]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_round_to_hundredths_and_print_short() {
        assert_eq!(Factor::parse("1.2", 10.0), Some(Factor(120)));
        assert_eq!(Factor::parse("1.201", 10.0), Factor::parse("1.20", 10.0));
        assert_eq!(Factor(120).name(), "1.2");
        assert_eq!(Factor(100).name(), "1");
        assert_eq!(Factor(5).name(), "0.05");
        for bad in ["", "-1", "11", "1e1", "nan", "inf", " 1", "0x1"] {
            assert_eq!(Factor::parse(bad, 10.0), None, "{bad}");
        }
    }

    #[test]
    fn quality_levels_depend_on_the_encoder() {
        assert_eq!(Quality::parse("high"), Some(Quality::Perceptual(Level::High)));
        assert_eq!(Quality::parse("85"), Some(Quality::Fixed(85)));
        for bad in ["0", "101", "hi", "", "+5"] {
            assert_eq!(Quality::parse(bad), None, "{bad}");
        }
        let low = Quality::Perceptual(Level::Low);
        assert!(low.for_format(Format::Avif) < low.for_format(Format::Jpeg));
        assert_eq!(Quality::Fixed(33).for_format(Format::Avif), 33);
        assert_eq!(Quality::LEVELS.list(), "high, medium-high, medium-low, low");
    }

    #[test]
    fn zero_brightness_contrast_and_gamma_are_ignored_but_zero_saturation_is_grey() {
        let a = Adjust { brightness: Factor(0), contrast: Factor(0), gamma: Factor(0), saturation: Factor(0), ..Default::default() };
        let n = a.normalized();
        assert_eq!((n.brightness, n.contrast, n.gamma, n.saturation), (Factor::ONE, Factor::ONE, Factor::ONE, Factor(0)));
    }
}
