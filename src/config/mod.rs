//! Service configuration, read from `wrangler.toml` `[vars]` (and secrets) through a lookup
//! function so the core never sees the `worker` crate. Every variable is declared once, with its
//! safe default, range and meaning, in `variables.rs`.
//!
//! It is cut into the settings each part reads, so each part gets only what it needs: `url`
//! its grammars and limits, `policy` sizes, extensions and signing keys, `pipeline` its budgets
//! and encoder defaults (never a signing key), the flow its HTTP settings.

mod origin;
mod overlays;
mod parse;
mod read;
pub mod variables;
#[cfg(test)]
mod documented;

pub use overlays::{drawn as overlays_drawn, parse as parse_overlays, Composite, Overlay, Repeat, Side};

use crate::transform::{Defaults, QualityDefaults, SizeSpec};

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub url: UrlSettings,
    pub policy: PolicySettings,
    pub pipeline: PipelineSettings,
    pub http: HttpSettings,
    pub upload: UploadSettings,
    /// `ORIGIN_URL`: where originals come from while R2 does not have them yet.
    pub origin: OriginSettings,
    /// What bounds the cost a client can cause (`flow::renders`).
    pub cost: CostSettings,
    /// `OVERLAYS`: what a URL may draw (`draw=name`) or every image under a prefix gets.
    pub overlays: Vec<Overlay>,
    /// `FONTS`: R2 keys of fonts (TTF, OTF, WOFF2) an SVG's text may name, read once per isolate.
    pub fonts: Vec<String>,
}

/// Every variable at its declared default (`variables.rs`), read once.
impl Default for Config {
    fn default() -> Self {
        static DEFAULT: std::sync::OnceLock<Config> = std::sync::OnceLock::new();
        DEFAULT.get_or_init(|| Config::from_lookup(|_| None).expect("the declared defaults are valid")).clone()
    }
}

/// Each part's defaults are its part of [`Config::default`]: declared once, in `variables.rs`.
macro_rules! default_from_config {
    ($($part:ty => $($field:ident).+;)*) => {$(
        impl Default for $part {
            fn default() -> Self {
                Config::default().$($field).+
            }
        }
    )*};
}

default_from_config! {
    UrlSettings => url;
    PolicySettings => policy;
    PipelineSettings => pipeline;
    Limits => pipeline.limits;
    HttpSettings => http;
    UploadSettings => upload;
    OriginSettings => origin;
    CostSettings => cost;
}

impl Config {
    pub fn overlay(&self, name: &str) -> Option<&Overlay> {
        self.overlays.iter().find(|o| o.name == name)
    }
}

/// `PUT` and `DELETE` of originals (`flow::upload`): off until `UPLOAD_TOKEN` is set.
#[derive(Clone, PartialEq, Eq)]
pub struct UploadSettings {
    /// The bearer token uploads must carry (a secret).
    pub token: Option<String>,
    /// Largest upload, in bytes (`UPLOAD_MAX_MB`).
    pub max_bytes: u64,
    /// `EAGER_VARIANTS`: the variants rendered ahead of the first request for every new original
    /// (R2 event notification → queue → this worker), each as the query a URL would carry
    /// (`w=640&format=webp`). Checked by the URL grammar when used (`flow::eager`).
    pub eager_variants: Vec<String>,
}

impl std::fmt::Debug for UploadSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token.
        write!(f, "UploadSettings {{ token: {}, max_bytes: {} }}", self.token.is_some(), self.max_bytes)
    }
}

/// Cost bounds, on by default, designed so ordinary traffic never meets them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostSettings {
    /// `RENDER_BUDGET` (0: off): distinct transforms one isolate renders of one
    /// original per window; past it, 429.
    pub render_budget: u32,
    /// `RENDER_WINDOW_S`.
    pub render_window_s: u32,
    /// `WIDTH_STEPS`: a width-only request is rendered at the next
    /// step up (the widest when past them all), like Next.js's `deviceSizes`.
    pub width_steps: Vec<u32>,
}

