use super::container::Heif;
use super::*;
use crate::pipeline::codecs::port::{Cicp, Codecs, Layout, Picture, PictureDecoder, StoredRows};
use ::image::metadata::Orientation;
use ::image::{DynamicImage, GenericImageView};

mod bombs;
mod build;
use build::*;

#[test]
fn irot_and_imir_become_the_orientation_browsers_show() {
    // Firefox's reference renderings (image/test/reftest/avif): irot, imir → the EXIF orientation.
    let cases = [
        (None, None, Orientation::NoTransforms),
        (None, Some(1), Orientation::FlipHorizontal),
        (None, Some(0), Orientation::FlipVertical),
        (Some(1), None, Orientation::Rotate270),
        (Some(2), None, Orientation::Rotate180),
        (Some(3), None, Orientation::Rotate90),
        (Some(1), Some(1), Orientation::Rotate270FlipH),
        (Some(1), Some(0), Orientation::Rotate90FlipH),
        (Some(2), Some(1), Orientation::FlipVertical),
        (Some(2), Some(0), Orientation::FlipHorizontal),
        (Some(3), Some(1), Orientation::Rotate90FlipH),
        (Some(3), Some(0), Orientation::Rotate270FlipH),
    ];
    for (irot, imir, want) in cases {
        let mut extra = vec![bmff(b"colr", b"nclx\0\x09\0\x10\0\x09\x80")];
        extra.extend(irot.map(|a| bmff(b"irot", &[a])));
        extra.extend(imir.map(|m| bmff(b"imir", &[m])));
        let mut file = single(64, 48, extra);
        // Another item's half turn is not the primary's.
        let half = file.property(bmff(b"irot", &[2]));
        file.items.push((2, *b"av01", vec![half], vec![4], false));
        let p = super::probe(&file.bytes()).unwrap();
        assert_eq!((p.width, p.height, p.orientation), (64, 48, want), "irot {irot:?} imir {imir:?}");
        let bytes = file.bytes();
        let heif = Heif::parse(&bytes).unwrap();
        assert_eq!(props::Display::of(&heif, 1).nclx, Some(Cicp { primaries: 9, transfer: 16, matrix: 9, full_range: true }));
    }
}

#[test]
fn brands_and_damaged_headers() {
    let file = single(64, 48, vec![]).bytes();
    use super::container::format_of;
    assert_eq!(format_of(&file), Some(Format::Avif));
    assert_eq!(format_of(&bmff(b"ftyp", b"heic\0\0\0\0mif1heic")), Some(Format::Heic));
    assert_eq!(format_of(&bmff(b"ftyp", b"isom\0\0\0\0mp42")), None);
    assert_eq!(format_of(b"\0\0\0\x08ftyp"), None);
    assert_eq!(crate::pipeline::codecs::sniff(&file).unwrap(), Format::Avif);
    // Cut anywhere: a 4xx from the header, never a panic.
    for cut in 0..file.len() {
        if let Err(e) = super::probe(&file[..cut]) {
            assert!((400..500).contains(&e.status()), "cut at {cut}: {e:?}");
        }
    }
    // Every byte of the header set to each of a few values: no panic.
    for at in 0..file.len() - 3 {
        for v in [0, 1, 0x7f, 0xff] {
            let mut damaged = file.clone();
            damaged[at] = v;
            let _ = super::probe(&damaged);
        }
    }
}

/// Planes of `w`×`h` at `bits` filled by `f(plane, x, y)`.
fn picture(w: u32, h: u32, bits: u8, layout: Layout, cicp: Cicp, f: impl Fn(usize, u32, u32) -> u16) -> Picture {
    let bytes = if bits > 8 { 2 } else { 1 };
    let (cw, ch) = layout.chroma_size(w, h);
    let size = [(w, h), (cw, ch), (cw, ch)];
    let stride = |i: usize| size[i].0 as usize * bytes + 3; // padded, as dav1d's are
    let planes = [0, 1, 2].map(|i| {
        let mut v = vec![0u8; stride(i) * size[i].1 as usize];
        for y in 0..size[i].1 {
            for x in 0..size[i].0 {
                let at = y as usize * stride(i) + x as usize * bytes;
                let s = f(i, x, y);
                if bytes == 2 {
                    v[at..at + 2].copy_from_slice(&s.to_le_bytes());
                } else {
                    v[at] = s as u8;
                }
            }
        }
        v
    });
    let strides = [stride(0), stride(1), stride(2)];
    Picture { width: w, height: h, bit_depth: bits, layout, cicp, rows: Box::new(StoredRows { planes, strides }) }
}

