//! `anim=true`: an animated GIF or WebP stays animated, as a GIF or as an animated WebP (libwebp's
//! animation encoder, through the host's [`WebpEncoder`]). Every frame goes through the same steps
//! as a still image ([`Shape`]) and is encoded as it comes, so only one frame is in memory at a
//! time. What cannot be re-encoded within the frame × pixel budget (`ANIM_MAX_MEGAPIXELS`) or the
//! memory budget is served unchanged, with a note saying why.

use super::codecs::port::{AnimationWriter, WebpEncoder};
use super::shape::Shape;
use super::steps::encode::GIF_SPEED;
use super::steps::{self, admit};
use super::types::{Output, Pixels, Probe, Timings};
use crate::config::Limits;
use crate::error::{Error, Result};
use crate::transform::Format;
use image::codecs::gif::GifDecoder;
use image::codecs::webp::WebPDecoder;
use image::metadata::LoopCount;
use image::{AnimationDecoder, DynamicImage, Frame, ImageDecoder, Rgba, RgbaImage};
use std::io::Cursor;

/// Most frames an animation may have to be re-encoded (`anim=true`), whatever its size. Each frame
/// costs a fixed amount besides its pixels: a frame decoded, composed, resized, quantised and
/// written (measured 2–6 µs natively in a release build for a 1×1 frame) and its framing in the
/// output (a 1×1 frame is 23 bytes in, 29 out) that `ANIM_MAX_MEGAPIXELS`, counting canvas ×
/// frames, does not see: a 1×1 canvas could otherwise have 50 million frames. 10,000 frames are
/// over 3 minutes at 50 frames a second; at that count the fixed costs stay near 0.1 s of CPU and
/// under 8 MB (792 bytes a frame at most, with a full local palette: `admit::frame_bytes`).
/// Counted from the block structure, before any frame is decoded (tests/animation_bounds.rs).
pub const MAX_FRAMES: u32 = 10_000;

/// `anim=true` on an animated GIF or WebP, written as GIF or WebP: the number of frames to keep,
/// or `None` for a still image (or another output format), which the still path handles. An
/// animation of more than [`MAX_FRAMES`] frames is refused (413) here, from its block structure.
pub fn frames_to_keep(source: &[u8], probe: &Probe, anim: bool, output: Format) -> Result<Option<u32>> {
    let animated = matches!(probe.format, Format::Gif | Format::Webp);
    if !anim || !animated || !matches!(output, Format::Gif | Format::Webp) {
        return Ok(None);
    }
    let frames = frame_count(source, probe.format)?;
    if let Some(frames) = frames.filter(|&n| n > MAX_FRAMES) {
        return Err(too_many_frames(frames));
    }
    Ok(frames)
}

fn too_many_frames(frames: u32) -> Error {
    Error::TooLarge(format!(
        "this animation has {frames} frames, more than the {MAX_FRAMES} an animation may have to be re-encoded; ask for anim=false for a still"
    ))
}

/// The number of frames of an animated GIF or WebP, from the block structure only (no pixel
/// is decoded); `None` for a still image or another format.
pub fn frame_count(bytes: &[u8], format: Format) -> Result<Option<u32>> {
    Ok(layout(bytes, format)?.map(|l| l.frames))
}

/// What an animation's block structure says, read without decoding a pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub frames: u32,
    /// The largest frame's own rectangle, in pixels: a GIF frame may declare one larger than its
    /// canvas, and the decoder allocates it whole (RGBA, and its palette indices) before composing
    /// it onto the canvas. A WebP frame must lie inside its canvas (image-webp refuses others).
    pub largest_frame: u64,
}

