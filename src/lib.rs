//! edge image resizer: originals in R2, resized on the same URL, cached with the Cache API.
//!
//! The core is plain Rust with no `worker` dependency, tested natively:
//!
//! | module      | what it decides                                                          |
//! |-------------|--------------------------------------------------------------------------|
//! | `flow`      | every request's story, in order, over small ports (store, cache, clock)  |
//! | `url`       | six URL grammars → the original's key and one canonical `Transform`      |
//! | `transform` | the canonical transform: fit, gravity, formats, orientation, sizes       |
//! | `policy`    | signatures, size allow-lists, transformable extensions                   |
//! | `pipeline`  | bytes in, bytes out: one module per step, the order in one list          |
//! | `http`      | replies and their headers, 304s, ranges, client hints, error lifetimes   |
//! | `keys`      | what names a variant: its ETag, R2 key and Cache API key                 |
//! | `binding`   | Cloudflare's Images binding: a recorded chain read as our transforms    |
//! | `config`    | `[vars]` → the settings each part reads                                  |
//! | `preflight` | `[vars]` checked by the same parser before a deploy (`check-config`)     |
//! | `trace`     | the one JSON log line per request, `/_health`                            |
//!
//! `edge` is the only code that touches the Workers runtime: it implements the flow's ports over
//! R2 and the Cache API, compiled for wasm32 with the (default) `edge` feature.

pub mod binding;
pub mod config;
pub mod error;
/// Generated test images, for the crate's own tests (the integration tests and `make-samples`
/// include the same file).
#[cfg(test)]
#[path = "../tests/support/fixtures.rs"]
mod fixtures;
pub mod flow;
pub mod http;
pub mod keys;
pub mod pipeline;
pub mod policy;
pub mod preflight;
pub mod svg;
pub mod trace;
pub mod transform;
pub mod url;

#[cfg(all(target_arch = "wasm32", feature = "edge"))]
mod edge;

/// The Worker's entry point.
#[cfg(all(target_arch = "wasm32", feature = "edge"))]
#[worker::event(fetch)]
async fn fetch(req: worker::Request, env: worker::Env, ctx: worker::Context) -> worker::Result<worker::Response> {
    pipeline::faces::provide_model(edge::faces::model);
    edge::serve(req, env, ctx).await
}

/// The queue consumer: R2 event notifications for new originals → their eager variants.
#[cfg(all(target_arch = "wasm32", feature = "edge"))]
#[worker::event(queue)]
async fn queue(batch: worker::MessageBatch<flow::eager::R2Event>, env: worker::Env, ctx: worker::Context) -> worker::Result<()> {
    pipeline::faces::provide_model(edge::faces::model);
    edge::queue::consume(batch, env, ctx).await
}
