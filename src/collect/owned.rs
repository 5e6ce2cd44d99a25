//! What in a directory `collect` wrote: the parts its `snapshot.yaml` names, at the places
//! `collect` puts them, and the folders that hold them. `--force` replaces a directory only
//! when it holds nothing else, and removes nothing else, so `--out D:\USB --force` with the
//! update pack beside the manifest is refused instead of deleting the pack.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::snapshot::manifest_file::MANIFEST_NAME;
use crate::sources::{collect_folders, in_collect_layout};

/// What `collect` wrote in a directory, deepest first, so that removing them in order
/// empties each folder before it is removed.
#[derive(Debug, Default)]
pub(super) struct Owned {
    files: Vec<PathBuf>,
    folders: Vec<PathBuf>,
}

/// Why a directory is not only what `collect` wrote: the entries it did not write (relative,
/// with `/`), or why its manifest cannot say.
#[derive(Debug)]
pub(super) enum Foreign {
    Entries(Vec<String>),
    Unreadable(String),
}

impl Foreign {
    /// In words, naming at most a few entries.
    pub(super) fn describe(&self) -> String {
        match self {
            Foreign::Unreadable(why) => why.clone(),
            Foreign::Entries(entries) => {
                const SHOWN: usize = 5;
                let mut named: Vec<String> = entries.iter().take(SHOWN).map(|e| format!("`{e}`")).collect();
                if entries.len() > SHOWN {
                    named.push(format!("{} more", entries.len() - SHOWN));
                }
                format!("it holds what collect did not write: {}", named.join(", "))
            }
        }
    }
}

/// Sorts out what is in `dir`: all of it written by `collect` (or nothing at all), or what is not.
pub(super) fn survey(dir: &Path) -> Result<Owned, Foreign> {
    let mut found = Vec::new();
    walk(dir, "", &mut found).map_err(|e| Foreign::Unreadable(format!("cannot list {}: {e}", dir.display())))?;
    if found.is_empty() {
        return Ok(Owned::default());
    }
    let named = if dir.join(MANIFEST_NAME).is_file() {
        let snapshot = crate::sources::read_manifest::load(dir).map_err(|_| {
            Foreign::Unreadable(format!(
                "its {MANIFEST_NAME} is not one that collect wrote (it does not load)"
            ))
        })?;
        let mut named: BTreeSet<String> = crate::sources::parts(&snapshot)
            .map(|part| comparable(&part.artifact.display))
            .filter(|relative| in_collect_layout(relative))
            .collect();
        named.insert(comparable(MANIFEST_NAME));
        named
    } else {
        BTreeSet::new()
    };
    let mut owned = Owned::default();
    let mut foreign = Vec::new();
    for (relative, is_folder) in found {
        let key = comparable(&relative);
        let ours = if is_folder {
            is_part_folder(&key)
        } else {
            named.contains(&key)
        };
        match (ours, is_folder) {
            (false, _) => foreign.push(relative),
            (true, true) => owned.folders.push(dir.join(&relative)),
            (true, false) => owned.files.push(dir.join(&relative)),
        }
    }
    if foreign.is_empty() {
        Ok(owned)
    } else {
        Err(Foreign::Entries(foreign))
    }
}

/// Why a snapshot `collect` replaced was kept.
#[derive(Debug, thiserror::Error)]
pub(super) enum NotRemoved {
    /// It holds what `collect` did not write, or its manifest cannot say what it wrote.
    #[error("{}", .0.describe())]
    Foreign(Foreign),
    #[error("cannot remove {}: {source}", .dir.display())]
    Io { dir: PathBuf, source: io::Error },
}

/// Removes `dir` if it holds only what `collect` wrote, and nothing when it holds more.
pub(super) fn remove(dir: &Path) -> Result<(), NotRemoved> {
    let owned = survey(dir).map_err(NotRemoved::Foreign)?;
    let removed = owned
        .files
        .iter()
        .try_for_each(fs::remove_file)
        .and_then(|()| owned.folders.iter().try_for_each(fs::remove_dir))
        .and_then(|()| fs::remove_dir(dir));
    removed.map_err(|source| NotRemoved::Io {
        dir: dir.to_owned(),
        source,
    })
}

/// Every entry under `dir`, relative with `/`, with whether it is a part folder: those are
/// descended into (and listed after what they hold); any other entry is listed as one, a
/// folder as `NAME/`. Links are entries, never followed: collect writes none.
fn walk(dir: &Path, prefix: &str, found: &mut Vec<(String, bool)>) -> io::Result<()> {
    let mut entries: Vec<fs::DirEntry> = fs::read_dir(dir)?.collect::<io::Result<_>>()?;
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let relative = format!("{prefix}{}", entry.file_name().to_string_lossy());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            // Only the part folders at the top are descended into; any other folder is
            // foreign as a whole.
            if prefix.is_empty() && is_part_folder(&comparable(&relative)) {
                walk(&entry.path(), &format!("{relative}/"), found)?;
                found.push((relative, true));
            } else {
                found.push((format!("{relative}/"), false));
            }
        } else {
            // A file, or a link or FIFO, which is never a part collect wrote: only a regular
            // file can match a name of the manifest.
            let name = if kind.is_file() {
                relative
            } else {
                format!("{relative} (not a file)")
            };
            found.push((name, false));
        }
    }
    Ok(())
}

/// Whether a top-level folder (named as [`comparable`] gives it) is one `collect` writes parts into.
fn is_part_folder(key: &str) -> bool {
    collect_folders().any(|folder| comparable(folder) == key)
}

/// Names as the file system compares them: Windows' are the same whatever their case.
fn comparable(name: &str) -> String {
    if cfg!(windows) {
        name.to_lowercase()
    } else {
        name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_parts_the_manifest_names_in_collects_layout_are_owned() {
        let dir = tempfile::tempdir().unwrap();
        let snap = dir.path();
        fs::create_dir_all(snap.join("logs")).unwrap();
        fs::create_dir_all(snap.join("network")).unwrap();
        fs::create_dir_all(snap.join("registry")).unwrap();
        fs::write(snap.join("logs/ConfigMgrSetup.log"), "x").unwrap();
        fs::write(snap.join("registry/1-machine.reg"), "REGEDIT4\r\n").unwrap();
        fs::write(snap.join("network/allowlist.txt"), "go.microsoft.com\n").unwrap();
        fs::write(
            snap.join(MANIFEST_NAME),
            "sitelint_snapshot: 1\nlogs:\n  ConfigMgrSetup.log: logs/ConfigMgrSetup.log\nendpoints:\n  allowlist: network/allowlist.txt\nregistry: [registry/1-machine.reg]\n",
        )
        .unwrap();
        assert!(survey(snap).is_ok());

        fs::create_dir_all(snap.join("UpdatePacks/3B7D")).unwrap();
        fs::write(snap.join("UpdatePacks/3B7D/a.cab"), "MSCF").unwrap();
        fs::write(snap.join("logs/notes.txt"), "mine").unwrap();
        match survey(snap) {
            Err(Foreign::Entries(entries)) => assert_eq!(entries, ["UpdatePacks/", "logs/notes.txt"]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(remove(snap), Err(NotRemoved::Foreign(_))));
        assert!(snap.join("UpdatePacks/3B7D/a.cab").exists() && snap.join("logs/ConfigMgrSetup.log").exists());

        fs::remove_dir_all(snap.join("UpdatePacks")).unwrap();
        fs::remove_file(snap.join("logs/notes.txt")).unwrap();
        remove(snap).unwrap();
        assert!(!snap.exists());
    }
}