const BT601_FULL: Cicp = Cicp { primaries: 1, transfer: 13, matrix: 6, full_range: true };

/// Y'CbCr of an sRGB colour by BT.601 (full range, 0..=1 and -0.5..=0.5).
fn ycbcr((r, g, b): (f32, f32, f32)) -> (f32, f32, f32) {
    let y = 0.299 * r + 0.587 * g + 0.114 * b;
    (y, (b - y) / 1.772, (r - y) / 1.402)
}

fn rgb_of(img: &DynamicImage, x: u32, y: u32) -> [u8; 4] {
    img.to_rgba8().get_pixel(x, y).0
}

#[test]
fn planes_become_the_colour_they_code_at_any_depth_and_range() {
    let colour = (200.0 / 255.0, 30.0 / 255.0, 90.0 / 255.0);
    let (y, cb, cr) = ycbcr(colour);
    for (bits, full_range) in [(8, true), (8, false), (10, true), (10, false), (12, false)] {
        let max = ((1u32 << bits) - 1) as f32;
        let step = (1u32 << (bits - 8)) as f32;
        let code = |plane: usize| -> u16 {
            let v = [y, cb, cr][plane];
            let s = match (plane, full_range) {
                (0, true) => v * max,
                (_, true) => v * max + (1u32 << (bits - 1)) as f32,
                (0, false) => (16.0 + 219.0 * v) * step,
                (_, false) => (128.0 + 224.0 * v) * step,
            };
            s.round() as u16
        };
        let cicp = Cicp { full_range, ..BT601_FULL };
        let p = picture(6, 4, bits, Layout::Yuv420, cicp, |plane, _, _| code(plane));
        let img = yuv::to_image(&p, cicp, None).unwrap();
        let px = rgb_of(&img, 3, 2);
        for (got, want) in px.iter().zip([200, 30, 90]) {
            assert!((*got as i32 - want).abs() <= 1, "{bits} bits, full {full_range}: {px:?}");
        }
    }
}

#[test]
fn chroma_is_upsampled_between_its_samples() {
    // 4:2:0, 8×2: the left four columns' chroma says red, the right four's blue.
    let (_, cb_red, cr_red) = ycbcr((1.0, 0.0, 0.0));
    let (_, cb_blue, cr_blue) = ycbcr((0.0, 0.0, 1.0));
    let code = |v: f32| (v * 255.0 + 128.0).round().min(255.0) as u16;
    let p = picture(8, 2, 8, Layout::Yuv420, BT601_FULL, |plane, x, _| match (plane, x < 2) {
        (0, _) => 100,
        (1, true) => code(cb_red),
        (1, false) => code(cb_blue),
        (_, true) => code(cr_red),
        (_, false) => code(cr_blue),
    });
    let img = yuv::to_image(&p, BT601_FULL, None).unwrap();
    let reds: Vec<u8> = (0..8).map(|x| rgb_of(&img, x, 0)[0]).collect();
    // Chroma samples sit between luma pairs: flat up to x = 2 and from x = 5, a ramp between
    // (nearest would jump from x = 3 to 4).
    assert_eq!(reds[0], reds[2], "{reds:?}");
    assert_eq!(reds[5], reds[7], "{reds:?}");
    assert!(reds[2] > reds[3] && reds[3] > reds[4] && reds[4] > reds[5], "{reds:?}");
}

