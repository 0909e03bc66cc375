//! `anim=true`: animated GIFs stay animated, frame by frame, as GIF or animated WebP, within a
//! frame × pixel budget; without it the first frame is a poster.

use edge_image_resizer::config::PipelineSettings;
use edge_image_resizer::pipeline::{self, animate};
use edge_image_resizer::transform::{Accepts, Defaults, Format, FormatChoice, Transform};
use image::codecs::gif::{GifDecoder, GifEncoder, Repeat};
use image::{AnimationDecoder, Delay, Frame, Rgba, RgbaImage};
use std::io::Cursor;

const COLOURS: [[u8; 4]; 3] = [[255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255]];

/// A 120×80 GIF of three flat frames (red, green, blue), 100 ms each, looping forever.
fn three_frames() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut out);
        enc.set_repeat(Repeat::Infinite).unwrap();
        for c in COLOURS {
            let img = RgbaImage::from_pixel(120, 80, Rgba(c));
            enc.encode_frame(Frame::from_parts(img, 0, 0, Delay::from_numer_denom_ms(100, 1))).unwrap();
        }
    }
    out
}

fn run_with(src: Vec<u8>, t: Transform, settings: &PipelineSettings) -> edge_image_resizer::error::Result<pipeline::Output> {
    pipeline::transform_bytes(src, &t, settings)
}

fn anim(width: u32) -> Transform {
    Transform { width: Some(width), anim: true, ..Default::default() }
}

fn frames_of(gif: &[u8]) -> Vec<Frame> {
    GifDecoder::new(Cursor::new(gif)).unwrap().into_frames().collect_frames().unwrap()
}

#[test]
fn frame_count_reads_the_block_structure() {
    assert_eq!(animate::frame_count(&three_frames(), Format::Gif).unwrap(), Some(3));
    let mut still = Vec::new();
    GifEncoder::new(&mut still).encode(&[9; 16], 2, 2, image::ExtendedColorType::Rgba8).unwrap();
    assert_eq!(animate::frame_count(&still, Format::Gif).unwrap(), None);
}

#[test]
fn anim_true_keeps_every_frame_resized_with_its_delay() {
    let out = run_with(three_frames(), anim(60), &PipelineSettings::default()).unwrap();
    assert_eq!(out.format, Format::Gif);
    assert_eq!(out.note, None);
    let frames = frames_of(&out.bytes);
    assert_eq!(frames.len(), 3);
    let header = gif::DecodeOptions::new().read_info(Cursor::new(&out.bytes[..])).unwrap();
    assert_eq!(header.repeat(), gif::Repeat::Infinite);
    for (frame, colour) in frames.iter().zip(COLOURS) {
        assert_eq!(frame.buffer().dimensions(), (60, 40));
        assert_eq!(frame.delay().numer_denom_ms(), (100, 1));
        let centre = frame.buffer().get_pixel(30, 20).0;
        for c in 0..3 {
            assert!(centre[c].abs_diff(colour[c]) <= 8, "{centre:?} should be {colour:?}");
        }
    }
}

#[test]
fn without_anim_the_first_frame_is_a_still_poster() {
    let out = run_with(three_frames(), Transform { width: Some(60), ..Default::default() }, &PipelineSettings::default()).unwrap();
    assert_eq!(out.format, Format::Png);
    let img = image::load_from_memory(&out.bytes).unwrap().to_rgba8();
    assert_eq!(img.dimensions(), (60, 40));
    assert_eq!(img.get_pixel(30, 20).0, COLOURS[0]);
}

#[test]
fn an_explicit_still_format_wins_over_anim() {
    let t = Transform { format: Some(FormatChoice::Is(Format::Jpeg)), ..anim(60) };
    let out = run_with(three_frames(), t, &PipelineSettings::default()).unwrap();
    assert_eq!(out.format, Format::Jpeg);
}

/// Each frame a writer was given: its start, its centre pixel, its length in bytes.
type Seen = std::rc::Rc<std::cell::RefCell<Vec<(u32, [u8; 4], usize)>>>;

/// Records what an animated WebP writer is given (libwebp's lives in the worker).
#[derive(Default)]
struct Recorded(Seen);

impl pipeline::codecs::port::WebpEncoder for Recorded {
    fn encode_rgba(&self, _: &[u8], _: u32, _: u32, _: u8) -> edge_image_resizer::error::Result<Vec<u8>> {
        unreachable!("a still WebP was written")
    }

    fn animation(
        &self,
        w: u32,
        h: u32,
        loops: u32,
        _: u8,
    ) -> edge_image_resizer::error::Result<Box<dyn pipeline::codecs::port::AnimationWriter>> {
        assert_eq!((w, h, loops), (60, 40, 0));
        Ok(Box::new(Recorded(self.0.clone())))
    }
}