/// The frames of an animated GIF or WebP and the largest of them, from the block structure only:
/// nothing is allocated per frame (a GIF frame's image data is skipped, not copied); `None` for a
/// still image or another format.
pub fn layout(bytes: &[u8], format: Format) -> Result<Option<Layout>> {
    let layout = match format {
        Format::Gif => {
            let mut options = gif::DecodeOptions::new();
            options.skip_frame_decoding(true);
            let bad = |e: gif::DecodingError| Error::Undecodable(format!("GIF: {e}"));
            let mut decoder = options.read_info(Cursor::new(bytes)).map_err(bad)?;
            let (mut frames, mut largest_frame) = (0u32, 0u64);
            // `next_frame_info` only: `read_next_frame` would copy each frame's LZW data into a
            // buffer reserved at a quarter of a byte per declared pixel (16 MB for one frame
            // declaring 8192×8192, whatever its canvas).
            while let Some(frame) = decoder.next_frame_info().map_err(bad)? {
                frames = frames.saturating_add(1);
                largest_frame = largest_frame.max(frame.width as u64 * frame.height as u64);
            }
            Layout { frames, largest_frame }
        }
        Format::Webp => {
            let decoder = image_webp::WebPDecoder::new(Cursor::new(bytes)).map_err(|e| Error::Undecodable(format!("WebP: {e}")))?;
            let (w, h) = decoder.dimensions();
            Layout { frames: if decoder.is_animated() { decoder.num_frames() } else { 1 }, largest_frame: w as u64 * h as u64 }
        }
        _ => return Ok(None),
    };
    Ok((layout.frames > 1).then_some(layout))
}

/// What `run` writes with: the output format, its quality (WebP) and the WebP encoder.
pub struct Writing<'a> {
    pub format: Format,
    pub quality: u8,
    pub webp: &'a dyn WebpEncoder,
}

/// An animated source: its bytes, header and the frames it has (`frames_to_keep`).
pub struct Animation<'a> {
    pub source: Vec<u8>,
    pub probe: &'a Probe,
    pub frames: u32,
}

/// Re-encodes an animation frame by frame, or serves `source` unchanged when it is over the
/// pixel or memory budget. `retrim` redoes the geometry around the border the first frame shows
/// (`trim=border`; `None` for other transforms).
pub fn run(
    Animation { source, probe, frames }: Animation<'_>,
    mut shape: Shape,
    retrim: &dyn Fn(&DynamicImage) -> Result<Option<Shape>>,
    limits: &Limits,
    writing: &Writing<'_>,
    clock: &dyn Fn() -> f64,
) -> Result<Output> {
    if frames > MAX_FRAMES {
        return Err(too_many_frames(frames));
    }
    // The largest frame's own rectangle, which a GIF may declare larger than its canvas.
    let canvas = probe.width as u64 * probe.height as u64;
    let largest_frame = layout(&source, probe.format)?.map_or(canvas, |l| l.largest_frame);
    let sizes = Sizes { canvas: (probe.width, probe.height), largest_frame, frames };
    let (mut estimated_peak, unchanged) = budgets(source.len(), &sizes, shape.output_size(), limits, writing);
    if let Some(why) = unchanged {
        return Ok(served_unchanged(source, probe, why));
    }

    let t0 = clock();
    let (loops, mut decoded) = decode_frames(&source, probe.format, limits.memory_budget)?;
    let first = decoded.next().ok_or_else(|| Error::Undecodable("the animation has no frame".into()))??;
    let first = (first.delay(), DynamicImage::ImageRgba8(first.into_buffer()));
    if let Some(trimmed) = retrim(&first.1)? {
        // The trimmed output may be larger than the untrimmed one was admitted as: admitted again.
        let (estimate, unchanged) = budgets(source.len(), &sizes, trimmed.output_size(), limits, writing);
        if let Some(why) = unchanged {
            drop((decoded, first));
            return Ok(served_unchanged(source, probe, why));
        }
        (shape, estimated_peak) = (trimmed, estimate);
    }
    let (width, height) = shape.output_size();
    let mut writer: Box<dyn Writer> = match writing.format {
        Format::Webp => Box::new(WebpWriter { writer: writing.webp.animation(width, height, loops, writing.quality)?, at_ms: 0 }),
        _ => Box::new(GifWriter::new(Vec::new(), width, height, gif_repeat(loops))?),
    };
    // One crop window for every frame, chosen on the first (gravity=auto), so the picture does not jump.
    let mut region = None;
    let rest = decoded.map(|frame| frame.map(|f| (f.delay(), DynamicImage::ImageRgba8(f.into_buffer()))));
    for frame in std::iter::once(Ok(first)).chain(rest) {
        let (delay, img) = frame?;
        let (ms, denominator) = delay.numer_denom_ms();
        let delay_ms = ms / denominator.max(1);
        let r = *region.get_or_insert_with(|| super::steps::region::window(&img, &shape));
        writer.push(steps::apply(&shape, Pixels { img, region: Some(r), icc: None, note: None })?.img.into_rgba8(), delay_ms)?;
    }
    let bytes = writer.finish()?;
    // Decoding, resizing and encoding interleave frame by frame: report them as one.
    let timings = Timings { decode: 0.0, resize: clock() - t0, encode: 0.0 };
    Ok(Output { bytes, format: writing.format, width, height, timings, estimated_peak, note: None, unchanged: false, mezzanine: false })
}

