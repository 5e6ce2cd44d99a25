//! Evaluates a rule set against a snapshot: groups the rules by the source they read, loads
//! each source once for its whole group (a log is scanned once for all its patterns), hands
//! it to their checks, and turns what they emit into findings, at most
//! [`MAX_FINDINGS_PER_RULE`] per rule. A rule whose source is absent is reported as not
//! evaluated, never as passed.

use std::collections::BTreeMap;

use crate::checks::evidence::{Found, LogEvidence};
use crate::checks::{Emission, Emissions, Input, Params};
use crate::finding::{
    Finding, Gap, Location, Outcome, ParamInfo, ReadAs, Report, RuleResult, RuleStatus, RulesetInfo, SourceError,
};
use crate::rules::{Rule, RuleSet};
use crate::snapshot::Snapshot;
use crate::sources::{self, Reading, SOURCES};

/// What became of one rule before it is written into the report.
enum Evaluated {
    /// `note`: what the rule or the run wants said about how it was judged, shown as the
    /// reason of a rule that ran (evidence that released it, a site already on the target).
    Ran {
        emissions: Vec<Emission>,
        omitted: u64,
        note: Option<String>,
    },
    NotEvaluated(String),
}

pub fn evaluate(rules: &RuleSet, snapshot: &Snapshot) -> Report {
    let mut errors = Vec::new();
    let mut read_as = Vec::new();
    // Keyed by the source's place in `SOURCES` and the instance, so one load serves a group.
    let mut groups: BTreeMap<(usize, String), Vec<(usize, &Rule)>> = BTreeMap::new();
    let mut outcomes: BTreeMap<usize, Evaluated> = BTreeMap::new();
    // Why each rule judged only on evidence (`when-log`) runs in this snapshot.
    let mut released: BTreeMap<usize, String> = BTreeMap::new();
    let mut seen = Seen::default();
    for (index, rule) in rules.rules.iter().enumerate().filter(|(_, r)| r.disabled.is_none()) {
        if let Some(when) = &rule.when {
            match when.released(|evidence| seen.look(evidence, snapshot)) {
                Ok(why) => {
                    released.insert(index, why);
                }
                Err(reason) => {
                    outcomes.insert(index, Evaluated::NotEvaluated(reason));
                    continue;
                }
            }
        }
        if let Some(key) = sources::read_by(rule) {
            groups.entry(key).or_default().push((index, rule));
        }
    }
    // The groups' sources are independent (several logs, a tree): loaded and checked on all
    // cores, then taken in the groups' order, so the report reads as if one by one.
    let groups: Vec<(usize, &Vec<(usize, &Rule)>)> =
        groups.iter().map(|(&(source, _), group)| (source, group)).collect();
    for done in crate::parallel::map_in_order(&groups, |&(source, group)| evaluate_group(source, group, snapshot)) {
        errors.extend(done.errors);
        read_as.extend(done.read_as);
        outcomes.extend(done.outcomes);
    }
    let mut reading = Reading {
        errors: &mut errors,
        read_as: &mut read_as,
    };

    // A source that no selected rule reads is still named by the user or the manifest: one
    // that does not exist is a mistake to report, not something to pass over.
    for (artifact, e) in sources::unusable(snapshot) {
        if reading.errors.iter().all(|known| known.path != artifact.display) {
            reading.unreadable(artifact, &e.to_string());
        }
    }

    let mut findings = Vec::new();
    let mut results = Vec::new();
    // The built-in rules' results come with the waivers (`waivers::apply`), after the run.
    let snapshot_rules = rules
        .rules
        .iter()
        .enumerate()
        .filter(|(_, r)| sources::read_by(r).is_some());
    for (index, rule) in snapshot_rules {
        let (status, reason, omitted) = match outcomes.remove(&index) {
            None => (RuleStatus::Disabled, rule.disabled.clone(), 0),
            Some(Evaluated::NotEvaluated(reason)) => {
                findings.push(not_evaluated(rule, &reason, snapshot));
                (RuleStatus::NotEvaluated, Some(reason), 0)
            }
            Some(Evaluated::Ran {
                emissions,
                omitted,
                note,
            }) => {
                // A rule checked only in part (an endpoint it could not probe) is not passed.
                let unchecked = emissions.iter().find(|e| e.outcome == Outcome::NotEvaluated);
                // Why the rule ran at all comes first, then what it said of how it judged.
                let said = [released.remove(&index), note]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>();
                let said = (!said.is_empty()).then(|| said.join("; "));
                let (status, reason) = if emissions.iter().any(|e| e.outcome == Outcome::Fail) {
                    (RuleStatus::Failed, said)
                } else if let Some(part) = unchecked {
                    (RuleStatus::NotEvaluated, Some(part.message.clone()))
                } else {
                    (RuleStatus::Passed, said)
                };
                findings.extend(emissions.into_iter().map(|e| finding(rule, e, &rules.params)));
                (status, reason, omitted)
            }
        };
        results.push(RuleResult {
            omitted,
            ..rule.result(status, reason)
        });
    }
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Finding::assign_fingerprints(&mut findings);
    results.sort_by(|a, b| a.id.cmp(&b.id));
    Report {
        snapshot: snapshot.info.clone(),
        ruleset: ruleset_info(rules),
        findings,
        rules: results,
        errors,
        read_as,
        baseline: None,
    }
}

