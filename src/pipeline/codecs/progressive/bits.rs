//! The entropy-coded data of one scan: a bit reader over its bytes (0xFF 0x00 stuffing, restart
//! markers) and the Huffman tables it is coded with (ITU T.81, annexes C and F).

use crate::error::{Error, Result};

fn bad(what: &str) -> Error {
    Error::Undecodable(format!("JPEG: {what}"))
}

/// Codes up to this length are decoded with one table lookup; longer ones bit by bit.
const LOOKAHEAD: u32 = 9;

/// A Huffman table, canonical as JPEG defines it (lengths 1–16 and the values in code order).
pub struct Huffman {
    /// Indexed by the next `LOOKAHEAD` bits: `(length << 8) | value`, 0 for a longer code.
    fast: Vec<u16>,
    /// For each length, the largest code of that length (−1: none) and the offset from a code to
    /// its value's index.
    max_code: [i32; 17],
    offset: [i32; 17],
    values: Vec<u8>,
}

impl Huffman {
    pub fn new(counts: &[u8; 16], values: &[u8]) -> Result<Self> {
        let total: usize = counts.iter().map(|&c| c as usize).sum();
        if total != values.len() || total > 256 {
            return Err(bad("Huffman table lengths do not match its values"));
        }
        let mut fast = vec![0u16; 1 << LOOKAHEAD];
        let (mut max_code, mut offset) = ([-1i32; 17], [0i32; 17]);
        let (mut code, mut index) = (0u32, 0usize);
        for len in 1..=16u32 {
            let n = counts[len as usize - 1] as usize;
            offset[len as usize] = index as i32 - code as i32;
            for _ in 0..n {
                // Checked before the code is used: an overfull length would index past the table.
                if code >= 1 << len {
                    return Err(bad("Huffman table has more codes than fit their lengths"));
                }
                if len <= LOOKAHEAD {
                    let shift = LOOKAHEAD - len;
                    let first = (code << shift) as usize;
                    fast[first..first + (1 << shift)].fill(((len as u16) << 8) | values[index] as u16);
                }
                code += 1;
                index += 1;
            }
            if n > 0 {
                max_code[len as usize] = code as i32 - 1;
            }
            code <<= 1;
        }
        Ok(Huffman { fast, max_code, offset, values: values.to_vec() })
    }
}

/// Reads bits most significant first. At a marker (or past the end) it supplies zero bits, as
/// libjpeg does, and remembers whether real data ran out, so a truncated file is refused.
pub struct Bits<'a> {
    data: &'a [u8],
    /// Where this scan's entropy-coded data starts.
    start: usize,
    pos: usize,
    acc: u64,
    count: u32,
    /// Zero bits appended because a marker was reached (sticky until the next restart).
    at_marker: bool,
    /// Zero bits appended because the file ended, and how many of them are still unread.
    past_end: bool,
    padding: u32,
    /// Bits past the end were used before a restart.
    truncated: bool,
}

impl<'a> Bits<'a> {
    pub fn new(data: &'a [u8], pos: usize) -> Self {
        Bits { data, start: pos, pos, acc: 0, count: 0, at_marker: false, past_end: false, padding: 0, truncated: false }
    }

    fn fill(&mut self) {
        while self.count <= 56 {
            let byte = if self.at_marker || self.pos >= self.data.len() {
                if !self.at_marker {
                    self.past_end = true;
                }
                self.padding += 8;
                0
            } else if self.data[self.pos] == 0xFF {
                if self.data.get(self.pos + 1) == Some(&0) {
                    self.pos += 2;
                    0xFF
                } else {
                    self.at_marker = true;
                    continue;
                }
            } else {
                self.pos += 1;
                self.data[self.pos - 1]
            };
            self.acc |= (byte as u64) << (56 - self.count);
            self.count += 8;
        }
    }

    fn consume(&mut self, n: u32) {
        self.acc <<= n;
        self.count -= n;
    }

    /// `n` ≤ 16 bits as an unsigned number.
    pub fn take(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        if self.count < n {
            self.fill();
        }
        let v = (self.acc >> (64 - n)) as u32;
        self.consume(n);
        v
    }

    pub fn bit(&mut self) -> bool {
        self.take(1) == 1
    }

    /// `n` bits as the signed value of magnitude category `n` (T.81 F.2.2.1, EXTEND).
    pub fn signed(&mut self, n: u32) -> Result<i32> {
        if n > 16 {
            return Err(bad("coefficient category over 16"));
        }
        let v = self.take(n) as i32;
        Ok(if n > 0 && v < 1 << (n - 1) { v - (1 << n) + 1 } else { v })
    }

    pub fn decode(&mut self, table: &Huffman) -> Result<u8> {
        if self.count < 16 {
            self.fill();
        }
        let entry = table.fast[(self.acc >> (64 - LOOKAHEAD)) as usize];
        if entry != 0 {
            self.consume(entry as u32 >> 8);
            return Ok(entry as u8);
        }
        for len in LOOKAHEAD + 1..=16 {
            let code = (self.acc >> (64 - len)) as i32;
            if code <= table.max_code[len as usize] {
                self.consume(len);
                let index = (code + table.offset[len as usize]) as usize;
                return table.values.get(index).copied().ok_or_else(|| bad("invalid Huffman code"));
            }
        }
        Err(bad("invalid Huffman code"))
    }

    /// Whether bits past the end of the file were used: the file is truncated.
    pub fn overran(&self) -> bool {
        self.truncated || (self.past_end && self.padding > self.count)
    }

    /// At a restart interval: drop the partial byte, step over the RSTn marker, start afresh.
    /// A damaged stream without the marker where it belongs goes on from the next one found.
    pub fn restart(&mut self) {
        let mut pos = self.pos;
        while pos + 1 < self.data.len() {
            if self.data[pos] == 0xFF && (0xD0..=0xD7).contains(&self.data[pos + 1]) {
                pos += 2;
                break;
            }
            if self.data[pos] == 0xFF && self.data[pos + 1] != 0 && self.data[pos + 1] != 0xFF {
                break; // another marker: the scan is over, the rest decodes as zeros
            }
            pos += 1;
        }
        *self = Bits { start: self.start, truncated: self.overran(), ..Bits::new(self.data, pos) };
    }

    /// Where the next marker after this scan's data starts.
    pub fn next_marker(&self) -> usize {
        // The accumulator holds at most 16 bytes read ahead; entropy data has no marker but RSTn.
        let mut pos = self.pos.saturating_sub(16).max(self.start);
        while pos + 1 < self.data.len() {
            let next = self.data[pos + 1];
            if self.data[pos] == 0xFF && next != 0 && next != 0xFF && !(0xD0..=0xD7).contains(&next) {
                return pos;
            }
            pos += 1;
        }
        self.data.len()
    }
}
