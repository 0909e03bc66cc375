//! Cost bounds: what stops a client from making us decode one original thousands of times
//! (`?w=1`, `?w=2`, …). Each isolate counts the **distinct transforms it renders of one original**
//! in a window (`RENDER_BUDGET` per `RENDER_WINDOW_S`, on by default); past the budget a render
//! is refused at once with 429 and `Retry-After` (the rest of the window). Only renders count:
//! cache hits, persisted variants and 304s cost no decode and are never refused, and rendering the
//! same transform again (an evicted cache) does not count twice. A page's `srcset` (a handful of
//! widths × the negotiated formats) stays far below the default budget.
//!
//! A remote original (an absolute-URL key) is counted by its origin and path: a query string
//! makes a new URL but rarely a new picture, so `x.jpg?n=1`, `?n=2`, … are renders of one
//! original. Its download is the cost, so it is counted before the download
//! ([`remote_original`]), not after.

use crate::config::CostSettings;
use crate::error::{Error, Result};
use crate::flow::bounded::{Bounded, Rank};
use std::cell::RefCell;
use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

/// This isolate's renders per original, in the current window.
pub struct Renders(RefCell<Bounded<Window>>);

#[derive(Debug)]
struct Window {
    started_ms: f64,
    transforms: HashSet<u64>,
}

/// At most this many bytes of counts (keys of up to a kilobyte, up to `RENDER_BUDGET` transforms
/// each); past it, the expired windows are dropped, then all.
pub const MAX_BYTES: usize = 2 << 20;

impl Default for Renders {
    fn default() -> Self {
        Renders(RefCell::new(Bounded::new(MAX_BYTES, |w: &Window| w.transforms.capacity() * 16)))
    }
}

impl Renders {
    /// Counts a render of `transform` (canonical) of `key`, or refuses it (429).
    pub fn admit(&self, key: &str, transform: &str, cost: &CostSettings, now_ms: f64) -> Result<()> {
        if cost.render_budget == 0 {
            return Ok(());
        }
        let window_ms = cost.render_window_s as f64 * 1000.0;
        let budget = cost.render_budget as usize;
        let expired = |w: &Window| now_ms - w.started_ms >= window_ms;
        // When the counts fill their bytes, the windows that refuse (or nearly) are kept longest:
        // forgetting them would let a flood of new keys reset the budget of the one under attack.
        let rank = |w: &Window| match (expired(w), w.transforms.len() * 2 < budget) {
            (true, _) => Rank::Expired,
            (false, true) => Rank::Expendable,
            (false, false) => Rank::Live,
        };
        // Keys are kept as a hash: a kilobyte key costs what a short one does.
        let key = &format!("{:016x}", hash(key));
        let mut windows = self.0.borrow_mut();
        if windows.get(key).is_none_or(expired) {
            windows.insert_ranked(key.to_string(), Window { started_ms: now_ms, transforms: HashSet::new() }, rank);
        }
        let id = hash(transform);
        let counted = windows.update_ranked(
            key,
            |window| match window.transforms.contains(&id) || window.transforms.len() < budget {
                true => Ok(window.transforms.insert(id)),
                false => Err(window.started_ms),
            },
            rank,
        );
        let Some(Err(started_ms)) = counted else { return Ok(()) };
        let retry_after_s = ((started_ms + window_ms - now_ms) / 1000.0).ceil().max(1.0) as u32;
        Err(Error::TooManyRequests(
            format!(
                "more than {} different transforms of this image in {} s (RENDER_BUDGET); cached ones are still served",
                cost.render_budget, cost.render_window_s
            ),
            retry_after_s,
        ))
    }

    /// The bytes the counts hold now.
    pub fn bytes(&self) -> usize {
        self.0.borrow().bytes()
    }
}

/// Whether `key`'s original comes from an origin on every read (a remote source, or `ORIGIN_URL`
/// without a copy in R2): then its download is the cost, and it is counted before it.
pub(in crate::flow) fn counted_early(config: &crate::config::Config, key: &str) -> bool {
    crate::url::remote::is_remote(key) || (config.origin.url.is_some() && !config.origin.copy)
}

/// Counts a read of `key` that downloads it, under `id` (a cache key, or the original's own), in
/// its original's budget and the client's (`MISS_LIMITER`): before the download, so a refused
/// request costs the origin nothing.
pub(in crate::flow) async fn before_download<S: crate::flow::ports::Store, C: crate::flow::ports::Cache>(
    req: &crate::flow::Request,
    config: &crate::config::Config,
    ports: &crate::flow::Ports<'_, S, C>,
    key: &str,
    id: &str,
    trace: &mut crate::trace::Trace,
) -> Result<()> {
    let remote = crate::url::remote::is_remote(key);
    let original = if remote { remote_original(key) } else { key.to_string() };
    ports.renders.admit(&original, id, &config.cost, ports.clock.now_ms())?;
    // (An `ORIGIN_URL` fetch asks the client's limiter itself, before it fetches.)
    match remote {
        true => crate::flow::clients::admit_render(ports, req.client.as_deref(), trace).await,
        false => Ok(()),
    }
}