/// The evidence already looked for in this snapshot: the post-upgrade rules all wait for the
/// same entry, and CMUpdate.log is scanned for it once.
#[derive(Default)]
struct Seen(Vec<(String, String, Found)>);

impl Seen {
    fn look(&mut self, evidence: &LogEvidence, snapshot: &Snapshot) -> Found {
        let known = self
            .0
            .iter()
            .find(|(log, entry, _)| *log == evidence.log && *entry == evidence.entry);
        if let Some((_, _, found)) = known {
            return found.clone();
        }
        let found = evidence.look(crate::sources::log_named(snapshot, &evidence.log), snapshot);
        self.0
            .push((evidence.log.clone(), evidence.entry.clone(), found.clone()));
        found
    }
}

/// What became of one group of rules, and what reading its source recorded.
struct GroupDone {
    outcomes: Vec<(usize, Evaluated)>,
    errors: Vec<SourceError>,
    read_as: Vec<ReadAs>,
}

/// Loads the source a group of rules reads (`SOURCES[source]`) and runs the group's rules on it.
fn evaluate_group(source: usize, group: &[(usize, &Rule)], snapshot: &Snapshot) -> GroupDone {
    let (mut errors, mut read_as) = (Vec::new(), Vec::new());
    let mut reading = Reading {
        errors: &mut errors,
        read_as: &mut read_as,
    };
    let rules: Vec<&Rule> = group.iter().map(|&(_, rule)| rule).collect();
    let outcomes = match SOURCES[source].load(&rules, snapshot, &mut reading) {
        Ok(loaded) => group
            .iter()
            .enumerate()
            .map(|(position, &(index, rule))| (index, run(rule, &loaded.input(position), &mut errors)))
            .collect(),
        Err(reason) => group
            .iter()
            .map(|&(index, _)| (index, Evaluated::NotEvaluated(reason.to_string())))
            .collect(),
    };
    GroupDone {
        outcomes,
        errors,
        read_as,
    }
}

/// The report of a snapshot that could not be read at all (its manifest is missing or
/// invalid), in a run of several: every rule not evaluated, and the reason as its error.
pub fn unreadable_snapshot(rules: &RuleSet, path: &str, message: &str) -> Report {
    let reason = format!("the snapshot could not be read: {message}");
    let mut results = rules
        .rules
        .iter()
        .map(|rule| {
            let status = if rule.disabled.is_some() {
                RuleStatus::Disabled
            } else {
                RuleStatus::NotEvaluated
            };
            rule.result(status, rule.disabled.clone().or_else(|| Some(reason.clone())))
        })
        .collect::<Vec<_>>();
    results.sort_by(|a, b| a.id.cmp(&b.id));
    Report {
        snapshot: crate::finding::SnapshotInfo {
            path: Some(path.to_owned()),
            host: None,
            collected_at: None,
        },
        ruleset: ruleset_info(rules),
        findings: Vec::new(),
        rules: results,
        errors: vec![SourceError {
            path: path.to_owned(),
            message: message.to_owned(),
        }],
        read_as: Vec::new(),
        baseline: None,
    }
}

