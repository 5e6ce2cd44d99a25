//! The files of a tree, from a live directory walk or a recorded listing, as relative paths
//! with `/` separators and sizes.

mod listing;
mod walk;

use std::fs;
use std::io;
use std::time::SystemTime;

pub use listing::{MAX_LISTING_LINE, parse_listing};

use crate::finding::Location;
use crate::snapshot::TreeSource;

/// Which files of a tree to keep: the walk and the listing drop the others as they go, so a
/// check's memory grows with what its rules can report on, not with the size of the tree.
pub type Keep<'a> = &'a (dyn Fn(&TreeFile) -> bool + Sync);

#[derive(Debug, Clone)]
pub struct Tree {
    pub name: String,
    /// The files asked for (all of them, from [`load`]), sorted by path, so findings come out
    /// in the same order on every machine.
    pub files: Vec<TreeFile>,
    /// The listing, or the root directory: where an absence in the tree is shown.
    pub location: Location,
    /// Entries that could not be read, by the walk or when the listing was recorded.
    pub unreadable: Vec<Unreadable>,
    /// The directory of a live tree, whose files a kind that reads their bytes opens
    /// (`signed-files`); `None` for a listing.
    pub root: Option<std::path::PathBuf>,
    listing: bool,
}

#[derive(Debug, Clone)]
pub struct Unreadable {
    pub path: String,
    pub why: String,
    /// The entry's line in a listing (0 for a live tree).
    line: u64,
}

#[derive(Debug, Clone)]
pub struct TreeFile {
    pub path: String,
    pub size: u64,
    /// Known for a live walk; a listing's checks do not need it.
    pub modified: Option<SystemTime>,
    /// The file's line in a listing (0 for a live tree).
    line: u64,
    /// What `collect` found of the file's Authenticode signatures (a listing of a
    /// signable file only); a live tree's files are examined when a rule needs them.
    pub authenticode: Option<Box<crate::authenticode::Examined>>,
    /// The SHA-256 `collect --hash` recorded (a listing's file only), lower-case hex.
    pub sha256: Option<String>,
    /// What `collect` read of a manifest of the pack (a listing's manifest only); a live
    /// tree's manifests are read when a rule needs them.
    pub manifest: Option<Box<crate::pack_manifest::Manifest>>,
}

impl Tree {
    /// What to say of an entry that could not be read: where, and why.
    pub fn describe_unreadable(&self, entry: &Unreadable) -> String {
        let place = if self.listing {
            format!("{}:{}", self.location.path, entry.line)
        } else {
            self.location.path.clone()
        };
        let path = if entry.path.is_empty() { "." } else { &entry.path };
        let when = if self.listing {
            " when the snapshot was collected"
        } else {
            ""
        };
        format!(
            "{place}: `{path}` in tree `{}` could not be read{when}: {}",
            self.name, entry.why
        )
    }

    /// Where a file of the tree is shown: its line in the listing, or its path under the root
    /// written the way the root was (a Windows path stays a Windows path). Built only for
    /// files that have findings, not for every file walked.
    pub fn location_of(&self, file: &TreeFile) -> Location {
        if self.listing {
            return Location::at_line(&self.location.path, file.line);
        }
        let root = &self.location.path;
        let windows = root.contains('\\') && !root.contains('/');
        let (separator, path) = if windows {
            ('\\', file.path.replace('/', "\\"))
        } else {
            ('/', file.path.clone())
        };
        Location::whole(
            format!("{}{separator}{path}", root.trim_end_matches(['/', '\\'])),
            file.size,
        )
    }
}

/// Why a tree could not be read at all; every message names the directory or listing (by
/// its display name), and a listing's the line.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error("cannot read tree {root}: {source}")]
    Root { root: String, source: io::Error },
    #[error("tree {root} is not a directory")]
    NotADirectory { root: String },
    #[error("cannot read listing {listing}: {source}")]
    Listing { listing: String, source: io::Error },
    #[error(
        "{listing}:{line}: the line is longer than {}; not a listing entry",
        crate::files::Bytes(listing::MAX_LISTING_LINE)
    )]
    LineTooLong { listing: String, line: u64 },
    #[error("{listing}:{line}: not a listing entry ({source})")]
    NotAnEntry {
        listing: String,
        line: u64,
        source: serde_json::Error,
    },
    #[error("{listing}:{line}: path `{path}` {why}")]
    BadPath {
        listing: String,
        line: u64,
        path: String,
        why: &'static str,
    },
    #[error("{listing}:{line}: entry `{path}` has neither `size` nor `error`")]
    NeitherSizeNorError { listing: String, line: u64, path: String },
}

/// Loads a tree with every file; an error names the file or directory that could not be read.
pub fn load(name: &str, source: &TreeSource) -> Result<Tree, TreeError> {
    load_keeping(name, source, &|_| true)
}

/// [`load`], keeping only the files `keep` asks for (every entry that could not be read is
/// kept: it is reported whatever the rules).
pub fn load_keeping(name: &str, source: &TreeSource, keep: Keep<'_>) -> Result<Tree, TreeError> {
    load_on(name, source, crate::parallel::workers(), keep)
}

/// [`load_keeping`], walking a live tree on `workers` threads.
fn load_on(name: &str, source: &TreeSource, workers: usize, keep: Keep<'_>) -> Result<Tree, TreeError> {
    let ((mut files, mut unreadable), location, root) = match source {
        // A directory has no bytes of its own: its location is an empty span.
        TreeSource::Live(root) => (
            walk::walk(root, workers, keep)?,
            Location::whole(&root.display, 0),
            Some(root.path.clone()),
        ),
        TreeSource::Listing(listing) => {
            let entries = listing::read_listing(listing, keep)?;
            let size = fs::metadata(&listing.path).map_or(0, |m| m.len());
            (entries, Location::whole(&listing.display, size), None)
        }
    };
    let listing = root.is_none();
    // Whole orders, not just by path: a walk's threads find entries in any order, and two
    // names that are not Unicode can read the same once made readable.
    files.sort_unstable_by(|a, b| (&a.path, a.line, a.size, a.modified).cmp(&(&b.path, b.line, b.size, b.modified)));
    unreadable.sort_unstable_by(|a, b| (&a.path, a.line, &a.why).cmp(&(&b.path, b.line, &b.why)));
    Ok(Tree {
        name: name.to_owned(),
        files,
        location,
        unreadable,
        root,
        listing,
    })
}

#[cfg(test)]
mod tests;
