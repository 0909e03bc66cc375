//! `PUT` and `DELETE` of originals: the token, the preconditions, images only, nothing lost,
//! and this data centre seeing the new version at once.

use super::world::{request, World};
use super::{photo, size, world};
use crate::config::Config;
use crate::fixtures;
use crate::flow::{Method, Request};
use serde_json::Value;

const TOKEN: &str = "a-local-upload-token";

fn uploads_on() -> Config {
    Config::from_lookup(|name| (name == "UPLOAD_TOKEN").then(|| TOKEN.to_string())).unwrap()
}

fn put(key: &str) -> Request {
    Request { method: Method::Put, authorization: Some(format!("Bearer {TOKEN}")), ..request(&format!("/{key}")) }
}

fn delete(key: &str) -> Request {
    Request { method: Method::Delete, authorization: Some(format!("Bearer {TOKEN}")), ..request(&format!("/{key}")) }
}

fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body).expect("JSON")
}

#[tokio::test(start_paused = true)]
async fn an_upload_stores_the_image_typed_by_its_bytes_and_answers_what_it_is() {
    let w = world(uploads_on());
    let png = fixtures::png(&fixtures::alpha_disc(90, 60));
    // Named .jpg and declared as text: the bytes decide.
    let mut req = put("new/disc.jpg");
    req.content_length = Some(png.len() as u64);
    let (res, _) = w.send_body(req, png.clone()).await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let answer = json(&res.body);
    let stored = w.store.meta("new/disc.jpg").unwrap();
    assert_eq!(answer["key"], "new/disc.jpg");
    assert_eq!((answer["width"].as_u64(), answer["height"].as_u64(), answer["format"].as_str()), (Some(90), Some(60), Some("png")));
    assert_eq!((answer["size"].as_u64(), answer["etag"].as_str()), (Some(png.len() as u64), Some(stored.http_etag.as_str())));
    assert_eq!(stored.content_type.as_deref(), Some("image/png"));
    let (got, _) = w.get("/new/disc.jpg").await;
    assert_eq!(got.body, png, "served as uploaded");
}

#[tokio::test(start_paused = true)]
async fn without_a_token_configured_uploads_are_405_and_with_one_the_token_decides() {
    let off = world(Config::default());
    let (res, _) = off.send_body(put("a.png"), photo()).await;
    assert_eq!((res.status, res.header("allow")), (405, Some("GET, HEAD")));
    let w = world(uploads_on());
    let mut anonymous = put("a.png");
    anonymous.authorization = None;
    let (res, _) = w.send_body(anonymous, photo()).await;
    assert_eq!((res.status, res.header("www-authenticate")), (401, Some("Bearer")));
    let mut wrong = put("a.png");
    wrong.authorization = Some("Bearer a-local-upload-tokeN".into());
    assert_eq!(w.send_body(wrong, photo()).await.0.status, 403);
    let (post, _) = w.send(Request { method: Method::Other, ..request("/photo.jpg") }).await;
    assert_eq!((post.status, post.header("allow")), (405, Some("GET, HEAD, PUT, DELETE")));
    let mut wrong = delete("photo.jpg");
    wrong.authorization = Some("Bearer nope".into());
    assert_eq!(w.send(wrong).await.0.status, 403);
    assert!(w.store.meta("a.png").is_none() && w.store.meta("photo.jpg").is_some(), "nothing written, nothing deleted");
}

