//! Evaluates a rule set against a snapshot: loads each source once for all the rules that read
//! it, hands it to their checks, and turns what they emit into findings. A rule whose source is
//! absent is reported as not evaluated, never as passed.

use std::collections::BTreeMap;

use crate::checks::{Emission, Input, SourceRef};
use crate::files;
use crate::finding::{Finding, Gap, Location, Outcome, Report, RuleResult, RuleStatus, SourceError};
use crate::rules::{Rule, RuleSet};
use crate::snapshot::console::{self, ConsoleExport};
use crate::snapshot::endpoints::{self, Endpoints};
use crate::snapshot::log::{self, LogQuery};
use crate::snapshot::{Artifact, Snapshot, tree};

/// What became of one rule before it is written into the report.
enum Evaluated {
    Ran { emissions: Vec<Emission>, omitted: u64 },
    NotEvaluated(String),
}

pub fn evaluate(rules: &RuleSet, snapshot: &Snapshot) -> Report {
    let mut outcomes: BTreeMap<usize, Evaluated> = BTreeMap::new();
    let mut errors = Vec::new();
    let active: Vec<(usize, &Rule)> = rules
        .rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.disabled.is_none())
        .collect();

    evaluate_logs(&active, snapshot, &mut outcomes, &mut errors);
    evaluate_trees(&active, snapshot, &mut outcomes, &mut errors);
    let console = needs(&active, |s| matches!(s, SourceRef::Console)).then(|| load_console(snapshot, &mut errors));
    let endpoints =
        needs(&active, |s| matches!(s, SourceRef::Endpoints(_))).then(|| load_endpoints(snapshot, &mut errors));
    for &(index, rule) in &active {
        let input = match rule.check.source() {
            // Loaded whenever an active rule needs them, so `None` cannot meet such a rule.
            SourceRef::Console => match &console {
                Some(loaded) => loaded.as_ref().map(Input::Console).map_err(Clone::clone),
                None => continue,
            },
            SourceRef::Endpoints(_) => match &endpoints {
                Some(loaded) => loaded.as_ref().map(Input::Endpoints).map_err(Clone::clone),
                None => continue,
            },
            SourceRef::Log { .. } | SourceRef::Tree(_) => continue,
        };
        outcomes.insert(index, run(rule, input));
    }

    // A source that no selected rule reads is still named by the user or the manifest: one
    // that does not exist is a mistake to report, not something to pass over.
    for (artifact, e) in snapshot.unusable() {
        if errors.iter().all(|known| known.path != artifact.display) {
            unreadable(&mut errors, artifact, &e.to_string());
        }
    }

    let mut findings = Vec::new();
    let mut results = Vec::new();
    for (index, rule) in rules.rules.iter().enumerate() {
        let (status, reason, omitted) = match outcomes.remove(&index) {
            None => (RuleStatus::Disabled, rule.disabled.clone(), 0),
            Some(Evaluated::NotEvaluated(reason)) => {
                findings.push(not_evaluated(rule, &reason, snapshot));
                (RuleStatus::NotEvaluated, Some(reason), 0)
            }
            Some(Evaluated::Ran { emissions, omitted }) => {
                // A rule checked only in part (an endpoint it could not probe) is not passed.
                let unchecked = emissions.iter().find(|e| e.outcome == Outcome::NotEvaluated);
                let (status, reason) = if emissions.iter().any(|e| e.outcome == Outcome::Fail) {
                    (RuleStatus::Failed, None)
                } else if let Some(part) = unchecked {
                    (RuleStatus::NotEvaluated, Some(part.message.clone()))
                } else {
                    (RuleStatus::Passed, None)
                };
                findings.extend(emissions.into_iter().map(|e| finding(rule, e, &rules.params)));
                (status, reason, omitted)
            }
        };
        results.push(RuleResult {
            id: rule.id.clone(),
            kind: rule.kind,
            severity: rule.severity,
            title: rule.title.clone(),
            description: rule.check.describe(),
            help: rule.help.clone(),
            url: rule.url.clone(),
            tags: rule.tags.clone(),
            status,
            reason,
            omitted,
        });
    }
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    results.sort_by(|a, b| a.id.cmp(&b.id));
    Report {
        snapshot: snapshot.info.clone(),
        findings,
        rules: results,
        errors,
    }
}

fn run(rule: &Rule, input: Result<Input<'_>, String>) -> Evaluated {
    match input {
        Ok(input) => {
            let mut emissions = Vec::new();
            let omitted = rule.check.evaluate(&input, &mut emissions);
            Evaluated::Ran { emissions, omitted }
        }
        Err(reason) => Evaluated::NotEvaluated(reason),
    }
}

