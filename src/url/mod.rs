//! URL grammar: turns a request path and query into the original's R2 key and a canonical
//! [`Transform`]. Nothing else in the service parses URLs.

mod key;
mod query;

use crate::config::Config;
use crate::error::Result;
use crate::transform::Transform;

pub use key::decode_key;

/// What a URL asks for: an original, and what to do to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRequest {
    /// The original's R2 key (percent-decoded, validated).
    pub key: String,
    pub transform: Transform,
}

/// Parses `path` (with its leading `/`) and the raw `query` (without `?`).
pub fn parse(path: &str, query: Option<&str>, config: &Config) -> Result<ImageRequest> {
    let key = decode_key(path, config)?;
    let transform = match query {
        Some(q) if !q.is_empty() => query::parse(q, config)?,
        _ => Transform::default(),
    };
    Ok(ImageRequest { key, transform })
}
