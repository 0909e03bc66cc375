//! The flow, natively, over in-memory ports ([`memory`]): every guarantee about what it reads,
//! in which order and how often, and what it answers when a store or cache fails. Tokio's
//! paused clock makes store latency exact, so "one round trip" is asserted as "exactly one
//! latency of virtual time".

mod answers;
mod attacks;
mod attacks_origins;
mod binding;
mod costs;
mod datacentres;
mod faults;
mod fonts;
mod demo;
mod eager;
mod memory;
mod memory_origin;
mod mezzanines;
mod origins;
mod originals;
mod remote;
mod round_trips;
mod signed;
mod staleness;
mod uploads;
mod world;

use crate::config::Config;
use crate::fixtures;
use world::World;

/// R2 as a distant bucket would answer: every call takes this long.
const LATENCY: u64 = 20;

/// A world with `photo.jpg` (600×400), `alpha.png` (300×200 with transparency) stored.
fn world(config: Config) -> World {
    let w = World::new(LATENCY, config);
    w.put("photo.jpg", photo(), "image/jpeg");
    w.put("alpha.png", fixtures::png(&fixtures::alpha_disc(300, 200)), "image/png");
    w.clear_log();
    w
}

/// `MAX_STALE_S=0`: every request asks R2 for the original's version.
fn checking_every_time() -> Config {
    let mut config = Config::default();
    config.http.max_stale_s = 0;
    config
}

fn photo() -> Vec<u8> {
    fixtures::jpeg(&fixtures::photo(600, 400, 1), false, None)
}

/// The image's size, decoded from the bytes.
fn size(body: &[u8]) -> (u32, u32) {
    let img = image::load_from_memory(body).expect("an image");
    (img.width(), img.height())
}

/// The calls, without their times.
fn ops(calls: &[(u64, String)]) -> Vec<&str> {
    calls.iter().map(|(_, op)| op.as_str()).collect()
}

/// A `SIGNING_KEY` of the shortest length taken (32 bytes).
const KEY: &str = "a-test-signing-key-of-32-bytes!!";
