//! The queue consumer: R2 event notifications → [`flow::eager`], one message at a time. A message
//! whose variants are stored (or that has nothing to do) is acknowledged; one that met a failure
//! (R2, configuration) is retried by the queue, then dead-lettered (`wrangler.toml`).

use super::{config, gate, store::R2, WaitUntil, WorkerClock, CHECKS};
use crate::flow::eager::{self, R2Event};
use crate::flow::origin::Sourced;
use crate::flow::renders::Renders;
use crate::flow::Ports;
use std::rc::Rc;
use worker::{Context, Env, MessageBatch, MessageExt};

pub async fn consume(batch: MessageBatch<R2Event>, env: Env, ctx: Context) -> worker::Result<()> {
    let config = config(&env);
    for message in batch.raw_iter() {
        // Read as JSON text: a body that is not an R2 event is acknowledged, not retried forever.
        let text = worker::js_sys::JSON::stringify(&message.body()).ok().and_then(|s| s.as_string()).unwrap_or_default();
        let event = match serde_json::from_str::<R2Event>(&text) {
            Ok(event) => event,
            Err(e) => {
                worker::console_error!("{{\"queue\":\"{}\",\"error\":\"not an R2 event notification: {e}\"}}", batch.queue());
                message.ack();
                continue;
            }
        };
        let outcome = match (&config, R2::originals(&env), R2::variants(&env)) {
            (Ok(config), Ok(originals), Ok(variants)) => {
                let ports = Ports {
                    // A new original is in R2 already: no origin behind it here.
                    originals: Rc::new(Sourced::plain(Rc::new(originals)).bounded(Rc::new(WorkerClock), config.http.r2_timeout_ms)),
                    variants: Rc::new(Sourced::plain(Rc::new(variants)).bounded(Rc::new(WorkerClock), config.http.r2_timeout_ms)),
                    cache: Rc::new(super::cache::CacheApi),
                    clock: &WorkerClock,
                    later: &WaitUntil(&ctx),
                    codecs: &super::WasmCodecs,
                    gate: gate(),
                    // Eager variants are the operator's own list: no client's budget to charge.
                    renders: &Renders::default(),
                    checks: CHECKS.with(Rc::clone),
                    limiter: None,
                };
                eager::handle(&event, config, &ports).await
            }
            (Err(e), _, _) => Err(e.clone()),
            (_, Err(e), _) | (_, _, Err(e)) => Err(e),
        };
        match outcome {
            Ok(outcome) => {
                worker::console_log!("{}", serde_json::json!({ "queue": batch.queue(), "eager": outcome }));
                message.ack();
            }
            Err(e) => {
                worker::console_error!("{}", serde_json::json!({ "queue": batch.queue(), "key": event.object.key, "error": e.message() }));
                message.retry();
            }
        }
    }
    Ok(())
}
