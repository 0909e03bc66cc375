//! A line of text to draw as an image (text overlays, the binding's `text()`): what was asked,
//! checked; `pipeline::codecs::vector::text` lays it out.

use crate::error::{Error, Result};

/// The most characters one text may have (Cloudflare's limit for its text overlays).
pub const MAX_CHARS: usize = 1000;
/// Font sizes taken, in CSS pixels (a point is 4/3 of one).
pub const MAX_SIZE_PX: f32 = 1000.0;

/// One line of text, as asked.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub content: String,
    /// A family the fonts have (`sans-serif`, `DejaVu Serif`, a `FONTS` face's family …); a
    /// family nobody has falls back as in SVG documents.
    pub family: String,
    pub size_px: f32,
    /// Straight RGBA.
    pub color: [u8; 4],
}

impl Text {
    /// Checks what a client or the configuration asked; `field` names it in errors.
    pub fn checked(self, field: &str) -> Result<Text> {
        let chars = self.content.chars().count();
        if chars == 0 || chars > MAX_CHARS {
            return Err(Error::bad_request(format!("{field} must be 1 to {MAX_CHARS} characters")));
        }
        if !(1.0..=MAX_SIZE_PX).contains(&self.size_px) || self.family.len() > 100 {
            return Err(Error::bad_request(format!(
                "{field} must have a size of 1 to {MAX_SIZE_PX} px and a family name of at most 100 bytes"
            )));
        }
        Ok(self)
    }

    /// What the text looks like, for a version in keys and ETags (the fonts aside).
    pub fn fingerprint(&self) -> String {
        let [r, g, b, a] = self.color;
        format!("{}|{}|{}|{r:02x}{g:02x}{b:02x}{a:02x}", self.content, self.family, self.size_px)
    }
}
