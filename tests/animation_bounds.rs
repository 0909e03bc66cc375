//! Adversarial animations (issue 35): what a frame costs besides its pixels, and that an animation
//! is admitted from its block structure before any frame is decoded. Each case is measured here
//! natively: the bytes this thread allocates at its peak (a counting allocator) against the
//! estimate admission made, and the time taken.
//!
//! - a 1×1 canvas with 400,000 frames: refused (413) from the frame count, nothing per frame;
//! - a large canvas with many 1×1 frames: every frame is composed on the whole canvas, so it is
//!   counted as canvas × frames (`ANIM_MAX_MEGAPIXELS`);
//! - a frame declaring a rectangle far larger than its 1×1 canvas: counted at its own size;
//! - the same as animated WebP.

use edge_image_resizer::config::PipelineSettings;
use edge_image_resizer::error::Error;
use edge_image_resizer::pipeline::{self, animate, Output};
use edge_image_resizer::transform::{Format, FormatChoice, Transform};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Instant;

/// Counts this thread's live heap bytes and their high-water mark (tests run on threads of their
/// own, so each measures only itself).
struct Counting;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn grew(by: usize) {
    let _ = LIVE.try_with(|live| {
        live.set(live.get() + by);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(live.get())));
    });
}

fn shrank(by: usize) {
    let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(by)));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrank(layout.size());
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Both buffers are live while the old one is copied.
        grew(new_size);
        shrank(layout.size());
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// What a run cost: the bytes allocated at its peak beyond what was live before it (the source
/// is already there), and its time in milliseconds.
struct Measured {
    result: edge_image_resizer::error::Result<Output>,
    peak: usize,
    ms: f64,
}

fn measure(source: Vec<u8>, t: Transform, settings: &PipelineSettings) -> Measured {
    let before = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(before));
    let started = Instant::now();
    let result = pipeline::transform_bytes(source, &t, settings);
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let peak = PEAK.with(Cell::get).saturating_sub(before);
    Measured { result, peak, ms }
}

fn anim(width: u32) -> Transform {
    Transform { width: Some(width), anim: true, ..Default::default() }
}

fn as_gif(t: Transform) -> Transform {
    Transform { format: Some(FormatChoice::Is(Format::Gif)), ..t }
}

/// A GIF of a `canvas`, a two-colour global palette (black, white), looping, and one frame for
/// each `(rectangle, colour index)`, 10 ms each. Frames of one pixel are written byte by byte
/// (23 bytes each: 400,000 of them in a moment), others by the gif crate.
fn gif(canvas: (u16, u16), frames: impl IntoIterator<Item = ((u16, u16, u16, u16), u8)>) -> Vec<u8> {
    let frames: Vec<_> = frames.into_iter().collect();
    let mut out = Vec::new();
    let mut encoder = gif::Encoder::new(&mut out, canvas.0, canvas.1, &[0, 0, 0, 255, 255, 255]).unwrap();
    encoder.set_repeat(gif::Repeat::Infinite).unwrap();
    if frames.iter().any(|&((_, _, w, h), _)| (w, h) != (1, 1)) {
        for ((left, top, width, height), index) in frames {
            let buffer = vec![index; width as usize * height as usize].into();
            encoder.write_frame(&gif::Frame { left, top, width, height, delay: 1, buffer, ..Default::default() }).unwrap();
        }
        drop(encoder);
        return out;
    }
    drop(encoder);
    out.pop(); // the trailer
    for ((left, top, _, _), index) in frames {
        out.extend([0x21, 0xF9, 0x04, 0x04, 0x01, 0x00, 0x00, 0x00, 0x2C]);
        for v in [left, top, 1, 1] {
            out.extend(v.to_le_bytes());
        }
        // No local palette; LZW minimum code size 2; clear (4), the index, end (5): 3 bits each.
        let codes = 4u16 | (index as u16) << 3 | 5 << 6;
        out.extend([0, 2, 2, codes as u8, (codes >> 8) as u8, 0]);
    }
    out.push(0x3B);
    out
}

/// `n` 1×1 frames alternating black and white, on a 1×1 canvas.
fn one_pixel_frames(n: u32) -> Vec<u8> {
    gif((1, 1), (0..n).map(|i| ((0, 0, 1, 1), (i % 2) as u8)))
}

fn too_large(m: Measured) -> (String, usize, f64) {
    match m.result {
        Err(e @ Error::TooLarge(_)) => (e.message(), m.peak, m.ms),
        Err(e) => panic!("expected a 413, got {} {e}", e.status()),
        Ok(out) => panic!("expected a 413, got {}×{} {:?} (note {:?})", out.width, out.height, out.format, out.note),
    }
}

