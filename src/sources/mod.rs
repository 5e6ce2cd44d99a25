//! The sources a snapshot is made of, one module each and one entry in [`SOURCES`], as rule
//! kinds are one module and one entry in `checks::KINDS`. A source declares which rules read
//! it, how it is taken from live paths, how a path given for it is of the wrong type, and how
//! the engine loads it once for all its rules; the engine and the live snapshot only iterate
//! the registry. The heavy readers (the tree walker, the log scanner, the parsers) stay in
//! `snapshot`, which these modules glue to the rest.
//!
//! A source also declares the flags that name it on the command line and its keys under
//! `sources:` in `sitelint.yaml`, and how a path named again merges with the one named before:
//! the CLI builds its flags, and `sitelint.yaml` its `sources:`, from this registry.
//!
//! The [`Snapshot`] keeps one typed field per source rather than a map of name to parts:
//! checks and collect read them typed, and only the source's own module fills them.

mod console;
mod endpoints;
mod flag;
mod log;
pub mod read_manifest;
mod registry;
mod sites;
pub mod stage;
mod tree;

pub use flag::{Flag, Given, Takes};
use flag::{file_name, flag_hint, wrong};
pub use registry::LiveRegistry;

use std::path::{Path, PathBuf};

use crate::checks::{Input, SourceRef};
use crate::document::diag::Problem;
use crate::document::diag::{SetupError, did_you_mean};
use crate::document::fields::{Fields, Sp};
use crate::document::text::{Encoding, decode};
use crate::files;
use crate::finding::{Location, ReadAs, SourceError};
use crate::rules::{Rule, RuleSet};
use crate::snapshot::by_name::ByName;
use crate::snapshot::live::LiveSources;
use crate::snapshot::manifest_file::ManifestReader;
use crate::snapshot::{Artifact, Snapshot};
use stage::Stage;

/// One kind of source.
pub trait Source: Sync {
    /// Which instance of this source a rule reads (a log's name as the rule writes it; `""`
    /// for a source of one instance), or `None` when it reads another source. Rules with the
    /// same instance, whatever its case (Windows file names are matched so), share one load.
    fn instance<'r>(&self, source: &SourceRef<'r>) -> Option<&'r str>;

    /// For a source read by name (logs, trees): what one is called (`log`) and the names of
    /// those the snapshot holds, so that `check` can warn of one no rule reads.
    fn instances_by_name<'s>(&self, _snapshot: &'s Snapshot) -> Option<(&'static str, Vec<&'s str>)> {
        None
    }

    /// The command-line flags that name it, in the order `--help` lists them.
    fn flags(&self) -> &'static [Flag];

    /// Puts a path given to one of its flags into the live sources.
    fn take(&self, given: Given, live: &mut LiveSources);

    /// Reads its keys of `sources:` in `sitelint.yaml` into the live sources, paths relative
    /// to `base` (the directory of the file).
    fn read_config(&self, keys: &mut Fields<'_, '_>, base: &Path, live: &mut LiveSources);

    /// Adds what `given` names for it to `merged`, a path named again replacing the one named
    /// before: the `sources:` keys it named, each with the key it replaced.
    fn merge(&self, given: &LiveSources, merged: &mut LiveSources) -> Vec<Named>;

    /// Loads the instance a group of rules reads, once for all of them.
    fn load(
        &self,
        group: &[&Rule],
        snapshot: &Snapshot,
        reading: &mut Reading<'_>,
    ) -> Result<Box<dyn Loaded>, NotLoaded>;

    /// Puts the paths named for this source on the command line or in `sources:` into a
    /// snapshot, as the user typed them.
    fn live(&self, live: &LiveSources, snapshot: &mut Snapshot);

    /// A path given for this source that is of the wrong type (a file for a directory, a
    /// directory for a file, a JSON file for a list of hosts).
    fn wrong_type(&self, live: &LiveSources) -> Option<SetupError>;

    /// The files and directories a snapshot names for this source.
    fn parts<'s>(&self, snapshot: &'s Snapshot) -> Vec<Part<'s>>;

    /// A source read as a directory: its paths are checked and listed before the files'.
    fn is_directory(&self) -> bool {
        false
    }

    /// Takes this source's keys from the fields of a snapshot manifest; what it returns reads
    /// them into the snapshot once every field is known.
    fn read_manifest<'n>(&self, fields: &mut Fields<'n, '_>) -> FromManifest<'n>;

    /// How much of it `check` reads, as `sitelint man` tells.
    fn size_limit(&self) -> SizeLimit;

    /// Where `collect` puts this source's parts in a snapshot.
    fn collect_layout(&self) -> Layout;

    /// Writes the parts the snapshot names for this source into the snapshot `collect` is
    /// building, and names them in its manifest.
    fn collect(&self, snapshot: &Snapshot, stage: &mut dyn Stage) -> std::io::Result<()>;
}

/// Where `collect` puts a source's parts: one folder of the snapshot, the names in it that
/// are parts (`registry/1-machine.reg`, not `registry/notes/x`), and the manifest's key for
/// them.
pub struct Layout {
    /// The manifest's key for this source: `trees`, `endpoints`.
    pub section: &'static str,
    pub folder: &'static str,
    /// Whether a name inside the folder (relative to it, with `/`) is one `collect` gives a part.
    pub holds: fn(&str) -> bool,
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
pub fn size_limits() -> impl Iterator<Item = (String, SizeLimit)> {
    listing_order().map(|source| {
        let flags: Vec<String> = source.flags().iter().map(Flag::arg).collect();
        (flags.join(", "), source.size_limit())
    })
}

/// The folders `collect` writes parts into.
pub fn collect_folders() -> impl Iterator<Item = &'static str> {
    SOURCES.iter().map(|source| source.collect_layout().folder)
}

