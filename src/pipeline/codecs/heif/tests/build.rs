//! HEIF files put together box by box for the tests.

pub(super) fn bmff(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    b.extend_from_slice(kind);
    b.extend_from_slice(body);
    b
}

pub(super) fn full(kind: &[u8; 4], version: u8, flags: u8, body: &[u8]) -> Vec<u8> {
    bmff(kind, &[&[version, 0, 0, flags][..], body].concat())
}

/// An item: id, type, property indices (1-based), data, whether it is stored in `idat`.
pub(super) type ItemSpec = (u32, [u8; 4], Vec<u8>, Vec<u8>, bool);

/// A HEIF file put together box by box: items with their properties, data and references.
#[derive(Default)]
pub(super) struct File {
    pub(super) brands: Vec<&'static [u8; 4]>,
    pub(super) primary: u32,
    pub(super) items: Vec<ItemSpec>,
    pub(super) properties: Vec<Vec<u8>>,
    pub(super) references: Vec<([u8; 4], u32, Vec<u32>)>,
    /// Items whose location is this many extents, each from their data to the end of the file.
    pub(super) to_the_end: Vec<(u32, u16)>,
}

impl File {
    pub(super) fn property(&mut self, b: Vec<u8>) -> u8 {
        self.properties.push(b);
        self.properties.len() as u8
    }

    fn meta(&self, mdat_start: u32) -> Vec<u8> {
        let infe: Vec<u8> = self
            .items
            .iter()
            .flat_map(|(id, kind, ..)| full(b"infe", 2, 0, &[&(*id as u16).to_be_bytes()[..], &[0, 0], kind, b"\0"].concat()))
            .collect();
        let iinf = full(b"iinf", 0, 0, &[&(self.items.len() as u16).to_be_bytes()[..], &infe].concat());
        // iloc version 1: 4-byte offsets and lengths, no base offset, construction methods.
        let mut iloc = vec![0x44, 0x00];
        iloc.extend((self.items.len() as u16).to_be_bytes());
        let (mut in_file, mut in_idat) = (0u32, 0u32);
        for (id, _, _, data, idat) in &self.items {
            iloc.extend((*id as u16).to_be_bytes());
            let at = if *idat { &mut in_idat } else { &mut in_file };
            let offset = if *idat { *at } else { mdat_start + *at };
            match self.to_the_end.iter().find(|(i, _)| i == id) {
                Some(&(_, count)) => {
                    iloc.extend([0, *idat as u8, 0, 0]);
                    iloc.extend(count.to_be_bytes());
                    for _ in 0..count {
                        iloc.extend(offset.to_be_bytes());
                        iloc.extend(0u32.to_be_bytes());
                    }
                }
                None => {
                    iloc.extend([0, *idat as u8, 0, 0, 0, 1]);
                    iloc.extend(offset.to_be_bytes());
                    iloc.extend((data.len() as u32).to_be_bytes());
                }
            }
            *at += data.len() as u32;
        }
        let iloc = full(b"iloc", 1, 0, &iloc);
        let iref: Vec<u8> = self
            .references
            .iter()
            .flat_map(|(kind, from, to)| {
                let ids: Vec<u8> = to.iter().flat_map(|t| (*t as u16).to_be_bytes()).collect();
                bmff(kind, &[&(*from as u16).to_be_bytes()[..], &(to.len() as u16).to_be_bytes(), &ids].concat())
            })
            .collect();
        let mut ipma = (self.items.len() as u32).to_be_bytes().to_vec();
        for (id, _, props, ..) in &self.items {
            ipma.extend((*id as u16).to_be_bytes());
            ipma.push(props.len() as u8);
            ipma.extend(props);
        }
        let iprp = bmff(b"iprp", &[bmff(b"ipco", &self.properties.concat()), full(b"ipma", 0, 0, &ipma)].concat());
        let idat: Vec<u8> = self.items.iter().filter(|i| i.4).flat_map(|i| i.3.clone()).collect();
        let pitm = full(b"pitm", 0, 0, &(self.primary as u16).to_be_bytes());
        full(b"meta", 0, 0, &[pitm, iinf, iloc, full(b"iref", 0, 0, &iref), iprp, bmff(b"idat", &idat)].concat())
    }

    pub(super) fn bytes(&self) -> Vec<u8> {
        let brands: Vec<u8> = self.brands.iter().flat_map(|b| b.iter().copied()).collect();
        let ftyp = bmff(b"ftyp", &[&brands[..4], &[0, 0, 0, 0], &brands].concat());
        let mdat_start = (ftyp.len() + self.meta(0).len() + 8) as u32;
        let data: Vec<u8> = self.items.iter().filter(|i| !i.4).flat_map(|i| i.3.clone()).collect();
        [ftyp, self.meta(mdat_start), bmff(b"mdat", &data)].concat()
    }
}

pub(super) fn ispe(w: u32, h: u32) -> Vec<u8> {
    full(b"ispe", 0, 0, &[w.to_be_bytes(), h.to_be_bytes()].concat())
}

/// av1C of an 8-bit 4:2:0 picture, or a grey one.
pub(super) fn av1c(grey: bool) -> Vec<u8> {
    bmff(b"av1C", &[0x81, 0x08, if grey { 0x1c } else { 0x0c }, 0])
}

/// One AV1 picture (its data is whatever the test decoder ignores), with `extra` properties.
pub(super) fn single(w: u32, h: u32, extra: Vec<Vec<u8>>) -> File {
    let mut f = File { brands: vec![b"avif", b"mif1"], primary: 1, ..File::default() };
    let mut props = vec![f.property(ispe(w, h)), f.property(av1c(false))];
    for b in extra {
        props.push(f.property(b));
    }
    f.items.push((1, *b"av01", props, vec![1, 2, 3], false));
    f
}