#[tokio::test(start_paused = true)]
async fn bad_uploads_never_touch_the_stored_original() {
    let w = world(uploads_on());
    let before = w.store.meta("photo.jpg").unwrap();
    let cases: Vec<(Request, Vec<u8>, u16)> = vec![
        (put("photo.jpg"), b"<html><script>alert(1)</script></html>".to_vec(), 415),
        (put("photo.jpg"), photo()[..40].to_vec(), 422),
        (put("photo.jpg"), photo()[..photo().len() / 2].to_vec(), 422),
        (put("photo.jpg"), fixtures::png_bomb(65536, 65536), 413),
        (put("photo.jpg"), br#"<svg xmlns="http://www.w3.org/2000/svg"><rect"#.to_vec(), 422),
        (Request { if_none_match: Some("*".into()), ..put("photo.jpg") }, photo(), 412),
        (Request { if_match: Some("\"not-it\"".into()), ..put("photo.jpg") }, photo(), 412),
        (Request { content_length: Some(21 << 20), ..put("photo.jpg") }, photo(), 413),
        // A body larger than its Content-Length says (as a chunked one may be): the limit holds while reading.
        (Request { content_length: Some(0), ..put("photo.jpg") }, vec![0xff; (20 << 20) + 1], 413),
        (put("_variants/photo.jpg/w=1"), photo(), 400),
        (put("../photo.jpg"), photo(), 400),
        (Request { query: Some("w=10".into()), ..put("photo.jpg") }, photo(), 400),
    ];
    for (req, body, status) in cases {
        let label = format!("{:?} {:?}", req.path, req.if_match.as_ref().or(req.if_none_match.as_ref()));
        let (res, _) = w.send_body(req, body).await;
        assert_eq!(res.status, status, "{label}: {}", String::from_utf8_lossy(&res.body));
        assert_eq!(w.store.meta("photo.jpg"), Some(before.clone()), "{label}: the original changed");
    }
}

#[tokio::test(start_paused = true)]
async fn preconditions_create_only_or_replace_only_that_version() {
    let w = world(uploads_on());
    let create = Request { if_none_match: Some("*".into()), ..put("fresh.jpg") };
    let (res, _) = w.send_body(create, photo()).await;
    assert_eq!(res.status, 201);
    let etag = json(&res.body)["etag"].as_str().unwrap().to_string();
    let replace = |tag: &str| Request { if_match: Some(tag.into()), ..put("fresh.jpg") };
    let png = fixtures::png(&fixtures::alpha_disc(30, 20));
    assert_eq!(w.send_body(replace(&etag), png.clone()).await.0.status, 200);
    assert_eq!(w.send_body(replace(&etag), png).await.0.status, 412, "that version is gone");
}

/// After an upload through the worker this data centre answers for the new version at once,
/// even within `MAX_STALE_S` and with the old variant cached.
async fn cached_variant(w: &World) -> Vec<u8> {
    let (old, _) = w.get("/photo.jpg?w=50").await;
    assert_eq!(w.get("/photo.jpg?w=50").await.0.header("x-cache"), Some("HIT"));
    old.body
}

#[tokio::test(start_paused = true)]
async fn an_upload_or_delete_through_the_worker_shows_at_once_here() {
    let w = world(uploads_on());
    let old = cached_variant(&w).await;
    let png = fixtures::png(&fixtures::alpha_disc(100, 100));
    assert_eq!(w.send_body(put("photo.jpg"), png).await.0.status, 200);
    let (new, _) = w.get("/photo.jpg?w=50").await;
    assert_eq!((new.header("x-cache"), size(&new.body)), (Some("MISS"), (50, 50)));
    assert_ne!(new.body, old);

    let (res, _) = w.send(delete("photo.jpg")).await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(json(&res.body)["variants_deleted"], 1);
    assert!(w.store.meta("photo.jpg").is_none() && w.store.meta("_variants/photo.jpg/w=50").is_none());
    w.clear_log();
    assert_eq!(w.get("/photo.jpg?w=50").await.0.status, 404, "the cached copy is not served");
    assert!(w.calls().is_empty(), "known absent here: {:?}", w.calls());
    assert_eq!(w.send(delete("photo.jpg")).await.0.status, 404);
}

#[tokio::test(start_paused = true)]
async fn delete_removes_only_this_originals_variants() {
    let w = world(uploads_on());
    w.put("a.png", fixtures::png(&fixtures::alpha_disc(40, 40)), "image/png");
    w.put("a.png/inner.png", fixtures::png(&fixtures::alpha_disc(40, 40)), "image/png");
    w.get("/a.png?w=10").await;
    w.get("/a.png?w=20&format=webp").await;
    w.get("/a.png/inner.png?w=10").await;
    let (res, _) = w.send(delete("a.png")).await;
    assert_eq!(json(&res.body)["variants_deleted"], 2);
    assert!(w.store.meta("_variants/a.png/inner.png/w=10").is_some(), "another original's variant stays");
    assert!(w.store.meta("a.png/inner.png").is_some());
}

/// A conditional DELETE deletes only what its condition names (RFC 9110 §13.1): a stale
/// `If-Match` or an `If-None-Match: *` while an original is stored is a 412 that leaves the
/// original and its variants; a matching `If-Match` deletes both.
#[tokio::test(start_paused = true)]
async fn a_conditional_delete_deletes_only_what_its_condition_names() {
    let w = world(uploads_on());
    let (res, _) = w.send_body(put("photo.jpg"), photo()).await;
    let etag = json(&res.body)["etag"].as_str().unwrap().to_string();
    w.get("/photo.jpg?w=50").await;
    let variant = "_variants/photo.jpg/w=50";
    assert!(w.store.meta(variant).is_some());
    let conditional = |if_match: Option<&str>, if_none_match: Option<&str>| Request {
        if_match: if_match.map(String::from),
        if_none_match: if_none_match.map(String::from),
        ..delete("photo.jpg")
    };
    for (req, label) in [
        (conditional(Some("\"not-it\""), None), "a stale If-Match"),
        (conditional(None, Some("*")), "If-None-Match: * with an original stored"),
    ] {
        let (res, _) = w.send(req).await;
        assert_eq!(res.status, 412, "{label}: {}", String::from_utf8_lossy(&res.body));
        assert!(w.store.meta("photo.jpg").is_some() && w.store.meta(variant).is_some(), "{label}: something was deleted");
    }
    let (res, _) = w.send(conditional(Some(&etag), None)).await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(json(&res.body)["variants_deleted"], 1);
    assert!(w.store.meta("photo.jpg").is_none() && w.store.meta(variant).is_none());
    // Nothing stored: If-Match cannot hold (412); If-None-Match: * holds, but there is nothing to delete (404).
    assert_eq!(w.send(conditional(Some(&etag), None)).await.0.status, 412);
    assert_eq!(w.send(conditional(Some("*"), None)).await.0.status, 412);
    assert_eq!(w.send(conditional(None, Some("*"))).await.0.status, 404);
    // `If-Match: *` deletes what exists.
    let alpha = Request { if_match: Some("*".into()), ..delete("alpha.png") };
    assert_eq!(w.send(alpha).await.0.status, 200);
    assert!(w.store.meta("alpha.png").is_none());
}

/// R2's delete takes no condition: a new version uploaded while a conditional DELETE of the old
/// one lists and deletes its variants is kept (412), not deleted with them.
#[tokio::test(start_paused = true)]
async fn a_conditional_delete_keeps_a_version_uploaded_during_it() {
    let w = world(uploads_on());
    let etag = w.store.meta("photo.jpg").unwrap().http_etag;
    w.get("/photo.jpg?w=50").await;
    w.clear_log();
    let png = fixtures::png(&fixtures::alpha_disc(40, 40));
    let deleting = w.send(Request { if_match: Some(etag), ..delete("photo.jpg") });
    let replacing = async {
        // After the DELETE's check (one R2 round trip), before it reaches the original.
        tokio::time::sleep(std::time::Duration::from_millis(super::LATENCY + super::LATENCY / 2)).await;
        w.send_body(put("photo.jpg"), png.clone()).await
    };
    let ((deleted, _), (replaced, _)) = tokio::join!(deleting, replacing);
    assert_eq!(replaced.status, 200, "{}", String::from_utf8_lossy(&replaced.body));
    assert_eq!(deleted.status, 412, "{:?}: {}", w.calls(), String::from_utf8_lossy(&deleted.body));
    assert_eq!(w.store.bytes("photo.jpg"), Some(png), "the new version is kept");
}