#[test]
fn a_1x1_gif_of_400k_frames_is_refused_from_its_block_structure() {
    let source = one_pixel_frames(400_000);
    assert!(source.len() < 400_000 * 24, "{}", source.len());
    let (message, peak, ms) = too_large(measure(source.clone(), anim(1), &PipelineSettings::default()));
    println!("1×1 × 400,000 frames ({} bytes): refused in {ms:.0} ms, {peak} bytes allocated at the peak", source.len());
    assert!(message.contains("400000 frames, more than the 10000"), "{message}");
    // Counted from the block structure: nothing is held per frame before the refusal.
    assert!(peak < 64 << 10, "{peak} bytes allocated before the refusal");
    // Without anim=true the first frame is a still, whatever follows it.
    let still = pipeline::transform_bytes(source, &Transform { width: Some(1), ..Default::default() }, &PipelineSettings::default());
    assert_eq!(still.unwrap().format, Format::Png);
}

#[test]
fn frame_count_and_layout_allocate_nothing_per_frame() {
    for n in [1_000u32, 100_000] {
        let source = one_pixel_frames(n);
        let before = LIVE.with(Cell::get);
        PEAK.with(|p| p.set(before));
        let layout = animate::layout(&source, Format::Gif).unwrap().unwrap();
        let peak = PEAK.with(Cell::get) - before;
        assert_eq!(layout, animate::Layout { frames: n, largest_frame: 1 });
        assert!(peak < 64 << 10, "{n} frames: {peak} bytes at the peak of the scan");
    }
}

#[test]
fn a_1x1_gif_at_the_frame_bound_is_re_encoded_within_its_estimate() {
    for n in [1_000, animate::MAX_FRAMES] {
        let m = measure(one_pixel_frames(n), anim(1), &PipelineSettings::default());
        let (peak, ms) = (m.peak, m.ms);
        let out = m.result.unwrap();
        assert!(!out.unchanged && out.format == Format::Gif);
        let per_frame = out.bytes.len() as f64 / n as f64;
        println!(
            "1×1 × {n} frames: {ms:.0} ms ({:.1} µs a frame), {} bytes out ({per_frame:.1} a frame), peak {peak} bytes, estimated {}",
            ms * 1000.0 / n as f64,
            out.bytes.len(),
            out.estimated_peak
        );
        // The output holds about 30 bytes a frame, which admission now counts (it counted one).
        assert!(per_frame > 20.0 && per_frame <= edge_image_resizer::pipeline::steps::admit::frame_bytes((1, 1)) as f64);
        assert!(out.estimated_peak as usize > peak, "estimated {} < measured {peak}", out.estimated_peak);
    }
}

#[test]
fn one_over_the_frame_bound_is_refused() {
    let (message, peak, _) = too_large(measure(one_pixel_frames(animate::MAX_FRAMES + 1), anim(1), &PipelineSettings::default()));
    assert!(message.contains("10001 frames"), "{message}");
    assert!(peak < 64 << 10, "{peak}");
}

/// A big canvas with many 1×1 frames: each is composed onto the whole canvas and resized, so it
/// costs the canvas, which `ANIM_MAX_MEGAPIXELS` counts (canvas × frames).
#[test]
fn a_large_canvas_of_tiny_frames_costs_the_canvas_for_every_frame() {
    // 600×600 × 40 frames = 14.4 MP: within 50 MP, re-encoded, and inside its estimate.
    let frames = |n: u16| (0..n).map(|i| ((i * 7, i * 5, 1, 1), (i % 2) as u8));
    let m = measure(gif((600, 600), frames(40)), as_gif(anim(300)), &PipelineSettings::default());
    let (peak, ms) = (m.peak, m.ms);
    let out = m.result.unwrap();
    println!("600×600 × 40 frames of 1×1: {ms:.0} ms, peak {peak} bytes, estimated {}", out.estimated_peak);
    assert!(!out.unchanged, "{:?}", out.note);
    assert!(out.estimated_peak as usize > peak, "estimated {} < measured {peak}", out.estimated_peak);
    // 4000×4000 × 4 frames = 64 MP, over 50 MP: served as it is (the fallback stays what it was).
    let m = measure(gif((4000, 4000), frames(4)), as_gif(anim(300)), &PipelineSettings::default());
    let out = m.result.unwrap();
    assert!(out.unchanged && out.note.as_deref().unwrap().contains("64 MP"), "{:?}", out.note);
    assert!(m.peak < 1 << 20, "decoded before the budget was asked: {}", m.peak);
}

