//! Which variant a URL names: the decisions a request and an eager variant both make, in one
//! order, so the two cannot drift (an eager `w=700` was once stored under a key no request read:
//! requests snapped to `WIDTH_STEPS`, the queue consumer did not).
//!
//! 1. [`settle`], before any lookup: the width snapped to `WIDTH_STEPS`, `OVERLAYS`' defaults
//!    for the key (a forced watermark makes even an untransformed URL a transform), and with
//!    `SVG=rasterize` a `.svg` key drawn as a PNG rather than served as a document;
//! 2. [`checked`]: the size policy and extensions, each overlay's current version; then for a
//!    client of `accepts`, the keys the variant is cached and persisted under.

use super::ports::{Cache, Store};
use super::{overlays, Ports};
use crate::config::Config;
use crate::error::Result;
use crate::keys;
use crate::transform::{Accepts, Format, FormatChoice, Transform};
use crate::url::ImageRequest;
use crate::{policy, svg};

/// A request's key and transform once step 1 has decided everything the URL alone decides.
#[derive(Debug, Clone)]
pub struct Settled {
    pub key: String,
    pub transform: Transform,
    /// The width `WIDTH_STEPS` moved the request to (said in `x-resize-width`).
    pub snapped: Option<u32>,
}

/// One variant of an original, as a client of `accepts` asks for it.
#[derive(Debug, Clone)]
pub struct Variant {
    pub key: String,
    /// With each overlay's version written in.
    pub transform: Transform,
    /// The client's class when the format is negotiated (`format=auto`), part of every key.
    pub negotiated: Option<&'static str>,
    /// Where the variant is persisted (`None`: nothing to persist, e.g. `format=json`).
    pub variant_key: Option<String>,
}

/// Step 1.
pub fn settle(request: ImageRequest, config: &Config) -> Settled {
    let ImageRequest { key, mut transform } = request;
    let snapped = policy::snap_width(&mut transform, &config.cost.width_steps);
    overlays::add_defaults(config, &key, &mut transform);
    if transform.is_identity() && config.http.svg == svg::Mode::Rasterize && svg::is_svg(None, &key) {
        transform.format = Some(FormatChoice::Is(Format::Png));
    }
    Settled { key, transform, snapped }
}

/// Step 2. `origin` is the request's (what this data centre remembers of the overlays); the
/// queue consumer has none and asks R2. Once per transform, whatever the clients: the keys of
/// each class follow from it ([`Checked::for_client`]) with no more round trips.
pub async fn checked<S: Store + 'static, C: Cache + 'static>(
    settled: &Settled,
    origin: Option<&str>,
    config: &Config,
    ports: &Ports<'_, S, C>,
) -> Result<Checked> {
    let request = ImageRequest { key: settled.key.clone(), transform: settled.transform.clone() };
    policy::check_request(&request, config)?;
    let ImageRequest { key, mut transform } = request;
    overlays::versions(origin, config, ports, &mut transform).await?;
    Ok(Checked { key, transform })
}

/// A transform the policy allows, each overlay's version written in.
#[derive(Debug, Clone)]
pub struct Checked {
    key: String,
    transform: Transform,
}

impl Checked {
    /// The variant a client of `accepts` asks for, and the keys it is cached and persisted under.
    pub fn for_client(&self, accepts: Accepts, config: &Config) -> Variant {
        let negotiated = keys::negotiated_class(&self.transform, accepts);
        let variant_key = keys::variant_key(&config.url.variant_prefix, &self.key, &self.transform, negotiated);
        Variant { key: self.key.clone(), transform: self.transform.clone(), negotiated, variant_key }
    }
}
