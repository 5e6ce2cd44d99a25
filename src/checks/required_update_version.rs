//! `required-update-version`: one finding when no update of `version` is in an allowed state.
//!
//! - **What it checks**: after `ServiceConnectionTool.exe -import`, the target release is
//!   visible under Administration > Updates and Servicing, and every update of it (the
//!   release and what carries its name, such as its hotfix rollups) is in a good state: the
//!   worst of them decides.
//! - **Why**: an import can finish without the update appearing, or with it in
//!   "Download failed"; installing is only possible from "Ready to install".
//! - **Example rule**: `version: "{target_version}"`,
//!   `states: [ready-to-install, prerequisite-check-passed, installed]`.
//! - **Options**: `states`: console state names or numeric `State` codes (default: ready to
//!   install and every later good state). `only-when`: states the rule reports in, leaving the
//!   others to another rule; this is how a state that is the admin's next step (*Available to
//!   download* right after an offline import) gets its own rule, severity and help beside the
//!   rule for failures, rather than one rule whose severity changes with the state (a
//!   severity override, a waiver or `--select` then means one thing). Built-in values:
//!   `{version}`, `{state}` (the state it is in, `not in the console export` or `without a state`).

use super::{Check, Context, Emission, Emissions, Input, Mismatch, SourceRef, values};
use crate::document::diag::suggest;
use crate::document::fields::Sp;
use crate::finding::Outcome;
use crate::readers::console::{ConsoleUpdate, describe_state, state_code};

const DEFAULT_STATES: &[&str] = &[
    "ready-to-install",
    "checking-prerequisites",
    "prerequisite-check-passed",
    "prerequisite-check-warning",
    "installing",
    "installed",
];

const VALUES: [&str; 2] = ["version", "state"];

#[derive(Debug)]
struct RequiredUpdateVersion {
    version: String,
    states: Vec<i64>,
    /// With `only-when`, the rule reports only an update in one of these states.
    only_when: Option<Vec<i64>>,
}

pub(super) fn compile(f: &mut Context<'_, '_>) -> Option<Box<dyn Check>> {
    let version = f.required_string(
        "version",
        "The release that must show in the console, e.g. \"2409\" or \"{target_version}\".",
    );
    let states = f.strings(
        "states",
        "Console states that pass, by name or numeric `State` code (default: ready to install and every later good state).",
    );
    let only_when = f.strings(
        "only-when",
        "Report only when the update is in one of these states (names or numeric `State` codes); absent or in any other state, it passes this rule. For a next step (`available-to-download`) that another rule lets pass.",
    );
    let state_names = || crate::readers::console::STATES.iter().map(|(name, _)| *name);
    f.values_or_integers("states", state_names());
    f.values_or_integers("only-when", state_names());
    let version = version.and_then(|v| f.with_params(&v));
    let states = match states {
        None => Some(DEFAULT_STATES.iter().filter_map(|s| state_code(s)).collect()),
        Some(names) => state_codes(f, &names),
    };
    let only_when = match only_when {
        None => Some(None),
        Some(names) => state_codes(f, &names).map(Some),
    };
    Some(Box::new(RequiredUpdateVersion {
        version: version?,
        states: states?,
        only_when: only_when?,
    }))
}

/// The codes of console states given by name or code; `None` after recording each unknown one.
fn state_codes(f: &mut Context<'_, '_>, names: &[Sp<String>]) -> Option<Vec<i64>> {
    let mut codes = Vec::new();
    for name in names {
        match state_code(&name.value) {
            Some(code) => codes.push(code),
            None => {
                let known: Vec<&str> = crate::readers::console::STATES.iter().map(|(n, _)| *n).collect();
                let help = suggest(&name.value, known.iter().copied(), || {
                    format!("use a numeric State code or one of: {}", known.join(", "))
                });
                f.problem_with_help(
                    name.span.clone(),
                    format!("unknown console state `{}`", name.value),
                    "not a state",
                    help,
                );
            }
        }
    }
    (codes.len() == names.len()).then_some(codes)
}

impl Check for RequiredUpdateVersion {
    fn source(&self) -> SourceRef<'_> {
        SourceRef::Console
    }

    fn placeholders(&self) -> Vec<String> {
        VALUES.map(str::to_owned).to_vec()
    }

    fn describe(&self) -> String {
        let states: Vec<String> = self.states.iter().map(|&s| describe_state(s)).collect();
        match &self.only_when {
            None => format!(
                "Fails unless the console export shows Configuration Manager {} in one of these states: {}.",
                self.version,
                states.join(", ")
            ),
            Some(only_when) => {
                let only_when: Vec<String> = only_when.iter().map(|&s| describe_state(s)).collect();
                format!(
                    "Fails when the console export shows Configuration Manager {} in one of these states: {} (and in none of: {}).",
                    self.version,
                    only_when.join(", "),
                    states.join(", ")
                )
            }
        }
    }

    fn evaluate(&self, input: &Input<'_>, out: &mut Emissions) -> Result<(), Mismatch> {
        let Input::Console(export) = input else {
            return Err(Mismatch::new("a console export", input));
        };
        // Every update of the release is judged (the target and what carries its name, such
        // as its hotfix rollups), and the worst of them decides: a rollup that waits for
        // Download must not hide a target whose download failed.
        let candidates: Vec<_> = export.updates.iter().filter(|u| u.is_version(&self.version)).collect();
        let in_states = |u: &&ConsoleUpdate, states: &[i64]| u.state.is_some_and(|s| states.contains(&s));
        let candidates: Vec<_> = match &self.only_when {
            // With `only-when`, the updates in those states are what the rule reports on,
            // and nothing else.
            Some(only_when) => {
                let reported: Vec<_> = candidates.into_iter().filter(|u| in_states(u, only_when)).collect();
                if reported.is_empty() {
                    return Ok(());
                }
                reported
            }
            None => {
                let judged = !candidates.is_empty();
                let bad: Vec<_> = candidates.into_iter().filter(|u| !in_states(u, &self.states)).collect();
                if judged && bad.is_empty() {
                    return Ok(());
                }
                bad
            }
        };
        let allowed: Vec<String> = self.states.iter().map(|&s| describe_state(s)).collect();
        let (message, state) = if candidates.is_empty() {
            let seen: Vec<String> = export.updates.iter().take(6).map(|u| u.label()).collect();
            let seen = if seen.is_empty() {
                "no updates at all".to_owned()
            } else {
                seen.join(", ")
            };
            (
                format!(
                    "version {} is not in the console export (it lists {seen})",
                    self.version
                ),
                // `{version} is {state}` still reads as a sentence.
                "not in the console export".to_owned(),
            )
        } else {
            let states: Vec<String> = candidates
                .iter()
                .map(|u| match u.state {
                    Some(state) => format!("{} is in state {}", u.label(), describe_state(state)),
                    None => format!("{} has no state", u.label()),
                })
                .collect();
            let state = candidates
                .iter()
                .find_map(|u| u.state)
                .map_or_else(|| "without a state".to_owned(), describe_state);
            // A long list of accepted states reads as noise under the one that matters.
            let expected = if allowed.len() <= 4 {
                format!("; expected {}", allowed.join(", "))
            } else {
                ": not a state this rule accepts (`sitelint rules show` lists them)".to_owned()
            };
            (format!("{}{expected}", states.join(", ")), state)
        };
        out.push(Emission {
            outcome: Outcome::Fail,
            subject: format!("version {}", self.version),
            message,
            values: values(&VALUES, [self.version.clone(), state]),
            location: export.location.clone(),
            excerpt: None,
        });
        Ok(())
    }
}
