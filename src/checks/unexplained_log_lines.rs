//! `unexplained-log-lines`: one finding per log entry its writer marks as a failure that no
//! other rule explains: the catch-all that keeps a failure nobody has seen from passing.
//!
//! - **What it checks**: that every entry matching `pattern` (the way the log's writer marks
//!   an error or a warning: CMTrace's `type="3"`, an `ERROR:` prefix, `Failed to`, an HRESULT)
//!   is either explained by a rule of the run that reports entries of the same log
//!   (`forbidden-log-pattern`, whose finding then stands alone: one line, one finding), or
//!   known to be normal (`normal`).
//! - **Why**: a ruleset that lists the failure sentences someone has seen is silent on the
//!   next one. A line the writer itself marks as failed is worth a look even when sitelint
//!   cannot say what it means.
//! - **Example rule**: `log: CMUpdate.log`, `pattern: '^ERROR:|type="3"'`,
//!   `normal: [{pattern: 'ERROR: Failed to get the site status', source: https://...}]`.
//! - **Options**: `normal`: known-normal lines, each `{pattern, source}`, where `source` is
//!   the public page that says the line is normal (an https URL: a list of exceptions nobody
//!   can check is how failures get waved through). `scope`/`run-start` as for
//!   `forbidden-log-pattern`. `{log}`, `{match}` and `{line}` are built in.

use super::forbidden_log_pattern::{VALUES, emit_entries};
use super::{Check, Context, Emissions, Input, LogTarget, Mismatch, SourceRef};
use crate::document::fields::{Document, Fields};
use crate::document::yaml::Value;
use crate::snapshot::log::{Pattern, Role};

#[derive(Debug)]
struct UnexplainedLogLines {
    target: LogTarget,
}

pub(super) fn compile(f: &mut Context<'_, '_>) -> Option<Box<dyn Check>> {
    let normal = known_normal(f)?;
    Some(Box::new(UnexplainedLogLines {
        target: LogTarget::read(f, Role::Unexplained { normal })?,
    }))
}

/// Reads `normal`: each item a mapping of `pattern` and the `source` that says it is normal.
fn known_normal(f: &mut Context<'_, '_>) -> Option<Vec<Pattern>> {
    let items = f
        .list(
            "normal",
            "Lines that look like failures and are not, each `{pattern: REGEX, source: URL}`: `source` is the public page that says so.",
        )
        .unwrap_or_default();
    let file = f.file().clone();
    let mut patterns = Vec::new();
    let mut ok = true;
    for item in items {
        let Value::Map(entries) = &item.value else {
            f.problem_with_help(
                item.span.clone(),
                "a known-normal line must be a mapping",
                format!("found {}", item.value.type_name()),
                "write `{pattern: REGEX, source: https://...}`",
            );
            ok = false;
            continue;
        };
        let mut fields = Fields::new(&file, Document::Rule, entries, item.span.clone());
        let pattern = fields.required_string("pattern", "A regular expression matching the normal line.");
        let source = fields.required_string("source", "The public page (https URL) that says the line is normal.");
        if let Some(source) = &source
            && !source.value.starts_with("https://")
        {
            fields.problem_with_help(
                source.span.clone(),
                "the source of a known-normal line must be an https URL",
                "not an https URL",
                "cite the public page that says this line is normal",
            );
            ok = false;
        }
        for problem in fields.finish("a known-normal line") {
            f.push(problem);
            ok = false;
        }
        match pattern.and_then(|p| f.pattern(&p)) {
            Some(compiled) => patterns.push(compiled),
            None => ok = false,
        }
    }
    ok.then_some(patterns)
}

impl Check for UnexplainedLogLines {
    fn source(&self) -> SourceRef<'_> {
        SourceRef::Log {
            name: &self.target.log,
            query: &self.target.query,
        }
    }

    fn placeholders(&self) -> Vec<String> {
        VALUES.into_iter().map(str::to_owned).collect()
    }

    fn describe(&self) -> String {
        format!(
            "Fails for each entry of {} that matches `{}` and that no other rule of the log, nor a known-normal line, explains.",
            self.target.log_and_scope(),
            self.target.query.pattern.source
        )
    }

    fn evaluate(&self, input: &Input<'_>, out: &mut Emissions) -> Result<(), Mismatch> {
        // The marker alone (`ERROR:`) says nothing: the message quotes the whole line.
        emit_entries(input, out, |name, found| {
            format!(
                "{name} line {} is marked as failed, and sitelint does not know this failure: {}",
                found.line, found.excerpt.text
            )
        })
    }
}