/// An origin behind R2 (`flow::origin`): off until `ORIGIN_URL` is set.
#[derive(Clone, PartialEq, Eq)]
pub struct OriginSettings {
    /// `ORIGIN_URL`, without a trailing `/`: a key's original is fetched from `{url}/{key}`.
    pub url: Option<url::Url>,
    /// `ORIGIN_COPY`: what the origin serves is copied into R2 for next time.
    pub copy: bool,
    /// `ORIGIN_TIMEOUT_S`, in milliseconds: the whole fetch, body included (504).
    pub timeout_ms: u32,
    /// `ORIGIN_MAX_MB`: larger bodies are refused as they come (413).
    pub max_bytes: u64,
    /// `ORIGIN_MISS_TTL_S`: how long an isolate remembers that the origin has no
    /// such original (or one we refuse), so a storm of 404s reaches the origin once.
    pub miss_ttl_s: u32,
    /// `ORIGIN_S3_REGION` with the secrets `ORIGIN_S3_ACCESS_KEY_ID` and
    /// `ORIGIN_S3_SECRET_ACCESS_KEY`: requests signed with AWS Signature V4.
    pub s3: Option<S3Keys>,
    /// `REMOTE_HOSTS`: the origins an absolute-URL source may name (none by default). The
    /// timeout and size limit above apply to them too.
    pub remote_hosts: Vec<RemoteHost>,
    /// `REMOTE_MIN_TTL_S`: a remote original's metadata is trusted for its
    /// `Cache-Control` max-age, and at least this long, before it is revalidated.
    pub remote_min_ttl_s: u32,
}

/// One `REMOTE_HOSTS` entry: `https://images.example.com`, `https://*.example.com`,
/// `http://127.0.0.1:8080` (plain `http` and IP literals only when named).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteHost {
    pub scheme: String,
    /// A host name, an IP literal as the URL writes it, or `*.suffix` (any subdomain of it).
    pub host: String,
    /// The port, when not the scheme's default.
    pub port: Option<u16>,
}

impl std::fmt::Debug for OriginSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = self.url.as_ref().map(url::Url::as_str);
        let region = self.s3.as_ref().map(|k| k.region.as_str());
        // Never print the keys.
        write!(f, "OriginSettings {{ url: {url:?}, copy: {}, s3 region: {region:?}, remote: {:?} }}", self.copy, self.remote_hosts)
    }
}

/// Credentials for a private S3 bucket (or any S3-compatible store).
#[derive(Clone, PartialEq, Eq)]
pub struct S3Keys {
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// What the URL grammars read.
#[derive(Debug, Clone, PartialEq)]
pub struct UrlSettings {
    pub grammars: Grammars,
    /// Largest width and height a URL may ask for (a larger one is refused, not clamped).
    pub max_width: u32,
    pub max_height: u32,
    /// Named variants (`img-md.png`), in the order given.
    pub presets: Vec<(String, SizeSpec)>,
    /// `AUTO_FORMAT`: transforms that name no format are negotiated as `format=auto`.
    pub auto_format: bool,
    /// R2 key prefix of persisted variants: never addressable by a URL.
    pub variant_prefix: String,
    /// The names `draw=` may give (`OVERLAYS`).
    pub overlay_names: Vec<String>,
}

/// What a URL may ask for, beyond what it can say (`policy`).
#[derive(Debug, Clone, PartialEq)]
pub struct PolicySettings {
    pub size_policy: SizePolicy,
    pub allowed_sizes: Vec<SizeSpec>,
    /// Lower-case extensions of originals that may be transformed.
    pub allowed_extensions: Vec<String>,
    pub signing: Option<Signing>,
}

/// What the pipeline reads: encoder defaults and its limits.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineSettings {
    /// Encoder quality per lossy format when the URL gives none (1..=100): `DEFAULT_QUALITY`
    /// sets all three, `QUALITY_JPEG`, `QUALITY_WEBP` and `QUALITY_AVIF` one each.
    pub quality: QualityDefaults,
    /// `JPEG_PROGRESSIVE`: write progressive JPEGs (measured 4–15% larger with jpeg-encoder).
    pub progressive_jpeg: bool,
    /// `AVIF_SPEED`: rav1e's speed, 1 slowest … 10 fastest (8: docs/performance.md).
    pub avif_speed: u8,
    /// `HEIC=true`: HEIC originals are decoded (HEVC is patent-encumbered: the user chooses).
    pub heic: bool,
    pub mezzanine: Mezzanine,
    pub limits: Limits,
}

/// Large originals are decoded once: later sizes come from a reduced copy ([`crate::pipeline::mezzanine`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mezzanine {
    /// `MEZZANINE_MIN_MP` (0 turns mezzanines off): originals of at least this many
    /// pixels get one.
    pub min_pixels: u64,
    /// `MEZZANINE_SIDE`: its longer side.
    pub side: u32,
}