/// What admission counts of an animation: its canvas, its largest frame and its frames.
struct Sizes {
    canvas: (u32, u32),
    largest_frame: u64,
    frames: u32,
}

/// The estimated peak memory of re-encoding the animation to `output`, and why it must be served
/// unchanged instead, if it is over a budget.
fn budgets(source_len: usize, sizes: &Sizes, output: (u32, u32), limits: &Limits, writing: &Writing<'_>) -> (u64, Option<String>) {
    let Sizes { canvas, largest_frame, frames } = *sizes;
    // Canvas × frames (ANIM_MAX_MEGAPIXELS' meaning); a frame declared larger than the canvas is
    // decoded whole, so it counts at its own size.
    let pixels = (canvas.0 as u64 * canvas.1 as u64).max(largest_frame) * frames as u64;
    let estimated_peak = admit::estimate_animation(source_len, canvas, largest_frame, output, frames);
    let unchanged = if pixels > limits.anim_max_pixels {
        let (mp, max) = (pixels.div_ceil(1_000_000), limits.anim_max_pixels / 1_000_000);
        Some(format!("animation served unchanged: {frames} frames are {mp} MP, over the {max} MP budget"))
    } else if estimated_peak > limits.memory_budget {
        Some(format!("animation served unchanged: it needs about {} MB", estimated_peak.div_ceil(1 << 20)))
    } else if writing.format == Format::Webp && admit::webp_animation_estimate(output, frames) > limits.webp_memory_budget {
        Some("animation served unchanged: as animated WebP it needs more than the WebP encoder's budget".to_string())
    } else {
        None
    };
    (estimated_peak, unchanged)
}

/// The original's bytes as they are, typed as what they are, with the reason in a note.
fn served_unchanged(source: Vec<u8>, probe: &Probe, why: String) -> Output {
    let (width, height, format) = (probe.width, probe.height, probe.format);
    Output {
        bytes: source,
        format,
        width,
        height,
        timings: Timings::default(),
        estimated_peak: 0,
        note: Some(why),
        unchanged: true,
        mezzanine: false,
    }
}

type Frames<'a> = Box<dyn Iterator<Item = image::ImageResult<Frame>> + 'a>;

/// The source's frames, composed onto its canvas, and how many times it loops (0: forever).
fn decode_frames(source: &[u8], format: Format, max_alloc: u64) -> Result<(u32, Frames<'_>)> {
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(max_alloc);
    let loops = |count: LoopCount| match count {
        LoopCount::Infinite => 0,
        LoopCount::Finite(n) => n.get(),
    };
    Ok(match format {
        Format::Gif => {
            let mut decoder = GifDecoder::new(Cursor::new(source))?;
            decoder.set_limits(limits)?;
            (loops(decoder.loop_count()), Box::new(decoder.into_frames()))
        }
        _ => {
            let count = image_webp::WebPDecoder::new(Cursor::new(source))
                .map(|d| d.loop_count())
                .map_err(|e| Error::Undecodable(format!("WebP: {e}")))?;
            let times = match count {
                image_webp::LoopCount::Forever => 0,
                image_webp::LoopCount::Times(n) => n.get() as u32,
            };
            let mut decoder = WebPDecoder::new(Cursor::new(source))?;
            decoder.set_limits(limits)?;
            (times, Box::new(decoder.into_frames()))
        }
    })
}

fn gif_repeat(loops: u32) -> gif::Repeat {
    match loops {
        0 => gif::Repeat::Infinite,
        n => gif::Repeat::Finite(u16::try_from(n).unwrap_or(u16::MAX)),
    }
}

/// Where resized frames go, one at a time.
trait Writer {
    fn push(&mut self, frame: RgbaImage, delay_ms: u32) -> Result<()>;
    fn finish(self: Box<Self>) -> Result<Vec<u8>>;
}

struct WebpWriter {
    writer: Box<dyn AnimationWriter>,
    at_ms: u32,
}

