//! The HEIF container (ISO/IEC 23008-12) that AVIF and HEIC files share: items (`iinf`), where
//! their bytes are (`iloc`, in the file or in `idat`), how they refer to each other (`iref`: a
//! grid's tiles, an alpha plane's image) and their properties (`ipco` through `ipma`: size,
//! codec configuration, rotation, colour). Read here because no maintained crate reads grids
//! with few dependencies (avif-parse and mp4parse refuse them: docs/architecture.md); the file is borrowed,
//! never copied, and anything malformed is a 422 rather than a guess. [`heif`](super)
//! reads images from it.

use crate::error::{Error, Result};
use crate::transform::Format;
use std::borrow::Cow;

pub struct Heif<'a> {
    file: &'a [u8],
    pub brands: Vec<[u8; 4]>,
    pub primary: u32,
    items: Vec<Item>,
    properties: Vec<([u8; 4], &'a [u8])>,
    references: Vec<Reference>,
    idat: &'a [u8],
}

struct Item {
    id: u32,
    kind: [u8; 4],
    /// Indices into `properties`.
    properties: Vec<usize>,
    /// In `idat` rather than the file.
    in_idat: bool,
    /// (offset, length); length `None` runs to the end.
    extents: Vec<(u64, Option<u64>)>,
}

struct Reference {
    kind: [u8; 4],
    from: u32,
    to: Vec<u32>,
}

fn bad(what: &str) -> Error {
    Error::Undecodable(format!("HEIF container: {what}"))
}

/// Big-endian reads that fail as a 422 instead of panicking.
struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Self {
        Reader { data, at: 0 }
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.data.len()).ok_or_else(|| bad("a box ends early"))?;
        let b = &self.data[self.at..end];
        self.at = end;
        Ok(b)
    }

    /// An unsigned number of `n` bytes (0 to 8).
    fn uint(&mut self, n: usize) -> Result<u64> {
        Ok(self.bytes(n)?.iter().fold(0u64, |v, &b| v << 8 | b as u64))
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.bytes(1)?[0])
    }

    fn u16(&mut self) -> Result<u32> {
        Ok(self.uint(2)? as u32)
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(self.uint(4)? as u32)
    }

    /// A 16-bit number in version 0 of a box, 32-bit in later ones.
    fn id(&mut self, version: u8) -> Result<u32> {
        if version == 0 {
            self.u16()
        } else {
            self.u32()
        }
    }

    fn fourcc(&mut self) -> Result<[u8; 4]> {
        Ok(self.bytes(4)?.try_into().expect("four bytes"))
    }
}

/// ISO BMFF boxes in `data`: (type, body). A box that does not fit ends the walk.
pub fn boxes(mut data: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    std::iter::from_fn(move || {
        let size = u32::from_be_bytes(data.get(..4)?.try_into().ok()?) as u64;
        let kind: [u8; 4] = data.get(4..8)?.try_into().ok()?;
        let (header, size) = match size {
            0 => (8, data.len() as u64),
            1 => (16, u64::from_be_bytes(data.get(8..16)?.try_into().ok()?)),
            n => (8, n),
        };
        let end = usize::try_from(size).ok().filter(|&end| end >= header && end <= data.len())?;
        let body = &data[header..end];
        data = &data[end..];
        Some((kind, body))
    })
}

/// The major and compatible brands of the `ftyp` box that starts the file.
pub fn brands(file: &[u8]) -> Vec<[u8; 4]> {
    match boxes(file).next() {
        Some((kind, ftyp)) if kind == *b"ftyp" && ftyp.len() >= 4 => {
            let rest = ftyp.get(8..).unwrap_or_default().chunks_exact(4);
            std::iter::once(&ftyp[..4]).chain(rest).map(|b| b.try_into().expect("four bytes")).collect()
        }
        _ => Vec::new(),
    }
}

