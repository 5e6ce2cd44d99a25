//! The console's Updates and Servicing export (`--console-updates FILE`,
//! `console-updates:`): `Get-CMSiteUpdate -Fast | ConvertTo-Json`.

use super::shape::{File, Shape};
use super::{ConfigKey, ConfigTakes, Declared, Flag, Loaded, NotLoaded, Reading, Source, Takes, WHOLE};
use crate::checks::{Input, SourceRef};
use crate::readers::console::{self, ConsoleExport};
use crate::rules::Rule;
use crate::snapshot::Snapshot;

pub(super) struct Console;

static DECLARED: Declared = Declared {
    key: "console",
    noun: "console export",
    flags: &[Flag {
        long: "console-updates",
        value_name: "FILE",
        help: "A `Get-CMSiteUpdate -Fast | ConvertTo-Json` export",
        takes: Takes::Path,
        repeated: false,
    }],
    config: &[ConfigKey {
        key: "console-updates",
        doc: "A `Get-CMSiteUpdate -Fast | ConvertTo-Json` export.",
        takes: ConfigTakes::Path(None),
    }],
    manifest_doc: "`updates`: the console's Updates and Servicing export.",
    folder: "console",
    shape: Shape::One {
        files: &[File {
            key: "updates",
            doc: "The `Get-CMSiteUpdate -Fast | ConvertTo-Json` export.",
            name: "updates.json",
            noun: "console export",
        }],
        collected_as: "console export",
    },
    size_limit: WHOLE,
    wants: Some("the file of Get-CMSiteUpdate -Fast | ConvertTo-Json > updates.json"),
};

impl Loaded for ConsoleExport {
    fn input(&self, _: usize) -> Input<'_> {
        Input::Console(self)
    }
}

impl Source for Console {
    fn declared(&self) -> &'static Declared {
        &DECLARED
    }

    fn instance<'r>(&self, source: &SourceRef<'r>) -> Option<&'r str> {
        matches!(source, SourceRef::Console).then_some("")
    }

    fn load(&self, _: &[&Rule], snapshot: &Snapshot, reading: &mut Reading<'_>) -> Result<Box<dyn Loaded>, NotLoaded> {
        let artifact = DECLARED
            .given(snapshot)
            .ok_or_else(|| DECLARED.absent(snapshot, DECLARED.noun))?;
        let (text, location) = reading.text(artifact, snapshot)?;
        match console::parse(&text) {
            Ok(updates) => Ok(Box::new(ConsoleExport { location, updates })),
            Err(e) => Err(reading.unreadable(artifact, &e.to_string())),
        }
    }
}
