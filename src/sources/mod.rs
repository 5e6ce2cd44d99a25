//! The sources a snapshot is made of, one module each and one entry in [`SOURCES`], as rule
//! kinds are one module and one entry in `checks::KINDS`. A source is mostly data: a
//! [`Declared`] (its flags, its keys in `sitelint.yaml` and in `snapshot.yaml`, its folder in
//! a snapshot, its size limit and its [`Shape`]: a few fixed files, several by name, or
//! several merged), and a small [`Source`] behaviour (which rules read it, how it is loaded
//! for them). What every source does alike (taking a flag's path, reading `sources:`,
//! merging a path named again, the live snapshot, a path of the wrong type, the parts `-v`
//! lists, the manifest's keys, what `collect` writes) is written once per shape, in
//! [`shape`]; the engine, the command line and `collect` only iterate the registry. The
//! heavy readers (the tree walker, the log scanner, the parsers) are in `readers`.
//!
//! A new source is one file here and one line in [`SOURCES`]: its parts are kept under its
//! key in the [`Snapshot`] and the [`LiveSources`], whatever its shape.

mod console;
mod endpoints;
mod flag;
mod log;
pub mod read_manifest;
mod registry;
pub mod shape;
mod sites;
pub mod stage;
#[cfg(test)]
mod throwaway;
mod tree;

pub use flag::{Flag, Given, Takes};
use flag::{flag_hint, wrong};
pub use log::log_named;
pub use registry::LiveRegistry;
pub use shape::Shape;
pub use tree::trees;

use std::path::Path;

use crate::checks::{Input, SourceRef};
use crate::document::diag::{SetupError, did_you_mean};
use crate::document::fields::Fields;
use crate::document::text::{Encoding, decode};
use crate::files;
use crate::finding::{Location, ReadAs, SourceError};
use crate::rules::{Rule, RuleSet};
use crate::snapshot::live::LiveSources;
use crate::snapshot::manifest_file::ManifestReader;
use crate::snapshot::{Artifact, Snapshot};
use stage::Stage;

/// What a source is, as data: all the plumbing of [`shape`] needs to take it from the
/// command line, `sitelint.yaml` and a manifest, to list it and to write it into a snapshot.
pub struct Declared {
    /// Its key in `snapshot.yaml` (`logs`, `console`), under which its parts are kept in the
    /// snapshot and the live sources.
    pub key: &'static str,
    /// What one is called: `log`, `console export`.
    pub noun: &'static str,
    /// The command-line flags that name it, in the order `--help` lists them.
    pub flags: &'static [Flag],
    /// Its keys under `sources:` in `sitelint.yaml`, in the order the schema lists them.
    pub config: &'static [ConfigKey],
    /// What its key of `snapshot.yaml` holds, as the manifest's schema says.
    pub manifest_doc: &'static str,
    /// The folder of a snapshot `collect` writes it into.
    pub folder: &'static str,
    pub shape: Shape,
    /// How much of it `check` reads, as `sitelint man` tells.
    pub size_limit: SizeLimit,
    /// What a path given for it must be, said when it is not (a directory for a file, a file
    /// for a directory); `None` when that is told only as it is read.
    pub wants: Option<&'static str>,
}

/// A key of `sources:` in `sitelint.yaml`, read as a path relative to the file.
pub struct ConfigKey {
    pub key: &'static str,
    /// Its line in the schema.
    pub doc: &'static str,
    pub takes: ConfigTakes,
}

/// What a key of `sources:` holds.
pub enum ConfigTakes {
    /// One path: the source's one file, or for a source read by name the part of that name
    /// (`updatepack: DIR` is the tree `updatepack`).
    Path(Option<&'static str>),
    /// A list of paths: each a part named by its file name, or each one more of many.
    Paths,
    /// Parts by name: `trees: {NAME: DIR}`.
    Map,
}

/// One kind of source: its [`Declared`] data and what only it does.
pub trait Source: Sync {
    fn declared(&self) -> &'static Declared;

    /// Which instance of this source a rule reads (a log's name as the rule writes it; `""`
    /// for a source of one instance), or `None` when it reads another source. Rules with the
    /// same instance, whatever its case (Windows file names are matched so), share one load.
    fn instance<'r>(&self, source: &SourceRef<'r>) -> Option<&'r str>;

