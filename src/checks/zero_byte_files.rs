//! `zero-byte-files`: one finding per empty file in a tree.
//!
//! - **What it checks**: that no file selected by `include` (default `**`) and not by
//!   `exclude` is 0 bytes long.
//! - **Why**: a redistributable that failed to download is left as a 0-byte file under
//!   `<pack>\<GUID>\Redist\`, and importing it breaks the upgrade.
//! - **Example rule**: `tree: updatepack`, `include: ['**/Redist/**']`.
//! - **Options**: `include`, `exclude` (globs). Built-in values: `{path}`, `{tree}`.

use super::{Check, Context, Emission, Input, SourceRef, TreeFilter};
use crate::finding::{MAX_FINDINGS_PER_RULE, Outcome};

#[derive(Debug)]
struct ZeroByteFiles {
    filter: TreeFilter,
}

pub(super) fn compile(f: &mut Context<'_, '_>) -> Option<Box<dyn Check>> {
    Some(Box::new(ZeroByteFiles {
        filter: TreeFilter::read(f, false)?,
    }))
}

impl Check for ZeroByteFiles {
    fn source(&self) -> SourceRef<'_> {
        SourceRef::Tree(&self.filter.tree)
    }

    fn placeholders(&self) -> Vec<String> {
        vec!["path".to_owned(), "tree".to_owned()]
    }

    fn describe(&self) -> String {
        format!("Fails for each empty (0-byte) file among the {}.", self.filter.files())
    }

    fn evaluate(&self, input: &Input<'_>, out: &mut Vec<Emission>) -> u64 {
        let Input::Tree(tree) = input else { return 0 };
        let mut omitted = 0;
        for file in tree
            .files
            .iter()
            .filter(|f| f.size == 0 && self.filter.matches(&f.path))
        {
            if out.len() >= MAX_FINDINGS_PER_RULE {
                omitted += 1;
                continue;
            }
            out.push(Emission {
                outcome: Outcome::Fail,
                subject: format!("{}: {}", tree.name, file.path),
                message: format!("{} is empty (0 bytes)", file.path),
                values: vec![
                    ("path".to_owned(), file.path.clone()),
                    ("tree".to_owned(), tree.name.clone()),
                ],
                location: tree.location_of(file),
                excerpt: None,
            });
        }
        omitted
    }
}
