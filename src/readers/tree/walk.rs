//! The walk of a live tree: every core lists directories from one shared stack, and only the
//! files a rule asked for are kept.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use super::{Keep, TreeError, TreeFile, Unreadable};
use crate::snapshot::Artifact;

/// Walks a directory without following symbolic links out of it (or round in a loop), on
/// `workers` threads, keeping the files `keep` asks for. An entry that cannot be read is
/// recorded with the reason, never skipped silently; only a root that cannot be read at all is
/// an error. The entries come back in the order the threads found them: the caller sorts.
pub(super) fn walk(
    root: &Artifact,
    workers: usize,
    keep: Keep<'_>,
) -> Result<(Vec<TreeFile>, Vec<Unreadable>), TreeError> {
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
        keep,
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
    Ok((state.files, state.unreadable))
}

/// A directory still to list, and its path relative to the root.
struct Directory {
    path: PathBuf,
    relative: String,
}

struct Walk<'k> {
    state: Mutex<WalkState>,
    /// Signalled when directories are added or the last listing ends.
    changed: Condvar,
    canonical_root: PathBuf,
    keep: Keep<'k>,
}

/// The stack is popped from its end, so the walk goes deep first and the stack holds only the
/// subdirectories of the directories on one path down, not a whole level of the tree.
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

impl Walk<'_> {
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
            list(&directory, &self.canonical_root, self.keep, handing.listed);
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

struct HandBack<'a, 'k> {
    walk: &'a Walk<'k>,
    listed: &'a mut Listed,
}

impl Drop for HandBack<'_, '_> {
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

/// Lists one directory into `listed`: the files `keep` asks for, with their sizes, its
/// subdirectories to list next, and what could not be read, with why.
fn list(directory: &Directory, canonical_root: &Path, keep: Keep<'_>, listed: &mut Listed) {
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
            Ok(meta) if meta.is_file() => {
                let file = TreeFile {
                    path: relative,
                    size: meta.len(),
                    modified: meta.modified().ok(),
                    line: 0,
                    authenticode: None,
                    sha256: None,
                    manifest: None,
                };
                if keep(&file) {
                    listed.files.push(file);
                }
            }
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
