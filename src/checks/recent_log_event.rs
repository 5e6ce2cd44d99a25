//! `recent-log-event`: one finding when a log's last `pattern` entry is missing or older than
//! `max-age-hours`, and one per `failure` entry after it.
//!
//! - **What it checks**: the latest entry of the log that matches `pattern` (a backup that
//!   completed) was written no more than `max-age-hours` before a reference time, and no
//!   entry matching `failure` follows it. The reference is the first entry of `before-log`
//!   matching `before-entry` when the snapshot shows one (the upgrade's start: the entries
//!   after it are not looked at), else the snapshot's `collected_at`, else now.
//!   The entry's time is read from its CMTrace attributes or its `$$<...>` suffix, with the
//!   writer's bias ([`crate::readers::entry_time`]).
//! - **Why**: Microsoft recommends a site backup before the upgrade; one that is days old, or
//!   that failed since, is no way back.
//! - **Example rule**: `log: smsbkup.log`, `pattern: 'Backup completed'`,
//!   `failure: 'Failed to delete the contents of the backup folder'`,
//!   `max-age-hours: "{backup_max_age_hours}"`.
//! - **Options**: `failure` (optional); `before-log` and `before-entry` (optional, together;
//!   see [`super::evidence`]). Built-in values: `{log}`, `{found}`, `{expected}`.

use super::evidence::{Found, LogEvidence};
use super::{Check, Context, Emission, Emissions, Input, Mismatch, SourceRef, values};
use crate::document::fields::Sp;
use crate::finding::{Location, Outcome};
use crate::readers::entry_time;
use crate::readers::log::{LogMatch, LogQuery, Role, Scope};

const VALUES: [&str; 3] = ["log", "found", "expected"];

/// The groups that tell the two patterns apart in the one query the log is scanned with.
const EVENT: &str = "sitelint_event";
const FAILURE: &str = "sitelint_failure";

#[derive(Debug)]
struct RecentLogEvent {
    log: String,
    /// `pattern` and `failure`, each in its group.
    query: LogQuery,
    /// As the rule writes them, for messages.
    pattern: String,
    failure: Option<String>,
    max_age_hours: u64,
    /// The entry of another log ages are measured up to (`before-log`, `before-entry`).
    before: Option<LogEvidence>,
}

pub(super) fn compile(f: &mut Context<'_, '_>) -> Option<Box<dyn Check>> {
    let log = f.required_string(
        "log",
        "The log to read, by its name in the snapshot, e.g. `log: smsbkup.log`.",
    );
    let pattern = f.required_string(
        "pattern",
        "A regular expression the event's entry matches, e.g. `pattern: 'Backup completed'`.",
    );
    let failure = f.string(
        "failure",
        "A regular expression of a failure that must not follow the last event, e.g. `failure: 'Failed to delete the contents of the backup folder'`.",
    );
    let max_age = f.required_string(
        "max-age-hours",
        "How many hours before the snapshot was collected the last event may be, e.g. `max-age-hours: \"{backup_max_age_hours}\"`.",
    );
    let before = LogEvidence::read(
        f,
        "before-log",
        "before-entry",
        "ages are measured up to its first match (the upgrade's start) when the snapshot shows one, else up to `collected_at`, else now.",
    );
    let log = log.and_then(|l| f.with_params(&l));
    // Each pattern is compiled alone first, so that a mistake is shown where it is written.
    let pattern = pattern.and_then(|p| f.pattern(&p).map(|_| p));
    let failure = match failure {
        Some(text) => Some(Some(f.pattern(&text).map(|_| text)?)),
        None => Some(None),
    };
    let max_age_hours = max_age.and_then(|m| {
        let text = f.with_params(&m)?;
        let hours = text.trim().parse::<u64>().ok().filter(|h| *h > 0);
        if hours.is_none() {
            f.problem_with_help(
                m.span,
                format!("`{text}` is not a number of hours"),
                "not hours",
                "write a whole number of hours above 0, e.g. 24",
            );
        }
        hours
    });
    let (pattern, failure) = (pattern?, failure?);
    let combined = match &failure {
        Some(failure) => format!("(?P<{EVENT}>{})|(?P<{FAILURE}>{})", pattern.value, failure.value),
        None => format!("(?P<{EVENT}>{})", pattern.value),
    };
    let combined = f.pattern(&Sp {
        value: combined,
        span: pattern.span.clone(),
    })?;
    Some(Box::new(RecentLogEvent {
        log: log?,
        // It reports the failures it matches: they are explained, and no catch-all of the
        // log reports them again (a failure before a later completed backup is superseded).
        query: LogQuery {
            pattern: combined,
            scope: Scope::WholeLog,
            normal: Vec::new(),
            explains: Vec::new(),
            role: Role::Reports,
        },
        pattern: pattern.value,
        failure: failure.map(|f| f.value),
        max_age_hours: max_age_hours?,
        before: before?,
    }))
}

