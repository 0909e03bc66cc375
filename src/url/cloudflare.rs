//! Cloudflare's URL form, a drop-in for users of Cloudflare image resizing:
//! `/cdn-cgi/image/width=400,fit=cover,format=auto/shop/cat.jpg` → key `shop/cat.jpg`.

use super::options::{Builder, Vocabulary};
use super::{decode_key, ImageRequest};
use crate::config::UrlSettings;
use crate::error::{Error, Result};
use percent_encoding::percent_decode_str;

pub const PREFIX: &str = "/cdn-cgi/image/";

/// `rest` is the path after [`PREFIX`]; `query` holds further options from the query string.
pub fn parse(rest: &str, query: &[(String, String)], settings: &UrlSettings) -> Result<ImageRequest> {
    let (options, key_path) = rest.split_once('/').ok_or_else(|| Error::bad_request("expected /cdn-cgi/image/<options>/<key>"))?;
    let mut b = Builder::new(settings);
    let path_vocabulary = Vocabulary { transform: true, presets: false };
    for option in options.split(',').filter(|o| !o.is_empty()) {
        let (name, value) = option.split_once('=').ok_or_else(|| Error::bad_request(format!("option '{}' has no value", short(option))))?;
        let value = percent_decode_str(value).decode_utf8().map_err(|_| Error::bad_request("option values must be UTF-8"))?;
        b.set(name, &value, path_vocabulary)?;
    }
    let query_vocabulary = Vocabulary { transform: settings.grammars.query, presets: settings.grammars.size };
    let transform = super::query::apply(query, b, query_vocabulary)?;
    Ok(ImageRequest { key: decode_key(&format!("/{key_path}"), settings)?, transform })
}

fn short(s: &str) -> String {
    s.chars().take(32).collect()
}
