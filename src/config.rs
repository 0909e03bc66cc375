//! Service configuration, read from `wrangler.toml` `[vars]` through a lookup function so the core
//! never sees the `worker` crate. Every variable has a safe default.

use crate::error::{Error, Result};
use crate::transform::Defaults;
use crate::url::SizeSpec;

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
    pub const NAMES: &'static str = "query, cloudflare, suffix, segment, named, size";
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
    /// `REQUIRE_SIGNATURE` (default true): originals need a signature too; false lets
    /// unsigned requests for untransformed originals through.
    pub originals_too: bool,
}

impl std::fmt::Debug for Signing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        write!(f, "Signing {{ keys: {}, originals_too: {} }}", self.keys.len(), self.originals_too)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// R2 key prefix of persisted variants (in the originals bucket when no `VARIANTS` bucket is bound).
    pub variant_prefix: String,
    /// `Cache-Control` of transformed responses.
    pub cache_control: String,
    /// Seconds a 404 may be cached (`NOT_FOUND_TTL`; 0: never).
    pub not_found_ttl: u32,
    /// Seconds a 400, 413, 415 or 422 may be cached (`ERROR_TTL`; 0: never).
    pub error_ttl: u32,
    /// Encoder quality when the URL gives none (1..=100).
    pub default_quality: u8,
    /// `JPEG_PROGRESSIVE`: write progressive JPEGs (measured 4–15% larger with jpeg-encoder).
    pub progressive_jpeg: bool,
    /// Largest width and height a URL may ask for (a larger one is refused, not clamped).
    pub max_width: u32,
    pub max_height: u32,
    /// Peak memory one transform may use, in bytes (the isolate has 128 MB for everything).
    pub memory_budget: u64,
    /// Bytes of originals one isolate reads and resizes at once (`IN_FLIGHT_BUDGET_MB`).
    pub in_flight_budget: u64,
    /// How long a request waits for that budget before a 503 (`IN_FLIGHT_WAIT_MS`).
    pub in_flight_wait_ms: u32,
    /// Peak memory of the WebP encoder's own wasm instance, in bytes.
    pub webp_memory_budget: u64,
    pub grammars: Grammars,
    /// Named variants (`img-md.png`), in the order given.
    pub presets: Vec<(String, SizeSpec)>,
    pub size_policy: SizePolicy,
    pub allowed_sizes: Vec<SizeSpec>,
    /// Lower-case extensions of originals that may be transformed.
    pub allowed_extensions: Vec<String>,
    pub signing: Option<Signing>,
    /// `DEBUG_HEADERS=true`: every response reports the isolate's wasm memory in `x-memory`.
    pub debug_headers: bool,
    /// `ON_ERROR=original`: an original we cannot transform (AVIF, TIFF, HEIC…) is served as
    /// stored, with an `x-resize-error` header, instead of a 415.
    pub on_error_original: bool,
    /// rav1e speed for AVIF (1 slowest … 10 fastest).
    pub avif_speed: u8,
    /// Largest side of an AVIF output.
    pub avif_max_side: u32,
    /// `format=auto` may pick AVIF for clients that accept it.
    pub auto_avif: bool,
    /// `AUTO_FORMAT`: transforms that name no format are negotiated as `format=auto`.
    pub auto_format: bool,
    /// `anim=true`: most pixels (canvas × frames) an animation may have to be re-encoded;
    /// a larger one is served unchanged.
    pub anim_max_pixels: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            variant_prefix: "_variants/".into(),
            cache_control: "public, max-age=31536000".into(),
            not_found_ttl: 60,
            error_ttl: 300,
            default_quality: 80,
            progressive_jpeg: false,
            max_width: 4096,
            max_height: 4096,
            memory_budget: 64 * 1024 * 1024,
            webp_memory_budget: 48 * 1024 * 1024,
            in_flight_budget: 32 * 1024 * 1024,
            in_flight_wait_ms: 3000,
            grammars: Grammars::ALL,
            presets: parse_presets(DEFAULT_PRESETS).expect("valid defaults"),
            size_policy: SizePolicy::Any,
            allowed_sizes: Vec::new(),
            allowed_extensions: DEFAULT_EXTENSIONS.split(' ').map(String::from).collect(),
            signing: None,
            debug_headers: false,
            on_error_original: false,
            avif_speed: 10,
            avif_max_side: 1200,
            auto_avif: false,
            auto_format: false,
            // Cloudflare's and imgproxy's limit for animations: 50 MP summed over the frames.
            anim_max_pixels: 50_000_000,
        }
    }
}

const DEFAULT_PRESETS: &str = "sm=320,md=640,lg=1280,xl=1920";
const DEFAULT_EXTENSIONS: &str = "jpg jpeg png gif bmp webp";

impl Config {
    /// What fills in the output options a URL leaves open.
    pub fn output_defaults(&self) -> Defaults {
        Defaults { quality: self.default_quality, progressive_jpeg: self.progressive_jpeg }
    }

