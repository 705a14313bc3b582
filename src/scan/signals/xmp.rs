//! XMP packets, read with a namespace-aware XML parser (roxmltree): a property counts only when
//! it is in its real namespace, whatever prefix the packet binds to it, as an attribute of an
//! `rdf:Description` or as an element whose text may sit in an `rdf:Alt`/`rdf:Seq` list.
//!
//! A packet that is not well-formed XML (an undeclared prefix, a broken tag) gives no signals:
//! the rest of the file's evidence still counts.

use roxmltree::{Document, Node, ParsingOptions};

use super::HeaderMeta;
use crate::media::limits::XMP_PACKET_MAX_BYTES;

/// Most XML nodes parsed from one packet: a real packet has tens to a few thousand (Photoshop
/// history lists); this caps the tree's memory at a few MiB.
const MAX_NODES: u32 = 100_000;

const NS_TIFF: &str = "http://ns.adobe.com/tiff/1.0/";
const NS_EXIF: &str = "http://ns.adobe.com/exif/1.0/";
const NS_XMP: &str = "http://ns.adobe.com/xap/1.0/";

/// The properties of an XMP packet that the scanner uses.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Xmp {
    pub make: Option<String>,
    pub model: Option<String>,
    pub creator_tool: Option<String>,
    pub user_comment: Option<String>,
    pub gps: bool,
}

/// Parses `packet`; `None` when it is too large, not UTF-8 or not well-formed XML.
pub fn parse(packet: &[u8]) -> Option<Xmp> {
    if packet.len() > XMP_PACKET_MAX_BYTES {
        return None;
    }
    let text = std::str::from_utf8(packet).ok()?;
    let opts = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, opts).ok()?;
    let mut out = Xmp::default();
    for node in doc.descendants().filter(Node::is_element) {
        for attr in node.attributes() {
            if let Some(ns) = attr.namespace() {
                out.take(ns, attr.name(), || clean(attr.value()));
            }
        }
        if let Some(ns) = node.tag_name().namespace() {
            out.take(ns, node.tag_name().name(), || element_text(node));
        }
    }
    Some(out)
}

impl Xmp {
    /// Records property `name` in namespace `ns`; the first value found wins.
    fn take(&mut self, ns: &str, name: &str, value: impl FnOnce() -> Option<String>) {
        let slot = match (ns, name) {
            (NS_TIFF, "Make") => &mut self.make,
            (NS_TIFF, "Model") => &mut self.model,
            (NS_XMP, "CreatorTool") => &mut self.creator_tool,
            (NS_EXIF, "UserComment") => &mut self.user_comment,
            (NS_EXIF, "GPSLatitude" | "GPSLongitude") => {
                self.gps = true;
                return;
            }
            _ => return,
        };
        if slot.is_none() {
            *slot = value();
        }
    }

    /// Fills what the EXIF left empty.
    pub fn apply(self, meta: &mut HeaderMeta) {
        meta.make = meta.make.take().or(self.make);
        meta.model = meta.model.take().or(self.model);
        meta.software = meta.software.take().or(self.creator_tool);
        meta.user_comment = meta.user_comment.take().or(self.user_comment);
        meta.gps |= self.gps;
    }
}

/// The text inside an element, nested list items included.
fn element_text(node: Node<'_, '_>) -> Option<String> {
    let text: String = node
        .descendants()
        .filter(Node::is_text)
        .filter_map(|n| n.text())
        .collect();
    clean(&text)
}

fn clean(s: &str) -> Option<String> {
    let s = s.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    (!s.is_empty()).then(|| s.to_string())
}

/// The first XMP packet in `data` (the `x:xmpmeta` or bare `rdf:RDF` element), if a whole one is
/// there. The prefixes are the ones every XMP writer uses; `parse` then checks the namespaces.
pub fn find(data: &[u8]) -> Option<&[u8]> {
    let (start, close): (usize, &[u8]) = match memchr::memmem::find(data, b"<x:xmpmeta") {
        Some(i) => (i, b"</x:xmpmeta>"),
        None => (memchr::memmem::find(data, b"<rdf:RDF")?, b"</rdf:RDF>"),
    };
    let rest = data.get(start..)?;
    let end = memchr::memmem::find(rest, close)?.checked_add(close.len())?;
    rest.get(..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACKET: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" tiff:Make="Apple" xmp:CreatorTool=" Greenshot "><exif:UserComment><rdf:Alt><rdf:li xml:lang="x-default">Screenshot</rdf:li></rdf:Alt></exif:UserComment><exif:GPSLatitude>48,51.5N</exif:GPSLatitude></rdf:Description></rdf:RDF></x:xmpmeta>"#;

    #[test]
    fn attribute_and_element_forms() {
        let x = parse(PACKET.as_bytes()).unwrap();
        assert_eq!(x.make.as_deref(), Some("Apple"));
        assert_eq!(x.creator_tool.as_deref(), Some("Greenshot"));
        assert_eq!(x.user_comment.as_deref(), Some("Screenshot"));
        assert_eq!(x.model, None);
        assert!(x.gps);
        assert_eq!(find(PACKET.as_bytes()), Some(PACKET.as_bytes()));
    }

    #[test]
    fn namespaces_decide_not_prefixes() {
        // The same local name under another namespace is not the TIFF Make; the TIFF namespace
        // under an unusual prefix is.
        let other = PACKET
            .replace("http://ns.adobe.com/tiff/1.0/", "urn:not-tiff")
            .replace("tiff:", "t:")
            .replace("xmlns:tiff", "xmlns:t");
        assert_eq!(parse(other.as_bytes()).unwrap().make, None);
        let renamed = PACKET
            .replace("tiff:", "camera:")
            .replace("xmlns:tiff", "xmlns:camera");
        assert_eq!(
            parse(renamed.as_bytes()).unwrap().make.as_deref(),
            Some("Apple")
        );
    }

    #[test]
    fn broken_packets_give_nothing_and_never_panic() {
        // The packet of issue #12 (an unclosed start tag), undeclared prefixes, truncations.
        let issue = b"<x:xmpmeta><tiff:Make</tiff:Make></x:xmpmeta>";
        assert_eq!(find(issue), Some(&issue[..]));
        assert_eq!(parse(issue), None);
        for end in 0..PACKET.len() {
            let cut = &PACKET.as_bytes()[..end];
            assert!(parse(cut).is_none() || end == PACKET.len());
            let _ = find(cut);
        }
        assert_eq!(find(b"</x:xmpmeta><x:xmpmeta"), None);
        assert_eq!(parse(&[0xFF, 0xFE]), None);
    }

    #[test]
    fn entity_tricks_are_refused() {
        let laughs = r#"<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&b;</x:xmpmeta>"#;
        assert_eq!(parse(laughs.as_bytes()), None);
        let too_big = vec![b' '; XMP_PACKET_MAX_BYTES + 1];
        assert_eq!(parse(&too_big), None);
    }
}