fn is(found: &LogMatch, group: &str) -> bool {
    found.captures.iter().any(|(name, _)| name == group)
}

/// An entry's time: from its text, else from the label the excerpt gives it.
fn time_of(found: &LogMatch) -> Option<i64> {
    entry_time::of_entry(&found.excerpt.text).or_else(|| {
        // The label is `component · MM-DD-YYYY HH:MM:SS.mmm+bias`, the legacy suffix's fields.
        let (_, time) = found.excerpt.label.rsplit_once(" · ")?;
        entry_time::of_entry(&format!("$$<><{time}>"))
    })
}

impl RecentLogEvent {
    /// A finding at an entry; `what` names it stably (no timestamp), for its fingerprint.
    fn emission(&self, path: &str, found: &LogMatch, message: String, what: &str, shown: String) -> Emission {
        Emission {
            outcome: Outcome::Fail,
            subject: format!("{}: {what}", self.log),
            message,
            values: values(&VALUES, [self.log.clone(), shown, self.expected()]),
            location: Location {
                path: path.to_owned(),
                line: Some(found.line),
                column: Some(found.column),
                end_column: found.end_column,
                byte_offset: found.byte_range.as_ref().map(|r| r.start),
                byte_length: found.byte_range.as_ref().map(|r| r.end - r.start),
            },
            excerpt: Some(found.excerpt.clone()),
        }
    }

    fn expected(&self) -> String {
        format!("`{}` within {} hours", self.pattern, self.max_age_hours)
    }
}

impl Check for RecentLogEvent {
    fn source(&self) -> SourceRef<'_> {
        SourceRef::Log {
            name: &self.log,
            query: &self.query,
        }
    }

    fn evidence(&self) -> Option<&LogEvidence> {
        self.before.as_ref()
    }

    fn placeholders(&self) -> Vec<String> {
        VALUES.map(str::to_owned).to_vec()
    }

    fn describe(&self) -> String {
        let failure = self
            .failure
            .as_ref()
            .map(|f| format!(", or when an entry matching `{f}` follows it"))
            .unwrap_or_default();
        let reference = self.before.as_ref().map_or_else(
            || "the snapshot".to_owned(),
            |b| {
                format!(
                    "the first entry of {} matching `{}` (else the snapshot)",
                    b.log, b.entry
                )
            },
        );
        format!(
            "Fails unless the last entry of {} matching `{}` is at most {} hours older than {reference}{failure}.",
            self.log, self.pattern, self.max_age_hours
        )
    }

    fn evaluate(&self, input: &Input<'_>, out: &mut Emissions) -> Result<(), Mismatch> {
        let Input::Log {
            name,
            whole,
            result,
            collected_at,
            evidence,
        } = input
        else {
            return Err(Mismatch::new("a log", input));
        };
        // Only the first entries are kept: past them the last event may be among those left out.
        if result.count > result.matches.len() as u64 {
            out.rule_not_evaluated(format!(
                "{name} has {} entries matching `{}` or its failure, more than sitelint keeps ({}): the last one cannot be told",
                result.count,
                self.pattern,
                result.matches.len()
            ));
            return Ok(());
        }
        let reference = match self.reference(*evidence, *collected_at) {
            Ok(reference) => reference,
            Err(reason) => {
                out.rule_not_evaluated(reason);
                return Ok(());
            }
        };
        let path = whole.path.clone();
        // Entries after the reference (the backups after the upgrade started) are not the
        // ones that count; an entry whose time cannot be read is kept.
        let before_reference = |m: &&LogMatch| !reference.upto || time_of(m).is_none_or(|time| time <= reference.time);
        let in_scope: Vec<&LogMatch> = result.matches.iter().filter(before_reference).collect();
        let last = in_scope.iter().rev().find(|m| is(m, EVENT)).copied();
        match last {
            None => out.push(Emission {
                outcome: Outcome::Fail,
                subject: format!("{}: no {}", self.log, self.pattern),
                message: format!("{name} has no entry matching `{}`{}", self.pattern, reference.scope()),
                values: values(&VALUES, [self.log.clone(), "none".to_owned(), self.expected()]),
                location: (*whole).clone(),
                excerpt: None,
            }),
            Some(last) => self.judge_age(name, &path, last, &reference, out),
        }
        // Every failure that no later event superseded stands, each at its line (with no
        // event at all, every failure: the failed backups are why none completed).
        let after = last.map_or(0, |l| l.line);
        for failure in in_scope.iter().filter(|m| is(m, FAILURE) && m.line > after) {
            let since = last.map_or_else(String::new, |l| {
                format!(" after the last `{}` (line {})", self.pattern, l.line)
            });
            out.push(self.emission(
                &path,
                failure,
                format!("a failure{since}: {}", failure.matched),
                &format!("failed: {}", failure.matched),
                failure.matched.clone(),
            ));
        }
        Ok(())
    }
}

