//! Text drawn as an image (Cloudflare's text overlays: `draw` with `text`, the binding's
//! `text()`): one line laid out with the SVG renderer's own text engine and fonts (the bundled
//! faces and `FONTS`, [`super::fonts`]), written as an SVG document exactly as large as its ink, so
//! it is then drawn like any other overlay image (sized, placed, made transparent, composited).

use super::fonts;
use crate::error::{Error, Result};
pub use crate::transform::text::{Text, MAX_CHARS, MAX_SIZE_PX};
use resvg::usvg;
use std::sync::Arc;

/// The text as an SVG document the size of its ink (at least 1×1), its letters as paths, so it is
/// drawn with no font at hand. `font` is a font file for this text alone (the binding's
/// `font: {url}`, fetched by the caller): its first family is used when `text.family` is empty.
pub fn svg(text: &Text, font: Option<Vec<u8>>) -> Result<Vec<u8>> {
    let mut db = fonts::database();
    let mut family = text.family.clone();
    if let Some(bytes) = font {
        let sfnt = fonts::sfnt("the text's font", bytes)?;
        let shared = Arc::make_mut(&mut db);
        let ids = shared.load_font_source(usvg::fontdb::Source::Binary(Arc::new(sfnt)));
        let named = ids.first().and_then(|id| shared.face(*id)).and_then(|f| f.families.first().map(|(name, _)| name.clone()));
        let named = named.ok_or_else(|| Error::bad_request("the text's font has no face that can be read"))?;
        if family.is_empty() {
            family = named;
        }
    }
    if family.is_empty() {
        family = "sans-serif".into();
    }
    let [r, g, b, a] = text.color;
    let element = format!(
        r##"<text x="0" y="0" font-family="{}" font-size="{}" fill="#{r:02x}{g:02x}{b:02x}" fill-opacity="{}" xml:space="preserve">{}</text>"##,
        escape(&family),
        text.size_px,
        a as f32 / 255.0,
        escape(&text.content)
    );
    let options = usvg::Options { fontdb: db, font_resolver: fonts::resolver(), ..Default::default() };
    let parse = |doc: &str| usvg::Tree::from_str(doc, &options).map_err(|e| Error::Internal(format!("text layout: {e}")));
    // Laid out once to find the ink, which starts left of and above the origin (the baseline).
    let measured = parse(&format!(r#"<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1">{element}</svg>"#))?;
    let ink = measured.root().abs_bounding_box();
    let (left, top) = (ink.left().floor(), ink.top().floor());
    let (width, height) = ((ink.right().ceil() - left).max(1.0), (ink.bottom().ceil() - top).max(1.0));
    let framed = parse(&format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="{left} {top} {width} {height}">{element}</svg>"#
    ))?;
    Ok(framed.to_string(&usvg::WriteOptions { preserve_text: false, ..Default::default() }).into_bytes())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(content: &str, size_px: f32) -> Text {
        Text { content: content.into(), family: "sans-serif".into(), size_px, color: [255, 0, 0, 255] }
    }

    /// The ink, not a guessed box: wider with more letters, taller with a larger size, and the
    /// rendered picture has red letter pixels and transparent gaps.
    #[test]
    fn text_is_drawn_the_size_of_its_ink() {
        let size = |t: &Text| {
            let probe = super::super::probe(&svg(t, None).unwrap()).unwrap();
            (probe.width, probe.height)
        };
        let (short, long, big) = (size(&text("Hi", 20.0)), size(&text("Hi there, shop", 20.0)), size(&text("Hi", 60.0)));
        assert!(long.0 > short.0 * 4 && (long.1 as i32 - short.1 as i32).abs() <= 6, "{short:?} {long:?}");
        assert!(big.0 > short.0 * 2 && big.1 > short.1 * 2, "{short:?} {big:?}");
        assert!(short.1 >= 10 && short.1 <= 24, "cap height of 20 px text: {short:?}");
        let img = super::super::render(&svg(&text("H", 40.0), None).unwrap(), size(&text("H", 40.0))).unwrap().into_rgba8();
        let red = img.pixels().filter(|p| p.0 == [255, 0, 0, 255]).count();
        let clear = img.pixels().filter(|p| p.0[3] == 0).count();
        assert!(red > 100 && clear > 50, "red {red}, transparent {clear}");
        // Markup in the content is text, not markup; the letters are paths (no font needed later).
        assert!(size(&text("<b>&amp;</b>", 20.0)).0 > size(&text("&", 20.0)).0 * 3);
        let doc = String::from_utf8(svg(&text("Hi", 20.0), None).unwrap()).unwrap();
        assert!(doc.contains("<path") && !doc.contains("<text"), "{doc}");
        // A font of its own: the bundled serif as the caller's file draws other letters than sans.
        let serif = include_bytes!("../../../../assets/fonts/DejaVuSerif.ttf").to_vec();
        let own = Text { family: String::new(), ..text("Hi there", 20.0) };
        assert_ne!(svg(&own, Some(serif.clone())).unwrap(), svg(&text("Hi there", 20.0), None).unwrap());
        assert_eq!(svg(&own, Some(b"not a font".to_vec())).unwrap_err().status(), 400);
    }

    #[test]
    fn bounds_are_held() {
        for (t, why) in [
            (text("", 20.0), "empty"),
            (text(&"x".repeat(MAX_CHARS + 1), 20.0), "long"),
            (text("x", 0.5), "tiny"),
            (text("x", 2000.0), "huge"),
        ] {
            assert_eq!(t.checked("text").unwrap_err().status(), 400, "{why}");
        }
        assert!(text(&"x".repeat(MAX_CHARS), 20.0).checked("text").is_ok());
    }
}
