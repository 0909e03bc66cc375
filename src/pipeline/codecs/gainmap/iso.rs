//! ISO 21496-1's gain map metadata: a binary record in an APP2 segment, on the map image (the
//! values) and on the primary (the versions only). Big-endian; every number a fraction. Read in
//! both layouts writers use (a denominator per value, or one common denominator, flag 0x08, as
//! libultrahdr writes); written with a denominator per value, which every reader takes.

use super::Values;

/// The APP2 payload starts with this.
pub const SIGNATURE: &[u8] = b"urn:iso:std:iso:ts:21496:-1\0";
const MULTICHANNEL: u8 = 0x80;
const USE_BASE_COLOUR_SPACE: u8 = 0x40;
const COMMON_DENOMINATOR: u8 = 0x08;
/// libultrahdr's mark for a base image that is the HDR rendition.
const BACKWARD: u8 = 0x04;

/// The values in an APP2 payload; `None` for the primary's version-only record, an unknown
/// minimum version, or a record cut short or with a zero denominator.
pub fn values(payload: &[u8]) -> Option<Values> {
    record(payload.strip_prefix(SIGNATURE)?)
}

/// The values of a record without the JPEG signature (as a HEIF `tmap` item holds it, after its
/// own version byte).
pub fn record(body: &[u8]) -> Option<Values> {
    let mut r = Reader { body, at: 0 };
    let minimum_version = r.u16()?;
    let _writer_version = r.u16()?;
    if minimum_version != 0 {
        return None;
    }
    let flags = r.u8()?;
    let channels = if flags & MULTICHANNEL != 0 { 3 } else { 1 };
    let (base_headroom, alternate_headroom, per_channel) = if flags & COMMON_DENOMINATOR != 0 {
        let d = r.u32()? as f64;
        let (b, a) = (r.u32()? as f64, r.u32()? as f64);
        let mut list = Vec::new();
        for _ in 0..channels {
            list.push([r.i32()? as f64, r.i32()? as f64, r.u32()? as f64, r.i32()? as f64, r.i32()? as f64].map(|n| n / d));
        }
        (b / d, a / d, list)
    } else {
        let (b, a) = (r.unsigned()?, r.unsigned()?);
        let mut list = Vec::new();
        for _ in 0..channels {
            list.push([r.signed()?, r.signed()?, r.unsigned()?, r.signed()?, r.signed()?]);
        }
        (b, a, list)
    };
    if per_channel.iter().flatten().any(|x| !x.is_finite()) || !base_headroom.is_finite() || !alternate_headroom.is_finite() {
        return None;
    }
    let pick = |i: usize| -> [f64; 3] { std::array::from_fn(|c| per_channel[c.min(per_channel.len() - 1)][i]) };
    let (base_offset, alternate_offset) = (pick(3), pick(4));
    let base_is_hdr = flags & BACKWARD != 0 || base_headroom > alternate_headroom;
    let gamma = pick(2);
    if gamma.iter().any(|g| *g <= 0.0) {
        return None;
    }
    Some(Values {
        min: pick(0),
        max: pick(1),
        gamma,
        offset_sdr: if base_is_hdr { alternate_offset } else { base_offset },
        offset_hdr: if base_is_hdr { base_offset } else { alternate_offset },
        capacity_min: base_headroom.min(alternate_headroom),
        capacity_max: base_headroom.max(alternate_headroom),
        base_is_hdr,
        channels,
        use_base_colour_space: flags & USE_BASE_COLOUR_SPACE != 0,
    })
}

/// The map image's APP2 payload for `v` (written when the original carried only `hdrgm` XMP).
pub fn for_gain_map(v: &Values) -> Vec<u8> {
    let mut p = SIGNATURE.to_vec();
    p.extend_from_slice(&[0, 0, 0, 0]); // minimum and writer version 0
    let mut flags = if v.channels == 3 { MULTICHANNEL } else { 0 };
    if v.use_base_colour_space {
        flags |= USE_BASE_COLOUR_SPACE;
    }
    p.push(flags);
    let (base_headroom, alternate_headroom) =
        if v.base_is_hdr { (v.capacity_max, v.capacity_min) } else { (v.capacity_min, v.capacity_max) };
    let (base_offset, alternate_offset) = if v.base_is_hdr { (v.offset_hdr, v.offset_sdr) } else { (v.offset_sdr, v.offset_hdr) };
    unsigned(&mut p, base_headroom);
    unsigned(&mut p, alternate_headroom);
    for c in 0..v.channels as usize {
        signed(&mut p, v.min[c]);
        signed(&mut p, v.max[c]);
        unsigned(&mut p, v.gamma[c]);
        signed(&mut p, base_offset[c]);
        signed(&mut p, alternate_offset[c]);
    }
    p
}

