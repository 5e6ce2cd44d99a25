//! `sitelint collect`: writes live sources into a self-contained snapshot directory (tree
//! listings, copies of the logs, the console export and the allowlist, endpoint probes), so a
//! check can be repeated on another machine and kept as evidence. Sources are only read. The
//! snapshot is built in a temporary directory beside the target and renamed into place, so an
//! interrupted run never leaves a half snapshot where a whole one is expected.

mod deadline;
mod hash;
mod manifest;
mod owned;
mod pool;
pub mod probe;
#[cfg(any(windows, test))]
mod registry;
mod staging;
pub mod tls;

pub use crate::document::date::rfc3339;
use manifest::{Manifest, origin};
use staging::Staging;
pub use staging::{abandon, recover};

use std::fs;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

use crate::document::diag::SetupError;
use crate::files;
use crate::snapshot::endpoints::{Probe, Required};

use crate::snapshot::manifest::MANIFEST_NAME;
use crate::snapshot::tree::{self, Tree};
use crate::snapshot::{Artifact, Snapshot, TreeSource};

/// Reports long work (hashing, probing) to whoever shows progress; the library never prints.
pub trait Progress {
    fn begin(&self, task: &str, total: u64);
    fn advance(&self, amount: u64);
    fn end(&self);
}

/// For pipes, CI logs and tests.
pub struct Silent;

impl Progress for Silent {
    fn begin(&self, _: &str, _: u64) {}
    fn advance(&self, _: u64) {}
    fn end(&self) {}
}

pub struct Options<'a> {
    pub out: &'a Path,
    pub force: bool,
    pub hash: bool,
    /// Endpoints to probe, and how, for `--probe-endpoints`.
    pub probes: Option<(Vec<Required>, probe::Settings)>,
    /// The registry keys and values to read live, for `--read-registry` (Windows only: the
    /// command line refuses it elsewhere).
    pub read_registry: Option<Vec<crate::snapshot::registry::Read>>,
    /// Set from elsewhere (Ctrl-C, SIGTERM) to stop soon; the partial snapshot is removed.
    pub interrupted: &'a AtomicBool,
}

/// What was collected, for the closing line and the tests.
#[derive(Debug, Default)]
pub struct Summary {
    pub trees: Vec<TreeSummary>,
    pub logs: usize,
    pub console: bool,
    pub allowlist: bool,
    pub registry: usize,
    pub probes: Vec<Probe>,
    /// Things the user should know that did not stop the run.
    pub warnings: Vec<String>,
}

