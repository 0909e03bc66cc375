//! Reading the configuration from variables: each one parsed and range-checked, so a typo is a
//! clear error at the first request instead of a silent default.

use super::parse::{boolean, config_error, list, parse_in, MAX_BODY_MB};
use super::{Config, Grammars, Signing, SizePolicy};
use crate::error::Result;
use crate::transform::{QualityDefaults, SizeSpec};

impl Config {
    /// Builds the configuration from a variable lookup (`env.var(name)` in the worker).
    /// A variable that is set but invalid is an error, so a typo does not silently fall back.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config> {
        let mut c = Config::default();
        if let Some(v) = get("OVERLAYS").filter(|v| !v.trim().is_empty()) {
            c.overlays = super::overlays::parse(&v)?;
            c.url.overlay_names = c.overlays.iter().map(|o| o.name.clone()).collect();
        }
        if let Some(v) = get("FONTS") {
            c.fonts = list(&v).map(|k| k.trim_start_matches('/').to_string()).collect();
        }
        let (url, policy, pipeline, http) = (&mut c.url, &mut c.policy, &mut c.pipeline, &mut c.http);
        let limits = &mut pipeline.limits;
        if let Some(v) = get("VARIANT_PREFIX") {
            if v.is_empty() || v.starts_with('/') || v.contains("..") {
                return Err(config_error("VARIANT_PREFIX", "a non-empty key prefix such as _variants/"));
            }
            url.variant_prefix = if v.ends_with('/') { v } else { format!("{v}/") };
        }
        if let Some(v) = get("CACHE_CONTROL") {
            http.cache_control = v;
        }
        if let Some(v) = get("NOT_FOUND_TTL") {
            http.not_found_ttl = parse_in("NOT_FOUND_TTL", &v, 0, 31_536_000)? as u32;
        }
        if let Some(v) = get("ERROR_TTL") {
            http.error_ttl = parse_in("ERROR_TTL", &v, 0, 31_536_000)? as u32;
        }
        if let Some(v) = get("DEFAULT_QUALITY") {
            pipeline.quality = QualityDefaults::all(parse_in("DEFAULT_QUALITY", &v, 1, 100)? as u8);
        }
        for (name, slot) in [
            ("QUALITY_JPEG", &mut pipeline.quality.jpeg),
            ("QUALITY_WEBP", &mut pipeline.quality.webp),
            ("QUALITY_AVIF", &mut pipeline.quality.avif),
        ] {
            if let Some(v) = get(name) {
                *slot = parse_in(name, &v, 1, 100)? as u8;
            }
        }
        if let Some(v) = get("JPEG_PROGRESSIVE") {
            pipeline.progressive_jpeg = boolean("JPEG_PROGRESSIVE", &v)?;
        }
        if let Some(v) = get("MAX_WIDTH") {
            limits.max_width = parse_in("MAX_WIDTH", &v, 1, 16384)? as u32;
        }
        if let Some(v) = get("MAX_HEIGHT") {
            limits.max_height = parse_in("MAX_HEIGHT", &v, 1, 16384)? as u32;
        }
        // What a URL may ask for and what the pipeline makes are the same maximum.
        (url.max_width, url.max_height) = (limits.max_width, limits.max_height);
        if let Some(v) = get("MEMORY_BUDGET_MB") {
            limits.memory_budget = parse_in("MEMORY_BUDGET_MB", &v, 8, 120)? * 1024 * 1024;
        }
        if let Some(v) = get("ORIGINAL_MAX_MB") {
            limits.original_max_bytes = parse_in("ORIGINAL_MAX_MB", &v, 1, MAX_BODY_MB)? << 20;
        }
        if let Some(v) = get("IN_FLIGHT_BUDGET_MB") {
            limits.in_flight_budget = parse_in("IN_FLIGHT_BUDGET_MB", &v, 1, 100)? * 1024 * 1024;
        }
        if let Some(v) = get("IN_FLIGHT_WAIT_MS") {
            limits.in_flight_wait_ms = parse_in("IN_FLIGHT_WAIT_MS", &v, 0, 30_000)? as u32;
        }
        if let Some(v) = get("HEIF_MEMORY_BUDGET_MB") {
            limits.heif_memory_budget = parse_in("HEIF_MEMORY_BUDGET_MB", &v, 8, 100)? * 1024 * 1024;
        }
        if let Some(v) = get("WEBP_MEMORY_BUDGET_MB") {
            limits.webp_memory_budget = parse_in("WEBP_MEMORY_BUDGET_MB", &v, 16, 100)? * 1024 * 1024;
        }
        if let Some(v) = get("GRAMMARS") {
            url.grammars = parse_grammars(&v)?;
        }
        if let Some(v) = get("PRESETS") {
            url.presets = parse_presets(&v).ok_or_else(|| config_error("PRESETS", "a list like sm=320,md=640,thumb=200x200"))?;
        }
        if let Some(v) = get("SIZE_POLICY") {
            policy.size_policy = match v.trim() {
                "any" => SizePolicy::Any,
                "allow-list" => SizePolicy::AllowList,
                "presets" => SizePolicy::Presets,
                _ => return Err(config_error("SIZE_POLICY", "any, allow-list or presets")),
            };
        }
        if let Some(v) = get("ALLOWED_SIZES") {
            policy.allowed_sizes = list(&v)
                .map(|t| SizeSpec::parse(t, false))
                .collect::<Option<_>>()
                .ok_or_else(|| config_error("ALLOWED_SIZES", "a list like 360x270,480h,640w"))?;
        }
        if policy.size_policy == SizePolicy::AllowList && policy.allowed_sizes.is_empty() {
            return Err(config_error("ALLOWED_SIZES", "set when SIZE_POLICY is allow-list"));
        }
        if let Some(v) = get("ALLOWED_EXTENSIONS") {
            policy.allowed_extensions = list(&v).map(|e| e.trim_start_matches('.').to_ascii_lowercase()).collect();
        }
        if let Some(key) = get("SIGNING_KEY").filter(|k| !k.is_empty()) {
            let mut keys = vec![signing_key("SIGNING_KEY", key)?];
            if let Some(previous) = get("SIGNING_KEY_PREVIOUS").filter(|k| !k.is_empty()) {
                keys.push(signing_key("SIGNING_KEY_PREVIOUS", previous)?);
            }
            let originals_too = match get("REQUIRE_SIGNATURE") {
                Some(v) => boolean("REQUIRE_SIGNATURE", &v)?,
                None => true,
            };
            policy.signing = Some(Signing { keys, originals_too });
        }
        if let Some(v) = get("HEIC") {
            pipeline.heic = boolean("HEIC", &v)?;
        }
        if let Some(v) = get("AVIF_SPEED") {
            pipeline.avif_speed = parse_in("AVIF_SPEED", &v, 1, 10)? as u8;
        }
        if let Some(v) = get("MEZZANINE_MIN_MP") {
            pipeline.mezzanine.min_pixels = parse_in("MEZZANINE_MIN_MP", &v, 0, 1000)? * 1_000_000;
        }
        if let Some(v) = get("MEZZANINE_SIDE") {
            pipeline.mezzanine.side = parse_in("MEZZANINE_SIDE", &v, 256, 8192)? as u32;
        }
        if let Some(v) = get("AVIF_MAX_SIDE") {
            limits.avif_max_side = parse_in("AVIF_MAX_SIDE", &v, 16, 4096)? as u32;
        }
        if let Some(v) = get("AUTO_AVIF") {
            http.auto_avif = boolean("AUTO_AVIF", &v)?;
        }
        if let Some(v) = get("AUTO_FORMAT") {
            url.auto_format = boolean("AUTO_FORMAT", &v)?;
        }
        if let Some(v) = get("ANIM_MAX_MEGAPIXELS") {
            limits.anim_max_pixels = parse_in("ANIM_MAX_MEGAPIXELS", &v, 1, 1000)? * 1_000_000;
        }
        if let Some(v) = get("ON_ERROR") {
            http.on_error_original = match v.trim() {
                "error" => false,
                "original" => true,
                _ => return Err(config_error("ON_ERROR", "error or original")),
            };
        }
        if let Some(v) = get("R2_TIMEOUT_MS") {
            http.r2_timeout_ms = parse_in("R2_TIMEOUT_MS", &v, 100, 60_000)? as u32;
        }
        if let Some(v) = get("MAX_STALE_S") {
            http.max_stale_s = parse_in("MAX_STALE_S", &v, 0, 86_400)? as u32;
        }
        if let Some(v) = get("SVG") {
            http.svg = match v.trim() {
                "sanitize" => crate::svg::Mode::Sanitize,
                "rasterize" => crate::svg::Mode::Rasterize,
                "refuse" => crate::svg::Mode::Refuse,
                _ => return Err(config_error("SVG", "sanitize, rasterize or refuse")),
            };
        }
        if let Some(token) = get("UPLOAD_TOKEN").filter(|t| !t.is_empty()) {
            if token.len() < MIN_UPLOAD_TOKEN_BYTES {
                return Err(config_error("UPLOAD_TOKEN", &format!("at least {MIN_UPLOAD_TOKEN_BYTES} characters")));
            }
            c.upload.token = Some(token);
        }
        if let Some(v) = get("UPLOAD_MAX_MB") {
            c.upload.max_bytes = parse_in("UPLOAD_MAX_MB", &v, 1, MAX_BODY_MB)? << 20;
        }
        if let Some(v) = get("EAGER_VARIANTS") {
            c.upload.eager_variants = list(&v).map(|q| q.trim_start_matches('?').to_string()).collect();
            if c.upload.eager_variants.len() > MAX_EAGER_VARIANTS {
                return Err(config_error("EAGER_VARIANTS", "at most 16 variants (one queue message renders them all)"));
            }
        }
        super::origin::read(&get, &mut c.origin)?;
        if let Some(v) = get("RENDER_BUDGET") {
            c.cost.render_budget = parse_in("RENDER_BUDGET", &v, 0, 100_000)? as u32;
        }
        if let Some(v) = get("RENDER_WINDOW_S") {
            c.cost.render_window_s = parse_in("RENDER_WINDOW_S", &v, 1, 86_400)? as u32;
        }
        if let Some(v) = get("WIDTH_STEPS") {
            let mut steps = list(&v).map(|w| w.parse::<u32>().ok().filter(|&w| w >= 1 && w <= c.url.max_width)).collect::<Option<Vec<_>>>();
            steps = steps.filter(|s| s.len() <= 64);
            let mut steps = steps.ok_or_else(|| {
                config_error("WIDTH_STEPS", "at most 64 widths such as 640,750,828,1080,1200,1920, each within MAX_WIDTH")
            })?;
            steps.sort_unstable();
            steps.dedup();
            c.cost.width_steps = steps;
        }
        if let Some(v) = get("DEMO") {
            http.demo = boolean("DEMO", &v)?;
        }
        if let Some(v) = get("DEBUG_HEADERS") {
            http.debug_headers = boolean("DEBUG_HEADERS", &v)?;
        }
        Ok(c)
    }
}

