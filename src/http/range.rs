//! `Range` on originals (RFC 9110 §14): one byte range, for video-like progressive loading and
//! resumable downloads of large originals. Several ranges, other units and malformed headers
//! get the whole object (200), as the RFC allows; a range past the end is a 416.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ranged {
    /// Ignore the header: send everything.
    Whole,
    /// Send `length` bytes from `offset` (206).
    Part { offset: u64, length: u64 },
    /// Nothing of the object is in the range (416).
    Unsatisfiable,
}

/// Reads a `Range` header against an object of `size` bytes.
pub fn parse(header: Option<&str>, size: u64) -> Ranged {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else { return Ranged::Whole };
    if spec.contains(',') {
        return Ranged::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else { return Ranged::Whole };
    let number =
        |s: &str| (!s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<u64>().ok()).flatten();
    match (number(first), number(last), first.is_empty()) {
        // bytes=-N: the last N bytes.
        (None, Some(n), true) if n > 0 && size > 0 => {
            let length = n.min(size);
            Ranged::Part { offset: size - length, length }
        }
        (None, Some(_), true) => Ranged::Unsatisfiable,
        // bytes=A- and bytes=A-B.
        (Some(a), b, false) if last.is_empty() || b.is_some() => {
            let end = b.map_or(size, |b| b.saturating_add(1).min(size));
            if b.is_some_and(|b| b < a) {
                Ranged::Whole
            } else if a >= size {
                Ranged::Unsatisfiable
            } else {
                Ranged::Part { offset: a, length: end - a }
            }
        }
        _ => Ranged::Whole,
    }
}

/// `Content-Range` of a part, or of a 416 (`bytes */size`).
pub fn content_range(r: Ranged, size: u64) -> String {
    match r {
        Ranged::Part { offset, length } => format!("bytes {offset}-{}/{size}", offset + length - 1),
        _ => format!("bytes */{size}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_ranges() {
        assert_eq!(parse(Some("bytes=0-99"), 1000), Ranged::Part { offset: 0, length: 100 });
        assert_eq!(parse(Some("bytes=900-"), 1000), Ranged::Part { offset: 900, length: 100 });
        assert_eq!(parse(Some("bytes=900-5000"), 1000), Ranged::Part { offset: 900, length: 100 });
        assert_eq!(parse(Some("bytes=-10"), 1000), Ranged::Part { offset: 990, length: 10 });
        assert_eq!(parse(Some("bytes=-5000"), 1000), Ranged::Part { offset: 0, length: 1000 });
        assert_eq!(content_range(parse(Some("bytes=0-99"), 1000), 1000), "bytes 0-99/1000");
    }

    #[test]
    fn past_the_end_is_unsatisfiable() {
        assert_eq!(parse(Some("bytes=1000-"), 1000), Ranged::Unsatisfiable);
        assert_eq!(parse(Some("bytes=-0"), 1000), Ranged::Unsatisfiable);
        assert_eq!(content_range(Ranged::Unsatisfiable, 1000), "bytes */1000");
    }

    #[test]
    fn anything_else_is_the_whole_object() {
        for h in [
            None,
            Some(""),
            Some("bytes=0-1,5-6"),
            Some("items=0-1"),
            Some("bytes=5-2"),
            Some("bytes=a-b"),
            Some("bytes=-"),
            Some("bytes=99999999999999999999-"),
        ] {
            assert_eq!(parse(h, 1000), Ranged::Whole, "{h:?}");
        }
    }
}
