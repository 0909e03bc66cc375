//! What a document expands to in usvg, counted on the XML before usvg builds anything.
//!
//! usvg 0.49 first copies the XML into its own tree (`svgtree`), replacing each `<use>` by a copy
//! of its target and each `<tref>` by the target's text, and only then converts that tree to the
//! picture, where each shape with markers gets a copy of the markers' content at every vertex.
//! None of these copies is bounded by the file's size, and usvg only stops at a million nodes,
//! after building them. So the counting here follows usvg's own rules, read from its source
//! (`parser/svgtree/parse.rs`, `parser/svgtree/text.rs`, `parser/marker.rs`):
//!
//! - a `<use>` target is the **first** element with that `id` in document order (usvg's `id_map`
//!   keeps the first; an earlier version of this count kept the last, so a small element first
//!   and a bomb last were counted small and drawn large);
//! - its link is the unprefixed `href` when there is one, whatever the order of the attributes,
//!   else `xlink:href` (SVG 2); the value is an IRI: spaces, `#`, the id up to a space;
//! - only elements in the SVG namespace (or none) with a name usvg knows are copied, with their
//!   subtrees; `<style>` is dropped, `<a>` is a group;
//! - a `<use>` is skipped when its target is itself or the `<use>` whose copy it is in, or when
//!   a `<use>` inside the target links back to it or to the target (usvg checks this by walking
//!   the target's descendants each time: that walk is counted as lookups);
//! - nesting deeper than 1024 is an error in usvg: here it is over the limit;
//! - `<tref>` copies every character of its target's text (`xlink:href` first there, the first
//!   element with the id, found by a walk of the document: counted as lookups);
//! - each character of text may become a glyph path, so text counts a node per character;
//! - a shape in the scope of a `marker` property gets, at each vertex, a group, a clip path and a
//!   copy of the marker's content; as which marker applies depends on CSS and inheritance, every
//!   vertex is counted with the content of all markers together (an over-estimate), and markers
//!   in markers are followed to 8 levels, more (or a marker reaching itself) is over the limit.
//!
//! Every node is counted once per copy, with memoisation, so the count itself is linear; it stops
//! as soon as it passes its limits.

use roxmltree::{Node, NodeId};
use std::collections::HashMap;

mod names;
use names::{iri, tag, SVG_NS, XLINK_NS};

/// usvg's limit on nesting (`parse_xml_node`).
const MAX_DEPTH: u32 = 1024;
/// Levels of markers inside markers followed before giving up.
const MARKER_LEVELS: usize = 8;

/// What a document costs usvg to build: the nodes of its tree once every `<use>`, `<tref>` and
/// marker is copied, and the lookups usvg makes to resolve them (walks of the document or of a
/// `<use>` target, one per element stepped over).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expansion {
    /// Nodes, or `u64::MAX` when counting stopped at a limit or at something usvg refuses.
    pub elements: u64,
    /// Elements stepped over by usvg's lookups.
    pub lookups: u64,
}

/// Counts `doc` as usvg would build it, stopping once `elements` or `lookups` passes its limit.
pub fn expansion(doc: &roxmltree::Document, max_elements: u64, max_lookups: u64) -> Expansion {
    let mut ids = HashMap::new();
    let mut first_index = HashMap::new();
    let mut markers = Vec::new();
    let mut css_markers = false;
    for (i, n) in doc.descendants().enumerate() {
        if let Some(id) = n.attribute("id") {
            ids.entry(id).or_insert(n);
            first_index.entry(id).or_insert(i as u64);
        }
        match tag(n) {
            Some("marker") => markers.push(n),
            Some("style") => css_markers |= n.text().is_some_and(|t| t.contains("marker")),
            _ => {}
        }
    }
    let mut c = Counter {
        ids,
        first_index,
        all: doc.descendants().count() as u64,
        memo: HashMap::new(),
        text_len: HashMap::new(),
        marker_weight: 0,
        fresh: 0,
        lookups: 0,
        max_elements,
        max_lookups,
        over: false,
    };
    let root = doc.root();
    if !markers.is_empty() {
        // Markers in markers: the content of all markers, with the weight of the level below,
        // until it stops growing.
        let mut settled = false;
        for _ in 0..MARKER_LEVELS {
            c.memo.clear();
            c.fresh = 0;
            let weight = markers.iter().fold(0u64, |sum, &m| {
                let inherited = css_markers || m.ancestors().any(has_marker_property);
                sum.saturating_add(c.node(m, root, 0, inherited).0)
            });
            if c.over || weight == c.marker_weight {
                settled = true;
                break;
            }
            c.marker_weight = weight;
        }
        c.over |= !settled;
        c.memo.clear();
        c.fresh = 0;
    }
    let mut elements = 0u64;
    for child in root.children() {
        elements = elements.saturating_add(c.node(child, root, 0, css_markers).0);
    }
    let over = c.over || elements > max_elements;
    Expansion { elements: if over { u64::MAX } else { elements }, lookups: c.lookups }
}

