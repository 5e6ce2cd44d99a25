//! What a source needs from `collect` to write itself into a snapshot: a [`Stage`] to copy its
//! files into and to name them in the manifest, and the [`Acquisition`]s that `collect` makes
//! live rather than copies (the endpoint probes, the live registry). The sources declare what
//! they write; `collect` owns the files, the manifest and the progress, and implements the
//! stage, so neither imports the other's internals.

use std::io;
use std::sync::atomic::AtomicBool;

use crate::snapshot::{Artifact, TreeSource};

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

/// The snapshot `collect` is building, as a source writes into it. Paths are relative to the
/// snapshot, with `/`.
pub trait Stage {
    /// Copies a source file to `relative`, as it was when the copy began.
    fn copy(&mut self, from: &Artifact, relative: &str) -> io::Result<()>;

    /// Writes a file `collect` made (an export, probe results) to `relative`.
    fn write(&mut self, relative: &str, bytes: &[u8]) -> io::Result<()>;

    /// Writes the listing of a tree to `relative`: walked (and hashed, when asked) if it is a
    /// live directory, copied if it is a listing already.
    fn list_tree(&mut self, name: &str, tree: &TreeSource, relative: &str) -> io::Result<Listed>;

    /// Whether the files of live trees are hashed.
    fn hashing(&self) -> bool;

    /// Names a part in the manifest, under `section` (a source's [`Declared::key`]).
    ///
    /// [`Declared::key`]: super::Declared::key
    fn record(&mut self, section: &'static str, entry: Entry);

    /// Adds a line to the manifest's `collected_from`: what `key` was read from, or how.
    fn collected_from(&mut self, key: Key, from: String);

    /// Adds a phrase to the closing line: `2 logs`, `the console export`.
    fn closing_phrase(&mut self, phrase: String);

    /// Something the user should know that does not stop the run.
    fn warn(&mut self, warning: String);

    /// Stops the work when the user asked to.
    fn check_interrupted(&self) -> io::Result<()>;

    fn interrupted(&self) -> &AtomicBool;

    fn progress(&self) -> &dyn Progress;
}

/// What writing a tree's listing found.
pub struct Listed {
    pub files: usize,
    pub bytes: u64,
    pub listing_bytes: u64,
    /// Entries that could not be read, each as the check of the snapshot will report it.
    pub unreadable: Vec<String>,
}

/// One line of a manifest section.
pub struct Entry {
    pub key: Key,
    pub value: Value,
}

/// How a manifest line names its part (or, in `collected_from`, its source).
pub enum Key {
    /// A key of the source's own: `updates:`.
    Fixed(&'static str),
    /// A name the user chose (a log's, a tree's), quoted.
    Name(String),
    /// An item of a list: `- `.
    Item,
}

/// Where a manifest line's part is, in the snapshot.
pub enum Value {
    /// A file: `'logs/ConfigMgrSetup.log'`.
    Path(String),
    /// A tree's listing: `{listing: 'trees/updatepack.jsonl'}`.
    Listing(String),
}

impl Entry {
    pub fn path(key: Key, relative: &str) -> Entry {
        Entry {
            key,
            value: Value::Path(relative.to_owned()),
        }
    }
}

/// Something `collect` reads live and writes into the snapshot after every source's parts:
/// the endpoint probes, the live registry.
pub trait Acquisition: Sync {
    fn acquire(&self, stage: &mut dyn Stage) -> io::Result<()>;
}

/// Where a source was read from, as an absolute path, for the manifest's `collected_from`.
pub fn origin(artifact: &Artifact) -> String {
    std::path::absolute(&artifact.path)
        .unwrap_or_else(|_| artifact.path.clone())
        .display()
        .to_string()
}

/// The one file of a source given as one file: copied to `relative`, named under `key` in the
/// manifest's `section`, and described (`console export`) in `collected_from` and the closing
/// line.
pub(super) fn copy_one(
    stage: &mut dyn Stage,
    artifact: &Artifact,
    (section, key): (&'static str, &'static str),
    relative: &str,
    described: &'static str,
) -> io::Result<()> {
    stage.copy(artifact, relative)?;
    stage.record(section, Entry::path(Key::Fixed(key), relative));
    stage.collected_from(Key::Fixed(described), origin(artifact));
    stage.closing_phrase(format!("the {described}"));
    Ok(())
}
