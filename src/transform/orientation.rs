//! The orientation algebra: EXIF orientation, then the URL's flip, then its rotation (Cloudflare's
//! order: "flip is performed before rotation"), composed into one of the eight orientations
//! (they form a group, so any sequence is one of them).

use super::names::Names;
use image::metadata::Orientation;

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
    pub const NAMES: Names<Flip> =
        Names { table: &[("h", Flip::Horizontal), ("v", Flip::Vertical), ("hv", Flip::Both), ("vh", Flip::Both)] };

    pub fn parse(s: &str) -> Option<Flip> {
        Flip::NAMES.parse(s)
    }

    pub fn name(self) -> &'static str {
        Flip::NAMES.name(self).unwrap_or("")
    }
}

impl Turn {
    /// `exif`, then the flip, then the turn.
    pub fn after(self, exif: Orientation) -> Orientation {
        let rotate = from_turn(self.quarters, false);
        let flip = match self.flip {
            Flip::None => Orientation::NoTransforms,
            Flip::Horizontal => Orientation::FlipHorizontal,
            Flip::Vertical => Orientation::FlipVertical,
            Flip::Both => Orientation::Rotate180,
        };
        compose(compose(exif, flip), rotate)
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

#[cfg(test)]
mod tests {
    use super::*;
    use image::{DynamicImage, Rgb, RgbImage};

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

    #[test]
    fn a_quarter_turn_is_exif_6_and_flips_parse_back() {
        assert_eq!(Turn { quarters: 1, flip: Flip::None }.after(Orientation::NoTransforms), Orientation::Rotate90);
        // `flip=h,rotate=90`: mirrored first, then turned (Cloudflare's order), not the reverse.
        let src = image::RgbImage::from_fn(3, 2, |x, y| image::Rgb([x as u8, y as u8, 0]));
        let mut stepwise = DynamicImage::ImageRgb8(src.clone());
        stepwise.apply_orientation(Orientation::FlipHorizontal);
        stepwise.apply_orientation(Orientation::Rotate90);
        let mut at_once = DynamicImage::ImageRgb8(src);
        at_once.apply_orientation(Turn { quarters: 1, flip: Flip::Horizontal }.after(Orientation::NoTransforms));
        assert_eq!(stepwise, at_once);
        assert_eq!(Orientation::from_exif(6), Some(Orientation::Rotate90));
        for f in [Flip::Horizontal, Flip::Vertical, Flip::Both] {
            assert_eq!(Flip::parse(f.name()), Some(f));
        }
    }
}