#[test]
fn grey_alpha_premultiplied_and_identity_pictures() {
    let grey = picture(4, 4, 8, Layout::Grey, BT601_FULL, |_, x, _| 60 * x as u16);
    let img = yuv::to_image(&grey, BT601_FULL, None).unwrap();
    assert!(matches!(img, DynamicImage::ImageLuma8(_)));
    assert_eq!(rgb_of(&img, 3, 0), [180, 180, 180, 255]);

    // Premultiplied: colour 50 under alpha 100 is 127 once divided; straight alpha keeps 50.
    let colour = picture(2, 2, 8, Layout::Grey, BT601_FULL, |_, _, _| 50);
    let alpha = picture(2, 2, 8, Layout::Grey, BT601_FULL, |_, _, _| 100);
    let prem = yuv::to_image(&colour, BT601_FULL, Some((&alpha, true))).unwrap();
    assert_eq!(rgb_of(&prem, 0, 0), [128, 128, 128, 100]);
    let straight = yuv::to_image(&colour, BT601_FULL, Some((&alpha, false))).unwrap();
    assert_eq!(rgb_of(&straight, 0, 0), [50, 50, 50, 100]);
    let small = picture(1, 2, 8, Layout::Grey, BT601_FULL, |_, _, _| 100);
    assert_eq!(yuv::to_image(&colour, BT601_FULL, Some((&small, false))).unwrap_err().status(), 422);

    // Identity (lossless RGB): Y is G, U is B, V is R.
    let gbr = Cicp { matrix: 0, ..BT601_FULL };
    let p = picture(2, 2, 8, Layout::Yuv444, gbr, |plane, _, _| [30, 90, 200][plane]);
    assert_eq!(rgb_of(&yuv::to_image(&p, gbr, None).unwrap(), 1, 1), [200, 30, 90, 255]);
}

thread_local! {
    /// What the test decoder hands out next, call by call: (width, height, layout, luma).
    static PICTURES: std::cell::RefCell<std::collections::VecDeque<(u32, u32, Layout, u16)>> = Default::default();
}

/// Decodes nothing: hands out the flat pictures the test queued, so that the container path
/// (items, grids, alpha) can be tested without dav1d.
struct QueuedDecoder;

impl PictureDecoder for QueuedDecoder {
    fn decode(&self, _obus: &[u8], max_pixels: u64) -> crate::error::Result<Picture> {
        let (w, h, layout, luma) = PICTURES.with(|q| q.borrow_mut().pop_front()).expect("a queued picture");
        assert!(w as u64 * h as u64 <= max_pixels);
        let cicp = Cicp { primaries: 2, transfer: 2, matrix: 2, full_range: true };
        Ok(picture(w, h, 8, layout, cicp, move |plane, _, _| if plane == 0 { luma } else { 128 }))
    }
}

static QUEUED: QueuedDecoder = QueuedDecoder;
/// The port with the test decoder as AV1's.
const QUEUED_CODECS: Codecs<'static> = Codecs { av1: Some(&QUEUED), ..Codecs::NATIVE };

fn queue(pictures: &[(u32, u32, Layout, u16)]) {
    PICTURES.with(|q| q.borrow_mut().extend(pictures.iter().copied()));
}

#[test]
fn an_image_and_its_alpha_item_are_decoded_through_the_port() {
    let mut file = single(40, 24, vec![]);
    let (size, grey, alpha_urn) = (
        file.property(ispe(40, 24)),
        file.property(av1c(true)),
        file.property(full(b"auxC", 0, 0, b"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha\0")),
    );
    file.items.push((2, *b"av01", vec![size, grey, alpha_urn], vec![9], false));
    file.references.push((*b"auxl", 2, vec![1]));
    let bytes = file.bytes();
    let p = super::probe(&bytes).unwrap();
    assert_eq!((p.format, p.width, p.height, p.channels), (Format::Avif, 40, 24, 4));
    // Two pictures in dav1d at once (colour, then alpha), each over its 2 MB floor.
    assert!(p.decoder_bytes > 4 << 20, "{}", p.decoder_bytes);
    queue(&[(40, 24, Layout::Yuv420, 100), (40, 24, Layout::Grey, 200)]);
    let decoded = super::decode(&bytes, &p, &QUEUED_CODECS).unwrap();
    assert_eq!(decoded.image.dimensions(), (40, 24));
    assert_eq!(rgb_of(&decoded.image, 5, 5), [100, 100, 100, 200]);
    assert!(decoded.icc.is_none(), "unspecified colour is sRGB");
    // A picture that is not the size its item says is a 422.
    queue(&[(40, 23, Layout::Yuv420, 100)]);
    assert_eq!(super::decode(&bytes, &p, &QUEUED_CODECS).err().map(|e| e.status()), Some(422));
    PICTURES.with(|q| q.borrow_mut().clear());
}

