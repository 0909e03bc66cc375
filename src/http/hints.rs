//! Client hints: `width=auto` is one of Cloudflare's four widths (320, 768, 960, 1200), chosen from
//! the width the image needs in device pixels: the element's (`Sec-CH-Width`, or the older
//! `Width`), else the viewport's (`Sec-CH-Viewport-Width` × `Sec-CH-DPR`, or `Viewport-Width` ×
//! `DPR`), else the kind of device the `User-Agent` names (phone 320, tablet 768, other 960), as
//! Cloudflare does without hints. `slow-connection-quality` replaces `quality` when `Save-Data`,
//! `ECT`, `RTT` or `Downlink` say the connection is slow (Cloudflare's rules: save-data on, ECT
//! slow-2g/2g/3g, RTT over 150 ms, downlink under 5 Mbps). Whatever a hint decides is written into
//! the transform before anything is looked up, so it is part of the cache key, and the response
//! varies on exactly the hints that were read.

use crate::transform::Transform;

/// Cloudflare's `width=auto` widths: mobile, tablet, desktop, large desktop.
pub const AUTO_WIDTHS: [u32; 4] = [320, 768, 960, 1200];

/// The hints a request carries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hints {
    /// The element's width in device pixels.
    pub width: Option<u32>,
    /// The viewport's width in CSS pixels, and device pixels per CSS pixel.
    pub viewport_width: Option<u32>,
    pub dpr: Option<f64>,
    pub device: Device,
    pub save_data: bool,
    pub ect: Option<String>,
    pub rtt_ms: Option<u32>,
    pub downlink_mbps: Option<f64>,
}

/// The kind of device a `User-Agent` names, for `width=auto` without width hints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Device {
    Phone,
    Tablet,
    #[default]
    Other,
}

impl Device {
    fn of(user_agent: &str) -> Device {
        let ua = user_agent.to_ascii_lowercase();
        let has = |s: &str| ua.contains(s);
        if has("ipad") || has("tablet") || has("kindle") || has("silk/") || (has("android") && !has("mobile")) {
            Device::Tablet
        } else if has("mobi") || has("iphone") || has("ipod") || has("android") || has("windows phone") {
            Device::Phone
        } else {
            Device::Other
        }
    }

    fn width(self) -> u32 {
        match self {
            Device::Phone => AUTO_WIDTHS[0],
            Device::Tablet => AUTO_WIDTHS[1],
            Device::Other => AUTO_WIDTHS[2],
        }
    }
}

/// The headers `width=auto` reads: whichever are present decides, so a response varies on all.
pub const WIDTH_HINTS: &[&str] = &["Sec-CH-Width", "Width", "Sec-CH-Viewport-Width", "Viewport-Width", "Sec-CH-DPR", "DPR", "User-Agent"];
/// The hint headers `slow-connection-quality` reads.
pub const NETWORK_HINTS: &[&str] = &["Save-Data", "ECT", "RTT", "Downlink"];

impl Hints {
    /// From the request's headers, by name (any case); malformed values count as absent.
    pub fn read(header: impl Fn(&str) -> Option<String>) -> Hints {
        let number = |name: &str| header(name).and_then(|v| v.trim().parse::<f64>().ok()).filter(|v| v.is_finite() && *v >= 0.0);
        let positive = |v: f64| (v.round() as u32 > 0).then(|| v.round().min(u32::MAX as f64) as u32);
        Hints {
            width: number("sec-ch-width").or_else(|| number("width")).and_then(positive),
            viewport_width: number("sec-ch-viewport-width").or_else(|| number("viewport-width")).and_then(positive),
            dpr: number("sec-ch-dpr").or_else(|| number("dpr")).filter(|d| *d > 0.0),
            device: header("user-agent").map(|ua| Device::of(&ua)).unwrap_or_default(),
            save_data: header("save-data").is_some_and(|v| v.trim().eq_ignore_ascii_case("on")),
            ect: header("ect").map(|v| v.trim().to_ascii_lowercase()),
            rtt_ms: number("rtt").map(|v| v as u32),
            downlink_mbps: number("downlink"),
        }
    }

    /// The width the image needs, in device pixels: the element's, else the viewport's (at most
    /// 4 device pixels per CSS pixel), else the device's kind.
    pub fn needed_width(&self) -> u32 {
        if let Some(w) = self.width {
            return w;
        }
        match self.viewport_width {
            Some(v) => (v as f64 * self.dpr.unwrap_or(1.0).clamp(1.0, 4.0)).ceil().min(u32::MAX as f64) as u32,
            None => self.device.width(),
        }
    }

    pub fn slow(&self) -> bool {
        self.save_data
            || matches!(self.ect.as_deref(), Some("slow-2g" | "2g" | "3g"))
            || self.rtt_ms.is_some_and(|r| r > 150)
            || self.downlink_mbps.is_some_and(|d| d < 5.0)
    }
}

