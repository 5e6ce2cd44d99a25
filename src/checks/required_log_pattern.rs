//! `required-log-pattern`: one finding when fewer than `min-count` entries match `pattern`.
//!
//! - **What it checks**: that the log records something that must happen (a download that
//!   finished, a verification that passed).
//! - **Why**: a log that stops early shows no error at all; only the missing success line
//!   tells.
//! - **Example rule**: `log: ServiceConnectionTool.log`,
//!   `pattern: 'Successfully downloaded Redists for'`.
//! - **Options**: `min-count` (default 1), `scope`/`run-start` as for
//!   `forbidden-log-pattern`; with `scope: last-run`, a log that holds no run (no entry
//!   matches `run-start`) passes: there is no run to judge. Built-in values: `{log}`, `{pattern}`, `{count}`, `{min_count}`.

use super::{Check, Context, Emission, Emissions, Input, LogTarget, Mismatch, SourceRef, values};
use crate::document::text::plural;
use crate::finding::Outcome;
use crate::readers::log::{Role, Scope};

const VALUES: [&str; 4] = ["log", "pattern", "count", "min_count"];

#[derive(Debug)]
struct RequiredLogPattern {
    target: LogTarget,
    min_count: u64,
}

pub(super) fn compile(f: &mut Context<'_, '_>) -> Option<Box<dyn Check>> {
    let min_count = f
        .count("min-count", "The fewest matching entries that pass (default 1).")
        .map_or(1, |c| c.value);
    Some(Box::new(RequiredLogPattern {
        target: LogTarget::read(f, Role::Counts)?,
        min_count,
    }))
}

impl Check for RequiredLogPattern {
    fn source(&self) -> SourceRef<'_> {
        SourceRef::Log {
            name: &self.target.log,
            query: &self.target.query,
        }
    }

    fn placeholders(&self) -> Vec<String> {
        VALUES.map(str::to_owned).to_vec()
    }

    fn describe(&self) -> String {
        let (log, pattern) = (self.target.log_and_scope(), &self.target.query.pattern.source);
        match self.min_count {
            1 => format!("Fails when no entry of {log} matches `{pattern}`."),
            n => format!("Fails when fewer than {n} entries of {log} match `{pattern}`."),
        }
    }

    fn evaluate(&self, input: &Input<'_>, out: &mut Emissions) -> Result<(), Mismatch> {
        let Input::Log {
            name, whole, result, ..
        } = input
        else {
            return Err(Mismatch::new("a log", input));
        };
        // A rule about the last run judges a run the log holds: a log with none (a site
        // installation's ConfigMgrSetup.log, which no downloader wrote to) says nothing of it.
        let no_run = matches!(self.target.query.scope, Scope::LastRun(_)) && !result.run_started;
        if result.count >= self.min_count || no_run {
            return Ok(());
        }
        let pattern = &self.target.query.pattern.source;
        let scope = match self.target.query.scope {
            Scope::WholeLog => "",
            Scope::LastRun(_) => " in its last run",
        };
        out.push(Emission {
            outcome: Outcome::Fail,
            subject: format!("{name}: {pattern}"),
            message: format!(
                "expected at least {} matching `{pattern}` in {name}{scope}, found {}",
                plural(self.min_count, "entry", "entries"),
                result.count
            ),
            values: values(
                &VALUES,
                [
                    (*name).to_owned(),
                    pattern.clone(),
                    result.count.to_string(),
                    self.min_count.to_string(),
                ],
            ),
            location: (*whole).clone(),
            excerpt: None,
        });
        Ok(())
    }
}
