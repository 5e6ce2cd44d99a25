//! The files of a tree, from a live directory walk or a recorded listing, as relative paths
//! with `/` separators and sizes.

use std::fs;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

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
    /// Entries that could not be read, by the walk or when the listing was recorded.
    pub unreadable: Vec<Unreadable>,
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
}

impl Tree {
    /// Where a file of the tree is shown: its line in the listing, or its path under the root
    /// written the way the root was (a Windows path stays a Windows path). Built only for
    /// files that have findings, not for every file walked.
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
        crate::files::Bytes(MAX_LISTING_LINE)
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

/// Loads a tree; an error names the file or directory that could not be read.
pub fn load(name: &str, source: &TreeSource) -> Result<Tree, TreeError> {
    load_on(name, source, crate::parallel::workers())
}

/// [`load`], walking a live tree on `workers` threads.
fn load_on(name: &str, source: &TreeSource, workers: usize) -> Result<Tree, TreeError> {
    let ((mut files, mut unreadable), location, listing) = match source {
        // A directory has no bytes of its own: its location is an empty span.
        TreeSource::Live(root) => (walk(root, workers)?, Location::whole(&root.display, 0), false),
        TreeSource::Listing(listing) => {
            let entries = read_listing(listing)?;
            let size = fs::metadata(&listing.path).map_or(0, |m| m.len());
            (entries, Location::whole(&listing.display, size), true)
        }
    };
    // Whole orders, not just by path: a walk's threads find entries in any order, and two
    // names that are not Unicode can read the same once made readable.
    files.sort_unstable_by(|a, b| (&a.path, a.line, a.size, a.modified).cmp(&(&b.path, b.line, b.size, b.modified)));
    unreadable.sort_unstable_by(|a, b| (&a.path, a.line, &a.why).cmp(&(&b.path, b.line, &b.why)));
    Ok(Tree {
        name: name.to_owned(),
        files,
        location,
        unreadable,
        listing,
    })
}

/// Walks a directory without following symbolic links out of it (or round in a loop), on as
/// many threads as there are cores. An entry that cannot be read is recorded with the reason,
/// never skipped silently; only a root that cannot be read at all is an error.
fn walk(root: &Artifact, workers: usize) -> Result<(Vec<TreeFile>, Vec<Unreadable>), TreeError> {
    let cannot = |source| TreeError::Root {
        root: root.display.clone(),
        source,
    };
    let meta = fs::metadata(&root.path).map_err(cannot)?;
    if !meta.is_dir() {
        return Err(TreeError::NotADirectory {
            root: root.display.clone(),
        });
    }
    let canonical_root = fs::canonicalize(&root.path).map_err(cannot)?;
    let walk = Walk {
        state: Mutex::new(WalkState {
            pending: vec![Directory {
                path: root.path.clone(),
                relative: String::new(),
            }],
            ..WalkState::default()
        }),
        changed: Condvar::new(),
        canonical_root,
    };
    // The threads share one stack of directories still to list, as `fd` and the `ignore`
    // crate's parallel walker do. The calling thread is one of them: on one core, no other.
    std::thread::scope(|scope| {
        for _ in 1..workers {
            scope.spawn(|| walk.work());
        }
        walk.work();
    });
    let state = walk.state.into_inner().unwrap_or_else(PoisonError::into_inner);
    // `load` sorts them: the order the threads found them in is not the order they are shown.
    Ok((state.files, state.unreadable))
}

/// A directory still to list, and its path relative to the root.
struct Directory {
    path: PathBuf,
    relative: String,
}

struct Walk {
    state: Mutex<WalkState>,
    /// Signalled when directories are added or the last listing ends.
    changed: Condvar,
    canonical_root: PathBuf,
}

#[derive(Default)]
struct WalkState {
    pending: Vec<Directory>,
    /// Directories being listed now: while there are any, more may come.
    listing: usize,
    files: Vec<TreeFile>,
    unreadable: Vec<Unreadable>,
}

/// What the listing of one directory found; handed over whole, so the lock is taken once per
/// directory, and kept by its thread for the next directory (no allocation per directory).
#[derive(Default)]
struct Listed {
    directories: Vec<Directory>,
    files: Vec<TreeFile>,
    unreadable: Vec<Unreadable>,
}

impl Walk {
    fn lock(&self) -> MutexGuard<'_, WalkState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn work(&self) {
        let mut listed = Listed::default();
        while let Some(directory) = self.take() {
            // Handed back when dropped, even if the listing panics, so the other threads never
            // wait for a listing that will not end.
            let handing = HandBack {
                walk: self,
                listed: &mut listed,
            };
            list(&directory, &self.canonical_root, handing.listed);
        }
    }

