//! The query grammar: `?w=&h=&fit=&q=&format=` (Cloudflare's option names and short aliases).
//! Strict on purpose: unknown, repeated or out-of-range options are a 400 naming the option,
//! because silently ignoring them would create cache entries nobody asked for.

use crate::config::Config;
use crate::error::{Error, Result};
use crate::transform::{Fit, Format, Transform};

/// Bounds the work spent on hostile query strings (thousands of parameters).
const MAX_PARAMS: usize = 16;

pub fn parse(query: &str, config: &Config) -> Result<Transform> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query).map_err(|_| Error::bad_request("the query string is malformed"))?;
    if pairs.len() > MAX_PARAMS {
        return Err(Error::bad_request(format!("at most {MAX_PARAMS} query parameters")));
    }
    let mut t = Transform::default();
    let mut seen: Vec<&'static str> = Vec::new();
    for (name, value) in &pairs {
        let option = canonical_name(name).ok_or_else(|| {
            Error::bad_request(format!("unknown option '{}' (known: width, height, fit, quality, format)", truncate(name)))
        })?;
        if seen.contains(&option) {
            return Err(Error::bad_request(format!("option '{option}' is given more than once")));
        }
        seen.push(option);
        match option {
            "width" => t.width = Some(number(option, value, 1, config.max_width)?),
            "height" => t.height = Some(number(option, value, 1, config.max_height)?),
            "quality" => t.quality = Some(number(option, value, 1, 100)? as u8),
            "fit" => t.fit = Fit::parse(value).ok_or_else(|| Error::bad_request(format!("fit must be one of {}", Fit::NAMES)))?,
            "format" => {
                t.format = Some(Format::parse_output(value).ok_or_else(|| Error::bad_request("format must be one of jpeg, png, webp"))?)
            }
            _ => unreachable!("canonical_name returns only the names matched above"),
        }
    }
    Ok(t)
}

fn canonical_name(name: &str) -> Option<&'static str> {
    Some(match name {
        "width" | "w" => "width",
        "height" | "h" => "height",
        "quality" | "q" => "quality",
        "format" | "f" => "format",
        "fit" => "fit",
        _ => return None,
    })
}

fn number(option: &str, value: &str, min: u32, max: u32) -> Result<u32> {
    match value.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(Error::bad_request(format!("{option} must be a whole number from {min} to {max}"))),
    }
}

/// Keeps error messages short when the offending name is huge.
fn truncate(s: &str) -> String {
    s.chars().take(32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Result<Transform> {
        parse(s, &Config::default())
    }

    #[test]
    fn aliases_and_order_give_one_canonical_form() {
        let a = q("w=100&q=80").unwrap();
        let b = q("quality=80&width=100").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.canonical(), "w=100,q=80");
        assert_eq!(q("width=400&height=300&fit=cover&format=webp").unwrap().canonical(), "w=400,h=300,fit=cover,f=webp");
        assert_eq!(q("fit=scale-down").unwrap().canonical(), "", "the default fit is dropped");
        assert_eq!(q("format=jpg").unwrap().format, Some(Format::Jpeg));
    }

    #[test]
    fn rejects_bad_options_with_a_message_naming_them() {
        let cases = [
            ("w=0", "width"),
            ("w=4097", "width"),
            ("w=-5", "width"),
            ("w=abc", "width"),
            ("h=1e3", "height"),
            ("q=101", "quality"),
            ("fit=stretch", "fit"),
            ("format=tiff", "format"),
            ("blur=3", "blur"),
            ("w=1&w=2", "width"),
            ("w=1&width=2", "width"),
        ];
        for (query, named) in cases {
            let e = q(query).unwrap_err();
            assert_eq!(e.status(), 400, "{query}");
            assert!(e.message().contains(named), "{query}: {}", e.message());
        }
        assert!(q(&"w=1&".repeat(20)).is_err());
    }

    #[test]
    fn max_size_comes_from_config() {
        let c = Config { max_width: 500, ..Config::default() };
        assert!(parse("w=500", &c).is_ok());
        assert!(parse("w=501", &c).unwrap_err().message().contains("1 to 500"));
    }
}
