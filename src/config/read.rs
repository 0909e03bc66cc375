//! Reading the configuration from variables: each one parsed and range-checked against its
//! declaration (`variables.rs`), so a typo is a clear error at the first request instead of a
//! silent default. Every field is built here from a value or its declared default.

use super::parse::{config_error, list, Vars};
use super::{
    Config, CostSettings, Grammars, HttpSettings, Limits, Mezzanine, PipelineSettings, PolicySettings, Signing, SizePolicy, UploadSettings,
    UrlSettings,
};
use crate::error::Result;
use crate::transform::{QualityDefaults, SizeSpec};

const MB: u64 = 1024 * 1024;

impl Config {
    /// Builds the configuration from a variable lookup (`env.var(name)` in the worker).
    /// A variable that is set but invalid is an error, so a typo does not silently fall back.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config> {
        let vars = Vars::new(get);
        let overlays = match vars.text("OVERLAYS") {
            Some(json) => super::overlays::parse(&json)?,
            None => Vec::new(),
        };
        let limits = limits(&vars)?;
        let url = UrlSettings {
            grammars: parse_grammars(&vars.value("GRAMMARS"))?,
            // What a URL may ask for and what the pipeline makes are the same maximum.
            max_width: limits.max_width,
            max_height: limits.max_height,
            presets: parse_presets(&vars.value("PRESETS"))
                .ok_or_else(|| config_error("PRESETS", "a list like sm=320,md=640,thumb=200x200"))?,
            auto_format: vars.boolean("AUTO_FORMAT")?,
            variant_prefix: variant_prefix(&vars.value("VARIANT_PREFIX"))?,
            overlay_names: overlays.iter().map(|o| o.name.clone()).collect(),
        };
        let cost = CostSettings {
            render_budget: vars.number("RENDER_BUDGET")? as u32,
            render_window_s: vars.number("RENDER_WINDOW_S")? as u32,
            width_steps: width_steps(&vars.value("WIDTH_STEPS"), url.max_width)?,
        };
        Ok(Config {
            policy: policy(&vars)?,
            pipeline: pipeline(&vars, limits)?,
            http: http(&vars)?,
            upload: upload(&vars)?,
            origin: super::origin::read(&vars)?,
            cost,
            url,
            overlays,
            fonts: list(&vars.value("FONTS")).map(|k| k.trim_start_matches('/').to_string()).collect(),
        })
    }
}

fn limits(vars: &Vars<impl Fn(&str) -> Option<String>>) -> Result<Limits> {
    Ok(Limits {
        max_width: vars.number("MAX_WIDTH")? as u32,
        max_height: vars.number("MAX_HEIGHT")? as u32,
        memory_budget: vars.number("MEMORY_BUDGET_MB")? * MB,
        webp_memory_budget: vars.number("WEBP_MEMORY_BUDGET_MB")? * MB,
        heif_memory_budget: vars.number("HEIF_MEMORY_BUDGET_MB")? * MB,
        avif_max_side: vars.number("AVIF_MAX_SIDE")? as u32,
        anim_max_pixels: vars.number("ANIM_MAX_MEGAPIXELS")? * 1_000_000,
        original_max_bytes: vars.number("ORIGINAL_MAX_MB")? * MB,
        in_flight_budget: vars.number("IN_FLIGHT_BUDGET_MB")? * MB,
        in_flight_wait_ms: vars.number("IN_FLIGHT_WAIT_MS")? as u32,
    })
}

fn pipeline(vars: &Vars<impl Fn(&str) -> Option<String>>, limits: Limits) -> Result<PipelineSettings> {
    // `DEFAULT_QUALITY` stands in for each per-format variable that is not set.
    let all = vars.number_given("DEFAULT_QUALITY")?;
    let quality = |name: &str| -> Result<u8> {
        Ok(match (vars.number_given(name)?, all) {
            (Some(q), _) | (None, Some(q)) => q,
            (None, None) => vars.number(name)?,
        } as u8)
    };
    Ok(PipelineSettings {
        quality: QualityDefaults { jpeg: quality("QUALITY_JPEG")?, webp: quality("QUALITY_WEBP")?, avif: quality("QUALITY_AVIF")? },
        progressive_jpeg: vars.boolean("JPEG_PROGRESSIVE")?,
        avif_speed: vars.number("AVIF_SPEED")? as u8,
        heic: vars.boolean("HEIC")?,
        mezzanine: Mezzanine { min_pixels: vars.number("MEZZANINE_MIN_MP")? * 1_000_000, side: vars.number("MEZZANINE_SIDE")? as u32 },
        limits,
    })
}

