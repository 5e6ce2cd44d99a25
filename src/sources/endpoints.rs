//! The endpoints: the allowlist of the hosts the proxy allows (`--endpoints-allowlist FILE`,
//! `endpoints-allowlist:`), and what `collect --probe-endpoints` reached (which `collect`
//! makes, an [`Acquisition`], rather than copies).
//!
//! [`Acquisition`]: super::stage::Acquisition

use std::io::Read;
use std::path::Path;

use super::shape::{File, Shape};
use super::{ConfigKey, ConfigTakes, Declared, Flag, Loaded, NotLoaded, Reading, Source, Takes, WHOLE};
use crate::checks::{Input, SourceRef};
use crate::readers::endpoints::{self, Endpoints as EndpointData};
use crate::rules::Rule;
use crate::snapshot::Snapshot;

pub(super) struct Endpoints;

/// What `--endpoints-allowlist` wants.
const WANTS: &str = "a text file of the hosts the proxy allows, one a line";

static DECLARED: Declared = Declared {
    key: "endpoints",
    noun: "endpoint allowlist",
    flags: &[Flag {
        long: "endpoints-allowlist",
        value_name: "FILE",
        help: "Hosts the proxy or firewall allows, one per line",
        takes: Takes::Path,
        repeated: false,
    }],
    config: &[ConfigKey {
        key: "endpoints-allowlist",
        doc: "The hosts the proxy or firewall allows, one per line.",
        takes: ConfigTakes::Path(None),
    }],
    manifest_doc: "`allowlist` and `probes`: what the proxy allows and what probes reached.",
    folder: "network",
    shape: Shape::One {
        files: &[
            File {
                key: "allowlist",
                doc: "The hosts the proxy or firewall allows, one per line.",
                name: "allowlist.txt",
                noun: "endpoint allowlist",
            },
            File {
                key: "probes",
                doc: "What `collect --probe-endpoints` reached, as JSON.",
                name: "probes.json",
                noun: "probe results",
            },
        ],
        collected_as: "allowlist",
    },
    size_limit: WHOLE,
    wants: Some(WANTS),
};

impl Loaded for EndpointData {
    fn input(&self, _: usize) -> Input<'_> {
        Input::Endpoints(self)
    }
}

impl Source for Endpoints {
    fn declared(&self) -> &'static Declared {
        &DECLARED
    }

    fn instance<'r>(&self, source: &SourceRef<'r>) -> Option<&'r str> {
        matches!(source, SourceRef::Endpoints(_)).then_some("")
    }

    fn load(&self, _: &[&Rule], snapshot: &Snapshot, reading: &mut Reading<'_>) -> Result<Box<dyn Loaded>, NotLoaded> {
        let allowlist = DECLARED.one(snapshot, "allowlist");
        let probes = DECLARED.one(snapshot, "probes");
        if allowlist.is_none() && probes.is_none() {
            return Err(DECLARED.absent(snapshot, "endpoint allowlist or probe results"));
        }
        let mut loaded = EndpointData::default();
        if let Some(artifact) = allowlist {
            let (text, location) = reading.text(artifact, snapshot)?;
            let (entries, bad_lines) = endpoints::parse_allowlist(&text);
            for message in bad_lines {
                reading.error(artifact, format!("{}: {message}", artifact.display));
            }
            loaded.allowlist = Some((location, entries));
        }
        if let Some(artifact) = probes {
            let (text, location) = reading.text(artifact, snapshot)?;
            let probes = endpoints::parse_probes(&text).map_err(|e| reading.unreadable(artifact, &e.to_string()))?;
            loaded.probes = Some((location, probes));
        }
        Ok(Box::new(loaded))
    }

    /// A JSON file given as the allowlist was read as 50 bad host names.
    fn misgiven(&self, path: &Path) -> Option<(&'static str, String)> {
        looks_like_json(path).then(|| ("is JSON, not a list of hosts", format!("{WANTS} (# starts a comment)")))
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
