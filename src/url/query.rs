//! The query string: transform options (Cloudflare vocabulary and `size=`/`to_webp=`), and the
//! signature parameters `sig` and `exp`, which are not options.

use super::options::{Builder, Vocabulary};
use crate::error::{Error, Result};
use crate::transform::Transform;

/// Longer query strings are refused before any parsing work.
const MAX_QUERY_BYTES: usize = 2048;

/// A URL's signature and the exact text it signs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Signature {
    /// `sig=`: base64url HMAC-SHA256 of `message`.
    pub sig: Option<String>,
    /// `exp=`: unix seconds after which the URL is refused.
    pub exp: Option<u64>,
    /// The path and query exactly as sent, without the `sig` parameter.
    pub message: String,
}

/// Splits the raw query into option pairs (percent-decoded) and the signature parameters.
pub fn split(path: &str, raw: &str) -> Result<(Vec<(String, String)>, Signature)> {
    if raw.len() > MAX_QUERY_BYTES {
        return Err(Error::bad_request(format!("the query string is over {MAX_QUERY_BYTES} bytes")));
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw).map_err(|_| Error::bad_request("the query string is malformed"))?;
    let mut signature = Signature::default();
    let mut options = Vec::new();
    for (name, value) in pairs {
        match name.as_str() {
            "sig" if signature.sig.is_none() => signature.sig = Some(value),
            "exp" if signature.exp.is_none() => {
                signature.exp = Some(value.parse().map_err(|_| Error::bad_request("exp must be a unix time in seconds"))?)
            }
            "sig" | "exp" => return Err(Error::bad_request(format!("option '{name}' is given more than once"))),
            _ => options.push((name, value)),
        }
    }
    let unsigned: Vec<&str> = raw.split('&').filter(|part| !part.is_empty() && part.split('=').next() != Some("sig")).collect();
    signature.message = if unsigned.is_empty() { path.to_string() } else { format!("{path}?{}", unsigned.join("&")) };
    Ok((options, signature))
}

/// Applies query options on top of `builder` (which may carry a size from the path).
pub fn apply(pairs: &[(String, String)], mut builder: Builder<'_>, vocabulary: Vocabulary) -> Result<Transform> {
    for (name, value) in pairs {
        builder.set(name, value, vocabulary)?;
    }
    builder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_parameters_are_split_off_and_the_message_keeps_everything_else_as_sent() {
        let (pairs, s) = split("/a%20b.jpg", "w=100&exp=1700000000&sig=abc&q=5").unwrap();
        assert_eq!(pairs, [("w".to_string(), "100".to_string()), ("q".to_string(), "5".to_string())]);
        assert_eq!((s.sig.as_deref(), s.exp), (Some("abc"), Some(1_700_000_000)));
        assert_eq!(s.message, "/a%20b.jpg?w=100&exp=1700000000&q=5");
        assert_eq!(split("/x.jpg", "sig=abc").unwrap().1.message, "/x.jpg");
        assert_eq!(split("/x.jpg", "").unwrap().1, Signature { message: "/x.jpg".into(), ..Default::default() });
    }

    #[test]
    fn refuses_malformed_signature_parameters_and_huge_queries() {
        for q in ["exp=soon", "sig=a&sig=b", "exp=1&exp=2"] {
            assert_eq!(split("/x.jpg", q).unwrap_err().status(), 400, "{q}");
        }
        assert_eq!(split("/x.jpg", &"a".repeat(3000)).unwrap_err().status(), 400);
    }
}
