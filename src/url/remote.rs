//! Absolute-URL sources: an original fetched from another origin (on `REMOTE_HOSTS`), in
//! Cloudflare's form `/cdn-cgi/image/width=400/https://images.example.com/a.jpg` and in Next.js's
//! `/_next/image?url=https%3A%2F%2Fimages.example.com%2Fa.jpg&w=640&q=75`. The source URL is the
//! original's key: a key from a path never has an empty segment, so `https://…` names no R2
//! object, and the key (so the canonical transform's cache key, variant key, ETag and signature)
//! is the URL itself.

use crate::error::{Error, Result};

/// Longer source URLs are refused (R2's key limit, with room for the variant prefix).
const MAX_URL_BYTES: usize = 900;

/// Whether an original's key is an absolute URL (a remote original).
pub fn is_remote(key: &str) -> bool {
    key.starts_with("https://") || key.starts_with("http://")
}

/// Whether a path (after the options) starts an absolute URL, also when a proxy folded its `//`.
pub fn starts_remote(path: &str) -> bool {
    ["https:/", "http:/"].iter().any(|p| path.starts_with(p))
}

/// The source URL `text` names (percent-encoded as sent), with `query` as its own query string:
/// `http(s)`, a host, no user name or password, no fragment.
pub fn source(text: &str, query: Option<&str>) -> Result<String> {
    let text = match text.split_once(":/") {
        Some((scheme, rest)) if !rest.starts_with('/') => format!("{scheme}://{rest}"),
        _ => text.to_string(),
    };
    let bad = |why: &str| Error::bad_request(format!("the source URL {why}"));
    let mut url = url::Url::parse(&text).map_err(|_| bad("is not a valid URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(bad("must be http(s) with a host"));
    }
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err(bad("may not carry a user name, password or fragment"));
    }
    if url.query().is_none() {
        url.set_query(query.filter(|q| !q.is_empty()));
    }
    let url = url.to_string();
    if url.len() > MAX_URL_BYTES {
        return Err(bad(&format!("is over {MAX_URL_BYTES} bytes")));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_absolute_urls_as_sent_and_refuses_the_rest() {
        assert_eq!(source("https://images.example.com/a%20b.jpg", None).unwrap(), "https://images.example.com/a%20b.jpg");
        assert_eq!(source("https:/images.example.com/a.jpg", None).unwrap(), "https://images.example.com/a.jpg", "a folded //");
        assert_eq!(source("http://127.0.0.1:8080/a.jpg", Some("v=2")).unwrap(), "http://127.0.0.1:8080/a.jpg?v=2");
        assert_eq!(source("HTTPS://Images.Example.COM/a.jpg", None).unwrap(), "https://images.example.com/a.jpg");
        for bad in
            ["ftp://x.example/a.jpg", "https://user:pw@x.example/a.jpg", "https://x.example/a.jpg#f", "https://", "file:///etc/passwd"]
        {
            assert_eq!(source(bad, None).unwrap_err().status(), 400, "{bad}");
        }
        assert_eq!(source(&format!("https://x.example/{}", "a".repeat(1000)), None).unwrap_err().status(), 400);
        assert!(is_remote("https://x.example/a.jpg") && !is_remote("photos/https.jpg"));
    }
}
