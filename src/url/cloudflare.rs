//! Cloudflare's URL form, a drop-in for users of Cloudflare image resizing:
//! `/cdn-cgi/image/width=400,fit=cover,format=auto/shop/cat.jpg` → key `shop/cat.jpg`.

use super::options::{Builder, Vocabulary};
use super::{decode_key, remote, ImageRequest};
use crate::config::UrlSettings;
use crate::error::{Error, Result};
use percent_encoding::percent_decode_str;

pub const PREFIX: &str = "/cdn-cgi/image/";

/// `rest` is the path after [`PREFIX`]; `query` holds further options from the query string,
/// unless the source is an absolute URL: then the query string (`raw_query`, without `sig` and
/// `exp`) is the source's own, as Cloudflare reads it.
pub fn parse(rest: &str, query: &[(String, String)], raw_query: Option<&str>, settings: &UrlSettings) -> Result<ImageRequest> {
    let (options, key_path) = rest.split_once('/').ok_or_else(|| Error::bad_request("expected /cdn-cgi/image/<options>/<key>"))?;
    // Cloudflare keeps animations unless told `anim=false`.
    let mut b = Builder::cloudflare(settings);
    let path_vocabulary = Vocabulary { transform: true, presets: false };
    for option in split_options(options)? {
        let (name, value) =
            option.split_once('=').ok_or_else(|| Error::bad_request(format!("option '{}' has no value", short(&option))))?;
        let value = percent_decode_str(value).decode_utf8().map_err(|_| Error::bad_request("option values must be UTF-8"))?;
        b.set(name, &value, path_vocabulary)?;
    }
    if remote::starts_remote(key_path) {
        let own: Vec<&str> =
            raw_query.unwrap_or("").split('&').filter(|p| !p.is_empty() && !matches!(p.split('=').next(), Some("sig" | "exp"))).collect();
        return Ok(ImageRequest::new(remote::source(key_path, Some(&own.join("&")))?, b.finish()?));
    }
    let query_vocabulary = Vocabulary { transform: settings.grammars.query, presets: settings.grammars.size };
    let transform = super::query::apply(query, b, query_vocabulary)?;
    Ok(ImageRequest::new(decode_key(&format!("/{key_path}"), settings)?, transform))
}

/// Splits `width=400,background=rgb(0,0,0),border=red,4` into options: a comma starts a new
/// option only when what follows names one (`name=`), so values may hold commas unescaped.
fn split_options(options: &str) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for piece in options.split(',') {
        match out.last_mut() {
            Some(last) if !piece.contains('=') => {
                last.push(',');
                last.push_str(piece);
            }
            _ if piece.is_empty() => {}
            _ => out.push(piece.to_string()),
        }
    }
    if out.first().is_some_and(|o| !o.contains('=')) {
        return Err(Error::bad_request(format!("option '{}' has no value", short(&out[0]))));
    }
    Ok(out)
}

fn short(s: &str) -> String {
    s.chars().take(32).collect()
}