#[test]
fn a_grid_is_decoded_tile_by_tile_into_place_and_cropped_to_its_size() {
    // 2×2 tiles of 16×8 make a 30×14 image (the right column and bottom row overhang).
    let mut f = File { brands: vec![b"avif"], primary: 10, ..File::default() };
    let (tile, config) = (f.property(ispe(16, 8)), f.property(av1c(false)));
    let whole = f.property(ispe(30, 14));
    f.items.push((10, *b"grid", vec![whole], vec![0, 0, 1, 1, 0, 30, 0, 14], true));
    for id in 1..=4 {
        f.items.push((id, *b"av01", vec![tile, config], vec![id as u8; 5], false));
    }
    f.references.push((*b"dimg", 10, vec![1, 2, 3, 4]));
    let bytes = f.bytes();
    let p = super::probe(&bytes).unwrap();
    assert_eq!((p.width, p.height, p.channels), (30, 14, 3));
    queue(&[(16, 8, Layout::Yuv420, 10), (16, 8, Layout::Yuv420, 20), (16, 8, Layout::Yuv420, 30), (16, 8, Layout::Yuv420, 40)]);
    let img = super::decode(&bytes, &p, &QUEUED_CODECS).unwrap().image;
    assert_eq!(img.dimensions(), (30, 14));
    let luma = |x, y| rgb_of(&img, x, y)[0];
    assert_eq!(
        [luma(0, 0), luma(15, 7), luma(16, 0), luma(29, 7), luma(0, 8), luma(15, 13), luma(16, 8), luma(29, 13)],
        [10, 10, 20, 20, 30, 30, 40, 40]
    );

    // Tiles that do not cover the size, or too few of them: 422 from the header.
    let mut short = f;
    short.items[0].3 = vec![0, 0, 1, 1, 0, 40, 0, 14];
    assert_eq!(super::probe(&short.bytes()).unwrap_err().status(), 422);
    short.items[0].3 = vec![0, 0, 1, 2, 0, 30, 0, 14];
    assert_eq!(super::probe(&short.bytes()).unwrap_err().status(), 422);
}

#[test]
fn non_srgb_code_points_become_a_profile_for_the_colour_step() {
    assert!(icc_for(Cicp { primaries: 1, transfer: 13, matrix: 6, full_range: true }).is_none());
    assert!(icc_for(Cicp { primaries: 2, transfer: 2, matrix: 2, full_range: false }).is_none());
    // Display P3 with the sRGB curve: its colours are more saturated than sRGB's same numbers.
    let p3 = icc_for(Cicp { primaries: 12, transfer: 13, matrix: 6, full_range: true }).expect("a P3 profile");
    let img = DynamicImage::ImageRgb8(::image::RgbImage::from_pixel(1, 1, ::image::Rgb([128, 160, 128])));
    let srgb = crate::pipeline::steps::colour::to_srgb(img.clone(), &p3);
    assert_ne!(srgb.to_rgb8().get_pixel(0, 0).0, [128, 160, 128]);
}

#[test]
fn a_clean_aperture_crops_the_image_across_its_tiles() {
    // A 2×2 grid of 32×24 tiles (64×48), `clap` keeping 30×20 centred 5 px right of and 3 px
    // above the middle: from (22, 11), as libheif reads it.
    let mut f = File { brands: vec![b"heic"], primary: 10, ..File::default() };
    let (tile, config) = (f.property(ispe(32, 24)), f.property(av1c(false)));
    let fraction = |n: i32, d: u32| [(n as u32).to_be_bytes(), d.to_be_bytes()].concat();
    let clap = bmff(b"clap", &[fraction(30, 1), fraction(20, 1), fraction(10, 2), fraction(-3, 1)].concat());
    let (whole, crop) = (f.property(ispe(64, 48)), f.property(clap));
    f.items.push((10, *b"grid", vec![whole, crop], vec![0, 0, 1, 1, 0, 64, 0, 48], true));
    for id in 1..=4 {
        f.items.push((id, *b"av01", vec![tile, config], vec![id as u8; 5], false));
    }
    f.references.push((*b"dimg", 10, vec![1, 2, 3, 4]));
    let bytes = f.bytes();
    let p = super::probe(&bytes).unwrap();
    assert_eq!((p.width, p.height), (30, 20));
    queue(&[(32, 24, Layout::Yuv444, 10), (32, 24, Layout::Yuv444, 20), (32, 24, Layout::Yuv444, 30), (32, 24, Layout::Yuv444, 40)]);
    let img = super::decode(&bytes, &p, &QUEUED_CODECS).unwrap().image;
    let luma = |x, y| rgb_of(&img, x, y)[0];
    // Tile edges at x = 32 - 22 = 10 and y = 24 - 11 = 13 of the crop.
    assert_eq!(
        [luma(0, 0), luma(9, 12), luma(10, 0), luma(29, 12), luma(0, 13), luma(9, 19), luma(10, 13), luma(29, 19)],
        [10, 10, 20, 20, 30, 30, 40, 40]
    );
    // A clean aperture reaching outside the image is ignored: the whole image is shown.
    let mut outside = f;
    outside.properties[3] = bmff(b"clap", &[fraction(60, 1), fraction(20, 1), fraction(10, 1), fraction(0, 1)].concat());
    let p = super::probe(&outside.bytes()).unwrap();
    assert_eq!((p.width, p.height), (64, 48));
}

