//! A size segment just before the file name: `/produs_227613/360x270/img.jpg` → key
//! `produs_227613/img.jpg`; also `/100x100/img.jpg`, `/p/640w/img.jpg`, `/p/480h/img.jpg`.

use crate::transform::SizeSpec;

/// Returns the original's key and the size, when the second-to-last segment is a size token.
pub fn parse(key: &str) -> Option<(String, SizeSpec)> {
    let segments: Vec<&str> = key.split('/').collect();
    let n = segments.len();
    if n < 2 {
        return None;
    }
    let size = SizeSpec::parse(segments[n - 2], false)?;
    let original = [&segments[..n - 2], &segments[n - 1..]].concat().join("/");
    Some((original, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_size_segment_is_removed_from_the_key() {
        let (k, s) = parse("produs_227613/360x270/img.jpg").unwrap();
        assert_eq!((k.as_str(), s.to_string()), ("produs_227613/img.jpg", "360x270".to_string()));
        assert_eq!(parse("100x100/img.jpg").unwrap().0, "img.jpg");
        assert_eq!(parse("p/640w/img.jpg").unwrap().1.to_string(), "640w");
        assert_eq!(parse("p/480h/img.jpg").unwrap().1.to_string(), "480h");
        assert_eq!(parse("img.jpg"), None);
        assert_eq!(parse("p/large/img.jpg"), None);
    }
}
