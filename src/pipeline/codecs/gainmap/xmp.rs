//! Adobe's `hdrgm` XMP (the form Android's Ultra HDR writes and Chrome reads): the gain map's
//! values on the map image, and on the primary image the version and the container directory that
//! gives the map's length. Parsed as XML (roxmltree, in the tree already), so attributes, elements
//! and per-channel `rdf:Seq` lists all read.

use super::Values;

/// An XMP APP1 payload starts with this.
pub const SIGNATURE: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
const HDRGM: &str = "http://ns.adobe.com/hdr-gain-map/1.0/";

/// The XML of an XMP APP1 payload.
fn xml(payload: &[u8]) -> Option<&str> {
    std::str::from_utf8(payload.strip_prefix(SIGNATURE)?).ok().map(|s| s.trim_end_matches('\0'))
}

/// Whether an XMP payload declares an `hdrgm` version (on the primary: the file has a gain map).
pub fn declares_gain_map(payload: &[u8]) -> bool {
    xml(payload).is_some_and(|x| x.contains(HDRGM) && x.contains("Version"))
}

/// The gain map's length in the primary's container directory (Ultra HDR without an MPF index).
pub fn map_length(payload: &[u8]) -> Option<usize> {
    const ITEM: &str = "http://ns.google.com/photos/1.0/container/item/";
    let doc = roxmltree::Document::parse(xml(payload)?).ok()?;
    let item = doc.descendants().find(|n| n.attribute((ITEM, "Semantic")) == Some("GainMap"))?;
    item.attribute((ITEM, "Length"))?.trim().parse().ok()
}

/// Every `hdrgm:` property: attributes and elements, with an element's `rdf:li` items in order.
fn properties(xml: &str) -> Option<Vec<(String, Vec<String>)>> {
    let doc = roxmltree::Document::parse(xml).ok()?;
    let mut out = Vec::new();
    for node in doc.descendants().filter(|n| n.is_element()) {
        for a in node.attributes().filter(|a| a.namespace() == Some(HDRGM)) {
            out.push((a.name().to_string(), vec![a.value().trim().to_string()]));
        }
        if node.tag_name().namespace() == Some(HDRGM) {
            let items: Vec<String> =
                node.descendants().filter(|n| n.tag_name().name() == "li").filter_map(|n| n.text()).map(|t| t.trim().to_string()).collect();
            let value = if items.is_empty() { vec![node.text().unwrap_or("").trim().to_string()] } else { items };
            out.push((node.tag_name().name().to_string(), value));
        }
    }
    Some(out)
}

/// The gain map's values from its image's XMP, with the specification's defaults for what is
/// left out; `None` without `GainMapMax` (the one value with no default) or with a value that is
/// not a number.
pub fn values(payload: &[u8]) -> Option<Values> {
    let props = properties(xml(payload)?)?;
    let get = |name: &str| props.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let numbers = |name: &str, default: Option<f64>| -> Option<(Vec<f64>, bool)> {
        match get(name) {
            Some(v) => v.iter().map(|s| s.parse::<f64>().ok().filter(|x| x.is_finite())).collect::<Option<Vec<_>>>().map(|v| (v, true)),
            None => default.map(|d| (vec![d], false)),
        }
    };
    let max = numbers("GainMapMax", None)?.0;
    let min = numbers("GainMapMin", Some(0.0))?.0;
    let gamma = numbers("Gamma", Some(1.0))?.0;
    let offset_sdr = numbers("OffsetSDR", Some(1.0 / 64.0))?.0;
    let offset_hdr = numbers("OffsetHDR", Some(1.0 / 64.0))?.0;
    let capacity_min = numbers("HDRCapacityMin", Some(0.0))?.0[0];
    let capacity_max = numbers("HDRCapacityMax", Some(max.iter().cloned().fold(f64::MIN, f64::max)))?.0[0];
    let lists = [&max, &min, &gamma, &offset_sdr, &offset_hdr];
    let channels = if lists.iter().any(|l| l.len() == 3) { 3 } else { 1 };
    if lists.iter().any(|l| l.len() != 1 && l.len() != 3) || gamma.iter().any(|g| *g <= 0.0) {
        return None;
    }
    let three = |l: &[f64]| if l.len() == 3 { [l[0], l[1], l[2]] } else { [l[0]; 3] };
    let base_is_hdr = get("BaseRenditionIsHDR").is_some_and(|v| v.first().is_some_and(|s| s.eq_ignore_ascii_case("true")));
    Some(Values {
        min: three(&min),
        max: three(&max),
        gamma: three(&gamma),
        offset_sdr: three(&offset_sdr),
        offset_hdr: three(&offset_hdr),
        capacity_min,
        capacity_max,
        base_is_hdr,
        channels,
        use_base_colour_space: true,
    })
}

