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
use edge_image_resizer::transform::{Accepts, Defaults, Fit, Format, FormatChoice, Gravity, Transform};
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
        ..Default::default()
    };
    if let Err(e) = pipeline::transform_bytes(image.to_vec(), &transform, &PipelineSettings::default()) {
        // Bad bytes are the client's problem (4xx), never ours.
        assert!((400..500).contains(&e.status()), "{} from {} bytes: {e}", e.status(), image.len());
    }
}
