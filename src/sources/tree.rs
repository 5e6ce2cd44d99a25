//! Directory trees by name (`--tree NAME=DIR`, `--updatepack DIR`, `trees:`): walked live, or
//! the listing `collect` wrote.

use super::{FromManifest, Layout, Loaded, NotLoaded, Part, Reading, Setting, Source, from_manifest, wrong};
use crate::checks::{Input, SourceRef};
use crate::document::diag::{Problem, SetupError};
use crate::document::fields::{Fields, Sp};
use crate::document::yaml::{Node, Value};
use crate::finding::SourceError;
use crate::rules::Rule;
use crate::snapshot::live::LiveSources;
use crate::snapshot::manifest::ManifestReader;
use crate::snapshot::tree::{self, Tree, TreeFile};
use crate::snapshot::{Artifact, Snapshot, TreeSource};

pub(super) struct Trees;

impl Loaded for Tree {
    fn input(&self, _: usize) -> Input<'_> {
        Input::Tree(self)
    }
}

impl Source for Trees {
    fn instance(&self, source: &SourceRef<'_>) -> Option<String> {
        match source {
            SourceRef::Tree(name) => Some(name.to_ascii_lowercase()),
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
        let source = snapshot
            .tree(name)
            .ok_or_else(|| NotLoaded::Absent(snapshot.absence(&format!("tree `{name}`"), "--tree or --updatepack")))?;
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
        let flag = if name == "updatepack" {
            "--updatepack".to_owned()
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
                setting: Setting::named(&format!("sources.trees.{name}")),
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
                    snapshot.trees.push((name.value, tree));
                }
            }
        })
    }

    /// `trees/NAME.jsonl`, the listing of each.
    fn collect_layout(&self) -> Layout {
        Layout {
            folder: "trees",
            holds: |name| !name.contains('/') && name.ends_with(".jsonl"),
        }
    }
}

/// `{listing: PATH}`, a listing inside the snapshot. A live directory (`{path: DIR}`) is
/// refused: a snapshot that named one could walk any directory of the machine that checks
/// it and name what it finds there.
fn listing(reader: &mut ManifestReader<'_>, name: &Sp<String>, node: &Node) -> Option<TreeSource> {
    let Value::Map(entries) = &node.value else {
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
        .find(|(key, _)| matches!(&key.value, Value::Str(k) if k == "path"));
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