struct Counter<'a, 'i> {
    /// The first element with each id (`<use>` and `<tref>` targets).
    ids: HashMap<&'a str, Node<'a, 'i>>,
    /// Its position in document order: what a walk of the document steps over to find it.
    first_index: HashMap<&'a str, u64>,
    /// Nodes in the document: what a walk for an id that is not there steps over.
    all: u64,
    /// (node, the `<use>` whose copy it is in, markers in scope) → (nodes, nesting below).
    memo: HashMap<(NodeId, NodeId, bool), (u64, u32)>,
    /// Characters of text under an element (a `<tref>` target).
    text_len: HashMap<NodeId, u64>,
    /// Nodes one marker instance adds, over all markers.
    marker_weight: u64,
    /// Nodes walked (not from the memo) in this pass: never more than the count.
    fresh: u64,
    lookups: u64,
    max_elements: u64,
    max_lookups: u64,
    over: bool,
}

impl<'a, 'i> Counter<'a, 'i> {
    /// Mirrors usvg's `parse_xml_node`: (nodes, nesting below this one).
    fn node(&mut self, node: Node<'a, 'i>, origin: Node<'a, 'i>, depth: u32, markers: bool) -> (u64, u32) {
        if self.over {
            return (0, 0);
        }
        if depth > MAX_DEPTH {
            self.over = true;
            return (0, 0);
        }
        let Some(name) = tag(node) else { return (0, 0) };
        if name == "style" {
            return (0, 0);
        }
        let markers = markers || has_marker_property(node);
        let key = (node.id(), origin.id(), markers);
        if let Some(&(n, below)) = self.memo.get(&key) {
            if depth + below > MAX_DEPTH {
                self.over = true;
            }
            return (n, below);
        }
        self.fresh += 1;
        if self.fresh > self.max_elements {
            self.over = true;
            return (0, 0);
        }
        let mut n = 1u64;
        let mut below = 0u32;
        match name {
            "text" => n = n.saturating_add(self.text(node)),
            "use" => {
                if let Some((m, b)) = self.use_target(node, origin, depth + 1, markers) {
                    n = n.saturating_add(m);
                    below = b + 1;
                }
            }
            _ => {
                for child in node.children() {
                    let (m, b) = self.node(child, origin, depth + 1, markers);
                    n = n.saturating_add(m);
                    below = below.max(b + 1);
                }
            }
        }
        if markers && self.marker_weight > 0 {
            if let Some(vertices) = vertices(node, name) {
                // Each instance: a group, a clip path with its rectangle, and the content.
                n = n.saturating_add(vertices.saturating_add(2).saturating_mul(self.marker_weight.saturating_add(3)));
            }
        }
        if n > self.max_elements {
            self.over = true;
        }
        self.memo.insert(key, (n, below));
        (n, below)
    }

    /// Mirrors usvg's `parse_svg_use_element`: the copy of the target, unless usvg skips it.
    fn use_target(&mut self, node: Node<'a, 'i>, origin: Node<'a, 'i>, depth: u32, markers: bool) -> Option<(u64, u32)> {
        let link = self.resolve(node)?;
        if link == node || link == origin {
            return None;
        }
        tag(link)?;
        for d in link.descendants().skip(1) {
            self.lookup(1);
            if d.has_tag_name((SVG_NS, "use")) {
                if let Some(back) = self.resolve(d) {
                    if back == node || back == link {
                        return None;
                    }
                }
            }
        }
        // Within the copy, `node` is the origin usvg compares against.
        Some(self.node(link, node, depth, markers))
    }

    /// usvg's `resolve_href`: unprefixed `href` first, then `xlink:href`; the first element
    /// with the id.
    fn resolve(&self, node: Node<'a, 'i>) -> Option<Node<'a, 'i>> {
        let value = node
            .attributes()
            .find(|a| a.name() == "href" && a.namespace().is_none())
            .or_else(|| node.attributes().find(|a| a.name() == "href" && a.namespace() == Some(XLINK_NS)))?
            .value();
        self.ids.get(iri(value)?).copied()
    }

