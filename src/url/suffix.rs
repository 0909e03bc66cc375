//! Size and preset suffixes on the file name: `cat-200x200.jpg`, `cat-640w.jpg`, `cat-480h.jpg`
//! (size tokens) and `test-md.png` (named presets from `PRESETS`) → `cat.jpg`, `test.png`.

use crate::config::UrlSettings;
use crate::transform::SizeSpec;

/// `name-token.ext` → (`name.ext` with its directory, `token`).
fn split(key: &str) -> Option<(String, &str)> {
    let (dir, file) = match key.rsplit_once('/') {
        Some((d, f)) => (Some(d), f),
        None => (None, key),
    };
    let (stem, ext) = file.rsplit_once('.')?;
    let (name, token) = stem.rsplit_once('-')?;
    if name.is_empty() || ext.is_empty() {
        return None;
    }
    let original = match dir {
        Some(d) => format!("{d}/{name}.{ext}"),
        None => format!("{name}.{ext}"),
    };
    Some((original, token))
}

/// `cat-200x200.jpg`, `cat-640w.jpg`, `cat-480h.jpg`.
pub fn parse_size(key: &str) -> Option<(String, SizeSpec)> {
    let (original, token) = split(key)?;
    Some((original, SizeSpec::parse(token, false)?))
}

/// `test-md.png`, with `md` one of the configured presets.
pub fn parse_named(key: &str, settings: &UrlSettings) -> Option<(String, SizeSpec)> {
    let (original, token) = split(key)?;
    let (_, size) = settings.presets.iter().find(|(name, _)| name == token)?;
    Some((original, *size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_suffixes() {
        assert_eq!(parse_size("shop/cat-200x200.jpg").map(|(k, s)| (k, s.to_string())), Some(("shop/cat.jpg".into(), "200x200".into())));
        assert_eq!(parse_size("my-cat-640w.jpg").unwrap().0, "my-cat.jpg");
        assert_eq!(parse_size("cat-480h.jpg").unwrap().1.to_string(), "480h");
        for not in ["cat.jpg", "cat-big.jpg", "-200x200.jpg", "cat-200x200", "dir-200x200/cat.jpg"] {
            assert_eq!(parse_size(not), None, "{not}");
        }
    }

    #[test]
    fn named_presets() {
        let c = UrlSettings::default();
        assert_eq!(parse_named("images/test-md.png", &c).map(|(k, s)| (k, s.to_string())), Some(("images/test.png".into(), "640w".into())));
        assert_eq!(parse_named("x-xl.jpg", &c).unwrap().1.to_string(), "1920w");
        assert_eq!(parse_named("x-huge.jpg", &c), None);
    }
}