/// The map image's XMP payload for `values` (written when the original carried only ISO 21496-1).
pub fn for_gain_map(v: &Values) -> Vec<u8> {
    let each = |name: &str, l: [f64; 3]| -> String {
        if v.channels == 3 && (l[0] != l[1] || l[1] != l[2]) {
            let items: String = l.iter().map(|x| format!("<rdf:li>{}</rdf:li>", number(*x))).collect();
            format!("<hdrgm:{name}><rdf:Seq>{items}</rdf:Seq></hdrgm:{name}>")
        } else {
            format!("<hdrgm:{name}>{}</hdrgm:{name}>", number(l[0]))
        }
    };
    let body = [
        each("GainMapMin", v.min),
        each("GainMapMax", v.max),
        each("Gamma", v.gamma),
        each("OffsetSDR", v.offset_sdr),
        each("OffsetHDR", v.offset_hdr),
        format!("<hdrgm:HDRCapacityMin>{}</hdrgm:HDRCapacityMin>", number(v.capacity_min)),
        format!("<hdrgm:HDRCapacityMax>{}</hdrgm:HDRCapacityMax>", number(v.capacity_max)),
        format!("<hdrgm:BaseRenditionIsHDR>{}</hdrgm:BaseRenditionIsHDR>", if v.base_is_hdr { "True" } else { "False" }),
    ]
    .concat();
    packet(&format!(r#"<rdf:Description rdf:about="" xmlns:hdrgm="{HDRGM}" hdrgm:Version="1.0">{body}</rdf:Description>"#))
}

/// The primary image's XMP payload: the `hdrgm` version and the container directory, whose
/// second item is the gain map of `map_length` bytes that follows the primary.
pub fn for_primary(map_length: usize) -> Vec<u8> {
    let item = |semantic: &str, length: &str| {
        format!(r#"<rdf:li rdf:parseType="Resource"><Container:Item Item:Semantic="{semantic}" Item:Mime="image/jpeg"{length}/></rdf:li>"#)
    };
    let items = [item("Primary", ""), item("GainMap", &format!(r#" Item:Length="{map_length}""#))].concat();
    packet(&format!(
        concat!(
            r#"<rdf:Description rdf:about="" xmlns:Container="http://ns.google.com/photos/1.0/container/" "#,
            r#"xmlns:Item="http://ns.google.com/photos/1.0/container/item/" xmlns:hdrgm="{}" hdrgm:Version="1.0">"#,
            r#"<Container:Directory><rdf:Seq>{}</rdf:Seq></Container:Directory></rdf:Description>"#
        ),
        HDRGM, items
    ))
}

fn packet(description: &str) -> Vec<u8> {
    let xml = format!(
        r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">{description}</rdf:RDF></x:xmpmeta>"#
    );
    [SIGNATURE, xml.as_bytes()].concat()
}

/// Enough digits to give the same double back.
fn number(x: f64) -> String {
    format!("{x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(channels: u8) -> Values {
        Values {
            min: [0.0, 0.1, 0.2],
            max: [6.64386, 5.5, 4.25],
            gamma: [1.0, 1.0, 1.0],
            offset_sdr: [1.0 / 64.0; 3],
            offset_hdr: [0.0; 3],
            capacity_min: 0.0,
            capacity_max: 6.64386,
            base_is_hdr: false,
            channels,
            use_base_colour_space: true,
        }
    }

    #[test]
    fn written_values_read_back_for_one_and_three_channels() {
        let one = Values { min: [0.0; 3], max: [6.64386; 3], ..v(1) };
        assert_eq!(values(&for_gain_map(&one)), Some(one));
        assert_eq!(values(&for_gain_map(&v(3))), Some(v(3)));
    }

    #[test]
    fn attributes_read_with_the_specifications_defaults_and_bad_numbers_refuse() {
        let xmp = |attrs: &str| {
            let d = format!(r#"<rdf:Description xmlns:hdrgm="{HDRGM}" hdrgm:Version="1.0" {attrs}/>"#);
            packet(&d)
        };
        let read = values(&xmp(r#"hdrgm:GainMapMax="3" hdrgm:BaseRenditionIsHDR="True""#)).unwrap();
        assert_eq!((read.max, read.min, read.gamma), ([3.0; 3], [0.0; 3], [1.0; 3]));
        assert_eq!((read.offset_sdr, read.capacity_max, read.base_is_hdr, read.channels), ([1.0 / 64.0; 3], 3.0, true, 1));
        assert_eq!(values(&xmp(r#"hdrgm:GainMapMin="1""#)), None, "no GainMapMax");
        assert_eq!(values(&xmp(r#"hdrgm:GainMapMax="lots""#)), None);
        assert_eq!(values(&xmp(r#"hdrgm:GainMapMax="2" hdrgm:Gamma="0""#)), None);
        assert!(declares_gain_map(&xmp("")));
        assert!(!declares_gain_map(&packet("<rdf:Description/>")));
    }

    #[test]
    fn the_primary_directory_names_the_maps_length() {
        let p = for_primary(31738);
        let x = xml(&p).unwrap();
        assert!(roxmltree::Document::parse(x).is_ok());
        assert!(x.contains(r#"Item:Semantic="GainMap" Item:Mime="image/jpeg" Item:Length="31738""#));
        assert!(declares_gain_map(&p));
        assert_eq!(map_length(&p), Some(31738));
    }
}
