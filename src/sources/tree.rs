//! Directory trees by name (`--tree NAME=DIR`, `--updatepack DIR`, `trees:`): walked live, or
//! the listing `collect` wrote.

use std::io;

use super::shape::Shape;
use super::stage::{Entry, Key, Stage, Value, origin};
use super::{ConfigKey, ConfigTakes, Declared, Flag, Loaded, NotLoaded, Reading, SizeLimit, Source, Takes};
use crate::checks::{Input, SourceRef};
use crate::document::diag::Problem;
use crate::document::fields::Sp;
use crate::document::text::plural;
use crate::document::yaml::{self, Node};
use crate::files::Bytes;
use crate::finding::SourceError;
use crate::readers::tree::{self, Tree, TreeFile};
use crate::rules::Rule;
use crate::snapshot::manifest_file::ManifestReader;
use crate::snapshot::{Artifact, Snapshot, TreeSource};

pub(super) struct Trees;

/// The tree the Service Connection Tool downloads, which has a flag and a key of its own.
const UPDATEPACK: &str = "updatepack";

static DECLARED: Declared = Declared {
    key: "trees",
    noun: "tree",
    flags: &[
        Flag {
            long: "tree",
            value_name: "NAME=DIR",
            help: "A directory tree to check, as NAME=DIR (repeatable)",
            takes: Takes::Named {
                example: "updatepack=D:\\USB\\UpdatePacks",
            },
            repeated: true,
        },
        Flag {
            long: UPDATEPACK,
            value_name: "DIR",
            help: "The Service Connection Tool's -updatepackdest folder (same as --tree updatepack=DIR)",
            takes: Takes::PathNamed(UPDATEPACK),
            repeated: false,
        },
    ],
    config: &[
        ConfigKey {
            key: UPDATEPACK,
            doc: "The Service Connection Tool's -updatepackdest folder (the tree `updatepack`).",
            takes: ConfigTakes::Path(Some(UPDATEPACK)),
        },
        ConfigKey {
            key: "trees",
            doc: "Other directory trees, by name.",
            takes: ConfigTakes::Map,
        },
    ],
    manifest_doc: "Directory trees by name, each `{listing: FILE}`.",
    // `trees/NAME.jsonl`, the listing of each.
    folder: "trees",
    shape: Shape::Named {
        directory: true,
        suffix: ".jsonl",
    },
    // A live tree is walked, keeping only the files its rules report on; a listing is read a
    // line at a time.
    size_limit: SizeLimit::Streamed {
        entry: "a line of a listing (trees/NAME.jsonl of a snapshot)",
        bytes: tree::MAX_LISTING_LINE,
        over: "refused with its line",
    },
    wants: Some("a directory, e.g. the folder ServiceConnectionTool.exe -download wrote (D:\\USB\\UpdatePacks)"),
};

impl Loaded for Tree {
    fn input(&self, _: usize) -> Input<'_> {
        Input::Tree(self)
    }
}

/// A tree of the snapshot as its reader takes it: a directory to walk in a live snapshot, the
/// listing `collect` wrote in one read from a manifest.
fn tree_source(snapshot: &Snapshot, part: &Artifact) -> TreeSource {
    match snapshot.is_live() {
        true => TreeSource::Live(part.clone()),
        false => TreeSource::Listing(part.clone()),
    }
}

/// The snapshot's trees by name, as their reader takes them.
pub fn trees(snapshot: &Snapshot) -> impl Iterator<Item = (&str, TreeSource)> {
    DECLARED
        .all(snapshot)
        .map(|(name, part)| (name.as_str(), tree_source(snapshot, part)))
}

