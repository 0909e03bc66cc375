//! The fonts an SVG's `<text>` is drawn with: DejaVu Sans, Serif and Sans Mono for the generic
//! families, Liberation Sans, Serif and Mono (the widths of Arial, Times and Courier) for those
//! names, all cut to Latin (assets/fonts, `scripts/fixtures/fonts.sh`), and the operator's own (`FONTS`,
//! read from R2 by the flow once per isolate and added here). Never the system's, never fetched
//! by a document.
//!
//! A family nobody has falls back as fontconfig does for librsvg on Debian: the metric aliases
//! below, other known serif and monospace names to those generics, anything else to sans-serif.

use crate::error::{Error, Result};
use resvg::usvg::fontdb::{Database, Family, Query, Source, Stretch, Style, Weight, ID};
use resvg::usvg::{Font, FontFamily, FontResolver, FontStretch, FontStyle};
use std::cell::RefCell;
use std::sync::Arc;

#[cfg(test)]
mod tests;

/// The bundled faces: 286 KB, 158 KB gzip.
const BUNDLED: [&[u8]; 11] = [
    include_bytes!("../../../../assets/fonts/DejaVuSans.ttf"),
    include_bytes!("../../../../assets/fonts/DejaVuSans-Bold.ttf"),
    include_bytes!("../../../../assets/fonts/DejaVuSerif.ttf"),
    include_bytes!("../../../../assets/fonts/DejaVuSerif-Bold.ttf"),
    include_bytes!("../../../../assets/fonts/DejaVuSansMono.ttf"),
    include_bytes!("../../../../assets/fonts/DejaVuSansMono-Bold.ttf"),
    include_bytes!("../../../../assets/fonts/LiberationSans-Regular.ttf"),
    include_bytes!("../../../../assets/fonts/LiberationSans-Bold.ttf"),
    include_bytes!("../../../../assets/fonts/LiberationSerif-Regular.ttf"),
    include_bytes!("../../../../assets/fonts/LiberationSerif-Bold.ttf"),
    include_bytes!("../../../../assets/fonts/LiberationMono-Regular.ttf"),
];

/// Families drawn with the bundled face of the same widths (fontconfig's 30-metric-aliases).
const METRIC: [(&str, &str); 9] = [
    ("arial", "Liberation Sans"),
    ("helvetica", "Liberation Sans"),
    ("helvetica neue", "Liberation Sans"),
    ("arimo", "Liberation Sans"),
    ("times", "Liberation Serif"),
    ("times new roman", "Liberation Serif"),
    ("tinos", "Liberation Serif"),
    ("courier", "Liberation Mono"),
    ("courier new", "Liberation Mono"),
];
/// Other names that mean a serif or a monospace face when the document's own is missing.
const SERIF: [&str; 4] = ["georgia", "garamond", "cambria", "palatino"];
const MONOSPACE: [&str; 5] = ["consolas", "menlo", "monaco", "lucida console", "cousine"];

/// This isolate's fonts: the bundled ones, then what [`add`] brought.
struct Fonts {
    db: Arc<Database>,
    /// Bytes of the operator's fonts held (the bundled ones are in the module's data).
    added_bytes: u64,
    /// The `FONTS` keys read so far (found or not), so each is asked for once.
    read: Vec<String>,
    /// Why some of them are not used, said on every SVG drawn here ([`problems`]).
    problems: Vec<String>,
}

thread_local! {
    static FONTS: RefCell<Option<Fonts>> = const { RefCell::new(None) };
}

fn with<T>(f: impl FnOnce(&mut Fonts) -> T) -> T {
    FONTS.with(|cell| f(cell.borrow_mut().get_or_insert_with(bundled)))
}

fn bundled() -> Fonts {
    let mut db = Database::new();
    for face in BUNDLED {
        db.load_font_source(Source::Binary(Arc::new(face)));
    }
    db.set_sans_serif_family("DejaVu Sans");
    db.set_serif_family("DejaVu Serif");
    db.set_monospace_family("DejaVu Sans Mono");
    db.set_cursive_family("DejaVu Serif");
    db.set_fantasy_family("DejaVu Sans");
    Fonts { db: Arc::new(db), added_bytes: 0, read: Vec::new(), problems: Vec::new() }
}

/// The database to parse a document with (shared, not copied).
pub fn database() -> Arc<Database> {
    with(|f| f.db.clone())
}

/// Bytes the operator's fonts hold in this isolate, for admission.
pub fn held_bytes() -> u64 {
    with(|f| f.added_bytes)
}

/// Which of `keys` this isolate has not read yet.
pub fn unread(keys: &[String]) -> Vec<String> {
    with(|f| keys.iter().filter(|k| !f.read.contains(k)).cloned().collect())
}

/// Why some `FONTS` are not used here, if any are not.
pub fn problems() -> Option<String> {
    with(|f| (!f.problems.is_empty()).then(|| f.problems.join("; ")))
}

/// The largest font file read, and the largest a WOFF2 may unpack to: a font is held for the
/// isolate's life (a CJK face is 5–20 MB: one that size belongs in a subset).
pub const MAX_FONT_BYTES: u64 = 8 << 20;

