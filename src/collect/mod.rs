//! `sitelint collect`: writes live sources into a self-contained snapshot directory, so a
//! check can be repeated on another machine and kept as evidence. Each source writes its own
//! parts through the [`Stage`] this module implements (tree listings, copies of files), then
//! the [`Acquisition`]s asked for read what is only live (the live registry, endpoint probes).
//! Sources are only read. The snapshot is built in a temporary directory beside the target and
//! renamed into place, so an interrupted run never leaves a half snapshot where a whole one is
//! expected.

mod hash;
mod owned;
pub mod probe;
mod staging;
mod write_manifest;

pub use crate::document::date::rfc3339;
pub use crate::sources::stage::{Acquisition, Progress, Silent};
use staging::Staging;
pub use staging::{abandon, recover};
use write_manifest::Manifest;

use std::fs;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

use crate::authenticode::Examined;
use crate::document::diag::SetupError;
use crate::files;
use crate::readers::tree::{self, Tree};
use crate::snapshot::manifest_file::MANIFEST_NAME;
use crate::snapshot::{Artifact, Snapshot, TreeSource};
use crate::sources::stage::{Entry, Key, Listed, Stage};

pub struct Options<'a> {
    pub out: &'a Path,
    pub force: bool,
    pub hash: bool,
    /// What to read live after the sources' parts are written, in order: the live registry,
    /// the endpoint probes.
    pub acquisitions: Vec<Box<dyn Acquisition>>,
    /// Set from elsewhere (Ctrl-C, SIGTERM) to stop soon; the partial snapshot is removed.
    pub interrupted: &'a AtomicBool,
}

/// What was collected, for the closing line.
#[derive(Debug, Default)]
pub struct Summary {
    /// What each source wrote, in the order written: `tree updatepack (12 files, ...)`, `2 logs`.
    pub parts: Vec<String>,
    /// Things the user should know that did not stop the run.
    pub warnings: Vec<String>,
}

/// Collects the sources into `options.out`. Call [`recover`] first, so that what an
/// interrupted run left beside the target is put right.
pub fn collect(snapshot: &Snapshot, options: &Options<'_>, progress: &dyn Progress) -> Result<Summary, SetupError> {
    refuse_a_source_inside(snapshot, options.out)?;
    refuse_to_replace(options.out, options.force)?;
    let unusable: Vec<String> = crate::sources::unusable(snapshot)
        .map(|(a, e)| format!("{}: {e}", a.display))
        .collect();
    if !unusable.is_empty() {
        return Err(SetupError::message(format!("cannot read {}", unusable.join("; "))));
    }

    let staging = Staging::new(options.out)?;
    let mut summary = write_parts(snapshot, options, &staging.dir, progress).map_err(|e| {
        if e.kind() == io::ErrorKind::Interrupted {
            SetupError::message("interrupted: nothing was written")
        } else {
            SetupError::message(format!("cannot collect the snapshot: {e}"))
        }
    })?;
    summary.warnings.extend(staging.commit(options.out, options.force)?);
    summary.warnings.extend(out_inside_a_tree(snapshot, options.out));
    Ok(summary)
}

/// A snapshot written inside a tree it lists ends up in the next listing of that tree.
fn out_inside_a_tree(snapshot: &Snapshot, out: &Path) -> Option<String> {
    let out_path = std::path::absolute(out).ok()?;
    crate::sources::trees(snapshot).find_map(|(name, source)| {
        let TreeSource::Live(root) = source else { return None };
        let root_path = std::path::absolute(&root.path).ok()?;
        out_path.starts_with(&root_path).then(|| {
            format!(
                "--out {} is inside tree `{name}` ({}): the next collect of that tree will list this snapshot too",
                out.display(),
                root.display
            )
        })
    })
}

/// Only an existing snapshot that `collect` wrote (or an empty directory) is replaced, and
/// only with `--force`: `--out D:\ --force` must not empty a drive, nor `--out D:\USB --force`
/// delete the update pack beside an old manifest.
fn refuse_to_replace(out: &Path, force: bool) -> Result<(), SetupError> {
    let Ok(meta) = fs::symlink_metadata(out) else {
        return Ok(());
    };
    if !force {
        return Err(SetupError::with_help(
            format!("{} already exists", out.display()),
            "give another --out, or --force to replace the snapshot there",
        ));
    }
    let surveyed = if meta.is_dir() {
        owned::survey(out).map(drop)
    } else {
        let kind = if meta.is_file() {
            "a file"
        } else {
            files::kind_of(&meta)
        };
        Err(owned::Foreign::Unreadable(format!("it is {kind}")))
    };
    surveyed.map_err(|foreign| {
        SetupError::with_help(
            format!(
                "{} is not a snapshot that collect wrote: not replacing it ({})",
                out.display(),
                foreign.describe()
            ),
            "--force only replaces a directory that holds nothing but what collect wrote (the parts its snapshot.yaml names), or nothing",
        )
    })
}