/// The rule files and the params as this run used them.
fn ruleset_info(rules: &RuleSet) -> RulesetInfo {
    let params = rules
        .params()
        .map(|(name, value, origin)| ParamInfo {
            name: name.clone(),
            value: value.clone(),
            origin: origin.clone(),
        })
        .collect();
    // The rule set knows no config: the command that read one names it.
    RulesetInfo {
        config: None,
        files: rules.files.clone(),
        params,
    }
}

fn run(rule: &Rule, input: &Input<'_>, errors: &mut Vec<SourceError>) -> Evaluated {
    let mut emissions = Emissions::default();
    match rule.check.evaluate(input, &mut emissions) {
        Ok(()) if let Some(reason) = emissions.take_rule_not_evaluated() => Evaluated::NotEvaluated(reason),
        Ok(()) => {
            let note = emissions.take_note();
            let (emissions, omitted) = emissions.into_parts();
            Evaluated::Ran {
                emissions,
                omitted,
                note,
            }
        }
        // An engine bug: loud (exit 2, with the rule named) rather than a silent pass.
        Err(mismatch) => {
            let message = format!(
                "internal error: rule {} ({}) reads {} but was given {}; please report this",
                rule.id, rule.kind, mismatch.expected, mismatch.given
            );
            errors.push(SourceError {
                path: rule.origin.to_string(),
                message: message.clone(),
            });
            Evaluated::NotEvaluated(message)
        }
    }
}

fn finding(rule: &Rule, emission: Emission, params: &Params) -> Finding {
    // Every value a kind emits is one it declared; a test on each kind's fixtures runs this.
    debug_assert!(
        {
            let declared = rule.check.placeholders();
            emission.values.iter().all(|(name, _)| declared.contains(name))
        },
        "rule {} ({}) emitted a value it does not declare: {:?}",
        rule.id,
        rule.kind,
        emission.values
    );
    let message = match &rule.message {
        // A rule's message says what failed; a part left unchecked says why in its own words.
        Some(template) if emission.outcome == Outcome::Fail => {
            let values: BTreeMap<String, String> = params
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .chain(emission.values)
                .collect();
            template.render_message(&values)
        }
        _ => emission.message,
    };
    let gap = (emission.outcome == Outcome::NotEvaluated).then(|| Gap {
        whole_rule: false,
        reason: message.clone(),
    });
    Finding {
        rule_id: rule.id.clone(),
        severity: rule.severity,
        message,
        subject: emission.subject,
        location: Some(emission.location),
        excerpt: emission.excerpt,
        help: rule.help.clone(),
        url: rule.url.clone(),
        gap,
        suppression: None,
        fingerprint: String::new(),
        baseline: None,
    }
}

