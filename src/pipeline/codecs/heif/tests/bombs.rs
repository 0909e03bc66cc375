//! Bombs refused from the headers (413), before any picture is decoded or any buffer exists.

use super::build::*;
use crate::config::PipelineSettings;
use crate::pipeline;

fn refusal(bytes: &[u8]) -> (u16, String) {
    let e = pipeline::verify(bytes, &PipelineSettings::default(), &pipeline::Codecs::NATIVE).expect_err("refused");
    (e.status(), e.message())
}

/// A grid of `side`×`side` tiles of `tile` px whose image claims `size` px a side.
fn grid(side: u8, tile: u32, size: u32) -> Vec<u8> {
    let mut f = File { brands: vec![b"avif"], primary: 60_000, ..File::default() };
    let (tile_size, config) = (f.property(ispe(tile, tile)), f.property(av1c(false)));
    let whole = f.property(ispe(size, size));
    let descriptor = [&[0, 1, side - 1, side - 1][..], &size.to_be_bytes(), &size.to_be_bytes()].concat();
    f.items.push((60_000, *b"grid", vec![whole], descriptor, true));
    let tiles: Vec<u32> = (1..=side as u32 * side as u32).collect();
    for &id in &tiles {
        f.items.push((id, *b"av01", vec![tile_size, config], vec![0], false));
    }
    f.references.push((*b"dimg", 60_000, tiles));
    f.bytes()
}

#[test]
fn a_huge_picture_or_grid_is_refused_from_its_header() {
    assert_eq!(refusal(&single(100_000, 100_000, vec![]).bytes()).0, 413);
    // 30 × 30 tiles of 2048 px: a 60000² image.
    assert_eq!(refusal(&grid(30, 2048, 60_000)).0, 413);
    // 128 × 128 tiles: 16,384 decoder instances, whatever their size.
    let (status, message) = refusal(&grid(128, 16, 2048));
    assert_eq!(status, 413);
    assert!(message.contains("16384 tiles"), "{message}");
}

#[test]
fn a_small_image_of_huge_tiles_is_refused_by_the_decoder_budget() {
    // One 5000² tile shown as a 100² image: little of ours, but 25 MP in the decoder.
    let (status, message) = refusal(&grid(1, 5_000, 100));
    assert_eq!(status, 413);
    assert!(message.contains("HEIF_MEMORY_BUDGET_MB"), "{message}");
}
