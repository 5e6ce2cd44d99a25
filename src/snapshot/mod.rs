//! What a check reads: a snapshot directory described by `snapshot.yaml`, or the same parts
//! named one by one on the command line (`--updatepack`, `--log`, ...). Both become a
//! [`Snapshot`], so the engine never knows which it was given.

pub mod by_name;
pub mod live;
pub mod manifest_file;

use std::path::{Path, PathBuf};

use crate::finding::SnapshotInfo;
use by_name::ByName;

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
    pub trees: ByName<TreeSource>,
    pub logs: ByName<Artifact>,
    pub console: Option<Artifact>,
    /// `Get-CMSite | ConvertTo-Json`.
    pub sites: Option<Artifact>,
    pub allowlist: Option<Artifact>,
    pub probes: Option<Artifact>,
    /// `.reg` exports, merged when there are several.
    pub registry: Vec<Artifact>,
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
    pub fn log(&self, name: &str) -> Option<&Artifact> {
        self.logs.get(name)
    }

    pub fn tree(&self, name: &str) -> Option<&TreeSource> {
        self.trees.get(name)
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