/// What the flow found under a `FONTS` key.
pub fn missing(key: &str) -> Error {
    Error::bad_request(format!("FONTS: {key} is not in the bucket"))
}

/// The same for a file over [`MAX_FONT_BYTES`].
pub fn too_large(key: &str, bytes: u64) -> Error {
    Error::TooLarge(format!("FONTS: {key} is {} MB, over the {} MB a font may take", bytes.div_ceil(1 << 20), MAX_FONT_BYTES >> 20))
}

/// Adds the font file `key` held (TTF, OTF, a collection, or WOFF2), or says why not (nothing
/// is added then, and [`problems`] says so from then on): `file` is the refusal when the flow
/// already has one ([`missing`], [`too_large`]). Either way it is not asked for again.
pub fn add(key: &str, file: Result<Vec<u8>>) -> Result<()> {
    with(|f| f.read.push(key.to_string()));
    let added = file.and_then(|bytes| add_font(key, bytes));
    if let Err(e) = &added {
        with(|f| f.problems.push(e.message().to_string()));
    }
    added
}

fn add_font(key: &str, bytes: Vec<u8>) -> Result<()> {
    let sfnt = sfnt(key, bytes)?;
    let len = sfnt.len() as u64;
    with(|f| {
        let db = Arc::make_mut(&mut f.db);
        let ids = db.load_font_source(Source::Binary(Arc::new(sfnt)));
        if ids.is_empty() {
            return Err(Error::bad_request(format!("FONTS: {key} has no face fontdb can read")));
        }
        f.added_bytes += len;
        Ok(())
    })
}

/// A font file as fontdb reads it (a WOFF2 unpacked), within [`MAX_FONT_BYTES`]; `key` names it
/// in errors.
pub fn sfnt(key: &str, bytes: Vec<u8>) -> Result<Vec<u8>> {
    // A WOFF2 says what it unpacks to (totalSfntSize): checked before anything is unpacked.
    let unpacked = bytes.get(16..20).map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as u64);
    let declared = if bytes.starts_with(b"wOF2") { unpacked } else { bytes.len() as u64 };
    if declared.max(bytes.len() as u64) > MAX_FONT_BYTES {
        return Err(too_large(key, declared.max(bytes.len() as u64)));
    }
    let sfnt = match bytes.get(..4) {
        Some(b"wOF2") => wuff::decompress_woff2(&bytes).map_err(|e| Error::bad_request(format!("FONTS: {key}: WOFF2 {e:?}")))?,
        Some(b"OTTO" | b"true" | b"ttcf" | [0, 1, 0, 0]) => bytes,
        _ => return Err(Error::bad_request(format!("FONTS: {key} is not a TTF, OTF or WOFF2 font"))),
    };
    Ok(sfnt)
}

/// usvg's resolver with the fallback above; the per-character fallback is usvg's own.
pub fn resolver() -> FontResolver<'static> {
    FontResolver { select_font: Box::new(select), ..FontResolver::default() }
}

fn family(family: &FontFamily) -> Family<'_> {
    match family {
        FontFamily::Serif => Family::Serif,
        FontFamily::SansSerif => Family::SansSerif,
        FontFamily::Cursive => Family::Cursive,
        FontFamily::Fantasy => Family::Fantasy,
        FontFamily::Monospace => Family::Monospace,
        FontFamily::Named(name) => Family::Name(name),
    }
}

fn select(font: &Font, db: &mut Arc<Database>) -> Option<ID> {
    let named: Vec<String> =
        font.families().iter().filter_map(|f| if let FontFamily::Named(n) = f { Some(n.to_ascii_lowercase()) } else { None }).collect();
    // Each family the document names (an operator's font wins), then its alias, in its order.
    let mut families: Vec<Family> = Vec::new();
    for f in font.families() {
        families.push(family(f));
        let alias = |n: &String| METRIC.iter().find(|(name, _)| n.eq_ignore_ascii_case(name)).map(|(_, to)| Family::Name(to));
        families.extend(if let FontFamily::Named(n) = f { alias(n) } else { None });
    }
    families.push(match named.first().map(String::as_str) {
        Some(n) if SERIF.contains(&n) => Family::Serif,
        Some(n) if MONOSPACE.contains(&n) => Family::Monospace,
        _ => Family::SansSerif,
    });
    let style = match font.style() {
        FontStyle::Normal => Style::Normal,
        FontStyle::Italic => Style::Italic,
        FontStyle::Oblique => Style::Oblique,
    };
    let stretch = match font.stretch() {
        FontStretch::UltraCondensed => Stretch::UltraCondensed,
        FontStretch::ExtraCondensed => Stretch::ExtraCondensed,
        FontStretch::Condensed => Stretch::Condensed,
        FontStretch::SemiCondensed => Stretch::SemiCondensed,
        FontStretch::Normal => Stretch::Normal,
        FontStretch::SemiExpanded => Stretch::SemiExpanded,
        FontStretch::Expanded => Stretch::Expanded,
        FontStretch::ExtraExpanded => Stretch::ExtraExpanded,
        FontStretch::UltraExpanded => Stretch::UltraExpanded,
    };
    db.query(&Query { families: &families, weight: Weight(font.weight()), stretch, style })
}
