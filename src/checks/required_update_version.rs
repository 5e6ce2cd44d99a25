//! `required-update-version`: one finding when no update of `version` is in an allowed state.
//!
//! - **What it checks**: after `ServiceConnectionTool.exe -import`, the target release is
//!   visible under Administration > Updates and Servicing, in a good state.
//! - **Why**: an import can finish without the update appearing, or with it in
//!   "Download failed"; installing is only possible from "Ready to install".
//! - **Example rule**: `version: "{target_version}"`,
//!   `states: [ready-to-install, prerequisite-check-passed, installed]`.
//! - **Options**: `states`: console state names or numeric `State` codes (default: ready to
//!   install and every later good state). Built-in values: `{version}`, `{state}` (the state it is in,
//!   `not in the console export` or `without a state`).

use super::{Check, Context, Emission, Emissions, Input, Mismatch, SourceRef, values};
use crate::document::diag::suggest;
use crate::finding::Outcome;
use crate::snapshot::console::{describe_state, state_code};

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
    f.values_or_integers("states", crate::snapshot::console::STATES.iter().map(|(name, _)| *name));
    let version = version.and_then(|v| f.with_params(&v));
    let states = match states {
        None => DEFAULT_STATES.iter().filter_map(|s| state_code(s)).collect(),
        Some(names) => {
            let mut codes = Vec::new();
            for name in &names {
                match state_code(&name.value) {
                    Some(code) => codes.push(code),
                    None => {
                        let names: Vec<&str> = crate::snapshot::console::STATES.iter().map(|(n, _)| *n).collect();
                        let help = suggest(&name.value, names.iter().copied(), || {
                            format!("use a numeric State code or one of: {}", names.join(", "))
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
            if codes.len() != names.len() {
                return None;
            }
            codes
        }
    };
    Some(Box::new(RequiredUpdateVersion {
        version: version?,
        states,
    }))
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
        format!(
            "Fails unless the console export shows Configuration Manager {} in one of these states: {}.",
            self.version,
            states.join(", ")
        )
    }

    fn evaluate(&self, input: &Input<'_>, out: &mut Emissions) -> Result<(), Mismatch> {
        let Input::Console(export) = input else {
            return Err(Mismatch::new("a console export", input));
        };
        let candidates: Vec<_> = export.updates.iter().filter(|u| u.is_version(&self.version)).collect();
        if candidates
            .iter()
            .any(|u| u.state.is_some_and(|s| self.states.contains(&s)))
        {
            return Ok(());
        }
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
            (format!("{}; expected {}", states.join(", "), allowed.join(", ")), state)
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