/// A frame whose own rectangle is far larger than its 1×1 canvas: the decoder allocates the whole
/// rectangle (RGBA and palette indices) before placing it on the canvas.
#[test]
fn a_frame_declared_larger_than_its_canvas_is_counted_at_its_own_size() {
    let two = |side: u16| gif((1, 1), [((0, 0, side, side), 1), ((0, 0, 1, 1), 0)]);
    // 1500×1500 (2.25 MP, 11 MB decoded): admitted, and the estimate covers what was allocated.
    let m = measure(two(1500), anim(1), &PipelineSettings::default());
    let (peak, ms) = (m.peak, m.ms);
    let out = m.result.unwrap();
    println!("1×1 canvas, a 1500×1500 frame: {ms:.0} ms, peak {peak} bytes, estimated {}", out.estimated_peak);
    assert!(!out.unchanged, "{:?}", out.note);
    assert!(out.estimated_peak as usize > peak, "estimated {} < measured {peak}", out.estimated_peak);
    // 4000×4000 (16 MP a frame, 80 MB decoded): over the budget before anything is decoded.
    let big = two(4000);
    let m = measure(big.clone(), anim(1), &PipelineSettings::default());
    let peak = m.peak;
    let out = m.result.unwrap();
    println!("1×1 canvas, a 4000×4000 frame: {:?}, peak {peak} bytes", out.note);
    assert!(out.unchanged && out.note.as_deref().unwrap().contains("needs about"), "{:?}", out.note);
    assert!(peak < 1 << 20, "decoded before the budget was asked: {peak}");
    // As a still (anim=false), the first frame's rectangle is counted the same way: 413.
    let (message, peak, _) = too_large(measure(big, Transform { width: Some(1), ..Default::default() }, &PipelineSettings::default()));
    assert!(message.contains("MB budget"), "{message}");
    assert!(peak < 1 << 20, "decoded before the budget was asked: {peak}");
}

/// An animated WebP written chunk by chunk: a `canvas`, and `n` frames of the 1×1 lossless
/// bitstream `image-webp` writes.
fn webp(canvas: (u32, u32), n: u32) -> Vec<u8> {
    let mut still = Vec::new();
    image_webp::WebPEncoder::new(&mut still).encode(&[200, 10, 10, 255], 1, 1, image_webp::ColorType::Rgba8).unwrap();
    let vp8l = still[12..].to_vec(); // the VP8L chunk, header included
    let chunk = |tag: &[u8], body: &[u8]| {
        let mut c = tag.to_vec();
        c.extend((body.len() as u32).to_le_bytes());
        c.extend(body);
        if body.len() % 2 == 1 {
            c.push(0);
        }
        c
    };
    let u24 = |v: u32| v.to_le_bytes()[..3].to_vec();
    let mut vp8x = vec![0x12, 0, 0, 0]; // animation and alpha
    vp8x.extend(u24(canvas.0 - 1));
    vp8x.extend(u24(canvas.1 - 1));
    let mut body = b"WEBP".to_vec();
    body.extend(chunk(b"VP8X", &vp8x));
    body.extend(chunk(b"ANIM", &[0, 0, 0, 0, 0, 0]));
    let mut anmf = [u24(0), u24(0), u24(0), u24(0), u24(10)].concat();
    anmf.push(0);
    anmf.extend(&vp8l);
    let frame = chunk(b"ANMF", &anmf);
    for _ in 0..n {
        body.extend(&frame);
    }
    chunk(b"RIFF", &body)
}

#[test]
fn an_animated_webp_is_bounded_the_same_way() {
    let source = webp((1, 1), 400_000);
    assert_eq!(animate::layout(&source, Format::Webp).unwrap(), Some(animate::Layout { frames: 400_000, largest_frame: 1 }));
    let (message, peak, ms) = too_large(measure(source.clone(), as_gif(anim(1)), &PipelineSettings::default()));
    println!("WebP 1×1 × 400,000 frames ({} bytes): refused in {ms:.0} ms, peak {peak} bytes", source.len());
    assert!(message.contains("400000 frames"), "{message}");
    assert!(peak < 64 << 10, "{peak}");
    let n = 2_000;
    let m = measure(webp((1, 1), n), as_gif(anim(1)), &PipelineSettings::default());
    let (peak, ms) = (m.peak, m.ms);
    let out = m.result.unwrap();
    println!(
        "WebP 1×1 × {n} frames → GIF: {ms:.0} ms ({:.1} µs a frame), peak {peak} bytes, estimated {}",
        ms * 1000.0 / n as f64,
        out.estimated_peak
    );
    assert!(!out.unchanged && out.format == Format::Gif, "{:?}", out.note);
    assert!(out.estimated_peak as usize > peak, "estimated {} < measured {peak}", out.estimated_peak);
}