impl Source for Trees {
    fn declared(&self) -> &'static Declared {
        &DECLARED
    }

    fn instance<'r>(&self, source: &SourceRef<'r>) -> Option<&'r str> {
        match source {
            SourceRef::Tree(name) => Some(*name),
            _ => None,
        }
    }

    fn load(
        &self,
        group: &[&Rule],
        snapshot: &Snapshot,
        reading: &mut Reading<'_>,
    ) -> Result<Box<dyn Loaded>, NotLoaded> {
        let Some(SourceRef::Tree(name)) = group.first().map(|rule| rule.check.source()) else {
            return Err(NotLoaded::Absent("no rule reads a tree".to_owned()));
        };
        let source = DECLARED
            .named(snapshot, name)
            .map(|part| tree_source(snapshot, part))
            .ok_or_else(|| DECLARED.absent(snapshot, &format!("tree `{name}`")))?;
        // Only the files a rule can report on or count are kept: memory grows with the
        // findings, not with the tree.
        let needed = |file: &TreeFile| group.iter().any(|rule| rule.check.needs_file(file));
        let tree = tree::load_keeping(name, &source, &needed).map_err(|e| {
            let message = e.to_string();
            let (TreeSource::Live(artifact) | TreeSource::Listing(artifact)) = &source;
            reading.error(artifact, message.clone());
            NotLoaded::Unreadable(message)
        })?;
        for entry in &tree.unreadable {
            reading.errors.push(SourceError {
                path: tree.location.path.clone(),
                message: tree.describe_unreadable(entry),
            });
        }
        Ok(Box::new(tree))
    }

    /// `{listing: FILE}`: a snapshot holds listings, never live directories.
    fn named_in_manifest(&self, reader: &mut ManifestReader<'_>, name: &Sp<String>, node: &Node) -> Option<Artifact> {
        listing(reader, name, node)
    }

    fn collect(&self, snapshot: &Snapshot, stage: &mut dyn Stage) -> io::Result<()> {
        for (name, source) in trees(snapshot) {
            stage.check_interrupted()?;
            let relative = format!("{}/{name}.jsonl", DECLARED.folder);
            let listed = stage.list_tree(name, &source, &relative)?;
            let (TreeSource::Live(root) | TreeSource::Listing(root)) = &source;
            let entry = Entry {
                key: Key::Name(name.to_owned()),
                value: Value::Listing(relative),
            };
            stage.record(DECLARED.key, entry);
            stage.collected_from(Key::Name(format!("tree {name}")), origin(root));
            let unreadable = match listed.unreadable.len() {
                0 => String::new(),
                count => format!(", {count} unreadable"),
            };
            stage.closing_phrase(format!(
                "tree {name} ({}, {}; listing {}{unreadable})",
                plural(listed.files, "file", "files"),
                Bytes(listed.bytes),
                Bytes(listed.listing_bytes),
            ));
            for line in listed.unreadable {
                stage.warn(line);
            }
        }
        if DECLARED.all(snapshot).next().is_some() {
            let hashes = if stage.hashing() { "sha256" } else { "none" };
            stage.collected_from(Key::Fixed("tree hashes"), hashes.to_owned());
        }
        Ok(())
    }
}

/// `{listing: PATH}`, a listing inside the snapshot. A live directory (`{path: DIR}`) is
/// refused: a snapshot that named one could walk any directory of the machine that checks
/// it and name what it finds there.
fn listing(reader: &mut ManifestReader<'_>, name: &Sp<String>, node: &Node) -> Option<Artifact> {
    let yaml::Value::Map(entries) = &node.value else {
        reader.push(Problem::new(
            reader.file(),
            node.span.clone(),
            format!("tree `{}` must be `{{listing: FILE}}`", name.value),
            format!("found {}", node.value.type_name()),
        ));
        return None;
    };
    let live = entries
        .iter()
        .find(|(key, _)| matches!(&key.value, yaml::Value::Str(k) if k == "path"));
    if let Some((key, _)) = live {
        reader.push(
            Problem::new(
                reader.file(),
                key.span.clone(),
                format!(
                    "tree `{}` names a live directory; a snapshot only holds listings",
                    name.value
                ),
                "refused",
            )
            .with_help(format!(
                "check a live directory with --tree {}=DIR, or collect it into a snapshot with `sitelint collect`",
                name.value
            )),
        );
        return None;
    }
    let mut f = reader.fields(entries, name.span.clone());
    let listing = f.string("listing", "The tree's listing: one JSON line per file.");
    reader.extend(f.finish(&format!("tree `{}`", name.value)));
    match listing {
        Some(listing) => reader.resolve_inside(&listing),
        None => {
            reader.push(Problem::new(
                reader.file(),
                name.span.clone(),
                format!("tree `{}` has no `listing`", name.value),
                "this tree",
            ));
            None
        }
    }
}