    /// Loads the instance a group of rules reads, once for all of them.
    fn load(
        &self,
        group: &[&Rule],
        snapshot: &Snapshot,
        reading: &mut Reading<'_>,
    ) -> Result<Box<dyn Loaded>, NotLoaded>;

    /// A path given for it that is a file as it wants, but not the file it wants: what it is
    /// instead, and what it wants (a JSON file given as the allowlist).
    fn misgiven(&self, _path: &Path) -> Option<(&'static str, String)> {
        None
    }

    /// For a source read by name: the part a manifest names under `name` (by default a path
    /// in the snapshot).
    fn named_in_manifest(
        &self,
        reader: &mut ManifestReader<'_>,
        name: &crate::document::fields::Sp<String>,
        node: &crate::document::yaml::Node,
    ) -> Option<Artifact> {
        shape::path_in_manifest(reader, self.declared().noun, name, node)
    }

    /// Writes the parts the snapshot names for this source into the snapshot `collect` is
    /// building, and names them in its manifest (by default as its shape copies them).
    fn collect(&self, snapshot: &Snapshot, stage: &mut dyn Stage) -> std::io::Result<()> {
        shape::collect(self.declared(), snapshot, stage)
    }
}

/// How much of a source `check` reads: the limits that keep a hostile or broken input from
/// taking the machine's memory, declared by each source from the constants its reader keeps.
/// Shown as a sentence of the manual page: `Read whole: a file over 64.0 MiB is refused ...`.
pub enum SizeLimit {
    /// Read whole: a file over this many bytes is refused before it is read.
    Whole(u64),
    /// Streamed whatever its size, but one `entry` (`a log line`) over `bytes` is `over` (`cut
    /// there`).
    Streamed {
        entry: &'static str,
        bytes: u64,
        over: &'static str,
    },
}

/// What sources read whole may hold (a console export, an allowlist, a registry export).
const WHOLE: SizeLimit = SizeLimit::Whole(files::WHOLE_FILE_LIMIT);

impl std::fmt::Display for SizeLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SizeLimit::Whole(bytes) => write!(
                f,
                "Read whole: a file over {} is refused before it is read",
                files::Bytes(*bytes)
            ),
            SizeLimit::Streamed { entry, bytes, over } => {
                write!(
                    f,
                    "Streamed, whatever its size: {entry} over {} is {over}",
                    files::Bytes(*bytes)
                )
            }
        }
    }
}

/// Each source's flags (`--tree, --updatepack`) and how much of it `check` reads, in the order
/// `--help` lists them.
pub fn size_limits() -> impl Iterator<Item = (String, &'static SizeLimit)> {
    listing_order().map(|source| {
        let declared = source.declared();
        let flags: Vec<String> = declared.flags.iter().map(Flag::arg).collect();
        (flags.join(", "), &declared.size_limit)
    })
}

/// The folders `collect` writes parts into.
pub fn collect_folders() -> impl Iterator<Item = &'static str> {
    SOURCES.iter().map(|source| source.declared().folder)
}

/// The manifest's keys for the sources, in the order `collect` writes them.
pub fn manifest_sections() -> impl Iterator<Item = &'static str> {
    listing_order().map(|source| source.declared().key)
}

/// Writes every source's parts into the snapshot `collect` is building, in listing order.
pub fn collect_all(snapshot: &Snapshot, stage: &mut dyn Stage) -> std::io::Result<()> {
    for source in listing_order() {
        source.collect(snapshot, stage)?;
    }
    Ok(())
}

/// Whether `relative` (with `/`) is a place where `collect` puts a part of some source.
pub fn in_collect_layout(relative: &str) -> bool {
    relative.split_once('/').is_some_and(|(folder, name)| {
        SOURCES
            .iter()
            .map(|source| source.declared())
            .any(|declared| declared.folder == folder && declared.shape.holds(name))
    })
}

/// What a source took from a manifest, read into the snapshot after the manifest's unknown
/// fields are reported, so the problems keep the manifest's order: its fields, then each
/// source's parts.
pub type FromManifest<'n> = Box<dyn FnOnce(&mut ManifestReader<'_>, &mut Snapshot) + 'n>;

/// Every source, in the order the engine loads them (and so the order of the errors and of
/// the encodings a report lists).
pub static SOURCES: &[&dyn Source] = &[
    &log::Logs,
    &tree::Trees,
    &console::Console,
    &endpoints::Endpoints,
    &registry::Registry,
    &sites::Sites,
    #[cfg(test)]
    &throwaway::Services,
];

