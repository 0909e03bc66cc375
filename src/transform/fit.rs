//! How the image fills the requested box (`fit`) and which part a crop keeps (`gravity`), in
//! Cloudflare's vocabulary.

use super::names::Names;

/// How the image is fitted into the requested box.
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
    /// The box's aspect ratio always, never enlarged: `Cover` when the source covers the box,
    /// else the largest window of the box's shape the source has, unscaled (the box shrinks).
    AspectCrop,
    /// Never shrinks: an image smaller than the box is enlarged to fit it (`Contain`), a larger
    /// one keeps its size.
    ScaleUp,
}

impl Fit {
    pub const NAMES: Names<Fit> = Names {
        table: &[
            ("scale-down", Fit::ScaleDown),
            ("contain", Fit::Contain),
            ("cover", Fit::Cover),
            ("crop", Fit::Crop),
            ("pad", Fit::Pad),
            ("squeeze", Fit::Squeeze),
            ("aspect-crop", Fit::AspectCrop),
            ("scale-up", Fit::ScaleUp),
        ],
    };

    pub fn parse(s: &str) -> Option<Fit> {
        Fit::NAMES.parse(s)
    }

    pub fn name(self) -> &'static str {
        Fit::NAMES.name(self).unwrap_or("scale-down")
    }

    /// Only these modes cut the image, so only they read `gravity`.
    pub fn crops(self) -> bool {
        matches!(self, Fit::Cover | Fit::Crop | Fit::AspectCrop)
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
    /// The most detailed region, chosen from the pixels (gradient energy, `steps::region`).
    Auto,
    /// The region whose grey levels carry the most information (Shannon entropy of their
    /// histogram, `steps::region`): Cloudflare's `entropy`, undocumented there; ours as libvips'.
    Entropy,
    /// Cloudflare's face detection: the crop keeps the faces found (`pipeline::faces`); with none
    /// found it crops as `Auto` does, and the response says so (`x-resize-note`).
    Face,
    /// A focal point, in thousandths of the width and height (0..=1000): the crop window centred
    /// on it as far as the edges allow (the binding's `mode: "box-center"`).
    Focal {
        x: u16,
        y: u16,
    },
    /// The same point read as where the overflow goes (`gravity.mode=remainder`, the binding's
    /// `mode: "remainder"`): `x` of the width cut away is cut on the left, the rest on the right, as
    /// CSS `object-position` and the named sides do.
    Remainder {
        x: u16,
        y: u16,
    },
}

impl Gravity {
    /// The named gravities; a focal point `XxY` is parsed apart.
    pub const NAMES: Names<Gravity> = Names {
        table: &[
            ("center", Gravity::Center),
            ("centre", Gravity::Center),
            ("top", Gravity::Top),
            ("bottom", Gravity::Bottom),
            ("left", Gravity::Left),
            ("right", Gravity::Right),
            ("top-left", Gravity::TopLeft),
            ("top-right", Gravity::TopRight),
            ("bottom-left", Gravity::BottomLeft),
            ("bottom-right", Gravity::BottomRight),
            ("auto", Gravity::Auto),
            ("entropy", Gravity::Entropy),
            ("face", Gravity::Face),
        ],
    };

    /// For error messages.
    pub fn expected() -> String {
        format!("{}, or XxY with X and Y in 0..1", Gravity::NAMES.list())
    }

    pub fn parse(s: &str) -> Option<Gravity> {
        if let Some(named) = Gravity::NAMES.parse(s) {
            return Some(named);
        }
        let (x, y) = s.split_once('x')?;
        Some(Gravity::Focal { x: thousandths(x)?, y: thousandths(y)? })
    }

    pub fn name(self) -> String {
        match self {
            Gravity::Focal { x, y } => format!("{}x{}", decimal(x), decimal(y)),
            Gravity::Remainder { x, y } => format!("{}x{};remainder", decimal(x), decimal(y)),
            named => Gravity::NAMES.name(named).unwrap_or("center").into(),
        }
    }

    /// Whether the pixels choose the crop window (`auto`, `entropy`, and `face`, which falls back
    /// to `auto`).
    pub fn from_pixels(self) -> bool {
        matches!(self, Gravity::Auto | Gravity::Entropy | Gravity::Face)
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
            Gravity::Auto | Gravity::Entropy | Gravity::Face => return None,
            Gravity::Focal { x, y } | Gravity::Remainder { x, y } => (x as f64 / 1000.0, y as f64 / 1000.0),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fit_has_a_name_that_parses_back() {
        for fit in [Fit::ScaleDown, Fit::Contain, Fit::Cover, Fit::Crop, Fit::Pad, Fit::Squeeze, Fit::AspectCrop, Fit::ScaleUp] {
            assert_eq!(Fit::parse(fit.name()), Some(fit));
        }
        assert_eq!(Fit::NAMES.list(), "scale-down, contain, cover, crop, pad, squeeze, aspect-crop, scale-up");
    }

    #[test]
    fn gravity_parses_compass_points_and_focal_points() {
        assert_eq!(Gravity::parse("top-left"), Some(Gravity::TopLeft));
        assert_eq!(Gravity::parse("centre").map(Gravity::name).as_deref(), Some("center"));
        assert_eq!(Gravity::parse("0.5x0.25"), Some(Gravity::Focal { x: 500, y: 250 }));
        assert_eq!(Gravity::parse("1x0"), Some(Gravity::Focal { x: 1000, y: 0 }));
        for bad in ["1.5x0", "-0.1x0.5", "0.5", "x", "0x0x0", "nan", "1e-1x0", "north"] {
            assert_eq!(Gravity::parse(bad), None, "{bad}");
        }
        assert_eq!(Gravity::Focal { x: 500, y: 250 }.name(), "0.5x0.25");
        let all = [
            Gravity::Center,
            Gravity::Top,
            Gravity::Bottom,
            Gravity::Left,
            Gravity::Right,
            Gravity::TopLeft,
            Gravity::TopRight,
            Gravity::BottomLeft,
            Gravity::BottomRight,
            Gravity::Auto,
            Gravity::Face,
        ];
        for g in all {
            assert_eq!(Gravity::parse(&g.name()), Some(g));
        }
    }
}