/// Every budget in one place: what admission control refuses (413) and what the in-flight
/// gate waits for (503), both in bytes of this isolate's 128 MB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest output width and height (the same variables as [`UrlSettings`]'s maximum).
    pub max_width: u32,
    pub max_height: u32,
    /// Peak memory one transform may use (the isolate has 128 MB for everything).
    pub memory_budget: u64,
    /// Peak memory of the WebP encoder's own wasm instance.
    pub webp_memory_budget: u64,
    /// Peak memory of a HEIF picture decoder's wasm instance (dav1d or libde265, a fresh one per
    /// picture).
    pub heif_memory_budget: u64,
    /// Largest side of an AVIF output.
    pub avif_max_side: u32,
    /// `anim=true`: most pixels (canvas × frames) an animation may have to be re-encoded;
    /// a larger one is served unchanged.
    pub anim_max_pixels: u64,
    /// Largest original read into memory to transform (`ORIGINAL_MAX_MB`): a larger one is
    /// refused from its stored size, before a byte of it is read (413).
    pub original_max_bytes: u64,
    /// Bytes of originals one isolate reads and resizes at once (`IN_FLIGHT_BUDGET_MB`).
    pub in_flight_budget: u64,
    /// How long a request waits for that budget before a 503 (`IN_FLIGHT_WAIT_MS`).
    pub in_flight_wait_ms: u32,
}

/// What the request flow reads for its answers.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpSettings {
    /// `Cache-Control` of transformed responses.
    pub cache_control: String,
    /// Seconds a 404 may be cached (`NOT_FOUND_TTL`; 0: never).
    pub not_found_ttl: u32,
    /// Seconds a 400, 413, 415 or 422 may be cached (`ERROR_TTL`; 0: never).
    pub error_ttl: u32,
    /// `format=auto` may pick AVIF for clients that accept it.
    pub auto_avif: bool,
    /// `ON_ERROR=original`: an original we cannot transform (AVIF, TIFF, HEIC…) is served as
    /// stored, with an `x-resize-error` header, instead of a 415.
    pub on_error_original: bool,
    /// `DEBUG_HEADERS=true`: every response reports the isolate's wasm memory in `x-memory`.
    pub debug_headers: bool,
    /// `DEMO=true`: the demo page at `/` and the bucket's first keys at `/_demo/images.json`
    /// (on in `npm start`'s `.dev.vars`, off in `wrangler.toml`: it lists the bucket).
    pub demo: bool,
    /// `MAX_STALE_S`: how long a data centre trusts what R2 last said about an original, so
    /// that cache hits need not ask R2 (`flow::freshness`); 0 checks on every request.
    pub max_stale_s: u32,
    /// `SVG`: SVG originals are served sanitised, or refused.
    pub svg: crate::svg::Mode,
    /// `R2_TIMEOUT_MS`: the longest any one R2 call may take before it counts as
    /// failed, so a stalled bucket never holds a request longer.
    pub r2_timeout_ms: u32,
}

/// The URL grammars, each of which can be switched off with `GRAMMARS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grammars {
    /// `?width=&height=&fit=…` (Cloudflare's option names and aliases).
    pub query: bool,
    /// `/cdn-cgi/image/width=400,fit=cover/key`.
    pub cloudflare: bool,
    /// `key-200x200.jpg`, `key-640w.jpg`, `key-480h.jpg`.
    pub suffix: bool,
    /// `/prefix/360x270/img.jpg`.
    pub segment: bool,
    /// `img-md.png` (named presets).
    pub named: bool,
    /// `?size=L&to_webp=1`.
    pub size: bool,
}

impl Grammars {
    pub const ALL: Grammars = Grammars { query: true, cloudflare: true, suffix: true, segment: true, named: true, size: true };
    pub const NONE: Grammars = Grammars { query: false, cloudflare: false, suffix: false, segment: false, named: false, size: false };
}

/// Which sizes a URL may ask for (`SIZE_POLICY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SizePolicy {
    /// Any size up to the maximum.
    #[default]
    Any,
    /// Only the sizes in `ALLOWED_SIZES`, the named presets and the `size=` presets.
    AllowList,
    /// Only the named presets and the `size=` presets.
    Presets,
}

/// Signed URLs: on when `SIGNING_KEY` is set.
#[derive(Clone, PartialEq, Eq)]
pub struct Signing {
    /// The current key first, then `SIGNING_KEY_PREVIOUS` during a rotation.
    pub keys: Vec<Vec<u8>>,
    /// `REQUIRE_SIGNATURE`: originals need a signature too; false lets
    /// unsigned requests for untransformed originals through.
    pub originals_too: bool,
}

impl std::fmt::Debug for Signing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        write!(f, "Signing {{ keys: {}, originals_too: {} }}", self.keys.len(), self.originals_too)
    }
}

impl PipelineSettings {
    /// What fills in the output options a URL leaves open.
    pub fn output_defaults(&self) -> Defaults {
        Defaults { quality: self.quality, progressive_jpeg: self.progressive_jpeg }
    }
}