/// One queue message renders every eager variant of one original: this bounds its CPU time.
const MAX_EAGER_VARIANTS: usize = 16;

/// The shortest signing key taken, in bytes. A key is attacked offline: every signed URL hands
/// out a message and its HMAC-SHA256, so whoever holds one can try keys at hashing speed with no
/// request to us, and a short key falls to that. RFC 2104 §3 discourages keys shorter than the
/// hash's output (32 bytes for SHA-256): below it the key, not the hash, bounds the MAC's
/// strength. 32 bytes of `openssl rand -base64 32` (44 characters) meet it.
pub const MIN_SIGNING_KEY_BYTES: usize = 32;

/// The shortest upload token taken, in bytes. Unlike a signing key, a token can only be tried
/// online, one request at a time (no signed output of it ever leaves the worker), so 16 random
/// characters (~96 bits as base64) are beyond guessing; `npm start` writes 30.
pub const MIN_UPLOAD_TOKEN_BYTES: usize = 16;

/// `SIGNING_KEY` or `SIGNING_KEY_PREVIOUS`, at least [`MIN_SIGNING_KEY_BYTES`] long: a short
/// previous key would forge URLs as well as a short current one.
fn signing_key(name: &str, key: String) -> Result<Vec<u8>> {
    if key.len() < MIN_SIGNING_KEY_BYTES {
        let expected = format!("at least {MIN_SIGNING_KEY_BYTES} bytes (this one has {}): e.g. `openssl rand -base64 32`", key.len());
        return Err(config_error(name, &expected));
    }
    Ok(key.into_bytes())
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
            _ => return Err(config_error("GRAMMARS", "a list of query, cloudflare, suffix, segment, named, size")),
        };
        *flag = true;
    }
    Ok(g)
}

