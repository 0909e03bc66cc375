//! `ORIGIN_S3_*`: each request to a private bucket signed with AWS Signature V4 by AWS's own
//! signer (`aws-sigv4`), as S3 wants it: the path signed as sent (encoded once, not normalised)
//! and the payload declared unsigned in `x-amz-content-sha256` (a GET has none).

use crate::config::S3Keys;
use crate::error::{Error, Result};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::UriPathNormalizationMode;
use aws_sigv4::http_request::{sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4::SigningParams;
use std::time::{Duration, UNIX_EPOCH};

/// The headers that sign a GET of `url` at `now_ms` (`authorization`, `x-amz-date`,
/// `x-amz-content-sha256`).
pub fn headers(url: &str, keys: &S3Keys, now_ms: f64) -> Result<Vec<(String, String)>> {
    signed("GET", url, &[], SignableBody::UnsignedPayload, keys, now_ms as u64 / 1000)
}

fn signed(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: SignableBody<'_>,
    keys: &S3Keys,
    now_s: u64,
) -> Result<Vec<(String, String)>> {
    let failed = |e: &dyn std::fmt::Display| Error::Internal(format!("signing the origin request failed: {e}"));
    let identity = Credentials::new(&keys.access_key_id, &keys.secret_access_key, None, None, "ORIGIN_S3").into();
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    // `SystemTime::now` panics in wasm32-unknown-unknown: the time is the flow's clock.
    let params = SigningParams::builder()
        .identity(&identity)
        .region(&keys.region)
        .name("s3")
        .time(UNIX_EPOCH + Duration::from_secs(now_s))
        .settings(settings)
        .build()
        .map_err(|e| failed(&e))?
        .into();
    let request = SignableRequest::new(method, url, headers.iter().copied(), body).map_err(|e| failed(&e))?;
    let (instructions, _) = sign(request, &params).map_err(|e| failed(&e))?.into_parts();
    Ok(instructions.headers().map(|(n, v)| (n.to_string(), v.to_string())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example_keys() -> S3Keys {
        S3Keys {
            region: "us-east-1".into(),
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
        }
    }

    fn authorization(headers: &[(String, String)]) -> &str {
        headers.iter().find(|(n, _)| n == "authorization").map(|(_, v)| v.as_str()).expect("an Authorization header")
    }

    /// AWS's published example for S3 ("Example: GET Object", Signature V4 with the
    /// Authorization header): our settings give its signature.
    #[test]
    fn signs_aws_published_s3_get_object_example() {
        let headers = signed(
            "GET",
            "https://examplebucket.s3.amazonaws.com/test.txt",
            &[("range", "bytes=0-9")],
            SignableBody::Bytes(b""),
            &example_keys(),
            1_369_353_600, // 20130524T000000Z
        )
        .unwrap();
        assert_eq!(
            authorization(&headers),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn a_get_declares_its_payload_unsigned_and_signs_the_path_as_sent() {
        let headers = headers("http://127.0.0.1:9000/bucket/a%20b/c.jpg", &example_keys(), 1_369_353_600_000.0).unwrap();
        let value = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        assert_eq!(value("x-amz-content-sha256").as_deref(), Some("UNSIGNED-PAYLOAD"));
        assert_eq!(value("x-amz-date").as_deref(), Some("20130524T000000Z"));
        let other = super::headers("http://127.0.0.1:9000/bucket/a%2520b/c.jpg", &example_keys(), 1_369_353_600_000.0).unwrap();
        assert_ne!(authorization(&headers), authorization(&other));
    }
}