/// An AVIF with a `tmap` item (id 3, data in `idat`) over the primary (1) and a map item (2).
fn with_gain_map(brand: bool, version: u8, record: Vec<u8>, dimg: Vec<u32>) -> Vec<u8> {
    let mut f = single(400, 300, Vec::new());
    if brand {
        f.brands.push(b"tmap");
    }
    let props = vec![f.property(ispe(200, 150)), f.property(av1c(false))];
    f.items.push((2, *b"av01", props, vec![4, 5, 6], false));
    let props = vec![f.property(ispe(400, 300))];
    f.items.push((3, *b"tmap", props, [vec![version], record].concat(), true));
    f.references.push((*b"dimg", 3, dimg));
    f.bytes()
}

#[test]
fn a_tmap_gain_map_is_found_only_as_libavif_would_read_it() {
    use crate::pipeline::codecs::gainmap::{iso, Values};
    let values = Values::grey(0.0, 1.5);
    let record = || iso::for_gain_map(&values)[iso::SIGNATURE.len()..].to_vec();
    let found = gain_map::find(&with_gain_map(true, 0, record(), vec![1, 2]));
    assert_eq!(found.map(|(item, v)| (item, v.max[0])), Some((2, 1.5)));
    assert!(gain_map::find(&with_gain_map(false, 0, record(), vec![1, 2])).is_none(), "no tmap brand");
    assert!(gain_map::find(&with_gain_map(true, 1, record(), vec![1, 2])).is_none(), "an unknown version");
    assert!(gain_map::find(&with_gain_map(true, 0, record(), vec![2, 1])).is_none(), "the base is not the primary");
    assert!(gain_map::find(&with_gain_map(true, 0, record()[..20].to_vec(), vec![1, 2])).is_none(), "a record cut short");
    // A record with trailing bytes reads (as libavif's does) up to 1 KB of payload, not past it.
    let padded = |len: usize| [record(), vec![0; len - 1 - record().len()]].concat();
    assert!(gain_map::find(&with_gain_map(true, 0, padded(1024), vec![1, 2])).is_some(), "1 KB");
    assert!(gain_map::find(&with_gain_map(true, 0, padded(1025), vec![1, 2])).is_none(), "a byte past 1 KB");
    let hdr_base = Values { base_is_hdr: true, ..values.clone() };
    let record = iso::for_gain_map(&hdr_base)[iso::SIGNATURE.len()..].to_vec();
    assert!(gain_map::find(&with_gain_map(true, 0, record, vec![1, 2])).is_none(), "an HDR base");
    // A tmap located as 5,000 extents each running to the end of the file: nothing is joined
    // (5,000 times the file), the map is not found, and the item's data is refused.
    let mut bomb = single(400, 300, Vec::new());
    bomb.brands.push(b"tmap");
    bomb.items.push((3, *b"tmap", Vec::new(), vec![0; 64], false));
    bomb.references.push((*b"dimg", 3, vec![1, 1]));
    bomb.to_the_end.push((3, 5000));
    let bytes = bomb.bytes();
    assert!(gain_map::find(&bytes).is_none());
    let heif = Heif::parse(&bytes).unwrap();
    assert!(heif.data_len(3).unwrap() > bytes.len() as u64);
    assert!(heif.data(3).is_err(), "refused, not allocated");
    // The map item reads as an image of its own.
    let file = with_gain_map(true, 0, iso::for_gain_map(&values)[iso::SIGNATURE.len()..].to_vec(), vec![1, 2]);
    assert_eq!(structure::read_item(&file, Some(2)).unwrap().shown(), (200, 150));
}
