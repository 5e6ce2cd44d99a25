//! `sitelint collect`: writes live sources into a self-contained snapshot directory (tree
//! listings, copies of the logs, the console export and the allowlist, endpoint probes), so a
//! check can be repeated on another machine and kept as evidence. Sources are only read. The
//! snapshot is built in a temporary directory beside the target and renamed into place, so an
//! interrupted run never leaves a half snapshot where a whole one is expected.

pub mod probe;

use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::SystemTime;

use serde::Serialize;
use sha2::{Digest, Sha256};

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
    refuse_to_replace(options.out, options.force)?;
    let unusable: Vec<String> = snapshot
        .unusable()
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
    staging.commit(options.out, options.force)?;
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

/// Only an existing snapshot (or an empty directory) is replaced, and only with `--force`:
/// `--out D:\ --force` must not empty a drive.
fn refuse_to_replace(out: &Path, force: bool) -> Result<(), SetupError> {
    let Ok(meta) = fs::symlink_metadata(out) else {
        return Ok(());
    };
    let is_snapshot = meta.is_dir() && out.join(MANIFEST_NAME).is_file();
    let is_empty = meta.is_dir() && fs::read_dir(out).is_ok_and(|mut d| d.next().is_none());
    match (force, is_snapshot || is_empty) {
        (false, _) => Err(SetupError::with_help(
            format!("{} already exists", out.display()),
            "give another --out, or --force to replace the snapshot there",
        )),
        (true, false) => Err(SetupError::with_help(
            format!("{} exists and is not a snapshot: not replacing it", out.display()),
            "--force only replaces a directory that holds a snapshot.yaml (or nothing)",
        )),
        (true, true) => Ok(()),
    }
}

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
            } else if fs::remove_dir_all(&old).is_ok() {
                notes.push(format!(
                    "removed {}, the snapshot an interrupted collect --force had already replaced",
                    old.display()
                ));
            }
        }
        drop(lock);
        let _ = fs::remove_file(&lock_path);
    }
    notes
}

/// The temporary directory a snapshot is built in; removed unless committed.
struct Staging {
    files: RunFiles,
    run: String,
    dir: PathBuf,
    /// Held, locked, for the life of the run.
    lock: Option<fs::File>,
    committed: bool,
}

impl Staging {
    fn new(out: &Path) -> Result<Staging, SetupError> {
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
        fs::create_dir_all(&staging.dir).map_err(|e| cannot("create", &staging.dir, &e))?;
        Ok(staging)
    }

    /// Moves the finished snapshot into place. Without `--force` a target that appeared in
    /// the meantime (another collect to the same place) is left as it is and this run fails;
    /// with it, the old snapshot is moved aside, the new one moved in, and the old one removed
    /// (or put back if the second rename fails; [`recover`] finishes the job after a kill).
    fn commit(mut self, out: &Path, force: bool) -> Result<(), SetupError> {
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
            return Ok(());
        }
        let old = self.files.old(&self.run);
        fs::rename(out, &old).map_err(|e| cannot("move aside", out, &e))?;
        if let Err(e) = fs::rename(&self.dir, out) {
            let _ = fs::rename(&old, out);
            return Err(cannot("move the new snapshot to", out, &e));
        }
        self.committed = true;
        fs::remove_dir_all(&old).map_err(|e| cannot("remove the replaced snapshot", &old, &e))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
        // Closed before it is removed: Windows does not delete an open file.
        drop(self.lock.take());
        let _ = fs::remove_file(self.files.lock(&self.run));
    }
}

