//! Every option a URL may name, with Cloudflare's names and the short aliases: the one table
//! the query and path grammars parse with and the "unknown option" message lists.

use super::Vocabulary;
use crate::transform::Names;

/// Every option a URL may name. Its canonical name (the first in [`Opt::NAMES`]) is what error
/// messages say; the short aliases are Cloudflare's and imgproxy's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Opt {
    Width,
    Height,
    Quality,
    SlowQuality,
    Format,
    Gravity,
    GravityMode,
    Zoom,
    Fit,
    Dpr,
    Background,
    Rotate,
    Flip,
    Anim,
    Hdr,
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
    pub(super) const NAMES: Names<Opt> = Names {
        table: &[
            ("width", Opt::Width),
            ("w", Opt::Width),
            ("height", Opt::Height),
            ("h", Opt::Height),
            ("fit", Opt::Fit),
            ("gravity", Opt::Gravity),
            ("g", Opt::Gravity),
            ("gravity.mode", Opt::GravityMode),
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
            ("hdr", Opt::Hdr),
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

    pub(super) fn name(self) -> &'static str {
        Opt::NAMES.name(self).unwrap_or("?")
    }

    /// `size` and `to_webp` belong to the preset query; everything else to the transform vocabulary.
    pub(super) fn is_preset(self) -> bool {
        matches!(self, Opt::Size | Opt::ToWebp)
    }

    pub(super) fn allowed(self, v: Vocabulary) -> bool {
        if self.is_preset() {
            v.presets
        } else {
            v.transform
        }
    }

    /// The canonical names a vocabulary knows, for the "unknown option" message.
    pub(super) fn known(v: Vocabulary) -> String {
        let names = Opt::NAMES.list();
        names.split(", ").filter(|n| Opt::NAMES.parse(n).is_some_and(|o| o.allowed(v))).collect::<Vec<_>>().join(", ")
    }
}
