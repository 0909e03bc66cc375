//! The binding's option objects read as the URLs read the same options.

use super::*;
use crate::config::{Composite, Repeat, UrlSettings};
use crate::transform::{Fit, Gravity};
use serde_json::json;

fn one(transform: Value) -> crate::transform::Transform {
    options::transform(&transform).unwrap().build(&options::Steps::default(), &UrlSettings::default()).unwrap()
}

fn url(query: &str) -> crate::transform::Transform {
    crate::url::for_key("a.jpg", query, &UrlSettings::default()).unwrap().transform
}

#[test]
fn a_transform_object_is_the_url_with_the_same_options() {
    for (object, query) in [
        (json!({"width": 300, "height": 200, "fit": "cover", "gravity": "left"}), "width=300&height=200&fit=cover&gravity=left"),
        (
            json!({"blur": 10, "sharpen": 1.5, "brightness": 0.8, "rotate": 90, "flip": "hv"}),
            "blur=10&sharpen=1.5&brightness=0.8&rotate=90&flip=hv",
        ),
        (json!({"width": 100, "fit": "pad", "background": "#ff0000"}), "width=100&fit=pad&background=%23ff0000"),
        (json!({"border": {"color": "red", "width": 4}}), "border=red;4"),
        (json!({"border": {"color": "red", "top": 1, "right": 2, "bottom": 3, "left": 4}}), "border=red;1;2;3;4"),
        (json!({"trim": {"top": 5, "left": 6, "width": 50}}), "trim.top=5&trim.left=6&trim.width=50"),
        (json!({"trim": {"border": {"color": "white", "tolerance": 20}}}), "trim=border&trim.border.color=white&trim.border.tolerance=20"),
        (
            json!({"width": 300, "fit": "cover", "gravity": {"x": 0.25, "y": 0.75, "mode": "remainder"}}),
            "width=300&fit=cover&gravity=0.25x0.75&gravity.mode=remainder",
        ),
    ] {
        // (The binding keeps animations unless output() says anim: false, as /cdn-cgi/image/ does.)
        let asked = crate::transform::Transform { anim: false, ..one(object.clone()) };
        assert_eq!(asked, url(query), "{object}");
    }
    let point = one(json!({"width": 10, "height": 10, "fit": "cover", "gravity": {"x": 0.2, "y": 0.4, "mode": "box-center"}}));
    assert_eq!(point.gravity, Gravity::Focal { x: 200, y: 400 });
    assert_eq!(one(json!({"width": 10, "fit": "crop"})).fit, Fit::Crop);
}

/// What a URL refuses, the binding refuses, with the URL's words; and what belongs to output()
/// or draw() is refused in transform().
#[test]
fn refusals_are_the_urls() {
    for (object, says) in [
        (json!({"width": 0}), "width"),
        (json!({"width": "wide"}), "width"),
        (json!({"fit": "stretch"}), "fit"),
        (json!({"rotate": 45}), "rotate"),
        (json!({"widht": 10}), "unknown option 'widht'"),
        (json!({"width": "auto"}), "client hints"),
        (json!({"segment": "foreground"}), "segment"),
        (json!({"format": "webp"}), "output()"),
        (json!({"gravity": {"x": 2}}), "gravity.x"),
        (json!({"gravity": {"x": 0.5, "mode": "middle"}}), "gravity.mode"),
        (json!({"gravity": "left", "gravity.mode": "remainder", "width": 5, "height": 5, "fit": "cover"}), "gravity.mode"),
        (json!([1, 2]), "object"),
    ] {
        let e = options::transform(&object).and_then(|s| s.build(&options::Steps::default(), &UrlSettings::default())).unwrap_err();
        assert_eq!((e.status(), code(&e)), (400, 9432), "{object}");
        assert!(e.message().contains(says), "{object}: {}", e.message());
    }
}

#[test]
fn a_call_is_parsed_with_its_draws_and_output() {
    let call = json!({
        "job": {"source": 0, "steps": [
            {"transform": {"width": 200}},
            {"draw": {"image": {"source": 1, "steps": [{"transform": {"width": 20}}]}, "options": {"bottom": 5, "right": 5, "opacity": 0.5, "repeat": "x", "composite": "xor"}}},
        ]},
        "output": {"format": "image/webp", "quality": 70, "anim": false},
    });
    let (job, output) = parse(&call.to_string(), 2).unwrap();
    assert_eq!(job.input, Input::Image(0));
    let Step::Draw(child, placement) = &job.steps[1] else { panic!("{:?}", job.steps) };
    assert_eq!((placement.key.as_str(), placement.text.as_ref(), placement.width), ("", None, None), "drawn at its own size");
    assert_eq!(child.input, Input::Image(1));
    assert_eq!((placement.bottom, placement.right, placement.left, placement.opacity), (Some(5), Some(5), None, 0.5));
    assert_eq!((placement.repeat, placement.composite), (Repeat::X, Composite::Xor));
    assert_eq!(output.format, OutputFormat::Encoded(Format::Webp));
    let mut options = output.options.0.clone();
    options.sort();
    assert_eq!(options, [("anim".to_string(), "false".to_string()), ("quality".to_string(), "70".to_string())]);
    let raw = parse(&json!({"job": {"source": 0}, "output": {"format": "rgba"}}).to_string(), 1).unwrap().1;
    assert_eq!((raw.format, raw.format.content_type()), (OutputFormat::Raw { alpha: true }, "application/octet-stream"));
    let gif = parse(&json!({"job": {"source": 0}, "output": {"format": "image/gif"}}).to_string(), 1).unwrap().1;
    assert_eq!(gif.format, OutputFormat::Encoded(Format::Gif));
}