impl pipeline::codecs::port::AnimationWriter for Recorded {
    fn add(&mut self, rgba: &[u8], start_ms: u32) -> edge_image_resizer::error::Result<()> {
        let centre = (20 * 60 + 30) * 4;
        self.0.borrow_mut().push((start_ms, rgba[centre..centre + 4].try_into().unwrap(), rgba.len()));
        Ok(())
    }

    fn finish(self: Box<Self>, end_ms: u32) -> edge_image_resizer::error::Result<Vec<u8>> {
        self.0.borrow_mut().push((end_ms, [0; 4], 0));
        Ok(b"RIFF".to_vec())
    }
}

#[test]
fn anim_to_webp_hands_every_resized_frame_to_the_animation_writer_with_its_time() {
    let t = Transform { format: Some(FormatChoice::Is(Format::Webp)), ..anim(60) };
    let settings = PipelineSettings::default();
    let resolved = t.resolved(Format::Gif, settings.output_defaults(), Accepts::default());
    let recorded = Recorded::default();
    let codecs = pipeline::Codecs { webp: &recorded, ..pipeline::Codecs::NATIVE };
    let host = pipeline::Host { clock: &|| 0.0, codecs: &codecs, overlays: &[] };
    let out = pipeline::run(three_frames(), &resolved, &settings, &host).unwrap();
    assert_eq!((out.format, out.width, out.height, out.bytes.as_slice()), (Format::Webp, 60, 40, &b"RIFF"[..]));
    let seen = recorded.0.borrow();
    let frames: Vec<(u32, [u8; 4])> = seen.iter().map(|f| (f.0, f.1)).collect();
    assert_eq!(frames, [(0, COLOURS[0]), (100, COLOURS[1]), (200, COLOURS[2]), (300, [0; 4])]);
    assert!(seen[..3].iter().all(|f| f.2 == 60 * 40 * 4));
}

#[test]
fn over_the_frame_pixel_budget_the_original_is_served_unchanged() {
    // 3 frames × 9,600 px = 28,800 px.
    let mut config = PipelineSettings::default();
    config.limits.anim_max_pixels = 20_000;
    let src = three_frames();
    let out = run_with(src.clone(), anim(60), &config).unwrap();
    assert_eq!(out.bytes, src);
    assert_eq!((out.format, out.width, out.height), (Format::Gif, 120, 80));
    assert!(out.note.as_deref().unwrap().contains("budget"), "{:?}", out.note);
}

#[test]
fn anim_on_a_still_gif_gives_a_still_gif() {
    let mut still = Vec::new();
    let img = RgbaImage::from_pixel(40, 20, Rgba([10, 200, 30, 255]));
    GifEncoder::new(&mut still).encode(img.as_raw(), 40, 20, image::ExtendedColorType::Rgba8).unwrap();
    let out = run_with(still, anim(20), &PipelineSettings::default()).unwrap();
    assert_eq!(out.format, Format::Gif);
    assert_eq!(frames_of(&out.bytes).len(), 1);
    assert_eq!(frames_of(&out.bytes)[0].buffer().dimensions(), (20, 10));
}

#[test]
fn anim_is_in_the_canonical_form_only_where_it_can_matter() {
    assert_eq!(anim(60).resolved(Format::Gif, Defaults::STANDARD, Accepts::default()).canonical(), "w=60,f=gif,anim");
    assert_eq!(anim(60).resolved(Format::Webp, Defaults::STANDARD, Accepts::default()).canonical(), "w=60,q=85,f=webp,anim");
    assert_eq!(anim(60).resolved(Format::Jpeg, Defaults::STANDARD, Accepts::default()).canonical(), "w=60,q=85,f=jpeg");
    // `auto` keeps an animation animated: WebP for clients that take it, else GIF.
    let auto = Transform { format: Some(FormatChoice::Auto), ..anim(60) };
    let webp = Accepts { webp: true, avif: false };
    assert_eq!(auto.resolved(Format::Gif, Defaults::STANDARD, webp).output_format(), Some(Format::Webp));
    assert_eq!(auto.resolved(Format::Webp, Defaults::STANDARD, Accepts::default()).output_format(), Some(Format::Gif));
}

/// Four 64×64 frames of a 16×16 black square moving right by 16 px on `background`.
fn moving_square(background: [u8; 4]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut out);
        for k in 0..4u32 {
            let img = RgbaImage::from_fn(64, 64, |x, y| {
                if (k * 16..k * 16 + 16).contains(&x) && (24..40).contains(&y) {
                    Rgba([0, 0, 0, 255])
                } else {
                    Rgba(background)
                }
            });
            enc.encode_frame(Frame::from_parts(img, 0, 0, Delay::from_numer_denom_ms(50, 1))).unwrap();
        }
    }
    out
}

