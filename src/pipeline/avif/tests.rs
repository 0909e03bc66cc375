use super::port::{install, Av1Decoder, Cicp, Layout, Picture, StoredRows};
use super::*;
use image::metadata::Orientation;
use image::{DynamicImage, GenericImageView};

fn bmff(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    b.extend_from_slice(kind);
    b.extend_from_slice(body);
    b
}

fn full(kind: &[u8; 4], version: u8, flags: u8, body: &[u8]) -> Vec<u8> {
    bmff(kind, &[&[version, 0, 0, flags][..], body].concat())
}

/// A file's header with the primary item 1 associated with properties 1 (`irot`), 2 (`imir`)
/// when given, and 3 (an nclx `colr`); item 2 with property 4, an `irot` of half a turn.
fn header(irot: Option<u8>, imir: Option<u8>) -> Vec<u8> {
    let mut ipco = Vec::new();
    let mut primary = Vec::new();
    if let Some(angle) = irot {
        ipco.extend(bmff(b"irot", &[angle]));
    } else {
        ipco.extend(bmff(b"free", &[]));
    }
    primary.push(1u8);
    if let Some(mode) = imir {
        ipco.extend(bmff(b"imir", &[mode]));
        primary.push(2);
    } else {
        ipco.extend(bmff(b"free", &[]));
    }
    ipco.extend(bmff(b"colr", b"nclx\0\x09\0\x10\0\x09\x80"));
    primary.push(0x80 | 3); // essential
    ipco.extend(bmff(b"irot", &[2]));
    let mut entries = vec![0, 0, 0, 2];
    entries.extend([0, 1, primary.len() as u8]);
    entries.extend(&primary);
    entries.extend([0, 2, 1, 4]);
    let iprp = bmff(b"iprp", &[bmff(b"ipco", &ipco), full(b"ipma", 0, 0, &entries)].concat());
    let meta = full(b"meta", 0, 0, &[full(b"pitm", 0, 0, &[0, 1]), iprp].concat());
    [bmff(b"ftyp", b"avif\0\0\0\0mif1avif"), meta].concat()
}

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
        let display = props::read(&header(irot, imir));
        assert_eq!(display.orientation(), want, "irot {irot:?} imir {imir:?}");
        assert_eq!(display.nclx, Some(Cicp { primaries: 9, transfer: 16, matrix: 9, full_range: true }));
    }
    // Item 2's half turn is not the primary item's.
    assert_eq!(props::read(&header(None, None)).rotation, 0);
}

#[test]
fn brands_and_damaged_headers() {
    assert!(is_avif(&header(None, None)));
    assert!(!is_avif(&bmff(b"ftyp", b"heic\0\0\0\0mif1heic")));
    assert!(!is_avif(b"\0\0\0\x08ftyp"));
    // Cut anywhere: no panic, and whatever is read is absent rather than wrong.
    let full = header(Some(1), Some(1));
    for cut in 0..full.len() {
        let d = props::read(&full[..cut]);
        assert!(d.rotation == 0 || d.rotation == 1);
    }
    assert_eq!(probe::sniff(&header(None, None)).unwrap(), Format::Avif);
    assert_eq!(super::probe(&header(None, None)).unwrap_err().status(), 422, "no items: not an image");
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

/// Decodes nothing: a mid-grey picture of the size the sequence header says, with dav1d's
/// default colour signalling, so that the container path can be tested without dav1d.
struct FlatDecoder;

impl Av1Decoder for FlatDecoder {
    fn decode(&self, obus: &[u8], max_pixels: u64) -> crate::error::Result<Picture> {
        let meta = AV1Metadata::parse_av1_bitstream(obus).unwrap();
        let (w, h) = (meta.max_frame_width.get(), meta.max_frame_height.get());
        assert!(w as u64 * h as u64 <= max_pixels);
        let layout = if meta.monochrome { Layout::Grey } else { Layout::Yuv420 };
        let cicp = Cicp { primaries: 2, transfer: 2, matrix: 2, full_range: true };
        Ok(picture(w, h, meta.bit_depth, layout, cicp, |plane, _, _| if plane == 0 { 100 } else { 128 }))
    }
}

static FLAT: FlatDecoder = FlatDecoder;

#[test]
fn an_avif_is_probed_from_its_headers_and_decoded_through_the_port() {
    use image::codecs::avif::AvifEncoder;
    use image::ImageEncoder;
    let mut avif = Vec::new();
    let rgba = vec![200u8; 40 * 24 * 4];
    AvifEncoder::new_with_speed_quality(&mut avif, 10, 60).write_image(&rgba, 40, 24, image::ExtendedColorType::Rgba8).unwrap();
    let p = super::probe(&avif).unwrap();
    assert_eq!((p.format, p.width, p.height, p.channels), (Format::Avif, 40, 24, 4));
    // Two pictures in dav1d at once (colour, then alpha), each over its 2 MB floor.
    assert!(p.decoder_bytes > 4 << 20, "{}", p.decoder_bytes);

    install(&FLAT);
    let decoded = super::decode(&avif, &p).unwrap();
    assert_eq!(decoded.image.dimensions(), (40, 24));
    assert_eq!(rgb_of(&decoded.image, 5, 5), [100, 100, 100, 100]);
    assert!(decoded.icc.is_none(), "unspecified colour is sRGB");
    // Cut short: a clear 4xx, never a panic.
    for cut in [10, 40, avif.len() / 2, avif.len() - 1] {
        let status = super::probe(&avif[..cut]).and_then(|p| super::decode(&avif[..cut], &p)).map(|_| 200).unwrap_or_else(|e| e.status());
        assert!(status == 200 || (400..500).contains(&status), "cut at {cut}: {status}");
    }
}

#[test]
fn non_srgb_code_points_become_a_profile_for_the_colour_step() {
    assert!(icc_for(Cicp { primaries: 1, transfer: 13, matrix: 6, full_range: true }).is_none());
    assert!(icc_for(Cicp { primaries: 2, transfer: 2, matrix: 2, full_range: false }).is_none());
    // Display P3 with the sRGB curve: its colours are more saturated than sRGB's same numbers.
    let p3 = icc_for(Cicp { primaries: 12, transfer: 13, matrix: 6, full_range: true }).expect("a P3 profile");
    let img = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(1, 1, image::Rgb([128, 160, 128])));
    let srgb = crate::pipeline::colour::to_srgb(img.clone(), &p3);
    assert_ne!(srgb.to_rgb8().get_pixel(0, 0).0, [128, 160, 128]);
}
