//! `PUT /{key}` and `DELETE /{key}`: originals in and out through the worker, for whoever holds
//! `UPLOAD_TOKEN`. An upload is read whole before anything is written, and R2 replaces an object
//! atomically, so a failed or aborted upload leaves the previous original as it was; `If-Match`
//! and `If-None-Match: *` are checked by R2 in the same write (a DELETE's, which R2 cannot
//! condition, just before it: [`delete`]). Only images are taken, by their
//! bytes, not their name or declared type. This data centre learns the new version at once
//! (`MAX_STALE_S`), so its cached variants of the old one are refused on the next request.

use super::ports::{Cache, Meta, OnlyIf, PutMeta, RequestBody, Store};
use super::{Method, Ports, ReplyOf, Request};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::reply::Reply;
use crate::keys;
use crate::pipeline::codecs::{heif::container, sniff};
use crate::pipeline::{self, Codecs};
use crate::transform::Format;
use crate::url;
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// What an upload answers.
#[derive(Debug, Serialize)]
struct Uploaded<'a> {
    key: &'a str,
    size: u64,
    etag: &'a str,
    content_type: &'a str,
    format: &'a str,
    /// From the header; `null` for TIFF and a HEIF file we do not decode (HEIC with `HEIC` off).
    width: Option<u32>,
    height: Option<u32>,
}

/// What a delete answers.
#[derive(Debug, Serialize)]
struct Deleted<'a> {
    key: &'a str,
    deleted: bool,
    variants_deleted: usize,
}

pub(super) async fn handle<S: Store + 'static, C: Cache + 'static>(
    req: &Request,
    body: &dyn RequestBody,
    config: &Config,
    ports: &Ports<'_, S, C>,
) -> Result<ReplyOf<S, C>> {
    authorize(req, config)?;
    if req.query.as_deref().is_some_and(|q| !q.is_empty()) {
        return Err(Error::bad_request("uploads and deletes take no options"));
    }
    let key = url::decode_key(&req.path, &config.url)?;
    let checked_key = keys::checked_key(&req.origin, &key);
    let window = config.http.max_stale_s;
    if req.method == Method::Delete {
        let variants = delete(req, config, ports, &key).await?;
        if window > 0 {
            ports.cache.remember(&checked_key, None, window).await?;
        }
        return Ok(json(&Deleted { key: &key, deleted: true, variants_deleted: variants }, 200));
    }

    let only_if = precondition(req)?;
    let max = config.upload.max_bytes;
    if req.content_length.is_some_and(|n| n > max) {
        return Err(too_large(max));
    }
    // The upload sits in memory while it is checked: it takes its share of the isolate's budget.
    // A body of unknown length (chunked) counts as the largest allowed, and reading it stops
    // past that (`RequestBody::read`), so it never holds more.
    let slot = ports.gate.take(req.content_length.unwrap_or(max), &config.pipeline.limits, ports.clock).await?;
    let bytes = body.read(max).await?;
    let kind = Kind::of(&bytes, config, &ports.codecs.codecs(None, config.pipeline.heic))?;
    let size = bytes.len() as u64;
    let meta = PutMeta { content_type: kind.content_type.into(), custom: Vec::new() };
    let created = only_if == OnlyIf::Absent;
    let stored = ports.originals.put(&key, bytes, meta, only_if).await?;
    drop(slot);
    let stored = stored.ok_or_else(|| Error::PreconditionFailed("the stored original does not match If-Match / If-None-Match".into()))?;
    // A large original's mezzanine is made after the response, so the first sizes asked for need
    // not decode it.
    if let (true, Some(mezzanine_key)) = (kind.mezzanine, super::mezzanine::key(config, &key)) {
        super::mezzanine::make_later(ports, config, &key, mezzanine_key, &stored);
    }
    if window > 0 {
        ports.cache.remember(&checked_key, Some(&stored), window).await?;
    }
    let answer = Uploaded {
        key: &key,
        size,
        etag: &stored.http_etag,
        content_type: kind.content_type,
        format: kind.format,
        width: kind.size.map(|s| s.0),
        height: kind.size.map(|s| s.1),
    };
    Ok(json(&answer, if created { 201 } else { 200 }))
}

/// Uploads are off (405) until `UPLOAD_TOKEN` is set; then they need it as a bearer token,
/// compared in constant time. The SHA-256 digests are compared, not the tokens: a slice
/// comparison returns at once on a length mismatch, which would tell the token's length.
/// (Neither the token nor the `Authorization` header is ever logged or echoed.)
fn authorize(req: &Request, config: &Config) -> Result<()> {
    let Some(token) = &config.upload.token else { return Err(Error::MethodNotAllowed) };
    let given = req
        .authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer ").or_else(|| a.strip_prefix("bearer ")))
        .ok_or_else(|| Error::Unauthorized("uploads need Authorization: Bearer <UPLOAD_TOKEN>".into()))?;
    let digest = |t: &str| Sha256::digest(t.as_bytes());
    if bool::from(digest(given.trim()).as_slice().ct_eq(digest(token).as_slice())) {
        Ok(())
    } else {
        Err(Error::Forbidden("the upload token is wrong".into()))
    }
}

