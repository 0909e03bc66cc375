//! Every configuration variable, declared once: its name, default, the values it takes and what it
//! means. The reader (`read.rs`, `origin.rs`) takes defaults and ranges from here, the deploy check
//! (`preflight`) its names and secrets, and docs/configuration.md's table is generated from it
//! (`documented.rs` fails when the page differs; `UPDATE_DOCS=1 cargo test config::` rewrites it).

/// The most any body held in memory whole may be (an original read to transform, an upload, an
/// origin's answer): twice that (the JS heap, then wasm memory) still leaves room in 128 MB.
const MAX_BODY_MB: u64 = 48;

/// One variable.
#[derive(Debug)]
pub struct Variable {
    pub name: &'static str,
    /// Its value when unset, as it would be written ("": unset, and nothing is on).
    pub default: &'static str,
    pub values: Values,
    /// Set with `wrangler secret put`, never in `wrangler.toml`, never printed.
    pub secret: bool,
    /// One line for docs/configuration.md (Markdown).
    pub meaning: &'static str,
}

/// What a variable's value may be.
#[derive(Debug, Clone, Copy)]
pub enum Values {
    /// A whole number in `min..=max`, in the unit its name says.
    Number {
        min: u64,
        max: u64,
    },
    Boolean,
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// Free text the reader checks itself; the description says its form.
    Text(&'static str),
}

const fn number(name: &'static str, default: &'static str, min: u64, max: u64, meaning: &'static str) -> Variable {
    Variable { name, default, values: Values::Number { min, max }, secret: false, meaning }
}

const fn boolean(name: &'static str, default: &'static str, meaning: &'static str) -> Variable {
    Variable { name, default, values: Values::Boolean, secret: false, meaning }
}

const fn one_of(name: &'static str, default: &'static str, words: &'static [&'static str], meaning: &'static str) -> Variable {
    Variable { name, default, values: Values::OneOf(words), secret: false, meaning }
}

const fn text(name: &'static str, default: &'static str, form: &'static str, meaning: &'static str) -> Variable {
    Variable { name, default, values: Values::Text(form), secret: false, meaning }
}

const fn secret(name: &'static str, form: &'static str, meaning: &'static str) -> Variable {
    Variable { name, default: "", values: Values::Text(form), secret: true, meaning }
}

