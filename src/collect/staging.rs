//! Where a snapshot is built before it is in place: a hidden directory beside the target,
//! locked for as long as its run lives, renamed into place at the end, and cleared by
//! [`recover`] when a run was killed before it could tidy up.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, PoisonError};

use super::owned;
use crate::document::diag::SetupError;
use crate::snapshot::manifest_file::{self, MANIFEST_NAME};

/// The names a run uses beside its target `NAME`: `.NAME.sitelint-partial-RUN` (the snapshot
/// being built), `.NAME.sitelint-old-RUN` (the snapshot `--force` replaces, between its two
/// renames) and `.NAME.sitelint-RUN.lock`, locked while the run lives. They sit beside the
/// target so the final rename stays on one file system, and are hidden so nobody mistakes
/// them for a snapshot. The lock tells a live run's work from a dead run's leftovers.
struct RunFiles {
    parent: PathBuf,
    prefix: String,
}

impl RunFiles {
    fn of(out: &Path) -> RunFiles {
        // `--out snap` has the parent "", which names no directory to read.
        let parent = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_owned);
        let name = out
            .file_name()
            .map_or_else(|| "snapshot".into(), |n| n.to_string_lossy().into_owned());
        RunFiles {
            parent,
            prefix: format!(".{name}.sitelint-"),
        }
    }

    fn partial(&self, run: &str) -> PathBuf {
        self.parent.join(format!("{}partial-{run}", self.prefix))
    }

    fn old(&self, run: &str) -> PathBuf {
        self.parent.join(format!("{}old-{run}", self.prefix))
    }

    fn lock(&self, run: &str) -> PathBuf {
        self.parent.join(format!("{}{run}.lock", self.prefix))
    }

    /// The runs that left files beside the target, each once.
    fn runs(&self) -> Vec<String> {
        let Ok(entries) = fs::read_dir(&self.parent) else {
            return Vec::new();
        };
        let mut runs: Vec<String> = entries
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                let rest = name.strip_prefix(&self.prefix)?;
                let run = rest
                    .strip_prefix("partial-")
                    .or_else(|| rest.strip_prefix("old-"))
                    .or_else(|| rest.strip_suffix(".lock"))?;
                Some(run.to_owned())
            })
            .collect();
        runs.sort();
        runs.dedup();
        runs
    }
}

/// Puts right what interrupted runs left beside `out`, and says what it did: a partial
/// snapshot is removed; a snapshot that `--force` had moved aside is put back if the target is
/// missing (the run died between its two renames), or removed if the new one is in place.
/// Files of a run that is still going are left alone.
pub fn recover(out: &Path) -> Vec<String> {
    let files = RunFiles::of(out);
    let mut notes = Vec::new();
    for run in files.runs() {
        let lock_path = files.lock(&run);
        // Cleared only when the run is known to be gone: its lock can be taken, or it has none
        // (a run from before locks). A lock that cannot be opened (another user's) says nothing.
        let lock = match fs::OpenOptions::new().read(true).write(true).open(&lock_path) {
            Ok(lock) if lock.try_lock().is_err() => continue,
            Ok(lock) => Some(lock),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(_) => continue,
        };
        let (partial, old) = (files.partial(&run), files.old(&run));
        if partial.exists() && fs::remove_dir_all(&partial).is_ok() {
            notes.push(format!("removed {}, left by an interrupted collect", partial.display()));
        }
        if old.exists() {
            if !out.exists() && fs::rename(&old, out).is_ok() {
                notes.push(format!(
                    "restored {} from {}: a collect --force that was replacing it was interrupted",
                    out.display(),
                    old.display()
                ));
            } else {
                notes.push(match owned::remove(&old) {
                    Ok(()) => format!(
                        "removed {}, the snapshot an interrupted collect --force had already replaced",
                        old.display()
                    ),
                    Err(why) => format!(
                        "kept {}, the snapshot an interrupted collect --force had replaced: {why}",
                        old.display()
                    ),
                });
            }
        }
        drop(lock);
        let _ = fs::remove_file(&lock_path);
    }
    notes
}

/// The partial snapshots and locks of the runs in this process, for [`abandon`].
static LIVE: Mutex<Vec<(PathBuf, PathBuf)>> = Mutex::new(Vec::new());

/// Removes the partial snapshot and the lock of every run in this process, for a process that
/// is about to end without unwinding (a second Ctrl-C).
pub fn abandon() {
    let live = std::mem::take(&mut *LIVE.lock().unwrap_or_else(PoisonError::into_inner));
    for (dir, lock) in live {
        let _ = fs::remove_dir_all(&dir);
        let _ = fs::remove_file(&lock);
    }
}

/// The temporary directory a snapshot is built in; removed unless committed.
pub(super) struct Staging {
    files: RunFiles,
    run: String,
    pub(super) dir: PathBuf,
    /// Held, locked, for the life of the run.
    lock: Option<fs::File>,
    committed: bool,
}