/// The manifest's keys for the sources, in the order `collect` writes them.
pub fn manifest_sections() -> impl Iterator<Item = &'static str> {
    listing_order().map(|source| source.collect_layout().section)
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
            .map(|source| source.collect_layout())
            .any(|layout| layout.folder == folder && (layout.holds)(name))
    })
}

/// What a source took from a manifest, read into the snapshot after the manifest's unknown
/// fields are reported, so the problems keep the manifest's order: its fields, then each
/// source's parts.
pub type FromManifest<'n> = Box<dyn FnOnce(&mut ManifestReader<'_>, &mut Snapshot) + 'n>;

/// A source's reading of its keys, boxed (the bound makes the closure take any reader).
fn from_manifest<'n>(read: impl FnOnce(&mut ManifestReader<'_>, &mut Snapshot) + 'n) -> FromManifest<'n> {
    Box::new(read)
}

/// Every source, in the order the engine loads them (and so the order of the errors and of
/// the encodings a report lists).
pub static SOURCES: &[&dyn Source] = &[
    &log::Logs,
    &tree::Trees,
    &console::Console,
    &endpoints::Endpoints,
    &registry::Registry,
    &sites::Sites,
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
    listing_order().flat_map(|source| source.flags().iter().map(move |flag| (source, flag)))
}

/// Reads every source's keys of `sources:` in `sitelint.yaml`, in the order its schema lists
/// them.
pub fn read_config(keys: &mut Fields<'_, '_>, base: &Path) -> LiveSources {
    let mut live = LiveSources::default();
    for source in listing_order() {
        source.read_config(keys, base, &mut live);
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
        let Some((noun, names)) = source.instances_by_name(snapshot) else {
            continue;
        };
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
            let flag = source.flags().first().map(Flag::arg).unwrap_or_default();
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
        source.live(live, &mut snapshot);
    }
    snapshot
}

/// The sources, directories first: the order paths are checked and listed in.
fn listing_order() -> impl Iterator<Item = &'static dyn Source> {
    let directories = SOURCES.iter().filter(|s| s.is_directory());
    let files = SOURCES.iter().filter(|s| !s.is_directory());
    directories.chain(files).copied()
}

/// The first path named on the command line of the wrong type: one error naming the flag and
/// what it wants, before anything is evaluated.
pub fn wrong_type(live: &LiveSources) -> Option<SetupError> {
    listing_order().find_map(|source| source.wrong_type(live))
}

/// Every file or directory the snapshot names, in a fixed order.
pub fn parts(snapshot: &Snapshot) -> impl Iterator<Item = Part<'_>> {
    listing_order().flat_map(move |source| source.parts(snapshot))
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

/// A source given as one file reads its one `sources:` key as a path relative to `base`.
fn read_one_path(keys: &mut Fields<'_, '_>, key: &'static str, doc: &str, base: &Path) -> Option<PathBuf> {
    keys.string(key, doc).map(|path| base.join(&path.value))
}

/// A source given as one file: the path named again replaces the one named before.
fn merge_one_path(given: Option<&PathBuf>, merged: &mut Option<PathBuf>, key: &str) -> Vec<Named> {
    let Some(path) = given else {
        return Vec::new();
    };
    *merged = Some(path.clone());
    vec![Named::new(format!("sources.{key}"))]
}

/// A source read by name (logs, trees): a path named again, by the same name in any case,
/// replaces the one named before.
fn merge_named(given: &ByName<PathBuf>, merged: &mut ByName<PathBuf>, key: fn(&str) -> String) -> Vec<Named> {
    let merge_one = |(name, path): &(String, PathBuf)| {
        let replaces = merged.set(name.clone(), path.clone()).map(|old| key(&old));
        Named {
            key: key(name),
            replaces,
        }
    };
    given.iter().map(merge_one).collect()
}

/// A source read by name, named in `sources:` of `sitelint.yaml`: a second of the same name in
/// any case is a problem of the config, as two flags naming one are refused (keeping the
/// last would drop a tree or log the site wrote down).
fn set_from_config(
    keys: &mut Fields<'_, '_>,
    named: &mut ByName<PathBuf>,
    noun: &str,
    name: Sp<String>,
    path: PathBuf,
) {
    if let Some(earlier) = named.set(name.value.clone(), path) {
        keys.problem(
            name.span,
            format!("{noun} `{}` is named twice, also as `{earlier}`", name.value),
            "names in another case are the same name",
        );
    }
}

/// A part a manifest names by name; a second of the same name in another case is a problem
/// of the manifest (`check` would read one of them and `collect` write one).
fn set_from_manifest<T>(reader: &mut ManifestReader<'_>, named: &mut ByName<T>, noun: &str, name: Sp<String>, part: T) {
    if let Some(earlier) = named.set(name.value.clone(), part) {
        reader.push(Problem::new(
            reader.file(),
            name.span,
            format!("{noun} `{}` is named twice, also as `{earlier}`", name.value),
            "names in another case are the same name",
        ));
    }
}
