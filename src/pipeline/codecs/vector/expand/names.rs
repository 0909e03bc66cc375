//! The names usvg reads: the elements its `svgtree` knows, and the IRI form of a link.

use roxmltree::Node;

pub(super) const SVG_NS: &str = "http://www.w3.org/2000/svg";
pub(super) const XLINK_NS: &str = "http://www.w3.org/1999/xlink";

/// The elements usvg's `svgtree` knows (`EId`); any other is dropped with its subtree.
const KNOWN: &[&str] = &[
    "a",
    "circle",
    "clipPath",
    "defs",
    "ellipse",
    "feBlend",
    "feColorMatrix",
    "feComponentTransfer",
    "feComposite",
    "feConvolveMatrix",
    "feDiffuseLighting",
    "feDisplacementMap",
    "feDistantLight",
    "feDropShadow",
    "feFlood",
    "feFuncA",
    "feFuncB",
    "feFuncG",
    "feFuncR",
    "feGaussianBlur",
    "feImage",
    "feMerge",
    "feMergeNode",
    "feMorphology",
    "feOffset",
    "fePointLight",
    "feSpecularLighting",
    "feSpotLight",
    "feTile",
    "feTurbulence",
    "filter",
    "g",
    "image",
    "line",
    "linearGradient",
    "marker",
    "mask",
    "path",
    "pattern",
    "polygon",
    "polyline",
    "radialGradient",
    "rect",
    "stop",
    "style",
    "svg",
    "switch",
    "symbol",
    "text",
    "textPath",
    "tref",
    "tspan",
    "use",
];

/// usvg's `parse_tag_name`: an element in the SVG namespace (or none) that usvg knows.
pub(super) fn tag<'i>(node: Node<'_, 'i>) -> Option<&'static str> {
    if !node.is_element() || !matches!(node.tag_name().namespace(), None | Some(SVG_NS)) {
        return None;
    }
    let name = node.tag_name().name();
    KNOWN.binary_search(&name).ok().map(|i| KNOWN[i])
}

/// svgtypes' `IRI::from_str`: spaces, `#`, the id up to a space, then only spaces.
pub(super) fn iri(value: &str) -> Option<&str> {
    let space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r');
    let rest = value.trim_start_matches(space).strip_prefix('#')?;
    let (id, after) = rest.split_at(rest.find(' ').unwrap_or(rest.len()));
    (!id.is_empty() && after.trim_start_matches(space).is_empty()).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_are_sorted_for_the_binary_search() {
        assert!(KNOWN.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn iris_parse_as_svgtypes_does() {
        assert_eq!(iri("#a"), Some("a"));
        assert_eq!(iri(" \t#a  "), Some("a"));
        assert_eq!(iri("#a\t"), Some("a\t"));
        assert_eq!(iri("#a b"), None);
        assert_eq!(iri("# a"), None);
        assert_eq!(iri("a"), None);
        assert_eq!(iri("#"), None);
    }
}
