//! URL grammar: turns a request path and query into the original's R2 key and one canonical
//! [`Transform`]. Nothing else in the service parses URLs.
//!
//! | grammar      | example                                       | original key              |
//! |--------------|-----------------------------------------------|---------------------------|
//! | `query`      | `/shop/cat.jpg?width=400&fit=cover&dpr=2`     | `shop/cat.jpg`            |
//! | `cloudflare` | `/cdn-cgi/image/width=400,format=auto/cat.jpg`| `cat.jpg`                 |
//! | `suffix`     | `/shop/cat-200x200.jpg`, `cat-640w.jpg`       | `shop/cat.jpg`, `cat.jpg` |
//! | `segment`    | `/produs_227613/360x270/img.jpg`              | `produs_227613/img.jpg`   |
//! | `named`      | `/images/test-md.png`                         | `images/test.png`         |
//! | `size`       | `/kitty.jpg?size=S&to_webp=1`                 | `kitty.jpg`               |
//!
//! A path grammar (suffix, segment, named) may name a file that really exists under that
//! name; the adapter then serves it instead, so [`Parsed::literal`] keeps that reading too.

mod cloudflare;
mod key;
mod options;
mod query;
pub mod remote;
mod segment;

mod suffix;

use crate::config::UrlSettings;
use crate::error::Result;
use crate::transform::{Format, Transform};

pub use key::decode_key;
/// The option vocabulary, for the Images binding's option objects (`binding::options`).
pub(crate) use options::{Builder, Vocabulary};
pub use query::Signature;

/// What a URL asks for: an original, and what to do to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRequest {
    /// The original's R2 key (percent-decoded, validated).
    pub key: String,
    pub transform: Transform,
}

impl ImageRequest {
    /// `anim` cannot matter for a key whose extension names a format that is never animated
    /// (`.jpg`, `.png`): dropped there, so Cloudflare's path (animations kept by default) and
    /// the other grammars name one variant for such originals.
    pub fn new(key: String, mut transform: Transform) -> ImageRequest {
        // (A source URL's own query string is not part of its name.)
        let name = if remote::is_remote(&key) { key.split('?').next().unwrap_or(&key) } else { &key };
        if Format::of_extension(name).is_some_and(|f| !matches!(f, Format::Gif | Format::Webp)) {
            transform.anim = false;
        }
        ImageRequest { key, transform }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The reading of the first grammar that matched.
    pub request: ImageRequest,
    /// When a path grammar matched: the path taken literally (with the query's options), served
    /// instead if an object exists under that exact key.
    pub literal: Option<ImageRequest>,
    pub signature: Signature,
}

/// Parses `path` (as sent, percent-encoded, with its leading `/`) and the raw `query`.
pub fn parse(path: &str, query: Option<&str>, settings: &UrlSettings) -> Result<Parsed> {
    let grammars = settings.grammars;
    let (pairs, signature) = query::split(path, query.unwrap_or(""))?;
    let vocabulary = Vocabulary { transform: grammars.query, presets: grammars.size };

    if grammars.cloudflare {
        if let Some(rest) = path.strip_prefix(cloudflare::PREFIX) {
            return Ok(Parsed { request: cloudflare::parse(rest, &pairs, query, settings)?, literal: None, signature });
        }
    }
    if grammars.query && path == NEXT_IMAGE {
        return Ok(Parsed { request: next_image(&pairs, settings)?, literal: None, signature });
    }

    let key = decode_key(path, settings)?;
    let literal = ImageRequest::new(key, query::apply(&pairs, Builder::new(settings), vocabulary)?);
    let path_size = None
        .or_else(|| grammars.segment.then(|| segment::parse(&literal.key)).flatten())
        .or_else(|| grammars.suffix.then(|| suffix::parse_size(&literal.key)).flatten())
        .or_else(|| grammars.named.then(|| suffix::parse_named(&literal.key, settings)).flatten());
    let Some((original, size)) = path_size else {
        return Ok(Parsed { request: literal, literal: None, signature });
    };
    match query::apply(&pairs, Builder::with_path_size(settings, size), vocabulary) {
        Ok(transform) => Ok(Parsed { request: ImageRequest::new(original, transform), literal: Some(literal), signature }),
        // The query contradicts the path's size (`cat-200x200.jpg?w=50`): only the literal reading stands.
        Err(_) => Ok(Parsed { request: literal, literal: None, signature }),
    }
}

/// Control characters and `%` escaped: a key decoded once already keeps its `%`.
const KEEP_PERCENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS.add(b'%');

/// Next.js's image optimizer URL, so its default loader can point at this worker.
const NEXT_IMAGE: &str = "/_next/image";

/// `/_next/image?url=…&w=…&q=…`: `url` is a key (`/photos/a.jpg`) or an absolute URL; the
/// format is negotiated, as Next.js does.
fn next_image(pairs: &[(String, String)], settings: &UrlSettings) -> Result<ImageRequest> {
    let source = pairs
        .iter()
        .find(|(n, _)| n == "url")
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| crate::error::Error::bad_request("/_next/image needs url="))?;
    let key = match remote::starts_remote(source) {
        true => remote::source(source, None)?,
        // Decoded once already (as a query value): `%` is escaped so the key keeps it.
        false => decode_key(&percent_encoding::utf8_percent_encode(source, KEEP_PERCENT).to_string(), settings)?,
    };
    let mut builder = Builder::new(settings);
    builder.set("format", "auto", Vocabulary { transform: true, presets: false })?;
    let options: Vec<(String, String)> = pairs.iter().filter(|(n, _)| n != "url").cloned().collect();
    Ok(ImageRequest::new(key, query::apply(&options, builder, Vocabulary { transform: true, presets: false })?))
}