/// A `sources:` key a merge named (`sources.logs.NAME`), with the key of the path it replaced
/// when that was named otherwise (a log by the same name in another case).
pub struct Named {
    pub key: String,
    pub replaces: Option<String>,
}

impl Named {
    fn new(key: String) -> Named {
        Named { key, replaces: None }
    }
}

/// Every source's flags, in the order `--help` lists them (directories first), with their
/// source.
pub fn flags() -> impl Iterator<Item = (&'static dyn Source, &'static Flag)> {
    listing_order().flat_map(|source| source.declared().flags.iter().map(move |flag| (source, flag)))
}

/// Reads every source's keys of `sources:` in `sitelint.yaml`, in the order its schema lists
/// them.
pub fn read_config(keys: &mut Fields<'_, '_>, base: &Path) -> LiveSources {
    let mut live = LiveSources::default();
    for source in listing_order() {
        shape::read_config(source.declared(), keys, base, &mut live);
    }
    live
}

/// A file or directory a snapshot names, as the rest of sitelint sees it.
pub struct Part<'s> {
    pub artifact: &'s Artifact,
    /// Read as a directory (a live tree), not as a file.
    pub directory: bool,
    /// How `-v` names it before its path: `tree updatepack: directory`, `log X:`.
    pub label: String,
    /// How a refused report path names it: `the tree updatepack`, `the log ConfigMgrSetup.log`.
    pub what: String,
    /// Where it may be named in `sources:`; `None` for what only a manifest names.
    pub setting: Option<Setting>,
}

/// A part as `sources:` names it.
pub struct Setting {
    /// How `sitelint config` shows it: `sources.trees.updatepack`, `sources.registry`.
    pub name: String,
    /// The key of its origin (`sitelint.yaml:9`, `--log`): the name, or for a source of
    /// several files (the registry exports) the name and the path.
    pub origin_key: String,
}

impl Setting {
    fn named(name: &str) -> Option<Setting> {
        Some(Setting {
            name: name.to_owned(),
            origin_key: name.to_owned(),
        })
    }
}

impl<'s> Part<'s> {
    /// A file, with how it is named and the `sources:` key it may come from.
    fn file(artifact: &'s Artifact, label: &str, what: &str, setting: Option<Setting>) -> Self {
        Part {
            artifact,
            directory: false,
            label: label.to_owned(),
            what: what.to_owned(),
            setting,
        }
    }
}

/// A source loaded for a group of rules.
pub trait Loaded {
    /// The input for the `position`-th rule of the group.
    fn input(&self, position: usize) -> Input<'_>;
}

/// Why the rules on a source were not evaluated; the words are the rules' reason.
#[derive(Debug, Clone, thiserror::Error)]
pub enum NotLoaded {
    /// Nothing was given for the source ("the snapshot has no ...", "no ... given").
    #[error("{0}")]
    Absent(String),
    /// The source was given but could not be read or understood; also an error of the run.
    #[error("{0}")]
    Unreadable(String),
}

/// What loading sources records besides the sources: what could not be read, and how each
/// text input was decoded.
pub struct Reading<'r> {
    pub errors: &'r mut Vec<SourceError>,
    pub read_as: &'r mut Vec<ReadAs>,
}

impl Reading<'_> {
    fn read_as(&mut self, artifact: &Artifact, encoding: Encoding, clean: bool, garbled: bool) {
        self.read_as.push(ReadAs {
            path: artifact.display.clone(),
            encoding: encoding.to_string(),
            clean,
            garbled,
        });
    }

    /// Records a named source that could not be read or understood, and returns the reason
    /// its rules were not evaluated.
    pub fn unreadable(&mut self, artifact: &Artifact, why: &str) -> NotLoaded {
        let mut message = format!("cannot read {}: {why}", artifact.display);
        if let Some(hint) = files::yen_for_separator(&artifact.path.display().to_string()) {
            message = format!("{message}; {hint}");
        }
        self.error(artifact, message.clone());
        NotLoaded::Unreadable(message)
    }

    fn error(&mut self, artifact: &Artifact, message: String) {
        self.errors.push(SourceError {
            path: artifact.display.clone(),
            message,
        });
    }

    /// A small file's text, and its location as a whole.
    fn text(&mut self, artifact: &Artifact, snapshot: &Snapshot) -> Result<(String, Location), NotLoaded> {
        let bytes = files::read_limited(&artifact.path, files::WHOLE_FILE_LIMIT)
            .map_err(|e| self.unreadable(artifact, &e.to_string()))?;
        let decoded = decode(&bytes, snapshot.encoding);
        self.read_as(artifact, decoded.encoding, decoded.clean, decoded.garbled);
        Ok((decoded.text, Location::whole(&artifact.display, bytes.len() as u64)))
    }
}