#[derive(Debug)]
pub struct TreeSummary {
    pub name: String,
    pub files: usize,
    pub bytes: u64,
    pub listing_bytes: u64,
    /// Entries that could not be read, each as the check of the snapshot will report it.
    pub unreadable: Vec<String>,
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
    snapshot.trees.iter().find_map(|(name, source)| {
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
    let mut summary = Summary::default();
    let mut manifest = Manifest::default();

    for (name, source) in &snapshot.trees {
        check_interrupted(options)?;
        // A live check's sources are all live; a listing given again is copied as it is.
        let (TreeSource::Live(root) | TreeSource::Listing(root)) = source;
        let loaded = tree::load(name, source).map_err(io::Error::other)?;
        let relative = format!("trees/{name}.jsonl");
        let listing_bytes = match source {
            TreeSource::Live(_) => write_listing(&loaded, root, options, &dir.join(&relative), progress)?,
            TreeSource::Listing(_) => copy(root, &dir.join(&relative), options)?,
        };
        manifest.trees.push((name.clone(), relative, origin(root)));
        summary.trees.push(TreeSummary {
            name: name.clone(),
            files: loaded.files.len(),
            bytes: loaded.files.iter().map(|f| f.size).sum(),
            listing_bytes,
            unreadable: loaded
                .unreadable
                .iter()
                .map(|u| loaded.describe_unreadable(u))
                .collect(),
        });
    }
    for (name, log) in &snapshot.logs {
        let relative = format!("logs/{name}");
        copy(log, &dir.join(&relative), options)?;
        manifest.logs.push((name.clone(), relative, origin(log)));
        summary.logs += 1;
    }
    if let Some(console) = &snapshot.console {
        copy(console, &dir.join("console/updates.json"), options)?;
        manifest.console = Some(origin(console));
        summary.console = true;
    }
    if let Some(allowlist) = &snapshot.allowlist {
        copy(allowlist, &dir.join("network/allowlist.txt"), options)?;
        manifest.allowlist = Some(origin(allowlist));
        summary.allowlist = true;
    }
    for (index, export) in snapshot.registry.iter().enumerate() {
        // Numbered: exports from different folders are often all called `export.reg`.
        let name = export
            .path
            .file_name()
            .map_or_else(|| "export.reg".into(), |n| n.to_string_lossy());
        let relative = format!("registry/{}-{name}", index + 1);
        copy(export, &dir.join(&relative), options)?;
        manifest.registry.push((relative, origin(export)));
        summary.registry += 1;
    }
    if let Some(reads) = &options.read_registry {
        #[cfg(windows)]
        {
            write_new(&dir.join(registry::LIVE_EXPORT), &registry::read(reads))?;
            let from = format!(
                "the live registry ({})",
                crate::document::text::plural(reads.len(), "value or key", "values or keys")
            );
            manifest.registry.push((registry::LIVE_EXPORT.to_owned(), from));
            summary.registry += 1;
        }
        #[cfg(not(windows))]
        {
            let _ = reads;
            return Err(io::Error::other(
                "--read-registry reads the Windows registry: it needs Windows",
            ));
        }
    }
    if let Some((endpoints, settings)) = &options.probes {
        progress.begin("probing endpoints", endpoints.len() as u64);
        let probed = pool::probe_all(endpoints, settings, options.interrupted, &mut || progress.advance(1));
        progress.end();
        let probed = probed.map_err(|stopped| match stopped {
            pool::Stopped::Interrupted => io::Error::new(io::ErrorKind::Interrupted, "interrupted"),
            local => io::Error::other(local.to_string()),
        })?;
        if let Some(why) = &probed.local_reason {
            summary.warnings.push(format!(
                "{} failed on this machine ({why}) and {} made again, fewer at a time",
                crate::document::text::plural(probed.retried, "probe", "probes"),
                if probed.retried == 1 { "was" } else { "were" }
            ));
        }
        summary.probes = probed.probes;
        check_interrupted(options)?;
        let mut text = serde_json::to_string_pretty(&summary.probes).map_err(io::Error::other)?;
        text.push('\n');
        write_new(&dir.join("network/probes.json"), text.as_bytes())?;
        manifest.probes = Some(match &settings.proxy {
            Some(proxy) => format!("{proxy}, timeout {} s", settings.timeout.as_secs_f64()),
            None => format!("direct, timeout {} s", settings.timeout.as_secs_f64()),
        });
    }
    manifest.hashed = options.hash;
    // Written last: a directory without it is not a snapshot, whatever else it holds.
    write_new(&dir.join(MANIFEST_NAME), manifest.render().as_bytes())?;
    Ok(summary)
}

/// One JSON line per file, sorted by path: `{"path","size","mtime"[,"sha256"]}`, or
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
    for file in &tree.files {
        let mut line = ListingLine {
            path: &file.path,
            size: Some(file.size),
            mtime: file.modified.map(rfc3339),
            sha256: None,
            error: None,
        };
        match digests.as_mut().and_then(Iterator::next) {
            Some(Ok(digest)) => line.sha256 = Some(digest),
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
            probes: None,
            read_registry: None,
            interrupted: &interrupted,
        };
        let copied = copy(&Artifact::given(&log), &copy_path, &options).unwrap();
        stop.store(true, Ordering::Relaxed);
        writer.join().unwrap();
        assert_eq!(copied, start);
        assert_eq!(fs::metadata(&copy_path).unwrap().len(), start);
    }
}