    /// Builds the configuration from a variable lookup (`env.var(name)` in the worker).
    /// A variable that is set but invalid is an error, so a typo does not silently fall back.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config> {
        let mut c = Config::default();
        if let Some(v) = get("VARIANT_PREFIX") {
            if v.is_empty() || v.starts_with('/') || v.contains("..") {
                return Err(config_error("VARIANT_PREFIX", "a non-empty key prefix such as _variants/"));
            }
            c.variant_prefix = if v.ends_with('/') { v } else { format!("{v}/") };
        }
        if let Some(v) = get("CACHE_CONTROL") {
            c.cache_control = v;
        }
        if let Some(v) = get("NOT_FOUND_TTL") {
            c.not_found_ttl = parse_in("NOT_FOUND_TTL", &v, 0, 31_536_000)? as u32;
        }
        if let Some(v) = get("ERROR_TTL") {
            c.error_ttl = parse_in("ERROR_TTL", &v, 0, 31_536_000)? as u32;
        }
        if let Some(v) = get("DEFAULT_QUALITY") {
            c.default_quality = parse_in("DEFAULT_QUALITY", &v, 1, 100)? as u8;
        }
        if let Some(v) = get("JPEG_PROGRESSIVE") {
            c.progressive_jpeg = boolean("JPEG_PROGRESSIVE", &v)?;
        }
        if let Some(v) = get("MAX_WIDTH") {
            c.max_width = parse_in("MAX_WIDTH", &v, 1, 16384)? as u32;
        }
        if let Some(v) = get("MAX_HEIGHT") {
            c.max_height = parse_in("MAX_HEIGHT", &v, 1, 16384)? as u32;
        }
        if let Some(v) = get("MEMORY_BUDGET_MB") {
            c.memory_budget = parse_in("MEMORY_BUDGET_MB", &v, 8, 120)? * 1024 * 1024;
        }
        if let Some(v) = get("IN_FLIGHT_BUDGET_MB") {
            c.in_flight_budget = parse_in("IN_FLIGHT_BUDGET_MB", &v, 1, 100)? * 1024 * 1024;
        }
        if let Some(v) = get("IN_FLIGHT_WAIT_MS") {
            c.in_flight_wait_ms = parse_in("IN_FLIGHT_WAIT_MS", &v, 0, 30_000)? as u32;
        }
        if let Some(v) = get("WEBP_MEMORY_BUDGET_MB") {
            c.webp_memory_budget = parse_in("WEBP_MEMORY_BUDGET_MB", &v, 16, 100)? * 1024 * 1024;
        }
        if let Some(v) = get("GRAMMARS") {
            c.grammars = parse_grammars(&v)?;
        }
        if let Some(v) = get("PRESETS") {
            c.presets = parse_presets(&v).ok_or_else(|| config_error("PRESETS", "a list like sm=320,md=640,thumb=200x200"))?;
        }
        if let Some(v) = get("SIZE_POLICY") {
            c.size_policy = match v.trim() {
                "any" => SizePolicy::Any,
                "allow-list" => SizePolicy::AllowList,
                "presets" => SizePolicy::Presets,
                _ => return Err(config_error("SIZE_POLICY", "any, allow-list or presets")),
            };
        }
        if let Some(v) = get("ALLOWED_SIZES") {
            c.allowed_sizes = list(&v)
                .map(|t| SizeSpec::parse(t, false))
                .collect::<Option<_>>()
                .ok_or_else(|| config_error("ALLOWED_SIZES", "a list like 360x270,480h,640w"))?;
        }
        if c.size_policy == SizePolicy::AllowList && c.allowed_sizes.is_empty() {
            return Err(config_error("ALLOWED_SIZES", "set when SIZE_POLICY is allow-list"));
        }
        if let Some(v) = get("ALLOWED_EXTENSIONS") {
            c.allowed_extensions = list(&v).map(|e| e.trim_start_matches('.').to_ascii_lowercase()).collect();
        }
        if let Some(key) = get("SIGNING_KEY").filter(|k| !k.is_empty()) {
            let mut keys = vec![key.into_bytes()];
            keys.extend(get("SIGNING_KEY_PREVIOUS").filter(|k| !k.is_empty()).map(String::into_bytes));
            let originals_too = match get("REQUIRE_SIGNATURE") {
                Some(v) => boolean("REQUIRE_SIGNATURE", &v)?,
                None => true,
            };
            c.signing = Some(Signing { keys, originals_too });
        }
        if let Some(v) = get("AVIF_SPEED") {
            c.avif_speed = parse_in("AVIF_SPEED", &v, 1, 10)? as u8;
        }
        if let Some(v) = get("AVIF_MAX_SIDE") {
            c.avif_max_side = parse_in("AVIF_MAX_SIDE", &v, 16, 4096)? as u32;
        }
        if let Some(v) = get("AUTO_AVIF") {
            c.auto_avif = boolean("AUTO_AVIF", &v)?;
        }
        if let Some(v) = get("AUTO_FORMAT") {
            c.auto_format = boolean("AUTO_FORMAT", &v)?;
        }
        if let Some(v) = get("ANIM_MAX_MEGAPIXELS") {
            c.anim_max_pixels = parse_in("ANIM_MAX_MEGAPIXELS", &v, 1, 1000)? * 1_000_000;
        }
        if let Some(v) = get("ON_ERROR") {
            c.on_error_original = match v.trim() {
                "error" => false,
                "original" => true,
                _ => return Err(config_error("ON_ERROR", "error or original")),
            };
        }
        if let Some(v) = get("DEBUG_HEADERS") {
            c.debug_headers = boolean("DEBUG_HEADERS", &v)?;
        }
        Ok(c)
    }
}