/// The smallest of Cloudflare's four widths at least `needed` wide (the widest past them all),
/// among those within `max_width` (the narrowest when none is).
pub fn auto_width(needed: u32, max_width: u32) -> u32 {
    let mut within = AUTO_WIDTHS.iter().copied().filter(|&w| w <= max_width);
    within.clone().find(|&w| w >= needed).or(within.next_back()).unwrap_or(max_width)
}

/// Writes what the hints decide into `t` (`width=auto` becomes a width; `slow-connection-quality`
/// becomes the quality or is dropped) and returns the names of the hint headers read, for `Vary`.
/// `allowed` maps the width the hints ask for to the one served: a `WIDTH_STEPS` step, a size the
/// size policy allows, or one of Cloudflare's four widths (`policy::hinted_width`).
pub fn apply(t: &mut Transform, hints: &Hints, max_width: u32, allowed: impl Fn(u32) -> u32) -> Vec<&'static str> {
    let mut read = Vec::new();
    if t.auto_width {
        t.auto_width = false;
        t.width = Some(allowed(hints.needed_width().min(max_width)));
        read.extend(WIDTH_HINTS);
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

    /// Cloudflare's four widths, from the element's width, else the viewport's in device pixels,
    /// else the device's kind; the policy's mapping applied to what the hints ask.
    #[test]
    fn width_auto_is_one_of_cloudflares_four_widths() {
        let auto = |pairs: &[(&str, &str)], max: u32| {
            let mut t = Transform { auto_width: true, ..Default::default() };
            let read = apply(&mut t, &hints(pairs), max, |w| auto_width(w, max));
            assert_eq!((read.as_slice(), t.auto_width), (WIDTH_HINTS, false));
            t.width.unwrap()
        };
        assert_eq!(auto(&[("Sec-CH-Width", "320")], 4096), 320);
        assert_eq!(auto(&[("Sec-CH-Width", "321")], 4096), 768, "the next width up");
        assert_eq!(auto(&[("Width", "961")], 4096), 1200);
        assert_eq!(auto(&[("Width", "9000")], 4096), 1200, "the widest past them all");
        assert_eq!(auto(&[("Width", "9000")], 1000), 960, "within MAX_WIDTH");
        assert_eq!(auto(&[("Width", "500")], 200), 200, "MAX_WIDTH under all four");
        // The viewport in CSS pixels times the DPR: a 390 px phone at 3x needs 1170 device pixels.
        assert_eq!(auto(&[("Sec-CH-Viewport-Width", "390"), ("Sec-CH-DPR", "3")], 4096), 1200);
        assert_eq!(auto(&[("Sec-CH-Viewport-Width", "390")], 4096), 768, "DPR 1 without the hint");
        assert_eq!(auto(&[("Viewport-Width", "300"), ("DPR", "0.5")], 4096), 320, "never under 1 device pixel per CSS pixel");
        assert_eq!(auto(&[("Sec-CH-Width", "300"), ("Sec-CH-Viewport-Width", "1920")], 4096), 320, "the element's width first");
        // No width hint: the device the User-Agent names, as Cloudflare does.
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148";
        let pixel = "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 Chrome/130.0 Mobile Safari/537.36";
        let tab = "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 Chrome/130.0 Safari/537.36";
        let ipad = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15";
        let mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Safari/605.1.15";
        for (ua, width) in [(iphone, 320), (pixel, 320), (tab, 768), (ipad, 768), (mac, 960), ("curl/8", 960)] {
            assert_eq!(auto(&[("User-Agent", ua)], 4096), width, "{ua}");
        }
        assert_eq!(auto(&[], 4096), 960, "nothing known: desktop");
        assert_eq!(auto(&[("Width", "wide"), ("User-Agent", iphone)], 4096), 320, "a malformed hint is absent");
        let mut plain = Transform { width: Some(5), ..Default::default() };
        assert!(apply(&mut plain, &hints(&[("Width", "640")]), 4096, |w| w).is_empty(), "no hint read, no Vary");
    }

    #[test]
    fn slow_connection_quality_follows_cloudflares_rules() {
        let scq = || Transform { width: Some(100), slow_quality: Some(Quality::Fixed(40)), ..Default::default() };
        for slow in [&[("Save-Data", "on")][..], &[("ECT", "3g")], &[("RTT", "300")], &[("Downlink", "1.5")]] {
            let mut t = scq();
            assert_eq!(apply(&mut t, &hints(slow), 4096, |w| w), NETWORK_HINTS);
            assert_eq!(t.canonical(), "w=100,q=40", "{slow:?}");
        }
        for fast in [&[][..], &[("ECT", "4g"), ("RTT", "50"), ("Downlink", "10")], &[("Save-Data", "off")]] {
            let mut t = scq();
            apply(&mut t, &hints(fast), 4096, |w| w);
            assert_eq!(t.canonical(), "w=100", "{fast:?}: the same variant as without scq");
        }
    }
}