/// `If-None-Match: *` (create only) or `If-Match: "<etag>"` / `*` (replace only that version, or
/// only what exists).
fn precondition(req: &Request) -> Result<OnlyIf> {
    let unquote = |t: &str| t.trim().trim_start_matches("W/").trim_matches('"').to_string();
    match (req.if_none_match.as_deref().map(str::trim), req.if_match.as_deref().map(str::trim)) {
        (Some(_), Some(_)) => Err(Error::bad_request("give If-Match or If-None-Match, not both")),
        (Some("*"), None) => Ok(OnlyIf::Absent),
        (Some(_), None) => Err(Error::bad_request("uploads take If-None-Match: * only")),
        (None, Some("*")) => Ok(OnlyIf::Present),
        (None, Some(tag)) if !tag.contains(',') => Ok(OnlyIf::EtagIs(unquote(tag))),
        (None, Some(_)) => Err(Error::bad_request("If-Match takes one ETag")),
        (None, None) => Ok(OnlyIf::Always),
    }
}

/// Deletes the original and its persisted variants; how many variants went.
///
/// The preconditions read as a PUT's (RFC 9110 §13.1): `If-Match: "<etag>"` deletes only that
/// version and `If-Match: *` only what exists (with nothing stored, any `If-Match` is false: 412);
/// `If-None-Match: *` means "only if nothing is stored", so it is 412 whenever something is (and
/// with nothing stored there is nothing to delete: 404). A PUT's condition is checked by R2 in
/// the write itself; R2's delete takes no `onlyIf`, so here it is checked when the request
/// arrives and **again right before the original is deleted**, after the variants: a new version
/// uploaded meanwhile is kept (412). What remains is the one round trip between that last `head`
/// and the delete, in which a replacement can still be lost; a conditional DELETE costs that
/// extra `head`, an unconditional one does not (it deletes whatever is stored).
async fn delete<S: Store, C: Cache>(req: &Request, config: &Config, ports: &Ports<'_, S, C>, key: &str) -> Result<usize> {
    let only_if = precondition(req)?;
    let stored = ports.originals.head(key).await?;
    holds(&only_if, stored.as_ref())?;
    let original: Meta = stored.ok_or(Error::NotFound)?;
    // A variant of `key` is `{prefix}{key}/{transform}`, and a canonical transform has no `/`:
    // what lies deeper belongs to another original (`key/other.png`).
    let prefix = format!("{}{key}/", config.url.variant_prefix);
    let variants: Vec<String> =
        ports.variants.list(&prefix, None, usize::MAX).await?.into_iter().filter(|k| !k[prefix.len()..].contains('/')).collect();
    let count = variants.len();
    // (Variants are derived: deleting those of a version that then stays costs renders, not data.)
    ports.variants.delete(variants).await?;
    if only_if != OnlyIf::Always {
        let now = ports.originals.head(key).await?;
        if now.map(|m| m.etag) != Some(original.etag) {
            return Err(Error::PreconditionFailed("the stored original changed during the delete: it was kept".into()));
        }
    }
    ports.originals.delete(vec![key.to_string()]).await?;
    Ok(count)
}

/// Whether a DELETE's precondition holds for what is stored (R2 decides it for a PUT).
fn holds(only_if: &OnlyIf, stored: Option<&Meta>) -> Result<()> {
    match (only_if, stored) {
        (OnlyIf::Always, _) | (OnlyIf::Absent, None) | (OnlyIf::Present, Some(_)) => Ok(()),
        (OnlyIf::EtagIs(etag), Some(m)) if *etag == m.etag => Ok(()),
        (OnlyIf::Absent, Some(_)) => Err(Error::PreconditionFailed("If-None-Match: * but an original is stored: nothing deleted".into())),
        _ => Err(Error::PreconditionFailed("the stored original does not match If-Match: nothing deleted".into())),
    }
}

/// What an upload is, from its bytes.
struct Kind {
    content_type: &'static str,
    format: &'static str,
    size: Option<(u32, u32)>,
    /// An original that gets a mezzanine.
    mezzanine: bool,
}

impl Kind {
    fn of(bytes: &[u8], config: &Config, codecs: &Codecs<'_>) -> Result<Kind> {
        let other = |content_type, format| Ok(Kind { content_type, format, size: None, mezzanine: false });
        if sniff(bytes).is_ok() {
            // Stored only if it can be resized here: decoded as for a thumbnail, so a truncated or
            // damaged file (422) or a decompression bomb (413) is never stored; an SVG is sanitised
            // and drawn, so one svg-hush refuses or a `<use>` bomb is never stored either.
            return match pipeline::verify(bytes, &config.pipeline, codecs) {
                Ok(p) => Ok(Kind {
                    content_type: p.format.content_type(),
                    format: p.format.name(),
                    size: Some((p.width, p.height)),
                    mezzanine: pipeline::mezzanine::gets_one(bytes, &p, &config.pipeline.mezzanine),
                }),
                // A HEIF file of a kind we do not decode (an image sequence, HEIC with `HEIC`
                // off) is still an image to keep and serve as stored, as TIFF is.
                Err(Error::Unsupported(why)) => match container::format_of(bytes) {
                    Some(Format::Avif) => other("image/avif", "avif"),
                    Some(Format::Heic) => other("image/heic", "heic"),
                    _ => Err(Error::Unsupported(why)),
                },
                Err(e) => Err(e),
            };
        }
        if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
            return other("image/tiff", "tiff");
        }
        Err(Error::Unsupported("only images can be uploaded: JPEG, PNG, WebP, GIF, BMP, AVIF, HEIC, TIFF or SVG".into()))
    }
}

fn too_large(max: u64) -> Error {
    Error::TooLarge(format!("uploads are limited to {} MB (UPLOAD_MAX_MB)", max >> 20))
}

fn json<S, C, T: Serialize>(value: &T, status: u16) -> Reply<S, C> {
    let mut reply = Reply::json(serde_json::to_string(value).expect("plain structs serialise"));
    reply.status = status;
    reply
}
