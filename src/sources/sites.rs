//! The hierarchy's sites (`--sites FILE`, `sites:`): `Get-CMSite | ConvertTo-Json`, decoded as
//! the console export is (UTF-16LE with a BOM from PowerShell 5.1, UTF-8 from 7).

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
use crate::readers::sites::{self, SitesExport};
use crate::rules::Rule;
use crate::snapshot::live::LiveSources;
use crate::snapshot::{Artifact, Snapshot};

pub(super) struct Sites;

/// Its key in `sources:` and in the manifest, and its flag's name.
const KEY: &str = "sites";

static FLAGS: &[Flag] = &[Flag {
    long: KEY,
    value_name: "FILE",
    help: "A `Get-CMSite | ConvertTo-Json` export of the hierarchy's sites",
    takes: Takes::Path,
    repeated: false,
}];

impl Loaded for SitesExport {
    fn input(&self, _: usize) -> Input<'_> {
        Input::Sites(self)
    }
}

impl Source for Sites {
    fn instance<'r>(&self, source: &SourceRef<'r>) -> Option<&'r str> {
        matches!(source, SourceRef::Sites).then_some("")
    }

    fn flags(&self) -> &'static [Flag] {
        FLAGS
    }

    fn take(&self, given: Given, live: &mut LiveSources) {
        live.sites = Some(given.path);
    }

    fn read_config(&self, keys: &mut Fields<'_, '_>, base: &Path, live: &mut LiveSources) {
        live.sites = read_one_path(keys, KEY, "A `Get-CMSite | ConvertTo-Json` export.", base);
    }

    fn merge(&self, given: &LiveSources, merged: &mut LiveSources) -> Vec<Named> {
        merge_one_path(given.sites.as_ref(), &mut merged.sites, KEY)
    }

    fn load(&self, _: &[&Rule], snapshot: &Snapshot, reading: &mut Reading<'_>) -> Result<Box<dyn Loaded>, NotLoaded> {
        let Some(artifact) = &snapshot.sites else {
            return Err(NotLoaded::Absent(snapshot.absence("sites export", &flag_hint(FLAGS))));
        };
        let (text, location) = reading.text(artifact, snapshot)?;
        match sites::parse(&text) {
            Ok(sites) => Ok(Box::new(SitesExport { location, sites })),
            Err(e) => Err(reading.unreadable(artifact, &e.to_string())),
        }
    }

    fn live(&self, live: &LiveSources, snapshot: &mut Snapshot) {
        snapshot.sites = live.sites.as_deref().map(Artifact::given);
    }

    fn parts<'s>(&self, snapshot: &'s Snapshot) -> Vec<Part<'s>> {
        let part = |export| {
            Part::file(
                export,
                "sites export:",
                "the sites export",
                Setting::named(&format!("sources.{KEY}")),
            )
        };
        snapshot.sites.iter().map(part).collect()
    }

    fn wrong_type(&self, live: &LiveSources) -> Option<SetupError> {
        let path = live.sites.as_ref().filter(|path| path.is_dir())?;
        wrong(
            &FLAGS[0].arg(),
            path,
            "is a directory, not a file",
            "the file of Get-CMSite | ConvertTo-Json > sites.json",
        )
    }

    fn read_manifest<'n>(&self, fields: &mut Fields<'n, '_>) -> FromManifest<'n> {
        let sites = fields
            .map(KEY, "`export`: the hierarchy's sites, `Get-CMSite | ConvertTo-Json`.")
            .unwrap_or_default();
        from_manifest(move |reader, snapshot| {
            let mut export = reader.paths(
                sites,
                "`sites`",
                &[("export", "The `Get-CMSite | ConvertTo-Json` export.")],
            );
            snapshot.sites = export.pop().flatten();
        })
    }

    fn size_limit(&self) -> SizeLimit {
        WHOLE
    }

    fn collect_layout(&self) -> Layout {
        Layout {
            section: KEY,
            folder: KEY,
            holds: |name| name == "sites.json",
        }
    }

    fn collect(&self, snapshot: &Snapshot, stage: &mut dyn Stage) -> io::Result<()> {
        match &snapshot.sites {
            Some(export) => copy_one(stage, export, (KEY, "export"), "sites/sites.json", "sites export"),
            None => Ok(()),
        }
    }
}