/// Output frames composed the way a browser shows them: the square is where it should be and
/// nowhere else, whether frames were coded as differences (opaque) or whole (transparent).
fn assert_square_moves(out: &[u8], background: [u8; 4]) {
    let frames = frames_of(out);
    assert_eq!(frames.len(), 4);
    for (k, frame) in frames.iter().enumerate() {
        let img = frame.buffer();
        assert_eq!(img.dimensions(), (32, 32));
        for j in 0..4u32 {
            let p = img.get_pixel(j * 8 + 4, 16).0;
            let want = if j as usize == k { [0, 0, 0, 255] } else { background };
            let close = (0..4).all(|c| p[c].abs_diff(want[c]) <= 12) || (want[3] == 0 && p[3] == 0);
            assert!(close, "frame {k}, square slot {j}: {p:?}, want {want:?}");
        }
    }
}

#[test]
fn opaque_frames_are_coded_as_differences_and_compose_right() {
    let grey = [128, 128, 128, 255];
    let out = run_with(moving_square(grey), anim(32), &PipelineSettings::default()).unwrap();
    assert_square_moves(&out.bytes, grey);
    // Frames after the first cover only what changed: the old and new square, 16 px tall.
    let mut decoder = gif::DecodeOptions::new().read_info(Cursor::new(&out.bytes[..])).unwrap();
    let mut heights = Vec::new();
    while let Some(f) = decoder.read_next_frame().unwrap() {
        heights.push(f.height);
    }
    assert_eq!(heights[0], 32);
    assert!(heights[1..].iter().all(|&h| h < 16), "{heights:?}");
}

#[test]
fn transparent_frames_are_coded_whole_and_compose_right() {
    let clear = [0, 0, 0, 0];
    let out = run_with(moving_square(clear), anim(32), &PipelineSettings::default()).unwrap();
    assert_square_moves(&out.bytes, clear);
}

/// `trim=border` on an animation: the border is found on the first frame and the same window
/// kept in every frame. A 120×80 canvas, white around a 60×20 block at (20, 10) whose colour
/// changes frame by frame.
#[test]
fn trim_border_finds_the_border_on_the_first_frame_and_keeps_it_for_all() {
    let mut src = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut src);
        enc.set_repeat(Repeat::Infinite).unwrap();
        for c in COLOURS {
            let img = RgbaImage::from_fn(120, 80, |x, y| {
                if (20..80).contains(&x) && (10..30).contains(&y) {
                    Rgba(c)
                } else {
                    Rgba([255, 255, 255, 255])
                }
            });
            enc.encode_frame(Frame::from_parts(img, 0, 0, Delay::from_numer_denom_ms(100, 1))).unwrap();
        }
    }
    let border = edge_image_resizer::transform::Trim::Border { color: None, tolerance: 245, keep: 0 };
    let t = Transform { width: Some(30), trim: Some(border), ..anim(30) };
    let out = run_with(src, t, &PipelineSettings::default()).unwrap();
    let frames = frames_of(&out.bytes);
    assert_eq!(frames.len(), 3);
    for (frame, colour) in frames.iter().zip(COLOURS) {
        // The 60×20 block alone, at 30 px wide: 30×10, the block's colour edge to edge.
        assert_eq!(frame.buffer().dimensions(), (30, 10));
        for (x, y) in [(0, 0), (29, 0), (0, 9), (29, 9), (15, 5)] {
            let p = frame.buffer().get_pixel(x, y).0;
            assert!((0..3).all(|i| (p[i] as i32 - colour[i] as i32).abs() <= 40), "({x}, {y}): {p:?} for {colour:?}");
        }
    }
}

/// A trimmed animation is admitted again at its trimmed size: a 40×40 block in a 400×40 canvas,
/// `fit=contain` into 400×400, is 400×40 untrimmed but 400×400 trimmed, over a budget the
/// untrimmed size fits: served unchanged with the reason, not encoded over the budget.
#[test]
fn a_trimmed_animation_is_admitted_again_at_its_trimmed_size() {
    let mut src = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut src);
        enc.set_repeat(Repeat::Infinite).unwrap();
        for c in COLOURS {
            let img = RgbaImage::from_fn(400, 40, |x, _| if (180..220).contains(&x) { Rgba(c) } else { Rgba([255, 255, 255, 255]) });
            enc.encode_frame(Frame::from_parts(img, 0, 0, Delay::from_numer_denom_ms(100, 1))).unwrap();
        }
    }
    let mut settings = PipelineSettings::default();
    settings.limits.memory_budget = 5 << 20;
    let contain = Transform { height: Some(400), fit: edge_image_resizer::transform::Fit::Contain, ..anim(400) };
    let plain = run_with(src.clone(), contain.clone(), &settings).unwrap();
    assert_eq!((plain.note, plain.width, plain.height), (None, 400, 40));
    let border = edge_image_resizer::transform::Trim::Border { color: None, tolerance: 245, keep: 0 };
    let trimmed = run_with(src.clone(), Transform { trim: Some(border), ..contain }, &settings).unwrap();
    assert!(trimmed.note.as_deref().is_some_and(|n| n.contains("served unchanged")), "{:?}", trimmed.note);
    assert_eq!(trimmed.bytes, src);
}
