//! Logs by name (`--log [NAME=]PATH`, `logs:`), each scanned once for the patterns of all the
//! rules on it.

use super::shape::Shape;
use super::{ConfigKey, ConfigTakes, Declared, Flag, Loaded, NotLoaded, Reading, SizeLimit, Source, Takes};
use crate::checks::evidence::Found;
use crate::checks::{Input, SourceRef};
use crate::files;
use crate::finding::{Location, MAX_FINDINGS_PER_RULE};
use crate::readers::log::{self, LogQuery, QueryResult};
use crate::rules::Rule;
use crate::snapshot::{Artifact, Snapshot};

pub(super) struct Logs;

/// The snapshot's log of that name (in any case), for a rule whose evidence is in it.
pub fn log_named<'s>(snapshot: &'s Snapshot, name: &str) -> Option<&'s Artifact> {
    DECLARED.named(snapshot, name)
}

static DECLARED: Declared = Declared {
    key: "logs",
    noun: "log",
    flags: &[Flag {
        long: "log",
        value_name: "[NAME=]PATH",
        help: "A log file, as [NAME=]PATH; NAME defaults to the file name (repeatable)",
        takes: Takes::NamedOrFileName,
        repeated: true,
    }],
    config: &[ConfigKey {
        key: "logs",
        doc: "Log files, each named by its file name.",
        takes: ConfigTakes::Paths,
    }],
    manifest_doc: "Log files by name, each a path in the snapshot.",
    // `logs/NAME`, a copy of each.
    folder: "logs",
    shape: Shape::Named {
        directory: false,
        suffix: "",
    },
    // Whatever its size; an entry is held whole up to a bound, so that one endless line (a
    // sparse file of zeros) is scanned in bounded memory.
    size_limit: SizeLimit::Streamed {
        entry: "an entry (a line, a CMTrace record)",
        bytes: log::MAX_ENTRY as u64,
        over: "cut at a line end or where the bound falls",
    },
    wants: Some("a log file, e.g. C:\\ConfigMgrSetup.log"),
};

struct Scanned {
    name: String,
    whole: Location,
    /// One result per rule of the group, in the group's order.
    results: Vec<QueryResult>,
    /// When the snapshot was collected, for the kinds that judge an entry's age.
    collected_at: Option<String>,
    /// What the snapshot shows of each rule's evidence in another log, in the group's order.
    evidence: Vec<Option<Found>>,
}

impl Loaded for Scanned {
    fn input(&self, position: usize) -> Input<'_> {
        Input::Log {
            name: &self.name,
            whole: &self.whole,
            result: &self.results[position],
            collected_at: self.collected_at.as_deref(),
            evidence: self.evidence[position].as_ref(),
        }
    }
}

impl Source for Logs {
    fn declared(&self) -> &'static Declared {
        &DECLARED
    }

    fn instance<'r>(&self, source: &SourceRef<'r>) -> Option<&'r str> {
        match source {
            SourceRef::Log { name, .. } => Some(*name),
            _ => None,
        }
    }

    fn load(
        &self,
        group: &[&Rule],
        snapshot: &Snapshot,
        reading: &mut Reading<'_>,
    ) -> Result<Box<dyn Loaded>, NotLoaded> {
        let sources: Vec<SourceRef<'_>> = group.iter().map(|rule| rule.check.source()).collect();
        let queries: Vec<&LogQuery> = sources
            .iter()
            .filter_map(|source| match source {
                SourceRef::Log { query, .. } => Some(*query),
                _ => None,
            })
            .collect();
        // The group's first rule names the log as reports show it.
        let Some(SourceRef::Log { name, .. }) = sources.first() else {
            return Err(NotLoaded::Absent("no rule reads a log".to_owned()));
        };
        let artifact = DECLARED
            .named(snapshot, name)
            .ok_or_else(|| DECLARED.absent(snapshot, &format!("log `{name}`")))?;
        let (file, size) =
            files::open_regular(&artifact.path).map_err(|e| reading.unreadable(artifact, &e.to_string()))?;
        let scanned = log::scan(file, &queries, MAX_FINDINGS_PER_RULE, snapshot.encoding)
            .map_err(|e| reading.unreadable(artifact, &e.to_string()))?;
        reading.read_as(artifact, scanned.encoding, scanned.clean, scanned.garbled);
        Ok(Box::new(Scanned {
            name: (*name).to_owned(),
            whole: Location::whole(&artifact.display, size),
            results: scanned.results,
            collected_at: snapshot.info.collected_at.clone(),
            evidence: group
                .iter()
                .map(|rule| {
                    rule.check
                        .evidence()
                        .map(|e| e.look(log_named(snapshot, e.log()), snapshot))
                })
                .collect(),
        }))
    }
}
