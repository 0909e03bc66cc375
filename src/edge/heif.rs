//! The picture decoders for HEIF input, each a wasm module of its own reached through
//! `js/heif.mjs`: dav1d (AV1, for AVIF) and libde265 (HEVC, for HEIC, installed only with
//! `HEIC=true`, which the flow decides). The pipeline's `PictureDecoder`s in the worker.

use crate::error::{Error, Result};
use crate::pipeline::codecs::port::{Cicp, Layout, Picture, PictureDecoder, Rows};
use wasm_bindgen::prelude::*;
use worker::js_sys::{Array, Uint32Array, Uint8Array};

#[wasm_bindgen(module = "/js/heif.mjs")]
extern "C" {
    #[wasm_bindgen(catch)]
    fn heif_decode(module: &str, data: &[u8], max_pixels: u32) -> std::result::Result<Array, JsValue>;
    fn heif_memory(module: &str) -> f64;
}

#[derive(Clone, Copy)]
pub enum Module {
    Dav1d,
    Libde265,
}

impl Module {
    fn name(self) -> &'static str {
        match self {
            Module::Dav1d => "dav1d",
            Module::Libde265 => "libde265",
        }
    }
}

pub struct Decoder(Module);

pub static DAV1D: Decoder = Decoder(Module::Dav1d);
pub static LIBDE265: Decoder = Decoder(Module::Libde265);

/// The largest linear memory an instance of `module` reached in this isolate (each is dropped
/// after its picture).
pub fn memory(module: Module) -> u64 {
    heif_memory(module.name()) as u64
}

impl PictureDecoder for Decoder {
    fn decode(&self, data: &[u8], max_pixels: u64) -> Result<Picture> {
        let name = self.0.name();
        let limit = u32::try_from(max_pixels).map_err(|_| Error::TooLarge("HEIF: the picture is too large to decode".into()))?;
        // A trap inside the decoder (out of memory in a C++ allocation) ends only its instance.
        let parts = heif_decode(name, data, limit).map_err(|e| Error::Undecodable(format!("HEIF: {name} failed: {}", js_message(&e))))?;
        if parts.length() == 1 {
            let code = parts.get(0).as_f64().unwrap_or(0.0) as i32;
            return Err(match (self.0, code) {
                // -48: no memory for the input (js/heif.mjs, either module; dav1d's ENOMEM too).
                (_, -48) | (Module::Libde265, -2) => {
                    Error::TooLarge(format!("HEIF: the picture is larger than its header says, or {name} ran out of memory"))
                }
                _ => Error::Undecodable(format!("HEIF: the picture could not be decoded ({name} error {code})")),
            });
        }
        let info = Uint32Array::from(parts.get(0)).to_vec();
        let layout = Layout::from_code(info[3]).ok_or_else(|| Error::Undecodable("HEIF: unknown pixel layout".into()))?;
        let cicp = Cicp { matrix: info[9] as u8, full_range: info[10] != 0, primaries: info[11] as u8, transfer: info[12] as u8 };
        let planes = [Uint8Array::from(parts.get(1)), Uint8Array::from(parts.get(2)), Uint8Array::from(parts.get(3))];
        let rows = PlaneViews { planes, strides: [info[7], info[8], info[8]] };
        Ok(Picture { width: info[0], height: info[1], bit_depth: info[2] as u8, layout, cicp, rows: Box::new(rows) })
    }
}

fn js_message(e: &JsValue) -> String {
    e.dyn_ref::<worker::js_sys::Error>().map(|err| String::from(err.message())).unwrap_or_else(|| format!("{e:?}"))
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
            return Err(Error::Undecodable("HEIF: a decoded plane is smaller than its size".into()));
        }
        self.planes[plane].subarray(start as u32, end as u32).copy_to(out);
        Ok(())
    }
}