fn not_evaluated(rule: &Rule, reason: &str, snapshot: &Snapshot) -> Finding {
    Finding {
        rule_id: rule.id.clone(),
        severity: rule.severity,
        message: format!("not evaluated: {reason}"),
        subject: rule.id.clone(),
        location: snapshot.manifest.as_ref().map(|m| Location::artifact(&m.display)),
        excerpt: None,
        help: rule.help.clone(),
        url: rule.url.clone(),
        gap: Some(Gap {
            whole_rule: true,
            reason: reason.to_owned(),
        }),
        suppression: None,
        fingerprint: String::new(),
        baseline: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{RuleSource, load};
    use crate::snapshot::live::LiveSources;

    const RULES: &str = "ruleset: engine
rules:
  - {id: setup-failed, title: t, severity: error, kind: forbidden-log-pattern, log: ConfigMgrSetup.log, pattern: 'ERROR: (?P<what>.+) failed'}
  - {id: setup-started, title: t, severity: error, kind: required-log-pattern, log: configmgrsetup.LOG, pattern: 'setupdl\\.exe: STARTED'}
  - {id: redist-empty, title: t, severity: warning, kind: zero-byte-files, tree: updatepack}
  - {id: off, title: t, severity: error, kind: zero-byte-files, tree: updatepack, enabled: false}
";

    fn rules() -> RuleSet {
        let source = RuleSource {
            name: "engine.yaml".to_owned(),
            text: RULES.to_owned(),
        };
        load(&[source], &[]).expect("the rules compile")
    }

    fn status<'r>(report: &'r Report, id: &str) -> (RuleStatus, Option<&'r str>) {
        let rule = report
            .rules
            .iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("{id} not in {:?}", report.rules));
        (rule.status, rule.reason.as_deref())
    }

    #[test]
    fn rules_on_one_log_share_it_whatever_case_they_name_it_in() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("ConfigMgrSetup.log");
        std::fs::write(
            &log,
            "INFO: Setup downloader setupdl.exe: STARTED\r\nERROR: Download() failed with 0x80072ee2\r\n",
        )
        .unwrap();
        let mut live = LiveSources::default();
        live.of_mut("logs").set("ConfigMgrSetup.log".to_owned(), log);
        let report = evaluate(&rules(), &crate::sources::live_snapshot(&live));
        assert_eq!(status(&report, "setup-failed"), (RuleStatus::Failed, None));
        assert_eq!(status(&report, "setup-started"), (RuleStatus::Passed, None));
        assert_eq!(
            status(&report, "off"),
            (
                RuleStatus::Disabled,
                Some("disabled in its rule file (`enabled: false`)")
            )
        );
        let failure = &report.findings[0];
        assert_eq!((failure.rule_id.as_str(), failure.gap.as_ref()), ("setup-failed", None));
        assert_eq!(failure.location.as_ref().and_then(|l| l.line), Some(2));
        assert!(report.errors.is_empty(), "{:?}", report.errors);
    }

    #[test]
    fn a_missing_source_leaves_its_rules_not_evaluated_with_the_reason_as_data() {
        let report = evaluate(&rules(), &crate::sources::live_snapshot(&LiveSources::default()));
        let reason = "no tree `updatepack` given (use --tree or --updatepack)";
        assert_eq!(
            status(&report, "redist-empty"),
            (RuleStatus::NotEvaluated, Some(reason))
        );
        let gap = report
            .findings
            .iter()
            .find(|f| f.rule_id == "redist-empty")
            .and_then(|f| f.gap.as_ref())
            .expect("a finding that carries the gap");
        assert_eq!(
            gap,
            &Gap {
                whole_rule: true,
                reason: reason.to_owned()
            }
        );
        assert!(
            report.errors.is_empty(),
            "absent is not unreadable: {:?}",
            report.errors
        );
    }

    #[test]
    fn an_unreadable_source_is_an_error_and_its_rules_are_not_evaluated() {
        let dir = tempfile::tempdir().unwrap();
        let mut live = LiveSources::default();
        // A directory where the log should be.
        live.of_mut("logs")
            .set("ConfigMgrSetup.log".to_owned(), dir.path().to_owned());
        let report = evaluate(&rules(), &crate::sources::live_snapshot(&live));
        assert_eq!(status(&report, "setup-failed").0, RuleStatus::NotEvaluated);
        assert_eq!(status(&report, "setup-started").0, RuleStatus::NotEvaluated);
        let [error] = report.errors.as_slice() else {
            panic!("one error for the one source: {:?}", report.errors);
        };
        assert!(error.message.starts_with("cannot read "), "{}", error.message);
        assert!(
            error.message.ends_with("it is a directory, not a regular file"),
            "{}",
            error.message
        );
    }
}