/// Each log is read once, with every rule on it searched in the same pass.
fn evaluate_logs(
    active: &[(usize, &Rule)],
    snapshot: &Snapshot,
    outcomes: &mut BTreeMap<usize, Evaluated>,
    errors: &mut Vec<SourceError>,
) {
    let mut by_log: BTreeMap<String, Vec<(usize, &Rule, &LogQuery)>> = BTreeMap::new();
    for &(index, rule) in active {
        if let SourceRef::Log { name, query } = rule.check.source() {
            by_log
                .entry(name.to_ascii_lowercase())
                .or_default()
                .push((index, rule, query));
        }
    }
    for group in by_log.values() {
        let SourceRef::Log { name, .. } = group[0].1.check.source() else {
            continue;
        };
        let scanned = match snapshot.log(name) {
            None => Err(snapshot.absence(&format!("log `{name}`"), "--log")),
            Some(artifact) => {
                let queries: Vec<&LogQuery> = group.iter().map(|g| g.2).collect();
                files::open_regular(&artifact.path)
                    .and_then(|(file, size)| {
                        let whole = Location::whole(&artifact.display, size);
                        log::scan(file, &queries).map(|results| (whole, results))
                    })
                    .map_err(|e| unreadable(errors, artifact, &e.to_string()))
            }
        };
        match scanned {
            Ok((whole, results)) => {
                for ((index, rule, _), result) in group.iter().zip(&results) {
                    let input = Input::Log {
                        name,
                        whole: &whole,
                        result,
                    };
                    outcomes.insert(*index, run(rule, Ok(input)));
                }
            }
            Err(reason) => {
                for (index, _, _) in group {
                    outcomes.insert(*index, Evaluated::NotEvaluated(reason.clone()));
                }
            }
        }
    }
}

fn evaluate_trees(
    active: &[(usize, &Rule)],
    snapshot: &Snapshot,
    outcomes: &mut BTreeMap<usize, Evaluated>,
    errors: &mut Vec<SourceError>,
) {
    let mut by_tree: BTreeMap<String, Vec<(usize, &Rule)>> = BTreeMap::new();
    for &(index, rule) in active {
        if let SourceRef::Tree(name) = rule.check.source() {
            by_tree
                .entry(name.to_ascii_lowercase())
                .or_default()
                .push((index, rule));
        }
    }
    for group in by_tree.values() {
        let SourceRef::Tree(name) = group[0].1.check.source() else {
            continue;
        };
        let loaded = match snapshot.tree(name) {
            None => Err(snapshot.absence(&format!("tree `{name}`"), "--tree or --updatepack")),
            Some(source) => tree::load(name, source)
                .inspect(|tree| {
                    for entry in &tree.unreadable {
                        errors.push(SourceError {
                            path: tree.location.path.clone(),
                            message: tree.describe_unreadable(entry),
                        });
                    }
                })
                .inspect_err(|message| {
                    let path = match source {
                        crate::snapshot::TreeSource::Live(a) | crate::snapshot::TreeSource::Listing(a) => {
                            a.display.clone()
                        }
                    };
                    errors.push(SourceError {
                        path,
                        message: message.clone(),
                    });
                }),
        };
        for (index, rule) in group {
            outcomes.insert(
                *index,
                run(rule, loaded.as_ref().map(Input::Tree).map_err(Clone::clone)),
            );
        }
    }
}

fn needs(active: &[(usize, &Rule)], wanted: fn(&SourceRef<'_>) -> bool) -> bool {
    active.iter().any(|(_, r)| wanted(&r.check.source()))
}

fn load_console(snapshot: &Snapshot, errors: &mut Vec<SourceError>) -> Result<ConsoleExport, String> {
    let Some(artifact) = &snapshot.console else {
        return Err(snapshot.absence("console export", "--console-updates"));
    };
    let (text, location) = read_text(artifact, errors)?;
    console::parse(&text)
        .map(|updates| ConsoleExport { location, updates })
        .map_err(|e| unreadable(errors, artifact, &e))
}

fn load_endpoints(snapshot: &Snapshot, errors: &mut Vec<SourceError>) -> Result<Endpoints, String> {
    if snapshot.allowlist.is_none() && snapshot.probes.is_none() {
        return Err(snapshot.absence("endpoint allowlist or probe results", "--endpoints-allowlist"));
    }
    let mut endpoints = Endpoints::default();
    if let Some(artifact) = &snapshot.allowlist {
        let (text, location) = read_text(artifact, errors)?;
        let (entries, bad_lines) = endpoints::parse_allowlist(&text);
        for message in bad_lines {
            errors.push(SourceError {
                path: artifact.display.clone(),
                message: format!("{}: {message}", artifact.display),
            });
        }
        endpoints.allowlist = Some((location, entries));
    }
    if let Some(artifact) = &snapshot.probes {
        let (text, location) = read_text(artifact, errors)?;
        let probes = endpoints::parse_probes(&text).map_err(|e| unreadable(errors, artifact, &e))?;
        endpoints.probes = Some((location, probes));
    }
    Ok(endpoints)
}

/// A small file's text, and its location as a whole.
fn read_text(artifact: &Artifact, errors: &mut Vec<SourceError>) -> Result<(String, Location), String> {
    files::read_limited(&artifact.path, files::WHOLE_FILE_LIMIT)
        .map(|bytes| {
            let location = Location::whole(&artifact.display, bytes.len() as u64);
            (crate::document::text::decode(&bytes), location)
        })
        .map_err(|e| unreadable(errors, artifact, &e.to_string()))
}

/// Records a named source that could not be read or understood, and returns the reason its
/// rules were not evaluated.
fn unreadable(errors: &mut Vec<SourceError>, artifact: &Artifact, why: &str) -> String {
    let message = format!("cannot read {}: {why}", artifact.display);
    errors.push(SourceError {
        path: artifact.display.clone(),
        message: message.clone(),
    });
    message
}

fn finding(rule: &Rule, emission: Emission, params: &crate::checks::Params) -> Finding {
    let message = match &rule.message {
        // A rule's message says what failed; a part left unchecked says why in its own words.
        Some(template) if emission.outcome == Outcome::Fail => {
            let values: BTreeMap<String, String> = params
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .chain(emission.values)
                .collect();
            template.render_map(&values)
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
    }
}