    /// The next directory to list; waits while others are listed, as they may find more.
    /// `None` once every directory has been listed.
    fn take(&self) -> Option<Directory> {
        let mut state = self.lock();
        loop {
            if let Some(directory) = state.pending.pop() {
                state.listing += 1;
                return Some(directory);
            }
            if state.listing == 0 {
                return None;
            }
            state = self.changed.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

struct HandBack<'a> {
    walk: &'a Walk,
    listed: &'a mut Listed,
}

impl Drop for HandBack<'_> {
    fn drop(&mut self) {
        let mut state = self.walk.lock();
        state.listing -= 1;
        let wake = !self.listed.directories.is_empty() || state.listing == 0;
        state.pending.append(&mut self.listed.directories);
        state.files.append(&mut self.listed.files);
        state.unreadable.append(&mut self.listed.unreadable);
        drop(state);
        if wake {
            self.walk.changed.notify_all();
        }
    }
}

/// Lists one directory into `listed`: its files with their sizes, its subdirectories to list
/// next, and what could not be read, with why.
fn list(directory: &Directory, canonical_root: &Path, listed: &mut Listed) {
    let prefix = &directory.relative;
    let mut skip = |path: String, why: String| listed.unreadable.push(Unreadable { path, why, line: 0 });
    let entries = match fs::read_dir(&directory.path) {
        Ok(entries) => entries,
        Err(e) => return skip(prefix.clone(), format!("cannot list the directory: {e}")),
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => return skip(prefix.clone(), format!("cannot list the directory: {e}")),
        };
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let relative = if prefix.is_empty() {
            name.into_owned()
        } else {
            format!("{prefix}/{name}")
        };
        let file_type = match entry.file_type() {
            Ok(file_type) => file_type,
            Err(e) => {
                skip(relative, e.to_string());
                continue;
            }
        };
        if file_type.is_dir() {
            listed.directories.push(Directory {
                path: entry.path(),
                relative,
            });
            continue;
        }
        // `DirEntry::metadata` stats relative to the open directory, which is what keeps
        // a walk of a large pack close to `find`. A link is followed only to a file inside
        // the tree; a link to a directory inside it is skipped, as its target is walked.
        let meta = if file_type.is_symlink() {
            match fs::canonicalize(entry.path()) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err("a broken symbolic link".to_owned()),
                // A loop of links, or one the system will not resolve: say what it said.
                Err(e) => Err(format!("a symbolic link that cannot be followed: {e}")),
                Ok(target) if !target.starts_with(canonical_root) => Err(format!(
                    "a symbolic link to {}, outside the tree: not followed",
                    target.display()
                )),
                Ok(target) => fs::metadata(target).map_err(|e| e.to_string()),
            }
        } else {
            entry.metadata().map_err(|e| e.to_string())
        };
        match meta {
            Ok(meta) if meta.is_file() => listed.files.push(TreeFile {
                path: relative,
                size: meta.len(),
                modified: meta.modified().ok(),
                line: 0,
            }),
            // A directory reached through a link inside the tree is walked as its target.
            Ok(meta) if meta.is_dir() => {}
            // A FIFO or device in an update pack is not a file a check can vouch for.
            Ok(meta) => skip(
                relative,
                format!(
                    "it is {}, not a regular file: not checked",
                    crate::files::kind_of(&meta)
                ),
            ),
            Err(why) => skip(relative, why),
        }
    }
}

/// The longest listing line read: a path of Windows' longest (32,767 characters) and its
/// numbers fit many times over.
const MAX_LISTING_LINE: u64 = 1 << 20;

/// One line of a listing: a file with its size (and, from `collect`, its modification time
/// and SHA-256), or an entry that could not be read, with why.
#[derive(Deserialize)]
struct ListingEntry {
    path: String,
    size: Option<u64>,
    error: Option<String>,
}

/// Reads a JSON Lines listing. Paths must stay inside the tree: an absolute path or a `..`
/// that climbs out of it is an error, as a listing can come from anywhere.
fn read_listing(listing: &Artifact) -> Result<(Vec<TreeFile>, Vec<Unreadable>), TreeError> {
    let (file, _) = crate::files::open_regular(&listing.path).map_err(|source| TreeError::Listing {
        listing: listing.display.clone(),
        source,
    })?;
    parse_listing(BufReader::new(file), &listing.display)
}

