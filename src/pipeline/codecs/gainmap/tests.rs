use super::*;
use jpeg_encoder::{ColorType, Encoder};

fn jpeg(w: u16, h: u16, grey: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let (kind, bytes) = if grey { (ColorType::Luma, 1) } else { (ColorType::Rgb, 3) };
    let pixels: Vec<u8> = (0..w as usize * h as usize * bytes).map(|i| (i * 7 % 251) as u8).collect();
    Encoder::new(&mut out, 90).encode(&pixels, w, h, kind).unwrap();
    out
}

fn values() -> Values {
    Values::grey(0.0, 2.5)
}

/// An Ultra HDR file written from a map that carried only `kept`.
fn ultra_hdr(kept: Vec<(u8, Vec<u8>)>, primary_iso: Option<Vec<u8>>) -> Vec<u8> {
    let original = GainMap { kept, primary_iso, ..GainMap::from_values(values()) };
    write(&jpeg(64, 48, false), &jpeg(16, 12, true), &original)
}

#[test]
fn a_written_file_reads_back_with_both_forms_and_the_maps_own_segments() {
    let icc = b"ICC_PROFILE\0\x01\x01profile".to_vec();
    let file = ultra_hdr(vec![(0xE2, icc.clone())], None);
    assert!(declared(&file));
    let read = read(&file).expect("a gain map");
    assert_eq!(read.values, values());
    assert_eq!(read.primary_iso, Some(iso::versions()));
    let described: Vec<&[u8]> = read.kept.iter().map(|(_, p)| p.as_slice()).collect();
    assert_eq!(described, vec![xmp::for_gain_map(&values()).as_slice(), &iso::for_gain_map(&values()), &icc]);
    // The map is the whole tail of the file, and still a 16×12 grey JPEG.
    assert!(file.ends_with(&read.image));
    let probe = crate::pipeline::codecs::jpeg::probe(&read.image).unwrap();
    assert_eq!((probe.width, probe.height, probe.channels), (16, 12, 1));
    // The primary is a JPEG of its own: the MPF index's first entry is its length.
    let primary = &file[..file.len() - read.image.len()];
    assert!(primary.ends_with(&[0xFF, 0xD9]));
    assert_eq!(crate::pipeline::codecs::jpeg::probe(primary).unwrap().width, 64);
}

#[test]
fn segments_the_map_had_are_kept_byte_for_byte() {
    // An ISO record with odd fractions, as another writer makes it: kept as it was, not rewritten.
    let mut odd = iso::for_gain_map(&Values { max: [2.5; 3], ..values() });
    let at = odd.len() - 4;
    odd[at..].copy_from_slice(&7u32.to_be_bytes()); // the last denominator: 1/64 becomes 10⁶/64/7
    let primary_iso = [iso::SIGNATURE, &[0, 0, 0, 9]].concat();
    let file = ultra_hdr(vec![(0xE2, odd.clone())], Some(primary_iso.clone()));
    let read = read(&file).unwrap();
    assert_eq!(read.kept[1].1, odd);
    assert_eq!(read.primary_iso, Some(primary_iso));
    assert!((read.values.offset_hdr[0] - 15625.0 / 7.0).abs() < 1e-9, "ISO's values are the ones read");
}

#[test]
fn without_an_mpf_index_the_directory_length_finds_the_map() {
    let file = ultra_hdr(Vec::new(), None);
    let head = segments::header(&file);
    let index = segments::app(&head, 2, mpf::SIGNATURE).unwrap();
    let at = index.as_ptr() as usize - file.as_ptr() as usize;
    let mut broken = file.clone();
    broken[at..at + 4].copy_from_slice(b"XXX\0"); // no longer an MPF index
    assert_eq!(read(&broken).unwrap().image, read(&file).unwrap().image);
}

#[test]
fn other_files_have_no_gain_map() {
    let plain = jpeg(32, 32, false);
    assert!(!declared(&plain) && read(&plain).is_none());
    // A camera's MPO: two images and an index, no gain map metadata.
    let second = jpeg(8, 8, false);
    let at = segments::insertion_point(&plain) + 4;
    let index = mpf::payload(at, (plain.len() + segments::size(&mpf::payload(0, 0, &[0]))) as u32, &[second.len() as u32]);
    let mut mpo = segments::inserted(&plain, &[(0xE2, &index)]);
    mpo.extend_from_slice(&second);
    assert!(read(&mpo).is_none());
    // A gain map file cut short loses its map, not its base.
    let file = ultra_hdr(Vec::new(), None);
    assert!(read(&file[..file.len() - 10]).is_none());
    assert!(declared(&file[..file.len() - 10]));
}

#[test]
fn neutral_is_the_map_value_of_no_boost() {
    assert_eq!(values().neutral(), 0);
    let below = Values { min: [-1.0; 3], max: [3.0; 3], ..values() };
    assert_eq!(below.neutral(), 64); // a quarter of the way from -1 to 3
    let curved = Values { gamma: [2.0; 3], ..below };
    assert_eq!(curved.neutral(), 16);
}

/// The corpus's Ultra HDR photo (hdrgm XMP only), when `../shared` is there.
#[test]
fn the_corpus_ultra_hdr_photo_reads() {
    let Ok(file) = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus/photos/gain-map.jpg")) else { return };
    let map = read(&file).expect("its gain map");
    assert_eq!(map.image.len(), 31738, "the directory's Item:Length");
    assert!((map.values.max[0] - 6.64386).abs() < 1e-9 && map.values.capacity_max > 6.0 && map.values.channels == 1);
    assert_eq!(map.primary_iso, None);
    assert_eq!(map.kept.len(), 1, "its hdrgm XMP");
}
