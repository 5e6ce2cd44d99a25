//! The plumbing every source shares, written once per [`Shape`]: a source of a few fixed
//! files (the console export), several by name (logs, trees), or several merged (registry
//! exports). From a source's [`Declared`] data it takes a flag's path, reads `sources:`,
//! merges a path named again, builds the live snapshot, finds a path of the wrong type, lists
//! the parts, reads the source's key of `snapshot.yaml` and writes what `collect` copies.
//! Names go through [`ByName`] wherever they are looked up, replaced or written, so a name has
//! one spelling whatever its case.

use std::io;
use std::path::Path;

use super::stage::{Entry, Key, Stage, copy_one, origin};
use super::{ConfigKey, ConfigTakes};
use super::{Declared, FromManifest, Given, Named, Part, Setting, Source, Takes, wrong};
use crate::document::diag::{Problem, SetupError};
use crate::document::fields::{Fields, Sp};
use crate::document::text::plural;
use crate::document::yaml::{Node, Value};
use crate::snapshot::by_name::ByName;
use crate::snapshot::live::LiveSources;
use crate::snapshot::manifest_file::ManifestReader;
use crate::snapshot::{Artifact, Snapshot};

/// How many of a source a snapshot holds.
pub enum Shape {
    /// A few fixed files, the first the one its flags and `sources:` name; the others only
    /// `collect` makes (the endpoint probes). `collected_as` names the first in the
    /// manifest's `collected_from` and the closing line of `collect`.
    One {
        files: &'static [File],
        collected_as: &'static str,
    },
    /// Several by name: files, or directories walked live (`directory`) whose listing
    /// `collect` writes. Each goes to `FOLDER/NAME` and the `suffix` (`.jsonl`).
    Named { directory: bool, suffix: &'static str },
    /// Several merged, kept in the order given; one given twice is read once.
    Many,
}

/// One of the fixed files of a source of [`Shape::One`].
pub struct File {
    /// Its key in the source's section of `snapshot.yaml`: `updates`.
    pub key: &'static str,
    /// Its line in the manifest's schema.
    pub doc: &'static str,
    /// Its name in the source's folder: `updates.json`.
    pub name: &'static str,
    /// What it is called in `-v` and errors: `console export`.
    pub noun: &'static str,
}

impl Shape {
    /// A source read as a directory: its paths are checked and listed before the files'.
    pub fn is_directory(&self) -> bool {
        matches!(self, Shape::Named { directory: true, .. })
    }

    /// Whether a name inside the source's folder (relative to it, with `/`) is one `collect`
    /// gives a part (`registry/1-machine.reg`, not `registry/notes/x`), so `--force` may
    /// replace it.
    pub fn holds(&self, name: &str) -> bool {
        match self {
            Shape::One { files, .. } => files.iter().any(|file| file.name == name),
            Shape::Named { suffix, .. } => !name.contains('/') && name.ends_with(suffix),
            Shape::Many => !name.contains('/'),
        }
    }
}

impl Declared {
    /// The fixed file of a source of [`Shape::One`] under `key` in the snapshot.
    pub fn one<'s>(&self, snapshot: &'s Snapshot, key: &str) -> Option<&'s Artifact> {
        snapshot.parts.of(self.key)?.get(key)
    }

    /// The first of its fixed files, the one the flags name, if it is in the snapshot.
    pub fn given<'s>(&self, snapshot: &'s Snapshot) -> Option<&'s Artifact> {
        let Shape::One { files, .. } = &self.shape else {
            return None;
        };
        self.one(snapshot, files.first()?.key)
    }

    /// The part named `name`, in any case, of a source read by name.
    pub fn named<'s>(&self, snapshot: &'s Snapshot, name: &str) -> Option<&'s Artifact> {
        snapshot.parts.of(self.key)?.get(name)
    }

    /// Every part of the source in the snapshot, in the order named.
    pub fn all<'s>(&self, snapshot: &'s Snapshot) -> impl Iterator<Item = &'s (String, Artifact)> {
        snapshot.parts.iter_of(self.key)
    }

    /// Why its rules are not evaluated when `what` is not in the snapshot: "the snapshot has
    /// no ..." or "no ... given (use --flag)".
    pub fn absent(&self, snapshot: &Snapshot, what: &str) -> super::NotLoaded {
        super::NotLoaded::Absent(snapshot.absence(what, &super::flag_hint(self.flags)))
    }

    /// The `sources:` key a part is named under: `sources.console-updates`,
    /// `sources.logs.NAME`.
    fn setting_key(&self, name: &str) -> String {
        match self.shape {
            Shape::One { .. } => format!("sources.{}", self.config.first().map_or(self.key, |c| c.key)),
            Shape::Named { .. } | Shape::Many => format!("sources.{}.{name}", self.key),
        }
    }
}

