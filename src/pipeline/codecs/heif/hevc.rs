//! HEVC in HEIF (HEIC): the `hvcC` configuration — sampling, bit depth and the parameter sets
//! (VPS, SPS, PPS) — and an item's NAL units, put into the one stream libde265's glue reads:
//! every NAL unit behind a 4-byte big-endian length, parameter sets first.

use crate::error::{Error, Result};

fn bad() -> Error {
    Error::Undecodable("HEIC: the HEVC configuration (hvcC) is malformed".into())
}

/// (chroma format: 0 grey … 3 4:4:4, luma bit depth, bytes of each NAL unit's length).
pub fn config(hvcc: &[u8]) -> Result<(u8, u8, usize)> {
    if hvcc.len() < 23 {
        return Err(bad());
    }
    Ok((hvcc[16] & 3, (hvcc[17] & 7) + 8, (hvcc[21] & 3) as usize + 1))
}

/// The stream for the decoder: the parameter sets of `hvcc`, then the NAL units of `data`.
pub fn stream(hvcc: &[u8], data: &[u8]) -> Result<Vec<u8>> {
    let (_, _, length_size) = config(hvcc)?;
    let mut out = Vec::with_capacity(hvcc.len() + data.len() + 64);
    let mut put = |nal: &[u8]| {
        out.extend_from_slice(&(nal.len() as u32).to_be_bytes());
        out.extend_from_slice(nal);
    };
    let arrays = hvcc[22] as usize;
    let mut at = 23;
    for _ in 0..arrays {
        let count = u16::from_be_bytes(hvcc.get(at + 1..at + 3).ok_or_else(bad)?.try_into().map_err(|_| bad())?) as usize;
        at += 3;
        for _ in 0..count {
            let len = u16::from_be_bytes(hvcc.get(at..at + 2).ok_or_else(bad)?.try_into().map_err(|_| bad())?) as usize;
            put(hvcc.get(at + 2..at + 2 + len).ok_or_else(bad)?);
            at += 2 + len;
        }
    }
    let mut at = 0;
    while at < data.len() {
        let len = data.get(at..at + length_size).ok_or_else(|| Error::Undecodable("HEIC: an image's data ends inside a length".into()))?;
        let len = len.iter().fold(0usize, |v, &b| v << 8 | b as usize);
        put(data
            .get(at + length_size..at + length_size + len)
            .ok_or_else(|| Error::Undecodable("HEIC: an image's data ends early".into()))?);
        at += length_size + len;
    }
    Ok(out)
}