/// In the order of docs/configuration.md's table.
pub const VARIABLES: &[Variable] = &[
    text("VARIANT_PREFIX", "_variants/", "a key prefix", "R2 key prefix of persisted variants (URLs into it are refused)"),
    text("CACHE_CONTROL", "public, max-age=31536000", "a header value", "`Cache-Control` of images"),
    number("NOT_FOUND_TTL", "60", 0, 31_536_000, "seconds a 404 may be cached (0: `no-store`)"),
    number("ERROR_TTL", "300", 0, 31_536_000, "seconds a 400, 413, 415 or 422 may be cached (0: `no-store`)"),
    number("DEFAULT_QUALITY", "", 1, 100, "the quality of every lossy output when the URL gives none (sets the three below; each of them set wins)"),
    number("QUALITY_JPEG", "85", 1, 100, "JPEG's quality when the URL gives none (Cloudflare's default is 85): one number means different things to each encoder"),
    number("QUALITY_WEBP", "85", 1, 100, "WebP's"),
    number("QUALITY_AVIF", "70", 1, 100, "AVIF's"),
    boolean("JPEG_PROGRESSIVE", "false", "`true` writes progressive JPEGs (they render coarse-to-fine, but jpeg-encoder's come out 4–15% larger on the corpus photos at q80, so baseline is the default); part of the resolved transform and so of the ETag: switching it refuses the stored variants, which are remade"),
    number("MAX_WIDTH", "4096", 1, 16_384, "largest width a URL may ask for (after `dpr`), and cap on every output"),
    number("MAX_HEIGHT", "4096", 1, 16_384, "largest height, likewise"),
    number("MEMORY_BUDGET_MB", "64", 8, 120, "peak of the worker's wasm memory one transform may reach"),
    number("ORIGINAL_MAX_MB", "32", 1, MAX_BODY_MB, "largest original read into memory to transform or describe: a larger one is refused with 413 from R2's `size`, before a byte is read; as stored it is still streamed. 48 is the most any body held whole may be (the JS heap, then wasm memory, inside 128 MB), so `UPLOAD_MAX_MB` and `ORIGIN_MAX_MB` stop there too"),
    number("IN_FLIGHT_BUDGET_MB", "32", 1, 100, "originals (bytes) one isolate reads and resizes at once: they sit in the JS heap and then in wasm memory, which share the 128 MB; one original is always admitted"),
    number("IN_FLIGHT_WAIT_MS", "3000", 0, 30_000, "how long a request over that budget waits for room before a 503"),
    number("WEBP_MEMORY_BUDGET_MB", "48", 16, 100, "peak of the WebP encoder's own wasm memory: about 4 MP of opaque WebP output, 1.3 MP with alpha"),
    number("HEIF_MEMORY_BUDGET_MB", "32", 8, 100, "peak of a HEIF picture decoder's wasm memory: dav1d for AVIF (a 12 MP 4:2:0 picture: 25 MB), libde265 for HEIC (12 MP in one picture: 48 MB; a phone's 512 px tiles: a few MB). A fresh instance per picture, so it is given back after each image"),
    number("MEZZANINE_MIN_MP", "4", 0, 1000, "originals of at least this many megapixels (JPEG, HEIC, AVIF without alpha) are decoded once: the first miss also stores a reduced copy, the **mezzanine**, and later sizes that need no more pixels are made from it (see [Performance](performance.md#mezzanines-a-large-original-is-decoded-once)); 0 turns it off"),
    number("MEZZANINE_SIDE", "2048", 256, 8192, "the mezzanine's longer side; a JPEG whose half-size decode comes within a quarter of it is kept at that size (a 12 MP phone photo: 2016×1512)"),
    boolean("HEIC", "false", "`true` decodes HEIC originals (libde265; HEVC is patent-encumbered: your choice, see [Formats](formats.md))"),
    number("MAX_STALE_S", "60", 0, 86_400, "seconds a data centre trusts what R2 last said about an original: within them hits and 304s ask R2 nothing; after them a hit is still served at once and the original checked after the response (0 checks on every request). See [How fresh a hit is](http.md#how-fresh-a-hit-is)"),
    secret("UPLOAD_TOKEN", "at least 16 characters", "turns `PUT` and `DELETE` of originals on (a token can only be guessed online, one request at a time); `npm start` writes a local one into `.dev.vars`. Compared in constant time (of its SHA-256, so not even its length shows); never logged"),
    number("UPLOAD_MAX_MB", "20", 1, MAX_BODY_MB, "largest upload"),
    text("EAGER_VARIANTS", "", "queries such as `w=640&format=webp`, space-separated, at most 16", "variants rendered for every new original from R2 event notifications (see [Eager variants](deploy.md)), each checked as a URL's query"),
    text("ORIGIN_URL", "", "an `http(s)` URL with an optional path", "an origin behind R2 ([Switch DNS on day one](deploy.md#switch-dns-on-day-one-the-bucket-empties-itself-into-r2)): an original R2 does not have is fetched from `ORIGIN_URL/<key>`, served, and copied into R2 (`https://old-bucket.s3.eu-west-1.amazonaws.com`, `http://127.0.0.1:9000/bucket`)"),
    boolean("ORIGIN_COPY", "true", "`false`: what the origin sends is served but not written into R2 (every miss reads the origin)"),
    number("ORIGIN_TIMEOUT_S", "10", 1, 120, "the whole origin fetch, body included; slower is a 504. Also for remote sources"),
    number("ORIGIN_MAX_MB", "20", 1, MAX_BODY_MB, "largest original read from the origin; larger is a 413, refused as the bytes come. Also for remote sources"),
    number("ORIGIN_MISS_TTL_S", "60", 0, 86_400, "how long an isolate remembers that the origin has no such key (or one we refuse), so a storm of 404s reaches it once"),
    text("ORIGIN_S3_REGION", "", "an AWS region such as `eu-west-1`", "a private S3 (or S3-compatible) bucket: every origin request signed with AWS Signature V4, with the two secrets below. All three or none"),
    secret("ORIGIN_S3_ACCESS_KEY_ID", "an access key id", "the S3 access key"),
    secret("ORIGIN_S3_SECRET_ACCESS_KEY", "a secret key", "its secret"),
    text("REMOTE_HOSTS", "", "origins, space- or comma-separated", "origins an absolute-URL source may name ([Remote sources](options.md#remote-sources-absolute-urls)), none by default: `https://images.example.com`, `https://*.example.com`, `http://127.0.0.1:8080`. `ORIGIN_TIMEOUT_S` and `ORIGIN_MAX_MB` apply to them"),
    number("REMOTE_MIN_TTL_S", "60", 0, 31_536_000, "a remote original's metadata is trusted for its `Cache-Control` max-age and at least this long, then revalidated"),
    number("R2_TIMEOUT_MS", "5000", 100, 60_000, "the longest one R2 call (head, get, put, list, delete) may take before it counts as failed: a stalled variant read then costs one timeout, a stalled original is a 502"),
    number("RENDER_BUDGET", "64", 0, 100_000, "distinct transforms one isolate renders of one original per window; past it 429 with `Retry-After` (0: off). Hits, persisted variants and 304s never count ([Policy](options.md#policy-size-allow-lists-presets-only-signed-urls))"),
    number("RENDER_WINDOW_S", "60", 1, 86_400, "that window, in seconds. A remote source counts by origin and path (each query string a render of it), before its download"),
    text("WIDTH_STEPS", "", "at most 64 widths, each within `MAX_WIDTH`", "widths a width-only request snaps up to, e.g. `640,750,828,1080,1200,1920` (off by default); the response names the width in `x-resize-width`; `width=auto` snaps to them instead of Cloudflare's four widths ([Client hints](options.md))"),
    one_of("SVG", "sanitize", &["sanitize", "rasterize", "refuse"], "SVG originals: `sanitize` serves them through `svg-hush` under a strict CSP (see [the HTTP contract](http.md)), `rasterize` draws plain `.svg` URLs as PNG at their own size (the document is never sent), `refuse` answers 415 (transforms too). Transforms draw them in the first two modes"),
    boolean("DEBUG_HEADERS", "false", "`true` adds `x-memory`, `x-memory-estimate` and `x-resize-source` (see [the HTTP contract](http.md))"),
    boolean("DEMO", "false", "`true` serves the demo page at `/` and the bucket's first 200 image keys at `/_demo/images.json` (`npm start` turns it on in `.dev.vars`)"),
    number("AVIF_SPEED", "8", 1, 10, "rav1e speed, 1 (slowest, smallest) … 10 (fastest); 8 measured 0.9–1.5× sharp's bytes at sharp's SSIM, 10 1.3–3.2× in a quarter to a half of the time. Part of an AVIF variant's ETag: changing it remakes them"),
    number("AVIF_MAX_SIDE", "1200", 16, 4096, "largest side of an AVIF output: CPU time grows fast with size; a larger one is served as WebP (best effort). Part of an AVIF variant's ETag, with the memory budgets"),
    boolean("AUTO_FORMAT", "false", "`true`: a transform that names no format is negotiated like `format=auto` (plain originals are still served as stored)"),
    boolean("AUTO_AVIF", "false", "`true` lets `format=auto` choose AVIF for clients that accept it"),
    number("ANIM_MAX_MEGAPIXELS", "50", 1, 1000, "`anim=true`: largest animation (canvas × frames, in MP) that is re-encoded; larger ones are served unchanged (a 413 under a `default_for` watermark)"),
    text("OVERLAYS", "", "a JSON object", "named overlays, images from the bucket or lines of text, for `draw=` and `default_for` prefixes (see [Overlays and watermarks](options.md))"),
    text("FONTS", "", "R2 keys, comma-separated", "fonts (TTF, OTF, WOFF2) an SVG's `<text>` and text overlays may name; read once per isolate at its first SVG or text ([formats](formats.md#lettering-in-svg))"),
    one_of("ON_ERROR", "error", &["error", "original"], "`original`: `onerror=redirect` for every request: an original we cannot transform (a format we cannot read, a damaged file, over the memory budget) is served as stored, with `x-resize-error` saying why and a 5-minute `Cache-Control`, instead of the 415, 422 or 413. Never under a `default_for` watermark: there the refusal stands"),
    text("GRAMMARS", "query cloudflare suffix segment named size", "a list of those names", "the URL grammars that are on"),
    text("PRESETS", "sm=320,md=640,lg=1280,xl=1920", "`name=token` pairs", "named variants: `name=N` (width), `Nw`, `Nh` or `WxH` (cover)"),
    one_of("SIZE_POLICY", "any", &["any", "allow-list", "presets"], "which sizes a URL may ask for: any, those in `ALLOWED_SIZES` and the presets, or the presets only"),
    text("ALLOWED_SIZES", "", "`WxH`, `Nw`, `Nh` tokens", "for `allow-list`, e.g. `360x270,480h,640w`"),
    text("ALLOWED_EXTENSIONS", "jpg jpeg png gif bmp webp avif heic heif svg", "extensions", "originals that may be transformed"),
    secret("SIGNING_KEY", "at least 32 bytes", "turns signed URLs on (`openssl rand -base64 32`); a shorter key is a configuration error naming it. Every signed URL hands out a message and its HMAC-SHA256, so a key can be searched for offline, and RFC 2104 discourages keys shorter than the hash (32 bytes)"),
    secret("SIGNING_KEY_PREVIOUS", "at least 32 bytes", "the previous key, still accepted during a rotation"),
    boolean("REQUIRE_SIGNATURE", "true", "`false` lets unsigned requests for untransformed originals through"),
];

/// The declaration of `name`. Every name the reader asks for is declared (a test reads them all).
pub fn declared(name: &str) -> &'static Variable {
    VARIABLES.iter().find(|v| v.name == name).unwrap_or_else(|| panic!("{name} is not declared in config/variables.rs"))
}
