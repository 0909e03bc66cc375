//! The face model, a Data module of the entry (build/worker.mjs hands it over on `globalThis`,
//! as it does the codecs' .wasm): outside our memory until the first `gravity=face` crop copies
//! it in (`pipeline::faces`).

/// A copy of the model's bytes, if the entry module has it.
pub fn model() -> Option<Vec<u8>> {
    let value = js_sys::Reflect::get(&js_sys::global(), &"__EDGE_IMAGE_RESIZER_FACE_MODEL__".into()).ok()?;
    let buffer: js_sys::ArrayBuffer = wasm_bindgen::JsCast::dyn_into(value).ok()?;
    Some(js_sys::Uint8Array::new(&buffer).to_vec())
}
