//! The Images binding's way in: `ImagesEngine`, a class the worker's entry module
//! (`scripts/build.sh` writes it) calls from its `Images` entrypoint. A class rather than free
//! functions: worker-build makes every exported free function an RPC method of the default
//! entrypoint, and a class keeps the shim's reset after a wasm trap.

use super::{config, gate, WasmCodecs, WorkerClock};
use crate::binding;
use crate::error::Error;
use crate::flow::binding::{self as run, Engine};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
pub struct ImagesEngine;

#[wasm_bindgen]
impl ImagesEngine {
    /// `input(…)…output(…)`: `call` is the chain as `js/binding.mjs` records it (JSON), `images` the
    /// `Uint8Array`s it names. Resolves to `{contentType, bytes, note}`; rejects with an `Error`
    /// whose `code` is Cloudflare's and whose message starts `IMAGES_TRANSFORM_ERROR <code>: `.
    pub async fn transform(env: JsValue, call: String, images: Array) -> Result<JsValue, JsValue> {
        crate::pipeline::faces::provide_model(super::faces::model);
        let made = async {
            let config = config(&env.unchecked_into())?;
            let sources: Vec<Vec<u8>> = images.iter().map(|i| i.unchecked_into::<Uint8Array>().to_vec()).collect();
            let (job, output) = binding::parse(&call, sources.len())?;
            let engine = Engine { config: &config, clock: &WorkerClock, codecs: &WasmCodecs, gate: gate() };
            run::run(&engine, &job, &output, sources).await
        }
        .await
        .map_err(|e| refusal("TRANSFORM", &e))?;
        let answer = Object::new();
        set(&answer, "contentType", &made.content_type.into());
        set(&answer, "bytes", &Uint8Array::from(made.bytes.as_slice()).into());
        set(&answer, "note", &made.note.map_or(JsValue::NULL, |n| n.into()));
        Ok(answer.into())
    }

    /// `info(…)`: `{format, fileSize, width, height}`, or `{format}` for SVG.
    pub fn info(image: Uint8Array) -> Result<JsValue, JsValue> {
        let info = run::info(&image.to_vec()).map_err(|e| refusal("INFO", &e))?;
        let answer = Object::new();
        set(&answer, "format", &info.format.into());
        if let (Some(size), Some(w), Some(h)) = (info.file_size, info.width, info.height) {
            set(&answer, "fileSize", &(size as f64).into());
            set(&answer, "width", &w.into());
            set(&answer, "height", &h.into());
        }
        Ok(answer.into())
    }
}

fn set(object: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &key.into(), value);
}

/// As Cloudflare's wrapper words its errors: `IMAGES_<OP>_ERROR <code>: <message>`, with `code`.
fn refusal(op: &str, e: &Error) -> JsValue {
    let code = binding::code(e);
    let error = js_sys::Error::new(&format!("IMAGES_{op}_ERROR {code}: {}", e.message()));
    set(&error, "code", &code.into());
    error.into()
}