impl Staging {
    pub(super) fn new(out: &Path) -> Result<Staging, SetupError> {
        static RUNS: AtomicU32 = AtomicU32::new(0);
        let run = format!("{}-{}", std::process::id(), RUNS.fetch_add(1, Ordering::Relaxed));
        let files = RunFiles::of(out);
        fs::create_dir_all(&files.parent).map_err(|e| cannot("create", &files.parent, &e))?;
        let lock_path = files.lock(&run);
        let lock = fs::File::create(&lock_path).map_err(|e| cannot("create", &lock_path, &e))?;
        lock.try_lock()
            .map_err(|e| cannot("lock", &lock_path, &io::Error::other(e.to_string())))?;
        let dir = files.partial(&run);
        let staging = Staging {
            files,
            run,
            dir,
            lock: Some(lock),
            committed: false,
        };
        LIVE.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((staging.dir.clone(), lock_path));
        fs::create_dir_all(&staging.dir).map_err(|e| cannot("create", &staging.dir, &e))?;
        Ok(staging)
    }

    /// Moves the finished snapshot into place. Without `--force` a target that appeared in
    /// the meantime (another collect to the same place) is left as it is and this run fails;
    /// with it, the old snapshot is moved aside, the new one moved in, and the old one removed
    /// (or put back if the second rename fails; [`recover`] finishes the job after a kill).
    /// The old one is removed only as far as collect wrote it: what someone put there while
    /// this run went on is kept, with the returned warning saying where.
    pub(super) fn commit(mut self, out: &Path, force: bool) -> Result<Option<String>, SetupError> {
        let raced = || {
            SetupError::with_help(
                format!(
                    "{} was written by another run while this one collected: left as it is",
                    out.display()
                ),
                "give another --out, or --force to replace it",
            )
        };
        if !force || !out.exists() {
            // rename() does not replace a directory that has something in it.
            if let Err(e) = fs::rename(&self.dir, out) {
                return Err(if out.exists() {
                    raced()
                } else {
                    cannot("move the new snapshot to", out, &e)
                });
            }
            self.committed = true;
            return Ok(None);
        }
        let old = self.files.old(&self.run);
        // Readers hold the manifest share-locked while they check: the swap waits for them,
        // and none starts reading in the middle of it.
        let mut held = manifest_file::lock(&out.join(MANIFEST_NAME), true).ok();
        move_aside(out, &old, &mut held)?;
        if let Err(e) = fs::rename(&self.dir, out) {
            let _ = fs::rename(&old, out);
            return Err(cannot("move the new snapshot to", out, &e));
        }
        drop(held);
        self.committed = true;
        Ok(owned::remove(&old)
            .err()
            .map(|why| format!("kept the replaced snapshot at {}: {why}", old.display())))
    }
}

/// Renames the snapshot `--force` replaces out of the way, holding its manifest `held`.
/// Windows refuses to rename a directory with a file open in it, this run's lock included:
/// there the lock is let go, and the checks' own open manifests hold the rename off, which is
/// tried again until they are done, within reason.
fn move_aside(out: &Path, old: &Path, held: &mut Option<fs::File>) -> Result<(), SetupError> {
    const WAIT: std::time::Duration = std::time::Duration::from_millis(50);
    const TRIES: u32 = 1200;
    let mut tries = 0;
    loop {
        match fs::rename(out, old) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied && cfg!(windows) && tries < TRIES => {
                *held = None;
                tries += 1;
                std::thread::sleep(WAIT);
            }
            Err(e) => return Err(cannot("move aside", out, &e)),
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // Closed first: Windows does not delete an open file, and a run out of file
        // descriptors needs this one to walk the directory it removes.
        drop(self.lock.take());
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
        let _ = fs::remove_file(self.files.lock(&self.run));
        // Last: a second Ctrl-C during the removal above still finds what to remove.
        LIVE.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(dir, _)| dir != &self.dir);
    }
}

pub(super) fn cannot(what: &str, path: &Path, e: &io::Error) -> SetupError {
    SetupError::message(format!("cannot {what} {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::manifest_file::MANIFEST_NAME;

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn of_two_runs_to_one_target_without_force_the_later_fails_and_leaves_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("snap");
        let first = Staging::new(&out).unwrap();
        let second = Staging::new(&out).unwrap();
        fs::write(first.dir.join(MANIFEST_NAME), "first").unwrap();
        fs::write(second.dir.join(MANIFEST_NAME), "second").unwrap();
        first.commit(&out, false).unwrap();
        match second.commit(&out, false) {
            Err(SetupError::Message { message, .. }) => {
                assert!(message.ends_with("was written by another run while this one collected: left as it is"));
            }
            other => panic!("the later run must fail: {other:?}"),
        }
        assert_eq!(fs::read_to_string(out.join(MANIFEST_NAME)).unwrap(), "first");
        assert_eq!(names_in(dir.path()), ["snap"]);
    }
}