/// The source a rule reads and the instance of it, as `SOURCES` index and name; `None` for
/// the built-in rules, which read the waivers, not the snapshot.
pub fn read_by(rule: &Rule) -> Option<(usize, String)> {
    let source = rule.check.source();
    SOURCES.iter().enumerate().find_map(|(index, s)| {
        s.instance(&source)
            .map(|instance| (index, instance.to_ascii_lowercase()))
    })
}

/// Live sources read by name that no rule in the run reads, each with the names the rules do
/// read: a log or tree named on the command line under the wrong name is otherwise passed
/// over without a word (`--log SCT.log=...` left every log rule not evaluated, and the run
/// exited 0).
pub fn unread(rules: &RuleSet, snapshot: &Snapshot) -> Vec<String> {
    let mut warnings = Vec::new();
    for source in SOURCES {
        let declared = source.declared();
        let Shape::Named { .. } = declared.shape else {
            continue;
        };
        let (noun, names) = (
            declared.noun,
            snapshot.parts.iter_of(declared.key).map(|(name, _)| name),
        );
        let mut read: Vec<&str> = Vec::new();
        for name in rules.enabled().filter_map(|rule| source.instance(&rule.check.source())) {
            if !read.contains(&name) {
                read.push(name);
            }
        }
        for name in names
            .into_iter()
            .filter(|n| !read.iter().any(|r| r.eq_ignore_ascii_case(n)))
        {
            let expected = match read.as_slice() {
                [] => format!("no rule in this run reads a {noun}"),
                [one] => format!("the rules read the {noun} {one}"),
                names => format!("the rules read the {noun}s {}", names.join(", ")),
            };
            let flag = declared.flags.first().map(Flag::arg).unwrap_or_default();
            let hint = did_you_mean(name, read.iter().copied())
                .map(|close| format!("; did you mean `{close}` ({flag} {close}=...)?"))
                .unwrap_or_default();
            warnings.push(format!("no rule reads {noun} `{name}`: {expected}{hint}"));
        }
    }
    warnings
}

/// The snapshot of the live paths named, every source's in registry order.
pub fn live_snapshot(live: &LiveSources) -> Snapshot {
    let mut snapshot = Snapshot::default();
    for source in SOURCES {
        shape::live(source.declared(), live, &mut snapshot);
    }
    snapshot
}

/// The sources, directories first: the order paths are checked and listed in.
fn listing_order() -> impl Iterator<Item = &'static dyn Source> {
    let directories = SOURCES.iter().filter(|s| s.declared().shape.is_directory());
    let files = SOURCES.iter().filter(|s| !s.declared().shape.is_directory());
    directories.chain(files).copied()
}

/// The first path named on the command line of the wrong type: one error naming the flag and
/// what it wants, before anything is evaluated.
pub fn wrong_type(live: &LiveSources) -> Option<SetupError> {
    listing_order().find_map(|source| shape::wrong_type(source, live))
}

/// Every file or directory the snapshot names, in a fixed order.
pub fn parts(snapshot: &Snapshot) -> impl Iterator<Item = Part<'_>> {
    listing_order().flat_map(move |source| shape::parts(source.declared(), snapshot))
}

/// The named parts that cannot be found or are not what they should be (a directory for a
/// live tree, a regular file for anything else), with why: `check` reports them, `collect`
/// refuses to start.
pub fn unusable(snapshot: &Snapshot) -> impl Iterator<Item = (&Artifact, std::io::Error)> {
    parts(snapshot).filter_map(|part| {
        let meta = match std::fs::metadata(&part.artifact.path) {
            Ok(meta) => meta,
            Err(e) => return Some((part.artifact, e)),
        };
        let (wanted, what) = if part.directory {
            (meta.is_dir(), "a directory")
        } else {
            (meta.is_file(), "a regular file")
        };
        (!wanted).then(|| {
            let found = if meta.is_file() {
                "a file"
            } else {
                files::kind_of(&meta)
            };
            let why = std::io::Error::other(format!("it is {found}, not {what}"));
            (part.artifact, why)
        })
    })
}
