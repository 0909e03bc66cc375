//! The coefficients a reduced decode keeps, and the four kinds of progressive scan that fill
//! them (ITU T.81 G.1.2: DC first and refinement, AC first and refinement).

use super::bits::{Bits, Huffman};
use crate::error::{Error, Result};

fn bad(what: &str) -> Error {
    Error::Undecodable(format!("JPEG: {what}"))
}

/// The natural (row-major) position of the k-th coefficient in zigzag order.
pub const ZIGZAG: [u8; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56,
    57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/// One component's blocks: the top-left `side`×`side` coefficients of each (row-major), and a
/// bit per coefficient for "non-zero so far" (bit k: zigzag position k), which refinement scans
/// need for all 64.
pub struct Plane {
    pub blocks_w: usize,
    pub blocks_h: usize,
    pub kept: Vec<i16>,
    nonzero: Vec<u64>,
}

pub struct Coefficients {
    pub side: usize,
    pub planes: Vec<Plane>,
    /// Zigzag position → index in a block's kept coefficients (`NONE` when dropped).
    slot: [u8; 64],
}

const NONE: u8 = u8::MAX;

/// Bytes a block costs at `side`: its kept coefficients and its non-zero bits.
pub fn bytes_per_block(side: usize) -> u64 {
    (side * side * 2 + 8) as u64
}

impl Coefficients {
    /// `grids`: each component's block grid (padded to whole MCUs).
    pub fn new(side: usize, grids: &[(usize, usize)]) -> Self {
        let mut slot = [NONE; 64];
        for (s, &n) in slot.iter_mut().zip(&ZIGZAG) {
            let (row, col) = (n as usize / 8, n as usize % 8);
            if row < side && col < side {
                *s = (row * side + col) as u8;
            }
        }
        let planes = grids
            .iter()
            .map(|&(w, h)| Plane { blocks_w: w, blocks_h: h, kept: vec![0; w * h * side * side], nonzero: vec![0; w * h] })
            .collect();
        Coefficients { side, planes, slot }
    }

    /// Coefficient `k` (zigzag) of block `b` of component `c` is `v`.
    fn set(&mut self, c: usize, b: usize, k: usize, v: i32) {
        let kk = self.side * self.side;
        let plane = &mut self.planes[c];
        if v != 0 {
            plane.nonzero[b] |= 1 << k;
        }
        if self.slot[k] != NONE {
            plane.kept[b * kk + self.slot[k] as usize] = v as i16;
        }
    }

    /// Which of zigzag positions `from..=to` of a block are non-zero, as bits.
    fn nonzero(&self, c: usize, b: usize, from: usize, to: usize) -> u64 {
        self.planes[c].nonzero[b] & band(from, to)
    }

    /// A correction bit of 1 for a non-zero coefficient: one more bit of its magnitude.
    fn refine(&mut self, c: usize, b: usize, k: usize, p1: i32) {
        if self.slot[k] != NONE {
            let i = b * self.side * self.side + self.slot[k] as usize;
            let v = self.planes[c].kept[i] as i32;
            if v & p1 == 0 {
                self.planes[c].kept[i] = (if v >= 0 { v + p1 } else { v - p1 }) as i16;
            }
        }
    }
}

/// Bits `from..=to` set (none when `from > to`).
fn band(from: usize, to: usize) -> u64 {
    if from > to {
        return 0;
    }
    (u64::MAX >> (63 - to)) & (u64::MAX << from)
}

/// A component taking part in a scan.
pub struct ScanComponent<'t> {
    pub plane: usize,
    /// Its sampling factors (blocks per MCU in an interleaved scan).
    pub h: usize,
    pub v: usize,
    /// Its real block grid (a non-interleaved scan codes only these).
    pub blocks_w: usize,
    pub blocks_h: usize,
    pub dc: Option<&'t Huffman>,
    pub ac: Option<&'t Huffman>,
}

pub struct Scan<'t> {
    pub components: Vec<ScanComponent<'t>>,
    /// Spectral selection (zigzag indices) and successive approximation (bit positions).
    pub ss: usize,
    pub se: usize,
    pub ah: u32,
    pub al: u32,
    /// MCUs across and down the frame (interleaved scans).
    pub mcus: (usize, usize),
    pub restart_interval: usize,
}

