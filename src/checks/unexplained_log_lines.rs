//! `unexplained-log-lines`: one finding per log entry its writer marks as a failure that no
//! other rule explains: the catch-all that keeps a failure nobody has seen from passing.
//!
//! - **What it checks**: that every entry matching `pattern` (the way the log's writer marks
//!   an error or a warning: CMTrace's `type="3"`, an `ERROR:` prefix, `Failed to`, an HRESULT)
//!   is either explained by a rule of the run that reports entries of the same log
//!   (`forbidden-log-pattern`, or an `unexplained-log-lines` rule listed before this one:
//!   the finding of the first stands alone, one line, one finding), or known to be normal
//!   (`normal`). Listed before the log's last catch-all, a rule of this kind reports a family
//!   of failures (every SQL error the writer prints) at its own severity.
//! - **Why**: a ruleset that lists the failure sentences someone has seen is silent on the
//!   next one. A line the writer itself marks as failed is worth a look even when sitelint
//!   cannot say what it means.
//! - **Example rule**: `log: CMUpdate.log`, `pattern: '^ERROR:|type="3"'`,
//!   `normal: [{pattern: 'ERROR: Failed to get the site status', source: https://...}]`.
//! - **Options**: `normal` (known-normal lines, each citing its source), `scope`/`run-start`
//!   as for `forbidden-log-pattern`; its values too (`{entry}`, the line, among them).

use super::forbidden_log_pattern::{emit_entries, placeholders};
use super::{Check, Context, Emissions, Input, LogTarget, Mismatch, SourceRef};
use crate::readers::log::Role;

#[derive(Debug)]
struct UnexplainedLogLines {
    target: LogTarget,
}

pub(super) fn compile(f: &mut Context<'_, '_>) -> Option<Box<dyn Check>> {
    Some(Box::new(UnexplainedLogLines {
        target: LogTarget::read(f, Role::Unexplained)?,
    }))
}

impl Check for UnexplainedLogLines {
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
                found.line, found.message
            )
        })
    }
}
