//! What a URL may ask for, decided before any image is read: signatures (403), size
//! allow-lists and presets-only mode (400), transformable extensions (415). This is what stops
//! bill attacks: a client cannot make the service resize to arbitrary sizes, or at all without
//! a signature when a key is set.

use crate::config::{Config, RemoteHost, SizePolicy};
use crate::error::{Error, Result};
use crate::transform::SizeSpec;
use crate::url::{ImageRequest, Signature};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Checks `sig` and `exp` when signing is on. `now` is unix seconds.
pub fn check_signature(signature: &Signature, transforms: bool, config: &Config, now: u64) -> Result<()> {
    let Some(signing) = &config.policy.signing else { return Ok(()) };
    let Some(sig) = &signature.sig else {
        return if transforms || signing.originals_too { Err(forbidden("this URL needs a signature (sig=)")) } else { Ok(()) };
    };
    let mac = URL_SAFE_NO_PAD.decode(sig.trim_end_matches('=')).map_err(|_| forbidden("the signature is not base64url"))?;
    let valid = signing.keys.iter().any(|key| {
        let mut m = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
        m.update(signature.message.as_bytes());
        // Constant-time comparison.
        m.verify_slice(&mac).is_ok()
    });
    if !valid {
        return Err(forbidden("the signature does not match this URL"));
    }
    if signature.exp.is_some_and(|exp| now > exp) {
        return Err(forbidden("this URL has expired"));
    }
    Ok(())
}

/// The signature of `message` (a path and query without `sig`) under `key`: what `npm run sign`
/// and the JavaScript in docs/options.md compute.
pub fn sign(message: &str, key: &[u8]) -> String {
    let mut m = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    m.update(message.as_bytes());
    URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())
}

/// The width `width=auto` is served at, for the width the hints ask (`http::hints`): with
/// `WIDTH_STEPS`, the next step up (else the widest); with an allow-list or presets only, the
/// smallest allowed width-only size at least as wide (else the widest), so hints cannot multiply
/// variants; otherwise one of Cloudflare's four widths (320, 768, 960, 1200). Every case is a
/// bounded set, so a signed `width=auto` URL (the signature covers the URL, not the hints) can be
/// rendered at a handful of widths at most, never at every width up to `MAX_WIDTH`.
pub fn hinted_width(width: u32, config: &Config) -> u32 {
    let presets = config.url.presets.iter().map(|(_, s)| *s);
    let steps = &config.cost.width_steps;
    let allowed: Vec<u32> = match config.policy.size_policy {
        SizePolicy::Any if steps.is_empty() => return crate::http::hints::auto_width(width, config.url.max_width),
        SizePolicy::Any => return steps.iter().copied().find(|&s| s >= width).or(steps.last().copied()).unwrap_or(width),
        SizePolicy::AllowList => config.policy.allowed_sizes.iter().copied().chain(presets).collect::<Vec<_>>(),
        SizePolicy::Presets => presets.collect(),
    }
    .into_iter()
    .filter(|s| s.height.is_none() && !s.cover)
    .filter_map(|s| s.width)
    .collect();
    allowed.iter().copied().filter(|&w| w >= width).min().or(allowed.iter().copied().max()).unwrap_or(width)
}

/// `WIDTH_STEPS`: a request that names a width and no height (after `dpr`) is made at the next
/// step up, or the widest step past them all, so a client cannot ask for every width; the width
/// served, for the response to name.
pub fn snap_width(transform: &mut crate::transform::Transform, steps: &[u32]) -> Option<u32> {
    let (Some(width), None, false) = (transform.width, transform.height, steps.is_empty()) else { return None };
    let snapped = steps.iter().copied().find(|&s| s >= width).or(steps.last().copied())?;
    transform.width = Some(snapped);
    Some(snapped)
}

/// Size policy and allowed extensions for the request that will be served.
pub fn check_request(request: &ImageRequest, config: &Config) -> Result<()> {
    let t = &request.transform;
    if t.is_identity() {
        return Ok(());
    }
    let ext = request.key.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).filter(|e| !e.contains('/'));
    // A remote original's URL need not name its type: its bytes decide when it is fetched.
    if !crate::url::remote::is_remote(&request.key) && !ext.as_ref().is_some_and(|e| config.policy.allowed_extensions.contains(e)) {
        return Err(Error::Unsupported(format!(
            "only {} files can be transformed",
            config.policy.allowed_extensions.iter().map(|e| format!(".{e}")).collect::<Vec<_>>().join(", ")
        )));
    }
    // Presets (`size=`) and format-only changes produce a bounded set of variants per original.
    if t.width.is_none() && t.height.is_none() {
        return Ok(());
    }
    let presets = config.url.presets.iter().map(|(_, s)| *s);
    let allowed: Vec<SizeSpec> = match config.policy.size_policy {
        SizePolicy::Any => return Ok(()),
        SizePolicy::AllowList => config.policy.allowed_sizes.iter().copied().chain(presets).collect(),
        SizePolicy::Presets => presets.collect(),
    };
    if allowed.iter().any(|s| s.matches(t)) {
        return Ok(());
    }
    let asked = SizeSpec { width: t.width, height: t.height, cover: false };
    let list = allowed.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ");
    Err(Error::bad_request(format!("size {asked} is not allowed here (allowed: {list})")))
}

