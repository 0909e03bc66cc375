//! Lossy WebP from libwebp (wasm, through `js/webp.mjs`), animated WebP from libwebp's
//! animation encoder (the same module, through `js/webp_anim.mjs`): the core's `WebpEncoder`
//! in the worker.

use crate::error::{Error, Result};
use crate::pipeline::codecs::port::{AnimationWriter, WebpEncoder};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/webp.mjs")]
extern "C" {
    #[wasm_bindgen(catch)]
    async fn webp_ready() -> std::result::Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    fn webp_encode(rgba: &[u8], width: u32, height: u32, quality: f32) -> std::result::Result<Vec<u8>, JsValue>;
    fn webp_memory() -> f64;
}

#[wasm_bindgen(module = "/js/webp_anim.mjs")]
extern "C" {
    #[wasm_bindgen(catch)]
    fn webp_anim_begin(width: u32, height: u32, loops: u32, quality: f32) -> std::result::Result<(), JsValue>;
    #[wasm_bindgen(catch)]
    fn webp_anim_add(rgba: &[u8], start_ms: u32) -> std::result::Result<(), JsValue>;
    #[wasm_bindgen(catch)]
    fn webp_anim_end(end_ms: u32) -> std::result::Result<Vec<u8>, JsValue>;
    fn webp_anim_memory() -> f64;
}

/// Bytes of linear memory the largest animated WebP encode reached.
pub fn animation_memory() -> u64 {
    webp_anim_memory() as u64
}

/// Bytes of linear memory the largest still WebP encode reached.
pub fn memory() -> u64 {
    webp_memory() as u64
}

pub struct LibWebp(());

impl LibWebp {
    /// Instantiates the encoder (once per isolate) so that encoding itself is synchronous.
    pub async fn ready() -> Result<LibWebp> {
        webp_ready().await.map_err(|e| Error::Internal(format!("WebP encoder: {}", js_message(&e))))?;
        Ok(LibWebp(()))
    }
}

impl WebpEncoder for LibWebp {
    fn encode_rgba(&self, rgba: &[u8], width: u32, height: u32, quality: u8) -> Result<Vec<u8>> {
        webp_encode(rgba, width, height, quality as f32).map_err(|e| Error::Internal(format!("WebP encoder: {}", js_message(&e))))
    }

    fn animation(&self, width: u32, height: u32, loops: u32, quality: u8) -> Result<Box<dyn AnimationWriter>> {
        webp_anim_begin(width, height, loops, quality as f32)
            .map_err(|e| Error::Internal(format!("WebP animation: {}", js_message(&e))))?;
        Ok(Box::new(LibWebpAnimation))
    }
}

/// The animation `js/webp_anim.mjs` is writing (one at a time: the pipeline is synchronous).
struct LibWebpAnimation;

impl AnimationWriter for LibWebpAnimation {
    fn add(&mut self, rgba: &[u8], start_ms: u32) -> Result<()> {
        webp_anim_add(rgba, start_ms).map_err(|e| Error::Internal(format!("WebP animation: {}", js_message(&e))))
    }

    fn finish(self: Box<Self>, end_ms: u32) -> Result<Vec<u8>> {
        webp_anim_end(end_ms).map_err(|e| Error::Internal(format!("WebP animation: {}", js_message(&e))))
    }
}

fn js_message(e: &JsValue) -> String {
    e.as_string().or_else(|| js_sys_message(e)).unwrap_or_else(|| format!("{e:?}"))
}

fn js_sys_message(e: &JsValue) -> Option<String> {
    e.dyn_ref::<worker::js_sys::Error>().map(|err| String::from(err.message()))
}