fn policy(vars: &Vars<impl Fn(&str) -> Option<String>>) -> Result<PolicySettings> {
    let size_policy = match vars.word("SIZE_POLICY")? {
        "allow-list" => SizePolicy::AllowList,
        "presets" => SizePolicy::Presets,
        _ => SizePolicy::Any,
    };
    let allowed_sizes: Vec<SizeSpec> = list(&vars.value("ALLOWED_SIZES"))
        .map(|t| SizeSpec::parse(t, false))
        .collect::<Option<_>>()
        .ok_or_else(|| config_error("ALLOWED_SIZES", "a list like 360x270,480h,640w"))?;
    if size_policy == SizePolicy::AllowList && allowed_sizes.is_empty() {
        return Err(config_error("ALLOWED_SIZES", "set when SIZE_POLICY is allow-list"));
    }
    let require = vars.boolean("REQUIRE_SIGNATURE")?;
    let signing = match vars.given("SIGNING_KEY").filter(|k| !k.is_empty()) {
        Some(key) => {
            let mut keys = vec![signing_key("SIGNING_KEY", key)?];
            if let Some(previous) = vars.given("SIGNING_KEY_PREVIOUS").filter(|k| !k.is_empty()) {
                keys.push(signing_key("SIGNING_KEY_PREVIOUS", previous)?);
            }
            Some(Signing { keys, originals_too: require })
        }
        None => None,
    };
    Ok(PolicySettings {
        size_policy,
        allowed_sizes,
        allowed_extensions: list(&vars.value("ALLOWED_EXTENSIONS")).map(|e| e.trim_start_matches('.').to_ascii_lowercase()).collect(),
        signing,
    })
}

fn http(vars: &Vars<impl Fn(&str) -> Option<String>>) -> Result<HttpSettings> {
    Ok(HttpSettings {
        cache_control: vars.value("CACHE_CONTROL"),
        not_found_ttl: vars.number("NOT_FOUND_TTL")? as u32,
        error_ttl: vars.number("ERROR_TTL")? as u32,
        auto_avif: vars.boolean("AUTO_AVIF")?,
        on_error_original: vars.word("ON_ERROR")? == "original",
        debug_headers: vars.boolean("DEBUG_HEADERS")?,
        demo: vars.boolean("DEMO")?,
        max_stale_s: vars.number("MAX_STALE_S")? as u32,
        svg: match vars.word("SVG")? {
            "rasterize" => crate::svg::Mode::Rasterize,
            "refuse" => crate::svg::Mode::Refuse,
            _ => crate::svg::Mode::Sanitize,
        },
        r2_timeout_ms: vars.number("R2_TIMEOUT_MS")? as u32,
    })
}

fn upload(vars: &Vars<impl Fn(&str) -> Option<String>>) -> Result<UploadSettings> {
    let token = match vars.given("UPLOAD_TOKEN").filter(|t| !t.is_empty()) {
        Some(token) if token.len() < MIN_UPLOAD_TOKEN_BYTES => {
            return Err(config_error("UPLOAD_TOKEN", &format!("at least {MIN_UPLOAD_TOKEN_BYTES} characters")))
        }
        token => token,
    };
    let eager_variants: Vec<String> = list(&vars.value("EAGER_VARIANTS")).map(|q| q.trim_start_matches('?').to_string()).collect();
    if eager_variants.len() > MAX_EAGER_VARIANTS {
        return Err(config_error("EAGER_VARIANTS", "at most 16 variants (one queue message renders them all)"));
    }
    Ok(UploadSettings { token, max_bytes: vars.number("UPLOAD_MAX_MB")? * MB, eager_variants })
}

/// `_variants` → `_variants/`: never empty, absolute or climbing.
fn variant_prefix(v: &str) -> Result<String> {
    if v.is_empty() || v.starts_with('/') || v.contains("..") {
        return Err(config_error("VARIANT_PREFIX", "a non-empty key prefix such as _variants/"));
    }
    Ok(if v.ends_with('/') { v.to_string() } else { format!("{v}/") })
}

/// Sorted, without repeats, each within the maximum width.
fn width_steps(v: &str, max_width: u32) -> Result<Vec<u32>> {
    let steps = list(v).map(|w| w.parse::<u32>().ok().filter(|&w| w >= 1 && w <= max_width)).collect::<Option<Vec<_>>>();
    let mut steps = steps
        .filter(|s| s.len() <= 64)
        .ok_or_else(|| config_error("WIDTH_STEPS", "at most 64 widths such as 640,750,828,1080,1200,1920, each within MAX_WIDTH"))?;
    steps.sort_unstable();
    steps.dedup();
    Ok(steps)
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