/// The primary image's APP2 payload: the versions alone (it says "a gain map follows").
pub fn versions() -> Vec<u8> {
    [SIGNATURE, &[0, 0, 0, 0]].concat()
}

/// The largest power of ten up to a million that keeps `x` times it inside `limit`.
fn denominator(x: f64, limit: f64) -> u32 {
    [1_000_000u32, 100_000, 10_000, 1_000, 100, 10, 1].into_iter().find(|d| (x * *d as f64).abs() < limit).unwrap_or(1)
}

fn signed(p: &mut Vec<u8>, x: f64) {
    let d = denominator(x, i32::MAX as f64);
    p.extend_from_slice(&((x * d as f64).round().clamp(i32::MIN as f64, i32::MAX as f64) as i32).to_be_bytes());
    p.extend_from_slice(&d.to_be_bytes());
}

fn unsigned(p: &mut Vec<u8>, x: f64) {
    let x = x.max(0.0);
    let d = denominator(x, u32::MAX as f64);
    p.extend_from_slice(&((x * d as f64).round().min(u32::MAX as f64) as u32).to_be_bytes());
    p.extend_from_slice(&d.to_be_bytes());
}

struct Reader<'a> {
    body: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let b = self.body.get(self.at..self.at + N)?.try_into().ok()?;
        self.at += N;
        Some(b)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take::<1>().map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take().map(u16::from_be_bytes)
    }
    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_be_bytes)
    }
    fn i32(&mut self) -> Option<i32> {
        self.take().map(i32::from_be_bytes)
    }
    /// A signed numerator over an unsigned denominator (not zero).
    fn signed(&mut self) -> Option<f64> {
        let (n, d) = (self.i32()?, self.u32()?);
        (d != 0).then(|| n as f64 / d as f64)
    }
    fn unsigned(&mut self) -> Option<f64> {
        let (n, d) = (self.u32()?, self.u32()?);
        (d != 0).then(|| n as f64 / d as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(channels: u8, base_is_hdr: bool) -> Values {
        Values {
            min: [0.0, -0.5, 0.25],
            max: [6.64386, 5.5, 4.0],
            gamma: [1.0, 2.2, 1.0],
            offset_sdr: [0.015625; 3],
            offset_hdr: [0.0; 3],
            capacity_min: 0.0,
            capacity_max: 6.64386,
            base_is_hdr,
            channels,
            use_base_colour_space: true,
        }
    }

    fn close(a: &Values, b: &Values) -> bool {
        let near = |x: &[f64], y: &[f64]| x.iter().zip(y).all(|(p, q)| (p - q).abs() < 1e-6);
        near(&a.min, &b.min)
            && near(&a.max, &b.max)
            && near(&a.gamma, &b.gamma)
            && near(&a.offset_sdr, &b.offset_sdr)
            && near(&a.offset_hdr, &b.offset_hdr)
            && near(&[a.capacity_min, a.capacity_max], &[b.capacity_min, b.capacity_max])
            && (a.base_is_hdr, a.channels, a.use_base_colour_space) == (b.base_is_hdr, b.channels, b.use_base_colour_space)
    }

    #[test]
    fn written_values_read_back_for_grey_and_colour_maps_and_either_base() {
        for (channels, hdr) in [(3, false), (3, true)] {
            assert!(close(&values(&for_gain_map(&v(channels, hdr))).unwrap(), &v(channels, hdr)));
        }
        let grey = Values { min: [0.0; 3], max: [6.64386; 3], gamma: [1.0; 3], ..v(1, false) };
        assert!(close(&values(&for_gain_map(&grey)).unwrap(), &grey));
    }

    #[test]
    fn the_common_denominator_layout_reads_and_broken_records_do_not() {
        let mut p = SIGNATURE.to_vec();
        p.extend_from_slice(&[0, 0, 0, 0, USE_BASE_COLOUR_SPACE | COMMON_DENOMINATOR]);
        for n in [1000u32, 0, 2000] {
            p.extend_from_slice(&n.to_be_bytes()); // denominator, base and alternate headroom
        }
        for n in [0i32, 2000, 1000, 15, 15] {
            p.extend_from_slice(&n.to_be_bytes()); // min, max, gamma, offsets
        }
        let read = values(&p).unwrap();
        assert_eq!((read.max, read.capacity_max, read.offset_sdr, read.channels), ([2.0; 3], 2.0, [0.015; 3], 1));
        assert!(values(&p[..p.len() - 1]).is_none(), "cut short");
        assert!(values(&versions()).is_none(), "versions only");
        let mut zero = for_gain_map(&v(1, false));
        let d = SIGNATURE.len() + 5 + 4;
        zero[d..d + 4].copy_from_slice(&[0; 4]);
        assert!(values(&zero).is_none(), "a zero denominator");
    }
}