/// AVIF, HEIC, or neither, from the brands of the `ftyp` box: `avif`/`avis` is AVIF; HEVC's
/// brands, or only the generic `mif1`/`msf1`, are HEIC (the items decide what is read).
pub fn format_of(bytes: &[u8]) -> Option<Format> {
    let brands = brands(bytes);
    if brands.iter().any(|b| b == b"avif" || b == b"avis") {
        return Some(Format::Avif);
    }
    let heic = [b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"];
    brands.iter().any(|b| heic.contains(&b)).then_some(Format::Heic)
}

fn child<'a>(parent: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    boxes(parent).find(|(k, _)| k == kind).map(|(_, body)| body)
}

impl<'a> Heif<'a> {
    pub fn parse(file: &'a [u8]) -> Result<Heif<'a>> {
        let meta = boxes(file)
            .find(|(k, _)| k == b"meta")
            .map(|(_, b)| b)
            .ok_or_else(|| bad("no meta box (truncated, or an image sequence alone)"))?;
        let meta = meta.get(4..).ok_or_else(|| bad("meta box ends early"))?;
        let primary = {
            // An image sequence (`avis`, `msf1`) may carry no still image at all.
            let pitm = child(meta, b"pitm")
                .ok_or_else(|| Error::Unsupported("HEIF: a file with no primary image (an image sequence alone) is not read".into()))?;
            let mut r = Reader::new(pitm);
            let version = r.u8()?;
            r.bytes(3)?;
            r.id(version)?
        };
        let mut items = read_iinf(child(meta, b"iinf").ok_or_else(|| bad("no item information"))?)?;
        read_iloc(child(meta, b"iloc").ok_or_else(|| bad("no item locations"))?, &mut items)?;
        let references = child(meta, b"iref").map(read_iref).transpose()?.unwrap_or_default();
        let iprp = child(meta, b"iprp").ok_or_else(|| bad("no item properties"))?;
        let properties: Vec<_> = boxes(child(iprp, b"ipco").ok_or_else(|| bad("no item properties"))?).collect();
        for (_, ipma) in boxes(iprp).filter(|(k, _)| k == b"ipma") {
            read_ipma(ipma, &mut items)?;
        }
        let idat = child(meta, b"idat").unwrap_or_default();
        Ok(Heif { file, brands: brands(file), primary, items, properties, references, idat })
    }

    fn item(&self, id: u32) -> Result<&Item> {
        find(&self.items, id).ok_or_else(|| bad(&format!("item {id} is not described")))
    }

    pub fn kind(&self, id: u32) -> Result<[u8; 4]> {
        Ok(self.item(id)?.kind)
    }

    /// The items of type `kind` (`tmap`, for a gain map), by id.
    pub fn items_of_kind(&self, kind: &[u8; 4]) -> Vec<u32> {
        self.items.iter().filter(|i| &i.kind == kind).map(|i| i.id).collect()
    }

    /// The item's bytes: its extents, joined only when there are several.
    pub fn data(&self, id: u32) -> Result<Cow<'a, [u8]>> {
        let item = self.item(id)?;
        let source = if item.in_idat { self.idat } else { self.file };
        let extent = |&(offset, length): &(u64, Option<u64>)| -> Result<&'a [u8]> {
            let start = usize::try_from(offset).ok().filter(|&s| s <= source.len()).ok_or_else(|| bad("an item lies outside the file"))?;
            let end = match length {
                Some(n) => start.checked_add(usize::try_from(n).unwrap_or(usize::MAX)).filter(|&e| e <= source.len()),
                None => Some(source.len()),
            };
            Ok(&source[start..end.ok_or_else(|| bad("an item lies outside the file (truncated?)"))?])
        };
        // Extents may overlap (each "to the end" of the file): joined, they must not come to more
        // than the file itself, or a few bytes of `iloc` would ask for gigabytes.
        if item.extents.len() > 1 && self.data_len(id).is_none_or(|n| n > source.len() as u64) {
            return Err(bad(&format!("item {id}'s extents add up to more than the file")));
        }
        match item.extents.as_slice() {
            [] => Err(bad(&format!("item {id} has no data"))),
            [one] => Ok(Cow::Borrowed(extent(one)?)),
            many => Ok(Cow::Owned(many.iter().map(extent).collect::<Result<Vec<_>>>()?.concat())),
        }
    }

    /// How many bytes [`Heif::data`] would give for the item, without reading them; `None` when
    /// an extent lies outside the file.
    pub fn data_len(&self, id: u32) -> Option<u64> {
        let item = self.item(id).ok()?;
        let source = if item.in_idat { self.idat } else { self.file };
        item.extents.iter().try_fold(0u64, |sum, &(offset, length)| {
            let rest = (source.len() as u64).checked_sub(offset)?;
            sum.checked_add(length.map_or(Some(rest), |n| (n <= rest).then_some(n))?)
        })
    }

    /// The item's properties of type `kind` (the bodies after the box headers), in order.
    pub fn properties(&self, id: u32, kind: &[u8; 4]) -> Vec<&'a [u8]> {
        let Some(item) = find(&self.items, id) else { return Vec::new() };
        item.properties.iter().filter_map(|&i| self.properties.get(i)).filter(|(k, _)| k == kind).map(|(_, body)| *body).collect()
    }

    /// The item's first property of type `kind`.
    pub fn property(&self, id: u32, kind: &[u8; 4]) -> Option<&'a [u8]> {
        self.properties(id, kind).into_iter().next()
    }

    /// The items `from` refers to with a reference of type `kind`, in order.
    pub fn references(&self, kind: &[u8; 4], from: u32) -> Vec<u32> {
        self.references.iter().filter(|r| &r.kind == kind && r.from == from).flat_map(|r| r.to.iter().copied()).collect()
    }

    /// The items that refer to `to` with a reference of type `kind`.
    pub fn referring(&self, kind: &[u8; 4], to: u32) -> Vec<u32> {
        self.references.iter().filter(|r| &r.kind == kind && r.to.contains(&to)).map(|r| r.from).collect()
    }

    /// `ispe`: the item's width and height.
    pub fn size(&self, id: u32) -> Option<(u32, u32)> {
        let mut r = Reader::new(self.property(id, b"ispe")?);
        r.bytes(4).ok()?;
        Some((r.u32().ok()?, r.u32().ok()?)).filter(|&(w, h)| w > 0 && h > 0)
    }

    /// `auxC`: the auxiliary type an item declares (an alpha plane's URN, for one).
    pub fn auxiliary_type(&self, id: u32) -> Option<&'a [u8]> {
        let body = self.property(id, b"auxC")?.get(4..)?;
        Some(&body[..body.iter().position(|&b| b == 0).unwrap_or(body.len())])
    }
}