#[test]
fn bad_calls_are_refused_with_cloudflares_codes() {
    let steps = |n: usize| vec![json!({"transform": {"width": 10}}); n];
    for (call, sources, expected) in [
        (json!({"job": {"source": 0}, "output": {}}), 1, 9432),
        (json!({"job": {"source": 0}, "output": {"format": "image/tiff"}}), 1, 9520),
        (json!({"job": {"source": 0}, "output": {"format": "image/png", "compression": "fast"}}), 1, 9432),
        (json!({"job": {"source": 1}, "output": {"format": "image/png"}}), 1, 9432),
        (json!({"job": {"source": 0, "steps": steps(MAX_STEPS + 1)}, "output": {"format": "image/png"}}), 1, 9432),
        (
            json!({"job": {"source": 0, "steps": [{"draw": {"image": {"source": 0}, "options": {"left": 1, "right": 1}}}]}, "output": {"format": "image/png"}}),
            1,
            9432,
        ),
        (
            json!({"job": {"source": 0, "steps": [{"draw": {"image": {"source": 0}, "options": {"opacity": 1.5}}}]}, "output": {"format": "image/png"}}),
            1,
            9432,
        ),
        (
            json!({"job": {"source": 0, "steps": [{"draw": {"image": {"source": 0}, "options": {"scale": 2}}}]}, "output": {"format": "image/png"}}),
            1,
            9432,
        ),
        (json!({"job": {"source": 0, "steps": [{"transform": {}, "draw": {}}]}, "output": {"format": "image/png"}}), 1, 9432),
    ] {
        let e = parse(&call.to_string(), sources).unwrap_err();
        assert_eq!(code(&e), expected, "{call}: {e}");
    }
    assert_eq!(
        parse(&json!({"job": {"source": 0, "steps": steps(MAX_STEPS)}, "output": {"format": "image/png"}}).to_string(), 1).map(|_| ()),
        Ok(())
    );
    // One image per input() and draw() at most: a call cannot carry images its chain never names.
    let plain = json!({"job": {"source": 0}, "output": {"format": "image/png"}}).to_string();
    assert_eq!(code(&parse(&plain, MAX_STEPS + 2).unwrap_err()), 9432);
    assert!(parse(&plain, MAX_STEPS + 1).is_ok());
    assert_eq!(code(&Error::TooLarge("x".into())), 9413);
    assert_eq!(code(&Error::Undecodable("x".into())), 9516);
    assert_eq!(code(&Error::Unsupported("not an image".into())), 9412);
    assert_eq!(code(&Error::Busy("x".into())), 9522);
    assert_eq!(code(&Error::Internal("x".into())), 9523);
}

#[test]
fn text_chains_take_a_family_or_a_font_file() {
    let call = |text: Value, sources: usize| parse(&json!({"job": {"text": text}, "output": {"format": "image/png"}}).to_string(), sources);
    let (job, _) = call(json!({"content": "© Shop", "size": 18, "color": "#ffffffcc", "font": {"family": "serif"}}), 0).unwrap();
    let Input::Text { text, font } = job.input else { panic!() };
    assert_eq!(
        (text.content.as_str(), text.family.as_str(), text.size_px, text.color, font),
        ("© Shop", "serif", 24.0, [255, 255, 255, 204], None)
    );
    let (job, _) = call(json!({"content": "x", "font": {"source": 0}}), 1).unwrap();
    assert!(matches!(job.input, Input::Text { font: Some(0), .. }));
    for bad in
        [json!({"content": ""}), json!({"size": 10}), json!({"content": "x", "color": "nope"}), json!({"content": "x", "size": 2000})]
    {
        assert_eq!(code(&call(bad.clone(), 0).unwrap_err()), 9432, "{bad}");
    }
    assert_eq!(code(&call(json!({"content": "x", "font": {"source": 1}}), 1).unwrap_err()), 9432, "a font the call did not send");
}
