//! The XML of a redist manifest (`ConfigMgr.Manifest.xml` inside `ConfigMgr.Manifest.cab`).
//! The shape known is a public 2013 script's, which reads `$Manifest.ConfigMgr.Group`, then
//! each group's `File` with its `CopyName`, `Source` and `SHA256`, and compares `SHA256` with
//! the upper-case hex SHA-256 of the downloaded file; ConfigMgrSetup.log shows the same
//! groups and files (`INFO: Processing file group "Dot_Net_Framework"`, `INFO: Processing
//! file "NDP462-KB3151800-x86-x64-AllOS-ENU.exe"`). Whether today's schema is the same is not
//! documented, so it is read tolerantly: every `File` element at any depth, its `CopyName`
//! and `SHA256` as attributes or child elements, names compared without case. A `File` with
//! no usable name or hash is counted, not guessed at.

use roxmltree::{Document, Node, ParsingOptions};

use super::{Listed, Listing, MAX_ENTRIES, relative, sha256};

/// At most this many XML nodes are parsed (a real manifest has a few hundred).
const MAX_NODES: u32 = 1_000_000;

pub(super) fn parse(bytes: &[u8]) -> Result<Listing, String> {
    let text = crate::document::text::decode(bytes, None).text;
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..ParsingOptions::default()
    };
    let document = Document::parse_with_options(&text, options).map_err(|e| format!("its XML cannot be read: {e}"))?;
    let mut listing = Listing {
        files: Vec::new(),
        unusable: 0,
    };
    let mut elements = 0usize;
    for file in document
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name().eq_ignore_ascii_case("File"))
    {
        elements += 1;
        let name = field(file, "CopyName").and_then(|n| relative(&n));
        let hash = field(file, "SHA256").and_then(|h| sha256(&h));
        match (name, hash) {
            (Some(path), Some(sha256)) if listing.files.len() < MAX_ENTRIES => listing.files.push(Listed {
                path,
                sha256,
                size: None,
                fallback: None,
            }),
            _ => listing.unusable += 1,
        }
    }
    if elements == 0 {
        return Err(format!(
            "its XML (root element `{}`) has no `File` elements: not the redist manifest's known shape",
            document.root_element().tag_name().name()
        ));
    }
    Ok(listing)
}

/// An attribute of `node`, else the text of a child element, by name without case.
fn field(node: Node<'_, '_>, name: &str) -> Option<String> {
    node.attributes()
        .find(|a| a.name().eq_ignore_ascii_case(name))
        .map(|a| a.value().to_owned())
        .or_else(|| {
            node.children()
                .find(|c| c.is_element() && c.tag_name().name().eq_ignore_ascii_case(name))
                .and_then(|c| c.text().map(str::to_owned))
        })
}
