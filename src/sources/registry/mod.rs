//! Registry exports (`--registry FILE`, `registry:`), merged into one registry when there are
//! several; `collect --read-registry` writes one more from the live registry.

#[cfg(any(windows, test))]
mod live;

use std::io;

use super::shape::Shape;
use super::stage::{Acquisition, Entry, Key, Stage};
use super::{ConfigKey, ConfigTakes, Declared, Flag, Loaded, NotLoaded, Reading, Source, Takes, WHOLE};
use crate::checks::{Input, SourceRef};
use crate::document::text::plural;
use crate::files;
use crate::readers::registry::{Read, Registry as Merged};
use crate::rules::{Rule, RuleSet};
use crate::snapshot::{Artifact, Snapshot};

pub(super) struct Registry;

static DECLARED: Declared = Declared {
    key: "registry",
    noun: "registry export",
    flags: &[Flag {
        long: "registry",
        value_name: "FILE",
        help: "A `.reg` export (`reg export KEY FILE`, or REGEDIT4) (repeatable; the files merge)",
        takes: Takes::Path,
        repeated: true,
    }],
    config: &[ConfigKey {
        key: "registry",
        doc: "Registry exports (`reg export KEY FILE`), merged.",
        takes: ConfigTakes::Paths,
    }],
    manifest_doc: "Registry exports (`.reg`), paths in the snapshot, merged.",
    // `registry/N-NAME`, each export copied or read.
    folder: "registry",
    shape: Shape::Many,
    size_limit: WHOLE,
    // An export that is not a file is reported when it is read.
    wants: None,
};

impl Loaded for Merged {
    fn input(&self, _: usize) -> Input<'_> {
        Input::Registry(self)
    }
}

impl Source for Registry {
    fn declared(&self) -> &'static Declared {
        &DECLARED
    }

    fn instance<'r>(&self, source: &SourceRef<'r>) -> Option<&'r str> {
        matches!(source, SourceRef::Registry(_)).then_some("")
    }

    /// Every export given, merged; one that is not an export leaves the rules not evaluated,
    /// since a check on part of the exports could pass on a missing value.
    fn load(&self, _: &[&Rule], snapshot: &Snapshot, reading: &mut Reading<'_>) -> Result<Box<dyn Loaded>, NotLoaded> {
        let exports: Vec<&Artifact> = DECLARED.all(snapshot).map(|(_, export)| export).collect();
        if exports.is_empty() {
            return Err(DECLARED.absent(snapshot, DECLARED.noun));
        }
        let mut merged = Merged::default();
        for artifact in exports.iter().copied() {
            let bytes = files::read_limited(&artifact.path, files::WHOLE_FILE_LIMIT)
                .map_err(|e| reading.unreadable(artifact, &e.to_string()))?;
            let (encoding, clean, garbled) = merged.add(&artifact.display, &bytes, snapshot.encoding).map_err(|e| {
                let message = e.to_string();
                reading.error(artifact, message.clone());
                NotLoaded::Unreadable(message)
            })?;
            reading.read_as(artifact, encoding, clean, garbled);
        }
        // Never one of two answers picked: the exports must agree before any rule reads them.
        if let Some(conflict) = merged.conflict() {
            let message = conflict.to_string();
            let artifact = exports.iter().copied().find(|a| a.display == conflict.path());
            if let Some(artifact) = artifact.or(exports.first().copied()) {
                reading.error(artifact, message.clone());
            }
            return Err(NotLoaded::Unreadable(message));
        }
        Ok(Box::new(merged))
    }
}

/// `collect --read-registry`: the keys and values the rules name, read from the live registry
/// and written as one more export.
pub struct LiveRegistry(Vec<Read>);

impl LiveRegistry {
    /// Every registry value and key the enabled rules read, once each.
    pub fn of(rules: &RuleSet) -> LiveRegistry {
        let mut all = Vec::new();
        for rule in rules.enabled() {
            if let SourceRef::Registry(reads) = rule.check.source() {
                for read in reads {
                    if !all.contains(read) {
                        all.push(read.clone());
                    }
                }
            }
        }
        LiveRegistry(all)
    }
}

/// Where the live read goes in the snapshot.
const LIVE_EXPORT: &str = "registry/read-registry.reg";

impl Acquisition for LiveRegistry {
    fn acquire(&self, stage: &mut dyn Stage) -> io::Result<()> {
        stage.write(LIVE_EXPORT, &read_live(&self.0)?)?;
        stage.record(DECLARED.key, Entry::path(Key::Item, LIVE_EXPORT));
        let read = plural(self.0.len(), "value or key", "values or keys");
        stage.collected_from(Key::Name(LIVE_EXPORT.to_owned()), format!("the live registry ({read})"));
        stage.closing_phrase(format!("the live registry ({read})"));
        Ok(())
    }
}

#[cfg(windows)]
fn read_live(reads: &[Read]) -> io::Result<Vec<u8>> {
    Ok(live::read(reads))
}

/// The command line refuses `--read-registry` off Windows before anything is written; this
/// is the same refusal for a caller of the library.
#[cfg(not(windows))]
fn read_live(_: &[Read]) -> io::Result<Vec<u8>> {
    Err(io::Error::other(
        "--read-registry reads the Windows registry: it needs Windows",
    ))
}