/// Reads listing lines from `reader`; `display` names the listing in errors.
pub fn parse_listing(mut reader: impl BufRead, display: &str) -> Result<(Vec<TreeFile>, Vec<Unreadable>), TreeError> {
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
            (Some(size), None) => files.push(TreeFile {
                path,
                size,
                modified: None,
                line: line_no,
            }),
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

    #[cfg(unix)]
    #[test]
    fn links_are_followed_only_inside_the_tree_and_the_rest_is_recorded() {
        use std::os::unix::fs::symlink;
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("secret.txt"), b"not ours").unwrap();
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("pack/Redist")).unwrap();
        fs::write(dir.path().join("pack/Redist/a.cab"), b"MSCF").unwrap();
        symlink(dir.path().join("pack/Redist/a.cab"), dir.path().join("pack/inside.cab")).unwrap();
        symlink(dir.path().join("pack"), dir.path().join("loop")).unwrap();
        symlink(outside.path().join("secret.txt"), dir.path().join("pack/out.txt")).unwrap();
        symlink(outside.path(), dir.path().join("elsewhere")).unwrap();
        symlink(dir.path().join("gone.cab"), dir.path().join("pack/broken.cab")).unwrap();
        symlink(dir.path().join("pack/loop-b"), dir.path().join("pack/loop-a")).unwrap();
        symlink(dir.path().join("pack/loop-a"), dir.path().join("pack/loop-b")).unwrap();
        let fifo = dir.path().join("pack/Redist/pipe.cab");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let root = Artifact::given(dir.path());
        let tree = load_on("updatepack", &TreeSource::Live(root.clone()), 1).unwrap();
        for workers in [2, 4] {
            let parallel = load_on("updatepack", &TreeSource::Live(root.clone()), workers).unwrap();
            assert_eq!(format!("{parallel:?}"), format!("{tree:?}"), "{workers} threads");
        }
        let files: Vec<(&str, u64)> = tree.files.iter().map(|f| (f.path.as_str(), f.size)).collect();
        assert_eq!(files, [("pack/Redist/a.cab", 4), ("pack/inside.cab", 4)]);
        let skipped: Vec<(&str, &str)> = tree
            .unreadable
            .iter()
            .map(|u| (u.path.as_str(), u.why.as_str()))
            .collect();
        assert_eq!(skipped[0].0, "elsewhere");
        assert_eq!(
            skipped[1],
            ("pack/Redist/pipe.cab", "it is a FIFO, not a regular file: not checked")
        );
        assert_eq!(skipped[2], ("pack/broken.cab", "a broken symbolic link"));
        assert!(skipped[3].0 == "pack/loop-a" && skipped[3].1.starts_with("a symbolic link that cannot be followed: "));
        assert_eq!(skipped[5].0, "pack/out.txt");
        assert!(skipped[5].1.contains("outside the tree: not followed"));
    }

    /// Deep and wide at once, with empty directories, so the threads both wait for work and
    /// take each other's.
    #[test]
    fn several_threads_walk_to_the_same_tree_as_one() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..300 {
            let sub = dir.path().join(format!("{:02}/{}/Redist", i % 23, i % 5));
            fs::create_dir_all(&sub).unwrap();
            fs::create_dir_all(dir.path().join(format!("empty/{i}"))).unwrap();
            fs::write(sub.join(format!("file{i}.msi")), vec![b'x'; i % 3]).unwrap();
        }
        let root = Artifact {
            path: dir.path().to_owned(),
            display: r"D:\USB\UpdatePacks".to_owned(),
        };
        let one = load_on("updatepack", &TreeSource::Live(root.clone()), 1).unwrap();
        assert_eq!(one.files.len(), 300);
        assert!(one.files.windows(2).all(|w| w[0].path < w[1].path));
        for workers in [2, 3, 8, 32] {
            let parallel = load_on("updatepack", &TreeSource::Live(root.clone()), workers).unwrap();
            assert_eq!(format!("{parallel:?}"), format!("{one:?}"), "{workers} threads");
        }
    }

    #[test]
    fn listings_record_entries_that_could_not_be_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("updatepack.jsonl");
        fs::write(
            &path,
            "{\"path\":\"a/Redist/x.cab\",\"size\":0}\n{\"path\":\"a/locked\",\"error\":\"Access is denied. (os error 5)\"}\n",
        )
        .unwrap();
        let listing = Artifact {
            path,
            display: "trees/updatepack.jsonl".to_owned(),
        };
        let tree = load("updatepack", &TreeSource::Listing(listing)).unwrap();
        assert_eq!(tree.files.len(), 1);
        assert_eq!(
            tree.describe_unreadable(&tree.unreadable[0]),
            "trees/updatepack.jsonl:2: `a/locked` in tree `updatepack` could not be read when the snapshot was collected: Access is denied. (os error 5)"
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
            err.to_string(),
            "trees/updatepack.jsonl:2: path `../../x` points outside the snapshot"
        );
    }
}
