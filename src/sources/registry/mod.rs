//! Registry exports (`--registry FILE`, `registry:`), merged into one registry when there are
//! several; `collect --read-registry` writes one more from the live registry.

#[cfg(any(windows, test))]
mod live;

use std::io;
use std::path::Path;

use super::stage::{Acquisition, Entry, Key, Stage, origin};
use super::{
    Flag, FromManifest, Given, Layout, Loaded, Named, NotLoaded, Part, Reading, Setting, SizeLimit, Source, Takes,
    WHOLE, flag_hint, from_manifest,
};
use crate::checks::{Input, SourceRef};
use crate::document::diag::SetupError;
use crate::document::fields::Fields;
use crate::document::text::plural;
use crate::files;
use crate::readers::registry::{Read, Registry as Merged};
use crate::rules::{Rule, RuleSet};
use crate::snapshot::live::LiveSources;
use crate::snapshot::{Artifact, Snapshot};

pub(super) struct Registry;

static FLAGS: &[Flag] = &[Flag {
    long: "registry",
    value_name: "FILE",
    help: "A `.reg` export (`reg export KEY FILE`, or REGEDIT4) (repeatable; the files merge)",
    takes: Takes::Path,
    repeated: true,
}];

/// The key an export's origin is kept under: each file has its own, as it may come from the
/// config or from `--registry`.
fn origin_key(path: impl std::fmt::Display) -> String {
    format!("sources.registry.{path}")
}

impl Loaded for Merged {
    fn input(&self, _: usize) -> Input<'_> {
        Input::Registry(self)
    }
}

impl Source for Registry {
    fn instance<'r>(&self, source: &SourceRef<'r>) -> Option<&'r str> {
        matches!(source, SourceRef::Registry(_)).then_some("")
    }

    fn flags(&self) -> &'static [Flag] {
        FLAGS
    }

    fn take(&self, given: Given, live: &mut LiveSources) {
        live.registry.push(given.path);
    }

    fn read_config(&self, keys: &mut Fields<'_, '_>, base: &Path, live: &mut LiveSources) {
        let exports = keys.strings("registry", "Registry exports (`reg export KEY FILE`), merged.");
        live.registry = exports
            .unwrap_or_default()
            .iter()
            .map(|p| base.join(&p.value))
            .collect();
    }

    /// Exports merge: one named again is still read once.
    fn merge(&self, given: &LiveSources, merged: &mut LiveSources) -> Vec<Named> {
        let merge_one = |path: &std::path::PathBuf| {
            if !merged.registry.contains(path) {
                merged.registry.push(path.clone());
            }
            Named::new(origin_key(path.display()))
        };
        given.registry.iter().map(merge_one).collect()
    }

    /// Every export given, merged; one that is not an export leaves the rules not evaluated,
    /// since a check on part of the exports could pass on a missing value.
    fn load(&self, _: &[&Rule], snapshot: &Snapshot, reading: &mut Reading<'_>) -> Result<Box<dyn Loaded>, NotLoaded> {
        if snapshot.registry.is_empty() {
            return Err(NotLoaded::Absent(
                snapshot.absence("registry export", &flag_hint(FLAGS)),
            ));
        }
        let mut merged = Merged::default();
        for artifact in &snapshot.registry {
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
            let artifact = snapshot.registry.iter().find(|a| a.display == conflict.path());
            if let Some(artifact) = artifact.or(snapshot.registry.first()) {
                reading.error(artifact, message.clone());
            }
            return Err(NotLoaded::Unreadable(message));
        }
        Ok(Box::new(merged))
    }

    fn live(&self, live: &LiveSources, snapshot: &mut Snapshot) {
        snapshot.registry = live.registry.iter().map(|p| Artifact::given(p)).collect();
    }

    fn parts<'s>(&self, snapshot: &'s Snapshot) -> Vec<Part<'s>> {
        let part = |export: &'s Artifact| {
            let setting = Setting {
                name: "sources.registry".to_owned(),
                origin_key: origin_key(&export.display),
            };
            Part::file(export, "registry export:", "the registry export", Some(setting))
        };
        snapshot.registry.iter().map(part).collect()
    }

    /// An export that is not a file is reported when it is read.
    fn wrong_type(&self, _: &LiveSources) -> Option<SetupError> {
        None
    }

    fn read_manifest<'n>(&self, fields: &mut Fields<'n, '_>) -> FromManifest<'n> {
        let exports = fields
            .strings("registry", "Registry exports (`.reg`), paths in the snapshot, merged.")
            .unwrap_or_default();
        from_manifest(move |reader, snapshot| {
            snapshot.registry = exports.iter().filter_map(|p| reader.resolve_inside(p)).collect();
        })
    }

    fn size_limit(&self) -> SizeLimit {
        WHOLE
    }

    /// `registry/N-NAME`, each export copied or read.
    fn collect_layout(&self) -> Layout {
        Layout {
            section: "registry",
            folder: "registry",
            holds: |name| !name.contains('/'),
        }
    }

    fn collect(&self, snapshot: &Snapshot, stage: &mut dyn Stage) -> io::Result<()> {
        for (index, export) in snapshot.registry.iter().enumerate() {
            // Numbered: exports from different folders are often all called `export.reg`.
            let name = export
                .path
                .file_name()
                .map_or_else(|| "export.reg".into(), |n| n.to_string_lossy());
            let relative = format!("registry/{}-{name}", index + 1);
            stage.copy(export, &relative)?;
            stage.record(self.collect_layout().section, Entry::path(Key::Item, &relative));
            stage.collected_from(Key::Name(relative), origin(export));
        }
        if !snapshot.registry.is_empty() {
            let count = snapshot.registry.len();
            stage.closing_phrase(plural(count, "registry export", "registry exports"));
        }
        Ok(())
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
        stage.record(Registry.collect_layout().section, Entry::path(Key::Item, LIVE_EXPORT));
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
