//! Cost bounds: a storm of distinct sizes of one original is refused early with 429 and
//! `Retry-After`; a gallery's first visit and repeated `srcset` traffic never are; hits,
//! persisted variants and 304s are never counted. `WIDTH_STEPS` snaps widths up, saying so.

use super::world::{request, World};
use super::{ops, size, world, LATENCY};
use crate::config::Config;
use crate::fixtures;

fn with(pairs: &'static [(&'static str, &'static str)]) -> Config {
    Config::from_lookup(|n| pairs.iter().find(|(k, _)| *k == n).map(|(_, v)| v.to_string())).unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_storm_of_sizes_is_refused_early_and_what_was_made_is_still_served() {
    let w = world(with(&[("RENDER_BUDGET", "8"), ("RENDER_WINDOW_S", "60")]));
    let mut statuses = Vec::new();
    for width in 1..=30 {
        let (res, _) = w.get(&format!("/photo.jpg?w={width}")).await;
        statuses.push(res.status);
        if res.status == 429 {
            let wait: u32 = res.header("retry-after").unwrap().parse().unwrap();
            assert!((1..=60).contains(&wait), "{wait}");
            assert!(String::from_utf8_lossy(&res.body).contains("RENDER_BUDGET"));
        }
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 8);
    assert!(statuses[8..].iter().all(|s| *s == 429), "{statuses:?}");
    let reads = ops(&w.calls()).iter().filter(|op| op.starts_with("read photo.jpg")).count();
    assert_eq!(reads, 8, "a refused render reads nothing");

    // What was made is still served: a hit, a persisted variant, a 304.
    let (hit, _) = w.get("/photo.jpg?w=3").await;
    assert_eq!((hit.status, hit.header("x-cache")), (200, Some("HIT")));
    w.cache.evict();
    let (variant, _) = w.get("/photo.jpg?w=3").await;
    assert_eq!((variant.status, variant.header("x-cache")), (200, Some("VARIANT")));
    let mut current = request("/photo.jpg?w=3");
    current.if_none_match = variant.header("etag").map(String::from);
    assert_eq!(w.send(current).await.0.status, 304);
    // Another original has its own budget; the window ends and the storm may go on, bounded.
    assert_eq!(w.get("/alpha.png?w=9").await.0.status, 200);
    tokio::time::sleep(std::time::Duration::from_secs(61)).await;
    assert_eq!(w.get("/photo.jpg?w=29").await.0.status, 200);
}

/// The defaults: a hundred originals with a five-width `srcset` each, all misses, then the same
/// traffic again and in WebP: no 429.
#[tokio::test(start_paused = true)]
async fn a_gallery_first_visit_and_repeated_srcsets_never_meet_the_default_bound() {
    let w = World::new(LATENCY, Config::default());
    for i in 0..100 {
        w.put(&format!("g/{i}.jpg"), fixtures::jpeg(&fixtures::photo(96, 64, i), false, None), "image/jpeg");
    }
    for round in 0..3 {
        for i in 0..100 {
            for width in [16, 24, 32, 48, 64] {
                let format = if round == 2 { "&format=webp" } else { "" };
                let (res, _) = w.get(&format!("/g/{i}.jpg?w={width}{format}")).await;
                assert_eq!(res.status, 200, "round {round}, g/{i}.jpg at {width}");
            }
        }
        w.cache.evict();
    }
}

#[tokio::test(start_paused = true)]
async fn width_steps_snap_widths_up_and_say_so() {
    let w = world(with(&[("WIDTH_STEPS", "640, 320,480")]));
    for (asked, served, header) in [(300, 320, Some("320")), (320, 320, Some("320")), (400, 480, Some("480")), (900, 640, Some("640"))] {
        let (res, _) = w.get(&format!("/photo.jpg?w={asked}&fit=contain")).await;
        assert_eq!((res.status, size(&res.body).0, res.header("x-resize-width")), (200, served, header), "w={asked}");
    }
    // One persisted variant per step, whatever was asked.
    let puts = ops(&w.calls()).iter().filter(|op| op.starts_with("put _variants/photo.jpg/")).count();
    assert_eq!(puts, 3);
    // A width with a height (a box) is left as asked.
    let (boxed, _) = w.get("/photo.jpg?w=300&h=100&fit=cover").await;
    assert_eq!(size(&boxed.body), (300, 100));
    assert!(Config::from_lookup(|n| (n == "WIDTH_STEPS").then(|| "640,wide".into())).is_err());
}