/// Collect never writes where it reads: a source inside `--out` is refused, whatever `--force`
/// says, before anything is moved.
fn refuse_a_source_inside(snapshot: &Snapshot, out: &Path) -> Result<(), SetupError> {
    let Ok(out_path) = fs::canonicalize(out) else {
        return Ok(());
    };
    let inside = crate::sources::parts(snapshot)
        .map(|part| part.artifact)
        .find(|source| fs::canonicalize(&source.path).is_ok_and(|path| path.starts_with(&out_path)));
    match inside {
        None => Ok(()),
        Some(source) => Err(SetupError::with_help(
            format!(
                "the source {} is inside --out {}: collect never writes where it reads",
                source.display,
                out.display()
            ),
            "give an --out outside every source",
        )),
    }
}

/// Stops the work when the user asked to.
fn check_interrupted(options: &Options<'_>) -> io::Result<()> {
    if options.interrupted.load(Ordering::Relaxed) {
        return Err(io::Error::new(io::ErrorKind::Interrupted, "interrupted"));
    }
    Ok(())
}

fn write_parts(snapshot: &Snapshot, options: &Options<'_>, dir: &Path, progress: &dyn Progress) -> io::Result<Summary> {
    let mut stage = Staged {
        dir,
        options,
        progress,
        manifest: Manifest::default(),
        summary: Summary::default(),
    };
    crate::sources::collect_all(snapshot, &mut stage)?;
    for acquisition in &options.acquisitions {
        stage.check_interrupted()?;
        acquisition.acquire(&mut stage)?;
    }
    // Written last: a directory without it is not a snapshot, whatever else it holds.
    write_new(&dir.join(MANIFEST_NAME), stage.manifest.render().as_bytes())?;
    Ok(stage.summary)
}

/// The snapshot being built in the staging directory, as the sources write into it.
struct Staged<'a> {
    dir: &'a Path,
    options: &'a Options<'a>,
    progress: &'a dyn Progress,
    manifest: Manifest,
    summary: Summary,
}

impl Stage for Staged<'_> {
    fn copy(&mut self, from: &Artifact, relative: &str) -> io::Result<()> {
        copy(from, &self.dir.join(relative), self.options).map(drop)
    }

    fn write(&mut self, relative: &str, bytes: &[u8]) -> io::Result<()> {
        write_new(&self.dir.join(relative), bytes)
    }

    fn list_tree(&mut self, name: &str, source: &TreeSource, relative: &str) -> io::Result<Listed> {
        // A live check's sources are all live; a listing given again is copied as it is.
        let (TreeSource::Live(root) | TreeSource::Listing(root)) = source;
        let loaded = tree::load(name, source).map_err(io::Error::other)?;
        let to = self.dir.join(relative);
        let listing_bytes = match source {
            TreeSource::Live(_) => write_listing(&loaded, root, self.options, &to, self.progress)?,
            TreeSource::Listing(_) => copy(root, &to, self.options)?,
        };
        Ok(Listed {
            files: loaded.files.len(),
            bytes: loaded.files.iter().map(|f| f.size).sum(),
            listing_bytes,
            unreadable: loaded
                .unreadable
                .iter()
                .map(|u| loaded.describe_unreadable(u))
                .collect(),
        })
    }

    fn hashing(&self) -> bool {
        self.options.hash
    }

    fn record(&mut self, section: &'static str, entry: Entry) {
        self.manifest.record(section, entry);
    }

    fn collected_from(&mut self, key: Key, from: String) {
        self.manifest.collected_from.push((key, from));
    }

    fn closing_phrase(&mut self, phrase: String) {
        self.summary.parts.push(phrase);
    }

    fn warn(&mut self, warning: String) {
        self.summary.warnings.push(warning);
    }

    fn check_interrupted(&self) -> io::Result<()> {
        check_interrupted(self.options)
    }

    fn interrupted(&self) -> &AtomicBool {
        self.options.interrupted
    }

    fn progress(&self) -> &dyn Progress {
        self.progress
    }
}

