//! Report files (`--format FMT=PATH`): refused where they would replace something the run
//! reads, and written through a temporary file beside them that is renamed into place, so a
//! reader never sees half a report and a failed write leaves the old file as it was.
//!
//! PATH names a directory entry, and that entry is what gets replaced: when PATH is a symbolic
//! link, the link is replaced by the report and the file it pointed to is left alone (so a link
//! planted where a report goes cannot redirect the write), and a file with other hard links
//! keeps its content under those. A PATH that is no file at all (a FIFO, `/dev/stdout`) is
//! written to directly.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::document::text::visible;
use crate::snapshot::Snapshot;

/// What a run reads, as the places a report must not be written to.
#[derive(Debug, Default)]
pub(super) struct Inputs {
    /// Files read: each as named and, when a link, as what it points to.
    files: Vec<(PathBuf, String)>,
    /// Directories read whole (the snapshot, a live tree): nothing may be written inside.
    dirs: Vec<(PathBuf, String)>,
}

impl Inputs {
    /// Every file and directory `check` reads: rule files, the site config, and the
    /// snapshot's parts (or the snapshot directory itself).
    pub(super) fn of_run<'a>(
        rule_files: impl IntoIterator<Item = &'a str>,
        config: Option<&Path>,
        snapshot: &Snapshot,
    ) -> Inputs {
        let mut inputs = Inputs::default();
        for file in rule_files {
            inputs.file(Path::new(file), "a rule file");
        }
        if let Some(config) = config {
            inputs.file(config, "the site config");
        }
        if let Some(manifest) = &snapshot.manifest {
            inputs.file(&manifest.path, "the snapshot manifest");
            if let Some(dir) = manifest.path.parent() {
                let dir = if dir.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    dir
                };
                inputs.dirs.push((dir.to_owned(), "the snapshot directory".to_owned()));
            }
        }
        for part in crate::sources::parts(snapshot) {
            if part.directory {
                inputs.dirs.push((part.artifact.path.clone(), part.what));
            } else {
                inputs.file(&part.artifact.path, &part.what);
            }
        }
        inputs
    }

    fn file(&mut self, path: &Path, what: &str) {
        self.files.push((path.to_owned(), what.to_owned()));
    }

    /// Why `output` must not be written, if it names an input or lies inside an input
    /// directory.
    pub(super) fn refuse(&self, output: &Path) -> Option<String> {
        let written = entry(output);
        for (file, what) in &self.files {
            let named = entry(file);
            let target = fs::canonicalize(file).ok();
            if named.as_deref() == written.as_deref() || (target.is_some() && target.as_deref() == written.as_deref()) {
                return Some(format!("it is {what} this run reads"));
            }
        }
        let written = written?;
        for (dir, what) in &self.dirs {
            let inside = [entry(dir), fs::canonicalize(dir).ok()]
                .into_iter()
                .flatten()
                .any(|dir| written.starts_with(&dir));
            if inside {
                return Some(format!(
                    "it is inside {what} ({}), which this run reads",
                    visible(&dir.display().to_string())
                ));
            }
        }
        None
    }
}

/// The directory entry `path` names: its directory resolved (links and `..` included), its
/// last part as written, compared as the platform compares names (Windows ignores case).
/// `None` when its directory does not exist, where no input can be either.
pub(super) fn entry(path: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(path).ok()?;
    let (dir, name) = match absolute.file_name() {
        Some(name) => (absolute.parent()?, Some(name)),
        None => (absolute.as_path(), None),
    };
    let mut resolved = fs::canonicalize(dir).ok()?;
    if let Some(name) = name {
        resolved.push(name);
    }
    if cfg!(windows) {
        Some(PathBuf::from(resolved.to_string_lossy().to_lowercase()))
    } else {
        Some(resolved)
    }
}

/// A report written to a temporary file beside its path, not yet in place: [`Staged::commit`]
/// renames it over the path, and dropping it uncommitted removes it. A run stages every report
/// file before it commits any, so one that cannot be written leaves the earlier set as it was,
/// and a run stopped while writing leaves no report half-written.
pub(super) struct Staged {
    path: PathBuf,
    /// `None` once committed, or for a path that is no file (a FIFO, `/dev/stdout`,
    /// `/dev/null`): renaming over it would replace the device or pipe itself, so it is written
    /// to as it is, at commit.
    temporary: Option<PathBuf>,
    direct: Option<Vec<u8>>,
}

impl Staged {
    pub(super) fn new(path: &Path, text: &[u8]) -> io::Result<Staged> {
        if fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            return Ok(Staged {
                path: path.to_owned(),
                temporary: None,
                direct: Some(text.to_vec()),
            });
        }
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
        let mut attempt = 0u32;
        let (temporary, mut file) = loop {
            let candidate = dir.join(format!(
                ".{}.{}-{attempt}.sitelint-tmp",
                name.to_string_lossy(),
                std::process::id()
            ));
            match OpenOptions::new().write(true).create_new(true).open(&candidate) {
                Ok(file) => break (candidate, file),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
                Err(e) => return Err(e),
            }
        };
        let staged = Staged {
            path: path.to_owned(),
            temporary: Some(temporary),
            direct: None,
        };
        // On an error `staged` is dropped, and the temporary file with it.
        file.write_all(text).and_then(|()| file.sync_all())?;
        Ok(staged)
    }

    /// Puts the report in place.
    pub(super) fn commit(mut self) -> io::Result<()> {
        if let Some(text) = self.direct.take() {
            return OpenOptions::new().write(true).open(&self.path)?.write_all(&text);
        }
        match &self.temporary {
            Some(temporary) => fs::rename(temporary, &self.path).map(|()| self.temporary = None),
            None => Ok(()),
        }
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(temporary) = &self.temporary {
            let _ = fs::remove_file(temporary);
        }
    }
}
