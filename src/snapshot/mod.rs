//! What a check reads: a snapshot directory described by `snapshot.yaml`, or the same parts
//! named one by one on the command line (`--updatepack`, `--log`, ...). Both become a
//! [`Snapshot`], so the engine never knows which it was given.

pub mod by_name;
pub mod live;
pub mod manifest_file;

use std::path::{Path, PathBuf};

use crate::finding::SnapshotInfo;
use by_name::BySource;

/// A file sitelint reads, with the name reports use for it (relative to the snapshot, or as
/// the user typed it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub path: PathBuf,
    pub display: String,
}

impl Artifact {
    /// A path named on the command line: reports show it as typed.
    pub fn given(path: &Path) -> Self {
        Artifact {
            path: path.to_owned(),
            display: path.display().to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeSource {
    /// A directory walked at check time.
    Live(Artifact),
    /// A JSON Lines listing of `{path, size, mtime}` recorded by `collect`.
    Listing(Artifact),
}

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub info: SnapshotInfo,
    /// Every source's parts under its key (`logs`, `console`), filled by the source's shape
    /// in `sources` (`sources::shape`) and read by the source's module.
    pub parts: BySource<Artifact>,
    /// What makes an absent part visible: the manifest, or nothing for live sources.
    pub manifest: Option<Artifact>,
    /// The legacy code page of inputs that are not UTF-8 (`--encoding`, `encoding:`);
    /// detected when `None`.
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// The manifest, open and share-locked for as long as the snapshot is read, so that
    /// `collect --force` does not replace it meanwhile ([`manifest_file::lock`]).
    pub held: Option<std::sync::Arc<std::fs::File>>,
}

impl Snapshot {
    /// Read from the live paths named (the command line, `sources:`), not from a manifest:
    /// a tree is then a directory to walk, not a listing.
    pub fn is_live(&self) -> bool {
        self.manifest.is_none()
    }

    /// How an absent part is described: "the snapshot has no ..." or "no log ... given (use
    /// --log)"; without a verb, the words agree whatever `part` names ("probe results").
    pub fn absence(&self, part: &str, flag: &str) -> String {
        match &self.manifest {
            Some(m) => format!("{} has no {part}", m.display),
            None => format!("no {part} given (use {flag})"),
        }
    }
}