impl dyn Source {
    /// Puts a path given to one of its flags into the live sources.
    pub fn take(&self, given: Given, live: &mut LiveSources) {
        let declared = self.declared();
        let parts = live.of_mut(declared.key);
        match (&declared.shape, given.name) {
            (Shape::One { files, .. }, _) => {
                if let Some(file) = files.first() {
                    parts.set(file.key.to_owned(), given.path);
                }
            }
            (Shape::Named { .. }, Some(name)) => {
                parts.set(name, given.path);
            }
            (Shape::Named { .. }, None) => {}
            (Shape::Many, _) => push(parts, given.path),
        }
    }

    /// Adds what `given` names for it to `merged`, a path named again replacing the one named
    /// before (for a source of many, read once): the `sources:` keys it named, each with the
    /// key it replaced.
    pub fn merge(&self, given: &LiveSources, merged: &mut LiveSources) -> Vec<Named> {
        let declared = self.declared();
        let parts = merged.of_mut(declared.key);
        let merge_one = |(name, path): &(String, std::path::PathBuf)| match declared.shape {
            Shape::One { .. } => {
                parts.set(name.clone(), path.clone());
                Named::new(declared.setting_key(name))
            }
            Shape::Named { .. } => {
                let replaces = parts
                    .set(name.clone(), path.clone())
                    .map(|old| declared.setting_key(&old));
                Named {
                    key: declared.setting_key(name),
                    replaces,
                }
            }
            Shape::Many => {
                if !parts.iter().any(|(_, p)| p == path) {
                    push(parts, path.clone());
                }
                Named::new(declared.setting_key(&path.display().to_string()))
            }
        };
        given.iter_of(declared.key).map(merge_one).collect()
    }

    /// Reads its keys of `snapshot.yaml` from the manifest's fields; what it returns reads
    /// them into the snapshot once every field is known.
    pub fn read_manifest<'n>(&'static self, fields: &mut Fields<'n, '_>) -> FromManifest<'n> {
        let declared = self.declared();
        match &declared.shape {
            Shape::One { files, .. } => {
                let section = fields.map(declared.key, declared.manifest_doc).unwrap_or_default();
                Box::new(move |reader, snapshot| {
                    let keys: Vec<(&'static str, &str)> = files.iter().map(|file| (file.key, file.doc)).collect();
                    let found = reader.paths(section, &format!("`{}`", declared.key), &keys);
                    let parts = snapshot.parts.of_mut(declared.key);
                    for (file, artifact) in files.iter().zip(found) {
                        if let Some(artifact) = artifact {
                            parts.set(file.key.to_owned(), artifact);
                        }
                    }
                })
            }
            Shape::Named { .. } => {
                let section = fields.map(declared.key, declared.manifest_doc).unwrap_or_default();
                Box::new(move |reader, snapshot| {
                    for (key, value) in section {
                        let Some(name) = reader.name(key) else { continue };
                        if let Some(artifact) = self.named_in_manifest(reader, &name, value) {
                            let parts = snapshot.parts.of_mut(declared.key);
                            set_from_manifest(reader, parts, declared.noun, name, artifact);
                        }
                    }
                })
            }
            Shape::Many => {
                let paths = fields.strings(declared.key, declared.manifest_doc).unwrap_or_default();
                Box::new(move |reader, snapshot| {
                    for path in &paths {
                        if let Some(artifact) = reader.resolve_inside(path) {
                            push(snapshot.parts.of_mut(declared.key), artifact);
                        }
                    }
                })
            }
        }
    }
}

/// One more of a source of many, named by its position.
fn push<T>(parts: &mut ByName<T>, part: T) {
    parts.set((parts.len() + 1).to_string(), part);
}