/// Items are kept sorted by id (`read_iinf`) and found by binary search: a file may describe tens
/// of thousands (a grid's tiles), and looking each one up by scanning them all would take seconds.
fn find(items: &[Item], id: u32) -> Option<&Item> {
    items.binary_search_by_key(&id, |i| i.id).ok().map(|i| &items[i])
}

fn find_mut(items: &mut [Item], id: u32) -> Option<&mut Item> {
    items.binary_search_by_key(&id, |i| i.id).ok().map(move |i| &mut items[i])
}

fn read_iinf(iinf: &[u8]) -> Result<Vec<Item>> {
    let mut r = Reader::new(iinf);
    let version = r.u8()?;
    r.bytes(3)?;
    let _count = r.id(version)?;
    let mut items = Vec::new();
    for (kind, infe) in boxes(&iinf[r.at..]) {
        if kind != *b"infe" {
            continue;
        }
        let mut r = Reader::new(infe);
        let version = r.u8()?;
        r.bytes(3)?;
        if version < 2 {
            continue; // no item type: not an image item
        }
        let id = if version == 2 { r.u16()? } else { r.u32()? };
        let _protection = r.u16()?;
        let kind = r.fourcc()?;
        items.push(Item { id, kind, properties: Vec::new(), in_idat: false, extents: Vec::new() });
    }
    items.sort_by_key(|i| i.id);
    items.dedup_by_key(|i| i.id);
    Ok(items)
}

