//! Logs by name (`--log [NAME=]PATH`, `logs:`), each scanned once for the patterns of all the
//! rules on it.

use std::io;
use std::path::Path;

use super::stage::{Entry, Key, Stage, origin};
use super::{
    Flag, FromManifest, Given, Layout, Loaded, Named, NotLoaded, Part, Reading, Setting, SizeLimit, Source, Takes,
    file_name, flag_hint, from_manifest, merge_named, set_from_config, set_from_manifest, wrong,
};
use crate::checks::{Input, SourceRef};
use crate::document::diag::{Problem, SetupError};
use crate::document::fields::{Fields, Sp};
use crate::document::text::plural;
use crate::document::yaml::Value;
use crate::files;
use crate::finding::{Location, MAX_FINDINGS_PER_RULE};
use crate::readers::log::{self, LogQuery, QueryResult};
use crate::rules::Rule;
use crate::snapshot::live::LiveSources;
use crate::snapshot::{Artifact, Snapshot};

pub(super) struct Logs;

static FLAGS: &[Flag] = &[Flag {
    long: "log",
    value_name: "[NAME=]PATH",
    help: "A log file, as [NAME=]PATH; NAME defaults to the file name (repeatable)",
    takes: Takes::NamedOrFileName,
    repeated: true,
}];

/// The key a log is named under in `sources:`, and its origin's.
fn key(name: &str) -> String {
    format!("sources.logs.{name}")
}

struct Scanned {
    name: String,
    whole: Location,
    /// One result per rule of the group, in the group's order.
    results: Vec<QueryResult>,
    /// When the snapshot was collected, for the kinds that judge an entry's age.
    collected_at: Option<String>,
}

impl Loaded for Scanned {
    fn input(&self, position: usize) -> Input<'_> {
        Input::Log {
            name: &self.name,
            whole: &self.whole,
            result: &self.results[position],
            collected_at: self.collected_at.as_deref(),
        }
    }
}

impl Source for Logs {
    fn instance<'r>(&self, source: &SourceRef<'r>) -> Option<&'r str> {
        match source {
            SourceRef::Log { name, .. } => Some(*name),
            _ => None,
        }
    }

    fn instances_by_name<'s>(&self, snapshot: &'s Snapshot) -> Option<(&'static str, Vec<&'s str>)> {
        Some(("log", snapshot.logs.names().collect()))
    }

    fn flags(&self) -> &'static [Flag] {
        FLAGS
    }

    fn take(&self, given: Given, live: &mut LiveSources) {
        if let Some(name) = given.name {
            live.logs.set(name, given.path);
        }
    }

    fn read_config(&self, keys: &mut Fields<'_, '_>, base: &Path, live: &mut LiveSources) {
        for log in keys
            .strings("logs", "Log files, each named by its file name.")
            .unwrap_or_default()
        {
            // Named by its file name, as `--log PATH` names it.
            let name = Sp {
                value: file_name(&log.value).to_owned(),
                span: log.span,
            };
            set_from_config(keys, &mut live.logs, "log", name, base.join(&log.value));
        }
    }

    fn merge(&self, given: &LiveSources, merged: &mut LiveSources) -> Vec<Named> {
        merge_named(&given.logs, &mut merged.logs, key)
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
        let artifact = snapshot
            .log(name)
            .ok_or_else(|| NotLoaded::Absent(snapshot.absence(&format!("log `{name}`"), &flag_hint(FLAGS))))?;
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
        }))
    }

    fn live(&self, live: &LiveSources, snapshot: &mut Snapshot) {
        snapshot.logs = live
            .logs
            .iter()
            .map(|(name, path)| (name.clone(), Artifact::given(path)))
            .collect();
    }

    fn parts<'s>(&self, snapshot: &'s Snapshot) -> Vec<Part<'s>> {
        let part = |(name, log): &'s (String, Artifact)| {
            let setting = Setting::named(&key(name));
            Part::file(log, &format!("log {name}:"), &format!("the log {name}"), setting)
        };
        snapshot.logs.iter().map(part).collect()
    }

    fn wrong_type(&self, live: &LiveSources) -> Option<SetupError> {
        let path = live.logs.iter().map(|(_, path)| path).find(|path| path.is_dir())?;
        wrong(
            "--log",
            path,
            "is a directory, not a file",
            "a log file, e.g. C:\\ConfigMgrSetup.log",
        )
    }

    fn read_manifest<'n>(&self, fields: &mut Fields<'n, '_>) -> FromManifest<'n> {
        let logs = fields
            .map("logs", "Log files by name, each a path in the snapshot.")
            .unwrap_or_default();
        from_manifest(move |reader, snapshot| {
            for (key, value) in logs {
                let Some(name) = reader.name(key) else { continue };
                let path = match &value.value {
                    Value::Str(s) => Some(Sp {
                        value: s.clone(),
                        span: value.span.clone(),
                    }),
                    other => {
                        reader.push(Problem::new(
                            reader.file(),
                            value.span.clone(),
                            format!("log `{}` must be a path relative to the snapshot", name.value),
                            format!("found {}", other.type_name()),
                        ));
                        None
                    }
                };
                if let Some(artifact) = path.and_then(|p| reader.resolve_inside(&p)) {
                    set_from_manifest(reader, &mut snapshot.logs, "log", name, artifact);
                }
            }
        })
    }

    /// Whatever its size; an entry is held whole up to a bound, so that one endless line (a
    /// sparse file of zeros) is scanned in bounded memory.
    fn size_limit(&self) -> SizeLimit {
        SizeLimit::Streamed {
            entry: "an entry (a line, a CMTrace record)",
            bytes: log::MAX_ENTRY as u64,
            over: "cut at a line end or where the bound falls",
        }
    }

    /// `logs/NAME`, a copy of each.
    fn collect_layout(&self) -> Layout {
        Layout {
            section: "logs",
            folder: "logs",
            holds: |name| !name.contains('/'),
        }
    }

    fn collect(&self, snapshot: &Snapshot, stage: &mut dyn Stage) -> io::Result<()> {
        for (name, log) in &snapshot.logs {
            let relative = format!("logs/{name}");
            stage.copy(log, &relative)?;
            stage.record(
                self.collect_layout().section,
                Entry::path(Key::Name(name.clone()), &relative),
            );
            stage.collected_from(Key::Name(format!("log {name}")), origin(log));
        }
        if !snapshot.logs.is_empty() {
            stage.closing_phrase(plural(snapshot.logs.len(), "log", "logs"));
        }
        Ok(())
    }
}
