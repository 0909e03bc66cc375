//! The value parsers of the option vocabulary: whole numbers, factors, qualities, colours,
//! borders, `dpr`, and the 400s that name the option and its range.

use super::MAX_TRIM;
use crate::error::{Error, Result};
use crate::transform::{Border, Factor, Quality};

pub(super) fn set_side(slot: &mut Option<u32>, label: &str, value: &str) -> Result<()> {
    if slot.is_some() {
        return Err(Error::bad_request(format!("{label} conflicts with trim=top;right;bottom;left")));
    }
    *slot = Some(whole(label, value, 0, MAX_TRIM)?);
    Ok(())
}

/// `border=color;width` or `border=color;top;right;bottom;left` (`,` also separates, as in
/// `border=red,10`). Cloudflare offers `border` to Workers only; this is its URL form here.
/// The widths are read from the right, so a colour may hold commas (`rgb(0,0,0);4`).
pub(super) fn border(value: &str) -> Result<Border> {
    let usage = || Error::bad_request("border must be color;width or color;top;right;bottom;left, widths 0 to 100");
    let (mut rest, mut widths) = (value, Vec::new());
    while widths.len() < 4 {
        let Some((head, tail)) = rest.rsplit_once([';', ',']) else { break };
        let Ok(w) = whole("border", tail, 0, 100) else { break };
        widths.push(w);
        rest = head;
    }
    let [top, right, bottom, left] = match widths[..] {
        [w] => [w; 4],
        [l, b, r, t] => [t, r, b, l],
        _ => return Err(usage()),
    };
    Ok(Border { color: colour("border", rest)?, top, right, bottom, left })
}

pub(super) fn not_here(option: &str, value: &str, why: &str) -> Error {
    Error::bad_request(format!("{option}={value} is not supported here: it {why}"))
}

pub(super) fn quality(option: &str, value: &str) -> Result<Quality> {
    Quality::parse(value)
        .ok_or_else(|| Error::bad_request(format!("{option} must be a whole number from 1 to 100, or one of {}", Quality::LEVELS.list())))
}

pub(super) fn factor(option: &str, value: &str, max: f64) -> Result<Factor> {
    Factor::parse(value, max).ok_or_else(|| Error::bad_request(format!("{option} must be a number from 0 to {max}")))
}

pub(super) fn one_of(option: &str, names: &str) -> Error {
    Error::bad_request(format!("{option} must be one of {names}"))
}

pub(super) fn whole(option: &str, value: &str, min: u32, max: u32) -> Result<u32> {
    let digits = !value.is_empty() && value.len() <= 6 && value.bytes().all(|b| b.is_ascii_digit());
    match value.parse::<u32>() {
        Ok(n) if digits && (min..=max).contains(&n) => Ok(n),
        _ => Err(Error::bad_request(format!("{option} must be a whole number from {min} to {max}"))),
    }
}

pub(super) fn flag(option: &str, value: &str) -> Result<bool> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(one_of(option, "true or false")),
    }
}

/// Device pixel ratio 1..=3 (Cloudflare allows up to 2; retina phones go to 3).
pub(super) fn dpr(value: &str) -> Result<f64> {
    let plain = !value.is_empty() && value.len() <= 5 && value.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    match value.parse::<f64>() {
        Ok(d) if plain && (1.0..=3.0).contains(&d) => Ok(d),
        _ => Err(Error::bad_request("dpr must be a number from 1 to 3")),
    }
}

pub(super) fn scaled(option: &str, side: Option<u32>, dpr: f64, max: u32) -> Result<Option<u32>> {
    let Some(side) = side else { return Ok(None) };
    let px = (side as f64 * dpr).round() as u32;
    if px > max {
        return Err(Error::bad_request(format!("{option} × dpr is {px}, over the maximum of {max}")));
    }
    Ok(Some(px))
}

/// A CSS colour (`red`, `#ff0000`, `rgb(255 0 0 / 50%)`, …), or bare hex digits (`ff0000`),
/// since `#` must be escaped in URLs.
pub(super) fn colour(option: &str, value: &str) -> Result<[u8; 4]> {
    let bare_hex = matches!(value.len(), 3 | 4 | 6 | 8) && value.bytes().all(|b| b.is_ascii_hexdigit());
    let css = if bare_hex { format!("#{value}") } else { value.to_string() };
    if value.len() > 64 {
        return Err(Error::bad_request(format!("{option} is too long")));
    }
    csscolorparser::parse(&css)
        .map(|c| c.to_rgba8())
        .map_err(|_| Error::bad_request(format!("{option} must be a CSS colour, e.g. white, ff0000 or rgb(0 0 0 / 50%)")))
}
