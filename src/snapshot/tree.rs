//! The files of a tree, from a live directory walk or a recorded listing, as relative paths
//! with `/` separators and sizes.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::Deserialize;

use super::{Artifact, TreeSource};
use crate::finding::Location;

#[derive(Debug, Clone)]
pub struct Tree {
    pub name: String,
    /// Sorted by path, so findings come out in the same order on every machine.
    pub files: Vec<TreeFile>,
    /// The listing, or the root directory: where an absence in the tree is shown.
    pub location: Location,
    listing: bool,
}

#[derive(Debug, Clone)]
pub struct TreeFile {
    pub path: String,
    pub size: u64,
    /// The file's line in a listing (0 for a live tree).
    line: u64,
}

impl Tree {
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

/// Loads a tree; an error names the file or directory that could not be read.
pub fn load(name: &str, source: &TreeSource) -> Result<Tree, String> {
    let (mut files, location, listing) = match source {
        // A directory has no bytes of its own: its location is an empty span.
        TreeSource::Live(root) => (walk(root)?, Location::whole(&root.display, 0), false),
        TreeSource::Listing(listing) => {
            let files = read_listing(listing)?;
            let size = fs::metadata(&listing.path).map_or(0, |m| m.len());
            (files, Location::whole(&listing.display, size), true)
        }
    };
    files.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    Ok(Tree {
        name: name.to_owned(),
        files,
        location,
        listing,
    })
}

/// Walks a directory without following symbolic links to directories, which could lead out of
/// the tree or round in a loop.
fn walk(root: &Artifact) -> Result<Vec<TreeFile>, String> {
    let meta = fs::metadata(&root.path).map_err(|e| format!("cannot read tree {}: {e}", root.display))?;
    if !meta.is_dir() {
        return Err(format!("tree {} is not a directory", root.display));
    }
    let mut files = Vec::new();
    let mut pending = vec![(root.path.clone(), String::new())];
    while let Some((dir, prefix)) = pending.pop() {
        let entries = fs::read_dir(&dir).map_err(|e| format!("cannot read directory {}: {e}", dir.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot read directory {}: {e}", dir.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let relative = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            let file_type = entry
                .file_type()
                .map_err(|e| format!("cannot read {}: {e}", entry.path().display()))?;
            if file_type.is_dir() {
                pending.push((entry.path(), relative));
                continue;
            }
            // A link to a file counts with the size of its target; a link to a directory is
            // not followed. `DirEntry::metadata` stats relative to the open directory, which
            // is what keeps a walk of a large pack close to `find`.
            let meta = if file_type.is_symlink() {
                match fs::metadata(entry.path()) {
                    Ok(meta) if meta.is_file() => meta,
                    Ok(_) => continue,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(format!("cannot read {}: {e}", entry.path().display())),
                }
            } else {
                entry
                    .metadata()
                    .map_err(|e| format!("cannot read {}: {e}", entry.path().display()))?
            };
            if !meta.is_file() {
                continue;
            }
            files.push(TreeFile {
                path: relative,
                size: meta.len(),
                line: 0,
            });
        }
    }
    Ok(files)
}

#[derive(Deserialize)]
struct ListingEntry {
    path: String,
    size: u64,
}

/// Reads a JSON Lines listing. Paths must stay inside the tree: an absolute path or a `..`
/// that climbs out of it is an error, as a listing can come from anywhere.
fn read_listing(listing: &Artifact) -> Result<Vec<TreeFile>, String> {
    let file = fs::File::open(&listing.path).map_err(|e| format!("cannot read listing {}: {e}", listing.display))?;
    let mut files = Vec::new();
    for (index, line) in BufReader::new(file).split(b'\n').enumerate() {
        let line_no = index as u64 + 1;
        let line = line.map_err(|e| format!("cannot read listing {}: {e}", listing.display))?;
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_start_matches('\u{feff}').trim();
        if text.is_empty() {
            continue;
        }
        let entry: ListingEntry = serde_json::from_str(text)
            .map_err(|e| format!("{}:{line_no}: not a listing entry ({e})", listing.display))?;
        let path = relative_path(&entry.path)
            .map_err(|why| format!("{}:{line_no}: path `{}` {why}", listing.display, entry.path))?;
        files.push(TreeFile {
            path,
            size: entry.size,
            line: line_no,
        });
    }
    Ok(files)
}

/// Normalises a path recorded in a snapshot to `a/b/c`, refusing anything that would leave
/// the directory it is relative to.
pub fn relative_path(text: &str) -> Result<String, &'static str> {
    let text = text.replace('\\', "/");
    let bytes = text.as_bytes();
    let has_drive = bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic();
    if text.starts_with('/') || has_drive {
        return Err("is absolute; paths in a snapshot must be relative to it");
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in text.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err("points outside the snapshot");
                }
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        return Err("is empty");
    }
    Ok(parts.join("/"))
}

/// Whether `path` really is inside `root` once links are resolved (a relative path can still
/// lead out through a symbolic link). Paths that do not exist yet are judged by their text.
pub fn stays_inside(root: &Path, path: &Path) -> bool {
    match (fs::canonicalize(root), fs::canonicalize(path)) {
        (Ok(root), Ok(path)) => path.starts_with(root),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_normalised_and_escapes_refused() {
        assert_eq!(
            relative_path(r"3B7D\Redist\.\a.msi"),
            Ok("3B7D/Redist/a.msi".to_owned())
        );
        assert_eq!(relative_path("a/../b"), Ok("b".to_owned()));
        assert!(relative_path("../etc/passwd").is_err());
        assert!(relative_path("a/../../x").is_err());
        assert!(relative_path("/etc/passwd").is_err());
        assert!(relative_path(r"C:\Windows").is_err());
        assert!(relative_path(r"\\server\share").is_err());
    }

    #[test]
    fn walks_a_live_tree_with_windows_style_display() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("3B7D/Redist")).unwrap();
        fs::write(dir.path().join("3B7D/Redist/SQLSysClrTypes.msi"), b"").unwrap();
        fs::write(dir.path().join("ConfigMgr.Update.Manifest.cab"), b"MSCF").unwrap();
        let root = Artifact {
            path: dir.path().to_owned(),
            display: r"D:\USB\UpdatePacks".to_owned(),
        };
        let tree = load("updatepack", &TreeSource::Live(root)).unwrap();
        let files: Vec<(&str, u64)> = tree.files.iter().map(|f| (f.path.as_str(), f.size)).collect();
        assert_eq!(
            files,
            [
                ("3B7D/Redist/SQLSysClrTypes.msi", 0),
                ("ConfigMgr.Update.Manifest.cab", 4)
            ]
        );
        assert_eq!(
            tree.location_of(&tree.files[0]).path,
            r"D:\USB\UpdatePacks\3B7D\Redist\SQLSysClrTypes.msi"
        );
    }

    #[test]
    fn listing_errors_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tree.jsonl");
        fs::write(
            &path,
            "{\"path\":\"a\",\"size\":1}\n{\"path\":\"../../x\",\"size\":0}\n",
        )
        .unwrap();
        let listing = Artifact {
            path,
            display: "trees/updatepack.jsonl".to_owned(),
        };
        let err = load("updatepack", &TreeSource::Listing(listing)).unwrap_err();
        assert_eq!(
            err,
            "trees/updatepack.jsonl:2: path `../../x` points outside the snapshot"
        );
    }
}
