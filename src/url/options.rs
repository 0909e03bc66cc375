//! The option vocabulary shared by the query (`?width=400&fit=cover`) and Cloudflare path
//! (`/cdn-cgi/image/width=400,fit=cover/…`) grammars: Cloudflare's names and short aliases.
//! Strict on purpose: an unknown, repeated or out-of-range option is a 400 naming the option,
//! because silently ignoring it would create cache entries nobody asked for.

use crate::config::UrlSettings;
use crate::error::{Error, Result};
use crate::transform::{Fit, Flip, Format, FormatChoice, Gravity, Names, SizePreset, SizeSpec, Transform};

/// Bounds the work spent on hostile URLs (thousands of parameters).
pub const MAX_OPTIONS: usize = 16;

/// Which option families a grammar accepts.
#[derive(Debug, Clone, Copy)]
pub struct Vocabulary {
    /// width, height, fit, gravity, quality, format, dpr, background, rotate, flip, anim.
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
    Format,
    Gravity,
    Fit,
    Dpr,
    Background,
    Rotate,
    Flip,
    Anim,
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
            ("quality", Opt::Quality),
            ("q", Opt::Quality),
            ("format", Opt::Format),
            ("f", Opt::Format),
            ("dpr", Opt::Dpr),
            ("background", Opt::Background),
            ("rotate", Opt::Rotate),
            ("flip", Opt::Flip),
            ("anim", Opt::Anim),
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

/// Collects options, then checks them as a whole in [`Builder::finish`].
pub struct Builder<'c> {
    settings: &'c UrlSettings,
    t: Transform,
    dpr: Option<f64>,
    seen: Vec<Opt>,
    /// The size came from the path (`cat-200x200.jpg`); the options may not set it again.
    size_from_path: bool,
}

impl<'c> Builder<'c> {
    pub fn new(settings: &'c UrlSettings) -> Self {
        Builder { settings, t: Transform::default(), dpr: None, seen: Vec::new(), size_from_path: false }
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
        match option {
            Opt::Width => t.width = Some(whole(label, value, 1, s.max_width)?),
            Opt::Height => t.height = Some(whole(label, value, 1, s.max_height)?),
            Opt::Quality => t.quality = Some(whole(label, value, 1, 100)? as u8),
            Opt::Fit => t.fit = Fit::parse(value).ok_or_else(|| one_of(label, &Fit::NAMES.list()))?,
            Opt::Gravity => t.gravity = Gravity::parse(value).ok_or_else(|| one_of(label, &Gravity::expected()))?,
            Opt::Format => t.format = Some(FormatChoice::parse(value).ok_or_else(|| one_of(label, &FormatChoice::NAMES.list()))?),
            Opt::Dpr => self.dpr = Some(dpr(value)?),
            Opt::Background => t.background = Some(colour(value)?),
            Opt::Rotate => {
                let degrees = whole(label, value, 0, 270).ok().filter(|d| d % 90 == 0).ok_or_else(|| one_of(label, "0, 90, 180, 270"))?;
                t.turn.quarters = (degrees / 90) as u8;
            }
            Opt::Flip => t.turn.flip = Flip::parse(value).ok_or_else(|| one_of(label, "h, v, hv"))?,
            Opt::Anim => t.anim = flag(label, value)?,
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

    /// Checks the options together, folds `dpr` into the box and drops what changes nothing.
    pub fn finish(self) -> Result<Transform> {
        let mut t = self.t;
        if t.size.is_some() && (t.width.is_some() || t.height.is_some()) {
            return Err(Error::bad_request("size= cannot be combined with width or height"));
        }
        // Sizes from the path (`cat-99999x99999.jpg`) are held to the same maximum as options.
        let (max_w, max_h) = (self.settings.max_width, self.settings.max_height);
        if t.width.is_some_and(|w| w > max_w) || t.height.is_some_and(|h| h > max_h) {
            return Err(Error::bad_request(format!("the size is over the maximum of {max_w}×{max_h}")));
        }
        if let Some(dpr) = self.dpr {
            t.width = scaled("width", t.width, dpr, max_w)?;
            t.height = scaled("height", t.height, dpr, max_h)?;
        }
        // `AUTO_FORMAT`: a transform that names no format negotiates one. Plain originals stay originals.
        if self.settings.auto_format && t.format.is_none() && !t.is_identity() {
            t.format = Some(FormatChoice::Auto);
        }
        Ok(t.normalized())
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
fn colour(value: &str) -> Result<[u8; 4]> {
    let bare_hex = matches!(value.len(), 3 | 4 | 6 | 8) && value.bytes().all(|b| b.is_ascii_hexdigit());
    let css = if bare_hex { format!("#{value}") } else { value.to_string() };
    if value.len() > 64 {
        return Err(Error::bad_request("background is too long"));
    }
    csscolorparser::parse(&css)
        .map(|c| c.to_rgba8())
        .map_err(|_| Error::bad_request("background must be a CSS colour, e.g. white, ff0000 or rgb(0 0 0 / 50%)"))
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
            (&[("blur", "3")], "blur"),
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
