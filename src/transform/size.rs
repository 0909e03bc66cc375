//! Sizes named rather than given: orientation-aware presets (`?size=L`) and the size tokens of
//! the path grammars, named presets and allow-lists (`WxH`, `Nw`, `Nh`). Below both `config`
//! (which reads them from variables) and `url` (which reads them from paths).

use super::names::Names;
use super::{Fit, Transform};

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
    pub const NAMES: Names<SizePreset> = Names {
        table: &[
            ("L", SizePreset::L),
            ("M", SizePreset::M),
            ("S", SizePreset::S),
            ("XS", SizePreset::XS),
            ("SL", SizePreset::SL),
            ("SM", SizePreset::SM),
            ("SS", SizePreset::SS),
            ("SXS", SizePreset::SXS),
        ],
    };

    /// Case-insensitive: `size=l` is `L`.
    pub fn parse(s: &str) -> Option<SizePreset> {
        SizePreset::NAMES.parse(&s.to_ascii_uppercase())
    }

    pub fn name(self) -> &'static str {
        SizePreset::NAMES.name(self).unwrap_or("L")
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeSpec {
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// `WxH` fills the box exactly.
    pub cover: bool,
}

impl SizeSpec {
    /// Parses a token; `bare_number` allows `640` to mean `640w` (preset definitions).
    pub fn parse(token: &str, bare_number: bool) -> Option<SizeSpec> {
        let number = |s: &str| -> Option<u32> {
            (!s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten().filter(|&n| n > 0)
        };
        if let Some((w, h)) = token.split_once('x') {
            return Some(SizeSpec { width: Some(number(w)?), height: Some(number(h)?), cover: true });
        }
        if let Some(w) = token.strip_suffix('w') {
            return Some(SizeSpec { width: Some(number(w)?), height: None, cover: false });
        }
        if let Some(h) = token.strip_suffix('h') {
            return Some(SizeSpec { width: None, height: Some(number(h)?), cover: false });
        }
        if bare_number {
            return Some(SizeSpec { width: Some(number(token)?), height: None, cover: false });
        }
        None
    }

    /// Sets the transform's box (and `cover` for `WxH`).
    pub fn apply_to(self, t: &mut Transform) {
        t.width = self.width;
        t.height = self.height;
        if self.cover {
            t.fit = Fit::Cover;
        }
    }

    /// True when a transform asks for exactly this box.
    pub fn matches(self, t: &Transform) -> bool {
        (self.width, self.height) == (t.width, t.height)
    }
}

impl std::fmt::Display for SizeSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.width, self.height) {
            (Some(w), Some(h)) => write!(f, "{w}x{h}"),
            (Some(w), None) => write!(f, "{w}w"),
            (None, Some(h)) => write!(f, "{h}h"),
            (None, None) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_presets_turn_with_the_original() {
        assert_eq!(SizePreset::L.box_for(4000, 3000), (1280, 720));
        assert_eq!(SizePreset::L.box_for(3000, 4000), (720, 1280));
        assert_eq!(SizePreset::SM.box_for(3000, 4000), (540, 540));
        for (name, preset) in SizePreset::NAMES.table {
            assert_eq!((SizePreset::parse(&name.to_ascii_lowercase()), preset.name()), (Some(*preset), *name));
        }
    }

    #[test]
    fn parses_every_token_form() {
        assert_eq!(SizeSpec::parse("360x270", false), Some(SizeSpec { width: Some(360), height: Some(270), cover: true }));
        assert_eq!(SizeSpec::parse("640w", false), Some(SizeSpec { width: Some(640), height: None, cover: false }));
        assert_eq!(SizeSpec::parse("480h", false), Some(SizeSpec { width: None, height: Some(480), cover: false }));
        assert_eq!(SizeSpec::parse("640", false), None);
        assert_eq!(SizeSpec::parse("640", true).unwrap().width, Some(640));
        for bad in ["0x10", "x10", "10x", "10xx10", "-5w", "w", "1e3w", "999999w", "12ab", "+5w", "10x10x10"] {
            assert_eq!(SizeSpec::parse(bad, true), None, "{bad}");
        }
    }
}