fn cannot(what: &str, path: &Path, e: &io::Error) -> SetupError {
    SetupError::message(format!("cannot {what} {}: {e}", path.display()))
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
    if let Some((endpoints, settings)) = &options.probes {
        progress.begin("probing endpoints", endpoints.len() as u64);
        summary.probes = probe::probe_all(endpoints, settings, &mut || progress.advance(1));
        progress.end();
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
    let hash = options.hash;
    let mut entries: Vec<ListingLine<'_>> = Vec::with_capacity(tree.files.len() + tree.unreadable.len());
    // One read buffer for the whole tree: a fresh megabyte per file costs more than hashing.
    let mut buffer = vec![0u8; if hash { 1 << 20 } else { 0 }];
    if hash {
        progress.begin(
            &format!("hashing tree {}", tree.name),
            tree.files.iter().map(|f| f.size).sum(),
        );
    }
    for file in &tree.files {
        let mut line = ListingLine {
            path: &file.path,
            size: Some(file.size),
            mtime: file.modified.map(rfc3339),
            sha256: None,
            error: None,
        };
        if hash {
            match sha256(&root.path.join(&file.path), &mut buffer, options, progress) {
                Ok(digest) => line.sha256 = Some(digest),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
                Err(e) => {
                    line.size = None;
                    line.error = Some(format!("cannot hash: {e}"));
                }
            }
        }
        entries.push(line);
    }
    if hash {
        progress.end();
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

fn sha256(path: &Path, buffer: &mut [u8], options: &Options<'_>, progress: &dyn Progress) -> io::Result<String> {
    let (mut file, _) = files::open_regular(path)?;
    let mut hasher = Sha256::new();
    loop {
        check_interrupted(options)?;
        let read = file.read(buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        progress.advance(read as u64);
    }
    Ok(crate::document::text::hex(&hasher.finalize()))
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

/// Where a source was read from, as an absolute path, for the manifest's `collected_from`.
fn origin(artifact: &Artifact) -> String {
    std::path::absolute(&artifact.path)
        .unwrap_or_else(|_| artifact.path.clone())
        .display()
        .to_string()
}

/// The manifest `collect` writes: the parts, and where each came from.
#[derive(Default)]
struct Manifest {
    trees: Vec<(String, String, String)>,
    logs: Vec<(String, String, String)>,
    console: Option<String>,
    allowlist: Option<String>,
    /// How the probes were made.
    probes: Option<String>,
    hashed: bool,
}

impl Manifest {
    fn render(&self) -> String {
        // Scalars are single-quoted, where a backslash is itself: a Windows path reads as it
        // was given. Text with control characters, which single quotes cannot hold, is
        // written as a JSON string, which YAML reads as a double-quoted scalar.
        let q = |s: &str| {
            if s.chars().any(char::is_control) {
                serde_json::Value::from(s).to_string()
            } else {
                format!("'{}'", s.replace('\'', "''"))
            }
        };
        let mut y = String::new();
        let _ = writeln!(y, "# Written by `sitelint collect`. Paths are relative to this file.");
        let _ = writeln!(y, "sitelint_snapshot: 1");
        let _ = writeln!(y, "collected_at: {}", q(&rfc3339(SystemTime::now())));
        let _ = writeln!(y, "host: {}", q(&host_name()));
        let _ = writeln!(y, "sitelint_version: {}", q(env!("CARGO_PKG_VERSION")));
        if !self.trees.is_empty() {
            let _ = writeln!(y, "trees:");
            for (name, listing, _) in &self.trees {
                let _ = writeln!(y, "  {}: {{listing: {}}}", q(name), q(listing));
            }
        }
        if !self.logs.is_empty() {
            let _ = writeln!(y, "logs:");
            for (name, copy, _) in &self.logs {
                let _ = writeln!(y, "  {}: {}", q(name), q(copy));
            }
        }
        if self.console.is_some() {
            let _ = writeln!(y, "console:\n  updates: \"console/updates.json\"");
        }
        if self.allowlist.is_some() || self.probes.is_some() {
            let _ = writeln!(y, "endpoints:");
            if self.allowlist.is_some() {
                let _ = writeln!(y, "  allowlist: \"network/allowlist.txt\"");
            }
            if self.probes.is_some() {
                let _ = writeln!(y, "  probes: \"network/probes.json\"");
            }
        }
        let _ = writeln!(y, "collected_from:");
        for (name, _, from) in &self.trees {
            let _ = writeln!(y, "  {}: {}", q(&format!("tree {name}")), q(from));
        }
        if !self.trees.is_empty() {
            let _ = writeln!(y, "  tree hashes: {}", q(if self.hashed { "sha256" } else { "none" }));
        }
        for (name, _, from) in &self.logs {
            let _ = writeln!(y, "  {}: {}", q(&format!("log {name}")), q(from));
        }
        if let Some(from) = &self.console {
            let _ = writeln!(y, "  console export: {}", q(from));
        }
        if let Some(from) = &self.allowlist {
            let _ = writeln!(y, "  allowlist: {}", q(from));
        }
        if let Some(how) = &self.probes {
            let _ = writeln!(y, "  probes: {}", q(how));
        }
        y
    }
}

/// The machine's name: `COMPUTERNAME` on Windows, the kernel's host name elsewhere.
fn host_name() -> String {
    let from_env = ["COMPUTERNAME", "HOSTNAME"].iter().find_map(|v| std::env::var(v).ok());
    let from_file = || {
        ["/proc/sys/kernel/hostname", "/etc/hostname"]
            .iter()
            .find_map(|p| fs::read_to_string(p).ok())
    };
    from_env
        .or_else(from_file)
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// `2026-11-21T09:14:00Z`: UTC, to the second.
pub fn rfc3339(time: SystemTime) -> String {
    let seconds = match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
            interrupted: &interrupted,
        };
        let copied = copy(&Artifact::given(&log), &copy_path, &options).unwrap();
        stop.store(true, Ordering::Relaxed);
        writer.join().unwrap();
        assert_eq!(copied, start);
        assert_eq!(fs::metadata(&copy_path).unwrap().len(), start);
    }

    #[test]
    fn times_are_utc_rfc3339() {
        let at = |s: u64| rfc3339(SystemTime::UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(1_734_466_320), "2024-12-17T20:12:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
    }
}
