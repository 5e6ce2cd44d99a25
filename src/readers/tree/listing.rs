//! A tree recorded as a listing (`trees/<name>.jsonl`, written by `collect`), read one line at
//! a time, so memory is one line plus the files a rule asked for.

use std::io::{BufRead, BufReader, Read};

use serde::Deserialize;

use super::{Keep, TreeError, TreeFile, Unreadable};
use crate::files::relative_path;
use crate::snapshot::Artifact;

/// The longest listing line read: a path of Windows' longest (32,767 characters) and its
/// numbers fit many times over.
pub const MAX_LISTING_LINE: u64 = 1 << 20;

/// One line of a listing: a file with its size (and, from `collect`, its modification time
/// and SHA-256), or an entry that could not be read, with why.
#[derive(Deserialize)]
struct ListingEntry {
    path: String,
    size: Option<u64>,
    error: Option<String>,
    authenticode: Option<crate::authenticode::Examined>,
    sha256: Option<String>,
    manifest: Option<crate::pack_manifest::Manifest>,
}

/// Reads a JSON Lines listing, keeping the files `keep` asks for. Paths must stay inside the
/// tree: an absolute path or a `..` that climbs out of it is an error, as a listing can come
/// from anywhere.
pub(super) fn read_listing(listing: &Artifact, keep: Keep<'_>) -> Result<(Vec<TreeFile>, Vec<Unreadable>), TreeError> {
    let (file, _) = crate::files::open_regular(&listing.path).map_err(|source| TreeError::Listing {
        listing: listing.display.clone(),
        source,
    })?;
    parse_listing_keeping(BufReader::new(file), &listing.display, keep)
}

/// Reads listing lines from `reader`, every file kept; `display` names the listing in errors.
pub fn parse_listing(reader: impl BufRead, display: &str) -> Result<(Vec<TreeFile>, Vec<Unreadable>), TreeError> {
    parse_listing_keeping(reader, display, &|_| true)
}

pub(super) fn parse_listing_keeping(
    mut reader: impl BufRead,
    display: &str,
    keep: Keep<'_>,
) -> Result<(Vec<TreeFile>, Vec<Unreadable>), TreeError> {
    let listing = || display.to_owned();
    let cannot = |source| TreeError::Listing {
        listing: listing(),
        source,
    };
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    let mut line = Vec::new();
    for line_no in 1.. {
        line.clear();
        // `take` bounds one line: a hostile listing of one endless line must not fill memory.
        let read = (&mut reader)
            .take(MAX_LISTING_LINE + 1)
            .read_until(b'\n', &mut line)
            .map_err(cannot)?;
        if read == 0 {
            break;
        }
        if line.len() as u64 > MAX_LISTING_LINE && !line.ends_with(b"\n") {
            return Err(TreeError::LineTooLong {
                listing: listing(),
                line: line_no,
            });
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_start_matches('\u{feff}').trim();
        if text.is_empty() {
            continue;
        }
        let entry: ListingEntry = serde_json::from_str(text).map_err(|source| TreeError::NotAnEntry {
            listing: listing(),
            line: line_no,
            source,
        })?;
        let path = relative_path(&entry.path).map_err(|why| TreeError::BadPath {
            listing: listing(),
            line: line_no,
            path: entry.path.clone(),
            why,
        })?;
        match (entry.size, entry.error) {
            (_, Some(why)) => unreadable.push(Unreadable {
                path,
                why,
                line: line_no,
            }),
            (Some(size), None) => {
                let file = TreeFile {
                    path,
                    size,
                    modified: None,
                    line: line_no,
                    authenticode: entry.authenticode.map(Box::new),
                    sha256: entry.sha256.map(|h| h.to_ascii_lowercase()),
                    manifest: entry.manifest.map(Box::new),
                };
                if keep(&file) {
                    files.push(file);
                }
            }
            (None, None) => {
                return Err(TreeError::NeitherSizeNorError {
                    listing: listing(),
                    line: line_no,
                    path,
                });
            }
        }
    }
    Ok((files, unreadable))
}
