//! `manifest-hashes`: one finding per file a manifest of the pack lists that is not there
//! with the size and SHA-256 listed.
//!
//! - **What it checks**: for every file of the tree selected by `manifest` (default the
//!   redist manifests `ConfigMgr.Manifest.cab` and `ConfigMgr.LN.Manifest.cab` and
//!   `update.map`, at any depth), that each file it lists is present beside it (paths
//!   relative to the manifest's folder, compared without case) with the listed size (where
//!   the manifest gives one) and SHA-256. An `update.map` entry that is a 0-byte placeholder
//!   is looked for in the payload's `redist` folder, as CMUpdate does. A manifest whose format
//!   cannot be read is not evaluated (`cannot-verify`, with its reason): never a verdict on
//!   the pack; nor is a tree without any manifest (nothing was verified). On a snapshot, the
//!   manifests are those `collect` read, and the hashes those `collect --hash` recorded
//!   (without `--hash`, missing files and sizes are still told, the hashes not evaluated).
//! - **Why**: ConfigMgr verifies each redistributable's SHA-256 against the redist manifest
//!   (`INFO: Verifying hash for file '...\Redist\SQLSysClrTypes.msi'`) and each payload file
//!   against `update.map` (`WARNING: File hash mismatch for ...`) on the site server; a
//!   download cut short or replaced by a proxy's page is found here first.
//! - **Example rule**: `tree: updatepack`, `manifest: ['**/Redist/ConfigMgr.Manifest.cab']`.
//! - **Options**: `manifest` (globs). Built-in values: `{path}` (the file listed, in the
//!   tree), `{manifest}`, `{tree}`, `{cause}` (`missing`, `size-changed`, `hash-mismatch`;
//!   `cannot-verify`, not evaluated), `{detail}`.

use std::collections::HashMap;
use std::path::Path;

use super::{Check, Context, Emission, Emissions, Input, Mismatch, SourceRef, values};
use crate::document::fields::Sp;
use crate::finding::Outcome;
use crate::pack_manifest::{self, Listed, Manifest};
use crate::readers::tree::{Tree, TreeFile};

const VALUES: [&str; 5] = ["path", "manifest", "tree", "cause", "detail"];
const DEFAULT_MANIFESTS: [&str; 3] = [
    "**/ConfigMgr.Manifest.cab",
    "**/ConfigMgr.LN.Manifest.cab",
    "**/update.map",
];

#[derive(Debug)]
struct ManifestHashes {
    tree: String,
    manifests: Vec<String>,
    manifest_set: globset::GlobSet,
}

pub(super) fn compile(f: &mut Context<'_, '_>) -> Option<Box<dyn Check>> {
    let tree = f.required_string(
        "tree",
        "The directory tree to read, by its name in the snapshot, e.g. `tree: updatepack`.",
    );
    let manifests = f
        .strings(
            "manifest",
            "Globs of the manifest files, relative to the tree root (default: `**/ConfigMgr.Manifest.cab`, `**/ConfigMgr.LN.Manifest.cab`, `**/update.map`).",
        )
        .unwrap_or_else(|| {
            DEFAULT_MANIFESTS
                .map(|g| Sp {
                    value: g.to_owned(),
                    span: 0..0,
                })
                .to_vec()
        });
    let tree = f.with_params(&tree?)?;
    let manifest_set = f.globs(&manifests)?;
    Some(Box::new(ManifestHashes {
        tree,
        manifests: manifests.into_iter().map(|g| g.value).collect(),
        manifest_set,
    }))
}

/// Why a listed file fails, or why it cannot be told.
enum Verdict {
    Fail(&'static str, String),
    CannotVerify(String),
}

impl Check for ManifestHashes {
    fn source(&self) -> SourceRef<'_> {
        SourceRef::Tree(&self.tree)
    }

    fn placeholders(&self) -> Vec<String> {
        VALUES.map(str::to_owned).to_vec()
    }

    fn describe(&self) -> String {
        format!(
            "Fails for each file that a manifest of tree `{}` ({}) lists and that is missing or has another size or SHA-256.",
            self.tree,
            self.manifests.join(", ")
        )
    }

    fn needs_file(&self, _: &TreeFile) -> bool {
        // The files a manifest lists are known only once it is read.
        true
    }