/// Reads a source's keys of `sources:` in `sitelint.yaml` into the live sources, paths
/// relative to `base` (the directory of the file).
pub(super) fn read_config(declared: &Declared, keys: &mut Fields<'_, '_>, base: &Path, live: &mut LiveSources) {
    for ConfigKey { key, doc, takes } in declared.config {
        match (takes, &declared.shape) {
            (ConfigTakes::Path(name), shape) => {
                let Some(path) = keys.string(key, doc) else { continue };
                match (name, shape) {
                    (Some(name), _) => {
                        let name = Sp {
                            value: (*name).to_owned(),
                            span: path.span,
                        };
                        set_from_config(
                            keys,
                            live.of_mut(declared.key),
                            declared.noun,
                            name,
                            base.join(&path.value),
                        );
                    }
                    (None, Shape::One { files, .. }) => {
                        if let Some(file) = files.first() {
                            live.of_mut(declared.key)
                                .set(file.key.to_owned(), base.join(&path.value));
                        }
                    }
                    (None, _) => push(live.of_mut(declared.key), base.join(&path.value)),
                }
            }
            (ConfigTakes::Paths, Shape::Named { .. }) => {
                for path in keys.strings(key, doc).unwrap_or_default() {
                    // Named by its file name, as `--log PATH` names it.
                    let name = Sp {
                        value: super::flag::file_name(&path.value).to_owned(),
                        span: path.span,
                    };
                    set_from_config(
                        keys,
                        live.of_mut(declared.key),
                        declared.noun,
                        name,
                        base.join(&path.value),
                    );
                }
            }
            (ConfigTakes::Paths, _) => {
                for path in keys.strings(key, doc).unwrap_or_default() {
                    push(live.of_mut(declared.key), base.join(&path.value));
                }
            }
            (ConfigTakes::Map, _) => {
                for (name, path) in keys.scalar_map(key, doc) {
                    set_from_config(keys, live.of_mut(declared.key), declared.noun, name, base.join(path));
                }
            }
        }
    }
}

/// Puts the paths named for a source on the command line or in `sources:` into a snapshot,
/// as the user typed them.
pub(super) fn live(declared: &Declared, live: &LiveSources, snapshot: &mut Snapshot) {
    for (name, path) in live.iter_of(declared.key) {
        snapshot
            .parts
            .of_mut(declared.key)
            .set(name.clone(), Artifact::given(path));
    }
}

/// A path given for a source that is of the wrong type (a file for a directory, a directory
/// for a file, a JSON file for a list of hosts), as one error naming the flag.
pub(super) fn wrong_type(source: &dyn Source, live: &LiveSources) -> Option<SetupError> {
    let declared = source.declared();
    let wants = declared.wants?;
    live.iter_of(declared.key).find_map(|(name, path)| {
        let flag = flag_of(declared, name);
        if declared.shape.is_directory() {
            if path.exists() && !path.is_dir() {
                return wrong(&flag, path, "is a file, not a directory", wants);
            }
            return None;
        }
        if path.is_dir() {
            return wrong(&flag, path, "is a directory, not a file", wants);
        }
        let (what, wants) = source.misgiven(path)?;
        wrong(&flag, path, what, &wants)
    })
}

/// The flag a part named `name` was given with, as an error shows it: `--updatepack`,
/// `--tree NAME=`, `--log`.
fn flag_of(declared: &Declared, name: &str) -> String {
    let by_name = declared.flags.iter().find_map(|flag| match flag.takes {
        Takes::PathNamed(named) if named.eq_ignore_ascii_case(name) => Some(flag.arg()),
        _ => None,
    });
    let named = || {
        let flag = declared
            .flags
            .iter()
            .find(|flag| matches!(flag.takes, Takes::Named { .. }))?;
        Some(format!("{} {name}=", flag.arg()))
    };
    by_name
        .or_else(named)
        .or_else(|| declared.flags.first().map(super::Flag::arg))
        .unwrap_or_default()
}