/// One JSON line per file, sorted by path: `{"path","size","mtime"[,"sha256","authenticode","manifest"]}`, or
/// `{"path","error"}` for an entry that could not be read. Returns the listing's size.
fn write_listing(
    tree: &Tree,
    root: &Artifact,
    options: &Options<'_>,
    to: &Path,
    progress: &dyn Progress,
) -> io::Result<u64> {
    let mut entries: Vec<ListingLine<'_>> = Vec::with_capacity(tree.files.len() + tree.unreadable.len());
    let mut digests = if options.hash {
        progress.begin(
            &format!("hashing tree {}", tree.name),
            tree.files.iter().map(|f| f.size).sum(),
        );
        let digests = hash::hash_files(
            &root.path,
            &tree.files,
            crate::parallel::workers(),
            options.interrupted,
            progress,
        )?;
        progress.end();
        Some(digests.into_iter())
    } else {
        None
    };
    // What `signed-files` needs of each file that can carry a signature, judged later with
    // the rule's roots on any machine, so a snapshot checks as its pack did. With `--hash`
    // the hash pass examined them in the same read; without, they are read for it here.
    let mut examined = if digests.is_some() {
        None
    } else {
        Some(
            crate::parallel::map_in_order(&tree.files, |file| {
                crate::authenticode::signable_name(&file.path)
                    .then(|| crate::authenticode::examine_file(&root.path.join(&file.path)))
            })
            .into_iter(),
        )
    };
    for file in &tree.files {
        let mut line = ListingLine {
            path: &file.path,
            size: Some(file.size),
            mtime: file.modified.map(rfc3339),
            sha256: None,
            error: None,
            authenticode: examined.as_mut().and_then(Iterator::next).flatten(),
            manifest: crate::pack_manifest::manifest_name(&file.path)
                .then(|| crate::pack_manifest::read_file(&root.path.join(&file.path))),
        };
        match digests.as_mut().and_then(Iterator::next) {
            Some(Ok(hashed)) => {
                line.sha256 = Some(hashed.sha256);
                line.authenticode = hashed.examined;
            }
            Some(Err(e)) => {
                line.size = None;
                line.error = Some(format!("cannot hash: {e}"));
            }
            None => {}
        }
        entries.push(line);
    }
    entries.extend(tree.unreadable.iter().map(|u| ListingLine {
        path: &u.path,
        size: None,
        mtime: None,
        sha256: None,
        error: Some(u.why.clone()),
        authenticode: None,
        manifest: None,
    }));
    entries.sort_by(|a, b| a.path.cmp(b.path));
    let mut out = BufWriter::new(create_new(to)?);
    for entry in &entries {
        serde_json::to_writer(&mut out, entry).map_err(io::Error::other)?;
        out.write_all(b"\n")?;
    }
    out.into_inner().map_err(io::IntoInnerError::into_error)?.sync_all()?;
    Ok(fs::metadata(to)?.len())
}

/// One line of a listing, in the order a person reads it.
#[derive(Serialize)]
struct ListingLine<'a> {
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mtime: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    authenticode: Option<Examined>,
    #[serde(skip_serializing_if = "Option::is_none")]
    manifest: Option<crate::pack_manifest::Manifest>,
}

/// Copies a source as it was when the copy began: a log that keeps growing (the tool is still
/// writing it) is copied up to the size it had then, so the copy ends.
fn copy(from: &Artifact, to: &Path, options: &Options<'_>) -> io::Result<u64> {
    let named = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", from.display));
    let (file, size) = files::open_regular(&from.path).map_err(named)?;
    let mut source = file.take(size);
    let mut target = BufWriter::new(create_new(to)?);
    let mut buffer = vec![0u8; 1 << 16];
    let mut copied = 0;
    loop {
        check_interrupted(options)?;
        let read = source.read(&mut buffer).map_err(named)?;
        if read == 0 {
            break;
        }
        target.write_all(&buffer[..read])?;
        copied += read as u64;
    }
    target
        .into_inner()
        .map_err(io::IntoInnerError::into_error)?
        .sync_all()?;
    Ok(copied)
}

fn create_new(path: &Path) -> io::Result<fs::File> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::OpenOptions::new().write(true).create_new(true).open(path)
}

fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = create_new(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_log_that_keeps_growing_is_copied_as_it_was_when_the_copy_began() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("ConfigMgrSetup.log");
        let start = 64 << 20;
        fs::File::create(&log).unwrap().set_len(start).unwrap();
        let copy_path = dir.path().join("copy/ConfigMgrSetup.log");
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let writer = {
            let (log, copy_path, stop) = (log.clone(), copy_path.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut file = fs::OpenOptions::new().append(true).open(log).unwrap();
                let chunk = vec![b'x'; 1 << 20];
                let until = std::time::Instant::now() + Duration::from_secs(3);
                // Grows the log as fast as it can once the copy has begun.
                while !stop.load(Ordering::Relaxed) && std::time::Instant::now() < until {
                    if copy_path.exists() {
                        file.write_all(&chunk).unwrap();
                    }
                }
            })
        };
        let interrupted = AtomicBool::new(false);
        let options = Options {
            out: dir.path(),
            force: false,
            hash: false,
            acquisitions: Vec::new(),
            interrupted: &interrupted,
        };
        let copied = copy(&Artifact::given(&log), &copy_path, &options).unwrap();
        stop.store(true, Ordering::Relaxed);
        writer.join().unwrap();
        assert_eq!(copied, start);
        assert_eq!(fs::metadata(&copy_path).unwrap().len(), start);
    }
}
