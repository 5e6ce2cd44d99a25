//! `zero-byte-files`: one finding per empty file in a tree.
//!
//! - **What it checks**: that no file selected by `include` (default `**`) and not by
//!   `exclude` is 0 bytes long.
//! - **Why**: a redistributable that failed to download is left as a 0-byte file under
//!   `<pack>\<GUID>\Redist\`, and importing it breaks the upgrade.
//! - **Example rule**: `tree: updatepack`, `include: ['**/Redist/**']`.
//! - **Options**: `include`, `exclude` (globs). Built-in values: `{path}`, `{tree}`.

use super::{Check, Context, Emission, Emissions, Input, Mismatch, SourceRef, TreeFilter, values};
use crate::finding::Outcome;
use crate::readers::tree::TreeFile;

const VALUES: [&str; 2] = ["path", "tree"];

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
        VALUES.map(str::to_owned).to_vec()
    }

    fn describe(&self) -> String {
        format!("Fails for each empty (0-byte) file among the {}.", self.filter.files())
    }

    fn needs_file(&self, file: &TreeFile) -> bool {
        file.size == 0 && self.filter.matches(&file.path)
    }

    fn evaluate(&self, input: &Input<'_>, out: &mut Emissions) -> Result<(), Mismatch> {
        let Input::Tree(tree) = input else {
            return Err(Mismatch::new("a tree", input));
        };
        for file in tree
            .files
            .iter()
            .filter(|f| f.size == 0 && self.filter.matches(&f.path))
        {
            out.push(Emission {
                outcome: Outcome::Fail,
                subject: format!("{}: {}", tree.name, file.path),
                message: format!("{} is empty (0 bytes)", file.path),
                values: values(&VALUES, [file.path.clone(), tree.name.clone()]),
                location: tree.location_of(file),
                excerpt: None,
            });
        }
        Ok(())
    }
}
