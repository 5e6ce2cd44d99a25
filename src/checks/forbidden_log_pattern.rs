//! `forbidden-log-pattern`: one finding per log entry that matches `pattern`.
//!
//! - **What it checks**: that no entry of the log (in its last run, with `scope: last-run`)
//!   matches the pattern.
//! - **Why**: the Service Connection Tool returns silently when downloads fail; the failure
//!   is only written to its logs.
//! - **Example rule**: `log: ServiceConnectionTool.log`,
//!   `pattern: 'ERROR:Failed to download redists? for (?P<package>[0-9A-Fa-f-]{36})'`.
//! - **Options**: `scope: whole-log | last-run` with `run-start: REGEX`; `normal`: lines the
//!   pattern matches that are known to be normal, each `{pattern, source}` (the public page
//!   that says so). `{name}` in the
//!   message takes a named capture; `{log}`, `{match}`, `{line}` (its number) and `{entry}`
//!   (what the entry says, without the log's layout: timestamp, component, thread) are built
//!   in.

use super::{Check, Context, Emission, Emissions, Input, LogTarget, Mismatch, SourceRef};
use crate::finding::{Location, Outcome};
use crate::readers::log::{LogMatch, Role};

/// Built-in template values, besides the pattern's named captures.
pub(super) const VALUES: [&str; 4] = ["log", "match", "line", "entry"];

#[derive(Debug)]
struct ForbiddenLogPattern {
    target: LogTarget,
}

pub(super) fn compile(f: &mut Context<'_, '_>) -> Option<Box<dyn Check>> {
    Some(Box::new(ForbiddenLogPattern {
        target: LogTarget::read(f, Role::Reports)?,
    }))
}

impl Check for ForbiddenLogPattern {
    fn source(&self) -> SourceRef<'_> {
        SourceRef::Log {
            name: &self.target.log,
            query: &self.target.query,
        }
    }

    fn placeholders(&self) -> Vec<String> {
        placeholders(&self.target)
    }

    fn describe(&self) -> String {
        format!(
            "Fails for each entry of {} that matches `{}`.",
            self.target.log_and_scope(),
            self.target.query.pattern.source
        )
    }

    fn evaluate(&self, input: &Input<'_>, out: &mut Emissions) -> Result<(), Mismatch> {
        emit_entries(input, out, |name, found| {
            format!("{name} has a forbidden entry: {}", found.matched)
        })
    }
}

/// The values a message may use: the built-in ones and the pattern's named captures.
pub(super) fn placeholders(target: &LogTarget) -> Vec<String> {
    let captures = target.query.pattern.regex.capture_names().flatten().map(str::to_owned);
    VALUES.into_iter().map(str::to_owned).chain(captures).collect()
}

/// One finding per matching entry of a log input, worded by `message` (from the log's name and
/// the match); shared by the kinds whose findings are entries.
pub(super) fn emit_entries(
    input: &Input<'_>,
    out: &mut Emissions,
    message: impl Fn(&str, &LogMatch) -> String,
) -> Result<(), Mismatch> {
    let Input::Log {
        name, whole, result, ..
    } = input
    else {
        return Err(Mismatch::new("a log", input));
    };
    for m in &result.matches {
        let mut values = m.captures.clone();
        values.extend(super::values(
            &VALUES,
            [
                (*name).to_owned(),
                m.matched.clone(),
                m.line.to_string(),
                m.message.clone(),
            ],
        ));
        // The captures identify the problem (a package, an error code) better than the
        // whole line, which carries a timestamp that changes on every run.
        let identity = if m.captures.is_empty() {
            m.matched.clone()
        } else {
            m.captures
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push(Emission {
            outcome: Outcome::Fail,
            subject: format!("{name}: {identity}"),
            message: message(name, m),
            values,
            location: Location {
                path: whole.path.clone(),
                line: Some(m.line),
                column: Some(m.column),
                end_column: m.end_column,
                byte_offset: m.byte_range.as_ref().map(|r| r.start),
                byte_length: m.byte_range.as_ref().map(|r| r.end - r.start),
            },
            excerpt: Some(m.excerpt.clone()),
        });
    }
    out.count_unkept(result.count - result.matches.len() as u64);
    Ok(())
}
