//! The demo page: off unless `DEMO=true`; then the page, its script and the bucket's images.

use super::world;
use crate::config::Config;

#[tokio::test(start_paused = true)]
async fn the_demo_is_served_only_when_configured_and_lists_images_not_variants() {
    let off = world(Config::default());
    assert_eq!(off.get("/").await.0.status, 404);
    assert_eq!(off.get("/_demo/images.json").await.0.status, 404);

    let mut config = Config::default();
    config.http.demo = true;
    let w = world(config);
    assert_eq!(w.get("/photo.jpg?w=100").await.0.status, 200); // leaves a persisted variant
    w.put("notes/readme.txt", b"not an image".to_vec(), "text/plain");
    let (page, _) = w.get("/").await;
    assert_eq!((page.status, page.header("content-type")), (200, Some("text/html; charset=utf-8")));
    assert!(page.header("content-security-policy").is_some_and(|p| p.contains("script-src 'self'")));
    assert!(String::from_utf8_lossy(&page.body).contains(r#"<script src="/_demo/demo.js">"#));
    let (script, _) = w.get("/_demo/demo.js").await;
    assert_eq!((script.status, script.header("content-type")), (200, Some("text/javascript; charset=utf-8")));
    let (list, _) = w.get("/_demo/images.json").await;
    let listed: serde_json::Value = serde_json::from_slice(&list.body).unwrap();
    assert_eq!(listed["images"], serde_json::json!(["alpha.png", "photo.jpg"]));

    // Variants sort before lower-case keys: 1,200 of them hide no original.
    for i in 0..1200 {
        w.put(&format!("_variants/photo.jpg/w={i}"), vec![0], "image/jpeg");
    }
    w.put("Zebra.png", vec![0], "image/png");
    let (list, _) = w.get("/_demo/images.json").await;
    let listed: serde_json::Value = serde_json::from_slice(&list.body).unwrap();
    assert_eq!(listed["images"], serde_json::json!(["Zebra.png", "alpha.png", "photo.jpg"]));
}