/// The files and directories a snapshot names for a source.
pub(super) fn parts<'s>(declared: &'static Declared, snapshot: &'s Snapshot) -> Vec<Part<'s>> {
    let noun = declared.noun;
    let setting = |name: &str| Setting::named(&declared.setting_key(name));
    match &declared.shape {
        Shape::One { files, .. } => files
            .iter()
            .enumerate()
            .filter_map(|(index, file)| {
                let artifact = declared.one(snapshot, file.key)?;
                // Only the first is named in `sources:`; the others only a manifest names.
                let setting = if index == 0 { setting("") } else { None };
                Some(Part::file(
                    artifact,
                    &format!("{}:", file.noun),
                    &format!("the {}", file.noun),
                    setting,
                ))
            })
            .collect(),
        Shape::Named { directory: true, .. } if snapshot.is_live() => declared
            .all(snapshot)
            .map(|(name, dir)| Part {
                artifact: dir,
                directory: true,
                label: format!("{noun} {name}: directory"),
                what: format!("the {noun} {name}"),
                setting: setting(name),
            })
            .collect(),
        Shape::Named { directory: true, .. } => declared
            .all(snapshot)
            .map(|(name, listing)| {
                let (label, what) = (
                    format!("{noun} {name}: listing"),
                    format!("the listing of {noun} {name}"),
                );
                Part::file(listing, &label, &what, None)
            })
            .collect(),
        Shape::Named { .. } => declared
            .all(snapshot)
            .map(|(name, file)| {
                Part::file(
                    file,
                    &format!("{noun} {name}:"),
                    &format!("the {noun} {name}"),
                    setting(name),
                )
            })
            .collect(),
        Shape::Many => declared
            .all(snapshot)
            .map(|(_, file)| {
                let setting = Setting {
                    name: format!("sources.{}", declared.key),
                    origin_key: declared.setting_key(&file.display),
                };
                Part::file(file, &format!("{noun}:"), &format!("the {noun}"), Some(setting))
            })
            .collect(),
    }
}

/// What `collect` writes for a source of files, by its shape: the given file of one, a copy
/// of each named file, each of many numbered (exports from different folders are often all
/// called `export.reg`). A source of directories writes their listings itself.
pub(super) fn collect(declared: &Declared, snapshot: &Snapshot, stage: &mut dyn Stage) -> io::Result<()> {
    let (folder, noun) = (declared.folder, declared.noun);
    match &declared.shape {
        Shape::One { files, collected_as } => {
            let (Some(file), Some(artifact)) = (files.first(), declared.given(snapshot)) else {
                return Ok(());
            };
            let relative = format!("{folder}/{}", file.name);
            copy_one(stage, artifact, (declared.key, file.key), &relative, collected_as)?;
        }
        Shape::Named { suffix, .. } => {
            for (name, file) in declared.all(snapshot) {
                let relative = format!("{folder}/{name}{suffix}");
                stage.copy(file, &relative)?;
                stage.record(declared.key, Entry::path(Key::Name(name.clone()), &relative));
                stage.collected_from(Key::Name(format!("{noun} {name}")), origin(file));
            }
        }
        Shape::Many => {
            for (index, (_, file)) in declared.all(snapshot).enumerate() {
                let name = file
                    .path
                    .file_name()
                    .map_or_else(|| declared.key.into(), |n| n.to_string_lossy());
                let relative = format!("{folder}/{}-{name}", index + 1);
                stage.copy(file, &relative)?;
                stage.record(declared.key, Entry::path(Key::Item, &relative));
                stage.collected_from(Key::Name(relative), origin(file));
            }
        }
    }
    if let (Shape::Named { .. } | Shape::Many, count @ 1..) = (&declared.shape, declared.all(snapshot).count()) {
        stage.closing_phrase(plural(count, noun, &format!("{noun}s")));
    }
    Ok(())
}

/// A part a manifest names by name as a path in the snapshot (a log).
pub(super) fn path_in_manifest(
    reader: &mut ManifestReader<'_>,
    noun: &str,
    name: &Sp<String>,
    node: &Node,
) -> Option<Artifact> {
    match &node.value {
        Value::Str(s) => reader.resolve_inside(&Sp {
            value: s.clone(),
            span: node.span.clone(),
        }),
        other => {
            reader.push(Problem::new(
                reader.file(),
                node.span.clone(),
                format!("{noun} `{}` must be a path relative to the snapshot", name.value),
                format!("found {}", other.type_name()),
            ));
            None
        }
    }
}

/// A part named in `sources:` of `sitelint.yaml`: a second of the same name in any case is a
/// problem of the config, as two flags naming one are refused (keeping the last would drop
/// a tree or log the site wrote down).
fn set_from_config(
    keys: &mut Fields<'_, '_>,
    named: &mut ByName<std::path::PathBuf>,
    noun: &str,
    name: Sp<String>,
    path: std::path::PathBuf,
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
fn set_from_manifest(
    reader: &mut ManifestReader<'_>,
    named: &mut ByName<Artifact>,
    noun: &str,
    name: Sp<String>,
    part: Artifact,
) {
    if let Some(earlier) = named.set(name.value.clone(), part) {
        reader.push(Problem::new(
            reader.file(),
            name.span,
            format!("{noun} `{}` is named twice, also as `{earlier}`", name.value),
            "names in another case are the same name",
        ));
    }
}
