//! Directory trees by name (`--tree NAME=DIR`, `--updatepack DIR`, `trees:`): walked live, or
//! the listing `collect` wrote.

use std::io;
use std::path::Path;

use super::stage::{Entry, Key, Stage, Value, origin};
use super::{
    Flag, FromManifest, Given, Layout, Loaded, Named, NotLoaded, Part, Reading, Setting, SizeLimit, Source, Takes,
    flag_hint, from_manifest, merge_named, set_from_config, set_from_manifest, wrong,
};
use crate::checks::{Input, SourceRef};
use crate::document::diag::{Problem, SetupError};
use crate::document::fields::{Fields, Sp};
use crate::document::text::plural;
use crate::document::yaml::{self, Node};
use crate::files::Bytes;
use crate::finding::SourceError;
use crate::readers::tree::{self, Tree, TreeFile};
use crate::rules::Rule;
use crate::snapshot::live::LiveSources;
use crate::snapshot::manifest_file::ManifestReader;
use crate::snapshot::{Artifact, Snapshot, TreeSource};

pub(super) struct Trees;

/// The tree the Service Connection Tool downloads, which has a flag and a key of its own.
const UPDATEPACK: &str = "updatepack";

static FLAGS: &[Flag] = &[
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
];

/// The key a tree is named under in `sources:`, and its origin's.
fn key(name: &str) -> String {
    format!("sources.trees.{name}")
}

impl Loaded for Tree {
    fn input(&self, _: usize) -> Input<'_> {
        Input::Tree(self)
    }
}

impl Source for Trees {
    fn instance<'r>(&self, source: &SourceRef<'r>) -> Option<&'r str> {
        match source {
            SourceRef::Tree(name) => Some(*name),
            _ => None,
        }
    }

    fn instances_by_name<'s>(&self, snapshot: &'s Snapshot) -> Option<(&'static str, Vec<&'s str>)> {
        Some(("tree", snapshot.trees.names().collect()))
    }

    fn flags(&self) -> &'static [Flag] {
        FLAGS
    }

    fn take(&self, given: Given, live: &mut LiveSources) {
        if let Some(name) = given.name {
            live.trees.set(name, given.path);
        }
    }

    fn read_config(&self, keys: &mut Fields<'_, '_>, base: &Path, live: &mut LiveSources) {
        if let Some(dir) = keys.string(
            UPDATEPACK,
            "The Service Connection Tool's -updatepackdest folder (the tree `updatepack`).",
        ) {
            let name = Sp {
                value: UPDATEPACK.to_owned(),
                span: dir.span,
            };
            set_from_config(keys, &mut live.trees, "tree", name, base.join(&dir.value));
        }
        for (name, dir) in keys.scalar_map("trees", "Other directory trees, by name.") {
            set_from_config(keys, &mut live.trees, "tree", name, base.join(dir));
        }
    }

    fn merge(&self, given: &LiveSources, merged: &mut LiveSources) -> Vec<Named> {
        merge_named(&given.trees, &mut merged.trees, key)
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
        let source = snapshot
            .tree(name)
            .ok_or_else(|| NotLoaded::Absent(snapshot.absence(&format!("tree `{name}`"), &flag_hint(FLAGS))))?;
        // Only the files a rule can report on or count are kept: memory grows with the
        // findings, not with the tree.
        let needed = |file: &TreeFile| group.iter().any(|rule| rule.check.needs_file(file));
        let tree = tree::load_keeping(name, source, &needed).map_err(|e| {
            let message = e.to_string();
            let (TreeSource::Live(artifact) | TreeSource::Listing(artifact)) = source;
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

    fn live(&self, live: &LiveSources, snapshot: &mut Snapshot) {
        snapshot.trees = live
            .trees
            .iter()
            .map(|(name, dir)| (name.clone(), TreeSource::Live(Artifact::given(dir))))
            .collect();
    }

    fn wrong_type(&self, live: &LiveSources) -> Option<SetupError> {
        let (name, dir) = live.trees.iter().find(|(_, dir)| dir.exists() && !dir.is_dir())?;
        let flag = if name == UPDATEPACK {
            format!("--{UPDATEPACK}")
        } else {
            format!("--tree {name}=")
        };
        wrong(
            &flag,
            dir,
            "is a file, not a directory",
            "a directory, e.g. the folder ServiceConnectionTool.exe -download wrote (D:\\USB\\UpdatePacks)",
        )
    }

    fn parts<'s>(&self, snapshot: &'s Snapshot) -> Vec<Part<'s>> {
        let part = |(name, tree): &'s (String, TreeSource)| match tree {
            TreeSource::Live(dir) => Part {
                artifact: dir,
                directory: true,
                label: format!("tree {name}: directory"),
                what: format!("the tree {name}"),
                setting: Setting::named(&key(name)),
            },
            TreeSource::Listing(listing) => Part::file(
                listing,
                &format!("tree {name}: listing"),
                &format!("the listing of tree {name}"),
                None,
            ),
        };
        snapshot.trees.iter().map(part).collect()
    }

    fn is_directory(&self) -> bool {
        true
    }

    fn read_manifest<'n>(&self, fields: &mut Fields<'n, '_>) -> FromManifest<'n> {
        let trees = fields
            .map("trees", "Directory trees by name, each `{listing: FILE}`.")
            .unwrap_or_default();
        from_manifest(move |reader, snapshot| {
            for (key, value) in trees {
                let Some(name) = reader.name(key) else { continue };
                if let Some(tree) = listing(reader, &name, value) {
                    set_from_manifest(reader, &mut snapshot.trees, "tree", name, tree);
                }
            }
        })
    }

    /// A live tree is walked, keeping only the files its rules report on; a listing is read a
    /// line at a time.
    fn size_limit(&self) -> SizeLimit {
        SizeLimit::Streamed {
            entry: "a line of a listing (trees/NAME.jsonl of a snapshot)",
            bytes: tree::MAX_LISTING_LINE,
            over: "refused with its line",
        }
    }

    /// `trees/NAME.jsonl`, the listing of each.
    fn collect_layout(&self) -> Layout {
        Layout {
            section: "trees",
            folder: "trees",
            holds: |name| !name.contains('/') && name.ends_with(".jsonl"),
        }
    }

    fn collect(&self, snapshot: &Snapshot, stage: &mut dyn Stage) -> io::Result<()> {
        for (name, source) in &snapshot.trees {
            stage.check_interrupted()?;
            let relative = format!("trees/{name}.jsonl");
            let listed = stage.list_tree(name, source, &relative)?;
            let (TreeSource::Live(root) | TreeSource::Listing(root)) = source;
            let entry = Entry {
                key: Key::Name(name.clone()),
                value: Value::Listing(relative),
            };
            stage.record(self.collect_layout().section, entry);
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
        if !snapshot.trees.is_empty() {
            let hashes = if stage.hashing() { "sha256" } else { "none" };
            stage.collected_from(Key::Fixed("tree hashes"), hashes.to_owned());
        }
        Ok(())
    }
}

/// `{listing: PATH}`, a listing inside the snapshot. A live directory (`{path: DIR}`) is
/// refused: a snapshot that named one could walk any directory of the machine that checks
/// it and name what it finds there.
fn listing(reader: &mut ManifestReader<'_>, name: &Sp<String>, node: &Node) -> Option<TreeSource> {
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
        Some(listing) => reader.resolve_inside(&listing).map(TreeSource::Listing),
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
