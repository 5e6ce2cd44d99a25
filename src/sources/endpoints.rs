//! The endpoints: the allowlist of the hosts the proxy allows (`--endpoints-allowlist FILE`,
//! `endpoints-allowlist:`), and what `collect --probe-endpoints` reached.

use std::io::{self, Read};
use std::path::Path;

use super::stage::{Stage, copy_one};
use super::{
    Flag, FromManifest, Given, Layout, Loaded, Named, NotLoaded, Part, Reading, Setting, SizeLimit, Source, Takes,
    WHOLE, flag_hint, from_manifest, merge_one_path, read_one_path, wrong,
};
use crate::checks::{Input, SourceRef};
use crate::document::diag::SetupError;
use crate::document::fields::Fields;
use crate::readers::endpoints::{self, Endpoints as EndpointData};
use crate::rules::Rule;
use crate::snapshot::live::LiveSources;
use crate::snapshot::{Artifact, Snapshot};

pub(super) struct Endpoints;

/// The allowlist's key in `sources:`, and its flag's name.
const KEY: &str = "endpoints-allowlist";

static FLAGS: &[Flag] = &[Flag {
    long: KEY,
    value_name: "FILE",
    help: "Hosts the proxy or firewall allows, one per line",
    takes: Takes::Path,
    repeated: false,
}];

/// What `--endpoints-allowlist` wants.
const WANTS: &str = "a text file of the hosts the proxy allows, one a line";

impl Loaded for EndpointData {
    fn input(&self, _: usize) -> Input<'_> {
        Input::Endpoints(self)
    }
}

impl Source for Endpoints {
    fn instance<'r>(&self, source: &SourceRef<'r>) -> Option<&'r str> {
        matches!(source, SourceRef::Endpoints(_)).then_some("")
    }

    fn flags(&self) -> &'static [Flag] {
        FLAGS
    }

    fn take(&self, given: Given, live: &mut LiveSources) {
        live.allowlist = Some(given.path);
    }

    fn read_config(&self, keys: &mut Fields<'_, '_>, base: &Path, live: &mut LiveSources) {
        live.allowlist = read_one_path(keys, KEY, "The hosts the proxy or firewall allows, one per line.", base);
    }

    fn merge(&self, given: &LiveSources, merged: &mut LiveSources) -> Vec<Named> {
        merge_one_path(given.allowlist.as_ref(), &mut merged.allowlist, KEY)
    }

    fn load(&self, _: &[&Rule], snapshot: &Snapshot, reading: &mut Reading<'_>) -> Result<Box<dyn Loaded>, NotLoaded> {
        if snapshot.allowlist.is_none() && snapshot.probes.is_none() {
            return Err(NotLoaded::Absent(
                snapshot.absence("endpoint allowlist or probe results", &flag_hint(FLAGS)),
            ));
        }
        let mut loaded = EndpointData::default();
        if let Some(artifact) = &snapshot.allowlist {
            let (text, location) = reading.text(artifact, snapshot)?;
            let (entries, bad_lines) = endpoints::parse_allowlist(&text);
            for message in bad_lines {
                reading.error(artifact, format!("{}: {message}", artifact.display));
            }
            loaded.allowlist = Some((location, entries));
        }
        if let Some(artifact) = &snapshot.probes {
            let (text, location) = reading.text(artifact, snapshot)?;
            let probes = endpoints::parse_probes(&text).map_err(|e| reading.unreadable(artifact, &e.to_string()))?;
            loaded.probes = Some((location, probes));
        }
        Ok(Box::new(loaded))
    }

    fn live(&self, live: &LiveSources, snapshot: &mut Snapshot) {
        snapshot.allowlist = live.allowlist.as_deref().map(Artifact::given);
    }

    /// The probes come from `collect --probe-endpoints`, never from `sources:`.
    fn parts<'s>(&self, snapshot: &'s Snapshot) -> Vec<Part<'s>> {
        let allowlist = snapshot.allowlist.iter().map(|allowlist| {
            Part::file(
                allowlist,
                "endpoint allowlist:",
                "the endpoint allowlist",
                Setting::named(&format!("sources.{KEY}")),
            )
        });
        let probes =
            (snapshot.probes.iter()).map(|probes| Part::file(probes, "probe results:", "the probe results", None));
        allowlist.chain(probes).collect()
    }

    /// A JSON file given as the allowlist was read as 50 bad host names.
    fn wrong_type(&self, live: &LiveSources) -> Option<SetupError> {
        let path = live.allowlist.as_ref()?;
        if path.is_dir() {
            return wrong(&FLAGS[0].arg(), path, "is a directory, not a file", WANTS);
        }
        if !looks_like_json(path) {
            return None;
        }
        wrong(
            &FLAGS[0].arg(),
            path,
            "is JSON, not a list of hosts",
            &format!("{WANTS} (# starts a comment)"),
        )
    }

    fn read_manifest<'n>(&self, fields: &mut Fields<'n, '_>) -> FromManifest<'n> {
        let endpoints = fields
            .map(
                "endpoints",
                "`allowlist` and `probes`: what the proxy allows and what probes reached.",
            )
            .unwrap_or_default();
        from_manifest(move |reader, snapshot| {
            let mut parts = reader.paths(
                endpoints,
                "`endpoints`",
                &[
                    ("allowlist", "The hosts the proxy or firewall allows, one per line."),
                    ("probes", "What `collect --probe-endpoints` reached, as JSON."),
                ],
            );
            snapshot.probes = parts.pop().flatten();
            snapshot.allowlist = parts.pop().flatten();
        })
    }

    fn size_limit(&self) -> SizeLimit {
        WHOLE
    }

    fn collect_layout(&self) -> Layout {
        Layout {
            section: "endpoints",
            folder: "network",
            holds: |name| ["allowlist.txt", "probes.json"].contains(&name),
        }
    }

    /// The allowlist; the probes are made by `collect` ([`Acquisition`]), not copied.
    ///
    /// [`Acquisition`]: super::stage::Acquisition
    fn collect(&self, snapshot: &Snapshot, stage: &mut dyn Stage) -> io::Result<()> {
        match &snapshot.allowlist {
            Some(allowlist) => copy_one(
                stage,
                allowlist,
                (self.collect_layout().section, "allowlist"),
                "network/allowlist.txt",
                "allowlist",
            ),
            None => Ok(()),
        }
    }
}

/// Whether a file starts, after a byte-order mark and blanks, with `{` or `[`: no host name
/// does, and a JSON export is the likeliest wrong file to hand over.
fn looks_like_json(path: &Path) -> bool {
    let mut head = Vec::new();
    let read = std::fs::File::open(path).and_then(|file| file.take(4096).read_to_end(&mut head));
    if read.is_err() {
        return false;
    }
    let text = crate::document::text::decode(&head, None).text;
    text.trim_start_matches('\u{feff}').trim_start().starts_with(['{', '['])
}