/// Decodes one scan's entropy-coded data into `coefs`.
pub fn decode(bits: &mut Bits, scan: &Scan, coefs: &mut Coefficients) -> Result<()> {
    let dc = scan.ss == 0;
    if scan.se > 63 || scan.ss > scan.se || (dc && scan.se != 0) || (!dc && scan.components.len() != 1) || scan.al > 13 || scan.ah > 13 {
        return Err(bad("scan parameters are invalid for a progressive JPEG"));
    }
    let mut state = State { preds: vec![0; scan.components.len()], eobrun: 0 };
    let one = |bits: &mut Bits, state: &mut State, coefs: &mut Coefficients, i: usize, b: usize| {
        let c = &scan.components[i];
        match (dc, scan.ah) {
            (true, 0) => state.dc_first(bits, table(c.dc)?, i, scan, coefs, c.plane, b),
            (true, _) => state.dc_refine(bits, scan, coefs, c.plane, b),
            (false, 0) => state.ac_first(bits, table(c.ac)?, scan, coefs, c.plane, b),
            (false, _) => state.ac_refine(bits, table(c.ac)?, scan, coefs, c.plane, b),
        }
    };
    let mut unit = 0usize;
    let mut next_unit = |bits: &mut Bits, state: &mut State| {
        if scan.restart_interval > 0 && unit > 0 && unit.is_multiple_of(scan.restart_interval) {
            bits.restart();
            state.preds.fill(0);
            state.eobrun = 0;
        }
        unit += 1;
    };
    if let [c] = &scan.components[..] {
        // Non-interleaved: the component's own blocks, row by row.
        let stride = coefs.planes[c.plane].blocks_w;
        for by in 0..c.blocks_h {
            for bx in 0..c.blocks_w {
                next_unit(bits, &mut state);
                one(bits, &mut state, coefs, 0, by * stride + bx)?;
            }
        }
    } else {
        for my in 0..scan.mcus.1 {
            for mx in 0..scan.mcus.0 {
                next_unit(bits, &mut state);
                for (i, c) in scan.components.iter().enumerate() {
                    let stride = coefs.planes[c.plane].blocks_w;
                    for v in 0..c.v {
                        for h in 0..c.h {
                            one(bits, &mut state, coefs, i, (my * c.v + v) * stride + mx * c.h + h)?;
                        }
                    }
                }
            }
        }
    }
    if bits.overran() {
        return Err(bad("the data ends inside a scan (truncated file)"));
    }
    Ok(())
}

fn table(t: Option<&Huffman>) -> Result<&Huffman> {
    t.ok_or_else(|| bad("a scan uses a Huffman table that is not defined"))
}

struct State {
    preds: Vec<i32>,
    eobrun: u32,
}

impl State {
    #[allow(clippy::too_many_arguments)]
    fn dc_first(
        &mut self,
        bits: &mut Bits,
        table: &Huffman,
        i: usize,
        scan: &Scan,
        coefs: &mut Coefficients,
        c: usize,
        b: usize,
    ) -> Result<()> {
        let size = bits.decode(table)? as u32;
        let diff = bits.signed(size)?;
        self.preds[i] = self.preds[i].wrapping_add(diff);
        coefs.set(c, b, 0, self.preds[i].wrapping_shl(scan.al));
        Ok(())
    }

    fn dc_refine(&mut self, bits: &mut Bits, scan: &Scan, coefs: &mut Coefficients, c: usize, b: usize) -> Result<()> {
        if bits.bit() {
            let i = b * coefs.side * coefs.side;
            coefs.planes[c].kept[i] |= 1 << scan.al;
        }
        Ok(())
    }

    fn ac_first(&mut self, bits: &mut Bits, table: &Huffman, scan: &Scan, coefs: &mut Coefficients, c: usize, b: usize) -> Result<()> {
        if self.eobrun > 0 {
            self.eobrun -= 1;
            return Ok(());
        }
        let mut k = scan.ss;
        while k <= scan.se {
            let rs = bits.decode(table)?;
            let (run, size) = ((rs >> 4) as usize, (rs & 15) as u32);
            if size == 0 {
                if run < 15 {
                    self.eobrun = (1 << run) - 1 + bits.take(run as u32);
                    break;
                }
                k += 16;
                continue;
            }
            k += run;
            if k > scan.se {
                return Err(bad("AC coefficients run past their band"));
            }
            let v = bits.signed(size)?;
            coefs.set(c, b, k, v.wrapping_shl(scan.al));
            k += 1;
        }
        Ok(())
    }

    fn ac_refine(&mut self, bits: &mut Bits, table: &Huffman, scan: &Scan, coefs: &mut Coefficients, c: usize, b: usize) -> Result<()> {
        let p1 = 1i32 << scan.al;
        let mut k = scan.ss;
        if self.eobrun == 0 {
            while k <= scan.se {
                let rs = bits.decode(table)?;
                let (run, size) = (rs >> 4, rs & 15);
                let mut value = 0;
                if size != 0 {
                    if size != 1 {
                        return Err(bad("a refinement scan codes a coefficient larger than one bit"));
                    }
                    value = if bits.bit() { p1 } else { -p1 };
                } else if run != 15 {
                    self.eobrun = (1 << run) + bits.take(run as u32);
                    break;
                }
                // Pass `run` coefficients that are still zero, reading a correction bit for each
                // non-zero one on the way; the new coefficient goes in the zero one after them.
                let mut zeros = !coefs.nonzero(c, b, 0, 63) & band(k, scan.se);
                for _ in 0..run {
                    zeros &= zeros.wrapping_sub(1);
                }
                let target = if zeros == 0 { scan.se + 1 } else { zeros.trailing_zeros() as usize };
                let mut passed = coefs.nonzero(c, b, k, target - 1);
                while passed != 0 {
                    if bits.bit() {
                        coefs.refine(c, b, passed.trailing_zeros() as usize, p1);
                    }
                    passed &= passed - 1;
                }
                k = target;
                if value != 0 && k <= scan.se {
                    coefs.set(c, b, k, value);
                }
                k += 1;
            }
        }
        if self.eobrun > 0 {
            // The rest of this block is in an end-of-band run: only corrections for non-zero ones.
            let mut rest = coefs.nonzero(c, b, k, scan.se);
            while rest != 0 {
                if bits.bit() {
                    coefs.refine(c, b, rest.trailing_zeros() as usize, p1);
                }
                rest &= rest - 1;
            }
            self.eobrun -= 1;
        }
        Ok(())
    }
}
