//! The manifests inside an update pack that list its files with their SHA-256, read as
//! ConfigMgr reads them before it trusts a file:
//!
//! - the redist manifests `ConfigMgr.Manifest.cab` and `ConfigMgr.LN.Manifest.cab` (in the
//!   pack's `Redist` folder): a cabinet holding one XML file, whose `File` elements name each
//!   redistributable (`CopyName`) with the SHA-256 of the whole file (`SHA256`) ([`redist`]);
//! - `update.map` (extracted from the payload's `SMSSetup\update.map.cab`): `FILEEX` lines
//!   with each file's size and SHA-256, by directory ([`update_map`]).
//!
//! Microsoft documents neither format; what is known comes from public logs and scripts
//! (`../shared/reference/pack-verification.md`). So a manifest that cannot be read as the
//! known shape is [`Manifest::Unreadable`]: sitelint cannot verify against it, which is never
//! a verdict on the pack. Every input is untrusted and bounded: at most [`MAX_MANIFEST`]
//! bytes read or extracted, at most [`MAX_ENTRIES`] files listed.

mod cab;
mod redist;
mod update_map;

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The largest manifest read, and the largest file extracted from a manifest cabinet. Real
/// ones are tens of kilobytes.
pub const MAX_MANIFEST: u64 = 16 << 20;
/// The most files one manifest lists that are kept.
pub const MAX_ENTRIES: usize = 100_000;

/// What a manifest says, or why it cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Manifest {
    Listed(Listing),
    /// Not the format known (or not readable at all): nothing can be verified against it.
    Unreadable(String),
}

/// The files a manifest lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    pub files: Vec<Listed>,
    /// Entries that name a file without a usable SHA-256 (or a usable name): not verified.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unusable: usize,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// One file a manifest lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    /// Where the file is, relative to the manifest's folder, `/`-separated, never climbing
    /// out of it.
    pub path: String,
    /// SHA-256 of the whole file, lower-case hex.
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Where the file is when `path` is a 0-byte placeholder (`update.map`: the payload's
    /// `redist` folder), relative to the manifest's folder; may start with `../`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
}

/// Whether a file's name is that of a manifest this module reads: what `collect` records.
pub fn manifest_name(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    ["ConfigMgr.Manifest.cab", "ConfigMgr.LN.Manifest.cab", "update.map"]
        .iter()
        .any(|known| name.eq_ignore_ascii_case(known))
}

/// Reads the manifest at `path` (its format by its name).
pub fn read_file(path: &Path) -> Manifest {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let bytes = match crate::files::open_regular(path) {
        Ok((file, _)) => {
            let mut bytes = Vec::new();
            match file.take(MAX_MANIFEST + 1).read_to_end(&mut bytes) {
                Ok(_) => bytes,
                Err(e) => return Manifest::Unreadable(format!("cannot read it: {e}")),
            }
        }
        Err(e) => return Manifest::Unreadable(format!("cannot read it: {e}")),
    };
    parse(&name, &bytes)
}

/// Reads a manifest named `name` from its bytes.
pub fn parse(name: &str, bytes: &[u8]) -> Manifest {
    if bytes.len() as u64 > MAX_MANIFEST {
        return Manifest::Unreadable(format!(
            "it is larger than {}, which no manifest is",
            crate::files::Bytes(MAX_MANIFEST)
        ));
    }
    let lower = name.to_ascii_lowercase();
    let read = if lower.ends_with(".map") {
        update_map::parse(bytes)
    } else if lower.ends_with(".cab") {
        cab::extract_xml(bytes).and_then(|xml| redist::parse(&xml))
    } else if lower.ends_with(".xml") {
        redist::parse(bytes)
    } else {
        Err(format!(
            "`{name}` is not a manifest sitelint reads (a redist manifest cabinet or XML, or update.map)"
        ))
    };
    match read {
        Ok(listing) => Manifest::Listed(listing),
        Err(why) => Manifest::Unreadable(why),
    }
}

/// A manifest's relative path (`\` or `/` separated), checked: no empty, `.` or `..`
/// component, not absolute. `None` for one that would leave the manifest's folder.
fn relative(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split(['\\', '/']).filter(|p| !p.is_empty() && *p != ".").collect();
    if parts.is_empty() || parts.iter().any(|p| *p == ".." || p.contains(':')) {
        return None;
    }
    Some(parts.join("/"))
}

/// A SHA-256 as lower-case hex, if `text` is one (64 hex digits, spaces around allowed).
fn sha256(text: &str) -> Option<String> {
    let text = text.trim();
    (text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())).then(|| text.to_ascii_lowercase())
}

#[cfg(test)]
mod tests;