/// The request a query (the query grammar alone, `?` optional) names for an original under `key`:
/// how `EAGER_VARIANTS` names the variants made ahead of the first request.
pub fn for_key(key: &str, query: &str, settings: &UrlSettings) -> Result<ImageRequest> {
    let (pairs, _) = query::split(key, query.trim_start_matches('?'))?;
    let vocabulary = Vocabulary { transform: true, presets: settings.grammars.size };
    Ok(ImageRequest::new(key.to_string(), query::apply(&pairs, Builder::new(settings), vocabulary)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Grammars;

    fn parse_with(url: &str, settings: &UrlSettings) -> Result<Parsed> {
        let (path, query) = match url.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (url, None),
        };
        parse(path, query, settings)
    }

    fn read(url: &str) -> (String, String) {
        let p = parse_with(url, &UrlSettings::default()).unwrap_or_else(|e| panic!("{url}: {e}"));
        (p.request.key, p.request.transform.canonical())
    }

    /// Every row of the grammar table: URL → original key and canonical transform.
    #[test]
    fn every_grammar_gives_the_original_key_and_canonical_transform() {
        let table: &[(&str, &str, &str)] = &[
            (
                "/shop/cat.jpg?width=400&height=300&fit=cover&quality=75&format=webp&dpr=2",
                "shop/cat.jpg",
                "w=800,h=600,fit=cover,q=75,f=webp",
            ),
            ("/shop/cat.jpg?w=400&h=300&q=75&f=webp&g=top&fit=crop", "shop/cat.jpg", "w=400,h=300,fit=crop,g=top,q=75,f=webp"),
            ("/cdn-cgi/image/width=400,fit=cover,format=auto/shop/cat.jpg", "shop/cat.jpg", "w=400,fit=cover,f=auto"),
            ("/cdn-cgi/image/w=100,background=%23ff0000,fit=pad/a/b.png", "a/b.png", "w=100,fit=pad,bg=ff0000"),
            ("/shop/cat-200x200.jpg", "shop/cat.jpg", "w=200,h=200,fit=cover"),
            ("/shop/cat-640w.jpg", "shop/cat.jpg", "w=640"),
            ("/shop/cat-480h.jpg", "shop/cat.jpg", "h=480"),
            ("/produs_227613/360x270/img.jpg", "produs_227613/img.jpg", "w=360,h=270,fit=cover"),
            ("/100x100/img.jpg", "img.jpg", "w=100,h=100,fit=cover"),
            ("/p/640w/img.jpg", "p/img.jpg", "w=640"),
            ("/p/480h/img.jpg", "p/img.jpg", "h=480"),
            ("/images/test-md.png", "images/test.png", "w=640"),
            ("/images/test-sm.png", "images/test.png", "w=320"),
            ("/images/test-lg.png", "images/test.png", "w=1280"),
            ("/images/test-xl.png", "images/test.png", "w=1920"),
            ("/kitty.jpg?size=S&to_webp=1", "kitty.jpg", "size=S,f=webp"),
            ("/kitty.jpg?size=SXS", "kitty.jpg", "size=SXS"),
            ("/shop/cat.jpg", "shop/cat.jpg", ""),
            ("/shop/cat-200x200.jpg?format=webp", "shop/cat.jpg", "w=200,h=200,fit=cover,f=webp"),
            ("/shop/cat-200x200.jpg?dpr=2", "shop/cat.jpg", "w=400,h=400,fit=cover"),
        ];
        for (url, key, canonical) in table {
            assert_eq!(read(url), (key.to_string(), canonical.to_string()), "{url}");
        }
    }

    #[test]
    fn equivalent_urls_share_one_canonical_form() {
        let groups: &[&[&str]] = &[
            &["/c.jpg?w=100&q=80", "/c.jpg?quality=80&width=100", "/cdn-cgi/image/q=80,width=100/c.jpg", "/c.jpg?w=100&q=80&anim=true"],
            &["/c-640w.jpg", "/c.jpg?w=640", "/c.jpg?width=320&dpr=2", "/640w/c.jpg", "/c-md.jpg"],
            &["/c-200x200.jpg", "/c.jpg?w=200&h=200&fit=cover", "/200x200/c.jpg", "/c.jpg?w=200&h=200&fit=cover&gravity=center"],
            &["/c.jpg?w=10&g=top", "/c.jpg?w=10", "/c.jpg?w=10&background=white"],
        ];
        for group in groups {
            let first = read(group[0]);
            for url in &group[1..] {
                assert_eq!(read(url), first, "{url} vs {}", group[0]);
            }
        }
    }

    #[test]
    fn path_grammars_keep_the_literal_reading() {
        let p = parse_with("/shop/cat-200x200.jpg?format=webp", &UrlSettings::default()).unwrap();
        let literal = p.literal.unwrap();
        assert_eq!((literal.key.as_str(), literal.transform.canonical().as_str()), ("shop/cat-200x200.jpg", "f=webp"));
        assert_eq!(parse_with("/shop/cat.jpg?w=5", &UrlSettings::default()).unwrap().literal, None);
        // A query that contradicts the path size leaves only the literal reading.
        let p = parse_with("/cat-200x200.jpg?w=50", &UrlSettings::default()).unwrap();
        assert_eq!((p.request.key.as_str(), p.literal), ("cat-200x200.jpg", None));
    }

    #[test]
    fn switched_off_grammars_do_not_match() {
        let only_query = UrlSettings { grammars: Grammars { query: true, ..Grammars::NONE }, ..UrlSettings::default() };
        for url in ["/shop/cat-200x200.jpg", "/p/640w/img.jpg", "/images/test-md.png"] {
            let p = parse_with(url, &only_query).unwrap();
            assert_eq!((p.request.key.as_str(), p.request.transform.is_identity()), (&url[1..], true), "{url}");
        }
        assert_eq!(parse_with("/kitty.jpg?size=S", &only_query).unwrap_err().status(), 400);
        // With the cloudflare grammar off, /cdn-cgi/image/... is just a (strange) key.
        assert_eq!(parse_with("/cdn-cgi/image/width=400/cat.jpg", &only_query).unwrap().request.key, "cdn-cgi/image/width=400/cat.jpg");
        let only_paths = UrlSettings { grammars: Grammars { suffix: true, ..Grammars::NONE }, ..UrlSettings::default() };
        assert!(parse_with("/cat.jpg?w=100", &only_paths).unwrap_err().message().contains("switched off"));
    }

    #[test]
    fn every_rejection_is_a_400() {
        for url in [
            "/c.jpg?w=0",
            "/c.jpg?w=99999",
            "/c.jpg?fit=fill",
            "/c.jpg?zoom=2",
            "/c.jpg?w=1&w=2",
            "/c.jpg?size=L&w=100",
            "/cdn-cgi/image/width=400",
            "/cdn-cgi/image/width/c.jpg",
            "/cdn-cgi/image/width=400/ftp://evil.example/x.jpg",
            "/cdn-cgi/image/width=400/https://user:pw@evil.example/x.jpg",
            "/_next/image?w=640",
            "/_next/image?url=/a/../b.jpg&w=640",
            "/cdn-cgi/image/width=400/../c.jpg",
            "/a%2F..%2Fc.jpg",
            "/_variants/c.jpg",
            "/c.jpg?exp=tomorrow",
        ] {
            assert_eq!(parse_with(url, &UrlSettings::default()).map(|p| p.request).unwrap_err().status(), 400, "{url}");
        }
    }

    /// Absolute-URL sources (the flow checks `REMOTE_HOSTS`): the URL is the key, Cloudflare's
    /// query string is the source's own, and Next.js's form negotiates the format.
    #[test]
    fn absolute_url_sources_are_keys() {
        for (url, key, transform) in [
            (
                "/cdn-cgi/image/width=400,fit=cover/https://images.example.com/a%20b.jpg",
                "https://images.example.com/a%20b.jpg",
                "w=400,fit=cover",
            ),
            ("/cdn-cgi/image/width=400/https:/images.example.com/a.jpg", "https://images.example.com/a.jpg", "w=400"),
            ("/cdn-cgi/image/width=400/https://images.example.com/a.jpg?v=3&sig=x", "https://images.example.com/a.jpg?v=3", "w=400"),
            (
                "/_next/image?url=https%3A%2F%2Fimages.example.com%2Fa.jpg&w=640&q=75",
                "https://images.example.com/a.jpg",
                "w=640,q=75,f=auto",
            ),
            ("/_next/image?url=%2Fphotos%2Fa%2520b.jpg&w=640&q=75", "photos/a%20b.jpg", "w=640,q=75,f=auto"),
        ] {
            assert_eq!(read(url), (key.to_string(), transform.to_string()), "{url}");
        }
    }
}