impl Writer for WebpWriter {
    fn push(&mut self, frame: RgbaImage, delay_ms: u32) -> Result<()> {
        self.writer.add(frame.as_raw(), self.at_ms)?;
        self.at_ms = self.at_ms.saturating_add(delay_ms);
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<Vec<u8>> {
        self.writer.finish(self.at_ms)
    }
}

impl Writer for GifWriter<Vec<u8>> {
    fn push(&mut self, frame: RgbaImage, delay_ms: u32) -> Result<()> {
        GifWriter::push(self, frame, u16::try_from(delay_ms / 10).unwrap_or(u16::MAX))
    }

    fn finish(self: Box<Self>) -> Result<Vec<u8>> {
        GifWriter::finish(*self)
    }
}

/// Writes full-canvas frames as a GIF, coding each opaque frame as only what changed since the
/// one before (cropped, unchanged pixels transparent, the earlier frame kept underneath), as
/// GIF optimisers do: re-encoding whole frames made outputs several times larger than their
/// sources. A frame is held back until the next one arrives, because whether it may be kept
/// underneath depends on whether the next one is opaque.
struct GifWriter<W: std::io::Write> {
    encoder: gif::Encoder<W>,
    pending: Option<(RgbaImage, u16)>,
    /// What the screen shows after the last written frame, when that frame is kept.
    shown: Option<RgbaImage>,
}

impl<W: std::io::Write> GifWriter<W> {
    fn new(w: W, width: u32, height: u32, repeat: gif::Repeat) -> Result<Self> {
        let side = |v: u32| u16::try_from(v).map_err(|_| Error::TooLarge("a GIF side is at most 65535 pixels".into()));
        let mut encoder = gif::Encoder::new(w, side(width)?, side(height)?, &[]).map_err(encoding)?;
        encoder.set_repeat(repeat).map_err(encoding)?;
        Ok(GifWriter { encoder, pending: None, shown: None })
    }

    fn push(&mut self, frame: RgbaImage, centiseconds: u16) -> Result<()> {
        let next_opaque = opaque(&frame);
        if let Some(pending) = self.pending.take() {
            self.write(pending, next_opaque)?;
        }
        self.pending = Some((frame, centiseconds));
        Ok(())
    }

    fn finish(mut self) -> Result<W> {
        if let Some(pending) = self.pending.take() {
            self.write(pending, true)?;
        }
        self.encoder.into_inner().map_err(|e| Error::Internal(format!("GIF encoding: {e}")))
    }

    fn write(&mut self, (img, delay): (RgbaImage, u16), next_opaque: bool) -> Result<()> {
        // Transparent pixels would show what lies underneath: only opaque frames are kept or diffed.
        let is_opaque = opaque(&img);
        let (left, top, mut pixels) = match &self.shown {
            Some(previous) if is_opaque => changes(previous, &img),
            _ => (0, 0, img.clone()),
        };
        let mut frame = gif::Frame::from_rgba_speed(pixels.width() as u16, pixels.height() as u16, &mut pixels, GIF_SPEED);
        (frame.left, frame.top, frame.delay) = (left as u16, top as u16, delay);
        let keep = is_opaque && next_opaque;
        frame.dispose = if keep { gif::DisposalMethod::Keep } else { gif::DisposalMethod::Background };
        self.encoder.write_frame(&frame).map_err(encoding)?;
        self.shown = keep.then_some(img);
        Ok(())
    }
}

fn opaque(img: &RgbaImage) -> bool {
    img.pixels().all(|p| p[3] == 255)
}

/// The bounding box of the pixels that differ, with the unchanged ones inside it transparent
/// (a 1×1 transparent frame when nothing changed).
fn changes(previous: &RgbaImage, current: &RgbaImage) -> (u32, u32, RgbaImage) {
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for (x, y, p) in current.enumerate_pixels() {
        if previous.get_pixel(x, y) != p {
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
        }
    }
    if x0 == u32::MAX {
        return (0, 0, RgbaImage::new(1, 1));
    }
    let patch = RgbaImage::from_fn(x1 - x0 + 1, y1 - y0 + 1, |x, y| {
        let (p, q) = (current.get_pixel(x0 + x, y0 + y), previous.get_pixel(x0 + x, y0 + y));
        if p == q {
            Rgba([0, 0, 0, 0])
        } else {
            *p
        }
    });
    (x0, y0, patch)
}

fn encoding(e: gif::EncodingError) -> Error {
    Error::Internal(format!("GIF encoding: {e}"))
}