/// An absolute-URL source only from an origin on `REMOTE_HOSTS` (403 before any fetch; every
/// redirect hop is checked again). A wildcard entry matches host names only, so an IP literal
/// (a private, loopback or link-local address included) must be named exactly.
pub fn check_remote(source: &str, hosts: &[RemoteHost]) -> Result<()> {
    let url = url::Url::parse(source).map_err(|_| Error::bad_request("the source URL is not valid"))?;
    let host = match url.host() {
        Some(url::Host::Ipv6(ip)) => format!("[{ip}]"),
        Some(host) => host.to_string(),
        None => String::new(),
    };
    let domain = matches!(url.host(), Some(url::Host::Domain(_)));
    let listed = hosts.iter().any(|h| {
        h.scheme == url.scheme()
            && h.port == url.port()
            && match h.host.strip_prefix("*.") {
                Some(suffix) => {
                    domain && host.len() > suffix.len() + 1 && host.ends_with(suffix) && host[..host.len() - suffix.len()].ends_with('.')
                }
                None => h.host == host,
            }
    });
    match listed {
        true => Ok(()),
        false => Err(forbidden(&format!("{}://{host} is not on REMOTE_HOSTS", url.scheme()))),
    }
}

fn forbidden(m: &str) -> Error {
    Error::Forbidden(m.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{PolicySettings, Signing};

    fn signed_config(keys: &[&str], originals_too: bool) -> Config {
        let signing = Some(Signing { keys: keys.iter().map(|k| k.as_bytes().to_vec()).collect(), originals_too });
        Config { policy: PolicySettings { signing, ..Default::default() }, ..Config::default() }
    }

    fn request(url: &str, config: &Config) -> crate::url::Parsed {
        let (path, query) = url.split_once('?').map(|(p, q)| (p, Some(q))).unwrap_or((url, None));
        crate::url::parse(path, query, &config.url).unwrap()
    }

    fn check(url: &str, config: &Config, now: u64) -> Result<()> {
        let p = request(url, config);
        check_signature(&p.signature, !p.request.transform.is_identity(), config, now)
    }

    fn with_sig(url: &str, key: &str) -> String {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}sig={}", sign(url, key.as_bytes()))
    }

    #[test]
    fn valid_tampered_missing_and_expired_signatures() {
        let c = signed_config(&["secret"], true);
        let good = with_sig("/shop/cat.jpg?w=400", "secret");
        assert!(check(&good, &c, 0).is_ok());
        assert_eq!(check(&good.replace("w=400", "w=401"), &c, 0).unwrap_err().status(), 403, "tampered option");
        assert_eq!(check(&good.replace("cat", "dog"), &c, 0).unwrap_err().status(), 403, "tampered key");
        assert_eq!(check("/shop/cat.jpg?w=400", &c, 0).unwrap_err().status(), 403, "missing");
        assert_eq!(check("/shop/cat.jpg?w=400&sig=%%%", &c, 0).unwrap_err().status(), 403, "not base64");
        assert_eq!(check(&with_sig("/shop/cat.jpg?w=400", "other"), &c, 0).unwrap_err().status(), 403, "wrong key");
        let expiring = with_sig("/shop/cat.jpg?w=400&exp=1000", "secret");
        assert!(check(&expiring, &c, 1000).is_ok());
        let e = check(&expiring, &c, 1001).unwrap_err();
        assert!(e.status() == 403 && e.message().contains("expired"), "{e}");
        assert_eq!(check(&expiring.replace("exp=1000", "exp=9999"), &c, 1001).unwrap_err().status(), 403, "exp is signed");
    }

    /// RFC 4231 test case 2, so any other HMAC-SHA256 implementation (the JavaScript in docs/options.md)
    /// agrees with this one.
    #[test]
    fn signatures_are_standard_hmac_sha256_in_base64url() {
        let mac = URL_SAFE_NO_PAD.decode(sign("what do ya want for nothing?", b"Jefe")).unwrap();
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn the_previous_key_still_works_during_a_rotation() {
        let url = with_sig("/a.png?w=10", "old");
        assert_eq!(check(&url, &signed_config(&["new"], true), 0).unwrap_err().status(), 403);
        assert!(check(&url, &signed_config(&["new", "old"], true), 0).is_ok());
    }

    #[test]
    fn unsigned_originals_when_signatures_are_not_required_for_them() {
        let relaxed = signed_config(&["k"], false);
        assert!(check("/a.png", &relaxed, 0).is_ok());
        assert_eq!(check("/a.png?w=10", &relaxed, 0).unwrap_err().status(), 403);
        assert_eq!(check("/a.png", &signed_config(&["k"], true), 0).unwrap_err().status(), 403);
        assert!(check("/a.png?w=10", &Config::default(), 0).is_ok(), "no key, no signatures");
    }

    #[test]
    fn path_grammars_and_padded_signatures_verify() {
        let c = signed_config(&["k"], true);
        let url = with_sig("/cdn-cgi/image/width=400,fit=cover/shop/cat.jpg", "k");
        assert!(check(&url, &c, 0).is_ok());
        assert!(check(&format!("{url}="), &c, 0).is_ok(), "base64 padding is accepted");
    }

    #[test]
    fn size_policies() {
        let allowed_sizes = ["360x270", "480h", "640w"].iter().map(|s| SizeSpec::parse(s, false).unwrap()).collect();
        let allow = Config {
            policy: PolicySettings { size_policy: SizePolicy::AllowList, allowed_sizes, ..Default::default() },
            ..Config::default()
        };
        let ok = |url: &str, c: &Config| check_request(&request(url, c).request, c);
        for url in [
            "/p/360x270/img.jpg",
            "/img-480h.jpg",
            "/img.jpg?w=640",
            "/img.jpg?w=320&dpr=2",
            "/img-md.jpg",
            "/img.jpg?size=L",
            "/img.jpg?format=webp",
            "/img.jpg",
        ] {
            assert!(ok(url, &allow).is_ok(), "{url}");
        }
        for url in ["/img.jpg?w=641", "/img-360x271.jpg", "/img.jpg?h=640"] {
            let e = ok(url, &allow).unwrap_err();
            assert!(e.status() == 400 && e.message().contains("allowed: 360x270, 480h, 640w"), "{url}: {e}");
        }
        let presets = Config { policy: PolicySettings { size_policy: SizePolicy::Presets, ..Default::default() }, ..Config::default() };
        assert!(ok("/img-lg.jpg", &presets).is_ok());
        assert!(ok("/img.jpg?w=1280", &presets).is_ok(), "the same canonical size as a preset");
        assert_eq!(ok("/img.jpg?w=1000", &presets).unwrap_err().status(), 400);
        // `width=auto`: a hinted width snaps to an allowed one, so the request passes the policy.
        assert_eq!((hinted_width(500, &allow), hinted_width(300, &allow), hinted_width(5000, &allow)), (640, 320, 1920));
        assert_eq!((hinted_width(700, &presets), hinted_width(700, &Config::default())), (1280, 768));
    }

    /// Under a signature too, a hinted width is one of a few: the size policy's, a `WIDTH_STEPS`
    /// step, or one of Cloudflare's four widths.
    #[test]
    fn signed_hints_are_bounded() {
        let signed = signed_config(&["k"], true);
        let widths: std::collections::BTreeSet<u32> = (1..=5000).map(|w| hinted_width(w, &signed)).collect();
        assert_eq!(widths.into_iter().collect::<Vec<_>>(), [320, 768, 960, 1200], "every hint: four widths");
        let mut stepped = signed.clone();
        stepped.cost.width_steps = vec![320, 640];
        assert_eq!(hinted_width(700, &stepped), 640, "the widest step past them all");
        assert_eq!(hinted_width(300, &stepped), 320, "a step here, with a height too");
        let mut presets = signed.clone();
        presets.policy.size_policy = SizePolicy::Presets;
        assert_eq!(hinted_width(700, &presets), 1280);
    }

    #[test]
    fn remote_sources_only_from_listed_origins() {
        let hosts = crate::config::Config::from_lookup(|n| {
            (n == "REMOTE_HOSTS")
                .then(|| "https://images.example.com, https://*.cdn.example https://127.0.0.1:8080 http://[::1]:9000".into())
        })
        .unwrap()
        .origin
        .remote_hosts;
        let ok = |u: &str| check_remote(u, &hosts);
        for good in [
            "https://images.example.com/a.jpg",
            "https://eu.cdn.example/a.jpg",
            "https://a.b.cdn.example/x/y.png?v=1",
            "https://127.0.0.1:8080/a.jpg",
            "http://[::1]:9000/a.jpg",
        ] {
            assert!(ok(good).is_ok(), "{good}");
        }
        for bad in [
            "http://images.example.com/a.jpg",
            "https://images.example.com:8443/a.jpg",
            "https://other.example/a.jpg",
            "https://cdn.example/a.jpg",
            "https://evilcdn.example/a.jpg",
            "https://images.example.com.evil.example/a.jpg",
            "https://127.0.0.1/a.jpg",
            "https://10.0.0.1/a.jpg",
            "https://169.254.169.254/latest/meta-data",
            "http://localhost:9000/a.jpg",
        ] {
            assert_eq!(ok(bad).unwrap_err().status(), 403, "{bad}");
        }
        assert_eq!(check_remote("https://images.example.com/a.jpg", &[]).unwrap_err().status(), 403, "none by default");
    }

    #[test]
    fn only_allowed_extensions_are_transformed() {
        let c = Config::default();
        let ok = |url: &str| check_request(&request(url, &c).request, &c);
        assert!(ok("/a.JPG?w=10").is_ok());
        assert_eq!(ok("/a.tiff?w=10").unwrap_err().status(), 415);
        assert_eq!(ok("/noext?w=10").unwrap_err().status(), 415);
        assert!(ok("/a.tiff").is_ok(), "originals are served whatever they are");
    }
}