fn boolean(name: &str, value: &str) -> Result<bool> {
    match value.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(config_error(name, "true or false")),
    }
}

/// Items separated by commas and/or spaces.
fn list(v: &str) -> impl Iterator<Item = &str> {
    v.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty())
}

fn parse_grammars(v: &str) -> Result<Grammars> {
    let mut g = Grammars::NONE;
    for name in list(v) {
        let flag = match name {
            "query" => &mut g.query,
            "cloudflare" => &mut g.cloudflare,
            "suffix" => &mut g.suffix,
            "segment" => &mut g.segment,
            "named" => &mut g.named,
            "size" => &mut g.size,
            _ => return Err(config_error("GRAMMARS", &format!("a list of {}", Grammars::NAMES))),
        };
        *flag = true;
    }
    Ok(g)
}

/// `name=token` pairs; a preset name is a short lower-case word.
fn parse_presets(v: &str) -> Option<Vec<(String, SizeSpec)>> {
    list(v)
        .map(|item| {
            let (name, token) = item.split_once('=')?;
            let ok_name = !name.is_empty() && name.len() <= 16 && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
            Some((name.to_string(), SizeSpec::parse(token, true)?)).filter(|_| ok_name)
        })
        .collect()
}

fn parse_in(name: &str, value: &str, min: u64, max: u64) -> Result<u64> {
    match value.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(config_error(name, &format!("a whole number from {min} to {max}"))),
    }
}

fn config_error(name: &str, expected: &str) -> Error {
    Error::Misconfigured(format!("configuration variable {name} must be {expected}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        assert_eq!(Config::from_lookup(|_| None).unwrap(), Config::default());
    }

    #[test]
    fn reads_every_variable() {
        let c = Config::from_lookup(lookup(&[
            ("VARIANT_PREFIX", "derived"),
            ("CACHE_CONTROL", "public, max-age=60"),
            ("DEFAULT_QUALITY", "70"),
            ("MAX_WIDTH", "2000"),
            ("MAX_HEIGHT", "1000"),
            ("MEMORY_BUDGET_MB", "48"),
        ]))
        .unwrap();
        assert_eq!(c.variant_prefix, "derived/");
        assert_eq!(c.cache_control, "public, max-age=60");
        assert_eq!((c.default_quality, c.max_width, c.max_height), (70, 2000, 1000));
        assert_eq!(c.memory_budget, 48 * 1024 * 1024);
    }

    #[test]
    fn reads_grammars_presets_policy_and_signing() {
        let c = Config::from_lookup(lookup(&[
            ("GRAMMARS", "query, suffix"),
            ("PRESETS", "thumb=200x200,big=2000"),
            ("SIZE_POLICY", "allow-list"),
            ("ALLOWED_SIZES", "360x270, 480h,640w"),
            ("ALLOWED_EXTENSIONS", ".JPG png"),
            ("SIGNING_KEY", "k1"),
            ("SIGNING_KEY_PREVIOUS", "k0"),
            ("REQUIRE_SIGNATURE", "false"),
        ]))
        .unwrap();
        assert!(c.grammars.query && c.grammars.suffix && !c.grammars.cloudflare && !c.grammars.named);
        assert_eq!(c.presets.iter().map(|(n, s)| format!("{n}={s}")).collect::<Vec<_>>(), ["thumb=200x200", "big=2000w"]);
        assert_eq!(c.size_policy, SizePolicy::AllowList);
        assert_eq!(c.allowed_sizes.iter().map(|s| s.to_string()).collect::<Vec<_>>(), ["360x270", "480h", "640w"]);
        assert_eq!(c.allowed_extensions, ["jpg", "png"]);
        let s = c.signing.unwrap();
        assert_eq!((s.keys, s.originals_too), (vec![b"k1".to_vec(), b"k0".to_vec()], false));
        assert!(Config::from_lookup(lookup(&[("SIGNING_KEY", "k")])).unwrap().signing.unwrap().originals_too);
    }

    #[test]
    fn rejects_invalid_values() {
        for (k, v) in [
            ("DEFAULT_QUALITY", "0"),
            ("MAX_WIDTH", "wide"),
            ("MEMORY_BUDGET_MB", "500"),
            ("VARIANT_PREFIX", "../x"),
            ("GRAMMARS", "query,xml"),
            ("PRESETS", "md"),
            ("PRESETS", "MD=640"),
            ("SIZE_POLICY", "some"),
            ("SIZE_POLICY", "allow-list"),
            ("ALLOWED_SIZES", "640px"),
        ] {
            assert!(Config::from_lookup(lookup(&[(k, v)])).is_err(), "{k}={v} accepted");
        }
    }
}
