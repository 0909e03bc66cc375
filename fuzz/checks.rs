// What the fuzzers check, shared with `tests/fuzz_regressions.rs` (which replays every input
// saved under `fuzz/regressions/`): each function returns normally for any input, or panics on
// a bug.
//
// `url`: any path and query gives a clean result or a clean error; an accepted URL's key is
// safe and its canonical transform stays in the characters R2 keys and cache URLs rely on.
// `pipeline`: arbitrary bytes give an image or a 4xx, never a panic or a 5xx; the first two
// bytes choose the transform, the rest is the image.

use edge_image_resizer::config::{Config, PipelineSettings};
use edge_image_resizer::pipeline;
use edge_image_resizer::transform::{Accepts, Defaults, Fit, Format, FormatChoice, Gravity, Metadata, Transform};
use edge_image_resizer::url;
use std::sync::OnceLock;

fn configs() -> &'static [Config; 2] {
    static CONFIGS: OnceLock<[Config; 2]> = OnceLock::new();
    CONFIGS.get_or_init(|| {
        let signed = Config::from_lookup(|name| match name {
            "SIGNING_KEY" => Some("a-fuzzing-signing-key-of-32-bytes".into()),
            "SIZE_POLICY" => Some("allow-list".into()),
            "ALLOWED_SIZES" => Some("360x270,480h,640w".into()),
            _ => None,
        })
        .expect("a valid configuration");
        [Config::default(), signed]
    })
}

pub fn url(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (path, query) = match text.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (text, None),
    };
    for config in configs() {
        let Ok(parsed) = url::parse(path, query, &config.url) else { continue };
        for request in std::iter::once(&parsed.request).chain(parsed.literal.as_ref()) {
            assert!(!request.key.is_empty(), "empty key from {text:?}");
            assert!(!request.key.split('/').any(|s| s == ".." || s.is_empty()), "unsafe key {:?} from {text:?}", request.key);
            assert!(!request.key.starts_with(&config.url.variant_prefix), "variant key {:?} from {text:?}", request.key);
            for source in [Format::Jpeg, Format::Png, Format::Gif, Format::Webp] {
                let canonical = request.transform.resolved(source, Defaults::STANDARD, Accepts { webp: true, avif: true }).canonical();
                assert!(
                    canonical.bytes().all(|b| b.is_ascii_alphanumeric() || b"=,.-".contains(&b)),
                    "canonical {canonical:?} from {text:?}"
                );
            }
        }
    }
}

pub fn pipeline(data: &[u8]) {
    let [a, b, image @ ..] = data else { return };
    let fits = [Fit::ScaleDown, Fit::Contain, Fit::Cover, Fit::Crop, Fit::Pad, Fit::Squeeze];
    let formats = [Format::Jpeg, Format::Png, Format::Webp, Format::Gif];
    let transform = Transform {
        width: Some(1 + (*a as u32 % 8) * 40),
        height: (b & 1 == 1).then_some(1 + (*a as u32 / 8) * 20),
        fit: fits[(*b as usize >> 1) % fits.len()],
        gravity: if b & 0x10 != 0 { Gravity::Auto } else { Gravity::Center },
        format: Some(FormatChoice::Is(formats[(*b as usize >> 5) % formats.len()])),
        anim: b & 0x80 != 0,
        // The EXIF a JPEG output carries is rewritten from the input's: every mode, every input.
        metadata: [Metadata::Keep, Metadata::Copyright, Metadata::None][*a as usize % 3],
        ..Default::default()
    };
    if let Err(e) = pipeline::transform_bytes(image.to_vec(), &transform, &PipelineSettings::default()) {
        // Bad bytes are the client's problem (4xx), never ours.
        assert!((400..500).contains(&e.status()), "{} from {} bytes: {e}", e.status(), image.len());
    }
}

/// `svg_use`: an SVG document built from the bytes (duplicate ids, `href` and `xlink:href` in
/// both orders, nesting, `<use>` chains and loops, symbols, nested `<svg>`, `<tref>`, markers,
/// text); whenever our count of what it expands to is within the limits and usvg parses it,
/// usvg's tree has at most `TREE_PER_NODE` of its nodes per node counted (usvg wraps a shape
/// in a group of its own at most once, and the count already includes every copy).
pub fn svg_use(data: &[u8]) {
    use edge_image_resizer::pipeline::codecs::vector;
    let svg = svg_document(data);
    let Some((expansion, tree)) = vector::expansion_against_usvg(svg.as_bytes()) else { return };
    if let Some(tree) = tree {
        assert!(expansion.elements <= vector::MAX_ELEMENTS, "{expansion:?} for {svg}");
        assert!(tree <= TREE_PER_NODE * expansion.elements + 2, "usvg built {tree} nodes, counted {expansion:?}, for {svg}");
    }
}

/// Nodes of usvg's tree per node `expand` counts, at most.
pub const TREE_PER_NODE: u64 = 2;

pub fn svg_document(data: &[u8]) -> String {
    const IDS: [&str; 4] = ["a", "b", "c", "d"];
    let mut out =
        String::from(r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="40" height="40">"#);
    let mut open: Vec<&str> = Vec::new();
    let mut bytes = data.iter().copied();
    while let Some(op) = bytes.next() {
        let arg = bytes.next().unwrap_or(0);
        let id = IDS[(arg & 3) as usize];
        let other = IDS[((arg >> 2) & 3) as usize];
        let with_id = |tag: &str| if arg & 0x10 != 0 { format!(r#"<{tag} id="{id}""#) } else { format!("<{tag}") };
        match op % 16 {
            0 | 1 => {
                out += &with_id("g");
                out += ">";
                open.push("g");
            }
            2 => {
                if let Some(tag) = open.pop() {
                    out += &format!("</{tag}>");
                }
            }
            3 => out += &format!(r#"{} width="{}" height="3"/>"#, with_id("rect"), arg % 7 + 1),
            4 => out += &format!(r##"<use href="#{id}"/>"##),
            5 => out += &format!(r##"<use xlink:href="#{id}"/>"##),
            6 => out += &format!(r##"<use href="#{id}" xlink:href="#{other}"/>"##),
            7 => out += &format!(r##"<use xlink:href="#{id}" href="#{other}" x="1"/>"##),
            8 => {
                out += &with_id("symbol");
                out += ">";
                open.push("symbol");
            }
            9 => {
                out += &with_id("svg");
                out += r#" width="10" height="10">"#;
                open.push("svg");
            }
            10 => out += &format!(r##"{}>ab<tspan>c</tspan><tref xlink:href="#{other}"/></text>"##, with_id("text")),
            11 => out += &format!(r##"<path d="M0 0 l1 1 l2 0 l0 2" marker-mid="url(#{id})" stroke="black"/>"##),
            12 => {
                out += &with_id("marker");
                out += r#" markerWidth="3" markerHeight="3">"#;
                open.push("marker");
            }
            13 => {
                out += &with_id("defs");
                out += ">";
                open.push("defs");
            }
            14 => out += &format!(r#"{} r="2" opacity="0.5"/>"#, with_id("circle")),
            _ => {
                out += &with_id("switch");
                out += ">";
                open.push("switch");
            }
        }
    }
    while let Some(tag) = open.pop() {
        out += &format!("</{tag}>");
    }
    out + "</svg>"
}
