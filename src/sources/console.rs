//! The console's Updates and Servicing export (`--console-updates FILE`,
//! `console-updates:`): `Get-CMSiteUpdate -Fast | ConvertTo-Json`.

use std::io;
use std::path::Path;

use super::stage::{Stage, copy_one};
use super::{
    Flag, FromManifest, Given, Layout, Loaded, Named, NotLoaded, Part, Reading, Setting, SizeLimit, Source, Takes,
    WHOLE, flag_hint, from_manifest, merge_one_path, read_one_path, wrong,
};
use crate::checks::{Input, SourceRef};
use crate::document::diag::SetupError;
use crate::document::fields::Fields;
use crate::readers::console::{self, ConsoleExport};
use crate::rules::Rule;
use crate::snapshot::live::LiveSources;
use crate::snapshot::{Artifact, Snapshot};

pub(super) struct Console;

/// Its key in `sources:`, and its flag's name.
const KEY: &str = "console-updates";

static FLAGS: &[Flag] = &[Flag {
    long: KEY,
    value_name: "FILE",
    help: "A `Get-CMSiteUpdate -Fast | ConvertTo-Json` export",
    takes: Takes::Path,
    repeated: false,
}];

impl Loaded for ConsoleExport {
    fn input(&self, _: usize) -> Input<'_> {
        Input::Console(self)
    }
}

impl Source for Console {
    fn instance<'r>(&self, source: &SourceRef<'r>) -> Option<&'r str> {
        matches!(source, SourceRef::Console).then_some("")
    }

    fn flags(&self) -> &'static [Flag] {
        FLAGS
    }

    fn take(&self, given: Given, live: &mut LiveSources) {
        live.console = Some(given.path);
    }

    fn read_config(&self, keys: &mut Fields<'_, '_>, base: &Path, live: &mut LiveSources) {
        live.console = read_one_path(keys, KEY, "A `Get-CMSiteUpdate -Fast | ConvertTo-Json` export.", base);
    }

    fn merge(&self, given: &LiveSources, merged: &mut LiveSources) -> Vec<Named> {
        merge_one_path(given.console.as_ref(), &mut merged.console, KEY)
    }

    fn load(&self, _: &[&Rule], snapshot: &Snapshot, reading: &mut Reading<'_>) -> Result<Box<dyn Loaded>, NotLoaded> {
        let Some(artifact) = &snapshot.console else {
            return Err(NotLoaded::Absent(snapshot.absence("console export", &flag_hint(FLAGS))));
        };
        let (text, location) = reading.text(artifact, snapshot)?;
        match console::parse(&text) {
            Ok(updates) => Ok(Box::new(ConsoleExport { location, updates })),
            Err(e) => Err(reading.unreadable(artifact, &e.to_string())),
        }
    }

    fn live(&self, live: &LiveSources, snapshot: &mut Snapshot) {
        snapshot.console = live.console.as_deref().map(Artifact::given);
    }

    fn parts<'s>(&self, snapshot: &'s Snapshot) -> Vec<Part<'s>> {
        let part = |export| {
            Part::file(
                export,
                "console export:",
                "the console export",
                Setting::named(&format!("sources.{KEY}")),
            )
        };
        snapshot.console.iter().map(part).collect()
    }

    fn wrong_type(&self, live: &LiveSources) -> Option<SetupError> {
        let path = live.console.as_ref().filter(|path| path.is_dir())?;
        wrong(
            &FLAGS[0].arg(),
            path,
            "is a directory, not a file",
            "the file of Get-CMSiteUpdate -Fast | ConvertTo-Json > updates.json",
        )
    }

    fn read_manifest<'n>(&self, fields: &mut Fields<'n, '_>) -> FromManifest<'n> {
        let console = fields
            .map("console", "`updates`: the console's Updates and Servicing export.")
            .unwrap_or_default();
        from_manifest(move |reader, snapshot| {
            let mut export = reader.paths(
                console,
                "`console`",
                &[("updates", "The `Get-CMSiteUpdate -Fast | ConvertTo-Json` export.")],
            );
            snapshot.console = export.pop().flatten();
        })
    }

    fn size_limit(&self) -> SizeLimit {
        WHOLE
    }

    fn collect_layout(&self) -> Layout {
        Layout {
            section: "console",
            folder: "console",
            holds: |name| name == "updates.json",
        }
    }

    fn collect(&self, snapshot: &Snapshot, stage: &mut dyn Stage) -> io::Result<()> {
        match &snapshot.console {
            Some(export) => copy_one(
                stage,
                export,
                (self.collect_layout().section, "updates"),
                "console/updates.json",
                "console export",
            ),
            None => Ok(()),
        }
    }
}