/// The time ages are measured up to, and what it is, in words.
struct Reference {
    time: i64,
    against: String,
    /// It is an entry of another log (the upgrade's start): later entries do not count.
    upto: bool,
}

impl Reference {
    /// ` before <the reference>`, for a log with no event, when the reference cuts it.
    fn scope(&self) -> String {
        if self.upto {
            format!(" before {}", self.against)
        } else {
            String::new()
        }
    }
}

impl RecentLogEvent {
    /// The first entry of `before-log` the snapshot shows, else its `collected_at`, else now;
    /// `Err` when that entry's time cannot be read (measuring from another moment would judge
    /// a backup against the wrong one).
    fn reference(&self, evidence: Option<&Found>, collected_at: Option<&str>) -> Result<Reference, String> {
        if let (Some(before), Some(Found::Entry { line, time })) = (&self.before, evidence) {
            let Some(time) = *time else {
                return Err(format!(
                    "the time of {}:{line} (the first entry matching `{}`) cannot be read (no CMTrace time or $$<...> suffix)",
                    before.log, before.entry
                ));
            };
            return Ok(Reference {
                time,
                against: format!("{}:{line} (`{}`)", before.log, before.entry),
                upto: true,
            });
        }
        Ok(match collected_at.and_then(entry_time::of_rfc3339) {
            Some(time) => Reference {
                time,
                against: "the snapshot was collected".to_owned(),
                upto: false,
            },
            None => Reference {
                time: entry_time::now(),
                against: "now".to_owned(),
                upto: false,
            },
        })
    }

    /// One finding when the last event is older than `max-age-hours` before the reference;
    /// not evaluated when its time is unknown. A pass says what it was measured against.
    fn judge_age(&self, name: &str, path: &str, last: &LogMatch, reference: &Reference, out: &mut Emissions) {
        let Some(time) = time_of(last) else {
            out.rule_not_evaluated(format!(
                "the time of {name}:{} cannot be read (no CMTrace time or $$<...> suffix)",
                last.line
            ));
            return;
        };
        let hours = (reference.time - time) / 3600;
        let when = entry_time::describe(time);
        if reference.time - time > i64::try_from(self.max_age_hours).unwrap_or(i64::MAX) * 3600 {
            out.push(self.emission(
                path,
                last,
                format!(
                    "the last `{}` in {name} is from {when}, {hours} hours before {} ({}): more than {} hours",
                    self.pattern,
                    reference.against,
                    entry_time::describe(reference.time),
                    self.max_age_hours
                ),
                "too old",
                when,
            ));
        } else {
            out.note(format!(
                "the last `{}` in {name} (line {}, {when}) is {hours} hours before {}",
                self.pattern, last.line, reference.against
            ));
        }
    }
}
