//! The hierarchy's sites (`--sites FILE`, `sites:`): `Get-CMSite | ConvertTo-Json`, decoded as
//! the console export is (UTF-16LE with a BOM from PowerShell 5.1, UTF-8 from 7).

use super::shape::{File, Shape};
use super::{ConfigKey, ConfigTakes, Declared, Flag, Loaded, NotLoaded, Reading, Source, Takes, WHOLE};
use crate::checks::{Input, SourceRef};
use crate::readers::sites::{self, SitesExport};
use crate::rules::Rule;
use crate::snapshot::Snapshot;

pub(super) struct Sites;

static DECLARED: Declared = Declared {
    key: "sites",
    noun: "sites export",
    flags: &[Flag {
        long: "sites",
        value_name: "FILE",
        help: "A `Get-CMSite | ConvertTo-Json` export of the hierarchy's sites",
        takes: Takes::Path,
        repeated: false,
    }],
    config: &[ConfigKey {
        key: "sites",
        doc: "A `Get-CMSite | ConvertTo-Json` export.",
        takes: ConfigTakes::Path(None),
    }],
    manifest_doc: "`export`: the hierarchy's sites, `Get-CMSite | ConvertTo-Json`.",
    folder: "sites",
    shape: Shape::One {
        files: &[File {
            key: "export",
            doc: "The `Get-CMSite | ConvertTo-Json` export.",
            name: "sites.json",
            noun: "sites export",
        }],
        collected_as: "sites export",
    },
    size_limit: WHOLE,
    wants: Some("the file of Get-CMSite | ConvertTo-Json > sites.json"),
};

impl Loaded for SitesExport {
    fn input(&self, _: usize) -> Input<'_> {
        Input::Sites(self)
    }
}

impl Source for Sites {
    fn declared(&self) -> &'static Declared {
        &DECLARED
    }

    fn instance<'r>(&self, source: &SourceRef<'r>) -> Option<&'r str> {
        matches!(source, SourceRef::Sites).then_some("")
    }

    fn load(&self, _: &[&Rule], snapshot: &Snapshot, reading: &mut Reading<'_>) -> Result<Box<dyn Loaded>, NotLoaded> {
        let artifact = DECLARED
            .given(snapshot)
            .ok_or_else(|| DECLARED.absent(snapshot, DECLARED.noun))?;
        let (text, location) = reading.text(artifact, snapshot)?;
        match sites::parse(&text) {
            Ok(sites) => Ok(Box::new(SitesExport { location, sites })),
            Err(e) => Err(reading.unreadable(artifact, &e.to_string())),
        }
    }
}