fn hash(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

/// What a remote original's renders are counted under: its URL without the query, the path
/// spelled one way (unreserved `%XX` decoded, the rest upper case, `//` as `/`, `;params` dropped,
/// lower case), since an origin may serve every spelling alike. Merging two real pictures of one
/// spelling only makes their budget stricter.
pub fn remote_original(source: &str) -> String {
    match url::Url::parse(source) {
        Ok(url) => {
            let origin = url.origin().ascii_serialization();
            format!("{origin}{}", one_spelling(url.path()))
        }
        Err(_) => source.to_ascii_lowercase(),
    }
}

fn one_spelling(path: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut in_params = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let decoded = match (b, bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => Some((h * 16 + l) as u8),
            _ => None,
        };
        i += if decoded.is_some() { 3 } else { 1 };
        let c = decoded.unwrap_or(b);
        if c == b'/' && decoded.is_none() {
            in_params = false;
            if !out.ends_with('/') {
                out.push('/');
            }
        } else if c == b';' && decoded.is_none() {
            in_params = true;
        } else if in_params {
        } else if decoded.is_some() && !(c.is_ascii_alphanumeric() || b"-._~".contains(&c)) {
            out.push_str(&format!("%{c:02X}"));
        } else {
            out.push(c.to_ascii_lowercase() as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_storm_of_sizes_is_refused_a_srcset_and_repeats_are_not() {
        let cost = CostSettings { render_budget: 4, render_window_s: 60, width_steps: Vec::new() };
        let renders = Renders::default();
        for w in 1..=4 {
            renders.admit("a.jpg", &format!("w={w}"), &cost, 0.0).unwrap();
        }
        renders.admit("a.jpg", "w=2", &cost, 1000.0).expect("the same transform again does not count");
        renders.admit("b.jpg", "w=5", &cost, 1000.0).expect("another original has its own budget");
        let refused = renders.admit("a.jpg", "w=5", &cost, 15_500.0).unwrap_err();
        assert_eq!((refused.status(), refused.retry_after()), (429, Some(45)));
        renders.admit("a.jpg", "w=5", &cost, 60_000.0).expect("a new window");
        let remote = |q: &str| remote_original(&format!("https://cdn.example/x.jpg{q}"));
        assert_eq!(remote("?n=1"), remote("?n=2"));
        for spelling in ["/%78.jpg", "/%2578.jpg", "/x%2Ejpg", "/%78%2ejpg", "//x.jpg", "/x.jpg;1", "/X.JPG", "/a/../x.jpg", "/./x.jpg"] {
            let other = remote_original(&format!("https://CDN.example:443{spelling}"));
            if spelling == "/%2578.jpg" {
                assert_ne!(other, remote(""), "%25 is a literal percent: another name");
            } else {
                assert_eq!(other, remote(""), "{spelling}");
            }
        }
        assert_ne!(
            remote_original("https://cdn.example/a%2Fb.jpg"),
            remote_original("https://cdn.example/a/b.jpg"),
            "an encoded slash stays"
        );
        assert_ne!(remote("?n=1"), remote_original("https://cdn.example/y.jpg?n=1"));
        let off = CostSettings { render_budget: 0, ..cost };
        for w in 1..100 {
            renders.admit("c.jpg", &format!("w={w}"), &off, 0.0).unwrap();
        }
    }

    /// Long keys (remote URLs, R2's kilobyte keys) and large budgets stay within the bytes.
    #[test]
    fn the_counts_are_bounded_in_bytes() {
        let cost = CostSettings { render_budget: 100_000, render_window_s: 60, width_steps: Vec::new() };
        let renders = Renders::default();
        for n in 0..20_000 {
            renders.admit(&format!("https://cdn.example/{n}/{}", "x".repeat(880)), "w=1", &cost, 0.0).unwrap();
        }
        assert!(renders.bytes() <= MAX_BYTES, "{}", renders.bytes());
        for n in 0..100_000 {
            renders.admit("one.jpg", &format!("w={n}"), &cost, 1.0).unwrap();
        }
        assert!(renders.bytes() <= MAX_BYTES, "{}", renders.bytes());
    }

    /// A flood of new keys does not reset the window of the original under attack: the windows
    /// that refuse are the last to be forgotten.
    #[test]
    fn a_flood_of_new_keys_does_not_reset_a_refusing_window() {
        let cost = CostSettings { render_budget: 8, render_window_s: 60, width_steps: Vec::new() };
        let renders = Renders::default();
        for w in 0..8 {
            renders.admit("attacked.jpg", &format!("w={w}"), &cost, 0.0).unwrap();
        }
        assert_eq!(renders.admit("attacked.jpg", "w=99", &cost, 0.0).unwrap_err().status(), 429);
        for n in 0..100_000 {
            renders.admit(&format!("https://cdn.example/{n}/{}", "x".repeat(800)), "w=1", &cost, 1.0).unwrap();
        }
        assert!(renders.bytes() <= MAX_BYTES, "{}", renders.bytes());
        assert_eq!(renders.admit("attacked.jpg", "w=100", &cost, 2.0).unwrap_err().status(), 429, "still refusing");
    }
}