/// `name=token` pairs; a preset name is a short lower-case word.
pub(super) fn parse_presets(v: &str) -> Option<Vec<(String, SizeSpec)>> {
    list(v)
        .map(|item| {
            let (name, token) = item.split_once('=')?;
            let ok_name = !name.is_empty() && name.len() <= 16 && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
            Some((name.to_string(), SizeSpec::parse(token, true)?)).filter(|_| ok_name)
        })
        .collect()
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
        assert_eq!(c.url.variant_prefix, "derived/");
        assert_eq!(c.http.cache_control, "public, max-age=60");
        assert_eq!((c.pipeline.quality, c.url.max_width, c.url.max_height), (QualityDefaults::all(70), 2000, 1000));
        assert_eq!((c.pipeline.limits.max_width, c.pipeline.limits.max_height), (2000, 1000), "one maximum for URLs and outputs");
        assert_eq!(c.pipeline.limits.memory_budget, 48 * 1024 * 1024);
    }

    /// No body held whole in memory may be configured past what the isolate can hold twice.
    #[test]
    fn bodies_held_in_memory_are_bounded_by_the_isolate() {
        for name in ["ORIGINAL_MAX_MB", "ORIGIN_MAX_MB", "UPLOAD_MAX_MB"] {
            let refused = Config::from_lookup(lookup(&[(name, "49")])).unwrap_err();
            assert!(refused.message().contains(name), "{name}: {refused}");
            Config::from_lookup(lookup(&[(name, "48")])).unwrap();
        }
        let c = Config::from_lookup(lookup(&[("ORIGINAL_MAX_MB", "5")])).unwrap();
        assert_eq!(c.pipeline.limits.original_max_bytes, 5 << 20);
        assert_eq!(Config::default().pipeline.limits.original_max_bytes, 32 << 20);
    }

    #[test]
    fn reads_the_origin_behind_r2_and_refuses_half_its_credentials() {
        let c = Config::from_lookup(lookup(&[
            ("ORIGIN_URL", "https://my-bucket.s3.eu-west-1.amazonaws.com/"),
            ("ORIGIN_COPY", "false"),
            ("ORIGIN_TIMEOUT_S", "3"),
            ("ORIGIN_MAX_MB", "40"),
            ("ORIGIN_MISS_TTL_S", "0"),
            ("ORIGIN_S3_REGION", "eu-west-1"),
            ("ORIGIN_S3_ACCESS_KEY_ID", "AKID"),
            ("ORIGIN_S3_SECRET_ACCESS_KEY", "secret"),
        ]))
        .unwrap();
        let o = &c.origin;
        assert_eq!(o.url.as_ref().map(|u| u.as_str()), Some("https://my-bucket.s3.eu-west-1.amazonaws.com/"));
        assert_eq!((o.copy, o.timeout_ms, o.max_bytes, o.miss_ttl_s), (false, 3000, 40 << 20, 0));
        assert_eq!(o.s3.as_ref().map(|k| (k.region.as_str(), k.access_key_id.as_str())), Some(("eu-west-1", "AKID")));
        assert!(!format!("{c:?}").contains("secret"), "never printed");
        let defaults = Config::from_lookup(lookup(&[("ORIGIN_URL", "http://127.0.0.1:9000/bucket")])).unwrap().origin;
        assert_eq!((defaults.copy, defaults.timeout_ms, defaults.max_bytes, defaults.miss_ttl_s), (true, 10_000, 20 << 20, 60));
        for bad in [
            vec![("ORIGIN_URL", "ftp://old.example")],
            vec![("ORIGIN_URL", "old.example/bucket")],
            vec![("ORIGIN_URL", "https://old.example/?list")],
            vec![("ORIGIN_URL", "https://old.example"), ("ORIGIN_S3_REGION", "us-east-1")],
            vec![("ORIGIN_URL", "https://old.example"), ("ORIGIN_TIMEOUT_S", "0")],
        ] {
            assert_eq!(Config::from_lookup(lookup(&bad)).unwrap_err().status(), 500, "{bad:?}");
        }
    }

    #[test]
    fn reads_grammars_presets_policy_and_signing() {
        let c = Config::from_lookup(lookup(&[
            ("GRAMMARS", "query, suffix"),
            ("PRESETS", "thumb=200x200,big=2000"),
            ("SIZE_POLICY", "allow-list"),
            ("ALLOWED_SIZES", "360x270, 480h,640w"),
            ("ALLOWED_EXTENSIONS", ".JPG png"),
            ("SIGNING_KEY", KEY1),
            ("SIGNING_KEY_PREVIOUS", KEY0),
            ("REQUIRE_SIGNATURE", "false"),
        ]))
        .unwrap();
        assert!(c.url.grammars.query && c.url.grammars.suffix && !c.url.grammars.cloudflare && !c.url.grammars.named);
        assert_eq!(c.url.presets.iter().map(|(n, s)| format!("{n}={s}")).collect::<Vec<_>>(), ["thumb=200x200", "big=2000w"]);
        assert_eq!(c.policy.size_policy, SizePolicy::AllowList);
        assert_eq!(c.policy.allowed_sizes.iter().map(|s| s.to_string()).collect::<Vec<_>>(), ["360x270", "480h", "640w"]);
        assert_eq!(c.policy.allowed_extensions, ["jpg", "png"]);
        let s = c.policy.signing.unwrap();
        assert_eq!((s.keys, s.originals_too), (vec![KEY1.as_bytes().to_vec(), KEY0.as_bytes().to_vec()], false));
        assert!(Config::from_lookup(lookup(&[("SIGNING_KEY", KEY1)])).unwrap().policy.signing.unwrap().originals_too);
    }

    const KEY1: &str = "a-signing-key-of-thirty-two-byte";
    const KEY0: &str = "the-previous-key-thirty-two-byte";

    /// A key an attacker could find from one signed URL is refused, current or previous, with
    /// an error that names the variable and the minimum; so is a short upload token.
    #[test]
    fn short_secrets_are_refused_by_name() {
        assert_eq!(KEY1.len(), MIN_SIGNING_KEY_BYTES);
        let short = &KEY1[1..];
        for (vars, name) in [
            (vec![("SIGNING_KEY", "k")], "SIGNING_KEY"),
            (vec![("SIGNING_KEY", short)], "SIGNING_KEY"),
            (vec![("SIGNING_KEY", KEY1), ("SIGNING_KEY_PREVIOUS", "old-key")], "SIGNING_KEY_PREVIOUS"),
            (vec![("SIGNING_KEY", KEY1), ("SIGNING_KEY_PREVIOUS", short)], "SIGNING_KEY_PREVIOUS"),
            (vec![("UPLOAD_TOKEN", "fifteen-chars!!")], "UPLOAD_TOKEN"),
        ] {
            let e = Config::from_lookup(lookup(&vars)).unwrap_err();
            let m = e.message();
            assert!(e.status() == 500 && m.contains(&format!("{name} must be at least")), "{vars:?}: {m}");
            assert!(!m.contains(short) && !m.contains("old-key"), "the key is not echoed: {m}");
        }
        let min = format!("at least {MIN_SIGNING_KEY_BYTES} bytes");
        assert!(Config::from_lookup(lookup(&[("SIGNING_KEY", "k")])).unwrap_err().message().contains(&min));
        assert!(Config::from_lookup(lookup(&[("UPLOAD_TOKEN", "sixteen-chars!!!")])).is_ok());
        assert!(Config::from_lookup(lookup(&[("SIGNING_KEY", "")])).unwrap().policy.signing.is_none(), "empty is unset");
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
