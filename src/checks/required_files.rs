//! `required-files`: one finding when fewer than `min-count` files match `include`.
//!
//! - **What it checks**: that a tree holds files that must be there (the update manifest).
//! - **Why**: a download that stopped early leaves no error in the tree, only a gap.
//! - **Example rule**: `tree: updatepack`, `include: ['**/ConfigMgr.Update.Manifest.*']`.
//! - **Options**: `include` (required), `exclude`, `min-count` (default 1). Built-in values:
//!   `{tree}`, `{count}`, `{min_count}`.

use super::{Check, Context, Emission, Emissions, Input, Mismatch, SourceRef, TreeFilter, values};
use crate::document::text::plural;
use crate::finding::Outcome;
use crate::readers::tree::TreeFile;

const VALUES: [&str; 3] = ["tree", "count", "min_count"];

#[derive(Debug)]
struct RequiredFiles {
    filter: TreeFilter,
    min_count: u64,
}

pub(super) fn compile(f: &mut Context<'_, '_>) -> Option<Box<dyn Check>> {
    let min_count = f
        .count("min-count", "The fewest matching files that pass (default 1).")
        .map_or(1, |c| c.value);
    Some(Box::new(RequiredFiles {
        filter: TreeFilter::read(f, true)?,
        min_count,
    }))
}

impl Check for RequiredFiles {
    fn source(&self) -> SourceRef<'_> {
        SourceRef::Tree(&self.filter.tree)
    }

    fn placeholders(&self) -> Vec<String> {
        VALUES.map(str::to_owned).to_vec()
    }

    fn describe(&self) -> String {
        match self.min_count {
            1 => format!("Fails when there are no {}.", self.filter.files()),
            n => format!("Fails when there are fewer than {n} {}.", self.filter.files()),
        }
    }

    /// The files it counts: a rule's `include` names the few files a tree must hold.
    fn needs_file(&self, file: &TreeFile) -> bool {
        self.filter.matches(&file.path)
    }

    fn evaluate(&self, input: &Input<'_>, out: &mut Emissions) -> Result<(), Mismatch> {
        let Input::Tree(tree) = input else {
            return Err(Mismatch::new("a tree", input));
        };
        let count = tree.files.iter().filter(|f| self.filter.matches(&f.path)).count() as u64;
        if count >= self.min_count {
            return Ok(());
        }
        let globs = self.filter.include.join(", ");

        out.push(Emission {
            outcome: Outcome::Fail,
            subject: format!("{}: {globs}", tree.name),
            message: format!(
                "expected at least {} matching {globs} in tree `{}`, found {count}",
                plural(self.min_count, "file", "files"),
                tree.name
            ),
            values: values(
                &VALUES,
                [tree.name.clone(), count.to_string(), self.min_count.to_string()],
            ),
            location: tree.location.clone(),
            excerpt: None,
        });
        Ok(())
    }
}