    /// Mirrors usvg's `parse_svg_text_element_impl`: a node per text run, `tspan`, `tref` and
    /// `textPath`, and one per character (a glyph each, once shaped).
    fn text(&mut self, parent: Node<'a, 'i>) -> u64 {
        let mut n = 0u64;
        for node in parent.children() {
            if node.is_text() {
                n = n.saturating_add(1 + node.text().map_or(0, |t| t.chars().count() as u64));
                continue;
            }
            let name = match tag(node) {
                Some("a") => "tspan",
                Some(name @ ("tspan" | "tref" | "textPath")) => name,
                _ => continue,
            };
            if name == "textPath" && parent.tag_name().name() != "text" {
                continue;
            }
            n = n.saturating_add(1);
            if name == "tref" {
                n = n.saturating_add(1).saturating_add(self.tref(node));
            } else {
                n = n.saturating_add(self.text(node));
            }
        }
        if n > self.max_elements {
            self.over = true;
        }
        n
    }

    /// usvg's `resolve_tref_text`: `xlink:href` first, the first element with the id, found by a
    /// walk of the document; all the text under it.
    fn tref(&mut self, node: Node<'a, 'i>) -> u64 {
        let Some(value) = node.attribute((XLINK_NS, "href")).or_else(|| node.attribute("href")) else { return 0 };
        let Some(id) = iri(value) else { return 0 };
        self.lookup(self.first_index.get(id).map_or(self.all, |i| i + 1));
        let Some(&target) = self.ids.get(id) else { return 0 };
        if tag(target).is_none() {
            return 0;
        }
        if let Some(&n) = self.text_len.get(&target.id()) {
            return n;
        }
        let mut n = 0u64;
        for d in target.descendants() {
            self.lookup(1);
            if d.is_text() {
                n += d.text().map_or(0, |t| t.chars().count() as u64);
            }
        }
        self.text_len.insert(target.id(), n);
        n
    }

    fn lookup(&mut self, steps: u64) {
        self.lookups = self.lookups.saturating_add(steps);
        if self.lookups > self.max_lookups {
            self.over = true;
        }
    }
}

/// Nodes of usvg's tree: groups with their children, a text with its glyphs (`flattened`), and
/// each clip path, mask, pattern and `feImage` once (they are shared where referenced).
pub fn tree_nodes(tree: &resvg::usvg::Tree) -> u64 {
    use resvg::usvg::filter::Kind;
    let shared = tree
        .clip_paths()
        .iter()
        .map(|c| group_nodes(c.root()))
        .chain(tree.masks().iter().map(|m| group_nodes(m.root())))
        .chain(tree.patterns().iter().map(|p| group_nodes(p.root())))
        .chain(tree.filters().iter().flat_map(|f| f.primitives()).map(|p| match p.kind() {
            Kind::Image(i) => group_nodes(i.root()),
            _ => 0,
        }));
    group_nodes(tree.root()) + shared.sum::<u64>()
}

fn group_nodes(g: &resvg::usvg::Group) -> u64 {
    use resvg::usvg::Node;
    1 + g
        .children()
        .iter()
        .map(|c| match c {
            Node::Group(g) => group_nodes(g),
            Node::Text(t) => 1 + group_nodes(t.flattened()),
            _ => 1,
        })
        .sum::<u64>()
}

fn has_marker_property(node: Node) -> bool {
    node.attributes().any(|a| a.name().starts_with("marker") || (a.name() == "style" && a.value().contains("marker")))
}

/// At least the vertices usvg puts markers on: every segment of a path or point list needs a
/// command or a number, so their count bounds it; the basic shapes have at most 10.
fn vertices(node: Node, name: &str) -> Option<u64> {
    let data = match name {
        "path" => node.attribute("d").unwrap_or(""),
        "polyline" | "polygon" => node.attribute("points").unwrap_or(""),
        "rect" | "circle" | "ellipse" | "line" => return Some(10),
        _ => return None,
    };
    let mut n = 0u64;
    let mut in_digits = false;
    for b in data.bytes() {
        let digit = b.is_ascii_digit();
        if (digit && !in_digits) || matches!(b, b'.' | b'-' | b'+') || (b.is_ascii_alphabetic() && !matches!(b, b'e' | b'E')) {
            n += 1;
        }
        in_digits = digit;
    }
    Some(n + 1)
}
