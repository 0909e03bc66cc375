//! Reading the origin behind R2 (`ORIGIN_*`) and the remote sources (`REMOTE_*`): each checked,
//! and the S3 credentials together, so half of them is an error rather than unsigned requests.

use super::parse::{boolean, config_error, list, parse_in, MAX_BODY_MB};
use super::{OriginSettings, RemoteHost, S3Keys};
use crate::error::Result;

/// `ORIGIN_*`: checked together, so credentials without a region (or the reverse) are an error.
pub(super) fn read(get: &impl Fn(&str) -> Option<String>, origin: &mut OriginSettings) -> Result<()> {
    if let Some(v) = get("REMOTE_HOSTS") {
        origin.remote_hosts = list(&v).map(remote_host).collect::<Result<_>>()?;
    }
    if let Some(v) = get("REMOTE_MIN_TTL_S") {
        origin.remote_min_ttl_s = parse_in("REMOTE_MIN_TTL_S", &v, 0, 31_536_000)? as u32;
    }
    if let Some(v) = get("ORIGIN_TIMEOUT_S") {
        origin.timeout_ms = parse_in("ORIGIN_TIMEOUT_S", &v, 1, 120)? as u32 * 1000;
    }
    if let Some(v) = get("ORIGIN_MAX_MB") {
        origin.max_bytes = parse_in("ORIGIN_MAX_MB", &v, 1, MAX_BODY_MB)? << 20;
    }
    let Some(v) = get("ORIGIN_URL").filter(|v| !v.trim().is_empty()) else { return Ok(()) };
    let base = url::Url::parse(v.trim().trim_end_matches('/'))
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some() && u.query().is_none() && u.fragment().is_none())
        .ok_or_else(|| config_error("ORIGIN_URL", "an http(s) URL such as https://my-bucket.s3.eu-west-1.amazonaws.com"))?;
    origin.url = Some(base);
    if let Some(v) = get("ORIGIN_COPY") {
        origin.copy = boolean("ORIGIN_COPY", &v)?;
    }
    if let Some(v) = get("ORIGIN_MISS_TTL_S") {
        origin.miss_ttl_s = parse_in("ORIGIN_MISS_TTL_S", &v, 0, 86_400)? as u32;
    }
    let set = |name: &str| get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    origin.s3 = match (set("ORIGIN_S3_REGION"), set("ORIGIN_S3_ACCESS_KEY_ID"), set("ORIGIN_S3_SECRET_ACCESS_KEY")) {
        (None, None, None) => None,
        (Some(region), Some(access_key_id), Some(secret_access_key)) => Some(S3Keys { region, access_key_id, secret_access_key }),
        _ => {
            return Err(config_error(
                "ORIGIN_S3_REGION",
                "set with both secrets ORIGIN_S3_ACCESS_KEY_ID and ORIGIN_S3_SECRET_ACCESS_KEY (or none of the three)",
            ))
        }
    };
    Ok(())
}

/// `https://images.example.com`, `https://*.example.com`, `http://127.0.0.1:8080`: an origin,
/// nothing after it.
fn remote_host(entry: &str) -> Result<RemoteHost> {
    let bad = || config_error("REMOTE_HOSTS", "origins such as https://images.example.com or https://*.example.com");
    let (scheme, rest) = entry.split_once("://").ok_or_else(bad)?;
    let (wildcard, rest) = match rest.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, rest),
    };
    let url = url::Url::parse(&format!("{scheme}://{rest}")).map_err(|_| bad())?;
    let plain = matches!(url.scheme(), "http" | "https") && url.path() == "/" && url.query().is_none() && url.username().is_empty();
    let host = match url.host() {
        Some(url::Host::Domain(d)) if plain => d.to_string(),
        Some(ip) if plain && !wildcard => ip.to_string(),
        _ => return Err(bad()),
    };
    // (An IPv6 literal is written with its brackets, as `check_remote` compares it.)
    let host = if wildcard { format!("*.{host}") } else { host };
    Ok(RemoteHost { scheme: url.scheme().to_string(), host, port: url.port() })
}
