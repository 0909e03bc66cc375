//! Reading the origin behind R2 (`ORIGIN_*`) and the remote sources (`REMOTE_*`): each checked,
//! and the S3 credentials together, so half of them is an error rather than unsigned requests.

use super::parse::{config_error, list, Vars};
use super::{OriginSettings, S3Keys};
use crate::error::Result;

/// `ORIGIN_*` and `REMOTE_*`: checked together, so credentials without a region (or the reverse)
/// are an error.
pub(super) fn read(vars: &Vars<impl Fn(&str) -> Option<String>>) -> Result<OriginSettings> {
    let url = match vars.text("ORIGIN_URL") {
        Some(v) => Some(
            url::Url::parse(v.trim().trim_end_matches('/'))
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some() && u.query().is_none() && u.fragment().is_none())
                .ok_or_else(|| config_error("ORIGIN_URL", "an http(s) URL such as https://my-bucket.s3.eu-west-1.amazonaws.com"))?,
        ),
        None => None,
    };
    let set = |name: &str| vars.given(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    // (Without an origin the credentials sign nothing.)
    let s3 = match (set("ORIGIN_S3_REGION"), set("ORIGIN_S3_ACCESS_KEY_ID"), set("ORIGIN_S3_SECRET_ACCESS_KEY")) {
        _ if url.is_none() => None,
        (None, None, None) => None,
        (Some(region), Some(access_key_id), Some(secret_access_key)) => Some(S3Keys { region, access_key_id, secret_access_key }),
        _ => {
            return Err(config_error(
                "ORIGIN_S3_REGION",
                "set with both secrets ORIGIN_S3_ACCESS_KEY_ID and ORIGIN_S3_SECRET_ACCESS_KEY (or none of the three)",
            ))
        }
    };
    Ok(OriginSettings {
        url,
        copy: vars.boolean("ORIGIN_COPY")?,
        timeout_ms: vars.number("ORIGIN_TIMEOUT_S")? as u32 * 1000,
        max_bytes: vars.number("ORIGIN_MAX_MB")? << 20,
        miss_ttl_s: vars.number("ORIGIN_MISS_TTL_S")? as u32,
        s3,
        remote_hosts: list(&vars.value("REMOTE_HOSTS")).map(remote_host).collect::<Result<_>>()?,
        remote_min_ttl_s: vars.number("REMOTE_MIN_TTL_S")? as u32,
    })
}

/// `https://images.example.com`, `https://*.example.com`, `http://127.0.0.1:8080`: an origin,
/// nothing after it.
fn remote_host(entry: &str) -> Result<super::RemoteHost> {
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
    Ok(super::RemoteHost { scheme: url.scheme().to_string(), host, port: url.port() })
}