fn read_iloc(iloc: &[u8], items: &mut [Item]) -> Result<()> {
    let mut r = Reader::new(iloc);
    let version = r.u8()?;
    r.bytes(3)?;
    let sizes = r.u8()?;
    let (offset_size, length_size) = ((sizes >> 4) as usize, (sizes & 15) as usize);
    let sizes = r.u8()?;
    let base_size = (sizes >> 4) as usize;
    let index_size = if version >= 1 { (sizes & 15) as usize } else { 0 };
    if [offset_size, length_size, base_size, index_size].iter().any(|s| ![0, 4, 8].contains(s)) {
        return Err(bad("item location field sizes"));
    }
    let count = if version < 2 { r.u16()? } else { r.u32()? };
    for _ in 0..count {
        let id = if version < 2 { r.u16()? } else { r.u32()? };
        let method = if version >= 1 { r.u16()? & 15 } else { 0 };
        let reference = r.u16()?;
        let base = r.uint(base_size)?;
        let extents = r.u16()?;
        let mut found = Vec::with_capacity(extents.min(64) as usize);
        for _ in 0..extents {
            r.uint(index_size)?;
            let offset = r.uint(offset_size)?;
            let length = r.uint(length_size)?;
            found.push((base.checked_add(offset).ok_or_else(|| bad("item offset overflows"))?, (length > 0).then_some(length)));
        }
        if let Some(item) = find_mut(items, id) {
            if reference != 0 || method > 1 {
                return Err(Error::Unsupported("HEIF: items stored in other files or other items are not read".into()));
            }
            item.in_idat = method == 1;
            item.extents = found;
        }
    }
    Ok(())
}

fn read_iref(iref: &[u8]) -> Result<Vec<Reference>> {
    let mut r = Reader::new(iref);
    let version = r.u8()?;
    r.bytes(3)?;
    let mut found = Vec::new();
    for (kind, body) in boxes(&iref[4..]) {
        let mut r = Reader::new(body);
        let from = r.id(version)?;
        let count = r.u16()?;
        let to = (0..count).map(|_| r.id(version)).collect::<Result<Vec<_>>>()?;
        found.push(Reference { kind, from, to });
    }
    Ok(found)
}

fn read_ipma(ipma: &[u8], items: &mut [Item]) -> Result<()> {
    let mut r = Reader::new(ipma);
    let (version, flags) = (r.u8()?, r.uint(3)?);
    let count = r.u32()?;
    for _ in 0..count {
        let id = r.id(version)?;
        let n = r.u8()?;
        let mut found = Vec::with_capacity(n as usize);
        for _ in 0..n {
            // The top bit says "essential"; the rest is the 1-based index (0: none).
            let index = if flags & 1 == 1 { r.u16()? & 0x7fff } else { (r.u8()? & 0x7f) as u32 };
            if index > 0 {
                found.push(index as usize - 1);
            }
        }
        if let Some(item) = find_mut(items, id) {
            item.properties.extend(found);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bmff(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        [&((body.len() + 8) as u32).to_be_bytes()[..], kind, body].concat()
    }

    #[test]
    fn a_sequence_without_a_still_image_is_unsupported_and_a_file_without_items_undecodable() {
        let ftyp = bmff(b"ftyp", b"avis\0\0\0\0avismsf1");
        let meta = bmff(b"meta", &[&[0, 0, 0, 0][..], &bmff(b"hdlr", &[0; 24])].concat());
        let status = |file: &[u8]| Heif::parse(file).err().map(|e| e.status());
        assert_eq!(status(&[ftyp.clone(), meta].concat()), Some(415));
        assert_eq!(status(&[ftyp.clone(), bmff(b"moov", &[])].concat()), Some(422));
        assert_eq!(format_of(&ftyp), Some(Format::Avif));
    }
}
