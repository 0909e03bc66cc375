//! AV1 decoding (dav1d in a wasm module of its own, through `js/avif.mjs`): the pipeline's
//! `Av1Decoder` in the worker.

use crate::error::{Error, Result};
use crate::pipeline::avif::port::{install, Av1Decoder, Cicp, Layout, Picture, Rows};
use wasm_bindgen::prelude::*;
use worker::js_sys::{Array, Uint32Array, Uint8Array};

#[wasm_bindgen(module = "/js/avif.mjs")]
extern "C" {
    #[wasm_bindgen(catch)]
    fn av1_decode(obus: &[u8], max_pixels: u32) -> std::result::Result<Array, JsValue>;
    fn av1_memory() -> f64;
}

/// The largest linear memory a dav1d instance reached in this isolate (each is dropped after
/// its picture).
pub fn memory() -> u64 {
    av1_memory() as u64
}

struct Dav1d;

static DAV1D: Dav1d = Dav1d;

/// Makes dav1d the pipeline's AV1 decoder (once per isolate; later calls do nothing).
pub fn install_decoder() {
    install(&DAV1D);
}

/// wasi-libc's errno numbers, which dav1d returns negated.
const ENOMEM: i32 = 48;

impl Av1Decoder for Dav1d {
    fn decode(&self, obus: &[u8], max_pixels: u64) -> Result<Picture> {
        let limit = u32::try_from(max_pixels).map_err(|_| Error::TooLarge("AVIF: the picture is too large to decode".into()))?;
        let parts = av1_decode(obus, limit).map_err(|e| Error::Internal(format!("AV1 decoder: {e:?}")))?;
        if parts.length() == 1 {
            let code = parts.get(0).as_f64().unwrap_or(0.0) as i32;
            return Err(if code == -ENOMEM {
                Error::TooLarge("AVIF: the AV1 decoder ran out of memory".into())
            } else {
                Error::Undecodable(format!("AVIF: the AV1 data could not be decoded (dav1d error {})", -code))
            });
        }
        let info = Uint32Array::from(parts.get(0)).to_vec();
        let layout = Layout::from_dav1d(info[3]).ok_or_else(|| Error::Undecodable("AV1: unknown pixel layout".into()))?;
        let cicp = Cicp { matrix: info[9] as u8, full_range: info[10] != 0, primaries: info[11] as u8, transfer: info[12] as u8 };
        let planes = [Uint8Array::from(parts.get(1)), Uint8Array::from(parts.get(2)), Uint8Array::from(parts.get(3))];
        let rows = PlaneViews { planes, strides: [info[7], info[8], info[8]] };
        Ok(Picture { width: info[0], height: info[1], bit_depth: info[2] as u8, layout, cicp, rows: Box::new(rows) })
    }
}

/// Views of the planes in the decoder instance's memory (kept alive by them until dropped).
struct PlaneViews {
    planes: [Uint8Array; 3],
    strides: [u32; 3],
}

impl Rows for PlaneViews {
    fn copy_row(&self, plane: usize, y: u32, out: &mut [u8]) -> Result<()> {
        let start = y as u64 * self.strides[plane] as u64;
        let end = start + out.len() as u64;
        if end > self.planes[plane].length() as u64 {
            return Err(Error::Undecodable("AV1: decoded plane is smaller than its size".into()));
        }
        self.planes[plane].subarray(start as u32, end as u32).copy_to(out);
        Ok(())
    }
}
