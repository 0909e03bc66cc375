//! SVG originals. An SVG is a document, not just a picture: served as stored from our origin, its
//! scripts, event handlers and `javascript:` links would run there. So an SVG original is served
//! sanitised (`svg-hush`, Cloudflare's allow-list filter: only SVG elements and attributes, URLs
//! same-origin only, CSS filtered) under a Content-Security-Policy that forbids scripts, drawn
//! as a PNG (`SVG=rasterize`), or refused (`SVG=refuse`). Transforms draw it
//! (`pipeline::codecs::vector`).

use crate::error::{Error, Result};

/// Larger SVG originals are refused (413) before they are read: a picture this size is rare,
/// and parsing is linear but not free.
pub const MAX_BYTES: u64 = 4 << 20;

/// Sent with every original, and so with every SVG: no script, no plugin, no form, no frame can
/// run from it even where a browser opens it as a document; inline styles and `data:` images,
/// which pictures use, still apply.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";

/// What to do with SVG originals (`SVG`). Transforms of them (`?w=`) are drawn to pixels in
/// every mode but `Refuse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Serve them sanitised.
    #[default]
    Sanitize,
    /// Never serve the document: a plain URL of a `.svg` key is the picture as a PNG at its own
    /// size; any other key with an SVG type is refused (415) as stored, drawn when transformed.
    Rasterize,
    /// Answer 415, to plain URLs and transforms alike.
    Refuse,
}

/// An original is treated as SVG when its stored type or, without one, its extension says so.
/// Any mention of SVG in the type counts (`image/png, image/svg+xml` is a list a browser reads as
/// its last type), so a lying type errs towards sanitising.
pub fn is_svg(content_type: Option<&str>, key: &str) -> bool {
    match content_type.map(|ct| ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase()) {
        Some(ct) if ct.contains("svg") => true,
        Some(ct) if !ct.is_empty() && ct != "application/octet-stream" => false,
        _ => key.rsplit_once('.').is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("svg")),
    }
}

/// Whether bytes look like an SVG document: XML or a comment or whitespace first, then an `<svg`
/// element early on (for uploads, which are typed by their bytes).
pub fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let Ok(text) = std::str::from_utf8(head).or_else(|e| std::str::from_utf8(&head[..e.valid_up_to()])) else { return false };
    let text = text.trim_start_matches('\u{feff}').trim_start();
    text.starts_with('<') && text.contains("<svg")
}

/// The document with everything abusable removed. Not well-formed XML, an external DTD or entity,
/// or entities nested deeper than 3 (billion laughs) are a 422: such a file is never served.
pub fn sanitize(svg: &[u8]) -> Result<Vec<u8>> {
    let mut filter = svg_hush::Filter::new();
    filter.set_data_url_filter(svg_hush::data_url_filter::allow_standard_images);
    let mut out = Vec::with_capacity(svg.len());
    filter.filter(svg, &mut out).map_err(|e| Error::Undecodable(format!("SVG: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="100" onload="alert(1)">
  <script>fetch('/steal?c=' + document.cookie)</script>
  <rect width="200" height="100" fill="#3a7"/>
  <a href="javascript:alert(1)"><text x="10" y="50">click</text></a>
  <image xlink:href="http://169.254.169.254/latest/meta-data/" width="10" height="10"/>
  <foreignObject><div xmlns="http://www.w3.org/1999/xhtml">html</div></foreignObject>
  <style>@import url(https://evil.example/x.css); rect { fill: red }</style>
</svg>"##;

    #[test]
    fn scripts_handlers_and_foreign_references_are_removed_and_the_picture_kept() {
        let out = String::from_utf8(sanitize(HOSTILE.as_bytes()).unwrap()).unwrap();
        // No script, no handler, nothing fetched from another host: svg-hush turns off-origin URLs
        // into same-origin paths (here `/latest/meta-data/`, a 404 of ours) and drops `@import` and
        // `url(` from CSS, leaving its text inert.
        for bad in ["<script", "onload", "javascript:", "169.254", "foreignObject", "@import", "url(", "href=\"http"] {
            assert!(!out.contains(bad), "{bad} survived:\n{out}");
        }
        assert!(out.contains("<rect") && out.contains("#3a7") && out.contains("<svg"), "{out}");
        assert!(sanitize(out.as_bytes()).is_ok(), "the output is still a valid SVG");
    }

    #[test]
    fn entity_bombs_external_entities_and_garbage_are_undecodable() {
        let laughs = r#"<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]><svg xmlns="http://www.w3.org/2000/svg"><text>&e;</text></svg>"#;
        let xxe = r#"<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>"#;
        for bad in [laughs, xxe, "not xml at all", "<svg xmlns='http://www.w3.org/2000/svg'>"] {
            let e = sanitize(bad.as_bytes()).map(|o| String::from_utf8_lossy(&o).into_owned());
            match e {
                Err(e) => assert_eq!(e.status(), 422),
                Ok(out) => assert!(!out.contains("passwd") && out.len() < 4096, "{out}"),
            }
        }
    }

    #[test]
    fn svg_by_type_then_extension() {
        assert!(is_svg(Some("image/svg+xml; charset=utf-8"), "a.bin"));
        assert!(is_svg(None, "icons/A.SVG"));
        assert!(is_svg(Some("application/octet-stream"), "a.svg"));
        assert!(!is_svg(Some("image/png"), "a.svg"), "the stored type wins: served as a PNG, it cannot run");
        assert!(!is_svg(None, "a.svgz"));
        assert!(is_svg(Some("image/png,image/svg+xml"), "a.jpg"), "a list naming SVG is an SVG");
        assert!(is_svg(Some("IMAGE/SVG+XML"), "a.jpg"));
    }

    #[test]
    fn svg_bytes_are_recognised() {
        assert!(looks_like_svg(b"\xef\xbb\xbf <?xml version='1.0'?>\n<!-- x --><svg xmlns='http://www.w3.org/2000/svg'/>"));
        assert!(!looks_like_svg(b"hello <svg"));
        assert!(!looks_like_svg(b"\x89PNG\r\n"));
    }
}
