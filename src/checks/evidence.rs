//! An entry of another log that a rule's judgement depends on: the first entry of `log`
//! matching a pattern, with its line and time. Two rule fields use it, both declared in the
//! rule file, neither knowing a log by name:
//!
//! - `when-log` / `when-entry` (any rule): the rule judges only once the snapshot shows that
//!   entry (the post-upgrade rules, once CMUpdate.log shows the target's CMUpdate running),
//!   or when the run asks for it (`--step`, `--select`); otherwise it is not evaluated, saying
//!   which entry it waits for.
//! - `before-log` / `before-entry` (`recent-log-event`): ages are measured up to that entry
//!   (the site backup, up to the upgrade's start).
//!
//! The entry's pattern takes the ruleset's params (`{target_build}`). A param the run has no
//! value for (a target whose build Microsoft's pages do not give yet) makes the evidence
//! unknowable, said so, never a pattern that quietly matches nothing or everything.

use super::Context;
use crate::files;
use crate::readers::entry_time;
use crate::readers::log::{self, LogQuery, Role, Scope};
use crate::snapshot::{Artifact, Snapshot};

/// The entry a rule looks for in another log.
#[derive(Debug)]
pub struct LogEvidence {
    pub log: String,
    /// The pattern as written, params substituted, for messages.
    pub entry: String,
    /// The query, or why it cannot be looked for in this run.
    query: Result<LogQuery, String>,
}

/// What a snapshot shows of a [`LogEvidence`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// The first entry that matches: its line, and its time when the entry gives one.
    Entry { line: u64, time: Option<i64> },
    /// No such entry, no such log, or no way to tell, in words.
    Not(String),
}

impl LogEvidence {
    /// Reads the pair of fields `log_key` / `entry_key`: both or neither (`Some(None)`);
    /// `None` after recording a problem.
    pub fn read(
        f: &mut Context<'_, '_>,
        log_key: &'static str,
        entry_key: &'static str,
        doc: &str,
    ) -> Option<Option<LogEvidence>> {
        let log = f.string(
            log_key,
            &format!("The log of `{entry_key}`, by its name in the snapshot: {doc}"),
        );
        let entry = f.string(
            entry_key,
            &format!("A regular expression the first entry of `{log_key}` that counts matches; params are substituted (`{{target_build}}`): {doc}"),
        );
        match (log, entry) {
            (None, None) => Some(None),
            (Some(half), None) | (None, Some(half)) => {
                f.problem_with_help(
                    half.span,
                    format!("`{log_key}` and `{entry_key}` go together"),
                    "one of the pair",
                    format!("give both, e.g. `{log_key}: CMUpdate.log` and `{entry_key}: REGEX`, or neither"),
                );
                None
            }
            (Some(log), Some(entry)) => {
                let log = f.with_params(&log)?;
                let template = f.template(&entry, &[])?;
                let unknown: Vec<String> = template
                    .names_with_ranges()
                    .filter(|(name, _)| f.param(name).is_some_and(|v| v.trim().is_empty()))
                    .map(|(name, _)| format!("`{{{name}}}`"))
                    .collect();
                let text = template.render(|name| f.param(name).map(str::to_owned));
                let query = if unknown.is_empty() {
                    let pattern = f.pattern(&crate::document::fields::Sp {
                        value: text.clone(),
                        span: entry.span.clone(),
                    })?;
                    Ok(LogQuery {
                        pattern,
                        scope: Scope::WholeLog,
                        normal: Vec::new(),
                        explains: Vec::new(),
                        role: Role::Counts,
                    })
                } else {
                    Err(format!(
                        "sitelint has no value for {} in this run (the target's build is not in its data yet), so {log} cannot show the entry `{}` looks for",
                        unknown.join(", "),
                        entry.value
                    ))
                };
                Some(Some(LogEvidence {
                    log,
                    entry: text,
                    query,
                }))
            }
        }
    }

    /// The name of the log the evidence is in.
    pub fn log(&self) -> &str {
        &self.log
    }

    /// The first entry of the log that matches, in `log` as the snapshot names it (`None`:
    /// the snapshot has no such log). Reading the log is the job of the rules that read it,
    /// which report a log they cannot read; here it only means the evidence cannot be told.
    pub fn look(&self, log: Option<&Artifact>, snapshot: &Snapshot) -> Found {
        let query = match &self.query {
            Ok(query) => query,
            Err(why) => return Found::Not(why.clone()),
        };
        let Some(artifact) = log else {
            return Found::Not(format!("no log `{}` given", self.log));
        };
        let scanned =
            files::open_regular(&artifact.path).and_then(|(file, _)| log::scan(file, &[query], 1, snapshot.encoding));
        match scanned {
            Err(e) => Found::Not(format!("{} cannot be read: {e}", artifact.display)),
            Ok(scanned) => match scanned.results.first().and_then(|r| r.matches.first()) {
                Some(entry) => Found::Entry {
                    line: entry.line,
                    time: entry_time::of_entry(&entry.excerpt.text),
                },
                None => Found::Not(format!("{} has no entry matching `{}`", artifact.display, self.entry)),
            },
        }
    }
}
