//! Client hints: `width=auto` reads the element's width in device pixels from `Sec-CH-Width`
//! (or the older `Width`), and `slow-connection-quality` replaces `quality` when `Save-Data`,
//! `ECT`, `RTT` or `Downlink` say the connection is slow (Cloudflare's rules: save-data on,
//! ECT slow-2g/2g/3g, RTT over 150 ms, downlink under 5 Mbps). Whatever a hint decides is
//! written into the transform before anything is looked up, so it is part of the cache key, and
//! the response varies on exactly the hints that were read.

use crate::transform::Transform;

/// The hints a request carries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hints {
    pub width: Option<u32>,
    pub save_data: bool,
    pub ect: Option<String>,
    pub rtt_ms: Option<u32>,
    pub downlink_mbps: Option<f64>,
}

/// The hint headers `width=auto` reads.
pub const WIDTH_HINTS: &[&str] = &["Sec-CH-Width", "Width"];
/// The hint headers `slow-connection-quality` reads.
pub const NETWORK_HINTS: &[&str] = &["Save-Data", "ECT", "RTT", "Downlink"];

impl Hints {
    /// From the request's headers, by name (any case); malformed values count as absent.
    pub fn read(header: impl Fn(&str) -> Option<String>) -> Hints {
        let number = |name: &str| header(name).and_then(|v| v.trim().parse::<f64>().ok()).filter(|v| v.is_finite() && *v >= 0.0);
        Hints {
            width: number("sec-ch-width").or_else(|| number("width")).map(|w| w.round() as u32).filter(|w| *w > 0),
            save_data: header("save-data").is_some_and(|v| v.trim().eq_ignore_ascii_case("on")),
            ect: header("ect").map(|v| v.trim().to_ascii_lowercase()),
            rtt_ms: number("rtt").map(|v| v as u32),
            downlink_mbps: number("downlink"),
        }
    }

    pub fn slow(&self) -> bool {
        self.save_data
            || matches!(self.ect.as_deref(), Some("slow-2g" | "2g" | "3g"))
            || self.rtt_ms.is_some_and(|r| r > 150)
            || self.downlink_mbps.is_some_and(|d| d < 5.0)
    }
}

/// Writes what the hints decide into `t` (`width=auto` becomes a width, or the original's when
/// no width hint came; `slow-connection-quality` becomes the quality or is dropped) and returns
/// the names of the hint headers read, for `Vary`.
/// `allowed` maps a hinted width to one the size policy allows, or says `None` when the
/// configuration honours no width hint at all (`policy::hinted_width`: under a signature with
/// nothing to bound them); then `width=auto` is the original's width, as without a hint, and no
/// width hint is read or varied on.
pub fn apply(t: &mut Transform, hints: &Hints, max_width: u32, allowed: impl Fn(u32) -> Option<u32>) -> Vec<&'static str> {
    let mut read = Vec::new();
    if t.auto_width {
        t.auto_width = false;
        // Whether width hints are honoured is the configuration's answer, the same for any width.
        if allowed(max_width).is_some() {
            t.width = hints.width.and_then(|w| allowed(w.min(max_width)));
            read.extend(WIDTH_HINTS);
        }
    }
    if let Some(slow) = t.slow_quality.take() {
        if hints.slow() {
            t.quality = Some(slow);
        }
        read.extend(NETWORK_HINTS);
    }
    read
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::Quality;

    fn hints(pairs: &[(&str, &str)]) -> Hints {
        Hints::read(|name| pairs.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn width_auto_takes_the_hinted_width_within_the_maximum() {
        let mut t = Transform { auto_width: true, ..Default::default() };
        assert_eq!(apply(&mut t, &hints(&[("Sec-CH-Width", "640")]), 4096, Some), WIDTH_HINTS);
        assert_eq!(t.canonical(), "w=640");
        let mut t = Transform { auto_width: true, ..Default::default() };
        apply(&mut t, &hints(&[("Width", "9000")]), 4096, Some);
        assert_eq!(t.width, Some(4096));
        let mut t = Transform { auto_width: true, ..Default::default() };
        apply(&mut t, &hints(&[("Width", "wide")]), 4096, Some);
        assert_eq!((t.width, t.auto_width), (None, false), "no usable hint: the original's width");
        let mut t = Transform { auto_width: true, ..Default::default() };
        apply(&mut t, &hints(&[("Width", "500")]), 4096, |w| Some(if w <= 640 { 640 } else { 1280 }));
        assert_eq!(t.width, Some(640), "snapped to what the size policy allows");
        let mut plain = Transform { width: Some(5), ..Default::default() };
        assert!(apply(&mut plain, &hints(&[("Width", "640")]), 4096, Some).is_empty(), "no hint read, no Vary");
        let mut t = Transform { auto_width: true, ..Default::default() };
        assert!(apply(&mut t, &hints(&[("Sec-CH-Width", "640")]), 4096, |_| None).is_empty(), "hints not honoured: not read");
        assert_eq!((t.width, t.auto_width), (None, false), "the original's width, as without a hint");
    }

    #[test]
    fn slow_connection_quality_follows_cloudflares_rules() {
        let scq = || Transform { width: Some(100), slow_quality: Some(Quality::Fixed(40)), ..Default::default() };
        for slow in [&[("Save-Data", "on")][..], &[("ECT", "3g")], &[("RTT", "300")], &[("Downlink", "1.5")]] {
            let mut t = scq();
            assert_eq!(apply(&mut t, &hints(slow), 4096, Some), NETWORK_HINTS);
            assert_eq!(t.canonical(), "w=100,q=40", "{slow:?}");
        }
        for fast in [&[][..], &[("ECT", "4g"), ("RTT", "50"), ("Downlink", "10")], &[("Save-Data", "off")]] {
            let mut t = scq();
            apply(&mut t, &hints(fast), 4096, Some);
            assert_eq!(t.canonical(), "w=100", "{fast:?}: the same variant as without scq");
        }
    }
}