    fn evaluate(&self, input: &Input<'_>, out: &mut Emissions) -> Result<(), Mismatch> {
        let Input::Tree(tree) = input else {
            return Err(Mismatch::new("a tree", input));
        };
        let by_path: HashMap<String, &TreeFile> = tree.files.iter().map(|f| (f.path.to_lowercase(), f)).collect();
        let manifests: Vec<&TreeFile> = tree
            .files
            .iter()
            .filter(|f| self.manifest_set.is_match(&f.path))
            .collect();
        // No manifest: nothing was verified, which is not a pass. A listing that records no
        // manifest at all was not collected by a sitelint that reads them (or was written by
        // hand): one finding for the tree, not one per manifest.
        let unverified = if manifests.is_empty() {
            Some(format!(
                "no file of tree `{}` matches {}: no manifest to verify its files against",
                tree.name,
                self.manifests.join(", ")
            ))
        } else if tree.root.is_none() && manifests.iter().all(|f| f.manifest.is_none()) {
            Some(format!(
                "the listing of tree `{}` records no manifest: collect the snapshot again with this sitelint, or check the folder itself",
                tree.name
            ))
        } else {
            None
        };
        if let Some(why) = unverified {
            out.push(Emission {
                outcome: Outcome::NotEvaluated,
                subject: format!("{}: manifests", tree.name),
                message: why.clone(),
                values: values(
                    &VALUES,
                    [
                        String::new(),
                        String::new(),
                        tree.name.clone(),
                        "cannot-verify".to_owned(),
                        why,
                    ],
                ),
                location: tree.location.clone(),
                excerpt: None,
            });
            return Ok(());
        }
        let read: Vec<Option<Manifest>> = crate::parallel::map_in_order(&manifests, |file| match &tree.root {
            Some(root) => Some(pack_manifest::read_file(&root.join(&file.path))),
            None => file.manifest.as_deref().cloned(),
        });
        for (manifest_file, manifest) in manifests.into_iter().zip(read) {
            let emit = |out: &mut Emissions,
                        outcome,
                        path: &str,
                        cause: &str,
                        detail: String,
                        message: String,
                        at: &TreeFile| {
                out.push(Emission {
                    outcome,
                    subject: format!(
                        "{}: {}",
                        tree.name,
                        if path.is_empty() { &manifest_file.path } else { path }
                    ),
                    message,
                    values: values(
                        &VALUES,
                        [
                            path.to_owned(),
                            manifest_file.path.clone(),
                            tree.name.clone(),
                            cause.to_owned(),
                            detail,
                        ],
                    ),
                    location: tree.location_of(at),
                    excerpt: None,
                });
            };
            let listing = match manifest {
                Some(Manifest::Listed(listing)) => listing,
                unread => {
                    // Nothing it lists is judged: one not-evaluated finding for the manifest.
                    let (why, message) = match unread {
                        Some(Manifest::Unreadable(why)) => {
                            let message = format!("{}: cannot verify the files it lists: {why}", manifest_file.path);
                            (why, message)
                        }
                        _ => {
                            let why = "the listing records no manifest: collect the snapshot again with this sitelint, or check the folder itself".to_owned();
                            let message = format!("{}: {why}", manifest_file.path);
                            (why, message)
                        }
                    };
                    emit(
                        out,
                        Outcome::NotEvaluated,
                        "",
                        "cannot-verify",
                        why,
                        message,
                        manifest_file,
                    );
                    continue;
                }
            };
            if listing.unusable > 0 {
                let why = format!(
                    "{} of its entries name no file or give no SHA-256 sitelint can read: those are not verified",
                    listing.unusable
                );
                let message = format!("{}: {why}", manifest_file.path);
                emit(
                    out,
                    Outcome::NotEvaluated,
                    "",
                    "cannot-verify",
                    why,
                    message,
                    manifest_file,
                );
            }
            let folder = manifest_file.path.rsplit_once('/').map_or("", |(folder, _)| folder);
            let found: Vec<(&Listed, Option<&TreeFile>)> = listing
                .files
                .iter()
                .map(|listed| (listed, locate(&by_path, folder, listed)))
                .collect();
            // A snapshot collected without `--hash` has no digest to compare: said once, and
            // what can be told without one (missing files, sizes) is still told.
            let no_hashes = tree.root.is_none()
                && found.iter().any(|(_, f)| f.is_some())
                && found.iter().all(|(_, f)| f.is_none_or(|f| f.sha256.is_none()));
            if no_hashes {
                let why = "the snapshot records no SHA-256 of the files it lists: collect it with `--hash`".to_owned();
                let message = format!("{}: {why}", manifest_file.path);
                emit(
                    out,
                    Outcome::NotEvaluated,
                    "",
                    "cannot-verify",
                    why,
                    message,
                    manifest_file,
                );
            }
            let verdicts = crate::parallel::map_in_order(&found, |(listed, file)| {
                file.map(|file| judge(tree, listed, file, no_hashes))
            });
            for ((listed, file), verdict) in found.iter().zip(verdicts) {
                let shown = join(folder, &listed.path);
                match (file, verdict) {
                    (None, _) => {
                        let detail = format!("not in the tree, though {} lists it", manifest_file.path);
                        let message = format!("{shown}: {detail}");
                        emit(out, Outcome::Fail, &shown, "missing", detail, message, manifest_file);
                    }
                    (Some(file), Some(Some(Verdict::Fail(cause, detail)))) => {
                        let message = format!("{}: {detail}", file.path);
                        emit(out, Outcome::Fail, &file.path, cause, detail, message, file);
                    }
                    (Some(file), Some(Some(Verdict::CannotVerify(why)))) => {
                        let message = format!("{}: cannot verify: {why}", file.path);
                        emit(
                            out,
                            Outcome::NotEvaluated,
                            &file.path,
                            "cannot-verify",
                            why,
                            message,
                            file,
                        );
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

/// `folder/path` with `..` taken back, or `None` for one that leaves the tree.
fn resolve(folder: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = folder.split('/').filter(|p| !p.is_empty()).collect();
    for part in path.split('/') {
        if part == ".." {
            parts.pop()?;
        } else {
            parts.push(part);
        }
    }
    Some(parts.join("/"))
}

fn join(folder: &str, path: &str) -> String {
    resolve(folder, path).unwrap_or_else(|| path.to_owned())
}

/// The tree's file a manifest entry names: at its path, else (for a 0-byte placeholder or
/// none at all) at its fallback.
fn locate<'t>(by_path: &HashMap<String, &'t TreeFile>, folder: &str, listed: &Listed) -> Option<&'t TreeFile> {
    let find = |path: &str| resolve(folder, path).and_then(|p| by_path.get(&p.to_lowercase()).copied());
    let primary = find(&listed.path);
    match (&listed.fallback, primary) {
        (Some(fallback), None) => find(fallback),
        (Some(fallback), Some(file)) if file.size == 0 && listed.size != Some(0) => find(fallback).or(Some(file)),
        (_, primary) => primary,
    }
}

/// A present file against its entry: `None` when it matches, or when its hash is unknown and
/// `no_hashes` said so for the whole manifest.
fn judge(tree: &Tree, listed: &Listed, file: &TreeFile, no_hashes: bool) -> Option<Verdict> {
    if let Some(size) = listed.size.filter(|&s| s != file.size) {
        return Some(Verdict::Fail(
            "size-changed",
            format!("{} bytes, but the manifest lists {size} bytes", file.size),
        ));
    }
    let actual = match &tree.root {
        Some(root) => match sha256_file(&root.join(&file.path)) {
            Ok(digest) => digest,
            Err(e) => return Some(Verdict::CannotVerify(format!("cannot read it: {e}"))),
        },
        None => match &file.sha256 {
            Some(digest) => digest.clone(),
            None if no_hashes => return None,
            None => {
                return Some(Verdict::CannotVerify(
                    "the snapshot records no SHA-256 of it: collect it with `--hash`".to_owned(),
                ));
            }
        },
    };
    (actual != listed.sha256).then(|| {
        let empty = if file.size == 0 { " (it is empty)" } else { "" };
        Verdict::Fail(
            "hash-mismatch",
            format!(
                "its SHA-256 is {}{empty}, but the manifest lists {}",
                actual.to_ascii_uppercase(),
                listed.sha256.to_ascii_uppercase()
            ),
        )
    })
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let (mut file, _) = crate::files::open_regular(path)?;
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    crate::authenticode::stream(&mut file, &mut vec![0u8; 256 << 10], &mut |bytes| {
        context.update(bytes);
        Ok(())
    })?;
    Ok(crate::document::text::hex(context.finish().as_ref()))
}
